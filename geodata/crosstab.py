"""Adapter for cross-tabulated tables: one row per region and cell of a cross-classification, such
as Vektis' zorgkosten per gemeente x GESLACHT x LEEFTIJDSKLASSE.

A cell's figure is read: its numerator columns summed, divided by `per`. A group over several
cells (totaal, man, leeftijd_0_4) is computed from the sums over its cells, and only when every
one of them is in the file: publishers leave small cells out, and a sum without them would look
complete while it is not.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.catalog import Catalog, Indicator, Schema, SourceMapping, cell_value, cross_group
from geodata.cells import Status
from geodata.errors import InputError, InputErrors
from geodata.figures import FIGURE_COLUMNS
from geodata.manifest import TableSource
from geodata.names import gemeente_codes
from geodata.report import BuildReport, shortened
from geodata.schemas import stated_year
from geodata.sources import (
    ColumnLookup,
    file_name_year,
    fill_template,
    is_single_column,
    parse_codes,
    require_codes,
    row_numbers,
)
from geodata.values import parse_column, publishable, summed

_OK = Status.ok.value
_MISSING = Status.missing.value
Parsed = tuple[pd.Series, pd.Series]  # values, statuses


def read_crosstab_table(
    source: TableSource, frame: pd.DataFrame, schema: Schema, catalog: Catalog, report: BuildReport,
    regions: Mapping[str, pd.DataFrame],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long-form figures of every cell and every group over cells; no region names (the table's own,
    such as Vektis' capitals, should not replace the CBS names)."""
    file = source.file
    rows = row_numbers(frame, True)
    lookup = ColumnLookup(frame.columns)
    dimensions = {column: _column(file, lookup, column, schema) for column in schema.cells}
    region, region_column = _region_cells(source, frame, lookup, schema)
    assignable = region != ""
    if not assignable.all():
        _report_unassignable(file, frame, lookup, rows[~assignable], region_column, catalog, schema, report)
    frame, rows, region = frame[assignable], rows[assignable], region[assignable]
    year = _year(source, frame, schema, report)
    cells = pd.DataFrame({column: _groups(file, frame[name], rows, schema.cells[column], name) for column, name in dimensions.items()})
    if region_column is None:
        codes = parse_codes(region, bare=is_single_column(source.code or "{}"))
        require_codes(file, region, codes, rows, "CBS region")
    elif lookup.first(schema.code) is not None:
        codes = parse_codes(region, bare=True)
        require_codes(file, region, codes, rows, "CBS region")
    else:
        years = pd.Series(float(year), index=frame.index)
        codes = gemeente_codes(file, region, years, regions, report, rows, region_column)
    cells.insert(0, "code", codes)
    known = codes.notna()
    frame, rows, cells = frame[known], rows[known], cells[known]
    _check_unique(file, cells, rows)

    errors: list[InputError] = []
    parsed: dict[str, Parsed] = {}

    def column(name: str) -> Parsed:
        if name not in parsed:
            parsed[name] = parse_column(file, frame, name, errors, rows)
        return parsed[name]

    parts, incomplete = [], set()
    for indicator in catalog.indicators.values():
        mapping = indicator.sources.get(schema.id)
        if mapping is None:
            continue
        wanted = [*mapping.numerator, *((mapping.per,) if mapping.per else ()), *mapping.denominator]
        absent = [alternatives[0] for alternatives in wanted if lookup.first(alternatives) is None]
        if absent:
            report.warn(f"{file.name}: no {indicator.id} figures, the file lacks {', '.join(absent)}")
            continue
        sums = _cell_sums(lookup, mapping, column)
        if errors:
            raise InputErrors(errors)
        figures, missing = _figures(indicator, schema, cells, sums)
        incomplete |= missing
        parts.append(figures.assign(year=year, source=file.name))
    _report_unread(file, frame, schema, catalog, region_column, report)
    if incomplete:
        _report_incomplete(file, incomplete, report)
    if not parts:
        raise InputError(file, f"no column of this file gives a figure of the catalog's schema {schema.id} ({schema.title})")
    return pd.concat(parts, ignore_index=True)[FIGURE_COLUMNS], pd.DataFrame(columns=["code", "year", "name"])


def _column(file: Path, lookup: ColumnLookup, name: str, schema: Schema) -> str:
    found = lookup.first([name])
    if found is None:
        raise InputError(file, f"no column {name}, which {schema.title} has", column=name)
    return str(found)


