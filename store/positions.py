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


def chunks(frame: Rows, size: int = CHUNK) -> Iterator[Rows]:
    """Consecutive slices of `frame`; one empty slice when it is empty."""
    for start in range(0, max(len(frame), 1), size):
        yield frame.iloc[start:start + size]


def positions(frame: pd.DataFrame, keys: str | list[str], size: int = CHUNK) -> dict[Hashable, np.ndarray]:
    """What `frame.groupby(keys).indices` gives: key -> its rows' positions, ascending; keys sorted.
    Each chunk's rows get their key's number, then one stable sort of the numbers (numpy lets go of
    the GIL while it sorts) puts each key's rows together. Collecting a piece per key and chunk
    instead took 3 s for the national fixture's 11,641 codes."""
    numbers: dict[Hashable, int] = {}  # key -> its number, in the order the chunks meet them
    numbered = []  # per chunk, its rows' key numbers; -1 where a key is missing (groupby leaves those out)
    for rows in chunks(frame, size):
        grouped = rows.groupby(keys, sort=False)
        # ngroup numbers the chunk's keys in the order of size()'s index, NaN for a missing key: the -1 at the end
        known = np.array([numbers.setdefault(key, len(numbers)) for key in grouped.size().index.tolist()] + [-1])
        numbered.append(known[grouped.ngroup().fillna(-1).to_numpy(dtype=np.int64)])
    number = np.concatenate(numbered)
    order = np.argsort(number, kind="stable")[np.count_nonzero(number < 0):]
    ends = np.cumsum(np.bincount(number[number >= 0], minlength=len(numbers)))
    rows_of = np.split(order, ends[:-1])
    return {key: rows_of[numbers[key]] for key in sorted(numbers)}


def by_category(function: Callable[[pd.Series], pd.Series], series: pd.Series) -> pd.Series:
    """`function(series)` for an element-wise `function` of a categorical series, called once per category."""
    mapped = function(pd.Series(series.cat.categories))
    codes, uniques = pd.factorize(mapped)
    categories = series.cat.codes.to_numpy()
    return pd.Series(
        pd.Categorical.from_codes(np.where(categories < 0, -1, codes[categories]), pd.Index(uniques, dtype="str")), index=series.index
    )
