"""MBTiles 1.3 (an SQLite file): the tile store of many tile servers and of QGIS."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path
from typing import Any

from exports.tileset import Tile

SCHEMA = """
CREATE TABLE metadata (name TEXT, value TEXT);
CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row);
"""


def tms_row(z: int, y: int) -> int:
    """MBTiles counts rows from the south (TMS), XYZ from the north."""
    return 2**z - 1 - y


def mbtiles_metadata(metadata: dict[str, Any]) -> dict[str, str]:
    """The spec's metadata rows from the TileJSON; `json` carries the vector layers."""
    return {
        "name": metadata["name"],
        "format": "pbf",
        "bounds": ",".join(str(v) for v in metadata["bounds"]),
        "center": ",".join(str(v) for v in metadata["center"]),
        "minzoom": str(metadata["minzoom"]),
        "maxzoom": str(metadata["maxzoom"]),
        "description": metadata["description"],
        "attribution": metadata["attribution"],
        "type": "overlay",
        "json": json.dumps({"vector_layers": metadata["vector_layers"], "wijkmonitor": metadata["wijkmonitor"]}),
    }


def write_mbtiles(path: Path, tiles: Iterable[Tile], metadata: dict[str, Any]) -> int:
    """Write the (gzipped, as the spec asks of pbf) tiles and metadata; returns the number of tiles."""
    path.unlink(missing_ok=True)  # a fresh database, not tables added to whatever is there
    count = 0
    with closing(sqlite3.connect(path)) as db:
        db.executescript(SCHEMA)
        db.executemany("INSERT INTO metadata (name, value) VALUES (?, ?)", mbtiles_metadata(metadata).items())
        for tile in tiles:
            db.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (tile.z, tile.x, tms_row(tile.z, tile.y), tile.data))
            count += 1
        db.commit()
    return count
