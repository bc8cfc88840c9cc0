"""Figures wijkmonitor computes where no source gives them, only where the result is exact:

- a count for a gemeente: the sum over all its wijken, when every wijk has a published count;
- a count for Nederland: the sum over all gemeenten, when every gemeente of that year (as many
  as CBS counted) has a published count;
- a rate (catalog `ratio`): the numerator over the denominator of the same region and year,
  both published, with the indicator's publication minimum. Sums come first, so a gemeente or
  Nederland rate is the summed numerator over the summed denominator.

Never from averages, never where the source says secret, withheld or later: only a figure that
is absent (or an empty cell) is filled in. Each computed figure carries its method."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.catalog import TOTAL_GROUP, Catalog, Indicator
from geodata.cells import Status
from geodata.figures import FIGURE_COLUMNS
from geodata.regions import GEMEENTEN_PER_YEAR, NATIONAL_CODE, NATIONAL_LEVEL, UNASSIGNED_GEMEENTEN, level_names
from geodata.report import BuildReport
from geodata.values import publishable

COMPUTED_SOURCE = "wijkmonitor"
_KEY = ["code", "year", "indicator", "group"]


def add_computed(
    values: pd.DataFrame, regions: dict[str, gpd.GeoDataFrame], catalog: Catalog, report: BuildReport
) -> pd.DataFrame:
    """`values` with the computed figures added (an empty cell of a source is replaced)."""
    counts = [i.id for i in catalog.indicators.values() if i.kind == "count"]
    values = _fill(values, _gemeenten_from_wijken(values, regions, counts))
    values = _fill(values, _nederland_from_gemeenten(values, counts, report))
    for indicator in catalog.indicators.values():
        if indicator.ratio is not None and indicator.ratio.compute:
            values = _fill(values, _ratio(values, indicator, catalog))
    return values


def _fill(values: pd.DataFrame, computed: pd.DataFrame) -> pd.DataFrame:
    """Add computed rows whose figure the sources lack or leave empty."""
    if computed.empty:
        return values
    given = values.loc[values["status"] != Status.missing.value, _KEY]
    known = pd.MultiIndex.from_frame(given)
    computed = computed[~pd.MultiIndex.from_frame(computed[_KEY]).isin(known)]
    empty = pd.MultiIndex.from_frame(values[_KEY]).isin(pd.MultiIndex.from_frame(computed[_KEY]))
    return pd.concat([values[~empty], computed[FIGURE_COLUMNS]], ignore_index=True)


def _published(values: pd.DataFrame, indicators: list[str], level: str) -> pd.DataFrame:
    rows = values[values["indicator"].isin(indicators)]
    return rows[level_names(rows["code"]) == level]


def _gemeenten_from_wijken(values: pd.DataFrame, regions: dict[str, gpd.GeoDataFrame], counts: list[str]) -> pd.DataFrame:
    wijken = regions.get("wijk")
    if wijken is None or not counts:
        return _empty()
    per_gemeente = wijken.groupby(["gemeente_code", "year"])["code"].nunique().rename("wijken")
    known = pd.MultiIndex.from_frame(wijken[["code", "year"]])
    rows = _published(values, counts, "wijk")
    rows = rows[pd.MultiIndex.from_frame(rows[["code", "year"]]).isin(known) & (rows["status"] == Status.ok.value)]
    if rows.empty:
        return _empty()
    rows = rows.assign(gemeente="GM" + rows["code"].str[2:6])
    sums = rows.groupby(["gemeente", "year", "indicator", "group"]).agg(value=("value", "sum"), parts=("code", "nunique"))
    sums = sums.join(per_gemeente, on=["gemeente", "year"])
    complete = sums[sums["parts"] == sums["wijken"]].reset_index()
    method = (
        "berekend: som over alle wijken van de gemeente; CBS rondt aantallen per wijk af, "
        "dus de som kan enkele eenheden afwijken van het gemeentecijfer van CBS"
    )
    return _rows(complete.rename(columns={"gemeente": "code"}), pd.Series(method, index=complete.index))


def _nederland_from_gemeenten(values: pd.DataFrame, counts: list[str], report: BuildReport) -> pd.DataFrame:
    rows = _published(values, counts, "gemeente")
    rows = rows[rows["status"] != Status.missing.value]  # StatLine lists historical gemeenten with empty cells
    national = _published(values, counts, NATIONAL_LEVEL)
    given = set(zip(national["year"], national["indicator"], national["group"]))
    unassigned = rows["code"].isin(UNASSIGNED_GEMEENTEN)
    parts = []
    why_not: dict[int, str] = {}
    best: dict[int, int] = {}  # year -> gemeenten with a figure, of the most complete count
    for (year, indicator, group), part in rows.groupby(["year", "indicator", "group"]):
        if (year, indicator, group) in given:
            continue
        expected = GEMEENTEN_PER_YEAR.get(int(year))
        gemeenten = part[~unassigned.loc[part.index]]
        ok = gemeenten[gemeenten["status"] == Status.ok.value]
        extra = part[unassigned.loc[part.index]]
        if expected is None:
            why_not.setdefault(int(year), f"geen Nederlandcijfer in de bron; het aantal gemeenten in {year} is wijkmonitor niet bekend")
            continue
        if len(ok) != expected or len(gemeenten) != expected or (extra["status"] != Status.ok.value).any():
            # One text per year, shown beside every indicator: it names no single figure.
            best[int(year)] = max(best.get(int(year), 0), len(ok))
            why_not[int(year)] = (
                f"geen Nederlandcijfer in de bron, en niet te berekenen: voor geen enkel aantal hebben alle {expected} "
                f"gemeenten van {year} een gepubliceerd cijfer (hoogstens {best[int(year)]})"
            )
            continue
        method = f"berekend: som over alle {expected} gemeenten"
        if len(extra):
            method += " en het deel dat niet aan een gemeente is toe te delen"
        parts.append({
            "code": NATIONAL_CODE, "year": year, "indicator": indicator, "group": group,
            "value": float(part.loc[part["status"] == Status.ok.value, "value"].sum()), "method": method,
        })
    for year, why in sorted(why_not.items()):
        report.national[year] = why
        report.warn(f"Nederland {year}: counts no source gives for Nederland are not summed ({why})")
    if not parts:
        return _empty()
    frame = pd.DataFrame(parts)
    return _rows(frame, frame["method"])


def _ratio(values: pd.DataFrame, indicator: Indicator, catalog: Catalog) -> pd.DataFrame:
    ratio = indicator.ratio
    assert ratio is not None
    ok = values[values["status"] == Status.ok.value]
    numerator = ok[ok["indicator"] == ratio.numerator][["code", "year", "group", "value"]]
    if ratio.numerator_group is not None:  # one group's share of the whole: a figure of group totaal
        numerator = numerator[numerator["group"] == ratio.numerator_group].assign(group=TOTAL_GROUP)
    denominator = ok[ok["indicator"] == ratio.denominator][["code", "year", "group", "value"]]
    if ratio.denominator_group is not None:
        denominator = denominator[denominator["group"] == ratio.denominator_group].drop(columns="group")
        both = numerator.merge(denominator, on=["code", "year"], suffixes=("", "_den"))
    else:
        both = numerator.merge(denominator, on=["code", "year", "group"], suffixes=("", "_den"))
    if both.empty:
        return _empty()
    ok_status = pd.Series(Status.ok.value, index=both.index)
    value, status = publishable(indicator, both["value"], ok_status, both["value_den"], ok_status, ratio.scale)
    frame = both.assign(indicator=indicator.id, value=value, status=status, denominator=both["value_den"])
    return _rows(frame, pd.Series(ratio.method(catalog), index=frame.index), status=frame["status"])


def _rows(frame: pd.DataFrame, method: pd.Series, status: pd.Series | None = None) -> pd.DataFrame:
    return pd.DataFrame({
        "code": frame["code"].to_numpy(),
        "year": frame["year"].astype(int).to_numpy(),
        "indicator": frame["indicator"].to_numpy(),
        "group": frame["group"].to_numpy(),
        "value": frame["value"].astype(float).to_numpy(),
        "denominator": frame["denominator"].to_numpy(dtype=float) if "denominator" in frame else np.nan,
        "status": Status.ok.value if status is None else status.to_numpy(),
        "source": COMPUTED_SOURCE,
        "method": method.to_numpy(),
    })


def _empty() -> pd.DataFrame:
    return pd.DataFrame(columns=FIGURE_COLUMNS)

