"""What every route shares: errors as JSON, gzip negotiation, ETags, security and CORS headers, links."""

from __future__ import annotations

import asyncio
import json
import logging
from functools import lru_cache
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geodata.errors import Busy, RequestError

log = logging.getLogger("wijkmonitor")


@lru_cache(maxsize=64)
def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip: named, or `*`, with a q-value above 0 (RFC 9110
    12.5.3). Remembered: clients send one header value again and again."""
    weights: dict[str, float] = {}
    for part in accept_encoding.lower().split(","):
        coding, _, params = part.strip().partition(";")
        if not coding:
            continue
        q = 1.0
        name, _, value = params.strip().partition("=")
        if name.strip() == "q":
            try:
                q = float(value)
            except ValueError:
                q = 0.0  # an unreadable weight is no permission
        weights[coding.strip()] = q
    return weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0))) > 0


def parse_etags(if_none_match: str) -> set[str]:
    """The entity tags of an If-None-Match header."""
    return {part.strip() for part in if_none_match.split(",") if part.strip()}


def public_base_url(request: Request, public_url: str) -> str:
    """Where links point: the configured public URL (behind a proxy), else the address the client used."""
    return public_url.rstrip("/") or str(request.base_url).rstrip("/")


async def error_response(request: Request, exc: Exception) -> Response:
    """The one place errors become HTTP: ours to their 4xx with the parameter at fault, the rest to a 500
    without a trace (the trace goes to the log)."""
    if isinstance(exc, RequestError):
        return JSONResponse(
            {"error": type(exc).__name__, "parameter": exc.parameter, "detail": exc.message},
            status_code=exc.status_code,
            headers={"Retry-After": str(exc.retry_after)} if isinstance(exc, Busy) else None,
        )
    if isinstance(exc, HTTPException):
        return JSONResponse({"error": "HTTPError", "detail": exc.detail}, status_code=exc.status_code)
    log.exception("unexpected error on %s", request.url.path)
    return JSONResponse({"error": "InternalError", "detail": "unexpected server error; see the server log"}, status_code=500)


def viewer_csp(basemap_url: str) -> str:
    """The viewer loads only our own scripts and data; images also from the configured background map.
    Inline styles stay allowed (Leaflet positions tiles with them); any site may embed the map."""
    images = "'self' data: blob:"
    if basemap_url:
        parts = urlsplit(basemap_url)
        images += f" {parts.scheme}://{parts.netloc.replace('{s}', '*')}"  # Leaflet's {s} subdomains
    return (
        f"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src {images}; "
        "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors *"
    )


# The API is public and read-only, and uses no cookies: any page may read any answer, so the answer
# does not depend on the request's Origin (no Vary: Origin) and every response says so.
COMMON_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", b"ETag"),
]
PREFLIGHT_HEADERS = [
    (b"access-control-allow-methods", b"GET, HEAD"),
    (b"access-control-allow-headers", b"*"),
    (b"access-control-max-age", b"600"),
]


STOPPING_BODY = json.dumps({"error": "Stopping", "parameter": None, "detail": "the server is stopping; ask again shortly"}).encode()
STOPPING_HEADERS = [
    (b"content-type", b"application/json"), (b"content-length", str(len(STOPPING_BODY)).encode()), (b"retry-after", b"5"),
]


class CommonHeaders:
    """nosniff and CORS on every response, the answer to a CORS preflight, and a 503 for a request the
    server stops before answering it (ASGI middleware, no body buffering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and any(name == b"access-control-request-method" for name, _ in scope["headers"]):
            await send({"type": "http.response.start", "status": 204, "headers": COMMON_HEADERS + PREFLIGHT_HEADERS})
            await send({"type": "http.response.body", "body": b""})
            return

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", ()), *COMMON_HEADERS]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except asyncio.CancelledError:
            # A server that cancels the requests still open when it stops (uvicorn, some seconds after it is
            # asked to; `serve`'s Granian waits for them instead): one not answered yet (an analysis, say) gets
            # a 503 to ask again, not the server's plain-text 500.
            if started:
                raise
            await send_with_headers({"type": "http.response.start", "status": 503, "headers": STOPPING_HEADERS})
            await send_with_headers({"type": "http.response.body", "body": STOPPING_BODY})
