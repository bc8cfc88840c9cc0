"""Tile timings and sizes on national datasets WITH figures, so the attribute path of a tile runs.

Datasets (built by bench/datasets.py, cached in --folder):
  wijken2024  the 3,456 CBS wijken of 2024 with their own KWB 2024 figures (Bron: CBS)
  buurten     TIMING FIXTURE: the 2014 national buurt polygons (about 10,300 after cleaning), each
              carrying the real KWB 2023 row of one of Utrecht's 111 buurten; for timing only

Per dataset: load time and RSS, then per zoom the one-off preparation of the level (coverage
simplification and the encoding on the world grid, paid by the first tile of a zoom), and for
three selections (one indicator; group totaal, the default; every indicator of every group with
figures) on tiles where regions are:
  encode    RegionTiles.tile alone (geometry and attributes into MVT)
  cold      the first HTTP request of that tile and selection, through the app (TestClient), with
            Accept-Encoding: gzip as browsers send it (so the server's gzip is included)
  hit       the same request again, answered from the app's tile cache
  sizes     raw MVT, and gzip as sent; keys in the region layer and attributes per feature
Then the cost of a cache hit split in parts. Figures are printed, never asserted. Targets: cold
p50 < 20 ms, p99 < 100 ms, largest tile < 500 KB (issue 3); cache hit < 2 ms in-process.

    .venv/bin/python bench/tiles.py [--dataset wijken2024|buurten|both] [--zooms 6-14] [--tiles-per-zoom 60]
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import numpy as np
import shapely
from mapbox_vector_tile.Mapbox import vector_tile_pb2
from pyproj import Transformer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from starlette.applications import Starlette  # noqa: E402
from starlette.datastructures import QueryParams  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from bench.datasets import DATASETS, FIXTURE_WARNING, BenchDataset  # noqa: E402
from geodata.selection import Selection, parse_selection  # noqa: E402
from settings import Settings  # noqa: E402
from store import Store, open_store  # noqa: E402
from tiles.region_tiles import RegionTiles  # noqa: E402
from tiles.tilemath import WEB_MERCATOR  # noqa: E402
from web.app import create_app  # noqa: E402

GZIP = {"accept-encoding": "gzip"}
HIT_ROUNDS = 3  # each sampled tile is asked again this often after its cold request
TO_LONLAT = Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)


@dataclass
class Measured:
    """One selection on the sampled tiles of one zoom (times in ms, sizes in bytes)."""

    urls: list[str] = field(default_factory=list)
    encode: list[float] = field(default_factory=list)
    cold: list[float] = field(default_factory=list)
    hit: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    gzip_sizes: list[int] = field(default_factory=list)
    keys: list[int] = field(default_factory=list)
    per_feature: list[float] = field(default_factory=list)


def ms(seconds: float) -> float:
    return seconds * 1000


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def rss_mb() -> tuple[float, float]:
    """(current, peak) resident memory of this process in MB."""
    with open("/proc/self/status") as f:
        current = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    return current / 1024, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sample_tiles(labels_3857: np.ndarray, z: int, n: int, rng: random.Random) -> list[tuple[int, int, int]]:
    """Tiles where regions are: the tiles of the regions' label points, n at random."""
    lon, lat = TO_LONLAT.transform(*shapely.get_coordinates(labels_3857).T)
    tiles = sorted({(z, t.x, t.y) for t in (WEB_MERCATOR.tms.tile(x, y, z) for x, y in zip(lon, lat))})
    return rng.sample(tiles, min(n, len(tiles)))


def attribute_counts(body: bytes, layer_name: str) -> tuple[int, float]:
    """(keys of the region layer, mean attributes per feature) of an encoded tile."""
    tile = vector_tile_pb2.tile()
    tile.ParseFromString(body)
    layer = next((la for la in tile.layers if la.name == layer_name), None)
    if layer is None or not layer.features:
        return 0, 0.0
    return len(layer.keys), sum(len(f.tags) for f in layer.features) / 2 / len(layer.features)


