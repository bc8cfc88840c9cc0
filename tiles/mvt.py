"""MVT 2.1 encoding of a whole layer at once.

mapbox-vector-tile's encoder walks every vertex in Python (about 50 µs a feature), too slow
for thousands of buurten in one low-zoom tile. Here the command streams of all features of
a layer come from one numpy pass over shapely's vectorised parts/rings/coordinates, and the
tile is assembled with mapbox-vector-tile's own protobuf schema.

Input geometry is already in integer tile coordinates, valid, with exterior rings of
positive surveyor's area (see tiles.encode).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely
from mapbox_vector_tile.Mapbox import vector_tile_pb2

MOVE_TO, LINE_TO, CLOSE_PATH = 1, 2, 7
POINT, POLYGON = 1, 3  # GeomType in the spec


def command(command_id: int, count: int | np.ndarray) -> int | np.ndarray:
    return (count << 3) | command_id


def zigzag(values: np.ndarray) -> np.ndarray:
    return (values << 1) ^ (values >> 63)


def polygon_commands(geoms: np.ndarray) -> list[np.ndarray | None]:
    """The geometry command stream of each (multi)polygon; None for an empty geometry."""
    streams: list[np.ndarray | None] = [None] * len(geoms)
    parts, part_feature = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)  # exterior first, then holes
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    if len(coords) == 0:
        return streams
    coords = np.rint(coords).astype(np.int64)
    same_ring_as_next = np.r_[coord_ring[1:] == coord_ring[:-1], False]
    repeats_previous = np.r_[False, np.all(coords[1:] == coords[:-1], axis=1) & same_ring_as_next[:-1]]
    keep = same_ring_as_next & ~repeats_previous  # drop each ring's closing point and repeated points
    coords, coord_ring = coords[keep], coord_ring[keep]

    ring_ids, ring_first, ring_size = np.unique(coord_ring, return_index=True, return_counts=True)
    feature_of_ring = part_feature[ring_part[ring_ids]]
    feature_of_coord = np.repeat(feature_of_ring, ring_size)

    # Deltas: the cursor runs on across rings and parts and starts at (0, 0) per feature.
    previous = np.vstack([np.zeros((1, 2), dtype=np.int64), coords[:-1]])
    starts_feature = np.r_[True, feature_of_coord[1:] != feature_of_coord[:-1]]
    previous[starts_feature] = 0
    deltas = zigzag(coords - previous)

    # Per ring: MoveTo(1) dx dy, LineTo(k-1) dx dy ..., ClosePath(1): 2k + 3 integers.
    ring_length = 2 * ring_size + 3
    ring_start = np.r_[0, np.cumsum(ring_length)[:-1]]
    out = np.empty(int(ring_length.sum()), dtype=np.int64)
    out[ring_start] = command(MOVE_TO, 1)
    out[ring_start + 3] = command(LINE_TO, ring_size - 1)
    out[ring_start + ring_length - 1] = command(CLOSE_PATH, 1)
    index_in_ring = np.arange(len(coords)) - np.repeat(ring_first, ring_size)
    position = np.repeat(ring_start, ring_size) + 1 + 2 * index_in_ring + (index_in_ring > 0) * 1
    out[position] = deltas[:, 0]
    out[position + 1] = deltas[:, 1]

    feature_ids, feature_first_ring = np.unique(feature_of_ring, return_index=True)
    bounds = np.r_[ring_start[feature_first_ring], len(out)]
    for k, feature in enumerate(feature_ids):
        streams[feature] = out[bounds[k] : bounds[k + 1]]
    return streams


def point_commands(xy: np.ndarray) -> list[np.ndarray]:
    """MoveTo(1) x y for each point (integer tile coordinates)."""
    encoded = zigzag(np.asarray(xy, dtype=np.int64))
    return [np.array([command(MOVE_TO, 1), x, y], dtype=np.int64) for x, y in encoded]


def add_layer(
    tile: Any,
    name: str,
    geometry_type: int,
    streams: list[np.ndarray | None],
    columns: dict[str, np.ndarray],
    ids: list[int],
    extent: int,
) -> None:
    """Append a layer. `columns` maps each key to one value per feature (None = absent);
    each column is factorised once, so every distinct value is stored once."""
    layer = tile.layers.add()
    layer.version = 2
    layer.name = name
    layer.extent = extent
    n = len(streams)
    key_index = np.empty((n, len(columns)), dtype=np.int64)
    value_index = np.empty((n, len(columns)), dtype=np.int64)
    present = np.zeros((n, len(columns)), dtype=bool)
    offset = 0
    for k, (key, column) in enumerate(columns.items()):
        codes, uniques = pd.factorize(pd.Series(column, dtype=object), use_na_sentinel=True)
        layer.keys.append(key)
        for value in uniques:
            _add_value(layer, value)
        key_index[:, k] = k
        value_index[:, k] = codes + offset
        present[:, k] = codes >= 0
        offset += len(uniques)
    tags = np.empty((n, 2 * len(columns)), dtype=np.int64)
    tags[:, 0::2] = key_index
    tags[:, 1::2] = value_index
    tag_present = np.repeat(present, 2, axis=1)
    per_feature = np.split(tags[tag_present], np.cumsum(tag_present.sum(axis=1))[:-1])
    for stream, feature_tags, fid in zip(streams, per_feature, ids):
        if stream is None:
            continue
        feature = layer.features.add()
        feature.id = fid
        feature.type = geometry_type
        feature.geometry.extend(stream.tolist())
        feature.tags.extend(feature_tags.tolist())


def _add_value(layer: Any, value: Any) -> None:
    entry = layer.values.add()
    if isinstance(value, str):
        entry.string_value = value
    elif isinstance(value, (bool, np.bool_)):
        entry.bool_value = bool(value)
    elif isinstance(value, (int, np.integer)):
        if value >= 0:
            entry.uint_value = int(value)
        else:
            entry.sint_value = int(value)
    else:
        entry.double_value = float(value)


def new_tile() -> Any:
    return vector_tile_pb2.tile()
