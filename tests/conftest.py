"""Shared fixtures: the embedded demo data built once per test session, and an app on it."""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyogrio
import pytest
from hypothesis import settings as hypothesis_settings
from starlette.applications import Starlette
from starlette.testclient import TestClient

from geodata.build import build_dataset
from geodata.manifest import load_manifest
from geodata.regions import Level
from geodata.report import BuildReport
from settings import Settings
from store import Store, open_store
from web.app import create_app

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo"
DEMO_MANIFEST = DEMO / "wijkmonitor.toml"
# Property tests check invariants, not speed: no per-example deadline, which a loaded machine misses.
hypothesis_settings.register_profile("wijkmonitor", deadline=None)
hypothesis_settings.load_profile("wijkmonitor")

# The project's shared CBS data, present beside the repository in CI and development.
SHARED_DATA = Path(os.environ.get("WIJKMONITOR_SHARED_DATA", ROOT.parent / "shared" / "data"))


def kwb_rows(year: int) -> dict[str, dict[str, str]]:
    """The demo's CBS Kerncijfers CSV for a year, by gwb_code_10: the source to check against."""
    with open(DEMO / "data" / f"utrecht_kwb_{year}.csv", newline="", encoding="utf-8") as f:
        return {row["gwb_code_10"]: row for row in csv.DictReader(f)}


def figure_table(store: Store, level: Level, year: int, group: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(values, statuses) of one level, year and group: a row per region code, a column per catalog indicator."""
    figures = {i: store.figures(level, year, group, i) for i in store.catalog.indicators}
    return (
        pd.DataFrame({i: f.values for i, f in figures.items()}),
        pd.DataFrame({i: f.statuses for i, f in figures.items()}),
    )


def error_of(client: TestClient, url: str) -> tuple[int, str]:
    """(status, parameter) of a request that must fail with our JSON error body, which names
    the parameter at fault and explains it."""
    response = client.get(url)
    body = response.json()
    assert body["detail"], response.text
    return response.status_code, body["parameter"]


def buurten_2014_of(folder: Path, gemeenten: list[str]) -> Path:
    """The features of these gemeenten (GM0344 ...) copied unchanged from the shared national 2014
    buurt layer (statcode, statnaam, rubriek only), whose `where` cannot pick a gemeente."""
    where = " OR ".join(f"statcode LIKE 'BU{code[2:]}%'" for code in gemeenten)
    frame = pyogrio.read_dataframe(SHARED_DATA / "boundaries" / "nl_buurten_2014_wgs84_q1e3.gpkg", where=where)
    path = folder / "buurten_2014.gpkg"
    pyogrio.write_dataframe(frame, path, layer="buurten_2014")
    return path


def build_from_manifest(folder: Path, text: str, name: str = "out.gpkg") -> tuple[Path, BuildReport]:
    """Write `text` as a manifest in `folder` and build it: (the dataset's path, the build report)."""
    manifest = folder / "m.toml"
    manifest.write_text(text)
    output = folder / name
    return output, build_dataset(load_manifest(manifest), output)


def app_on(dataset: Path, store: Store | None = None, tile_workers: int = 0) -> Starlette:
    """The app serving a built dataset, without reload checks (a test's file does not change). Its tiles
    are made by threads unless asked otherwise: the same bytes as a worker's (tests/tiles/test_workers.py),
    without a process holding another copy of the dataset per test."""
    settings = Settings(dataset=dataset, reload_check_seconds=-1, tile_workers=tile_workers)
    return create_app(settings, store or open_store(dataset))


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    output = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    report = build_dataset(load_manifest(DEMO_MANIFEST), output)
    return output, report


@pytest.fixture(scope="session")
def demo_store(demo_build: tuple[Path, object]) -> Store:
    return open_store(demo_build[0])


@pytest.fixture(scope="session")
def client(demo_build: tuple[Path, object], demo_store: Store) -> Iterator[TestClient]:
    # Startup and shutdown: its tile workers start and stop (analysis workers at the first analysis). Tiles come
    # from a worker, as in `serve`.
    with TestClient(app_on(demo_build[0], demo_store, tile_workers=1)) as client:
        yield client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(demo_build: tuple[Path, object], tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo as `wijkmonitor serve` serves it (its HTTP server, its processes), for the real clients."""
    log = tmp_path_factory.mktemp("live-server") / "serve.log"
    server, base = start_serve(str(demo_build[0]), log, env={"WIJKMONITOR_RELOAD_CHECK_SECONDS": "-1"})
    try:
        yield base
    finally:
        server.terminate()
        server.wait(60)


def serve_command(location: str, port: int, *options: str) -> list[str]:
    return [sys.executable, "cli.py", "serve", location, "--port", str(port), *options]


def start_serve(location: str, log: Path, *options: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    """`wijkmonitor serve` on a free port, its output in `log`: the process and its address, once it answers."""
    port = free_port()
    with log.open("w") as output:
        server = subprocess.Popen(
            serve_command(location, port, *options), cwd=ROOT, env={**os.environ, **(env or {})}, stdout=output, stderr=output,
        )
    base = f"http://127.0.0.1:{port}"
    health_of(server, base, log)
    return server, base


def health_of(server: subprocess.Popen, base: str, log: Path) -> dict:
    """The first /health answer of a server being started, however slow the machine; one that stopped says why."""
    while True:
        assert server.poll() is None, f"the server stopped while starting: {log.read_text()}"
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=5) as answer:
                return json.load(answer)
        except OSError:
            time.sleep(0.1)


def ended(pid: int) -> bool:
    """Whether process `pid` ends within a minute, however slow the machine (workers look for their parent
    once a second)."""
    for _ in range(600):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def child_processes(pid: int) -> list[int]:
    return [int(child) for task in Path(f"/proc/{pid}/task").glob("*/children") for child in task.read_text().split()]


def serve_until_it_stops(location: str, workers: int) -> subprocess.CompletedProcess[str]:
    """`wijkmonitor serve` in a process of its own (its supervisor takes signals), until it ends."""
    command = serve_command(location, free_port(), "--workers", str(workers))
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)


def run_browser_check(script: Path, *args: object) -> dict:
    """Run a node script that drives Debian's Chromium (playwright-core); its last line is JSON."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.fail("node and node_modules/playwright-core are needed: run `make install`")
    if not Path("/usr/bin/chromium").exists():
        pytest.fail("Chromium is missing: run scripts/system-packages.sh (make test does)")
    # The timeout only stops a hung browser (page waits give up after 10 minutes), not a slow one.
    done = subprocess.run([node, str(script), *map(str, args)], capture_output=True, text=True, timeout=900, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
