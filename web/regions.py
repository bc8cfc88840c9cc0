"""Region profiles and search: /regions/{code} and /regions?q=."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from geodata.params import bounded_int_param
from profiles.region import region_profile
from profiles.search import search_regions
from settings import Settings
from web.holder import DatasetHolder
from web.http import public_base_url

SEARCH_LIMIT, MAX_SEARCH_LIMIT = 50, 1000


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

    return [Route("/regions", regions), Route("/regions/{code}", region)]
