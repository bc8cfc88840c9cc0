"""GeoPackage and CSV exports: the figures the server serves, with their statuses, checked against the CBS CSV."""

from __future__ import annotations

import math
from pathlib import Path

import pyogrio
import pytest
from starlette.testclient import TestClient

from cli import main
from tests.conftest import kwb_rows
from tests.exports.conftest import GROUPS, INDICATORS, LEVEL, YEAR, export_args

BUURT = "BU03440111"
WITHHELD = "BU03441011"


def null(value: object) -> bool:
    """A NULL field as pandas reads it back: None or NaN."""
    return value is None or (isinstance(value, float) and math.isnan(value))


def test_geopackage_has_the_figures_of_regions_and_the_cbs_csv(exported: dict[str, Path], client: TestClient) -> None:
    info = pyogrio.read_info(exported["gpkg"], layer=f"{LEVEL}_{YEAR}")
    assert info["crs"] == "EPSG:28992" and info["features"] == 111
    frame = pyogrio.read_dataframe(exported["gpkg"], layer=f"{LEVEL}_{YEAR}").set_index("code")
    row = frame.loc[BUURT]
    assert row["inwoners__totaal"] == float(kwb_rows(YEAR)[BUURT]["a_inw"])
    profile = client.get(f"/regions/{BUURT}").json()
    for indicator in INDICATORS.split(","):
        for group in GROUPS.split(","):
            name = f"{indicator}__{group}"
            if name not in frame.columns:  # aandeel_inwoners has no totaal: a share of everyone is 100 %
                continue
            served = next((f for f in profile["figures"] if (f["indicator"], f["group"], f["year"]) == (indicator, group, YEAR)), None)
            if served is None:  # a pair without figures (bijstand by herkomst): missing, as in the tiles
                assert null(row[name]) and row[f"{name}__status"] == "missing", name
            elif served["status"] == "ok":
                assert row[name] == served["value"] and null(row[f"{name}__status"]), name
            else:
                assert null(row[name]) and row[f"{name}__status"] == served["status"], name
    # every property as /ogc serves it in RD New
    page = client.get(f"/ogc/collections/{LEVEL}_{YEAR}/items?limit=1000").json()
    for feature in page["features"]:
        exported_row = frame.loc[feature["id"]]
        for name, value in feature["properties"].items():
            if name.split("__")[0] in INDICATORS.split(",") and name.split("__")[1] in GROUPS.split(","):
                got = exported_row[name]
                assert (null(got) if value is None else got == value), (feature["id"], name, value, got)


def test_a_withheld_figure_has_no_value_in_the_geopackage(exported: dict[str, Path]) -> None:
    row = pyogrio.read_dataframe(exported["gpkg"], read_geometry=False).set_index("code").loc[WITHHELD]
    assert null(row["aandeel_inwoners__herkomst_buiten_europa"])
    assert row["aandeel_inwoners__herkomst_buiten_europa__status"] == "withheld"
    assert null(row["inwoners__herkomst_buiten_europa"])
    assert row["inwoners__herkomst_buiten_europa__status"] == "protected"
    assert row["inwoners__totaal"] == 45


def test_csv_is_the_servers_figures_csv(exported: dict[str, Path], client: TestClient) -> None:
    served = client.get(f"/figures.csv?level={LEVEL}&year={YEAR}&indicator={INDICATORS}&group={GROUPS}")
    assert served.status_code == 200
    assert exported["csv"].read_bytes() == served.content
    lines = exported["csv"].read_text(encoding="utf-8-sig").splitlines()
    withheld = [line for line in lines if line.startswith(f"{WITHHELD},") and ",aandeel_inwoners," in line and ",herkomst_buiten_europa," in line]
    assert len(withheld) == 1 and ",,%,withheld," in withheld[0]  # an empty value, then the unit and the status


def test_an_exported_csv_is_not_bounded_like_a_request(
    demo_build: tuple[Path, object], client: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("profiles.table.MAX_ROWS", 100)  # 111 buurten x 3 indicators x 2 groups is more
    assert client.get(f"/figures.csv?level={LEVEL}&year={YEAR}&indicator={INDICATORS}&group={GROUPS}").status_code == 400
    output = tmp_path / "buurten.csv"
    assert main(export_args(demo_build[0], output)) == 0
    assert len(output.read_text(encoding="utf-8-sig").splitlines()) == 1 + 111 * 3 * 2
