"""A built dataset loaded for serving: regions per level and year, values per group."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from geodata.build import FORMAT_VERSION, METADATA_LAYER, VALUES_LAYER
from geodata.catalog import Catalog, parse_catalog
from geodata.cells import Status
from geodata.errors import DatasetError, UnknownLevel, UnknownYear
from geodata.regions import LEVELS, Level


@dataclass
class Dataset:
    path: Path
    mtime: float
    metadata: dict[str, Any]
    catalog: Catalog
    regions: dict[Level, gpd.GeoDataFrame]
    values: pd.DataFrame
    _tables: dict[tuple[Level, int, str], tuple[pd.DataFrame, pd.DataFrame]] = field(default_factory=dict, repr=False)
    _bounds: dict[tuple[Level, int], tuple[float, float, float, float]] = field(default_factory=dict, repr=False)

    @property
    def title(self) -> str:
        return self.metadata.get("title", "wijkmonitor")

    @property
    def attribution(self) -> str:
        return self.metadata.get("attribution", "Bron: CBS")

    def level(self, name: str) -> Level:
        try:
            level = Level(name)
        except ValueError:
            level = None
        if level not in self.regions:
            raise UnknownLevel("level", f"unknown level {name!r}; this dataset has: {', '.join(known.value for known in self.regions)}")
        return level

    def years(self, level: Level) -> list[int]:
        return sorted(int(y) for y in self.regions[level]["year"].unique())

    def year(self, level: Level, year: int | None) -> int:
        """The requested year, or the latest one with boundaries at this level."""
        years = self.years(level)
        if year is None:
            return years[-1]
        if year not in years:
            raise UnknownYear("year", f"no {level.value} boundaries for {year}; years: {years}")
        return year

    def regions_of(self, level: Level, year: int, within: str | None = None) -> gpd.GeoDataFrame:
        """The level's regions in a year; with `within`, only those of that gemeente."""
        frame = self.regions[level]
        chosen = frame["year"] == year
        if within is not None:
            chosen &= frame["gemeente_code"] == within
        return frame[chosen]

    def bounds_lonlat(self, level: Level, year: int) -> tuple[float, float, float, float]:
        """(west, south, east, north) of a level's regions in a year, reprojected once."""
        key = (level, year)
        if key not in self._bounds:
            self._bounds[key] = tuple(self.regions_of(level, year).to_crs("EPSG:4326").total_bounds.tolist())
        return self._bounds[key]

    @cached_property
    def _value_index(self) -> dict[tuple[str, int, str], pd.DataFrame]:
        return {key: rows for key, rows in self.values.groupby(["level", "year", "group"])}

    def table(self, level: Level, year: int, group: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(values, statuses) for one level, year and group: index region code, one column per indicator."""
        key = (level, year, group)
        if key not in self._tables:
            rows = self._value_index.get((level.value, year, group))
            if rows is None:
                empty = pd.DataFrame(index=pd.Index([], name="code"))
                self._tables[key] = (empty, empty)
            else:
                self._tables[key] = (
                    rows.pivot(index="code", columns="indicator", values="value"),
                    rows.pivot(index="code", columns="indicator", values="status"),
                )
        return self._tables[key]

    @cached_property
    def _figure_index(self) -> pd.DataFrame:
        return self.values.set_index(["code", "year", "group", "indicator"]).sort_index()

    def figure(self, code: str, year: int, group: str, indicator: str) -> tuple[float | None, str]:
        """(value, status) of one region's figure; (None, "missing") when the dataset has none."""
        try:
            row = self._figure_index.loc[(code, year, group, indicator)]
        except KeyError:
            return None, Status.missing.value
        value = row["value"]
        return (None if pd.isna(value) else float(value)), str(row["status"])

    def years_published(self, level: Level, indicator: str, group: str) -> dict[int, int]:
        """Year -> number of regions with a published figure for this indicator and group at this level."""
        rows = self.values
        rows = rows[
            (rows["level"] == level.value) & (rows["indicator"] == indicator) & (rows["group"] == group)
            & (rows["status"] == Status.ok.value)
        ]
        return {int(y): int(n) for y, n in rows.groupby("year")["code"].nunique().items()}

    def default_year(self, level: Level, indicator: str, group: str) -> int | None:
        """The latest year in which at least half as many regions have a figure as in the best year:
        a later year with figures for one gemeente only is not the year a map should open on."""
        counts = {y: n for y, n in self.years_published(level, indicator, group).items() if y in self.years(level)}
        if not counts:
            return None
        best = max(counts.values())
        return max(y for y, n in counts.items() if n * 2 >= best)

    def indicators_with_data(self, level: Level, year: int, published_only: bool = False) -> dict[str, list[str]]:
        """indicator -> groups that have at least one published (or, unless published_only, explained) value."""
        rows = self.values[(self.values["level"] == level.value) & (self.values["year"] == year)]
        if published_only:
            rows = rows[rows["status"] == Status.ok.value]
        else:
            rows = rows[rows["status"] != Status.missing.value]
        order = list(self.catalog.indicators)
        grouped = rows.groupby("indicator")["group"].unique()
        return {i: [g for g in self.catalog.groups if g in set(grouped[i])] for i in order if i in grouped.index}


def load_dataset(path: str | Path) -> Dataset:
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: dataset not found; build one with `wijkmonitor build`")
    try:
        return _read_dataset(path)
    except DatasetError:
        raise
    except Exception as exc:
        raise DatasetError(f"{path}: not a wijkmonitor dataset or damaged ({type(exc).__name__}: {exc})") from exc


def _check_integrity(path: Path) -> None:
    """SQLite's page check: a file damaged in the middle can otherwise load, with wrong figures."""
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
        problems = [row[0] for row in connection.execute("PRAGMA quick_check")]
    if problems != ["ok"]:
        raise DatasetError(f"{path}: the file is damaged ({'; '.join(problems[:3])}); rebuild it")


def _read_dataset(path: Path) -> Dataset:
    mtime = path.stat().st_mtime
    _check_integrity(path)
    layers = {name for name, _ in pyogrio.list_layers(path)}
    meta_rows = pyogrio.read_dataframe(path, layer=METADATA_LAYER, read_geometry=False)
    metadata = {k: json.loads(v) for k, v in zip(meta_rows["key"], meta_rows["value"])}
    if metadata.get("format_version") != FORMAT_VERSION:
        raise DatasetError(f"{path}: dataset format {metadata.get('format_version')} is not {FORMAT_VERSION}; rebuild it")
    catalog = parse_catalog(metadata["catalog_toml"], f"{path}:{METADATA_LAYER}")
    regions = {}
    for level in LEVELS:
        if level.value in layers:
            frame = pyogrio.read_dataframe(path, layer=level.value)
            frame["year"] = frame["year"].astype(int)
            regions[level] = frame
    if not regions:
        raise DatasetError(f"{path}: the dataset has no region layers")
    values = pyogrio.read_dataframe(path, layer=VALUES_LAYER, read_geometry=False)
    values["year"] = values["year"].astype(int)
    values["level"] = values["code"].str[:2].map({lvl.prefix: lvl.value for lvl in LEVELS}).fillna("nederland")
    return Dataset(path=path, mtime=mtime, metadata=metadata, catalog=catalog, regions=regions, values=values)
