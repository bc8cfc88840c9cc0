"""Clip, quantise and encode features as a Mapbox Vector Tile (spec 2.1).

Geometry is brought into integer tile coordinates (y down) here and made valid on that
grid: mapbox-vector-tile's own rounding can leave self-intersections, repeated points and
two-point rings, which QGIS and strict decoders reject. Exterior rings get positive
surveyor's area in tile coordinates (clockwise on screen); QGIS draws nothing otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import mapbox_vector_tile
import numpy as np
import shapely


@dataclass
class TileLayer:
    name: str
    geometries: np.ndarray  # in integer tile coordinates
    properties: list[dict[str, Any]]
    ids: list[int] = field(default_factory=list)


def to_tile_coords(
    geoms: np.ndarray, bounds: tuple[float, float, float, float], extent: int, buffer: int
) -> np.ndarray:
    """Clip to the buffered tile, scale to 0..extent (y down), snap to the integer grid, orient.

    Polygons that collapse on the grid come back empty.
    """
    minx, miny, maxx, maxy = bounds
    pad = (maxx - minx) * buffer / extent
    clipped = shapely.clip_by_rect(geoms, minx - pad, miny - pad, maxx + pad, maxy + pad)
    scale = extent / (maxx - minx)

    def scale_coords(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(((coords[:, 0] - minx) * scale, (maxy - coords[:, 1]) * scale))

    in_tile = shapely.transform(clipped, scale_coords)
    # set_precision snaps to the grid and repairs what snapping breaks (GEOS precision reducer).
    on_grid = shapely.set_precision(in_tile, 1.0)
    on_grid = shapely.orient_polygons(on_grid, exterior_cw=False)
    return on_grid


def to_tile_points(points: np.ndarray, bounds: tuple[float, float, float, float], extent: int) -> np.ndarray:
    minx, miny, maxx, maxy = bounds
    scale = extent / (maxx - minx)
    xy = shapely.get_coordinates(points)
    return np.column_stack((np.round((xy[:, 0] - minx) * scale), np.round((maxy - xy[:, 1]) * scale))).astype(int)


def encode_tile(layers: list[TileLayer], extent: int) -> bytes:
    """Encode layers; layers without features are left out. Empty result -> b''."""
    payload = []
    for layer in layers:
        features = [
            {"geometry": geom, "properties": props, **({"id": layer.ids[i]} if layer.ids else {})}
            for i, (geom, props) in enumerate(zip(layer.geometries, layer.properties))
        ]
        if features:
            payload.append({"name": layer.name, "features": features})
    if not payload:
        return b""
    return mapbox_vector_tile.encode(
        payload,
        default_options={
            "y_coord_down": True,
            "extents": extent,
            "check_winding_order": False,  # oriented above, on the integer grid
        },
    )
