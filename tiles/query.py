"""What a tile request asks for: level, year, groups and indicators, checked against the dataset.

Attribute naming in tiles (documented in the README and TileJSON):
  <indicator>__<group>          the value, when published
  <indicator>__<group>__status  why there is no value: secret (CBS), withheld (too few
                                people), missing (no figure)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from geodata.dataset import Dataset
from geodata.errors import UnknownGroup, UnknownIndicator
from geodata.params import int_param, list_param
from geodata.regions import Level

DEFAULT_GROUP = "totaal"


@dataclass(frozen=True)
class TileQuery:
    level: Level
    year: int
    groups: tuple[str, ...]
    indicators: tuple[str, ...]

    def attribute(self, indicator: str, group: str) -> str:
        return f"{indicator}__{group}"

    def query_string(self) -> str:
        """The canonical query string, for tile URL templates."""
        return urlencode({"year": self.year, "group": ",".join(self.groups), "indicators": ",".join(self.indicators)})


def parse_tile_query(dataset: Dataset, level_name: str, params: Mapping[str, str]) -> TileQuery:
    """Check level, year, group and indicators; defaults: latest year, group totaal, all indicators."""
    level = dataset.level(level_name)
    year = dataset.year(level, int_param(params, "year"))
    available = dataset.indicators_with_data(level, year)
    groups = list_param(params, "group") or [DEFAULT_GROUP]
    for group in groups:
        dataset.catalog.group(group)  # raises UnknownGroup
    requested = list_param(params, "indicators")
    for indicator in requested:
        dataset.catalog.indicator(indicator)  # raises UnknownIndicator
    if requested:
        indicators = requested
    else:
        indicators = [i for i, g in available.items() if any(group in g for group in groups)]
    if requested:
        no_data = [i for i in requested if not any(g in available.get(i, []) for g in groups)]
        if no_data and len(no_data) == len(requested):
            raise UnknownIndicator(
                "indicators",
                f"no {level.value} figures for {', '.join(no_data)} in {year} for group(s) {', '.join(groups)}",
            )
    if available and not any(any(g in available.get(i, []) for i in indicators) for g in groups):
        raise UnknownGroup("group", f"no {level.value} figures for group(s) {', '.join(groups)} in {year}")
    return TileQuery(level, year, tuple(groups), tuple(indicators))
