"""A tile worker frees the long figure table once every figure with data has its columns
(LoadedStore.release_figure_rows): nothing it answers afterwards may be silently wrong."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

import numpy as np
import pytest

from geodata.regions import Level
from store import Store, open_store
from store.memory import FiguresReleased


def test_a_released_store_raises_for_figures_with_data_and_keeps_the_rest(
    demo_build: tuple[Path, object], demo_store: Store
) -> None:
    released = open_store(str(demo_build[0]))
    with_data = (Level.buurt, 2023, "totaal", "inwoners")
    breaks_before = released.figure_breaks(*with_data)
    table = released._values["value"].to_numpy()
    while table.base is not None:  # the array the frame keeps its float columns in
        table = table.base
    freed = weakref.ref(table)
    del table
    released.release_figure_rows()
    gc.collect()
    assert freed() is None, "the table is freed, not kept by a view of it"
    with pytest.raises(FiguresReleased, match="released"):
        released.figures(*with_data)
    # A figure the dataset has no data for is all missing, as in a store that kept its table.
    assert (Level.buurt, 2023, "totaal", "bestaat_niet") not in demo_store.availability.indicators_with_data(Level.buurt, 2023)
    nothing = released.figures(Level.buurt, 2023, "totaal", "bestaat_niet")
    expected = demo_store.figures(Level.buurt, 2023, "totaal", "bestaat_niet")
    assert nothing.statuses.tolist() == expected.statuses.tolist() == ["missing"] * len(expected.statuses)
    # Breaks worked out before stay; the regions are untouched.
    after = released.figure_breaks(*with_data)
    assert (after is None and breaks_before is None) or np.array_equal(after, breaks_before)
    assert released.regions(Level.buurt, 2023)["code"].tolist() == demo_store.regions(Level.buurt, 2023)["code"].tolist()
    assert released.availability.latest == demo_store.availability.latest
