"""A thematic map: the figures of one indicator, group and year, their classes and colours.

Style JSON and legend are two views of this one object, so breaks and colours have a single
source of truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from geodata.catalog import Indicator
from geodata.cells import NOT_PUBLISHED, Status
from geodata.errors import RequestError
from geodata.regions import NATIONAL_CODE
from store import Store
from styles.classify import Classification, centred, classify
from styles.palettes import colours
from styles.request import ThematicRequest


@dataclass(frozen=True)
class ThematicMap:
    request: ThematicRequest
    indicator: Indicator
    classification: Classification
    colours: tuple[str, ...]
    counts: tuple[int, ...]
    withheld: int  # withheld or protected by us (grey)
    no_value: int
    status_counts: dict[str, int]  # regions per status without a value (secret, later, missing ...)
    minimum: float
    maximum: float
    centre_value: float | None


def thematic_map(store: Store, request: ThematicRequest) -> ThematicMap:
    indicator = store.catalog.indicator(request.indicator)
    shown = store.figures(request.level, request.year, request.group, indicator.id, request.within)
    if request.fixed:
        # Trend maps: one set of breaks over every year, so a colour means the same value each year.
        years = store.availability.years[request.level]
        pool = np.concatenate([
            store.figures(request.level, y, request.group, indicator.id, request.within).published for y in years
        ])
    else:
        pool = shown.published
    if len(pool) == 0:
        raise RequestError(
            "indicator", f"no published {indicator.id} figures for group {request.group} at {request.level.value} level in {request.year}"
        )
    centre_value = _centre_value(store, request) if request.centre else None
    if centre_value is not None:
        classification = centred(pool, centre_value, request.method, request.k)
    else:
        classification = classify(pool, request.method, request.k, request.breaks)
    classification = _rounded(classification, indicator.decimals)
    withheld = sum(shown.count(Status(s)) for s in NOT_PUBLISHED)
    return ThematicMap(
        request=request,
        indicator=indicator,
        classification=classification,
        colours=tuple(colours(request.palette, classification.k, indicator.higher_is)),
        counts=tuple(classification.counts(shown.published)),
        withheld=withheld,
        no_value=len(shown.statuses) - shown.count(Status.ok) - withheld,
        status_counts={s.value: shown.count(s) for s in Status if s is not Status.ok and shown.count(s)},
        minimum=float(pool.min()),
        maximum=float(pool.max()),
        centre_value=centre_value,
    )


def _centre_value(store: Store, request: ThematicRequest) -> float:
    code = request.within if request.centre == "gemeente" else NATIONAL_CODE
    value, status = store.figure(code, request.year, request.group, request.indicator)
    if value is None:
        where = f"gemeente {code}" if request.centre == "gemeente" else "Nederland (NL00)"
        raise RequestError(
            "centre", f"no published figure for {where} ({request.indicator}, {request.group}, {request.year}): {status}"
        )
    return value


def _rounded(classification: Classification, decimals: int) -> Classification:
    """Breaks on the grid of the published values, so the legend text is the map's exact rule."""
    breaks = tuple(dict.fromkeys(round(b, decimals) for b in classification.breaks))
    return Classification(classification.method, breaks)
