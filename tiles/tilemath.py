"""Tile pyramids: Web Mercator (XYZ, WebMercatorQuad) and RD New (NetherlandsRDNewQuad).

Both are quadtrees: square tiles, 2^z by 2^z per zoom, from one top-left origin. So one set of
pure functions cuts either; a pyramid only brings its CRS, origin and the span of its z0 tile.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import morecantile
from pyproj import CRS as ProjCRS
from pyproj import Transformer

from geodata.errors import TileOutOfRange


@dataclass(frozen=True)
class Pyramid:
    tms: morecantile.TileMatrixSet
    crs: str
    # Add to a zoom for the Web Mercator zoom of about the same scale over the Netherlands (52°N):
    # label and generalisation thresholds are written in Web Mercator zooms.
    zoom_offset: int
    aliases: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.tms.id

    @cached_property
    def origin(self) -> tuple[float, float]:
        x, y = self.tms.matrix(0).pointOfOrigin
        return (x, y)

    @cached_property
    def span(self) -> float:
        """Width of the z0 tile in CRS units."""
        top = self.tms.matrix(0)
        return top.cellSize * top.tileWidth

    def web_mercator_zoom(self, z: int) -> int:
        return z + self.zoom_offset

    def max_zoom(self, web_mercator_max: int) -> int:
        """The deepest zoom of this pyramid when Web Mercator goes to `web_mercator_max`."""
        return web_mercator_max - self.zoom_offset

    def check_tile(self, z: int, x: int, y: int, max_zoom: int, names: tuple[str, str, str] = ("z", "x", "y")) -> None:
        """Raise TileOutOfRange unless z/x/y names a tile of the pyramid up to max_zoom; the error names
        the parameter as the request did (`names`, in the order z, x, y)."""
        if not 0 <= z <= max_zoom:
            raise TileOutOfRange(names[0], f"{names[0]} {z} is outside 0..{max_zoom}")
        last = 2**z - 1  # the matrix is square: rows and columns alike
        for name, number in zip(names[1:], (x, y)):
            if not 0 <= number <= last:
                raise TileOutOfRange(name, f"{name} {number} is outside 0..{last} at {names[0]} {z}")

    def tile_bounds(self, z: int, x: int, y: int) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) of a tile in the pyramid's CRS."""
        size = self.span / 2**z
        left, top = self.origin
        return (left + x * size, top - (y + 1) * size, left + (x + 1) * size, top - y * size)

    def unit_size(self, z: int, extent: int) -> float:
        """CRS units covered by one tile-coordinate unit at zoom z."""
        return self.span / 2**z / extent

    @cached_property
    def _from_lonlat(self) -> Transformer:
        return Transformer.from_crs("OGC:CRS84", self.crs, always_xy=True)

    def tile_limits(self, bounds_lonlat: tuple[float, float, float, float], z: int) -> tuple[int, int, int, int]:
        """(first column, first row, last column, last row) of the tiles at zoom z that reach a lon/lat box."""
        minx, miny, maxx, maxy = self._from_lonlat.transform_bounds(*bounds_lonlat, densify_pts=21)
        size = self.span / 2**z
        left, top = self.origin
        last = 2**z - 1

        def index(offset: float) -> int:
            return min(max(math.floor(offset / size), 0), last)

        return index(minx - left), index(top - maxy), index(maxx - left), index(top - miny)

    def tiles_covering(self, bounds_lonlat: tuple[float, float, float, float], z: int) -> list[tuple[int, int, int]]:
        """All tiles at zoom z that intersect a lon/lat box."""
        return [(t.z, t.x, t.y) for t in self.tms.tiles(*bounds_lonlat, zooms=[z])]


WEB_MERCATOR = Pyramid(morecantile.tms.get("WebMercatorQuad"), "EPSG:3857", zoom_offset=0)
WORLD_SIZE = 2 * math.pi * 6378137.0  # metres spanned by the Web Mercator z0 tile

# PDOK's and Geonovum's RD New scheme: 880,803.84 m at z0 (3,440.64 m per pixel, scale 1:12,288,000),
# halving to z16. At 52°N a pixel of Web Mercator zoom z is 96 km / 2^z on the ground, about 28 times
# (2^4.8) RD z0's: RD zoom z draws like Web Mercator zoom z + 5.
RD_NEW = Pyramid(
    morecantile.TileMatrixSet.custom(
        [-285401.92, 22598.08, 595401.92, 903401.92],
        ProjCRS.from_epsg(28992),
        minzoom=0,
        maxzoom=16,
        id="NetherlandsRDNewQuad",
        title="Amersfoort / RD New (NetherlandsRDNewQuad, PDOK)",
        ordered_axes=["X", "Y"],
    ),
    "EPSG:28992",
    zoom_offset=5,
    aliases=("NetherlandsRDNewQuadrant",),  # the name OGC's draft registry gave it
)

PYRAMIDS = (WEB_MERCATOR, RD_NEW)
PYRAMID_BY_ID = {pyramid.id: pyramid for pyramid in PYRAMIDS}  # for ids sent between processes
