"""`serve --workers 2` on one PostGIS database: client threads ask for tiles and regions while the
dataset is rebuilt; no request fails, each tile has one ETag whichever process answers, and both
processes serve the new build afterwards (/health names the process and the version)."""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

from geodata.build import build_dataset
from geodata.detect import manifest_for_file
from tests.conftest import DEMO, start_serve
from tests.store.cluster import Cluster

SOURCE = DEMO / "data" / "nl_gemeenten_2022_kwb_wgs84.geojson"
URLS = [
    "/tiles/gemeente/7/65/42.mvt?year=2022",
    "/tiles/gemeente/7/66/42.mvt?year=2022",
    "/tiles/gemeente/8/131/84.mvt?year=2022&indicator=inwoners",
    "/regions/GM0344",
    "/regions/GM0363",
]
CLIENTS = 4


def get(base: str, path: str) -> tuple[int, dict[str, str], bytes]:
    """A request on a connection of its own, so that the kernel hands it to either process."""
    request = urllib.request.Request(base + path, headers={"Connection": "close", "Accept-Encoding": "identity"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def health(base: str) -> dict:
    return json.loads(get(base, "/health")[2])


@pytest.fixture
def two_workers(pg_cluster: Cluster, tmp_path: Path) -> Iterator[tuple[str, str, subprocess.Popen[str], Path]]:
    """`serve --workers 2` on a database with a build, once it answers; its output goes to the log."""
    dsn = pg_cluster.create_database("workers")
    build_dataset(manifest_for_file(SOURCE), dsn)
    log = tmp_path / "serve.log"
    server, base = start_serve(dsn, log, "--workers", "2", env={"WIJKMONITOR_RELOAD_CHECK_SECONDS": "0.5"})
    try:
        yield base, dsn, server, log
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(60)


def processes_on(base: str, version: str | None = None) -> set[int]:
    """The processes seen answering /health (with `version`, when given) over a number of requests."""
    seen = set()
    for _ in range(60):
        answer = health(base)
        if version is None or answer["version"] == version:
            seen.add(answer["process"])
    return seen


def test_a_rebuild_under_load_fails_no_request_and_reaches_every_worker(
    two_workers: tuple[str, str, subprocess.Popen[str], Path],
) -> None:
    base, dsn, server, log = two_workers
    before = health(base)["version"]
    while len(processes_on(base)) < 2:  # both have started
        time.sleep(0.2)
    stop = threading.Event()
    failures: list[str] = []
    etags: dict[str, set[str]] = defaultdict(set)
    bodies: dict[str, set[bytes]] = defaultdict(set)
    done = [0] * CLIENTS

    def hammer(client: int) -> None:
        while not stop.is_set():
            for path in URLS:
                try:
                    status, headers, body = get(base, path)
                except OSError as exc:
                    failures.append(f"{path}: {exc}")
                    continue
                if status != 200:
                    failures.append(f"{path}: {status} {body[:200]!r}")
                elif path.startswith("/tiles"):
                    etags[path].add(headers["etag"])
                else:
                    bodies[path].add(body)
                done[client] += 1

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    try:
        build_dataset(manifest_for_file(SOURCE), dsn)  # the same data again: a new version, the same answers
        for _ in range(600):  # a bound, not a speed requirement: each process opens the new build in turn
            after = health(base)["version"]
            if after != before and len(processes_on(base, after)) == 2:
                break
            time.sleep(0.5)
        # The load goes on over the swap: every client asks every path again once both serve the new build.
        at_swap = list(done)
        for _ in range(600):
            if all(now >= then + len(URLS) for now, then in zip(done, at_swap)):
                break
            time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert after != before and len(processes_on(base, after)) == 2, "the new build is not served by both processes"
    assert not failures, failures[:5]
    assert all(now >= then + len(URLS) for now, then in zip(done, at_swap)), "requests before and after the swap"
    assert {path: len(tags) for path, tags in etags.items()} == {path: 1 for path in URLS if path.startswith("/tiles")}
    assert all(len(answers) == 1 for answers in bodies.values())
    assert processes_on(base, before) == set()  # no process serves the old build any more
    # and each process said so in the server's log, with how long it took
    server.terminate()
    server.wait(60)
    said = log.read_text()
    assert len(re.findall(r"reloaded dataset .* in [0-9.]+ s: opened in", said)) == 2, said[-2000:]
