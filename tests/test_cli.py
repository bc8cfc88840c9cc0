from pathlib import Path

import pytest

from cli import main
from tests.conftest import DEMO, DEMO_MANIFEST, child_processes, ended, health_of, serve_until_it_stops, start_serve


def test_build_prints_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(DEMO_MANIFEST), "-o", str(tmp_path / "demo.gpkg")]) == 0
    out = capsys.readouterr()
    assert "buurt 2023: 111 regions" in out.out and "gemeente 2023: 342 regions" in out.out
    assert "reading kwb table utrecht_kwb_2023.csv" in out.err  # progress on stderr
    assert (tmp_path / "demo.gpkg").exists()


def test_build_straight_from_a_cbs_layer(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = DEMO / "data" / "nl_gemeenten_2023_kwb_wgs84.geojson"
    assert main(["build", str(source), "-o", str(tmp_path / "gm.gpkg")]) == 0
    out = capsys.readouterr().out
    assert "gemeente 2023: 342 regions" in out and "invalid geometries repaired: 5" in out


def test_errors_are_one_line_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["build", str(tmp_path / "nope.toml")]) == 1
    err = capsys.readouterr().err
    assert "nope.toml" in err and "Traceback" not in err
    assert main(["serve", str(tmp_path / "nope.gpkg")]) == 1
    assert "dataset not found" in capsys.readouterr().err
    assert main(["serve", str(tmp_path / "nope.gpkg"), "--workers", "2"]) == 1  # checked once, before the workers
    err = capsys.readouterr().err
    assert "dataset not found" in err and "Traceback" not in err


@pytest.mark.parametrize("workers", [1, 2])
def test_a_dataset_the_server_processes_cannot_read_stops_serve_with_one_line(tmp_path: Path, workers: int) -> None:
    """Only a process that reads the dataset finds it damaged: it tells the supervisor, which stops
    instead of starting it again and again, and says why once."""
    damaged = tmp_path / "damaged.gpkg"
    damaged.write_text("not a GeoPackage")
    done = serve_until_it_stops(str(damaged), workers)
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert errors == [f"wijkmonitor serve: error: {damaged}: not a wijkmonitor dataset or damaged "
                      "(DatabaseError: file is not a database)"]
    assert "Traceback" not in done.stderr and "Respawning" not in done.stderr


def test_server_processes_end_with_a_killed_supervisor(demo_build: tuple[Path, object], tmp_path: Path) -> None:
    """`serve`'s supervisor killed outright (kill -9, out of memory) cannot stop its server processes:
    they end themselves (web.processes.app_of_a_server_process)."""
    supervisor, base = start_serve(str(demo_build[0]), tmp_path / "serve.log")
    try:
        pid = health_of(supervisor, base, tmp_path / "serve.log")["process"]
        assert pid != supervisor.pid  # answered by a server process, not by the supervisor
        workers = child_processes(pid)  # its tile worker, when it has been spawned yet
        supervisor.kill()
        supervisor.wait()
        assert ended(pid), f"server process {pid} outlived its supervisor"
        assert all(map(ended, workers)), f"a worker of {workers} outlived its server process"
    finally:
        supervisor.kill()
