"""/figures (the rows of a profile, comparison or map table, as JSON and CSV) and the static report
map, checked against the CBS CSV, the profile API and the map's legend."""

from __future__ import annotations

import csv
import io
import re

import pytest
from starlette.testclient import TestClient

from geodata.regions import Level
from store import Store
from styles.palettes import WITHHELD
from tests.conftest import error_of, kwb_rows

BUURT = "BU03440111"  # Welgelegen, Den Hommel (Utrecht)
WIJKEN = ("WK034401", "WK059901")  # West (Utrecht), and a Rotterdam wijk


def test_comparison_rows_equal_the_cbs_file_in_the_order_asked(client: TestClient) -> None:
    body = client.get(f"/figures?regions={WIJKEN[1]},{WIJKEN[0]},NL00&indicator=inwoners&group=totaal&year=2024").json()
    rows = body["figures"]
    assert [r["code"] for r in rows][:2] == [WIJKEN[1], WIJKEN[0]], "regions in the order the comparison lists them"
    utrecht = next(r for r in rows if r["code"] == WIJKEN[0])
    assert utrecht["value"] == float(kwb_rows(2024)[WIJKEN[0]]["a_inw"])
    assert utrecht["name"] == "Wijk 01 West" and utrecht["level"] == "wijk" and utrecht["unit"] == "personen"
    assert (utrecht["gemeente_code"], utrecht["gemeente_name"]) == ("GM0344", "Utrecht")
    assert utrecht["source"].startswith("CBS") and body["attribution"]
    # Nederland has no 2024 inwoners (not every gemeente is in the demo): a row that says why, not a gap.
    nederland = rows[-1]
    assert (nederland["code"], nederland["name"], nederland["value"], nederland["status"]) == ("NL00", "Nederland", None, "missing")
    assert "niet te berekenen" in nederland["status_text"] and "342 gemeenten van 2024" in nederland["status_text"]


def test_nederland_is_found_by_name(client: TestClient) -> None:
    found = client.get("/regions?q=nederl").json()["regions"]
    assert found[0] == {
        "code": "NL00", "name": "Nederland", "level": "land", "gemeente_code": None, "gemeente_name": None,
        "wijk_code": None, "year": 2024,
    }
    gemeenten = client.get("/regions?q=neder&level=gemeente").json()["regions"]
    assert "Neder-Betuwe" in [g["name"] for g in gemeenten] and "NL00" not in [g["code"] for g in gemeenten]
    zuilen = client.get("/regions?q=zuilen-noord").json()["regions"][0]
    assert (zuilen["code"], zuilen["gemeente_name"]) == ("BU03440244", "Utrecht")


def test_profile_rows_equal_the_region_api(client: TestClient) -> None:
    profile = client.get(f"/regions/{BUURT}").json()
    rows = client.get(f"/figures?regions={BUURT}").json()["figures"]
    expected = {(f["indicator"], f["group"], f["year"]): (f["value"], f["status"]) for f in profile["figures"]}
    assert {(r["indicator"], r["group"], r["year"]): (r["value"], r["status"]) for r in rows} == expected


def test_figures_not_published_have_no_value_but_a_reason(client: TestClient, demo_store: Store) -> None:
    statuses = demo_store.figures(Level.buurt, 2023, "totaal", "aandeel_inwoners").statuses
    assert (statuses == "withheld").sum() == 0  # the totaal share is 100 %; its groups are withheld in small buurten
    rows = client.get("/figures?regions=BU03441011&indicator=aandeel_inwoners&year=2023").json()["figures"]
    withheld = [r for r in rows if r["status"] == "withheld"]
    assert withheld and all(r["value"] is None and "te weinig" in r["status_text"] for r in withheld)
    every = client.get("/figures?level=buurt&indicator=aandeel_inwoners,inwoners&group=herkomst_buiten_europa,man&year=2023").json()
    assert all((r["value"] is None) == (r["status"] != "ok") for r in every["figures"])
    assert {r["status"] for r in every["figures"]} >= {"ok", "withheld", "protected"}


def test_map_table_holds_every_region_of_the_map_with_the_tiles_figures(client: TestClient, demo_store: Store) -> None:
    body = client.get("/figures?level=buurt&indicator=bijstand_per_1000&year=2023&within=GM0344").json()
    figures = demo_store.figures(Level.buurt, 2023, "totaal", "bijstand_per_1000", "GM0344")
    assert [r["code"] for r in body["figures"]] == list(figures.values.index)
    for r in body["figures"]:
        value = figures.values[r["code"]]
        assert r["status"] == figures.statuses[r["code"]]
        assert r["value"] == (float(value) if r["status"] == "ok" else None)


