"""Adapter for wide tables: one row per region (and period), one column per figure.

Covers every published family the catalog has a schema for: the CBS "Kerncijfers wijken en
buurten" release files (a_inw ...), the Wijk- en Buurtkaart layers of each era (aant_inw,
aantal_inwoners, aantalInwoners ...), StatLine OData tables (RegioS, Perioden, AantalInwoners_5)
and StatLine's CSV met statistische symbolen (region names, periods in the header). The catalog
says which column feeds which indicator and group, per schema.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.catalog import Catalog, Schema, SourceMapping
from geodata.cells import NotANumber, parse_cell
from geodata.errors import InputError, InputErrors
from geodata.figures import FIGURE_COLUMNS
from geodata.manifest import TableSource
from geodata.names import gemeente_codes
from geodata.regions import NATIONAL_CODE, REGION_FACTS
from geodata.report import BuildReport, shortened
from geodata.schemas import closest_catalog_column, matching_columns, stated_year
from geodata.sources import (
    VECTOR_SUFFIXES,
    ColumnLookup,
    fill_template,
    is_single_column,
    parse_codes,
    require_codes,
    row_numbers,
    template_columns,
)
from geodata.statline import INDELING_COLUMN, NAME_COLUMN, NAME_KEY, PERIOD_COLUMN, period_year
from geodata.values import parse_column, publishable, summed

# What a table says about its regions besides figures: names, and the catalog's region facts.
REGION_FACT_COLUMNS = ["code", "year", "name", *REGION_FACTS]
_SHOWN_UNMAPPED = 25
# Numeric columns that are keys or bookkeeping, not figures (region facts: see the catalog).
_NOT_FIGURES = {"jaar", "id", "fid", "objectid", "gml_id", "gwb_code_8"}


def read_wide_table(
    source: TableSource, frame: pd.DataFrame, schema: Schema, catalog: Catalog, report: BuildReport,
    regions: Mapping[str, pd.DataFrame],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Long-form figures and region facts (code, year, name, indelingswijziging) from one wide
    table (its rows after the manifest's filter, read as `schema`). `regions` (code, name, year per
    level) resolve tables that name regions instead of coding them."""
    file = source.file
    is_table = file.suffix.lower() not in VECTOR_SUFFIXES
    rows = row_numbers(frame, is_table)
    lookup = ColumnLookup(frame.columns)
    years = _years(source, frame, lookup, schema, catalog, report)
    codes = _codes(source, frame, lookup, schema, years, rows, report, regions)
    keep = codes.notna() & years.notna()
    frame, codes, years, rows = frame[keep], codes[keep], years[keep].astype(int), rows[keep]
    if frame.empty:  # a header only, or no row of a region: _check_figures in the build decides
        return pd.DataFrame(columns=FIGURE_COLUMNS), pd.DataFrame(columns=REGION_FACT_COLUMNS)
    outside = sorted({int(y) for y in years.unique() if not schema.years[0] <= y <= schema.years[1]})
    if outside:
        report.warn(
            f"{file.name}: read as {schema.title} ({schema.years_text()}), but the figures are of {outside}; "
            "check that CBS kept these names"
        )
    facts = _region_facts(source, frame, lookup, schema, catalog, codes, years)

    errors: list[InputError] = []
    parsed: dict[str, tuple[pd.Series, pd.Series]] = {}

    def column(name: str) -> tuple[pd.Series, pd.Series]:
        if name not in parsed:
            parsed[name] = parse_column(file, frame, name, errors, rows)
        return parsed[name]

    parts, absent, used = [], set(), set()
    missing_denominators: dict[str, list[str]] = {}  # column -> indicators that need it
    for indicator in catalog.indicators.values():
        mapping = indicator.sources.get(schema.id)
        if mapping is None:
            continue
        denominator_columns = [lookup.first(alternatives) for alternatives in mapping.denominator]
        wanted = [lookup.first(a) for a in mapping.groups.values()] if not mapping.dimension else [lookup.first((mapping.measure,))]
        used.update(c for c in denominator_columns + wanted if c)
        used.update(c for c in (lookup.first([key]) for key in [*mapping.where, mapping.dimension or ""]) if c)
        if None in denominator_columns:
            missing = [alternatives[0] for alternatives, c in zip(mapping.denominator, denominator_columns) if c is None]
            if any(wanted):
                # Without the denominator the publication rule cannot be applied: not a figure to skip quietly.
                for name in missing:
                    missing_denominators.setdefault(name, []).append(indicator.id)
            absent.update(missing)
            continue
        selected = _where(frame, lookup, mapping)
        for group, subset, numerator_column in _groups(frame, lookup, mapping, selected):
            if numerator_column is None:
                absent.add(mapping.measure if mapping.dimension else mapping.groups[group][0])
                continue
            if not subset.any():
                continue
            duplicated = pd.Series(list(zip(codes[subset], years[subset]))).duplicated(keep=False)
            if duplicated.any():
                first = int(np.flatnonzero(duplicated.values)[0])
                code, year = codes[subset].iloc[first], years[subset].iloc[first]
                raise InputErrors([
                    InputError(file, f"region {code} {year} appears more than once for {indicator.id} {group}"
                               + ("; filter the rows with where = {...}" if not mapping.where else ""), row=int(r))
                    for r in rows[subset][duplicated.values][:5]
                ])
            numerator, num_status = (s[subset] for s in column(numerator_column))
            denominator = den_status = None
            if denominator_columns:
                denominator, den_status = summed([tuple(s[subset] for s in column(c)) for c in denominator_columns])
            value, status = publishable(indicator, numerator, num_status, denominator, den_status, mapping.scale)
            parts.append(pd.DataFrame({
                "code": codes[subset].values,
                "year": years[subset].values,
                "indicator": indicator.id,
                "group": group,
                "value": value.values,
                "denominator": denominator.values if denominator is not None else float("nan"),
                "status": status.values,
                "source": file.name,
                "method": None,
            }))
    for name, needing in missing_denominators.items():
        near = _near_names(name, [c for c in frame.columns if c not in used])
        errors.append(InputError(
            file,
            f"the file has no column {name}, the denominator that {', '.join(needing)} need(s) to check that enough "
            "are counted" + (f"; the file has {', '.join(near)}: a typo?" if near else ""),
            column=name,
        ))
    typos = [
        (name, near) for name in sorted(absent - set(missing_denominators))
        for near in [_near_names(name, [c for c in frame.columns if c not in used])] if near
    ]
    if typos and schema.format == "wide":
        # One edit away from a catalog column: a figure would be silently missing.
        errors.extend(
            InputError(file, f"column {', '.join(near)} looks like the catalog's {name}: rename it (or map it in your own catalog)", column=near[0])
            for name, near in typos
        )
    if errors:
        raise InputErrors(errors)
    if absent:
        report.warn(f"{file.name}: catalog columns of schema {schema.id} not in this file (no figures from them): {', '.join(sorted(absent))}")
    keys = set(template_columns(source.code)) if source.code else set()  # the code column the manifest names
    _report_unmapped(file, frame, lookup, schema, used | keys, catalog, report)
    if not parts:
        raise InputError(file, f"no column of this file gives a figure of the catalog's schema {schema.id} ({schema.title})")
    return pd.concat(parts, ignore_index=True)[FIGURE_COLUMNS], facts


