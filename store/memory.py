"""A built dataset read whole into memory, whatever kept it: the queries of the Store protocol.

Both stores (GeoPackage, PostGIS) read the same regions, figure table and metadata and hand them to
`LoadedStore`, which precomputes what requests need, so no call scans the figure table or asks the
database: tiles and regions are made from memory, the same way from either store.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.availability import Availability
from geodata.breaks import break_kinds, breaking_regions, figure_breaks, may_break
from geodata.catalog import parse_catalog
from geodata.cells import Status
from geodata.errors import DatasetError
from geodata.figures import STORED_TEXTS, Figures
from geodata.regions import NATIONAL_LEVEL, REGION_COLUMNS, REGION_FACTS, Level, level_names, level_of_code
from store.positions import by_category, positions

FORMAT_VERSION = 4
FigureKey = tuple[Level, int, str, str]  # level, year, group, indicator


def parse_metadata(keys: Sequence[str], values: Sequence[str], where: str) -> dict[str, Any]:
    """The metadata rows (key, JSON text) of a dataset, checked for the format this code reads."""
    metadata = {k: json.loads(v) for k, v in zip(keys, values)}
    if metadata.get("format_version") != FORMAT_VERSION:
        raise DatasetError(f"{where}: dataset format {metadata.get('format_version')} is not {FORMAT_VERSION}; rebuild it")
    return metadata


def _plain(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of the figure table with their text columns as strings again (the table keeps them categorical),
    for what works with a figure or a region's rows."""
    return rows.astype({c: "str" for c in rows.columns if isinstance(rows[c].dtype, pd.CategoricalDtype)})


class FiguresReleased(RuntimeError):
    """A figure with data asked after its rows were freed (LoadedStore.release_figure_rows)."""


