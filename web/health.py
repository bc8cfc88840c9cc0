"""/health (what is served, reload errors, cache counters) and /catalog (what can be asked for)."""

from __future__ import annotations

import os

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from geodata.cells import STATUS_TEXT
from settings import Settings
from web.holder import DatasetHolder
from web.http import public_base_url


def routes(holder: DatasetHolder, settings: Settings) -> list[BaseRoute]:
    async def health(request: Request) -> Response:
        served = holder.current()
        cache = served.cache
        return JSONResponse({
            "status": "ok",
            "dataset": served.store.location,
            "title": served.store.title,
            "built_at": served.store.metadata.get("built_at"),
            "version": served.store.version,
            "process": os.getpid(),  # which server process answered (serve --workers)
            "last_reload_error": holder.last_reload_error,
            "tile_cache": {"tiles": len(cache), "bytes": cache.bytes, "hits": cache.hits, "misses": cache.misses},
            "analysis": holder.workers.status(),
            "tile_workers": {"workers": len(holder.tile_workers), "ready": holder.tile_workers_ready},
        })

    async def catalog(request: Request) -> Response:
        store = holder.current().store
        available = store.availability
        base_url = public_base_url(request, settings.public_url)
        levels = {
            level.value: {
                "years": list(years),
                "indicators": {str(year): available.indicators_with_data(level, year) for year in years},
                "published": {str(year): available.indicators_with_data(level, year, published_only=True) for year in years},
                "tilejson": f"{base_url}/tiles/{level.value}.json",
            }
            for level, years in available.years.items()
        }
        return JSONResponse({
            "title": store.title,
            "attribution": store.attribution,
            "levels": levels,
            **store.catalog.as_json(available.indicator_years()),
            "statuses": {k: v for k, v in STATUS_TEXT.items() if k != "ok"},
        })

    return [Route("/health", health), Route("/catalog", catalog)]
