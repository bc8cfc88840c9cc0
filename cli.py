"""wijkmonitor command line: build a dataset, serve it, export it."""

from __future__ import annotations

import argparse
import copy
import gc
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from geodata.errors import DatasetError, RequestError, WijkmonitorError

if TYPE_CHECKING:
    from web.rsgi import RSGIApp

App = TypeVar("App")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="wijkmonitor",
        description="Neighbourhood statistics (CBS gemeente, wijk, buurt) as vector tiles, styles and an API.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser(
        "build",
        help="join boundaries and indicator tables into a dataset (GeoPackage or PostGIS)",
        description=(
            "Build a dataset from a manifest (TOML, see demo/wijkmonitor.toml) or straight from "
            "one CBS/PDOK boundary file (GeoPackage, GeoJSON, Shapefile): the level, code, name and "
            "year columns are then detected, and the layer's CBS attributes become indicators. "
            "The output is replaced only when the build succeeds. With --to postgresql://... the dataset goes "
            "into a PostGIS database instead: a new schema per build, published in one transaction (servers "
            "reading that database pick it up), with a view per level and year for QGIS in the schema wijkmonitor."
        ),
    )
    build.add_argument("source", type=Path, help="manifest .toml, or a boundary file")
    target = build.add_mutually_exclusive_group()
    target.add_argument("-o", "--output", type=Path, default=Path("build/dataset.gpkg"), help="dataset to write (default: %(default)s)")
    target.add_argument("--to", metavar="postgresql://USER@HOST:PORT/DATABASE", help="publish into a PostGIS database instead")
    build.add_argument("--year", type=int, help="year of a boundary file that carries none (no 'jaar' column)")
    build.add_argument("--crs", help="CRS of a boundary file that declares none, e.g. EPSG:28992")
    build.add_argument("--catalog", type=Path, help="indicator catalog TOML (default: the built-in one)")

    serve = sub.add_parser("serve", help="serve a built dataset over HTTP (tiles, TileJSON, catalog)")
    serve.add_argument(
        "dataset", nargs="?", help="dataset .gpkg or postgresql:// address (default: $WIJKMONITOR_DATASET or build/demo.gpkg)"
    )
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")
    serve.add_argument(
        "--workers", type=int,
        help="server processes sharing the port, each with the dataset in memory and its own caches (default 1)",
    )

    styles = sub.add_parser(
        "styles",
        help="write ready-made MapLibre style files (one per indicator and level, a folder per theme)",
        description="Classify every indicator (quantiles, 5 classes, group totaal, latest year) and write style JSON files.",
    )
    styles.add_argument("dataset", nargs="?", default="build/demo.gpkg", help="dataset .gpkg or postgresql:// address (default: %(default)s)")
    styles.add_argument("-o", "--output", type=Path, default=Path("styles/ready"), help="folder (default: %(default)s)")
    styles.add_argument("--base-url", default="http://127.0.0.1:8000", help="server address the styles point at (default: %(default)s)")

    export = sub.add_parser(
        "export",
        help="export a level's tiles (PMTiles, MBTiles), figures (GeoPackage, CSV) or one figure as a raster (GeoTIFF)",
        description=(
            "Export one level and year with the figures the server serves (suppression included: a withheld or "
            "protected figure has no value, only its status). pmtiles/mbtiles: the vector tiles of the zoom range, "
            "byte for byte the server's, gzip-compressed, with TileJSON metadata and vector_layers (static hosting, "
            "QGIS). gpkg: the regions in RD New (EPSG:28992) with <indicator>__<group> and "
            "<indicator>__<group>__status columns, as /ogc. csv: the rows of /figures.csv. geotiff: one indicator "
            "and group on an RD New grid of --resolution metres, nodata where no figure is published, with the "
            "definition and source as tags. The output is written only when the export succeeds."
        ),
    )
    export.add_argument("dataset", help="dataset .gpkg or postgresql:// address")
    export.add_argument("--level", required=True, help="gemeente, wijk or buurt")
    export.add_argument("--year", help="year (default: the latest with boundaries)")
    export.add_argument("--indicators", help="comma-separated indicator ids (default: all with figures)")
    export.add_argument("--group", help="comma-separated population groups (default: totaal)")
    export.add_argument("--minzoom", type=int, default=0, help="tiles: lowest zoom (default: %(default)s)")
    export.add_argument("--maxzoom", type=int, default=14, help="tiles: highest zoom (default: %(default)s)")
    export.add_argument("--resolution", type=int, default=100, help="geotiff: cell size in metres, 25 or 100 (default: %(default)s)")
    export.add_argument(
        "--format", choices=["pmtiles", "mbtiles", "gpkg", "csv", "geotiff"], help="default: from the output's suffix"
    )
    export.add_argument("-o", "--output", type=Path, required=True, help="file to write (.pmtiles, .mbtiles, .gpkg, .csv, .tif)")

    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            return _build(args)
        if args.command == "styles":
            return _styles(args)
        if args.command == "export":
            return _export(args)
        return _serve(args)
    except RequestError as exc:
        # A bad argument: the parameter at fault by its option name, exit code 2 like argparse's usage errors.
        print(f"wijkmonitor {args.command}: error: {OPTION.get(exc.parameter, '--' + exc.parameter)}: {exc.message}", file=sys.stderr)
        return 2
    except WijkmonitorError as exc:
        print(f"wijkmonitor {args.command}: error: {exc}", file=sys.stderr)
        return 1