def test_csv_holds_the_same_numbers_and_statuses_as_the_json(client: TestClient) -> None:
    query = f"regions={BUURT},WK034401,GM0344,NL00&group=totaal"
    response = client.get(f"/figures.csv?{query}")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="wijkmonitor-' in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    rows = client.get(f"/figures?{query}").json()["figures"]
    assert len(table) == len(rows) > 100
    for line, row in zip(table, rows):
        assert (line["code"], line["indicator"], line["group"], int(line["year"]), line["status"]) == (
            row["code"], row["indicator"], row["group"], row["year"], row["status"]
        )
        assert (float(line["value"]) if line["value"] else None) == row["value"]
        assert line["status_text"] == (row["status_text"] or "")
    assert client.get(f"/figures?{query}&format=csv").content == response.content


@pytest.mark.parametrize(
    ("url", "status", "parameter"),
    [
        ("/figures", 400, "regions"),
        ("/figures?regions=XX123", 404, "regions"),
        ("/figures?regions=GM0344&level=buurt", 400, "level"),
        ("/figures?regions=" + ",".join(f"GM{n:04d}" for n in range(101)), 400, "regions"),
        ("/figures?regions=GM0344&year=twee", 400, "year"),
        ("/figures?regions=GM0344&group=niemand", 400, "group"),
        ("/figures?level=buurt", 400, "indicator"),
        ("/figures?level=buurt&indicator=inwoners&year=2023,2024", 400, "year"),
        ("/figures?level=buurt&indicator=inwoners&within=GM9999", 404, "within"),
        ("/figures?level=straat&indicator=inwoners", 404, "level"),
        ("/figures?regions=GM0344&format=xlsx", 400, "format"),
        ("/regions/BU03440111/map.svg", 400, "indicator"),
        ("/regions/BU99999999/map.svg?indicator=inwoners", 404, "code"),
        ("/regions/BU03440111/map.svg?indicator=inwoners&year=1990", 400, "year"),
    ],
)
def test_bad_table_and_map_requests_name_the_parameter(client: TestClient, url: str, status: int, parameter: str) -> None:
    assert error_of(client, url) == (status, parameter)


def test_report_map_colours_the_buurten_of_the_gemeente_as_the_legend(client: TestClient, demo_store: Store) -> None:
    query = "indicator=bijstand_per_1000&year=2023&group=totaal"
    response = client.get(f"/regions/{BUURT}/map.svg?{query}")
    assert response.status_code == 200 and response.headers["content-type"] == "image/svg+xml"
    svg = response.text
    legend = client.get(f"/legend/bijstand_per_1000.json?level=buurt&within=GM0344&{query}").json()
    fills = re.findall(r'<path d="[^"]+" fill="(#[0-9a-f]{6})"><title>', svg)
    assert len(fills) == len(demo_store.regions(Level.buurt, 2023, "GM0344"))
    colours = [c["colour"].lower() for c in legend["classes"]]
    for colour, entry in zip(colours, legend["classes"]):
        assert fills.count(colour) == entry["count"], f"class {entry['label']}"
    assert fills.count(WITHHELD) == legend["withheld"]["count"]
    assert 'stroke="#000000"' in svg and "Welgelegen" in svg


def test_a_table_too_large_is_refused_naming_what_to_narrow(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("profiles.table.MAX_ROWS", 100)  # 111 Utrecht buurten, 45 figures of the gemeente in 2024
    response = client.get("/figures?level=buurt&indicator=inwoners&year=2024&within=GM0344")
    assert response.status_code == 400 and response.json()["parameter"] == "group"
    assert client.get("/figures?regions=GM0344&year=2024").json()["parameter"] == "regions"
    assert client.get("/figures?regions=GM0344&year=2024&indicator=inwoners").status_code == 200


def test_csv_for_a_dutch_spreadsheet_has_semicolons_and_decimal_commas(client: TestClient) -> None:
    query = "regions=WK034401,GM0344&indicator=huishoudensgrootte,inwoners&year=2024"
    rows = client.get(f"/figures?{query}").json()["figures"]
    text = client.get(f"/figures.csv?{query}&dialect=excel-nl").content.decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [line["code"] for line in table] == [row["code"] for row in rows]
    for line, row in zip(table, rows):
        assert (float(line["value"].replace(",", ".")) if line["value"] else None) == row["value"]
    assert any("," in line["value"] for line in table), "huishoudensgrootte has decimals: 1,9"
    assert error_of(client, f"/figures.csv?{query}&dialect=excel") == (400, "dialect")
