"""Disclosure control: what secondary suppression protects, on small frames made by us to state
the rules (the values are invented, the statuses are what matters), and the catalog's sums checked
against the demo's published figures. tests/test_no_rederivation.py attacks the served demo."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geodata import disclosure
from geodata.catalog import load_catalog, parse_catalog
from geodata.disclosure import protect
from geodata.errors import InputError
from geodata.report import BuildReport
from tests.geodata.test_derived import figures

CATALOG = load_catalog(Path(__file__).parents[2] / "geodata" / "indicators.toml")


def buurten(wijk: str, *codes: str, year: int = 2023) -> dict[str, gpd.GeoDataFrame]:
    frame = gpd.GeoDataFrame(
        {"code": list(codes), "year": year, "wijk_code": wijk, "gemeente_code": "GM" + wijk[2:6]},
        geometry=[shapely.box(0, 0, 1, 1)] * len(codes), crs="EPSG:28992",
    )
    return {"buurt": frame}


def statuses(values: pd.DataFrame, regions: dict | None = None) -> dict[tuple[str, str, str], str]:
    out = protect(values, regions or {}, CATALOG, BuildReport())
    assert out.loc[out["status"] != "ok", "value"].isna().all(), "a figure not published keeps no value"
    return {(r.code, r.indicator, r.group): r.status for r in out.itertuples()}


def test_a_withheld_share_protects_its_count_and_a_complement() -> None:
    """aandeel man withheld (too few inhabitants): man = aandeel x totaal / 100 would give it away,
    and vrouw = totaal - man would give man away, so both counts and the share of vrouw go."""
    s = statuses(figures(
        ("BU00010001", 2023, "inwoners", "totaal", 60.0, "ok"),
        ("BU00010001", 2023, "inwoners", "man", 25.0, "ok"),
        ("BU00010001", 2023, "inwoners", "vrouw", 35.0, "ok"),
        ("BU00010001", 2023, "aandeel_inwoners", "man", None, "withheld"),
        ("BU00010001", 2023, "aandeel_inwoners", "vrouw", 58.3, "ok"),
    ))
    assert s[("BU00010001", "inwoners", "man")] == "protected"
    assert s[("BU00010001", "inwoners", "vrouw")] == "protected"
    assert s[("BU00010001", "aandeel_inwoners", "vrouw")] == "protected"  # 100 - vrouw = man
    assert s[("BU00010001", "inwoners", "totaal")] == "ok"  # the total is what others are read against


def test_nothing_changes_without_a_withheld_figure() -> None:
    values = figures(
        ("BU00010001", 2023, "inwoners", "totaal", 600.0, "ok"),
        ("BU00010001", 2023, "inwoners", "man", 250.0, "ok"),
        ("BU00010001", 2023, "aandeel_inwoners", "man", 41.7, "ok"),
    )
    assert protect(values, {}, CATALOG, BuildReport()) is values


def test_a_secret_figure_already_protects() -> None:
    """Two unknowns in a sum: CBS's secret vrouw keeps the protected man count safe."""
    s = statuses(figures(
        ("BU00010001", 2023, "inwoners", "totaal", 60.0, "ok"),
        ("BU00010001", 2023, "inwoners", "man", 25.0, "ok"),
        ("BU00010001", 2023, "inwoners", "vrouw", None, "secret"),
        ("BU00010001", 2023, "aandeel_inwoners", "man", None, "withheld"),
    ))
    assert s[("BU00010001", "inwoners", "man")] == "protected"
    assert s[("BU00010001", "inwoners", "totaal")] == "ok"


def test_a_buurt_count_is_not_the_wijk_minus_the_other_buurten() -> None:
    """The protected man count of one buurt would follow from the wijk's; the smallest other buurt's
    count goes too, and no more."""
    rows = [("WK000100", 2023, "inwoners", "man", 100.0, "ok"), ("WK000100", 2023, "inwoners", "totaal", 200.0, "ok")]
    for code, man, total in (("BU00010001", 30.0, 60.0), ("BU00010002", 20.0, 40.0), ("BU00010003", 50.0, 100.0)):
        rows += [(code, 2023, "inwoners", "man", man, "ok"), (code, 2023, "inwoners", "totaal", total, "ok")]
    rows.append(("BU00010001", 2023, "aandeel_inwoners", "man", None, "withheld"))
    s = statuses(figures(*rows), buurten("WK000100", "BU00010001", "BU00010002", "BU00010003"))
    assert s[("BU00010001", "inwoners", "man")] == "protected"
    assert s[("BU00010002", "inwoners", "man")] == "protected"  # the smaller of the other two
    assert s[("BU00010003", "inwoners", "man")] == "ok"
    assert s[("WK000100", "inwoners", "man")] == "ok"
    # totaal and man of BU00010002 are published: vrouw is not in the data, so man stays safe.


