"""OGC API Tiles: the tile matrix sets, each collection's tilesets, and tiles in RD New that carry the
figures /regions gives, drawn where the regions are by OpenLayers (a Dutch viewer's library)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import mapbox_vector_tile
import numpy as np
import pyogrio
import pytest
import shapely
from starlette.testclient import TestClient

from geodata.regions import Level
from store import Store
from tests.conftest import ROOT, error_of, run_browser_check
from tiles.tilemath import RD_NEW, WEB_MERCATOR

CHECK = ROOT / "tests" / "ogc" / "openlayers_check.mjs"
RD_TILES = "/ogc/collections/wijk_2024/tiles/NetherlandsRDNewQuad"


def test_landing_page_and_conformance_name_the_tiles(client: TestClient) -> None:
    landing = client.get("/ogc").json()
    schemes = [link for link in landing["links"] if link["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"]
    assert [client.get(link["href"]).status_code for link in schemes] == [200]
    conformance = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset" in conformance
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt" in conformance


def test_tile_matrix_sets_are_pdoks_rd_new_and_web_mercator(client: TestClient) -> None:
    listed = client.get("/ogc/tileMatrixSets").json()["tileMatrixSets"]
    assert [t["id"] for t in listed] == ["WebMercatorQuad", "NetherlandsRDNewQuad"]
    rd = client.get("/ogc/tileMatrixSets/NetherlandsRDNewQuad").json()
    assert rd["crs"] == "http://www.opengis.net/def/crs/EPSG/0/28992"
    top = rd["tileMatrices"][0]
    assert top["pointOfOrigin"] == [-285401.92, 903401.92] and top["cellSize"] == pytest.approx(3440.64)
    assert top["scaleDenominator"] == pytest.approx(12_288_000)
    assert [m["matrixWidth"] for m in rd["tileMatrices"][:4]] == [1, 2, 4, 8]
    # the name of OGC's draft registry is accepted too
    assert client.get("/ogc/tileMatrixSets/NetherlandsRDNewQuadrant").json()["id"] == "NetherlandsRDNewQuad"
    status, parameter = error_of(client, "/ogc/tileMatrixSets/GoogleCRS84Quad")
    assert (status, parameter) == (404, "tileMatrixSetId")


def test_collection_links_its_tilesets_in_both_schemes(client: TestClient) -> None:
    collection = client.get("/ogc/collections/wijk_2024").json()
    [tiles_link] = [link for link in collection["links"] if link["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"]
    tilesets = client.get(tiles_link["href"]).json()["tilesets"]
    assert [t["crs"] for t in tilesets] == ["http://www.opengis.net/def/crs/EPSG/0/3857", "http://www.opengis.net/def/crs/EPSG/0/28992"]
    for summary in tilesets:
        [self_link] = [link for link in summary["links"] if link["rel"] == "self"]
        assert client.get(self_link["href"]).json()["dataType"] == "vector"


def test_tileset_metadata_gives_the_template_limits_and_layers(client: TestClient, demo_store: Store) -> None:
    tileset = client.get(f"{RD_TILES}?indicators=inwoners,bevolkingsdichtheid").json()
    [template] = [link["href"] for link in tileset["links"] if link["rel"] == "item"]
    assert "{tileMatrix}/{tileRow}/{tileCol}" in template and "indicators=inwoners%2Cbevolkingsdichtheid" in template
    limits = {limit["tileMatrix"]: limit for limit in tileset["tileMatrixSetLimits"]}
    assert sorted(limits, key=int) == [str(z) for z in range(RD_NEW.max_zoom(16) + 1)]
    # every region's tile at zoom 9 lies within the limits
    regions = demo_store.regions(Level.wijk, 2024)
    points = shapely.point_on_surface(np.asarray(regions.geometry.array))
    size = RD_NEW.span / 2**9
    left, top = RD_NEW.origin
    columns = np.floor((shapely.get_x(points) - left) / size)
    rows = np.floor((top - shapely.get_y(points)) / size)
    assert limits["9"]["minTileCol"] <= columns.min() and columns.max() <= limits["9"]["maxTileCol"]
    assert limits["9"]["minTileRow"] <= rows.min() and rows.max() <= limits["9"]["maxTileRow"]
    layers = {layer["id"]: layer for layer in tileset["layers"]}
    assert layers["wijk"]["propertiesSchema"]["properties"]["inwoners__totaal"]["type"] == "number"
    assert layers["wijk_label"]["geometryDimension"] == 0


def test_web_mercator_tiles_are_the_bytes_of_the_xyz_tiles(client: TestClient) -> None:
    z, x, y = WEB_MERCATOR.tiles_covering((5.11, 52.09, 5.11, 52.09), 12)[0]
    query = "indicators=inwoners&group=totaal"
    ogc = client.get(f"/ogc/collections/wijk_2024/tiles/WebMercatorQuad/{z}/{y}/{x}?{query}", headers={"Accept-Encoding": "identity"})
    xyz = client.get(f"/tiles/wijk/{z}/{x}/{y}.mvt?year=2024&{query}", headers={"Accept-Encoding": "identity"})
    assert ogc.status_code == 200 and ogc.content == xyz.content and ogc.headers["etag"] == xyz.headers["etag"]


def test_rd_tile_holds_the_regions_under_it_with_their_figures(client: TestClient, demo_store: Store) -> None:
    regions = demo_store.regions(Level.wijk, 2024)
    utrecht = regions[regions["gemeente_code"] == "GM0344"]
    z = 6  # about 13.4 m per unit of a 4096 tile: several Utrecht wijken in one tile
    point = shapely.point_on_surface(utrecht.geometry.iloc[0])
    size = RD_NEW.span / 2**z
    col, row = int((point.x - RD_NEW.origin[0]) // size), int((RD_NEW.origin[1] - point.y) // size)
    response = client.get(f"{RD_TILES}/{z}/{row}/{col}?indicators=inwoners", headers={"Accept-Encoding": "identity"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    layer = mapbox_vector_tile.decode(response.content)["wijk"]
    extent = layer["extent"]
    minx, miny, maxx, maxy = RD_NEW.tile_bounds(z, col, row)
    found = {}
    for feature in layer["features"]:
        # the decoder flips y (its default y_coord_down=False): tile units up from the bottom edge
        shape = shapely.geometry.shape(feature["geometry"])
        found[feature["properties"]["code"]] = (feature["properties"], shapely.affinity.affine_transform(
            shape, [(maxx - minx) / extent, 0, 0, (maxy - miny) / extent, minx, miny]))
    for code, geometry in zip(utrecht["code"], utrecht.geometry):
        here = shapely.point_on_surface(geometry)
        if not (minx <= here.x <= maxx and miny <= here.y <= maxy):
            continue
        properties, drawn = found[code]
        assert drawn.buffer(2 * size / extent).contains(here), code  # within two tile units of where it is
        value, status = demo_store.figure(code, 2024, "totaal", "inwoners")
        assert properties.get("inwoners__totaal") == (int(value) if status == "ok" else None), code


def test_gdal_reads_the_rd_tileset_with_the_figures(live_server: str, demo_store: Store, tmp_path: Path) -> None:
    """GDAL's OGC API driver (the GDAL in pyogrio's wheel; Debian 12's GDAL 3.6 is built without the
    driver's vector tiles) reads one zoom of the RD New tiles as a layer in EPSG:28992."""
    regions = demo_store.regions(Level.wijk, 2024)
    utrecht = regions[regions["gemeente_code"] == "GM0344"]
    minx, miny, maxx, maxy = utrecht.total_bounds
    # GDAL takes the extent in the tile matrix set's CRS from these options (the collection's is in CRS84).
    # In another process: GDAL holds this one's GIL, which the test server's thread needs to answer it.
    read = (
        "import sys, pyogrio\n"
        "pieces = pyogrio.read_dataframe(sys.argv[1], layer='Zoom level 8', API='TILES', TILEMATRIXSET='NetherlandsRDNewQuad',"
        " MINX=sys.argv[2], MINY=sys.argv[3], MAXX=sys.argv[4], MAXY=sys.argv[5])\n"
        "pieces.to_file(sys.argv[6])\n"
    )
    out = tmp_path / "gdal.gpkg"
    done = subprocess.run(
        [sys.executable, "-c", read, f"OGCAPI:{live_server}/ogc/collections/wijk_2024", *map(str, (minx, miny, maxx, maxy, out))],
        capture_output=True, text=True, timeout=900,  # a guard against a hang only
    )
    assert done.returncode == 0, done.stderr
    pieces = pyogrio.read_dataframe(out)
    assert pieces.crs.to_epsg() == 28992
    for code, geometry in zip(utrecht["code"], utrecht.geometry):
        mine = pieces[pieces["code"] == code]
        assert len(mine) >= 1, code
        here = shapely.point_on_surface(geometry)
        assert mine.geometry.buffer(RD_NEW.unit_size(8, 4096) * 2).contains(here).any(), code
        value, status = demo_store.figure(code, 2024, "totaal", "inwoners")
        assert set(mine["inwoners__totaal"].dropna()) == ({value} if status == "ok" else set()), code


