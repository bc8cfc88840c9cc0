"""The comparison page and the viewer's table view, region link and panel in a real browser (Debian
Chromium driven by playwright-core): what a user sees and downloads equals the API, and the pages
pass axe-core and fit a phone. Screenshots in artifacts/."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from starlette.testclient import TestClient

from tests.conftest import ROOT, kwb_rows, run_browser_check
from tests.viewer.test_viewer_browser import css_hex

ARTIFACTS = ROOT / "artifacts"
HERE = Path(__file__).parent
UTRECHT_WEST, ROTTERDAM_CENTRUM = "WK034401", "WK059901"
BUURT = "BU03440111"  # Welgelegen, Den Hommel
PHONE_WIDTH = 390
COUNT_MAP = "indicator=inwoners&group=totaal&year=2024&level=buurt"
RATE_MAP = "indicator=huishoudensgrootte&group=totaal&year=2024&level=buurt"
COUNT_WITH_RATE_MAP = "indicator=bijstandsontvangers&group=totaal&year=2023&level=buurt"


def api_figures(client: TestClient, query: str) -> list[dict]:
    response = client.get("/figures?" + query)
    assert response.status_code == 200, response.text
    return response.json()["figures"]


def csv_rows(text: str) -> list[dict[str, str]]:
    assert text.startswith("\ufeff"), "the CSV starts with a UTF-8 BOM (Excel reads it as UTF-8)"
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def assert_csv_equals_api(text: str, figures: list[dict]) -> None:
    """Every CSV row has the API's code, group, value and status, in the same order."""
    rows = csv_rows(text)
    assert len(rows) == len(figures) > 0
    for row, figure in zip(rows, figures, strict=True):
        assert (row["code"], row["group"], row["status"]) == (figure["code"], figure["group"], figure["status"])
        if figure["value"] is None:
            assert row["value"] == "", f"{row['code']}: no value where the figure is not published"
        else:
            assert float(row["value"]) == pytest.approx(figure["value"], abs=1e-9), row["code"]


def legend_colour(legend: dict, value: float | None, status: str) -> str | None:
    """The colour the map's style gives a figure: its class (lower exclusive, upper inclusive)."""
    if value is None:
        entry = legend.get("withheld") if status in ("withheld", "protected") else legend.get("no_value")
        return entry["colour"] if entry else None
    for c in legend["classes"]:
        if (c.get("lower") is None or value > c["lower"]) and (c.get("upper") is None or value <= c["upper"]):
            return c["colour"]
    return None


@pytest.fixture(scope="module")
def comparison(live_server: str) -> dict:
    ARTIFACTS.mkdir(exist_ok=True)
    return run_browser_check(
        HERE / "compare_check.mjs", live_server, UTRECHT_WEST, "Rotterdam Centrum", ROTTERDAM_CENTRUM, "inwoners", 2024,
        ARTIFACTS / "vergelijk.png", ARTIFACTS / "vergelijk-telefoon.png",
    )


@pytest.fixture(scope="module")
def viewer(live_server: str) -> dict:
    ARTIFACTS.mkdir(exist_ok=True)
    return run_browser_check(
        HERE / "table_check.mjs", live_server, BUURT, COUNT_MAP, RATE_MAP, COUNT_WITH_RATE_MAP,
        ARTIFACTS / "kaart-tabel.png", ARTIFACTS / "viewer-telefoon.png",
    )


def test_compare_two_wijken_of_different_gemeenten(comparison: dict, client: TestClient) -> None:
    assert comparison["problems"] == []
    assert comparison["activeDescendant"] == ROTTERDAM_CENTRUM, "chosen with the arrow keys in the search's listbox"
    figures = api_figures(client, f"regions={UTRECHT_WEST},{ROTTERDAM_CENTRUM}&indicator=inwoners&group=totaal&year=2024")
    shown = [(r["code"], r["value"]) for r in comparison["rows"]]
    assert shown == [(f["code"], f["value"]) for f in figures] and len(shown) == 2
    assert comparison["rows"][0]["value"] == int(kwb_rows(2024)[UTRECHT_WEST]["a_inw"])  # 29.710 in the CBS CSV
    assert "29.710 personen" in comparison["rows"][0]["text"] and "Rotterdam" in comparison["rows"][1]["text"]
    assert comparison["rows"][1]["link"].endswith(f"/profiel/{ROTTERDAM_CENTRUM}?group=totaal&year=2024")
    assert comparison["bars"] == 2, "one bar per region"
    assert "Wijk 01 West" in comparison["chartLabel"] and "Rotterdam Centrum" in comparison["chartLabel"]
    assert f"regions={UTRECHT_WEST},{ROTTERDAM_CENTRUM}" in comparison["url"], "the choice is in the URL (permalink)"
    assert "niet te vergelijken" in comparison["notes"], "a count says it is not comparable between regions of different size"


def test_compare_groups_carry_the_group_note(comparison: dict, client: TestClient) -> None:
    figures = api_figures(client, f"regions={UTRECHT_WEST},{ROTTERDAM_CENTRUM}&indicator=inwoners&group=totaal,man&year=2024")
    shown = {(r["code"], r["group"]): r["value"] for r in comparison["groupRows"]}
    assert shown == {(f["code"], f["group"]): f["value"] for f in figures} and len(shown) == 4
    assert comparison["groupBars"] == 4
    assert "weerspiegelen ook hun samenstelling" in comparison["groupNote"]


def test_compare_csv_download_equals_the_api(comparison: dict, client: TestClient) -> None:
    assert comparison["csvName"].endswith(".csv")
    assert_csv_equals_api(comparison["csv"], api_figures(client, comparison["csvHref"].split("?", 1)[1]))


