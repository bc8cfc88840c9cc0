"""Analysis parameters have limits: out of range (0 included) is a 400 naming the parameter,
and so is an analysis larger than the server computes."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.testclient import TestClient

from settings import Settings
from store import Store
from tests.conftest import error_of
from tests.styles.test_style_endpoint import bijstand_2023
from web.app import create_app

UTRECHT_BUURTEN = "/analysis/hotspots?indicator=bijstand_per_1000&year=2023&within=GM0344"


@pytest.mark.parametrize(
    "query, parameter",
    [
        ("&k=0&weights=knn", "k"),
        ("&k=0", "k"),
        ("&k=31&weights=knn", "k"),
        ("&permutations=0", "permutations"),
        ("&permutations=98", "permutations"),
        ("&permutations=1000000000", "permutations"),
        ("&permutations=1e9", "permutations"),
    ],
)
def test_out_of_range_parameters_are_400_never_the_default(client: TestClient, query: str, parameter: str) -> None:
    assert error_of(client, UTRECHT_BUURTEN + query) == (400, parameter)
    assert error_of(client, "/styles/bijstand_per_1000.json?year=2023&analysis=gi_star" + query) == (400, parameter)


def test_an_analysis_larger_than_the_draw_limit_is_400(demo_build: tuple[Path, object], demo_store: Store) -> None:
    settings = Settings(dataset=demo_build[0], reload_check_seconds=-1, analysis_max_draws=50_000)
    client = TestClient(create_app(settings, demo_store))  # refused before any worker is asked
    assert error_of(client, UTRECHT_BUURTEN + "&permutations=999") == (400, "permutations")
    with_figure = sum(v is not None for v in bijstand_2023(demo_store).values())
    detail = client.get(UTRECHT_BUURTEN + "&permutations=999").json()["detail"]
    assert f"{with_figure} regions x 999 permutations" in detail
    assert f"at most {50_000 // with_figure} permutations" in detail
