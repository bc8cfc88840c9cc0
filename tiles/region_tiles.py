"""Build the vector tile of one level for a query: region polygons with values, and label points."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import shapely

from geodata.dataset import Dataset
from geodata.regions import Level, feature_id
from tiles.encode import TileLayer, encode_tile, to_tile_coords, to_tile_points
from tiles.generalise import LevelGeometry
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
            self._geometry[key] = (
                LevelGeometry(attributes["code"].to_numpy(), np.asarray(in_3857.geometry.array), self.extent, EXACT_FROM_ZOOM),
                attributes,
            )
        return self._geometry[key]

    def tile(self, query: TileQuery, z: int, x: int, y: int) -> bytes:
        """The encoded tile, or b'' when no region touches it."""
        geometry, attributes = self.geometry(query.level, query.year)
        bounds = tile_bounds(z, x, y)
        pad = (bounds[2] - bounds[0]) * self.buffer / self.extent
        hits = geometry.query((bounds[0] - pad, bounds[1] - pad, bounds[2] + pad, bounds[3] + pad))
        if len(hits) == 0:
            return b""
        shapes = to_tile_coords(geometry.at_zoom(z)[hits], bounds, self.extent, self.buffer)
        keep = ~shapely.is_empty(shapes)
        hits, shapes = hits[keep], shapes[keep]
        if len(hits) == 0:
            return b""
        properties = self._properties(query, attributes.iloc[hits])
        codes = attributes["code"].to_numpy()[hits]
        polygons = TileLayer(query.level.value, shapes, properties, [feature_id(c) for c in codes])
        if z < LABEL_MIN_ZOOM[query.level]:
            return encode_tile([polygons], self.extent)

        labels = geometry.labels[hits]
        label_xy = to_tile_points(labels, bounds, self.extent)
        inside = np.all((label_xy >= 0) & (label_xy < self.extent), axis=1)
        label_points = TileLayer(
            label_layer_name(query.level),
            np.array([shapely.Point(p) for p in label_xy[inside]], dtype=object),
            [{"code": p["code"], "name": p["name"]} for p, ok in zip(properties, inside) if ok],
            [feature_id(c) for c in codes[inside]],
        )
        return encode_tile([polygons, label_points], self.extent)

    def _properties(self, query: TileQuery, regions: pd.DataFrame) -> list[dict[str, object]]:
        columns: dict[str, list[object]] = {
            "code": list(regions["code"]),
            "name": list(regions["name"]),
        }
        for parent in ("gemeente_code", "wijk_code"):
            if regions[parent].notna().any():
                columns[parent] = list(regions[parent])
        per_attribute: list[tuple[str, list[object], list[object]]] = []
        for group in query.groups:
            values, statuses = self.dataset.table(query.level, query.year, group)
            for indicator in query.indicators:
                name = query.attribute(indicator, group)
                if indicator in values.columns:
                    v = values[indicator].reindex(regions["code"]).tolist()
                    s = statuses[indicator].reindex(regions["code"]).tolist()
                else:
                    v = [math.nan] * len(regions)
                    s = [None] * len(regions)
                per_attribute.append((name, v, s))
        result = []
        for i in range(len(regions)):
            props: dict[str, object] = {k: v[i] for k, v in columns.items() if isinstance(v[i], str)}
            props["year"] = query.year
            for name, v, s in per_attribute:
                if s[i] == "ok":
                    value = v[i]
                    props[name] = int(value) if float(value).is_integer() else float(value)
                else:
                    props[f"{name}__status"] = s[i] if isinstance(s[i], str) else "missing"
            result.append(props)
        return result