class LoadedStore:
    """Regions (a frame per level, all years) and the long figure table, as read; subclasses say
    where they came from (`location`, `version`, `version_now`)."""

    def __init__(
        self, metadata: dict[str, Any], regions: dict[Level, gpd.GeoDataFrame], values: pd.DataFrame, where: str
    ) -> None:
        if not regions:
            raise DatasetError(f"{where}: the dataset has no region layers")
        self.metadata = metadata
        self.catalog = parse_catalog(metadata["catalog_toml"], where)
        self._regions: dict[Level, gpd.GeoDataFrame] = {}  # sorted by year, code
        for level, frame in regions.items():
            frame["year"] = frame["year"].astype(int)
            frame = frame.astype({fact: float for fact in REGION_FACTS})  # a code, NaN where no table said
            self._regions[level] = frame.sort_values(["year", "code"], kind="stable").reset_index(drop=True)
        # A chunk of rows at a time (store/positions.py): a reload must not stall the event loop.
        values["year"] = values["year"].astype(int)
        texts = [c for c in STORED_TEXTS if c in values and not isinstance(values[c].dtype, pd.CategoricalDtype)]
        if texts:  # one code per cell, as gpkg._read_values and postgis._values give them
            values = values.astype(dict.fromkeys(texts, "category"))
        values["level"] = by_category(level_names, values["code"])
        self._values = values
        self._rows_by_figure: dict[FigureKey, np.ndarray] = {  # positions in _values
            (Level(level), int(year), group, indicator): rows
            for (level, year, group, indicator), rows in positions(values, ["level", "year", "group", "indicator"]).items()
            if level != NATIONAL_LEVEL
        }
        self._rows_by_code: dict[str, np.ndarray] = positions(values, "code")
        self.availability = Availability.of(self.catalog, self._regions, values, self._rows_by_figure)
        self._per_year: dict[tuple[Level, int], gpd.GeoDataFrame] = {}
        self._figures: dict[FigureKey, Figures] = {}
        self._bounds: dict[tuple[Level, int], tuple[float, float, float, float]] = {}
        self._breaks: dict[FigureKey, np.ndarray | None] = {}
        self._released: frozenset[FigureKey] = frozenset()  # figures with data whose rows were freed

    @property
    def title(self) -> str:
        return self.metadata.get("title", "wijkmonitor")

    @property
    def attribution(self) -> str:
        return self.metadata.get("attribution", "Bron: CBS")

    def regions(self, level: Level, year: int, within: str | None = None) -> gpd.GeoDataFrame:
        key = (level, year)
        if key not in self._per_year:
            frame = self._regions[level]
            self._per_year[key] = frame[frame["year"] == year].reset_index(drop=True)
        regions = self._per_year[key]
        return regions if within is None else regions[regions["gemeente_code"] == within].reset_index(drop=True)

    def figures(self, level: Level, year: int, group: str, indicator: str, within: str | None = None) -> Figures:
        key = (level, year, group, indicator)
        if key not in self._figures:
            codes = pd.Index(self.regions(level, year)["code"], name="code")
            rows = self._rows_by_figure.get(key)
            if key in self._released:
                raise FiguresReleased(f"{self.location}: the figure table was released before {key} was asked")
            if rows is None:
                value = pd.Series(np.nan, index=codes)
                status = pd.Series(Status.missing.value, index=codes)
                method = pd.Series(None, index=codes, dtype=object)
            else:
                found = _plain(self._values.iloc[rows]).set_index("code")
                value = found["value"].reindex(codes)
                status = found["status"].reindex(codes).fillna(Status.missing.value)
                method = found["method"].reindex(codes)
            self._figures[key] = Figures(value.astype(float), status.astype(str), method)
        shown = self._figures[key]
        if within is None:
            return shown
        inside = self.regions(level, year)["gemeente_code"].to_numpy() == within
        return Figures(shown.values[inside], shown.statuses[inside], shown.methods[inside])

    def figure_breaks(self, level: Level, year: int, group: str, indicator: str) -> np.ndarray | None:
        key = (level, year, group, indicator)
        if key not in self._breaks:
            kinds = None
            breaking = self._breaking_regions[level]
            series = [rows for y, rows in self._series_rows.get((level, group, indicator), ()) if y <= year]
            if series and may_break(self.catalog, group, breaking):
                rows = _plain(self._values.iloc[np.concatenate(series)])
                found = figure_breaks(self.catalog, rows, breaking, self._figure_years[level])
                latest = (rows["year"] == year).to_numpy()
                shown = pd.Series([break_kinds(b) for b, keep in zip(found, latest) if keep], index=rows["code"][latest]).dropna()
                if len(shown):
                    kinds = shown.reindex(self.regions(level, year)["code"]).astype(object)
                    kinds = kinds.where(kinds.notna(), None).to_numpy()
            self._breaks[key] = kinds
        return self._breaks[key]

    def release_figure_rows(self) -> None:
        # A national table with its positions is 150-200 MB, and each tile worker held its own copy.
        self._released = frozenset(self._rows_by_figure)
        self._values = self._values.iloc[:0].copy()  # a slice would be a view holding the whole table
        self._rows_by_figure = {}
        self._rows_by_code = {}
        self._figures.clear()
        for derived in ("_series_rows", "_figure_years"):
            self.__dict__.pop(derived, None)

    @cached_property
    def _series_rows(self) -> dict[tuple[Level, str, str], list[tuple[int, np.ndarray]]]:
        """(level, group, indicator) -> (year, positions in _values) per year, years ascending."""
        series: dict[tuple[Level, str, str], list[tuple[int, np.ndarray]]] = {}
        for (level, year, group, indicator), rows in sorted(self._rows_by_figure.items(), key=lambda item: item[0][1]):
            series.setdefault((level, group, indicator), []).append((year, rows))
        return series

    @cached_property
    def _breaking_regions(self) -> dict[Level, pd.DataFrame]:
        """Per level, the (few) region rows whose facts break a series (indelingswijziging 2 or 3)."""
        return {level: breaking_regions(self.catalog, frame.drop(columns="geometry")) for level, frame in self._regions.items()}

    @cached_property
    def _figure_years(self) -> dict[Level, pd.DataFrame]:
        """code, year of every region with figures, per level: where a region's figures start."""
        pairs = _plain(self._values[["code", "year", "level"]].drop_duplicates(["code", "year"]))
        return {level: pairs[pairs["level"] == level.value] for level in self._regions}

    def figure(self, code: str, year: int, group: str, indicator: str) -> tuple[float | None, str]:
        rows = self.region_figures([code])
        match = rows[(rows["year"] == year) & (rows["group"] == group) & (rows["indicator"] == indicator)]
        if match.empty:
            return None, Status.missing.value
        value = match["value"].iloc[0]
        return (None if pd.isna(value) else float(value)), str(match["status"].iloc[0])

    def region_history(self, code: str) -> pd.DataFrame:
        level = level_of_code(code)
        if level not in self._regions:
            return pd.DataFrame(columns=REGION_COLUMNS[:-1])
        frame = self._regions[level]
        return pd.DataFrame(frame.loc[frame["code"] == code, REGION_COLUMNS[:-1]])

    def region_figures(self, codes: Sequence[str]) -> pd.DataFrame:
        rows = [self._rows_by_code[c] for c in codes if c in self._rows_by_code]
        picked = self._values.iloc[np.concatenate(rows)] if rows else self._values.iloc[:0]
        return _plain(picked[["code", "year", "group", "indicator", "value", "status", "method"]]).reset_index(drop=True)

    def region_index(self) -> pd.DataFrame:
        return self._region_index

    @cached_property
    def _region_index(self) -> pd.DataFrame:
        """Made once: every search and profile asks for it."""
        parts = []
        for level, frame in self._regions.items():
            latest = frame.drop(columns="geometry").drop_duplicates("code", keep="last")  # sorted by year
            parts.append(latest.assign(level=level.value))
        return pd.concat(parts, ignore_index=True)

    def bounds_lonlat(self, level: Level, year: int) -> tuple[float, float, float, float]:
        key = (level, year)
        if key not in self._bounds:
            self._bounds[key] = tuple(self.regions(level, year).to_crs("EPSG:4326").total_bounds.tolist())
        return self._bounds[key]
