import math

import morecantile
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pyproj import Transformer

from geodata.errors import TileOutOfRange
from tiles.tilemath import PYRAMIDS, RD_NEW, WEB_MERCATOR, WORLD_SIZE, Pyramid


@st.composite
def tiles(draw: st.DrawFn) -> tuple[int, int, int]:
    z = draw(st.integers(0, 16))
    return z, draw(st.integers(0, 2**z - 1)), draw(st.integers(0, 2**z - 1))


@pytest.mark.parametrize("pyramid", PYRAMIDS, ids=lambda p: p.id)
@given(tile=tiles())
def test_bounds_equal_morecantiles(pyramid: Pyramid, tile: tuple[int, int, int]) -> None:
    z, x, y = tile
    expected = pyramid.tms.xy_bounds(morecantile.Tile(x, y, z))
    found = pyramid.tile_bounds(z, x, y)
    for ours, theirs in zip(found, (expected.left, expected.bottom, expected.right, expected.top)):
        assert math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-6)


@pytest.mark.parametrize("pyramid", PYRAMIDS, ids=lambda p: p.id)
@given(tile=tiles())
def test_neighbours_share_edges(pyramid: Pyramid, tile: tuple[int, int, int]) -> None:
    z, x, y = tile
    if x + 1 < 2**z:
        assert math.isclose(pyramid.tile_bounds(z, x, y)[2], pyramid.tile_bounds(z, x + 1, y)[0], abs_tol=1e-6)
    if y + 1 < 2**z:  # y grows south
        assert math.isclose(pyramid.tile_bounds(z, x, y)[1], pyramid.tile_bounds(z, x, y + 1)[3], abs_tol=1e-6)


def test_web_mercator_spans_the_world() -> None:
    assert WEB_MERCATOR.span == WORLD_SIZE
    assert WEB_MERCATOR.tile_bounds(0, 0, 0) == pytest.approx((-WORLD_SIZE / 2, -WORLD_SIZE / 2, WORLD_SIZE / 2, WORLD_SIZE / 2))


def test_rd_new_is_pdoks_scheme() -> None:
    # PDOK's NetherlandsRDNewQuad: origin (-285401.92, 903401.92), 3440.64 m per 256-pixel cell at z0.
    assert RD_NEW.crs == "EPSG:28992"
    assert RD_NEW.tile_bounds(0, 0, 0) == pytest.approx((-285401.92, 22598.08, 595401.92, 903401.92))
    assert RD_NEW.unit_size(12, 256) == pytest.approx(0.84)
    assert RD_NEW.tms.matrix(0).scaleDenominator == pytest.approx(12_288_000)


def test_rd_zoom_offset_matches_the_ground_resolution_at_utrecht() -> None:
    # A Web Mercator metre is cos(latitude) metres on the ground; RD New metres are ground metres.
    ground_web_mercator = WEB_MERCATOR.unit_size(12, 4096) * math.cos(math.radians(52.09))
    ratio = RD_NEW.unit_size(12 - RD_NEW.zoom_offset, 4096) / ground_web_mercator
    assert 0.5 < ratio < 2 ** 0.5  # within half a zoom


@pytest.mark.parametrize("pyramid", PYRAMIDS, ids=lambda p: p.id)
@given(tile=tiles())
def test_valid_tiles_pass_the_range_check(pyramid: Pyramid, tile: tuple[int, int, int]) -> None:
    pyramid.check_tile(*tile, max_zoom=16)


@pytest.mark.parametrize(("z", "x", "y", "parameter"), [(17, 0, 0, "z"), (-1, 0, 0, "z"), (3, 8, 0, "x"), (3, 0, -1, "y")])
def test_out_of_range_names_the_parameter(z: int, x: int, y: int, parameter: str) -> None:
    with pytest.raises(TileOutOfRange) as err:
        WEB_MERCATOR.check_tile(z, x, y, max_zoom=16)
    assert err.value.parameter == parameter


@pytest.mark.parametrize("pyramid", PYRAMIDS, ids=lambda p: p.id)
def test_unit_size_halves_per_zoom(pyramid: Pyramid) -> None:
    assert math.isclose(pyramid.unit_size(10, 4096) / pyramid.unit_size(11, 4096), 2.0)


def test_utrecht_at_z12_is_a_handful_of_tiles() -> None:
    found = WEB_MERCATOR.tiles_covering((4.97, 52.026, 5.195, 52.142), 12)
    assert (12, 2105, 1351) in found and 4 <= len(found) <= 12


def test_rd_tiles_covering_hold_the_point_they_cover() -> None:
    # The Dom tower of Utrecht, RD (136,900, 455,900): the covering tile at RD z8 contains it.
    lon, lat = Transformer.from_crs("EPSG:28992", "OGC:CRS84", always_xy=True).transform(136_900, 455_900)
    [(z, x, y)] = RD_NEW.tiles_covering((lon, lat, lon, lat), 8)
    minx, miny, maxx, maxy = RD_NEW.tile_bounds(z, x, y)
    assert minx <= 136_900 <= maxx and miny <= 455_900 <= maxy


@pytest.mark.parametrize("pyramid", PYRAMIDS, ids=lambda p: p.id)
def test_tile_limits_are_the_tightest_that_hold_the_box(pyramid: Pyramid) -> None:
    utrecht = (4.97, 52.026, 5.195, 52.142)
    minx, miny, maxx, maxy = Transformer.from_crs("OGC:CRS84", pyramid.crs, always_xy=True).transform_bounds(*utrecht, densify_pts=21)
    for z in (3, 8, 12):
        first_col, first_row, last_col, last_row = pyramid.tile_limits(utrecht, z)
        left, _, _, top = pyramid.tile_bounds(z, first_col, first_row)
        _, bottom, right, _ = pyramid.tile_bounds(z, last_col, last_row)
        assert left <= minx and right >= maxx and bottom <= miny and top >= maxy
        size = pyramid.span / 2**z
        assert left + size > minx and right - size < maxx and bottom + size > miny and top - size < maxy
