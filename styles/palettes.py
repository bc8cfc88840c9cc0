"""ColorBrewer palettes (palettable), limited to the colour-blind safe schemes.

Which schemes are colour-blind safe follows colorbrewer2.org: every sequential scheme, and
of the diverging ones BrBG, PiYG, PRGn, PuOr, RdBu and RdYlBu (not RdGy, RdYlGn, Spectral).
"""

from __future__ import annotations

from palettable.colorbrewer import get_map

from geodata.errors import RequestError

SEQUENTIAL = (
    "Blues", "BuGn", "BuPu", "GnBu", "Greens", "Greys", "Oranges", "OrRd", "PuBu",
    "PuBuGn", "PuRd", "Purples", "RdPu", "Reds", "YlGn", "YlGnBu", "YlOrBr", "YlOrRd",
)
# Ordered from the "bad" colour to the "good" one, so direction can follow the catalog.
DIVERGING = ("RdBu", "RdYlBu", "PuOr", "BrBG", "PiYG", "PRGn")
# Sequential defaults by the catalog's higher_is: darker is always "more".
DEFAULT_SEQUENTIAL = {"worse": "OrRd", "better": "GnBu", "neutral": "YlGnBu"}
DEFAULT_DIVERGING = "RdBu"
# A group's share (composition) is neither good nor bad: one neutral hue, never red or green, never
# diverging (that would read as above or below a norm).
NEUTRAL = ("Purples", "Blues", "Greys", "BuPu", "PuBu")
DEFAULT_COMPOSITION = "Purples"

NO_VALUE = "#ffffff"  # no figure at all (CBS secret or missing): white with a grey hatch-free outline
WITHHELD = "#bdbdbd"  # withheld by us (too few people): mid grey, named in the legend
OUTLINE = "#636363"
LABEL_TEXT = "#252525"  # near-black names with a white halo read on every class colour
LABEL_HALO = "#ffffff"
MAX_COLOURS = 9  # ColorBrewer's largest palettes


def is_diverging(name: str) -> bool:
    return name in DIVERGING


def default_palette(higher_is: str, diverging: bool) -> str:
    return DEFAULT_DIVERGING if diverging else DEFAULT_SEQUENTIAL[higher_is]


def colours(name: str, k: int, higher_is: str) -> list[str]:
    """k colours, lowest class first. Diverging palettes put the "bad" end on the worse side:
    for higher_is=worse the highest class is red; for better and neutral the lowest is."""
    if name in SEQUENTIAL:
        kind = "sequential"
    elif name in DIVERGING:
        kind = "diverging"
    else:
        raise RequestError(
            "palette",
            f"unknown or not colour-blind safe palette {name!r}; sequential: {', '.join(SEQUENTIAL)}; "
            f"diverging: {', '.join(DIVERGING)}",
        )
    if not 1 <= k <= MAX_COLOURS:
        raise RequestError("k", f"a palette has 1 to {MAX_COLOURS} classes, not {k}")
    hexes = [h.lower() for h in get_map(name, kind, max(k, 3)).hex_colors]
    if k < 3:  # ColorBrewer starts at 3 colours: one class takes the middle one, two take the ends
        hexes = [hexes[1]] if k == 1 else [hexes[0], hexes[-1]]
    if kind == "diverging" and higher_is == "worse":
        hexes.reverse()
    return hexes
