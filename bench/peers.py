"""wijkmonitor against its peers on the national buurten with figures, the same tiles for every server (issue 13).

Data: the TIMING FIXTURE of bench/datasets.py (national 2014 buurt polygons as 2023, each with the real
KWB 2023 row of one Utrecht buurt: real values on other places, for timing only). Two selections:
  one  inwoners, group totaal (the value and its status);
  all  every indicator x group pair with figures at buurt 2023 (what our tiles send when every group is asked).

Peers, each on the polygons wijkmonitor serves (cleaned, from its store; bench/postgis_tiles.py):
  wijkmonitor    `wijkmonitor serve FILE`, 1 process and --workers 2 (cli.py of this tree);
  PostGIS        a SQL function per tile with ST_AsMVT/ST_AsMVTGeom on a 3857 table with a GiST index (what
                 Martin and pg_tileserv call), timed as a SQL call from a client: no HTTP server, no gzip;
  PostGIS/HTTP   the same functions behind an HTTP server, timed by the same client as ours (bench/postgis_http.py:
                 a bare ASGI app under Granian, as `serve` runs, gzip as Martin does): a stand-in for Martin and
                 pg_tileserv, which cannot be installed here; cold tiles only;
  TiPg           TiPg (PyPI, build/tipg-venv) on the same table, 1 uvicorn process;
  nginx          our own tiles (the gzip bytes our server sent for the `one` tiles) as files, served with the
                 same Content-Encoding: the bar for a cache hit.

Tiles: --tiles tiles z6-14 where buurten are (the tiles of buurt label points, spread over the zooms),
plus one more per zoom for the first tile of a zoom. Every round starts every server afresh and runs
them one after another (interleaved; the order rotates each round):
  ready       seconds from start until it answers (ours: until /health says ready in every process,
              its tile workers having prepared every zoom of the latest year);
  first tile  ms of the first tile of each zoom after ready (one), then of the first tile with all figures;
  cold        p50 ms of each tile the server has not made before, one request at a time on a keep-alive
              connection, Accept-Encoding: gzip (ours and TiPg gzip, as Martin does);
  paired      one more run, of ours (1 process) and the PostGIS function: each cold tile of ours, then the
              function's for it, p50 of both over every round (the machine's pace swings between runs as much
              as the gap between the two);
  cached      req/s and p50 of the `one` tiles asked again (our tile cache; TiPg has none; nginx files), by
              wrk (bench/wrk.py) at 1 and 50 connections for --seconds each;
  memory      RSS and PSS of the server's processes after its run (PostgreSQL's own while TiPg ran).
Then, once, pre-rendering every tile of z0-14 that holds a buurt (one): RegionTiles.tile in this process
against the PostGIS function over one connection, each one tile at a time.

Figures are printed, never asserted: ranges are min-max of the rounds' p50s, ratios use their medians.

    make peers        # installs what it needs, then: .venv/bin/python bench/peers.py
    .venv/bin/python bench/peers.py [--quick] [--tiles 200] [--rounds 3] [--seconds 5] [--prerender-all]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.datasets import FIXTURE_WARNING, buurten_fixture  # noqa: E402
from bench.postgis_tiles import SCHEMA, TileCalls, create_function, figure_fields, load_table, table_name, versions  # noqa: E402
from bench.servers import (  # noqa: E402
    Memory,
    Running,
    all_started,
    free_port,
    nginx_command,
    serving,
    tipg_command,
    tree_memory,
    warm,
)
from bench.tiles import pct, sample_tiles  # noqa: E402
from bench.wrk import Figures, load_for  # noqa: E402
from exports.tileset import tile_addresses  # noqa: E402
from geodata.regions import Level  # noqa: E402
from geodata.selection import Selection, parse_selection  # noqa: E402
from settings import Settings  # noqa: E402
from store import Store, open_store  # noqa: E402
from tests.store.cluster import Cluster, postgis_missing  # noqa: E402
from tiles.encode import MVT_TYPE  # noqa: E402
from tiles.region_tiles import RegionTiles, Usage  # noqa: E402

LEVEL, YEAR = Level.buurt, 2023
ONE = ("inwoners", "totaal")
ZOOMS = range(6, 15)
HEADERS = {"Accept-Encoding": "gzip"}
CONCURRENCY = (1, 50)
START_SECONDS = 150.0  # for every process of a server to answer /health
SELECTIONS = ("one", "all")
Tile = tuple[int, int, int]

WIJKMONITOR_1, WIJKMONITOR_2, POSTGIS, POSTGIS_HTTP, TIPG, NGINX = (
    "wijkmonitor", "wijkmonitor --workers 2", "PostGIS ST_AsMVT (SQL)", "PostGIS/HTTP (stand-in)", "TiPg",
    "nginx (our tiles as files)",
)
PAIRED = "wijkmonitor and the PostGIS function, tile by tile"


@dataclass
class Results:
    """Every figure of every round, by server."""

    cold: dict[str, dict[str, dict[int, list[float]]]] = field(  # server -> selection -> zoom -> round p50s
        default_factory=lambda: defaultdict(lambda: defaultdict(lambda: defaultdict(list))))
    sizes: dict[str, dict[str, list[int]]] = field(  # server -> selection -> bytes as sent, every tile
        default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    first: dict[str, dict[int | str, list[float]]] = field(  # server -> zoom or "all" -> ms per round
        default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    ready: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failed: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # rounds a server did not start
    restarts: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))  # worker processes replaced
    cached: dict[str, dict[int, list[Figures]]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    memory: dict[str, list[Memory]] = field(default_factory=lambda: defaultdict(list))
    # selection -> zoom -> (ours, the SQL function) ms of each tile, the function called right after ours
    paired: dict[str, dict[int, list[tuple[float, float]]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list)))


@dataclass(frozen=True)
class Plan:
    """What every server is asked: the same tiles, in the same order, with the same figures."""

    tiles: list[Tile]
    firsts: dict[int, Tile]  # per zoom, a tile outside `tiles`
    queries: dict[str, str]  # selection -> our query string
    columns: dict[str, list[str]]  # selection -> the table's attribute columns
    pairs: int  # indicator x group pairs of `all`


def plan_tiles(tiles: RegionTiles, count: int, seed: int = 13) -> tuple[list[Tile], dict[int, Tile]]:
    """`count` tiles z6-14 where buurten are, about as many per zoom (a zoom with fewer gives its share to
    the next ones), shuffled; and one more tile per zoom for its first request."""
    geometry = tiles.geometry(LEVEL, YEAR)
    rng = random.Random(seed)
    chosen: list[Tile] = []
    firsts: dict[int, Tile] = {}
    for i, z in enumerate(ZOOMS):
        candidates = sample_tiles(geometry.labels, z, 10**9, rng)  # all of them, shuffled
        firsts[z] = candidates.pop()
        share = (count - len(chosen)) // (len(ZOOMS) - i)
        chosen += candidates[:share]
    rng.shuffle(chosen)
    return chosen, firsts


def selections(store: Store) -> dict[str, Selection]:
    available = store.availability.indicators_with_data(LEVEL, YEAR)
    groups = [g for g in store.catalog.groups if any(g in per for per in available.values())]
    level, year = LEVEL.value, str(YEAR)
    return {
        "one": parse_selection(store.availability, store.catalog, level, {"year": year, "indicators": ONE[0], "group": ONE[1]}),
        "all": parse_selection(store.availability, store.catalog, level, {"year": year, "group": ",".join(groups)}),
    }


def our_path(plan: Plan, selection: str, z: int, x: int, y: int) -> str:
    return f"/tiles/{LEVEL.value}/{z}/{x}/{y}.mvt?{plan.queries[selection]}"


def tipg_path(plan: Plan, selection: str, z: int, x: int, y: int) -> str:
    path = f"/collections/{SCHEMA}.{table_name(LEVEL, YEAR)}/tiles/WebMercatorQuad/{z}/{x}/{y}"
    return f"{path}?properties={','.join(plan.columns['one'])}" if selection == "one" else path


class Client:
    """One keep-alive HTTP/1.1 connection, one request at a time, timed from sending the request to the last
    byte of the answer. A socket and a few lines, not http.client: its header parsing (email.parser) took
    0.11-0.14 ms of every request (a cached demo tile: 0.20-0.24 ms, against 0.09-0.13 ms this way), the
    client's cost and not the server's, and more than psycopg's C client adds to the PostGIS calls."""

    def __init__(self, base: str) -> None:
        address = base.removeprefix("http://")
        host, _, port = address.partition(":")
        self.head = "".join(f"{name}: {value}\r\n" for name, value in {"Host": address, **HEADERS}.items())
        self.socket = socket.create_connection((host, int(port)), timeout=300)
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.unread = b""

    def get(self, path: str) -> tuple[float, bytes, str | None]:
        """(ms, body as sent, Content-Encoding)."""
        started = time.perf_counter()
        self.socket.sendall(f"GET {path} HTTP/1.1\r\n{self.head}\r\n".encode())
        status, headers = self._status_and_headers()
        if status in (204, 304):
            body = b""
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._chunked()
        else:
            body = self._read(int(headers["content-length"]))
        elapsed = (time.perf_counter() - started) * 1000
        if status not in (200, 204):
            raise RuntimeError(f"{path}: HTTP {status} {body[:300]!r}")
        return elapsed, body, headers.get("content-encoding")

    def _line(self) -> bytes:
        while b"\r\n" not in self.unread:
            self._receive()
        line, self.unread = self.unread.split(b"\r\n", 1)
        return line

    def _read(self, size: int) -> bytes:
        while len(self.unread) < size:
            self._receive()
        data, self.unread = self.unread[:size], self.unread[size:]
        return data

    def _receive(self) -> None:
        data = self.socket.recv(1 << 20)
        if not data:
            raise ConnectionError("the server closed the connection")
        self.unread += data

    def _status_and_headers(self) -> tuple[int, dict[str, str]]:
        status = int(self._line().split(b" ", 2)[1])
        headers = {}
        while line := self._line():
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        return status, headers

    def _chunked(self) -> bytes:
        chunks = []
        while size := int(self._line().split(b";")[0], 16):
            chunks.append(self._read(size))
            self._line()
        while self._line():  # trailers, then the empty line
            pass
        return b"".join(chunks)

    def close(self) -> None:
        self.socket.close()


