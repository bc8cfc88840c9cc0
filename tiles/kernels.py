"""The MVT encoder's per-tile loops, compiled with numba.

A tile at z10 and up holds a few dozen regions: numpy spends more on each call than on the
work, and a tile took about 100 numpy calls. These loops do the same in one compiled pass
each. They take contiguous int64 arrays (mvt.py and grid.py pass them so), are compiled once
per machine (`cache=True`: kept in __pycache__, or numba's cache folder) and release the GIL,
so threads that make tiles run on both cores.
"""

from __future__ import annotations

import numba
import numpy as np

MOVE_TO, LINE_TO, CLOSE_PATH = 1, 2, 7  # command ids (spec 4.3.3)
MOVE_TO_ONE, CLOSE_PATH_ONE = 1 << 3 | MOVE_TO, 1 << 3 | CLOSE_PATH  # each with a count of 1
# Field keys (field number << 3 | wire type) of Layer.features and of Feature's fields.
LAYER_FEATURE = 2 << 3 | 2
FEATURE_ID, FEATURE_TAGS, FEATURE_TYPE, FEATURE_GEOMETRY = 1 << 3 | 0, 2 << 3 | 2, 3 << 3 | 0, 4 << 3 | 2


@numba.njit(cache=True, nogil=True)
def _varint_size(value: int) -> int:
    size = 1
    while value >= 128:
        value >>= 7
        size += 1
    return size


@numba.njit(cache=True, nogil=True)
def _put_varint(out: np.ndarray, at: int, value: int) -> int:
    while value >= 128:
        out[at] = (value & 0x7F) | 0x80
        value >>= 7
        at += 1
    out[at] = value
    return at + 1


@numba.njit(cache=True, nogil=True)
def polygon_streams(coords: np.ndarray, coord_ring: np.ndarray, ring_feature: np.ndarray, features: int) -> tuple[np.ndarray, np.ndarray]:
    """Command streams of polygons from their rings' integer coordinates (`coord_ring` ascending, each
    ring closed, `ring_feature` ascending), concatenated, and each feature's length.

    Per ring: each ring's closing point and repeated points are dropped, and a last point that
    rounding put on the first (A B C A' -> A B C A), as ClosePath returns to the start; then
    MoveTo(1) dx dy, LineTo(k-1) dx dy ..., ClosePath(1). The cursor runs on across the rings and
    parts of a feature and starts at (0, 0) per feature."""
    n, rings = coords.shape[0], ring_feature.shape[0]
    xs, ys = np.empty(n, np.int64), np.empty(n, np.int64)
    ring_start, ring_size = np.zeros(rings, np.int64), np.zeros(rings, np.int64)
    kept = i = 0
    while i < n:
        ring = coord_ring[i]
        end = i
        while end < n and coord_ring[end] == ring:
            end += 1
        start = kept
        for q in range(i, end - 1):
            x, y = coords[q, 0], coords[q, 1]
            if kept > start and x == xs[kept - 1] and y == ys[kept - 1]:
                continue
            xs[kept], ys[kept] = x, y
            kept += 1
        if kept - start > 1 and xs[kept - 1] == xs[start] and ys[kept - 1] == ys[start]:
            kept -= 1
        ring_start[ring], ring_size[ring] = start, kept - start
        i = end

    lengths = np.zeros(features, np.int64)
    total = 0
    for ring in range(rings):
        total += 2 * ring_size[ring] + 3
        lengths[ring_feature[ring]] += 2 * ring_size[ring] + 3
    out = np.empty(total, np.int64)
    at = cx = cy = 0
    feature = -1
    for ring in range(rings):
        if ring_feature[ring] != feature:
            feature, cx, cy = ring_feature[ring], 0, 0
        size, start = ring_size[ring], ring_start[ring]
        out[at] = MOVE_TO_ONE
        at += 1
        for q in range(size):
            if q == 1:
                out[at] = ((size - 1) << 3) | LINE_TO
                at += 1
            dx, dy = xs[start + q] - cx, ys[start + q] - cy
            out[at], out[at + 1] = (dx << 1) ^ (dx >> 63), (dy << 1) ^ (dy >> 63)
            at += 2
            cx, cy = xs[start + q], ys[start + q]
        if size == 1:
            out[at] = LINE_TO  # LineTo(0): the 2k + 3 integers of a ring all the same
            at += 1
        out[at] = CLOSE_PATH_ONE
        at += 1
    return out, lengths


