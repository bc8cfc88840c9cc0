"""Releases the shared data holds no file of: a Wijk- en Buurtkaart shapefile of 2017 (short field
names) and a PDOK camelCase layer with the housing, income, energy and other themes. Each test
writes a small file itself (it says so) with the published field names and real CBS values, builds
it through the CLI, and compares every served figure with the file's own column."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from cli import main
from geodata.catalog import SourceMapping, load_catalog
from geodata.cells import Status, parse_cell
from store import open_store
from tests.conftest import SHARED_DATA

CATALOG = load_catalog()

# The first two rows of buurt_2017.shp (CBS Wijk- en Buurtkaart 2017, first release: 39 fields) as
# printed by R's str() in GreenStat/GreenStat.github.io, doc/maptime_030_GIS_R_presf.md. Field names
# and values are as published there; the rows' BU_NAAM and POSTCODE are not printed and left out.
BUURT_2017 = {
    "BU_CODE": ["BU00030000", "BU00030001"], "WK_CODE": ["WK000300", "WK000300"],
    "GM_CODE": ["GM0003", "GM0003"], "IND_WBI": [1, 1], "WATER": ["NEE", "NEE"],
    "DEK_PERC": [1, 5], "OAD": [1190, 894], "STED": [3, 4],
    "AANT_INW": [2335, 3080], "AANT_MAN": [1090, 1535], "AANT_VROUW": [1245, 1545],
    "P_00_14_JR": [10, 17], "P_15_24_JR": [9, 11], "P_25_44_JR": [21, 20], "P_45_64_JR": [30, 33],
    "P_65_EO_JR": [30, 19], "P_ONGEHUWD": [40, 43], "P_GEHUWD": [36, 47], "P_GESCHEID": [11, 7],
    "P_VERWEDUW": [12, 4], "BEV_DICHTH": [2774, 1950], "AANTAL_HH": [1310, 1335],
    "P_EENP_HH": [54, 27], "P_HH_Z_K": [28, 37], "P_HH_M_K": [18, 36], "GEM_HH_GR": [1.7, 2.3],
    "P_WEST_AL": [6, 6], "P_N_W_AL": [4, 3], "P_MAROKKO": [0, 0], "P_ANT_ARU": [1, 1],
    "P_SURINAM": [0, 0], "P_TURKIJE": [1, 1], "P_OVER_NW": [2, 1],
    "OPP_TOT": [90, 163], "OPP_LAND": [84, 158], "OPP_WATER": [5, 5],
}


def _build(source: Path, dataset: Path) -> str:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["build", str(source), "-o", str(dataset)]) == 0
    return printed.getvalue()


def _column(mapping_alternatives: tuple[str, ...], columns: dict[str, str]) -> str | None:
    return next((columns[a.lower()] for a in mapping_alternatives if a.lower() in columns), None)


def _expected(source: SourceMapping, group: str, row: dict[str, object], columns: dict[str, str], decimals: int) -> float | None:
    """What the file itself says the figure is: the column, or scale * column / denominator (None:
    a key the feature lacks, or a marker)."""
    column = _column(source.groups[group], columns)
    if column is None:
        return None
    value, _ = parse_cell(row[column])
    if value is None:
        return None
    if source.scale is not None:
        value = source.scale * value / parse_cell(row[_column(source.denominator[0], columns)])[0]
    return round(value, decimals)


def _assert_served_equals_file(dataset: Path, rows: dict[str, dict[str, object]], schema: str) -> set[str]:
    """Every served figure of these regions equals the file's column; returns the indicators served."""
    store = open_store(dataset)
    served = store.region_figures(list(rows))
    served = served[served["method"].isna()]  # read from the file, not computed by the build
    assert not served.empty
    for record in served.itertuples():
        row = rows[record.code]
        columns = {str(c).lower(): c for c in row}
        indicator = CATALOG.indicators[record.indicator]
        expected = _expected(indicator.sources[schema], record.group, row, columns, indicator.decimals)
        if record.status == "ok":
            assert record.value == pytest.approx(expected, abs=1e-9), (record.code, record.indicator, record.group)
        else:  # only our own publication rules hold a figure back here
            assert record.status in ("withheld", "protected") or expected is None, record
    return set(served["indicator"])


def test_wijk_en_buurtkaart_2017_shapefile_with_its_published_field_names(tmp_path: Path) -> None:
    # Made by this test: the two rows above, as a shapefile named like the release (buurt_2017.shp,
    # RD New). The squares near Appingedam are this test's own geometry, not CBS boundaries.
    layer = tmp_path / "buurt_2017.shp"
    squares = [box(253000, 593000, 253500, 593500), box(253500, 593000, 254000, 593500)]
    gpd.GeoDataFrame(BUURT_2017, geometry=squares, crs="EPSG:28992").to_file(layer)

    output = _build(layer, tmp_path / "out.gpkg")
    rows = {code: {k: v[i] for k, v in BUURT_2017.items()} for i, code in enumerate(BUURT_2017["BU_CODE"])}
    served = _assert_served_equals_file(tmp_path / "out.gpkg", rows, "wbk_kort")
    assert {"inwoners", "aandeel_inwoners", "bevolkingsdichtheid", "huishoudens", "huishoudensgrootte",
            "aandeel_eenpersoonshuishoudens", "oppervlakte_land", "stedelijkheid", "omgevingsadressendichtheid"} <= served
    store = open_store(tmp_path / "out.gpkg")
    figures = store.region_figures(["BU00030000"]).set_index(["indicator", "group", "year"])["value"]
    assert figures[("inwoners", "totaal", 2017)] == 2335  # the year comes from the file name
    assert figures[("aandeel_inwoners", "migratie_westers", 2017)] == 6  # P_WEST_AL
    # every numeric field is read or named: DEK_PERC is a coverage class, IND_WBI a change flag
    known = CATALOG.schema_columns("wbk_kort")
    unread = {c for c, v in BUURT_2017.items() if isinstance(v[0], (int, float)) and c.lower() not in known}
    assert unread == {"DEK_PERC", "IND_WBI"}
    assert "DEK_PERC" in output


