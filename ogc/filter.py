"""The CQL2 filter of /items (OGC API Features Part 3): the `filter`, `filter-lang` and `filter-crs`
parameters, read into one expression tree whichever the encoding."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ogc.crs import crs_param
from ogc.filter_ast import Condition, InvalidFilter
from ogc.filter_json import parse_json
from ogc.filter_text import parse_text

# cql-text: the Part 3 draft's name, which GDAL's OAPIF driver (3.12 too) looks for in the OpenAPI document and
# sends; what it writes (comparisons, LIKE, IS NULL, AND, OR, NOT) is CQL2 text as well.
LANGUAGES = {"cql2-text": parse_text, "cql2-json": parse_json, "cql-text": parse_text}
PARAMETERS = ("filter", "filter-lang", "filter-crs")
MAX_LENGTH = 20_000  # characters; a filter is typed or generated from a where clause, not a bulk upload


@dataclass(frozen=True)
class Filter:
    condition: Condition
    crs: str  # of the geometry literals


def parse_filter(params: Mapping[str, str]) -> Filter | None:
    """The filter of a request, in `filter-lang` (default cql2-text); None when there is none."""
    lang = params.get("filter-lang", "cql2-text")
    if lang not in LANGUAGES:
        raise InvalidFilter("filter-lang", f"filter-lang must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    crs = crs_param(params, "filter-crs")
    raw = params.get("filter")
    if raw is None:
        for name in ("filter-lang", "filter-crs"):
            if name in params:
                raise InvalidFilter(name, f"{name} says how to read filter, which is missing")
        return None
    if len(raw) > MAX_LENGTH:
        raise InvalidFilter("filter", f"filter is {len(raw)} characters long; at most {MAX_LENGTH} are read")
    return Filter(LANGUAGES[lang](raw), crs)
