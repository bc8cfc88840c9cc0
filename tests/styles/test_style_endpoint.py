"""Styles and legends over HTTP: valid MapLibre JSON, classes checked against the CBS CSV,
and the style's filters applied to decoded tiles colour every buurt by its class."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import mapclassify
import numpy as np
import pytest
from starlette.testclient import TestClient

from geodata.regions import Level
from settings import Settings
from store import Store
from styles.ready_made import DEFAULT_BASE_URL, ready_made_styles
from tests.conftest import DEMO, ROOT, app_on, build_from_manifest, error_of, kwb_rows
from tiles.tilemath import WEB_MERCATOR

VALIDATOR = ROOT / "node_modules" / ".bin" / "gl-style-validate"
UTRECHT = (4.97, 52.026, 5.195, 52.142)
BIJSTAND = "/styles/bijstand_per_1000.json?year=2023&within=GM0344"


def bijstand_2023(store: Store | None = None) -> dict[str, float | None]:
    """Bijstand per 1.000 inwoners per Utrecht buurt from the CBS CSV: a_soz_wb / a_inw * 1000,
    one decimal; None where CBS gives no figure or fewer than 100 inwoners (withheld), and, given
    the store, where disclosure control does not publish it (it would reveal a withheld figure)."""
    protected: set[str] = set()
    if store is not None:
        statuses = store.figures(Level.buurt, 2023, "totaal", "bijstand_per_1000").statuses
        protected = set(statuses[statuses == "protected"].index)
        assert len(protected) <= 3, f"disclosure control should cost a few buurten here, not {len(protected)}"
    out: dict[str, float | None] = {}
    for code, row in kwb_rows(2023).items():
        if not code.startswith("BU"):
            continue
        if "." in (row["a_soz_wb"], row["a_inw"]) or float(row["a_inw"]) < 100 or code in protected:
            out[code] = None
        else:
            out[code] = round(float(row["a_soz_wb"]) / float(row["a_inw"]) * 1000, 1)
    return out


def validate(tmp_path: Path, styles: list[dict[str, Any]]) -> list[str]:
    """Run the MapLibre style validator (npm @maplibre/maplibre-gl-style-spec) on each style."""
    if not VALIDATOR.exists():
        pytest.fail(f"{VALIDATOR} is missing: run `make install` (npm ci) first")
    errors = []
    for i, style in enumerate(styles):
        path = tmp_path / f"style{i}.json"
        path.write_text(json.dumps(style))
        result = subprocess.run([str(VALIDATOR), "--json", str(path)], capture_output=True, text=True)
        found = json.loads(result.stdout or "[]")
        errors += [f"style {i}: {e['message']}" for e in found]
        if result.returncode and not found:
            errors.append(f"style {i}: validator exit {result.returncode}: {result.stderr}")
    return errors


VARIANTS = [
    BIJSTAND,
    "/styles/bijstand_per_1000.json?year=2023&within=GM0344&centre=gemeente",
    "/styles/aandeel_inwoners.json?group=herkomst_buiten_europa&method=fisher_jenks&k=7",
    "/styles/aandeel_inwoners.json?group=leeftijd_65_plus&fixed=true&method=equal_interval&palette=PuBu",
    "/styles/woz_waarde.json?level=wijk&method=natural_breaks&k=4",
    "/styles/inwoners.json?level=gemeente&year=2023&breaks=10000,50000,100000",
    "/styles/inwoners.json?level=gemeente&year=2023&method=quantiles&k=9&palette=BrBG",
]


def test_every_variant_passes_the_maplibre_validator(client: TestClient, tmp_path: Path) -> None:
    styles = []
    for url in VARIANTS:
        response = client.get(url)
        assert response.status_code == 200, (url, response.text)
        styles.append(response.json())
    assert validate(tmp_path, styles) == []


def test_validator_catches_a_broken_style(client: TestClient, tmp_path: Path) -> None:
    style = client.get(BIJSTAND).json()
    style["layers"][0]["type"] = "choropleth"
    assert validate(tmp_path, [style])


def test_legend_matches_mapclassify_on_the_cbs_figures(client: TestClient, demo_store: Store) -> None:
    source = bijstand_2023(demo_store)
    published = np.array([v for v in source.values() if v is not None])
    legend = client.get(BIJSTAND.replace("/styles/", "/legend/")).json()
    bins = mapclassify.Quantiles(published, k=5).bins
    assert [c["upper"] for c in legend["classes"]][:-1] == [round(b, 1) for b in bins[:-1]]
    for c in legend["classes"]:
        lower = -np.inf if c["lower"] is None else c["lower"]
        upper = np.inf if c["upper"] is None else c["upper"]
        assert c["count"] == int(np.sum((published > lower) & (published <= upper)))
    not_published = [code for code, v in source.items() if v is None]
    assert legend["withheld"]["count"] + legend["no_value"]["count"] == len(not_published)
    assert legend["unit"] == "per 1.000 inwoners"
    assert legend["classes"][0]["label"].startswith("t/m ") and "," in legend["classes"][0]["label"]
    assert legend["classes"][-1]["label"].startswith("meer dan ")
    assert "100" in legend["withheld"]["label"]


def test_centred_on_the_gemeente_figure(client: TestClient) -> None:
    gm = kwb_rows(2023)["GM0344"]
    utrecht = round(float(gm["a_soz_wb"]) / float(gm["a_inw"]) * 1000, 1)
    legend = client.get("/legend/bijstand_per_1000.json?year=2023&within=GM0344&centre=gemeente").json()
    assert legend["centre"] == {"on": "gemeente", "value": utrecht}
    assert legend["classes"][2]["upper"] == utrecht
    # Higher is worse: everything above Utrecht's own figure is on the red side.
    assert legend["classes"][-1]["colour"] == "#b2182b" and legend["classes"][0]["colour"] == "#2166ac"


def test_fixed_breaks_hold_across_years(client: TestClient) -> None:
    base = "/legend/aandeel_inwoners.json?group=herkomst_buiten_europa&fixed=true&year="
    a, b = client.get(base + "2023").json(), client.get(base + "2024").json()
    assert [c["upper"] for c in a["classes"]] == [c["upper"] for c in b["classes"]]
    assert [c["count"] for c in a["classes"]] != [c["count"] for c in b["classes"]]
    free = client.get("/legend/aandeel_inwoners.json?group=herkomst_buiten_europa&year=2023").json()
    assert [c["upper"] for c in free["classes"]] != [c["upper"] for c in a["classes"]]


def matches(expression: Any, properties: dict[str, Any]) -> Any:
    """The subset of MapLibre expressions our styles use, evaluated on one feature."""
    op, *args = expression
    if op == "all":
        return all(matches(a, properties) for a in args)
    if op == "any":
        return any(matches(a, properties) for a in args)
    if op == "has":
        return args[0] in properties
    if op == "get":
        return properties.get(args[0])
    left = matches(args[0], properties) if isinstance(args[0], list) else args[0]
    right = args[1]
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if left is None:
        return False
    return {">": left > right, "<=": left <= right}[op]


def test_style_filters_colour_every_buurt_by_its_class(client: TestClient, demo_store: Store) -> None:
    style = client.get(BIJSTAND).json()
    legend = client.get(BIJSTAND.replace("/styles/", "/legend/")).json()
    template = style["sources"]["wijkmonitor"]["tiles"][0].replace("http://testserver", "")
    fills = [layer for layer in style["layers"] if layer["type"] == "fill"]
    source = bijstand_2023(demo_store)
    coloured: dict[str, str] = {}
    for z, x, y in WEB_MERCATOR.tiles_covering(UTRECHT, 12):
        response = client.get(template.format(z=z, x=x, y=y))
        if response.status_code == 204:
            continue
        for feature in mapbox_vector_tile.decode(response.content)["buurt"]["features"]:
            hits = [layer for layer in fills if matches(layer["filter"], feature["properties"])]
            assert len(hits) == 1, (feature["properties"], [h["id"] for h in hits])
            coloured[feature["properties"]["code"]] = hits[0]["paint"]["fill-color"]
    assert set(coloured) == set(source)
    for code, value in source.items():
        if value is None:
            assert coloured[code] in (legend["withheld"]["colour"], legend["no_value"]["colour"])
            continue
        expected = next(
            c["colour"] for c in legend["classes"]
            if (c["lower"] is None or value > c["lower"]) and (c["upper"] is None or value <= c["upper"])
        )
        assert coloured[code] == expected, code


@pytest.mark.parametrize(
    "url, status, parameter",
    [
        ("/styles/nope.json", 400, "indicators"),
        ("/styles/inwoners.json?method=jenks", 400, "method"),
        ("/styles/inwoners.json?k=1", 400, "k"),
        ("/styles/inwoners.json?k=x", 400, "k"),
        ("/styles/inwoners.json?breaks=1,a", 400, "breaks"),
        ("/styles/inwoners.json?breaks=5,1", 400, "breaks"),
        ("/styles/inwoners.json?method=quantiles&breaks=1,2", 400, "breaks"),
        ("/styles/inwoners.json?palette=Spectral", 400, "palette"),
        # A group's share is shown in one neutral hue: no red/green, no diverging, no centring on a norm.
        ("/styles/aandeel_inwoners.json?group=man&palette=RdYlBu", 400, "palette"),
        ("/styles/aandeel_inwoners.json?group=man&palette=Greens", 400, "palette"),
        ("/styles/aandeel_inwoners.json?group=man&centre=nederland", 400, "centre"),
        ("/styles/inwoners.json?centre=gemeente", 400, "centre"),
        ("/styles/inwoners.json?centre=gemeente&within=GM0344&k=5", 400, "k"),
        ("/styles/inwoners.json?centre=nederland", 400, "centre"),
        ("/styles/inwoners.json?centre=gemeente&within=GM0344&palette=Blues", 400, "palette"),
        ("/styles/inwoners.json?within=GM0363", 404, "within"),
        ("/styles/inwoners.json?level=gemeente&within=GM0344", 400, "within"),
        ("/legend/inwoners.json?level=provincie", 404, "level"),
        ("/legend/inwoners.json?year=1999", 400, "year"),
        ("/legend/inwoners.json?fixed=maybe", 400, "fixed"),
        ("/legend/jeugdzorg.json", 400, "indicator"),
        ("/styles/inwoners.json?k=0", 400, "k"),
        ("/styles/inwoners.json?k=10", 400, "k"),
        ("/styles/inwoners.json?centre=gemeente&within=GM0344&k=100", 400, "k"),
        # float() reads these, but they are no class breaks and JSON cannot carry them
        ("/styles/inwoners.json?breaks=nan,inf", 400, "breaks"),
        ("/legend/inwoners.json?breaks=nan,inf", 400, "breaks"),
        ("/styles/inwoners.json?breaks=1e308,1e309", 400, "breaks"),
        ("/legend/inwoners.json?breaks=-inf,0", 400, "breaks"),
        ("/styles/inwoners.json?breaks=1,NaN", 400, "breaks"),
    ],
)
def test_bad_style_requests_get_json_4xx(client: TestClient, url: str, status: int, parameter: str) -> None:
    assert error_of(client, url) == (status, parameter)


def test_ready_made_styles_are_up_to_date(demo_store: Store) -> None:
    expected = ready_made_styles(demo_store, DEFAULT_BASE_URL, Settings().max_zoom)
    folder = ROOT / "styles" / "ready"
    committed = {p.relative_to(folder) for p in folder.rglob("*.json")}
    assert committed == set(expected), "run `wijkmonitor styles` to regenerate styles/ready"
    for relative, style in expected.items():
        assert json.loads((folder / relative).read_text(encoding="utf-8")) == style, relative
    assert {p.parts[0] for p in committed} >= {"demografie", "wonen_en_leefomgeving", "arbeid_en_inkomen"}


def test_ready_made_styles_pass_the_validator(tmp_path: Path) -> None:
    files = sorted((ROOT / "styles" / "ready").rglob("*.json"))
    assert len(files) > 10
    assert validate(tmp_path, [json.loads(f.read_text(encoding="utf-8")) for f in files]) == []


@pytest.fixture(scope="module")
def one_gemeente(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """A municipality's own dataset: its gemeente alone at the gemeente level."""
    output, _ = build_from_manifest(
        tmp_path_factory.mktemp("one"),
        f'[[boundaries]]\nfile = "{DEMO}/data/utrecht_gemeente_municipal_wgs84.geojson"\nlevel = "gemeente"\n'
        f'years = [2024]\ncode = "GM{{KODE}}"\n'
        f'[[indicators]]\nfile = "{DEMO}/data/utrecht_kwb_2024.csv"\nformat = "kwb"\nyear = 2024\n',
    )
    with TestClient(app_on(output)) as client:
        yield client


