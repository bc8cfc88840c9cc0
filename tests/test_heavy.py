"""Static maps and figure tables are bounded: a few run, a few wait, one more gets 503 with
Retry-After, and the server answers other requests meanwhile."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

import web.maps
from settings import Settings
from store import Store
from web.app import create_app

MAP = "/maps/bijstand_per_1000.png?level=buurt&year=2023&within=GM0344&width=300"
GUARD_SECONDS = 600  # against a hang only


def test_a_map_beyond_the_bound_gets_503_and_the_rest_is_answered(
    demo_build: tuple[Path, object], demo_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    started, release = threading.Event(), threading.Event()
    real = web.maps.map_png

    def held_map(*args: Any) -> bytes:
        started.set()
        release.wait(GUARD_SECONDS)
        return real(*args)

    monkeypatch.setattr(web.maps, "map_png", held_map)
    settings = Settings(dataset=demo_build[0], reload_check_seconds=-1, heavy_requests=1, heavy_queue=0)
    client = TestClient(create_app(settings, demo_store))
    answers: list[Any] = []
    first = threading.Thread(target=lambda: answers.append(client.get(MAP)), daemon=True)
    first.start()
    assert started.wait(GUARD_SECONDS)

    refused = client.get(MAP)
    assert refused.status_code == 503 and int(refused.headers["Retry-After"]) > 0
    assert refused.json()["error"] == "Busy" and refused.json()["parameter"] == "map"
    refused_table = client.get("/figures?regions=GM0344")
    assert refused_table.status_code == 503 and refused_table.json()["parameter"] == "figures"
    assert client.get("/tiles/buurt/13/4211/2703.mvt?year=2023&indicators=inwoners").status_code == 200

    release.set()
    first.join(GUARD_SECONDS)
    assert answers[0].status_code == 200 and answers[0].content.startswith(b"\x89PNG")
    assert client.get("/figures?regions=GM0344").status_code == 200