@numba.njit(cache=True, nogil=True)
def gather_streams(
    commands: np.ndarray, starts: np.ndarray, lengths: np.ndarray, first: np.ndarray, hits: np.ndarray,
    inside: np.ndarray, ox: int, oy: int, crossing_commands: np.ndarray, crossing_lengths: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The streams of regions `hits` in their order: a region inside the tile takes its world-grid stream
    with the first MoveTo shifted by (-ox, -oy); the others take the next of the crossing streams."""
    out_lengths = np.empty(hits.shape[0], np.int64)
    c = 0
    for i in range(hits.shape[0]):
        if inside[i]:
            out_lengths[i] = lengths[hits[i]]
        else:
            out_lengths[i] = crossing_lengths[c]
            c += 1
    out = np.empty(out_lengths.sum(), np.int64)
    at = c = crossing_at = 0
    for i in range(hits.shape[0]):
        size = out_lengths[i]
        if inside[i]:
            row = hits[i]
            out[at:at + size] = commands[starts[row]:starts[row] + size]
            if size:
                dx, dy = first[row, 0] - ox, first[row, 1] - oy
                out[at + 1], out[at + 2] = (dx << 1) ^ (dx >> 63), (dy << 1) ^ (dy >> 63)
        else:
            out[at:at + size] = crossing_commands[crossing_at:crossing_at + size]
            crossing_at += size
        at += size
    return out, out_lengths


@numba.njit(cache=True, nogil=True)
def layer_tags(values: np.ndarray, kept: np.ndarray, rank: np.ndarray, scratch: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A layer's keys, value table and tags from `values[feature, key]`, ids of a value table (-1: none).

    Returns which keys some feature has (the others are left out), the ids the layer's table holds in
    its order (grouped by `rank`, each group in the order of first use, key by key, feature by feature),
    and the tags (key index, value index) of the `kept` features, concatenated, with their count per
    kept feature. `scratch` holds -1 for every id and does again on return: a value's place in the
    layer's table, found without sorting the tile's values."""
    n, k = values.shape
    has_key = np.zeros(k, np.bool_)
    used = np.empty(n * k, np.int64)
    count = 0
    for j in range(k):
        for i in range(n):
            value = values[i, j]
            if value >= 0:
                has_key[j] = True
                if scratch[value] < 0:
                    scratch[value] = count
                    used[count] = value
                    count += 1
    used = used[:count]
    used = used[np.argsort(rank[used], kind="mergesort")]  # stable: first use decides within a kind
    for place in range(count):
        scratch[used[place]] = place
    key_index = np.cumsum(has_key) - 1
    tag_counts = np.zeros(n, np.int64)
    tags = np.empty(2 * n * k, np.int64)
    t = 0
    for i in range(n):
        if kept[i]:
            for j in range(k):
                value = values[i, j]
                if value >= 0:
                    tags[t], tags[t + 1] = key_index[j], scratch[value]
                    t += 2
                    tag_counts[i] += 2
    for place in range(count):
        scratch[used[place]] = -1
    return has_key, used, tags[:t], tag_counts[kept]


@numba.njit(cache=True, nogil=True)
def feature_messages(
    tags: np.ndarray, tag_counts: np.ndarray, commands: np.ndarray, lengths: np.ndarray, ids: np.ndarray, geometry_type: int,
) -> np.ndarray:
    """Layer field 2 (Feature) of each feature as wire bytes:
    [2, size, 1, id, 2, size(tags), tags..., 3, type, 4, size(geometry), geometry...] per feature."""
    n = ids.shape[0]
    tag_bytes, geometry_bytes, body = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.int64)
    total = t = c = 0
    for i in range(n):
        for _ in range(tag_counts[i]):
            tag_bytes[i] += _varint_size(tags[t])
            t += 1
        for _ in range(lengths[i]):
            geometry_bytes[i] += _varint_size(commands[c])
            c += 1
        body[i] = (1 + _varint_size(ids[i]) + 1 + _varint_size(tag_bytes[i]) + tag_bytes[i] + 2
                   + 1 + _varint_size(geometry_bytes[i]) + geometry_bytes[i])
        total += 1 + _varint_size(body[i]) + body[i]
    out = np.empty(total, np.uint8)
    at = t = c = 0
    for i in range(n):
        out[at] = LAYER_FEATURE
        at = _put_varint(out, at + 1, body[i])
        out[at] = FEATURE_ID
        at = _put_varint(out, at + 1, ids[i])
        out[at] = FEATURE_TAGS
        at = _put_varint(out, at + 1, tag_bytes[i])
        for _ in range(tag_counts[i]):
            at = _put_varint(out, at, tags[t])
            t += 1
        out[at], out[at + 1], out[at + 2] = FEATURE_TYPE, geometry_type, FEATURE_GEOMETRY
        at = _put_varint(out, at + 3, geometry_bytes[i])
        for _ in range(lengths[i]):
            at = _put_varint(out, at, commands[c])
            c += 1
    return out


@numba.njit(cache=True, nogil=True)
def gather_bytes(data: np.ndarray, offsets: np.ndarray, sizes: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """data[offsets[i]:offsets[i] + sizes[i]] for each i of `ids`, concatenated (a layer's Value messages)."""
    total = 0
    for i in ids:
        total += sizes[i]
    out = np.empty(total, np.uint8)
    at = 0
    for i in ids:
        out[at:at + sizes[i]] = data[offsets[i]:offsets[i] + sizes[i]]
        at += sizes[i]
    return out


@numba.njit(cache=True, nogil=True)
def label_streams(
    xy: np.ndarray, rows: np.ndarray, minx: float, maxy: float, scale: float, extent: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The label points of `rows` (world coordinates `xy`) that fall inside the tile (not its buffer):
    MoveTo(1) dx dy each, concatenated, 3 integers each, and which of `rows` they are."""
    n = rows.shape[0]
    inside = np.zeros(n, np.bool_)
    out = np.empty(3 * n, np.int64)
    at = 0
    for i in range(n):
        # np.rint's rounding (half to even), as the polygons' coordinates are rounded
        x = np.int64(np.rint((xy[rows[i], 0] - minx) * scale))
        y = np.int64(np.rint((maxy - xy[rows[i], 1]) * scale))
        if 0 <= x < extent and 0 <= y < extent:
            inside[i] = True
            out[at], out[at + 1], out[at + 2] = MOVE_TO_ONE, (x << 1) ^ (x >> 63), (y << 1) ^ (y >> 63)
            at += 3
    return out[:at], np.full(at // 3, 3, np.int64), inside
