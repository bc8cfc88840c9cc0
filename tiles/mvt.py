"""MVT 2.1 encoding of a whole layer at once.

mapbox-vector-tile's encoder walks every vertex in Python (about 50 µs a feature), too slow
for thousands of buurten in one low-zoom tile. Here the command streams of all features of
a layer come from shapely's vectorised parts/rings/coordinates in one compiled pass, and the
features are written as protobuf wire format in one compiled pass too (every field of a
Feature is a varint or a packed list of varints; tiles.kernels). Attribute values come as ids
of values encoded once (tiles.values).

Input geometry is already in integer tile coordinates, valid, with exterior rings of
positive surveyor's area (see tiles.encode).
"""

from __future__ import annotations

import functools
import itertools
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import shapely

from tiles import kernels

if TYPE_CHECKING:
    from tiles.values import Encoded

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
    return kernels.polygon_streams(
        np.rint(coords).astype(np.int64), coord_ring.astype(np.int64), part_feature[ring_part].astype(np.int64), len(geoms)
    )


# The smallest value that needs 2, 3, ... 10 bytes as a varint.
_VARINT_LIMITS = np.array([1 << shift for shift in range(7, 64, 7)], dtype=np.uint64)


def varint_sizes(values: np.ndarray) -> np.ndarray:
    """Bytes each non-negative value takes as a protobuf varint."""
    values = np.asarray(values).astype(np.uint64)
    sizes = np.ones(len(values), dtype=np.int64)
    longer = np.flatnonzero(values >= 128)  # most values of a tile (tags, deltas) take one byte
    if len(longer):
        sizes[longer] = np.searchsorted(_VARINT_LIMITS, values[longer], side="right") + 1
    return sizes


def varints(values: np.ndarray) -> np.ndarray:
    """Protobuf varint bytes of non-negative int64 values, concatenated."""
    values = np.asarray(values, dtype=np.int64)
    sizes = varint_sizes(values)
    out = np.empty(int(sizes.sum()), dtype=np.uint8)
    at = np.cumsum(sizes) - sizes
    # Byte by byte: 7 bits each, the continuation bit on all but a value's last byte; each pass
    # only over the values that are still longer.
    rest, left = values, sizes
    while len(rest):
        out[at] = (rest & 0x7F) | ((left > 1) << 7)
        longer = left > 1
        rest, left, at = rest[longer] >> 7, left[longer] - 1, at[longer] + 1
    return out


def varint(value: int) -> bytes:
    """One non-negative value's varint; plain Python, as numpy costs more for one value."""
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


# Field keys (field number << 3 | wire type) of the spec's messages (a feature's: tiles.kernels);
# all below 128, so each is its own one-byte varint.
TILE_LAYER = 3 << 3 | 2
LAYER_NAME, LAYER_KEY, LAYER_VALUE = 1 << 3 | 2, 3 << 3 | 2, 4 << 3 | 2
LAYER_EXTENT = 5 << 3 | 0
LAYER_VERSION = 15 << 3 | 0


def encode_layer(
    name: str,
    geometry_type: int,
    geometry: tuple[np.ndarray, np.ndarray],
    keys: Sequence[str],
    values: np.ndarray,
    table: Encoded,
    ids: list[int] | np.ndarray,
    extent: int,
) -> bytes:
    """One layer's bytes; features with an empty geometry (length 0) are left out.

    `values[feature, k]` is the id in `table` (tiles.values) of the feature's value of `keys[k]`, -1 where
    it has none. A key no feature has is left out. The layer's value table holds each value once, grouped
    by kind (strings, integers, doubles, booleans), each kind in the order of first use, key by key."""
    commands, lengths = geometry
    n = len(lengths)
    values = np.ascontiguousarray(values, dtype=np.int64).reshape(n, len(keys))
    kept = lengths > 0
    has_key, used, tags, tag_counts = kernels.layer_tags(values, kept, table.rank, _scratch(len(table.rank)))
    keys = list(itertools.compress(keys, has_key.tolist()))
    features = _features(tags, tag_counts, commands, lengths[kept], np.asarray(ids, dtype=np.int64)[kept], geometry_type)
    # version (field 15) first, as spec 4.1 recommends; decoders read fields in any order.
    return (
        bytes([LAYER_VERSION, 2]) + length_delimited(LAYER_NAME, name.encode()) + b"".join(map(_key, keys))
        + table.messages(used) + bytes([LAYER_EXTENT]) + varint(extent) + features
    )


_scratch_of_thread = threading.local()


def _scratch(size: int) -> np.ndarray:
    """This thread's array for kernels.layer_tags: -1 for each of at least `size` value ids."""
    scratch = getattr(_scratch_of_thread, "array", None)
    if scratch is None or len(scratch) < size:
        scratch = _scratch_of_thread.array = np.full(max(size, 2 * len(scratch) if scratch is not None else 0), -1, np.int64)
    return scratch


@functools.lru_cache(maxsize=4096)
def _key(name: str) -> bytes:
    return length_delimited(LAYER_KEY, name.encode())


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
    """Layer field 2 (Feature) for each feature as wire bytes (kernels.feature_messages)."""
    if len(ids) == 0:
        return b""
    return kernels.feature_messages(
        *(np.ascontiguousarray(a, dtype=np.int64) for a in (tags, tag_counts, commands, lengths, ids)), geometry_type
    ).tobytes()
