"""Build the vector tile of one level for a selection: region polygons with figures, and label points."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from geodata.regions import Level
from geodata.selection import Selection
from store import Store
from tiles.attributes import LevelAttributes
from tiles.encode import TileLayer, encode_tile, to_tile_coords
from tiles.generalise import LevelGeometry
from tiles.grid import tile_commands
from tiles.kernels import label_streams
from tiles.mvt import POINT, POLYGON, polygon_commands
from tiles.tilemath import PYRAMID_BY_ID, WEB_MERCATOR, Pyramid

# Zooms here are Web Mercator zooms; another pyramid compares its own through Pyramid.web_mercator_zoom.
EXACT_FROM_ZOOM = 15  # below a metre per tolerance: show the geometry as built
# Names become readable (and label points worth their bytes) from these zooms on.
LABEL_MIN_ZOOM = {Level.gemeente: 7, Level.wijk: 10, Level.buurt: 12}
LABEL_FIELDS = ("code", "name", "gemeente_code")  # what a label point carries
CENTER_ZOOM = {Level.gemeente: 7, Level.wijk: 10, Level.buurt: 10}  # where a client first shows a level


class Usage(NamedTuple):
    """What a dataset version's tiles have made (RegionTiles.usage): plain values, sent between processes."""

    geometry: tuple[tuple[tuple[str, Level, int], tuple[int, ...]], ...]  # ((pyramid id, level, year), zooms)
    figures: tuple[tuple[Level, int, str, str], ...]  # (level, year, group, indicator)


def label_layer_name(level: Level) -> str:
    return f"{level.value}_label"


def label_min_zoom(level: Level, pyramid: Pyramid = WEB_MERCATOR) -> int:
    return max(LABEL_MIN_ZOOM[level] - pyramid.zoom_offset, 0)


def center_zoom(level: Level, pyramid: Pyramid = WEB_MERCATOR) -> int:
    return max(CENTER_ZOOM[level] - pyramid.zoom_offset, 0)


class RegionTiles:
    """Tiles for every level and year of one dataset, in any pyramid; geometry prepared once, lazily per zoom."""

    def __init__(self, store: Store, extent: int = 4096, buffer: int = 64) -> None:
        self.store = store
        self.extent = extent
        self.buffer = buffer
        self._geometry: dict[tuple[str, Level, int], LevelGeometry] = {}
        self._attributes: dict[tuple[Level, int], LevelAttributes] = {}
        self._lock = threading.Lock()

    def geometry(self, level: Level, year: int, pyramid: Pyramid = WEB_MERCATOR) -> LevelGeometry:
        key = (pyramid.id, level, year)
        if key in self._geometry:
            return self._geometry[key]
        with self._lock:  # made once: the tile threads would otherwise both make it
            if key not in self._geometry:
                regions = self.store.regions(level, year)  # sorted by code, like the store's figures
                projected = regions.to_crs(pyramid.crs)
                self._geometry[key] = LevelGeometry(np.asarray(projected.geometry.array), pyramid, self.extent, EXACT_FROM_ZOOM)
        return self._geometry[key]

    def attributes(self, level: Level, year: int) -> LevelAttributes:
        """The value ids of the level and year's regions and figures (the same in every pyramid)."""
        key = (level, year)
        if key not in self._attributes:
            with self._lock:
                if key not in self._attributes:
                    self._attributes[key] = LevelAttributes(self.store, level, year)
        return self._attributes[key]

    def usage(self) -> Usage:
        """What these tiles have made so far: each (pyramid, level, year) geometry with the zooms asked for,
        and the figure columns; for the tiles of the version that replaces this one (`prepare`)."""
        geometry = [(key, tuple(g.prepared_zooms())) for key, g in list(self._geometry.items())]
        figures = [(level, year, group, indicator) for (level, year), a in list(self._attributes.items()) for group, indicator in a.made()]
        return Usage(tuple(geometry), tuple(figures))

    def prepare(self, usage: Usage) -> None:
        """Make what `usage` (of the version this one replaces) names, where this dataset has it. Done before
        the swap, the tiles asked most do not pay for it afterwards (a zoom of national wijken takes seconds)."""
        available = self.store.availability
        for (pyramid_id, level, year), zooms in usage.geometry:
            if year in available.years.get(level, ()):
                self.geometry(level, year, PYRAMID_BY_ID[pyramid_id]).prepare(zooms)
        for level, year, group, indicator in usage.figures:
            if group in available.indicators_with_data(level, year).get(indicator, ()):
                self.attributes(level, year).figure(group, indicator)

    def tile(
        self,
        query: Selection,
        z: int,
        x: int,
        y: int,
        extra: Mapping[str, pd.Series] | None = None,
        pyramid: Pyramid = WEB_MERCATOR,
    ) -> bytes:
        """The encoded tile, or b'' when no region touches it. `extra`: more attributes, by region code
        (e.g. hotspot classes); the caller keys its cache on whatever produced them."""
        geometry = self.geometry(query.level, query.year, pyramid)
        bounds = pyramid.tile_bounds(z, x, y)
        pad = (bounds[2] - bounds[0]) * self.buffer / self.extent
        hits = geometry.query((bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad))
        if len(hits) == 0:
            return b""

        def clip(crossing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return polygon_commands(to_tile_coords(geometry.at_zoom(z, crossing), bounds, self.extent, self.buffer))

        commands, lengths = tile_commands(geometry.grid(z), hits, x, y, self.extent, self.buffer, clip)
        keep = lengths > 0
        if not keep.any():
            return b""
        hits, lengths = hits[keep], lengths[keep]
        attributes = self.attributes(query.level, query.year)
        keys, values, table = attributes.gather(query, hits, extra)
        ids = attributes.feature_ids[hits]
        polygons = TileLayer(query.level.value, keys, values, table, ids, POLYGON, (commands, lengths))
        if z < label_min_zoom(query.level, pyramid):
            return encode_tile([polygons], self.extent)

        scale = self.extent / (bounds[2] - bounds[0])
        label_commands, label_lengths, inside = label_streams(geometry.label_xy, hits, bounds[0], bounds[3], scale, self.extent)
        label_keys = [k for k in LABEL_FIELDS if k in keys]
        label_points = TileLayer(
            label_layer_name(query.level),
            label_keys,
            values[inside][:, [keys.index(k) for k in label_keys]],
            table,
            ids[inside],
            POINT,
            (label_commands, label_lengths),
        )
        return encode_tile([polygons, label_points], self.extent)
