"""Tile timings and sizes on the national buurt layer (CBS 2014, 11,641 buurten minus Zaanstad).

Prints, per zoom 6..14: the one-off preparation of the level (coverage simplification and
the encoding on the world grid, paid by the first tile of a zoom), cold tile times
(p50/p99, first request of each tile, no cache), warm times (through the HTTP app and its
cache), tile sizes, and the process RSS. Targets (issue 3): cold p50 < 20 ms, p99 < 100 ms,
largest tile < 500 KB.

    .venv/bin/python bench/tiles.py [--boundaries FILE] [--tiles-per-zoom N]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from starlette.testclient import TestClient  # noqa: E402

from geodata.build import build_dataset  # noqa: E402
from geodata.detect import manifest_for_file  # noqa: E402
from geodata.regions import Level  # noqa: E402
from geodata.selection import parse_selection  # noqa: E402
from settings import Settings  # noqa: E402
from store import open_store  # noqa: E402
from tiles.region_tiles import RegionTiles  # noqa: E402
from tiles.tilemath import TMS  # noqa: E402
from web.app import create_app  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "data" / "boundaries" / "nl_buurten_2014_wgs84_q1e3.gpkg"


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sample_tiles(label_points_lonlat: np.ndarray, z: int, n: int, rng: random.Random) -> list[tuple[int, int, int]]:
    """Tiles where buurten are: the tiles of randomly chosen buurt label points."""
    tiles = {(z, t.x, t.y) for t in (TMS.tile(x, y, z) for x, y in label_points_lonlat)}
    tiles = sorted(tiles)
    return rng.sample(tiles, min(n, len(tiles)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--boundaries", type=Path, default=DEFAULT)
    parser.add_argument("--year", type=int, default=2014)
    parser.add_argument("--tiles-per-zoom", type=int, default=60)
    parser.add_argument("--zooms", default="6-14")
    args = parser.parse_args()
    lo, hi = (int(v) for v in args.zooms.split("-"))
    rng = random.Random(42)

    with tempfile.TemporaryDirectory() as tmp:
        output = Path(tmp) / "nl.gpkg"
        t0 = time.perf_counter()
        report = build_dataset(manifest_for_file(args.boundaries, year=args.year), output)
        print(f"build: {time.perf_counter() - t0:.1f} s, {report.at('buurt', args.year).regions} buurten with geometry")
        t0 = time.perf_counter()
        dataset = open_store(output)
        print(f"load: {time.perf_counter() - t0:.2f} s, RSS {rss_mb():.0f} MB")

        tiles = RegionTiles(dataset)
        query = parse_selection(dataset.availability, dataset.catalog, "buurt", {"year": str(args.year)})
        geometry, _ = tiles.geometry(Level.buurt, args.year)
        labels_lonlat = shapely.get_coordinates(
            shapely.transform(geometry.labels, lambda c: np.column_stack(TMS._to_geographic.transform(c[:, 0], c[:, 1])))
        )
        app = TestClient(create_app(Settings(dataset=output, reload_check_seconds=-1), dataset))

        print(f"{'z':>3} {'prep s':>7} {'tiles':>5} {'cold p50':>9} {'cold p99':>9} {'warm p50':>9} {'warm p99':>9} {'size p50':>9} {'max KB':>7}")
        worst = {"p50": 0.0, "p99": 0.0, "size": 0}
        all_cold: list[float] = []
        for z in range(lo, hi + 1):
            t0 = time.perf_counter()
            geometry.grid(z)  # simplify the coverage and encode it on the world grid, once per zoom
            prep = time.perf_counter() - t0
            sample = sample_tiles(labels_lonlat, z, args.tiles_per_zoom, rng)
            cold, sizes = [], []
            for tile in sample:
                t0 = time.perf_counter()
                body = tiles.tile(query, *tile)
                cold.append((time.perf_counter() - t0) * 1000)
                sizes.append(len(body))
            warm = []
            path = "/tiles/buurt/{}/{}/{}.mvt?" + query.query_string()
            for tile in sample:
                app.get(path.format(*tile))  # fill the cache
            for tile in sample:
                t0 = time.perf_counter()
                app.get(path.format(*tile), headers={"accept-encoding": "identity"})
                warm.append((time.perf_counter() - t0) * 1000)
            print(
                f"{z:>3} {prep:>7.2f} {len(sample):>5} {percentile(cold, 50):>7.1f}ms {percentile(cold, 99):>7.1f}ms "
                f"{percentile(warm, 50):>7.1f}ms {percentile(warm, 99):>7.1f}ms {statistics.median(sizes) / 1024:>7.1f}KB {max(sizes) / 1024:>7.1f}"
            )
            all_cold += cold
            worst["p50"] = max(worst["p50"], percentile(cold, 50))
            worst["p99"] = max(worst["p99"], percentile(cold, 99))
            worst["size"] = max(worst["size"], max(sizes))
        print(f"RSS peak: {rss_mb():.0f} MB")
        print(f"all {len(all_cold)} sampled tiles z{lo}-{hi}: cold p50 {percentile(all_cold, 50):.1f} ms, p99 {percentile(all_cold, 99):.1f} ms")
        print(
            f"worst zoom: cold p50 {worst['p50']:.1f} ms (target < 20), cold p99 {worst['p99']:.1f} ms (target < 100), "
            f"largest tile {worst['size'] / 1024:.0f} KB (target < 500)"
        )


if __name__ == "__main__":
    main()
