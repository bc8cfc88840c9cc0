"""Recognise which published schema a table uses (KWB release, PDOK layer of some years, a
StatLine table ...) from its column names, and say what is close when nothing fits."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from pathlib import Path

from geodata.catalog import Catalog, Schema
from geodata.errors import InputError

_TABLE_ID = re.compile(r"(\d{5}NED)", re.IGNORECASE)


def statline_table_id(file: Path) -> str | None:
    """StatLine downloads carry their table id in the file name (70072ned_UntypedDataSet_...csv)."""
    match = _TABLE_ID.search(file.name)
    return match.group(1).upper() if match else None


def detect_schema(file: Path, columns: Iterable[str], catalog: Catalog, year: int | None = None) -> Schema:
    """The schema whose columns the table has most of; a StatLine table id in the file name decides."""
    columns = [str(c) for c in columns]
    table_id = statline_table_id(file)
    for schema in catalog.schemas.values():
        if table_id and schema.table == table_id:
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


def closest_catalog_column(column: str, catalog: Catalog) -> str | None:
    """'aantal_inwonerss' -> 'aantal_inwoners (inwoners, schema pdok_snake)': a hint for an unmapped column."""
    owners: dict[str, tuple[str, str]] = {}  # lower case -> (as written, owner)
    for indicator in catalog.indicators.values():
        for sid, mapping in indicator.sources.items():
            names = [a for alts in (*mapping.groups.values(), *mapping.denominator) for a in alts]
            for name in names:
                owners.setdefault(name.lower(), (name, f"{indicator.id}, schema {sid}"))
    match = difflib.get_close_matches(column.lower(), list(owners), n=1, cutoff=0.9)
    if not match:
        return None
    name, owner = owners[match[0]]
    return f"{name} ({owner})"
