"""HTTP behaviour shared by every endpoint: links behind a proxy, content negotiation, security headers, paging."""

from __future__ import annotations

import asyncio
import json
from functools import partial
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from settings import Settings
from store import Store
from tests.conftest import error_of
from web.app import create_app
from web.http import CommonHeaders

PUBLIC = "https://kaart.example.nl/wijkmonitor"


@pytest.fixture(scope="module")
def proxied(demo_build: tuple[Path, object], demo_store: Store) -> TestClient:
    settings = Settings(dataset=demo_build[0], reload_check_seconds=-1, public_url=PUBLIC + "/")
    return TestClient(create_app(settings, demo_store))


def test_links_use_the_public_url_not_the_host_header(proxied: TestClient) -> None:
    forged = {"host": "evil.example.com"}
    tilejson = proxied.get("/tiles/buurt.json?year=2023", headers=forged).json()
    assert tilejson["tiles"][0].startswith(f"{PUBLIC}/tiles/buurt/{{z}}/{{x}}/{{y}}.mvt?")
    style = proxied.get("/styles/inwoners.json?year=2023", headers=forged).json()
    assert style["glyphs"].startswith(f"{PUBLIC}/fonts/")
    assert style["sources"]["wijkmonitor"]["tiles"][0].startswith(f"{PUBLIC}/tiles/")
    catalog = proxied.get("/catalog", headers=forged).json()
    assert catalog["levels"]["buurt"]["tilejson"] == f"{PUBLIC}/tiles/buurt.json"
    assert "evil" not in proxied.get("/regions?q=zuilen&limit=1", headers=forged).json()["next"]


@pytest.mark.parametrize(
    "accept, gzipped",
    [
        ("gzip", True),
        ("gzip;q=0", False),
        ("gzip; q=0.0, identity", False),
        ("br, gzip;q=0.5", True),
        ("*", True),
        ("*;q=0", False),
        ("gzip;q=0, *", False),  # named codings win over the wildcard
        ("identity", False),
        ("gzip;q=zero", False),
    ],
)
def test_gzip_follows_the_q_values_of_accept_encoding(client: TestClient, accept: str, gzipped: bool) -> None:
    response = client.get("/tiles/buurt/13/4211/2702.mvt?year=2023", headers={"accept-encoding": accept})
    assert response.status_code == 200
    assert (response.headers.get("content-encoding") == "gzip") is gzipped


@pytest.mark.parametrize("path", ["/", "/health", "/catalog", "/tiles/buurt/13/4211/2702.mvt", "/styles/inwoners.json", "/nothing"])
def test_every_response_says_nosniff(client: TestClient, path: str) -> None:
    assert client.get(path).headers["x-content-type-options"] == "nosniff"


def test_the_viewer_has_a_content_security_policy_that_allows_embedding(demo_build: tuple[Path, object], demo_store: Store) -> None:
    settings = Settings(dataset=demo_build[0], reload_check_seconds=-1, basemap_url="https://{s}.tiles.example.nl/{z}/{x}/{y}.png")
    policy = TestClient(create_app(settings, demo_store)).get("/embed").headers["content-security-policy"]
    assert "script-src 'self'" in policy and "default-src 'self'" in policy
    assert "img-src 'self' data: blob: https://*.tiles.example.nl" in policy
    assert "frame-ancestors *" in policy  # /embed is made for iframes on municipal sites


def test_region_search_pages_instead_of_cutting_off(client: TestClient) -> None:
    everything = client.get("/regions?within=GM0344&limit=1000").json()
    assert everything["total"] == everything["count"] > 50 and "next" not in everything
    first = client.get("/regions?within=GM0344").json()
    assert first["count"] == first["limit"] == 50 and first["total"] == everything["total"]
    collected = list(first["regions"])
    url = first["next"]
    while url:
        page = client.get(url.replace("http://testserver", "")).json()
        collected += page["regions"]
        url = page.get("next")
    assert collected == everything["regions"]


@pytest.mark.parametrize(
    "url, parameter",
    [("/regions?within=GM0344&limit=0", "limit"), ("/regions?within=GM0344&limit=5000", "limit"), ("/regions?within=GM0344&offset=-1", "offset")],
)
def test_bad_paging_is_named(client: TestClient, url: str, parameter: str) -> None:
    assert error_of(client, url) == (400, parameter)


def test_settings_name_a_bad_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIJKMONITOR_PUBLIC_URL", PUBLIC)
    monkeypatch.setenv("WIJKMONITOR_PORT", "achtduizend")
    with pytest.raises(ValueError, match="WIJKMONITOR_PORT='achtduizend'"):
        Settings.from_env()
    monkeypatch.setenv("WIJKMONITOR_PORT", "8001")
    assert Settings.from_env().public_url == PUBLIC and Settings.from_env().port == 8001



def _cancelled(inner) -> list[dict]:
    """What CommonHeaders sends when the request running `inner` is cancelled once `inner` waits, as
    uvicorn cancels the requests still open some seconds after it is asked to stop."""
    sent: list[dict] = []
    waiting = asyncio.Event()

    async def send(message: dict) -> None:
        sent.append(message)

    async def run() -> None:
        request = asyncio.ensure_future(CommonHeaders(partial(inner, waiting))({"type": "http", "method": "GET", "headers": []}, None, send))
        await waiting.wait()
        request.cancel()
        try:
            await request
        except asyncio.CancelledError:
            sent.append({"type": "cancelled"})

    asyncio.run(run())
    return sent


def test_a_request_open_when_the_server_stops_gets_a_503_to_ask_again() -> None:
    async def analysis(waiting: asyncio.Event, scope, receive, send) -> None:
        waiting.set()
        await asyncio.Event().wait()  # an answer that will not come before the server stops

    start, body = _cancelled(analysis)
    assert start["status"] == 503 and (b"retry-after", b"5") in start["headers"]
    assert (b"access-control-allow-origin", b"*") in start["headers"]
    assert json.loads(body["body"])["error"] == "Stopping"


def test_a_request_cancelled_after_it_began_to_answer_is_left_as_it_is() -> None:
    async def slow_body(waiting: asyncio.Event, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        waiting.set()
        await asyncio.Event().wait()

    sent = _cancelled(slow_body)
    assert [m.get("status") for m in sent] == [200, None] and sent[-1] == {"type": "cancelled"}