def cold_round(
    name: str, results: Results, tiles: list[Tile], call: Callable[[str, Tile], tuple[float, bytes]],
) -> dict[str, list[bytes]]:
    """Each tile once per selection; the round's p50 per zoom. Returns the bodies per selection."""
    bodies: dict[str, list[bytes]] = {}
    for selection in SELECTIONS:
        per_zoom: dict[int, list[float]] = defaultdict(list)
        bodies[selection] = []
        for tile in tiles:
            elapsed, body = call(selection, tile)
            per_zoom[tile[0]].append(elapsed)
            bodies[selection].append(body)
            results.sizes[name][selection].append(len(body))
        for z, times in per_zoom.items():
            results.cold[name][selection][z].append(pct(times, 50))
    return bodies


def http_round(
    name: str, results: Results, plan: Plan, base: str, path: Callable[[Plan, str, int, int, int], str],
    args: argparse.Namespace, folder: Path,
) -> dict[str, list[bytes]]:
    """First tiles, cold tiles and cached load of one started HTTP server; returns the cold bodies."""
    client = Client(base)
    try:
        for z, tile in plan.firsts.items():
            results.first[name][z].append(client.get(path(plan, "one", *tile))[0])
        results.first[name]["all"].append(client.get(path(plan, "all", *plan.firsts[max(ZOOMS)]))[0])

        def call(selection: str, tile: Tile) -> tuple[float, bytes]:
            elapsed, body, encoding = client.get(path(plan, selection, *tile))
            if body and encoding != "gzip" and name in (WIJKMONITOR_1, WIJKMONITOR_2):
                raise RuntimeError(f"{name} sent a tile without gzip: {encoding}")
            return elapsed, body

        bodies = cold_round(name, results, plan.tiles, call)
    finally:
        client.close()
    cached_round(name, results, base, [path(plan, "one", *tile) for tile in plan.tiles], args, folder)
    return bodies


