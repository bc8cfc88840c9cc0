"""Every shared CBS/PDOK boundary file builds as published, from `wijkmonitor build FILE` alone,
and every served figure equals the file's own column, for every region."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import geopandas as gpd
import mapbox_vector_tile
import morecantile
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import box
from starlette.testclient import TestClient

from cli import main
from geodata.catalog import load_catalog
from geodata.cells import parse_cell
from geodata.detect import manifest_for_file
from geodata.errors import InputError
from settings import Settings
from store import open_store
from tests.conftest import ROOT, SHARED_DATA, buurten_2014_of
from web.app import create_app

BOUNDARIES = SHARED_DATA / "boundaries"
# The shared CBS files sit beside the repository (../shared/data, or $WIJKMONITOR_SHARED_DATA).
pytestmark = pytest.mark.skipif(not SHARED_DATA.exists(), reason="shared CBS data not beside the repository")
CATALOG = load_catalog()

# file -> (schema its columns belong to, year, level, numeric columns the catalog leaves out, with why)
FILES = {
    "ermelo_buurten_2021_rd.gpkg": ("pdok_snake", 2021, "buurt", {"dekkingspercentage"}),  # a coverage class, not a statistic
    "nl_gemeenten_2015_kwb_wgs84_q1e3.gpkg": (
        "pdok_snake", 2015, "gemeente",
        # vehicle counts the catalog has no indicator for (car age), or whose definition differs
        # (motortweewielers include scooters; the catalog's motorfietsen do not)
        {"aantal_personenautos_6_jaar_en_ouder", "aantal_personenautos_jonger_dan_6_jaar", "motortweewielers_totaal"},
    ),
    "nl_gemeenten_2022_kwb_wgs84.geojson": ("pdok", 2022, "gemeente", set()),
    "nl_gemeenten_2023_kwb_wgs84.geojson": ("pdok", 2023, "gemeente", set()),
    "nl_wijken_2024_kwb_wgs84.geojson": ("wijken_kort", 2024, "wijk", set()),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Each file built through the CLI once: file -> (dataset, build output)."""
    out = tmp_path_factory.mktemp("published")
    result = {}
    for name in FILES:
        dataset = out / f"{Path(name).stem}.gpkg"
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            assert main(["build", str(BOUNDARIES / name), "-o", str(dataset)]) == 0
        result[name] = (dataset, printed.getvalue())
    return result


def _source(name: str) -> pd.DataFrame:
    frame = pyogrio.read_dataframe(BOUNDARIES / name, read_geometry=False)
    water = [c for c in frame.columns if c.lower() == "water"]
    return frame[frame[water[0]] == "NEE"] if water else frame


def _code_column(frame: pd.DataFrame, level: str) -> str:
    return next(c for c in (f"{level}code", "statcode") if c in frame.columns)


@pytest.mark.parametrize("name", list(FILES))
def test_every_served_figure_equals_the_files_column(name: str, built: dict[str, tuple[Path, str]]) -> None:
    schema, year, level, _ = FILES[name]
    store = open_store(built[name][0])
    source = _source(name)
    source = source.set_index(source[_code_column(source, level)].astype(str))
    lower = {c.lower(): c for c in source.columns}
    served = store.region_figures(list(source.index))
    assert set(served["year"]) == {year}
    compared = 0
    for (indicator_id, group), rows in served.groupby(["indicator", "group"]):
        indicator = CATALOG.indicators[indicator_id]
        mapping = indicator.sources[schema]  # served only through this file's own schema
        column = next(lower[a.lower()] for a in mapping.groups[group] if a.lower() in lower)
        cells = [parse_cell(source.at[code, column]) for code in rows["code"]]
        raw = np.array([np.nan if v is None else v for v, _ in cells])
        if mapping.scale is not None:
            den_column = next(lower[a.lower()] for a in mapping.denominator[0] if a.lower() in lower)
            den = np.array([parse_cell(source.at[code, den_column])[0] or np.nan for code in rows["code"]])
            raw = mapping.scale * raw / den
        expected = np.round(raw, indicator.decimals)
        ok = rows["status"].to_numpy() == "ok"
        assert np.allclose(rows["value"].to_numpy()[ok], expected[ok], rtol=0, atol=1e-9), (indicator_id, group)
        # A region without a value has one for a reason: the file's marker, our minimum, disclosure
        # control, or a denominator of 0 (a share of nobody)
        den_column = next((lower[a.lower()] for a in (mapping.denominator or ((),))[0] if a.lower() in lower), None)
        for code, (value, _), served_status in zip(rows["code"], cells, rows["status"]):
            if served_status != "ok":
                ours = served_status in ("withheld", "protected")
                empty = served_status == "missing" and den_column is not None and parse_cell(source.at[code, den_column])[0] == 0
                assert value is None or ours or empty, (indicator_id, group, value, served_status)
            else:
                assert value is not None
        compared += len(rows)
    assert compared >= len(source) * 2


