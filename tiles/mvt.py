"""MVT 2.1 encoding of a whole layer at once.

mapbox-vector-tile's encoder walks every vertex in Python (about 50 µs a feature), too slow
for thousands of buurten in one low-zoom tile. Here the command streams of all features of
a layer come from one numpy pass over shapely's vectorised parts/rings/coordinates, and the
features are written as protobuf wire format in one numpy pass too (every field of a
Feature is a varint or a packed list of varints). The value table is written per kind of
value (strings, integers, doubles, booleans) with each distinct value once across all keys.

Input geometry is already in integer tile coordinates, valid, with exterior rings of
positive surveyor's area (see tiles.encode).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import shapely

MOVE_TO, LINE_TO, CLOSE_PATH = 1, 2, 7
POINT, POLYGON = 1, 3  # GeomType in the spec


def command(command_id: int, count: int | np.ndarray) -> int | np.ndarray:
    return (count << 3) | command_id


def zigzag(values: np.ndarray | int) -> np.ndarray | int:
    return (values << 1) ^ (values >> 63)


def polygon_commands(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The command streams of all (multi)polygons, concatenated, and the length of each (0: empty)."""
    parts, part_feature = shapely.get_parts(geoms, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)  # exterior first, then holes
    coords, coord_ring = shapely.get_coordinates(rings, return_index=True)
    if len(coords) == 0:
        return np.empty(0, dtype=np.int64), np.zeros(len(geoms), dtype=np.int64)
    coords = np.rint(coords).astype(np.int64)
    same_ring_as_next = np.r_[coord_ring[1:] == coord_ring[:-1], False]
    repeats_previous = np.r_[False, np.all(coords[1:] == coords[:-1], axis=1) & same_ring_as_next[:-1]]
    keep = same_ring_as_next & ~repeats_previous  # drop each ring's closing point and repeated points
    coords, coord_ring = coords[keep], coord_ring[keep]
    # Rounding can also put a ring's last point on its first (A B C A' -> A B C A): drop it, as
    # ClosePath already returns to the start.
    _, first = np.unique(coord_ring, return_index=True)
    last = np.r_[first[1:], len(coords)] - 1
    closes_early = np.all(coords[last] == coords[first], axis=1) & (last > first)
    if closes_early.any():
        drop = np.zeros(len(coords), dtype=bool)
        drop[last[closes_early]] = True
        coords, coord_ring = coords[~drop], coord_ring[~drop]

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

    return out, np.bincount(feature_of_ring, weights=ring_length, minlength=len(geoms)).astype(np.int64)


