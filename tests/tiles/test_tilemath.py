import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geodata.errors import TileOutOfRange
from tiles.tilemath import (
    WORLD_SIZE,
    check_tile,
    tile_bounds,
    tiles_covering,
    unit_size,
)


@st.composite
def tiles(draw: st.DrawFn) -> tuple[int, int, int]:
    z = draw(st.integers(0, 20))
    return z, draw(st.integers(0, 2**z - 1)), draw(st.integers(0, 2**z - 1))


@given(tiles())
def test_bounds_are_a_square_of_the_zoom_size(tile: tuple[int, int, int]) -> None:
    z, x, y = tile
    minx, miny, maxx, maxy = tile_bounds(z, x, y)
    size = WORLD_SIZE / 2**z
    assert math.isclose(maxx - minx, size, rel_tol=1e-9)
    assert math.isclose(maxy - miny, size, rel_tol=1e-9)
    # x grows east, y (XYZ) grows south
    assert math.isclose(minx, -WORLD_SIZE / 2 + x * size, rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(maxy, WORLD_SIZE / 2 - y * size, rel_tol=1e-9, abs_tol=1e-6)


@given(tiles())
def test_neighbours_share_edges(tile: tuple[int, int, int]) -> None:
    z, x, y = tile
    if x + 1 < 2**z:
        assert math.isclose(tile_bounds(z, x, y)[2], tile_bounds(z, x + 1, y)[0], abs_tol=1e-6)
    if y + 1 < 2**z:
        assert math.isclose(tile_bounds(z, x, y)[1], tile_bounds(z, x, y + 1)[3], abs_tol=1e-6)


@given(tiles())
def test_valid_tiles_pass_the_range_check(tile: tuple[int, int, int]) -> None:
    check_tile(*tile, max_zoom=20)


@pytest.mark.parametrize(("z", "x", "y", "parameter"), [(17, 0, 0, "z"), (-1, 0, 0, "z"), (3, 8, 0, "x"), (3, 0, -1, "y")])
def test_out_of_range_names_the_parameter(z: int, x: int, y: int, parameter: str) -> None:
    with pytest.raises(TileOutOfRange) as err:
        check_tile(z, x, y, max_zoom=16)
    assert err.value.parameter == parameter


def test_unit_size_halves_per_zoom() -> None:
    assert math.isclose(unit_size(10, 4096) / unit_size(11, 4096), 2.0)


def test_utrecht_at_z12_is_a_handful_of_tiles() -> None:
    found = tiles_covering((4.97, 52.026, 5.195, 52.142), 12)
    assert (12, 2105, 1351) in found and 4 <= len(found) <= 12