def selections(store: Store, dataset: BenchDataset) -> dict[str, Selection]:
    """One indicator; the default (group totaal); every indicator of every group with figures."""
    level, year = dataset.level.value, {"year": str(dataset.year)}
    available = store.availability.indicators_with_data(dataset.level, dataset.year)
    groups = [g for g in store.catalog.groups if any(g in per for per in available.values())]
    return {
        "one": parse_selection(store.availability, store.catalog, level, {**year, "indicators": "inwoners"}),
        "totaal": parse_selection(store.availability, store.catalog, level, year),
        "all": parse_selection(store.availability, store.catalog, level, {**year, "group": ",".join(groups)}),
    }


def timed_get(client: TestClient, url: str) -> tuple[float, bytes]:
    """(ms, body as sent) of one request; the body is read raw, so the client does not gunzip it."""
    t0 = time.perf_counter()
    with client.stream("GET", url, headers=GZIP) as response:
        body = b"".join(response.iter_raw())
    elapsed = ms(time.perf_counter() - t0)
    if response.status_code not in (200, 204):
        raise RuntimeError(f"{url}: HTTP {response.status_code} {body[:200]!r}")
    return elapsed, body


def run(dataset: BenchDataset, path: Path, zooms: range, per_zoom: int) -> None:
    if dataset.name == "buurten":
        print(f"!!! {FIXTURE_WARNING}")
    # Timings on a 2-core machine mean little while something else runs: say what else ran.
    print("load average (1, 5, 15 min) at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    t0 = time.perf_counter()
    store = open_store(path)
    load = time.perf_counter() - t0
    regions = store.regions(dataset.level, dataset.year)
    built = next(e for e in store.metadata["report"]["levels"] if e["level"] == dataset.level.value)
    statuses = ", ".join(f"{status} {n}" for status, n in sorted(built["values"].items()))
    print(f"load: {load:.2f} s ({len(regions)} {dataset.level.value}en with geometry; figures {statuses}), "
          "RSS {:.0f} MB (peak {:.0f})".format(*rss_mb()))
    app = create_app(Settings(dataset=path, reload_check_seconds=-1), store)
    # Inside `with`, the client keeps one event loop thread for all requests instead of starting one per request.
    with TestClient(app) as client:
        measure(app, client, store, dataset, zooms, per_zoom, load)


def measure(
    app: Starlette, client: TestClient, store: Store, dataset: BenchDataset, zooms: range, per_zoom: int, load: float
) -> None:
    """The per-zoom table, the cache hit profile and the summary of one dataset."""
    tiles = app.state.holder.current().tiles
    t0 = time.perf_counter()
    geometry = tiles.geometry(dataset.level, dataset.year)
    print(f"level geometry (once per level and year: EPSG:3857, index, label points): {time.perf_counter() - t0:.2f} s")
    chosen = selections(store, dataset)
    for name, selection in chosen.items():
        pairs = len(selection.indicators) * len(selection.groups)
        print(f"  selection {name:<6} {len(selection.indicators):>2} indicators x {len(selection.groups):>2} groups = "
              f"{pairs} figure attributes (+ status): ?{selection.query_string()}")
    rng = random.Random(42)
    measured: dict[str, list[tuple[int, Measured]]] = {name: [] for name in chosen}
    figure_columns: dict[str, float] = {}
    print("encode: RegionTiles.tile alone, p50 | cold: first request through the app (gzip) | hit: the same from its "
          "cache | KB: raw MVT | gz: as sent | keys: of the region layer, max | attr/f: attributes per feature, p50")
    print(f"{'z':>3} {'prep s':>6} {'sel':<6} {'n':>3} {'encode':>7} {'cold p50':>8} {'p99':>7} {'hit p50':>7} {'p99':>6} "
          f"{'KB p50':>7} {'max':>6} {'gz max':>6} {'keys':>5} {'attr/f':>6}")
    for z in zooms:
        t0 = time.perf_counter()
        geometry.grid(z)  # simplify the coverage and encode it on the world grid, once per zoom
        prep = time.perf_counter() - t0
        sample = sample_tiles(geometry.labels, z, per_zoom, rng)
        for row, (name, selection) in enumerate(chosen.items()):
            if name not in figure_columns:
                # The first tile of a selection makes its figure columns, once per process: not a cold tile's cost.
                t0 = time.perf_counter()
                tiles.tile(selection, *sample[0])
                t1 = time.perf_counter()
                tiles.tile(selection, *sample[0])
                figure_columns[name] = ms((t1 - t0) - (time.perf_counter() - t1))
            m = measure_tiles(client, tiles, selection, sample)
            measured[name].append((z, m))
            print(
                f"{z:>3} {(f'{prep:.2f}' if row == 0 else ''):>6} {name:<6} {len(sample):>3} {pct(m.encode, 50):>5.1f}ms "
                f"{pct(m.cold, 50):>6.1f}ms {pct(m.cold, 99):>5.1f}ms {pct(m.hit, 50):>5.2f}ms {pct(m.hit, 99):>4.1f}ms "
                f"{pct(m.sizes, 50) / 1024:>7.1f} {max(m.sizes, default=0) / 1024:>6.0f} "
                f"{max(m.gzip_sizes, default=0) / 1024:>6.0f} {max(m.keys, default=0):>5} {pct(m.per_feature, 50):>6.1f}"
            )
    print("figure columns (first tile of a selection, once per process): "
          + ", ".join(f"{name} {v:.0f} ms" for name, v in figure_columns.items()))
    print("RSS after the run: {:.0f} MB (peak {:.0f})".format(*rss_mb()))
    urls = {name: [url for _, m in per_zoom_ for url in m.urls] for name, per_zoom_ in measured.items()}
    in_app = hit_profile(app, client, store, chosen, urls)
    hits = [v for per_zoom_ in measured.values() for _, m in per_zoom_ for v in m.hit]
    worst = ", ".join(
        "{} {:.1f} ms (z{})".format(name, *max((pct(m.cold, 50), z) for z, m in per_zoom_))
        for name, per_zoom_ in measured.items()
    )
    print(f"SUMMARY {dataset.name}: cached p50 {pct(hits, 50):.2f} ms through TestClient, {pct(in_app, 50) / 1000:.2f} ms "
          f"in the app itself (target < 2 ms in-process), cold p50 worst zoom: {worst}; "
          f"load {load:.1f} s, RSS peak {rss_mb()[1]:.0f} MB; load average {os.getloadavg()[0]:.2f}")


def measure_tiles(
    client: TestClient, tiles: RegionTiles, selection: Selection, sample: list[tuple[int, int, int]]
) -> Measured:
    """Encode each tile alone, then request it cold through the app, then HIT_ROUNDS times from its cache."""
    m = Measured()
    level = selection.level.value
    for z, x, y in sample:
        t0 = time.perf_counter()
        body = tiles.tile(selection, z, x, y)
        m.encode.append(ms(time.perf_counter() - t0))
        if body:
            m.sizes.append(len(body))
            keys, per_feature = attribute_counts(body, level)
            m.keys.append(keys)
            m.per_feature.append(per_feature)
        url = f"/tiles/{level}/{z}/{x}/{y}.mvt?{selection.query_string()}"
        elapsed, sent = timed_get(client, url)
        m.cold.append(elapsed)
        if sent:
            m.gzip_sizes.append(len(sent))
        m.urls.append(url)
    for _ in range(HIT_ROUNDS):
        m.hit += [timed_get(client, url)[0] for url in m.urls]
    return m


def hit_profile(
    app: Starlette, client: TestClient, store: Store, chosen: dict[str, Selection], urls_of: dict[str, list[str]]
) -> list[float]:
    """A cache hit split in parts (medians over the sampled tiles, µs): selection parsing, cache lookup,
    the rest of the app (routing, middleware, response; a hit never leaves the event loop), and the test
    client's own transport. Returns the whole-app times."""
    cache = app.state.holder.current().cache
    print("cache hit in parts, p50 in µs: parse_selection + cache key and lookup + rest of the app "
          "= whole app (ASGI called directly, as a server would); + TestClient transport = TestClient request")
    in_app = []
    for name, selection in chosen.items():
        urls = urls_of[name]
        parse, lookup, missing = [], [], 0
        for url in urls:
            route, query = url.split("?", 1)
            z, x, y = route.rsplit("/", 3)[1:]
            params = QueryParams(query)
            t0 = time.perf_counter()
            parsed = parse_selection(store.availability, store.catalog, selection.level.value, params)
            t1 = time.perf_counter()
            found = cache.get(f"{parsed.level.value}/{z}/{x}/{y.split('.')[0]}?{parsed.query_string()}")
            t2 = time.perf_counter()
            parse.append(1e6 * (t1 - t0))
            lookup.append(1e6 * (t2 - t1))
            missing += found is None
        whole = anyio.run(asgi_times, app, urls)
        in_app += whole
        through_client = [1e3 * timed_get(client, url)[0] for url in urls]
        rest = pct(whole, 50) - pct(parse, 50) - pct(lookup, 50)
        print(
            f"  {name:<6} {pct(parse, 50):>5.0f} + {pct(lookup, 50):>4.0f} + {rest:>4.0f} = "
            f"{pct(whole, 50):>5.0f}; + {pct(through_client, 50) - pct(whole, 50):>5.0f} = {pct(through_client, 50):>5.0f}"
            + (f"  ({missing} of {len(urls)} not in the cache any more: those were misses)" if missing else "")
        )
    return in_app


async def asgi_times(app: Starlette, urls: list[str]) -> list[float]:
    """µs of each request called on the ASGI app directly, as a server would, without an HTTP client."""
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    times = []
    for url in urls:
        path, query = url.split("?", 1)
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
            "path": path, "raw_path": path.encode(), "root_path": "", "query_string": query.encode(),
            "headers": [(b"host", b"bench"), (b"accept-encoding", b"gzip")],
            "client": ("127.0.0.1", 50000), "server": ("bench", 80), "state": {},
        }
        sent.clear()
        t0 = time.perf_counter()
        await app(scope, receive, send)
        times.append(1e6 * (time.perf_counter() - t0))
        if sent[0]["status"] not in (200, 204):
            raise RuntimeError(f"{url}: HTTP {sent[0]['status']}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=[*DATASETS, "both"], default="both")
    parser.add_argument("--zooms", default="6-14", help="first-last zoom (default 6-14)")
    parser.add_argument("--tiles-per-zoom", type=int, default=60)
    parser.add_argument("--folder", type=Path, default=ROOT / "build" / "bench",
                        help="where the datasets are built and kept (rebuilt when an input is newer)")
    args = parser.parse_args()
    lo, hi = (int(v) for v in args.zooms.split("-"))
    names = list(DATASETS) if args.dataset == "both" else [args.dataset]
    paths = {}
    for name in names:
        t0 = time.perf_counter()
        paths[name] = DATASETS[name].build(args.folder, lambda line: print(f"  {line}", flush=True))
        took = time.perf_counter() - t0
        print(f"dataset {name}: {paths[name]} ({took:.1f} s; rebuilt only when an input changed)", flush=True)
    if len(names) > 1:
        # One process per dataset: load time and RSS are each dataset's own, not the sum.
        for name in names:
            print(f"\n=== {name}: {DATASETS[name].description}", flush=True)
            subprocess.run([sys.executable, __file__, "--dataset", name, "--zooms", args.zooms,
                            "--tiles-per-zoom", str(args.tiles_per_zoom), "--folder", str(args.folder)], check=True)
        return
    run(DATASETS[names[0]], paths[names[0]], range(lo, hi + 1), args.tiles_per_zoom)


if __name__ == "__main__":
    main()
