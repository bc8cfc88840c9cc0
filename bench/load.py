"""Loopback load and fault bench (issue 11): tiles and hotspot analyses at once, then during rebuilds.

Builds the demo dataset into a temporary folder, serves it with `wijkmonitor serve` on a free
127.0.0.1 port and drives it with an async HTTP client in two timed runs:

  run 1  --concurrency tile clients (50) loop over *cached* tiles (16 buurt tiles at z14, warmed
         first) and, with probability --cold-share, *cold* tiles: a z10-16 tile in Utrecht's
         bounds with a level, year, indicators and group from /catalog never asked before.
         Meanwhile --hotspot-clients (4) loop over /analysis/hotspots with parameters never asked
         before (permutations, method, weights, k), so each is a fresh computation.
  run 2  the same load while the demo is rebuilt onto the served file --rebuilds times, started at
         even intervals in a separate process (the build renames a complete file over it; the
         server reloads it and starts with empty caches). The load goes on past --seconds until
         the last rebuild has been served for 2 s. A note per rebuild gives its build time and
         how soon /health showed the new dataset version.

Per run and request class: requests, req/s (over the seconds of load), latency p50/p99/max in
ms of the requests answered as expected (tiles 200 or 204, hotspots 200), failed (5xx,
connection errors, timeouts, any other status; reasons listed below the table), shed (503/429
with Retry-After on hotspots: work the server declined, not a failure; the client waits as told,
at most 5 s), the server's RSS before and after (its child processes apart, should analyses run in
a pool), the CPU seconds the server process and this client used, and a verdict against the
targets: cached-tile p99 < 50 ms, no failed requests. Latencies are measured by the client, which
shares the cores with the server (its CPU seconds show how much): compare runs on one machine.

Every loop stops at the run's end or once the run has sent --max-requests; a request gives up after
--timeout seconds. Exit status 0 whatever the figures; 1 when the demo build or the server fails,
130 on Ctrl-C (the server and any build are stopped in every case).

    .venv/bin/python bench/load.py [--seconds 30] [--concurrency 50] [--hotspot-clients 4]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import DEVNULL

import httpx2 as httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.request import METHODS, WEIGHTS  # noqa: E402
from tiles.tilemath import tiles_covering  # noqa: E402

HOST = "127.0.0.1"  # loopback only
MANIFEST = ROOT / "demo" / "wijkmonitor.toml"
HOTSPOTS = "/analysis/hotspots?indicator=bijstand_per_1000&year=2023"
CACHED_TILES = 16
TARGET_CACHED_P99_MS = 50.0
BUILD_TIMEOUT = 300.0  # seconds
RELOAD_WAIT = 15.0  # seconds a rebuilt file may take to be served
RELOAD_TAIL = 2.0  # seconds of load after the last rebuild was served
MAX_BACKOFF = 5.0  # seconds a shed hotspot client waits at most (Retry-After)
Bounds = tuple[float, float, float, float]  # west, south, east, north in degrees


@dataclass
class Tally:
    """What became of the requests of one class in one run."""

    latencies_ms: list[float] = field(default_factory=list)
    failed: Counter[str] = field(default_factory=Counter)
    shed: int = 0

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + sum(self.failed.values()) + self.shed

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else float("nan")


@dataclass
class Run:
    """One timed run: its length, request budget and a tally per request class."""

    seconds: float
    max_requests: int
    started: float = field(default_factory=time.monotonic)
    ended: float = 0.0
    rebuilding: bool = False  # while True the load goes on past `seconds` (run 2: until the rebuilds are served)
    sent: int = 0
    tallies: dict[str, Tally] = field(default_factory=lambda: {c: Tally() for c in ("cached", "cold", "hotspot")})

    def go_on(self) -> bool:
        """Asked by every client loop before each request: time and budget left (takes one request)."""
        now = time.monotonic()
        if (now >= self.started + self.seconds and not self.rebuilding) or self.sent >= self.max_requests:
            self.ended = self.ended or now
            return False
        self.sent += 1
        return True


def build_command(output: Path) -> list[str]:
    return [sys.executable, str(ROOT / "cli.py"), "build", str(MANIFEST), "-o", str(output)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Usage:
    """The server's memory (its descendants apart) and the CPU seconds of server and client, at one moment."""

    rss_mb: float
    children_rss_mb: float
    server_cpu: float
    client_cpu: float

    @classmethod
    def now(cls, pid: int) -> Usage:
        try:  # utime and stime: fields 14 and 15 of /proc/PID/stat, counted after the ")" ending its name
            ticks = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:13]
        except OSError:
            ticks = ["0", "0"]
        cpu = sum(int(t) for t in ticks) / os.sysconf("SC_CLK_TCK")
        return cls(*rss_mb(pid), cpu, time.process_time())


