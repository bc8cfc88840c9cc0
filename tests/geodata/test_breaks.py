"""Breaks in time series, flagged per figure in /regions and in tiles (`<attribute>__breuk`).

The demo has PDOK gemeenten 2022 (migratieachtergrond) and 2023 (herkomst): the herkomst break.
The boundary-change fixture is made by us: the demo's CBS KWB 2024 CSV with ind_wbi of one
buurt set to 3 (CBS: boundaries changed since the year before); in the real file every region
has 1 (unchanged).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

import mapbox_vector_tile
import pandas as pd
import pytest
from starlette.testclient import TestClient

from geodata.breaks import figure_breaks
from geodata.catalog import load_catalog
from tests.conftest import DEMO, app_on, build_from_manifest

CATALOG = load_catalog()
HERKOMST = CATALOG.breaks["herkomst"].text
BUURT = "BU03440111"
WELGELEGEN_Z13 = (13, 4211, 2702)  # holds BU03440111
UTRECHT_Z9 = (9, 263, 168)  # holds GM0344


def figures_of(profile: dict, indicator: str, year: int) -> dict[str, dict]:
    return {f["group"]: f for f in profile["figures"] if f["indicator"] == indicator and f["year"] == year}


def tile_properties(client: TestClient, level: str, tile: tuple[int, int, int], query: str) -> dict[str, dict]:
    response = client.get(f"/tiles/{level}/{'/'.join(map(str, tile))}.mvt?{query}", headers={"accept-encoding": "identity"})
    assert response.status_code == 200
    return {f["properties"]["code"]: f["properties"] for f in mapbox_vector_tile.decode(response.content)[level]["features"]}


def test_herkomst_break_on_the_first_herkomst_figures_of_a_gemeente(client: TestClient) -> None:
    profile = client.get("/regions/GM0344").json()
    for year in (2022, 2024):
        assert all("breaks" not in f for f in figures_of(profile, "aandeel_inwoners", year).values()), year
    first = figures_of(profile, "aandeel_inwoners", 2023)
    for group in ("herkomst_nederland", "herkomst_europa", "herkomst_buiten_europa", "geboren_nl_herkomst_europa"):
        assert first[group]["breaks"] == [{"kind": "herkomst", "text": HERKOMST}], group
    assert "breaks" not in first["leeftijd_65_plus"]  # other groups go on across the years
    assert figures_of(profile, "aandeel_inwoners", 2022)["migratie_westers"]["value"] is not None
    described = {b["kind"]: b for b in profile["breaks"]}
    assert described["herkomst"]["year"] == 2023 and described["herkomst"]["figure_years"] == [2023]
    assert "migratieachtergrond" in described["herkomst"]["dimensions"] and "indeling" not in described


def test_herkomst_break_in_tiles_tilejson_and_catalog(client: TestClient) -> None:
    query = "group=herkomst_europa,totaal&indicators=aandeel_inwoners,inwoners"
    utrecht = tile_properties(client, "gemeente", UTRECHT_Z9, f"year=2023&{query}")["GM0344"]
    assert utrecht["aandeel_inwoners__herkomst_europa__breuk"] == "herkomst"
    assert not any(key.startswith("inwoners__totaal__breuk") for key in utrecht)
    for year in (2022, 2024):
        properties = tile_properties(client, "gemeente", UTRECHT_Z9, f"year={year}&{query}")
        assert not any(key.endswith("__breuk") for p in properties.values() for key in p), year
    fields = client.get(f"/tiles/gemeente.json?year=2023&{query}").json()["vector_layers"][0]["fields"]
    assert "herkomst = Vanaf 2023" in fields["aandeel_inwoners__herkomst_europa__breuk"]
    breaks = client.get("/catalog").json()["breaks"]
    assert breaks["herkomst"] == {"text": HERKOMST, "year": 2023, "dimensions": ["migratieachtergrond", "herkomst", "herkomst_geboorteland"]}
    assert set(breaks["indeling"]["codes"]) == {"2", "3"}


@pytest.fixture(scope="module")
def changed_boundaries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("indeling")
    with open(DEMO / "data" / "utrecht_kwb_2024.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if row["gwb_code_10"] == BUURT:
            row["ind_wbi"] = "3"
    table = folder / "kwb_2024_ind_wbi_3.csv"
    with open(table, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    output, _ = build_from_manifest(
        folder,
        f'[[boundaries]]\nfile = "{DEMO / "data" / "utrecht_buurten_municipal_wgs84.geojson"}"\nlevel = "buurt"\n'
        'years = [2023, 2024]\ncode = "BU0344{KODE}"\n'
        f'[[indicators]]\nfile = "{DEMO / "data" / "utrecht_kwb_2023.csv"}"\nformat = "kwb"\nyear = 2023\n'
        f'[[indicators]]\nfile = "{table}"\nformat = "kwb"\nyear = 2024\n',
        "indeling.gpkg",
    )
    with TestClient(app_on(output)) as client:
        yield client


def test_boundary_change_breaks_the_buurts_figures_after_it(changed_boundaries: TestClient) -> None:
    store = changed_boundaries.app.state.holder.current().store
    history = store.region_history(BUURT).set_index("year")["indelingswijziging"]
    assert history.to_dict() == {2023: 1, 2024: 3}  # ind_wbi of the CBS tables, per year
    profile = changed_boundaries.get(f"/regions/{BUURT}").json()
    indeling = CATALOG.breaks["indeling"].codes[3]
    for group, figure in figures_of(profile, "inwoners", 2024).items():
        assert figure["breaks"] == [{"kind": "indeling", "text": indeling}], group
    assert all("breaks" not in f for f in figures_of(profile, "inwoners", 2023).values())
    assert [b["kind"] for b in profile["breaks"]] == ["indeling"] and profile["breaks"][0]["figure_years"] == [2024]
    neighbour = changed_boundaries.get("/regions/BU03440112").json()
    assert all("breaks" not in f for f in neighbour["figures"]) and neighbour["breaks"] == []


def test_boundary_change_in_tiles(changed_boundaries: TestClient) -> None:
    query = "group=totaal,herkomst_europa&indicators=inwoners,aandeel_inwoners"
    features = tile_properties(changed_boundaries, "buurt", WELGELEGEN_Z13, f"year=2024&{query}")
    assert len(features) > 5
    assert features[BUURT]["inwoners__totaal__breuk"] == "indeling"
    assert features[BUURT]["aandeel_inwoners__herkomst_europa__breuk"] == "indeling"
    others = [p for code, p in features.items() if code != BUURT]
    assert not any(key.endswith("__breuk") for p in others for key in p)
    earlier = tile_properties(changed_boundaries, "buurt", WELGELEGEN_Z13, f"year=2023&{query}")
    assert not any(key.endswith("__breuk") for p in earlier.values() for key in p)


def test_a_break_lies_between_a_figure_and_the_one_before_it() -> None:
    """Hand-made rows: a series with a gap, a boundary change in the missing year, and both kinds."""
    figures = pd.DataFrame({
        "code": ["BU1", "BU1", "BU1", "BU2", "BU2"],
        "year": [2021, 2023, 2024, 2022, 2023],
        "group": ["totaal", "totaal", "totaal", "migratie_westers", "herkomst_europa"],
        "indicator": ["inwoners"] * 5,
    })
    regions = pd.DataFrame({"code": ["BU1", "BU1", "BU2"], "year": [2022, 2024, 2023], "indelingswijziging": [3.0, 1.0, 2.0]})
    found = [[b.kind for b in row] for row in figure_breaks(CATALOG, figures, regions)]
    # BU1: the 2022 change lies between 2021 and 2023; 2024 says unchanged. BU2: the herkomst
    # series starts in 2023 after the region's 2022 figures, and its code changed in 2023.
    assert found == [[], ["indeling"], [], [], ["herkomst", "indeling"]]
