"""The forest app's admin, one module per concept (importing them registers them)."""

from forest.admin import achievements, economy, energy, fraud, levels, scoring, trees

__all__ = ["achievements", "economy", "energy", "fraud", "levels", "scoring", "trees"]
