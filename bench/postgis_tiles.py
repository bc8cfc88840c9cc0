"""The PostGIS peer of bench/peers.py: our cleaned polygons and figures in a Web Mercator table, and a SQL
function per tile with ST_AsMVT/ST_AsMVTGeom, as Martin and pg_tileserv call one.

The table is made from the store wijkmonitor serves (store.views.write_figure_tables: the /ogc
properties, every indicator x group pair with figures as `<indicator>__<group>` and `__status`
columns, the geometry as /ogc serves it in RD New), then transformed once to EPSG:3857 with a GiST
index, so PostGIS cuts tiles from exactly the polygons we serve and does no transform per tile.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import psycopg
from psycopg import sql

from geodata.regions import Level
from store import Store
from store.views import column_name, write_figure_tables

SCHEMA = "peers"
SOURCE_SCHEMA = "peers_source"
REGION_FIELDS = ("code", "name", "gemeente_code", "wijk_code", "year")  # what our region layer carries besides figures
GEOMETRY = "geom"


def table_name(level: Level, year: int) -> str:
    return f"{level.value}_{year}"


def load_table(dsn: str, store: Store, level: Level, year: int) -> list[str]:
    """Write the level and year into `peers.<level>_<year>` (EPSG:3857, GiST index, analysed); returns
    its attribute columns."""
    table = sql.Identifier(SCHEMA, table_name(level, year))
    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SOURCE_SCHEMA)))
        names = write_figure_tables(connection, SOURCE_SCHEMA, store)
        if table_name(level, year) not in names:
            raise RuntimeError(f"no figure table {table_name(level, year)} among {names}")
        connection.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(SCHEMA)))
        connection.execute(sql.SQL(
            "CREATE TABLE {} AS SELECT *, ST_Transform(geometry, 3857)::geometry(MultiPolygon, 3857) AS {} FROM {}"
        ).format(table, sql.Identifier(GEOMETRY), sql.Identifier(SOURCE_SCHEMA, table_name(level, year))))
        connection.execute(sql.SQL("ALTER TABLE {} DROP COLUMN geometry, ADD PRIMARY KEY (code)").format(table))
        connection.execute(sql.SQL("CREATE INDEX ON {} USING gist ({})").format(table, sql.Identifier(GEOMETRY)))
        connection.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(SOURCE_SCHEMA)))
        connection.execute(sql.SQL("VACUUM ANALYZE {}").format(table))
        rows = connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
            "ORDER BY ordinal_position", [SCHEMA, table_name(level, year)],
        ).fetchall()
    return [name for (name,) in rows if name != GEOMETRY]


def figure_fields(columns: Iterable[str], indicator: str, group: str) -> list[str]:
    """The region fields and one figure's value, status and break columns, as they are named in the table."""
    figure = f"{indicator}__{group}"
    wanted = {*REGION_FIELDS, *(column_name(f"{figure}{suffix}") for suffix in ("", "__status", "__breuk"))}
    return [c for c in columns if c in wanted]


def create_function(dsn: str, level: Level, year: int, name: str, columns: list[str], extent: int, buffer: int) -> str:
    """A function `peers.<name>(z, x, y) -> bytea`: the tile of the table with these columns, one layer named
    after the level, clipped with our buffer; returns its qualified name."""
    fields = sql.SQL(", ").join(map(sql.Identifier, columns))
    body = sql.SQL(
        "SELECT ST_AsMVT(tile, {layer}, {extent}, {geom}) FROM ("
        " SELECT {fields}, ST_AsMVTGeom({geom_column}, ST_TileEnvelope(z, x, y), {extent}, {buffer}, true) AS {geom_column}"
        " FROM {table} WHERE {geom_column} && ST_TileEnvelope(z, x, y, margin => {margin})"
        ") AS tile WHERE {geom_column} IS NOT NULL"
    ).format(
        layer=sql.Literal(level.value), extent=sql.Literal(extent), geom=sql.Literal(GEOMETRY), fields=fields,
        geom_column=sql.Identifier(GEOMETRY), buffer=sql.Literal(buffer),
        table=sql.Identifier(SCHEMA, table_name(level, year)), margin=sql.Literal(buffer / extent),
    )
    function = sql.Identifier(SCHEMA, name)
    with psycopg.connect(dsn, autocommit=True) as connection:
        # The body is composed with quoted identifiers and literals, then passed as a literal string.
        connection.execute(sql.SQL(
            "CREATE FUNCTION {}(z integer, x integer, y integer) RETURNS bytea LANGUAGE sql STABLE PARALLEL SAFE AS {}"
        ).format(function, sql.Literal(body.as_string(connection))))
    return f"{SCHEMA}.{name}"


class TileCalls:
    """Calls of one tile function over one connection, each timed from sending the query to the last byte
    of its answer (a prepared statement, as a tile server keeps them)."""

    def __init__(self, dsn: str, function: str) -> None:
        self.connection = psycopg.connect(dsn, autocommit=True)
        schema, name = function.split(".")
        self.query = sql.SQL("SELECT {}(%s, %s, %s)").format(sql.Identifier(schema, name))

    def __call__(self, z: int, x: int, y: int) -> tuple[float, bytes]:
        """(ms, tile bytes; empty for no regions)."""
        started = time.perf_counter()
        body = self.tile(z, x, y)
        return (time.perf_counter() - started) * 1000, body

    def tile(self, z: int, x: int, y: int) -> bytes:
        row = self.connection.execute(self.query, (z, x, y), prepare=True).fetchone()
        return bytes(row[0]) if row and row[0] is not None else b""

    def close(self) -> None:
        self.connection.close()


def versions(dsn: str) -> str:
    with psycopg.connect(dsn) as connection:
        postgres = connection.execute("SHOW server_version").fetchone()
        postgis = connection.execute("SELECT postgis_lib_version()").fetchone()
    return f"PostgreSQL {postgres[0] if postgres else '?'}, PostGIS {postgis[0] if postgis else '?'}"
