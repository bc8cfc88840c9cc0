"""wijkmonitor command line: build a dataset, serve it."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geodata.errors import WijkmonitorError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="wijkmonitor",
        description="Neighbourhood statistics (CBS gemeente, wijk, buurt) as vector tiles, styles and an API.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser(
        "build",
        help="join boundaries and indicator tables into a dataset (GeoPackage)",
        description=(
            "Build a dataset from a manifest (TOML, see demo/wijkmonitor.toml) or straight from "
            "one CBS/PDOK boundary file (GeoPackage, GeoJSON, Shapefile): the level, code, name and "
            "year columns are then detected, and the layer's CBS attributes become indicators. "
            "The output is replaced only when the build succeeds."
        ),
    )
    build.add_argument("source", type=Path, help="manifest .toml, or a boundary file")
    build.add_argument("-o", "--output", type=Path, default=Path("build/dataset.gpkg"), help="dataset to write (default: %(default)s)")
    build.add_argument("--year", type=int, help="year of a boundary file that carries none (no 'jaar' column)")
    build.add_argument("--crs", help="CRS of a boundary file that declares none, e.g. EPSG:28992")
    build.add_argument("--catalog", type=Path, help="indicator catalog TOML (default: the built-in one)")

    serve = sub.add_parser("serve", help="serve a built dataset over HTTP (tiles, TileJSON, catalog)")
    serve.add_argument("dataset", type=Path, nargs="?", help="dataset .gpkg (default: $WIJKMONITOR_DATASET or build/demo.gpkg)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000)")

    styles = sub.add_parser(
        "styles",
        help="write ready-made MapLibre style files (one per indicator and level, a folder per theme)",
        description="Classify every indicator (quantiles, 5 classes, group totaal, latest year) and write style JSON files.",
    )
    styles.add_argument("dataset", type=Path, nargs="?", default=Path("build/demo.gpkg"), help="dataset .gpkg (default: %(default)s)")
    styles.add_argument("-o", "--output", type=Path, default=Path("styles/ready"), help="folder (default: %(default)s)")
    styles.add_argument("--base-url", default="http://127.0.0.1:8000", help="server address the styles point at (default: %(default)s)")

    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            return _build(args)
        if args.command == "styles":
            return _styles(args)
        return _serve(args)
    except WijkmonitorError as exc:
        print(f"wijkmonitor {args.command}: error: {exc}", file=sys.stderr)
        return 1


def _build(args: argparse.Namespace) -> int:
    from geodata.build import build_dataset
    from geodata.detect import manifest_for_file
    from geodata.manifest import load_manifest

    if args.source.suffix.lower() == ".toml":
        manifest = load_manifest(args.source)
    else:
        manifest = manifest_for_file(args.source, year=args.year, crs=args.crs, catalog_path=args.catalog)
    if args.catalog:
        from dataclasses import replace

        manifest = replace(manifest, catalog=args.catalog)
    report = build_dataset(manifest, args.output, progress=lambda m: print(f"- {m}", file=sys.stderr))
    print(report.as_text())
    print(f"wrote {args.output}")
    return 0


def _styles(args: argparse.Namespace) -> int:
    from settings import Settings
    from store import open_store
    from styles.ready_made import write_ready_made_styles

    settings = Settings.from_env()
    written = write_ready_made_styles(open_store(args.dataset), args.output, args.base_url.rstrip("/"), settings.max_zoom)
    print(f"wrote {len(written)} style files to {args.output}")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from settings import Settings
    from web.app import create_app

    settings = Settings.from_env(dataset=args.dataset, host=args.host, port=args.port)
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_level="info", access_log=settings.access_log
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
