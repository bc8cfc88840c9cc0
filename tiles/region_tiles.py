"""Build the vector tile of one level for a selection: region polygons with figures, and label points."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import pandas as pd

from geodata.cells import Status
from geodata.regions import Level, feature_id
from geodata.selection import Selection
from store import Store
from tiles.encode import TileLayer, encode_tile, to_tile_coords, to_tile_points
from tiles.generalise import LevelGeometry
from tiles.grid import tile_commands
from tiles.mvt import POINT, POLYGON, point_commands, polygon_commands
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
        self._geometry: dict[tuple[str, Level, int], tuple[LevelGeometry, pd.DataFrame]] = {}
        self._figure_columns: dict[tuple[Level, int, str, str], tuple[np.ndarray, np.ndarray]] = {}
        self._lock = threading.Lock()

    def geometry(self, level: Level, year: int, pyramid: Pyramid = WEB_MERCATOR) -> tuple[LevelGeometry, pd.DataFrame]:
        key = (pyramid.id, level, year)
        if key in self._geometry:
            return self._geometry[key]
        with self._lock:  # made once: the tile threads would otherwise both make it
            if key not in self._geometry:
                regions = self.store.regions(level, year)  # sorted by code, like the store's figures
                projected = regions.to_crs(pyramid.crs)
                attributes = regions.drop(columns="geometry").reset_index(drop=True)
                attributes["feature_id"] = [feature_id(c) for c in attributes["code"]]
                self._geometry[key] = (
                    LevelGeometry(np.asarray(projected.geometry.array), pyramid, self.extent, EXACT_FROM_ZOOM),
                    attributes,
                )
        return self._geometry[key]

    def usage(self) -> Usage:
        """What these tiles have made so far: each (pyramid, level, year) geometry with the zooms asked for,
        and the figure columns; for the tiles of the version that replaces this one (`prepare`)."""
        geometry = [(key, tuple(g.prepared_zooms())) for key, (g, _) in list(self._geometry.items())]
        return Usage(tuple(geometry), tuple(self._figure_columns))

    def prepare(self, usage: Usage) -> None:
        """Make what `usage` (of the version this one replaces) names, where this dataset has it. Done before
        the swap, the tiles asked most do not pay for it afterwards (a zoom of national wijken takes seconds)."""
        available = self.store.availability
        for (pyramid_id, level, year), zooms in usage.geometry:
            if year in available.years.get(level, ()):
                geometry, _ = self.geometry(level, year, PYRAMID_BY_ID[pyramid_id])
                for z in zooms:
                    geometry.grid(z)
        for level, year, group, indicator in usage.figures:
            if group in available.indicators_with_data(level, year).get(indicator, ()):
                self._figure_column(level, year, group, indicator)

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
        geometry, attributes = self.geometry(query.level, query.year, pyramid)
        bounds = pyramid.tile_bounds(z, x, y)
        pad = (bounds[2] - bounds[0]) * self.buffer / self.extent
        hits = geometry.query((bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad))
        if len(hits) == 0:
            return b""

        def clip(crossing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return polygon_commands(to_tile_coords(geometry.at_zoom(z)[crossing], bounds, self.extent, self.buffer))

        commands, lengths = tile_commands(geometry.grid(z), hits, x, y, self.extent, self.buffer, clip)
        keep = lengths > 0
        if not keep.any():
            return b""
        hits, lengths = hits[keep], lengths[keep]
        columns = self._columns(query, attributes.iloc[hits])
        for name, series in (extra or {}).items():
            values = series.reindex(columns["code"]).astype(object)
            columns[name] = values.where(values.notna(), None).to_numpy()
        ids = attributes["feature_id"].to_numpy()[hits]
        polygons = TileLayer(query.level.value, columns, ids, POLYGON, (commands, lengths))
        if z < label_min_zoom(query.level, pyramid):
            return encode_tile([polygons], self.extent)

        label_xy = to_tile_points(geometry.labels[hits], bounds, self.extent)
        inside = np.all((label_xy >= 0) & (label_xy < self.extent), axis=1)
        label_points = TileLayer(
            label_layer_name(query.level),
            {key: columns[key][inside] for key in LABEL_FIELDS if key in columns},
            ids[inside],
            POINT,
            point_commands(label_xy[inside]),
        )
        return encode_tile([polygons, label_points], self.extent)

    def _columns(self, query: Selection, regions: pd.DataFrame) -> dict[str, np.ndarray]:
        """Attribute columns, one entry per region; None where a feature has no such attribute."""
        n = len(regions)
        columns: dict[str, np.ndarray] = {
            "code": regions["code"].to_numpy(dtype=object),
            "name": regions["name"].to_numpy(dtype=object),
        }
        for parent in ("gemeente_code", "wijk_code"):
            if regions[parent].notna().any():
                columns[parent] = regions[parent].astype(object).where(regions[parent].notna(), None).to_numpy()
        columns["year"] = np.full(n, query.year, dtype=object)
        positions = regions.index.to_numpy()
        for indicator, group in query.figures():
            shown, reason = self._figure_column(query.level, query.year, group, indicator)
            name = query.attribute(indicator, group)
            columns[name] = shown[positions]
            columns[f"{name}__status"] = reason[positions]
            # A break in the series before this figure (herkomst, indeling): absent on most features.
            breaks = self.store.figure_breaks(query.level, query.year, group, indicator)
            if breaks is not None:
                columns[f"{name}__breuk"] = breaks[positions]
        return columns

    def _figure_column(self, level: Level, year: int, group: str, indicator: str) -> tuple[np.ndarray, np.ndarray]:
        """(value or None, status or None) per region of the level and year, made once per figure."""
        key = (level, year, group, indicator)
        if key not in self._figure_columns:
            figures = self.store.figures(level, year, group, indicator)
            value = figures.values.to_numpy(dtype=float)
            status = figures.statuses.to_numpy(dtype=object)
            ok = status == Status.ok.value
            shown = np.full(len(value), None, dtype=object)
            # One type per column: whole numbers as integers, otherwise doubles.
            if np.all(np.mod(value[ok], 1) == 0):
                shown[ok] = value[ok].astype(np.int64).tolist()
            else:
                shown[ok] = value[ok].tolist()
            self._figure_columns[key] = (shown, np.where(ok, None, status))
        return self._figure_columns[key]
