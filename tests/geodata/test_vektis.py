"""Vektis' zorgkosten per gemeente x geslacht x leeftijdsklasse (a crosstab): every served figure of
every gemeente and group equals the one recomputed here from the CSV, and the groups over
several cells exist only where Vektis published every cell."""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

import geodata.build
from geodata.catalog import load_catalog, parse_catalog
from geodata.errors import InputError, InputErrors
from geodata.names import match_names
from geodata.regions import Level
from store.gpkg import GeoPackageStore
from tests.conftest import SHARED_DATA, build_from_manifest

# The shared data sit beside the repository (../shared/data, or $WIJKMONITOR_SHARED_DATA).
pytestmark = pytest.mark.skipif(not SHARED_DATA.exists(), reason="shared CBS data not beside the repository")
VEKTIS = SHARED_DATA / "tables" / "nl_gemeenten_2015_vektis_zvw_zorgkosten_geslacht_leeftijd.csv"
GEMEENTEN_2015 = SHARED_DATA / "boundaries" / "nl_gemeenten_2015_kwb_wgs84_q1e3.gpkg"
BOUNDARIES = (
    f'[[boundaries]]\nfile = "{GEMEENTEN_2015}"\nlevel = "gemeente"\nyears = [2015]\n'
    'code = "{gemeentecode}"\nname = "{gemeentenaam}"\nwhere = { water = "NEE" }\n'
)
CATALOG = load_catalog()
INDICATORS = [i for i in CATALOG.indicators.values() if "vektis_zvw" in i.sources]
SEX = {"M": "man", "V": "vrouw"}
AGES = 19  # bands 0-4 ... 85-89 and 90+


def build(tmp_path: Path, table: Path) -> tuple[Path, str]:
    output, report = build_from_manifest(tmp_path, BOUNDARIES + f'\n[[indicators]]\nfile = "{table}"\n', "vektis.gpkg")
    return output, report.as_text()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[GeoPackageStore, str]:
    dataset, report = build(tmp_path_factory.mktemp("vektis"), VEKTIS)
    return GeoPackageStore.open(dataset), report


