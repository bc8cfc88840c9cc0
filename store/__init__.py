"""The read/write seam between a built dataset and everything that serves it.

`Store` (base.py) is what tiles, styles, analyses, profiles and the web layer may ask of a
dataset; `gpkg.py` keeps it in one GeoPackage file (the embedded default).
"""

from __future__ import annotations

from pathlib import Path

from store.base import Store


def open_store(location: str | Path) -> Store:
    """The dataset at `location`: today a GeoPackage path."""
    from store.gpkg import GeoPackageStore

    return GeoPackageStore.open(Path(location))


__all__ = ["Store", "open_store"]
