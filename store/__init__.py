"""The read/write seam between a built dataset and everything that serves it.

`Store` (base.py) is what tiles, styles, analyses, profiles and the web layer may ask of a
dataset; `gpkg.py` keeps it in one GeoPackage file (the embedded default), `postgis.py` in a
PostgreSQL/PostGIS database that several server processes share (a `postgresql://` address).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from store.base import Store


def is_database(location: str | Path) -> bool:
    """Whether `location` is a PostgreSQL address (postgresql://...) rather than a file."""
    return isinstance(location, str) and location.startswith(("postgresql://", "postgres://"))


def open_store(location: str | Path) -> Store:
    """The dataset at `location`: a GeoPackage path or a postgresql:// address."""
    if is_database(location):
        from store.postgis import PostGISStore

        return PostGISStore.open(str(location))
    from store.gpkg import GeoPackageStore

    return GeoPackageStore.open(Path(location))


def write_dataset(
    location: str | Path, regions: dict[str, gpd.GeoDataFrame], values: pd.DataFrame, metadata: dict[str, Any]
) -> None:
    """Write a built dataset to `location` atomically: the previous one keeps serving until it is complete."""
    if is_database(location):
        from store.publish import write_postgis

        write_postgis(str(location), regions, values, metadata)
    else:
        from store.gpkg import write_dataset as write_geopackage

        write_geopackage(Path(location), regions, values, metadata)


def shown_location(location: str | Path) -> str:
    """The location for messages: a database address without its password."""
    if is_database(location):
        from store.postgis import shown

        return shown(str(location))
    return str(location)


__all__ = ["Store", "is_database", "open_store", "shown_location", "write_dataset"]