def cached_round(name: str, results: Results, base: str, paths: list[str], args: argparse.Namespace, folder: Path) -> None:
    if name == WIJKMONITOR_2:
        warm(base, paths, 8, HEADERS)  # each process has its own cache: fill both
    for connections in CONCURRENCY:
        figures = asyncio.run(load_for(
            f"{name.split()[0]}-{connections}", base, paths, cycle=True, connections=connections, seconds=args.seconds,
            headers=HEADERS, folder=folder,
        ))
        if figures.failed:
            print(f"  {name} at {connections} connections: failures {dict(figures.failed)}", flush=True)
        results.cached[name][connections].append(figures)


@contextlib.contextmanager
def serving_ours(name: str, workers: int, dataset: Path, results: Results) -> Iterator[Running]:
    """`wijkmonitor serve` (cli.py of this tree) until the block ends, once every process answers; its
    restarts and seconds until then go to results."""
    port = free_port()
    command = [sys.executable, str(ROOT / "cli.py"), "serve", str(dataset), "--port", str(port), "--workers", str(workers)]
    started = time.monotonic()
    with serving(command, {}, port, "/health", cwd=ROOT, timeout=START_SECONDS) as server:
        try:
            all_started(server.base, workers, START_SECONDS - (time.monotonic() - started))
        finally:
            # Granian's supervisor starts a process again that died (web.processes).
            results.restarts[name].append(server.output().count("Respawning worker"))
        results.ready[name].append(time.monotonic() - started)
        yield server


