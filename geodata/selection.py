"""Which figures a request asks for: level, year, groups, indicators and optionally one gemeente.

One type for tiles, styles, legends, analyses and exports, parsed once per request and checked
against the dataset's availability (dict lookups, no table scans). Two shapes are parsed:
- a map of figures (tiles): several groups and indicators, default all that have figures;
- one figure (styles, legends, analyses): one indicator and group, the year with most figures.

Attribute naming in tiles (documented in the README and TileJSON):
  <indicator>__<group>          the value, when published
  <indicator>__<group>__status  why there is no value: secret, later, discontinued (CBS), withheld (too few people), protected (it would reveal a withheld figure), missing
  <indicator>__<group>__breuk   a break in the series before this figure: herkomst, indeling (comma-separated); absent without
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlencode

from geodata.availability import Availability
from geodata.catalog import Catalog
from geodata.errors import RequestError, UnknownGroup, UnknownIndicator, UnknownRegion
from geodata.params import int_param, list_param
from geodata.regions import Level

DEFAULT_GROUP = "totaal"
MAP_PARAMS = ("year", "group", "indicators")  # the query parameters parse_selection reads


@dataclass(frozen=True)
class Selection:
    level: Level
    year: int
    groups: tuple[str, ...]
    indicators: tuple[str, ...]
    within: str | None = None  # a gemeente code: only its wijken or buurten
    # (indicator, group) pairs that have figures, when a map of figures left out the others (parse_selection)
    pairs: tuple[tuple[str, str], ...] | None = None

    def figures(self) -> list[tuple[str, str]]:
        """(indicator, group) of every figure carried, group by group: the pairs with figures at the level
        and year for a map of figures; every pair asked for a single figure (a style, an analysis)."""
        if self.pairs is not None:
            return list(self.pairs)
        return [(indicator, group) for group in self.groups for indicator in self.indicators]

    @property
    def indicator(self) -> str:
        """The one indicator of a single-figure selection."""
        return self.indicators[0]

    @property
    def group(self) -> str:
        """The one group of a single-figure selection."""
        return self.groups[0]

    @staticmethod
    def attribute(indicator: str, group: str) -> str:
        return f"{indicator}__{group}"

    def query_string(self) -> str:
        """The canonical query of the tiles that carry these figures (the level is in their path; tiles
        always hold every region, `within` only narrows a classification or analysis)."""
        return self._query

    @cached_property
    def _query(self) -> str:
        # Made once per selection: with every indicator it is kilobytes long, and part of every tile's cache key.
        return urlencode({"year": self.year, "group": ",".join(self.groups), "indicators": ",".join(self.indicators)})


class OneFigure:
    """What a request for one figure (a style, legend or analysis) says of it, read from its `selection`."""

    selection: Selection

    @property
    def indicator(self) -> str:
        return self.selection.indicator

    @property
    def level(self) -> Level:
        return self.selection.level

    @property
    def year(self) -> int:
        return self.selection.year

    @property
    def group(self) -> str:
        return self.selection.group

    @property
    def within(self) -> str | None:
        return self.selection.within


def parse_selection(availability: Availability, catalog: Catalog, level_name: str, params: Mapping[str, str]) -> Selection:
    """A map of figures. Defaults: latest year, group totaal, every indicator with figures for those groups."""
    level = availability.level(level_name)
    year = availability.year(level, int_param(params, "year"))
    available = availability.indicators_with_data(level, year)
    groups = list_param(params, "group") or [DEFAULT_GROUP]
    for group in groups:
        catalog.group(group)  # raises UnknownGroup
    requested = list_param(params, "indicators")
    for indicator in requested:
        catalog.indicator(indicator)  # raises UnknownIndicator
    if requested:
        no_data = [i for i in requested if not any(g in available.get(i, ()) for g in groups)]
        if len(no_data) == len(requested):
            raise UnknownIndicator(
                "indicators",
                f"no {level.value} figures for {', '.join(no_data)} in {year} for group(s) {', '.join(groups)}",
            )
        indicators = requested
    else:
        indicators = [i for i, g in available.items() if any(group in g for group in groups)]
    if available and not any(any(g in available.get(i, ()) for i in indicators) for g in groups):
        raise UnknownGroup("group", f"no {level.value} figures for group(s) {', '.join(groups)} in {year}")
    # A pair without a single figure would put `__status: missing` on every feature: bytes that say nothing.
    pairs = tuple((i, g) for g in groups for i in indicators if g in available.get(i, ()))
    return Selection(level, year, tuple(groups), tuple(indicators), pairs=pairs)


def parse_figure(
    availability: Availability, catalog: Catalog, indicator_id: str, params: Mapping[str, str]
) -> Selection:
    """One figure: level (buurt), group (totaal), year (the latest with figures for most regions), within."""
    indicator = catalog.indicator(indicator_id)
    level = availability.level(params.get("level") or Level.buurt.value)
    group = params.get("group") or DEFAULT_GROUP
    catalog.group(group)
    year = int_param(params, "year")
    if year is None:  # a year with published figures, not merely with boundaries
        year = availability.default_year(level, indicator.id, group)
    year = availability.year(level, year)
    within = params.get("within") or None
    if within is not None:
        if level is Level.gemeente:
            raise RequestError("within", "within selects wijken or buurten of one gemeente; use level=wijk or level=buurt")
        check_within(availability, level, year, within)
    return Selection(level, year, (group,), (indicator.id,), within)


def check_within(availability: Availability, level: Level, year: int, within: str) -> None:
    """`within` names a gemeente whose regions of the level the dataset has in that year."""
    if not availability.has_gemeente(level, year, within):
        raise UnknownRegion("within", f"no {level.plural} of gemeente {within!r} in {year}")
