"""A region's profile: every figure it has, compared with its wijk, gemeente and Nederland,
and its rank among the regions of its level within its gemeente; plus search by name."""

from __future__ import annotations

import unicodedata
from typing import Any

import pandas as pd

from geodata.cells import Status
from geodata.dataset import Dataset
from geodata.errors import RequestError, UnknownRegion
from geodata.regions import Level, level_of_code, parent_codes
from geodata.wide import NATIONAL_CODE

STATUS_NOTES = {
    Status.secret.value: "CBS publiceert dit cijfer niet (onbekend, onvoldoende betrouwbaar of geheim).",
    Status.withheld.value: "Niet gepubliceerd: te weinig personen om een betrouwbaar en niet-herleidbaar cijfer te tonen.",
    Status.missing.value: "Geen gegevens.",
}


def region_profile(dataset: Dataset, code: str) -> dict[str, Any]:
    level = level_of_code(code)
    if level is None or level not in dataset.regions:
        raise UnknownRegion("code", f"{code!r} is not a gemeente, wijk or buurt code of this dataset")
    rows = dataset.regions[level]
    rows = rows[rows["code"] == code]
    if rows.empty:
        raise UnknownRegion("code", f"no region {code!r} in this dataset")
    latest = rows.sort_values("year").iloc[-1]
    comparisons = {kind: c for kind, c in parent_codes(code).items()}
    comparisons["nederland"] = NATIONAL_CODE
    values = dataset.values
    own = values[values["code"] == code]
    others = values[values["code"].isin(list(comparisons.values()))].set_index(["code", "year", "group", "indicator"])
    ranks = _ranks_within_gemeente(dataset, level, latest["gemeente_code"] if level is not Level.gemeente else None)

    figures = []
    for row in own.sort_values(["indicator", "group", "year"]).itertuples(index=False):
        indicator = dataset.catalog.indicators.get(row.indicator)
        if indicator is None:
            continue
        value = None if pd.isna(row.value) else float(row.value)
        figure: dict[str, Any] = {
            "indicator": row.indicator, "group": row.group, "year": int(row.year), "value": value, "status": row.status,
        }
        if row.status != Status.ok.value:
            figure["note"] = STATUS_NOTES.get(row.status)
        for kind, other_code in comparisons.items():
            key = (other_code, row.year, row.group, row.indicator)
            if key not in others.index:
                continue
            other = others.loc[key]
            other_value = None if pd.isna(other["value"]) else float(other["value"])
            difference = None
            if value is not None and other_value is not None:
                difference = round(value - other_value, indicator.decimals)
            figure[kind] = {"code": other_code, "value": other_value, "status": other["status"], "difference": difference}
        rank = ranks.get((code, int(row.year), row.group, row.indicator))
        if rank is not None:
            figure["rank"] = {"position": rank[0], "of": rank[1], "order": "hoogste waarde eerst"}
        figures.append(figure)

    names = _names(dataset)
    return {
        "code": code,
        "name": latest["name"],
        "level": level.value,
        "years": sorted(int(y) for y in rows["year"]),
        "parents": {
            kind: {"code": c, "name": names.get(c)} for kind, c in parent_codes(code).items()
        },
        "indicators": {
            i: {
                "title": ind.title["nl"], "unit": ind.unit, "theme": ind.theme, "definition": ind.definition,
                "source": ind.source, "higher_is": ind.higher_is, "decimals": ind.decimals,
            }
            for i, ind in dataset.catalog.indicators.items() if i in set(own["indicator"])
        },
        "figures": figures,
        "attribution": dataset.attribution,
    }


def _ranks_within_gemeente(dataset: Dataset, level: Level, gemeente: str | None) -> dict[tuple, tuple[int, int]]:
    """(code, year, group, indicator) -> (rank, count) among published figures of the level in the gemeente."""
    if gemeente is None:
        return {}
    regions = dataset.regions[level]
    peers = set(regions.loc[regions["gemeente_code"] == gemeente, "code"])
    rows = dataset.values
    rows = rows[rows["code"].isin(peers) & (rows["status"] == Status.ok.value)]
    if rows.empty:
        return {}
    keys = ["year", "group", "indicator"]
    position = rows.groupby(keys)["value"].rank(method="min", ascending=False).astype(int)
    count = rows.groupby(keys)["value"].transform("size")
    return {
        (c, int(y), g, i): (int(p), int(n))
        for c, y, g, i, p, n in zip(rows["code"], rows["year"], rows["group"], rows["indicator"], position, count)
    }


def _names(dataset: Dataset) -> dict[str, str]:
    names: dict[str, str] = {}
    for frame in dataset.regions.values():
        ordered = frame.sort_values("year")
        names.update(zip(ordered["code"], ordered["name"]))
    return names


def _fold(text: str) -> str:
    """Lower case without accents, so 'Zuilen' finds 'Zuilen' and 'ondiep' finds 'Ondiep'."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def search_regions(dataset: Dataset, level: str | None, within: str | None, q: str | None) -> list[dict[str, Any]]:
    """Every region whose name contains q (accent- and case-insensitive), names starting with q first."""
    levels = [dataset.level(level)] if level else list(dataset.regions)
    if q is not None and len(q.strip()) < 2 and not within:
        raise RequestError("q", "give at least 2 characters to search for, or within=<gemeentecode>")
    needle = _fold(q.strip()) if q else ""
    found = []
    for lvl in levels:
        frame = dataset.regions[lvl].sort_values("year").drop_duplicates("code", keep="last")
        if within:
            frame = frame[frame["gemeente_code"] == within]
        for row in frame.itertuples(index=False):
            folded = _fold(row.name or "")
            if needle and needle not in folded and needle not in row.code.casefold():
                continue
            found.append((not folded.startswith(needle), lvl.value != "gemeente", row.name or "", {
                "code": row.code, "name": row.name, "level": lvl.value, "gemeente_code": row.gemeente_code,
                "wijk_code": row.wijk_code, "year": int(row.year),
            }))
    found.sort(key=lambda item: item[:3])
    return [item[3] for item in found]
