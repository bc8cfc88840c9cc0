"""Turn a single CBS/PDOK boundary file into a manifest by recognising its columns.

`wijkmonitor build nl_gemeenten_2023.geojson` should just work: the finest column holding
CBS codes sets the level (coarser code columns, a buurt's wijkcode and gemeentecode, give the
levels above it, their regions dissolved from it; a level without a column of its own is
dissolved by the digits of the finest codes, BU03440111 in WK034401 and GM0344, as for PDOK's
cbsgebiedsindelingen with only statcode), a *naam column the names, `jaar` or a
`2023GM0344`-style statcode the year, and the attributes of any schema the catalog knows (PDOK
layers of every era, KWB files, Wijk- en Buurtkaart shapefiles) become figures.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import pandas as pd

from geodata.catalog import DEFAULT_CATALOG, Catalog, Schema, load_catalog
from geodata.errors import InputError
from geodata.manifest import BoundarySource, Manifest, TableSource
from geodata.regions import LEVELS, Level
from geodata.schemas import detect_schema, matching_columns, stated_year
from geodata.sources import VECTOR_SUFFIXES, ColumnLookup, parse_codes, read_table


def manifest_for_file(file: Path, year: int | None = None, crs: str | None = None, catalog_path: Path | None = None) -> Manifest:
    catalog_path = catalog_path or DEFAULT_CATALOG
    catalog = load_catalog(catalog_path)
    if file.suffix.lower() not in VECTOR_SUFFIXES:
        raise InputError(file, "a table without boundaries cannot make a dataset on its own; list it under [[indicators]] in a manifest beside a boundary file")
    table = read_table(file)
    columns = ColumnLookup(table.columns)
    water = columns.first(["water"])
    where = {water: "NEE"} if water is not None and (table[water] == "NEE").any() else {}
    if where:
        table = table[table[water] == "NEE"]
    level, code_column, coarser = _code_columns(file, table)
    name_column = _name_column(columns, level)
    try:
        schema = detect_schema(file, table.columns, catalog)
    except InputError:
        schema = None  # boundaries only (statcode, statnaam): no figures to read
    notes: tuple[str, ...] = ()
    if year is None:
        year, note = stated_year(file, table, schema)
        notes = (note,) if note else ()
    if year is None:
        _no_year(file, table, catalog, schema)
    boundary = BoundarySource(
        file=file, level=level, years=(year,), code="{" + code_column + "}",
        name="{" + name_column + "}" if name_column else None, crs=crs, where=where,
    )
    # The wijken and gemeente a buurt layer names (gemeentecode, gemeentenaam) are levels too, their
    # regions the union of their parts: a gemeente gets its name, a map and the sums over its wijken.
    # A level without its own code column comes from the finest codes' digits; its name only from a
    # column of that level (statnaam names the buurt, not its wijk).
    parent_columns = {parent: code_column for parent in LEVELS[: LEVELS.index(level)]} | dict(coarser)
    parents = tuple(
        BoundarySource(
            file=file, level=parent, years=(year,), code="{" + column + "}", crs=crs, where=where, dissolve=True,
            name="{" + parent_name + "}" if (parent_name := _name_column(columns, parent, own=False)) else None,
        )
        for parent, column in parent_columns.items()
    )
    tables: tuple[TableSource, ...] = ()
    if schema is not None:
        tables = (TableSource(file=file, year=year, code="{" + code_column + "}", where=where),)
    return Manifest(
        path=str(file), title=file.stem, attribution="Bron: CBS", catalog=catalog_path,
        boundaries=(boundary, *parents), tables=tables, notes=notes,
    )


def _code_columns(file: Path, table: pd.DataFrame) -> tuple[Level, str, list[tuple[Level, str]]]:
    """The finest level with a column of unique CBS codes, that column, and (level, column) of each
    coarser level the file codes too (a buurt's wijkcode and gemeentecode)."""
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
            return level, found[level], [(c, found[c]) for c in LEVELS[: LEVELS.index(level)] if c in found]
    raise InputError(file, "found no column with unique CBS codes (GMxxxx, WKxxxxxx or BUxxxxxxxx); " + _local_code_hint(table))


def _local_code_hint(table: pd.DataFrame) -> str:
    """A municipality's own layer numbers its wijken and buurten without GM/WK/BU and gemeente code
    ('01', '0111'): say which column that is and how a manifest completes it."""
    for column in table.columns:
        values = table[column].dropna().astype(str).str.strip()
        if len(values) and table[column].dtype.kind not in "f" and values.str.fullmatch(r"\d{2,8}").all() and not values.duplicated().any():
            example, digits = values.iloc[0], values.str.len().max()
            template, meaning = {
                2: (f"WK0344{{{column}}}", "wijk numbers within a gemeente (0344 is Utrecht's code: use yours)"),
                4: (f"GM{{{column}}}", "a gemeente code") if len(values) == 1
                else (f"BU0344{{{column}}}", "wijk and buurt numbers within a gemeente (0344 is Utrecht's code: use yours)"),
                6: (f"WK{{{column}}}", "gemeente and wijk numbers"),
                8: (f"BU{{{column}}}", "gemeente, wijk and buurt numbers"),
            }.get(digits, (f"BU0344{{{column}}}", "numbers without the CBS prefix"))
            return (
                f"column {column} holds codes like {example!r}, {meaning}: write a manifest whose code template makes "
                f"CBS codes of them, e.g. code = \"{template}\" (demo/wijkmonitor.toml does this for Utrecht's own layers)"
            )
    return "write a manifest that says which column holds the codes (code = \"{column}\", see README)"


def _name_column(columns: ColumnLookup, level: Level, own: bool = True) -> str | None:
    """The column naming the file's own regions (`own`), or those of a coarser level it names."""
    short = {Level.gemeente: "gm", Level.wijk: "wk", Level.buurt: "bu"}[level]
    return columns.first([f"{level.value}naam", f"{short}_naam", *(("statnaam", "naam", "name") if own else ())])


def _no_year(file: Path, table: pd.DataFrame, catalog: Catalog, schema: Schema | None) -> NoReturn:
    """No year anywhere: say which release the columns look like, so --year is easy to give."""
    if schema is None:
        raise InputError(file, "cannot tell the year of these boundaries; pass --year")
    columns = ", ".join(matching_columns(table.columns, catalog, schema)[:4])
    raise InputError(file, f"columns {columns} look like {schema.title} of {schema.years_text()}; pass --year")