def _build(args: argparse.Namespace) -> int:
    from geodata.build import build_dataset
    from geodata.detect import manifest_for_file
    from geodata.manifest import load_manifest
    from store import is_database, shown_location

    if args.source.suffix.lower() == ".toml":
        manifest = load_manifest(args.source)
    else:
        manifest = manifest_for_file(args.source, year=args.year, crs=args.crs, catalog_path=args.catalog)
    if args.catalog:
        from dataclasses import replace

        manifest = replace(manifest, catalog=args.catalog)
    if args.to is not None and not is_database(args.to):
        raise DatasetError(f"--to {args.to}: expected a postgresql://USER@HOST:PORT/DATABASE address")
    output = args.to or args.output
    report = build_dataset(manifest, output, progress=lambda m: print(f"- {m}", file=sys.stderr))
    print(report.as_text())
    print(f"wrote {shown_location(output)}")
    return 0


def _styles(args: argparse.Namespace) -> int:
    from settings import Settings
    from store import open_store
    from styles.ready_made import write_ready_made_styles

    settings = Settings.from_env()
    written = write_ready_made_styles(open_store(args.dataset), args.output, args.base_url.rstrip("/"), settings.max_zoom)
    print(f"wrote {len(written)} style files to {args.output}")
    return 0


OPTION = {"output": "-o/--output", "workers": "--workers", "indicators": "--indicators", "indicator": "--indicators"}


def _export(args: argparse.Namespace) -> int:
    from exports.export import parse_export_request, run_export
    from settings import Settings
    from store import open_store
    from tiles.region_tiles import RegionTiles

    settings = Settings.from_env()
    store = open_store(args.dataset)
    params = {name: value for name in ("year", "group", "indicators") if (value := getattr(args, name)) is not None}
    request = parse_export_request(
        store, args.level, params, args.output, args.format, args.minzoom, args.maxzoom, settings.max_zoom, args.resolution
    )
    started = time.monotonic()
    tiles = RegionTiles(store, settings.tile_extent, settings.tile_buffer)  # the server's tile settings
    result = run_export(store, tiles, request, TextProgress())
    seconds = time.monotonic() - started
    size = result.output.stat().st_size
    print(f"wrote {result.output}: {result.items:,} {result.what}, {size:,} bytes, {seconds:.1f} s")
    return 0


class TextProgress:
    """Tiles done on stderr: rewritten in place on a terminal, a line per tenth of the work otherwise."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.terminal = sys.stderr.isatty()
        self.shown = -1

    def __call__(self, done: int, total: int, z: int) -> None:
        tenth = done * 10 // total
        if not self.terminal and tenth == self.shown:
            return
        if self.terminal and done % 50 and done != total:
            return
        self.shown = tenth
        rate = done / max(time.monotonic() - self.started, 1e-9)
        line = f"tiles {done:,}/{total:,} ({done * 100 // total} %), z{z}, {rate:,.0f}/s"
        print(f"\r{line}" if self.terminal else line, end="\n" if not self.terminal or done == total else "", file=sys.stderr, flush=True)


def _serve(args: argparse.Namespace) -> int:
    from settings import Settings

    overrides = {"dataset": args.dataset, "host": args.host, "port": args.port, "workers": args.workers}
    settings = Settings.from_env(**overrides)
    if settings.workers < 1:
        raise RequestError("workers", f"{settings.workers}: at least 1 server process")
    # The supervisor imports no more than it needs: it serves nothing itself.
    from web.processes import check_dataset, run_processes

    check_dataset(settings.dataset)
    # Each server process builds its app from the environment, with the options given here.
    for name, value in overrides.items():
        if value is not None:
            os.environ[f"WIJKMONITOR_{name.upper()}"] = str(value)
    return run_processes("cli:worker_app", settings.workers, settings.host, settings.port, settings.access_log, _log_config())


def _log_config() -> dict[str, Any]:
    """Granian's logging, with the server's own messages (reloads and how long they took, a dataset kept
    because the new one is broken, a failed tile worker) in its format; left to Python's defaults they
    were dropped below WARNING."""
    from granian.log import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    for handler in config["handlers"].values():
        handler["stream"] = "ext://sys.stderr"  # as uvicorn's did: standard output stays free
    config["loggers"]["wijkmonitor"] = {"handlers": ["console"], "level": "INFO", "propagate": False}
    return config


def worker_app() -> RSGIApp:
    """The app of one server process of `serve`, spoken to over RSGI (web.rsgi)."""
    from settings import Settings
    from web.app import create_app
    from web.processes import app_of_a_server_process
    from web.rsgi import RSGIApp

    app = app_of_a_server_process(lambda: create_app(Settings.from_env()))
    return _long_lived(RSGIApp(app.front))


def _long_lived(app: App) -> App:
    """The app, with all objects made so far (modules, the first dataset: they last as long as the server)
    left out of the garbage collector's full passes. A pass over those 300,000 objects held the GIL about
    200 ms, and the allocations of a reload start one while cached tiles wait."""
    gc.freeze()
    return app


if __name__ == "__main__":
    sys.exit(main())
