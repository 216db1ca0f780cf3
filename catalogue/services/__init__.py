"""Writes of the catalogue app: plain functions, one module per topic."""
