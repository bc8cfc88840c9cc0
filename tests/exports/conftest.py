"""One export per format of the demo's buurten 2023, made once through the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli import main

# Two groups and three indicators, among them figures held back: BU03441011 (45 inhabitants) has its
# share of herkomst_buiten_europa withheld and the count of that group protected.
LEVEL, YEAR = "buurt", 2023
INDICATORS = "inwoners,aandeel_inwoners,bijstand_per_1000"
GROUPS = "totaal,herkomst_buiten_europa"
QUERY = f"year={YEAR}&group={GROUPS.replace(',', '%2C')}&indicators={INDICATORS.replace(',', '%2C')}"
MINZOOM, MAXZOOM = 0, 14


def export_args(dataset: Path, output: Path, *extra: str) -> list[str]:
    return [
        "export", str(dataset), "--level", LEVEL, "--year", str(YEAR), "--indicators", INDICATORS, "--group", GROUPS,
        "--minzoom", str(MINZOOM), "--maxzoom", str(MAXZOOM), "-o", str(output), *extra,
    ]


@pytest.fixture(scope="module")
def exported(demo_build: tuple[Path, object], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("exports")
    outputs = {}
    for suffix in ("pmtiles", "mbtiles", "gpkg", "csv"):
        outputs[suffix] = folder / f"buurten.{suffix}"
        assert main(export_args(demo_build[0], outputs[suffix])) == 0
    return outputs
