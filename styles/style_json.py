"""MapLibre GL style JSON (spec v8) for thematic and hotspot maps.

QGIS 3.22's style converter skips `step`/`case` expressions over attributes, so every class
is its own fill layer with a filter (which QGIS converts); MapLibre and Leaflet read the same
layers. Lowest and highest classes are open-ended, so no published value goes uncoloured.
Names come from the tiles' label point layer; MapLibre draws them with the glyphs we serve
(`/fonts/...`), QGIS with the system font of the same name.
"""

from __future__ import annotations

from typing import Any

from geodata.cells import NOT_PUBLISHED
from geodata.regions import Level
from geodata.selection import Selection
from store import Store
from styles.glyphs import LABEL_FONT
from styles.palettes import LABEL_HALO, LABEL_TEXT, NO_VALUE, OUTLINE, WITHHELD
from styles.thematic import ThematicMap
from tiles.region_tiles import LABEL_MIN_ZOOM, label_layer_name
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


def label_layer(level: Level, within: str | None) -> dict[str, Any]:
    """Region names at their label points (pole of inaccessibility), from the zoom the tiles carry them."""
    layer: dict[str, Any] = {
        "id": f"{level.value}-namen",
        "type": "symbol",
        "source": SOURCE,
        "source-layer": label_layer_name(level),
        "minzoom": LABEL_MIN_ZOOM[level],
        "layout": {
            "text-field": ["get", "name"],
            "text-font": [LABEL_FONT],
            "text-size": ["interpolate", ["linear"], ["zoom"], LABEL_MIN_ZOOM[level], 11, 16, 15],
            "text-max-width": 8,
            "text-padding": 4,
        },
        "paint": {"text-color": LABEL_TEXT, "text-halo-color": LABEL_HALO, "text-halo-width": 1.5},
    }
    if within:
        layer["filter"] = ["==", ["get", "gemeente_code"], within]
    return layer


def style_document(
    name: str,
    tj: dict[str, Any],
    base_url: str,
    level: Level,
    fills: list[dict[str, Any]],
    metadata: dict[str, Any],
    within: str | None,
) -> dict[str, Any]:
    """A complete style: the TileJSON's tiles as the one source, the fill layers, an outline, names."""
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
        "glyphs": f"{base_url}/fonts/{{fontstack}}/{{range}}.pbf",
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
        "layers": [*fills, outline, label_layer(level, within)],
    }


def style_json(store: Store, m: ThematicMap, base_url: str, max_zoom: int) -> dict[str, Any]:
    r = m.request
    attribute = Selection.attribute(r.indicator, r.group)
    status = f"{attribute}__status"
    level = r.level.value
    breaks = m.classification.breaks
    # "any"/"all" of plain comparisons: QGIS 3.22 reads these, not "in" with a literal list.
    fills = [
        fill_layer(
            f"{level}-geen-gegevens", r.level, NO_VALUE,
            ["all", ["has", status], *(["!=", ["get", status], s] for s in NOT_PUBLISHED)], r.within,
        ),
        fill_layer(
            f"{level}-niet-gepubliceerd", r.level, WITHHELD, ["any", *(["==", ["get", status], s] for s in NOT_PUBLISHED)], r.within,
        ),
    ]
    for i, colour in enumerate(m.colours):
        lower = breaks[i - 1] if i > 0 else None
        upper = breaks[i] if i < len(breaks) - 1 else None
        fills.append(fill_layer(f"{level}-klasse-{i + 1}", r.level, colour, class_filter(attribute, lower, upper), r.within))
    return style_document(
        f"{m.indicator.title['nl']} – {store.catalog.group(r.group).title['nl']}, {level} {r.year}",
        tilejson(store, r.selection, base_url, max_zoom),
        base_url,
        r.level,
        fills,
        {
            "wijkmonitor:legend": f"{base_url}/legend/{r.indicator}.json?{r.query_string()}",
            "wijkmonitor:attribute": attribute,
            "wijkmonitor:breaks": list(breaks),
            "wijkmonitor:colours": list(m.colours),
        },
        r.within,
    )


def _all(*conditions: list[Any]) -> list[Any]:
    """One flat ["all", ...] of the conditions (nested "all"s are unwrapped)."""
    flat: list[Any] = []
    for condition in conditions:
        flat.extend(condition[1:] if condition[0] == "all" else [condition])
    return flat[0] if len(flat) == 1 else ["all", *flat]
