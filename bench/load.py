"""Loopback load and fault bench (issue 11): tiles and hotspot analyses at once, then during rebuilds.

Builds the demo dataset into a temporary folder, serves it with `wijkmonitor serve` on a free
127.0.0.1 port and loads it in two timed runs. Tiles are asked by wrk (Debian package wrk: C,
event-driven, one thread per process; see bench/wrk.py), so that the tile figures are the
server's and not those of a client queueing its own requests; hotspot analyses are asked by this
process.

  cached   --concurrency minus --cold-connections (40) keep-alive connections of one wrk process
           cycle over 16 buurt tiles at z14, warmed first: answered from the tile cache.
  cold     --cold-connections (10) connections of a second wrk process walk a list of tiles never
           asked before: z10-16 in Utrecht's bounds with a level, year, 1-3 indicators and a group
           from /catalog, each made by a tile thread. The list holds COLD_RATE_CEILING tiles per
           expected second of the run; should it run out, a note below the table says so.
  hotspot  --hotspot-clients (4) clients in this process loop over /analysis/hotspots with
           parameters never asked before (permutations, method, weights, k): each is a fresh
           computation in the server's analysis worker.

  run 1    that load for --seconds.
  run 2    the same while the demo is rebuilt onto the served file --rebuilds times, started at
           even intervals in a separate process (the build renames a complete file over it; the
           server reloads it and starts with empty caches). The load goes on past --seconds until
           the last rebuild has been served for 2 s. A note per rebuild gives its build time and
           how soon /health showed the new dataset version.

Tile requests carry `Accept-Encoding: gzip`, as a browser's do (a cached tile is kept gzipped).

Per run and request class the table gives requests, req/s (over that class's seconds of load),
latency p50/p99/max in ms, failed and shed. Tile figures are wrk's, printed by the done() of its
Lua script as one JSON line: latencies of all answers, from sending the request to its last byte,
with wrk's correction for coordinated omission (an answer slower than twice a connection's mean
time per request adds the answers that connection would have sent meanwhile), so p99 is what a
request sent at any moment would wait; failed = status >= 400, answers slower than --timeout and
socket errors (connect, read, write); 204 (a tile without regions) is an answer like 200, and a
request unanswered when wrk is stopped counts nowhere. Hotspot latencies are those of the 200
answers; failed = 5xx, connection errors, timeouts, any other status; shed = 503/429 with
Retry-After: work the server declined, not a failure (the client waits as told, at most 5 s).
Reasons for failures are listed below the table.

Then: the RSS of serve's supervisor (which serves nothing) and of its child processes (the server
process, its tile and analysis workers) before and after the run; CPU seconds spent in the run by
the supervisor, its child processes, wrk, this process (the hotspot clients) and the rebuilds, next
to the cores x seconds the machine had: client and server share the cores, and this line shows how
much the load itself took. Last the verdict against the
targets: cached-tile p99 < 50 ms, no failed requests. Compare runs on one machine.

Every load stops at the run's end; wrk also after --max-requests per class (its script sends no
more) and by itself after the longest the run can last, the hotspot clients after --max-requests
in all; a request gives up after --timeout seconds. Exit status 0 whatever the figures; 1 when wrk
is missing (`sh scripts/system-packages.sh bench` installs it) or the demo build, the server or wrk
fails, 130 on Ctrl-C (the server, wrk and any build are stopped in every case).

    .venv/bin/python bench/load.py [--seconds 30] [--concurrency 50] [--cold-connections 10]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from subprocess import DEVNULL

import httpx2 as httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.request import METHODS, WEIGHTS  # noqa: E402
from bench.servers import free_port  # noqa: E402
from bench.wrk import STOP_WAIT, Figures, Wrk, WrkFailed  # noqa: E402
from tiles.tilemath import WEB_MERCATOR  # noqa: E402

HOST = "127.0.0.1"  # loopback only
MANIFEST = ROOT / "demo" / "wijkmonitor.toml"
HOTSPOTS = "/analysis/hotspots?indicator=bijstand_per_1000&year=2023"
TILE_HEADERS = {"Accept-Encoding": "gzip"}
CACHED_TILES = 16
COLD_RATE_CEILING = 500  # cold tiles a second the list is made for: well above what 2 cores make
REBUILD_SECONDS = 200.0  # what a rebuild may add to run 2 (build 60-100 s, served 70-140 s later under this load), for the length of its cold-tile list
TARGET_CACHED_P99_MS = 50.0
BUILD_TIMEOUT = 300.0  # seconds
RELOAD_WAIT = 180.0  # seconds a rebuilt file may take to be served (under this load: tens of seconds)
RELOAD_TAIL = 2.0  # seconds of load after the last rebuild was served
MAX_BACKOFF = 5.0  # seconds a shed hotspot client waits at most (Retry-After)
Bounds = tuple[float, float, float, float]  # west, south, east, north in degrees

@dataclass
class Tally:
    """What became of the hotspot requests of one run."""

    latencies_ms: list[float] = field(default_factory=list)
    failed: Counter[str] = field(default_factory=Counter)
    shed: int = 0
    last_answer: float = 0.0  # time.monotonic() of the last answer

    def figures(self, seconds: float) -> Figures:
        p50, p99, top = np.percentile(self.latencies_ms, [50, 99, 100]) if self.latencies_ms else [math.nan] * 3
        requests = len(self.latencies_ms) + sum(self.failed.values()) + self.shed
        return Figures(requests, seconds, float(p50), float(p99), float(top), self.failed, self.shed)


@dataclass
class Run:
    """One timed run: when it started and ended, and how many hotspot requests were sent."""

    max_requests: int
    started: float = field(default_factory=time.monotonic)
    ended: float | None = None
    sent: int = 0

    def go_on(self) -> bool:
        """Asked by each hotspot client before each request: not ended, budget left (takes one request)."""
        if self.ended is not None or self.sent >= self.max_requests:
            return False
        self.sent += 1
        return True


def build_command(output: Path) -> list[str]:
    return [sys.executable, str(ROOT / "cli.py"), "build", str(MANIFEST), "-o", str(output)]


def descendants(pid: int) -> list[int]:
    """The child processes of a process, theirs too (none for a process that ended)."""
    try:
        children = [int(c) for f in Path(f"/proc/{pid}/task").glob("*/children") for c in f.read_text().split()]
    except OSError:
        return []
    return children + [d for child in children for d in descendants(child)]


def rss_mb(pid: int) -> float:
    """VmRSS of a process in MB (0 for a process that ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0.0)


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a process so far (0 for a process that ended)."""
    try:  # utime and stime: fields 14 and 15 of /proc/PID/stat, counted after the ")" ending its name
        ticks = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[11:13]
    except OSError:
        return 0.0
    return sum(int(t) for t in ticks) / os.sysconf("SC_CLK_TCK")


def ended_children_cpu() -> float:
    """CPU seconds of the child processes of this process that ended and were waited for (wrk, builds)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class Usage:
    """The memory and CPU seconds of the server (its child processes apart) and this process, at one moment."""

    rss_mb: float
    children_rss_mb: float
    server_cpu: float
    children_cpu: float
    bench_cpu: float

    @classmethod
    def now(cls, pid: int) -> Usage:
        children = descendants(pid)
        return cls(
            rss_mb(pid), sum(map(rss_mb, children)), cpu_seconds(pid), sum(map(cpu_seconds, children)),
            time.process_time(),
        )


