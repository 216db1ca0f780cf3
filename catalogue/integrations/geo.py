"""Small GeoJSON helpers for planting areas, without GEOS/GDAL.

Partners describe each planting site as a GeoJSON Polygon or MultiPolygon and we check photo
and tree coordinates against it.  Sites are a few kilometres across, so planar geometry on
raw longitude/latitude is accurate enough and keeps the backend free of native GIS libraries.
Areas that cross the antimeridian (longitude +-180) are not supported.

GeoJSON positions are [longitude, latitude] (RFC 7946); the function arguments and the
centroid follow the (lat, lon) order used everywhere else in Canopy.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

__all__ = [
    "BBox",
    "geojson_bbox",
    "geojson_centroid",
    "point_in_geojson",
    "validate_geojson_area",
]

Ring = Sequence[Sequence[float]]
# Distance (in degrees, ~0.1 mm) within which a point counts as lying on an edge.
_EDGE_TOLERANCE = 1e-9


class BBox(NamedTuple):
    """Bounding box in GeoJSON order (RFC 7946 section 5): west, south, east, north."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float


# --------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _validate_ring(ring: Any, where: str) -> None:
    if not isinstance(ring, list | tuple):
        raise ValueError(f"{where} must be an array of positions")
    if len(ring) < 4:
        raise ValueError(f"{where} has {len(ring)} positions; a linear ring needs at least 4")
    for i, position in enumerate(ring):
        here = f"{where}[{i}]"
        if not isinstance(position, list | tuple) or len(position) < 2:
            raise ValueError(f"{here} must be a [longitude, latitude] array")
        if not all(_is_number(value) for value in position):
            raise ValueError(f"{here} must contain only finite numbers, got {position!r}")
        lon, lat = position[0], position[1]
        if not -180 <= lon <= 180:
            raise ValueError(f"{here}: longitude {lon} is outside [-180, 180]")
        if not -90 <= lat <= 90:
            raise ValueError(f"{here}: latitude {lat} is outside [-90, 90] (is it [lon, lat]?)")
    if list(ring[0][:2]) != list(ring[-1][:2]):
        raise ValueError(f"{where} is not closed: the first and last positions must be equal")


def _validate_polygon(rings: Any, where: str) -> None:
    if not isinstance(rings, list | tuple) or not rings:
        raise ValueError(f"{where} must be a non-empty array of linear rings")
    for i, ring in enumerate(rings):
        _validate_ring(ring, f"{where}[{i}]")


def validate_geojson_area(geometry: dict) -> None:
    """Raise ValueError, naming the offending position, unless geometry is a valid area.

    Accepts GeoJSON Polygon and MultiPolygon geometries; checks structure, closed rings of at
    least 4 positions and coordinate ranges.  Ring orientation and self-intersection are not
    checked: ray casting does not depend on them.
    """
    if not isinstance(geometry, dict):
        raise ValueError(f"geometry must be a GeoJSON object, got {type(geometry).__name__}")
    kind = geometry.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        raise ValueError(f"geometry type must be Polygon or MultiPolygon, got {kind!r}")
    if "coordinates" not in geometry:
        raise ValueError(f"{kind} has no 'coordinates'")
    coordinates = geometry["coordinates"]
    if kind == "Polygon":
        _validate_polygon(coordinates, "coordinates")
        return
    if not isinstance(coordinates, list | tuple) or not coordinates:
        raise ValueError("MultiPolygon coordinates must be a non-empty array of polygons")
    for i, polygon in enumerate(coordinates):
        _validate_polygon(polygon, f"coordinates[{i}]")


def _polygons(geometry: dict) -> Iterator[Sequence[Ring]]:
    """Validated polygons of either geometry type, each as [outer ring, *holes]."""
    validate_geojson_area(geometry)
    if geometry["type"] == "Polygon":
        yield geometry["coordinates"]
    else:
        yield from geometry["coordinates"]


# --------------------------------------------------------------------------------------------
# Point in polygon
# --------------------------------------------------------------------------------------------


