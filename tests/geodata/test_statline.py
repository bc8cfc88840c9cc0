"""StatLine tables as CBS hands them out, tables keyed by name, CBS region codes in every
published form, and every missing-value marker kept as a status."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from starlette.testclient import TestClient

from cli import main
from geodata.catalog import load_catalog
from geodata.cells import parse_cell
from geodata.errors import InputError, InputErrors
from geodata.names import fold, match_names
from geodata.regions import Level, parse_code
from settings import Settings
from store import open_store
from tests.conftest import SHARED_DATA, build_from_manifest
from web.app import create_app

TABLES = SHARED_DATA / "tables"
# The shared CBS files sit beside the repository (../shared/data, or $WIJKMONITOR_SHARED_DATA).
pytestmark = pytest.mark.skipif(not SHARED_DATA.exists(), reason="shared CBS data not beside the repository")
BOUNDARIES = SHARED_DATA / "boundaries"

# (file, level, years, code column, name column, water filter) of the boundaries the tables join to
BOUNDARY_FILES = [
    ("nl_gemeenten_2015_kwb_wgs84_q1e3.gpkg", "gemeente", [2015], "gemeentecode", "gemeentenaam", True),
    ("nl_gemeenten_2022_kwb_wgs84.geojson", "gemeente", [2022], "gemeentecode", "gemeentenaam", True),
    ("nl_gemeenten_2023_kwb_wgs84.geojson", "gemeente", [2023, 2024], "gemeentecode", "gemeentenaam", False),
    ("nl_wijken_2024_kwb_wgs84.geojson", "wijk", [2024], "wijkcode", "wijknaam", False),
]
GEMEENTEN = "".join(
    f'\n[[boundaries]]\nfile = "{BOUNDARIES / name}"\nlevel = "{level}"\nyears = {years}\n'
    f'code = "{{{code}}}"\nname = "{{{naam}}}"\n' + ('where = { water = "NEE" }\n' if water else "")
    for name, level, years, code, naam, water in BOUNDARY_FILES
)
DEMO_DATA = Path(__file__).resolve().parents[2] / "demo" / "data"


def build(tmp_path: Path, tables: list[str], extra: str = "") -> tuple[Path, str]:
    text = GEMEENTEN + extra + "".join(f'\n[[indicators]]\nfile = "{t}"\n' for t in tables)
    output, report = build_from_manifest(tmp_path, text)
    return output, report.as_text()


@pytest.fixture(scope="module")
def statline(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """All four StatLine tables in one dataset, each read as published (no format given)."""
    return build(tmp_path_factory.mktemp("statline"), [
        str(TABLES / "nl_kwb_2024_85984NED_gemeente_wijk_subset.csv"),
        str(TABLES / "nl_regio_2015_70072NED_regionale_kerncijfers.csv"),
        str(TABLES / "nl_gemeenten_2015_83648NED_misdrijven.csv"),
        str(TABLES / "nl_gemeenten_2022_2023_47013NED_totaal_misdrijven.csv"),
        str(TABLES / "nl_gemeenten_2024_47013NED_totaal_misdrijven.csv"),
    ])


def _served(dataset: Path, indicator: str, group: str, year: int) -> pd.DataFrame:
    store = open_store(dataset)
    values = store._values  # the whole stored figure table
    rows = values[(values["indicator"] == indicator) & (values["group"] == group) & (values["year"] == year)]
    return rows.set_index("code")


def test_85984ned_odata_keys_every_region(statline: tuple[Path, str]) -> None:
    with open(TABLES / "nl_kwb_2024_85984NED_gemeente_wijk_subset.csv", newline="", encoding="utf-8") as f:
        source = {row["gwb_code"]: row for row in csv.DictReader(f)}
    for indicator, group, key in (("inwoners", "totaal", "AantalInwoners_5"), ("inwoners", "man", "Mannen_6"), ("inwoners", "vrouw", "Vrouwen_7")):
        served = _served(statline[0], indicator, group, 2024)
        for code, row in source.items():
            if code in served.index and served.at[code, "status"] == "protected":  # it would reveal a withheld figure
                assert math.isnan(served.at[code, "value"])
            elif code in served.index:
                assert served.at[code, "value"] == float(row[key]), (code, key)
        assert len(set(served.index) & set(source)) == len(source)  # every region of the table


def test_70072ned_padded_quoted_bom_file_with_nederland(statline: tuple[Path, str]) -> None:
    frame = pd.read_csv(TABLES / "nl_regio_2015_70072NED_regionale_kerncijfers.csv", sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame["RegioS"] = frame["RegioS"].str.strip()
    source = frame.set_index("RegioS")["TotaleBevolking_1"].str.strip()
    served = _served(statline[0], "inwoners", "totaal", 2015)
    checked = 0
    for code, value in source.items():
        if code.startswith("GM") and value and code in served.index and served.at[code, "status"] == "ok":
            assert served.at[code, "value"] == float(value), code
            checked += 1
    assert checked == 392  # every 2015 gemeente (minus Zaanstad)
    assert served.at["NL00", "value"] == float(source["NL01"])  # the Nederland row, as NL00


def test_70072ned_every_mapped_column_served_as_in_the_file(statline: tuple[Path, str]) -> None:
    """Every 70072NED column the catalog maps: the served 2015 figure of every gemeente, and of Nederland (NL01 as
    NL00), is the CSV cell rounded to the indicator's decimals (scale x cell / denominator where wijkmonitor makes the
    ratio); CBS's '.' is served as secret, an empty cell never as a figure."""
    catalog = load_catalog()
    frame = pd.read_csv(TABLES / "nl_regio_2015_70072NED_regionale_kerncijfers.csv", sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame = frame.apply(lambda c: c.str.strip()).set_index("RegioS")
    gemeenten = frame[frame.index.str.startswith("GM") & (frame["TotaleBevolking_1"] != "")]
    assert len(gemeenten) == 392
    rows = pd.concat([gemeenten, frame.loc[["NL01"]].rename(index={"NL01": "NL00"})])
    values = open_store(statline[0])._values
    values = values[values["year"] == 2015]
    columns: set[str] = set()
    for indicator in catalog.indicators.values():
        mapping = indicator.sources.get("70072NED")
        if mapping is None:
            continue
        for group, (column, *_) in mapping.groups.items():
            columns.add(column)
            served = values[(values["indicator"] == indicator.id) & (values["group"] == group)].set_index("code")
            cells = rows[column]
            expected = pd.to_numeric(cells.where(~cells.isin(["", "."])))
            if mapping.scale is not None:
                expected = mapping.scale * expected / pd.to_numeric(rows[mapping.denominator[0][0]])
            expected = expected.round(indicator.decimals)
            for code, cell in cells.items():
                where = (indicator.id, group, column, code, cell)
                if cell == "":
                    assert code not in served.index or served.at[code, "status"] != "ok", where
                    continue
                assert code in served.index, where
                if cell == ".":
                    assert served.at[code, "status"] == "secret", where
                else:
                    assert served.at[code, "status"] == "ok" and served.at[code, "value"] == expected[code], where
    assert len(columns) >= 197  # of the 270 figure columns: not the age bands, land use (empty), farming, ... (see the build report)
    some = _served(statline[0], "overledenen_naar_doodsoorzaak", "doodsoorzaak_hart_vaatstelsel", 2015)
    assert some.at["GM0344", "value"] == 491 and some.at["NL00", "value"] == 39379
    assert _served(statline[0], "groene_druk", "totaal", 2015).at["GM0344", "value"] == 33.7
    assert _served(statline[0], "leerlingen_basisonderwijs", "totaal", 2015).at["NL00", "value"] == 1443126
    assert _served(statline[0], "banen_werknemers", "sbi_a", 2015).at["GM0344", "status"] == "secret"


def test_83648ned_dimension_rows_become_groups(statline: tuple[Path, str]) -> None:
    frame = pd.read_csv(TABLES / "nl_gemeenten_2015_83648NED_misdrijven.csv", sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame = frame.apply(lambda c: c.str.strip())
    total = frame[frame["SoortMisdrijf"] == "0000000"].set_index("RegioS")["TotaalGeregistreerdeMisdrijven_1"]
    served = _served(statline[0], "misdrijven", "totaal", 2015)
    checked = 0
    for code, value in total.items():
        if value and code in served.index:
            assert served.at[code, "value"] == float(value), code
            checked += 1
    assert checked >= 392
    assert served.at["GM0344", "value"] == 31110


def test_47013ned_names_matched_by_name_for_every_gemeente(statline: tuple[Path, str]) -> None:
    text = (TABLES / "nl_gemeenten_2022_2023_47013NED_totaal_misdrijven.csv").read_text(encoding="utf-8")
    rows = [r for r in csv.reader(text.splitlines()[6:], delimiter=";") if len(r) == 3]
    store = open_store(statline[0])
    names = store.regions(Level.gemeente, 2023).set_index("code")["name"]
    served = _served(statline[0], "misdrijven", "totaal", 2023)
    by_name = {fold(names[c]): c for c in served.index if c in names.index}
    checked = 0
    for name, _, v2023 in rows:
        code = by_name.get(fold(name))
        if code is not None and v2023 == ".":
            assert served.at[code, "status"] == "secret", name  # Buitenland
        elif code is not None:
            assert served.at[code, "value"] == float(v2023), name
            checked += 1
    assert checked == 336  # every gemeente whose name is written alike; the variants by hand:
    assert served.at["GM0518", "value"] == 37483  # "'s-Gravenhage (gemeente)" = 's-Gravenhage
    assert served.at["GM0164", "value"] == 3676  # "Hengelo (O.)" = Hengelo
    assert served.at["GM0373", "value"] == 904 and served.at["GM0893", "value"] == 402  # Bergen (NH.), Bergen (L.)
    assert served.at["GM0344", "value"] == 25614  # "Utrecht (gemeente)"
    assert served.at["NL00", "value"] == 805590
    # the regionale eenheden and "Buitenland" are not gemeenten: named, not guessed
    assert "Amsterdam (RE)" in statline[1] and "names of 2023 match no gemeente" in statline[1]
    # on the 2026 indeling: Weesp (merged into Amsterdam in 2022) has no 2022 figure of its own, and the report says why
    assert "indeling of 2026" in statline[1] and "GM0457 Weesp" in statline[1]


def test_an_ambiguous_name_stops_the_build(tmp_path: Path) -> None:
    table = tmp_path / "misdrijven.csv"
    table.write_text(
        '"Geregistreerde misdrijven en aangiften; soort misdrijf, gemeente"\n"Soort misdrijf: Totaal misdrijven"\n""\n'
        '"Onderwerp";"Geregistreerde misdrijven"\n"Perioden";"2023"\n"Regio\'s";"aantal"\n'
        '"Bergen";"100"\n"Utrecht (gemeente)";"25614"\n"Bron: Politie"\n',
        encoding="utf-8",
    )  # made by this test: "Bergen" is Bergen (NH.) or Bergen (L.)
    with pytest.raises(InputErrors) as err:
        build(tmp_path, [], extra='\n[[indicators]]\nfile = "' + str(table) + '"\ntable = "47013NED"\n')
    assert "Bergen" in str(err.value) and "Bergen (NH.)" in str(err.value) and "Bergen (L.)" in str(err.value)


def test_names_in_capitals_and_cp1252(tmp_path: Path) -> None:
    """Vektis writes gemeente names in capitals, in CP1252 (SÚDWEST-FRYSLÂN)."""
    source = TABLES / "nl_gemeenten_2015_vektis_zvw_zorgkosten_geslacht_leeftijd.csv"
    frame = pd.read_csv(source, sep=";", encoding="cp1252", usecols=["GEMEENTENAAM"]).dropna()
    g = gpd.read_file(BOUNDARIES / "nl_gemeenten_2015_kwb_wgs84_q1e3.gpkg")
    g = g[g["water"] == "NEE"]
    match = match_names(frame["GEMEENTENAAM"], zip(g["gemeentecode"], g["gemeentenaam"]))
    assert match.codes["SÚDWEST-FRYSLÂN"] == "GM1900"
    assert match.codes["'S-GRAVENHAGE"] == "GM0518" and match.codes["BERGEN NH"] == "GM0373"
    assert match.codes["BERGEN LB"] == "GM0893"
    # merged after 2015: no 2015 boundary, listed rather than guessed
    assert sorted(match.unmatched) == ["GOOISE MEREN", "MEIERIJSTAD"] and not match.ambiguous


@pytest.mark.parametrize(("raw", "level", "bare", "code"), [
    ("WK0363AA", None, False, "WK0363AA"),
    ("BU0363AA01", None, False, "BU0363AA01"),
    ("2023GM0344", None, False, "GM0344"),
    ("GM0344    ", None, False, "GM0344"),
    ("NL01  ", None, False, "NL00"),
    ("NL00", None, False, "NL00"),
    ("0344", None, True, "GM0344"),
    ("034401", None, True, "WK034401"),
    ("03440111", None, True, "BU03440111"),
    ("0363AA", None, True, "WK0363AA"),
    (344, Level.gemeente, True, "GM0344"),
    (344.0, None, True, "GM0344"),
    ("0344", None, False, None),  # bare digits only from a code column
    ("BU03440111", Level.wijk, False, None),
    ("Utrecht", None, True, None),
])
def test_region_codes_in_every_published_form(raw: object, level: Level | None, bare: bool, code: str | None) -> None:
    assert parse_code(raw, level, bare) == code


MARKERS = {  # code -> (aantalInwoners as the file holds it, status served)
    "GM0344": (-99997, "secret"),
    "GM0345": (-99995, "later"),
    "GM0346": (-99991, "discontinued"),
    "GM0347": (-99999999, "secret"),
    "GM0348": (None, "missing"),  # the key is absent from the feature
    "GM0349": (1234, "ok"),
}


def test_every_marker_keeps_its_meaning(tmp_path: Path) -> None:
    layer = tmp_path / "gemeenten.geojson"  # made by this test: six squares, PDOK 2023 names
    features = []
    for i, (code, (value, _)) in enumerate(MARKERS.items()):
        x = 5.0 + i * 0.01
        properties = {"gemeentecode": code, "gemeentenaam": f"Proef {i}", "jaar": 2023, "mannen": 10,
                      "percentageEenpersoonshuishoudens": 40}
        if value is not None:
            properties["aantalInwoners"] = properties["aantalHuishoudens"] = value
        features.append({"type": "Feature", "properties": properties, "geometry": {
            "type": "Polygon", "coordinates": [[[x, 52.0], [x + 0.01, 52.0], [x + 0.01, 52.01], [x, 52.01], [x, 52.0]]]}})
    layer.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    output = tmp_path / "out.gpkg"
    assert main(["build", str(layer), "-o", str(output)]) == 0
    with TestClient(create_app(Settings.from_env(dataset=output))) as client:
        statuses = client.get("/catalog").json()["statuses"]
        assert statuses["later"] == "CBS publiceert dit cijfer later"
        for code, (_, status) in MARKERS.items():
            body = client.get(f"/regions/{code}").json()
            figure = next(f for f in body["figures"] if f["indicator"] == "inwoners" and f["group"] == "totaal")
            assert figure["status"] == status, code
            if status != "ok":
                assert figure["value"] is None and figure["note"] == statuses[status]
        legend = client.get("/legend/inwoners.json?level=gemeente&year=2023").json()
        assert {s["status"]: s["count"] for s in legend["statuses"]} == {"secret": 2, "later": 1, "discontinued": 1, "missing": 1}
        # A share CBS published over a denominator it did not: not shown (we cannot tell it rests on enough
        # households), and the note says the number is unknown rather than that it is small.
        for code, (_, status) in MARKERS.items():
            share = next(f for f in client.get(f"/regions/{code}").json()["figures"] if f["indicator"] == "aandeel_eenpersoonshuishoudens")
            assert (share["status"], share["value"]) == (("ok", 40) if status == "ok" else ("withheld", None)), code
            if status != "ok":
                assert "minder dan 50 huishoudens in de noemer, of hun aantal is onbekend" in share["note"], share
    # KWB's '.' is secret, an empty cell missing: a release file written by this test, on the same squares
    table = tmp_path / "kwb.csv"
    table.write_text("gwb_code_10,regio,a_inw\nGM0344,Proef 0,.\nGM0345,Proef 1,\nGM0349,Proef 5,1234\n")
    output, _ = build_from_manifest(
        tmp_path,
        f'[[boundaries]]\nfile = "{layer}"\nlevel = "gemeente"\nyears = [2023]\ncode = "{{gemeentecode}}"\n'
        f'[[indicators]]\nfile = "{table}"\nyear = 2023\n',
        "kwb.gpkg",
    )
    figures = open_store(output).region_figures(["GM0344", "GM0345", "GM0349"])
    totals = figures[(figures["indicator"] == "inwoners") & (figures["group"] == "totaal")].set_index("code")
    assert totals["status"].to_dict() == {"GM0344": "secret", "GM0345": "missing", "GM0349": "ok"}
    assert parse_cell(".")[1].value == "secret" and parse_cell("")[1].value == "missing"


def test_unknown_schema_names_columns_and_the_closest(tmp_path: Path) -> None:
    table = tmp_path / "eigen.csv"  # made by this test: KWB-like names with typos
    table.write_text("gwb_code_10,a_inwoners,a_mannen\nGM0344,1,1\n")
    with pytest.raises(InputError) as err:
        build(tmp_path, [str(table)])
    message = str(err.value)
    assert "a_inwoners" in message and "Closest known schema" in message


def test_an_unmapped_column_is_named_with_the_nearest_of_its_own_schema(tmp_path: Path) -> None:
    table = tmp_path / "kwb_2024.csv"  # made by this test: KWB names, one with a slip, and integer gemeente codes
    table.write_text("gm,regio,a_inw,a_vrouwen\n344,Utrecht,1,1\n")
    _, report = build_from_manifest(tmp_path, (
        f'[[boundaries]]\nfile = "{DEMO_DATA}/utrecht_gemeente_municipal_wgs84.geojson"\nlevel = "gemeente"\n'
        f'years = [2024]\ncode = "GM{{KODE}}"\n[[indicators]]\nfile = "{table}"\ncode = "{{gm}}"\n'
    ))
    (warning,) = [w for w in report.warnings if "does not map" in w]
    assert "(read as schema kwb)" in warning and "a_vrouwen (closest: a_vrouw (inwoners, schema kwb))" in warning
    assert "1 numeric column" in warning  # not the code column the manifest names


def test_the_catalog_states_the_years_the_data_holds(statline: tuple[Path, str]) -> None:
    with TestClient(create_app(Settings.from_env(dataset=statline[0]))) as client:
        catalog = client.get("/catalog").json()
    assert catalog["indicators"]["inwoners"]["years"] == [2015, 2024]
    assert catalog["indicators"]["misdrijven"]["years"] == [2015, 2022, 2023, 2024]
    assert catalog["schemas"]["47013NED"]["format"] == "statline"


def test_the_catalog_states_only_years_a_map_can_show(tmp_path: Path) -> None:
    """47013NED's 2022 figures matched by name against the 2023 gemeenten: served in /regions, but no
    2022 map exists, so /catalog does not offer 2022 (a legend of it would be a 400)."""
    output, report = build_from_manifest(tmp_path, (
        f'[[boundaries]]\nfile = "{BOUNDARIES / "nl_gemeenten_2023_kwb_wgs84.geojson"}"\nlevel = "gemeente"\nyears = [2023]\n'
        f'code = "{{gemeentecode}}"\nname = "{{gemeentenaam}}"\n'
        f'[[indicators]]\nfile = "{TABLES / "nl_gemeenten_2022_2023_47013NED_totaal_misdrijven.csv"}"\n'
    ))
    assert any("no gemeente boundaries for 2022" in w for w in report.warnings)
    with TestClient(create_app(Settings.from_env(dataset=output))) as client:
        assert client.get("/catalog").json()["indicators"]["misdrijven"]["years"] == [2023]
        assert client.get("/legend/misdrijven.json?level=gemeente&year=2023").status_code == 200


def test_the_readmes_tidy_example_builds(tmp_path: Path) -> None:
    """As the README gives it: the manifest names the file only, and the form is recognised."""
    demo = DEMO_DATA.parent
    # Made by this test: gemeente codes as a municipality's own file may hold them (an integer, gwb_code_8).
    own = tmp_path / "eigen-cijfers.csv"
    own.write_text("region_code,year,indicator,group,value,denominator\n344,2024,inwoners,totaal,1,\n0344,2024,inwoners,man,2,\n")
    output, _ = build_from_manifest(
        tmp_path,
        f'[[boundaries]]\nfile = "{demo}/data/utrecht_gemeente_municipal_wgs84.geojson"\nlevel = "gemeente"\nyears = [2024]\ncode = "GM{{KODE}}"\n'
        f'[[boundaries]]\nfile = "{demo}/data/utrecht_wijken_municipal_wgs84.geojson"\nlevel = "wijk"\nyears = [2024]\ncode = "WK0344{{KODE}}"\n'
        f'[[boundaries]]\nfile = "{demo}/data/utrecht_buurten_municipal_wgs84.geojson"\nlevel = "buurt"\nyears = [2024]\ncode = "BU0344{{KODE}}"\n'
        f'[[indicators]]\nfile = "{demo}/tidy-voorbeeld.csv"\n'
        f'[[indicators]]\nfile = "{own}"\n',
    )
    figures = open_store(output).region_figures(["GM0344", "WK034401", "BU03440111"]).set_index(["code", "indicator", "group"])
    assert figures.loc[("WK034401", "inwoners", "totaal"), "value"] == 29710
    assert figures.loc[("BU03440111", "aandeel_inwoners", "leeftijd_65_plus"), "value"] == 18.9
    assert figures.loc[("BU03440111", "woz_waarde", "totaal"), "status"] == "secret"
    assert figures.loc[("GM0344", "inwoners", "totaal"), "value"] == 1 and figures.loc[("GM0344", "inwoners", "man"), "value"] == 2


def test_a_tidy_row_without_a_region_code_says_what_one_looks_like(tmp_path: Path) -> None:
    table = tmp_path / "eigen.csv"  # made by this test
    table.write_text("region_code,year,indicator,group,value\nUtrecht,2024,inwoners,totaal,1\n")
    with pytest.raises(InputErrors) as err:
        build_from_manifest(tmp_path, (
            f'[[boundaries]]\nfile = "{DEMO_DATA}/utrecht_gemeente_municipal_wgs84.geojson"\nlevel = "gemeente"\n'
            f'years = [2024]\ncode = "GM{{KODE}}"\n[[indicators]]\nfile = "{table}"\n'
        ))
    assert "'Utrecht' is not a CBS region code (such as GM0344" in str(err.value) and "row 2" in str(err.value)
