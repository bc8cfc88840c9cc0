"""What a dataset holds, worked out once when it is opened: levels, years, and per level and year
the indicators and groups with figures. Requests are checked against it with dict lookups, so
no request scans the figure table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geodata.catalog import Catalog
from geodata.cells import Status
from geodata.errors import UnknownLevel, UnknownYear
from geodata.regions import LEVELS, Level

IndicatorGroups = dict[str, tuple[str, ...]]  # indicator -> groups, both in catalog order


@dataclass(frozen=True)
class Availability:
    years: dict[Level, tuple[int, ...]]
    explained: dict[tuple[Level, int], IndicatorGroups]  # a value or a reason (secret, withheld)
    published: dict[tuple[Level, int], IndicatorGroups]  # a value
    published_counts: dict[tuple[Level, str, str], dict[int, int]]  # (level, indicator, group) -> year -> regions
    gemeenten: dict[tuple[Level, int], frozenset[str]]  # gemeente codes that have regions at a level and year

    @classmethod
    def of(
        cls,
        catalog: Catalog,
        regions: Mapping[Level, pd.DataFrame],
        values: pd.DataFrame,
        rows_by_figure: Mapping[tuple[Level, int, str, str], np.ndarray],
    ) -> Availability:
        """From region attributes (code, year, gemeente_code per level), the long figure table (code,
        status) and the rows of each regional figure in it ((level, year, group, indicator) -> ascending
        positions). A loop over the figures rather than pandas over the whole table: a reload opens a
        store beside the event loop, and other threads run between the small steps."""
        years = {level: tuple(sorted(int(y) for y in regions[level]["year"].unique())) for level in LEVELS if level in regions}
        gemeenten = {
            (level, int(year)): frozenset(rows["gemeente_code"].dropna())
            for level, frame in regions.items()
            for year, rows in frame.groupby("year")
        }
        order = {i: n for n, i in enumerate(catalog.indicators)}
        group_order = {g: n for n, g in enumerate(catalog.groups)}
        codes = values["code"].to_numpy()
        statuses = values["status"].to_numpy()
        # (first row, level, year, indicator, group) of the figures with a value or a reason, with a value
        explained: list[tuple[int, Level, int, str, str]] = []
        published: list[tuple[int, Level, int, str, str]] = []
        counts: dict[tuple[str, str, str, int], int] = {}
        for (level, year, group, indicator), rows in rows_by_figure.items():
            if indicator not in order or group not in group_order:
                continue
            status = statuses[rows]
            ok = rows[status == Status.ok.value]
            shown = rows[status != Status.missing.value]
            if len(shown):
                explained.append((int(shown[0]), level, year, indicator, group))
            if len(ok):
                published.append((int(ok[0]), level, year, indicator, group))
                counts[(level.value, indicator, group, year)] = len(set(codes[ok]))

        def index(figures: list[tuple[int, Level, int, str, str]]) -> dict[tuple[Level, int], IndicatorGroups]:
            found: dict[tuple[Level, int], dict[str, list[str]]] = {}
            for _, level, year, indicator, group in sorted(figures):  # (level, year) in the order the table has them
                found.setdefault((level, year), {}).setdefault(indicator, []).append(group)
            return {
                key: {i: tuple(sorted(per[i], key=group_order.__getitem__)) for i in sorted(per, key=order.__getitem__)}
                for key, per in found.items()
            }

        published_counts: dict[tuple[Level, str, str], dict[int, int]] = {}
        for (level, indicator, group, year), n in sorted(counts.items()):
            published_counts.setdefault((Level(level), indicator, group), {})[year] = n
        return cls(
            years=years,
            explained=index(explained),
            published=index(published),
            published_counts=published_counts,
            gemeenten=gemeenten,
        )

    @property
    def levels(self) -> tuple[Level, ...]:
        return tuple(self.years)

    @property
    def latest(self) -> list[tuple[Level, int]]:
        """Each level with its latest year: where a map of the level opens."""
        return [(level, years[-1]) for level, years in self.years.items()]

    def level(self, name: str) -> Level:
        try:
            level = Level(name)
        except ValueError:
            level = None
        if level not in self.years:
            known = ", ".join(lvl.value for lvl in self.years)
            raise UnknownLevel("level", f"unknown level {name!r}; this dataset has: {known}")
        return level

    def year(self, level: Level, year: int | None) -> int:
        """The requested year, or the latest one with boundaries at this level."""
        years = self.years[level]
        if year is None:
            return years[-1]
        if year not in years:
            raise UnknownYear("year", f"no {level.value} boundaries for {year}; years: {list(years)}")
        return year

    def indicators_with_data(self, level: Level, year: int, published_only: bool = False) -> IndicatorGroups:
        """indicator -> groups that have at least one published (or, unless published_only, explained) value."""
        return (self.published if published_only else self.explained).get((level, year), {})

    def default_year(self, level: Level, indicator: str, group: str) -> int | None:
        """The latest year in which at least half as many regions have a figure as in the best year:
        a later year with figures for one gemeente only is not the year a map should open on."""
        counts = {y: n for y, n in self.published_counts.get((level, indicator, group), {}).items() if y in self.years[level]}
        if not counts:
            return None
        best = max(counts.values())
        return max(y for y, n in counts.items() if n * 2 >= best)

    def indicator_years(self) -> dict[str, list[int]]:
        """indicator -> the years with a published figure at a level with boundaries of that year (what
        /catalog states): a table of a year without boundaries (its names matched against another year's)
        gives figures no map or legend of that year can show."""
        years: dict[str, set[int]] = {}
        for (level, indicator, _), per_year in self.published_counts.items():
            years.setdefault(indicator, set()).update(y for y in per_year if y in self.years.get(level, ()))
        return {indicator: sorted(found) for indicator, found in years.items()}

    def has_gemeente(self, level: Level, year: int, gemeente: str) -> bool:
        return gemeente in self.gemeenten.get((level, year), frozenset())
