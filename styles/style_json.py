"""MapLibre GL style JSON (spec v8) for thematic and hotspot maps.

QGIS 3.22's style converter skips `step`/`case` expressions over attributes, so every class
is its own fill layer with a filter (which QGIS converts); MapLibre and Leaflet read the same
layers. Lowest and highest classes are open-ended, so no published value goes uncoloured.
Labels are not part of the style: they need a glyph server, and QGIS labels from its own fonts.
"""

from __future__ import annotations

from typing import Any

from geodata.dataset import Dataset
from geodata.regions import Level
from styles.palettes import NO_VALUE, OUTLINE, WITHHELD
from styles.thematic import ThematicMap
from tiles.query import TileQuery
from tiles.tilejson import tilejson

SOURCE = "wijkmonitor"


def class_filter(attribute: str, lower: float | None, upper: float | None) -> list[Any]:
    """Filter for lower < value <= upper; None leaves that side open."""
    parts: list[Any] = [["has", attribute]]
    if lower is not None:
        parts.append([">", ["get", attribute], lower])
    if upper is not None:
        parts.append(["<=", ["get", attribute], upper])
    return ["all", *parts]


def fill_layer(layer_id: str, level: Level, colour: str, condition: list[Any], within: str | None) -> dict[str, Any]:
    only_within = [["==", ["get", "gemeente_code"], within]] if within else []
    return {
        "id": layer_id,
        "type": "fill",
        "source": SOURCE,
        "source-layer": level.value,
        "filter": _all(condition, *only_within),
        "paint": {"fill-color": colour, "fill-opacity": 0.85},
    }


def style_document(
    name: str, tj: dict[str, Any], level: Level, fills: list[dict[str, Any]], metadata: dict[str, Any]
) -> dict[str, Any]:
    """A complete style: the TileJSON's tiles as the one source, the fill layers, an outline."""
    outline = {
        "id": f"{level.value}-grens",
        "type": "line",
        "source": SOURCE,
        "source-layer": level.value,
        "paint": {
            "line-color": OUTLINE,
            "line-width": ["interpolate", ["linear"], ["zoom"], 6, 0.2, 14, 1.5],
            "line-opacity": 0.7,
        },
    }
    return {
        "version": 8,
        "name": name,
        "metadata": metadata,
        "center": tj["center"][:2],
        "zoom": tj["center"][2],
        "sources": {
            SOURCE: {
                "type": "vector",
                "tiles": tj["tiles"],
                "minzoom": tj["minzoom"],
                "maxzoom": tj["maxzoom"],
                "bounds": tj["bounds"],
                "attribution": tj["attribution"],
            }
        },
        "layers": [*fills, outline],
    }


def style_json(dataset: Dataset, m: ThematicMap, base_url: str, max_zoom: int) -> dict[str, Any]:
    r = m.request
    query = TileQuery(r.level, r.year, (r.group,), (r.indicator,))
    attribute = query.attribute(r.indicator, r.group)
    status = f"{attribute}__status"
    level = r.level.value
    breaks = m.classification.breaks
    fills = [
        fill_layer(f"{level}-geen-gegevens", r.level, NO_VALUE, ["all", ["has", status], ["!=", ["get", status], "withheld"]], r.within),
        fill_layer(f"{level}-niet-gepubliceerd", r.level, WITHHELD, ["==", ["get", status], "withheld"], r.within),
    ]
    for i, colour in enumerate(m.colours):
        lower = breaks[i - 1] if i > 0 else None
        upper = breaks[i] if i < len(breaks) - 1 else None
        fills.append(fill_layer(f"{level}-klasse-{i + 1}", r.level, colour, class_filter(attribute, lower, upper), r.within))
    return style_document(
        f"{m.indicator.title['nl']} – {dataset.catalog.group(r.group).title['nl']}, {level} {r.year}",
        tilejson(dataset, query, base_url, max_zoom),
        r.level,
        fills,
        {
            "wijkmonitor:legend": f"{base_url}/legend/{r.indicator}.json?{r.query_string()}",
            "wijkmonitor:attribute": attribute,
            "wijkmonitor:breaks": list(breaks),
            "wijkmonitor:colours": list(m.colours),
        },
    )


def _all(*conditions: list[Any]) -> list[Any]:
    """One flat ["all", ...] of the conditions (nested "all"s are unwrapped)."""
    flat: list[Any] = []
    for condition in conditions:
        flat.extend(condition[1:] if condition[0] == "all" else [condition])
    return flat[0] if len(flat) == 1 else ["all", *flat]
