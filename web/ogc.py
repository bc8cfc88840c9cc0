"""OGC API - Features and Tiles at /ogc: landing page, OpenAPI document, conformance, a collection per
level and year, its queryables, its items (paged GeoJSON) and single features, the tile matrix sets and
each collection's tilesets. The tiles themselves are served by web.tiles, with the other tiles."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
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
from ogc.features import feature_json, items_json, parse_items_query
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
        return JSONResponse(landing_page(holder.current().store, api_base(request)))

    def api(request: Request) -> Response:
        store = holder.current().store
        document = openapi(store.title, api_base(request), [str(c) for c in collection_ids(store)])
        return JSONResponse(document, media_type=OPENAPI)

    def conformance_classes(request: Request) -> Response:
        return JSONResponse(conformance())

    def all_collections(request: Request) -> Response:
        return JSONResponse(collections(holder.current().store, api_base(request)))

    def one_collection(request: Request) -> Response:
        store = holder.current().store
        return JSONResponse(collection(store, parse_collection_id(store, request.path_params["collectionId"]), api_base(request)))

    async def collection_queryables(request: Request) -> Response:
        store = holder.current().store
        table = await table_of(store, request.path_params["collectionId"])
        here = f"{api_base(request)}/collections/{request.path_params['collectionId']}/queryables"
        return JSONResponse(queryables(table, store.catalog, here), media_type=schema_type(request))

    async def items(request: Request) -> Response:
        store = holder.current().store
        cid = parse_collection_id(store, request.path_params["collectionId"])
        table = await table_of(store, str(cid))
        params = request.query_params
        query = parse_items_query(table, cid, params)
        here = f"{api_base(request)}/collections/{cid}/items"
        body = await run_in_threadpool(items_json, table, query, params, here, datetime.now(UTC))
        return await run_in_threadpool(geojson, request, body, query.crs)

    async def item(request: Request) -> Response:
        store = holder.current().store
        cid = parse_collection_id(store, request.path_params["collectionId"])
        table = await table_of(store, str(cid))
        crs = item_crs(request.query_params)
        code = request.path_params["featureId"]
        body = feature_json(table, code, crs, f"{api_base(request)}/collections/{cid}/items/{code}")
        if body is None:
            raise UnknownRegion("featureId", f"no region {code!r} in collection {cid}")
        return geojson(request, body, crs)

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
        if name != "crs":
            raise RequestError(name, f"unknown parameter {name!r}; a single feature takes only crs")
    return crs_param(params, "crs")


def schema_type(request: Request) -> str:
    """JSON Schema's own type, unless the client accepts only plain JSON (GDAL's OAPIF driver asks for
    application/geo+json, application/json and refuses another type)."""
    accept = request.headers.get("accept", "")
    return JSON if "application/json" in accept and SCHEMA not in accept and "*/*" not in accept else SCHEMA


def geojson(request: Request, body: str, crs: str) -> Response:
    """Features with their Content-Crs; gzip when accepted (a page of national wijken is megabytes of coordinates)."""
    headers = {**content_crs(crs), "Vary": "Accept-Encoding"}
    if accepts_gzip(request):
        return Response(gzip_bytes(body.encode()), media_type=GEOJSON, headers={**headers, "Content-Encoding": "gzip"})
    return Response(body, media_type=GEOJSON, headers=headers)
