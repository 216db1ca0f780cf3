"""Reads of the game, one module per topic: what the API, the pages and other apps show."""
