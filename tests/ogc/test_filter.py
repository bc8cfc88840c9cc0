"""CQL2 filters on /items (Part 3): what each operator selects equals the same condition on the demo
store's figures and geometry, a null figure never passes a comparison, both encodings mean the same,
paging keeps the filter, and a bad filter is a 400 that points at the problem."""

from __future__ import annotations

import json
from urllib.parse import quote

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from geodata.regions import Level
from ogc.crs import CRS84, RD_NEW
from store import Store
from tests.conftest import error_of

ITEMS = "/ogc/collections/buurt_2023/items"
OPS = {"=": np.equal, "<>": np.not_equal, "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}


def ids(client: TestClient, condition: str, extra: str = "") -> list[str]:
    page = client.get(f"{ITEMS}?limit=1000&filter={quote(condition)}{extra}")
    assert page.status_code == 200, page.text
    body = page.json()
    assert body["numberMatched"] == len(body["features"])
    return [f["id"] for f in body["features"]]


def published(store: Store, indicator: str, group: str = "totaal") -> pd.Series:
    """The published figures of buurten 2023 by code (withheld, secret ... left out)."""
    figures = store.figures(Level.buurt, 2023, group, indicator)
    return figures.values[figures.statuses == "ok"]


def test_conformance_names_the_filter_classes(client: TestClient) -> None:
    classes = set(client.get("/ogc/conformance").json()["conformsTo"])
    assert {
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
        "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
        "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
        "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
        "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    } <= classes


@given(op=st.sampled_from(sorted(OPS)), threshold=st.integers(0, 4000))
def test_a_comparison_selects_the_published_figures_that_satisfy_it(
    client: TestClient, demo_store: Store, op: str, threshold: int
) -> None:
    inwoners = published(demo_store, "inwoners")
    expected = inwoners.index[OPS[op](inwoners.to_numpy(), threshold)].tolist()
    assert ids(client, f"inwoners__totaal {op} {threshold}") == expected


def test_a_figure_that_is_not_published_never_passes_a_comparison(client: TestClient, demo_store: Store) -> None:
    statuses = demo_store.figures(Level.buurt, 2023, "totaal", "inwoners").statuses
    hidden = statuses.index[statuses != "ok"].tolist()
    assert hidden == ["BU03440911", "BU03440952"]  # the demo's buurten without a published inwoners
    small = published(demo_store, "inwoners")
    small = small.index[small < 100].tolist()
    assert ids(client, "inwoners__totaal < 100") == small == ["BU03440333", "BU03440953", "BU03441011"]
    # NOT keeps an unknown unknown (CQL2's three-valued logic): the hidden buurten stay out
    assert ids(client, "NOT inwoners__totaal >= 100") == small
    assert ids(client, "NOT (inwoners__totaal >= 100 OR inwoners__totaal < 100)") == []
    assert ids(client, "inwoners__totaal IS NULL") == hidden
    assert len(ids(client, "inwoners__totaal IS NOT NULL")) == len(statuses) - 2


def test_and_binds_tighter_than_or(client: TestClient, demo_store: Store) -> None:
    inwoners = published(demo_store, "inwoners").reindex(demo_store.regions(Level.buurt, 2023)["code"])
    wijk = demo_store.regions(Level.buurt, 2023).set_index("code")["wijk_code"]
    expected = inwoners.index[(inwoners < 500) | ((inwoners > 4000) & (wijk == "WK034401"))].tolist()
    assert 0 < len(expected) < len(inwoners)
    assert ids(client, "inwoners__totaal < 500 OR inwoners__totaal > 4000 AND wijk_code = 'WK034401'") == expected


def test_between_in_and_like(client: TestClient, demo_store: Store) -> None:
    inwoners = published(demo_store, "inwoners")
    assert ids(client, "inwoners__totaal BETWEEN 1000 AND 2000") == inwoners.index[inwoners.between(1000, 2000)].tolist()
    assert ids(client, "inwoners__totaal NOT BETWEEN 1000 AND 2000") == inwoners.index[~inwoners.between(1000, 2000)].tolist()
    regions = demo_store.regions(Level.buurt, 2023)
    two = regions[regions["wijk_code"].isin(["WK034401", "WK034408"])]["code"].tolist()
    assert ids(client, "wijk_code IN ('WK034401', 'WK034408')") == two
    oost = regions[regions["name"].str.contains("Oost")]["code"].tolist()
    assert len(oost) == 7 and ids(client, "name LIKE '%Oost%'") == oost
    # _ is one character: every code of the buurten in wijk 01 is BU034401 and two more
    assert ids(client, "code LIKE 'BU034401__'") == regions[regions["wijk_code"] == "WK034401"]["code"].tolist()


def test_status_and_property_comparisons(client: TestClient, demo_store: Store) -> None:
    statuses = demo_store.figures(Level.buurt, 2023, "totaal", "bijstand_per_1000").statuses
    withheld = statuses.index[statuses == "withheld"].tolist()
    assert ids(client, "bijstand_per_1000__totaal__status = 'withheld'") == withheld
    men, women = published(demo_store, "inwoners", "man"), published(demo_store, "inwoners", "vrouw")
    both = men.index.intersection(women.index)
    expected = both[men[both] > women[both]].tolist()
    assert 0 < len(expected) < len(both)
    assert ids(client, "inwoners__man > inwoners__vrouw") == expected


@pytest.mark.parametrize(
    ("literal", "crs"),
    [
        ("BBOX(5.08, 52.07, 5.10, 52.09)", CRS84),
        ("BBOX(133000, 454000, 136000, 456500)", RD_NEW),
        ("POLYGON((5.08 52.07, 5.10 52.07, 5.10 52.09, 5.08 52.07))", CRS84),
        ("POINT(5.09 52.08)", CRS84),
    ],
)
def test_s_intersects_selects_the_regions_that_meet_the_geometry(
    client: TestClient, demo_store: Store, literal: str, crs: str
) -> None:
    regions = demo_store.regions(Level.buurt, 2023)
    if crs == CRS84:
        regions = regions.to_crs("OGC:CRS84")
    shape = shapely.from_wkt(literal) if not literal.startswith("BBOX") else shapely.box(*json.loads(f"[{literal[5:-1]}]"))
    expected = regions["code"][shapely.intersects(np.asarray(regions.geometry.array), shape)].tolist()
    assert 0 < len(expected) < len(regions)
    extra = "" if crs == CRS84 else f"&filter-crs={quote(crs)}"
    assert ids(client, f"S_INTERSECTS(geometry, {literal})", extra) == expected


def test_cql2_json_means_what_the_text_means(client: TestClient, demo_store: Store) -> None:
    text = "inwoners__totaal > 2000 AND (name LIKE '%Oost%' OR S_INTERSECTS(geometry, BBOX(5.08, 52.07, 5.10, 52.09)))"
    document = {"op": "and", "args": [
        {"op": ">", "args": [{"property": "inwoners__totaal"}, 2000]},
        {"op": "or", "args": [
            {"op": "like", "args": [{"property": "name"}, "%Oost%"]},
            {"op": "s_intersects", "args": [{"property": "geometry"}, {"bbox": [5.08, 52.07, 5.10, 52.09]}]},
        ]},
    ]}
    regions = demo_store.regions(Level.buurt, 2023).to_crs("OGC:CRS84").set_index("code")
    inwoners = published(demo_store, "inwoners").reindex(regions.index)
    near = shapely.intersects(np.asarray(regions.geometry.array), shapely.box(5.08, 52.07, 5.10, 52.09))
    expected = regions.index[(inwoners > 2000) & (regions["name"].str.contains("Oost") | near)].tolist()
    assert 0 < len(expected) < len(published(demo_store, "inwoners").loc[lambda v: v > 2000])
    assert ids(client, text) == expected
    assert ids(client, json.dumps(document), "&filter-lang=cql2-json") == expected
    # the Part 3 draft's name, which GDAL sends
    assert ids(client, text, "&filter-lang=cql-text") == expected


def test_next_links_keep_the_filter(client: TestClient, demo_store: Store) -> None:
    inwoners = published(demo_store, "inwoners")
    expected = inwoners.index[inwoners > 1500].tolist()
    seen: list[str] = []
    url: str | None = f"{ITEMS}?limit=10&filter={quote('inwoners__totaal > 1500')}"
    while url:
        page = client.get(url).json()
        assert page["numberMatched"] == len(expected)
        seen += [f["id"] for f in page["features"]]
        url = next((link["href"] for link in page["links"] if link["rel"] == "next"), None)
    assert seen == expected and len(expected) > 10


@pytest.mark.parametrize(
    ("condition", "lang", "says"),
    [
        ("inwonerz__totaal > 5", "cql2-text", "unknown property 'inwonerz__totaal'"),
        ("inwonerz__totaal > 5", "cql2-text", "did you mean 'inwoners__totaal'"),
        ("inwoners__totaal > 'veel'", "cql2-text", "at character 20"),
        ("inwoners__totaal >", "cql2-text", "at character 19"),
        ("inwoners__totaal > 5 AND", "cql2-text", "at character 25"),
        ("(inwoners__totaal > 5", "cql2-text", "expected ')'"),
        ("inwoners__totaal ! 5", "cql2-text", "unexpected '!' at character 18"),
        ("name LIKE 5", "cql2-text", "LIKE"),
        ("inwoners__totaal LIKE '5%'", "cql2-text", "LIKE matches text"),
        ("inwoners__totaal__status = 'geheim'", "cql2-text", "not 'geheim'"),
        ("CASEI(name) = 'x'", "cql2-text", "CASEI(...) at character 1 is not supported"),
        ("S_INTERSECTS(geometry, POLYGON((5 52, 6 52)))", "cql2-text", "POLYGON at character 24"),
        ("S_INTERSECTS(name, POINT(5 52))", "cql2-text", "'name' is no geometry"),
        ("geometry = 5", "cql2-text", "geometry only goes in a spatial function"),
        ("inwoners__totaal > 1e999", "cql2-text", "too large"),
        ("(" * 200 + "year = 2023" + ")" * 200, "cql2-text", "deeper than"),
        ('{"op": ">", "args": [{"property": "inwoners__totaal"}, "veel"]}', "cql2-json", "(at args[1])"),
        ('{"op": "and", "args": [true, {"op": "=", "args": [{"property": "x"}, 1]}]}', "cql2-json", "args[1].args[0]"),
        ('{"op": "t_after", "args": []}', "cql2-json", "unsupported op 't_after'"),
        ("[" * 5000 + "]" * 5000, "cql2-json", "not JSON"),
        ("{'op': '='}", "cql2-json", "not JSON"),
    ],
)
def test_a_bad_filter_is_a_400_that_points_at_the_problem(client: TestClient, condition: str, lang: str, says: str) -> None:
    response = client.get(f"{ITEMS}?filter={quote(condition)}&filter-lang={lang}")
    body = response.json()
    assert (response.status_code, body["parameter"]) == (400, "filter")
    assert says in body["detail"], body["detail"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("filter-lang=cql2-text", "filter-lang"), ("filter=year%3D2023&filter-lang=ecql", "filter-lang"),
     ("filter=year%3D2023&filter-crs=EPSG:28992", "filter-crs"), ("filter-crs=" + quote(RD_NEW), "filter-crs")],
)
def test_bad_filter_parameters_name_themselves(client: TestClient, query: str, parameter: str) -> None:
    assert error_of(client, f"{ITEMS}?{query}") == (400, parameter)


def test_queryables_say_how_null_figures_filter_and_list_the_names_for_gdal(client: TestClient) -> None:
    schema = client.get("/ogc/collections/buurt_2023/queryables").json()
    assert "een vergelijking met null" in schema["properties"]["inwoners__totaal"]["description"]
    # the draft's list and plain JSON: what GDAL's OAPIF driver reads before it sends a filter
    assert {"id": "inwoners__totaal", "type": "number"} in schema["queryables"]
    assert len(schema["queryables"]) == len(schema["properties"])
    plain = client.get("/ogc/collections/buurt_2023/queryables", headers={"Accept": "application/geo+json, application/json"})
    assert plain.headers["content-type"] == "application/json" and plain.json() == schema
