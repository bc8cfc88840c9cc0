"""Hotspot analyses against a running `wijkmonitor serve` (issue 11).

1. Time from `wijkmonitor serve` to the first hotspot answer (which starts the analysis worker),
   with an empty kernel cache (the worker compiles esda's kernels) and again with the cache the
   first run left on disk.
2. Load: `--clients` clients each ask for a different analysis (distinct permutations, the case
   that used to stall every request), asking again after a 503 until answered, while one client
   keeps asking for a cached tile; prints the tile's p50/max, the answers to the analysis
   requests, and the RSS of the server and its workers.

    .venv/bin/python bench/analysis.py [--dataset build/demo.gpkg] [--clients 40]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.servers import free_port  # noqa: E402

HOTSPOTS = "/analysis/hotspots?indicator=bijstand_per_1000&year=2023"
TILE = "/tiles/buurt/12/2105/1351.mvt?year=2023&indicators=bijstand_per_1000"


def get(base: str, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(base + path, timeout=600) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def serve(dataset: Path, kernel_cache: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "WIJKMONITOR_ANALYSIS_KERNEL_CACHE": str(kernel_cache), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, str(ROOT / "cli.py"), "serve", str(dataset), "--port", str(port)]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ), f"http://127.0.0.1:{port}"


def first_hotspot(dataset: Path, kernel_cache: Path) -> tuple[float, float]:
    """Seconds from start to the first /health answer and to the first hotspot answer."""
    started = time.perf_counter()
    server, base = serve(dataset, kernel_cache)
    try:
        wait_for_health(base)
        health = time.perf_counter() - started
        status, body = get(base, HOTSPOTS)
        assert status == 200, body
        return health, time.perf_counter() - started
    finally:
        server.terminate()
        server.wait()


def wait_for_health(base: str) -> None:
    """Until /health answers."""
    while True:
        try:
            status, _ = get(base, "/health")
            if status == 200:
                return
        except (ConnectionError, urllib.error.URLError):
            pass
        time.sleep(0.05)


def rss_mb(pid: int) -> tuple[float, float]:
    """RSS of the server and of its children (analysis workers, multiprocessing resource tracker), in MB."""

    def rss(p: int) -> float:
        return int(Path(f"/proc/{p}/status").read_text().split("VmRSS:")[1].split()[0]) / 1024

    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return rss(pid), sum(rss(int(c)) for c in children)


def show(label: str, rss: tuple[float, float]) -> str:
    return f"{label}: server {rss[0]:.0f} MB + workers {rss[1]:.0f} MB = {sum(rss):.0f} MB"


def load(dataset: Path, kernel_cache: Path, clients: int) -> None:
    server, base = serve(dataset, kernel_cache)
    try:
        wait_for_health(base)
        get(base, TILE)
        print(show("RSS before any analysis", rss_mb(server.pid)))
        status, body = get(base, HOTSPOTS)  # starts the worker
        assert status == 200, body
        print(show("RSS after the first analysis", rss_mb(server.pid)))
        answers: Counter[int] = Counter()
        tile_ms: list[float] = []
        peak = (0.0, 0.0)

        def analyse(permutations: int) -> None:
            """Ask until answered, waiting as Retry-After says."""
            while True:
                status, _ = get(base, f"{HOTSPOTS}&permutations={permutations}")
                answers[status] += 1
                if status != 503:
                    return
                time.sleep(5)

        threads = [threading.Thread(target=analyse, args=(199 + i,)) for i in range(clients)]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            t0 = time.perf_counter()
            get(base, TILE)
            tile_ms.append((time.perf_counter() - t0) * 1000)
            peak = max(peak, rss_mb(server.pid), key=sum)
            time.sleep(0.02)
        print(f"{clients} analysis clients: answers {dict(answers)}")
        print(
            f"cached tile meanwhile: p50 {statistics.median(tile_ms):.1f} ms, max {max(tile_ms):.1f} ms ({len(tile_ms)} requests)"
        )
        print(show("RSS at the highest sample", peak))
        print(show("RSS after", rss_mb(server.pid)))
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, default=ROOT / "build" / "demo.gpkg")
    parser.add_argument("--clients", type=int, default=40)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        kernel_cache = Path(folder)
        for run in ("empty kernel cache", "kernels on disk"):
            health, hotspot = first_hotspot(args.dataset, kernel_cache)
            print(f"{run}: /health after {health:.1f} s, first hotspot after {hotspot:.1f} s")
        load(args.dataset, kernel_cache, args.clients)


if __name__ == "__main__":
    main()
