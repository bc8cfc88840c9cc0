"""Adapter for wide tables: one row per region, one column per figure.

Covers the CBS "Kerncijfers wijken en buurten" release files (schema "kwb": gwb_code_10,
a_inw, a_00_14, a_nl_all, g_wozbag ...) and the attributes of the CBS/PDOK wijk- en
buurtkaart layers (schema "pdok": gemeentecode, aantalInwoners, ...). The catalog says
which column feeds which indicator and group.
"""

from __future__ import annotations

import pandas as pd

from geodata.catalog import Catalog
from geodata.errors import InputError, InputErrors
from geodata.figures import FIGURE_COLUMNS
from geodata.manifest import TableSource
from geodata.regions import NATIONAL_CODE, level_of_code
from geodata.report import BuildReport
from geodata.sources import (
    VECTOR_SUFFIXES,
    apply_where,
    check_codes,
    fill_template,
    read_table,
    row_number,
)
from geodata.values import parse_column, publishable

_DEFAULTS = {"kwb": {"code": "{gwb_code_10}", "name": "{regio}"}, "pdok": {}}


def read_wide_table(source: TableSource, catalog: Catalog, report: BuildReport) -> tuple[pd.DataFrame, pd.Series]:
    """Long-form values and region names (code -> name) from one wide table."""
    is_table = source.file.suffix.lower() not in VECTOR_SUFFIXES
    frame = apply_where(source.file, read_table(source.file, source.sheet, source.layer), source.where)
    defaults = _DEFAULTS[source.format]
    code_template = source.code or defaults.get("code")
    if not code_template:
        raise InputError(source.file, f"a {source.format} table needs code = \"{{column}}\" in the manifest")
    codes = fill_template(source.file, frame, code_template)
    check_codes(source.file, codes, lambda c: c == NATIONAL_CODE or level_of_code(c) is not None, "CBS region", is_table)
    duplicated = codes[codes.duplicated(keep=False)]
    if len(duplicated):
        raise InputErrors([
            InputError(source.file, f"region {code} appears more than once", row=row_number(i, is_table))
            for i, code in duplicated.items()
        ])
    name_template = source.name or defaults.get("name")
    names = (
        pd.Series(fill_template(source.file, frame, name_template).values, index=codes.values)
        if name_template
        else pd.Series(dtype=object)
    )

    errors: list[InputError] = []
    parsed: dict[str, tuple[pd.Series, pd.Series]] = {}

    def column(name: str) -> tuple[pd.Series, pd.Series]:
        if name not in parsed:
            parsed[name] = parse_column(source.file, frame, name, errors, is_table)
        return parsed[name]

    parts = []
    absent: set[str] = set()
    for indicator in catalog.indicators.values():
        mapping = indicator.sources.get(source.format)
        if mapping is None:
            continue
        missing_den = [c for c in mapping.denominator if c not in frame.columns]
        if missing_den:
            present = [c for c in mapping.groups.values() if c in frame.columns]
            if present:
                # Without the denominator the publication rule cannot be applied: not a figure to skip quietly.
                errors.append(InputError(
                    source.file,
                    f"{indicator.id} needs its denominator column(s) {', '.join(missing_den)} beside "
                    f"{', '.join(present)}, to check that enough people are counted",
                    column=missing_den[0],
                ))
            absent.update(missing_den)
            continue
        denominator = den_status = None
        if mapping.denominator:
            den_parts = [column(c) for c in mapping.denominator]
            denominator = sum(p[0] for p in den_parts)
            den_status = den_parts[0][1]
            for _, other in den_parts[1:]:
                den_status = den_status.where(other == "ok", other)
        for group, col in mapping.groups.items():
            if col not in frame.columns:
                absent.add(col)
                continue
            numerator, num_status = column(col)
            value, status = publishable(indicator, numerator, num_status, denominator, den_status, mapping.scale)
            parts.append(pd.DataFrame({
                "code": codes.values,
                "year": source.year,
                "indicator": indicator.id,
                "group": group,
                "value": value.values,
                "denominator": denominator.values if denominator is not None else float("nan"),
                "status": status.values,
                "source": source.file.name,
            }))
    if errors:
        raise InputErrors(errors)
    if absent:
        report.warn(f"{source.file.name}: catalog columns not in this file (no values for them): {', '.join(sorted(absent))}")
    if not parts:
        raise InputError(source.file, f"no column of this file matches the catalog's {source.format!r} schema")
    return pd.concat(parts, ignore_index=True)[FIGURE_COLUMNS], names
