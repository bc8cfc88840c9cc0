"""PostGIS over HTTP for bench/peers.py: the tile functions of bench/postgis_tiles.py behind an HTTP server,
as Martin and pg_tileserv put them (neither is on PyPI, Debian or npm, so neither can be installed here).

A stand-in, kept as lean as we can make it: a bare ASGI app (no framework) under the HTTP server
`wijkmonitor serve` runs (Granian, one process, single-threaded runtime, uvloop), one connection to
PostgreSQL per function with its prepared statement (bench/postgis_tiles.TileCalls), called on the event
loop (no thread hop; the bench asks one tile at a time), the tile gzipped when the client accepts it,
as Martin does. What it adds to
the bare SQL call is an HTTP hand-over like ours; Martin's own (Rust, actix) would cost less.

    GET /{selection}/{z}/{x}/{y}   the tile of the function named by PEERS_FUNCTIONS (JSON {selection: name})
    GET /health                    200

    PEERS_DSN=... PEERS_FUNCTIONS='{"one": "peers.tile_one"}' granian --interface asgi bench.postgis_http:app
"""

from __future__ import annotations

import gzip
import json
import os
from typing import Any

from bench.postgis_tiles import TileCalls

MVT = [(b"content-type", b"application/vnd.mapbox-vector-tile")]


class PostgisTiles:
    def __init__(self, dsn: str, functions: dict[str, str]) -> None:
        self.dsn = dsn
        self.functions = functions
        self.calls: dict[str, TileCalls] = {}  # connected at the first tile: importing the module connects nothing

    def tile(self, selection: str, z: int, x: int, y: int) -> bytes:
        if selection not in self.calls:
            self.calls[selection] = TileCalls(self.dsn, self.functions[selection])
        return self.calls[selection].tile(z, x, y)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        parts = scope["path"].strip("/").split("/")
        status, headers, body = 404, [], b""
        if parts == ["health"]:
            status = 200
        elif len(parts) == 4 and parts[0] in self.functions and all(p.isdigit() for p in parts[1:]):
            body = self.tile(parts[0], *(int(p) for p in parts[1:]))
            status = 200 if body else 204
            if body:
                headers = list(MVT)
                accepted = dict(scope["headers"]).get(b"accept-encoding", b"")
                if b"gzip" in accepted:
                    body = gzip.compress(body, 6, mtime=0)
                    headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


app = PostgisTiles(os.environ.get("PEERS_DSN", ""), json.loads(os.environ.get("PEERS_FUNCTIONS", "{}")))
