"""A rebuilt dataset is picked up; a broken one leaves the previous data serving."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from starlette.testclient import TestClient

from server import create_app
from settings import Settings


def test_broken_new_file_keeps_the_old_data(demo_build: tuple[Path, object], tmp_path: Path) -> None:
    path = tmp_path / "served.gpkg"
    shutil.copy(demo_build[0], path)
    client = TestClient(create_app(Settings(dataset=path, reload_check_seconds=0)))
    version = client.get("/health").json()["version"]

    path.write_bytes(b"not a geopackage")  # e.g. a copy that went wrong
    os.utime(path, (1, 1))
    health = client.get("/health").json()
    assert health["version"] == version
    assert "not a wijkmonitor dataset" in health["last_reload_error"]
    assert client.get("/tiles/buurt/13/4211/2702.mvt?year=2023").status_code == 200

    shutil.copy(demo_build[0], path)  # a good rebuild
    os.utime(path, (2, 2))
    health = client.get("/health").json()
    assert health["version"] != version and health["last_reload_error"] is None


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
        for _ in range(2):  # every request succeeds, and the broken file is not re-read on each
            assert client.get("/tiles/buurt/13/4211/2702.mvt?year=2023").status_code == 200
            health = client.get("/health").json()
            assert health["version"] == version, eighth
            assert health["last_reload_error"] and str(path) in health["last_reload_error"], eighth
