"""A level dissolved from a finer one (gemeenten from a wijk layer) keeps its enclaves as holes but
not the gaps between its own parts: a published layer's parts do not meet exactly, and each gap
became an outlined sliver on the map (8,726 in the gemeenten from the 2024 wijk layer)."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest
import shapely

from geodata.errors import InputError
from geodata.regions import parent_codes
from geodata.report import BuildReport
from tests.conftest import SHARED_DATA, build_from_manifest, buurten_2014_of

# Utrecht, and two gemeenten with the 2014 layer's quirks: GM0163's wijken WK016307 and WK016308 hold
# only an empty buurt, GM0482's BU04820201 is invalid again after reprojection to RD.
GEMEENTEN = ["GM0344", "GM0163", "GM0482"]
needs_shared = pytest.mark.skipif(not SHARED_DATA.exists(), reason="shared CBS data not beside the repository")


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


def boundaries_2014(file: Path, level: str, dissolve: bool = True, extra: str = "") -> str:
    return (
        f'[[boundaries]]\nfile = "{file}"\nlevel = "{level}"\nyears = [2014]\ncode = "{{statcode}}"\n'
        + ("dissolve = true\n" if dissolve else "") + extra
    )


@pytest.fixture(scope="module")
def from_buurt_codes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, BuildReport]:
    """(subset of the 2014 buurt layer, dataset, report): wijken and gemeenten dissolved from its statcode."""
    folder = tmp_path_factory.mktemp("buurt_codes")
    buurten = buurten_2014_of(folder, GEMEENTEN)
    output, report = build_from_manifest(folder, (
        boundaries_2014(buurten, "buurt", dissolve=False, extra='name = "{statnaam}"\n')
        + boundaries_2014(buurten, "wijk") + boundaries_2014(buurten, "gemeente")
    ))
    return buurten, output, report


@needs_shared
def test_wijken_and_gemeenten_from_buurt_codes_alone(from_buurt_codes: tuple[Path, Path, BuildReport]) -> None:
    buurten, output, report = from_buurt_codes
    codes = pyogrio.read_dataframe(buurten, read_geometry=False)["statcode"]
    for level in ("wijk", "gemeente"):
        parents = {parent_codes(code)[level] for code in codes}
        layer = pyogrio.read_dataframe(output, layer=level, read_geometry=False)
        # a wijk whose buurten have no area gets no polygon, and the report names it
        assert set(layer["code"]) | set(report.at(level, 2014).empty_geometries) == parents
        assert (layer["name"] == layer["code"]).all()  # no name template: the code, not a buurt's name
    utrecht = codes[codes.str.startswith("BU0344")]
    assert (len(utrecht), len({parent_codes(c)["wijk"] for c in utrecht})) == (111, 10)  # as the data README says
    wijken = pyogrio.read_dataframe(output, layer="wijk", read_geometry=False)
    assert (wijken["code"].str.startswith("WK0344")).sum() == 10
    assert report.at("wijk", 2014).empty_geometries == ["WK016307", "WK016308", "WK016309"]


@needs_shared
def test_each_wijk_and_gemeente_is_the_union_of_its_buurten(from_buurt_codes: tuple[Path, Path, BuildReport]) -> None:
    buurten, output, _ = from_buurt_codes
    built = pyogrio.read_dataframe(output, layer="buurt")
    wijken = pyogrio.read_dataframe(output, layer="wijk").set_index("code").geometry
    gemeenten = pyogrio.read_dataframe(output, layer="gemeente").set_index("code").geometry
    summed = built.geometry.area.groupby(built["wijk_code"]).sum()
    assert np.allclose(wijken.area, summed.reindex(wijken.index), rtol=1e-4)
    parts = np.asarray(built.geometry.array)
    uncovered = shapely.area(shapely.difference(parts, np.asarray(wijken.reindex(built["wijk_code"]).array)))
    assert (uncovered <= 1e-4 * shapely.area(parts)).all()
    # the gemeenten equal the source buurten dissolved by the GM code in their digits
    source = pyogrio.read_dataframe(buurten)
    geoms = gpd.GeoSeries(shapely.make_valid(np.asarray(source.geometry.array)), crs=source.crs).to_crs(gemeenten.crs).make_valid()
    by_code = gpd.GeoDataFrame({"code": "GM" + source["statcode"].str[2:6]}, geometry=geoms).dissolve("code").geometry
    assert sorted(by_code.index) == sorted(gemeenten.index)
    differ = by_code.symmetric_difference(gemeenten.reindex(by_code.index), align=False).area
    assert (differ <= 1e-4 * by_code.area).all()


@needs_shared
def test_finer_codes_without_dissolve_are_an_error(tmp_path: Path) -> None:
    buurten = buurten_2014_of(tmp_path, ["GM0344"])
    with pytest.raises(InputError) as err:
        build_from_manifest(tmp_path, boundaries_2014(buurten, "wijk", dissolve=False))
    message = str(err.value)
    assert str(buurten) in message and "dissolve = true" in message and "buurt codes" in message and "'statcode'" in message


@needs_shared
def test_coarser_codes_are_an_error_even_with_dissolve(tmp_path: Path) -> None:
    wijken = SHARED_DATA / "boundaries" / "nl_wijken_2014_wgs84_q1e3.gpkg"
    where = 'where = { statcode = "WK034401" }\n'  # one feature of the national layer
    with pytest.raises(InputError) as err:
        build_from_manifest(tmp_path, boundaries_2014(wijken, "buurt", extra=where))
    assert str(wijken) in str(err.value) and "WK034401 (wijk)" in str(err.value) and "coarser" in str(err.value)
