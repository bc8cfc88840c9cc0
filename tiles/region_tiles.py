"""Build the vector tile of one level for a query: region polygons with values, and label points."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from geodata.dataset import Dataset
from geodata.regions import Level, feature_id
from tiles.encode import TileLayer, encode_tile, to_tile_coords, to_tile_points
from tiles.generalise import LevelGeometry
from tiles.grid import tile_commands
from tiles.mvt import POINT, POLYGON, point_commands, polygon_commands
from tiles.query import TileQuery
from tiles.tilemath import tile_bounds

EXACT_FROM_ZOOM = 15  # below a metre per tolerance: show the geometry as built
# Names become readable (and label points worth their bytes) from these zooms on.
LABEL_MIN_ZOOM = {Level.gemeente: 7, Level.wijk: 10, Level.buurt: 12}


def label_layer_name(level: Level) -> str:
    return f"{level.value}_label"


class RegionTiles:
    """Tiles for every level and year of one dataset; geometry prepared once, lazily per zoom."""

    def __init__(self, dataset: Dataset, extent: int = 4096, buffer: int = 64) -> None:
        self.dataset = dataset
        self.extent = extent
        self.buffer = buffer
        self._geometry: dict[tuple[Level, int], tuple[LevelGeometry, pd.DataFrame]] = {}

    def geometry(self, level: Level, year: int) -> tuple[LevelGeometry, pd.DataFrame]:
        key = (level, year)
        if key not in self._geometry:
            regions = self.dataset.regions_of(level, year).sort_values("code")
            in_3857 = regions.to_crs("EPSG:3857")
            attributes = regions.drop(columns="geometry").reset_index(drop=True)
            attributes["feature_id"] = [feature_id(c) for c in attributes["code"]]
            self._geometry[key] = (
                LevelGeometry(np.asarray(in_3857.geometry.array), self.extent, EXACT_FROM_ZOOM),
                attributes,
            )
        return self._geometry[key]

    def tile(self, query: TileQuery, z: int, x: int, y: int, extra: Mapping[str, pd.Series] | None = None) -> bytes:
        """The encoded tile, or b'' when no region touches it. `extra`: more attributes, by region code
        (e.g. hotspot classes); the caller keys its cache on whatever produced them."""
        geometry, attributes = self.geometry(query.level, query.year)
        bounds = tile_bounds(z, x, y)
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
        if z < LABEL_MIN_ZOOM[query.level]:
            return encode_tile([polygons], self.extent)

        label_xy = to_tile_points(geometry.labels[hits], bounds, self.extent)
        inside = np.all((label_xy >= 0) & (label_xy < self.extent), axis=1)
        label_points = TileLayer(
            label_layer_name(query.level),
            {key: columns[key][inside] for key in ("code", "name", "gemeente_code") if key in columns},
            ids[inside],
            POINT,
            point_commands(label_xy[inside]),
        )
        return encode_tile([polygons, label_points], self.extent)

    def _columns(self, query: TileQuery, regions: pd.DataFrame) -> dict[str, np.ndarray]:
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
        codes = regions["code"]
        for group in query.groups:
            values, statuses = self.dataset.table(query.level, query.year, group)
            for indicator in query.indicators:
                name = query.attribute(indicator, group)
                if indicator in values.columns:
                    value = values[indicator].reindex(codes).to_numpy(dtype=float)
                    status = statuses[indicator].reindex(codes).to_numpy(dtype=object)
                else:
                    value, status = np.full(n, np.nan), np.full(n, None, dtype=object)
                ok = status == "ok"
                shown = np.full(n, None, dtype=object)
                # One type per column: whole numbers as integers, otherwise doubles.
                if np.all(np.mod(value[ok], 1) == 0):
                    shown[ok] = value[ok].astype(np.int64).tolist()
                else:
                    shown[ok] = value[ok].tolist()
                columns[name] = shown
                reason = np.where(ok, None, status)
                reason[(reason == None) & ~ok] = "missing"  # noqa: E711 (elementwise)
                columns[f"{name}__status"] = reason
        return columns
