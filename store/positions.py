"""Row positions per key of the figure table, worked out a chunk of rows at a time.

A store is opened in a reload thread beside the event loop that answers cached tiles. pandas holds
the GIL through a whole groupby or string operation: 70-250 ms over the demo's 515,000 figures.
On 20,000 rows each step takes about 10 ms, and other threads run between the steps.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterator
from typing import TypeVar

import numpy as np
import pandas as pd

CHUNK = 20_000  # rows per step
Rows = TypeVar("Rows", pd.DataFrame, pd.Series)


def chunks(frame: Rows, size: int = CHUNK) -> Iterator[tuple[int, Rows]]:
    """(offset, rows) of consecutive slices of `frame`; one empty slice when it is empty."""
    for start in range(0, max(len(frame), 1), size):
        yield start, frame.iloc[start:start + size]


def positions(frame: pd.DataFrame, keys: str | list[str], size: int = CHUNK) -> dict[Hashable, np.ndarray]:
    """What `frame.groupby(keys).indices` gives (key -> its rows' positions, ascending; keys sorted)."""
    pieces: dict[Hashable, list[np.ndarray]] = {}
    for start, rows in chunks(frame, size):
        for key, found in rows.groupby(keys).indices.items():
            pieces.setdefault(key, []).append(found + start)
    return {key: np.concatenate(pieces[key]) for key in sorted(pieces)}


def in_chunks(function: Callable[[pd.Series], pd.Series], series: pd.Series, size: int = CHUNK) -> pd.Series:
    """`function(series)` for an element-wise `function`, called on a slice at a time."""
    return pd.concat([function(part) for _, part in chunks(series, size)])
