"""Analyses cannot freeze the server: a bounded queue answered with 503, worker processes
that leave the event loop free, shared computations and a bounded result cache.

Workers are held on an event the test sets, so every check waits for a state, never for a time."""

from __future__ import annotations

import multiprocessing
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from analysis.workers import AnalysisWorkers
from geodata.errors import AnalysisBusy
from settings import Settings
from store import Store
from tests.analysis.held import held_until, said_then_held
from tests.conftest import ROOT
from web.app import create_app

UTRECHT_BUURTEN = "/analysis/hotspots?indicator=bijstand_per_1000&year=2023&within=GM0344"


@dataclass
class Held:
    """Worker slots taken by tasks that finish when `release` is called."""

    futures: list[Future]
    event: object

    def release(self) -> list[int]:
        self.event.set()
        return [f.result() for f in self.futures]


@pytest.fixture(scope="module")
def app_client(demo_build: tuple[Path, object], demo_store: Store) -> Iterator[TestClient]:
    settings = Settings(
        dataset=demo_build[0], reload_check_seconds=-1, analysis_workers=1, analysis_queue=2, analysis_cache_entries=2
    )
    with TestClient(create_app(settings, demo_store)) as client:
        yield client


@pytest.fixture(scope="module")
def manager() -> Iterator[object]:
    with multiprocessing.get_context("spawn").Manager() as manager:
        yield manager


@pytest.fixture
def hold(app_client: TestClient, manager: object) -> Iterator[Callable[[int], Held]]:
    """hold(n): n of the app's analysis slots taken, the first by the one worker."""
    workers = app_client.app.state.analysis_workers
    held: list[Held] = []

    def take(slots: int) -> Held:
        event = manager.Event()
        held.append(Held([workers.submit(held_until, event, lambda pid: pid) for _ in range(slots)], event))
        return held[-1]

    yield take
    for h in held:
        h.release()


GUARD_SECONDS = 300  # stops a test that would hang; nothing is measured against it


def wait_until(condition: Callable[[], bool]) -> None:
    """Wait for a state another thread or process brings about."""
    deadline = time.monotonic() + GUARD_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "the state never came"
        time.sleep(0.01)


def answered(client: TestClient, url: str) -> Any:
    """The response, asked from another thread, so that a server that cannot answer fails the test."""
    answers: list[Any] = []
    asking = threading.Thread(target=lambda: answers.append(client.get(url)), daemon=True)
    asking.start()
    asking.join(GUARD_SECONDS)
    assert answers, f"no answer to {url}"
    return answers[0]


def test_a_full_queue_answers_503_with_retry_after(app_client: TestClient, hold: Callable[[int], Held]) -> None:
    held = hold(2)
    for url in (
        UTRECHT_BUURTEN + "&permutations=101",
        "/tiles/buurt/12/2105/1351.mvt?year=2023&indicators=bijstand_per_1000&analysis=gi_star&permutations=101",
    ):
        response = app_client.get(url)
        assert response.status_code == 503
        assert int(response.headers["Retry-After"]) > 0
        body = response.json()
        assert body["error"] == "AnalysisBusy" and body["parameter"] == "analysis" and body["detail"]
    held.release()
    assert app_client.get(UTRECHT_BUURTEN + "&permutations=101").status_code == 200


def test_analyses_run_in_a_worker_process_while_the_server_answers(
    app_client: TestClient, hold: Callable[[int], Held]
) -> None:
    tile = "/tiles/buurt/12/2105/1351.mvt?year=2023&indicators=bijstand_per_1000"
    assert app_client.get(tile).status_code == 200
    workers = app_client.app.state.analysis_workers
    held = hold(1)
    answers: list = []
    waiting = threading.Thread(target=lambda: answers.append(app_client.get(UTRECHT_BUURTEN + "&permutations=102")))
    waiting.start()
    wait_until(lambda: workers.status()["running_or_waiting"] == 2)

    # The analysis waits for the held worker; the event loop answers everything else meanwhile.
    assert answered(app_client, "/health").json()["analysis"]["running_or_waiting"] == 2
    assert answered(app_client, tile).status_code == 200
    assert waiting.is_alive() and not answers

    assert held.release() != [os.getpid()]
    waiting.join()
    assert answers[0].status_code == 200 and answers[0].json()["analysis"]["permutations"] == 102


def test_identical_requests_share_one_computation(app_client: TestClient, hold: Callable[[int], Held]) -> None:
    results = app_client.app.state.holder.current().analysis
    workers = app_client.app.state.analysis_workers
    before = results.cache_info()
    held = hold(1)
    answers: list = []
    clients = [
        threading.Thread(target=lambda: answers.append(app_client.get(UTRECHT_BUURTEN + "&permutations=103")))
        for _ in range(3)
    ]
    for c in clients:
        c.start()
    wait_until(lambda: results.cache_info().hits == before.hits + 2)
    assert results.cache_info().misses == before.misses + 1
    assert workers.status()["running_or_waiting"] == 2  # the held task and one analysis
    held.release()
    for c in clients:
        c.join()
    assert [a.status_code for a in answers] == [200] * 3
    assert answers[0].json() == answers[1].json() == answers[2].json()


