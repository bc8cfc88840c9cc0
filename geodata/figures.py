"""The figures of one indicator, group and year for the regions a map or analysis shows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geodata.cells import Status
from geodata.dataset import Dataset
from geodata.regions import Level


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


def figures(dataset: Dataset, level: Level, year: int, group: str, indicator: str, within: str | None) -> Figures:
    """Every region of the level and year (within one gemeente if asked), with its figure or why it has none."""
    regions = dataset.regions_of(level, year, within)
    codes = pd.Index(regions["code"], name="code")
    values, statuses = dataset.table(level, year, group)
    if indicator in values.columns:
        value = values[indicator].reindex(codes)
        status = statuses[indicator].reindex(codes).fillna(Status.missing.value)
    else:
        value = pd.Series(np.nan, index=codes)
        status = pd.Series(Status.missing.value, index=codes)
    return Figures(value.astype(float), status.astype(str))
