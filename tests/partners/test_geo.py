"""GeoJSON area helpers: point-in-area with holes and edges, validation, centroid, bbox."""

from __future__ import annotations

import copy
import math

import pytest

from catalogue.integrations.geo import (
    BBox,
    geojson_bbox,
    geojson_centroid,
    point_in_geojson,
    validate_geojson_area,
)

# A 0.1-degree square near Amsterdam with a square hole; positions are [lon, lat].
SQUARE = [[4.8, 52.3], [4.9, 52.3], [4.9, 52.4], [4.8, 52.4], [4.8, 52.3]]
HOLE = [[4.84, 52.34], [4.84, 52.36], [4.86, 52.36], [4.86, 52.34], [4.84, 52.34]]
POLYGON = {"type": "Polygon", "coordinates": [SQUARE, HOLE]}
# A triangle on the southern/western hemispheres.
TRIANGLE = [[-70.0, -33.0], [-69.0, -33.0], [-69.5, -32.0], [-70.0, -33.0]]
MULTI = {"type": "MultiPolygon", "coordinates": [[SQUARE, HOLE], [TRIANGLE]]}


def test_point_inside_polygon():
    assert point_in_geojson(52.31, 4.81, POLYGON)
    assert point_in_geojson(52.39, 4.89, POLYGON)


def test_point_outside_polygon():
    assert not point_in_geojson(52.5, 4.85, POLYGON)  # north of it
    assert not point_in_geojson(52.35, 4.95, POLYGON)  # east of it
    assert not point_in_geojson(4.85, 52.35, POLYGON)  # lat/lon swapped


def test_point_in_hole_is_outside():
    assert not point_in_geojson(52.35, 4.85, POLYGON)


def test_point_on_hole_edge_is_on_the_boundary():
    assert point_in_geojson(52.35, 4.84, POLYGON)  # west edge of the hole
    assert point_in_geojson(52.34, 4.84, POLYGON)  # a hole vertex


@pytest.mark.parametrize(
    ("lat", "lon"),
    [
        (52.3, 4.85),  # bottom edge
        (52.35, 4.9),  # right edge
        (52.4, 4.8),  # corner
        (52.3, 4.8),  # first/last vertex
    ],
)
def test_point_on_outer_edge_counts_as_inside(lat, lon):
    assert point_in_geojson(lat, lon, POLYGON)


def test_point_on_diagonal_edge_counts_as_inside():
    # Midpoint of the triangle's right-hand sloping edge.
    assert point_in_geojson(-32.5, -69.25, {"type": "Polygon", "coordinates": [TRIANGLE]})


def test_ray_through_vertex_is_not_double_counted():
    diamond = [[0.0, -1.0], [1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]]
    geometry = {"type": "Polygon", "coordinates": [diamond]}
    assert point_in_geojson(0.0, 0.0, geometry)  # the +x ray passes through vertex (1, 0)
    assert not point_in_geojson(0.0, -2.0, geometry)  # ray passes through (-1, 0) and (1, 0)


def test_multipolygon():
    assert point_in_geojson(52.31, 4.81, MULTI)
    assert point_in_geojson(-32.8, -69.5, MULTI)
    assert not point_in_geojson(52.35, 4.85, MULTI)  # in the first polygon's hole
    assert not point_in_geojson(0.0, 0.0, MULTI)


def test_altitude_in_positions_is_allowed():
    ring = [[*p, 12.5] for p in SQUARE]
    assert point_in_geojson(52.35, 4.85, {"type": "Polygon", "coordinates": [ring]})


def test_concave_polygon():
    # A "U" shape: the notch between the arms is outside.
    u_shape = [[0, 0], [3, 0], [3, 3], [2, 3], [2, 1], [1, 1], [1, 3], [0, 3], [0, 0]]
    geometry = {"type": "Polygon", "coordinates": [u_shape]}
    assert point_in_geojson(2.5, 0.5, geometry)  # left arm
    assert point_in_geojson(2.5, 2.5, geometry)  # right arm
    assert not point_in_geojson(2.0, 1.5, geometry)  # the notch


