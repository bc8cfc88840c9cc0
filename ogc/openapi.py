"""The OpenAPI 3.0 document of /ogc (conformance class oas30): what QGIS reads its paging limits
from, and what the schemathesis tests check every response against."""

from __future__ import annotations

from typing import Any

from ogc.collections import GEOJSON, JSON, SCHEMA
from ogc.crs import CRS84, SUPPORTED
from ogc.features import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET
from ogc.filter import LANGUAGES, MAX_LENGTH
from tiles.encode import MVT_TYPE
from tiles.tilemath import PYRAMIDS

REF = "#/components/schemas/"


def _query(name: str, schema: dict[str, Any], description: str, explode: bool = False) -> dict[str, Any]:
    # style form + explode false is how OGC API Features writes its parameters (and what QGIS reads)
    return {"name": name, "in": "query", "required": False, "style": "form", "explode": explode,
            "schema": schema, "description": description}


def _response(description: str, media_type: str, schema: str, *other_types: str) -> dict[str, Any]:
    return {"description": description,
            "content": {t: {"schema": {"$ref": REF + schema}} for t in (media_type, *other_types)}}


ERRORS = {
    "400": _response("Een parameter is ongeldig; `parameter` noemt welke", JSON, "Error"),
    "404": _response("Onbekende collectie of feature", JSON, "Error"),
}


HTML_PAGE = {"schema": {"type": "string"}}
FORMAT = {"$ref": "#/components/parameters/f"}


def _html_too(response: dict[str, Any]) -> dict[str, Any]:
    """A response that is also a page for a browser (f=html or Accept: text/html)."""
    response["content"]["text/html"] = HTML_PAGE
    return response


def _get(summary: str, ok: dict[str, Any], parameters: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    operation: dict[str, Any] = {"summary": summary, "responses": {"200": ok, **ERRORS}}
    if parameters:
        operation["parameters"] = parameters
    return {"get": operation}


def openapi(title: str, base: str, collection_ids: list[str]) -> dict[str, Any]:
    """`base` is the API's root URL (ending in /ogc); paths are relative to it."""
    collection_id = {"name": "collectionId", "in": "path", "required": True,
                     "schema": {"type": "string", "enum": collection_ids}, "description": "niveau_jaar, bv. buurt_2024"}
    feature_id = {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"},
                  "description": "CBS-code van het gebied, bv. BU03440111"}
    crs = {"$ref": "#/components/parameters/crs"}
    tms_id = {"name": "tileMatrixSetId", "in": "path", "required": True,
              "schema": {"type": "string", "enum": [p.id for p in PYRAMIDS]}, "description": "het tegelschema"}
    tile_address = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "integer", "minimum": 0}, "description": text}
        for name, text in (("tileMatrix", "zoomniveau"), ("tileRow", "rij, van boven"), ("tileCol", "kolom, van links"))
    ]
    figure_choice = [
        _query("indicators", {"type": "string"}, "indicatoren in de tegels, met komma's (standaard: alle met cijfers)"),
        _query("group", {"type": "string"}, "bevolkingsgroep(en), met komma's (standaard: totaal)"),
    ]
    region_filters = [
        _query(name, {"type": "string"}, f"alleen features met deze {name} (gelijkheid)")
        for name in ("code", "name", "gemeente_code", "wijk_code")
    ]
    return {
        "openapi": "3.0.3",
        "info": {
            "title": f"{title}: OGC API Features",
            "version": "1.0.0",
            "description": "Collecties per niveau (gemeente, wijk, buurt) en jaar. Elke feature heeft per indicator en "
            "groep `<indicator>__<groep>` (de waarde, null als die niet gepubliceerd is) en "
            "`<indicator>__<groep>__status` (waarom er geen waarde is, anders null). Elke eigenschap uit "
            "/collections/{collectionId}/queryables kan als parameter dienen: gelijkheid, bv. "
            "`?bijstand_per_1000__totaal__status=withheld`; voor bereiken en combinaties is er `filter` (CQL2).",
        },
        "servers": [{"url": base}],
        "paths": {
            "/": _get("Startpagina", _html_too(_response("Links naar API, conformiteit en collecties", JSON, "LandingPage")),
                      [FORMAT]),
            "/api": _get("Deze API-beschrijving", {"description": "OpenAPI 3.0",
                                                 "content": {"application/vnd.oai.openapi+json;version=3.0": {"schema": {"type": "object"}}}}),
            "/conformance": _get("Conformiteitsklassen", _response("De klassen", JSON, "Conformance")),
            "/collections": _get("De collecties", _html_too(_response("Alle collecties", JSON, "Collections")), [FORMAT]),
            "/collections/{collectionId}": _get(
                "Een collectie", _html_too(_response("De collectie", JSON, "Collection")), [collection_id, FORMAT]),
            "/collections/{collectionId}/queryables": _get(
                "Eigenschappen om op te filteren", _response("JSON Schema (als application/json voor wie alleen dat "
                                                             "accepteert)", SCHEMA, "Queryables", JSON), [collection_id]),
            "/collections/{collectionId}/items": _get(
                "Features van een collectie",
                _html_too(_with_crs_header(_response("Een pagina features", GEOJSON, "FeatureCollection"))),
                [collection_id, {"$ref": "#/components/parameters/limit"}, {"$ref": "#/components/parameters/offset"},
                 {"$ref": "#/components/parameters/bbox"}, {"$ref": "#/components/parameters/bbox-crs"}, crs,
                 {"$ref": "#/components/parameters/datetime"}, {"$ref": "#/components/parameters/filter"},
                 {"$ref": "#/components/parameters/filter-lang"}, {"$ref": "#/components/parameters/filter-crs"},
                 FORMAT, *region_filters],
            ),
            "/collections/{collectionId}/items/{featureId}": _get(
                "Een feature", _html_too(_with_crs_header(_response("De feature", GEOJSON, "Feature"))),
                [collection_id, feature_id, crs, FORMAT]),
            "/tileMatrixSets": _get("De tegelschema's", _response("De tegelschema's", JSON, "TileMatrixSets")),
            "/tileMatrixSets/{tileMatrixSetId}": _get(
                "Een tegelschema (OGC Tile Matrix Set 2.0)", _response("Het tegelschema", JSON, "TileMatrixSet"), [tms_id]),
            "/collections/{collectionId}/tiles": _get(
                "De vectortegelsets van een collectie", _response("De tegelsets", JSON, "TileSets"), [collection_id]),
            "/collections/{collectionId}/tiles/{tileMatrixSetId}": _get(
                "Een vectortegelset: de URL van de tegels, zoomniveaus, grenzen en lagen",
                _response("De tegelset", JSON, "TileSet"), [collection_id, tms_id, *figure_choice]),
            "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}": {"get": {
                "summary": "Een vectortegel (Mapbox Vector Tile) met de gebieden en hun cijfers",
                "parameters": [collection_id, tms_id, *tile_address, *figure_choice],
                "responses": {
                    "200": {"description": "De tegel", "content": {MVT_TYPE: {"schema": {"type": "string", "format": "binary"}}}},
                    "204": {"description": "Geen gebied in deze tegel"},
                    **ERRORS,
                },
            }},
        },
        "components": {"parameters": PARAMETERS, "schemas": SCHEMAS},
    }


