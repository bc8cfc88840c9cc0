"""Hotspot analysis on Utrecht's real buurten, compared with esda called directly on the CBS figures."""

from __future__ import annotations

import warnings
from pathlib import Path

import esda
import libpysal
import mapbox_vector_tile
import numpy as np
import pytest
from starlette.testclient import TestClient

from analysis.hotspots import SEED
from geodata.regions import Level
from store import Store
from tests.conftest import error_of, kwb_rows
from tests.styles.test_style_endpoint import UTRECHT, bijstand_2023, validate
from tiles.tilemath import WEB_MERCATOR

API = "/analysis/hotspots?indicator=bijstand_per_1000&year=2023"


def esda_inputs(store: Store, weights: str = "queen") -> tuple[list[str], np.ndarray, libpysal.weights.W, list[str]]:
    """The buurten with a CBS figure (from the CSV), their values and weights, built here
    without our code; and the buurten without a figure. A figure disclosure control does not
    publish (it would reveal one withheld for too few people) stays out, as it must."""
    source = bijstand_2023(store)
    regions = store.regions(Level.buurt, 2023).sort_values("code").reset_index(drop=True)
    has_value = regions["code"].map(lambda c: source[c] is not None)
    kept = regions[has_value].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if weights == "queen":
            w = libpysal.weights.Queen.from_dataframe(kept, ids=list(kept["code"]), use_index=False)
        else:
            points = kept.set_geometry(kept.geometry.representative_point())
            w = libpysal.weights.KNN.from_dataframe(points, k=4, ids=list(kept["code"]), use_index=False)
    assert not w.islands
    codes = list(kept["code"])
    return codes, np.array([source[c] for c in codes]), w, sorted(regions.loc[~has_value, "code"])


def test_gi_star_equals_esda_on_the_same_data(client: TestClient, demo_store: Store) -> None:
    codes, y, w, no_value = esda_inputs(demo_store)
    g = esda.G_Local(y, w, transform="B", star=True, permutations=999, seed=SEED, n_jobs=1)
    body = client.get(API).json()
    ours = {r["code"]: r for r in body["regions"]}
    assert list(ours) == codes
    assert [ours[c]["value"] for c in codes] == y.tolist()
    np.testing.assert_allclose([ours[c]["z"] for c in codes], g.Zs, atol=1e-6)
    np.testing.assert_allclose([ours[c]["statistic"] for c in codes], g.Gs, atol=1e-6)
    np.testing.assert_allclose([ours[c]["p"] for c in codes], g.p_sim, atol=1e-6)
    for c, z, p in zip(codes, g.Zs, g.p_sim):
        level = next((lvl for lvl in (99, 95, 90) if p <= 1 - lvl / 100), None)
        expected = "niet_significant" if level is None else f"{'hot' if z > 0 else 'cold'}_{level}"
        assert ours[c]["class"] == expected, c
    assert [r["code"] for r in body["not_analysed"]["no_value"]] == no_value
    assert body["summary"]["hot_99"] + body["summary"]["cold_99"] > 0, "Utrecht's bijstand has real hot and cold spots"


def test_local_moran_with_fdr_equals_esda(client: TestClient, demo_store: Store) -> None:
    codes, y, w, _ = esda_inputs(demo_store)
    m = esda.Moran_Local(y, w, transformation="r", permutations=999, seed=SEED, n_jobs=1)
    threshold = esda.fdr(m.p_sim, 0.05)
    body = client.get(API + "&method=local_moran&fdr=true").json()
    ours = {r["code"]: r for r in body["regions"]}
    np.testing.assert_allclose([ours[c]["statistic"] for c in codes], m.Is, atol=1e-6)
    np.testing.assert_allclose([ours[c]["p"] for c in codes], m.p_sim, atol=1e-6)
    quadrant = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
    for c, q, p in zip(codes, m.q, m.p_sim):
        assert ours[c]["class"] == (quadrant[q] if p <= threshold else "niet_significant"), c
    assert body["analysis"]["p_thresholds"]["95"] == pytest.approx(threshold)