@pytest.mark.parametrize("name", list(FILES))
def test_every_numeric_column_gives_figures_or_is_named(name: str, built: dict[str, tuple[Path, str]]) -> None:
    """Nothing silently ignored: a numeric column the catalog does not read is named in the build output."""
    schema, _, _, left_out = FILES[name]
    output = built[name][1]
    source = _source(name)
    known = CATALOG.schema_columns(schema)
    numeric = {c for c in source.columns if source[c].dtype.kind in "if" and c.lower() != "jaar" and not c.lower().endswith("code")}
    bookkeeping = {"gml_id", "ind_wbi", "indelingswijziging_wijken_en_buurten"}  # ids and a boundary-change flag
    unread = {c for c in numeric if c.lower() not in known and c.lower() not in bookkeeping}
    assert unread == left_out
    for column in left_out:
        assert column in output


def test_2015_layer_gives_the_total_and_herkomst_groups(built: dict[str, tuple[Path, str]]) -> None:
    """The 2015 PDOK layer names its attributes in snake_case: totals too, not only men and women."""
    store = open_store(built["nl_gemeenten_2015_kwb_wgs84_q1e3.gpkg"][0])
    utrecht = store.region_figures(["GM0344"]).set_index(["indicator", "group"])
    assert utrecht.loc[("inwoners", "totaal"), "value"] == 334176  # = TotaleBevolking_1 of 70072NED
    assert {"migratie_westers", "migratie_niet_westers"} <= set(utrecht.loc["aandeel_inwoners"].index)


def test_amsterdam_codes_with_letters(built: dict[str, tuple[Path, str]]) -> None:
    """Since the 2022 indeling Amsterdam's wijk codes hold capitals (WK0363AA): the region API,
    tiles and a style within GM0363 serve them."""
    dataset = built["nl_wijken_2024_kwb_wgs84.geojson"][0]
    settings = Settings.from_env(dataset=dataset)
    with TestClient(create_app(settings)) as client:
        region = client.get("/regions/WK0363AA")
        assert region.status_code == 200, region.text
        body = region.json()
        assert body["parents"] == {"gemeente": {"code": "GM0363", "name": "Amsterdam"}}
        # the layer's gemeentecode makes a gemeente level too, each gemeente the union of its wijken
        gemeente = client.get("/regions/GM0363").json()
        assert (gemeente["name"], gemeente["level"], gemeente["years"]) == ("Amsterdam", "gemeente", [2024])
        dam = mapbox_vector_tile.decode(client.get("/tiles/gemeente/12/2103/1346.mvt").content)  # the Dam, 4.90 52.37
        assert "GM0363" in {f["properties"]["code"] for layer in dam.values() for f in layer["features"]}
        source = _source("nl_wijken_2024_kwb_wgs84.geojson").set_index("wijkcode")
        served = {(f["indicator"], f["group"]): f["value"] for f in body["figures"]}
        assert served[("inwoners", "totaal")] == source.at["WK0363AA", "aantal_inwoners"]

        # the z12 tile over a point inside WK0363AA
        point = pyogrio.read_dataframe(BOUNDARIES / "nl_wijken_2024_kwb_wgs84.geojson", where="wijkcode = 'WK0363AA'")
        x, y, _ = morecantile.tms.get("WebMercatorQuad").tile(*point.geometry.iloc[0].representative_point().coords[0], 12)
        tile = client.get(f"/tiles/wijk/12/{x}/{y}.mvt?indicators=inwoners&year=2024")
        assert tile.status_code == 200
        layers = mapbox_vector_tile.decode(tile.content)
        codes = {f["properties"]["code"] for layer in layers.values() for f in layer["features"]}
        assert "WK0363AA" in codes
        for layer in layers.values():  # ids from codes with letters stay unique within a layer
            ids = [f["id"] for f in layer["features"]]
            assert len(ids) == len(set(ids))

        style = client.get("/styles/inwoners.json?level=wijk&year=2024&within=GM0363")
        assert style.status_code == 200, style.text
        legend = client.get("/legend/inwoners.json?level=wijk&year=2024&within=GM0363").json()
        amsterdam_wijken = source.index[source.index.str.startswith("WK0363") & source["aantal_inwoners"].notna()]
        assert sum(c["count"] for c in legend["classes"]) == len(amsterdam_wijken)