def noted_failure(results: Results, name: str, error: Exception) -> None:
    """A run of ours that did not start or lost its server: its first line goes to the report, the round goes on."""
    results.failed[name].append(str(error).splitlines()[0])
    print(f"  {name}: {results.failed[name][-1]}", flush=True)


def run_wijkmonitor(name: str, workers: int, dataset: Path, plan: Plan, results: Results, args: argparse.Namespace,
                    folder: Path) -> dict[str, list[bytes]]:
    """One round of `wijkmonitor serve`; a server whose processes have not all answered within
    START_SECONDS is noted and left out of this round."""
    try:
        with serving_ours(name, workers, dataset, results) as server:
            bodies = http_round(name, results, plan, server.base, our_path, args, folder)
            results.memory[name].append(tree_memory(server.process.pid))
    except (RuntimeError, OSError) as error:  # a process killed mid-run drops its connections
        noted_failure(results, name, error)
        return {}
    return bodies


def run_paired(dataset: Path, plan: Plan, results: Results, function: Callable[[str, Tile], tuple[float, bytes]]) -> None:
    """Ours (`serve`, 1 process, started afresh) and the SQL function tile by tile: each cold tile of ours,
    then the function's, for results.paired. Only cold tiles: the other figures come from the other runs."""
    try:
        with serving_ours(PAIRED, 1, dataset, results) as server:
            client = Client(server.base)
            try:
                for selection in SELECTIONS:
                    for tile in plan.tiles:
                        ours = client.get(our_path(plan, selection, *tile))[0]
                        results.paired[selection][tile[0]].append((ours, function(selection, tile)[0]))
            finally:
                client.close()
    except (RuntimeError, OSError) as error:  # as run_wijkmonitor: noted, the round goes on
        noted_failure(results, PAIRED, error)


def run_tipg(dsn: str, plan: Plan, results: Results, args: argparse.Namespace, folder: Path, postmaster: int) -> None:
    port = free_port()
    env = {
        "DATABASE_URL": dsn, "TIPG_DB_SCHEMAS": json.dumps([SCHEMA]), "TIPG_TILE_BUFFER": "64",
        "TIPG_MAX_FEATURES_PER_TILE": "1000000", "TIPG_CATALOG_TTL": "0",
    }
    with serving(tipg_command(port, 1) or [], env, port, f"/collections/{SCHEMA}.{table_name(LEVEL, YEAR)}", cwd=ROOT) as server:
        results.ready[TIPG].append(server.start_seconds)
        http_round(TIPG, results, plan, server.base, tipg_path, args, folder)
        results.memory[TIPG].append(tree_memory(server.process.pid))
        results.memory["PostgreSQL (while TiPg ran)"].append(tree_memory(postmaster))


