"""Indicator values in long form, and the publication rule: too few people -> withheld.

A withheld value is dropped here, at build time: it never reaches the dataset file, so
no request, tile or export can reveal it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geodata.catalog import Indicator
from geodata.cells import NotANumber, Status, parse_cell
from geodata.errors import InputError


def parse_column(file: Path, frame: pd.DataFrame, column: str, errors: list[InputError], rows: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a column into (float values with NaN, status strings); bad cells go to errors with
    their row as the user sees it (`rows`)."""
    values = np.full(len(frame), np.nan)
    statuses = np.empty(len(frame), dtype=object)
    for pos, (index, raw) in enumerate(frame[column].items()):
        try:
            value, status = parse_cell(raw)
        except NotANumber as exc:
            errors.append(InputError(file, f"not a number: {exc}", row=int(rows[index]), column=column))
            value, status = None, Status.missing
        values[pos] = np.nan if value is None else value
        statuses[pos] = status.value
    return pd.Series(values, index=frame.index), pd.Series(statuses, index=frame.index)


def summed(parts: list[tuple[pd.Series, pd.Series]]) -> tuple[pd.Series, pd.Series]:
    """The sum of parsed columns (values, statuses), and a status that is ok only where every part
    is: otherwise that of the first part that is not."""
    status = parts[0][1]
    for _, other in parts[1:]:
        status = status.where(other == Status.ok.value, other)
    return sum(p[0] for p in parts), status


def publishable(
    indicator: Indicator,
    numerator: pd.Series,
    numerator_status: pd.Series,
    denominator: pd.Series | None,
    denominator_status: pd.Series | None,
    scale: float | None,
) -> tuple[pd.Series, pd.Series]:
    """Value and status per row after ratio, rounding and the minimum-denominator rule."""
    value = numerator.copy()
    status = numerator_status.copy()
    if denominator is not None:
        if scale is not None:
            den_known = denominator_status == Status.ok.value
            status = status.where(den_known | (status != Status.ok.value), denominator_status)
            with np.errstate(divide="ignore", invalid="ignore"):
                value = scale * numerator / denominator.where(denominator != 0)
        # A share or rate of nobody is undefined, not withheld: there is nothing to protect.
        status = status.mask((denominator == 0) & (status == Status.ok.value), Status.missing.value)
        too_few = (denominator < indicator.min_denominator) & (status == Status.ok.value)
        if indicator.min_denominator > 0:
            # Unknown denominator: we cannot show the value is safe to publish.
            too_few |= (denominator_status != Status.ok.value) & (status == Status.ok.value)
        status = status.mask(too_few, Status.withheld.value)
    elif indicator.min_denominator > 0:
        status = status.mask(status == Status.ok.value, Status.withheld.value)
    status = status.mask((status == Status.ok.value) & value.isna(), Status.missing.value)
    value = value.where(status == Status.ok.value).round(indicator.decimals)
    return value, status
