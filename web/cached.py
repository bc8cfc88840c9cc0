"""How a cached tile is answered, and cache hits answered before Starlette routes the request.

A tile request that was answered once has its raw path and query remembered with the cache key
they became (`remember_request`). When the same GET comes again and its tile is still cached, the
answer is sent from here: no routing, no Request object, no middleware chain, so a cache hit costs
a few dict lookups. The answer is the one the route gives too (`tile_answer`), with the headers
web.http.CommonHeaders adds to every response. A /tiles/ GET not remembered (or its tile no longer
cached) is made here too, by web.tiles (`DatasetHolder.tile_of_request`). A HEAD, a gzip body not
made yet and what web.tiles leaves (an analysis, a bad request) go the whole way, and the route
answers them.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from tiles.cache import CachedTile
from tiles.encode import MVT_TYPE
from web.holder import DatasetHolder, Served
from web.http import COMMON_HEADERS, accepts_gzip, parse_etags

PLAIN_TILE = [("content-type", MVT_TYPE)]
GZIP_TILE = [*PLAIN_TILE, ("content-encoding", "gzip")]
COMMON = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in COMMON_HEADERS]
MAX_REQUESTS = 16_384  # remembered request lines per dataset (about 250 B each); forgotten together when full


def entity_tag(cached: CachedTile, gzipped: bool) -> str:
    """Strong ETags name one representation: the gzip body gets its own."""
    return f'"{cached.etag}-gz"' if gzipped else f'"{cached.etag}"'


def tile_answer(cached: CachedTile, wants_gzip: bool, etags: set[str], max_age: int) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body for a cached tile: 204 when empty, 304 when the client has this
    representation, else the bytes (the gzip ones when asked for and made)."""
    headers = {"Cache-Control": f"public, max-age={max_age}", "Vary": "Accept-Encoding"}
    if not cached.body:
        return 204, headers, b""
    zipped = cached.gzip_body if wants_gzip else None
    headers["ETag"] = entity_tag(cached, zipped is not None)
    if headers["ETag"] in etags:
        return 304, headers, b""
    headers["Content-Type"] = MVT_TYPE
    if zipped is None:
        return 200, headers, cached.body
    headers["Content-Encoding"] = "gzip"
    return 200, headers, zipped


def hit_answer(
    cached: CachedTile, accept_encoding: str, if_none_match: str, max_age: int
) -> tuple[int, list[tuple[str, str]], bytes] | None:
    """Status, headers (web.http's common ones too) and body of a cache hit, as the route answers it
    (`tile_answer`); None when the gzip body asked for is not made yet: the route makes it."""
    wants_gzip = accepts_gzip(accept_encoding)
    if wants_gzip and cached.body and cached.gzip_body is None:
        return None
    if cached.body and not if_none_match:  # most hits: the bytes, without working out a 204 or 304
        first = [("cache-control", f"public, max-age={max_age}"), ("vary", "Accept-Encoding")]
        if wants_gzip:
            return 200, [*first, ("etag", entity_tag(cached, True)), *GZIP_TILE, *COMMON], cached.gzip_body
        return 200, [*first, ("etag", entity_tag(cached, False)), *PLAIN_TILE, *COMMON], cached.body
    status, headers, body = tile_answer(cached, wants_gzip, parse_etags(if_none_match), max_age)
    return status, [*headers.items(), *COMMON], body


def remember_request(served: Served, path: str, query: bytes, key: str) -> None:
    """The raw request line of a tile answered from the cache key `key`: the next one can skip routing."""
    keys = served.request_keys
    if len(keys) >= MAX_REQUESTS:
        keys.clear()
    keys[(path, query)] = key


class CachedTiles:
    """ASGI middleware answering /tiles/ GETs: remembered ones whose tile is cached, others by making their
    tile (web.tiles). In front of the whole app (web.app), Starlette's error handling and middleware
    included: at 50 connections a cache hit is about 40 µs of one core, and each layer took some of it."""

    def __init__(self, app: ASGIApp, holder: DatasetHolder) -> None:
        self.app = app
        self.holder = holder
        self.max_age = holder.settings.cache_max_age

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            # Routes match the path less the root path: a tile of a request with one is not made here.
            cached = await self.tile_of(scope["path"], scope["query_string"], make=not scope.get("root_path"))
            if cached is not None and await self._answer(cached, scope, send):
                return
        await self.app(scope, receive, send)

    async def tile_of(self, path: str, query: bytes, make: bool = True) -> CachedTile | None:
        """The tile of a GET's path and raw query: remembered and cached, else (with `make`) made by web.tiles;
        None for the route to answer."""
        served = self.holder.current()
        key = served.request_keys.get((path, query))
        cached = None if key is None else served.cache.get(key, count_miss=False)
        maker = self.holder.tile_of_request
        if cached is None and make and maker is not None:
            cached = await maker(served, path, query)
        return cached

    async def _answer(self, cached: CachedTile, scope: Scope, send: Send) -> bool:
        encoding = etags = b""
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                encoding = encoding or value
            elif name == b"if-none-match":
                etags = etags or value
        answer = hit_answer(cached, encoding.decode("latin-1"), etags.decode("latin-1"), self.max_age)
        if answer is None:
            return False
        status, headers, body = answer
        raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]
        if body:
            raw.append((b"content-length", str(len(body)).encode("latin-1")))
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": body})
        return True