def test_compare_page_is_accessible_and_fits_a_phone(comparison: dict) -> None:
    assert comparison["axe"] == [] and comparison["axeGroups"] == [] and comparison["axePhone"] == []
    phone = comparison["phone"]
    assert phone["clientWidth"] == PHONE_WIDTH and phone["scrollWidth"] <= phone["clientWidth"], "no horizontal page scroll"
    assert phone["chartTop"] > phone["tableTop"], "table and chart stacked on a phone"
    for name in ("vergelijk.png", "vergelijk-telefoon.png"):
        assert (ARTIFACTS / name).stat().st_size > 10_000


def test_region_code_in_the_url_is_highlighted_and_zoomed_to(viewer: dict, client: TestClient) -> None:
    assert viewer["problems"] == []
    assert viewer["zoom"] >= 12
    legend = client.get(f"/legend/inwoners.json?{COUNT_MAP}").json()
    value = client.get(f"/regions/{BUURT}").json()
    figure = next(f for f in value["figures"] if f["indicator"] == "inwoners" and f["group"] == "totaal" and f["year"] == 2024)
    fill = legend_colour(legend, figure["value"], figure["status"])
    assert viewer["highlight"] and all(h == {"stroke": "#000000", "fill": fill} for h in viewer["highlight"])
    west, south, east, north = value["bbox"]
    map_west, map_south, map_east, map_north = viewer["bounds"]
    assert map_west <= west and map_south <= south and east <= map_east and north <= map_north, "the whole region is in view"


def test_panel_gives_no_difference_for_a_count_and_one_for_a_rate(viewer: dict, client: TestClient) -> None:
    count, rate, per = viewer["count"], viewer["rate"], viewer["per"]
    assert "Verschil" not in count["headers"] and count["differences"] == []
    assert "Waarde" in count["headers"] and "374.238" in count["text"], "the gemeente's count is still shown"
    assert "niet als verschil vergeleken" in count["text"]
    assert count["profile"].endswith(f"/profiel/{BUURT}?group=totaal&year=2024")
    profile = client.get(f"/regions/{BUURT}").json()
    gemeente = next(f["gemeente"] for f in profile["figures"]
                    if f["indicator"] == "huishoudensgrootte" and f["group"] == "totaal" and f["year"] == 2024)
    assert "Verschil" in rate["headers"]
    assert f"−{abs(gemeente['difference']):.1f}".replace(".", ",") in rate["differences"]
    assert per["switches"] == [profile["indicators"]["bijstandsontvangers"]["compare"]] == ["bijstand_per_1000"]
    switched = viewer["switched"]
    assert switched["indicator"] == "bijstand_per_1000" and "indicator=bijstand_per_1000" in switched["url"]
    assert switched["panel"]["differences"], "the per-1.000 figure is compared with a difference"
    assert "/vergelijk?" in viewer["compareHref"] and f"regions={BUURT}" in viewer["compareHref"]


def test_map_table_sorts_and_uses_the_legends_colours(viewer: dict, client: TestClient) -> None:
    figures = {f["code"]: f for f in api_figures(client, COUNT_MAP)}
    legend = client.get(f"/legend/inwoners.json?{COUNT_MAP}").json()
    assert viewer["tableTitle"].startswith(f"{len(figures)} buurten")
    for order, rows in (("ascending", viewer["ascending"]), ("descending", viewer["descending"])):
        assert {r["code"] for r in rows} == set(figures) and len(rows) == len(figures)
        values = [r["value"] for r in rows if r["value"] is not None]
        assert values == sorted(values, reverse=order == "descending"), order
        assert all(r["value"] is None for r in rows[len(values):]), "regions without a value come last"
        for r in rows:
            f = figures[r["code"]]
            assert (r["value"], r["status"]) == (f["value"], f["status"])
            colour = legend_colour(legend, f["value"], f["status"])
            assert r["swatch"] == colour and css_hex(r["swatchRendered"]) == colour, r["code"]
    assert viewer["ariaSort"] == ["descending"]
    assert {r["swatch"] for r in viewer["ascending"]} >= {c["colour"] for c in legend["classes"]}
    assert viewer["pickedFocus"], "a region picked in the table is shown in the panel, which gets the focus"


def test_map_table_csv_download_equals_the_api(viewer: dict, client: TestClient) -> None:
    path, query = viewer["csvHref"].split("?", 1)
    assert path == "/figures.csv" and parse_qs(query) == parse_qs(COUNT_MAP), "the CSV of the map's view"
    assert_csv_equals_api(viewer["csv"], api_figures(client, COUNT_MAP))


def test_viewer_is_accessible_and_fits_a_phone(viewer: dict) -> None:
    assert viewer["axeViewer"] == [] and viewer["axeTable"] == [] and viewer["axePhone"] == []
    phone = viewer["phone"]
    assert phone["clientWidth"] == PHONE_WIDTH and phone["scrollWidth"] <= phone["clientWidth"]
    assert not phone["settingsShown"] and phone["mapHeight"] > 0.7 * 844, "the settings fold away; the map fills the screen"
    assert phone["panelBottom"] == pytest.approx(844, abs=1) and phone["panelTop"] > 0.4 * 844, "the panel is a bottom sheet"
    assert viewer["phoneSettings"] == {"expanded": "true", "scrollWidth": PHONE_WIDTH}
    for name in ("kaart-tabel.png", "viewer-telefoon.png"):
        assert (ARTIFACTS / name).stat().st_size > 10_000
