"""Tile worker processes (tiles.workers): the tiles they make are the tile threads' bytes, sent by a pipe
of their own, not the pool's queue; a worker that dies or that cannot open the
served version hands the tile to a thread, and no request fails; a rebuilt dataset reaches the workers
before it is served."""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import os
import pickle
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path

import pytest
from starlette.testclient import TestClient

import tiles.workers
from geodata.errors import DatasetError
from geodata.regions import Level
from geodata.selection import parse_selection
from settings import Settings
from store import Store
from store.gpkg import GeoPackageStore
from tests.conftest import app_on, ended
from tiles.region_tiles import RegionTiles, Usage
from tiles.workers import LARGEST_SENT, StaleVersion, _TileChannel, merged_usage, send_one_at_a_time
from web.app import create_app
from web.holder import DatasetHolder

ROOT = Path(__file__).resolve().parents[2]
# Utrecht at z12-14, and the RD New tiles over it: each made by a worker in one app, by a thread in the other.
TILES = [
    "/tiles/buurt/14/8423/5403.mvt",
    "/tiles/buurt/13/4211/2702.mvt?year=2023",
    "/tiles/wijk/12/2105/1351.mvt?group=totaal,vrouw",
    "/tiles/buurt/12/2105/1350.mvt?indicators=inwoners,bevolkingsdichtheid&year=2024",
    "/ogc/collections/buurt_2024/tiles/NetherlandsRDNewQuad/9/260/244",
]


def worker_app(dataset: Path, **settings: object) -> TestClient:
    return TestClient(create_app(Settings(dataset=str(dataset), tile_workers=1, **settings)))


def wait_until_ready(holder: DatasetHolder) -> None:
    """Until the tile workers have prepared the served version (a hang guard of 10 minutes)."""
    deadline = time.monotonic() + 600
    while not holder.tile_workers_ready:
        assert time.monotonic() < deadline
        time.sleep(0.1)


