"""Analysis parameters have limits: out of range (0 included) is a 400 naming the parameter."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tests.conftest import error_of

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

