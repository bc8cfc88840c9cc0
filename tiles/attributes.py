"""What the features of one level and year carry, as value ids (tiles.values) made once.

A region's own attributes (code, name, parent codes, year) are made when the level and year is
first asked; each figure's columns (value, status, break) when a tile first carries it. A tile
then gathers its regions' rows of ids, whatever the number of figures: no per-tile pandas work
and no value encoded twice.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from geodata.cells import Status
from geodata.regions import Level, feature_id
from geodata.selection import Selection
from store import Store
from tiles.values import Encoded, ValueTable

REGION_KEYS = ("code", "name", "gemeente_code", "wijk_code", "year")
FigureKey = tuple[str, str]  # group, indicator
MAX_QUERIES = 256  # queries whose columns are kept per level and year; more and they are worked out again


class LevelAttributes:
    """Attributes of the regions of one level and year, in the store's order (the tile geometry's).

    The ids live in one matrix, a column per attribute (the region's, then each figure's as it is
    first asked), so a tile takes its rows and a query's columns in one step. The matrix grows by
    doubling into a new array: a tile being made keeps the one it read, which holds its columns."""

    def __init__(self, store: Store, level: Level, year: int) -> None:
        regions = store.regions(level, year)
        self.store = store
        self.level = level
        self.year = year
        self.codes = regions["code"].to_numpy(dtype=object)
        self.feature_ids = np.array([feature_id(c) for c in self.codes], dtype=np.int64)
        self.values = ValueTable()
        columns = {key: regions[key].astype(object).where(regions[key].notna(), None).to_numpy() for key in REGION_KEYS[:-1]}
        columns["year"] = np.full(len(regions), year, dtype=object)
        self.region_keys = tuple(key for key in REGION_KEYS if any(v is not None for v in columns[key]))
        self._matrix = np.empty((len(regions), 0), dtype=np.int32)
        self._width = 0
        self._lock = threading.Lock()
        self._append(np.column_stack([self.values.ids(columns[key]) for key in self.region_keys]))
        self._figures: dict[FigureKey, tuple[tuple[str, ...], np.ndarray]] = {}
        self._queries: dict[tuple, tuple[list[str], np.ndarray]] = {}

    def figure(self, group: str, indicator: str) -> tuple[tuple[str, ...], np.ndarray]:
        """(suffixes, matrix columns) of a figure's attributes: its value, `__status` where it has none,
        and `__breuk` where the series breaks before it."""
        key = (group, indicator)
        if key not in self._figures:
            with self._lock:  # made once: the tile threads would otherwise both make it
                if key not in self._figures:
                    suffixes, ids = self._figure_values(group, indicator)
                    self._figures[key] = (suffixes, self._append(ids))
        return self._figures[key]

    def made(self) -> Iterable[FigureKey]:
        return list(self._figures)

    def gather(
        self, query: Selection, rows: np.ndarray, extra: Mapping[str, pd.Series] | None = None
    ) -> tuple[list[str], np.ndarray, Encoded]:
        """Keys, value ids of `rows` (regions) per key, and the table they index: the region's
        attributes, each figure of the query, then `extra` (values by region code)."""
        keys, columns = self._columns(query)
        values = self._matrix[np.ix_(rows, columns)]  # read after _columns: this matrix holds them
        if extra:
            keys, parts = list(keys), [values]
            for name, series in extra.items():
                shown = series.reindex(self.codes[rows]).astype(object)
                keys.append(name)
                parts.append(self.values.ids(shown.where(shown.notna(), None).to_numpy())[:, None])
            values = np.hstack(parts)
        # The table is read after every id above was made: it holds them all.
        return keys, values, self.values.encoded

    def _columns(self, query: Selection) -> tuple[list[str], np.ndarray]:
        """Keys and matrix columns of a query's attributes, worked out once per query."""
        key = (query.pairs, query.groups, query.indicators)
        known = self._queries.get(key)
        if known is None:
            keys, columns = list(self.region_keys), [np.arange(len(self.region_keys))]
            for indicator, group in query.figures():
                suffixes, at = self.figure(group, indicator)
                name = query.attribute(indicator, group)
                keys += [name + suffix for suffix in suffixes]
                columns.append(at)
            if len(self._queries) >= MAX_QUERIES:
                self._queries.clear()
            known = self._queries[key] = (keys, np.concatenate(columns))
        return known

    def _append(self, ids: np.ndarray) -> np.ndarray:
        """Add columns of ids (made under the lock, or before the tiles use this); their positions."""
        start, end = self._width, self._width + ids.shape[1]
        if end > self._matrix.shape[1]:
            grown = np.empty((len(self._matrix), max(2 * self._matrix.shape[1], end, 16)), dtype=np.int32)
            grown[:, :start] = self._matrix[:, :start]
            self._matrix = grown
        self._matrix[:, start:end] = ids
        self._width = end
        return np.arange(start, end)

    def _figure_values(self, group: str, indicator: str) -> tuple[tuple[str, ...], np.ndarray]:
        figures = self.store.figures(self.level, self.year, group, indicator)
        value = figures.values.to_numpy(dtype=float)
        status = figures.statuses.to_numpy(dtype=object)
        ok = status == Status.ok.value
        shown = np.full(len(value), None, dtype=object)
        # One type per column: whole numbers as integers, otherwise doubles.
        if np.all(np.mod(value[ok], 1) == 0):
            shown[ok] = value[ok].astype(np.int64).tolist()
        else:
            shown[ok] = value[ok].tolist()
        suffixes, columns = ["", "__status"], [shown, np.where(ok, None, status)]
        # A break in the series before this figure (herkomst, indeling): absent on most features.
        breaks = self.store.figure_breaks(self.level, self.year, group, indicator)
        if breaks is not None:
            suffixes.append("__breuk")
            columns.append(breaks)
        return tuple(suffixes), np.column_stack([self.values.ids(c) for c in columns])
