"""The forest app's admin, one module per concept (importing them registers them)."""

from forest.admin import achievements, energy, fraud, scoring, trees

__all__ = ["achievements", "energy", "fraud", "scoring", "trees"]
