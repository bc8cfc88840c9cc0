"""A static map of one region among its neighbours, as SVG: for a printed report, where a tiled
map cannot go. Colours come from the same thematic map as the style and legend of that figure."""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

import numpy as np
import shapely

from geodata.cells import NOT_PUBLISHED, Status
from geodata.regions import Level
from store import Store
from styles.palettes import WITHHELD
from styles.thematic import ThematicMap

PLURAL = {Level.gemeente: "gemeenten", Level.wijk: "wijken", Level.buurt: "buurten"}
NO_VALUE = "#ffffff"
OUTLINE = "#636363"


def region_map_svg(store: Store, m: ThematicMap, code: str, width: int = 640) -> str:
    """The regions of `m` (its level, year and gemeente) in their class colours, `code` outlined in black."""
    request = m.request
    regions = store.regions(request.level, request.year, request.within)
    figures = store.figures(request.level, request.year, request.group, request.indicator, request.within)
    statuses = figures.statuses.to_numpy()
    values = figures.values.to_numpy(dtype=float)
    fills = np.full(len(regions), NO_VALUE, dtype=object)
    fills[np.isin(statuses, list(NOT_PUBLISHED))] = WITHHELD
    ok = statuses == Status.ok.value
    if ok.any():
        fills[ok] = np.asarray(m.colours, dtype=object)[m.classification.classes_of(values[ok])]

    west, south, east, north = regions.total_bounds
    scale = width / max(east - west, 1.0)
    height = max(int(round((north - south) * scale)), 1)
    # Half a pixel of detail is all a printed map can show.
    shapes = shapely.simplify(regions.geometry.to_numpy(), 0.5 / scale, preserve_topology=True)

    def path(geometry: shapely.Geometry) -> str:
        parts = []
        for polygon in getattr(geometry, "geoms", [geometry]):
            for ring in (polygon.exterior, *polygon.interiors):
                xy = np.asarray(ring.coords)
                points = " ".join(f"{(x - west) * scale:.1f},{(north - y) * scale:.1f}" for x, y in xy[:-1])
                parts.append(f"M{points}Z")
        return "".join(parts)

    elements = []
    chosen = ""
    for region_code, name, shape, fill in zip(regions["code"], regions["name"], shapes, fills):
        if shape is None or shape.is_empty:
            continue
        d = path(shape)
        elements.append(f'<path d="{d}" fill="{fill}"><title>{escape(str(name))}</title></path>')
        if region_code == code:
            # A white halo keeps the black outline visible on the darkest class.
            chosen = f'<path d="{d}" fill="none" stroke="#ffffff" stroke-width="5"/><path d="{d}" fill="none" stroke="#000000" stroke-width="2.5"/>'
    title = f"Kaart: {m.indicator.title['nl']}, {PLURAL[request.level]}, {request.year}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label={quoteattr(title)}><title>{escape(title)}</title>'
        f'<g stroke="{OUTLINE}" stroke-width="0.6" fill-rule="evenodd">{"".join(elements)}</g>{chosen}</svg>'
    )
