"""Shared fixtures: the embedded demo data built once per test session, and an app on it."""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from starlette.testclient import TestClient

from geodata.build import build_dataset
from geodata.dataset import Dataset, load_dataset
from geodata.manifest import load_manifest
from server import create_app
from settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "demo"
DEMO_MANIFEST = DEMO / "wijkmonitor.toml"
# The project's shared CBS data, present beside the repository in CI and development.
SHARED_DATA = Path(os.environ.get("WIJKMONITOR_SHARED_DATA", ROOT.parent / "shared" / "data"))


def kwb_rows(year: int) -> dict[str, dict[str, str]]:
    """The demo's CBS Kerncijfers CSV for a year, by gwb_code_10: the source to check against."""
    with open(DEMO / "data" / f"utrecht_kwb_{year}.csv", newline="", encoding="utf-8") as f:
        return {row["gwb_code_10"]: row for row in csv.DictReader(f)}


def error_of(client: TestClient, url: str) -> tuple[int, str]:
    """(status, parameter) of a request that must fail with our JSON error body, which names
    the parameter at fault and explains it."""
    response = client.get(url)
    body = response.json()
    assert body["detail"], response.text
    return response.status_code, body["parameter"]


@pytest.fixture(scope="session")
def demo_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    output = tmp_path_factory.mktemp("demo") / "demo.gpkg"
    report = build_dataset(load_manifest(DEMO_MANIFEST), output)
    return output, report


@pytest.fixture(scope="session")
def demo_dataset(demo_build: tuple[Path, object]) -> Dataset:
    return load_dataset(demo_build[0])


@pytest.fixture(scope="session")
def client(demo_build: tuple[Path, object], demo_dataset: Dataset) -> Iterator[TestClient]:
    settings = Settings(dataset=demo_build[0], reload_check_seconds=-1)
    with TestClient(create_app(settings, demo_dataset)) as client:  # startup and shutdown: its analysis workers stop
        yield client


@pytest.fixture(scope="session")
def live_server(demo_build: tuple[Path, object], demo_dataset: Dataset) -> Iterator[str]:
    """The demo app on a real port, for the browser checks."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Settings(dataset=demo_build[0], reload_check_seconds=-1)
    server = uvicorn.Server(uvicorn.Config(create_app(settings, demo_dataset), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


def run_browser_check(script: Path, *args: object) -> dict:
    """Run a node script that drives Debian's Chromium (playwright-core); its last line is JSON."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "playwright-core").is_dir():
        pytest.fail("node and node_modules/playwright-core are needed: run `make install`")
    if not Path("/usr/bin/chromium").exists():
        pytest.fail("Chromium is missing: run scripts/system-packages.sh (make test does)")
    done = subprocess.run([node, str(script), *map(str, args)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])