def test_the_result_cache_is_bounded(app_client: TestClient) -> None:
    results = app_client.app.state.holder.current().analysis
    for permutations in range(110, 115):
        assert app_client.get(f"{UTRECHT_BUURTEN}&permutations={permutations}").status_code == 200
        assert results.cache_info().currsize <= results.maxsize == 2
    misses = results.cache_info().misses
    app_client.get(f"{UTRECHT_BUURTEN}&permutations=114")  # kept
    app_client.get(f"{UTRECHT_BUURTEN}&permutations=110")  # evicted: computed again
    assert results.cache_info().misses == misses + 1


@pytest.mark.parametrize("at_start", [False, True])
def test_the_analysis_workers_start_at_the_first_analysis_or_with_the_server(
    demo_build: tuple[Path, object], demo_store: Store, at_start: bool
) -> None:
    """Until the first analysis the server holds no worker (about 300 MB), unless told to start them with it."""
    settings = Settings(dataset=demo_build[0], reload_check_seconds=-1, tile_workers=0, analysis_at_start=at_start)
    with TestClient(create_app(settings, demo_store)) as client:
        workers = client.app.state.analysis_workers

        def state() -> tuple[bool, bool, int]:
            health = client.get("/health").json()["analysis"]
            return health["started"], health["ready"], len(workers._executor._processes)

        if at_start:
            wait_until(lambda: state() == (True, True, 1))
        else:
            assert state() == (False, False, 0)
        assert client.get(UTRECHT_BUURTEN).status_code == 200
        assert state() == (True, True, 1)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_idle_workers_stop_and_the_next_analysis_starts_new_ones(manager: object) -> None:
    """After `idle_seconds` without an analysis the workers give their memory back; an analysis running
    or waiting keeps them, and the next one starts new workers."""
    workers = AnalysisWorkers(1, 2, Settings().analysis_kernel_cache, idle_seconds=0.2)
    try:
        event = manager.Event()
        first = workers.submit(held_until, event, lambda pid: pid)
        wait_until(lambda: bool(workers._executor._processes))
        (pid,) = workers._executor._processes
        assert workers.status()["started"]
        event.set()
        assert first.result(GUARD_SECONDS) == pid
        wait_until(lambda: not workers.status()["started"] and not alive(pid))
        again = manager.Event()
        again.set()
        assert workers.submit(held_until, again, lambda p: p).result(GUARD_SECONDS) not in (pid, None)
        assert workers.status()["started"]
    finally:
        workers.shutdown()


def test_stopping_the_server_stops_a_running_analysis(manager: object) -> None:
    """A server asked to stop (a deploy, systemd) does not wait for an analysis nobody will read."""
    workers = AnalysisWorkers(1, 2, Settings().analysis_kernel_cache)
    started, never = manager.Event(), manager.Event()  # never set: the analysis would run until the test process ends
    running = workers.submit(said_then_held, (started, never), lambda pid: pid)
    waiting = workers.submit(held_until, never, lambda pid: pid)
    # Running in the worker, not only queued: a busy machine once stopped the pool before it was sent,
    # and a task still in the queue is cancelled instead.
    assert started.wait(GUARD_SECONDS), "the analysis did not start"
    (pid,) = workers._executor._processes
    stopping = threading.Thread(target=workers.shutdown, daemon=True)
    stopping.start()
    stopping.join(GUARD_SECONDS)
    assert not stopping.is_alive(), "shutdown waited for the analysis"
    with pytest.raises(AnalysisBusy):
        running.result(GUARD_SECONDS)
    assert waiting.cancelled() or isinstance(waiting.exception(GUARD_SECONDS), AnalysisBusy)
    assert not alive(pid)


def test_the_server_imports_neither_pysal_nor_mapclassify() -> None:
    """PySAL runs in the analysis workers, mapclassify only for Fisher-Jenks and natural breaks: the
    server and its default (quantile) classes load neither, nor scikit-learn (together about 200 MB)."""
    heavy = ("esda", "libpysal", "mapclassify", "sklearn")
    script = (
        "import sys, cli, web.app\n"
        "from styles.classify import classify\n"
        "values = [float(v) for v in range(40)]\n"
        "classify(values, 'quantiles', 5), classify(values, 'equal_interval', 5), classify(values, 'user', 0, [10])\n"
        f"print(*[m for m in {heavy!r} if m in sys.modules])\n"
        "classify(values, 'fisher_jenks', 5)\n"
        f"print(*[m for m in {heavy!r} if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    server, after_fisher_jenks = done.stdout.splitlines()
    assert server == ""
    assert after_fisher_jenks == "mapclassify sklearn"
