"""The dataset as one GeoPackage: the embedded default store.

Layout: one polygon layer per level (gemeente, wijk, buurt; EPSG:28992), the long table
`indicator_values` and `wijkmonitor_metadata` (catalog, attribution, build report). A build
writes a temporary file next to the target and renames it over it only when complete, so a
failed build leaves the previous dataset in place and serving. Reading checks SQLite's pages
first: a file damaged in the middle would otherwise load with wrong figures.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Sequence
from contextlib import closing
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geodata.availability import Availability
from geodata.breaks import break_kinds, breaking_regions, figure_breaks, may_break
from geodata.catalog import Catalog, parse_catalog
from geodata.cells import Status
from geodata.errors import DatasetError
from geodata.figures import STORED_COLUMNS, Figures
from geodata.regions import LEVELS, NATIONAL_LEVEL, REGION_COLUMNS, REGION_FACTS, Level, level_names, level_of_code

FORMAT_VERSION = 4
VALUES_LAYER = "indicator_values"
METADATA_LAYER = "wijkmonitor_metadata"
TMP_SUFFIX = ".tmp.gpkg"

FigureKey = tuple[Level, int, str, str]  # level, year, group, indicator


@dataclass
class GeoPackageStore:
    path: Path
    signature: tuple[int, int, int]
    metadata: dict[str, Any]
    catalog: Catalog
    availability: Availability
    _regions: dict[Level, gpd.GeoDataFrame]  # sorted by year, code
    _values: pd.DataFrame
    _rows_by_figure: dict[FigureKey, np.ndarray]  # positions in _values
    _rows_by_code: dict[str, np.ndarray]
    _per_year: dict[tuple[Level, int], gpd.GeoDataFrame] = field(default_factory=dict, repr=False)
    _figures: dict[FigureKey, Figures] = field(default_factory=dict, repr=False)
    _bounds: dict[tuple[Level, int], tuple[float, float, float, float]] = field(default_factory=dict, repr=False)
    _breaks: dict[FigureKey, np.ndarray] = field(default_factory=dict, repr=False)

    @classmethod
    def open(cls, path: Path) -> GeoPackageStore:
        if not path.exists():
            raise DatasetError(f"{path}: dataset not found; build one with `wijkmonitor build`")
        try:
            return cls._read(path)
        except DatasetError:
            raise
        except Exception as exc:
            raise DatasetError(f"{path}: not a wijkmonitor dataset or damaged ({type(exc).__name__}: {exc})") from exc

    @classmethod
    def _read(cls, path: Path) -> GeoPackageStore:
        signature = file_signature(path)
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
                frame = frame.astype({fact: float for fact in REGION_FACTS})  # a code, NaN where no table said
                regions[level] = frame.sort_values(["year", "code"], kind="stable").reset_index(drop=True)
        if not regions:
            raise DatasetError(f"{path}: the dataset has no region layers")
        values = pyogrio.read_dataframe(path, layer=VALUES_LAYER, read_geometry=False)
        if file_signature(path) != signature:  # each read opens the path anew: all of it must be one build
            raise DatasetError(f"{path}: replaced by a new build while it was read; it is read again")
        values["year"] = values["year"].astype(int)
        values["level"] = level_names(values["code"])
        rows_by_figure = {
            (Level(level), int(year), group, indicator): rows
            for (level, year, group, indicator), rows in values.groupby(["level", "year", "group", "indicator"]).indices.items()
            if level != NATIONAL_LEVEL
        }
        return cls(
            path=path,
            signature=signature,
            metadata=metadata,
            catalog=catalog,
            availability=Availability.of(catalog, regions, values),
            _regions=regions,
            _values=values,
            _rows_by_figure=rows_by_figure,
            _rows_by_code=values.groupby("code").indices,
        )

    @property
    def title(self) -> str:
        return self.metadata.get("title", "wijkmonitor")

    @property
    def attribution(self) -> str:
        return self.metadata.get("attribution", "Bron: CBS")

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def version(self) -> str:
        return _version(self.path, self.signature)

    def version_now(self) -> str | None:
        signature = file_signature(self.path)
        return None if signature is None else _version(self.path, signature)

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
            if rows is None:
                value = pd.Series(np.nan, index=codes)
                status = pd.Series(Status.missing.value, index=codes)
                method = pd.Series(None, index=codes, dtype=object)
            else:
                found = self._values.iloc[rows].set_index("code")
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
                rows = self._values.iloc[np.concatenate(series)]
                found = figure_breaks(self.catalog, rows, breaking, self._figure_years[level])
                latest = (rows["year"] == year).to_numpy()
                shown = pd.Series([break_kinds(b) for b, keep in zip(found, latest) if keep], index=rows["code"][latest]).dropna()
                if len(shown):
                    kinds = shown.reindex(self.regions(level, year)["code"]).astype(object)
                    kinds = kinds.where(kinds.notna(), None).to_numpy()
            self._breaks[key] = kinds
        return self._breaks[key]

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
        pairs = self._values[["code", "year", "level"]].drop_duplicates(["code", "year"])
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
        return picked[["code", "year", "group", "indicator", "value", "status", "method"]].reset_index(drop=True)

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


def file_signature(path: Path) -> tuple[int, int, int] | None:
    """(inode, size, mtime): a build renames a new file into place, a copy rewrites it."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _version(path: Path, signature: tuple[int, int, int]) -> str:
    return hashlib.sha1(f"{path}:{signature}".encode()).hexdigest()[:12]


def _check_integrity(path: Path) -> None:
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
        problems = [row[0] for row in connection.execute("PRAGMA quick_check")]
    if problems != ["ok"]:
        raise DatasetError(f"{path}: the file is damaged ({'; '.join(problems[:3])}); rebuild it")


def write_dataset(
    output: Path, regions: dict[str, gpd.GeoDataFrame], values: pd.DataFrame, metadata: dict[str, Any]
) -> None:
    """Write the dataset to a temporary file beside `output`, then rename it into place."""
    output.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(output)
    # The pid in the name tells a later build whether the build that left it is still running.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{output.name}.{os.getpid()}.", suffix=TMP_SUFFIX, dir=output.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # GDAL wants to create the file itself
    try:
        for level in LEVELS:
            if level.value in regions:
                pyogrio.write_dataframe(
                    regions[level.value][REGION_COLUMNS].astype({fact: "Int64" for fact in REGION_FACTS}),
                    tmp, layer=level.value, driver="GPKG", promote_to_multi=True,
                )
        pyogrio.write_dataframe(values[STORED_COLUMNS], tmp, layer=VALUES_LAYER, driver="GPKG")
        pyogrio.write_dataframe(
            pd.DataFrame({"key": list(metadata), "value": [json.dumps(v, ensure_ascii=False) for v in metadata.values()]}),
            tmp, layer=METADATA_LAYER, driver="GPKG",
        )
        os.replace(tmp, output)
    finally:
        for leftover in _with_sidecars(tmp):
            leftover.unlink(missing_ok=True)


def _remove_abandoned(output: Path) -> None:
    """Temporary files of builds that were killed (kill -9, power loss) before they could clean up."""
    for tmp in output.parent.glob(f".{output.name}.*{TMP_SUFFIX}"):
        pid = tmp.name[len(output.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            for leftover in _with_sidecars(tmp):
                leftover.unlink(missing_ok=True)


def _with_sidecars(path: Path) -> list[Path]:
    """The file and SQLite's journal files beside it."""
    return [path, *(path.with_name(path.name + s) for s in ("-journal", "-wal", "-shm"))]


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: running
    return True
