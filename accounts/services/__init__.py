"""Writes of the accounts app: plain functions, one module per topic."""