def run_postgis(functions: dict[str, str], dsn: str, plan: Plan, results: Results) -> None:
    calls = {selection: TileCalls(dsn, function) for selection, function in functions.items()}
    try:
        cold_round(POSTGIS, results, plan.tiles, lambda selection, tile: calls[selection](*tile))
    finally:
        for call in calls.values():
            call.close()


def run_postgis_http(functions: dict[str, str], dsn: str, plan: Plan, results: Results) -> None:
    """The SQL functions behind HTTP (bench/postgis_http.py), cold tiles over one keep-alive connection."""
    port = free_port()
    command = [str(Path(sys.executable).parent / "granian"), "--interface", "asgi", "--host", "127.0.0.1", "--port",
               str(port), "--workers", "1", "--runtime-mode", "st", "--loop", "uvloop", "--no-log", "bench.postgis_http:app"]
    env = {"PEERS_DSN": dsn, "PEERS_FUNCTIONS": json.dumps(functions)}
    with serving(command, env, port, "/health", cwd=ROOT) as server:
        client = Client(server.base)
        try:
            def call(selection: str, tile: Tile) -> tuple[float, bytes]:
                elapsed, body, _ = client.get(f"/{selection}/{tile[0]}/{tile[1]}/{tile[2]}")
                return elapsed, body

            cold_round(POSTGIS_HTTP, results, plan.tiles, call)
        finally:
            client.close()


def run_nginx(root: Path, plan: Plan, results: Results, args: argparse.Namespace, folder: Path) -> None:
    if not root.exists():
        results.failed[NGINX].append("no tiles to serve: wijkmonitor did not run before it")
        return
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="nginx-", dir=folder) as own:
        command = nginx_command(Path(own), root, port, MVT_TYPE, "gzip")
        with serving(command, {}, port, "/health") as server:
            results.ready[NGINX].append(server.start_seconds)
            cached_round(NGINX, results, server.base, [our_path(plan, "one", *tile) for tile in plan.tiles], args, folder)
            results.memory[NGINX].append(tree_memory(server.process.pid))


def write_tile_files(root: Path, plan: Plan, bodies: list[bytes]) -> None:
    """Our `one` tiles as sent (gzip) at their URL paths under root, readable by nginx's workers (nobody)."""
    for (z, x, y), body in zip(plan.tiles, bodies):
        target = root / "tiles" / LEVEL.value / str(z) / str(x) / f"{y}.mvt"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    for folder in [root, *root.rglob("*")]:
        folder.chmod(0o755 if folder.is_dir() else 0o644)


def prerender(store: Store, chosen: dict[str, Selection], functions: dict[str, str], dsn: str, zooms: range,
              which: tuple[str, ...]) -> list[tuple[str, int, int, float, float, float]]:
    """(selection, candidate tiles, tiles with buurten, our seconds preparing the zooms, our seconds making
    the tiles, PostGIS seconds): every tile of the zooms that can hold a buurt, one at a time, made afresh.
    Our zooms' preparation (coverage simplification, the world grid) is timed apart: a server does it
    before it reports ready, an export does it once per zoom."""
    settings = Settings()
    rows = []
    for selection in which:
        query = chosen[selection]
        tiles = RegionTiles(store, settings.tile_extent, settings.tile_buffer)
        addresses = tile_addresses(tiles, query, zooms.start, zooms.stop - 1)
        started = time.perf_counter()
        tiles.prepare(Usage(
            ((("WebMercatorQuad", query.level, query.year), tuple(zooms)),),
            tuple((query.level, query.year, group, indicator) for indicator, group in query.figures()),
        ))
        prepared = time.perf_counter()
        ours = sum(1 for z, x, y in addresses if tiles.tile(query, z, x, y))
        made = time.perf_counter()
        del tiles
        calls = TileCalls(dsn, functions[selection])
        try:
            started_theirs = time.perf_counter()
            theirs = sum(1 for z, x, y in addresses if calls(z, x, y)[1])
            their_seconds = time.perf_counter() - started_theirs
        finally:
            calls.close()
        if ours != theirs:
            print(f"  note: {ours:,} tiles with buurten from wijkmonitor, {theirs:,} from PostGIS ({selection})")
        rows.append((selection, len(addresses), ours, prepared - started, made - prepared, their_seconds))
        print(f"pre-rendered {selection}: {ours:,} tiles, {prepared - started:.1f} + {made - prepared:.1f} s vs "
              f"{their_seconds:.1f} s", flush=True)
    return rows


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.machine())
    memory = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    return f"{os.cpu_count()} cores ({model}), {memory / 1024**2:.0f} GiB, Python {platform.python_version()}"


