"""Our styles drawn by MapLibre GL JS itself (headless Chromium): names appear, set in the glyphs
we serve, and every region MapLibre fills sits in the class its value belongs to."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from geodata.regions import Level
from store import Store
from tests.conftest import ROOT, run_browser_check

CHECK = Path(__file__).with_name("maplibre_check.mjs")
ARTIFACTS = ROOT / "artifacts"
UTRECHT_CENTRE = (5.11, 52.09)


def render(live_server: str, style_path: str, zoom: int, screenshot: str) -> tuple[dict, dict]:
    ARTIFACTS.mkdir(exist_ok=True)
    with urllib.request.urlopen(f"{live_server}{style_path}", timeout=600) as response:  # a guard against a hang only
        style = json.load(response)
    result = run_browser_check(CHECK, f"{live_server}{style_path}", zoom, *UTRECHT_CENTRE, ARTIFACTS / screenshot)
    assert result["problems"] == []
    assert "/fonts/DejaVu Sans Book/0-255.pbf" in result["glyphRequests"]
    return style, result


def test_maplibre_draws_buurt_names_and_classes(live_server: str, demo_store: Store) -> None:
    style, result = render(live_server, "/styles/bijstand_per_1000.json?level=buurt&year=2023&within=GM0344", 13, "maplibre-buurt.png")
    names = set(demo_store.regions(Level.buurt, 2023)["name"])
    assert len(set(result["labels"])) >= 20 and set(result["labels"]) <= names

    attribute, breaks = style["metadata"]["wijkmonitor:attribute"], style["metadata"]["wijkmonitor:breaks"]
    by_layer: dict[str, int] = {}
    for feature in result["fills"]:
        layer, properties = feature["layer"], feature["properties"]
        by_layer[layer] = by_layer.get(layer, 0) + 1
        if layer.startswith("buurt-klasse-"):
            k = int(layer.rsplit("-", 1)[1]) - 1
            value = properties[attribute]
            assert k == 0 or value > breaks[k - 1], (properties["code"], value, layer)
            assert k == len(breaks) - 1 or value <= breaks[k], (properties["code"], value, layer)
        elif layer == "buurt-niet-gepubliceerd":
            assert properties[f"{attribute}__status"] in ("withheld", "protected")
    assert sum(1 for layer in by_layer if layer.startswith("buurt-klasse-")) == len(breaks)


def test_maplibre_draws_a_hotspot_map_with_wijk_names(live_server: str, demo_store: Store) -> None:
    style, result = render(live_server, "/styles/bijstand_per_1000.json?level=wijk&year=2023&analysis=gi_star", 11, "maplibre-hotspots.png")
    names = set(demo_store.regions(Level.wijk, 2023)["name"])
    assert len(set(result["labels"])) >= 5 and set(result["labels"]) <= names
    attribute = style["metadata"]["wijkmonitor:attribute"]
    assert result["fills"]
    for feature in result["fills"]:
        assert feature["layer"] == f"wijk-{feature['properties'][attribute]}"
