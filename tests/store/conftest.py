"""A PostgreSQL + PostGIS cluster for the session, and the demo dataset built into it.

Skipped on a developer's machine without PostgreSQL 15 + PostGIS 3; in CI (`make test` installs
them, scripts/system-packages.sh group postgis) a missing PostGIS fails the tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from geodata.build import build_dataset
from geodata.manifest import load_manifest
from store import Store, open_store
from tests.conftest import DEMO_MANIFEST
from tests.store.cluster import Cluster, postgis_missing


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    missing = postgis_missing()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"{missing}: run scripts/system-packages.sh postgis (make test does)")
        pytest.skip(missing)
    cluster = Cluster()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def postgis_demo(pg_cluster: Cluster) -> str:
    """The address of a database with the demo built into it by `build --to`."""
    dsn = pg_cluster.create_database("demo")
    build_dataset(load_manifest(DEMO_MANIFEST), dsn)
    return dsn


@pytest.fixture(scope="session")
def postgis_demo_store(postgis_demo: str) -> Store:
    return open_store(postgis_demo)


@pytest.fixture(scope="session", params=["gpkg", "postgis"])
def store_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def any_store(store_kind: str, request: pytest.FixtureRequest) -> Store:
    """The demo dataset from each store in turn: the Store contract holds for both."""
    return request.getfixturevalue("demo_store" if store_kind == "gpkg" else "postgis_demo_store")


def location_for(store_kind: str, cluster: Cluster | None, folder: Path, name: str) -> str | Path:
    """A fresh place to build into: a GeoPackage path, or a new database."""
    if store_kind == "gpkg":
        return folder / f"{name}.gpkg"
    assert cluster is not None
    return cluster.create_database(name)