def never_asked(urls: Iterator[str]) -> Iterator[str]:
    """Each URL once."""
    seen: set[str] = set()
    for url in urls:
        if url not in seen:
            seen.add(url)
            yield url


def cold_tiles(catalog: dict, bounds: Bounds, rng: random.Random) -> Iterator[str]:
    """Tile URLs: z10-16 in bounds, any level and year, 1-3 indicators and a group the first one has."""
    covering = {z: WEB_MERCATOR.tiles_covering(bounds, z) for z in range(10, 17)}
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


async def hotspot_get(client: httpx.AsyncClient, url: str, tally: Tally) -> float:
    """GET an analysis and file the outcome in tally; returns the Retry-After seconds of a shed answer, else 0."""
    started = time.perf_counter()
    try:
        response = await client.get(url)
    except httpx.HTTPError as exc:
        tally.failed[type(exc).__name__] += 1
        return 0.0
    finally:
        tally.last_answer = time.monotonic()
    if response.status_code == 200:
        tally.latencies_ms.append((time.perf_counter() - started) * 1000)
    elif response.status_code in (429, 503) and "retry-after" in response.headers:
        tally.shed += 1
        retry_after = response.headers["retry-after"]
        return float(retry_after) if retry_after.isdigit() else 1.0  # an HTTP date: back off a second
    else:
        tally.failed[str(response.status_code)] += 1
    return 0.0


async def hotspot_client(client: httpx.AsyncClient, run: Run, fresh: Iterator[str], tally: Tally) -> None:
    while run.go_on():
        retry_after = await hotspot_get(client, next(fresh), tally)
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