def _polygon(ring):
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        ("POLYGON((0 0, 1 0, 1 1, 0 0))", "GeoJSON object"),
        ({"type": "Point", "coordinates": [4.8, 52.3]}, "Polygon or MultiPolygon"),
        ({"type": "Feature", "geometry": POLYGON}, "Polygon or MultiPolygon"),
        ({"type": "Polygon"}, "no 'coordinates'"),
        ({"type": "Polygon", "coordinates": []}, "non-empty"),
        (_polygon([[0, 0], [1, 0], [0, 0]]), "at least 4"),
        (_polygon([[0, 0], [1, 0], [1, 1], [0, 1]]), "not closed"),
        (_polygon([[0, 0], [1, 0], [1, "1"], [0, 0]]), "finite numbers"),
        (_polygon([[0, 0], [1, 0], [1, math.nan], [0, 0]]), "finite numbers"),
        (_polygon([[0, 0], [1, 0], [True, 1], [0, 0]]), "finite numbers"),
        (_polygon([[0, 0], [1, 0], [1], [0, 0]]), "[longitude, latitude]"),
        (_polygon([[0, 0], [181, 0], [1, 1], [0, 0]]), "longitude 181"),
        (_polygon([[0, 0], [1, 0], [52.3, 95.0], [0, 0]]), "latitude 95.0"),
        (_polygon("not a ring"), "array of positions"),
        ({"type": "MultiPolygon", "coordinates": []}, "non-empty"),
        ({"type": "MultiPolygon", "coordinates": [[SQUARE], [[[0, 0], [1, 0]]]]}, r"\[1\]\[0\]"),
    ],
)
def test_invalid_geometries_are_rejected(geometry, message):
    with pytest.raises(ValueError, match=message):
        validate_geojson_area(geometry)
    with pytest.raises(ValueError):
        point_in_geojson(0.5, 0.5, geometry)


def test_valid_geometries_pass_validation():
    validate_geojson_area(POLYGON)
    validate_geojson_area(MULTI)
    validate_geojson_area(
        {"type": "Polygon", "coordinates": [[[-180, -90], [180, -90], [180, 90], [-180, -90]]]}
    )


def test_point_must_be_finite():
    with pytest.raises(ValueError, match="finite"):
        point_in_geojson(math.nan, 4.85, POLYGON)


def test_helpers_do_not_mutate_the_geometry():
    original = copy.deepcopy(MULTI)
    point_in_geojson(52.31, 4.81, MULTI)
    geojson_centroid(MULTI)
    geojson_bbox(MULTI)
    assert original == MULTI


def test_centroid_of_square_with_centred_hole_is_its_centre():
    lat, lon = geojson_centroid(POLYGON)
    assert lat == pytest.approx(52.35)
    assert lon == pytest.approx(4.85)


def test_centroid_is_area_weighted_for_multipolygons():
    small = [[10, 0], [11, 0], [11, 1], [10, 1], [10, 0]]  # area 1, centre (10.5, 0.5)
    big = [[0, 0], [3, 0], [3, 3], [0, 3], [0, 0]]  # area 9, centre (1.5, 1.5)
    lat, lon = geojson_centroid({"type": "MultiPolygon", "coordinates": [[small], [big]]})
    assert lon == pytest.approx((10.5 * 1 + 1.5 * 9) / 10)
    assert lat == pytest.approx((0.5 * 1 + 1.5 * 9) / 10)


def test_centroid_of_degenerate_ring_falls_back_to_vertex_mean():
    line = [[0, 0], [2, 0], [4, 0], [0, 0]]
    assert geojson_centroid(_polygon(line)) == pytest.approx((0.0, 2.0))


def test_bbox_is_in_geojson_order():
    assert geojson_bbox(POLYGON) == BBox(min_lon=4.8, min_lat=52.3, max_lon=4.9, max_lat=52.4)
    assert geojson_bbox(MULTI) == (-70.0, -33.0, 4.9, 52.4)


def test_bbox_rejects_invalid_geometry():
    with pytest.raises(ValueError):
        geojson_bbox({"type": "LineString", "coordinates": [[0, 0], [1, 1]]})