def median_range(values: list[float], digits: int = 1) -> str:
    if not values:
        return "–"
    low, high = min(values), max(values)
    text = f"{low:.{digits}f}" if round(low, digits) == round(high, digits) else f"{low:.{digits}f}–{high:.{digits}f}"
    return text


def ratio(ours: list[float], theirs: list[float]) -> str:
    if not ours or not theirs:
        return "–"
    return f"{statistics.median(ours) / statistics.median(theirs):.2f}×"


def row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def report(results: Results, plan: Plan, prerendered: list[tuple[str, int, int, float, float, float]], args: argparse.Namespace) -> None:
    zooms = [z for z in ZOOMS if any(t[0] == z for t in plan.tiles)]
    per_zoom = {z: sum(1 for t in plan.tiles if t[0] == z) for z in zooms}
    ours = [WIJKMONITOR_1, WIJKMONITOR_2]
    print(f"\n!!! {FIXTURE_WARNING}")
    print(f"tiles per zoom: {', '.join(f'z{z} {n}' for z, n in per_zoom.items())} ({len(plan.tiles)} tiles); "
          f"{args.rounds} round(s); `all` = {plan.pairs} indicator x group pairs")
    for selection in SELECTIONS:
        print(f"\ncold p50, {'one indicator' if selection == 'one' else f'all {plan.pairs} pairs'}, ms (min–max of rounds)")
        print(row(["server", *(f"z{z}" for z in zooms)]))
        print(row(["---"] * (len(zooms) + 1)))
        for name in [*ours, POSTGIS, POSTGIS_HTTP, TIPG]:
            cells = results.cold[name][selection]
            if cells:
                print(row([name, *(median_range(cells[z]) for z in zooms)]))
        for name in ours:
            for peer in (POSTGIS, POSTGIS_HTTP, TIPG):
                if results.cold[peer][selection]:
                    print(row([f"{name} ÷ {peer.split()[0]}", *(ratio(results.cold[name][selection][z],
                                                                        results.cold[peer][selection][z]) for z in zooms)]))
    ready = f"; our server ready in {median_range(results.ready[PAIRED])} s" if results.ready[PAIRED] else ""
    print("\ncold p50, wijkmonitor and the PostGIS function tile by tile (each of our tiles, then the function's), "
          f"ms of every tile of every round{ready}")
    print(row(["", *(f"z{z}" for z in zooms)]))
    print(row(["---"] * (len(zooms) + 1)))
    for selection in SELECTIONS:
        pairs = results.paired[selection]
        if pairs:
            ours_ms = {z: [a for a, _ in pairs[z]] for z in zooms}
            sql_ms = {z: [b for _, b in pairs[z]] for z in zooms}
            print(row([f"{selection}: wijkmonitor", *(f"{pct(ours_ms[z], 50):.1f}" for z in zooms)]))
            print(row([f"{selection}: PostGIS function", *(f"{pct(sql_ms[z], 50):.1f}" for z in zooms)]))
            print(row([f"{selection}: ÷", *(f"{pct(ours_ms[z], 50) / pct(sql_ms[z], 50):.2f}×" for z in zooms)]))
    print("\ntile bytes as sent, p50 / max (ours, PostGIS/HTTP and TiPg gzip; PostGIS raw MVT)")
    for name in [*ours, POSTGIS, POSTGIS_HTTP, TIPG]:
        sizes = results.sizes[name]
        if sizes:
            print("  " + f"{name:<28}" + "  ".join(
                f"{s} {pct(sizes[s], 50) / 1024:.1f} / {max(sizes[s]) / 1024:.0f} KB" for s in SELECTIONS))
    print(f"\ncached `one` tiles: req/s (p50 ms), wrk, {args.seconds:g} s per run, Accept-Encoding: gzip")
    print(row(["server", *(f"{c} connection{'s' if c > 1 else ''}" for c in CONCURRENCY),
               *(f"÷ nginx at {c}" for c in CONCURRENCY)]))
    print(row(["---"] * (1 + 2 * len(CONCURRENCY))))
    rate = {name: {c: [f.requests / f.seconds for f in results.cached[name][c]] for c in CONCURRENCY} for name in results.cached}
    for name in [*ours, NGINX, TIPG]:
        if name in results.cached:
            cells = [f"{median_range(rate[name][c], 0)} ({median_range([f.p50_ms for f in results.cached[name][c]], 2)})"
                     for c in CONCURRENCY]
            versus = [ratio(rate[name][c], rate[NGINX][c]) if NGINX in rate else "–" for c in CONCURRENCY]
            print(row([name, *cells, *versus]))
    print("\nfirst tile of each zoom after the server answered (one), then the first with all pairs, ms; ready: s from start")
    print(row(["server", "ready s", *(f"z{z}" for z in ZOOMS), "first all"]))
    print(row(["---"] * (len(ZOOMS) + 3)))
    for name in [*ours, TIPG]:
        if name in results.first:
            print(row([name, median_range(results.ready[name]), *(median_range(results.first[name][z], 0) for z in ZOOMS),
                       median_range(results.first[name]["all"], 0)]))
    for name, restarts in results.restarts.items():
        if any(restarts):
            print(f"  {name}: processes that died and were started again by the supervisor: "
                  f"{', '.join(map(str, restarts))} in the rounds")
    for name, failures in results.failed.items():
        print(f"  {name}: failed in {len(failures)} of {args.rounds} round(s): {failures[0]}")
    if prerendered:
        print("\npre-render: every tile that can hold a buurt, one at a time (ours: RegionTiles.tile in one process; "
              "PostGIS: the SQL function over one connection)")
        print(row(["selection", "zooms", "candidates", "tiles with buurten", "wijkmonitor s (zooms + tiles)",
                   "PostGIS s", "÷ PostGIS", "tiles alone ÷ PostGIS"]))
        print(row(["---"] * 8))
        for selection, candidates, tiles, prepare_seconds, tile_seconds, their_seconds in prerendered:
            total = prepare_seconds + tile_seconds
            print(row([selection, args.prerender_zooms, f"{candidates:,}", f"{tiles:,}",
                       f"{total:.1f} ({prepare_seconds:.1f} + {tile_seconds:.1f})", f"{their_seconds:.1f}",
                       f"{total / their_seconds:.2f}×", f"{tile_seconds / their_seconds:.2f}×"]))
    print("\nmemory after each run, MB (RSS summed over the server's processes / PSS), min–max of rounds")
    for name, memories in results.memory.items():
        print(f"  {name:<30} {median_range([m.rss_mb for m in memories], 0):>11} / "
              f"{median_range([m.pss_mb for m in memories], 0):>11}  ({memories[-1].processes} processes)")


