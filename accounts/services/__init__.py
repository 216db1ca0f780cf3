"""Writes of the accounts app: plain functions (``<entity>_<action>``), one module per topic."""
