"""Features of a collection: the query of /items (paging, bbox, datetime, crs, filters), which
regions it selects, and the GeoJSON of a page or of one feature."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from urllib.parse import urlencode

import numpy as np
import shapely

from geodata.errors import RequestError
from geodata.params import bounded_int_param
from ogc.collections import GEOJSON, JSON, CollectionId, link
from ogc.crs import CRS84, crs_param
from ogc.filter import PARAMETERS as FILTER_PARAMETERS
from ogc.filter import Filter, parse_filter
from ogc.filter_eval import matching
from ogc.queryables import Equality, equal, kind_of, parse_equalities
from ogc.table import FeatureTable

DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
MAX_OFFSET = 2**31
PARAMETERS = ("limit", "offset", "bbox", "bbox-crs", "crs", "datetime", *FILTER_PARAMETERS, "f")  # f: json or html
LONLAT_RANGE = ((-180.0, 180.0), (-90.0, 90.0))


@dataclass(frozen=True)
class ItemsQuery:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: tuple[float, float, float, float] | None = None
    bbox_crs: str = CRS84
    crs: str = CRS84
    during: bool = True  # whether `datetime` overlaps the collection's year (every feature is of that year)
    equalities: tuple[Equality, ...] = ()  # queryables as query parameters
    filter: Filter | None = None  # CQL2


def parse_items_query(table: FeatureTable, cid: CollectionId, params: Mapping[str, str]) -> ItemsQuery:
    """Read /items parameters; an unknown one is an error (400), not silently ignored."""
    for name in params:
        if name not in PARAMETERS and kind_of(table, name) is None:
            raise RequestError(name, f"unknown parameter {name!r}; use {', '.join(PARAMETERS)} or a queryable of {cid}")
    bbox_crs = crs_param(params, "bbox-crs")
    if "bbox-crs" in params and "bbox" not in params:
        raise RequestError("bbox-crs", "bbox-crs says the CRS of bbox, which is missing")
    return ItemsQuery(
        limit=bounded_int_param(params, "limit", 1, DEFAULT_LIMIT, MAX_LIMIT),
        offset=bounded_int_param(params, "offset", 0, 0, MAX_OFFSET),
        bbox=parse_bbox(params.get("bbox"), bbox_crs),
        bbox_crs=bbox_crs,
        crs=crs_param(params, "crs"),
        during=overlaps(parse_datetime(params.get("datetime")), cid.interval),
        equalities=parse_equalities(table, params, [n for n in params if n not in PARAMETERS]),
        filter=parse_filter(params),
    )


def parse_bbox(raw: str | None, crs: str) -> tuple[float, float, float, float] | None:
    """minx,miny,maxx,maxy (or with minz and maxz, which are ignored: regions have no height)."""
    if raw is None:
        return None
    try:
        numbers = [float(part) for part in raw.split(",")]
    except ValueError:
        raise RequestError("bbox", f"bbox must be 4 or 6 comma-separated numbers, not {raw!r}") from None
    if len(numbers) not in (4, 6) or not all(math.isfinite(n) for n in numbers):
        raise RequestError("bbox", f"bbox must be 4 or 6 comma-separated finite numbers, not {raw!r}")
    half = len(numbers) // 2
    low, high = numbers[:2], numbers[half:half + 2]
    if crs == CRS84:
        for (lowest, highest), a, b in zip(LONLAT_RANGE, low, high):
            if not (lowest <= a <= highest and lowest <= b <= highest):
                raise RequestError("bbox", f"bbox in CRS84 is longitude -180..180, latitude -90..90: {raw!r}")
    if low[0] > high[0] or low[1] > high[1]:
        # (a box across the antimeridian would have west > east; Dutch regions never need one)
        raise RequestError("bbox", f"bbox must be minx,miny,maxx,maxy with min <= max, not {raw!r}")
    return low[0], low[1], high[0], high[1]


Instant = datetime | None  # None: open (`..` or empty)


def parse_datetime(raw: str | None) -> tuple[Instant, Instant] | None:
    """An RFC 3339 date, date-time or interval (`start/end`, either end `..` or empty when open)."""
    if raw is None:
        return None
    parts = raw.split("/")
    if len(parts) > 2 or (len(parts) == 2 and all(p in ("", "..") for p in parts)):
        raise RequestError("datetime", f"datetime must be a date-time or an interval start/end, not {raw!r}")
    try:
        ends = [None if p in ("", "..") and len(parts) == 2 else instant(p) for p in parts]
    except ValueError:
        raise RequestError("datetime", f"datetime must be RFC 3339 (2024-01-01 or 2024-01-01T00:00:00Z), not {raw!r}") from None
    start, end = ends[0], ends[-1]
    if start and end and start > end:
        raise RequestError("datetime", f"datetime interval ends before it starts: {raw!r}")
    return start, end


def instant(text: str) -> datetime:
    if "T" not in text.upper():
        day = date.fromisoformat(text)
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    found = datetime.fromisoformat(text.upper())
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def overlaps(wanted: tuple[Instant, Instant] | None, interval: tuple[str, str]) -> bool:
    if wanted is None:
        return True
    first, last = (datetime.fromisoformat(t) for t in interval)
    start, end = wanted
    return (start is None or start <= last) and (end is None or end >= first)


def selected(table: FeatureTable, query: ItemsQuery) -> np.ndarray:
    """Positions of the regions the query matches (before paging), in code order."""
    keep = equal(table, query.equalities)
    if query.filter is not None:  # before datetime: a filter naming an unknown property is an error in any year
        keep &= matching(table, query.filter)
    if not query.during:
        return np.empty(0, dtype=np.int64)
    if query.bbox is not None:
        inside = np.zeros(len(table), dtype=bool)
        inside[table.intersecting(query.bbox, query.bbox_crs)] = True
        keep &= inside
    return np.flatnonzero(keep)


def features_json(table: FeatureTable, positions: np.ndarray, crs: str) -> list[str]:
    """Each region as a GeoJSON Feature (text): id = CBS code."""
    geometries = shapely.to_geojson(table.geometry[crs][positions]) if len(positions) else []
    return [
        f'{{"type":"Feature","id":{json.dumps(table.codes[i])},"geometry":{geometry},'
        f'"properties":{json.dumps(table.properties(i), ensure_ascii=False)}}}'
        for i, geometry in zip(positions.tolist(), geometries)
    ]


def items_page(
    table: FeatureTable, query: ItemsQuery, params: Mapping[str, str], here: str
) -> tuple[np.ndarray, int, list[dict[str, str]]]:
    """The positions on the page, how many regions matched, and the self, collection, next and prev links
    (which keep every other parameter of the request) of /items at `here`."""
    matched = selected(table, query)
    page = matched[query.offset:query.offset + query.limit]

    def at(offset: int) -> str:
        return f"{here}?{urlencode({**params, 'limit': query.limit, 'offset': offset})}"

    links = [link(at(query.offset), "self", GEOJSON, "Deze pagina"), link(here.rsplit("/", 1)[0], "collection", JSON)]
    if query.offset + query.limit < len(matched):
        links.append(link(at(query.offset + query.limit), "next", GEOJSON, "Volgende pagina"))
    if query.offset > 0:
        links.append(link(at(max(query.offset - query.limit, 0)), "prev", GEOJSON, "Vorige pagina"))
    return page, len(matched), links


def items_json(
    table: FeatureTable, query: ItemsQuery, params: Mapping[str, str], here: str, now: datetime
) -> str:
    """The page of a FeatureCollection at `here` (the /items URL)."""
    page, matched, links = items_page(table, query, params, here)
    head = {
        "type": "FeatureCollection",
        "numberMatched": matched,
        "numberReturned": len(page),
        "timeStamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": links,
    }
    return json.dumps(head, ensure_ascii=False, separators=(",", ":"))[:-1] + ',"features":[' + ",".join(features_json(table, page, query.crs)) + "]}"


def feature_json(table: FeatureTable, code: str, crs: str, here: str) -> str | None:
    """One feature with its links; None when the collection has no region `code`."""
    if code not in table.position:
        return None
    text = features_json(table, np.array([table.position[code]]), crs)[0]
    links = [link(here, "self", GEOJSON), link(here.rsplit("/items/", 1)[0], "collection", JSON)]
    return text[:-1] + f',"links":{json.dumps(links, separators=(",", ":"))}}}'
