"""Edges of the catalogue: geometry of forest areas (GeoJSON)."""
