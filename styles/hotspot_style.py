"""Style and legend for a hotspot analysis: one fill layer per significance class."""

from __future__ import annotations

from typing import Any

from analysis.hotspots import NO_NEIGHBOURS, NO_VALUE, NOT_SIGNIFICANT, HotspotResult, attribute_names
from analysis.request import AnalysisRequest
from store import Store
from styles.legend import legend_header
from styles.palettes import NO_VALUE as NO_VALUE_COLOUR
from styles.palettes import WITHHELD
from styles.style_json import fill_layer, style_document
from tiles.tilejson import tilejson

# Diverging red-blue (ColorBrewer RdBu, colour-blind safe), as hotspot maps are usually read.
CLASSES = {
    "gi_star": {
        "hot_99": ("#b2182b", "Hotspot, 99 % betrouwbaar"),
        "hot_95": ("#ef8a62", "Hotspot, 95 % betrouwbaar"),
        "hot_90": ("#fddbc7", "Hotspot, 90 % betrouwbaar"),
        NOT_SIGNIFICANT: ("#f7f7f7", "Niet significant"),
        "cold_90": ("#d1e5f0", "Coldspot, 90 % betrouwbaar"),
        "cold_95": ("#67a9cf", "Coldspot, 95 % betrouwbaar"),
        "cold_99": ("#2166ac", "Coldspot, 99 % betrouwbaar"),
    },
    "local_moran": {
        "HH": ("#b2182b", "Hoog, omringd door hoog (cluster)"),
        "HL": ("#ef8a62", "Hoog, omringd door laag (uitschieter)"),
        NOT_SIGNIFICANT: ("#f7f7f7", "Niet significant"),
        "LH": ("#67a9cf", "Laag, omringd door hoog (uitschieter)"),
        "LL": ("#2166ac", "Laag, omringd door laag (cluster)"),
    },
}
OUTSIDE = {
    NO_VALUE: (NO_VALUE_COLOUR, "Geen waarde (niet gepubliceerd, geheim of geen gegevens): buiten de analyse"),
    NO_NEIGHBOURS: (WITHHELD, "Geen buren met een waarde: buiten de analyse"),
}
METHOD_TITLES = {"gi_star": "Getis-Ord Gi* (hot- en coldspots)", "local_moran": "Lokale Moran's I (clusters en uitschieters)"}


def hotspot_tilejson(store: Store, r: AnalysisRequest, base_url: str, max_zoom: int) -> dict[str, Any]:
    """TileJSON of the tiles that carry an analysis: its figure, its parameters in the URL, its attributes."""
    return tilejson(store, r.selection, base_url, max_zoom, r.query_string(), attribute_names(r.method))


def hotspot_style(store: Store, result: HotspotResult, base_url: str, max_zoom: int) -> dict[str, Any]:
    r = result.request
    attribute = f"{r.method}__class"
    fills = [
        fill_layer(f"{r.level.value}-{name}", r.level, colour, ["==", ["get", attribute], name], r.within)
        for name, (colour, _) in {**OUTSIDE, **CLASSES[r.method]}.items()
    ]
    indicator = store.catalog.indicator(r.indicator)
    extra = r.query_string()
    return style_document(
        f"{METHOD_TITLES[r.method]}: {indicator.title['nl']} – {store.catalog.group(r.group).title['nl']}, {r.level.value} {r.year}",
        hotspot_tilejson(store, r, base_url, max_zoom),
        base_url,
        r.level,
        fills,
        {
            "wijkmonitor:legend": f"{base_url}/legend/{r.indicator}.json?level={r.level.value}&year={r.year}&group={r.group}{extra}",
            "wijkmonitor:attribute": attribute,
        },
        r.within,
    )


def hotspot_legend(store: Store, result: HotspotResult) -> dict[str, Any]:
    r = result.request
    counts = result.table["class"].value_counts()
    return {
        **legend_header(store, r.indicator, r.level, r.year, r.group, r.within),
        "analysis": {
            "method": r.method, "title": METHOD_TITLES[r.method], "weights": r.weights, "k": r.k if r.weights == "knn" else None,
            "permutations": r.permutations, "fdr": r.fdr, "p_thresholds": {f"{int(round((1 - a) * 100))}": t for a, t in result.thresholds.items()},
        },
        "classes": [
            {"class": name, "colour": colour, "label": label, "count": int(counts.get(name, 0))}
            for name, (colour, label) in CLASSES[r.method].items()
        ],
        "no_value": {"class": NO_VALUE, "colour": OUTSIDE[NO_VALUE][0], "label": OUTSIDE[NO_VALUE][1], "count": len(result.no_value)},
        "no_neighbours": {"class": NO_NEIGHBOURS, "colour": OUTSIDE[NO_NEIGHBOURS][0], "label": OUTSIDE[NO_NEIGHBOURS][1], "count": len(result.no_neighbours)},
        "attribution": store.attribution,
    }
