"""The app factory: settings and (optionally) an opened store in, a Starlette app out.

Each endpoint group is one module with a `routes(holder, settings)` function; adding an API
means adding a module to ROUTE_GROUPS. Errors become HTTP in one place (web.http.error_response).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.types import Receive, Scope, Send

from analysis.workers import AnalysisWorkers
from geodata.errors import RequestError
from settings import Settings
from store import Store
from web import analysis, health, maps, ogc, regions, styles, tiles, viewer
from web.cached import CachedTiles
from web.holder import DatasetHolder
from web.http import CommonHeaders, error_response

ROUTE_GROUPS = (viewer, health, tiles, styles, regions, maps, analysis, ogc)


class Wijkmonitor(Starlette):
    """The app, with /tiles/ GETs answered in front of it (web.cached; over RSGI, web.rsgi asks it itself)."""

    def __init__(self, holder: DatasetHolder, **options: Any) -> None:
        super().__init__(**options)
        self.front = CachedTiles(super().__call__, holder)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.front(scope, receive, send)


def create_app(settings: Settings, store: Store | None = None) -> Wijkmonitor:
    workers = AnalysisWorkers(
        settings.analysis_workers, settings.analysis_queue, settings.analysis_kernel_cache, settings.analysis_idle_seconds
    )
    holder = DatasetHolder(settings, workers, store)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if settings.analysis_at_start:
            workers.start()  # each worker loads its compiled kernels now, not on the first request
        holder.tile_workers.read_answers_in(asyncio.get_running_loop())
        if holder.tile_workers:  # the tile workers open the dataset meanwhile; tiles asked before wait for it
            threading.Thread(target=holder.start_tile_workers, name="tile-workers", daemon=True).start()
        try:
            yield
        finally:
            await run_in_threadpool(workers.shutdown)
            await run_in_threadpool(holder.tile_workers.shutdown)
            holder.render.shutdown(wait=False, cancel_futures=True)

    app = Wijkmonitor(
        holder,
        routes=[route for group in ROUTE_GROUPS for route in group.routes(holder, settings)],
        lifespan=lifespan,
        middleware=[Middleware(CommonHeaders)],
        exception_handlers={Exception: error_response, HTTPException: error_response, RequestError: error_response},
    )
    app.state.holder = holder
    app.state.analysis_workers = workers
    return app
