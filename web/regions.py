"""Regions and their figures: /regions/{code} (a profile), /regions?q= (search), /figures (the rows of
a map, profile or comparison, as JSON or CSV) and /regions/{code}/map.svg|png (a static map for reports)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from geodata.errors import RequestError
from geodata.params import bounded_int_param
from geodata.regions import Level
from geodata.selection import parse_figure
from profiles.region import known_region, region_profile
from profiles.search import search_regions
from profiles.table import CSV_DIALECTS, figure_table, parse_table_request, table_csv, table_json
from settings import Settings
from styles.request import parse_thematic_request
from styles.static_map import DEFAULT_WIDTH, MAX_WIDTH, MIN_WIDTH, region_map_png, region_map_svg
from web.holder import DatasetHolder
from web.http import public_base_url

SEARCH_LIMIT, MAX_SEARCH_LIMIT = 50, 1000
TABLE_FORMATS = ("json", "csv")


def page_params(params: Mapping[str, str], default_limit: int, max_limit: int) -> tuple[int, int]:
    """(limit, offset) of a paged listing."""
    return (
        bounded_int_param(params, "limit", 1, default_limit, max_limit),
        bounded_int_param(params, "offset", 0, 0, 2**31),
    )


def routes(holder: DatasetHolder, settings: Settings) -> list[BaseRoute]:
    def region(request: Request) -> Response:
        return JSONResponse(region_profile(holder.current().store, request.path_params["code"]))

    def regions(request: Request) -> Response:
        p = request.query_params
        limit, offset = page_params(p, default_limit=SEARCH_LIMIT, max_limit=MAX_SEARCH_LIMIT)
        found = search_regions(holder.current().store, p.get("level") or None, p.get("within") or None, p.get("q"))
        page = found[offset:offset + limit]
        body: dict[str, Any] = {"regions": page, "count": len(page), "total": len(found), "limit": limit, "offset": offset}
        if offset + limit < len(found):
            query = urlencode({**p, "limit": limit, "offset": offset + limit})
            body["next"] = f"{public_base_url(request, settings.public_url)}/regions?{query}"
        return JSONResponse(body)

    async def figures(request: Request) -> Response:
        store = holder.current().store
        wanted = "csv" if request.url.path.endswith(".csv") else request.query_params.get("format", "json")
        if wanted not in TABLE_FORMATS:
            raise RequestError("format", f"format must be one of {', '.join(TABLE_FORMATS)}, not {wanted!r}")
        dialect = request.query_params.get("dialect", CSV_DIALECTS[0])
        if dialect not in CSV_DIALECTS:
            raise RequestError("dialect", f"dialect must be one of {', '.join(CSV_DIALECTS)}, not {dialect!r}")
        table = parse_table_request(store, request.query_params)
        rows = await holder.heavy.run("figures", figure_table, store, table)
        if wanted == "csv":
            name = "wijkmonitor-" + ("-".join(table.regions[:3]) if table.regions else f"{table.level}-{table.years[0]}")
            return Response(
                "\ufeff" + table_csv(rows, dialect),  # the BOM makes spreadsheet programs read UTF-8 (Zuilen, Overvecht, ë)
                media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
            )
        return JSONResponse({"figures": table_json(rows), "count": len(rows), "attribution": store.attribution})

    async def region_map(request: Request) -> Response:
        served = holder.current()
        store, code = served.store, request.path_params["code"]
        level, history = known_region(store, code)
        indicator = request.query_params.get("indicator")
        if not indicator:
            raise RequestError("indicator", "a map needs indicator=<id>")
        png = request.url.path.endswith(".png")
        if png:
            width = bounded_int_param(request.query_params, "width", MIN_WIDTH, DEFAULT_WIDTH, MAX_WIDTH, "width (pixels)")
        params = dict(request.query_params)
        params["level"] = level.value
        if level is not Level.gemeente:
            params["within"] = str(history["gemeente_code"].iloc[-1])
        selection = parse_figure(store.availability, store.catalog, indicator, params)
        chosen = await run_in_threadpool(served.thematic, parse_thematic_request(store.catalog, selection, params))
        if png:
            image = await holder.heavy.run("map", region_map_png, store, chosen, code, width)
            return Response(image, media_type="image/png", headers={"Cache-Control": "no-cache"})
        svg = await holder.heavy.run("map", region_map_svg, store, chosen, code)
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-cache"})

    return [
        Route("/regions", regions),
        Route("/regions/{code}", region),
        Route("/regions/{code}/map.svg", region_map),
        Route("/regions/{code}/map.png", region_map),
        Route("/figures", figures),
        Route("/figures.csv", figures),
    ]
