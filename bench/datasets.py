"""National datasets WITH figures for the benchmarks, built by wijkmonitor's own build from a manifest.

- `wijken_2024`: the 3,456 CBS wijken of 2024 (NL minus Zaanstad) with their own real KWB 2024
  attributes, built straight from the published layer (`wijkmonitor build FILE`). Bron: CBS.
- `buurten_fixture`: a TIMING FIXTURE. The 2014 national buurt polygons, each given the real CBS
  KWB 2023 row of one of Utrecht's 111 buurten (round robin over sorted codes). The values are
  real, but on other buurten's places: they say nothing about those buurten. Use it for timing
  only; never ship it, show it or compute anything from its figures.

Each dataset is written into a folder (the fixture with its manifest and table), and rebuilt only
when an input (the data, the catalog, the build code, this file) is newer than the dataset.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyogrio

from geodata.build import build_dataset
from geodata.catalog import DEFAULT_CATALOG
from geodata.detect import manifest_for_file
from geodata.manifest import load_manifest
from geodata.regions import Level

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("WIJKMONITOR_SHARED_DATA", ROOT.parent / "shared" / "data"))
WIJKEN_2024 = SHARED_DATA / "boundaries" / "nl_wijken_2024_kwb_wgs84.geojson"
BUURTEN_2014 = SHARED_DATA / "boundaries" / "nl_buurten_2014_wgs84_q1e3.gpkg"
UTRECHT_KWB_2023 = SHARED_DATA / "tables" / "utrecht_kwb_2023.csv"
FIXTURE_WARNING = (
    "TIMING FIXTURE: every national buurt carries the real CBS KWB 2023 row of one of Utrecht's 111 "
    "buurten (round robin). Real values on other buurten's places: for timing only, never shipped."
)

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BenchDataset:
    name: str
    level: Level
    year: int
    description: str
    build: Callable[[Path, Progress], Path]


def wijken_2024(folder: Path, progress: Progress = print) -> Path:
    """National wijken 2024 with their own KWB 2024 figures (Bron: CBS); returns the dataset path."""
    output = folder / "wijken_2024.gpkg"
    if _fresh(output, [WIJKEN_2024]):
        return output
    folder.mkdir(parents=True, exist_ok=True)
    # The layer as published: wijkmonitor reads its attributes itself (catalog schema wijken_kort).
    progress(f"building {output.name} from {WIJKEN_2024.name}")
    report = build_dataset(manifest_for_file(WIJKEN_2024), output)
    progress(report.as_text())
    return output


def buurten_fixture(folder: Path, progress: Progress = print) -> Path:
    """TIMING FIXTURE (see FIXTURE_WARNING): national 2014 buurt polygons as 2023, each with the
    real KWB 2023 row of one Utrecht buurt; returns the dataset path."""
    output = folder / "TIMING_FIXTURE_buurten.gpkg"
    if _fresh(output, [BUURTEN_2014, UTRECHT_KWB_2023]):
        return output
    folder.mkdir(parents=True, exist_ok=True)
    table = folder / "TIMING_FIXTURE_buurten_kwb_2023_utrecht_rows.csv"
    progress(f"writing {table.name}: {FIXTURE_WARNING}")
    national = pyogrio.read_dataframe(BUURTEN_2014, layer="buurten_2014", read_geometry=False)
    national = national.sort_values("statcode")
    with open(UTRECHT_KWB_2023, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        utrecht = sorted((row for row in reader if row["recs"] == "Buurt"), key=lambda row: row["gwb_code_10"])
    with open(table, "w", newline="", encoding="utf-8") as f:
        # The extra last column names the Utrecht buurt whose figures a row carries.
        writer = csv.DictWriter(f, fieldnames=[*header, "timing_fixture_figures_of"])
        writer.writeheader()
        for i, (code, name) in enumerate(zip(national["statcode"], national["statnaam"])):
            source = utrecht[i % len(utrecht)]
            writer.writerow({
                **source,
                "gwb_code_10": code, "gwb_code": code, "gwb_code_8": code[2:], "regio": name,
                "timing_fixture_figures_of": source["gwb_code_10"],
            })
    manifest = folder / "TIMING_FIXTURE_buurten.toml"
    manifest.write_text(
        "# Written by bench/datasets.py.\n"
        f"# {FIXTURE_WARNING}\n"
        "[dataset]\n"
        'title = "TIMING FIXTURE: buurten 2014 met KWB 2023-rijen van Utrechtse buurten (niet publiceren)"\n'
        'attribution = "Bron: CBS (timing fixture, niet de cijfers van deze buurten)"\n\n'
        "[[boundaries]]\n"
        f"file = {json.dumps(str(BUURTEN_2014))}\n"
        'layer = "buurten_2014"\nlevel = "buurt"\nyears = [2023]\ncode = "{statcode}"\nname = "{statnaam}"\n\n'
        "[[indicators]]\n"
        f"file = {json.dumps(table.name)}\n"
        'format = "kwb"\nyear = 2023\n',
        encoding="utf-8",
    )
    return _build(manifest, output, progress)


DATASETS = {
    "wijken2024": BenchDataset(
        "wijken2024", Level.wijk, 2024, "CBS wijken 2024 with their own KWB 2024 figures (Bron: CBS)", wijken_2024,
    ),
    "buurten": BenchDataset("buurten", Level.buurt, 2023, FIXTURE_WARNING, buurten_fixture),
}


def _build(manifest: Path, output: Path, progress: Progress) -> Path:
    report = build_dataset(load_manifest(manifest), output, progress)
    for line in report.as_text().splitlines():
        progress(line)
    return output


def _fresh(output: Path, data: list[Path]) -> bool:
    """Whether `output` is newer than its data, the catalog and the code that builds it."""
    if not output.exists():
        return False
    code = [Path(__file__), DEFAULT_CATALOG, *(ROOT / "geodata").glob("*.py"), *(ROOT / "store").glob("*.py")]
    return output.stat().st_mtime >= max(p.stat().st_mtime for p in [*data, *code])