def test_year_of_a_file_without_one(tmp_path: Path) -> None:
    """A Wijk- en Buurtkaart shapefile-era layer states no year: the error says what it looks like."""
    layer = tmp_path / "buurten.gpkg"  # made by this test: two squares in Utrecht, short field names
    gpd.GeoDataFrame(
        {"bu_code": ["BU03440111", "BU03440112"], "bu_naam": ["a", "b"], "aant_inw": [100, 200], "p_00_14_jr": [10, 12]},
        geometry=[box(5.10, 52.08, 5.11, 52.09), box(5.11, 52.08, 5.12, 52.09)], crs="EPSG:4326",
    ).to_file(layer)
    with pytest.raises(InputError) as err:
        manifest_for_file(layer)
    assert "aant_inw" in str(err.value) and "2014-2018" in str(err.value) and "--year" in str(err.value)
    manifest = manifest_for_file(layer, year=2017)
    assert manifest.tables and manifest.boundaries[0].years == (2017,)


@pytest.mark.parametrize(("name", "level", "parents"), [
    ("nl_buurten_2014_wgs84_q1e3.gpkg", "buurt", ["gemeente", "wijk"]),
    ("nl_wijken_2014_wgs84_q1e3.gpkg", "wijk", ["gemeente"]),
])
def test_a_layer_with_only_statcode_gets_the_levels_above_from_its_codes(name: str, level: str, parents: list[str]) -> None:
    """PDOK's cbsgebiedsindelingen carry statcode, statnaam, rubriek: the wijken and gemeente come from
    the digits of the codes (BU03440111 in WK034401, GM0344), unnamed (statnaam names the buurt)."""
    own, *above = manifest_for_file(BOUNDARIES / name, year=2014).boundaries
    assert (own.level.value, own.dissolve, own.name) == (level, False, "{statnaam}")
    assert [b.level.value for b in above] == parents
    for parent in above:
        assert (parent.code, parent.dissolve, parent.name) == (own.code, True, None)
        assert (parent.years, parent.where, parent.crs, parent.file) == (own.years, own.where, own.crs, own.file)


def test_wijkmonitor_build_of_a_statcode_buurt_layer_serves_three_levels(tmp_path: Path) -> None:
    """`wijkmonitor build` of (a gemeente of) the 2014 buurt layer: wijken and gemeente by code, named by it."""
    layer = buurten_2014_of(tmp_path, ["GM0344"])
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["build", str(layer), "--year", "2014", "-o", str(tmp_path / "out.gpkg")]) == 0
    # 108 of the 111 buurten: 3 have no area in this layer, and the report names them
    for line in ("buurt 2014: 108 regions", "wijk 2014: 10 regions", "gemeente 2014: 1 regions"):
        assert line in printed.getvalue()
    with TestClient(create_app(Settings.from_env(dataset=tmp_path / "out.gpkg"))) as client:
        buurt = client.get("/regions/BU03440111").json()
        assert buurt["name"] == "Welgelegen. Den Hommel"  # statnaam, as the layer writes it
        assert buurt["parents"] == {"gemeente": {"code": "GM0344", "name": "GM0344"}, "wijk": {"code": "WK034401", "name": "WK034401"}}
        wijk = client.get("/regions/WK034401").json()
        assert (wijk["name"], wijk["level"], wijk["parents"]["gemeente"]["code"]) == ("WK034401", "wijk", "GM0344")


@pytest.mark.parametrize(("name", "template"), [
    ("utrecht_buurten_municipal_wgs84.geojson", "BU0344{KODE}"),
    ("utrecht_wijken_municipal_wgs84.geojson", "WK0344{KODE}"),
    ("utrecht_gemeente_municipal_wgs84.geojson", "GM{KODE}"),
])
def test_a_municipal_layer_with_its_own_codes_gets_the_template_that_completes_them(name: str, template: str) -> None:
    """Utrecht's own layers number wijken and buurten without GM/WK/BU: the error names the column
    and the code template the demo manifest uses for exactly these files."""
    with pytest.raises(InputError) as err:
        manifest_for_file(BOUNDARIES / name)
    assert "column KODE" in str(err.value) and f'code = "{template}"' in str(err.value)
    assert f'"{template}"' in (ROOT / "demo" / "wijkmonitor.toml").read_text()
