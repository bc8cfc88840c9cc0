"""The embedded demo builds, and what it holds equals the CBS source files cell by cell."""

from __future__ import annotations

import math
from pathlib import Path

import pyogrio
import pytest

from geodata.regions import Level
from store import Store
from store.gpkg import VALUES_LAYER
from tests.conftest import figure_table, kwb_rows

SAMPLE_BUURTEN = ["BU03440111", "BU03440512", "BU03440821", "BU03441011", "BU03440911"]
COUNTS = {  # catalog group -> KWB column of inwoners
    "totaal": "a_inw", "man": "a_man", "vrouw": "a_vrouw", "leeftijd_0_14": "a_00_14",
    "leeftijd_65_plus": "a_65_oo", "herkomst_nederland": "a_nl_all", "herkomst_europa": "a_eur_al",
    "herkomst_buiten_europa": "a_neu_al",
}


def test_report_per_level_and_year(demo_build: tuple[Path, object]) -> None:
    report = demo_build[1]
    assert report.at("buurt", 2023).regions == 111
    assert report.at("buurt", 2024).regions == 111
    assert report.at("wijk", 2024).regions == 3456  # every wijk of 2024 (Zaanstad is absent from the shared data)
    assert report.at("gemeente", 2024).regions == 342  # dissolved from the wijken, with GM0998 Buitenland
    assert report.at("gemeente", 2015).regions == 392
    # GM0998 "Buitenland" has no KWB figure, but 47013NED marks its crimes "." (secret): no region lacks data.
    assert report.at("gemeente", 2023).regions_without_data == []
    assert report.at("gemeente", 2022).repaired_geometries > 0
    assert report.at("buurt", 2023).rows_without_region == []
    assert report.at("buurt", 2023).values["withheld"] > 0
    # the national layer repeats GM0344 figures that the Kerncijfers table already gave
    assert any("also given by utrecht_kwb_2023.csv" in w for w in report.warnings)


@pytest.mark.parametrize("year", [2023, 2024])
@pytest.mark.parametrize("code", SAMPLE_BUURTEN)
def test_counts_equal_the_source_csv(demo_store: Store, year: int, code: str) -> None:
    source = kwb_rows(year)[code]
    for group, column in COUNTS.items():
        values, statuses = figure_table(demo_store, Level.buurt, year, group)
        expected = source[column]
        if expected == ".":
            assert statuses.at[code, "inwoners"] == "secret"
        elif statuses.at[code, "inwoners"] == "protected":  # it would give a withheld share away
            assert math.isnan(values.at[code, "inwoners"])
            assert statuses.at[code, "aandeel_inwoners"] in ("withheld", "protected", "missing") or group == "totaal"
        else:
            assert values.at[code, "inwoners"] == float(expected), (code, year, group)


def test_known_cell_bu03440111(demo_store: Store) -> None:
    assert figure_table(demo_store, Level.buurt, 2023, "totaal")[0].at["BU03440111", "inwoners"] == 1810
    assert figure_table(demo_store, Level.buurt, 2024, "totaal")[0].at["BU03440111", "inwoners"] == 1800
    # 2024 came from the XLSX release file, the comparison is with its CSV export
    assert figure_table(demo_store, Level.gemeente, 2024, "totaal")[0].at["GM0344", "inwoners"] == 374238


@pytest.mark.parametrize("year", [2023, 2024])
def test_shares_are_derived_from_the_source_counts(demo_store: Store, year: int) -> None:
    rows = kwb_rows(year)
    values, statuses = figure_table(demo_store, Level.buurt, year, "herkomst_buiten_europa")
    checked = 0
    for code, row in rows.items():
        if not code.startswith("BU") or "." in (row["a_inw"], row["a_neu_al"]):
            continue
        population = float(row["a_inw"])
        if population == 0:  # a share of nobody is undefined
            assert statuses.at[code, "aandeel_inwoners"] == "missing"
        elif population < 100:  # catalog minimum of aandeel_inwoners
            assert statuses.at[code, "aandeel_inwoners"] == "withheld"
            assert math.isnan(values.at[code, "aandeel_inwoners"])
        elif statuses.at[code, "aandeel_inwoners"] == "protected":  # 100 minus the other groups would reveal a withheld one
            assert math.isnan(values.at[code, "aandeel_inwoners"])
        else:
            assert values.at[code, "aandeel_inwoners"] == round(100 * float(row["a_neu_al"]) / population, 1)
            checked += 1
    assert checked > 100


def test_cbs_secret_cells_stay_secret(demo_store: Store) -> None:
    source = kwb_rows(2024)["BU03440111"]
    assert source["g_wozbag"] == "."
    _, statuses = figure_table(demo_store, Level.buurt, 2024, "totaal")
    assert statuses.at["BU03440111", "woz_waarde"] == "secret"
    values, _ = figure_table(demo_store, Level.buurt, 2023, "totaal")
    assert values.at["BU03440111", "woz_waarde"] == float(kwb_rows(2023)["BU03440111"]["g_wozbag"])


def test_withheld_values_never_reach_the_file(demo_build: tuple[Path, object]) -> None:
    values = pyogrio.read_dataframe(demo_build[0], layer=VALUES_LAYER, read_geometry=False)
    withheld = values[values["status"] == "withheld"]
    assert len(withheld) > 0
    assert withheld["value"].isna().all()
    # BU03440911 had 5 inhabitants in 2023: its group shares are withheld
    row = values[(values["code"] == "BU03440911") & (values["year"] == 2023)
                 & (values["indicator"] == "aandeel_inwoners") & (values["group"] == "herkomst_nederland")]
    assert row["status"].tolist() == ["withheld"] and row["value"].isna().all()


def test_names_come_from_cbs_tables(demo_store: Store) -> None:
    buurten = demo_store.regions(Level.buurt, 2023).set_index("code")
    # the municipal file cuts names at 20 characters ("Welgelegen, Den Homm")
    assert buurten.at["BU03440111", "name"] == "Welgelegen, Den Hommel"
    assert buurten.at["BU03440111", "wijk_code"] == "WK034401"
    assert buurten.at["BU03440111", "gemeente_code"] == "GM0344"


def test_dataset_opens_as_a_geopackage_in_gdal(demo_build: tuple[Path, object]) -> None:
    layers = dict(pyogrio.list_layers(demo_build[0]))
    assert layers["buurt"] == "MultiPolygon" and layers["gemeente"] == "MultiPolygon"
    info = pyogrio.read_info(demo_build[0], layer="buurt")
    assert "28992" in info["crs"]


def test_coverage_is_clean_after_build(demo_store: Store) -> None:
    import shapely

    for year in (2023, 2024):
        geoms = demo_store.regions(Level.buurt, year).geometry.to_numpy()
        assert shapely.coverage_is_valid(geoms)
