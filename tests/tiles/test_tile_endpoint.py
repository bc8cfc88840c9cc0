"""Tiles as clients decode them: GDAL's MVT driver and mapbox-vector-tile, checked against the sources."""

from __future__ import annotations

import asyncio
import gzip
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import mapbox_vector_tile
import numpy as np
import pyogrio
import pytest
import shapely
from starlette.applications import Starlette
from starlette.testclient import TestClient

from geodata.regions import Level
from store import Store
from tests.conftest import error_of, kwb_rows
from tiles.cache import TileCache
from tiles.tilemath import WEB_MERCATOR
from web.cached import CachedTiles
from web.tiles import answered_here, made_once

UTRECHT = (4.97, 52.026, 5.195, 52.142)
WELGELEGEN_Z13 = (13, 4211, 2702)  # holds BU03440111


def gdal_decode(tmp_path: Path, body: bytes, z: int, x: int, y: int, layer: str) -> object:
    """Decode with GDAL/OGR's MVT driver (an independent decoder), georeferenced by z/x/y."""
    path = tmp_path / f"{z}_{x}_{y}.mvt"
    path.write_bytes(body)
    return pyogrio.read_dataframe(path, layer=layer, X=str(x), Y=str(y), Z=str(z), CLIP="NO")


def get_tile(client: TestClient, level: str, z: int, x: int, y: int, query: str = "", **headers: str):
    return client.get(f"/tiles/{level}/{z}/{x}/{y}.mvt{query}", headers={"accept-encoding": "identity", **headers})


@pytest.mark.parametrize("year", [2023, 2024])
def test_served_counts_equal_the_source_csv(client: TestClient, demo_store: Store, tmp_path: Path, year: int) -> None:
    groups = {"totaal": "a_inw", "herkomst_nederland": "a_nl_all", "herkomst_europa": "a_eur_al",
              "herkomst_buiten_europa": "a_neu_al", "leeftijd_65_plus": "a_65_oo"}
    query = f"?year={year}&group={','.join(groups)}&indicators=inwoners"
    response = get_tile(client, "buurt", *WELGELEGEN_Z13, query)
    assert response.status_code == 200
    frame = gdal_decode(tmp_path, response.content, *WELGELEGEN_Z13, "buurt").set_index("code")
    source = kwb_rows(year)
    assert len(frame) > 5
    protected = set()
    for code, row in frame.iterrows():
        for group, column in groups.items():
            expected = source[code][column]
            if expected == ".":
                assert row[f"inwoners__{group}__status"] == "secret"
            elif row.get(f"inwoners__{group}__status") == "protected":  # it would reveal a withheld share
                protected.add(code)
            else:
                assert row[f"inwoners__{group}"] == int(expected), (code, group)
    # Protection stays in the wijken of buurten with a withheld share (too few inhabitants): there
    # a partner keeps their figures from being subtracted from the wijk's.
    shares = demo_store.figures(Level.buurt, year, "herkomst_europa", "aandeel_inwoners").statuses
    small = {code[2:8] for code in shares[shares == "withheld"].index}
    assert protected and {code[2:8] for code in protected} <= small, sorted(protected)
    assert frame.at["BU03440111", "inwoners__totaal"] == {2023: 1810, 2024: 1800}[year]


def test_every_utrecht_buurt_is_in_the_tiles_once_per_tile(client: TestClient, demo_store: Store, tmp_path: Path) -> None:
    expected = set(demo_store.regions(Level.buurt, 2023)["code"])
    seen: set[str] = set()
    for z, x, y in WEB_MERCATOR.tiles_covering(UTRECHT, 12):
        response = get_tile(client, "buurt", z, x, y, "?year=2023")
        if response.status_code == 204:
            continue
        ours = mapbox_vector_tile.decode(response.content)
        gdal = gdal_decode(tmp_path, response.content, z, x, y, "buurt")
        codes = [f["properties"]["code"] for f in ours["buurt"]["features"]]
        assert len(codes) == len(set(codes)) == len(gdal)
        assert set(codes) == set(gdal["code"])
        # GDAL places the features where the regions are
        regions = demo_store.regions(Level.buurt, 2023).set_index("code").to_crs(3857)
        for _, feature in gdal.head(5).iterrows():
            assert feature.geometry.buffer(5).intersects(regions.at[feature["code"], "geometry"])
        seen |= set(codes)
    assert seen == expected


