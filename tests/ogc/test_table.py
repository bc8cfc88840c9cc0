"""Feature tables are made once per dataset version, level and year, however many requests ask at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from geodata.regions import Level
from ogc.table import FeatureTables
from store import Store


class Rebuilt:
    """The same store under another version, as after a rebuild."""

    def __init__(self, store: Store, version: str) -> None:
        self._store, self.version = store, version

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)


def test_a_table_is_made_once_and_a_new_version_gets_its_own(demo_store: Store) -> None:
    tables = FeatureTables(keep=2)
    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(lambda _: tables.get(demo_store, Level.buurt, 2023), range(4)))
    assert all(table is made[0] for table in made)
    rebuilt = tables.get(Rebuilt(demo_store, "next-build"), Level.buurt, 2023)
    assert rebuilt is not made[0] and list(rebuilt.codes) == list(made[0].codes)
    tables.get(demo_store, Level.wijk, 2023)  # keeps two: the oldest ages out
    assert tables.get(demo_store, Level.buurt, 2023) is not made[0]
