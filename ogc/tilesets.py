"""OGC API - Tiles: the tile matrix sets (WebMercatorQuad, NetherlandsRDNewQuad) and, per collection,
a vector tileset in each, whose tiles are the server's own (the bytes /tiles sends, cut in that pyramid)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from geodata.errors import RequestError
from geodata.selection import Selection, parse_selection
from ogc.collections import JSON, CollectionId, link
from store import Store
from tiles.encode import MVT_TYPE
from tiles.region_tiles import LABEL_FIELDS, center_zoom, label_layer_name, label_min_zoom
from tiles.tilejson import layer_fields
from tiles.tilemath import PYRAMIDS, Pyramid

TILING_SCHEME_REL = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
TILE_PARAMETERS = ("indicators", "group")  # what a tile request may choose; the collection fixes level and year


class UnknownTileMatrixSet(RequestError):
    status_code = 404


def pyramid_of(raw: str) -> Pyramid:
    for pyramid in PYRAMIDS:
        if raw == pyramid.id or raw in pyramid.aliases:
            return pyramid
    known = ", ".join(p.id for p in PYRAMIDS)
    raise UnknownTileMatrixSet("tileMatrixSetId", f"no tile matrix set {raw!r}; this server has: {known}")


def tile_selection(store: Store, cid: CollectionId, params: Mapping[str, str]) -> Selection:
    """The figures a collection's tiles carry: every indicator with figures for group totaal, unless
    `indicators` or `group` say otherwise."""
    chosen = {name: params[name] for name in TILE_PARAMETERS if name in params}
    return parse_selection(store.availability, store.catalog, cid.level.value, {**chosen, "year": str(cid.year)})


def crs_uri(pyramid: Pyramid) -> str:
    return "http://www.opengis.net/def/crs/EPSG/0/" + pyramid.crs.removeprefix("EPSG:")


def tile_matrix_sets(base: str) -> dict[str, Any]:
    """`base` is the API's root URL (ending in /ogc)."""
    return {
        "links": [link(f"{base}/tileMatrixSets", "self", JSON, "De tegelschema's")],
        "tileMatrixSets": [
            {
                "id": pyramid.id,
                "title": pyramid.tms.title,
                "crs": crs_uri(pyramid),
                **({"uri": pyramid.tms.uri} if pyramid.tms.uri else {}),
                "links": [link(f"{base}/tileMatrixSets/{pyramid.id}", "self", JSON, pyramid.tms.title)],
            }
            for pyramid in PYRAMIDS
        ],
    }


def tile_matrix_set(pyramid: Pyramid, base: str) -> dict[str, Any]:
    """The definition in the JSON encoding of OGC 17-083r4 (Tile Matrix Set 2.0), as morecantile writes it."""
    document = json.loads(pyramid.tms.model_dump_json(exclude_none=True, by_alias=True))
    # GDAL 3.6 (Debian 12, QGIS 3.22's) parses only the TMS 1.0 encoding (OGC 17-083r2), e.g. as
    # `gdal_translate -of COG -co TILING_SCHEME=<this document>`; its keys stand beside 2.0's, so that one
    # document serves both kinds of reader. (That GDAL reads no OGC API vector tiles at all: built without them.)
    minx, miny, maxx, maxy = pyramid.tile_bounds(0, 0, 0)
    document.update({
        "type": "TileMatrixSetType",
        "identifier": pyramid.id,
        "supportedCRS": document["crs"],
        "boundingBox": {"type": "BoundingBoxType", "crs": document["crs"], "lowerCorner": [minx, miny], "upperCorner": [maxx, maxy],
                        "lowerLeft": [minx, miny], "upperRight": [maxx, maxy]},
    })
    for matrix in document["tileMatrices"]:
        matrix.update({"identifier": matrix["id"], "topLeftCorner": matrix["pointOfOrigin"]})
    document["links"] = [link(f"{base}/tileMatrixSets/{pyramid.id}", "self", JSON, pyramid.tms.title)]
    return document


