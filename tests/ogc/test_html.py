"""The Features pages as HTML for a browser (f=html or Accept: text/html): each links its JSON, shows
the figures the JSON has, pages with the filter kept, and loads nothing from elsewhere; clients that
do not ask for HTML get JSON as before."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from geodata.regions import Level
from store import Store
from tests.conftest import ROOT, error_of, kwb_rows, run_browser_check

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
PAGES = ["/ogc", "/ogc/collections", "/ogc/collections/buurt_2023", "/ogc/collections/buurt_2023/items",
         "/ogc/collections/buurt_2023/items/BU03440111"]


@pytest.mark.parametrize("path", PAGES)
def test_a_browser_gets_a_page_that_links_its_json(client: TestClient, path: str) -> None:
    page = client.get(path, headers=BROWSER)
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    text = page.text
    assert '<html lang="nl">' in text and "<script" not in text
    # only our own stylesheet: nothing from another site
    assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', text) == ["/viewer/pages.css"]
    [alternate] = re.findall(r'<link rel="alternate" type="application/json" href="([^"]+)"', text)
    as_json = client.get(unescape(alternate), headers=BROWSER)
    assert as_json.headers["content-type"].startswith(("application/json", "application/geo+json"))
    assert client.get(path + ("&" if "?" in path else "?") + "f=html").text.count("<h1>") == 1


@pytest.mark.parametrize("accept", ["application/json", "*/*", "application/geo+json, application/json", None])
def test_clients_that_do_not_ask_for_html_get_json(client: TestClient, accept: str | None) -> None:
    headers = {"Accept": accept} if accept else {}
    for path in PAGES:
        assert "json" in client.get(path, headers=headers).headers["content-type"], path


def test_the_items_page_shows_the_features_of_the_page_and_keeps_the_filter(client: TestClient, demo_store: Store) -> None:
    url = f"/ogc/collections/buurt_2023/items?limit=5&f=html&filter={quote('inwoners__totaal > 2000')}"
    text = client.get(url).text
    figures = demo_store.figures(Level.buurt, 2023, "totaal", "inwoners")
    ok = figures.values[(figures.statuses == "ok") & (figures.values > 2000)]
    assert f"{len(ok)} features gevonden; dit zijn 1 tot en met 5." in text
    rows = re.findall(r'items/(BU\d+)\?f=html">BU\d+</a></td><td>[^<]*</td><td>GM0344</td><td>WK\d+</td><td class="num">(\d+)</td>', text)
    assert [(code, float(value)) for code, value in rows] == list(ok.head(5).items())
    [following] = re.findall(r'rel="next" href="([^"]+)"', text)
    assert "filter=inwoners__totaal+%3E+2000" in unescape(following) and "offset=5" in unescape(following)
    assert "dit zijn 6 tot en met 10." in client.get(unescape(following)).text


def test_the_item_page_has_the_figures_of_the_region(client: TestClient) -> None:
    text = client.get("/ogc/collections/buurt_2023/items/BU03440111", headers=BROWSER).text
    inwoners = int(kwb_rows(2023)["BU03440111"]["a_inw"])
    assert f'<tr><th scope="row">inwoners__totaal</th><td class="num">{inwoners}</td></tr>' in text
    assert "<h1>Welgelegen, Den Hommel (BU03440111)</h1>" in text


def test_an_unknown_format_is_a_400(client: TestClient) -> None:
    assert error_of(client, "/ogc/collections/buurt_2023/items?f=xml") == (400, "f")


def test_the_html_pages_pass_axe_in_chromium(live_server: str) -> None:
    pages = ["/ogc?f=html", "/ogc/collections?f=html", "/ogc/collections/buurt_2023?f=html",
             "/ogc/collections/buurt_2023/items?f=html&limit=10&filter=inwoners__totaal%20%3E%205000",
             "/ogc/collections/buurt_2023/items/BU03440111?f=html"]
    result = run_browser_check(ROOT / "tests" / "ogc" / "html_check.mjs", *(f"{live_server}{page}" for page in pages))
    assert result["problems"] == []
    assert [page["violations"] for page in result["pages"]] == [[]] * len(pages)
    assert all(page["title"] for page in result["pages"])


@pytest.mark.parametrize("path", ["/ogc", "/ogc/collections", "/ogc/collections/buurt_2023",
                                  "/ogc/collections/buurt_2023/queryables", "/ogc/collections/buurt_2023/items?limit=1",
                                  "/ogc/collections/buurt_2023/items/BU03440111"])
def test_json_chosen_by_accept_says_vary_accept(client: TestClient, path: str) -> None:
    # the same URL gives HTML to a browser: a shared cache must not hand one to the other
    response = client.get(path, headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert "accept" in [part.strip().lower() for part in response.headers["vary"].split(",")]