def test_polygons_are_valid_and_wound_as_the_spec_says(client: TestClient) -> None:
    for z, x, y in WEB_MERCATOR.tiles_covering(UTRECHT, 11) + WEB_MERCATOR.tiles_covering(UTRECHT, 14)[:12]:
        response = get_tile(client, "buurt", z, x, y, "?year=2023")
        if response.status_code == 204:
            continue
        decoded = mapbox_vector_tile.decode(response.content, default_options={"y_coord_down": True})
        for feature in decoded["buurt"]["features"]:
            geometry = feature["geometry"]
            polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
            for rings in polygons:
                exterior = np.array(rings[0], dtype=float)
                x_, y_ = exterior[:, 0], exterior[:, 1]
                # surveyor's formula on raw tile coordinates (y down): exterior rings positive
                area = 0.5 * np.sum(x_[:-1] * y_[1:] - x_[1:] * y_[:-1])
                assert area > 0, (z, x, y, feature["properties"]["code"])
                assert shapely.Polygon(rings[0], rings[1:]).is_valid


def test_feature_ids_are_stable_across_tiles_and_zooms(client: TestClient) -> None:
    ids = {}
    for z in (11, 13, 14):
        for tile in WEB_MERCATOR.tiles_covering((5.10, 52.09, 5.11, 52.095), z):
            response = get_tile(client, "buurt", *tile, "?year=2023")
            for feature in mapbox_vector_tile.decode(response.content)["buurt"]["features"]:
                ids.setdefault(feature["properties"]["code"], set()).add(feature["id"])
    assert ids and all(len(v) == 1 for v in ids.values())
    assert ids["BU03440111"] == {3440111} if "BU03440111" in ids else True


def test_withheld_and_secret_values_are_explained_not_served(client: TestClient) -> None:
    # BU03440911 had 5 inhabitants in 2023; BU03441011 had 45
    query = "?year=2023&group=herkomst_buiten_europa&indicators=aandeel_inwoners,inwoners"
    found = {}
    for tile in WEB_MERCATOR.tiles_covering(UTRECHT, 11):
        response = get_tile(client, "buurt", *tile, query)
        if response.status_code == 200:
            for f in mapbox_vector_tile.decode(response.content)["buurt"]["features"]:
                found[f["properties"]["code"]] = f["properties"]
    for code in ("BU03440911", "BU03441011"):
        assert "aandeel_inwoners__herkomst_buiten_europa" not in found[code]
        assert found[code]["aandeel_inwoners__herkomst_buiten_europa__status"] == "withheld"
    assert found["BU03440111"]["aandeel_inwoners__herkomst_buiten_europa"] == 14.1


def test_label_layer_has_one_point_per_region_inside_the_tile(client: TestClient) -> None:
    labels = []
    for tile in WEB_MERCATOR.tiles_covering(UTRECHT, 10):  # labels of wijken start at z10
        decoded = mapbox_vector_tile.decode(get_tile(client, "wijk", *tile, "?year=2024").content)
        labels += decoded.get("wijk_label", {"features": []})["features"]
    utrecht = sorted(f["properties"]["code"] for f in labels if f["properties"]["code"].startswith("WK0344"))
    assert utrecht == [f"WK0344{i:02d}" for i in range(1, 11)]
    codes = [f["properties"]["code"] for f in labels]
    assert len(codes) == len(set(codes))  # one point per region, also where tiles meet
    assert all(f["geometry"]["type"] == "Point" for f in labels)
    [tile] = WEB_MERCATOR.tiles_covering(UTRECHT, 8)
    assert "wijk_label" not in mapbox_vector_tile.decode(get_tile(client, "wijk", *tile, "?year=2024").content)


