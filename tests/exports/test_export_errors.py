"""Bad arguments stop an export before it writes anything: exit code 2, the option at fault named."""

from __future__ import annotations

from pathlib import Path

import pytest

import exports.tileset
from cli import main
from tests.exports.conftest import export_args


def replace_arg(args: list[str], option: str, value: str) -> list[str]:
    changed = list(args)
    changed[changed.index(option) + 1] = value
    return changed


@pytest.mark.parametrize(
    ("option", "value", "named"),
    [
        ("--level", "provincie", "--level"),
        ("--year", "1999", "--year"),
        ("--year", "twintig", "--year"),
        ("--indicators", "geen_indicator", "--indicators"),
        ("--group", "marsmannetjes", "--group"),
        ("--maxzoom", "23", "--maxzoom"),
        ("--minzoom", "9", "--maxzoom"),  # with --maxzoom 3: a reversed range
    ],
)
def test_bad_argument_exits_2_naming_it(
    demo_build: tuple[Path, object], tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str, value: str, named: str
) -> None:
    output = tmp_path / "out.pmtiles"
    args = replace_arg(export_args(demo_build[0], output), option, value)
    if option == "--minzoom":
        args = replace_arg(args, "--maxzoom", "3")  # minzoom 9 above maxzoom 3
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"error: {named}" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("place", ["missing/out.pmtiles", "a_file/out.pmtiles", "a_folder", "out.png"])
def test_bad_output_exits_2_naming_it(demo_build: tuple[Path, object], tmp_path: Path, capsys: pytest.CaptureFixture[str], place: str) -> None:
    (tmp_path / "a_file").write_text("not a folder")
    (tmp_path / "a_folder").mkdir()
    before = sorted(tmp_path.rglob("*"))
    assert main(export_args(demo_build[0], tmp_path / place)) == 2
    err = capsys.readouterr().err
    assert ("--format" if place.endswith(".png") else "-o/--output") in err
    assert sorted(tmp_path.rglob("*")) == before


def test_a_failed_export_leaves_the_old_output(
    demo_build: tuple[Path, object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "out.pmtiles"
    output.write_bytes(b"the previous export")
    made = 0

    def failing(body: bytes) -> bytes:
        nonlocal made
        made += 1
        if made > 5:
            raise OSError("disk full")
        return body

    monkeypatch.setattr(exports.tileset, "gzip_bytes", failing)
    with pytest.raises(OSError, match="disk full"):
        main(export_args(demo_build[0], output))
    assert [p.name for p in tmp_path.iterdir()] == ["out.pmtiles"] and output.read_bytes() == b"the previous export"


@pytest.mark.parametrize(
    ("extra", "named"),
    [((), "--indicators"), (("--indicators", "inwoners", "--group", "totaal", "--resolution", "50"), "--resolution")],
)
def test_a_geotiff_holds_one_figure_at_25_or_100_m(
    demo_build: tuple[Path, object], tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: tuple[str, ...], named: str
) -> None:
    args = export_args(demo_build[0], tmp_path / "out.tif")
    for option, value in zip(extra[::2], extra[1::2]):
        args = replace_arg(args, option, value) if option in args else [*args, option, value]
    assert main(args) == 2
    assert f"error: {named}" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
