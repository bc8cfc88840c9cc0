"""Regions encoded once per zoom on the world grid give, tile by tile, the same command streams
as clipping and snapping each tile from scratch; only regions crossing the edge are clipped."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geodata.regions import Level
from store import Store
from tiles.encode import to_tile_coords
from tiles.grid import tile_commands, zoom_grid
from tiles.mvt import polygon_commands
from tiles.region_tiles import RegionTiles
from tiles.tilemath import WEB_MERCATOR

UTRECHT = (4.97, 52.026, 5.195, 52.142)
EXTENT, BUFFER = 4096, 64


@pytest.mark.parametrize("z", [9, 11, 12, 14])
def test_grid_streams_equal_clipping_every_tile_from_scratch(demo_store: Store, z: int) -> None:
    geometry = RegionTiles(demo_store).geometry(Level.buurt, 2024)
    grid = geometry.grid(z)
    compared = 0
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
        np.testing.assert_array_equal(lengths, expected_lengths)
        np.testing.assert_array_equal(commands, expected_commands)
        compared += 1
    assert compared >= 2


def test_only_regions_crossing_the_buffered_edge_are_clipped() -> None:
    """Fixture made here: three squares in and around tile 2/1/1 (its origin is 4096, 4096 on
    the world grid at z2), in EPSG:3857."""
    z, extent = 2, 4096
    metre = 2 * 20037508.342789244 / (extent * 2**z)  # one grid unit

    def square(x0: float, y0: float, size: float) -> shapely.Polygon:
        # grid x right, y down -> EPSG:3857 x right, y up from the world's top-left corner
        return shapely.box(-20037508.342789244 + x0 * metre, 20037508.342789244 - (y0 + size) * metre,
                           -20037508.342789244 + (x0 + size) * metre, 20037508.342789244 - y0 * metre)

    o = 4096
    regions = np.array([square(o + 100, o + 100, 50), square(o + 4000, o + 100, 200), square(o + 4150, o + 300, 10)], dtype=object)
    grid = zoom_grid(regions, WEB_MERCATOR, z, extent)
    clipped: list[list[int]] = []

    def clip(crossing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        clipped.append(crossing.tolist())
        return np.array([9, 9, 9], dtype=np.int64), np.array([3] * len(crossing), dtype=np.int64)

    commands, lengths = tile_commands(grid, np.array([0, 1, 2]), 1, 1, extent, 64, clip)
    assert clipped == [[1]]  # 0 is inside, 2 lies inside the 64-unit buffer, 1 reaches past it
    assert lengths.tolist() == [11, 3, 11]  # MoveTo + 3 LineTo (4 corners) + ClosePath = 11
    # The first MoveTo of each shifted region is one of its corners in tile coordinates (zigzag: 2v).
    assert commands[1] // 2 in (100, 150) and commands[2] // 2 in (100, 150)
    assert commands[14 + 1] // 2 in (4150, 4160) and commands[14 + 2] // 2 in (300, 310)
    assert commands[11:14].tolist() == [9, 9, 9]  # the clipped region's stream, in its place


def test_zooms_made_side_by_side_equal_zooms_made_one_at_a_time(demo_store: Store) -> None:
    alone = RegionTiles(demo_store).geometry(Level.buurt, 2024)
    together = RegionTiles(demo_store).geometry(Level.buurt, 2024)
    together.prepare([12, 6, 9, 3, 14])
    assert together.prepared_zooms() == [3, 6, 9, 12, 14]
    for z in (3, 6, 9, 12, 14):
        expected, made = alone.grid(z), together.grid(z)
        for field in ("commands", "starts", "lengths", "first", "bounds"):
            np.testing.assert_array_equal(getattr(made, field), getattr(expected, field))
