"""GeoPackage against PostGIS, 1 and 2 server processes, and TiPg on the same PostGIS data (issue 19).

The national wijken of 2024 with their KWB 2024 figures (bench/datasets.py, Bron: CBS) is built
into a GeoPackage and, by `build --to`, into a throwaway PostgreSQL 15 + PostGIS 3 cluster (the
tests' one: initdb in a temporary folder, 127.0.0.1). Each server runs as its own process
(`wijkmonitor serve LOCATION --workers N`) and is loaded by wrk (bench/wrk.py), one request class
at a time, with Accept-Encoding: gzip:

  cached  --connections keep-alive connections cycle over 16 wijk tiles (z11) asked before.
  cold    --connections walk tiles never asked before (z8-14 where wijken are, each with one of
          six indicators): made by a tile thread of the process that receives it.

TiPg (PyPI tipg, installed into build/tipg-venv: its FastAPI and asyncpg stay out of our venv)
serves the view wijkmonitor.wijk_2024 of the same database with the same property (inwoners
totaal, with its status) and 1 and 2 uvicorn workers; it keeps no tile cache, so its "cached"
run is the same 16 tiles asked again. Our tiles keep our own engine: coverage-simplified, shared
borders, made from memory in either store; PostGIS only holds the data.

Printed: the time to build into each store and to open it (what every worker pays at start and
after a rebuild), then req/s and p50/p99 per server and class, and ratios against the
GeoPackage with one process. Figures are printed, never asserted; compare runs on one machine.

    .venv/bin/python bench/postgis.py [--seconds 15] [--connections 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import morecantile

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.datasets import WIJKEN_2024, wijken_2024  # noqa: E402
from bench.servers import TIPG_VENV, all_started, free_port, serving, tipg_command, warm  # noqa: E402
from bench.wrk import Figures, load_for  # noqa: E402
from geodata.build import build_dataset  # noqa: E402
from geodata.detect import manifest_for_file  # noqa: E402
from geodata.regions import Level  # noqa: E402
from store import Store, open_store  # noqa: E402
from tests.store.cluster import Cluster, postgis_missing  # noqa: E402

YEAR = 2024
TIPG_VIEW = f"wijkmonitor.wijk_{YEAR}"
COLD_INDICATORS = 6  # of the published ones with a totaal, in catalog order; one more prepares the zooms
HEADERS = {"Accept-Encoding": "gzip"}
CACHED_TILES = 16
CACHED_ZOOM = 11
COLD_ZOOMS = range(8, 15)


def wijk_tiles(store: Store, zooms: range) -> list[tuple[int, int, int]]:
    """Tiles that hold wijken: the tile of each wijk's label point at each zoom, shuffled."""
    points = store.regions(Level.wijk, YEAR).to_crs("EPSG:4326").representative_point()
    grid = morecantile.tms.get("WebMercatorQuad")
    tiles = {(t.z, t.x, t.y) for p in points for z in zooms for t in [grid.tile(p.x, p.y, z)]}
    ordered = sorted(tiles)
    random.Random(19).shuffle(ordered)
    return ordered


def ours(z: int, x: int, y: int, indicator: str) -> str:
    return f"/tiles/wijk/{z}/{x}/{y}.mvt?year={YEAR}&indicator={indicator}"


def tipg(z: int, x: int, y: int, indicator: str) -> str:
    properties = f"code,name,{indicator}__totaal,{indicator}__totaal__status"
    return f"/collections/{TIPG_VIEW}/tiles/WebMercatorQuad/{z}/{x}/{y}?properties={properties}"


async def load(name: str, base: str, paths: list[str], *, cycle: bool, args: argparse.Namespace, folder: Path) -> Figures:
    return await load_for(
        name, base, paths, cycle=cycle, connections=args.connections, seconds=args.seconds, headers=HEADERS, folder=folder,
    )


def totaal_indicators(store: Store) -> list[str]:
    published = store.availability.indicators_with_data(Level.wijk, YEAR, published_only=True)
    return [indicator for indicator, groups in published.items() if "totaal" in groups][:COLD_INDICATORS + 1]


