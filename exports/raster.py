"""One indicator as a GeoTIFF on the RD New grid: for GIS work that wants cells, not polygons.

Only published figures are burnt in; withheld, protected, secret and missing figures and the area
outside the regions are nodata, so the raster carries exactly what the server shows.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

import numpy as np
import rasterio
import shapely
from affine import Affine
from rasterio.crs import CRS
from rasterio.features import rasterize
from rasterio.windows import Window

from geodata.cells import Status
from geodata.errors import RequestError
from geodata.regions import Level
from geodata.selection import parse_figure
from store import Store

RESOLUTIONS = (25, 100)  # metres: a buurt is a few hundred metres across, a 25 m cell still shows it
NODATA = float(np.finfo(np.float32).min)  # no figure reaches it; NaN confuses more readers than a number
BLOCK = 256  # GeoTIFF tile size, and the strips are whole multiples of it
STRIP_ROWS = 16 * BLOCK  # rows rasterised at a time: national buurten at 25 m stay a few hundred MB


def write_geotiff(
    store: Store,
    level: Level | str,
    year: int | None,
    indicator: str,
    group: str,
    resolution: int,
    path: str | Path,
    within: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Write one indicator x group of a level and year (None: the map's default year) as a float32 GeoTIFF
    in EPSG:28992, `resolution` (25 or 100) metres a cell, on a grid aligned to whole multiples of it.

    A cell takes the figure of the region its centre lies in; cells without a published figure are nodata.
    The file is written beside `path` and renamed into place, so a reader never sees half a file.
    `progress(rows_done, rows)` is called after each strip. Returns the path. Raises RequestError
    (naming `resolution`, `level`, `year`, `group`, `indicator` or `within`) for a value the dataset lacks.
    """
    if resolution not in RESOLUTIONS:
        raise RequestError("resolution", f"resolution must be {' or '.join(map(str, RESOLUTIONS))} metres, not {resolution!r}")
    params = {"level": str(getattr(level, "value", level)), "group": group, "within": within or ""}
    if year is not None:
        params["year"] = str(year)
    selection = parse_figure(store.availability, store.catalog, indicator, params)
    level, year, group = selection.level, selection.year, selection.groups[0]
    regions = store.regions(level, year, selection.within)
    figures = store.figures(level, year, group, indicator, selection.within)
    published = (figures.statuses == Status.ok.value).to_numpy()
    shapes = regions.geometry.to_numpy()[published]
    values = figures.values.to_numpy(dtype=float)[published]

    # Snap outwards to whole multiples of the resolution, so exports of any selection share one grid.
    west, south, east, north = regions.total_bounds
    west, south = np.floor(west / resolution) * resolution, np.floor(south / resolution) * resolution
    east, north = np.ceil(east / resolution) * resolution, np.ceil(north / resolution) * resolution
    width, height = int(round((east - west) / resolution)), int(round((north - south) / resolution))
    transform = Affine(resolution, 0, west, 0, -resolution, north)

    meta = store.catalog.indicator(indicator)
    profile = {
        "driver": "GTiff", "width": width, "height": height, "count": 1, "dtype": "float32",
        "crs": CRS.from_epsg(28992), "transform": transform, "nodata": NODATA,
        "tiled": True, "blockxsize": BLOCK, "blockysize": BLOCK,
        "compress": "deflate", "predictor": 3, "zlevel": 6, "bigtiff": "if_safer",
    }
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")  # same file system: rename is atomic
    try:
        with rasterio.open(temporary, "w", **profile) as dst:
            dst.update_tags(
                INDICATOR=indicator, TITLE=meta.title["nl"], DEFINITION=meta.definition, UNIT=meta.unit,
                SOURCE=meta.source, GROUP=group, GROUP_TITLE=store.catalog.group(group).title["nl"],
                YEAR=str(year), LEVEL=level.value, WITHIN=selection.within or "", ATTRIBUTION=store.attribution,
                NODATA_MEANS="niet gepubliceerd (te weinig personen, beschermd of geheim), geen gegevens of buiten de regio's",
                TIFFTAG_COPYRIGHT=store.attribution, TIFFTAG_IMAGEDESCRIPTION=f"{meta.title['nl']}, {level.value}, {year}",
            )
            dst.set_band_description(1, f"{indicator}__{group}")
            dst.set_band_unit(1, meta.unit)
            _burn(dst, shapes, values, transform, width, height, progress)
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return target


def _burn(dst: rasterio.io.DatasetWriter, shapes: np.ndarray, values: np.ndarray, transform: Affine, width: int,
          height: int, progress: Callable[[int, int], None] | None) -> None:
    """Rasterise strip by strip, each with only the regions that reach into it."""
    bounds = shapely.bounds(shapes) if len(shapes) else np.empty((0, 4))
    for top in range(0, height, STRIP_ROWS):
        rows = min(STRIP_ROWS, height - top)
        cell = transform.a  # square cells: e = -a
        strip_north = transform.f - top * cell
        strip_south = strip_north - rows * cell
        reach = (bounds[:, 1] < strip_north) & (bounds[:, 3] > strip_south)
        block = np.full((rows, width), NODATA, dtype=np.float32)
        if reach.any():
            rasterize(
                zip(shapes[reach], values[reach]), out=block,
                transform=Affine(cell, 0, transform.c, 0, -cell, strip_north),
            )
        dst.write(block, 1, window=Window(0, top, width, rows))
        if progress is not None:
            progress(top + rows, height)
