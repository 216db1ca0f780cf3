"""Writes of the partners app: plain functions named <entity>_<action>, one module per topic."""
