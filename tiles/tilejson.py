"""TileJSON 3.0.0 for one level and selection of figures."""

from __future__ import annotations

from typing import Any

from geodata.cells import STATUS_TEXT, Status
from geodata.regions import Level
from geodata.selection import Selection
from store import Store
from tiles.region_tiles import LABEL_FIELDS, LABEL_MIN_ZOOM, center_zoom, label_layer_name

STATUS_HELP = "; ".join(f"{status} = {text}" for status, text in STATUS_TEXT.items() if status != Status.ok.value)


def layer_fields(store: Store, query: Selection) -> dict[str, str]:
    """Attribute -> description (with its type in brackets, as TileJSON writes it) of the polygon layer."""
    level = query.level
    fields: dict[str, str] = {
        "code": "CBS-code (String)",
        "name": "Naam (String)",
        "year": "Jaar van de cijfers (Number)",
    }
    if level is not Level.gemeente:
        fields["gemeente_code"] = "CBS-code van de gemeente (String)"
    if level is Level.buurt:
        fields["wijk_code"] = "CBS-code van de wijk (String)"
    breaks_help = "; ".join(f"{kind} = {rule.text.rstrip('.')}" for kind, rule in store.catalog.breaks.items())
    for indicator_id, group in query.figures():
        indicator = store.catalog.indicator(indicator_id)
        name = query.attribute(indicator_id, group)
        title = f"{indicator.title['nl']}, {store.catalog.group(group).title['nl']} ({indicator.unit})"
        fields[name] = f"{title} (Number)"
        fields[f"{name}__status"] = f"Waarom {name} ontbreekt: {STATUS_HELP} (String)"
        if breaks_help:
            fields[f"{name}__breuk"] = f"Breuk in de reeks vóór {name}, alleen waar er een is (soorten met komma's): {breaks_help} (String)"
    return fields


def _description(query: Selection) -> str:
    text = f"CBS-{query.level.plural} {query.year} met indicatoren per groep"
    asked = len(query.groups) * len(query.indicators)
    carried = len(query.figures())
    if carried < asked:
        text += f"; {carried} van de {asked} gevraagde combinaties van indicator en groep hebben cijfers, alleen die staan in de tegels"
    return text


def tilejson(
    store: Store,
    query: Selection,
    base_url: str,
    max_zoom: int,
    extra_query: str = "",
    extra_fields: dict[str, str] | None = None,
) -> dict[str, Any]:
    """TileJSON 3.0.0; `extra_query`/`extra_fields` add parameters and attributes beyond the figures (analysis)."""
    level = query.level
    west, south, east, north = store.bounds_lonlat(level, query.year)
    fields = layer_fields(store, query)
    fields.update(extra_fields or {})
    return {
        "tilejson": "3.0.0",
        "name": f"{store.title}: {level.value} {query.year}",
        "description": _description(query),
        "attribution": store.attribution,
        "scheme": "xyz",
        "tiles": [f"{base_url}/tiles/{level.value}/{{z}}/{{x}}/{{y}}.mvt?{query.query_string()}{extra_query}"],
        "minzoom": 0,
        "maxzoom": max_zoom,
        "bounds": [round(west, 6), round(south, 6), round(east, 6), round(north, 6)],
        "center": [round((west + east) / 2, 6), round((south + north) / 2, 6), center_zoom(level)],
        "vector_layers": [
            {
                "id": level.value,
                "description": f"{level.plural} (vlakken) met waarden voor {query.year}",
                "minzoom": 0,
                "maxzoom": max_zoom,
                "fields": fields,
            },
            {
                "id": label_layer_name(level),
                "description": f"labelpunten (pool van ontoegankelijkheid) van de {level.plural}",
                "minzoom": LABEL_MIN_ZOOM[level],
                "maxzoom": max_zoom,
                "fields": {key: fields[key] for key in LABEL_FIELDS if key in fields},
            },
        ],
    }