async def rebuild_during(
    client: httpx.AsyncClient, started: float, seconds: float, served: Path, times: int
) -> list[str]:
    """Rebuild the served file `times` times, spread over `seconds` from `started`; returns once each is served."""
    notes: list[str] = []
    for number in range(1, times + 1):
        await asyncio.sleep(max(0.0, started + number * seconds / (times + 1) - time.monotonic()))
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
    if times:
        await asyncio.sleep(RELOAD_TAIL)
    return notes


def longest_run(args: argparse.Namespace, rebuilds: int) -> float:
    """Seconds a run can last at most: wrk's own limit, should this process not stop it."""
    per_rebuild = BUILD_TIMEOUT + RELOAD_WAIT + 3 * args.timeout  # the build, the wait, /health calls
    return args.seconds + rebuilds * per_rebuild + RELOAD_TAIL + STOP_WAIT


def ms(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.1f}"


def report(title: str, rows: dict[str, Figures], before: Usage, after: Usage, cpu: dict[str, float], seconds: float,
           notes: list[str]) -> None:
    print(f"\n{title}")
    print(f"{'class':<8} {'requests':>8} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'failed':>6} shed")
    for name, f in rows.items():
        print(
            f"{name:<8} {f.requests:>8} {f.requests / f.seconds if f.seconds else 0:>7.1f} {ms(f.p50_ms):>8} "
            f"{ms(f.p99_ms):>8} {ms(f.max_ms):>8} {sum(f.failed.values()):>6} {f.shed:>5}"
        )
    failed = sum(sum(f.failed.values()) for f in rows.values())
    print(f"{'all':<8} {sum(f.requests for f in rows.values()):>8} {'':>7} {'':>8} {'':>8} {'':>8} {failed:>6} "
          f"{sum(f.shed for f in rows.values()):>5}")
    for name, f in rows.items():
        if f.failed:
            print(f"failed {name}: " + ", ".join(f"{reason} x{n}" for reason, n in f.failed.most_common()))
    kids = f" (child processes {before.children_rss_mb:.0f} -> {after.children_rss_mb:.0f} MB)"
    print(f"supervisor RSS {before.rss_mb:.0f} MB -> {after.rss_mb:.0f} MB" + (kids if after.children_rss_mb else ""))
    cores = os.cpu_count() or 1
    print("CPU seconds in the run: " + ", ".join(f"{name} {s:.1f}" for name, s in cpu.items())
          + f" (of {cores} cores x {seconds:.1f} s = {cores * seconds:.0f})")
    for note in notes:
        print(note)
    p99 = rows["cached"].p99_ms
    met = "met" if p99 < TARGET_CACHED_P99_MS and failed == 0 else "missed"
    print(
        f"verdict: cached-tile p99 {ms(p99)} ms (target < {TARGET_CACHED_P99_MS:.0f} ms), "
        f"failed requests {failed} (target 0): targets {met}"
    )


async def warm_up(client: httpx.AsyncClient, rng: random.Random, bounds: Bounds, timeout: float) -> list[str]:
    """Cache the cached-tile set (tiles with regions, gzipped) and compile PySAL's kernels; returns the set."""
    candidates = [f"/tiles/buurt/{z}/{x}/{y}.mvt" for z, x, y in WEB_MERCATOR.tiles_covering(bounds, 14)]
    tiles = [url for url in rng.sample(candidates, 4 * CACHED_TILES)
             if (await client.get(url, headers=TILE_HEADERS)).raise_for_status().status_code == 200]
    began = time.monotonic()
    analyses = [f"{HOTSPOTS}&permutations=99&method={m}&weights={w}" for m in METHODS for w in WEIGHTS]
    statuses = [(await client.get(url, timeout=timeout)).status_code for url in analyses]
    print(
        f"warm-up: {len(tiles[:CACHED_TILES])} cached tiles; a hotspot analysis per method and weights: {statuses} "
        f"after {time.monotonic() - began:.1f} s (PySAL's kernels compile once per process)"
    )
    return tiles[:CACHED_TILES]


