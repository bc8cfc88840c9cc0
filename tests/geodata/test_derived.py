"""Figures wijkmonitor computes (berekend): only exact sums and ratios, never over a secret part,
never replacing what a source says. The small frames here are made by us to state the rules;
the demo build checks them on published files."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geodata import derived
from geodata.catalog import load_catalog
from geodata.figures import FIGURE_COLUMNS
from geodata.report import BuildReport

CATALOG = load_catalog(Path(__file__).parents[2] / "geodata" / "indicators.toml")


def figures(*rows: tuple) -> pd.DataFrame:
    """(code, year, indicator, group, value, status) rows, read from a source."""
    frame = pd.DataFrame(rows, columns=["code", "year", "indicator", "group", "value", "status"])
    frame["denominator"], frame["source"], frame["method"] = float("nan"), "bron.csv", None
    return frame[FIGURE_COLUMNS]


def wijken(*codes: str, year: int = 2023) -> dict[str, gpd.GeoDataFrame]:
    frame = gpd.GeoDataFrame(
        {"code": list(codes), "year": year, "gemeente_code": ["GM" + c[2:6] for c in codes]},
        geometry=[shapely.box(0, 0, 1, 1)] * len(codes), crs="EPSG:28992",
    )
    return {"wijk": frame}


def computed(values: pd.DataFrame, regions: dict | None = None) -> pd.DataFrame:
    out = derived.add_computed(values, regions or {}, CATALOG, BuildReport())
    return out[out["method"].map(lambda m: isinstance(m, str))].set_index(["code", "year", "indicator", "group"])


@pytest.fixture
def two_gemeenten(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(derived, "GEMEENTEN_PER_YEAR", {2023: 2})


def test_nederland_is_the_sum_when_every_gemeente_is_published(two_gemeenten: None) -> None:
    out = computed(figures(
        ("GM0001", 2023, "inwoners", "totaal", 100.0, "ok"),
        ("GM0002", 2023, "inwoners", "totaal", 250.0, "ok"),
        ("GM0999", 2023, "misdrijven", "totaal", 7.0, "ok"),
        ("GM0001", 2023, "misdrijven", "totaal", 10.0, "ok"),
        ("GM0002", 2023, "misdrijven", "totaal", 20.0, "ok"),
    ))
    assert out.loc[("NL00", 2023, "inwoners", "totaal"), "value"] == 350
    assert out.loc[("NL00", 2023, "inwoners", "totaal"), "method"] == "berekend: som over alle 2 gemeenten"
    # Crimes not assignable to a gemeente are part of the national count.
    assert out.loc[("NL00", 2023, "misdrijven", "totaal"), "value"] == 37
    # The rate follows from the summed counts: 37 / 350 * 1000.
    assert out.loc[("NL00", 2023, "misdrijven_per_1000", "totaal"), "value"] == pytest.approx(105.7)


def test_no_nederland_sum_when_a_gemeente_is_secret_missing_or_absent(two_gemeenten: None) -> None:
    report = BuildReport()
    for second in [("GM0002", 2023, "inwoners", "totaal", None, "secret"), ("GM0002", 2023, "inwoners", "totaal", None, "missing")]:
        out = derived.add_computed(figures(("GM0001", 2023, "inwoners", "totaal", 100.0, "ok"), second), {}, CATALOG, report)
        assert "NL00" not in set(out["code"])
    out = derived.add_computed(figures(("GM0001", 2023, "inwoners", "totaal", 100.0, "ok")), {}, CATALOG, report)
    assert "NL00" not in set(out["code"])
    assert "alle 2 gemeenten van 2023 een gepubliceerd cijfer (hoogstens 1)" in report.national[2023]


def test_a_national_row_of_the_source_is_kept(two_gemeenten: None) -> None:
    out = derived.add_computed(figures(
        ("NL00", 2023, "inwoners", "totaal", 17_000_000.0, "ok"),
        ("GM0001", 2023, "inwoners", "totaal", 100.0, "ok"),
        ("GM0002", 2023, "inwoners", "totaal", 250.0, "ok"),
    ), {}, CATALOG, BuildReport())
    national = out[out["code"] == "NL00"]
    assert national["value"].tolist() == [17_000_000.0] and national["method"].isna().all()


def test_gemeente_from_all_its_wijken_never_over_a_secret_gemeente() -> None:
    regions = wijken("WK000101", "WK000102", "WK000201", "WK000202", "WK000301")
    out = computed(figures(
        ("WK000101", 2023, "huishoudens", "totaal", 40.0, "ok"),
        ("WK000102", 2023, "huishoudens", "totaal", 60.0, "ok"),
        ("WK000201", 2023, "huishoudens", "totaal", 40.0, "ok"),
        ("WK000202", 2023, "huishoudens", "totaal", None, "secret"),
        ("WK000301", 2023, "huishoudens", "totaal", 5.0, "ok"),
        ("GM0003", 2023, "huishoudens", "totaal", None, "secret"),  # CBS says secret: not re-derived
        ("WK000101", 2023, "inkomen_per_ontvanger", "totaal", 30.0, "ok"),  # an average: never summed
    ), regions)
    assert out.loc[("GM0001", 2023, "huishoudens", "totaal"), "value"] == 100
    assert "som over alle wijken" in out.loc[("GM0001", 2023, "huishoudens", "totaal"), "method"]
    assert ("GM0002", 2023, "huishoudens", "totaal") not in out.index
    assert ("GM0003", 2023, "huishoudens", "totaal") not in out.index
    assert not any(i == "inkomen_per_ontvanger" for _, _, i, _ in out.index)


def test_a_rate_from_the_same_regions_counts_fills_only_empty_cells() -> None:
    out = derived.add_computed(figures(
        ("GM0344", 2024, "misdrijven", "totaal", 25271.0, "ok"),
        ("GM0344", 2024, "inwoners", "totaal", 374238.0, "ok"),
        ("GM0344", 2024, "misdrijven_per_1000", "totaal", None, "missing"),
        ("GM0001", 2024, "misdrijven", "totaal", 10.0, "ok"),
        ("GM0001", 2024, "inwoners", "totaal", 100.0, "ok"),
        ("GM0001", 2024, "misdrijven_per_1000", "totaal", None, "secret"),
    ), {}, CATALOG, BuildReport()).set_index(["code", "year", "indicator", "group"])
    rate = out.loc[("GM0344", 2024, "misdrijven_per_1000", "totaal")]
    assert rate["value"] == round(25271 / 374238 * 1000, 1) and rate["status"] == "ok"
    assert rate["method"].startswith("berekend: geregistreerde misdrijven gedeeld door aantal inwoners")
    assert len(out.loc[[("GM0344", 2024, "misdrijven_per_1000", "totaal")]]) == 1  # the empty cell is replaced
    assert out.loc[("GM0001", 2024, "misdrijven_per_1000", "totaal"), "status"] == "secret"
