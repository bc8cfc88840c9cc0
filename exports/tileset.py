"""The tiles of one level and figure selection over a zoom range, made by the server's own code.

Tiles come from `RegionTiles.tile`, the call behind /tiles/{level}/{z}/{x}/{y}.mvt, so an archive
holds the bytes the server sends. Tiles without regions (the server's 204) are left out. Each tile
is gzipped as the server gzips it (tiles.encode.gzip_bytes), so both archive
formats declare gzip tile compression.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import shapely
from pmtiles.tile import zxy_to_tileid

from geodata.selection import Selection
from store import Store
from tiles.encode import gzip_bytes
from tiles.region_tiles import RegionTiles
from tiles.tilejson import tilejson
from tiles.tilemath import WEB_MERCATOR

Progress = Callable[[int, int, int], None]  # tiles done, tiles in all, zoom at hand


@dataclass(frozen=True, slots=True)
class Tile:
    z: int
    x: int
    y: int
    data: bytes  # gzipped MVT


def tile_addresses(tiles: RegionTiles, selection: Selection, minzoom: int, maxzoom: int) -> list[tuple[int, int, int]]:
    """Every tile from minzoom to maxzoom that can hold a region, in PMTiles tile-id order (zoom by zoom,
    along the Hilbert curve). A tile is made with a buffer around it, so its box is widened by that buffer
    before it is compared with the regions' extent: a tile beside the extent may still carry a clipped edge."""
    geometry = tiles.geometry(selection.level, selection.year)
    west, south, east, north = shapely.total_bounds(geometry.geoms)  # EPSG:3857, what the tiles are cut from
    addresses = []
    for z in range(minzoom, maxzoom + 1):
        pad = WEB_MERCATOR.unit_size(z, tiles.extent) * tiles.buffer
        lower_left = WEB_MERCATOR.tms.lnglat(west - pad, south - pad)
        upper_right = WEB_MERCATOR.tms.lnglat(east + pad, north + pad)
        covering = WEB_MERCATOR.tms.tiles(lower_left.x, lower_left.y, upper_right.x, upper_right.y, zooms=[z])
        addresses.extend((t.z, t.x, t.y) for t in covering)
    return sorted(addresses, key=lambda a: zxy_to_tileid(*a))


def rendered(
    tiles: RegionTiles, selection: Selection, addresses: list[tuple[int, int, int]], progress: Progress | None = None
) -> Iterator[Tile]:
    """The non-empty tiles among `addresses`, in their order, gzipped."""
    for done, (z, x, y) in enumerate(addresses, 1):
        body = tiles.tile(selection, z, x, y)
        if body:
            yield Tile(z, x, y, gzip_bytes(body))
        if progress is not None:
            progress(done, len(addresses), z)


def archive_metadata(store: Store, selection: Selection, minzoom: int, maxzoom: int) -> dict[str, Any]:
    """The TileJSON the server gives for these tiles, fitted to an archive: no tile URL (the archive holds
    the tiles), the zoom range exported, and only the layers that occur in it."""
    meta = tilejson(store, selection, "", maxzoom)
    del meta["tiles"], meta["scheme"]
    meta["minzoom"], meta["maxzoom"] = minzoom, maxzoom
    meta["center"][2] = min(max(meta["center"][2], minzoom), maxzoom)
    layers = []
    for layer in meta["vector_layers"]:
        if layer["minzoom"] <= maxzoom:
            layers.append({**layer, "minzoom": max(layer["minzoom"], minzoom)})
    meta["vector_layers"] = layers
    # What the tiles were made of, as the server's query string (the same figures the server serves at it).
    meta["wijkmonitor"] = {"level": selection.level.value, "query": selection.query_string()}
    return meta

