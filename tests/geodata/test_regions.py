from hypothesis import given
from hypothesis import strategies as st

from geodata.regions import Level, feature_id, level_of_code, parent_codes


def test_levels_from_codes() -> None:
    assert level_of_code("GM0344") is Level.gemeente
    assert level_of_code("WK034401") is Level.wijk
    assert level_of_code("BU03440111") is Level.buurt
    assert level_of_code("BU034401") is None  # a wijk's digits with a buurt prefix
    assert level_of_code("NL00") is None
    assert level_of_code("0344") is None
    # since the 2022 indeling Amsterdam's wijken and buurten have capitals in their codes
    assert level_of_code("WK0363AA") is Level.wijk
    assert level_of_code("BU0363AA01") is Level.buurt
    assert level_of_code("GM036A") is None  # a gemeente number is digits only
    assert level_of_code("WK0363aa") is None


def test_parents_are_nested_in_the_code() -> None:
    assert parent_codes("BU03440111") == {"gemeente": "GM0344", "wijk": "WK034401"}
    assert parent_codes("WK034401") == {"gemeente": "GM0344"}
    assert parent_codes("GM0344") == {}
    assert parent_codes("BU0363AA01") == {"gemeente": "GM0363", "wijk": "WK0363AA"}


def test_feature_ids_are_stable_and_distinct_within_a_level() -> None:
    assert feature_id("BU03440111") == 3440111
    assert feature_id("BU03440111") != feature_id("BU03440112")
    assert feature_id("WK0363AA") == 10**6 + int("0363AA", 36)


_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@given(st.sets(st.text(_ALNUM, min_size=4, max_size=4), min_size=2, max_size=50))
def test_distinct_buurt_codes_get_distinct_safe_ids(tails: set[str]) -> None:
    codes = [f"BU0363{tail}" for tail in tails]
    ids = [feature_id(code) for code in codes]
    assert len(set(ids)) == len(codes)
    assert all(0 <= i < 2**53 for i in ids)