def _region_cells(source: TableSource, frame: pd.DataFrame, lookup: ColumnLookup, schema: Schema) -> tuple[pd.Series, str | None]:
    """Each row's region as written (a code, or a name to match), and the column it is in (None: a template)."""
    if source.code:
        return fill_template(source.file, frame, source.code).str.strip(), None
    column = lookup.first(schema.code) or lookup.first(schema.name)
    if column is None:
        raise InputError(source.file, f"found no region column (one of {', '.join(schema.code + schema.name)})", column=(schema.code + schema.name)[0])
    return frame[column].fillna("").astype(str).str.strip(), str(column)


def _report_unassignable(
    file: Path, frame: pd.DataFrame, lookup: ColumnLookup, rows: pd.Series, region_column: str | None,
    catalog: Catalog, schema: Schema, report: BuildReport,
) -> None:
    """Rows without a region (Vektis' last row: insured persons it cannot place) are left out, and said."""
    counted = next((m.denominator[0] for i in catalog.indicators.values() if (m := i.sources.get(schema.id)) and m.denominator), None)
    column = lookup.first(counted) if counted else None
    total = pd.to_numeric(frame.loc[rows.index, column], errors="coerce").sum() if column is not None else None
    report.warn(
        f"{file.name}: {len(rows)} row(s) without a region in {region_column or 'the code template'} skipped (not assignable): "
        f"row {shortened([str(r) for r in rows])}" + (f" ({column} {total:g} together)" if total is not None else "")
    )


def _year(source: TableSource, frame: pd.DataFrame, schema: Schema, report: BuildReport) -> int:
    """The figures' year: given, stated by the file, or that of a one-release schema. Vektis keeps
    its column names from year to year and states the year only in the file name, so a name that
    says another year than the schema's stops the build rather than mislabel a whole file."""
    file = source.file
    if source.year is None:
        year, note = stated_year(file, frame, schema)
        named = file_name_year(file)
        if year is not None and named is not None and named != year:
            raise InputError(
                file, f"its name says {named}, while {schema.title} is known for {schema.years_text()} only; "
                f"give year = {named} in the manifest if the columns are the same"
            )
    else:
        year, note = source.year, None
    if note:
        report.warn(note)
    if year is None:
        raise InputError(file, f"read as {schema.title}, but the file does not say its year; give year = ... in the manifest")
    if not schema.years[0] <= year <= schema.years[1]:
        report.warn(f"{file.name}: read as {schema.title} ({schema.years_text()}), but the figures are of {year}; check that the publisher kept these names and cells")
    return int(year)


def _groups(file: Path, values: pd.Series, rows: pd.Series, groups: dict[str, str], column: str) -> pd.Series:
    """The group of each row's value of one dimension; a value the catalog does not know stops the
    build, since every sum over cells would silently leave its rows out."""
    published = values.fillna("").map(cell_value)
    found = published.map(groups)
    unknown = found.isna()
    if unknown.any():
        raise InputErrors([
            InputError(file, f"{published[i]!r} is not a value of {column} the catalog knows ({', '.join(groups)})", row=int(rows[i]), column=column)
            for i in found.index[unknown][:20]
        ])
    return found


def _check_unique(file: Path, cells: pd.DataFrame, rows: pd.Series) -> None:
    repeated = cells.duplicated(keep=False)
    if repeated.any():
        raise InputErrors([
            InputError(file, f"region {cells.at[i, 'code']} has the cell {', '.join(cells.loc[i].iloc[1:])} more than once", row=int(rows[i]))
            for i in cells.index[repeated][:10]
        ])


def _cell_sums(lookup: ColumnLookup, mapping: SourceMapping, column: Callable[[str], Parsed]) -> pd.DataFrame:
    """Per cell: numerator, per and denominator (each summed over its columns), and whether each is known."""
    def columns(alternatives: tuple[tuple[str, ...], ...]) -> Parsed:
        return summed([column(lookup.first(a)) for a in alternatives])

    numerator, num_status = columns(mapping.numerator)
    per, per_status = columns((mapping.per,)) if mapping.per else (pd.Series(1.0, index=numerator.index), num_status)
    denominator, den_status = columns(mapping.denominator) if mapping.denominator else (pd.Series(np.nan, index=numerator.index), num_status)
    return pd.DataFrame({
        "num": numerator, "per": per, "den": denominator,
        "ok": (num_status == _OK) & (per_status == _OK), "den_ok": den_status == _OK,
        "status": num_status.where(per_status == _OK, per_status), "den_status": den_status,
    })


