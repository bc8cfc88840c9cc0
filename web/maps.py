"""/maps/{indicator}.png: a static map of any selection (level, year, group, within, optionally a bbox)
in the classes of its style, for reports and documents."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from pyproj import Transformer
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from geodata.errors import RequestError
from geodata.params import bounded_int_param, floats_param
from geodata.selection import parse_figure
from settings import Settings
from styles.request import parse_thematic_request
from styles.static_map import DEFAULT_WIDTH, MAX_WIDTH, MIN_WIDTH, map_png
from web.holder import DatasetHolder

# Created once (pyproj's advice); Transformers are thread-safe since pyproj 3.1.
CRS84_TO_RD = Transformer.from_crs("OGC:CRS84", "EPSG:28992", always_xy=True)


def bbox_param(params: Mapping[str, str]) -> tuple[float, float, float, float] | None:
    """`bbox=west,south,east,north` in CRS84 degrees, as the RD New box that covers it; None when absent."""
    if "bbox" not in params:
        return None
    numbers = floats_param(params, "bbox")
    if len(numbers) != 4:
        raise RequestError("bbox", f"bbox must be west,south,east,north in degrees, not {params['bbox']!r}")
    west, south, east, north = numbers
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise RequestError("bbox", f"bbox must have -180 <= west < east <= 180 and -90 <= south < north <= 90, not {params['bbox']!r}")
    box = CRS84_TO_RD.transform_bounds(west, south, east, north, densify_pts=21)  # RD's grid is turned a little
    if not np.isfinite(box).all():
        raise RequestError("bbox", f"bbox {params['bbox']!r} lies outside what RD New (EPSG:28992) can show")
    return box


def routes(holder: DatasetHolder, settings: Settings) -> list[BaseRoute]:
    async def indicator_map(request: Request) -> Response:
        served = holder.current()
        store, params = served.store, request.query_params
        width = bounded_int_param(params, "width", MIN_WIDTH, DEFAULT_WIDTH, MAX_WIDTH, "width (pixels)")
        bbox = bbox_param(params)
        selection = parse_figure(store.availability, store.catalog, request.path_params["indicator"], params)
        chosen = await run_in_threadpool(served.thematic, parse_thematic_request(store.catalog, selection, params))
        image = await holder.heavy.run("map", map_png, store, chosen, width, bbox)
        return Response(image, media_type="image/png", headers={"Cache-Control": "no-cache"})

    return [Route("/maps/{indicator}.png", indicator_map)]
