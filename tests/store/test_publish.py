"""Publishing into PostGIS is atomic: a build that fails leaves the published data as it was and
nothing of its own; a good one replaces the previous build, whose schema is then dropped."""

from __future__ import annotations

import psycopg
import pytest

import store.publish
from geodata.build import build_dataset
from geodata.detect import manifest_for_file
from geodata.errors import DatasetError
from store import open_store
from tests.conftest import DEMO
from tests.store.cluster import Cluster

SOURCE = DEMO / "data" / "nl_gemeenten_2022_kwb_wgs84.geojson"


def schemas(dsn: str) -> tuple[str, set[str], set[str]]:
    """(the published build, every build schema, the schemas the QGIS views read from)."""
    with psycopg.connect(dsn) as connection:
        published = connection.execute("SELECT build FROM wijkmonitor.dataset").fetchone()[0]
        builds = {r[0] for r in connection.execute("SELECT nspname FROM pg_namespace WHERE nspname ~ %s", [store.publish.BUILD_PATTERN])}
        read = {r[0] for r in connection.execute(
            "SELECT DISTINCT source_ns.nspname FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid "
            "JOIN pg_class v ON v.oid = r.ev_class JOIN pg_namespace view_ns ON view_ns.oid = v.relnamespace "
            "JOIN pg_class t ON t.oid = d.refobjid JOIN pg_namespace source_ns ON source_ns.oid = t.relnamespace "
            "WHERE view_ns.nspname = 'wijkmonitor' AND source_ns.nspname <> 'wijkmonitor'"
        )}
    return published, builds, read


def test_a_failed_build_leaves_the_published_data(pg_cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> None:
    dsn = pg_cluster.create_database("failing")
    build_dataset(manifest_for_file(SOURCE), dsn)
    before = schemas(dsn)
    version = open_store(dsn).version

    def broken(connection: psycopg.Connection, *args: object) -> None:
        connection.execute("SELECT 1/0")  # after the regions and figures were written

    monkeypatch.setattr(store.publish, "_write_metadata", broken)
    with pytest.raises(DatasetError, match="published data is unchanged"):
        build_dataset(manifest_for_file(SOURCE), dsn)
    assert schemas(dsn) == before == (before[0], {before[0]}, {before[0]})
    assert open_store(dsn).version == version


def test_a_new_build_replaces_the_previous_one_and_its_schema_goes(pg_cluster: Cluster) -> None:
    dsn = pg_cluster.create_database("replaced")
    build_dataset(manifest_for_file(SOURCE), dsn)
    first = schemas(dsn)[0]
    with psycopg.connect(dsn, autocommit=True) as connection:  # what a build killed before its drop leaves
        connection.execute('CREATE SCHEMA "wijkmonitor_20200101T000000_abcdef"')
    build_dataset(manifest_for_file(SOURCE), dsn)
    published, builds, read = schemas(dsn)
    assert published != first and builds == {published} and read == {published}
    assert open_store(dsn).version == published.removeprefix("wijkmonitor_")
