"""`serve`'s processes speak RSGI, Granian's own interface, rather than ASGI.

A cache hit is a few dict lookups in our code (web.cached), so Granian's own work per request sets
the rate, and its ASGI side builds a scope dict with every header and reads two message dicts back
per answer. Over RSGI a hit is answered with one call from the request's attributes. A bare app
sending a 1.4 KB body (two 4 s wrk runs each way) answered 4,200 against 2,000-3,500 req/s over 1
connection and 36,500-38,100 against 27,700-32,300 over 50; cached national tiles in bench/peers.py
went from 0.35-0.36x nginx's rate to 0.86x over 1 connection, and from 0.44-0.54x to 0.82x over 50.

Everything else goes to the ASGI app through `_asgi`: a scope made from the request, its body as one
message, the answer sent whole or, when the app streams it, as a stream. The app's lifespan runs before
the process serves and after it stops (`__rsgi_init__`, `__rsgi_del__`). Tests and other servers
use the ASGI app itself (web.app), with web.cached in front of it.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from starlette.types import ASGIApp, Message

from tiles.cache import CachedTile
from web.cached import COMMON, CachedTiles, hit_answer

log = logging.getLogger("wijkmonitor")
ASGI_VERSION = {"version": "3.0", "spec_version": "2.3"}
FAILED = b'{"error": "InternalError", "detail": "unexpected server error; see the server log"}'  # as web.http


class RSGIApp:
    """The app behind `front` (web.cached, in front of the app: web.app) served over RSGI, with the /tiles/
    GETs that `front` answers answered first; the rest goes to the app behind it, not through it again."""

    def __init__(self, front: CachedTiles) -> None:
        self.app: ASGIApp = front.app
        self.front = front
        self._max_age = front.holder.settings.cache_max_age
        self._lifespan = _Lifespan(self.app)

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.run_until_complete(self._lifespan.start())

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        loop.run_until_complete(self._lifespan.stop())

    async def __rsgi__(self, scope: Any, proto: Any) -> None:
        if scope.proto != "http":  # Granian is started without websockets
            return
        if scope.method == "GET":
            cached = await self.front.tile_of(scope.path, scope.query_string.encode())
            if cached is not None and self._answer(cached, scope.headers, proto):
                return
        await self._asgi(scope, proto)

    def _answer(self, cached: CachedTile, headers: Any, proto: Any) -> bool:
        """False when the gzip body is not made yet (the route makes it)."""
        answer = hit_answer(cached, headers.get("accept-encoding") or "", headers.get("if-none-match") or "", self._max_age)
        if answer is None:
            return False
        status, fields, body = answer
        if body:
            proto.response_bytes(status, fields, body)
        else:
            proto.response_empty(status, fields)
        return True

    async def _asgi(self, scope: Any, proto: Any) -> None:
        asgi_scope = {
            "type": "http", "asgi": ASGI_VERSION, "http_version": scope.http_version, "method": scope.method,
            "scheme": scope.scheme, "path": scope.path, "query_string": scope.query_string.encode(), "root_path": "",
            "headers": [(name.encode("latin-1"), value.encode("latin-1")) for name, value in scope.headers.items()],
            "client": _address(scope.client), "server": _address(scope.server), "state": dict(self._lifespan.state),
        }
        read = False

        async def receive() -> Message:
            nonlocal read
            if not read:
                read = True
                return {"type": "http.request", "body": await proto(), "more_body": False}
            await proto.client_disconnect()
            return {"type": "http.disconnect"}

        start: Message | None = None
        stream: Any = None

        async def send(message: Message) -> None:
            nonlocal start, stream
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                return
            body, more = message.get("body", b""), message.get("more_body", False)
            if stream is None and not more:
                proto.response_bytes(start["status"], _headers(start), body)
                return
            if stream is None:
                stream = proto.response_stream(start["status"], _headers(start))
            if body:
                await stream.send_bytes(body)

        try:
            await self.app(asgi_scope, receive, send)
        except Exception:  # the app answers its errors (web.http.error_response): this is a fault of ours
            log.exception("%s %s failed", scope.method, scope.path)
            if start is None:
                proto.response_bytes(500, [("content-type", "application/json"), *COMMON], FAILED)


def _headers(start: Message) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in start.get("headers", ())]


def _address(address: str | None) -> tuple[str, int] | None:
    """'host:port' (an IPv6 host has colons of its own) as ASGI's (host, port)."""
    if not address or ":" not in address:
        return None
    host, port = address.rsplit(":", 1)
    return host.strip("[]"), int(port) if port.isdigit() else 0


class _Lifespan:
    """The ASGI app's lifespan: started before the process serves, stopped after (its errors stop the process)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.state: dict[str, Any] = {}
        self._to_app: asyncio.Queue[Message] | None = None
        self._from_app: asyncio.Queue[Message] | None = None
        self._task: asyncio.Future[None] | None = None

    async def start(self) -> None:
        self._to_app, self._from_app = asyncio.Queue(), asyncio.Queue()
        scope = {"type": "lifespan", "asgi": ASGI_VERSION, "state": self.state}
        self._task = asyncio.ensure_future(self.app(scope, self._to_app.get, self._from_app.put))
        await self._step("startup")

    async def stop(self) -> None:
        if self._task is None or self._task.done():
            return
        await self._step("shutdown")
        await self._task

    async def _step(self, step: str) -> None:
        assert self._to_app is not None and self._from_app is not None and self._task is not None
        await self._to_app.put({"type": f"lifespan.{step}"})
        answer = asyncio.ensure_future(self._from_app.get())
        await asyncio.wait([answer, self._task], return_when=asyncio.FIRST_COMPLETED)
        if not answer.done():  # the app ended without answering: its error
            answer.cancel()
            self._task.result()
            raise RuntimeError(f"the app's lifespan ended at {step}")
        message = answer.result()
        if message["type"] != f"lifespan.{step}.complete":
            raise RuntimeError(f"the app's lifespan {step} failed: {message.get('message', '')}")
