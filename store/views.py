"""The published data as QGIS opens it: per level and year a table in the build's schema with the
figures as columns (the /ogc collection's properties: `<indicator>__<group>` with a value only when
published, `__status` saying why not), geometry(MultiPolygon, 28992) with a spatial index, and a
view of it in the schema `wijkmonitor` that the publishing transaction points at the new build.

PostgreSQL limits a table to 1,600 columns and a name to 63 bytes: a level and year with more
figures gets a table per theme (`gemeente_2015_zorg_en_welzijn`), and a longer column name is cut short with a
hash to keep it unique, its full name in the column's comment (QGIS shows it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import geopandas as gpd
import pandas as pd
import psycopg
from psycopg import sql

from exports.tables import figure_frame
from store.base import Store
from store.copy import RD_NEW_SRID, copy_rows, multipolygon_ewkb, plain_rows
from store.postgis import PUBLISHED_SCHEMA

MAX_COLUMNS = 1600
MAX_NAME_BYTES = 63


def column_name(name: str) -> str:
    if len(name.encode()) <= MAX_NAME_BYTES:
        return name
    return f"{name[:MAX_NAME_BYTES - 9]}_{hashlib.sha1(name.encode()).hexdigest()[:8]}"


def figure_tables(store: Store) -> Iterator[tuple[str, gpd.GeoDataFrame]]:
    """(table name, frame) per level and year, or per level, year and theme where one table cannot hold them."""
    for level, years in store.availability.years.items():
        for year in years:
            pairs = [(i, g) for i, groups in store.availability.indicators_with_data(level, year).items() for g in groups]
            frame = figure_frame(store, level, year, pairs)
            if len(frame.columns) <= MAX_COLUMNS:
                yield f"{level.value}_{year}", frame
                continue
            themes: dict[str, list[tuple[str, str]]] = {}
            for indicator, group in pairs:
                themes.setdefault(store.catalog.indicators[indicator].theme, []).append((indicator, group))
            for theme, some in themes.items():
                yield f"{level.value}_{year}_{theme.replace(' ', '_')}", figure_frame(store, level, year, some)


def write_figure_tables(connection: psycopg.Connection, build: str, store: Store) -> list[str]:
    """Write each figure table into the build's schema; returns their names."""
    names = []
    for name, frame in figure_tables(store):
        _write_table(connection, sql.Identifier(build, name), frame)
        names.append(name)
    return names


def publish_views(connection: psycopg.Connection, build: str, names: list[str]) -> None:
    """Replace the views of the published schema by views of the build's figure tables."""
    old = connection.execute("SELECT viewname FROM pg_views WHERE schemaname = %s", [PUBLISHED_SCHEMA]).fetchall()
    for (view,) in old:
        connection.execute(sql.SQL("DROP VIEW {}").format(sql.Identifier(PUBLISHED_SCHEMA, view)))
    for name in names:
        connection.execute(sql.SQL("CREATE VIEW {} AS SELECT * FROM {}").format(
            sql.Identifier(PUBLISHED_SCHEMA, name), sql.Identifier(build, name)
        ))


def _write_table(connection: psycopg.Connection, table: sql.Identifier, frame: gpd.GeoDataFrame) -> None:
    attributes = pd.DataFrame(frame.drop(columns="geometry"))
    names = [column_name(c) for c in attributes.columns]
    definitions = [sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(_sql_type(attributes[c]))) for n, c in zip(names, attributes)]
    connection.execute(sql.SQL("CREATE TABLE {} ({}, geometry geometry(MultiPolygon, {}) NOT NULL, PRIMARY KEY (code))").format(
        table, sql.SQL(", ").join(definitions), sql.Literal(RD_NEW_SRID)
    ))
    for name, full in zip(names, attributes.columns):
        if name != full:
            connection.execute(sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(table, sql.Identifier(name), sql.Literal(full)))
    rows = (row + (g,) for row, g in zip(plain_rows(attributes), multipolygon_ewkb(frame.geometry.array)))
    copy_rows(connection, table, [*names, "geometry"], rows)
    connection.execute(sql.SQL("CREATE INDEX ON {} USING gist (geometry)").format(table))


def _sql_type(column: pd.Series) -> str:
    if pd.api.types.is_integer_dtype(column.dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(column.dtype):
        return "double precision"
    return "text"