@pytest.fixture(scope="module")
def denominators(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The figure table as the build writes it, with the denominators it checked the publication
    minimum against (insured persons: not stored, as they are not published)."""
    written = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(geodata.build, "write_dataset", lambda output, regions, values, metadata: written.setdefault("values", values))
        build(tmp_path_factory.mktemp("vektis_denominators"), VEKTIS)
    return written["values"].set_index(["code", "indicator", "group"])["denominator"]


@pytest.fixture(scope="module")
def source() -> pd.DataFrame:
    """The CSV as published, with each row's gemeente code and group; the last, unassignable row left out."""
    frame = pd.read_csv(VEKTIS, sep=";", encoding="cp1252")
    frame = frame[frame["GEMEENTENAAM"].notna()].copy()
    gemeenten = gpd.read_file(GEMEENTEN_2015, columns=["gemeentecode", "gemeentenaam", "water"], ignore_geometry=True)
    gemeenten = gemeenten[gemeenten["water"] == "NEE"]
    match = match_names(frame["GEMEENTENAAM"], zip(gemeenten["gemeentecode"], gemeenten["gemeentenaam"]))
    frame["code"] = frame["GEMEENTENAAM"].map(match.codes)
    frame["sex"] = frame["GESLACHT"].map(SEX)
    frame["age"] = frame["LEEFTIJDSKLASSE"].map(_age_group)
    return frame[frame["code"].notna()]


def _age_group(label: str) -> str:
    """' 0 t/m  4 jaar' -> leeftijd_0_4, '90+' -> leeftijd_90_plus."""
    if label.strip() == "90+":
        return "leeftijd_90_plus"
    low, high = re.fullmatch(r"\s*(\d+) t/m\s+(\d+) jaar", label).groups()
    return f"leeftijd_{low}_{high}"


def _expected(source: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Every figure recomputed: per cell, and summed per gemeente over all cells, per sex and per age
    band, with the number of cells each sum has (a complete sum has all)."""
    rows = source.assign(costs=source[columns].sum(axis=1))
    cells = rows.assign(group=rows["sex"] + "_" + rows["age"], cells=1, needed=1)
    parts = [cells]
    for key, needed in ((None, 2 * AGES), ("sex", AGES), ("age", 2)):
        by = ["code"] + ([key] if key else [])
        summed = rows.groupby(by).agg(costs=("costs", "sum"), AANTAL_VERZEKERDEJAREN=("AANTAL_VERZEKERDEJAREN", "sum"),
                                      AANTAL_BSN=("AANTAL_BSN", "sum"), cells=("costs", "size"))
        if key:  # a sum of which the file has no cell at all is still a (missing) figure
            every = pd.MultiIndex.from_product([rows["code"].unique(), rows[key].unique()], names=by)
            summed = summed.reindex(every).fillna({"cells": 0})
        summed = summed.reset_index()
        parts.append(summed.assign(group=summed[key] if key else "totaal", needed=needed))
    expected = pd.concat(parts, ignore_index=True)
    expected["value"] = expected["costs"] / expected["AANTAL_VERZEKERDEJAREN"]
    return expected.set_index(["code", "group"])[["value", "AANTAL_BSN", "cells", "needed"]]


@pytest.mark.parametrize("indicator", [i.id for i in INDICATORS])
def test_every_served_figure_equals_the_csv(
    indicator: str, built: tuple[GeoPackageStore, str], source: pd.DataFrame, denominators: pd.Series,
) -> None:
    store, _ = built
    mapping = CATALOG.indicators[indicator].sources["vektis_zvw"]
    expected = _expected(source, [alternatives[0] for alternatives in mapping.numerator])
    values = store._values  # the whole stored figure table
    served = values[values["indicator"] == indicator].set_index(["code", "group"])
    # every gemeente in the file, every cell it has and every sum, nothing else
    sums = {"totaal", "man", "vrouw"} | {g for g in expected.index.get_level_values("group") if g.startswith("leeftijd_")}
    assert len(sums) == 3 + AGES
    assert set(served.index) == set(expected.index)
    assert served.index.get_level_values("code").nunique() == 385
    assert set(served.index.get_level_values("group")) == set(CATALOG.indicators[indicator].groups)

    complete = expected["cells"] == expected["needed"]
    ok = served.loc[expected.index[complete]]
    assert (ok["status"] == "ok").all()  # at least 10 verzekerden in every cell
    assert np.allclose(ok["value"], expected.loc[complete, "value"], rtol=0, atol=0.5 + 1e-9)  # 0 decimals
    checked = denominators.xs(indicator, level="indicator").loc[ok.index]
    assert (checked.to_numpy() == expected.loc[complete, "AANTAL_BSN"].to_numpy()).all()
    is_cell = expected.loc[complete, "needed"] == 1
    assert ok["method"][is_cell.values].isna().all()
    assert ok["method"][~is_cell.values].str.startswith("berekend: som van de kosten").all()

    dropped = served.loc[expected.index[~complete]]
    assert len(dropped) == 23  # six gemeenten lack a cell (Vlieland both of 85-89)
    assert (dropped["status"] == "missing").all() and dropped["value"].isna().all() and dropped["method"].isna().all()


def test_utrecht_as_published(built: tuple[GeoPackageStore, str], denominators: pd.Series) -> None:
    store, _ = built
    values = store._values
    utrecht = values[(values["code"] == "GM0344") & (values["indicator"] == "zorgkosten")].set_index("group")
    assert "denominator" not in values.columns  # the insured persons are not published
    assert denominators["GM0344", "zorgkosten", "man_leeftijd_0_4"] == 11512  # AANTAL_BSN of UTRECHT M 0 t/m 4 jaar
    assert denominators["GM0344", "zorgkosten", "totaal"] == 335827  # all 38 cells: insured persons, not CBS's 334 176
    assert len(utrecht) == 38 + 3 + AGES


def test_a_gemeente_with_an_absent_cell_has_no_computed_sums_that_need_it(built: tuple[GeoPackageStore, str], source: pd.DataFrame) -> None:
    store, report = built
    vlieland = source[source["code"] == "GM0096"]
    assert len(vlieland) == 35  # Vektis left 3 small cells out
    figures = store.region_figures(["GM0096"])
    figures = figures[figures["indicator"] == "zorgkosten"].set_index("group")
    assert figures.at["totaal", "status"] == "missing" and pd.isna(figures.at["totaal", "value"])
    assert figures.at["man", "status"] == "missing" and figures.at["leeftijd_90_plus", "status"] == "missing"
    assert figures.at["leeftijd_0_4", "status"] == "ok"  # both of its cells are there
    assert figures.at["vrouw_leeftijd_0_4", "status"] == "ok"
    assert "23 figures over several cells not computed" in report and "GM0096" in report


def test_negative_costs_pass_through(built: tuple[GeoPackageStore, str], source: pd.DataFrame) -> None:
    """KOSTEN_OVERIG holds corrections below zero: summed as published, not clipped."""
    store, _ = built
    row = source[(source["GEMEENTENAAM"] == "NOORDENVELD") & (source["sex"] == "vrouw") & (source["age"] == "leeftijd_65_69")].iloc[0]
    assert row["KOSTEN_OVERIG"] < 0
    columns = [a[0] for a in CATALOG.indicators["zorgkosten_overig"].sources["vektis_zvw"].numerator]
    expected = row[columns].sum() / row["AANTAL_VERZEKERDEJAREN"]
    clipped = row[columns].clip(lower=0).sum() / row["AANTAL_VERZEKERDEJAREN"]
    served, status = store.figure(row["code"], 2015, "vrouw_leeftijd_65_69", "zorgkosten_overig")
    assert status == "ok" and abs(served - expected) <= 0.5 and abs(served - clipped) > 0.5


def test_the_unassignable_row_is_not_a_region(built: tuple[GeoPackageStore, str]) -> None:
    store, report = built
    gemeenten = set(store.regions(Level.gemeente, 2015)["code"])
    assert set(store._values["code"]) <= gemeenten  # no code for the row without sex, age and name
    assert "1 row(s) without a region in GEMEENTENAAM skipped" in report and "row 14698" in report
    assert "AANTAL_BSN 299383" in report


def test_names_on_the_later_indeling_are_reported(built: tuple[GeoPackageStore, str]) -> None:
    """The file is on the gemeente indeling of 2017: its new gemeenten are named, with their rows."""
    _, report = built
    assert "GOOISE MEREN (row 4447)" in report and "MEIERIJSTAD (row 7904)" in report
    assert "GM0478 Zeevang" in report  # merged into EDAM-VOLENDAM: said, since that figure counts it too


def test_the_cost_categories_make_the_total() -> None:
    """The nine categories read every KOSTEN column of the file exactly once; zorgkosten reads all."""
    header = VEKTIS.read_text(encoding="cp1252").split("\n", 1)[0].split(";")
    kosten = sorted(c for c in header if c.startswith("KOSTEN_"))
    assert len(kosten) == 22
    parts = [a[0] for i in INDICATORS if i.id != "zorgkosten" for a in i.sources["vektis_zvw"].numerator]
    assert sorted(parts) == kosten
    assert sorted(a[0] for a in CATALOG.indicators["zorgkosten"].sources["vektis_zvw"].numerator) == kosten


HEADER = "GESLACHT;LEEFTIJDSKLASSE;GEMEENTENAAM;AANTAL_BSN;AANTAL_VERZEKERDEJAREN;" + ";".join(
    a[0] for a in CATALOG.indicators["zorgkosten"].sources["vektis_zvw"].numerator
)
COSTS = ";".join(["100.00"] * 22)


def test_a_name_that_fits_no_gemeente_is_named_with_its_row(tmp_path: Path) -> None:
    table = tmp_path / "vektis_2015.csv"  # made by this test
    table.write_text(f"{HEADER}\nM; 0 t/m  4 jaar;UTRECHT;11512;10000.5;{COSTS}\nV; 0 t/m  4 jaar;NERGENSHUIZEN;50;50;{COSTS}\n", encoding="cp1252")
    dataset, report = build(tmp_path, table)
    assert "NERGENSHUIZEN (row 3)" in report
    figures = GeoPackageStore.open(dataset).region_figures(["GM0344"]).set_index(["indicator", "group"])
    assert figures.at[("zorgkosten", "man_leeftijd_0_4"), "value"] == round(2200 / 10000.5)
    assert figures.at[("zorgkosten", "totaal"), "status"] == "missing"  # 37 cells absent


def test_an_unknown_cell_value_stops_the_build_with_row_and_column(tmp_path: Path) -> None:
    table = tmp_path / "vektis_2015.csv"  # made by this test
    table.write_text(f"{HEADER}\nM;onbekend;UTRECHT;11512;10000;{COSTS}\n", encoding="cp1252")
    with pytest.raises(InputErrors) as err:
        build(tmp_path, table)
    assert "row 2" in str(err.value) and "LEEFTIJDSKLASSE" in str(err.value) and "onbekend" in str(err.value)


def test_a_file_named_for_another_year_stops_the_build(tmp_path: Path) -> None:
    """Vektis keeps its columns from year to year: the file name's year is not overruled by the schema's."""
    table = tmp_path / "vektis_2016.csv"  # made by this test
    table.write_text(f"{HEADER}\nM; 0 t/m  4 jaar;UTRECHT;11512;10000;{COSTS}\n", encoding="cp1252")
    with pytest.raises(InputError, match="year = 2016"):
        build(tmp_path, table)


def test_a_crosstab_schema_needs_a_group_for_every_sum_of_cells() -> None:
    text = CATALOG.text.replace('[groups.vrouw_leeftijd_90_plus]\ndimension = "geslacht_leeftijd"\n', "[groups.vrouw_leeftijd_90_plus_x]\ndimension = \"geslacht_leeftijd\"\n")
    with pytest.raises(InputError, match="vrouw_leeftijd_90_plus"):
        parse_catalog(text, "catalog.toml")
