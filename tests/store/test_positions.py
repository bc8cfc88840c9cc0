"""Row positions found a chunk at a time are those of one groupby over the whole table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geodata.regions import level_names
from store.positions import by_category, positions

# Keys out of order, groups that chunks of 3 rows split, a key missing (dropped, as groupby does).
FIGURES = pd.DataFrame({
    "code": ["WK034401", "GM0344", "BU03440111", "GM0344", "NL00", "GM0344", "WK034401", "BU03440111"],
    "year": [2024, 2023, 2023, 2024, 2023, 2023, 2024, 2023],
    "indicator": ["inwoners", "inwoners", "inwoners", "woz", "inwoners", "woz", "woz", None],
}).astype({"code": "str", "indicator": "str"})


@pytest.mark.parametrize("keys", ["code", ["code", "year", "indicator"], ["indicator", "year"]])
@pytest.mark.parametrize("size", [1, 3, 5, 100])
def test_positions_are_those_of_a_groupby_over_the_whole_table(keys: str | list[str], size: int) -> None:
    whole = FIGURES.groupby(keys).indices
    found = positions(FIGURES, keys, size)
    assert list(found) == list(whole)  # same keys, in the same (sorted) order
    for key, rows in whole.items():
        assert found[key].dtype == rows.dtype and found[key].tolist() == rows.tolist(), key


def test_a_group_that_chunks_split_gets_every_row_once() -> None:
    assert positions(FIGURES, "code", 3)["GM0344"].tolist() == [1, 3, 5]


def test_an_empty_table_has_no_positions() -> None:
    assert positions(FIGURES.iloc[:0], ["code", "year"], 3) == {}


def test_by_category_gives_what_one_call_gives() -> None:
    codes = FIGURES["code"].astype("category")
    found = by_category(level_names, codes)
    assert isinstance(found.dtype, pd.CategoricalDtype)
    assert found.astype("str").tolist() == level_names(FIGURES["code"]).tolist()
    assert found.tolist() == ["wijk", "gemeente", "buurt", "gemeente", "nederland", "gemeente", "wijk", "buurt"]
    assert np.array_equal(found.index, FIGURES.index)


def test_positions_of_categorical_keys_equal_those_of_text_keys() -> None:
    categorical = FIGURES.astype({"code": "category"})
    assert {k: v.tolist() for k, v in positions(categorical, ["code", "year"], 3).items()} == {
        k: v.tolist() for k, v in positions(FIGURES, ["code", "year"], 3).items()
    }