def _figures(indicator: Indicator, schema: Schema, cells: pd.DataFrame, sums: pd.DataFrame) -> tuple[pd.DataFrame, set[tuple[str, str]]]:
    """Figures of every cell and of every group over cells; the (code, group) pairs not computed
    because a cell is absent or unknown."""
    data = pd.concat([cells, sums], axis=1)
    dimensions = list(schema.cells)
    codes = pd.unique(data["code"])
    parts, incomplete = [], set()
    for size in range(len(dimensions) + 1):
        for fixed in itertools.combinations(dimensions, size):
            if size == len(dimensions):  # the cells themselves, as published
                found = data.assign(method=None)
            else:
                found = _sums_over_cells(data, codes, list(fixed), schema)
            found["group"] = [cross_group(p) for p in zip(*(found[c] for c in fixed))] if fixed else cross_group(())
            if size < len(dimensions):
                dropped = found[found["status"] != _OK]
                incomplete |= set(zip(dropped["code"], dropped["group"]))
            parts.append(found)
    found = pd.concat(parts, ignore_index=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = found["num"] / found["per"].where(found["per"] != 0)
    value, status = publishable(indicator, ratio, found["status"], found["den"], found["den_status"], None)
    figures = pd.DataFrame({
        "code": found["code"], "indicator": indicator.id, "group": found["group"], "value": value,
        "denominator": found["den"].where(found["status"] == _OK), "status": status, "method": found["method"],
    })
    return figures, incomplete


def _sums_over_cells(data: pd.DataFrame, codes: np.ndarray, fixed: list[str], schema: Schema) -> pd.DataFrame:
    """Sums over the cells of each region and combination of the `fixed` dimensions, with status
    missing where one of its cells is absent from the file or not known."""
    keys = ["code", *fixed]
    values = [codes, *(pd.unique(pd.Series(schema.cells[c].values())) for c in fixed)]
    everything = pd.MultiIndex.from_product(values, names=keys)
    sums = data.groupby(keys).agg(
        num=("num", "sum"), per=("per", "sum"), den=("den", "sum"), cells=("num", "size"), ok=("ok", "all"), den_ok=("den_ok", "all"),
    )
    if not isinstance(sums.index, pd.MultiIndex):
        sums.index = pd.MultiIndex.from_arrays([sums.index], names=keys)
    sums = sums.reindex(everything)
    needed = int(np.prod([len(set(schema.cells[c].values())) for c in schema.cells if c not in fixed]))
    complete = (sums["cells"] == needed) & sums["ok"].fillna(False).astype(bool)
    sums = sums.reset_index()
    complete = complete.to_numpy()
    return sums.assign(
        status=np.where(complete, _OK, _MISSING),
        den_status=np.where(complete & sums["den_ok"].fillna(False).astype(bool).to_numpy(), _OK, _MISSING),
        method=np.where(complete, schema.method, None),
    )


def _report_incomplete(file: Path, incomplete: set[tuple[str, str]], report: BuildReport) -> None:
    per_code: dict[str, list[str]] = {}
    for code, group in sorted(incomplete):
        per_code.setdefault(code, []).append(group)
    shown = [f"{code} ({', '.join(groups)})" for code, groups in per_code.items()]
    report.warn(
        f"{file.name}: {len(incomplete)} figures over several cells not computed in each indicator (status missing): a cell "
        f"they sum is absent from the file (left out as too small) or has no value; {len(per_code)} regions: {shortened(shown, sep='; ')}"
    )


def _report_unread(
    file: Path, frame: pd.DataFrame, schema: Schema, catalog: Catalog, region_column: str | None, report: BuildReport
) -> None:
    """A column no mapping reads would be left out of every sum: name it."""
    read = {c.lower() for c in catalog.schema_columns(schema.id)} | {c.lower() for c in schema.cells}
    read |= {region_column.lower()} if region_column else set()
    unread = [str(c) for c in frame.columns if str(c).lower() not in read and not str(c).startswith("__")]
    if unread:
        report.warn(f"{file.name}: {len(unread)} column(s) the catalog does not read (in no figure): {shortened(unread)}")
