"""OGC API Features against the demo dataset: the figures equal /regions and the CBS file, paging
walks every feature once, bbox and crs use the store's own geometry, and bad requests name the
parameter at fault."""

from __future__ import annotations

from urllib.parse import quote

import numpy as np
import pytest
import shapely
from shapely.geometry import shape
from starlette.testclient import TestClient

from geodata.regions import Level
from ogc.crs import CRS84, RD_NEW
from settings import Settings
from store import Store
from tests.conftest import error_of, kwb_rows
from web.app import create_app

ITEMS = "/ogc/collections/{}/items"


def test_landing_page_links_the_openapi_document_conformance_and_collections(client: TestClient) -> None:
    links = {link["rel"]: link for link in client.get("/ogc").json()["links"]}
    assert links["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert links["service-desc"]["href"].endswith("/ogc/api")
    assert links["data"]["href"].endswith("/ogc/collections") and links["data"]["type"] == "application/json"
    assert client.get(links["conformance"]["href"]).json()["conformsTo"][:4] == [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
        "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    ]


def test_a_collection_per_level_and_year_in_both_crs(client: TestClient, demo_store: Store) -> None:
    found = {c["id"]: c for c in client.get("/ogc/collections").json()["collections"]}
    a = demo_store.availability
    assert list(found) == [f"{level.value}_{year}" for level in a.levels for year in a.years[level]]
    buurten = found["buurt_2024"]
    assert buurten["title"] == "Buurten 2024"
    assert buurten["crs"] == [CRS84, RD_NEW] and buurten["storageCrs"] == RD_NEW
    assert buurten["extent"]["spatial"]["bbox"] == [list(demo_store.bounds_lonlat(Level.buurt, 2024))]
    assert buurten["extent"]["temporal"]["interval"] == [["2024-01-01T00:00:00Z", "2024-12-31T23:59:59Z"]]
    assert client.get("/ogc/collections/buurt_2024").json() == buurten


def test_a_features_figures_equal_the_region_api_and_the_cbs_file(client: TestClient) -> None:
    feature = client.get(ITEMS.format("buurt_2023") + "/BU03440111").json()
    properties = feature["properties"]
    assert feature["id"] == properties["code"] == "BU03440111"
    assert (properties["gemeente_code"], properties["wijk_code"]) == ("GM0344", "WK034401")
    assert properties["inwoners__totaal"] == int(kwb_rows(2023)["BU03440111"]["a_inw"])
    figures = [f for f in client.get("/regions/BU03440111").json()["figures"] if f["year"] == 2023]
    assert len(figures) > 50
    for figure in figures:
        name = f"{figure['indicator']}__{figure['group']}"
        if figure["status"] == "ok":
            assert properties[name] == figure["value"] and properties[f"{name}__status"] is None, name
        elif figure["status"] != "missing" or name in properties:
            assert properties[name] is None and properties[f"{name}__status"] == figure["status"], name


def test_a_withheld_figure_has_its_status_and_no_value(client: TestClient, demo_store: Store) -> None:
    statuses = demo_store.figures(Level.buurt, 2023, "totaal", "bijstand_per_1000").statuses
    code = statuses[statuses == "withheld"].index[0]
    properties = client.get(ITEMS.format("buurt_2023") + f"/{code}").json()["properties"]
    assert properties["bijstand_per_1000__totaal"] is None
    assert properties["bijstand_per_1000__totaal__status"] == "withheld"
    # and so in every feature of every page: no value beside a status
    for feature in client.get(ITEMS.format("buurt_2023") + "?limit=1000").json()["features"]:
        for name, value in feature["properties"].items():
            if name.endswith("__status") and value is not None:
                assert feature["properties"][name.removesuffix("__status")] is None, (feature["id"], name)


def test_next_links_walk_every_feature_exactly_once(client: TestClient, demo_store: Store) -> None:
    codes = demo_store.regions(Level.buurt, 2023)["code"].tolist()
    seen: list[str] = []
    url: str | None = ITEMS.format("buurt_2023") + "?limit=7"
    while url:
        page = client.get(url).json()
        assert page["numberMatched"] == len(codes) and page["numberReturned"] == len(page["features"]) <= 7
        seen += [f["id"] for f in page["features"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    assert seen == codes
    last = client.get(ITEMS.format("buurt_2023") + "?limit=7&offset=105").json()
    prev = next(link["href"] for link in last["links"] if link["rel"] == "prev")
    assert "offset=98" in prev and "limit=7" in prev


def regions_in(store: Store, year: int, crs: str) -> tuple[list[str], np.ndarray]:
    regions = store.regions(Level.buurt, year)
    if crs == CRS84:
        regions = regions.to_crs("OGC:CRS84")
    return regions["code"].tolist(), np.asarray(regions.geometry.array)


@pytest.mark.parametrize(
    ("bbox", "crs"),
    [((5.08, 52.07, 5.10, 52.09), CRS84), ((133000, 454000, 136000, 456500), RD_NEW)],
)
def test_bbox_selects_the_regions_that_intersect_it(
    client: TestClient, demo_store: Store, bbox: tuple[float, ...], crs: str
) -> None:
    codes, geometry = regions_in(demo_store, 2023, crs)
    expected = [c for c, hit in zip(codes, shapely.intersects(geometry, shapely.box(*bbox))) if hit]
    assert 0 < len(expected) < len(codes)
    query = f"?bbox={','.join(map(str, bbox))}&limit=1000" + ("" if crs == CRS84 else f"&bbox-crs={quote(crs)}")
    page = client.get(ITEMS.format("buurt_2023") + query).json()
    assert [f["id"] for f in page["features"]] == expected and page["numberMatched"] == len(expected)


def test_crs_rd_new_gives_the_stores_coordinates(client: TestClient, demo_store: Store) -> None:
    response = client.get(ITEMS.format("buurt_2023") + f"?limit=1000&crs={quote(RD_NEW)}")
    assert response.headers["content-crs"] == f"<{RD_NEW}>"
    assert response.headers["content-type"] == "application/geo+json"
    assert response.headers["content-encoding"] == "gzip"  # the test client accepts it, as QGIS and GDAL do
    codes, geometry = regions_in(demo_store, 2023, RD_NEW)
    features = response.json()["features"]
    assert [f["id"] for f in features] == codes
    for feature, stored in zip(features, geometry):
        served = shape(feature["geometry"])
        assert np.abs(shapely.get_coordinates(served) - shapely.get_coordinates(stored)).max() <= 0.005
    # the default is CRS84, lon/lat, about a centimetre apart from the store's geometry
    lonlat = client.get(ITEMS.format("buurt_2023") + "/BU03440111")
    assert lonlat.headers["content-crs"] == f"<{CRS84}>"
    x, y = shapely.get_coordinates(shape(lonlat.json()["geometry"]))[0]
    assert 5.0 < x < 5.2 and 52.0 < y < 52.2


def test_queryables_filter_by_equality(client: TestClient, demo_store: Store) -> None:
    schema = client.get("/ogc/collections/wijk_2024/queryables")
    assert schema.headers["content-type"] == "application/schema+json"
    properties = schema.json()["properties"]
    assert {"code", "name", "gemeente_code", "inwoners__totaal", "inwoners__totaal__status"} <= set(properties)
    assert properties["inwoners__totaal"]["type"] == "number"
    wijken = demo_store.regions(Level.wijk, 2024)
    in_utrecht = wijken[wijken["gemeente_code"] == "GM0344"]["code"].tolist()
    page = client.get(ITEMS.format("wijk_2024") + "?gemeente_code=GM0344&limit=1000").json()
    assert [f["id"] for f in page["features"]] == in_utrecht
    statuses = demo_store.figures(Level.buurt, 2023, "totaal", "bijstand_per_1000").statuses
    withheld = statuses[statuses == "withheld"].index.tolist()
    page = client.get(ITEMS.format("buurt_2023") + "?bijstand_per_1000__totaal__status=withheld&limit=1000").json()
    assert [f["id"] for f in page["features"]] == withheld
    inwoners = int(kwb_rows(2023)["BU03440111"]["a_inw"])
    page = client.get(ITEMS.format("buurt_2023") + f"?inwoners__totaal={inwoners}&code=BU03440111").json()
    assert [f["id"] for f in page["features"]] == ["BU03440111"]


def test_datetime_selects_the_collections_year(client: TestClient) -> None:
    def matched(value: str) -> int:
        return client.get(ITEMS.format("buurt_2023") + f"?datetime={quote(value)}").json()["numberMatched"]

    assert matched("2023-06-01") == matched("2022-01-01/..") == matched("../2023-01-01T00:00:00Z") == 111
    assert matched("2024-01-01") == matched("../2022-12-31") == 0


@pytest.mark.parametrize(
    ("url", "status", "parameter"),
    [
        ("/ogc/collections/buurt_1999", 404, "collectionId"),
        (ITEMS.format("bu_2023"), 404, "collectionId"),
        (ITEMS.format("buurt_2023") + "/BU99999999", 404, "featureId"),
        (ITEMS.format("buurt_2023") + "?limit=0", 400, "limit"),
        (ITEMS.format("buurt_2023") + "?limit=1001", 400, "limit"),
        (ITEMS.format("buurt_2023") + "?offset=-1", 400, "offset"),
        (ITEMS.format("buurt_2023") + "?bbox=5,52,5.1", 400, "bbox"),
        (ITEMS.format("buurt_2023") + "?bbox=5.1,52,5,52.1", 400, "bbox"),
        (ITEMS.format("buurt_2023") + "?bbox=133000,454000,136000,456500", 400, "bbox"),  # metres, read as degrees
        (ITEMS.format("buurt_2023") + "?bbox=5,52,5.1,52.1&bbox-crs=EPSG:4326", 400, "bbox-crs"),
        (ITEMS.format("buurt_2023") + "?crs=EPSG:28992", 400, "crs"),
        (ITEMS.format("buurt_2023") + "?datetime=gisteren", 400, "datetime"),
        (ITEMS.format("buurt_2023") + "?kleur=rood", 400, "kleur"),
        (ITEMS.format("buurt_2023") + "?inwoners__totaal=veel", 400, "inwoners__totaal"),
        (ITEMS.format("buurt_2023") + "?inwoners__totaal__status=geheim", 400, "inwoners__totaal__status"),
        (ITEMS.format("buurt_2023") + "/BU03440111?limit=5", 400, "limit"),
    ],
)
def test_bad_requests_name_the_parameter(client: TestClient, url: str, status: int, parameter: str) -> None:
    assert error_of(client, url) == (status, parameter)


def test_links_use_the_configured_public_url(demo_build: tuple, demo_store: Store) -> None:
    settings = Settings(dataset=demo_build[0], reload_check_seconds=-1, public_url="https://kaart.example.nl/wijkmonitor/")
    behind_proxy = TestClient(create_app(settings, demo_store))  # no lifespan: no analysis workers needed
    api = "https://kaart.example.nl/wijkmonitor/ogc"
    assert {link["href"] for link in behind_proxy.get("/ogc").json()["links"]} == {
        api, f"{api}/api", f"{api}/conformance", f"{api}/collections", f"{api}/tileMatrixSets"}
    assert behind_proxy.get("/ogc/api").json()["servers"] == [{"url": api}]
    page = behind_proxy.get(ITEMS.format("buurt_2023") + "?limit=50").json()
    assert next(link["href"] for link in page["links"] if link["rel"] == "next") == (
        f"{api}/collections/buurt_2023/items?limit=50&offset=50")