def _years(
    source: TableSource, frame: pd.DataFrame, lookup: ColumnLookup, schema: Schema, catalog: Catalog, report: BuildReport
) -> pd.Series:
    period = lookup.first([PERIOD_COLUMN])
    if period is not None and source.year is None:
        years = frame[period].map(period_year)
        skipped = frame.loc[years.isna(), period].unique()
        if len(skipped):
            report.warn(f"{source.file.name}: only yearly figures are read; skipped periods {', '.join(map(str, skipped[:8]))}")
        return years.astype(float)
    year, note = (source.year, None) if source.year else stated_year(source.file, frame, schema)
    if note:
        report.warn(note)
    if year is None:
        raise InputError(
            source.file,
            f"columns {', '.join(matching_columns(frame.columns, catalog, schema)[:4])} look like {schema.title} "
            f"({schema.years_text()}), but the file does not say its year; pass --year (or year = ... in the manifest)",
        )
    return pd.Series(float(year), index=frame.index)


def _codes(
    source: TableSource, frame: pd.DataFrame, lookup: ColumnLookup, schema: Schema, years: pd.Series,
    rows: pd.Series, report: BuildReport, regions: Mapping[str, pd.DataFrame],
) -> pd.Series:
    file = source.file
    if source.code:
        raw = fill_template(file, frame, source.code)
        codes = parse_codes(raw, bare=is_single_column(source.code))
        require_codes(file, raw, codes, rows, "CBS region")
        return codes
    code_column = lookup.first(schema.code)
    if code_column is not None:
        codes = parse_codes(frame[code_column], bare=True)
        if schema.format == "statline":
            # StatLine region dimensions hold provinces (PV), COROP (CR), landsdelen (LD) too.
            other = frame.loc[codes.isna(), code_column].astype(str).str.strip()
            if len(other):
                report.warn(f"{file.name}: {len(other)} rows of other region types skipped (e.g. {', '.join(other.unique()[:5])})")
        else:
            require_codes(file, frame[code_column], codes, rows, "CBS region")
        return codes
    # Names stand in for codes only in a table published without codes (not a coded table missing its code column).
    name_column = NAME_KEY if NAME_KEY in frame.columns else (lookup.first(schema.name) if not schema.code else None)
    if name_column is None:
        raise InputError(
            file, f"found no region code column (one of {', '.join(schema.code)}); give code = \"{{column}}\" in the manifest",
            column=schema.code[0],
        )
    indeling = int(frame[INDELING_COLUMN].iloc[0]) if INDELING_COLUMN in frame.columns and len(frame) else None
    shown = NAME_COLUMN if name_column == NAME_KEY else str(name_column)
    return gemeente_codes(file, frame[name_column], years, regions, report, rows, shown, indeling)


