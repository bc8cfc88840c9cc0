"""Figures: the values of one indicator and group for a set of regions, with why any is missing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geodata.cells import Status

# The long figure table every source is read into and every store keeps: one row per figure.
# `method` is None for a figure read from a source, else how wijkmonitor computed it ("berekend").
FIGURE_COLUMNS = ["code", "year", "indicator", "group", "value", "denominator", "status", "source", "method"]
# What a dataset stores: no denominator, which may be a figure disclosure control protects (and,
# for Vektis, the number of insured persons, which is not published at all).
STORED_COLUMNS = [c for c in FIGURE_COLUMNS if c != "denominator"]
# Their types in memory: these numbers, and text in the others (categorical in a store: store/gpkg.py).
STORED_NUMBERS = {"year": "int64", "value": "float64"}
STORED_TEXTS = [c for c in STORED_COLUMNS if c not in STORED_NUMBERS]


@dataclass(frozen=True)
class Figures:
    """Values and statuses of the regions a map shows (index: region code)."""

    values: pd.Series
    statuses: pd.Series
    methods: pd.Series | None = None  # how a computed figure was made; None/NaN where read from a source

    def computed(self) -> dict[str, int]:
        """Method -> how many of these figures wijkmonitor computed that way."""
        if self.methods is None:
            return {}
        made = self.methods[self.methods.map(lambda m: isinstance(m, str)) & (self.statuses == Status.ok.value)]
        return {str(k): int(v) for k, v in made.value_counts().items()}

    @property
    def published(self) -> np.ndarray:
        return self.values[self.statuses == Status.ok.value].to_numpy(dtype=float)

    def count(self, status: Status) -> int:
        return int((self.statuses == status.value).sum())
