"""Each zoom's regions on the world's integer tile grid, encoded once.

MVT coordinates are integers relative to the tile, and a command stream holds differences
between points, so a region that lies wholly inside a tile (with its buffer) has the same
stream in every tile but for its first MoveTo. Snapping a zoom's regions to the world grid
(tile units times 2^z) and encoding each once leaves a tile only gathering its regions'
streams and shifting their first points; only regions that cross the tile's buffered edge are
clipped per tile. At z6 and z7 that is most of the work of a tile with thousands of buurten.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import shapely

from tiles.clip import clip_rings, merge_streams
from tiles.encode import snap_to_grid
from tiles.kernels import gather_streams
from tiles.mvt import polygon_commands
from tiles.tilemath import Pyramid

Commands = tuple[np.ndarray, np.ndarray]  # concatenated command streams, length per region


@dataclass(frozen=True)
class ZoomGrid:
    """Command streams of all regions at one zoom on the world grid (x right, y down)."""

    commands: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray  # 0: the region vanishes at this zoom
    first: np.ndarray  # (n, 2) each region's first point, the one a tile shifts
    bounds: np.ndarray  # (n, 4) on the world grid


def zoom_grid(geoms: np.ndarray, pyramid: Pyramid, z: int, extent: int) -> ZoomGrid:
    """`geoms` in the pyramid's CRS."""
    scale = extent * 2**z / pyramid.span
    left, top = pyramid.origin
    on_grid = snap_to_grid(geoms, lambda c: np.column_stack(((c[:, 0] - left) * scale, (top - c[:, 1]) * scale)))
    commands, lengths = polygon_commands(on_grid)
    starts = np.cumsum(lengths) - lengths
    first = np.zeros((len(lengths), 2), dtype=np.int64)
    has = lengths > 0
    # A feature's first MoveTo is relative to (0, 0): its parameters are the point itself, zigzagged.
    for axis in (0, 1):
        encoded = commands[starts[has] + 1 + axis]
        first[has, axis] = (encoded >> 1) ^ -(encoded & 1)
    return ZoomGrid(commands, starts, lengths, first, shapely.bounds(on_grid))


def tile_commands(
    grid: ZoomGrid, hits: np.ndarray, x: int, y: int, extent: int, buffer: int, clip: Callable[[np.ndarray], Commands]
) -> Commands:
    """Command streams of regions `hits` in tile x, y, in the order of `hits`. Regions that cross
    the buffered tile edge are clipped on the grid (tiles.clip) or, where that cannot, by `clip`
    (given their indices), which makes their streams."""
    ox, oy = x * extent, y * extent
    b = grid.bounds[hits]
    inside = (
        (grid.lengths[hits] == 0)
        | ((b[:, 0] >= ox - buffer) & (b[:, 1] >= oy - buffer) & (b[:, 2] <= ox + extent + buffer) & (b[:, 3] <= oy + extent + buffer))
    )
    crossing_commands, crossing_lengths = crossing_streams(grid, hits[~inside], ox, oy, extent, buffer, clip)
    return gather_streams(
        grid.commands, grid.starts, grid.lengths, grid.first, hits.astype(np.int64), inside, ox, oy, crossing_commands, crossing_lengths
    )


def crossing_streams(
    grid: ZoomGrid, crossing: np.ndarray, ox: int, oy: int, extent: int, buffer: int, clip: Callable[[np.ndarray], Commands]
) -> Commands:
    """Streams of regions `crossing` in the tile at (ox, oy) on the world grid, in their order."""
    if len(crossing) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    clipped, clipped_lengths, done = clip_rings(grid.commands, grid.starts, grid.lengths, crossing.astype(np.int64), ox, oy, extent, buffer)
    if done.all():
        return clipped, clipped_lengths
    others, other_lengths = clip(crossing[~done])
    return merge_streams(done, clipped, clipped_lengths, others, other_lengths)
