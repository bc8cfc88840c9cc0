"""MapLibre GL style JSON (spec v8) for a thematic map.

QGIS 3.22's style converter skips `step`/`case` expressions over attributes, so every class
is its own fill layer with a filter (which QGIS converts); MapLibre and Leaflet read the same
layers. Lowest and highest classes are open-ended, so no published value goes uncoloured.
"""

from __future__ import annotations

from typing import Any

from geodata.dataset import Dataset
from styles.palettes import NO_VALUE, OUTLINE, WITHHELD
from styles.thematic import ThematicMap
from tiles.query import TileQuery
from tiles.region_tiles import label_layer_name
from tiles.tilejson import tilejson

SOURCE = "wijkmonitor"
LABEL_FONT = ["DejaVu Sans Book"]


def class_filter(attribute: str, lower: float | None, upper: float | None) -> list[Any]:
    """Filter for lower < value <= upper; None leaves that side open."""
    parts: list[Any] = [["has", attribute]]
    if lower is not None:
        parts.append([">", ["get", attribute], lower])
    if upper is not None:
        parts.append(["<=", ["get", attribute], upper])
    return ["all", *parts]


def style_json(
    dataset: Dataset, m: ThematicMap, base_url: str, max_zoom: int, glyphs_url: str | None = None
) -> dict[str, Any]:
    r = m.request
    query = TileQuery(r.level, r.year, (r.group,), (r.indicator,))
    attribute = query.attribute(r.indicator, r.group)
    status = f"{attribute}__status"
    tj = tilejson(dataset, query, base_url, max_zoom)
    layer = r.level.value
    only_within = [["==", ["get", "gemeente_code"], r.within]] if r.within else []

    def fill(layer_id: str, colour: str, condition: list[Any]) -> dict[str, Any]:
        return {
            "id": layer_id,
            "type": "fill",
            "source": SOURCE,
            "source-layer": layer,
            "filter": _all(condition, *only_within),
            "paint": {"fill-color": colour, "fill-opacity": 0.85},
        }

    breaks = m.classification.breaks
    layers: list[dict[str, Any]] = [
        fill(f"{layer}-geen-gegevens", NO_VALUE, ["all", ["has", status], ["!=", ["get", status], "withheld"]]),
        fill(f"{layer}-niet-gepubliceerd", WITHHELD, ["==", ["get", status], "withheld"]),
    ]
    for i, colour in enumerate(m.colours):
        lower = breaks[i - 1] if i > 0 else None
        upper = breaks[i] if i < len(breaks) - 1 else None
        layers.append(fill(f"{layer}-klasse-{i + 1}", colour, class_filter(attribute, lower, upper)))
    layers.append({
        "id": f"{layer}-grens",
        "type": "line",
        "source": SOURCE,
        "source-layer": layer,
        "paint": {
            "line-color": OUTLINE,
            "line-width": ["interpolate", ["linear"], ["zoom"], 6, 0.2, 14, 1.5],
            "line-opacity": 0.7,
        },
    })
    style: dict[str, Any] = {
        "version": 8,
        "name": f"{m.indicator.title['nl']} – {dataset.catalog.group(r.group).title['nl']}, {layer} {r.year}",
        "metadata": {
            "wijkmonitor:legend": f"{base_url}/legend/{r.indicator}.json?{r.query_string()}",
            "wijkmonitor:attribute": attribute,
            "wijkmonitor:breaks": list(breaks),
            "wijkmonitor:colours": list(m.colours),
        },
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
        "layers": layers,
    }
    if glyphs_url:
        style["glyphs"] = glyphs_url
        layers.append({
            "id": f"{layer}-naam",
            "type": "symbol",
            "source": SOURCE,
            "source-layer": label_layer_name(r.level),
            **({"filter": _all(*only_within)} if only_within else {}),
            "layout": {"text-field": ["get", "name"], "text-font": LABEL_FONT, "text-size": 11},
            "paint": {"text-color": "#252525", "text-halo-color": "#ffffff", "text-halo-width": 1.2},
        })
    return style


def _all(*conditions: list[Any]) -> list[Any]:
    """One flat ["all", ...] of the conditions (nested "all"s are unwrapped)."""
    flat: list[Any] = []
    for condition in conditions:
        flat.extend(condition[1:] if condition[0] == "all" else [condition])
    return flat[0] if len(flat) == 1 else ["all", *flat]
