"""What the server needs of a dataset, whatever keeps it: the Store protocol."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.availability import Availability
from geodata.catalog import Catalog
from geodata.figures import Figures
from geodata.regions import Level


class Store(Protocol):
    """A built dataset, read-only. Regions come sorted by code, in EPSG:28992; figures are aligned
    with them. Implementations precompute what requests need, so no call scans the figure table."""

    catalog: Catalog
    availability: Availability
    title: str
    attribution: str
    location: str  # where it is kept (a file path, a database address without password), for /health and logs
    version: str  # changes with every build: /health shows it; a reload swaps in new caches with it
    metadata: dict[str, Any]  # built_at, manifest, build report

    def regions(self, level: Level, year: int, within: str | None = None) -> gpd.GeoDataFrame:
        """code, name, year, gemeente_code, wijk_code, geometry of a level's regions in a year (in one gemeente)."""
        ...

    def figures(self, level: Level, year: int, group: str, indicator: str, within: str | None = None) -> Figures:
        """One indicator and group for every region of `regions(level, year, within)`, in that order."""
        ...

    def figure_breaks(self, level: Level, year: int, group: str, indicator: str) -> np.ndarray | None:
        """The kinds of break (catalog [breaks] ids, comma-separated: "herkomst,indeling") before each
        region's figure, None where there is none, aligned with `regions(level, year)`; None when no
        region of the level and year has one (most figures)."""
        ...

    def figure(self, code: str, year: int, group: str, indicator: str) -> tuple[float | None, str]:
        """(value, status) of one region's figure; (None, "missing") when the dataset has none."""
        ...

    def region_history(self, code: str) -> pd.DataFrame:
        """The region's attribute rows (no geometry), one per year it has boundaries, with its region facts
        (indelingswijziging: NaN where no table said); empty when unknown."""
        ...

    def region_figures(self, codes: Sequence[str]) -> pd.DataFrame:
        """Every figure of these regions: code, year, group, indicator, value, status, method (None: read)."""
        ...

    def release_figure_rows(self) -> None:
        """Free the long figure table, for a process that has taken every figure with data it needs (a tile
        worker): `figures` then raises FiguresReleased for a figure with data, and answers one without data
        as all missing, as before; `figure_breaks` is None for a figure not asked before. Regions stay."""
        ...

    def region_index(self) -> pd.DataFrame:
        """Every region of every level once, at its latest year: code, name, level, gemeente_code, wijk_code, year."""
        ...

    def bounds_lonlat(self, level: Level, year: int) -> tuple[float, float, float, float]:
        """(west, south, east, north) of a level's regions in a year."""
        ...

    def version_now(self) -> str | None:
        """The version a store opened on the same location now would have: another than `version`
        after a rebuild. None when that cannot be told at the moment (a build is replacing it)."""
        ...