def _with_crs_header(response: dict[str, Any]) -> dict[str, Any]:
    response["headers"] = {"Content-Crs": {"description": "CRS van de coördinaten, als <URI>", "schema": {"type": "string"}}}
    return response


FILTER_DESCRIPTION = (
    "CQL2-filter op de queryables (/collections/{collectionId}/queryables), bv. "
    "`inwoners__totaal > 2000 AND gemeente_code = 'GM0344'`: = <> < <= > >=, AND, OR, NOT, IS NULL, BETWEEN, IN, "
    "LIKE ('%' willekeurige tekst, '_' één teken) en S_INTERSECTS (en de andere S_-functies) met de eigenschap "
    "geometry en een BBOX(...), POINT(...) of POLYGON(...) in filter-crs. Een cijfer dat niet gepubliceerd is, is "
    "null: een vergelijking ermee is niet waar, ook onder NOT, dus `inwoners__totaal < 100` geeft nooit gebieden "
    "waarvan het cijfer geheim of afgeschermd is (vraag die op met `inwoners__totaal IS NULL` of de __status)."
)
CRS_SCHEMA = {"type": "string", "enum": list(SUPPORTED), "default": CRS84}
PARAMETERS: dict[str, Any] = {
    # QGIS 3.22 takes its page size from limit's default and maximum here
    "limit": _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
                    "features per pagina"),
    "offset": _query("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0},
                     "features overslaan (de next-link zet dit)"),
    "bbox": _query("bbox", {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
                   "minx,miny,maxx,maxy in bbox-crs (standaard CRS84: lengte, breedte); features die hem snijden"),
    "bbox-crs": _query("bbox-crs", CRS_SCHEMA, "CRS van bbox"),
    "crs": _query("crs", CRS_SCHEMA, "CRS van de geometrie in het antwoord"),
    "datetime": _query("datetime", {"type": "string"},
                       "RFC 3339-tijdstip of -interval; features gelden het hele jaar van hun collectie"),
    "f": _query("f", {"type": "string", "enum": ["json", "html"]},
                "json (standaard) of html, een pagina voor de browser; zonder f beslist Accept"),
    "filter": _query("filter", {"type": "string", "maxLength": MAX_LENGTH}, FILTER_DESCRIPTION),
    "filter-lang": _query("filter-lang", {"type": "string", "enum": list(LANGUAGES), "default": "cql2-text"},
                          "taal van filter: CQL2-tekst of CQL2-JSON (cql-text: de naam uit het concept van deel 3, "
                          "die GDAL en QGIS sturen, is CQL2-tekst)"),
    "filter-crs": _query("filter-crs", CRS_SCHEMA, "CRS van de geometrieën in filter (standaard CRS84: lengte, breedte)"),
}

