"""What every route shares: errors as JSON, gzip negotiation, ETags, security headers, links."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from geodata.errors import Busy, RequestError

log = logging.getLogger("wijkmonitor")


def accepts_gzip(request: Request) -> bool:
    """Whether Accept-Encoding allows gzip: named, or `*`, with a q-value above 0 (RFC 9110 12.5.3)."""
    weights: dict[str, float] = {}
    for part in request.headers.get("accept-encoding", "").lower().split(","):
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


def if_none_match(request: Request) -> set[str]:
    raw = request.headers.get("if-none-match", "")
    return {part.strip() for part in raw.split(",") if part.strip()}


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


class SecurityHeaders:
    """Adds X-Content-Type-Options: nosniff to every response (ASGI middleware, no body buffering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).setdefault("X-Content-Type-Options", "nosniff")
            await send(message)

        await self.app(scope, receive, send_with_headers)