def rss_mb(pid: int) -> tuple[float, float]:
    """VmRSS of a process and the sum over its descendants, in MB (0 for a process that ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
        children = [int(c) for f in Path(f"/proc/{pid}/task").glob("*/children") for c in f.read_text().split()]
    except OSError:
        return 0.0, 0.0
    own = next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0.0)
    return own, sum(sum(rss_mb(child)) for child in children)


def never_asked(urls: Iterator[str]) -> Iterator[str]:
    """Each URL once."""
    seen: set[str] = set()
    for url in urls:
        if url not in seen:
            seen.add(url)
            yield url


def cold_tiles(catalog: dict, bounds: Bounds, rng: random.Random) -> Iterator[str]:
    """Tile URLs: z10-16 in bounds, any level and year, 1-3 indicators and a group the first one has."""
    covering = {z: tiles_covering(bounds, z) for z in range(10, 17)}
    figures = [(level, year, by_indicator) for level, info in catalog["levels"].items()
               for year, by_indicator in info["indicators"].items() if by_indicator]
    while True:
        level, year, by_indicator = rng.choice(figures)
        indicators = rng.sample(sorted(by_indicator), rng.randint(1, min(3, len(by_indicator))))
        group = rng.choice(by_indicator[indicators[0]])
        z, x, y = rng.choice(covering[rng.randint(10, 16)])
        yield f"/tiles/{level}/{z}/{x}/{y}.mvt?year={year}&group={group}&indicators={','.join(indicators)}"


def hotspot_analyses(rng: random.Random) -> Iterator[str]:
    """Hotspot URLs: either method, either weights (k 3-12 for knn), 99-9999 permutations."""
    while True:
        weights = rng.choice(WEIGHTS)
        url = f"{HOTSPOTS}&method={rng.choice(METHODS)}&weights={weights}&permutations={rng.randint(99, 9999)}"
        yield url + (f"&k={rng.randint(3, 12)}" if weights == "knn" else "")


async def timed_get(client: httpx.AsyncClient, url: str, tally: Tally, ok: tuple[int, ...], sheddable: bool) -> float:
    """GET url and file the outcome in tally; returns the Retry-After seconds of a shed answer, else 0."""
    started = time.perf_counter()
    try:
        response = await client.get(url)
    except httpx.HTTPError as exc:
        tally.failed[type(exc).__name__] += 1
        return 0.0
    if response.status_code in ok:
        tally.latencies_ms.append((time.perf_counter() - started) * 1000)
    elif sheddable and response.status_code in (429, 503) and "retry-after" in response.headers:
        tally.shed += 1
        retry_after = response.headers["retry-after"]
        return float(retry_after) if retry_after.isdigit() else 1.0  # an HTTP date: back off a second
    else:
        tally.failed[str(response.status_code)] += 1
    return 0.0


async def tile_client(
    client: httpx.AsyncClient, run: Run, cached: list[str], cold: Iterator[str], cold_share: float, rng: random.Random
) -> None:
    while run.go_on():
        if rng.random() < cold_share:
            await timed_get(client, next(cold), run.tallies["cold"], (200, 204), sheddable=False)
        else:
            await timed_get(client, rng.choice(cached), run.tallies["cached"], (200, 204), sheddable=False)


async def hotspot_client(client: httpx.AsyncClient, run: Run, fresh: Iterator[str]) -> None:
    while run.go_on():
        retry_after = await timed_get(client, next(fresh), run.tallies["hotspot"], (200,), sheddable=True)
        await asyncio.sleep(min(retry_after, MAX_BACKOFF))


async def health(client: httpx.AsyncClient) -> dict | None:
    try:
        response = await client.get("/health")
    except httpx.HTTPError:
        return None
    return response.json() if response.status_code == 200 else None


async def reload_seen(client: httpx.AsyncClient, before: str | None) -> float | None:
    """Seconds until /health names a dataset version other than before; None after RELOAD_WAIT."""
    began = time.monotonic()
    while time.monotonic() - began < RELOAD_WAIT:
        state = await health(client)
        if state is not None and state["version"] != before:
            return time.monotonic() - began
        await asyncio.sleep(0.2)
    return None


async def build_into(served: Path) -> str | None:
    """Build the demo onto the served file in a separate process; what went wrong, if anything."""
    build = await asyncio.create_subprocess_exec(*build_command(served), stdout=DEVNULL, stderr=DEVNULL)
    try:
        code = await asyncio.wait_for(build.wait(), BUILD_TIMEOUT)
    except TimeoutError:
        return f"build still running after {BUILD_TIMEOUT:.0f} s, stopped"
    finally:
        if build.returncode is None:  # timed out or cancelled (Ctrl-C): do not leave the build behind
            build.kill()
            await build.wait()
    return f"build failed (exit {code})" if code else None


async def rebuild_during(client: httpx.AsyncClient, run: Run, served: Path, times: int) -> list[str]:
    """Rebuild the served file `times` times, spread over the run; the load goes on until each is served."""
    notes: list[str] = []
    try:
        for number in range(1, times + 1):
            await asyncio.sleep(max(0.0, run.started + number * run.seconds / (times + 1) - time.monotonic()))
            before = (await health(client) or {}).get("version")
            began = time.monotonic()
            failure = await build_into(served)
            built = time.monotonic() - began
            if failure is not None:
                notes.append(f"rebuild {number}: {failure}")
                continue
            waited = await reload_seen(client, before)
            if waited is None:
                error = (await health(client) or {}).get("last_reload_error")
                notes.append(f"rebuild {number}: built in {built:.1f} s, not served {RELOAD_WAIT:.0f} s on ({error})")
            else:
                notes.append(f"rebuild {number}: built in {built:.1f} s, served {waited:.1f} s later")
        await asyncio.sleep(RELOAD_TAIL)
    finally:
        run.rebuilding = False
    return notes


def report(title: str, run: Run, before: Usage, after: Usage, notes: list[str]) -> None:
    tallies, seconds = run.tallies, run.ended - run.started
    everything = Tally(
        [ms for t in tallies.values() for ms in t.latencies_ms],
        sum((t.failed for t in tallies.values()), Counter()),
        sum(t.shed for t in tallies.values()),
    )
    print(f"\n{title}")
    print(f"{'class':<8} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'failed':>6} shed")
    for name, t in [*tallies.items(), ("all", everything)]:
        print(
            f"{name:<8} {t.requests:>8} {t.requests / seconds:>7.1f} {t.percentile(50):>8.1f} "
            f"{t.percentile(99):>8.1f} {t.percentile(100):>8.1f} {sum(t.failed.values()):>6} {t.shed:>5}"
        )
    for name, t in tallies.items():
        if t.failed:
            print(f"failed {name}: " + ", ".join(f"{reason} x{n}" for reason, n in t.failed.most_common()))
    kids = f" (child processes {before.children_rss_mb:.0f} -> {after.children_rss_mb:.0f} MB)"
    print(f"server RSS {before.rss_mb:.0f} MB -> {after.rss_mb:.0f} MB" + (kids if after.children_rss_mb else ""))
    print(
        f"CPU seconds until the last answer: server process {after.server_cpu - before.server_cpu:.1f}, "
        f"this client {after.client_cpu - before.client_cpu:.1f} ({os.cpu_count()} cores)"
    )
    for note in notes:
        print(note)
    p99, failed = tallies["cached"].percentile(99), sum(everything.failed.values())
    met = "met" if p99 < TARGET_CACHED_P99_MS and failed == 0 else "missed"
    print(
        f"verdict: cached-tile p99 {p99:.1f} ms (target < {TARGET_CACHED_P99_MS:.0f} ms), "
        f"failed requests {failed} (target 0): targets {met}"
    )


async def warm_up(client: httpx.AsyncClient, rng: random.Random, bounds: Bounds, timeout: float) -> list[str]:
    """Cache the cached-tile set (tiles with regions) and compile PySAL's kernels; returns the set."""
    candidates = [f"/tiles/buurt/{z}/{x}/{y}.mvt" for z, x, y in tiles_covering(bounds, 14)]
    tiles = [url for url in rng.sample(candidates, 4 * CACHED_TILES)
             if (await client.get(url)).raise_for_status().status_code == 200]
    began = time.monotonic()
    analyses = [f"{HOTSPOTS}&permutations=99&method={m}&weights={w}" for m in METHODS for w in WEIGHTS]
    statuses = [(await client.get(url, timeout=timeout)).status_code for url in analyses]
    print(
        f"warm-up: {len(tiles[:CACHED_TILES])} cached tiles; a hotspot analysis per method and weights: {statuses} "
        f"after {time.monotonic() - began:.1f} s (PySAL's kernels compile once per process)"
    )
    return tiles[:CACHED_TILES]