def _on_segment(x: float, y: float, ax: float, ay: float, bx: float, by: float) -> bool:
    dx, dy = bx - ax, by - ay
    length = math.hypot(dx, dy)
    if length == 0:
        return math.hypot(x - ax, y - ay) <= _EDGE_TOLERANCE
    if abs(dx * (y - ay) - dy * (x - ax)) / length > _EDGE_TOLERANCE:  # distance to the line
        return False
    t = ((x - ax) * dx + (y - ay) * dy) / (length * length)
    slack = _EDGE_TOLERANCE / length
    return -slack <= t <= 1 + slack


def _ring_position(x: float, y: float, ring: Ring) -> int:
    """1 inside, 0 on the boundary, -1 outside (even-odd ray cast towards +x)."""
    inside = False
    n = len(ring)
    for i in range(n - 1):  # the last position repeats the first
        ax, ay = ring[i][0], ring[i][1]
        bx, by = ring[i + 1][0], ring[i + 1][1]
        if _on_segment(x, y, ax, ay, bx, by):
            return 0
        if (ay > y) != (by > y):  # half-open rule: vertices on the ray are counted once
            cross_x = ax + (y - ay) * (bx - ax) / (by - ay)
            if x < cross_x:
                inside = not inside
    return 1 if inside else -1


def point_in_geojson(lat: float, lon: float, geometry: dict) -> bool:
    """True if (lat, lon) lies inside or on the boundary of the Polygon/MultiPolygon.

    Holes are excluded, but a point on a hole's edge is on the area's boundary and counts.
    Raises ValueError for an invalid geometry or non-finite coordinates.
    """
    if not (_is_number(lat) and _is_number(lon)):
        raise ValueError(f"latitude and longitude must be finite numbers, got {lat!r}, {lon!r}")
    for outer, *holes in _polygons(geometry):
        where = _ring_position(lon, lat, outer)
        if where < 0:
            continue
        if where == 0:
            return True
        if all(_ring_position(lon, lat, hole) <= 0 for hole in holes):
            return True
    return False


# --------------------------------------------------------------------------------------------
# Centroid and bounding box
# --------------------------------------------------------------------------------------------


def _ring_area_centroid(ring: Ring) -> tuple[float, float, float]:
    """Signed shoelace area and area centroid (x, y) of a closed ring."""
    area2 = cx = cy = 0.0
    x0, y0 = ring[0][0], ring[0][1]  # shift to the first vertex for numerical stability
    for i in range(len(ring) - 1):
        ax, ay = ring[i][0] - x0, ring[i][1] - y0
        bx, by = ring[i + 1][0] - x0, ring[i + 1][1] - y0
        cross = ax * by - bx * ay
        area2 += cross
        cx += (ax + bx) * cross
        cy += (ay + by) * cross
    if area2 == 0:
        return 0.0, x0, y0
    return area2 / 2, cx / (3 * area2) + x0, cy / (3 * area2) + y0


def geojson_centroid(geometry: dict) -> tuple[float, float]:
    """(lat, lon) of the area's centre of mass, holes subtracted.

    Used to pin a forest on a map; for concave shapes it may fall outside the area.  Falls
    back to the mean of the outer-ring vertices for degenerate (zero-area) geometries.
    """
    total = sx = sy = 0.0
    vertices: list[Sequence[float]] = []
    for outer, *holes in _polygons(geometry):
        vertices.extend(outer[:-1])
        for index, ring in enumerate([outer, *holes]):
            area, cx, cy = _ring_area_centroid(ring)
            weight = abs(area) if index == 0 else -abs(area)
            total += weight
            sx += weight * cx
            sy += weight * cy
    if total > 1e-18:
        return sy / total, sx / total
    lon = sum(p[0] for p in vertices) / len(vertices)
    lat = sum(p[1] for p in vertices) / len(vertices)
    return lat, lon


def geojson_bbox(geometry: dict) -> BBox:
    """Bounding box of the outer rings as BBox(min_lon, min_lat, max_lon, max_lat).

    Same order as a GeoJSON "bbox" member; use the field names to avoid lat/lon mix-ups.
    """
    lons: list[float] = []
    lats: list[float] = []
    for outer, *_holes in _polygons(geometry):
        lons.extend(p[0] for p in outer)
        lats.extend(p[1] for p in outer)
    return BBox(min(lons), min(lats), max(lons), max(lats))
