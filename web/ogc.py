"""OGC API - Features and Tiles at /ogc: landing page, OpenAPI document, conformance, a collection per
level and year, its queryables, its items (paged GeoJSON) and single features, the tile matrix sets and
each collection's tilesets. The tiles themselves are served by web.tiles, with the other tiles."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from geodata.errors import RequestError, UnknownRegion
from ogc.collections import (
    GEOJSON,
    JSON,
    OPENAPI,
    SCHEMA,
    collection,
    collection_ids,
    collections,
    conformance,
    landing_page,
    parse_collection_id,
)
from ogc.crs import content_crs, crs_param
from ogc.features import feature_json, items_json, items_page, parse_items_query
from ogc.filter_ast import property_names
from ogc.html import CSP, collection_html, collections_html, item_html, items_html, landing_html
from ogc.openapi import openapi
from ogc.queryables import queryables
from ogc.table import FeatureTable, FeatureTables
from ogc.tilesets import pyramid_of, tile_matrix_set, tile_matrix_sets, tile_selection, tileset, tilesets
from settings import Settings
from store import Store
from tiles.encode import gzip_bytes
from web.holder import DatasetHolder
from web.http import accepts_gzip, public_base_url


def routes(holder: DatasetHolder, settings: Settings) -> list[BaseRoute]:
    tables = FeatureTables()

    def api_base(request: Request) -> str:
        return f"{public_base_url(request, settings.public_url)}/ogc"

    async def table_of(store: Store, raw_id: str) -> FeatureTable:
        cid = parse_collection_id(store, raw_id)
        return await run_in_threadpool(tables.get, store, cid.level, cid.year)  # the first time: figures of every region

    def landing(request: Request) -> Response:
        document = landing_page(holder.current().store, api_base(request))
        return html(landing_html(document, api_base(request))) if wants_html(request) else negotiated_json(document)

    def api(request: Request) -> Response:
        store = holder.current().store
        document = openapi(store.title, api_base(request), [str(c) for c in collection_ids(store)])
        return JSONResponse(document, media_type=OPENAPI)

    def conformance_classes(request: Request) -> Response:
        return JSONResponse(conformance())

    def all_collections(request: Request) -> Response:
        document = collections(holder.current().store, api_base(request))
        if wants_html(request):
            return html(collections_html(document, f"{api_base(request)}/collections", api_base(request)))
        return negotiated_json(document)

    def one_collection(request: Request) -> Response:
        store = holder.current().store
        cid = parse_collection_id(store, request.path_params["collectionId"])
        document = collection(store, cid, api_base(request))
        if wants_html(request):
            return html(collection_html(document, f"{api_base(request)}/collections/{cid}", api_base(request)))
        return negotiated_json(document)

    async def collection_queryables(request: Request) -> Response:
        store = holder.current().store
        table = await table_of(store, request.path_params["collectionId"])
        here = f"{api_base(request)}/collections/{request.path_params['collectionId']}/queryables"
        return negotiated_json(queryables(table, store.catalog, here), schema_type(request))

    async def items(request: Request) -> Response:
        store = holder.current().store
        cid = parse_collection_id(store, request.path_params["collectionId"])
        table = await table_of(store, str(cid))
        params = request.query_params
        query = parse_items_query(table, cid, params)
        here = f"{api_base(request)}/collections/{cid}/items"
        if wants_html(request):
            page, matched, links = await run_in_threadpool(items_page, table, query, params, here)
            shown = property_names(query.filter.condition) if query.filter else []
            return html(items_html(table, cid.title, page, matched, links, here, api_base(request), dict(params), shown))
        body = await run_in_threadpool(items_json, table, query, params, here, datetime.now(UTC))
        return await run_in_threadpool(geojson, request, body, query.crs)

    async def item(request: Request) -> Response:
        store = holder.current().store
        cid = parse_collection_id(store, request.path_params["collectionId"])
        table = await table_of(store, str(cid))
        crs = item_crs(request.query_params)
        code = request.path_params["featureId"]
        here = f"{api_base(request)}/collections/{cid}/items/{code}"
        body = feature_json(table, code, crs, here)
        if body is None:
            raise UnknownRegion("featureId", f"no region {code!r} in collection {cid}")
        return html(item_html(table, code, cid.title, here, api_base(request))) if wants_html(request) else geojson(request, body, crs)

    def matrix_sets(request: Request) -> Response:
        return JSONResponse(tile_matrix_sets(api_base(request)))

    def matrix_set(request: Request) -> Response:
        return JSONResponse(tile_matrix_set(pyramid_of(request.path_params["tileMatrixSetId"]), api_base(request)))

    def collection_tilesets(request: Request) -> Response:
        store = holder.current().store
        return JSONResponse(tilesets(parse_collection_id(store, request.path_params["collectionId"]), api_base(request)))

    def collection_tileset(request: Request) -> Response:
        store = holder.current().store
        cid = parse_collection_id(store, request.path_params["collectionId"])
        pyramid = pyramid_of(request.path_params["tileMatrixSetId"])
        selection = tile_selection(store, cid, request.query_params)
        return JSONResponse(tileset(store, cid, selection, pyramid, api_base(request), pyramid.max_zoom(settings.max_zoom)))

    return [
        Route("/ogc", landing),
        Route("/ogc/", landing),
        Route("/ogc/api", api),
        Route("/ogc/conformance", conformance_classes),
        Route("/ogc/collections", all_collections),
        Route("/ogc/collections/{collectionId}", one_collection),
        Route("/ogc/collections/{collectionId}/queryables", collection_queryables),
        Route("/ogc/collections/{collectionId}/items", items),
        Route("/ogc/collections/{collectionId}/items/{featureId}", item),
        Route("/ogc/tileMatrixSets", matrix_sets),
        Route("/ogc/tileMatrixSets/{tileMatrixSetId}", matrix_set),
        Route("/ogc/collections/{collectionId}/tiles", collection_tilesets),
        Route("/ogc/collections/{collectionId}/tiles/{tileMatrixSetId}", collection_tileset),
    ]


def item_crs(params: Mapping[str, str]) -> str:
    for name in params:
        if name not in ("crs", "f"):
            raise RequestError(name, f"unknown parameter {name!r}; a single feature takes only crs and f")
    return crs_param(params, "crs")


def wants_html(request: Request) -> bool:
    """`f=html`, or no `f` and an Accept that names text/html (a browser). Clients such as QGIS and GDAL
    send application/json or */*, and get JSON, the default."""
    wanted = request.query_params.get("f")
    if wanted is not None and wanted not in ("json", "html"):
        raise RequestError("f", f"f must be json or html, not {wanted!r}")
    return wanted == "html" if wanted else "text/html" in request.headers.get("accept", "")


def html(text: str) -> Response:
    return HTMLResponse(text, headers={"Content-Security-Policy": CSP, "Vary": "Accept", "Cache-Control": "no-cache"})


def schema_type(request: Request) -> str:
    """JSON Schema's own type, unless the client accepts only plain JSON (GDAL's OAPIF driver asks for
    application/geo+json, application/json and refuses another type)."""
    accept = request.headers.get("accept", "")
    return JSON if "application/json" in accept and SCHEMA not in accept and "*/*" not in accept else SCHEMA


def negotiated_json(document: object, media_type: str = JSON) -> Response:
    """JSON chosen by the Accept header (HTML or another type would have been sent for another): a shared
    cache must key on it."""
    return JSONResponse(document, media_type=media_type, headers={"Vary": "Accept"})


def geojson(request: Request, body: str, crs: str) -> Response:
    """Features with their Content-Crs; gzip when accepted (a page of national wijken is megabytes of coordinates)."""
    headers = {**content_crs(crs), "Vary": "Accept, Accept-Encoding"}
    if accepts_gzip(request.headers.get("accept-encoding", "")):
        return Response(gzip_bytes(body.encode()), media_type=GEOJSON, headers={**headers, "Content-Encoding": "gzip"})
    return Response(body, media_type=GEOJSON, headers=headers)
