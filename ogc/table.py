"""The features of one collection (a level and year) as columns: region attributes, every
indicator x group figure with its status, and the geometry in both served CRSs. Made once per
dataset version and kept, so a page of features only picks rows from it."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from geodata.cells import Status
from geodata.regions import Level
from geodata.selection import Selection
from ogc.crs import CRS84, DECIMALS, PYPROJ_NAME, RD_NEW
from store import Store

# Parent codes a level's features carry: a buurt lies in a wijk and a gemeente, a wijk in a gemeente.
PARENTS = {Level.gemeente: (), Level.wijk: ("gemeente_code",), Level.buurt: ("gemeente_code", "wijk_code")}


@dataclass(frozen=True)
class FigureColumn:
    """Where one indicator x group figure goes among the properties."""

    indicator: str
    group: str
    breaks: bool  # whether a `__breuk` property goes with it

    @property
    def value(self) -> str:
        return Selection.attribute(self.indicator, self.group)

    @property
    def status(self) -> str:
        return f"{self.value}__status"


class FeatureTable:
    """One level and year of a store as feature columns, aligned with `store.regions(level, year)`.

    Every feature carries every property: a figure that is not published has a null value and its
    status says why; a published one has a null status. A stable schema lets QGIS and GDAL, which
    read the fields off the first features, see every column."""

    def __init__(self, store: Store, level: Level, year: int) -> None:
        self.level, self.year = level, year
        regions = store.regions(level, year)
        self.columns: dict[str, np.ndarray] = region_columns(regions, level)
        self.codes: np.ndarray = self.columns["code"]
        self.position = {code: i for i, code in enumerate(self.codes)}
        self.columns["year"] = np.full(len(regions), year, dtype=object)
        pairs = [(i, g) for i, groups in store.availability.indicators_with_data(level, year).items() for g in groups]
        self.figures, figures = figure_property_columns(store, level, year, pairs)
        self.columns.update(figures)
        in_crs84 = regions.to_crs(PYPROJ_NAME[CRS84]).geometry.array
        self.geometry: dict[str, np.ndarray] = {
            RD_NEW: rounded(np.asarray(regions.geometry.array), DECIMALS[RD_NEW]),  # the store keeps RD New
            CRS84: rounded(np.asarray(in_crs84), DECIMALS[CRS84]),
        }
        # bbox queries run on the geometry in the bbox's own CRS: no reprojected (curved) box needed
        self.trees = {crs: shapely.STRtree(geometry) for crs, geometry in self.geometry.items()}

    def __len__(self) -> int:
        return len(self.codes)

    def intersecting(self, bbox: tuple[float, float, float, float], crs: str) -> np.ndarray:
        """Positions of the regions whose geometry intersects the box (in `crs`), ascending."""
        return np.sort(self.trees[crs].query(shapely.box(*bbox), predicate="intersects"))

    def properties(self, i: int) -> dict[str, object]:
        return {name: column[i] for name, column in self.columns.items()}


def region_columns(regions: pd.DataFrame, level: Level) -> dict[str, np.ndarray]:
    """code, name and the parent codes of a level's regions, as object columns (None where absent)."""
    columns = {"code": regions["code"].to_numpy(dtype=object), "name": regions["name"].to_numpy(dtype=object)}
    for parent in PARENTS[level]:
        columns[parent] = regions[parent].astype(object).where(regions[parent].notna(), None).to_numpy()
    return columns


def figure_property_columns(
    store: Store, level: Level, year: int, pairs: Iterable[tuple[str, str]]
) -> tuple[list[FigureColumn], dict[str, np.ndarray]]:
    """For each (indicator, group): its value and status columns, and `__breuk` where its series has a break."""
    figures: list[FigureColumn] = []
    columns: dict[str, np.ndarray] = {}
    for indicator, group in pairs:
        breaks = store.figure_breaks(level, year, group, indicator)
        column = FigureColumn(indicator, group, breaks is not None)
        figures.append(column)
        columns[column.value], columns[column.status] = figure_columns(store, level, year, group, indicator)
        if breaks is not None:
            columns[f"{column.value}__breuk"] = breaks
    return figures, columns


def figure_columns(store: Store, level: Level, year: int, group: str, indicator: str) -> tuple[np.ndarray, np.ndarray]:
    """(value, status) per region: the value only when published, the status only when not."""
    figures = store.figures(level, year, group, indicator)
    value = figures.values.to_numpy(dtype=float)
    status = figures.statuses.to_numpy(dtype=object)
    ok = status == Status.ok.value
    shown = np.full(len(value), None, dtype=object)
    # Whole numbers as integers (counts read as counts), like the tiles.
    shown[ok] = value[ok].astype(np.int64).tolist() if np.all(np.mod(value[ok], 1) == 0) else value[ok].tolist()
    return shown, np.where(ok, None, status)


def rounded(geometry: np.ndarray, decimals: int) -> np.ndarray:
    return shapely.transform(geometry, lambda xy: np.round(xy, decimals))


class FeatureTables:
    """The feature tables asked for lately, keyed by dataset version: a reload brings new ones and
    the old ones age out. Each is made once, even when several requests want it at once."""

    def __init__(self, keep: int = 4) -> None:
        self.keep = keep
        self._tables: OrderedDict[tuple[str, Level, int], FeatureTable] = OrderedDict()
        self._lock = threading.Lock()  # guards the two dicts, never held while a table is made
        self._making: dict[tuple[str, Level, int], threading.Lock] = {}

    def get(self, store: Store, level: Level, year: int) -> FeatureTable:
        key = (store.version, level, year)
        with self._lock:
            if key in self._tables:
                self._tables.move_to_end(key)
                return self._tables[key]
            making = self._making.setdefault(key, threading.Lock())
        with making:  # a second request for the same table waits for the first; other tables are not held up
            with self._lock:
                if key in self._tables:
                    return self._tables[key]
            table = FeatureTable(store, level, year)
            with self._lock:
                self._tables[key] = table
                self._making.pop(key, None)
                while len(self._tables) > self.keep:
                    self._tables.popitem(last=False)
        return table
