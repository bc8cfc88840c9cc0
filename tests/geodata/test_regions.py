from geodata.regions import Level, feature_id, level_of_code, parent_codes


def test_levels_from_codes() -> None:
    assert level_of_code("GM0344") is Level.gemeente
    assert level_of_code("WK034401") is Level.wijk
    assert level_of_code("BU03440111") is Level.buurt
    assert level_of_code("BU034401") is None  # a wijk's digits with a buurt prefix
    assert level_of_code("NL00") is None
    assert level_of_code("0344") is None


def test_parents_are_nested_in_the_code() -> None:
    assert parent_codes("BU03440111") == {"gemeente": "GM0344", "wijk": "WK034401"}
    assert parent_codes("WK034401") == {"gemeente": "GM0344"}
    assert parent_codes("GM0344") == {}


def test_feature_ids_are_stable_and_distinct_within_a_level() -> None:
    assert feature_id("BU03440111") == 3440111
    assert feature_id("BU03440111") != feature_id("BU03440112")
