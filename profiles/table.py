"""Figure tables: the rows behind a map, a profile or a comparison, for the table views and CSV.

Two shapes, parsed from the query once:
- regions=A,B,...: named regions of any level (and NL00, Nederland), every year, optionally narrowed
  by indicators, groups and years (a profile, a comparison);
- level=...: every region of one level in one year (optionally within one gemeente) for a few
  indicators and groups (the table of a map), read from the same aligned figures as tiles.
A figure that is not published has no value here either, only its status and why.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from geodata.cells import Status
from geodata.errors import RequestError, UnknownRegion
from geodata.params import list_param
from geodata.regions import NATIONAL_CODE, level_of_code
from geodata.report import national_notes
from geodata.selection import DEFAULT_GROUP, check_within, parse_selection
from profiles.region import region_names
from store import Store

MAX_REGIONS = 100  # a comparison shows 8, a profile 4 (region, wijk, gemeente, Nederland)
MAX_MAP_INDICATORS = 10
# A table is read by people and spreadsheets: a bound keeps one request from holding the server
# (national buurten x 10 indicators x 2 groups fit; every figure of 100 gemeenten does not).
MAX_ROWS = 300_000
COLUMNS = [
    "code", "name", "level", "gemeente_code", "gemeente_name", "indicator", "title", "group", "group_title", "year",
    "value", "unit", "status", "status_text", "method", "source",
]


@dataclass(frozen=True)
class TableRequest:
    regions: tuple[str, ...]  # empty: a level's regions
    indicators: tuple[str, ...]  # empty: all
    groups: tuple[str, ...]  # empty: all
    years: tuple[int, ...]  # empty: all
    level: str | None = None
    within: str | None = None


def parse_table_request(store: Store, params: Mapping[str, str]) -> TableRequest:
    regions = tuple(dict.fromkeys(list_param(params, "regions")))
    indicators = tuple(list_param(params, "indicator") or list_param(params, "indicators"))
    groups = tuple(list_param(params, "group"))
    for indicator in indicators:
        store.catalog.indicator(indicator)  # UnknownIndicator names it
    for group in groups:
        store.catalog.group(group)
    try:
        years = tuple(int(y) for y in list_param(params, "year"))
    except ValueError:
        raise RequestError("year", f"year must be whole numbers, comma-separated, not {params.get('year')!r}") from None
    if regions and params.get("level"):
        raise RequestError("level", "give regions=<codes> or level=<level>, not both")
    if regions:
        if len(regions) > MAX_REGIONS:
            raise RequestError("regions", f"at most {MAX_REGIONS} regions per table, not {len(regions)}")
        for code in regions:
            if code != NATIONAL_CODE and (level_of_code(code) is None or level_of_code(code) not in store.availability.years):
                raise UnknownRegion("regions", f"{code!r} is not a gemeente, wijk or buurt code of this dataset, nor {NATIONAL_CODE}")
        return TableRequest(regions, indicators, groups, years)
    if not params.get("level"):
        raise RequestError("regions", "give regions=<codes> (a profile or comparison) or level=<level> (the table of a map)")
    if not indicators:
        raise RequestError("indicator", "the table of a map needs indicator=<id> (up to 10, comma-separated)")
    if len(indicators) > MAX_MAP_INDICATORS:
        raise RequestError("indicator", f"at most {MAX_MAP_INDICATORS} indicators per map table, not {len(indicators)}")
    if len(years) > 1:
        raise RequestError("year", "the table of a map is of one year")
    # The same checks as tiles: level, year and groups exist, and the indicators have figures there.
    selection = parse_selection(
        store.availability, store.catalog, params["level"],
        {"year": str(years[0]) if years else "", "group": ",".join(groups) or DEFAULT_GROUP, "indicators": ",".join(indicators)},
    )
    within = params.get("within") or None
    if within is not None:
        check_within(store.availability, selection.level, selection.year, within)
    return TableRequest((), selection.indicators, selection.groups, (selection.year,), selection.level.value, within)


def figure_table(store: Store, request: TableRequest, bounded: bool = True) -> pd.DataFrame:
    """The rows (COLUMNS), sorted by region (in the order asked), indicator, group and year. `bounded`: at
    most MAX_ROWS, the bound of an HTTP request (an export written to a file is not bounded)."""
    rows = _map_rows(store, request, bounded) if request.level else _region_rows(store, request)
    if bounded and len(rows) > MAX_ROWS:
        raise RequestError(
            "regions" if request.regions else "indicator",
            f"{len(rows):,} figures is more than one table holds ({MAX_ROWS:,}); ask for fewer regions, indicators, groups or years",
        )
    if rows.empty:
        return pd.DataFrame(columns=COLUMNS)
    rows["gemeente_name"] = rows["gemeente_code"].map(region_names(store))
    catalog = store.catalog
    indicators = {i: catalog.indicators[i] for i in rows["indicator"].unique() if i in catalog.indicators}
    rows = rows[rows["indicator"].isin(indicators)].copy()
    published = rows["status"] == Status.ok.value
    rows["value"] = rows["value"].where(published)
    rows["title"] = rows["indicator"].map(lambda i: indicators[i].title["nl"])
    rows["unit"] = rows["indicator"].map(lambda i: indicators[i].unit)
    rows["source"] = rows["indicator"].map(lambda i: indicators[i].source)
    rows["group_title"] = rows["group"].map(lambda g: catalog.groups[g].title["nl"] if g in catalog.groups else g)
    notes = national_notes(store.metadata)  # why a year has no Nederland figures

    def why(code: str, indicator: str, year: int, status: str) -> str | None:
        if status == Status.ok.value:
            return None
        if code == NATIONAL_CODE and status == Status.missing.value and str(year) in notes:
            return notes[str(year)]
        return indicators[indicator].status_text(status)

    rows["status_text"] = [why(*row) for row in zip(rows["code"], rows["indicator"], rows["year"], rows["status"])]
    rows["method"] = rows["method"].where(rows["method"].map(lambda m: isinstance(m, str)))
    rows["year"] = rows["year"].astype(int)
    return rows[COLUMNS].reset_index(drop=True)


def _region_rows(store: Store, request: TableRequest) -> pd.DataFrame:
    rows = store.region_figures(list(request.regions))
    if request.indicators:
        rows = rows[rows["indicator"].isin(request.indicators)]
    if request.groups:
        rows = rows[rows["group"].isin(request.groups)]
    if request.years:
        rows = rows[rows["year"].astype(int).isin(request.years)]
    if request.indicators and request.groups and request.years:
        # A comparison asks for these exact figures: one it lacks is a row saying so, not a gap.
        wanted = pd.MultiIndex.from_product(
            [request.regions, request.indicators, request.groups, request.years], names=["code", "indicator", "group", "year"]
        )
        rows = rows.assign(year=rows["year"].astype(int)).set_index(["code", "indicator", "group", "year"])
        rows = rows.reindex(rows.index.union(wanted)).reset_index()
        rows["status"] = rows["status"].fillna(Status.missing.value)
    index = store.region_index().set_index("code")
    national = pd.DataFrame({"name": ["Nederland"], "level": ["land"], "gemeente_code": [None]}, index=[NATIONAL_CODE])
    index = pd.concat([index[["name", "level", "gemeente_code"]], national])
    rows = rows.join(index, on="code").assign(order=rows["code"].map({c: n for n, c in enumerate(request.regions)}))
    rows.loc[rows["level"] == "gemeente", "gemeente_code"] = rows["code"]
    return rows.sort_values(["order", "indicator", "group", "year"]).drop(columns="order")


def _map_rows(store: Store, request: TableRequest, bounded: bool) -> pd.DataFrame:
    level = store.availability.level(request.level)
    year = request.years[0]
    regions = store.regions(level, year, request.within)
    if bounded and len(regions) * len(request.indicators) * len(request.groups) > MAX_ROWS:
        raise RequestError(
            "group", f"{len(regions):,} regions x {len(request.indicators)} indicators x {len(request.groups)} groups is more "
            f"than one table holds ({MAX_ROWS:,} figures); ask for fewer indicators or groups, or use within"
        )
    parts = []
    for indicator in request.indicators:
        for group in request.groups:
            figures = store.figures(level, year, group, indicator, request.within)
            methods = figures.methods if figures.methods is not None else pd.Series(None, index=figures.values.index)
            parts.append(pd.DataFrame({
                "code": regions["code"].to_numpy(), "name": regions["name"].to_numpy(), "level": level.value,
                "gemeente_code": regions["gemeente_code"].to_numpy() if level.value != "gemeente" else regions["code"].to_numpy(),
                "indicator": indicator, "group": group, "year": year, "value": figures.values.to_numpy(),
                "status": figures.statuses.to_numpy(), "method": methods.to_numpy(),
            }))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def table_json(rows: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON objects: absent values as null, years as integers."""
    return [
        {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
        for row in rows.astype(object).where(rows.notna(), None).to_dict("records")
    ]


CSV_DIALECTS = ("rfc4180", "excel-nl")


def table_csv(rows: pd.DataFrame, dialect: str = "rfc4180") -> str:
    """CSV with a header; every row names its source. rfc4180: commas, numbers as in the JSON (a point
    for decimals). excel-nl: what a spreadsheet set to Dutch opens in columns: semicolons and a decimal comma."""
    dutch = dialect == "excel-nl"
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if dutch else ",", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in table_json(rows):
        cells = ["" if row[c] is None else _number(row[c]) if c == "value" else row[c] for c in COLUMNS]
        if dutch and row["value"] is not None:
            cells[COLUMNS.index("value")] = cells[COLUMNS.index("value")].replace(".", ",")
        writer.writerow(cells)
    return out.getvalue()


def _number(value: float) -> str:
    """1800.0 -> '1800', 12.5 -> '12.5': the shortest text that reads back as the same float."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text
