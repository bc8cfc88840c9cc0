"""The Store contract, on the demo dataset from both stores (GeoPackage and PostGIS): what every
caller relies on, checked against the CBS source; and the HTTP API answers the same bytes from both."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import mapbox_vector_tile
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal
from starlette.testclient import TestClient

from cli import main
from geodata.build import build_dataset
from geodata.cells import Status
from geodata.detect import manifest_for_file
from geodata.errors import DatasetError
from geodata.regions import Level
from settings import Settings
from store import Store, open_store
from tests.conftest import DEMO, kwb_rows, serve_until_it_stops
from tests.store.cluster import Cluster
from tests.store.conftest import location_for
from web.app import create_app

BUURT = "BU03440111"


def test_regions_are_sorted_by_code_in_rd_new_per_level_and_year(any_store: Store) -> None:
    for level, years in any_store.availability.years.items():
        for year in years:
            regions = any_store.regions(level, year)
            assert regions.crs.to_epsg() == 28992
            assert regions["code"].is_monotonic_increasing and regions["code"].is_unique, (level, year)
            assert (regions["year"] == year).all() and set(regions.geom_type) == {"MultiPolygon"}
    utrecht = any_store.regions(Level.buurt, 2023, within="GM0344")
    assert len(utrecht) == 111 and utrecht["code"].tolist() == sorted(kwb_rows(2023).keys() & set(utrecht["code"]))


def test_figures_are_aligned_with_the_regions_and_equal_the_source(any_store: Store) -> None:
    source = kwb_rows(2023)
    codes = any_store.regions(Level.buurt, 2023)["code"].tolist()
    figures = any_store.figures(Level.buurt, 2023, "totaal", "inwoners")
    assert figures.values.index.tolist() == codes == figures.statuses.index.tolist()
    published = figures.statuses == Status.ok.value
    assert published.sum() > 100
    for code in figures.values.index[published]:
        assert figures.values[code] == float(source[code]["a_inw"]), code
    inside = any_store.figures(Level.buurt, 2023, "totaal", "inwoners", within="GM0344")
    assert len(inside.values) == len(any_store.regions(Level.buurt, 2023, within="GM0344"))


def test_one_figure_and_a_missing_one(any_store: Store) -> None:
    assert any_store.figure(BUURT, 2023, "totaal", "inwoners") == (float(kwb_rows(2023)[BUURT]["a_inw"]), "ok")
    assert any_store.figure(BUURT, 1999, "totaal", "inwoners") == (None, Status.missing.value)


def test_region_history_has_a_row_per_year(any_store: Store) -> None:
    history = any_store.region_history(BUURT)
    assert history["year"].tolist() == [2023, 2024] and set(history["code"]) == {BUURT}
    assert "geometry" not in history and "indelingswijziging" in history
    assert any_store.region_history("BU99999999").empty


def test_region_figures_are_every_figure_of_the_regions(any_store: Store) -> None:
    rows = any_store.region_figures([BUURT, "WK034401"])
    assert list(rows.columns) == ["code", "year", "group", "indicator", "value", "status", "method"]
    assert set(rows["code"]) == {BUURT, "WK034401"}
    for row in rows.sample(40, random_state=1).itertuples():
        value, status = any_store.figure(row.code, row.year, row.group, row.indicator)
        assert status == row.status and (value is None if pd.isna(row.value) else value == row.value)
    assert any_store.region_figures(["BU99999999"]).empty


def test_the_region_index_has_every_region_once(any_store: Store) -> None:
    index = any_store.region_index()
    assert index["code"].is_unique and set(index["level"]) == {"gemeente", "wijk", "buurt"}
    buurt = index.set_index("code").loc[BUURT]
    assert (buurt["gemeente_code"], buurt["wijk_code"], buurt["year"]) == ("GM0344", "WK034401", 2024)


def test_bounds_are_those_of_utrecht_in_lon_lat(any_store: Store) -> None:
    west, south, east, north = any_store.bounds_lonlat(Level.buurt, 2023)
    assert 4.9 < west < east < 5.3 and 51.9 < south < north < 52.2


@pytest.mark.parametrize("kind", ["gpkg", "postgis"])
def test_the_version_changes_with_a_rebuild(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    cluster = request.getfixturevalue("pg_cluster") if kind == "postgis" else None
    location = location_for(kind, cluster, tmp_path, "rebuilt")
    manifest = manifest_for_file(DEMO / "data" / "nl_gemeenten_2022_kwb_wgs84.geojson")
    build_dataset(manifest, location)
    first = open_store(location)
    assert first.version_now() == first.version
    build_dataset(manifest, location)
    assert first.version_now() not in (None, first.version)
    assert open_store(location).version == first.version_now()


def test_both_stores_hold_the_same_dataset(demo_store: Store, postgis_demo_store: Store) -> None:
    for level, years in demo_store.availability.years.items():
        assert postgis_demo_store.availability.years[level] == years
        for year in years:
            assert_geodataframe_equal(
                postgis_demo_store.regions(level, year), demo_store.regions(level, year), check_dtype=False
            )
    codes = demo_store.region_index()["code"].tolist()
    pd.testing.assert_frame_equal(
        postgis_demo_store.region_figures(codes), demo_store.region_figures(codes), check_dtype=False, check_exact=True
    )
    pd.testing.assert_frame_equal(
        postgis_demo_store.region_index(), demo_store.region_index(), check_dtype=False, check_exact=True
    )
    assert postgis_demo_store.metadata["report"] == demo_store.metadata["report"]


@pytest.fixture(scope="module")
def clients(demo_build: tuple[Path, object], demo_store: Store, postgis_demo: str, postgis_demo_store: Store) -> Iterator[
    tuple[TestClient, TestClient]
]:
    gpkg = create_app(Settings(dataset=str(demo_build[0]), reload_check_seconds=-1), demo_store)
    postgis = create_app(Settings(dataset=postgis_demo, reload_check_seconds=-1), postgis_demo_store)
    with TestClient(gpkg) as from_gpkg, TestClient(postgis) as from_postgis:
        yield from_gpkg, from_postgis


TILES = [
    "/tiles/buurt/13/4211/2702.mvt?year=2023",
    "/tiles/buurt/14/8422/5405.mvt?year=2024&group=herkomst_buiten_europa",
    "/tiles/wijk/11/1053/675.mvt?year=2024",
    "/tiles/gemeente/7/65/42.mvt?year=2015",
]


@pytest.mark.parametrize("url", TILES)
def test_tiles_are_the_same_bytes_from_both_stores(clients: tuple[TestClient, TestClient], url: str) -> None:
    from_gpkg, from_postgis = (c.get(url, headers={"accept-encoding": "identity"}) for c in clients)
    assert from_gpkg.status_code == from_postgis.status_code == 200
    assert from_postgis.content == from_gpkg.content and from_postgis.headers["etag"] == from_gpkg.headers["etag"]
    layer = next(iter(mapbox_vector_tile.decode(from_postgis.content).values()))
    assert layer["features"], url


def test_a_decoded_tile_carries_the_source_figures(clients: tuple[TestClient, TestClient]) -> None:
    decoded = mapbox_vector_tile.decode(clients[1].get(TILES[0]).content)
    features = {f["properties"]["code"]: f["properties"] for f in decoded["buurt"]["features"]}
    assert features[BUURT]["inwoners__totaal"] == int(kwb_rows(2023)[BUURT]["a_inw"])


@pytest.mark.parametrize("url", [
    f"/regions/{BUURT}", "/regions/WK034401", "/regions/GM0344",
    "/styles/aandeel_inwoners.json?group=herkomst_buiten_europa&year=2023",
    "/styles/bijstand_per_1000.json?year=2023", "/catalog",
])
def test_json_is_the_same_from_both_stores(clients: tuple[TestClient, TestClient], url: str) -> None:
    from_gpkg, from_postgis = (c.get(url) for c in clients)
    assert from_gpkg.status_code == from_postgis.status_code == 200
    assert from_postgis.json() == from_gpkg.json()


def test_bad_addresses_are_named(pg_cluster: Cluster) -> None:
    with pytest.raises(DatasetError, match="cannot connect"):
        open_store(pg_cluster.dsn("no_such_database"))
    with pytest.raises(DatasetError, match="no wijkmonitor dataset is published"):
        open_store(pg_cluster.create_database("empty", postgis=False))
    with pytest.raises(DatasetError, match="not a valid PostgreSQL address") as raised:
        open_store("postgresql://wijkmonitor:secret@[::1/db")
    assert "secret" not in str(raised.value) and "wijkmonitor:***@" in str(raised.value)
    with pytest.raises(DatasetError, match="nonsense"):
        open_store(pg_cluster.dsn() + "?nonsense=1")


def test_the_cli_names_a_bad_database_without_a_traceback(pg_cluster: Cluster, capsys: pytest.CaptureFixture[str]) -> None:
    source = str(DEMO / "data" / "nl_gemeenten_2022_kwb_wgs84.geojson")
    assert main(["build", source, "--to", pg_cluster.dsn("no_such_database")]) == 1
    err = capsys.readouterr().err
    assert "no_such_database" in err and "cannot connect" in err and "Traceback" not in err
    served = serve_until_it_stops(pg_cluster.create_database("nothing_built"), 1)
    assert served.returncode == 1 and "Traceback" not in served.stderr
    assert "no wijkmonitor dataset is published" in served.stderr
    assert main(["build", source, "--to", "mysql://x"]) == 1
    assert "expected a postgresql://" in capsys.readouterr().err
