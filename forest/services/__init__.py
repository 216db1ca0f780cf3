"""Writes of the game, one module per concept: plain functions named <entity>_<action>."""
