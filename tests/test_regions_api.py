"""The region API: a buurt's figures with its wijk and gemeente, differences and rank, checked against the CBS CSV."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from geodata.regions import Level
from store import Store
from tests.conftest import error_of, kwb_rows

BUURT = "BU03440111"


def figure(profile: dict, indicator: str, group: str, year: int) -> dict:
    return next(f for f in profile["figures"] if (f["indicator"], f["group"], f["year"]) == (indicator, group, year))


def test_buurt_profile_has_parents_and_source_figures(client: TestClient) -> None:
    profile = client.get(f"/regions/{BUURT}").json()
    assert profile["level"] == "buurt" and profile["name"] == "Welgelegen, Den Hommel"
    assert profile["parents"]["wijk"]["code"] == "WK034401"
    assert profile["parents"]["gemeente"] == {"code": "GM0344", "name": "Utrecht"}
    assert profile["years"] == [2023, 2024]
    for year in (2023, 2024):
        rows = kwb_rows(year)
        f = figure(profile, "inwoners", "totaal", year)
        assert f["value"] == float(rows[BUURT]["a_inw"])
        assert f["wijk"]["value"] == float(rows["WK034401"]["a_inw"])
        assert f["gemeente"]["value"] == float(rows["GM0344"]["a_inw"])
        assert f["gemeente"]["difference"] is None, "a count is not compared as it is (1.810 against 367.947 inwoners)"
        assert figure(profile, "inwoners", "herkomst_buiten_europa", year)["value"] == float(rows[BUURT]["a_neu_al"])
    size = figure(profile, "huishoudensgrootte", "totaal", 2024)
    assert size["gemeente"]["difference"] == round(size["value"] - size["gemeente"]["value"], 1)


def test_counts_are_compared_per_1000_as_the_catalog_says(client: TestClient) -> None:
    profile = client.get(f"/regions/{BUURT}").json()
    assert profile["indicators"]["bijstandsontvangers"]["compare"] == "bijstand_per_1000"
    assert profile["indicators"]["bijstandsontvangers"]["kind"] == "count"
    count = figure(profile, "bijstandsontvangers", "totaal", 2023)
    rate = figure(profile, "bijstand_per_1000", "totaal", 2023)
    assert count["gemeente"]["value"] > count["value"] > 0 and count["gemeente"]["difference"] is None
    assert rate["gemeente"]["difference"] == round(rate["value"] - rate["gemeente"]["value"], 1)


def test_rank_within_the_gemeente(client: TestClient, demo_store: Store) -> None:
    rows = kwb_rows(2023)
    # Ranked among the published figures: not those disclosure control protects (two business parks).
    statuses = demo_store.figures(Level.buurt, 2023, "totaal", "inwoners").statuses
    protected = set(statuses[statuses == "protected"].index)
    assert len(protected) <= 3
    inwoners = {
        c: float(r["a_inw"]) for c, r in rows.items() if c.startswith("BU") and r["a_inw"] != "." and c not in protected
    }
    expected = 1 + sum(v > inwoners[BUURT] for v in inwoners.values())
    f = figure(client.get(f"/regions/{BUURT}").json(), "inwoners", "totaal", 2023)
    assert f["rank"] == {"position": expected, "of": len(inwoners), "order": "hoogste waarde eerst"}


def test_unpublished_figures_say_why(client: TestClient) -> None:
    profile = client.get(f"/regions/{BUURT}").json()
    secret = figure(profile, "jeugdzorg", "totaal", 2023)
    assert secret["value"] is None and secret["status"] == "secret" and "CBS" in secret["note"]
    # BU03441011 had 45 inhabitants in 2023 (a_inw in the CSV): shares of its groups are withheld.
    assert kwb_rows(2023)["BU03441011"]["a_inw"] == "45"
    withheld = figure(client.get("/regions/BU03441011").json(), "aandeel_inwoners", "herkomst_buiten_europa", 2023)
    assert withheld["value"] is None and withheld["status"] == "withheld" and "te weinig" in withheld["note"]


def test_profile_carries_definitions(client: TestClient) -> None:
    indicators = client.get(f"/regions/{BUURT}").json()["indicators"]
    assert indicators["inwoners"]["unit"] == "personen" and indicators["inwoners"]["source"].startswith("CBS")


def test_search_by_name(client: TestClient) -> None:
    found = client.get("/regions?q=zuilen").json()["regions"]
    assert found[0]["name"] == "Zuilen-Noord"
    assert {r["code"] for r in client.get("/regions?level=wijk&within=GM0344").json()["regions"]} == {
        c for c in kwb_rows(2024) if c.startswith("WK")
    }
    assert client.get("/regions?q=utrecht&level=gemeente").json()["regions"][0]["code"] == "GM0344"


@pytest.mark.parametrize(
    "url, status, parameter",
    [("/regions/XX12", 404, "code"), ("/regions/BU99999999", 404, "code"), ("/regions?q=a", 400, "q"), ("/regions?level=land&q=ab", 404, "level")],
)
def test_region_errors_are_json(client: TestClient, url: str, status: int, parameter: str) -> None:
    assert error_of(client, url) == (status, parameter)


def test_viewer_pages_and_front_end_libraries_are_served_by_us(client: TestClient) -> None:
    for path in ("/", "/embed"):
        page = client.get(path)
        assert page.status_code == 200 and "/vendor/leaflet/leaflet.js" in page.text
        assert "unpkg" not in page.text and "cdn" not in page.text.lower()
    assert client.get("/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js").status_code == 200
    config = client.get("/viewer/config.json").json()
    assert config["basemap_url"] is None  # no background map unless configured
    west, south, east, north = config["bounds"]
    assert 4.9 < west < east < 5.3 and 51.9 < south < north < 52.2  # Utrecht's buurten


def test_figures_that_would_reveal_a_withheld_one_say_why(client: TestClient) -> None:
    """BU03441011's shares are withheld (45 inhabitants); its group counts would give them away
    (share = count / total), so they are not published either, and say so."""
    profile = client.get("/regions/BU03441011").json()
    count = figure(profile, "inwoners", "herkomst_buiten_europa", 2023)
    assert count["value"] is None and count["status"] == "protected"
    assert "ander cijfer te beschermen" in count["note"]
    total = figure(profile, "inwoners", "totaal", 2023)
    assert total["status"] == "ok" and total["value"] == 45  # the total others are read against stays
    households = figure(profile, "aandeel_eenpersoonshuishoudens", "totaal", 2023)
    assert households["status"] == "withheld"  # fewer than 50 households: the note says households
    assert "minder dan 50 huishoudens in de noemer" in households["note"]


def test_composition_figures_are_not_ranked(client: TestClient) -> None:
    profile = client.get(f"/regions/{BUURT}").json()
    assert "rank" in figure(profile, "inwoners", "herkomst_buiten_europa", 2023)
    assert "rank" not in figure(profile, "aandeel_inwoners", "herkomst_buiten_europa", 2023)