def _tileset_summary(cid: CollectionId, pyramid: Pyramid, here: str, base: str) -> dict[str, Any]:
    return {
        "title": f"{cid.title} ({pyramid.id})",
        "dataType": "vector",
        "crs": crs_uri(pyramid),
        # The registered URI where OGC has one; else our own definition (GDAL picks a tileset by this field).
        "tileMatrixSetURI": pyramid.tms.uri or f"{base}/tileMatrixSets/{pyramid.id}",
        "links": [
            link(here, "self", JSON, f"{cid.title} in {pyramid.id}"),
            link(f"{base}/tileMatrixSets/{pyramid.id}", TILING_SCHEME_REL, JSON, f"Het tegelschema {pyramid.id}"),
        ],
    }


def tilesets(cid: CollectionId, base: str) -> dict[str, Any]:
    collection = f"{base}/collections/{cid}"
    return {
        "links": [link(f"{collection}/tiles", "self", JSON, f"Vectortegels van {cid.title}")],
        "tilesets": [_tileset_summary(cid, p, f"{collection}/tiles/{p.id}", base) for p in PYRAMIDS],
    }


def tileset(store: Store, cid: CollectionId, selection: Selection, pyramid: Pyramid, base: str, max_zoom: int) -> dict[str, Any]:
    """Tileset metadata (OGC 17-083r4, section 9): the tile URL template, the zooms and tiles that hold
    regions, and the layers with their attributes. The template keeps the figures chosen (`indicators`,
    `group`) so that every tile a client fetches from it carries the same attributes."""
    here = f"{base}/collections/{cid}/tiles/{pyramid.id}"
    document = _tileset_summary(cid, pyramid, here, base)
    query = selection.query_string()
    document["links"].append(
        {**link(f"{here}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}?{query}", "item", MVT_TYPE, "Een vectortegel"), "templated": True}
    )
    bounds = store.bounds_lonlat(cid.level, cid.year)
    limits = []
    for z in range(max_zoom + 1):
        first_col, first_row, last_col, last_row = pyramid.tile_limits(bounds, z)
        limits.append({"tileMatrix": str(z), "minTileRow": first_row, "maxTileRow": last_row,
                       "minTileCol": first_col, "maxTileCol": last_col})
    fields = layer_fields(store, selection)
    labels_from = label_min_zoom(cid.level, pyramid)
    west, south, east, north = bounds
    document.update({
        "description": f"{cid.title} met {len(selection.indicators)} indicator(en) voor groep(en) "
        f"{', '.join(selection.groups)}; kies met ?indicators=...&group=... op deze pagina.",
        "attribution": store.attribution,
        "tileMatrixSetLimits": limits,
        "boundingBox": {"lowerLeft": [west, south], "upperRight": [east, north], "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
        "centerPoint": {"coordinates": [(west + east) / 2, (south + north) / 2], "tileMatrix": str(center_zoom(cid.level, pyramid)),
                        "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"},
        "layers": [
            _layer(cid.level.value, f"{cid.level.plural} (vlakken) met hun cijfers", 2, 0, max_zoom, fields),
            _layer(label_layer_name(cid.level), f"labelpunten van de {cid.level.plural}", 0, labels_from, max_zoom,
                   {key: fields[key] for key in LABEL_FIELDS if key in fields}),
        ],
    })
    return document


def _layer(layer_id: str, description: str, dimension: int, minzoom: int, maxzoom: int, fields: dict[str, str]) -> dict[str, Any]:
    properties = {}
    for name, text in fields.items():
        title, _, kind = text.rpartition(" (")
        properties[name] = {"description": title, "type": "number" if kind == "Number)" else "string"}
    return {
        "id": layer_id,
        "description": description,
        "dataType": "vector",
        "geometryDimension": dimension,
        "minTileMatrix": str(minzoom),
        "maxTileMatrix": str(maxzoom),
        "propertiesSchema": {"type": "object", "properties": properties},
    }
