"""The landing page, conformance and collections: one collection per level and year of the dataset."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from geodata.errors import RequestError
from geodata.regions import Level
from ogc.crs import CRS84, STORAGE_CRS, SUPPORTED
from store import Store

JSON, GEOJSON = "application/json", "application/geo+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"  # the exact type QGIS 3.22 looks for
SCHEMA = "application/schema+json"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
TILESETS_REL = "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector"
TILING_SCHEMES_REL = "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/property-property",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
    "http://www.opengis.net/spec/cql2/1.0/conf/spatial-functions",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/tilesetmetadata",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilesetmetadata",
)


class UnknownCollection(RequestError):
    status_code = 404


@dataclass(frozen=True)
class CollectionId:
    level: Level
    year: int

    def __str__(self) -> str:
        return f"{self.level.value}_{self.year}"

    @property
    def title(self) -> str:
        return f"{self.level.plural.capitalize()} {self.year}"

    @property
    def interval(self) -> tuple[str, str]:
        """The year the boundaries and figures are of, as an RFC 3339 interval."""
        return f"{self.year}-01-01T00:00:00Z", f"{self.year}-12-31T23:59:59Z"


def collection_ids(store: Store) -> list[CollectionId]:
    return [CollectionId(level, year) for level in store.availability.levels for year in store.availability.years[level]]


def parse_collection_id(store: Store, raw: str) -> CollectionId:
    """`buurt_2024` -> (buurt, 2024), when the dataset has that level and year."""
    for found in collection_ids(store):
        if str(found) == raw:
            return found
    known = ", ".join(str(c) for c in collection_ids(store))
    raise UnknownCollection("collectionId", f"no collection {raw!r}; this dataset has: {known}")


def link(href: str, rel: str, media_type: str, title: str | None = None) -> dict[str, str]:
    found = {"href": href, "rel": rel, "type": media_type}
    if title:
        found["title"] = title
    return found


def landing_page(store: Store, base: str) -> dict[str, Any]:
    """`base` is the API's root URL (ending in /ogc)."""
    return {
        "title": store.title,
        "description": "CBS-cijfers per gemeente, wijk en buurt als OGC API Features en Tiles: een collectie per niveau "
        "en jaar, met per indicator en groep de waarde of waarom die ontbreekt, als features of als vectortegels "
        "in Web Mercator en RD New.",
        "attribution": store.attribution,
        "links": [
            link(base, "self", JSON, "Deze pagina"),
            link(f"{base}/api", "service-desc", OPENAPI, "De API-beschrijving (OpenAPI 3.0)"),
            link(f"{base}/conformance", "conformance", JSON, "Ondersteunde OGC-conformiteitsklassen"),
            link(f"{base}/collections", "data", JSON, "De collecties"),
            link(f"{base}/tileMatrixSets", TILING_SCHEMES_REL, JSON, "De tegelschema's (WebMercatorQuad, NetherlandsRDNewQuad)"),
        ],
    }


def conformance() -> dict[str, Any]:
    return {"conformsTo": list(CONFORMANCE)}


def collection(store: Store, cid: CollectionId, base: str) -> dict[str, Any]:
    here = f"{base}/collections/{cid}"
    return {
        "id": str(cid),
        "title": cid.title,
        "description": f"{cid.title} (CBS-indeling {cid.year}) met hun cijfers per indicator en groep; {store.title}.",
        "itemType": "feature",
        "extent": {
            "spatial": {"bbox": [list(store.bounds_lonlat(cid.level, cid.year))], "crs": CRS84},
            "temporal": {"interval": [list(cid.interval)], "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"},
        },
        "crs": list(SUPPORTED),
        "storageCrs": STORAGE_CRS,
        "links": [
            link(here, "self", JSON, cid.title),
            link(f"{here}/items", "items", GEOJSON, f"{cid.title} als GeoJSON"),
            link(f"{here}/queryables", QUERYABLES_REL, SCHEMA, "Eigenschappen om op te filteren"),
            # the same document by the rel of Part 3's draft, the only one GDAL's OAPIF driver (3.12) follows
            link(f"{here}/queryables", "queryables", SCHEMA, "Eigenschappen om op te filteren"),
            link(f"{here}/tiles", TILESETS_REL, JSON, f"{cid.title} als vectortegels"),
        ],
    }


def collections(store: Store, base: str) -> dict[str, Any]:
    return {
        "links": [link(f"{base}/collections", "self", JSON, "De collecties")],
        "collections": [collection(store, cid, base) for cid in collection_ids(store)],
    }