@pytest.mark.parametrize(("parameter", "url"), [
    ("tileMatrix", f"{RD_TILES}/12/0/0"),  # RD New stops at 11 when Web Mercator stops at 16
    ("tileCol", f"{RD_TILES}/3/0/8"),
    ("tileRow", f"{RD_TILES}/3/-1/0"),
    ("tileMatrixSetId", "/ogc/collections/wijk_2024/tiles/EuropeanETRS89_LAEAQuad/3/0/0"),
    ("collectionId", "/ogc/collections/wijk_1999/tiles/NetherlandsRDNewQuad/3/0/0"),
])
def test_bad_tile_addresses_name_the_parameter(client: TestClient, parameter: str, url: str) -> None:
    status, named = error_of(client, url)
    assert 400 <= status < 500 and named == parameter


def test_openlayers_draws_rd_tiles_where_the_regions_are(live_server: str, demo_store: Store) -> None:
    regions = demo_store.regions(Level.wijk, 2024)
    utrecht = regions[regions["gemeente_code"] == "GM0344"]
    points = shapely.point_on_surface(np.asarray(utrecht.geometry.array))
    coordinates = [[round(p.x, 2), round(p.y, 2)] for p in points]
    # Utrecht's wijken fill about 700 of 1000 pixels at 26.88 m per pixel (RD zoom 7)
    result = run_browser_check(
        CHECK, f"{live_server}{RD_TILES}?indicators=inwoners,bevolkingsdichtheid", 136_500, 456_000, 26.88,
        json.dumps(coordinates), ROOT / "artifacts" / "openlayers-rd.png",
    )
    assert result["problems"] == []
    assert result["gridOrigin"] == [-285401.92, 903401.92] and result["gridResolutions"][0] == pytest.approx(3440.64)
    tiles = [path for path in result["tileRequests"] if path != RD_TILES]
    assert tiles and all(path.startswith(f"{RD_TILES}/7/") for path in tiles)  # 26.88 m per pixel is RD zoom 7
    for code, hits in zip(utrecht["code"], result["hits"]):
        polygons = [h for h in hits if "wijk_code" not in h or h.get("code") == code]
        assert [h["code"] for h in polygons] == [code]
        value, status = demo_store.figure(code, 2024, "totaal", "bevolkingsdichtheid")
        assert polygons[0].get("bevolkingsdichtheid__totaal") == (value if status == "ok" else None)
