"""Reads of the accounts app, one module per topic, always scoped to their owner."""
