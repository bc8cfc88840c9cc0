"""Per-zoom generalisation that keeps shared borders shared.

The regions of one level and year form a clean coverage (the build ran coverage_clean),
so shapely's coverage_simplify can simplify every shared edge once, for both neighbours:
no gaps, no overlaps, at any zoom.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import shapely
import shapely.ops

from tiles.grid import ZoomGrid, zoom_grid
from tiles.tilemath import Pyramid

# Simplify away detail smaller than this many tile units (a 4096 tile shown at 512 px has 8 units per pixel).
TOLERANCE_UNITS = 4.0
# Zooms prepared side by side: GEOS and the encoder's kernels release the GIL for most of a zoom's work.
PREPARE_THREADS = 2


def simplify_coverage(geoms: np.ndarray, pyramid: Pyramid, z: int, extent: int) -> np.ndarray:
    """The coverage simplified for display at zoom z of the pyramid (in its CRS, in and out)."""
    return shapely.coverage_simplify(geoms, pyramid.unit_size(z, extent) * TOLERANCE_UNITS, simplify_boundary=True)


class LevelGeometry:
    """Regions of one level and year in a pyramid's CRS with a spatial index and per-zoom versions.
    `exact_from_zoom` is a Web Mercator zoom (see Pyramid.web_mercator_zoom)."""

    def __init__(self, geoms: np.ndarray, pyramid: Pyramid, extent: int, exact_from_zoom: int) -> None:
        self.geoms = geoms
        self.pyramid = pyramid
        self.extent = extent
        self.exact_from_zoom = exact_from_zoom
        self.tree = shapely.STRtree(geoms)
        self.labels = _label_points(geoms)
        self.label_xy = np.ascontiguousarray(shapely.get_coordinates(self.labels))  # for the tiles' label layers
        # Each simplified zoom as WKB: a tile rebuilds only the regions it clips. As shapely geometries the
        # 15 simplified zooms of national buurten held 91 MB, as WKB 28 MB.
        self._wkb: dict[int, np.ndarray] = {}
        self._grids: dict[int, ZoomGrid] = {}
        self._lock = threading.Lock()
        self._zoom_locks: dict[int, threading.Lock] = {}

    def _zoom_lock(self, z: int) -> threading.Lock:
        """One thread makes a zoom, the others wait for its result; other zooms are made meanwhile."""
        with self._lock:
            return self._zoom_locks.setdefault(z, threading.Lock())

    def exact(self, z: int) -> bool:
        return self.pyramid.web_mercator_zoom(z) >= self.exact_from_zoom

    def at_zoom(self, z: int, rows: np.ndarray | None = None) -> np.ndarray:
        """The regions simplified for zoom z (the grid's source), or those of `rows`."""
        if self.exact(z):
            return self.geoms if rows is None else self.geoms[rows]
        self.grid(z)
        return shapely.from_wkb(self._wkb[z] if rows is None else self._wkb[z][rows])

    def grid(self, z: int) -> ZoomGrid:
        """The zoom's regions snapped to the world tile grid and encoded once (see tiles.grid)."""
        if z not in self._grids:
            with self._zoom_lock(z):
                if z not in self._grids:
                    if self.exact(z):
                        simplified = self.geoms
                    else:
                        simplified = simplify_coverage(self.geoms, self.pyramid, z, self.extent)
                        self._wkb[z] = shapely.to_wkb(simplified)
                    self._grids[z] = zoom_grid(simplified, self.pyramid, z, self.extent)
        return self._grids[z]

    def prepare(self, zooms: Iterable[int]) -> None:
        """Make the grids of `zooms`, PREPARE_THREADS at a time."""
        todo = [z for z in zooms if z not in self._grids]
        if len(todo) < 2:
            for z in todo:
                self.grid(z)
            return
        with ThreadPoolExecutor(PREPARE_THREADS, thread_name_prefix="zoom") as pool:
            for _ in pool.map(self.grid, todo):  # raises the first error
                pass

    def prepared_zooms(self) -> list[int]:
        """The zooms whose grid has been made."""
        return sorted(list(self._grids))  # list() copies while holding the GIL: safe beside a zoom being added

    def query(self, bounds: tuple[float, float, float, float]) -> np.ndarray:
        """Indices of regions whose envelope meets the box, in stable (code) order."""
        return np.sort(self.tree.query(shapely.box(*bounds)))


def _label_points(geoms: np.ndarray) -> np.ndarray:
    """A point well inside each region's largest part, for names (pole of inaccessibility)."""
    points = []
    for geom in geoms:
        parts = getattr(geom, "geoms", [geom])
        largest = max(parts, key=lambda p: p.area)
        tolerance = max(np.sqrt(largest.area) / 100, 1.0)
        points.append(shapely.ops.polylabel(largest, tolerance))
    return np.array(points, dtype=object)

