from pathlib import Path

import pytest

from cli import main
from tests.conftest import DEMO, DEMO_MANIFEST


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