def point_commands(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """MoveTo(1) x y for each point (integer tile coordinates), concatenated; 3 integers each."""
    encoded = zigzag(np.asarray(xy, dtype=np.int64).reshape(-1, 2))
    out = np.empty((len(encoded), 3), dtype=np.int64)
    out[:, 0] = command(MOVE_TO, 1)
    out[:, 1:] = encoded
    return out.ravel(), np.full(len(encoded), 3, dtype=np.int64)


# The smallest value that needs 2, 3, ... 10 bytes as a varint.
_VARINT_LIMITS = np.array([1 << shift for shift in range(7, 64, 7)], dtype=np.uint64)


def varint_sizes(values: np.ndarray) -> np.ndarray:
    """Bytes each non-negative value takes as a protobuf varint."""
    return np.searchsorted(_VARINT_LIMITS, np.asarray(values).astype(np.uint64), side="right") + 1


def varints(values: np.ndarray) -> np.ndarray:
    """Protobuf varint bytes of non-negative int64 values, concatenated."""
    values = np.asarray(values, dtype=np.int64)
    sizes = varint_sizes(values)
    width = int(sizes.max(initial=1))
    # Every value's 7-bit groups side by side, with the continuation bit on all but its last;
    # reading the wanted groups row by row gives the varints in order.
    groups = (values[:, None] >> (7 * np.arange(width))) & 0x7F
    wanted = np.arange(width) < sizes[:, None]
    groups[:, :-1] |= wanted[:, 1:] * 0x80
    return groups[wanted].astype(np.uint8)


def varint(value: int) -> bytes:
    return varints(np.array([value], dtype=np.int64)).tobytes()


# Field keys (field number << 3 | wire type) of the spec's messages; all below 128, so each
# is its own one-byte varint.
TILE_LAYER = 3 << 3 | 2
LAYER_NAME, LAYER_FEATURE, LAYER_KEY, LAYER_VALUE = 1 << 3 | 2, 2 << 3 | 2, 3 << 3 | 2, 4 << 3 | 2
LAYER_EXTENT = 5 << 3 | 0
LAYER_VERSION = 15 << 3 | 0
# Value message fields: 1 string, 3 double, 5 uint (our non-negative integers), 6 sint, 7 bool.
VALUE_STRING, VALUE_DOUBLE, VALUE_INT, VALUE_SINT, VALUE_BOOL = 1, 3, 5, 6, 7
FEATURE_ID, FEATURE_TAGS, FEATURE_TYPE, FEATURE_GEOMETRY = 1 << 3 | 0, 2 << 3 | 2, 3 << 3 | 0, 4 << 3 | 2


def encode_layer(
    name: str,
    geometry_type: int,
    geometry: tuple[np.ndarray, np.ndarray],
    columns: dict[str, np.ndarray],
    ids: list[int] | np.ndarray,
    extent: int,
) -> bytes:
    """One layer's bytes; features with an empty geometry (length 0) are left out.

    `columns` maps each key to one value per feature (None = absent); a key no feature has
    is left out, and every distinct value is stored once across all keys."""
    commands, lengths = geometry
    n = len(lengths)
    # factorize on the object array itself: wrapping it in a Series first costs 5x as much per key.
    factorised = [(key, *pd.factorize(np.asarray(column, dtype=object), use_na_sentinel=True)) for key, column in columns.items()]
    factorised = [(key, codes, uniques) for key, codes, uniques in factorised if len(uniques)]
    values, positions = _value_table([uniques for _, _, uniques in factorised])
    value_index = np.full((n, len(factorised)), -1, dtype=np.int64)
    for k, (_, codes, _) in enumerate(factorised):
        value_index[:, k] = np.where(codes >= 0, positions[k][codes], -1)
    present = value_index >= 0
    kept = lengths > 0
    tags = np.empty((n, 2 * len(factorised)), dtype=np.int64)
    tags[:, 0::2] = np.arange(len(factorised))
    tags[:, 1::2] = value_index
    tag_present = np.repeat(present, 2, axis=1) & kept[:, None]
    features = _features(
        tags[tag_present], tag_present.sum(axis=1)[kept], commands, lengths[kept],
        np.asarray(ids, dtype=np.int64)[kept], geometry_type,
    )
    keys = b"".join(length_delimited(LAYER_KEY, key.encode()) for key, _, _ in factorised)
    # version (field 15) first, as spec 4.1 recommends; decoders read fields in any order.
    return (
        bytes([LAYER_VERSION, 2]) + length_delimited(LAYER_NAME, name.encode()) + keys + values
        + bytes([LAYER_EXTENT]) + varint(extent) + features
    )


def _kind(value: Any) -> int:
    """The Value field a value goes in, so that 1, 1.0 and True stay distinct entries."""
    if isinstance(value, str):
        return VALUE_STRING
    if isinstance(value, (bool, np.bool_)):
        return VALUE_BOOL
    if isinstance(value, (int, np.integer)):
        return VALUE_INT
    return VALUE_DOUBLE


_KIND_OF_DTYPE = {"string": VALUE_STRING, "integer": VALUE_INT, "floating": VALUE_DOUBLE, "boolean": VALUE_BOOL}


def _value_table(uniques_per_key: list[np.ndarray]) -> tuple[bytes, list[np.ndarray]]:
    """The layer's Value messages (field 4, wire bytes), and for each key the position of each
    of its distinct values in that table. Values are grouped by kind and factorised once per
    kind over all keys, so a value two keys share is stored once."""
    if not uniques_per_key:
        return b"", []
    kinds = []
    for uniques in uniques_per_key:
        kind = _KIND_OF_DTYPE.get(pd.api.types.infer_dtype(uniques, skipna=False))
        kinds.append(np.full(len(uniques), kind) if kind else np.array([_kind(v) for v in uniques]))
    all_values = np.concatenate([np.asarray(u, dtype=object) for u in uniques_per_key])
    all_kinds = np.concatenate(kinds)
    position = np.empty(len(all_values), dtype=np.int64)
    table, offset = [], 0
    for kind in (VALUE_STRING, VALUE_INT, VALUE_DOUBLE, VALUE_BOOL):
        of_kind = np.flatnonzero(all_kinds == kind)
        if len(of_kind) == 0:
            continue
        codes, distinct = pd.factorize(all_values[of_kind])
        position[of_kind] = offset + codes
        table.append(_encode_values(kind, list(distinct)))
        offset += len(distinct)
    ends = np.cumsum([len(u) for u in uniques_per_key])
    return b"".join(table), np.split(position, ends[:-1])


def _encode_values(kind: int, values: list[Any]) -> bytes:
    if kind == VALUE_DOUBLE:
        # Every double is the same 11 bytes: field 4, length 9, field 3 (fixed64), value.
        records = np.zeros(len(values), dtype=np.dtype([("head", "u1", 3), ("value", "<f8")]))
        records["head"] = (LAYER_VALUE, 9, VALUE_DOUBLE << 3 | 1)
        records["value"] = values
        return records.tobytes()
    if kind == VALUE_STRING:
        return _encode_strings(values)
    if kind == VALUE_BOOL:
        return b"".join(bytes([LAYER_VALUE, 2, VALUE_BOOL << 3, int(bool(v))]) for v in values)
    out = []
    for v in values:
        v = int(v)
        body = bytes([VALUE_INT << 3]) + varint(v) if v >= 0 else bytes([VALUE_SINT << 3]) + varint(zigzag(v))
        out.append(length_delimited(LAYER_VALUE, body))
    return b"".join(out)


def _encode_strings(values: list[str]) -> bytes:
    """[field 4, inner size, field 1, size, utf-8...] per string, assembled in numpy."""
    encoded = [v.encode() for v in values]
    sizes = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
    inner = 1 + varint_sizes(sizes) + sizes
    heads = np.column_stack([np.full(len(sizes), LAYER_VALUE), inner, np.full(len(sizes), VALUE_STRING << 3 | 2), sizes])
    head_sizes = 2 + varint_sizes(inner) + varint_sizes(sizes)
    starts = np.cumsum(head_sizes + sizes) - head_sizes - sizes
    out = np.empty(int((head_sizes + sizes).sum()), dtype=np.uint8)
    out[ranges(starts, head_sizes)] = varints(heads.ravel())
    out[ranges(starts + head_sizes, sizes)] = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    return out.tobytes()


def length_delimited(key: int, payload: bytes) -> bytes:
    """A bytes/message field: its key (one byte: field numbers below 16), the size, the payload."""
    n = len(payload)
    return (bytes([key, n]) if n < 128 else bytes([key]) + varint(n)) + payload


def ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """starts[i], starts[i] + 1, ... (counts[i] of them) for every i, concatenated."""
    first = np.cumsum(counts) - counts
    return np.repeat(starts, counts) + np.arange(int(counts.sum())) - np.repeat(first, counts)


def _features(
    tags: np.ndarray, tag_counts: np.ndarray, commands: np.ndarray, lengths: np.ndarray, ids: np.ndarray, geometry_type: int
) -> bytes:
    """Layer field 2 (Feature) for each feature as wire bytes, from one array of varint values:
    [2, size, 1, id, 2, size(tags), tags..., 3, type, 4, size(geometry), geometry...] per feature."""
    n = len(ids)
    if n == 0:
        return b""
    tag_bytes = np.bincount(np.repeat(np.arange(n), tag_counts), weights=varint_sizes(tags), minlength=n).astype(np.int64)
    geometry_bytes = np.bincount(
        np.repeat(np.arange(n), lengths), weights=varint_sizes(commands), minlength=n
    ).astype(np.int64)
    feature_bytes = (
        1 + varint_sizes(ids)
        + 1 + varint_sizes(tag_bytes) + tag_bytes
        + 2
        + 1 + varint_sizes(geometry_bytes) + geometry_bytes
    )
    per_feature = 10 + tag_counts + lengths
    start = np.cumsum(per_feature) - per_feature
    out = np.empty(int(per_feature.sum()), dtype=np.int64)
    for offset, value in enumerate((LAYER_FEATURE, feature_bytes, FEATURE_ID, ids, FEATURE_TAGS, tag_bytes)):
        out[start + offset] = value
    out[ranges(start + 6, tag_counts)] = tags
    after_tags = start + 6 + tag_counts
    for offset, value in enumerate((FEATURE_TYPE, geometry_type, FEATURE_GEOMETRY, geometry_bytes)):
        out[after_tags + offset] = value
    out[ranges(after_tags + 4, lengths)] = commands
    return varints(out).tobytes()
