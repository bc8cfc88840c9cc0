"""Turn a single CBS/PDOK boundary file into a manifest by recognising its columns.

`wijkmonitor build nl_gemeenten_2023.geojson` should just work: the finest column holding
CBS codes sets the level, a *naam column the names, `jaar` or a `2023GM0344`-style
statcode the year, and PDOK attributes the catalog knows become indicators.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from geodata.catalog import DEFAULT_CATALOG, load_catalog
from geodata.errors import InputError
from geodata.manifest import BoundarySource, Manifest, TableSource
from geodata.regions import LEVELS, Level, level_of_code
from geodata.sources import read_table

_YEAR_PREFIX = re.compile(r"^(\d{4})(GM|WK|BU)")


def manifest_for_file(file: Path, year: int | None = None, crs: str | None = None) -> Manifest:
    table = read_table(file)
    where = {"water": "NEE"} if "water" in table.columns and (table["water"] == "NEE").any() else {}
    if where:
        table = table[table["water"] == "NEE"]
    level, code_column = _code_column(file, table)
    name_column = _name_column(table, level)
    year = year or _year(file, table)
    boundary = BoundarySource(
        file=file, level=level, years=(year,), code="{" + code_column + "}",
        name="{" + name_column + "}" if name_column else None, crs=crs, where=where,
    )
    catalog = load_catalog(DEFAULT_CATALOG)
    pdok_columns = {c for i in catalog.indicators.values() if "pdok" in i.sources for c in i.sources["pdok"].groups.values()}
    tables: tuple[TableSource, ...] = ()
    if pdok_columns & set(table.columns):
        tables = (TableSource(file=file, format="pdok", year=year, code="{" + code_column + "}", where=where),)
    return Manifest(
        path=str(file), title=file.stem, attribution="Bron: CBS", catalog=DEFAULT_CATALOG,
        boundaries=(boundary,), tables=tables,
    )


def _code_column(file: Path, table: pd.DataFrame) -> tuple[Level, str]:
    found: dict[Level, str] = {}
    for column in table.columns:
        values = table[column].dropna().astype(str)
        if values.empty or table[column].dtype.kind in "fiub":
            continue
        levels = set(values.map(level_of_code))
        if len(levels) == 1 and None not in levels:
            found.setdefault(levels.pop(), column)
    for level in reversed(LEVELS):  # finest level first: a buurt layer also carries gemeentecode
        if level in found and not table[found[level]].duplicated().any():
            return level, found[level]
    raise InputError(file, "found no column with unique CBS codes (GMxxxx, WKxxxxxx or BUxxxxxxxx); write a manifest")


def _name_column(table: pd.DataFrame, level: Level) -> str | None:
    for candidate in (f"{level.value}naam", "statnaam", "naam", "NAAM", "name"):
        if candidate in table.columns:
            return candidate
    return None


def _year(file: Path, table: pd.DataFrame) -> int:
    if "jaar" in table.columns:
        years = pd.to_numeric(table["jaar"], errors="coerce").dropna().unique()
        if len(years) == 1:
            return int(years[0])
    for column in ("jrstatcode", "jaarstatcode"):
        if column in table.columns:
            years = table[column].astype(str).str.extract(_YEAR_PREFIX)[0].dropna().unique()
            if len(years) == 1:
                return int(years[0])
    raise InputError(file, "cannot tell the year of these boundaries; pass --year")