async def load_run(
    number: int, rebuilds: int, args: argparse.Namespace, client: httpx.AsyncClient, server_pid: int, base_url: str,
    served: Path, cached: list[str], cold: Iterator[str], fresh_hotspots: Iterator[str],
) -> None:
    """One run: wrk on cached and cold tiles, hotspot clients, and the rebuilds if any; prints its report."""
    cached_connections, expected = args.concurrency - args.cold_connections, args.seconds + rebuilds * REBUILD_SECONDS
    cold_listed = min(args.max_requests, math.ceil(expected * COLD_RATE_CEILING)) if args.cold_connections else 0
    cold_paths = list(islice(cold, cold_listed))
    tally, run = Tally(), Run(args.max_requests)
    loads: list[Wrk] = []
    clients: list[asyncio.Task[None]] = []
    before, children_before = Usage.now(server_pid), ended_children_cpu()
    try:
        for name, paths, cycle, connections in (("cached", cached, True, cached_connections),
                                                ("cold", cold_paths, False, args.cold_connections)):
            if connections:
                loads.append(Wrk.start(
                    name, base_url, paths, cycle=cycle, connections=connections, seconds=longest_run(args, rebuilds),
                    timeout=args.timeout, max_requests=args.max_requests, headers=TILE_HEADERS, folder=served.parent,
                ))
        run.started = time.monotonic()  # wrk's own seconds start when its connections do
        clients += [asyncio.create_task(hotspot_client(client, run, fresh_hotspots, tally))
                    for _ in range(args.hotspot_clients)]
        # A task, not gathered with the sleep: on Ctrl-C it is cancelled once, and waits for the build it stops.
        rebuilding = asyncio.create_task(rebuild_during(client, run.started, args.seconds, served, rebuilds))
        await asyncio.sleep(args.seconds)
        notes = await rebuilding  # the run goes on until the rebuilds are served
        run.ended = ended = time.monotonic()
        after = Usage.now(server_pid)
        stopped = await asyncio.gather(*(load.stop() for load in loads))
        await asyncio.gather(*clients)  # each client finishes the request it is waiting for
    finally:
        for task in clients:
            task.cancel()  # still running only after an error or Ctrl-C
        for load in loads:
            load.kill()
    seconds = ended - run.started
    empty = Figures(0, seconds, math.nan, math.nan, math.nan, Counter())
    rows = {"cached": empty, "cold": empty} | {result.name: result.figures for result in stopped}
    rows["hotspot"] = tally.figures(seconds)
    notes += [f"{result.name}: wrk ran out of requests to send before the end (the list or --max-requests): "
              f"its req/s is a lower bound" for result in stopped if result.ran_out]
    wrk_cpu = sum(result.cpu_seconds for result in stopped)
    cpu = {
        "supervisor": after.server_cpu - before.server_cpu,
        "its child processes": after.children_cpu - before.children_cpu,
        "wrk": wrk_cpu,
        "this process (hotspot clients)": after.bench_cpu - before.bench_cpu,
    }
    if rebuilds:
        cpu["rebuilds"] = ended_children_cpu() - children_before - wrk_cpu
    last_answer = max(tally.last_answer, ended) - run.started
    title = (
        f"run {number}: {seconds:.1f} s of load (last answer after {last_answer:.1f} s), "
        f"wrk {cached_connections} cached + {args.cold_connections} cold tile connections ({len(cold_paths)} cold "
        f"tiles listed), {args.hotspot_clients} hotspot clients"
        + (f", served dataset rebuilt {rebuilds}x" if rebuilds else "")
    )
    report(title, rows, before, after, cpu, seconds, notes)


async def bench(args: argparse.Namespace, server: subprocess.Popen[bytes], base_url: str, served: Path) -> int:
    limits = httpx.Limits(max_connections=args.hotspot_clients + 2)
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
            try:
                await load_run(number, rebuilds, args, client, server.pid, base_url, served, cached, cold,
                               fresh_hotspots)
            except WrkFailed as exc:
                print(exc, file=sys.stderr)
                return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each run (default: %(default)s)")
    parser.add_argument("--concurrency", type=int, default=50, help="wrk tile connections (default: %(default)s)")
    parser.add_argument("--cold-connections", type=int, default=10,
                        help="of them, those asking cold tiles; 0 for cached tiles only (default: %(default)s)")
    parser.add_argument("--hotspot-clients", type=int, default=4, help="hotspot clients (default: %(default)s)")
    parser.add_argument("--rebuilds", type=int, default=2, help="rebuilds during run 2 (default: %(default)s)")
    parser.add_argument("--max-requests", type=int, default=5_000_000,
                        help="cap per request class and run (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a request may take (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=11, help="seed of the draws (default: %(default)s)")
    args = parser.parse_args()
    if not 0 <= args.cold_connections < args.concurrency:
        parser.error("--cold-connections must be at least 0 and below --concurrency")
    if shutil.which("wrk") is None:
        print("wrk is not installed: `sh scripts/system-packages.sh bench` installs it (`make load` does)",
              file=sys.stderr)
        return 1

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
                    server.wait(timeout=30)  # serve gives open requests 10 s (web.processes)
                except subprocess.TimeoutExpired:
                    server.kill()
        served_log = log_path.read_text(errors="replace")
        for line in served_log.splitlines():
            if any(said in line for said in ("reloaded dataset", "keeping the previous dataset", "not serving a build")):
                print(f"server: {line.strip()}")
        if code != 0:
            print(served_log[-3000:], file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
