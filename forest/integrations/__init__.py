"""Edges of the game to the outside world: rendering artwork and certificates as PNGs."""
