"""numba's tile loops (tiles.kernels, tiles.clip) compiled in a short-lived process before the tile workers
call them.

numba compiles a loop on its first call on a machine, or the first after its file changed (`cache=True`:
kept in __pycache__ or numba's cache folder), and a process that compiled keeps the compiler's memory
until it ends: a tile worker that compiled them held 277 MB before it opened a dataset, against 161 MB when
it loaded them from the cache, and a national server summed 1,005 MB RSS instead of 868. Here a process
of its own makes a small tile through the same functions as RegionTiles.tile (the same argument types,
so the same compiled versions) and ends; the workers load the loops from the cache.
"""

from __future__ import annotations

import logging
import multiprocessing

import numpy as np
import shapely

from children import exit_with_parent
from tiles import clip
from tiles.encode import TileLayer, encode_tile, to_tile_coords
from tiles.grid import tile_commands, zoom_grid
from tiles.kernels import label_streams
from tiles.mvt import POINT, POLYGON, polygon_commands
from tiles.tilemath import WEB_MERCATOR

log = logging.getLogger("wijkmonitor")
COMPILE_SECONDS = 300.0  # a first compile takes 30-40 s on 2 cores; past this the workers compile themselves


def start_compiling() -> multiprocessing.process.BaseProcess:
    """A spawned process that compiles every tile loop, or loads it from numba's cache (2-3 s then), and
    ends; for `compiled`."""
    process = multiprocessing.get_context("spawn").Process(target=_compile, name="compile-tile-loops", daemon=True)
    process.start()
    return process


def compiled(process: multiprocessing.process.BaseProcess) -> None:
    """Waits for `process` (start_compiling). Should it fail, the workers compile what they call
    themselves, as before."""
    process.join(COMPILE_SECONDS)
    if process.is_alive():
        process.kill()
        process.join()
    if process.exitcode != 0:
        log.warning("numba's tile loops were not compiled ahead (exit code %s): the tile workers compile them", process.exitcode)


def _compile() -> None:
    exit_with_parent()
    call_each_loop()


def call_each_loop() -> None:
    """A z1 tile of two squares, one inside it and one across its edge, with a label layer, encoded;
    then clip.warm_up for the clipping loops' other entry points. Compiles the loops, or loads them from
    numba's cache (a tile worker, before its first tile: tiles.workers._warm_up)."""
    extent, buffer, z, x, y = 4096, 64, 1, 0, 0
    quarter = WEB_MERCATOR.span / 4
    left, top = WEB_MERCATOR.origin
    squares = np.array([
        shapely.box(left + quarter * 0.5, top - quarter * 1.5, left + quarter, top - quarter),  # inside tile 0/0
        shapely.box(left + quarter * 1.5, top - quarter * 1.5, left + quarter * 2.5, top - quarter),  # across its edge
    ])
    grid = zoom_grid(squares, WEB_MERCATOR, z, extent)
    bounds = WEB_MERCATOR.tile_bounds(z, x, y)
    hits = np.arange(len(squares))
    commands = tile_commands(
        grid, hits, x, y, extent, buffer, lambda rows: polygon_commands(to_tile_coords(squares[rows], bounds, extent, buffer)),
    )
    columns = {"code": ["BU01", "BU02"], "value": [1.5, None]}
    polygons = TileLayer.of_columns("regions", columns, hits, POLYGON, commands)
    centres = np.ascontiguousarray(shapely.get_coordinates(shapely.centroid(squares)))
    scale = extent / (bounds[2] - bounds[0])
    label_commands, label_lengths, inside = label_streams(centres, hits, bounds[0], bounds[3], scale, extent)
    codes = [code for code, shown in zip(columns["code"], inside) if shown]
    labels = TileLayer.of_columns("labels", {"code": codes}, hits[inside], POINT, (label_commands, label_lengths))
    encode_tile([polygons, labels], extent)
    clip.warm_up()