def test_combinations_of_sums_are_checked_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """Inhabitants by age in four buurten of a wijk. CBS keeps a cycle of figures secret in buurten
    1-2 (age bands 1-2) and in buurten 3-4 (bands 3-4); the withheld figure (buurt 2, band 3) joins
    the two. Every sum has at least two unknowns, yet rows 1+2 minus columns 1+2 give it exactly:
    only the linear check over combinations finds that."""
    bands = ["leeftijd_0_14", "leeftijd_15_24", "leeftijd_25_44", "leeftijd_45_64", "leeftijd_65_plus"]
    table = {
        "BU00010001": (10.0, 20.0, 30.0, 40.0, 50.0), "BU00010002": (15.0, 25.0, 35.0, 45.0, 55.0),
        "BU00010003": (12.0, 22.0, 32.0, 42.0, 52.0), "BU00010004": (18.0, 28.0, 38.0, 48.0, 58.0),
    }
    secret = {(1, 0), (1, 1), (2, 0), (2, 1), (3, 2), (3, 3), (4, 2), (4, 3)}
    rows = []
    for n, (code, counts) in enumerate(table.items(), start=1):
        rows.append((code, 2023, "inwoners", "totaal", sum(counts), "ok"))
        for b, (band, count) in enumerate(zip(bands, counts)):
            status = "secret" if (n, b) in secret else "withheld" if (n, b) == (2, 2) else "ok"
            rows.append((code, 2023, "inwoners", band, count if status == "ok" else None, status))
    rows.append(("WK000100", 2023, "inwoners", "totaal", sum(map(sum, table.values())), "ok"))
    rows += [("WK000100", 2023, "inwoners", band, sum(c[b] for c in table.values()), "ok") for b, band in enumerate(bands)]
    regions = buurten("WK000100", *table)

    with monkeypatch.context() as only_single:
        only_single.setattr(disclosure, "_determined", lambda *_: np.zeros(0, dtype=int))
        assert "protected" not in statuses(figures(*rows), regions).values()
    s = statuses(figures(*rows), regions)
    assert list(s.values()).count("protected") >= 1


def test_a_rate_protects_its_count() -> None:
    s = statuses(figures(
        ("BU00010001", 2023, "inwoners", "totaal", 80.0, "ok"),
        ("BU00010001", 2023, "bijstandsontvangers", "totaal", 10.0, "ok"),
        ("BU00010001", 2023, "bijstand_per_1000", "totaal", None, "withheld"),
    ))
    assert s[("BU00010001", "bijstandsontvangers", "totaal")] == "protected"
    assert s[("BU00010001", "inwoners", "totaal")] == "ok"


@pytest.mark.parametrize("text, message", [
    ('[[sums]]\nwhole = "totaal"\nparts = ["man"]\n', "at least two other parts"),
    ('[[sums]]\nwhole = "totaal"\nparts = ["man", "onbekend"]\n', "unknown: ['onbekend']"),
    ('[[sums]]\nparts = ["man", "vrouw"]\n', "give whole"),
])
def test_bad_sums_name_the_entry(text: str, message: str) -> None:
    own = CATALOG.text
    catalog = own[: own.index("[[sums]]")] + own[own.index("# --- end of sums"):] + text  # only the bad sum
    with pytest.raises(InputError, match="sums\\[1\\]") as caught:
        parse_catalog(catalog, "catalogus.toml")
    assert message in str(caught.value)


def test_declared_sums_hold_in_the_published_figures(demo_build: tuple[Path, object]) -> None:
    """Each [[sums]] entry, for every count of the demo that has whole and parts published: the
    parts add up to the whole within CBS's rounding (counts rounded to 5 per group)."""
    with sqlite3.connect(demo_build[0]) as db:
        rows = pd.read_sql("SELECT code, year, indicator, \"group\", value FROM indicator_values WHERE status = 'ok'", db)
    checked = 0
    for indicator in (i for i in CATALOG.indicators.values() if i.kind == "count"):
        wide = rows[rows["indicator"] == indicator.id].pivot_table(index=["code", "year"], columns="group", values="value")
        for total in CATALOG.sums:
            if not {total.whole, *total.parts} <= set(wide.columns):
                continue
            both = wide[[total.whole, *total.parts]].dropna()
            slack = 5 * len(total.parts) + 0.002 * both[total.whole].abs()  # rounding, and 0.2 % for ×1.000 units
            off = both[(both[list(total.parts)].sum(axis=1) - both[total.whole]).abs() > slack]
            assert off.empty, f"{indicator.id}: {total.parts} do not add up to {total.whole}:\n{off.head()}"
            checked += len(both)
    assert checked > 5000


def test_the_geopackage_keeps_no_value_of_a_figure_it_does_not_publish(demo_build: tuple[Path, object]) -> None:
    with sqlite3.connect(demo_build[0]) as db:
        columns = [r[1] for r in db.execute("PRAGMA table_info(indicator_values)")]
        per_status = dict(db.execute(
            "SELECT status, count(*) FROM indicator_values WHERE status IN ('withheld', 'protected') GROUP BY status"
        ).fetchall())
        with_value = db.execute(
            "SELECT count(*) FROM indicator_values WHERE status != 'ok' AND value IS NOT NULL"
        ).fetchone()[0]
    assert "denominator" not in columns  # it may be a protected count
    assert per_status["withheld"] > 700 and per_status["protected"] > 500
    assert with_value == 0