def tool_versions(dsn: str) -> str:
    nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip().removeprefix("nginx version: ")
    tipg = next(Path(ROOT / "build" / "tipg-venv" / "lib").glob("python*/site-packages/tipg-*.dist-info"), None)
    return f"{versions(dsn)}; TiPg {tipg.name.removesuffix('.dist-info').split('-')[1] if tipg else 'not installed'}; {nginx}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiles", type=int, default=200, help="tiles z6-14 asked of every server (default %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every server (default %(default)s)")
    parser.add_argument("--seconds", type=float, default=5.0, help="seconds of wrk per server and concurrency (default %(default)s)")
    parser.add_argument("--prerender-zooms", default="0-14", help="zoom range pre-rendered (default %(default)s)")
    parser.add_argument("--prerender-all", action="store_true", help="pre-render with all pairs too (minutes more)")
    parser.add_argument("--quick", action="store_true", help="for development: 45 tiles, 1 round, 3 s, pre-render z0-10")
    parser.add_argument("--folder", type=Path, default=ROOT / "build" / "bench", help="where the fixture is built and kept")
    args = parser.parse_args()
    if args.quick:
        args.tiles, args.rounds, args.seconds, args.prerender_zooms = 45, 1, 3.0, "0-10"
    missing = postgis_missing() or (None if shutil.which("nginx") and shutil.which("wrk") else "nginx or wrk is missing")
    if missing or not tipg_command(0, 1):
        print(f"{missing or 'TiPg is not installed'}: run `make peers` (scripts/system-packages.sh peers, build/tipg-venv)",
              file=sys.stderr)
        return 1
    print(f"peer bench, {datetime.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; machine: {machine()}; "
          "load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)
    print(f"!!! {FIXTURE_WARNING}", flush=True)
    dataset = buurten_fixture(args.folder, lambda line: print(f"  {line}", flush=True))
    begun = time.monotonic()
    store = open_store(dataset)
    chosen = selections(store)
    settings = Settings()
    planner = RegionTiles(store, settings.tile_extent, settings.tile_buffer)
    tiles, firsts = plan_tiles(planner, args.tiles)
    cluster = Cluster()
    try:
        dsn = cluster.create_database("peers")
        started = time.perf_counter()
        columns = load_table(dsn, store, LEVEL, YEAR)
        print(f"PostGIS table {SCHEMA}.{table_name(LEVEL, YEAR)} from our store: {len(columns)} attribute columns, "
              f"{time.perf_counter() - started:.1f} s; {tool_versions(dsn)}", flush=True)
        plan = Plan(tiles, firsts, {name: s.query_string() for name, s in chosen.items()},
                    {"one": figure_fields(columns, *ONE), "all": columns}, len(chosen["all"].figures()))
        functions = {name: create_function(dsn, LEVEL, YEAR, f"tile_{name}", plan.columns[name],
                                           settings.tile_extent, settings.tile_buffer) for name in SELECTIONS}
        postmaster = int((cluster.folder / "data" / "postmaster.pid").read_text().split()[0])
        results = Results()
        # The machine's pace swings between runs as much as the gap between ours and the function: one more
        # run asks ours and the function for each tile in turn (run_paired).
        with contextlib.ExitStack() as stack:
            beside = {name: stack.enter_context(contextlib.closing(TileCalls(dsn, function))) for name, function in functions.items()}

            def paired(selection: str, tile: Tile) -> tuple[float, bytes]:
                return beside[selection](*tile)

            servers: list[tuple[str, Callable[[Path], object]]] = [
                (WIJKMONITOR_1, lambda folder: run_wijkmonitor(WIJKMONITOR_1, 1, dataset, plan, results, args, folder)),
                (WIJKMONITOR_2, lambda folder: run_wijkmonitor(WIJKMONITOR_2, 2, dataset, plan, results, args, folder)),
                (POSTGIS, lambda folder: run_postgis(functions, dsn, plan, results)),
                (POSTGIS_HTTP, lambda folder: run_postgis_http(functions, dsn, plan, results)),
                (TIPG, lambda folder: run_tipg(dsn, plan, results, args, folder, postmaster)),
                (NGINX, lambda folder: run_nginx(folder / "files", plan, results, args, folder)),
                (PAIRED, lambda folder: run_paired(dataset, plan, results, paired)),
            ]
            with tempfile.TemporaryDirectory(prefix="peers-", dir=args.folder) as scratch:
                folder = Path(scratch)
                folder.chmod(0o755)  # nginx's workers (nobody) read the tile files below it
                for number in range(args.rounds):
                    # Round 1 runs ours first: nginx serves the tiles it sent.
                    order = servers[number % len(servers):] + servers[:number % len(servers)]
                    for name, run in order:
                        print(f"round {number + 1}: {name} (at {time.monotonic() - begun:.0f} s)", flush=True)
                        bodies = run(folder)
                        if name == WIJKMONITOR_1 and number == 0 and isinstance(bodies, dict) and bodies:
                            write_tile_files(folder / "files", plan, bodies["one"])
        lo, hi = (int(z) for z in args.prerender_zooms.split("-"))
        which = SELECTIONS if args.prerender_all else ("one",)
        prerendered = prerender(store, chosen, functions, dsn, range(lo, hi + 1), which)
        print(f"\nmachine: {machine()}, shared with other work: load average at end "
              "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()) + f"; the bench took {time.monotonic() - begun:.0f} s")
        report(results, plan, prerendered, args)
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
