"""Writing a build into PostGIS and publishing it in one transaction.

The build's schema, its tables and the switch of the pointer (and the QGIS views) are one
transaction: a build that fails, or whose process is killed, leaves nothing behind and the
published data serving. The previous build is dropped right after the switch. One build at a time
(an advisory lock), so a schema that is not published when a build starts is a leftover.
"""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import pandas as pd
import psycopg
from psycopg import sql

from geodata.errors import DatasetError
from geodata.figures import STORED_COLUMNS
from geodata.regions import LEVELS, REGION_COLUMNS, REGION_FACTS, Level
from store.copy import RD_NEW_SRID, copy_rows, multipolygon_ewkb, plain_rows
from store.memory import LoadedStore
from store.postgis import (
    BUILD_PREFIX,
    METADATA_TABLE,
    POINTER_TABLE,
    PUBLISHED_SCHEMA,
    VALUES_TABLE,
    connect,
    shown,
)
from store.views import publish_views, write_figure_tables

BUILD_LOCK = 0x77696A6B  # pg_advisory_lock key of wijkmonitor builds ("wijk")
BUILD_PATTERN = f"^{BUILD_PREFIX}[0-9]{{8}}T[0-9]{{6}}_[0-9a-f]{{6}}$"
VALUE_TYPES = {"year": "integer", "value": "double precision"}  # the other figure columns are text


def write_postgis(dsn: str, regions: dict[str, gpd.GeoDataFrame], values: pd.DataFrame, metadata: dict[str, Any]) -> str:
    """Write the dataset as a new build schema and publish it; returns the schema's name."""
    build = f"{BUILD_PREFIX}{datetime.now(UTC):%Y%m%dT%H%M%S}_{secrets.token_hex(3)}"
    with connect(dsn) as connection:
        try:
            connection.execute("SELECT pg_advisory_lock(%s)", [BUILD_LOCK])  # held by the session until it closes
            connection.commit()
            with connection.transaction():
                _require_postgis(connection, dsn)
                _drop_leftovers(connection)
                connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(build)))
                for level in LEVELS:
                    if level.value in regions:
                        _write_regions(connection, build, level.value, regions[level.value])
                _write_values(connection, build, values)
                _write_metadata(connection, build, metadata)
                written = LoadedStore(
                    metadata, {Level(k): v[REGION_COLUMNS].copy() for k, v in regions.items()},
                    values[STORED_COLUMNS].copy(), f"{shown(dsn)} {build}",
                )
                tables = write_figure_tables(connection, build, written)
                previous = _switch(connection, build)
                publish_views(connection, build, tables)
        except psycopg.Error as exc:
            raise DatasetError(
                f"{shown(dsn)}: writing the dataset failed, the published data is unchanged ({str(exc).strip()})"
            ) from None
        if previous is not None:
            try:  # waits for whoever still reads it (a QGIS session), not forever
                connection.execute("SET lock_timeout = '60s'")
                connection.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(previous)))
                connection.commit()
            except psycopg.Error:
                pass  # published all the same; the next build drops it (_drop_leftovers)
    return build


def _require_postgis(connection: psycopg.Connection, dsn: str) -> None:
    if connection.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone():
        return
    if not connection.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone():
        raise DatasetError(f"{shown(dsn)}: PostGIS is not installed on this PostgreSQL server (Debian: postgresql-15-postgis-3)")
    try:
        with connection.transaction():
            connection.execute("CREATE EXTENSION postgis")
    except psycopg.errors.InsufficientPrivilege:
        raise DatasetError(
            f"{shown(dsn)}: the database has no postgis extension and this user may not create it; "
            "ask its owner to run CREATE EXTENSION postgis"
        ) from None


def _drop_leftovers(connection: psycopg.Connection) -> None:
    """Build schemas that were never published (a build stopped between its commit and the drop of its predecessor)."""
    connection.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(PUBLISHED_SCHEMA)))
    connection.execute(sql.SQL(
        "CREATE TABLE IF NOT EXISTS {}.{} (one boolean PRIMARY KEY DEFAULT true CHECK (one), build text NOT NULL, "
        "published_at timestamptz NOT NULL DEFAULT now())"
    ).format(sql.Identifier(PUBLISHED_SCHEMA), sql.Identifier(POINTER_TABLE)))
    published = connection.execute(
        sql.SQL("SELECT build FROM {}.{}").format(sql.Identifier(PUBLISHED_SCHEMA), sql.Identifier(POINTER_TABLE))
    ).fetchone()
    for (schema,) in connection.execute("SELECT nspname FROM pg_namespace WHERE nspname ~ %s", [BUILD_PATTERN]).fetchall():
        if published is None or schema != published[0]:
            connection.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def _write_regions(connection: psycopg.Connection, build: str, level: str, frame: gpd.GeoDataFrame) -> None:
    table = sql.Identifier(build, level)
    facts = sql.SQL(", ").join(sql.SQL("{} integer").format(sql.Identifier(f)) for f in REGION_FACTS)
    connection.execute(sql.SQL(
        "CREATE TABLE {} (code text NOT NULL, name text, year integer NOT NULL, gemeente_code text, wijk_code text, {}, "
        "geometry geometry(MultiPolygon, {}) NOT NULL, PRIMARY KEY (code, year))"
    ).format(table, facts, sql.Literal(RD_NEW_SRID)))
    columns = frame[REGION_COLUMNS[:-1]].astype({fact: "Int64" for fact in REGION_FACTS})
    rows = (row + (geometry,) for row, geometry in zip(plain_rows(columns), multipolygon_ewkb(frame.geometry.array)))
    copy_rows(connection, table, [*REGION_COLUMNS[:-1], "geometry"], rows)
    connection.execute(sql.SQL("CREATE INDEX ON {} USING gist (geometry)").format(table))
    connection.execute(sql.SQL("ANALYZE {}").format(table))


def _write_values(connection: psycopg.Connection, build: str, values: pd.DataFrame) -> None:
    table = sql.Identifier(build, VALUES_TABLE)
    columns = sql.SQL(", ").join(
        sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(VALUE_TYPES.get(c, "text")))
        for c in STORED_COLUMNS
    )
    connection.execute(sql.SQL("CREATE TABLE {} (position bigint PRIMARY KEY, {})").format(table, columns))
    rows = ((position, *row) for position, row in enumerate(plain_rows(values[STORED_COLUMNS])))
    copy_rows(connection, table, ["position", *STORED_COLUMNS], rows)
    connection.execute(sql.SQL("CREATE INDEX ON {} (code)").format(table))


def _write_metadata(connection: psycopg.Connection, build: str, metadata: dict[str, Any]) -> None:
    table = sql.Identifier(build, METADATA_TABLE)
    connection.execute(sql.SQL("CREATE TABLE {} (key text PRIMARY KEY, value text NOT NULL)").format(table))
    copy_rows(connection, table, ["key", "value"], ((k, json.dumps(v, ensure_ascii=False)) for k, v in metadata.items()))


def _switch(connection: psycopg.Connection, build: str) -> str | None:
    """Point the published schema at `build`; returns the build it pointed at before."""
    pointer = sql.Identifier(PUBLISHED_SCHEMA, POINTER_TABLE)
    row = connection.execute(sql.SQL("SELECT build FROM {} FOR UPDATE").format(pointer)).fetchone()
    if row is None:
        connection.execute(sql.SQL("INSERT INTO {} (build) VALUES (%s)").format(pointer), [build])
        return None
    connection.execute(sql.SQL("UPDATE {} SET build = %s, published_at = now()").format(pointer), [build])
    return row[0]
