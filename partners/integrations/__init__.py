"""Edges to the outside world: planting partners' order APIs (sandbox, HTTP) and photo checks."""