@pytest.mark.parametrize("path", ["/styles/inwoners.json", "/legend/inwoners.json"])
def test_a_level_with_one_region_gets_one_class(one_gemeente: TestClient, path: str, tmp_path: Path) -> None:
    response = one_gemeente.get(f"{path}?level=gemeente&year=2024")
    assert response.status_code == 200, response.text
    if path.startswith("/legend"):
        [only] = response.json()["classes"]
        assert only["count"] == 1 and only["label"] == "374.238 personen"  # a_inw of GM0344 in KWB 2024
    else:
        fills = [layer for layer in response.json()["layers"] if "-klasse-" in layer["id"]]
        assert len(fills) == 1
        assert validate(tmp_path, [response.json()]) == []


def test_huge_but_finite_breaks_make_a_valid_style(client: TestClient, tmp_path: Path) -> None:
    response = client.get("/styles/inwoners.json?breaks=-1e15,1e15")
    assert response.status_code == 200, response.text
    assert validate(tmp_path, [response.json()]) == []


def test_composition_figures_get_a_neutral_palette_and_name_both_kinds_of_not_published(client: TestClient) -> None:
    legend = client.get("/legend/aandeel_inwoners.json?group=herkomst_buiten_europa&year=2023").json()
    assert legend["palette"] == "Purples"
    assert legend["classes"][-1]["colour"] == "#54278f"  # ColorBrewer Purples, darkest of 5
    statuses = {s["status"]: s for s in legend["statuses"]}
    assert legend["withheld"]["count"] == statuses["withheld"]["count"] + statuses["protected"]["count"]
    assert "minder dan 100 personen in de noemer" in statuses["withheld"]["label"]
    assert "ander cijfer te beschermen" in statuses["protected"]["label"]
    style = client.get("/styles/aandeel_inwoners.json?group=herkomst_buiten_europa&year=2023").json()
    grey = next(layer for layer in style["layers"] if layer["id"] == "buurt-niet-gepubliceerd")
    assert matches(grey["filter"], {"aandeel_inwoners__herkomst_buiten_europa__status": "protected"})
    assert matches(grey["filter"], {"aandeel_inwoners__herkomst_buiten_europa__status": "withheld"})
    assert not matches(grey["filter"], {"aandeel_inwoners__herkomst_buiten_europa__status": "secret"})
