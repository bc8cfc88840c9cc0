"""What a style or legend request asks for, beyond the figure itself.

The figure (level, year, group, indicator, within) is a `Selection` parsed once by
`geodata.selection.parse_figure`. The classification parameters (all optional): method
(quantiles), k (5), breaks (comma list; implies method=user), fixed (true: breaks over all
years, for trend maps), palette (ColorBrewer name), centre (gemeente | nederland: a diverging
palette centred on that figure).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from geodata.catalog import Catalog
from geodata.errors import RequestError
from geodata.params import bool_param, bounded_int_param, floats_param
from geodata.selection import OneFigure, Selection
from styles.classify import MAX_CLASSES, METHODS, MIN_CLASSES
from styles.palettes import DEFAULT_COMPOSITION, NEUTRAL, default_palette, is_diverging

CENTRES = ("gemeente", "nederland")
DEFAULT_K = 5
DEFAULT_CENTRED_K = 6


@dataclass(frozen=True)
class ThematicRequest(OneFigure):
    selection: Selection  # one indicator and group
    method: str
    k: int
    breaks: tuple[float, ...]
    fixed: bool
    palette: str
    centre: str | None

    def query_string(self) -> str:
        """Canonical parameters, so a style links to the legend of exactly the same map."""
        parts = {
            "level": self.level.value, "year": self.year, "group": self.group, "method": self.method,
            "k": self.k, "palette": self.palette,
        }
        if self.breaks:
            parts["breaks"] = ",".join(f"{b:g}" for b in self.breaks)
        if self.within:
            parts["within"] = self.within
        if self.fixed:
            parts["fixed"] = "true"
        if self.centre:
            parts["centre"] = self.centre
        return "&".join(f"{k}={v}" for k, v in parts.items())


def parse_thematic_request(catalog: Catalog, selection: Selection, params: Mapping[str, str]) -> ThematicRequest:
    indicator = catalog.indicator(selection.indicator)
    breaks = floats_param(params, "breaks")
    method = params.get("method") or ("user" if breaks else "quantiles")
    if method not in METHODS:
        raise RequestError("method", f"unknown classification {method!r}; choose one of {', '.join(METHODS)}")
    if breaks and method != "user":
        raise RequestError("breaks", f"breaks are for method=user, not method={method}")
    centre = params.get("centre") or params.get("center") or None
    if centre is not None and centre not in CENTRES:
        raise RequestError("centre", f"centre must be one of {', '.join(CENTRES)}, not {centre!r}")
    if method == "user":
        k = len(breaks) + 1
    else:
        k = bounded_int_param(params, "k", MIN_CLASSES, DEFAULT_CENTRED_K if centre else DEFAULT_K, MAX_CLASSES)
    if centre == "gemeente" and selection.within is None:
        raise RequestError("centre", "centre=gemeente needs within=<gemeentecode>, the gemeente to centre on")
    palette = params.get("palette") or (
        DEFAULT_COMPOSITION if indicator.composition else default_palette(indicator.higher_is, diverging=centre is not None)
    )
    if indicator.composition and (centre is not None or palette not in NEUTRAL):
        raise RequestError(
            "centre" if centre is not None else "palette",
            f"{indicator.id} is a composition figure (a group's share), shown in one neutral hue, not centred on a "
            f"norm; palettes: {', '.join(NEUTRAL)}",
        )
    if centre is not None and not is_diverging(palette):
        raise RequestError("palette", f"a centred map needs a diverging palette, not {palette!r}")
    return ThematicRequest(
        selection=selection, method=method, k=k, breaks=breaks, fixed=bool_param(params, "fixed"), palette=palette,
        centre=centre,
    )