async def bench(args: argparse.Namespace, server: subprocess.Popen[bytes], base_url: str, served: Path) -> int:
    limits = httpx.Limits(max_connections=args.concurrency + args.hotspot_clients + 2)
    async with httpx.AsyncClient(base_url=base_url, timeout=args.timeout, limits=limits, trust_env=False) as client:
        waited = time.monotonic()
        while await health(client) is None:
            if server.poll() is not None or time.monotonic() - waited > 90:
                print(f"the server did not start (exit status {server.poll()})", file=sys.stderr)
                return 1
            await asyncio.sleep(0.5)
        print(f"server up after {time.monotonic() - waited:.1f} s at {base_url}")

        rng = random.Random(args.seed)
        west, south, east, north = (await client.get("/tiles/buurt.json")).json()["bounds"]
        bounds = (west, south, east, north)
        cached = await warm_up(client, rng, bounds, max(args.timeout, 120))
        cold = never_asked(cold_tiles((await client.get("/catalog")).json(), bounds, rng))
        fresh_hotspots = never_asked(hotspot_analyses(rng))
        for number, rebuilds in ((1, 0), (2, args.rebuilds)):
            before = Usage.now(server.pid)
            run = Run(args.seconds, args.max_requests, rebuilding=rebuilds > 0)
            rebuilding = asyncio.create_task(rebuild_during(client, run, served, rebuilds)) if rebuilds else None
            await asyncio.gather(
                *(tile_client(client, run, cached, cold, args.cold_share, random.Random(rng.random()))
                  for _ in range(args.concurrency)),
                *(hotspot_client(client, run, fresh_hotspots) for _ in range(args.hotspot_clients)),
            )
            elapsed = time.monotonic() - run.started
            notes = await rebuilding if rebuilding else []
            after = Usage.now(server.pid)
            title = (
                f"run {number}: {run.ended - run.started:.1f} s of load (last answer after {elapsed:.1f} s), "
                f"{args.concurrency} tile clients ({args.cold_share:.0%} cold), {args.hotspot_clients} hotspot clients"
                + (f", served dataset rebuilt {rebuilds}x" if rebuilds else "")
            )
            report(title, run, before, after, notes)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each run (default: %(default)s)")
    parser.add_argument("--concurrency", type=int, default=50, help="tile clients (default: %(default)s)")
    parser.add_argument("--cold-share", type=float, default=0.2, help="share of cold tiles (default: %(default)s)")
    parser.add_argument("--hotspot-clients", type=int, default=4, help="hotspot clients (default: %(default)s)")
    parser.add_argument("--rebuilds", type=int, default=2, help="rebuilds during run 2 (default: %(default)s)")
    parser.add_argument("--max-requests", type=int, default=100_000, help="cap per run (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a request may take (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=11, help="seed of the draws (default: %(default)s)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="wijkmonitor-load-") as tmp:
        served, log_path = Path(tmp) / "demo.gpkg", Path(tmp) / "serve.log"
        print(f"building the demo into {served} ...")
        build = subprocess.run(build_command(served), capture_output=True, text=True, timeout=BUILD_TIMEOUT)
        if build.returncode != 0:
            print(f"the demo build failed:\n{build.stderr}", file=sys.stderr)
            return 1
        port = free_port()
        command = [sys.executable, str(ROOT / "cli.py"), "serve", str(served), "--host", HOST, "--port", str(port)]
        with log_path.open("wb") as log, subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT) as server:
            try:
                code = asyncio.run(bench(args, server, f"http://{HOST}:{port}", served))
            except KeyboardInterrupt:
                print("interrupted", file=sys.stderr)
                return 130
            finally:
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
        if code != 0:
            print(log_path.read_text(errors="replace")[-3000:], file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
