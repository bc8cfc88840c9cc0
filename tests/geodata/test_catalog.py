from pathlib import Path

import pytest

from geodata.catalog import DEFAULT_CATALOG, load_catalog
from geodata.errors import InputError, UnknownIndicator


def builtin_with(folder: Path, old: str, new: str) -> Path:
    """The built-in catalog with one passage (found exactly once) replaced, written into folder."""
    text = DEFAULT_CATALOG.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path = folder / "catalog.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


THEMES = {"zorg en welzijn", "demografie", "onderwijs", "arbeid en inkomen", "wonen en leefomgeving", "veiligheid"}


def test_builtin_catalog_describes_every_indicator() -> None:
    catalog = load_catalog(DEFAULT_CATALOG)
    assert set(catalog.themes) == THEMES
    for indicator in catalog.indicators.values():
        assert indicator.title["nl"] and indicator.title["en"]
        assert indicator.definition and indicator.source and indicator.unit
        assert indicator.theme in THEMES
        assert indicator.higher_is in ("better", "worse", "neutral")
        assert indicator.kind in ("count", "composition", "outcome")
        if indicator.kind == "composition":
            assert indicator.higher_is == "neutral"  # a group's share is not better or worse
        if indicator.min_denominator > 0:
            assert indicator.denominator_unit and all(m.denominator for m in indicator.sources.values())
        assert set(indicator.sources) <= set(catalog.schemas)
    # herkomst groups and the age bands are real groups of the population indicators
    groups = set(catalog.indicator("inwoners").groups)
    assert {"totaal", "herkomst_nederland", "herkomst_europa", "herkomst_buiten_europa", "leeftijd_65_plus"} <= groups
    assert {"migratie_westers", "migratie_niet_westers"} <= set(catalog.indicator("aandeel_inwoners").groups)
    assert {g.dimension for g in catalog.groups.values()} <= set(catalog.dimensions), "every dimension has a Dutch title"


def test_unknown_indicator_names_the_known_ones() -> None:
    with pytest.raises(UnknownIndicator, match="inwoners"):
        load_catalog().indicator("werkloosheid_xyz")


def test_bad_catalog_names_file_and_entry(tmp_path: Path) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text(
        'themes = ["demografie"]\n[indicators.x]\ntitle = {nl = "x", en = "x"}\ntheme = "sport"\n'
        'unit = "%"\ndefinition = "d"\nsource = "s"\n'
    )
    with pytest.raises(InputError) as err:
        load_catalog(path)
    assert str(path) in str(err.value) and "indicators.x" in str(err.value) and "sport" in str(err.value)


@pytest.mark.parametrize(
    "old, new, named",
    [
        ('dimensions = ["migratieachtergrond", ', 'dimensions = ["migratie_achtergrond", ', "migratie_achtergrond"),
        ('region_fact = "indelingswijziging"', 'region_fact = "indeling"', "indeling"),
    ],
)
def test_a_break_must_name_known_dimensions_and_region_facts(tmp_path: Path, old: str, new: str, named: str) -> None:
    path = builtin_with(tmp_path, old, new)
    with pytest.raises(InputError) as err:
        load_catalog(path)
    message = str(err.value)
    assert str(path) in message and "breaks." in message and repr(named) in message


def test_builtin_breaks() -> None:
    catalog = load_catalog()
    herkomst = catalog.breaks["herkomst"]
    assert herkomst.year == 2023 and "migratieachtergrond" in herkomst.dimensions and "herkomst" in herkomst.dimensions
    assert set(catalog.breaks["indeling"].codes) == {2, 3}  # CBS ind_wbi: 2 code changed, 3 boundaries changed
    assert catalog.region_fact_columns("kwb") == {"indelingswijziging": ("ind_wbi",)}


def test_counts_name_the_rate_they_are_compared_as() -> None:
    catalog = load_catalog()
    for indicator in catalog.indicators.values():
        if indicator.compare is not None:
            assert indicator.kind == "count" and catalog.indicators[indicator.compare].ratio.numerator == indicator.id
    assert catalog.indicator("misdrijven").compare == "misdrijven_per_1000"
    assert catalog.indicator("inwoners").compare is None  # compared as shares of the groups, not per 1.000


@pytest.mark.parametrize(
    "old, new, why",
    [
        ('compare = "misdrijven_per_1000"', 'compare = "bijstand_per_1000"', "numerator"),
        ('compare = "misdrijven_per_1000"', 'compare = "misdrijven_per_100"', "numerator"),
        ('kind = "outcome"\nunit = "personen per huishouden"', 'kind = "outcome"\ncompare = "x"\nunit = "personen per huishouden"', "counts"),
    ],
)
def test_a_bad_compare_names_the_entry(tmp_path: Path, old: str, new: str, why: str) -> None:
    path = builtin_with(tmp_path, old, new)
    with pytest.raises(InputError, match=why) as err:
        load_catalog(path)
    assert str(path) in str(err.value) and "indicators." in str(err.value)
