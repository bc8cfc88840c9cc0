"""Adapter for tidy tables: region_code, year, indicator, group, value [, denominator].

The form for a municipality's own figures per population group, e.g. unemployment per
herkomst group per wijk, which CBS does not publish in the Kerncijfers.
"""

from __future__ import annotations

import pandas as pd

from geodata.catalog import Catalog
from geodata.errors import InputError, InputErrors
from geodata.figures import FIGURE_COLUMNS
from geodata.manifest import TableSource
from geodata.report import BuildReport
from geodata.sources import parse_codes, require_columns, row_numbers
from geodata.values import parse_column, publishable

TIDY_COLUMNS = ["region_code", "year", "indicator", "group", "value"]


def is_tidy(frame: pd.DataFrame) -> bool:
    """A table in this form, whatever its extra columns: a manifest need not say so."""
    return set(TIDY_COLUMNS) <= set(frame.columns)


def read_tidy_table(
    source: TableSource, frame: pd.DataFrame, catalog: Catalog, report: BuildReport
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Figures of a tidy table (its rows after the manifest's row filter, with their own index)."""
    require_columns(source.file, frame, TIDY_COLUMNS)
    frame = frame.copy()
    rows = row_numbers(frame, True)
    for key in ("indicator", "group"):
        frame[key] = frame[key].astype(str).str.strip()
    raw_codes = frame["region_code"]
    frame["region_code"] = parse_codes(raw_codes, bare=True)  # a column of codes: 344 and 0344 are GM0344

    errors: list[InputError] = []
    for index, row in frame.iterrows():
        where = {"row": int(rows[index])}
        if pd.isna(row["region_code"]):
            errors.append(InputError(source.file, f"{raw_codes[index]!r} is not a CBS region code (such as GM0344, WK034401, BU03440111 or NL00)", column="region_code", **where))
        if row["indicator"] not in catalog.indicators:
            errors.append(InputError(source.file, f"unknown indicator {row['indicator']!r} (not in the catalog)", column="indicator", **where))
        if row["group"] not in catalog.groups:
            errors.append(InputError(source.file, f"unknown group {row['group']!r} (not in the catalog)", column="group", **where))
    years = pd.to_numeric(frame["year"], errors="coerce")
    for index in frame.index[years.isna() | (years % 1 != 0)]:
        errors.append(InputError(source.file, f"year {frame.at[index, 'year']!r} is not a whole number", row=int(rows[index]), column="year"))
    frame["year"] = years.astype("Int64")
    key = ["region_code", "year", "indicator", "group"]
    duplicated = frame[frame.duplicated(key, keep=False)]
    for index, row in duplicated.iterrows():
        errors.append(InputError(
            source.file,
            f"duplicate row for {row['region_code']} {row['year']} {row['indicator']} {row['group']}",
            row=int(rows[index]),
        ))
    numerator, num_status = parse_column(source.file, frame, "value", errors, rows)
    has_den = "denominator" in frame.columns
    if not has_den:
        # Without a denominator the publication rule cannot be applied: stop rather than withhold everything quietly.
        for indicator_id in frame["indicator"].unique():
            indicator = catalog.indicators.get(indicator_id)
            if indicator is not None and indicator.min_denominator > 0:
                errors.append(InputError(
                    source.file,
                    f"{indicator_id} is published only with a denominator of at least {indicator.min_denominator:g}; "
                    "add a denominator column (e.g. the number of inhabitants)",
                    column="denominator",
                ))
    denominator, den_status = parse_column(source.file, frame, "denominator", errors, rows) if has_den else (None, None)
    if errors:
        raise InputErrors(errors)

    parts = []
    for indicator_id, rows in frame.groupby("indicator", sort=False):
        indicator = catalog.indicators[indicator_id]
        idx = rows.index
        value, status = publishable(
            indicator,
            numerator[idx],
            num_status[idx],
            denominator[idx] if has_den else None,
            den_status[idx] if has_den else None,
            None,
        )
        parts.append(pd.DataFrame({
            "code": rows["region_code"].values,
            "year": rows["year"].astype(int).values,
            "indicator": indicator_id,
            "group": rows["group"].values,
            "value": value.values,
            "denominator": denominator[idx].values if has_den else float("nan"),
            "status": status.values,
            "source": source.file.name,
            "method": None,
        }))
    if not parts:
        raise InputError(source.file, "the table has no rows")
    return pd.concat(parts, ignore_index=True)[FIGURE_COLUMNS], pd.DataFrame(columns=["code", "year", "name"])
