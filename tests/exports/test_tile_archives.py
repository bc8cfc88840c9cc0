"""PMTiles and MBTiles exports hold the server's tiles byte for byte, and none where the server has none."""

from __future__ import annotations

import gzip
import json
import sqlite3
from contextlib import closing
from pathlib import Path

import mapbox_vector_tile
from pmtiles.reader import MmapSource, Reader, all_tiles
from pmtiles.tile import Compression, TileType
from starlette.testclient import TestClient

from exports.tileset import tile_addresses
from geodata.regions import Level
from geodata.selection import Selection
from store import Store
from tests.exports.conftest import GROUPS, INDICATORS, LEVEL, MAXZOOM, MINZOOM, QUERY, YEAR
from tiles.encode import gzip_bytes
from tiles.region_tiles import RegionTiles

SELECTION = Selection(Level(LEVEL), YEAR, tuple(GROUPS.split(",")), tuple(INDICATORS.split(",")))


def server_tiles(client: TestClient, addresses: list[tuple[int, int, int]]) -> dict[tuple[int, int, int], bytes]:
    """The server's tiles (uncompressed) at these addresses; a 204 (no regions) is left out."""
    tiles = {}
    for z, x, y in addresses:
        response = client.get(f"/tiles/{LEVEL}/{z}/{x}/{y}.mvt?{QUERY}")
        assert response.status_code in (200, 204), response.text
        if response.status_code == 200:
            tiles[(z, x, y)] = response.content
    return tiles


def candidates(demo_store: Store) -> list[tuple[int, int, int]]:
    """Every tile that could hold a buurt, and the ring around each zoom's range (the server must have none there)."""
    inner = tile_addresses(RegionTiles(demo_store), SELECTION, MINZOOM, MAXZOOM)
    ring = set()
    for z in range(MINZOOM, MAXZOOM + 1):
        xs = [x for zz, x, _ in inner if zz == z]
        ys = [y for zz, _, y in inner if zz == z]
        for x in range(min(xs) - 1, max(xs) + 2):
            for y in range(min(ys) - 1, max(ys) + 2):
                if 0 <= x < 2**z and 0 <= y < 2**z:
                    ring.add((z, x, y))
    return sorted(ring | set(inner))


def test_pmtiles_archive_holds_the_server_tiles(exported: dict[str, Path], client: TestClient, demo_store: Store) -> None:
    with open(exported["pmtiles"], "rb") as f:
        source = MmapSource(f)
        reader = Reader(source)
        header, metadata = reader.header(), reader.metadata()
        archive = {zxy: bytes(data) for zxy, data in all_tiles(source)}
        # the reader's own lookup finds a tile by address, too
        some = next(iter(archive))
        assert bytes(reader.get(*some)) == archive[some]
    expected = server_tiles(client, candidates(demo_store))
    assert set(archive) == set(expected)
    for zxy, body in expected.items():
        assert gzip.decompress(archive[zxy]) == body, zxy
        assert archive[zxy] == gzip_bytes(body), zxy  # compressed as the server compresses
    zooms = {z for z, _, _ in archive}
    assert zooms == set(range(MINZOOM, MAXZOOM + 1))
    assert header["addressed_tiles_count"] == len(expected)
    assert (header["min_zoom"], header["max_zoom"]) == (MINZOOM, MAXZOOM)
    assert header["tile_type"] == TileType.MVT and header["tile_compression"] == Compression.GZIP
    assert header["clustered"]
    west, south, east, north = metadata["bounds"]
    assert 4.9 < west < east < 5.3 and 51.9 < south < north < 52.2  # Utrecht
    assert header["min_lon_e7"] == round(west * 1e7) and header["max_lat_e7"] == round(north * 1e7)
    tilejson = client.get(f"/tiles/{LEVEL}.json?{QUERY}").json()
    assert [layer["id"] for layer in metadata["vector_layers"]] == ["buurt", "buurt_label"]
    assert metadata["vector_layers"][0]["fields"] == tilejson["vector_layers"][0]["fields"]
    assert metadata["attribution"] == tilejson["attribution"] and "tiles" not in metadata


def test_mbtiles_holds_the_server_tiles_in_tms_rows(exported: dict[str, Path], client: TestClient, demo_store: Store) -> None:
    with closing(sqlite3.connect(exported["mbtiles"])) as db:
        rows = db.execute("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles").fetchall()
        metadata = dict(db.execute("SELECT name, value FROM metadata").fetchall())
    archive = {(z, x, 2**z - 1 - row): data for z, x, row, data in rows}  # TMS rows count from the south
    expected = server_tiles(client, candidates(demo_store))
    assert len(rows) == len(archive) == len(expected) and set(archive) == set(expected)
    for zxy, body in expected.items():
        assert gzip.decompress(archive[zxy]) == body, zxy
    assert metadata["format"] == "pbf"
    assert (metadata["minzoom"], metadata["maxzoom"]) == (str(MINZOOM), str(MAXZOOM))
    west, south, east, north = map(float, metadata["bounds"].split(","))
    assert 4.9 < west < east < 5.3 and 51.9 < south < north < 52.2
    lon, lat, zoom = map(float, metadata["center"].split(","))
    assert west < lon < east and south < lat < north and MINZOOM <= zoom <= MAXZOOM
    layers = json.loads(metadata["json"])["vector_layers"]
    assert [layer["id"] for layer in layers] == ["buurt", "buurt_label"]
    assert "aandeel_inwoners__herkomst_buiten_europa__status" in layers[0]["fields"]


def test_a_withheld_figure_has_no_value_in_the_tiles(exported: dict[str, Path]) -> None:
    """BU03441011: its share of herkomst_buiten_europa is withheld, the count protected; the total is published.
    No tile of either archive carries a value for them."""
    with open(exported["pmtiles"], "rb") as f:
        pmtiles = [bytes(data) for _, data in all_tiles(MmapSource(f))]
    with closing(sqlite3.connect(exported["mbtiles"])) as db:
        mbtiles = [data for (data,) in db.execute("SELECT tile_data FROM tiles")]
    seen = 0
    for data in pmtiles + mbtiles:
        for feature in mapbox_vector_tile.decode(gzip.decompress(data))["buurt"]["features"]:
            buurt = feature["properties"]
            if buurt["code"] != "BU03441011":
                continue
            seen += 1
            assert "aandeel_inwoners__herkomst_buiten_europa" not in buurt
            assert buurt["aandeel_inwoners__herkomst_buiten_europa__status"] == "withheld"
            assert "inwoners__herkomst_buiten_europa" not in buurt
            assert buurt["inwoners__herkomst_buiten_europa__status"] == "protected"
            assert buurt["inwoners__totaal"] == 45
    assert seen >= 2 * (MAXZOOM - MINZOOM + 1)  # in both archives, at every zoom
