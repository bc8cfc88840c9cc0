"""Hotspot analyses over HTTP: /analysis/hotspots, and the wait for a result that tiles and styles share.

The statistics run in worker processes (analysis.workers); a request awaits its result without
holding the event loop or a thread, so tiles keep flowing while analyses run.
"""

from __future__ import annotations

import asyncio

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from analysis.hotspots import HotspotResult
from analysis.request import AnalysisRequest, parse_analysis_request
from settings import Settings
from styles.hotspot_style import hotspot_legend
from web.holder import DatasetHolder, Served


async def analysed(served: Served, analysis: AnalysisRequest) -> HotspotResult:
    """The analysis from a worker: the event loop serves other requests while it is computed."""
    future = await run_in_threadpool(served.analysis.submit, analysis)
    # Shielded: a client that goes away must not cancel the computation others share.
    return await asyncio.shield(asyncio.wrap_future(future))


def hotspot_body(served: Served, result: HotspotResult) -> Response:
    analysis = result.request
    names = dict(zip(*(served.store.regions(analysis.level, analysis.year)[c] for c in ("code", "name"))))
    legend_body = hotspot_legend(served.store, result)
    indicator = served.store.catalog.indicator(analysis.indicator)

    return JSONResponse({
        **{k: legend_body[k] for k in ("indicator", "title", "unit", "level", "year", "group", "within", "analysis")},
        "summary": {c["class"]: c["count"] for c in legend_body["classes"]},
        "regions": [
            {"code": row["code"], "name": names.get(row["code"]), "value": row["value"], "statistic": round(row["statistic"], 6),
             "z": round(row["z"], 6), "p": round(row["p"], 6), "class": row["class"]}
            for row in result.table.reset_index().to_dict("records")
        ],
        "not_analysed": {
            # Why a region is left out: the same status and Dutch reason as in tiles, /regions and legends.
            "no_value": [
                {"code": c, "name": names.get(c), "status": status, "note": indicator.status_text(status)}
                for c, status in result.no_value.items()
            ],
            "no_neighbours": [{"code": c, "name": names.get(c)} for c in result.no_neighbours],
        },
        "attribution": served.store.attribution,
    })


def routes(holder: DatasetHolder, settings: Settings) -> list[BaseRoute]:
    async def hotspot_analysis(request: Request) -> Response:
        served = holder.current()
        analysis = parse_analysis_request(served.store, request.query_params)
        result = await analysed(served, analysis)
        return await run_in_threadpool(hotspot_body, served, result)

    return [Route("/analysis/hotspots", hotspot_analysis)]
