"""A region's profile: every figure it has, compared with its wijk, gemeente and Nederland,
its rank among the regions of its level within its gemeente, and the breaks in its series."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from geodata.breaks import figure_breaks
from geodata.cells import Status
from geodata.errors import UnknownRegion
from geodata.regions import NATIONAL_CODE, Level, level_of_code, parent_codes
from geodata.report import national_notes
from store import Store


def known_region(store: Store, code: str) -> tuple[Level, pd.DataFrame]:
    """The region's level and its rows by year (the latest last); UnknownRegion naming `code` when the
    dataset has no such region."""
    level = level_of_code(code)
    if level is None or level not in store.availability.years:
        raise UnknownRegion("code", f"{code!r} is not a gemeente, wijk or buurt code of this dataset")
    history = store.region_history(code)
    if history.empty:
        raise UnknownRegion("code", f"no region {code!r} in this dataset")
    return level, history.sort_values("year")


def region_profile(store: Store, code: str) -> dict[str, Any]:
    level, history = known_region(store, code)
    latest = history.iloc[-1]
    comparisons = dict(parent_codes(code))
    comparisons["nederland"] = NATIONAL_CODE
    own = store.region_figures([code])
    others = store.region_figures(list(comparisons.values())).set_index(["code", "year", "group", "indicator"])
    gemeente = latest["gemeente_code"] if level is not Level.gemeente else None
    ranks = _ranks_within_gemeente(store, level, gemeente, history["year"]) if gemeente is not None else {}

    notes = national_notes(store.metadata)
    figures = []
    own = own.sort_values(["indicator", "group", "year"]).reset_index(drop=True)
    for row, breaks in zip(own.itertuples(index=False), figure_breaks(store.catalog, own, history)):
        indicator = store.catalog.indicators.get(row.indicator)
        if indicator is None:
            continue
        value = None if pd.isna(row.value) else float(row.value)
        figure: dict[str, Any] = {
            "indicator": row.indicator, "group": row.group, "year": int(row.year), "value": value, "status": row.status,
        }
        if row.status != Status.ok.value:
            figure["note"] = indicator.status_text(row.status)
        if isinstance(row.method, str):
            figure["method"] = row.method
        for kind, other_code in comparisons.items():
            key = (other_code, row.year, row.group, row.indicator)
            if key not in others.index:
                if kind == "nederland":  # always compared with: say why there is no figure
                    why = notes.get(str(row.year)) or indicator.status_text(Status.missing.value)
                    figure[kind] = {"code": other_code, "value": None, "status": Status.missing.value, "difference": None, "note": why}
                continue
            other = others.loc[key]
            other_value = None if pd.isna(other["value"]) else float(other["value"])
            difference = None
            if value is not None and other_value is not None and indicator.kind != "count":
                difference = round(value - other_value, indicator.decimals)
            figure[kind] = {"code": other_code, "value": other_value, "status": other["status"], "difference": difference}
            if other["status"] != Status.ok.value:
                figure[kind]["note"] = indicator.status_text(other["status"])
            if isinstance(other["method"], str):
                figure[kind]["method"] = other["method"]
        peers = ranks.get((int(row.year), row.group, row.indicator))
        if peers is not None and value is not None and not indicator.composition:
            # Among the published figures of the level in the gemeente, highest first (ties share a place).
            figure["rank"] = {"position": int((peers > value).sum()) + 1, "of": len(peers), "order": "hoogste waarde eerst"}
        if breaks:
            figure["breaks"] = [b.as_json() for b in breaks]
        figures.append(figure)

    names = region_names(store)
    return {
        "code": code,
        "name": latest["name"],
        "level": level.value,
        "years": sorted(int(y) for y in history["year"]),
        "bbox": _bbox(store, level, code, int(latest["year"]), latest["gemeente_code"]),
        "parents": {
            kind: {"code": c, "name": names.get(c)} for kind, c in parent_codes(code).items()
        },
        "indicators": {
            i: {
                "title": ind.title["nl"], "unit": ind.unit, "theme": ind.theme, "definition": ind.definition,
                "source": ind.source, "higher_is": ind.higher_is, "decimals": ind.decimals,
                "kind": ind.kind, "compare": ind.compare,
            }
            for i, ind in store.catalog.indicators.items() if i in set(own["indicator"])
        },
        "figures": figures,
        # Years without a Nederland figure for counts, and why (e.g. not every gemeente in the data).
        "nederland_notes": {
            year: why for year, why in national_notes(store.metadata).items()
            if int(year) in set(history["year"].astype(int))
        },
        "breaks": _breaks_described(store, figures),
        "attribution": store.attribution,
    }


def _bbox(store: Store, level: Level, code: str, year: int, gemeente: str) -> list[float]:
    """[west, south, east, north] in degrees of the region's latest boundary: where a map zooms to."""
    regions = store.regions(level, year, gemeente)
    shape = regions.loc[regions["code"] == code].to_crs("EPSG:4326")
    return [round(float(v), 5) for v in shape.total_bounds]


def _breaks_described(store: Store, figures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each kind of break the figures have, as the catalog describes it, with the years it lies before."""
    years: dict[str, set[int]] = {}
    for figure in figures:
        for found in figure.get("breaks", ()):
            years.setdefault(found["kind"], set()).add(figure["year"])
    return [
        {"kind": kind, **rule.as_json(), "figure_years": sorted(years[kind])}
        for kind, rule in store.catalog.breaks.items() if kind in years
    ]


def _ranks_within_gemeente(store: Store, level: Level, gemeente: str, years: pd.Series) -> dict[tuple, np.ndarray]:
    """(year, group, indicator) -> the published figures of the level's regions in the gemeente."""
    codes = {code for year in years.unique() for code in store.regions(level, int(year), gemeente)["code"]}
    rows = store.region_figures(sorted(codes))
    rows = rows[rows["status"] == Status.ok.value]
    return {
        (int(year), group, indicator): part["value"].to_numpy(dtype=float)
        for (year, group, indicator), part in rows.groupby(["year", "group", "indicator"])
    }


def region_names(store: Store) -> dict[str, str]:
    """Code -> name of every region, at its latest year."""
    index = store.region_index()
    return dict(zip(index["code"], index["name"]))