@contextmanager
def serving_a_copy(demo_build: tuple[Path, object], tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    """An app with a tile worker on a copy of the demo, which a test may rebuild; its workers ready."""
    path = tmp_path / "served.gpkg"
    shutil.copy(demo_build[0], path)
    with worker_app(path, reload_check_seconds=0) as client:
        wait_until_ready(client.app.state.holder)
        yield client, path


def worker_pids(client: TestClient) -> set[int]:
    return client.app.state.holder.tile_workers.pids()


def test_worker_tiles_are_the_thread_tiles(demo_build: tuple[Path, object], client: TestClient) -> None:
    assert client.app.state.holder.settings.tile_workers == 1  # the session's client makes tiles in a worker
    with TestClient(app_on(demo_build[0])) as threads:
        assert threads.app.state.holder.settings.tile_workers == 0
        for url in TILES:
            by_worker, by_thread = client.get(url), threads.get(url)
            assert by_worker.status_code == by_thread.status_code == 200, url
            assert by_worker.content == by_thread.content and by_worker.headers["etag"] == by_thread.headers["etag"], url
            gzipped = client.get(url, headers={"Accept-Encoding": "gzip"})  # the worker's gzip, kept with the tile
            assert gzipped.headers["content-encoding"] == "gzip" and gzipped.content == by_thread.content
    assert worker_pids(client), "the tiles were made in a worker process"
    while not client.get("/health").json()["tile_workers"]["ready"]:  # the zooms are prepared after these tiles
        time.sleep(0.2)
    assert client.get("/health").json()["tile_workers"] == {"workers": 1, "ready": True}
    # Ready means every zoom of each level's latest year is prepared: no first tile of a zoom waits for it,
    usage = client.app.state.holder.tile_workers.usage()
    prepared, store = dict(usage.geometry), client.app.state.holder.current().store
    for level, years in store.availability.years.items():
        assert prepared[("WebMercatorQuad", level, years[-1])] == tuple(range(client.app.state.holder.settings.max_zoom + 1))
        # and every figure with data there: the first map of every group does not make 100 columns
        figures = {(i, g) for lv, year, g, i in usage.figures if (lv, year) == (level, years[-1])}
        available = store.availability.indicators_with_data(level, years[-1])
        assert figures == {(i, g) for i, groups in available.items() for g in groups} and figures


def _released_in_worker() -> list[bool]:
    """Run in a tile worker: whether each dataset it holds has freed its figure table."""
    from tiles.workers import _datasets

    return [bool(tiles.store._released) for tiles in _datasets.values()]


def _loaded_loops_in_worker() -> dict[str, int]:
    """Run in a tile worker: how many compiled versions of each MVT loop it has loaded."""
    from tiles import kernels

    return {name: len(getattr(kernels, name).overloads) for name in ("gather_streams", "layer_tags", "feature_messages")}


def test_a_ready_worker_has_loaded_the_compiled_loops(demo_build: tuple[Path, object], demo_store: Store) -> None:
    """numba loads a compiled loop on its first call (about 25 ms for a tile's three): a worker does so
    while it prepares, so the first tile a map asks for does not pay it."""
    with TestClient(app_on(demo_build[0], demo_store, tile_workers=1)) as fresh:
        holder = fresh.app.state.holder
        wait_until_ready(holder)
        loaded = holder.tile_workers._workers[0].pool.submit(_loaded_loops_in_worker).result()
    assert loaded == {"gather_streams": 1, "layer_tags": 1, "feature_messages": 1}


def test_a_ready_worker_has_freed_the_figure_table_and_makes_every_year_and_group_from_its_columns(
    demo_build: tuple[Path, object], client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    """Once ready, a worker holds every figure with data as tile columns, and no figure table (190 MB
    of a worker's 510 on national buurten): tiles of other years and of every group are still the bytes
    a thread makes from the table, made by the worker, not handed to a thread because it failed."""
    holder = client.app.state.holder
    wait_until_ready(holder)
    assert holder.tile_workers._workers[0].pool.submit(_released_in_worker).result()[-1] is True
    urls = [
        "/tiles/buurt/13/4212/2702.mvt?year=2023&group=totaal,vrouw,herkomst_buiten_europa,woning_huur",
        "/tiles/gemeente/8/131/84.mvt?year=2015&group=totaal,man_leeftijd_25_29,migratie_marokko",
        "/tiles/wijk/10/526/337.mvt?year=2023&group=leeftijd_65_plus",
        "/tiles/gemeente/7/65/42.mvt?year=2022&group=totaal,migratie_turkije",
    ]
    with TestClient(app_on(demo_build[0])) as threads, caplog.at_level(logging.WARNING, logger="wijkmonitor"):
        for url in urls:
            by_worker, by_thread = client.get(url), threads.get(url)
            assert by_worker.status_code == by_thread.status_code == 200, (url, by_worker.text)
            assert by_worker.content == by_thread.content and len(by_worker.content) > 1000, url
    assert not [r.getMessage() for r in caplog.records if "tile worker" in r.getMessage()]


def test_preparation_goes_one_task_at_a_time_so_a_tile_waits_behind_one_at_most() -> None:
    done: list[str] = []
    running, release = threading.Event(), threading.Event()

    def prepare(name: str, zoom: int) -> None:
        running.set()
        release.wait(30)
        done.append(f"{name} z{zoom}")

    with ThreadPoolExecutor(1) as pool:  # a worker's pool of one, first come first served
        sender = threading.Thread(target=send_one_at_a_time, args=(pool, [(prepare, z) for z in range(3)], ("buurt",), threading.Event()))
        sender.start()
        running.wait(30)  # the first task runs; the others are not sent yet
        tile = pool.submit(done.append, "tile")
        release.set()
        tile.result()
        sender.join()
    assert done == ["buurt z0", "tile", "buurt z1", "buurt z2"]

    # stopped (a rebuild's new workers take over), nothing more is sent; a failure ends the sending too
    stop, errors = threading.Event(), []
    with ThreadPoolExecutor(1) as pool:
        stop.set()
        send_one_at_a_time(pool, [(done.append, "never")], (), stop, errors)
        send_one_at_a_time(pool, [(int, "x"), (done.append, "after a failure")], (), threading.Event(), errors)
    assert done[-1] == "buurt z2" and [type(e) for e in errors] == [ValueError]


def _wait_for(path: str, seconds: float) -> bool:
    """Run in a tile worker's pool: busy until the file exists (True) or `seconds` have passed (False)."""
    deadline = time.monotonic() + seconds
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_tiles_go_by_a_pipe_of_their_own_not_the_pools_queue(
    demo_build: tuple[Path, object], tmp_path: Path
) -> None:
    release = tmp_path / "release"
    with worker_app(demo_build[0], reload_check_seconds=-1) as client, TestClient(app_on(demo_build[0])) as threads:
        wait_until_ready(client.app.state.holder)
        busy = client.app.state.holder.tile_workers._workers[0].pool.submit(_wait_for, str(release), 120)
        try:
            for url in TILES[:4]:  # made by the worker while its pool's queue waits (by the pool: after 120 s)
                answer = client.get(url)
                assert answer.status_code == 200 and answer.content == threads.get(url).content, url
            assert not busy.done()
        finally:
            release.touch()
        assert busy.result() is True


def _hold_ends(tasks: object, answers: object) -> None:
    """A worker that takes a channel's ends and answers nothing until it is killed."""
    time.sleep(600)


def _answer_each(tasks: Connection, answers: Connection) -> None:
    """A worker that answers each task (text, times) with the text that many times."""
    while True:
        try:
            ident, (text, times) = pickle.loads(tasks.recv_bytes())
        except EOFError:
            return
        answers.send_bytes(pickle.dumps((ident, True, text * times)))


def _spinning(tasks: Connection, answers: Connection) -> None:
    """The tile thread's loop (run here in the main thread), looking for its next tile for 600 s after each."""
    tiles.workers._make_sent_tiles(tasks, answers, spin_seconds=600.0)


@contextmanager
def answers_read_by(reader: str) -> Iterator[asyncio.AbstractEventLoop | None]:
    """None (a channel's own thread reads its answers), or an event loop running in a thread, as the app's."""
    if reader == "thread":
        yield None
        return
    loop = asyncio.new_event_loop()
    running = threading.Thread(target=loop.run_forever, daemon=True)
    running.start()
    try:
        yield loop
    finally:
        loop.call_soon_threadsafe(loop.stop)
        running.join()
        loop.close()


def channel_to(target: Callable[[Connection, Connection], None], loop: asyncio.AbstractEventLoop | None) -> tuple[_TileChannel, multiprocessing.Process]:
    channel = _TileChannel(loop)
    worker = multiprocessing.get_context("spawn").Process(target=target, args=(channel.worker_tasks, channel.worker_answers))
    worker.start()
    channel.opened()
    return channel, worker


@pytest.mark.parametrize("reader", ["thread", "event loop"])
def test_a_channel_reads_each_answer_whole_whatever_its_size(reader: str) -> None:
    times = (1, 3 << 20, 5, 7)  # 6 MiB between small ones: read in pieces, and several answers in one read
    with answers_read_by(reader) as loop:
        channel, worker = channel_to(_answer_each, loop)
        try:
            futures = [channel.send((b"ab", n)) for n in times]
            assert [future.result(timeout=600) for future in futures] == [b"ab" * n for n in times]
        finally:
            channel.close()
            worker.join()


@pytest.mark.parametrize("reader", ["thread", "event loop"])
def test_a_channel_whose_worker_dies_fails_the_tiles_it_waits_for_and_takes_no_more(reader: str) -> None:
    with answers_read_by(reader) as loop:
        channel, worker = channel_to(_hold_ends, loop)
        try:
            waiting = channel.send(("a location", "a version"))
            assert waiting is not None and not waiting.done()
            assert channel.send(("x" * (LARGEST_SENT + 1),)) is None  # for the pool
        finally:
            worker.kill()
            worker.join()
        with pytest.raises(BrokenProcessPool):
            waiting.result(timeout=600)
        assert channel.ended and channel.send(("a location", "a version")) is None


def test_a_worker_spinning_for_its_next_tile_makes_it_and_ends_when_the_server_closes_the_pipe(tmp_path: Path) -> None:
    """After a tile the worker looks for the next one before it sleeps (settings.tile_worker_spin_ms; here
    longer than the test may take): a tile sent meanwhile is made, and a closed pipe ends it at once."""
    with answers_read_by("event loop") as loop:
        channel, worker = channel_to(_spinning, loop)
        try:
            missing = (str(tmp_path / "missing.gpkg"), "a version", None, "WebMercatorQuad", 0, 0, 0, None)
            for _ in range(2):  # the second sent while the worker spins after the first
                sent = channel.send(missing)
                assert sent is not None
                with pytest.raises(DatasetError, match="missing.gpkg: dataset not found"):
                    sent.result(timeout=600)
        finally:
            channel.close()
            worker.join(timeout=300)  # a hang guard: it would spin for 600 s
        assert worker.exitcode == 0


def test_a_killed_worker_is_replaced_and_its_tile_made_by_a_thread(
    demo_build: tuple[Path, object], caplog: pytest.LogCaptureFixture
) -> None:
    with worker_app(demo_build[0], reload_check_seconds=-1) as client, TestClient(app_on(demo_build[0])) as threads:
        assert client.get(TILES[0]).status_code == 200
        (pid,) = worker_pids(client)
        os.kill(pid, signal.SIGKILL)
        with caplog.at_level(logging.WARNING, logger="wijkmonitor"):
            answer = client.get(TILES[1])
        assert answer.status_code == 200 and answer.content == threads.get(TILES[1]).content
        assert any("tile worker failed" in r.message for r in caplog.records)
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="wijkmonitor"):
            assert client.get(TILES[2]).content == threads.get(TILES[2]).content
        assert not any("tile worker failed" in r.message for r in caplog.records)
        assert worker_pids(client) and pid not in worker_pids(client)


def test_a_rebuild_reaches_the_workers_and_a_build_replaced_while_opened_is_skipped(
    demo_build: tuple[Path, object], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "served.gpkg"
    shutil.copy(demo_build[0], path)
    with worker_app(path, reload_check_seconds=0) as client:
        holder = client.app.state.holder
        assert client.get(TILES[0]).status_code == 200
        first = client.get("/health").json()["version"]
        os.utime(path, (2, 2))  # a new version of the file
        client.get("/health")  # notices it; the reload opens it here and in the worker before the swap
        holder.reloading().join()
        second = client.get("/health").json()["version"]
        assert second != first
        with caplog.at_level(logging.WARNING, logger="wijkmonitor"):
            assert client.get(TILES[1]).status_code == 200
        assert not any("tile worker failed" in r.message for r in caplog.records), "the worker had the new version"

        # Another build lands between the server opening the file and the worker opening it: the build in
        # between is never served (nor called broken), and the next look serves the newest.
        holder.settings = Settings(dataset=str(path), tile_workers=1, reload_check_seconds=-1)
        prepare = holder.tile_workers.prepare

        def another_build_first(location: str, version: str, before_swap: object = None) -> None:
            os.utime(path, (4, 4))
            prepare(location, version, before_swap)

        holder.tile_workers.prepare = another_build_first
        os.utime(path, (3, 3))
        holder._reload(str(path), "third")
        health = client.get("/health").json()
        assert health["version"] == second and health["last_reload_error"] is None
        holder.tile_workers.prepare = prepare
        holder.settings = Settings(dataset=str(path), tile_workers=1, reload_check_seconds=0)
        client.get("/health")  # notices the newest build
        holder.reloading().join()
        fourth = client.get("/health").json()["version"]
        assert fourth not in (first, second) and client.get("/health").json()["last_reload_error"] is None
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="wijkmonitor"):
            assert client.get(TILES[2]).status_code == 200
        assert not any("tile worker failed" in r.message for r in caplog.records), "the worker kept the newest build"

        # A new worker that finds a version the server does not serve (it has not looked yet): a thread makes it.
        holder.settings = Settings(dataset=str(path), tile_workers=1, reload_check_seconds=-1)
        (pid,) = worker_pids(client)
        os.kill(pid, signal.SIGKILL)
        assert client.get(TILES[3]).status_code == 200  # made by a thread; the worker is replaced
        os.utime(path, (5, 5))
        with caplog.at_level(logging.WARNING, logger="wijkmonitor"):
            answer = client.get(TILES[4])
        assert answer.status_code == 200
        assert any("holds version" in r.message for r in caplog.records)


def test_a_rebuild_makes_the_tiles_asked_last_before_it_is_swapped_in(
    demo_build: tuple[Path, object], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The maps open on the server ask for their tiles again as soon as a rebuild is served: the new
    tile workers make them first, so that they are cached (and their requests remembered) at the swap."""
    path = tmp_path / "served.gpkg"
    shutil.copy(demo_build[0], path)
    with worker_app(path, reload_check_seconds=0) as client:
        holder = client.app.state.holder
        asked = {url: client.get(url).content for url in TILES[:4]}
        client.get("/tiles/buurt/14/8423/5403.mvt?analysis=gi_star&indicators=bijstand_per_1000&year=2023")
        wait_until_ready(holder)
        before = holder.current()
        os.utime(path, (2, 2))  # a new version of the file
        with caplog.at_level(logging.INFO, logger="wijkmonitor"):
            client.get("/health")
            holder.reloading().join()
        after = holder.current()
        assert after is not before and after.store.version != before.store.version
        assert any("made 4 tiles of the new version before the swap, for 4 remembered requests" in r.getMessage() for r in caplog.records)
        for url, body in asked.items():
            path_part, _, query = url.partition("?")
            key = after.request_keys[(path_part, query.encode())]
            assert after.cache.get(key).body == body  # the same file: the same bytes
        misses = after.cache.misses
        assert [client.get(url).content for url in asked] == list(asked.values())
        assert after.cache.misses == misses  # answered from the cache, none made again


def test_a_rebuild_prepares_what_the_served_version_was_asked_while_it_prepared(
    demo_build: tuple[Path, object], tmp_path: Path
) -> None:
    """Preparing a rebuild takes minutes under load, and maps go on asking meanwhile: a zoom of a year
    other than the latest, first asked then, is prepared by the new workers before the swap too, not by
    the first cold tiles after it (which all waited behind it: up to 29 s in the load bench)."""
    with serving_a_copy(demo_build, tmp_path) as (client, path):
        holder = client.app.state.holder
        workers, served = holder.tile_workers, holder.current()
        older = ("WebMercatorQuad", Level.buurt, 2023)  # not the latest year: not prepared unless asked
        assert older not in dict(workers.usage().geometry)
        prepare_rest = workers._prepare_rest

        def asked_meanwhile(*arguments: object, **keywords: object) -> list[threading.Thread]:
            threads = prepare_rest(*arguments, **keywords)  # the new workers prepare; the current ones serve:
            selection = parse_selection(served.store.availability, served.store.catalog, "buurt", {"year": "2023"})
            assert workers.submit(str(path), served.store.version, selection, "WebMercatorQuad", 11, 1052, 675).result()[0]
            return threads

        workers._prepare_rest = asked_meanwhile
        os.utime(path, (2, 2))  # a new version of the file
        client.get("/health")
        holder.reloading().join()
        assert holder.current().store.version != served.store.version
        assert dict(holder.tile_workers.usage().geometry)[older] == (11,)


def test_a_tile_of_the_version_before_sent_right_after_the_swap_goes_to_the_workers_that_have_it(
    demo_build: tuple[Path, object], tmp_path: Path
) -> None:
    """The server swaps its dataset just after the tile workers: a request that read the old one may send
    its tile in between. The replaced workers make it; the new ones neither fail on it nor open the whole
    dataset again, which replaced their prepared copy with a bare one, so that every cold tile after
    the swap prepared its zoom again (a 26 s stall and 5 timeouts in the load bench)."""
    with serving_a_copy(demo_build, tmp_path) as (client, path):
        holder = client.app.state.holder
        workers, served = holder.tile_workers, holder.current()
        selection = parse_selection(served.store.availability, served.store.catalog, "buurt", {})
        expected = served.tiles.tile(selection, 14, 8423, 5403)
        prepare, sent = workers.prepare, []

        def then_an_old_request(location: str, version: str, before_swap: object = None) -> None:
            prepare(location, version, before_swap)  # the workers are swapped; the server is not yet
            sent.append(workers.submit(str(path), served.store.version, selection, "WebMercatorQuad", 14, 8423, 5403).result())

        workers.prepare = then_an_old_request
        os.utime(path, (2, 2))  # a new version of the file
        client.get("/health")
        holder.reloading().join()
        assert holder.current().store.version != served.store.version
        assert sent and sent[0][0] == expected  # made by the workers that have the old version
        latest = holder.current().store.availability.latest
        prepared = dict(workers.usage().geometry)  # the new workers still hold what they prepared
        for level, year in latest:
            assert prepared[("WebMercatorQuad", level, year)] == tuple(range(holder.settings.max_zoom + 1))


def test_a_worker_asked_for_a_version_it_does_not_have_keeps_the_one_it_prepared(
    demo_build: tuple[Path, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tiles.workers, "_datasets", {})
    monkeypatch.setattr(tiles.workers, "_stale", {})
    monkeypatch.setitem(tiles.workers._settings, "extent", 4096)
    monkeypatch.setitem(tiles.workers._settings, "buffer", 64)
    location = str(demo_build[0])
    with pytest.raises(StaleVersion):
        tiles.workers._open(location, "asked-before-it-was-known")
    ((version, prepared),) = tiles.workers._datasets.items()
    with pytest.raises(StaleVersion):
        tiles.workers._open(location, "replaced-long-ago")
    assert tiles.workers._datasets == {version: prepared}  # not a bare copy opened again
    assert tiles.workers._open(location, version) is prepared


def test_the_usage_of_several_workers_is_what_any_of_them_made() -> None:
    key = ("WebMercatorQuad", Level.buurt, 2023)
    first = Usage(((key, (10, 12)),), ((Level.buurt, 2023, "totaal", "inwoners"),))
    second = Usage(((key, (11, 12)), (("WebMercatorQuad", Level.wijk, 2024), (8,))), ((Level.buurt, 2023, "totaal", "inwoners"), (Level.wijk, 2024, "vrouw", "inwoners")))
    assert merged_usage([first, second]) == Usage(
        ((key, (10, 11, 12)), (("WebMercatorQuad", Level.wijk, 2024), (8,))),
        ((Level.buurt, 2023, "totaal", "inwoners"), (Level.wijk, 2024, "vrouw", "inwoners")),
    )


def test_a_new_version_prepares_what_the_one_before_was_asked(demo_store: Store) -> None:
    before, after = RegionTiles(demo_store), RegionTiles(demo_store)
    selection = parse_selection(demo_store.availability, demo_store.catalog, "buurt", {"year": "2023", "indicators": "inwoners"})
    made = before.tile(selection, 14, 8423, 5403)
    assert made  # a tile with Utrecht's buurten, whose geometry at z14 and figure column `before` now holds
    after.prepare(before.usage())
    geometry = after.geometry(Level.buurt, 2023)
    assert geometry.prepared_zooms() == [14]
    assert set(after.usage().figures) == set(before.usage().figures) == {(Level.buurt, 2023, "totaal", "inwoners")}
    assert after.tile(selection, 14, 8423, 5403) == made


def test_workers_end_with_a_killed_server(demo_build: tuple[Path, object], tmp_path: Path) -> None:
    """A server killed outright cannot stop its workers: they end themselves (children.exit_with_parent)."""
    script = tmp_path / "server.py"
    script.write_text(
        "import time\n"
        "from starlette.testclient import TestClient\n"
        "from settings import Settings\n"
        "from web.app import create_app\n"
        "if __name__ == '__main__':  # the worker is spawned: it imports this file too\n"
        f"    client = TestClient(create_app(Settings(dataset={str(demo_build[0])!r}, tile_workers=1)))\n"
        f"    assert client.get({TILES[0]!r}).status_code == 200\n"
        "    print(*client.app.state.holder.tile_workers.pids(), flush=True)\n"
        "    time.sleep(600)\n"
    )
    server = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        (pid,) = map(int, server.stdout.readline().split())  # the worker made the tile
        os.kill(pid, 0)
        server.kill()
        server.wait()
        assert ended(pid), f"tile worker {pid} outlived its server"
    finally:
        server.kill()


def test_a_server_that_exits_without_stopping_its_workers_exits(demo_build: tuple[Path, object], tmp_path: Path) -> None:
    """An app whose lifespan never ran (no shutdown): its workers, one of which has been sent tiles by its
    pipe, end with the interpreter, and so does the process."""
    script = tmp_path / "server.py"
    script.write_text(
        "from starlette.testclient import TestClient\n"
        "from settings import Settings\n"
        "from web.app import create_app\n"
        "if __name__ == '__main__':  # the worker is spawned: it imports this file too\n"
        f"    client = TestClient(create_app(Settings(dataset={str(demo_build[0])!r}, tile_workers=1)))\n"
        f"    for url in {TILES[:3]!r}:  # the first by the pool, which spawns the worker, the others by its pipe\n"
        "        assert client.get(url).status_code == 200\n"
        "    assert client.app.state.holder.tile_workers._workers[0].channel.open\n"
        "    print('made', flush=True)\n"
    )
    done = subprocess.run(  # timeout: a hang guard
        [sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0 and done.stdout.strip() == "made", done.stderr[-2000:]


def test_workers_load_the_tile_loops_compiled_by_a_process_of_their_own(demo_build: tuple[Path, object], tmp_path: Path) -> None:
    """With numba's cache empty, the workers do not compile the tile loops themselves (a process that compiles
    keeps the compiler's memory, ~110 MB, until it ends): tiles.loops compiles them in a process that ends
    while the workers open the dataset, and the workers load every loop their tiles call from the cache."""
    script = tmp_path / "server.py"
    script.write_text(
        "import json, time\n"
        "import numba\n"
        "from starlette.testclient import TestClient\n"
        "from settings import Settings\n"
        "from web.app import create_app\n"
        "def loops(outcome):\n"
        "    from tiles import clip, kernels\n"
        "    return sorted(f'{module.__name__}.{name}' for module in (clip, kernels) for name, loop in vars(module).items()\n"
        "                  if isinstance(loop, numba.core.registry.CPUDispatcher) and getattr(loop.stats, outcome))\n"
        "if __name__ == '__main__':  # the worker is spawned: it imports this file too\n"
        f"    with TestClient(create_app(Settings(dataset={str(demo_build[0])!r}, tile_workers=1))) as client:\n"
        "        holder = client.app.state.holder\n"
        "        while not holder.tile_workers_ready:\n"
        "            time.sleep(0.1)\n"
        f"        for url in {TILES!r}:\n"
        "            assert client.get(url).status_code == 200\n"
        "        worker = holder.tile_workers._workers[0]\n"
        "        print(json.dumps([worker.submit(loops, 'cache_misses').result(), worker.submit(loops, 'cache_hits').result()]))\n"
    )
    done = subprocess.run(  # timeout: a hang guard (a first compile takes 30-40 s on 2 cores)
        [sys.executable, str(script)], capture_output=True, text=True, cwd=ROOT, timeout=600,
        env={**os.environ, "PYTHONPATH": str(ROOT), "NUMBA_CACHE_DIR": str(tmp_path / "numba")},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    compiled, loaded = json.loads(done.stdout.splitlines()[-1])
    assert compiled == []
    assert {"tiles.clip.clip_rings", "tiles.kernels.gather_streams", "tiles.kernels.feature_messages", "tiles.kernels.label_streams"} <= set(loaded)


class ShownElsewhere(GeoPackageStore):
    """A store whose `location` is for showing only, as a database's is (without its password)."""

    @property
    def location(self) -> str:
        return "postgresql://wijkmonitor:***@db/wijkmonitor"


def test_workers_and_reloads_open_the_dataset_setting_not_the_shown_location(
    demo_build: tuple[Path, object], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "served.gpkg"
    shutil.copy(demo_build[0], path)
    settings = Settings(dataset=str(path), tile_workers=1, reload_check_seconds=0)
    with TestClient(create_app(settings, ShownElsewhere.open(path))) as client, caplog.at_level(logging.WARNING):
        assert client.get(TILES[0]).status_code == 200
        version = client.get("/health").json()["version"]
        os.utime(path, (2, 2))
        client.get("/health")
        client.app.state.holder.reloading().join()
        health = client.get("/health").json()
        assert health["version"] != version and health["last_reload_error"] is None
        assert client.get(TILES[1]).status_code == 200
    assert not [r.message for r in caplog.records if r.levelno >= logging.WARNING]


def test_stopping_while_the_tile_workers_prepare_logs_no_error(
    demo_build: tuple[Path, object], demo_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """A server stopped just after it started (the tile workers still preparing) does not say that
    they could not open its dataset: nothing is wrong with it."""
    with caplog.at_level(logging.INFO, logger="wijkmonitor"), TestClient(app_on(demo_build[0], demo_store, tile_workers=1)):
        pass
    for thread in threading.enumerate():
        if thread.name == "tile-workers":
            thread.join(300)  # a hang guard: the preparing thread ends once the workers are gone
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
