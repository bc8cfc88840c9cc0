"""Regions encoded once per zoom on the world grid give, tile by tile, the same command streams
as clipping and snapping each tile from scratch; only regions crossing the edge are clipped,
on the grid (tiles.clip) or by GEOS."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geodata.regions import Level
from store import Store
from tests.tiles.streams import stream_polygons
from tiles.encode import to_tile_coords
from tiles.grid import tile_commands, zoom_grid
from tiles.mvt import polygon_commands
from tiles.region_tiles import RegionTiles
from tiles.tilemath import WEB_MERCATOR

UTRECHT = (4.97, 52.026, 5.195, 52.142)
EXTENT, BUFFER = 4096, 64


@pytest.mark.parametrize("z", [9, 11, 12, 14])
def test_grid_streams_equal_clipping_every_tile_from_scratch(demo_store: Store, z: int) -> None:
    """Regions inside the buffered tile: the same streams. Regions clipped on the grid: valid, oriented,
    and the same as GEOS's clip but for slivers along cut edges (a cut point is taken from the snapped
    edge rather than the exact one; on an edge almost along the box side it moves a few units along it)."""
    geometry = RegionTiles(demo_store).geometry(Level.buurt, 2024)
    grid = geometry.grid(z)
    compared = clipped = 0
    for _, x, y in WEB_MERCATOR.tiles_covering(UTRECHT, z):
        bounds = WEB_MERCATOR.tile_bounds(z, x, y)
        pad = (bounds[2] - bounds[0]) * BUFFER / EXTENT
        hits = geometry.query((bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad))
        if len(hits) == 0:
            continue

        def clip(regions: np.ndarray, bounds: tuple[float, ...] = bounds) -> tuple[np.ndarray, np.ndarray]:
            return polygon_commands(to_tile_coords(geometry.at_zoom(z, regions), bounds, EXTENT, BUFFER))

        expected_commands, expected_lengths = clip(hits)
        commands, lengths = tile_commands(grid, hits, x, y, EXTENT, BUFFER, clip)
        b, o = grid.bounds[hits], np.array([x, y, x, y]) * EXTENT
        inside = np.all((b[:, :2] >= o[:2] - BUFFER) & (b[:, 2:] <= o[2:] + EXTENT + BUFFER), axis=1)
        made, expected = stream_polygons(commands, lengths), stream_polygons(expected_commands, expected_lengths)
        starts, expected_starts = np.cumsum(lengths) - lengths, np.cumsum(expected_lengths) - expected_lengths
        for i in range(len(hits)):
            if inside[i]:
                assert lengths[i] == expected_lengths[i]
                np.testing.assert_array_equal(commands[starts[i]:starts[i] + lengths[i]],
                                              expected_commands[expected_starts[i]:expected_starts[i] + lengths[i]])
            else:
                assert made[i].is_valid, shapely.is_valid_reason(made[i])
                assert made[i].is_empty == expected[i].is_empty
                if not made[i].is_empty:
                    # where the two differ, they differ by slivers under 2 units wide (along a cut edge)
                    assert shapely.buffer(made[i].symmetric_difference(expected[i]), -1.0).is_empty
                    clipped += 1
        compared += 1
    assert compared >= 2 and clipped >= 1


def test_only_regions_crossing_the_buffered_edge_are_clipped() -> None:
    """Fixture made here: four regions in and around tile 2/1/1 (its origin is 4096, 4096 on the world
    grid at z2), in EPSG:3857: a square inside, one reaching past the buffer, one inside the buffer,
    and two parts touching at a point of the box side (clipped on the grid, one part's ring would end
    where the other's starts)."""
    z, extent = 2, 4096
    metre = 2 * 20037508.342789244 / (extent * 2**z)  # one grid unit

    def on_grid(*corners: tuple[int, int]) -> shapely.Polygon:
        # grid x right, y down -> EPSG:3857 x right, y up from the world's top-left corner
        return shapely.Polygon([(-20037508.342789244 + x * metre, 20037508.342789244 - y * metre) for x, y in corners])

    def square(x0: int, y0: int, size: int) -> shapely.Polygon:
        return on_grid((x0, y0), (x0 + size, y0), (x0 + size, y0 + size), (x0, y0 + size))

    o = 4096
    side = o + 4096 + 64
    diamond = on_grid((side, o + 520), (side + 10, o + 530), (side, o + 540), (side - 10, o + 530))
    regions = np.array([square(o + 100, o + 100, 50), square(o + 4000, o + 100, 200), square(o + 4150, o + 300, 10),
                        shapely.MultiPolygon([square(side - 10, o + 500, 20), diamond])], dtype=object)
    grid = zoom_grid(regions, WEB_MERCATOR, z, extent)
    clipped: list[list[int]] = []

    def clip(crossing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        clipped.append(crossing.tolist())
        return np.array([9, 9, 9], dtype=np.int64), np.array([3] * len(crossing), dtype=np.int64)

    commands, lengths = tile_commands(grid, np.array([0, 1, 2, 3]), 1, 1, extent, 64, clip)
    assert clipped == [[3]]  # 0 and 2 lie inside the 64-unit buffer, 1 is clipped on the grid, 3 by `clip`
    assert lengths.tolist() == [11, 11, 11, 3]  # MoveTo + 3 LineTo (4 corners) + ClosePath = 11
    polygons = stream_polygons(commands, lengths)
    assert polygons[0].equals(shapely.box(100, 100, 150, 150))
    assert polygons[1].equals(shapely.box(4000, 100, 4160, 300))  # cut at the buffer's side, x = 4096 + 64
    assert polygons[2].equals(shapely.box(4150, 300, 4160, 310))
    assert commands[33:36].tolist() == [9, 9, 9]  # the region `clip` made, in its place


def test_zooms_made_side_by_side_equal_zooms_made_one_at_a_time(demo_store: Store) -> None:
    alone = RegionTiles(demo_store).geometry(Level.buurt, 2024)
    together = RegionTiles(demo_store).geometry(Level.buurt, 2024)
    together.prepare([12, 6, 9, 3, 14])
    assert together.prepared_zooms() == [3, 6, 9, 12, 14]
    for z in (3, 6, 9, 12, 14):
        expected, made = alone.grid(z), together.grid(z)
        for field in ("commands", "starts", "lengths", "first", "bounds"):
            np.testing.assert_array_equal(getattr(made, field), getattr(expected, field))
