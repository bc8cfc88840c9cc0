"""Web Mercator XYZ tile math (pure functions over morecantile's WebMercatorQuad)."""

from __future__ import annotations

import math

import morecantile

from geodata.errors import TileOutOfRange

TMS = morecantile.tms.get("WebMercatorQuad")
WORLD_SIZE = 2 * math.pi * 6378137.0  # metres spanned by the z0 tile


def check_tile(z: int, x: int, y: int, max_zoom: int) -> None:
    """Raise TileOutOfRange unless z/x/y names a tile of the pyramid up to max_zoom."""
    if not 0 <= z <= max_zoom:
        raise TileOutOfRange("z", f"zoom {z} is outside 0..{max_zoom}")
    last = 2**z - 1
    if not 0 <= x <= last:
        raise TileOutOfRange("x", f"x {x} is outside 0..{last} at zoom {z}")
    if not 0 <= y <= last:
        raise TileOutOfRange("y", f"y {y} is outside 0..{last} at zoom {z}")


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """(minx, miny, maxx, maxy) of a tile in EPSG:3857 metres."""
    b = TMS.xy_bounds(morecantile.Tile(x, y, z))
    return (b.left, b.bottom, b.right, b.top)


def unit_size(z: int, extent: int) -> float:
    """Metres covered by one tile-coordinate unit at zoom z."""
    return WORLD_SIZE / 2**z / extent


def tiles_covering(bounds_lonlat: tuple[float, float, float, float], z: int) -> list[tuple[int, int, int]]:
    """All tiles at zoom z that intersect a lon/lat box."""
    return [(t.z, t.x, t.y) for t in TMS.tiles(*bounds_lonlat, zooms=[z])]
