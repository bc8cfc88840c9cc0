"""What to export and where, checked before any work is done, and the export itself."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from exports.mbtiles import write_mbtiles
from exports.output import replacing
from exports.pmtiles import write_pmtiles
from exports.raster import RESOLUTIONS, write_geotiff
from exports.tables import write_csv, write_geopackage
from exports.tileset import Progress, archive_metadata, rendered, tile_addresses
from geodata.cells import Status
from geodata.errors import RequestError
from geodata.selection import Selection, parse_selection
from store import Store
from tiles.region_tiles import RegionTiles

FORMATS = {".pmtiles": "pmtiles", ".mbtiles": "mbtiles", ".gpkg": "gpkg", ".csv": "csv", ".tif": "geotiff", ".tiff": "geotiff"}
TILE_FORMATS = ("pmtiles", "mbtiles")


@dataclass(frozen=True)
class ExportRequest:
    selection: Selection
    format: str
    output: Path
    minzoom: int
    maxzoom: int
    resolution: int = 100  # geotiff: metres a cell


@dataclass(frozen=True)
class ExportResult:
    format: str
    output: Path
    items: int  # tiles, regions or figure rows
    what: str  # what `items` counts


def parse_export_request(
    store: Store,
    level: str,
    params: Mapping[str, str],
    output: Path,
    format: str | None,
    minzoom: int,
    maxzoom: int,
    max_zoom: int,
    resolution: int = 100,
) -> ExportRequest:
    """The selection as the tiles parse it (`year`, `group`, `indicators`), the format (given, or from the
    output's suffix) and the zoom range (within the server's 0..max_zoom)."""
    selection = parse_selection(store.availability, store.catalog, level, params)
    if output.is_dir():
        raise RequestError("output", f"{output} is a folder; give a file name")
    if not output.parent.is_dir():
        raise RequestError("output", f"folder {output.parent} does not exist")
    chosen = format or FORMATS.get(output.suffix.lower())
    if chosen not in FORMATS.values():
        known = ", ".join(FORMATS.values())
        raise RequestError("format", f"give --format ({known}) or an output ending in {', '.join(FORMATS)}, not {output.name!r}")
    if not 0 <= minzoom <= max_zoom:
        raise RequestError("minzoom", f"minzoom must be between 0 and {max_zoom}, not {minzoom}")
    if not minzoom <= maxzoom <= max_zoom:
        raise RequestError("maxzoom", f"maxzoom must be between minzoom ({minzoom}) and {max_zoom}, not {maxzoom}")
    if chosen == "geotiff":
        if len(selection.indicators) != 1 or len(selection.groups) != 1:
            raise RequestError("indicators", "a GeoTIFF holds one figure: give one indicator (--indicators) and one --group")
        if resolution not in RESOLUTIONS:
            raise RequestError("resolution", f"resolution must be {' or '.join(map(str, RESOLUTIONS))} metres, not {resolution}")
    return ExportRequest(selection, chosen, output, minzoom, maxzoom, resolution)


def run_export(store: Store, tiles: RegionTiles, request: ExportRequest, progress: Progress | None = None) -> ExportResult:
    """Write the export to a temporary file and rename it to the output when it is complete.
    `tiles` makes the tiles as the server does: give it the server's extent and buffer."""
    selection = request.selection
    with replacing(request.output) as temporary:
        if request.format in TILE_FORMATS:
            addresses = tile_addresses(tiles, selection, request.minzoom, request.maxzoom)
            metadata = archive_metadata(store, selection, request.minzoom, request.maxzoom)
            write = write_pmtiles if request.format == "pmtiles" else write_mbtiles
            count = write(temporary, rendered(tiles, selection, addresses, progress), metadata)
            if count == 0:
                raise RequestError("level", f"no {selection.level.value} tiles from z{request.minzoom} to z{request.maxzoom}")
            return ExportResult(request.format, request.output, count, "tiles")
        if request.format == "geotiff":
            write_geotiff(
                store, selection.level, selection.year, selection.indicator, selection.group, request.resolution, temporary
            )
            return ExportResult("geotiff", request.output, int(store.figures(
                selection.level, selection.year, selection.group, selection.indicator
            ).count(Status.ok)), "published figures")
        if request.format == "gpkg":
            return ExportResult("gpkg", request.output, write_geopackage(temporary, store, selection), "regions")
        return ExportResult("csv", request.output, write_csv(temporary, store, selection), "figures")