LINK = {"type": "object", "required": ["href", "rel"],
        "properties": {"href": {"type": "string"}, "rel": {"type": "string"}, "type": {"type": "string"},
                       "title": {"type": "string"}}}
LINKS = {"type": "array", "items": {"$ref": REF + "Link"}}
GEOMETRY = {"type": "object", "required": ["type", "coordinates"], "nullable": True,
            "properties": {"type": {"type": "string", "enum": ["Polygon", "MultiPolygon"]},
                           "coordinates": {"type": "array"}}}
SCHEMAS: dict[str, Any] = {
    "Link": LINK,
    "Error": {"type": "object", "required": ["error", "detail"],
              "properties": {"error": {"type": "string"}, "parameter": {"type": "string"}, "detail": {}}},
    "LandingPage": {"type": "object", "required": ["links"],
                    "properties": {"title": {"type": "string"}, "description": {"type": "string"}, "links": LINKS}},
    "Conformance": {"type": "object", "required": ["conformsTo"],
                    "properties": {"conformsTo": {"type": "array", "items": {"type": "string"}}}},
    "Collection": {
        "type": "object", "required": ["id", "links"],
        "properties": {
            "id": {"type": "string"}, "title": {"type": "string"}, "description": {"type": "string"},
            "itemType": {"type": "string"}, "links": LINKS,
            "extent": {"type": "object", "properties": {
                "spatial": {"type": "object", "properties": {
                    "bbox": {"type": "array", "items": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}}},
                    "crs": {"type": "string"}}},
                "temporal": {"type": "object", "properties": {
                    "interval": {"type": "array", "items": {"type": "array", "minItems": 2, "maxItems": 2,
                                                            "items": {"type": "string", "format": "date-time", "nullable": True}}},
                    "trs": {"type": "string"}}}}},
            "crs": {"type": "array", "items": {"type": "string"}}, "storageCrs": {"type": "string"},
        },
    },
    "Collections": {"type": "object", "required": ["links", "collections"],
                    "properties": {"links": LINKS, "collections": {"type": "array", "items": {"$ref": REF + "Collection"}}}},
    "TileMatrixSets": {"type": "object", "required": ["tileMatrixSets"],
                       "properties": {"links": LINKS, "tileMatrixSets": {"type": "array", "items": {
                           "type": "object", "required": ["id", "links"],
                           "properties": {"id": {"type": "string"}, "title": {"type": "string"}, "links": LINKS}}}}},
    "TileMatrixSet": {"type": "object", "required": ["crs", "tileMatrices"],
                      "properties": {"id": {"type": "string"}, "crs": {"type": "string"}, "tileMatrices": {"type": "array", "items": {
                          "type": "object",
                          "required": ["id", "scaleDenominator", "cellSize", "pointOfOrigin", "tileWidth", "tileHeight",
                                       "matrixWidth", "matrixHeight"]}}}},
    "TileSets": {"type": "object", "required": ["tilesets"],
                 "properties": {"links": LINKS, "tilesets": {"type": "array", "items": {"$ref": REF + "TileSetSummary"}}}},
    "TileSetSummary": {"type": "object", "required": ["dataType", "crs", "links"],
                       "properties": {"title": {"type": "string"}, "dataType": {"type": "string", "enum": ["vector"]},
                                      "crs": {"type": "string"}, "tileMatrixSetURI": {"type": "string"}, "links": LINKS}},
    "TileSet": {"type": "object", "required": ["dataType", "crs", "links", "tileMatrixSetLimits", "layers"],
                "properties": {"dataType": {"type": "string", "enum": ["vector"]}, "crs": {"type": "string"}, "links": LINKS,
                               "tileMatrixSetLimits": {"type": "array"}, "layers": {"type": "array"}}},
    "Queryables": {"type": "object", "required": ["type", "properties"],
                   "properties": {"type": {"type": "string"}, "properties": {"type": "object"}}},
    "Feature": {
        "type": "object", "required": ["type", "geometry", "properties"],
        "properties": {"type": {"type": "string", "enum": ["Feature"]}, "id": {"type": "string"},
                       "geometry": GEOMETRY, "properties": {"type": "object", "nullable": True}, "links": LINKS},
    },
    "FeatureCollection": {
        "type": "object", "required": ["type", "features"],
        "properties": {"type": {"type": "string", "enum": ["FeatureCollection"]},
                       "features": {"type": "array", "items": {"$ref": REF + "Feature"}}, "links": LINKS,
                       "numberMatched": {"type": "integer", "minimum": 0}, "numberReturned": {"type": "integer", "minimum": 0},
                       "timeStamp": {"type": "string", "format": "date-time"}},
    },
}
