"""Recognise which published schema a table uses (KWB release, PDOK layer of some years, a
StatLine table ...) from its column names, and say what is close when nothing fits."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from geodata.catalog import Catalog, Schema
from geodata.errors import InputError
from geodata.manifest import AUTO_FORMAT, STATLINE_FORMAT, TableSource
from geodata.sources import file_name_year, table_year

_TABLE_ID = re.compile(r"(\d{5}NED)", re.IGNORECASE)


def statline_table_id(file: Path) -> str | None:
    """StatLine downloads carry their table id in the file name (70072ned_UntypedDataSet_...csv)."""
    match = _TABLE_ID.search(file.name)
    return match.group(1).upper() if match else None


def detect_schema(
    file: Path, columns: Iterable[str], catalog: Catalog, year: int | None = None, table: str | None = None
) -> Schema:
    """The schema whose columns the table has most of; a StatLine table id (given, or in the file
    name) decides."""
    columns = [str(c) for c in columns]
    if table:
        schema = catalog.schema_for_table(table)
        if schema is None:
            raise InputError(file, f"the catalog has no schema for StatLine table {table}")
        return schema
    table_id = statline_table_id(file)
    schema = catalog.schema_for_table(table_id) if table_id else None
    if schema is not None:
        return schema
    lower = {c.lower() for c in columns}
    scores = {sid: len(lower & catalog.schema_columns(sid)) for sid in catalog.schemas}
    best = max(scores.values(), default=0)
    if best == 0:
        raise InputError(file, no_schema_message(columns, catalog))
    tied = [catalog.schemas[sid] for sid, n in scores.items() if n == best]
    if year is not None:
        tied.sort(key=lambda s: not (s.years[0] <= year <= s.years[1]))
    return tied[0]


def table_schema(source: TableSource, frame: pd.DataFrame, catalog: Catalog) -> Schema:
    """The schema a manifest table is read as: the one its format names, else the one its columns fit."""
    if source.format not in (AUTO_FORMAT, STATLINE_FORMAT):
        try:
            return catalog.schemas[source.format]
        except KeyError:
            raise InputError(
                source.file, f"format {source.format!r} is not a schema of the catalog; known: tidy, statline, auto, {', '.join(catalog.schemas)}"
            ) from None
    columns = [c for c in frame.columns if not str(c).startswith("__")]
    return detect_schema(source.file, columns, catalog, source.year, source.table)


def stated_year(file: Path, frame: pd.DataFrame, schema: Schema | None) -> tuple[int | None, str | None]:
    """(year, note) of a file that was given none: the one it states (jaar, a 2023GM0344 statcode, a
    WFS gml_id), else that of a one-release schema (85984NED), else the one in its name (said in
    the note); (None, None) when nothing tells."""
    year = table_year(frame)
    if year is None and schema is not None and schema.years[0] == schema.years[1]:
        year = schema.years[0]
    if year is not None:
        return year, None
    year = file_name_year(file)  # kwb-2023.xlsx, wijkenbuurten_2017.gpkg
    if year is None:
        return None, None
    return year, f"{file.name}: the file states no year; {year} is taken from its name (pass --year, or year = ... in a manifest, to change it)"


def matching_columns(columns: Iterable[str], catalog: Catalog, schema: Schema) -> list[str]:
    known = catalog.schema_columns(schema.id)
    return [c for c in columns if str(c).lower() in known]


def no_schema_message(columns: list[str], catalog: Catalog) -> str:
    """Name the columns seen and the schema that comes closest (most columns with a near name)."""
    lower = [c.lower() for c in columns]
    best, best_hits = None, []
    for sid in catalog.schemas:
        known = sorted(catalog.schema_columns(sid))
        hits = [c for c in lower if difflib.get_close_matches(c, known, n=1, cutoff=0.8)]
        if len(hits) > len(best_hits):
            best, best_hits = catalog.schemas[sid], hits
    seen = ", ".join(columns[:20]) + (f" ... ({len(columns)} columns)" if len(columns) > 20 else "")
    message = f"no column of this file is one the catalog knows; columns seen: {seen}"
    if best is not None:
        message += (
            f". Closest known schema: {best.id} ({best.title}, {best.years_text()}), with names like "
            f"{', '.join(best_hits[:5])}; check the column names, or map them in your own catalog (--catalog)"
        )
    else:
        message += "; write the figures in the tidy format (see README) or map the columns in your own catalog (--catalog)"
    return message


def closest_catalog_column(column: str, catalog: Catalog, schema: str) -> str | None:
    """'aantal_inwonerss' -> 'aantal_inwoners (inwoners, schema pdok_snake)': a hint for an unmapped column,
    from the file's own schema first (a_vrouwen -> a_vrouw), then from every schema if one is very near."""
    name = column.lower()
    match = difflib.get_close_matches(name, sorted(catalog.schema_columns(schema)), n=1, cutoff=0.8) or (
        difflib.get_close_matches(name, list(catalog.column_owners), n=1, cutoff=0.9)
    )
    if not match:
        return None
    name, owner = catalog.column_owners[match[0]]
    return f"{name} ({owner})"
