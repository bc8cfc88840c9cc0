"""web.rsgi: `serve` speaks RSGI to Granian. The same requests get the same answers as from the ASGI app
(the live-server tests send real clients through Granian; here each path of the bridge, in process)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.conftest import app_on
from web.cached import CachedTiles
from web.rsgi import RSGIApp

TILE = "/tiles/buurt/12/2106/1351.mvt"


class Headers:
    """As Granian's RSGI headers: get() gives the first value of a name."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def get(self, name: str, default: str | None = None) -> str | None:
        return next((value for key, value in self.pairs if key == name), default)

    def items(self) -> list[tuple[str, str]]:
        return list(self.pairs)


class Proto:
    """What an RSGI app is given to answer with; records the answer."""

    def __init__(self) -> None:
        self.status: int | None = None
        self.headers: list[tuple[str, str]] = []
        self.body = b""
        self.how = ""

    async def __call__(self) -> bytes:
        return b""

    async def client_disconnect(self) -> None:
        await asyncio.Event().wait()  # the client stays

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status, self.headers, self.body, self.how = status, headers, body, "bytes"

    def response_empty(self, status: int, headers: list[tuple[str, str]]) -> None:
        self.status, self.headers, self.how = status, headers, "empty"

    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> Any:
        self.status, self.headers, self.how = status, headers, "stream"
        proto = self

        class Transport:
            async def send_bytes(self, data: bytes) -> None:
                proto.body += data

        return Transport()


@pytest.fixture(scope="module")
def served(demo_build: tuple[Path, object], demo_store: object) -> Iterator[tuple[RSGIApp, asyncio.AbstractEventLoop, TestClient]]:
    app = app_on(demo_build[0], demo_store)
    rsgi = RSGIApp(app.front)
    loop = asyncio.new_event_loop()
    rsgi.__rsgi_init__(loop)  # the app's lifespan started
    try:
        yield rsgi, loop, TestClient(app)
    finally:
        rsgi.__rsgi_del__(loop)
        loop.close()


def ask(served: tuple[RSGIApp, asyncio.AbstractEventLoop, TestClient], path: str, query: str = "", **headers: str) -> Proto:
    rsgi, loop, _ = served
    scope = SimpleNamespace(
        proto="http", method="GET", path=path, query_string=query, http_version="1.1", scheme="http",
        client="127.0.0.1:50000", server="127.0.0.1:8000",
        headers=Headers([("host", "127.0.0.1:8000"), *((name.replace("_", "-"), value) for name, value in headers.items())]),
    )
    proto = Proto()
    loop.run_until_complete(rsgi.__rsgi__(scope, proto))
    return proto


def test_a_cached_tile_is_answered_as_the_asgi_app_answers_it(served) -> None:
    client = served[2]
    first = ask(served, TILE, "year=2023", accept_encoding="gzip")  # made, then gzipped by the route
    again = ask(served, TILE, "year=2023", accept_encoding="gzip")  # from the cache, in front
    expected = client.get(f"{TILE}?year=2023", headers={"Accept-Encoding": "gzip"})
    for answer in (first, again):
        assert answer.status == 200 and answer.how == "bytes"
        shown = dict(answer.headers)
        assert shown["content-encoding"] == "gzip" and shown["etag"] == expected.headers["etag"]
        assert shown["content-type"] == expected.headers["content-type"]
        assert shown["access-control-allow-origin"] == "*" and shown["vary"] == "Accept-Encoding"
    plain = ask(served, TILE, "year=2023")
    assert plain.body == expected.content and dict(plain.headers)["etag"] == expected.headers["etag"].removesuffix('-gz"') + '"'
    unchanged = ask(served, TILE, "year=2023", accept_encoding="gzip", if_none_match=expected.headers["etag"])
    assert (unchanged.status, unchanged.how, unchanged.body) == (304, "empty", b"")


def test_other_requests_go_to_the_asgi_app(served) -> None:
    health = ask(served, "/health")
    assert health.status == 200 and json.loads(health.body)["status"] == "ok"
    bad = ask(served, TILE, "year=2023&group=nope")
    error = json.loads(bad.body)
    assert bad.status == 400 and (error["error"], error["parameter"]) == ("UnknownGroup", "group")
    missing = ask(served, "/nothing-here")
    assert missing.status == 404 and json.loads(missing.body)["error"] == "HTTPError"


def test_a_streamed_answer_is_streamed(served) -> None:
    """The viewer's files are sent in chunks (Starlette's FileResponse): all of them arrive."""
    expected = served[2].get("/")
    page = ask(served, "/")
    assert page.status == 200 and page.body == expected.content


def test_an_app_that_fails_gets_a_500_with_a_json_body(served) -> None:
    async def failing(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            raise RuntimeError("a fault of ours")

    rsgi, loop, _ = served
    broken = RSGIApp(CachedTiles(failing, rsgi.front.holder))
    proto = Proto()
    scope = SimpleNamespace(
        proto="http", method="GET", path="/x", query_string="", http_version="1.1", scheme="http",
        client="127.0.0.1:50000", server="127.0.0.1:8000", headers=Headers([]),
    )
    loop.run_until_complete(broken.__rsgi__(scope, proto))
    assert proto.status == 500 and json.loads(proto.body)["error"] == "InternalError"
