"""The figures of a selection as tables: a GeoPackage of the regions with a column per figure, or CSV rows.

Both carry what the server serves. The GeoPackage has /ogc's properties (ogc.table): `<indicator>__<group>`
holds a published value only, `<indicator>__<group>__status` says why a figure is not published, as in the
tiles. The CSV is /figures.csv's table for the same level, year, indicators and groups.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.regions import Level
from geodata.selection import Selection
from ogc.crs import DECIMALS, RD_NEW
from ogc.table import figure_property_columns, region_columns, rounded
from profiles.table import TableRequest, figure_table, table_csv
from store import Store

GPKG_CRS = "EPSG:28992"  # RD New: the store's own coordinates


def region_figures(store: Store, selection: Selection) -> gpd.GeoDataFrame:
    """One row per region of the level and year, with the figures of the selection as columns."""
    return figure_frame(store, selection.level, selection.year, selection.figures())


def figure_frame(store: Store, level: Level, year: int, pairs: list[tuple[str, str]]) -> gpd.GeoDataFrame:
    """The regions of a level and year with these (indicator, group) figures as columns, as /ogc has them."""
    regions = store.regions(level, year)
    columns: dict[str, object] = {**region_columns(regions, level), "year": np.full(len(regions), year, dtype=np.int64)}
    figures, figure_values = figure_property_columns(store, level, year, pairs)
    columns.update(figure_values)
    for column in figures:
        columns[column.value] = typed(figure_values[column.value])  # one field type per column in the file
    geometry = rounded(np.asarray(regions.geometry.array), DECIMALS[RD_NEW])  # as /ogc serves RD New
    return gpd.GeoDataFrame(columns, geometry=geometry, crs=GPKG_CRS)


def typed(values: np.ndarray) -> pd.Series:
    """A value column with one field type: integers when every published value is whole (counts), else reals;
    an unpublished figure is NULL."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, int) for v in present):
        return pd.Series(values, dtype="Int64")
    return pd.Series(values, dtype="Float64")


def write_geopackage(path: Path, store: Store, selection: Selection) -> int:
    """One layer named after the level and year (`wijk_2024`, like the /ogc collection); returns the row count."""
    frame = region_figures(store, selection)
    frame.to_file(path, driver="GPKG", layer=f"{selection.level.value}_{selection.year}", engine="pyogrio")
    return len(frame)


def figures_csv(store: Store, selection: Selection) -> tuple[str, int]:
    """/figures.csv?level=...&year=...&indicator=...&group=... for the selection, byte for byte (BOM included),
    and its number of rows. The server bounds a map table (10 indicators, MAX_ROWS figures) to bound a request;
    an export may hold them all."""
    request = TableRequest((), selection.indicators, selection.groups, (selection.year,), selection.level.value)
    rows = figure_table(store, request, bounded=False)
    return "\ufeff" + table_csv(rows), len(rows)


def write_csv(path: Path, store: Store, selection: Selection) -> int:
    """Returns the number of rows (figures) written."""
    text, rows = figures_csv(store, selection)
    path.write_bytes(text.encode("utf-8"))  # bytes: no newline translation, the rows end in CRLF already
    return rows
