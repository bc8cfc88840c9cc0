"""Classification and palettes: our breaks against mapclassify called directly on CBS values."""

from __future__ import annotations

import warnings

import mapclassify
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from geodata.errors import RequestError
from styles.classify import METHODS, Classification, centred, classify
from styles.palettes import DIVERGING, colours
from tests.conftest import kwb_rows


def woz_2023() -> np.ndarray:
    """Gemiddelde WOZ-waarde (g_wozbag) of Utrecht's buurten, 2023, straight from the CBS CSV."""
    rows = kwb_rows(2023)
    return np.array([float(r["g_wozbag"]) for code, r in rows.items() if code.startswith("BU") and r["g_wozbag"] != "."])


@pytest.mark.parametrize(
    "method, reference",
    [
        ("quantiles", mapclassify.Quantiles),
        ("fisher_jenks", mapclassify.FisherJenks),
        ("equal_interval", mapclassify.EqualInterval),
    ],
)
def test_breaks_are_mapclassifys(method: str, reference: type) -> None:
    values = woz_2023()
    assert len(values) > 100
    ours = classify(values, method, 5)
    theirs = reference(values, k=5)
    assert ours.breaks == pytest.approx(list(theirs.bins))
    assert ours.counts(values) == list(theirs.counts)


@pytest.mark.parametrize(
    "method, reference", [("quantiles", mapclassify.Quantiles), ("equal_interval", mapclassify.EqualInterval)]
)
@pytest.mark.parametrize("column", ["g_wozbag", "a_inw", "p_koopw", "g_hhgro", "bev_dich"])
def test_arithmetic_breaks_equal_mapclassifys_to_the_last_bit(method: str, reference: type, column: str) -> None:
    """Quantiles and equal intervals are computed without mapclassify (not imported by the server)."""
    rows = kwb_rows(2023)
    values = np.array(
        [
            float(r[column].replace(",", "."))
            for c, r in rows.items()
            if c.startswith("BU") and r[column].strip() not in (".", "")
        ]
    )
    assert len(values) > 100
    for k in range(2, 10):
        with warnings.catch_warnings():  # mapclassify warns when ties leave fewer quantiles
            warnings.simplefilter("ignore", UserWarning)
            theirs = tuple(dict.fromkeys(float(b) for b in reference(values, k=k).bins))
        assert classify(values, method, k).breaks == theirs, (column, k)


@given(
    st.lists(st.integers(min_value=0, max_value=60).map(lambda v: v / 4), min_size=12, max_size=300),
    st.integers(min_value=2, max_value=9),
)
def test_quantiles_with_ties_equal_mapclassifys(values: list[float], k: int) -> None:
    data = np.array(values)
    assume(len(np.unique(data)) > k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        theirs = tuple(dict.fromkeys(float(b) for b in mapclassify.Quantiles(data, k=k).bins))
    assert classify(data, "quantiles", k).breaks == theirs


def test_natural_breaks_are_reproducible() -> None:
    values = woz_2023()
    assert classify(values, "natural_breaks", 5) == classify(values, "natural_breaks", 5)
    assert classify(values, "natural_breaks", 5).breaks[-1] == values.max()


def test_user_breaks_run_to_the_maximum() -> None:
    values = woz_2023()
    c = classify(values, "user", 0, [300, 400, 600])
    assert c.breaks[:3] == (300, 400, 600) and c.breaks[-1] == values.max()
    assert c.counts(values) == [
        int(np.sum(values <= 300)),
        int(np.sum((values > 300) & (values <= 400))),
        int(np.sum((values > 400) & (values <= 600))),
        int(np.sum(values > 600)),
    ]


def test_first_and_last_class_are_open_ended() -> None:
    c = Classification("user", (10.0, 20.0, 30.0))
    assert c.classes_of(np.array([-5, 10, 10.5, 20, 29, 30, 1e9, np.nan])).tolist() == [0, 0, 1, 1, 2, 2, 2, -1]


def test_fewer_distinct_values_than_classes_gives_one_class_per_value() -> None:
    assert classify([1, 1, 2, 2, 3], "quantiles", 5).breaks == (1.0, 2.0, 3.0)


@pytest.mark.parametrize(
    "args, parameter",
    [
        (("jenks", 5), "method"),
        (("quantiles", 1), "k"),
        (("quantiles", 10), "k"),
        (("user", 0, [3, 2]), "breaks"),
        (("user", 0, []), "breaks"),
    ],
)
def test_bad_classification_requests_name_the_parameter(args: tuple, parameter: str) -> None:
    with pytest.raises(RequestError) as error:
        classify(woz_2023(), *args)
    assert error.value.parameter == parameter


def test_centred_breaks_put_the_centre_on_a_break() -> None:
    values = woz_2023()
    centre = float(np.median(values)) + 0.5
    c = centred(values, centre, "quantiles", 6)
    assert c.k == 6 and c.breaks[2] == centre
    counts = c.counts(values)
    assert sum(counts[:3]) == int(np.sum(values <= centre))
    with pytest.raises(RequestError):
        centred(values, centre, "quantiles", 5)


@given(
    st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=1, max_size=200),
    st.sampled_from([m for m in METHODS if m != "user"]),
    st.integers(min_value=2, max_value=9),
)
def test_every_value_gets_one_class_in_value_order(values: list[float], method: str, k: int) -> None:
    c = classify(values, method, k)
    classes = c.classes_of(np.array(values))
    assert classes.min() >= 0 and classes.max() < c.k <= k
    order = np.argsort(values, kind="stable")
    assert np.all(np.diff(classes[order]) >= 0)
    assert sum(c.counts(np.array(values))) == len(values)


def test_diverging_palettes_put_red_on_the_worse_side() -> None:
    assert colours("RdBu", 6, "worse")[-1] == "#b2182b"  # highest class red when higher is worse
    assert colours("RdBu", 6, "better")[0] == "#b2182b"  # lowest class red when higher is better
    assert colours("YlGnBu", 2, "neutral") == [colours("YlGnBu", 3, "neutral")[0], colours("YlGnBu", 3, "neutral")[-1]]


@pytest.mark.parametrize("name", ["Spectral", "RdYlGn", "viridis"])
def test_palettes_that_are_not_colour_blind_safe_are_refused(name: str) -> None:
    with pytest.raises(RequestError) as error:
        colours(name, 5, "neutral")
    assert error.value.parameter == "palette"
    assert all(p in str(error.value) for p in DIVERGING)
