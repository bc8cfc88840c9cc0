"""Availability worked out from each figure's rows says what a scan of the whole figure table says."""

from __future__ import annotations

import pandas as pd

from geodata.availability import Availability
from geodata.catalog import load_catalog
from geodata.cells import Status
from geodata.regions import NATIONAL_LEVEL, Level, level_names
from store.positions import positions

CATALOG = load_catalog()
ROWS = [  # code, year, indicator, group, status: levels and years not in catalog order, statuses mixed
    ("WK034401", 2024, "aandeel_inwoners", "vrouw", "secret"),
    ("GM0344", 2023, "aandeel_inwoners", "vrouw", "ok"),
    ("GM0344", 2023, "inwoners", "man", "ok"),
    ("GM0363", 2023, "inwoners", "man", "ok"),
    ("GM0344", 2023, "inwoners", "totaal", "missing"),
    ("WK034401", 2024, "inwoners", "totaal", "ok"),
    ("WK034402", 2024, "inwoners", "totaal", "withheld"),
    ("GM0344", 2024, "inwoners", "totaal", "ok"),
    ("GM0344", 2023, "not_in_catalog", "totaal", "ok"),
    ("GM0344", 2023, "inwoners", "not_in_catalog", "ok"),
    ("NL00", 2023, "inwoners", "totaal", "ok"),
    ("GM0363", 2023, "aandeel_inwoners", "totaal", "ok"),
    ("GM0363", 2023, "inwoners", "totaal", "missing"),
]
VALUES = pd.DataFrame(ROWS, columns=["code", "year", "indicator", "group", "status"]).astype(
    {"code": "str", "indicator": "str", "group": "str", "status": "str"}
)
VALUES["level"] = level_names(VALUES["code"])
REGIONS = {
    Level.gemeente: pd.DataFrame({"code": ["GM0344", "GM0363", "GM0344"], "year": [2023, 2023, 2024],
                                  "gemeente_code": ["GM0344", "GM0363", "GM0344"]}),
    Level.wijk: pd.DataFrame({"code": ["WK034401", "WK034402"], "year": [2024, 2024], "gemeente_code": ["GM0344"] * 2}),
}


def scanned(values: pd.DataFrame) -> tuple[dict, dict, dict]:
    """explained, published, published_counts as pandas over the whole table gives them (before issue 11)."""
    order = {i: n for n, i in enumerate(CATALOG.indicators)}
    group_order = {g: n for n, g in enumerate(CATALOG.groups)}
    known = values[values["indicator"].isin(order) & values["group"].isin(group_order) & (values["level"] != NATIONAL_LEVEL)]

    def index(rows: pd.DataFrame) -> dict:
        found: dict = {}
        for level, year, indicator, group in rows[["level", "year", "indicator", "group"]].drop_duplicates().itertuples(index=False):
            found.setdefault((Level(level), int(year)), {}).setdefault(indicator, []).append(group)
        return {
            key: {i: tuple(sorted(per[i], key=group_order.__getitem__)) for i in sorted(per, key=order.__getitem__)}
            for key, per in found.items()
        }

    ok = known[known["status"] == Status.ok.value]
    counts: dict = {}
    for (level, indicator, group, year), n in ok.groupby(["level", "indicator", "group", "year"])["code"].nunique().items():
        counts.setdefault((Level(level), indicator, group), {})[int(year)] = int(n)
    return index(known[known["status"] != Status.missing.value]), index(ok), counts


def ordered(x: object) -> object:
    """Dicts as lists of items, all the way down: equal only in the same order."""
    if isinstance(x, dict):
        return [(k, ordered(v)) for k, v in x.items()]
    return x


def test_availability_from_figure_rows_is_that_of_a_scan_of_the_table() -> None:
    rows_by_figure = {
        (Level(level), int(year), group, indicator): rows
        for (level, year, group, indicator), rows in positions(VALUES, ["level", "year", "group", "indicator"], 4).items()
        if level != NATIONAL_LEVEL
    }
    found = Availability.of(CATALOG, REGIONS, VALUES, rows_by_figure)
    explained, published, counts = scanned(VALUES)
    assert ordered(found.explained) == ordered(explained)
    assert ordered(found.published) == ordered(published)
    assert ordered(found.published_counts) == ordered(counts)
    # What that is, spelled out: the first row's (level, year) first; catalog order within.
    assert list(found.explained) == [(Level.wijk, 2024), (Level.gemeente, 2023), (Level.gemeente, 2024)]
    assert found.explained[(Level.gemeente, 2023)] == {"inwoners": ("man",), "aandeel_inwoners": ("totaal", "vrouw")}
    assert found.published[(Level.wijk, 2024)] == {"inwoners": ("totaal",)}
    assert found.published_counts[(Level.gemeente, "inwoners", "man")] == {2023: 2}
    assert found.years == {Level.gemeente: (2023, 2024), Level.wijk: (2024,)}
    assert found.gemeenten[(Level.gemeente, 2023)] == frozenset({"GM0344", "GM0363"})
