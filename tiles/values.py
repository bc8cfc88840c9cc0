"""Attribute values of vector tiles, each distinct value encoded once as an MVT Value message.

A tile's layer needs a table of its distinct values and, per feature, positions in it. Encoding
and deduplicating values per tile cost more than the geometry when a tile carries many figures,
so a `ValueTable` gives every value an id once (per level and year in practice) and keeps its
Value message bytes; a layer's table is then gathered from those bytes by id (mvt.encode_layer).
Values of different kinds stay distinct: 1, 1.0 and True are three values.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from tiles import kernels
from tiles.mvt import LAYER_VALUE, ranges, varint_sizes, varints, zigzag

# Value message fields: 1 string, 3 double, 5 uint (non-negative integers), 6 sint, 7 bool.
VALUE_STRING, VALUE_DOUBLE, VALUE_INT, VALUE_SINT, VALUE_BOOL = 1, 3, 5, 6, 7
KIND_ORDER = (VALUE_STRING, VALUE_INT, VALUE_DOUBLE, VALUE_BOOL)  # a layer's table, grouped by kind
_KIND_OF_DTYPE = {"string": VALUE_STRING, "integer": VALUE_INT, "floating": VALUE_DOUBLE, "boolean": VALUE_BOOL}


@dataclass(frozen=True)
class Encoded:
    """Per value id: the rank of its kind in KIND_ORDER, and its Value message (field 4 of a layer,
    key and size included) as `data[offsets[id]:offsets[id] + sizes[id]]`. Never changed once made:
    a table that grows makes a new one, so a tile being encoded keeps a consistent view."""

    rank: np.ndarray
    offsets: np.ndarray
    sizes: np.ndarray
    data: np.ndarray  # uint8

    def messages(self, ids: np.ndarray) -> bytes:
        """The Value messages of `ids`, in that order."""
        return kernels.gather_bytes(self.data, self.offsets, self.sizes, np.ascontiguousarray(ids, dtype=np.int64)).tobytes()


EMPTY = Encoded(np.empty(0, np.int8), np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.uint8))


class ValueTable:
    """Ids for attribute values, each value's Value message made once; safe to share between threads."""

    def __init__(self) -> None:
        self._ids: dict[tuple[int, Any], int] = {}  # (kind, value) -> id
        self._lock = threading.Lock()
        self.encoded = EMPTY

    def ids(self, column: np.ndarray | list[Any]) -> np.ndarray:
        """The id of each value of `column`, -1 where it has none (None, NaN); new values are added."""
        codes, uniques = pd.factorize(np.asarray(column, dtype=object), use_na_sentinel=True)
        if len(uniques) == 0:
            return codes.astype(np.int64)
        kinds = value_kinds(uniques)
        found = np.empty(len(uniques), dtype=np.int64)
        with self._lock:
            new: list[int] = []
            for i, key in enumerate(zip(kinds.tolist(), uniques)):
                known = self._ids.get(key)
                if known is None:
                    known = self._ids[key] = len(self._ids)
                    new.append(i)
                found[i] = known
            if new:
                self.encoded = _extended(self.encoded, kinds[new], uniques[new])
        return np.where(codes >= 0, found[codes], -1)


def value_kinds(uniques: np.ndarray) -> np.ndarray:
    """The Value field each value goes in: one inference for a column of one kind, else value by value."""
    kind = _KIND_OF_DTYPE.get(pd.api.types.infer_dtype(uniques, skipna=False))
    return np.full(len(uniques), kind) if kind else np.array([_kind(v) for v in uniques])


def _kind(value: Any) -> int:
    if isinstance(value, str):
        return VALUE_STRING
    if isinstance(value, (bool, np.bool_)):
        return VALUE_BOOL
    if isinstance(value, (int, np.integer)):
        return VALUE_INT
    return VALUE_DOUBLE


def _extended(encoded: Encoded, kinds: np.ndarray, values: np.ndarray) -> Encoded:
    """`encoded` with `values` (of `kinds`) appended, in that order."""
    sizes = np.empty(len(values), dtype=np.int64)
    parts: list[tuple[np.ndarray, bytes]] = []
    for kind in KIND_ORDER:
        of_kind = np.flatnonzero(kinds == kind)
        if len(of_kind):
            data, sizes[of_kind] = _encode_values(kind, values[of_kind])
            parts.append((of_kind, data))
    # Laid out kind by kind; offsets say where each value (in the given order) landed.
    offsets = np.empty(len(values), dtype=np.int64)
    at = len(encoded.data)
    for of_kind, data in parts:
        offsets[of_kind] = at + np.cumsum(sizes[of_kind]) - sizes[of_kind]
        at += len(data)
    rank = np.array([KIND_ORDER.index(k) for k in kinds], dtype=np.int8)
    return Encoded(
        np.concatenate([encoded.rank, rank]),
        np.concatenate([encoded.offsets, offsets]),
        np.concatenate([encoded.sizes, sizes]),
        np.concatenate([encoded.data, *(np.frombuffer(data, dtype=np.uint8) for _, data in parts)]),
    )


def _encode_values(kind: int, values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Value messages of one kind, concatenated, and the size of each."""
    if kind == VALUE_DOUBLE:
        # Every double is the same 11 bytes: field 4, length 9, field 3 (fixed64), value.
        records = np.zeros(len(values), dtype=np.dtype([("head", "u1", 3), ("value", "<f8")]))
        records["head"] = (LAYER_VALUE, 9, VALUE_DOUBLE << 3 | 1)
        records["value"] = values.astype(float)
        return records.tobytes(), np.full(len(values), 11, dtype=np.int64)
    if kind == VALUE_STRING:
        return _encode_strings(values)
    if kind == VALUE_BOOL:
        flags = np.array([bool(v) for v in values], dtype=np.int64)
        heads = np.column_stack([np.full(len(values), LAYER_VALUE), np.full(len(values), 2), np.full(len(values), VALUE_BOOL << 3), flags])
        return varints(heads.ravel()).tobytes(), np.full(len(values), 4, dtype=np.int64)
    # Integers: [field 4, size, field 5 (uint) or 6 (sint, zigzag), varint]; the body is under 128 bytes.
    numbers = np.array([int(v) for v in values], dtype=np.int64)
    negative = numbers < 0
    unsigned = np.where(negative, zigzag(numbers), numbers)
    body_sizes = 1 + varint_sizes(unsigned)
    heads = np.column_stack([np.full(len(values), LAYER_VALUE), body_sizes, np.where(negative, VALUE_SINT << 3, VALUE_INT << 3), unsigned])
    return varints(heads.ravel()).tobytes(), 2 + body_sizes


def _encode_strings(values: np.ndarray) -> tuple[bytes, np.ndarray]:
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
    return out.tobytes(), head_sizes + sizes
