"""Figures: the values of one indicator and group for a set of regions, with why any is missing."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geodata.cells import Status

# The long figure table every source is read into and every store keeps: one row per figure.
# `method` is None for a figure read from a source, else how wijkmonitor computed it ("berekend").
FIGURE_COLUMNS = ["code", "year", "indicator", "group", "value", "denominator", "status", "source", "method"]


@dataclass(frozen=True)
class Figures:
    """Values and statuses of the regions a map shows (index: region code)."""

    values: pd.Series
    statuses: pd.Series

    @property
    def published(self) -> np.ndarray:
        return self.values[self.statuses == Status.ok.value].to_numpy(dtype=float)

    def count(self, status: Status) -> int:
        return int((self.statuses == status.value).sum())
