"""A real client's filter: GDAL's OAPIF driver (the GDAL in pyogrio's wheel) turns an OGR `where` into
a CQL2 text `filter` that the server evaluates, and reads the features the demo's figures select."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs

import pytest
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from geodata.regions import Level
from store import Store
from tests.conftest import app_on, free_port


class Recorder:
    """ASGI middleware that keeps the query of every /items request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app, self.queries = app, []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].endswith("/items"):
            self.queries.append(parse_qs(scope["query_string"].decode()))
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def recording_server(demo_build: tuple[Path, object], demo_store: Store) -> Iterator[tuple[str, Recorder]]:
    port = free_port()
    recorder = Recorder(app_on(demo_build[0], demo_store))
    server = uvicorn.Server(uvicorn.Config(recorder, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "the test server stopped while starting"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", recorder
    server.should_exit = True
    thread.join(5)


def test_gdal_pushes_a_where_clause_down_as_a_cql2_filter(recording_server: tuple[str, Recorder], demo_store: Store) -> None:
    url, recorder = recording_server
    where = "inwoners__totaal > 2000 AND bijstand_per_1000__totaal < 30"
    # In another process: GDAL holds this one's GIL, which the test server's thread needs to answer it.
    read = (
        "import sys, pyogrio\n"
        "found = pyogrio.read_dataframe(sys.argv[1], where=sys.argv[2])\n"
        "print(found[['code', 'inwoners__totaal', 'bijstand_per_1000__totaal']].to_json(orient='records'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", read, f"OAPIF:{url}/ogc/collections/buurt_2023", where],
        capture_output=True, text=True, timeout=900,  # a guard against a hang only
    )
    assert done.returncode == 0, done.stderr
    filters = [(q["filter"][0], q.get("filter-lang")) for q in recorder.queries if "filter" in q]
    assert filters == [("(inwoners__totaal > 2000) AND (bijstand_per_1000__totaal < 30)", ["cql-text"])]
    rows = json.loads(done.stdout.strip().splitlines()[-1])

    inwoners = demo_store.figures(Level.buurt, 2023, "totaal", "inwoners")
    bijstand = demo_store.figures(Level.buurt, 2023, "totaal", "bijstand_per_1000")
    both = (inwoners.statuses == "ok") & (bijstand.statuses == "ok")
    expected = inwoners.values.index[both & (inwoners.values > 2000) & (bijstand.values < 30)].tolist()
    assert [row["code"] for row in rows] == expected and len(expected) == 50
    for row in rows:
        assert (row["inwoners__totaal"], "ok") == demo_store.figure(row["code"], 2023, "totaal", "inwoners")
        value, status = demo_store.figure(row["code"], 2023, "totaal", "bijstand_per_1000")
        assert status == "ok" and row["bijstand_per_1000__totaal"] == pytest.approx(value)
