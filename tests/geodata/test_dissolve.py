"""A level dissolved from a finer one (gemeenten from a wijk layer) keeps its enclaves as holes but
not the gaps between its own parts: a published layer's parts do not meet exactly, and each gap
became an outlined sliver on the map (8,726 in the gemeenten from the 2024 wijk layer)."""

from __future__ import annotations

import json
from pathlib import Path

import pyogrio
import shapely

from tests.conftest import build_from_manifest


def square(west: float, south: float, east: float, north: float) -> list[list[float]]:
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def test_gaps_between_parts_close_and_enclaves_stay(tmp_path: Path) -> None:
    # Made by this test: wijk 1 of GM0001 with two holes; wijk 2 of GM0001 in the first, a hair
    # short of its edges (the gap a published layer has); wijk 1 of GM0002 filling the second exactly.
    wijken = [
        ("WK000101", "GM0001", [square(5.00, 52.00, 5.03, 52.03), square(5.01, 52.01, 5.02, 52.02), square(5.022, 52.022, 5.028, 52.028)]),
        ("WK000102", "GM0001", [square(5.0101, 52.0101, 5.0199, 52.0199)]),
        ("WK000201", "GM0002", [square(5.022, 52.022, 5.028, 52.028)]),
    ]
    layer = tmp_path / "wijken.geojson"
    layer.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"wijkcode": code, "gemeentecode": gemeente, "jaar": 2024,
                                           "gemeentenaam": "Eerste" if gemeente == "GM0001" else ""},
         "geometry": {"type": "Polygon", "coordinates": rings}}
        for code, gemeente, rings in wijken
    ]}))
    boundaries = f'file = "{layer}"\nyears = [2024]\n'
    output, _ = build_from_manifest(tmp_path, (
        f'[[boundaries]]\n{boundaries}level = "wijk"\ncode = "{{wijkcode}}"\n'
        f'[[boundaries]]\n{boundaries}level = "gemeente"\ncode = "{{gemeentecode}}"\nname = "{{gemeentenaam}}"\ndissolve = true\n'
    ))
    layer = pyogrio.read_dataframe(output, layer="gemeente").to_crs(4326).set_index("code")
    assert layer["name"].to_dict() == {"GM0001": "Eerste", "GM0002": "GM0002"}  # an empty cell names nothing: the code stands in
    gemeenten = layer.geometry
    first = gemeenten["GM0001"]
    (polygon,) = shapely.get_parts(first)
    assert len(polygon.interiors) == 1  # the enclave only
    hole = shapely.Polygon(polygon.interiors[0])
    assert hole.symmetric_difference(gemeenten["GM0002"]).area < 1e-12
    assert first.covers(shapely.Point(5.0100, 52.015))  # the gap between its two wijken is its own