def _kwb_2023_gemeente(code: str) -> dict[str, str]:
    with open(SHARED_DATA / "tables" / "utrecht_kwb_2023.csv", newline="", encoding="utf-8") as f:
        return next(r for r in csv.DictReader(f) if r["gwb_code_10"].strip() == code)


def _pdok_keys_of_kwb_columns() -> dict[str, str]:
    """camelCase PDOK key -> the KWB column of the same indicator and group (first name of each)."""
    pairs = {}
    for indicator in CATALOG.indicators.values():
        pdok, kwb = indicator.sources.get("pdok"), indicator.sources.get("kwb")
        if pdok is None or kwb is None:
            continue
        for group, names in pdok.groups.items():
            if group in kwb.groups:
                for name in names:
                    pairs[name] = kwb.groups[group][0]
        for den_pdok, den_kwb in zip(pdok.denominator or (), kwb.denominator or ()):
            pairs.setdefault(den_pdok[0], den_kwb[0])
    return pairs


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="shared CBS data not beside the repository")
def test_pdok_camelcase_housing_income_and_energy_keys(tmp_path: Path) -> None:
    # Made by this test: three real features of the shared PDOK 2023 gemeente layer (their own keys
    # and values kept). Utrecht (GM0344) also gets the camelCase keys that no shared file has, for
    # housing, WOZ, energy, income, benefits, care, businesses, cars, births and deaths and
    # distances; their values are Utrecht's figures in the KWB 2023 release file (same CBS release,
    # other file), so the layer is a fixture, with real CBS values under the PDOK names. The two
    # other gemeenten lack these keys, as a PDOK feature without a figure does.
    layer = json.loads((SHARED_DATA / "boundaries" / "nl_gemeenten_2023_kwb_wgs84.geojson").read_text())
    features = [f for f in layer["features"] if f["properties"]["gemeentecode"] in ("GM0344", "GM0355", "GM0307")]
    assert len(features) == 3
    kwb = _kwb_2023_gemeente("GM0344")
    added = {}
    for key, column in _pdok_keys_of_kwb_columns().items():
        if key in features[0]["properties"]:
            continue  # a key the real layer already has
        value, status = parse_cell(kwb.get(column))
        if value is not None:
            added[key] = value
        elif status == Status.secret:  # KWB '.', written as PDOK's marker for the same: -99997
            added[key] = -99997
    assert {"gemiddeldeWoningwaarde", "gemiddeldInkomenPerInwoner", "gemiddeldeElektriciteitslevering",
            "gemiddeldAardgasverbruik", "percentageKoopwoningen", "aantalPersonenMetEenAlgBijstandsuitkeringTot"} <= set(added)
    for feature in features:
        if feature["properties"]["gemeentecode"] == "GM0344":
            feature["properties"].update(added)
    fixture = tmp_path / "gemeenten_2023_pdok_fixture.geojson"
    fixture.write_text(json.dumps({"type": "FeatureCollection", "features": features}))

    output = _build(fixture, tmp_path / "out.gpkg")
    rows = {f["properties"]["gemeentecode"]: f["properties"] for f in features}
    served = _assert_served_equals_file(tmp_path / "out.gpkg", rows, "pdok")
    themes = {"woz_waarde", "inkomen_per_inwoner", "elektriciteitslevering", "aardgasverbruik",
              "aandeel_koopwoningen", "aandeel_corporatiewoningen", "bijstandsontvangers", "bijstand_per_1000",
              "bedrijfsvestigingen", "personenautos", "afstand_huisartsenpraktijk"}
    assert themes <= served
    store = open_store(tmp_path / "out.gpkg")
    utrecht = store.region_figures(["GM0344"]).set_index(["indicator", "group"])
    assert utrecht.loc[("woz_waarde", "totaal"), "value"] == float(kwb["g_wozbag"])
    for indicator, column in (("inkomen_per_inwoner", "g_ink_pi"), ("elektriciteitslevering", "g_ele")):
        if kwb[column].strip() == ".":  # CBS had not published Utrecht's figure in this release file
            assert utrecht.loc[(indicator, "totaal"), "status"] == "secret"
    # the other gemeenten have no such key: no figure, and the reason is that the source has none
    others = store.region_figures(["GM0355", "GM0307"])
    assert set(others.loc[others["indicator"].isin(themes), "status"]) <= {"missing"}
    assert "does not map" not in output  # every key is read; the second gas name is said to be one
    assert "another name of the same figure" in output and "gemiddeldGasverbruikTotaal" in output


def test_every_pdok_name_is_a_key_of_one_source_only() -> None:
    """A camelCase name reads one indicator group (a count beside its own rate is the one exception)."""
    owners: dict[str, set[str]] = {}
    for indicator in CATALOG.indicators.values():
        source = indicator.sources.get("pdok")
        if source is None:
            continue
        for names in source.groups.values():
            for name in names:
                owners.setdefault(name, set()).add(indicator.id)
    shared = {n: o for n, o in owners.items() if len(o) > 1}
    for name, indicators in shared.items():  # a count and its per-1.000 rate from the same column
        assert len(indicators) == 2 and any(i.endswith("_per_1000") for i in indicators), (name, indicators)
    assert pd.Series(list(owners)).str.match(r"^[a-z][A-Za-z0-9]+$").all(), "camelCase keys only"
