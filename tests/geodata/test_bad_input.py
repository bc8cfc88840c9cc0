"""Every kind of bad input gives an error or warning that names file, row, column or code.

Files written here are test fixtures made by these tests; where they carry numbers, the
numbers are copied from the real demo tables, or are deliberately broken.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
import shapely

from geodata.build import build_dataset
from geodata.detect import manifest_for_file
from geodata.errors import InputError, InputErrors
from geodata.manifest import load_manifest
from store import open_store
from store.gpkg import VALUES_LAYER
from tests.conftest import DEMO, SHARED_DATA, figure_table

BUURTEN = DEMO / "data" / "utrecht_buurten_municipal_wgs84.geojson"
KWB_2023 = DEMO / "data" / "utrecht_kwb_2023.csv"


def manifest(tmp_path: Path, boundaries: str, indicators: str = "") -> Path:
    path = tmp_path / "wijkmonitor.toml"
    path.write_text(boundaries + "\n" + indicators)
    return path


def buurt_boundaries(file: Path = BUURTEN, years: str = "[2023]", extra: str = "") -> str:
    return f'[[boundaries]]\nfile = "{file}"\nlevel = "buurt"\nyears = {years}\ncode = "BU0344{{KODE}}"\n{extra}\n'


def kwb_table(file: Path, year: int = 2023) -> str:
    return f'[[indicators]]\nfile = "{file}"\nformat = "kwb"\nyear = {year}\n'


def tidy_table(file: Path) -> str:
    return f'[[indicators]]\nfile = "{file}"\nformat = "tidy"\n'


def build(tmp_path: Path, manifest_path: Path):
    return build_dataset(load_manifest(manifest_path), tmp_path / "out.gpkg")


def test_unreadable_boundary_file_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.geojson"
    broken.write_bytes(b"\x00\x01 this is not GeoJSON")
    with pytest.raises(InputError) as err:
        build(tmp_path, manifest(tmp_path, buurt_boundaries(broken)))
    assert err.value.file == str(broken)


def test_missing_table_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="nope.csv.*file not found"):
        build(tmp_path, manifest(tmp_path, buurt_boundaries(), kwb_table(tmp_path / "nope.csv")))


def test_missing_code_column_in_boundaries(tmp_path: Path) -> None:
    text = buurt_boundaries().replace("BU0344{KODE}", "BU0344{BUURTCODE}")
    with pytest.raises(InputError) as err:
        build(tmp_path, manifest(tmp_path, text))
    assert err.value.column == "BUURTCODE" and "KODE" in str(err.value)  # lists the columns there are


def test_missing_code_column_in_table(tmp_path: Path) -> None:
    table = tmp_path / "kwb.csv"
    lines = KWB_2023.read_text().splitlines()
    # gwb_code_10 or gwb_code would do; with neither there is no code to join on
    header = lines[0].replace("gwb_code_10", "code10").replace(",gwb_code,", ",code,")
    table.write_text("\n".join([header] + lines[1:]))
    with pytest.raises(InputError) as err:
        build(tmp_path, manifest(tmp_path, buurt_boundaries(), kwb_table(table)))
    assert err.value.column == "gwb_code_10" and err.value.file == str(table)
    assert "gwb_code_10, gwb_code" in str(err.value)


def test_codes_that_match_no_region_are_reported(tmp_path: Path) -> None:
    # Only the first 50 buurten as boundaries: the table's other buurten have no region.
    subset = tmp_path / "some_buurten.geojson"
    gpd.read_file(BUURTEN).iloc[:50].to_file(subset)
    report = build(tmp_path, manifest(tmp_path, buurt_boundaries(subset), kwb_table(KWB_2023)))
    missing = report.at("buurt", 2023).rows_without_region
    assert len(missing) == 61 and "BU03441011" in missing
    assert "rows without a region: 61" in report.as_text().replace("data rows without a region", "rows without a region")


def test_duplicate_rows_in_a_wide_table_are_named(tmp_path: Path) -> None:
    table = tmp_path / "kwb.csv"
    lines = KWB_2023.read_text().splitlines()
    table.write_text("\n".join(lines + [lines[5]]))  # the 5th data row once more
    with pytest.raises(InputErrors) as err:
        build(tmp_path, manifest(tmp_path, buurt_boundaries(), kwb_table(table)))
    code = lines[5].split(",")[0]
    assert {e.row for e in err.value.errors} == {6, len(lines) + 1}
    assert code in str(err.value)


def test_duplicate_rows_in_a_tidy_table_are_named(tmp_path: Path) -> None:
    table = tmp_path / "tidy.csv"
    table.write_text(
        "region_code,year,indicator,group,value,denominator\n"
        "BU03440111,2023,inwoners,totaal,1810,\n"
        "BU03440111,2023,inwoners,totaal,1810,\n"
    )
    with pytest.raises(InputErrors) as err:
        build(tmp_path, manifest(tmp_path, buurt_boundaries(), tidy_table(table)))
    assert [e.row for e in err.value.errors] == [2, 3]
    assert "duplicate row for BU03440111 2023 inwoners totaal" in str(err.value)


def test_non_numeric_values_name_file_row_and_column(tmp_path: Path) -> None:
    table = tmp_path / "kwb.csv"
    lines = KWB_2023.read_text().splitlines()
    target = next(i for i, line in enumerate(lines) if line.startswith("BU03440111"))
    assert ",1,1810,845,960," in lines[target]  # ind_wbi, a_inw, a_man, a_vrouw
    lines[target] = lines[target].replace(",1,1810,845,960,", ",1,1810,845 personen,960,")
    table.write_text("\n".join(lines))
    with pytest.raises(InputErrors) as err:
        build(tmp_path, manifest(tmp_path, buurt_boundaries(), kwb_table(table)))
    [error] = err.value.errors
    assert (error.file, error.row, error.column) == (str(table), target + 1, "a_man")
    assert "845 personen" in str(error)


def test_unknown_crs_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown CRS 'EPSG:999999'"):
        build(tmp_path, manifest(tmp_path, buurt_boundaries(extra='crs = "EPSG:999999"')))


def test_file_without_crs_asks_for_one(tmp_path: Path) -> None:
    shp = tmp_path / "buurten_rd.shp"
    gpd.read_file(BUURTEN).to_crs(28992).to_file(shp)
    shp.with_suffix(".prj").unlink()  # a Shapefile whose .prj went missing
    with pytest.raises(InputError, match="no coordinate reference system"):
        build(tmp_path, manifest(tmp_path, buurt_boundaries(shp)))
    # with the CRS given it builds
    report = build(tmp_path, manifest(tmp_path, buurt_boundaries(shp, extra='crs = "EPSG:28992"')))
    assert report.at("buurt", 2023).regions == 111


def test_wrong_crs_is_caught_by_location(tmp_path: Path) -> None:
    rd = tmp_path / "rd_as_wgs84.geojson"
    frame = gpd.read_file(BUURTEN).to_crs(28992).set_crs(4326, allow_override=True)
    frame.to_file(rd)
    with pytest.raises(InputError, match="outside the Netherlands"):
        build(tmp_path, manifest(tmp_path, buurt_boundaries(rd)))


def test_self_intersecting_polygon_is_repaired_and_counted(tmp_path: Path) -> None:
    frame = gpd.read_file(BUURTEN)
    # fixture made by this test: buurt 0 turned into a bow-tie over its own bounding box
    minx, miny, maxx, maxy = frame.geometry.iloc[0].bounds
    frame.loc[0, "geometry"] = shapely.Polygon([(minx, miny), (maxx, maxy), (maxx, miny), (minx, maxy)])
    path = tmp_path / "bowtie.geojson"
    frame.to_file(path)
    report = build(tmp_path, manifest(tmp_path, buurt_boundaries(path)))
    assert report.at("buurt", 2023).repaired_geometries == 1
    assert open_store(tmp_path / "out.gpkg").regions(*_buurt_2023()).geometry.is_valid.all()


def _buurt_2023():
    from geodata.regions import Level

    return Level.buurt, 2023


@pytest.mark.skipif(not (SHARED_DATA / "boundaries").exists(), reason="shared CBS data not beside the repository")
def test_nl_2014_buurten_with_1340_invalid_geometries(tmp_path: Path) -> None:
    source = SHARED_DATA / "boundaries" / "nl_buurten_2014_wgs84_q1e3.gpkg"
    report = build_dataset(manifest_for_file(source, year=2014), tmp_path / "nl.gpkg")
    entry = report.at("buurt", 2014)
    assert entry.repaired_geometries == 1340  # as invalid in the source file (EPSG:4326)
    assert len(entry.empty_geometries) >= 545  # empty in the source, or covered by neighbours
    assert entry.regions + len(entry.empty_geometries) == 11641
    # the layer has statcode only: its wijken and gemeenten are dissolved by the codes' digits
    codes = pyogrio.read_dataframe(source, read_geometry=False)["statcode"]
    for level, count in (("wijk", 2719), ("gemeente", 402)):
        entry = report.at(level, 2014)
        assert entry.regions + len(entry.empty_geometries) == codes.str[2 : 2 + (6 if level == "wijk" else 4)].nunique() == count
        # the buurten's repairs are counted as theirs, not as invalid wijken or gemeenten
        assert (entry.repaired_geometries, entry.dissolved_features, entry.repaired_dissolved) == (0, 11641, 1340)
    assert "gemeente 2014: 402 regions" in report.as_text()
    assert "dissolved from 11641 features, 1340 of them invalid and repaired first" in report.as_text()


def test_a_year_without_boundaries_is_reported(tmp_path: Path) -> None:
    report = build(tmp_path, manifest(tmp_path, buurt_boundaries(years="[2023]"), kwb_table(DEMO / "data" / "utrecht_kwb_2024.csv", 2024)))
    assert any("buurt 2024" in w and "no buurt boundaries for 2024" in w for w in report.warnings)
    assert len(report.at("buurt", 2024).rows_without_region) == 111


def test_the_same_region_and_year_from_two_files_is_an_error(tmp_path: Path) -> None:
    text = buurt_boundaries() + buurt_boundaries()
    with pytest.raises(InputError, match="BU0344.* for 2023 is also in"):
        build(tmp_path, manifest(tmp_path, text))


def test_failed_build_leaves_the_previous_dataset(tmp_path: Path) -> None:
    good = manifest(tmp_path, buurt_boundaries(), kwb_table(KWB_2023))
    build(tmp_path, good)
    before = (tmp_path / "out.gpkg").read_bytes()
    table = tmp_path / "kwb_bad.csv"
    table.write_text(KWB_2023.read_text().replace("1810,845", "1810,x845", 1))
    with pytest.raises(InputErrors):
        build(tmp_path, manifest(tmp_path, buurt_boundaries(), kwb_table(table)))
    assert (tmp_path / "out.gpkg").read_bytes() == before
    assert figure_table(open_store(tmp_path / "out.gpkg"), *_buurt_2023(), "totaal")[0].at["BU03440111", "inwoners"] == 1810
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out.gpkg")] == []  # no temp files left


def test_tidy_table_checks_indicator_group_and_code(tmp_path: Path) -> None:
    table = tmp_path / "tidy.csv"
    table.write_text(
        "region_code,year,indicator,group,value\n"
        "BU03440111,2023,werkloosheid,totaal,5\n"
        "BU03440111,2023,inwoners,marsbewoners,5\n"
        "Utrecht,2023,inwoners,totaal,5\n"
        "BU03440111,twee,inwoners,man,5\n"
    )
    with pytest.raises(InputErrors) as err:
        build(tmp_path, manifest(tmp_path, buurt_boundaries(), tidy_table(table)))
    found = {(e.row, e.column) for e in err.value.errors}
    assert found == {(2, "indicator"), (3, "group"), (4, "region_code"), (5, "year")}


def test_tidy_values_with_denominators_are_withheld_below_the_minimum(tmp_path: Path) -> None:
    # fixture made by this test: shares with the real 2023 population of two buurten
    table = tmp_path / "tidy.csv"
    table.write_text(
        "region_code,year,indicator,group,value,denominator\n"
        "BU03440111,2023,aandeel_inwoners,herkomst_europa,8.6,1810\n"
        "BU03441011,2023,aandeel_inwoners,herkomst_europa,11.1,45\n"
    )
    build(tmp_path, manifest(tmp_path, buurt_boundaries(), tidy_table(table)))
    values, statuses = figure_table(open_store(tmp_path / "out.gpkg"), *_buurt_2023(), "herkomst_europa")
    assert values.at["BU03440111", "aandeel_inwoners"] == 8.6
    assert statuses.at["BU03441011", "aandeel_inwoners"] == "withheld"


def test_reading_the_xlsx_release_equals_its_csv_export(tmp_path: Path) -> None:
    shutil.copy(DEMO / "data" / "CBS-Utrecht-kwb-2024.xlsx", tmp_path / "kwb.xlsx")
    build(tmp_path, manifest(tmp_path, buurt_boundaries(years="[2024]"), kwb_table(tmp_path / "kwb.xlsx", 2024)))
    from_xlsx = pyogrio.read_dataframe(tmp_path / "out.gpkg", layer=VALUES_LAYER, read_geometry=False)
    (tmp_path / "out.gpkg").unlink()
    build(tmp_path, manifest(tmp_path, buurt_boundaries(years="[2024]"), kwb_table(DEMO / "data" / "utrecht_kwb_2024.csv", 2024)))
    from_csv = pyogrio.read_dataframe(tmp_path / "out.gpkg", layer=VALUES_LAYER, read_geometry=False)
    key = ["code", "indicator", "group"]
    a = from_xlsx.sort_values(key).reset_index(drop=True)
    b = from_csv.sort_values(key).reset_index(drop=True)
    assert a[key + ["status"]].equals(b[key + ["status"]])
    assert (a["value"].fillna(-1) == b["value"].fillna(-1)).all()


def test_a_table_with_only_a_header_stops_the_build_and_keeps_the_old_dataset(tmp_path: Path) -> None:
    output = tmp_path / "out.gpkg"
    build(tmp_path, manifest(tmp_path, buurt_boundaries(), kwb_table(KWB_2023)))
    before = output.read_bytes()
    header_only = tmp_path / "kwb.csv"
    header_only.write_text(KWB_2023.read_text().splitlines()[0] + "\n")
    with pytest.raises(InputError, match="gave no figures") as err:
        build(tmp_path, manifest(tmp_path, buurt_boundaries(), kwb_table(header_only)))
    assert err.value.file == str(header_only)
    assert output.read_bytes() == before


def test_an_empty_table_marked_optional_builds_with_a_warning(tmp_path: Path) -> None:
    header_only = tmp_path / "kwb.csv"
    header_only.write_text(KWB_2023.read_text().splitlines()[0] + "\n")
    report = build(tmp_path, manifest(tmp_path, buurt_boundaries(), kwb_table(header_only) + "optional = true\n"))
    assert "kwb.csv: no figures (optional table)" in report.warnings


def test_a_missing_denominator_column_stops_the_build(tmp_path: Path) -> None:
    import pandas as pd

    table = tmp_path / "kwb.csv"
    pd.read_csv(KWB_2023, dtype=str, keep_default_na=False).drop(columns=["a_inw"]).to_csv(table, index=False)
    with pytest.raises(InputErrors) as err:
        build(tmp_path, manifest(tmp_path, buurt_boundaries(), kwb_table(table)))
    assert {e.column for e in err.value.errors} == {"a_inw"}
    assert "no column a_inw, the denominator that aandeel_inwoners" in str(err.value)


def test_a_column_one_slip_from_the_catalog_stops_the_build(tmp_path: Path) -> None:
    """a_0_14 for a_00_14, a_inww for a_inw: the figure would silently be missing, so say so."""
    import pandas as pd

    table = tmp_path / "kwb.csv"
    frame = pd.read_csv(KWB_2023, dtype=str, keep_default_na=False)
    frame.rename(columns={"a_00_14": "a_0_14", "a_inw": "a_inww"}).to_csv(table, index=False)
    with pytest.raises(InputErrors) as err:
        build(tmp_path, manifest(tmp_path, buurt_boundaries(), kwb_table(table)))
    text = str(err.value)
    assert "column a_0_14 looks like the catalog's a_00_14" in text
    assert "no column a_inw" in text and "a_inww: a typo?" in text
    assert len(err.value.errors) == 2


def test_tidy_figures_that_need_a_denominator_without_one_stop_the_build(tmp_path: Path) -> None:
    table = tmp_path / "tidy.csv"  # fixture: the real 2023 share of one buurt, without its denominator
    table.write_text("region_code,year,indicator,group,value\nBU03440111,2023,aandeel_inwoners,herkomst_europa,8.6\n")
    with pytest.raises(InputErrors) as err:
        build(tmp_path, manifest(tmp_path, buurt_boundaries(), tidy_table(table)))
    [error] = err.value.errors
    assert error.column == "denominator" and "aandeel_inwoners" in str(error)


def test_implausible_figures_are_named_in_the_report(tmp_path: Path) -> None:
    # fixture: deliberately broken values (a share above 100 %, a negative count)
    table = tmp_path / "tidy.csv"
    table.write_text(
        "region_code,year,indicator,group,value,denominator\n"
        "BU03440111,2023,aandeel_inwoners,herkomst_europa,108.6,1810\n"
        "BU03440112,2023,inwoners,totaal,-5,\n"
    )
    report = build(tmp_path, manifest(tmp_path, buurt_boundaries(), tidy_table(table)))
    text = "\n".join(report.warnings)
    assert "1 aandeel_inwoners figure(s) outside 0..100" in text and "BU03440111 herkomst_europa 2023: 108.6" in text
    assert "1 inwoners figure(s) outside 0..inf" in text and "BU03440112 totaal 2023: -5" in text


def test_a_killed_build_leaves_no_temporary_file_behind(tmp_path: Path) -> None:
    import subprocess
    import sys

    # A build process killed while writing (kill -9) cannot clean up; the next build removes its file.
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    leftover = tmp_path / f".out.gpkg.{dead.stdout.strip()}.abcd1234.tmp.gpkg"
    leftover.write_bytes(b"half a GeoPackage")
    (tmp_path / (leftover.name + "-journal")).write_bytes(b"")
    running = tmp_path / f".out.gpkg.{os.getpid()}.efgh5678.tmp.gpkg"  # a build still at work: left alone
    running.write_bytes(b"being written")
    build(tmp_path, manifest(tmp_path, buurt_boundaries(), kwb_table(KWB_2023)))
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [running.name]
