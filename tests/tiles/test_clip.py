"""Clipping regions to a tile on the world grid (tiles.clip). Fixtures made here: small polygons in
grid units (x right, y down), one tile of 100 units with a buffer of 10 at origin (1000, 2000)."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
import shapely.affinity

from tests.tiles.streams import stream_polygons
from tiles.clip import clip_rings
from tiles.mvt import polygon_commands

OX, OY, EXTENT, BUFFER = 1000, 2000, 100, 10


def _clip(*regions: shapely.Geometry) -> tuple[list[shapely.Geometry], list[bool]]:
    """The regions as a zoom grid holds them (oriented, encoded), clipped; back in tile coordinates."""
    commands, lengths = polygon_commands(shapely.orient_polygons(np.array(regions, dtype=object), exterior_cw=False))
    starts = np.cumsum(lengths) - lengths
    out, out_lengths, done = clip_rings(commands, starts, lengths, np.arange(len(regions), dtype=np.int64), OX, OY, EXTENT, BUFFER)
    return stream_polygons(out, out_lengths), done.tolist()


def _at(geometry: shapely.Geometry) -> shapely.Geometry:
    """From tile to world grid coordinates."""
    return shapely.affinity.translate(geometry, OX, OY)


def test_a_square_across_two_sides_is_cut_at_the_buffered_box() -> None:
    (made,), done = _clip(_at(shapely.box(50, -40, 150, 60)))
    assert done == [True]
    assert made.equals(shapely.box(50, -10, 110, 60))
    assert made.is_valid


def test_a_region_round_the_corner_whose_ring_misses_the_box_is_done_and_empty() -> None:
    """An L around the box's corner: its envelope meets the box, its ring does not."""
    ell = shapely.Polygon([(-60, -60), (200, -60), (200, -20), (-20, -20), (-20, 200), (-60, 200)])
    (made,), done = _clip(_at(ell))
    assert done == [True] and made.is_empty


def test_a_region_around_the_whole_tile_becomes_the_box() -> None:
    (made,), done = _clip(_at(shapely.box(-500, -500, 500, 500)))
    assert done == [True] and made.equals(shapely.box(-10, -10, 110, 110))


def test_holes_keep_their_orientation_and_go_when_outside() -> None:
    region = shapely.Polygon(shapely.box(-50, 20, 150, 80).exterior.coords,
                             [shapely.box(30, 40, 60, 60).exterior.coords, shapely.box(130, 40, 140, 60).exterior.coords])
    (made,), done = _clip(_at(region))
    assert done == [True] and made.is_valid
    assert made.equals(shapely.Polygon(shapely.box(-10, 20, 110, 80).exterior.coords, [shapely.box(30, 40, 60, 60).exterior.coords]))


def test_a_part_outside_goes_and_a_part_inside_stays() -> None:
    region = shapely.MultiPolygon([shapely.box(20, 20, 40, 40), shapely.box(300, 20, 340, 40)])
    (made,), done = _clip(_at(region))
    assert done == [True] and made.equals(shapely.box(20, 20, 40, 40))


U_ACROSS_THE_SIDE = shapely.Polygon([(50, 20), (200, 20), (200, 80), (50, 80), (50, 60), (150, 60), (150, 40), (50, 40)])
LAKE_AROUND_THE_TILE = shapely.Polygon(shapely.box(-500, -500, 500, 500).exterior.coords, [shapely.box(-400, -400, 400, 400).exterior.coords])
HOLE_ACROSS_THE_SIDE = shapely.Polygon(shapely.box(-50, 20, 150, 80).exterior.coords, [shapely.box(100, 40, 130, 60).exterior.coords])


@pytest.mark.parametrize(
    "region",
    [
        pytest.param(U_ACROSS_THE_SIDE, id="a ring entering twice: two parts"),
        pytest.param(HOLE_ACROSS_THE_SIDE, id="a hole across the side"),
        pytest.param(shapely.Polygon(U_ACROSS_THE_SIDE.exterior.coords, [shapely.box(60, 65, 70, 75).exterior.coords]),
                     id="a hole inside goes with the part around it"),
        pytest.param(shapely.Polygon(shapely.box(-50, -50, 60, 60).exterior.coords, [shapely.box(-30, -30, 40, 40).exterior.coords]),
                     id="a frame across a corner: hole and exterior joined"),
        pytest.param(shapely.Polygon(shapely.box(-500, -500, 500, 500).exterior.coords, [shapely.box(20, -50, 200, 90).exterior.coords]),
                     id="around the tile, a hole across two sides: joined past corners"),
        pytest.param(shapely.MultiPolygon([U_ACROSS_THE_SIDE, shapely.box(20, 90, 30, 100), shapely.box(-40, 85, 0, 95)]),
                     id="parts entering twice, once and not at all"),
        pytest.param(shapely.MultiPolygon([LAKE_AROUND_THE_TILE, shapely.box(40, 40, 60, 60)]),
                     id="the tile in a lake, an island in it: the shore and the lake both become the box"),
    ],
)
def test_rings_that_one_at_a_time_would_run_along_a_side_twice_are_clipped_together(region: shapely.Geometry) -> None:
    """Clipped one ring at a time, each would run back and forth along the box side (invalid); clipped
    together, the parts inside are joined along the box's edge. Every cut here lies on the grid, so the
    result is exactly the intersection."""
    (made,), done = _clip(_at(region))
    assert done == [True]
    assert made.is_valid, shapely.is_valid_reason(made)
    assert made.equals(region.intersection(shapely.box(-BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)))


def test_parts_that_touch_on_the_box_side_are_left_to_geos() -> None:
    """Two parts of a region touching at a point of the box side: one part's clipped ring would end where
    the other's starts, and the joins cannot tell which goes on where; GEOS clips it."""
    diamond = shapely.Polygon([(110, 40), (120, 50), (110, 60), (100, 50)])
    _, done = _clip(_at(shapely.MultiPolygon([shapely.box(100, 20, 120, 40), diamond])))
    assert done == [False]


def test_a_hole_touching_its_exterior_joined_with_it_is_left_to_geos() -> None:
    """The hole touches its exterior at a point (valid) and crosses the box side: joined along the side into
    one ring, that ring would touch itself there (invalid), though every edge at the point is as it was."""
    region = shapely.Polygon([(-50, 20), (30, 20), (60, 20), (90, 20), (150, 20), (150, 80), (-50, 80)],
                             [[(60, 20), (70, 40), (120, 40), (120, 60), (50, 60)]])
    assert region.is_valid
    _, done = _clip(_at(region))
    assert done == [False]


def test_neighbours_sharing_an_edge_across_the_box_side_get_the_same_cut_point() -> None:
    """Two quadrilaterals share the edge (90, 10) - (130, 77); its cut at x = 110 is not on the grid and
    is rounded the same way for both, though each walks the edge the other way: no gap, no overlap."""
    left = shapely.Polygon([(40, 10), (90, 10), (130, 77), (40, 77)])
    right = shapely.Polygon([(90, 10), (200, 10), (200, 77), (130, 77)])
    (a, b), done = _clip(_at(left), _at(right))
    assert done == [True, True]
    assert a.intersection(b).area == 0
    assert a.union(b).equals(shapely.box(40, 10, 110, 77))
    cut = {tuple(p) for p in shapely.get_coordinates(a).tolist()} & {tuple(p) for p in shapely.get_coordinates(b).tolist()}
    assert (110, 44) in cut  # 10 + (110 - 90) * 67 / 40 = 43.5 -> 44
