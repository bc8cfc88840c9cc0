"""Time `wijkmonitor export` of all national wijken (2024, every indicator with figures, group totaal) to PMTiles.

    .venv/bin/python bench/export.py [--zooms 0-14] [--format pmtiles|mbtiles] [--dataset build/bench/wijken_2024.gpkg]

Builds the national wijken dataset with its KWB 2024 figures into build/bench/ (bench/datasets.py; rebuilt only
when an input changes) unless --dataset names one, exports it through the same code as the command, and prints
tiles, bytes, seconds, tiles/s and peak memory, with the seconds spent per zoom. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.datasets import DATASETS  # noqa: E402
from exports.export import parse_export_request, run_export  # noqa: E402
from settings import Settings  # noqa: E402
from store import open_store  # noqa: E402
from tiles.region_tiles import RegionTiles  # noqa: E402


class ZoomClock:
    """Seconds and candidate tiles per zoom, from the export's progress calls."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.seconds: dict[int, float] = {}
        self.candidates: dict[int, int] = {}

    def __call__(self, done: int, total: int, z: int) -> None:
        now = time.perf_counter()
        self.seconds[z] = self.seconds.get(z, 0.0) + now - self.last
        self.candidates[z] = self.candidates.get(z, 0) + 1
        self.last = now


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--zooms", default="0-14", help="zoom range (default: %(default)s)")
    parser.add_argument("--format", choices=["pmtiles", "mbtiles"], default="pmtiles")
    parser.add_argument("--dataset", type=Path, help="a built national wijken dataset (default: build it into build/bench)")
    args = parser.parse_args()
    minzoom, maxzoom = (int(z) for z in args.zooms.split("-"))

    bench = DATASETS["wijken2024"]
    dataset = args.dataset or bench.build(ROOT / "build" / "bench", print)
    settings = Settings.from_env()
    started = time.perf_counter()
    store = open_store(dataset)
    tiles = RegionTiles(store, settings.tile_extent, settings.tile_buffer)
    with tempfile.TemporaryDirectory(dir=ROOT / "build") as folder:
        output = Path(folder) / f"wijken_2024.{args.format}"
        request = parse_export_request(
            store, bench.level.value, {"year": str(bench.year)}, output, None, minzoom, maxzoom, settings.max_zoom
        )
        opened = time.perf_counter() - started
        clock = ZoomClock()
        begun = time.perf_counter()
        result = run_export(store, tiles, request, clock)
        seconds = time.perf_counter() - begun
        size = output.stat().st_size

    selection = request.selection
    print(f"{bench.description}: {len(store.regions(bench.level, bench.year)):,} wijken, "
          f"{len(selection.indicators)} indicators x group {','.join(selection.groups)}")
    print(f"dataset opened in {opened:.1f} s")
    print(f"{args.format}, z{minzoom}-{maxzoom}: {result.items:,} tiles (of {sum(clock.candidates.values()):,} candidates), "
          f"{size:,} bytes, {seconds:.1f} s, {result.items / seconds:.1f} tiles/s, "
          f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    for z in sorted(clock.seconds):
        print(f"  z{z:<2} {clock.candidates[z]:>7,} candidates {clock.seconds[z]:8.1f} s")


if __name__ == "__main__":
    main()