def _region_facts(
    source: TableSource, frame: pd.DataFrame, lookup: ColumnLookup, schema: Schema, catalog: Catalog,
    codes: pd.Series, years: pd.Series,
) -> pd.DataFrame:
    """Name and region facts per code and year; None where the table does not say."""
    template = source.name or ("{" + str(lookup.first(schema.name)) + "}" if lookup.first(schema.name) else None)
    result = pd.DataFrame({"code": codes.values, "year": years.values}, columns=REGION_FACT_COLUMNS)
    if template is not None:
        names = fill_template(source.file, frame, template)
        result["name"] = names.where(names != "", None).values
    for fact, alternatives in catalog.region_fact_columns(schema.id).items():
        column = lookup.first(alternatives)
        if column is not None:
            # A code (1, 2, 3); CBS/PDOK markers for unknown (., -99999999) read as none.
            value = pd.to_numeric(frame[column].astype(str).str.strip(), errors="coerce")
            result[fact] = value.where((value >= 0) & (value % 1 == 0)).values
    said = result[["name", *REGION_FACTS]].notna().any(axis=1)
    return result[said & (result["code"] != NATIONAL_CODE)].drop_duplicates(["code", "year"])


def _where(frame: pd.DataFrame, lookup: ColumnLookup, mapping: SourceMapping) -> pd.Series:
    """The rows a StatLine mapping reads (e.g. SoortMisdrijf = 0000000); none when the column is absent."""
    selected = pd.Series(True, index=frame.index)
    for key, value in mapping.where.items():
        column = lookup.first([key])
        if column is None:
            return pd.Series(False, index=frame.index)
        selected &= frame[column].astype(str).str.strip() == value
    return selected


def _groups(
    frame: pd.DataFrame, lookup: ColumnLookup, mapping: SourceMapping, selected: pd.Series
) -> Iterator[tuple[str, pd.Series, str | None]]:
    """(group, rows, numerator column) per group of a mapping."""
    if mapping.dimension:
        dimension = lookup.first([mapping.dimension])
        measure = lookup.first([mapping.measure])
        for group, values in mapping.groups.items():
            if dimension is None:
                yield group, selected, None
                continue
            yield group, selected & frame[dimension].astype(str).str.strip().isin(values), measure
        return
    for group, alternatives in mapping.groups.items():
        yield group, selected, lookup.first(alternatives)


def _report_unmapped(file: Path, frame: pd.DataFrame, lookup: ColumnLookup, schema: Schema, used: set[str], catalog: Catalog, report: BuildReport) -> None:
    """Name every numeric column the catalog does not read, with the closest catalog column."""
    skip = {lookup.first(schema.code), lookup.first(schema.name), lookup.first([PERIOD_COLUMN])} | used
    skip |= {lookup.first(alternatives) for alternatives in catalog.region_fact_columns(schema.id).values()}
    known = catalog.schema_columns(schema.id)
    unmapped, second_names = [], []
    for column in frame.columns:
        if column in skip or str(column).startswith("__") or str(column).lower() in _NOT_FIGURES or not _numeric(frame[column]):
            continue
        if str(column).lower() in known:
            # "a|b" in the catalog and the file has both (PDOK 2023: gemiddeldAardgasverbruik and the
            # always empty gemiddeldGasverbruikTotaal): the first is read, this one is not a new figure.
            second_names.append(str(column))
            continue
        hint = closest_catalog_column(str(column), catalog, schema.id)
        unmapped.append(f"{column}" + (f" (closest: {hint})" if hint else ""))
    if unmapped:
        report.warn(
            f"{file.name} (read as schema {schema.id}): {len(unmapped)} numeric column(s) the catalog does not map "
            "(no figures from them): "
            f"{shortened(unmapped, _SHOWN_UNMAPPED, '; ')}"
        )
    if second_names:
        report.warn(
            f"{file.name}: not read, because another name of the same figure comes first in the catalog "
            f"and is in the file: {shortened(second_names, _SHOWN_UNMAPPED)}"
        )


def _near_names(name: str, columns: list[object]) -> list[str]:
    """File columns one slip away from a catalog column name (a_0_14 for a_00_14)."""
    lower = {str(c).lower(): str(c) for c in columns if not str(c).startswith("__")}
    return [lower[m] for m in difflib.get_close_matches(name.lower(), list(lower), n=2, cutoff=0.9)]


def _numeric(values: pd.Series) -> bool:
    """Mostly numbers: at least one real number and no text other than CBS markers."""
    if values.dtype.kind in "iuf":
        return bool(values.notna().any())
    seen = 0
    for cell in values.head(200):
        try:
            value, _ = parse_cell(cell)
        except NotANumber:
            return False
        seen += value is not None
    return seen > 0
