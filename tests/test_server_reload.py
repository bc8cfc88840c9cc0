"""A rebuilt dataset is picked up; a broken one leaves the previous data serving.

The server opens a new build in a background thread while requests go on with the old data;
`health_after_reload` makes a request that notices the change and waits for that thread."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

from starlette.testclient import TestClient

from settings import Settings
from web.app import create_app


def health_after_reload(client: TestClient) -> dict:
    client.get("/health")  # notices the new file and starts opening it
    loading = client.app.state.holder.reloading()
    if loading is not None:
        loading.join()
    return client.get("/health").json()


def test_broken_new_file_keeps_the_old_data(demo_build: tuple[Path, object], tmp_path: Path) -> None:
    path = tmp_path / "served.gpkg"
    shutil.copy(demo_build[0], path)
    client = TestClient(create_app(Settings(dataset=path, reload_check_seconds=0)))
    version = client.get("/health").json()["version"]

    path.write_bytes(b"not a geopackage")  # e.g. a copy that went wrong
    os.utime(path, (1, 1))
    health = health_after_reload(client)
    assert health["version"] == version
    assert "not a wijkmonitor dataset" in health["last_reload_error"]
    assert client.get("/tiles/buurt/13/4211/2702.mvt?year=2023").status_code == 200

    shutil.copy(demo_build[0], path)  # a good rebuild
    os.utime(path, (2, 2))
    health = health_after_reload(client)
    assert health["version"] != version and health["last_reload_error"] is None


def test_a_broken_file_is_tried_once_and_requests_never_wait_for_a_reload(demo_build: tuple[Path, object], tmp_path: Path) -> None:
    path = tmp_path / "served.gpkg"
    shutil.copy(demo_build[0], path)
    client = TestClient(create_app(Settings(dataset=path, reload_check_seconds=0)))
    holder = client.app.state.holder
    opened: list[str] = []
    release = threading.Event()
    original = holder._reload

    def slow_reload(*args: object) -> None:
        opened.append(str(args[0]))
        release.wait()  # opening takes as long as the test wants
        original(*args)

    holder._reload = slow_reload
    path.write_bytes(b"not a geopackage")
    for _ in range(3):  # while the new file is being opened, requests are answered from the old data
        assert client.get("/tiles/buurt/13/4211/2702.mvt?year=2023").status_code == 200
    release.set()
    holder.reloading().join()
    for _ in range(3):
        client.get("/health")
    assert holder.reloading() is None or not holder.reloading().is_alive()
    assert len(opened) == 1, "the same broken file is opened once, not on every check"
    assert "not a wijkmonitor dataset" in client.get("/health").json()["last_reload_error"]


def test_a_file_damaged_in_the_middle_keeps_the_old_data_and_says_why(demo_build: tuple[Path, object], tmp_path: Path) -> None:
    """Not truncated, not foreign: a GeoPackage with 8 KiB overwritten somewhere inside (a disk or copy
    fault). Depending on the page hit, GDAL, SQLite or a decoder fails, or nothing fails at all."""
    path = tmp_path / "served.gpkg"
    shutil.copy(demo_build[0], path)
    client = TestClient(create_app(Settings(dataset=path, reload_check_seconds=0)))
    version = client.get("/health").json()["version"]
    good = demo_build[0].read_bytes()
    for eighth in range(1, 8):
        data = bytearray(good)
        at = len(data) * eighth // 8 // 4096 * 4096
        data[at:at + 8192] = b"\xff" * 8192
        path.write_bytes(bytes(data))
        health = health_after_reload(client)
        assert health["version"] == version, eighth
        assert health["last_reload_error"] and str(path) in health["last_reload_error"], eighth
        assert client.get("/tiles/buurt/13/4211/2702.mvt?year=2023").status_code == 200