def test_k_nearest_neighbours_option(client: TestClient, demo_store: Store) -> None:
    codes, y, w, _ = esda_inputs(demo_store, weights="knn")
    g = esda.G_Local(y, w, transform="B", star=True, permutations=999, seed=SEED, n_jobs=1)
    body = client.get(API + "&weights=knn&k=4").json()
    np.testing.assert_allclose([r["z"] for r in body["regions"]], g.Zs, atol=1e-6)


def test_withheld_values_stay_out_and_are_reported(client: TestClient) -> None:
    # BU03441011 had 45 inhabitants in 2023: its bijstand figure is withheld, so it is not analysed.
    assert int(kwb_rows(2023)["BU03441011"]["a_inw"]) < 100
    body = client.get(API).json()
    assert "BU03441011" not in {r["code"] for r in body["regions"]}
    assert "BU03441011" in {r["code"] for r in body["not_analysed"]["no_value"]}


def test_islands_are_reported_not_dropped(client: TestClient) -> None:
    # Gemeenten 2023 nationwide: Wadden islands have no land neighbour.
    body = client.get("/analysis/hotspots?indicator=inwoners&level=gemeente&year=2023").json()
    islands = {r["code"] for r in body["not_analysed"]["no_neighbours"]}
    assert {"GM0060", "GM0088", "GM0093", "GM0096", "GM0448"} <= islands  # Ameland, Schiermonnikoog, Terschelling, Vlieland, Texel
    assert not islands & {r["code"] for r in body["regions"]}


def test_tiles_and_style_carry_the_analysis(client: TestClient, tmp_path: Path) -> None:
    api = {r["code"]: r for r in client.get(API).json()["regions"]}
    style = client.get("/styles/bijstand_per_1000.json?analysis=gi_star&year=2023").json()
    assert validate(tmp_path, [style]) == []
    template = style["sources"]["wijkmonitor"]["tiles"][0].replace("http://testserver", "")
    seen = {}
    for z, x, y in WEB_MERCATOR.tiles_covering(UTRECHT, 12):
        response = client.get(template.format(z=z, x=x, y=y))
        if response.status_code == 200:
            for f in mapbox_vector_tile.decode(response.content)["buurt"]["features"]:
                seen[f["properties"]["code"]] = f["properties"]
    for code, row in api.items():
        assert seen[code]["gi_star__class"] == row["class"]
        assert seen[code]["gi_star__z"] == pytest.approx(row["z"], abs=1e-4)
    assert seen["BU03441011"]["gi_star__class"] == "geen_waarde"
    classes = {layer["filter"][2] for layer in style["layers"] if layer["type"] == "fill"}
    assert {p["gi_star__class"] for p in seen.values()} <= classes


def test_results_are_cached_per_input(client: TestClient) -> None:
    served = client.app.state.holder.current()
    client.get(API + "&permutations=199")
    hits = served.analysis.cache_info().hits
    client.get(API + "&permutations=199")
    client.get("/legend/bijstand_per_1000.json?analysis=gi_star&year=2023&permutations=199")
    assert served.analysis.cache_info().hits == hits + 2


@pytest.mark.parametrize(
    "url, parameter",
    [
        ("/analysis/hotspots", "indicator"),
        ("/analysis/hotspots?indicator=inwoners&method=hotspot", "method"),
        ("/analysis/hotspots?indicator=inwoners&weights=rook", "weights"),
        ("/analysis/hotspots?indicator=inwoners&permutations=5", "permutations"),
        ("/analysis/hotspots?indicator=jeugdzorg", "indicator"),
        ("/tiles/buurt/12/2105/1351.mvt?analysis=gi_star", "analysis"),
    ],
)
def test_bad_analysis_requests_are_400(client: TestClient, url: str, parameter: str) -> None:
    assert error_of(client, url) == (400, parameter)
