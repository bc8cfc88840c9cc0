"""Turn a single CBS/PDOK boundary file into a manifest by recognising its columns.

`wijkmonitor build nl_gemeenten_2023.geojson` should just work: the finest column holding
CBS codes sets the level, a *naam column the names, `jaar` or a `2023GM0344`-style
statcode the year, and the attributes of any schema the catalog knows (PDOK layers of
every era, KWB files, Wijk- en Buurtkaart shapefiles) become figures.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geodata.catalog import DEFAULT_CATALOG, Catalog, load_catalog
from geodata.errors import InputError
from geodata.manifest import BoundarySource, Manifest, TableSource
from geodata.regions import LEVELS, Level
from geodata.schemas import detect_schema, matching_columns
from geodata.sources import VECTOR_SUFFIXES, file_name_year, parse_codes, read_table, table_year


def manifest_for_file(file: Path, year: int | None = None, crs: str | None = None, catalog_path: Path | None = None) -> Manifest:
    catalog_path = catalog_path or DEFAULT_CATALOG
    catalog = load_catalog(catalog_path)
    if file.suffix.lower() not in VECTOR_SUFFIXES:
        raise InputError(file, "a table without boundaries cannot make a dataset on its own; list it under [[indicators]] in a manifest beside a boundary file")
    table = read_table(file)
    water = {str(c).lower(): c for c in table.columns}.get("water")
    where = {water: "NEE"} if water and (table[water] == "NEE").any() else {}
    if where:
        table = table[table[water] == "NEE"]
    level, code_column = _code_column(file, table)
    name_column = _name_column(table, level)
    notes: tuple[str, ...] = ()
    if year is None:
        year = table_year(table)
    if year is None:
        year = file_name_year(file)
        if year is not None:
            notes = (f"{file.name}: the file states no year; {year} is taken from its name (pass --year to change it)",)
    if year is None:
        year = _no_year(file, table, catalog)
    boundary = BoundarySource(
        file=file, level=level, years=(year,), code="{" + code_column + "}",
        name="{" + name_column + "}" if name_column else None, crs=crs, where=where,
    )
    tables: tuple[TableSource, ...] = ()
    if any(str(c).lower() in catalog.schema_columns(sid) for sid in catalog.schemas for c in table.columns):
        tables = (TableSource(file=file, year=year, code="{" + code_column + "}", where=where),)
    return Manifest(
        path=str(file), title=file.stem, attribution="Bron: CBS", catalog=catalog_path,
        boundaries=(boundary,), tables=tables, notes=notes,
    )


def _code_column(file: Path, table: pd.DataFrame) -> tuple[Level, str]:
    found: dict[Level, str] = {}
    for column in table.columns:
        values = table[column].dropna()
        if values.empty or table[column].dtype.kind == "f":
            continue
        # Bare digits (0344, 344) count only in a column named as a code column.
        codes = parse_codes(values, bare="code" in str(column).lower())
        if codes.isna().any():
            continue
        levels = {code[:2] for code in codes}
        for level in LEVELS:
            if levels == {level.prefix}:
                found.setdefault(level, column)
    for level in reversed(LEVELS):  # finest level first: a buurt layer also carries gemeentecode
        if level in found and not table[found[level]].duplicated().any():
            return level, found[level]
    raise InputError(file, "found no column with unique CBS codes (GMxxxx, WKxxxxxx or BUxxxxxxxx); write a manifest")


def _name_column(table: pd.DataFrame, level: Level) -> str | None:
    columns = {str(c).lower(): c for c in table.columns}
    short = {Level.gemeente: "gm", Level.wijk: "wk", Level.buurt: "bu"}[level]
    for candidate in (f"{level.value}naam", f"{short}_naam", "statnaam", "naam", "name"):
        if candidate in columns:
            return columns[candidate]
    return None


def _no_year(file: Path, table: pd.DataFrame, catalog: Catalog) -> int:
    """No year in the file: a schema of one year gives it; otherwise say which release the columns
    look like, so --year is easy to give."""
    try:
        schema = detect_schema(file, table.columns, catalog)
    except InputError:
        raise InputError(file, "cannot tell the year of these boundaries; pass --year") from None
    if schema.years[0] == schema.years[1]:
        return schema.years[0]
    columns = ", ".join(matching_columns(table.columns, catalog, schema)[:4])
    raise InputError(file, f"columns {columns} look like {schema.title} of {schema.years_text()}; pass --year")