def measure(
    base: str, url: Callable[[int, int, int, str], str], tiles: list[tuple[int, int, int]], indicators: list[str],
    args: argparse.Namespace, folder: Path,
) -> dict[str, Figures]:
    cached = [url(z, x, y, indicators[0]) for z, x, y in tiles if z == CACHED_ZOOM][:CACHED_TILES]
    warm(base, cached, args.connections, HEADERS)
    # Our engine prepares a level once per zoom and process (simplified coverage on the zoom's grid):
    # paid here, on tiles and a property the cold run does not ask, so that it times tiles alone.
    warm(base, [url(*next(t for t in tiles if t[0] == z), indicators[-1]) for z in COLD_ZOOMS], args.connections, HEADERS)
    cold = [url(z, x, y, indicator) for indicator in indicators[:-1] for z, x, y in tiles]
    return {
        "cached": asyncio.run(load("cached", base, cached, cycle=True, args=args, folder=folder)),
        "cold": asyncio.run(load("cold", base, cold, cycle=False, args=args, folder=folder)),
    }


def timed(what: str, work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    seconds = time.perf_counter() - started
    print(f"{what}: {seconds:.1f} s", flush=True)
    return seconds


def report(results: dict[str, dict[str, Figures]]) -> None:
    base = results["gpkg, 1 process"]
    print(f"\n{'server':<28} {'class':<7} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'failed':>7}"
          f" {'req/s vs gpkg-1':>16} {'p99 vs gpkg-1':>14}")
    for name, classes in results.items():
        for kind, f in classes.items():
            rate, reference = f.requests / f.seconds, base[kind].requests / base[kind].seconds
            print(f"{name:<28} {kind:<7} {f.requests:>9,} {rate:>8.0f} {f.p50_ms:>8.1f} {f.p99_ms:>8.1f}"
                  f" {sum(f.failed.values()):>7} {rate / reference:>15.2f}x {f.p99_ms / base[kind].p99_ms:>13.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="seconds of load per server and class")
    parser.add_argument("--connections", type=int, default=20, help="wrk connections per class")
    parser.add_argument("--folder", type=Path, default=ROOT / "build" / "bench", help="where the GeoPackage is built")
    args = parser.parse_args()
    missing = postgis_missing()
    if missing:
        print(f"{missing}: run sh scripts/system-packages.sh postgis bench", file=sys.stderr)
        return 1
    gpkg = wijken_2024(args.folder, print)
    cluster = Cluster()
    try:
        dsn = cluster.create_database("bench")
        timed("build into PostGIS (build --to)", lambda: build_dataset(manifest_for_file(WIJKEN_2024), dsn))
        stores: dict[str, Store] = {}
        timed("open the GeoPackage (one process)", lambda: stores.setdefault("gpkg", open_store(gpkg)))
        timed("open from PostGIS (one process)", lambda: stores.setdefault("postgis", open_store(dsn)))
        tiles = wijk_tiles(stores["gpkg"], COLD_ZOOMS)
        indicators = totaal_indicators(stores["gpkg"])
        stores.clear()  # the servers load their own
        serve = [sys.executable, "cli.py", "serve"]
        results: dict[str, dict[str, Figures]] = {}
        with tempfile.TemporaryDirectory(prefix="pg-bench-") as folder:
            for name, location in (("gpkg", str(gpkg)), ("PostGIS", dsn)):
                for workers in (1, 2):
                    port = free_port()
                    command = [*serve, location, "--port", str(port), "--workers", str(workers)]
                    with serving(command, {}, port, "/health", cwd=ROOT) as server:
                        all_started(server.base, workers)
                        results[f"{name}, {workers} process{'es' if workers > 1 else ''}"] = measure(
                            server.base, ours, tiles, indicators, args, Path(folder)
                        )
                        print(f"measured {name} with {workers} process(es)", flush=True)
            if tipg_command(0, 1):
                for workers in (1, 2):
                    port = free_port()
                    command = tipg_command(port, workers) or []
                    env = {"DATABASE_URL": dsn, "TIPG_DB_SCHEMAS": json.dumps(["wijkmonitor"])}
                    with serving(command, env, port, f"/collections/{TIPG_VIEW}", cwd=ROOT) as server:
                        results[f"TiPg, {workers} process{'es' if workers > 1 else ''}"] = measure(
                            server.base, tipg, tiles, indicators, args, Path(folder)
                        )
                        print(f"measured TiPg with {workers} process(es)", flush=True)
            else:
                print(f"TiPg skipped: install it with `python3 -m venv {TIPG_VENV} && {TIPG_VENV}/bin/pip install tipg uvicorn`")
        report(results)
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
