"""PMTiles v3 archives (the `pmtiles` package's writer): one file for static hosting, read by range requests."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pmtiles.tile import Compression, TileType, zxy_to_tileid
from pmtiles.writer import Writer

from exports.tileset import Tile


def e7(degrees: float) -> int:
    return round(degrees * 10_000_000)


def write_pmtiles(path: Path, tiles: Iterable[Tile], metadata: dict[str, Any]) -> int:
    """Write the tiles (in tile-id order, so the archive is clustered) and the TileJSON metadata; returns the
    number of tiles. Tiles are gzipped MVT, as the header says."""
    west, south, east, north = metadata["bounds"]
    centre_lon, centre_lat, centre_zoom = metadata["center"]
    count = 0
    with open(path, "wb") as f:
        writer = Writer(f)
        for tile in tiles:
            writer.write_tile(zxy_to_tileid(tile.z, tile.x, tile.y), tile.data)
            count += 1
        if count == 0:
            return 0  # the writer cannot finish an archive without tiles; the caller says why
        writer.finalize(
            {
                "tile_type": TileType.MVT,
                "tile_compression": Compression.GZIP,
                "min_lon_e7": e7(west), "min_lat_e7": e7(south), "max_lon_e7": e7(east), "max_lat_e7": e7(north),
                "center_zoom": centre_zoom, "center_lon_e7": e7(centre_lon), "center_lat_e7": e7(centre_lat),
            },
            metadata,
        )
    return count
