"""Queryables (Part 3): what a collection's features can be filtered on, as a JSON Schema, and
the equality filters of "queryables as query parameters" (`?gemeente_code=GM0344`,
`?bijstand_per_1000__totaal__status=withheld`, `?inwoners__totaal=1250`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from geodata.catalog import Catalog
from geodata.cells import Status
from geodata.errors import RequestError
from ogc.table import FeatureTable

REGION_PROPERTIES = {
    "code": ("string", "CBS-code van het gebied"),
    "name": ("string", "Naam"),
    "gemeente_code": ("string", "CBS-code van de gemeente"),
    "wijk_code": ("string", "CBS-code van de wijk"),
    "year": ("integer", "Jaar van de indeling en de cijfers"),
}
NULL_FIGURES = (
    "null als het cijfer niet gepubliceerd is (de __status zegt waarom); in een filter is een vergelijking met null "
    "niet waar, ook onder NOT: `< 100` geeft nooit gebieden waarvan het cijfer niet gepubliceerd is"
)
STATUSES = [s.value for s in Status if s is not Status.ok]

Equality = tuple[str, object]  # property, the value it must equal


def queryables(table: FeatureTable, catalog: Catalog, here: str) -> dict[str, Any]:
    """The JSON Schema of a collection's queryables; `here` is its URL."""
    properties: dict[str, Any] = {"geometry": {"format": "geometry-multipolygon", "x-ogc-role": "primary-geometry"}}
    for name in table.columns:
        if name in REGION_PROPERTIES:
            kind, title = REGION_PROPERTIES[name]
            properties[name] = {"type": kind, "title": title}
    for figure in table.figures:
        indicator = catalog.indicator(figure.indicator)
        title = f"{indicator.title['nl']} ({catalog.group(figure.group).title['nl']})"
        properties[figure.value] = {"type": "number", "title": title, "description": f"{indicator.unit}; {indicator.definition}; {NULL_FIGURES}"}
        properties[figure.status] = {"type": "string", "enum": STATUSES, "title": f"{title}: waarom er geen waarde is"}
        if figure.breaks:
            properties[f"{figure.value}__breuk"] = {"type": "string", "title": f"{title}: breuk in de reeks"}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": here,
        "type": "object",
        "title": f"Eigenschappen van {table.level.plural} {table.year}",
        "properties": properties,
        "additionalProperties": False,
        # the list of Part 3's draft, from which GDAL's OAPIF driver (3.12) learns what it may put in a filter
        "queryables": [{"id": name, "type": schema.get("type", "geometry")} for name, schema in properties.items()],
    }


def kind_of(table: FeatureTable, name: str) -> str | None:
    """'number', 'integer', 'status' or 'string' for a property features of the table carry; None otherwise."""
    if name not in table.columns:
        return None
    if name in REGION_PROPERTIES:
        return REGION_PROPERTIES[name][0]
    if name.endswith("__status"):
        return "status"
    if name.endswith("__breuk"):
        return "string"
    return "number"


def parse_equalities(table: FeatureTable, params: Mapping[str, str], names: list[str]) -> tuple[Equality, ...]:
    """Each of `names` (query parameters that are queryables) with the value it must equal."""
    found: list[Equality] = []
    for name in names:
        raw, kind = params[name], kind_of(table, name)
        if kind in ("number", "integer"):
            try:
                wanted: object = float(raw)
            except ValueError:
                raise RequestError(name, f"{name} is a number; {raw!r} is not") from None
            if not math.isfinite(float(raw)):
                raise RequestError(name, f"{name} must be a finite number, not {raw!r}")
        elif kind == "status":
            if raw not in STATUSES:
                raise RequestError(name, f"{name} must be one of {', '.join(STATUSES)}, not {raw!r}")
            wanted = raw
        else:
            wanted = raw
        found.append((name, wanted))
    return tuple(found)


def equal(table: FeatureTable, equalities: tuple[Equality, ...]) -> np.ndarray:
    """Which regions of the table have every property equal to its value (a boolean per region)."""
    keep = np.ones(len(table), dtype=bool)
    for name, wanted in equalities:
        column = table.columns[name]
        # Elementwise ==; a null never equals a value. Integers equal their float (1250 == 1250.0).
        keep &= np.fromiter((v is not None and v == wanted for v in column), dtype=bool, count=len(column))
    return keep
