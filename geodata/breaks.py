"""Breaks in time series: where a figure cannot be compared with the figure before it.

The catalog's [breaks] say what breaks a series: a definition CBS changed in a year for the
groups of some dimensions (herkomst instead of migratieachtergrond from 2023), or a region
whose boundaries or code changed (CBS's indelingswijziging, a region fact read per year).
A figure has a break when it lies between the figure's previous year (same region, indicator
and group; for the first figure of a series, the previous year of any figure of the region)
and the figure's own year. The first figure of a region has none: there is nothing before it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geodata.catalog import Break, Catalog

SERIES = ["code", "indicator", "group"]


@dataclass(frozen=True)
class FigureBreak:
    kind: str  # the catalog's break id: herkomst, indeling
    text: str  # Dutch

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "text": self.text}


def figure_breaks(
    catalog: Catalog, figures: pd.DataFrame, regions: pd.DataFrame, figure_years: pd.DataFrame | None = None
) -> list[list[FigureBreak]]:
    """The breaks before each row of `figures` (code, year, group, indicator), in catalog order.
    Rows of earlier years of the same series must be in `figures` too: they set where a series
    starts. `regions`: code, year and the region facts (any rows). `figure_years`: code, year of
    every figure of the regions, when `figures` holds only some indicators or groups."""
    rows = figures[["code", "year", "group", "indicator"]].reset_index(drop=True).astype({"year": int})
    found: list[list[FigureBreak]] = [[] for _ in range(len(rows))]
    if rows.empty or not catalog.breaks:
        return found
    since = _previous_year(rows, rows if figure_years is None else figure_years)
    for rule in catalog.breaks.values():
        if rule.region_fact:
            texts = _region_breaks(rule, rows, since, regions)
        else:
            texts = _definition_breaks(rule, catalog, rows, since)
        for i in np.flatnonzero(pd.notna(texts)):
            found[i].append(FigureBreak(rule.id, texts[i]))
    return found


def breaking_regions(catalog: Catalog, regions: pd.DataFrame) -> pd.DataFrame:
    """The rows of `regions` (code, year, region facts) whose facts break a series: few or none."""
    breaking = pd.Series(False, index=regions.index)
    for rule in catalog.breaks.values():
        if rule.region_fact in regions.columns:
            breaking |= regions[rule.region_fact].isin(list(rule.codes))
    return regions[breaking]


def may_break(catalog: Catalog, group: str, breaking: pd.DataFrame) -> bool:
    """False when no rule can break a series of this group: no definition break for its
    dimension and no region with a breaking fact (`breaking_regions`). Most figures."""
    dimension = catalog.groups[group].dimension if group in catalog.groups else None
    return not breaking.empty or any(r.region_fact is None and dimension in r.dimensions for r in catalog.breaks.values())


def break_kinds(breaks: list[FigureBreak]) -> str | None:
    """The short text of a tile attribute: the kinds, comma-separated ("herkomst,indeling"); None without any."""
    return ",".join(b.kind for b in breaks) or None


def _previous_year(rows: pd.DataFrame, figure_years: pd.DataFrame) -> pd.Series:
    """Per row: the year of the figure before it (NaN for a region's first year)."""
    ordered = rows.sort_values([*SERIES, "year"], kind="stable")
    in_series = ordered.groupby(SERIES, sort=False)["year"].shift().reindex(rows.index)
    years = figure_years[["code", "year"]].astype({"year": int}).drop_duplicates().sort_values(["code", "year"])
    years["before"] = years.groupby("code")["year"].shift()
    any_figure = rows[["code", "year"]].merge(years, on=["code", "year"], how="left")["before"]
    return in_series.fillna(any_figure)


def _definition_breaks(rule: Break, catalog: Catalog, rows: pd.DataFrame, since: pd.Series) -> np.ndarray:
    dimension = rows["group"].map(lambda g: catalog.groups[g].dimension if g in catalog.groups else None)
    hit = dimension.isin(rule.dimensions) & (since < rule.year) & (rule.year <= rows["year"])
    return np.where(hit, rule.text, None)


def _region_breaks(rule: Break, rows: pd.DataFrame, since: pd.Series, regions: pd.DataFrame) -> np.ndarray:
    """The text of the latest breaking code in (since, year] of each row's region."""
    result = np.full(len(rows), None, dtype=object)
    if rule.region_fact not in regions.columns:
        return result
    changes = regions.loc[regions[rule.region_fact].isin(list(rule.codes)), ["code", "year", rule.region_fact]]
    if changes.empty:
        return result
    changes = changes.astype({"year": int}).assign(changed_in=lambda f: f["year"]).sort_values("year")
    left = rows[["code", "year"]].assign(row=np.arange(len(rows)), since=since.to_numpy()).sort_values("year")
    matched = pd.merge_asof(left, changes, on="year", by="code", direction="backward")
    hit = matched["changed_in"].to_numpy(dtype=float) > matched["since"].to_numpy(dtype=float)  # False for NaN
    codes = matched[rule.region_fact].to_numpy()[hit]
    result[matched["row"].to_numpy()[hit]] = [rule.codes[int(c)] for c in codes]
    return result