def test_gzip_only_when_asked_and_with_the_header(client: TestClient) -> None:
    plain = get_tile(client, "buurt", *WELGELEGEN_Z13)
    zipped = client.get("/tiles/buurt/13/4211/2702.mvt", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert plain.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert zipped.content == plain.content  # the test client un-gzips; the bytes must be the same tile
    raw = client.get("/tiles/buurt/13/4211/2702.mvt", headers={"accept-encoding": "gzip"}).headers
    assert raw["vary"].startswith("Accept-Encoding")


def test_etag_and_304(client: TestClient) -> None:
    first = get_tile(client, "buurt", *WELGELEGEN_Z13, "?year=2023")
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert "max-age" in first.headers["cache-control"]
    again = get_tile(client, "buurt", *WELGELEGEN_Z13, "?year=2023", **{"if-none-match": etag})
    assert again.status_code == 304 and again.content == b""
    other_year = get_tile(client, "buurt", *WELGELEGEN_Z13, "?year=2024", **{"if-none-match": etag})
    assert other_year.status_code == 200 and other_year.headers["etag"] != etag


def test_cache_key_includes_the_query(client: TestClient) -> None:
    a = get_tile(client, "buurt", *WELGELEGEN_Z13, "?year=2023&group=man&indicators=inwoners")
    b = get_tile(client, "buurt", *WELGELEGEN_Z13, "?year=2023&group=vrouw&indicators=inwoners")
    props_a = mapbox_vector_tile.decode(a.content)["buurt"]["features"][0]["properties"]
    props_b = mapbox_vector_tile.decode(b.content)["buurt"]["features"][0]["properties"]
    assert "inwoners__man" in props_a and "inwoners__vrouw" in props_b
    assert a.headers["etag"] != b.headers["etag"]


def test_pairs_without_figures_are_left_out_and_tilejson_says_so(client: TestClient) -> None:
    # bijstand_per_1000 has figures for totaal only; inwoners for both groups
    query = "?year=2023&group=totaal,man&indicators=inwoners,bijstand_per_1000"
    features = mapbox_vector_tile.decode(get_tile(client, "buurt", *WELGELEGEN_Z13, query).content)["buurt"]["features"]
    keys = set().union(*(f["properties"] for f in features))
    assert {"inwoners__totaal", "inwoners__man", "bijstand_per_1000__totaal"} <= keys
    assert not any(key.startswith("bijstand_per_1000__man") for key in keys)
    document = client.get(f"/tiles/buurt.json{query}").json()
    assert "bijstand_per_1000__man" not in document["vector_layers"][0]["fields"]
    assert "3 van de 4 gevraagde combinaties" in document["description"]


def test_empty_tile_outside_the_data_is_204(client: TestClient) -> None:
    response = get_tile(client, "buurt", 10, 0, 0)
    assert response.status_code == 204 and response.content == b""


@pytest.mark.parametrize("path", ["/tiles/buurt/13/4211/2702.mvt", "/tiles/buurt.json", "/styles/inwoners.json", "/regions?q=utrecht"])
def test_cors_allows_embedding(client: TestClient, path: str) -> None:
    # The same answer for every origin (public, read-only, no cookies): nothing varies by Origin.
    for headers in ({"origin": "https://www.utrecht.nl"}, {}):
        response = client.get(path, headers=headers)
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "*"
        assert response.headers["access-control-expose-headers"] == "ETag"
        assert "origin" not in response.headers.get("vary", "").lower()


def test_cors_preflight_allows_get_with_any_header(client: TestClient) -> None:
    request = {"origin": "https://www.utrecht.nl", "access-control-request-method": "GET",
               "access-control-request-headers": "if-none-match"}
    response = client.options("/tiles/buurt/13/4211/2702.mvt", headers=request)
    assert response.status_code == 204 and response.content == b""
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == "GET, HEAD"
    assert response.headers["access-control-allow-headers"] == "*"


def without_date(response) -> tuple[int, list[tuple[str, str]], bytes]:
    return response.status_code, sorted((k, v) for k, v in response.headers.items() if k != "date"), response.content


def routes_only(client: TestClient) -> TestClient:
    """The app without its front (web.cached): what the routes answer."""
    app = client.app

    async def routes(scope, receive, send) -> None:
        await Starlette.__call__(app, scope, receive, send)

    return TestClient(routes)


async def no_route(scope, receive, send) -> None:
    await send({"type": "http.response.start", "status": 418, "headers": []})
    await send({"type": "http.response.body", "body": b"routed"})


ANSWERS = [
    ("", {"accept-encoding": "identity"}),
    ("?year=2023", {"accept-encoding": "gzip"}),
    ("?indicators=inwoners", {"accept-encoding": "gzip, br", "origin": "https://www.utrecht.nl"}),
    ("?group=man", {"accept-encoding": "gzip;q=0"}),
]


@pytest.mark.parametrize(("query", "headers"), ANSWERS)
def test_a_remembered_request_is_answered_before_routing_exactly_as_the_route_answers(
    client: TestClient, query: str, headers: dict[str, str]
) -> None:
    path = f"/tiles/buurt/13/4211/2702.mvt{query}"
    first = routes_only(client).get(path, headers=headers)  # the route answers and remembers the request line
    assert first.status_code == 200
    holder = client.app.state.holder
    served = holder.current()
    assert ("/tiles/buurt/13/4211/2702.mvt", query.lstrip("?").encode()) in served.request_keys
    made = served.cache.misses

    front = TestClient(CachedTiles(no_route, holder))
    assert without_date(front.get(path, headers=headers)) == without_date(first)
    assert without_date(client.get(path, headers=headers)) == without_date(first)
    assert served.cache.misses == made
    etag = first.headers["etag"]
    revalidated = front.get(path, headers={**headers, "if-none-match": f'"other", {etag}'})
    assert without_date(revalidated) == without_date(client.get(path, headers={**headers, "if-none-match": etag}))
    assert revalidated.status_code == 304 and revalidated.content == b""
    # what the front does not answer goes on to the routes: a HEAD, an analysis, a bad request
    assert front.head(path).status_code == 418
    assert front.get(path + ("&" if query else "?") + "analysis=gi_star").status_code == 418
    assert front.get(path + ("&" if query else "?") + "year=2019").status_code == 418
    assert client.get(path + ("&" if query else "?") + "year=2019").status_code == 400


@pytest.mark.parametrize(("query", "headers"), ANSWERS)
def test_a_tile_not_cached_is_made_before_routing_and_answered_as_the_route_answers(
    client: TestClient, query: str, headers: dict[str, str]
) -> None:
    path = f"/tiles/buurt/14/8422/5404.mvt{query}"
    routed = routes_only(client).get(path, headers=headers)
    assert routed.status_code == 200 and routed.content
    holder = client.app.state.holder
    served = holder.current()
    front = TestClient(CachedTiles(no_route, holder))
    kept, served.cache = served.cache, TileCache(served.cache.max_bytes)  # every tile gone from the cache
    try:
        served.request_keys.clear()
        assert without_date(front.get(path, headers=headers)) == without_date(routed)  # made again, by the front
        assert (served.cache.misses, len(served.cache)) == (1, 1)
        assert ("/tiles/buurt/14/8422/5404.mvt", query.lstrip("?").encode()) in served.request_keys
        # a query the route reads the same way (an unknown name) is the same tile: no second one made
        assert without_date(front.get(path + ("&" if query else "?") + "never=asked", headers=headers)) == without_date(routed)
        assert (served.cache.misses, len(served.cache)) == (1, 1)
    finally:
        served.cache = kept


def test_an_empty_tile_is_answered_before_routing_too(client: TestClient) -> None:
    first = get_tile(client, "buurt", 10, 0, 0, origin="https://www.utrecht.nl")
    front = TestClient(CachedTiles(None, client.app.state.holder))  # nothing behind it: routing would fail
    for path in ("/tiles/buurt/10/0/0.mvt", "/tiles/buurt/10/0/1.mvt"):  # remembered, and made by the front
        again = front.get(path, headers={"accept-encoding": "identity", "origin": "https://www.utrecht.nl"})
        assert again.status_code == 204 and without_date(again) == without_date(first)


def test_requests_for_a_tile_being_made_wait_for_it_instead_of_making_it_again(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a reload every open map asks for the same tiles at once: one tile is made, all get it."""
    requests = 8
    path = "/tiles/buurt/14/8422/5404.mvt?indicators=inwoners&group=man&year=2023"
    holder = client.app.state.holder
    served, workers = holder.current(), holder.tile_workers
    missed, all_missed, made = [], threading.Event(), []
    cache_get, submit = served.cache.get, workers.submit

    def counting_get(key: str, count_miss: bool = True):
        found = cache_get(key, count_miss)
        if found is None and key.startswith("buurt/14/8422/5404?"):
            missed.append(key)
            if len(missed) == requests:
                all_missed.set()
        return found

    def held_submit(*args, **kwargs) -> Future:
        """The worker's tile, handed over once every request has found the cache without it."""
        made.append(args)
        tile, handed = submit(*args, **kwargs), Future()
        threading.Thread(target=lambda: (all_missed.wait(60), handed.set_result(tile.result()))).start()
        return handed

    monkeypatch.setattr(served.cache, "get", counting_get)
    monkeypatch.setattr(workers, "submit", held_submit)
    with ThreadPoolExecutor(requests) as pool:
        answers = list(pool.map(lambda _: client.get(path, headers={"accept-encoding": "identity"}), range(requests)))
    assert len(missed) == requests, "every request reached the cache before the tile was made"
    assert len(made) == 1
    assert {(a.status_code, a.content) for a in answers} == {(200, answers[0].content)} and answers[0].content
    assert served.making == {}


def test_when_the_request_making_a_tile_is_cancelled_the_one_waiting_for_it_makes_it() -> None:
    """A client that goes away does not take the tile from the others that asked for it."""
    served = SimpleNamespace(making={})
    release, made = asyncio.Event(), []

    async def make() -> str:
        made.append(len(made))
        await release.wait()
        return f"tile {len(made)}"

    async def scenario() -> tuple[asyncio.Task, str]:
        first = asyncio.ensure_future(made_once(served, "k", make))
        await asyncio.sleep(0)
        second = asyncio.ensure_future(made_once(served, "k", make))
        await asyncio.sleep(0)
        assert made == [0] and list(served.making) == ["k"]
        first.cancel()
        await asyncio.sleep(0)
        release.set()
        return first, await second

    first, tile = asyncio.run(scenario())
    assert first.cancelled() and tile in ("tile 1", "tile 2") and served.making == {}


def test_a_tile_that_fails_fails_every_request_waiting_for_it_and_the_next_one_tries_again() -> None:
    served = SimpleNamespace(making={})
    calls = []

    async def make() -> str:
        calls.append(1)
        await asyncio.sleep(0)
        if len(calls) == 1:
            raise RuntimeError("the worker died")
        return "tile"

    async def scenario() -> list[object]:
        both = await asyncio.gather(made_once(served, "k", make), made_once(served, "k", make), return_exceptions=True)
        return [*both, await made_once(served, "k", make)]

    first, second, third = asyncio.run(scenario())
    assert isinstance(first, RuntimeError) and second is first and third == "tile" and len(calls) == 2


@pytest.mark.parametrize("where", ["loop", "thread"])
def test_a_worker_answer_reaches_the_request_whoever_reads_it(where: str) -> None:
    """answered_here: set in the event loop (the loop reads the worker's pipe) or in another thread."""

    async def scenario() -> tuple[object, object]:
        loop = asyncio.get_running_loop()
        made, failed = Future(), Future()
        if where == "loop":
            loop.call_soon(made.set_result, (b"tile", b"gz"))
            loop.call_soon(failed.set_exception, ValueError("broken"))
        else:
            threading.Thread(target=lambda: (made.set_result((b"tile", b"gz")), failed.set_exception(ValueError("broken")))).start()
        results = await asyncio.gather(answered_here(made), answered_here(failed), return_exceptions=True)
        return results[0], results[1]

    tile, error = asyncio.run(scenario())
    assert tile == (b"tile", b"gz") and isinstance(error, ValueError)


@pytest.mark.parametrize(
    ("url", "status", "parameter"),
    [
        ("/tiles/provincie/10/526/337.mvt", 404, "level"),
        ("/tiles/buurt/17/0/0.mvt", 400, "z"),
        ("/tiles/buurt/10/1024/0.mvt", 400, "x"),
        ("/tiles/buurt/10/0/1024.mvt", 400, "y"),
        ("/tiles/buurt/10/526/337.mvt?year=2019", 400, "year"),
        ("/tiles/buurt/10/526/337.mvt?year=twintig", 400, "year"),
        ("/tiles/buurt/10/526/337.mvt?group=marsbewoners", 400, "group"),
        ("/tiles/buurt/10/526/337.mvt?indicators=werkloosheid", 400, "indicators"),
        ("/tiles/buurt/10/526/337.mvt?year=2024&indicators=woz_waarde&group=herkomst_europa", 400, "indicators"),
        ("/tiles/buurt.json?group=marsbewoners", 400, "group"),
        # path parameters that are not tile numbers are named too, not an anonymous 404
        ("/tiles/buurt/a/b/c.mvt", 400, "z"),
        ("/tiles/buurt/-1/0/0.mvt", 400, "z"),
        ("/tiles/buurt/3/-1/0.mvt", 400, "x"),
        ("/tiles/buurt/3/0/1e3.pbf", 400, "y"),
        ("/tiles/buurt/3/0/%C2%B2.mvt", 400, "y"),
        ("/tiles/buurt/" + "9" * 5000 + "/0/0.mvt", 400, "z"),  # longer than int() reads
    ],
)
def test_bad_requests_get_json_4xx(client: TestClient, url: str, status: int, parameter: str) -> None:
    assert error_of(client, url) == (status, parameter)


def test_unknown_path_is_json_404(client: TestClient) -> None:
    response = client.get("/tiles/buurt/13/4211.mvt")
    assert response.status_code == 404 and response.json()["error"] == "HTTPError"


def test_tilejson(client: TestClient) -> None:
    doc = client.get("/tiles/buurt.json?year=2023&group=herkomst_europa&indicators=aandeel_inwoners").json()
    assert doc["tilejson"] == "3.0.0"
    assert doc["tiles"] == ["http://testserver/tiles/buurt/{z}/{x}/{y}.mvt?year=2023&group=herkomst_europa&indicators=aandeel_inwoners"]
    assert "Bron: CBS" in doc["attribution"]
    west, south, east, north = doc["bounds"]
    assert 4.9 < west < 5.0 and 52.0 < south < 52.05 and 5.1 < east < 5.25 and 52.1 < north < 52.2
    [polygons, labels] = doc["vector_layers"]
    assert polygons["id"] == "buurt" and labels["id"] == "buurt_label"
    assert "aandeel_inwoners__herkomst_europa" in polygons["fields"]
    assert "%" in polygons["fields"]["aandeel_inwoners__herkomst_europa"]
    # the template's query gives the same tile as the explicit request
    url = doc["tiles"][0].replace("http://testserver", "").format(z=13, x=4211, y=2702)
    assert client.get(url).content == get_tile(client, "buurt", *WELGELEGEN_Z13, "?year=2023&group=herkomst_europa&indicators=aandeel_inwoners").content


def test_catalog_lists_levels_years_indicators_groups(client: TestClient) -> None:
    doc = client.get("/catalog").json()
    assert doc["levels"]["buurt"]["years"] == [2023, 2024]
    assert doc["levels"]["gemeente"]["years"] == [2015, 2022, 2023, 2024]
    assert "herkomst_buiten_europa" in doc["levels"]["buurt"]["indicators"]["2024"]["aandeel_inwoners"]
    assert "migratie_niet_westers" in doc["levels"]["gemeente"]["indicators"]["2022"]["aandeel_inwoners"]
    assert doc["indicators"]["bijstand_per_1000"]["higher_is"] == "worse"
    assert doc["groups"]["herkomst_europa"]["title"]["nl"].startswith("Herkomst Europa")
    assert client.get("/health").json()["status"] == "ok"


def test_tile_bounds_match_gdal_georeferencing(client: TestClient, tmp_path: Path) -> None:
    frame = gdal_decode(tmp_path, get_tile(client, "buurt", *WELGELEGEN_Z13, "?year=2023").content, *WELGELEGEN_Z13, "buurt")
    assert frame.crs is not None and "3857" in frame.crs.to_string()
    minx, miny, maxx, maxy = WEB_MERCATOR.tile_bounds(*WELGELEGEN_Z13)
    pad = (maxx - minx) * 64 / 4096 + 1
    x0, y0, x1, y1 = frame.total_bounds
    assert minx - pad <= x0 and x1 <= maxx + pad and miny - pad <= y0 and y1 <= maxy + pad


def test_gzip_wire_bytes_are_one_gzip_layer_over_the_tile(client: TestClient) -> None:
    plain = get_tile(client, "buurt", *WELGELEGEN_Z13).content
    with client.stream("GET", "/tiles/buurt/13/4211/2702.mvt", headers={"accept-encoding": "gzip"}) as response:
        wire = b"".join(response.iter_raw())
    assert wire[:2] == b"\x1f\x8b" and len(wire) < len(plain)
    assert gzip.decompress(wire) == plain  # gzip once, not twice
