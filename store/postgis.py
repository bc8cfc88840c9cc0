"""The dataset in PostgreSQL/PostGIS: several server processes and machines share one database.

Layout: each build is a schema of its own (`wijkmonitor_<time>_<random>`: a table per level with
every year's regions, `indicator_values`, `metadata`); the schema `wijkmonitor` holds the pointer
table `dataset` (one row: the published build) and views for QGIS (store/views.py). Publishing swaps the pointer
(store/publish.py); a reader takes a share lock on the pointer row while it reads, so the build
it read cannot be switched away and dropped under it. Reading loads the whole build into memory
(store/memory.py), like the GeoPackage: tiles are made from memory, not by queries.
"""

from __future__ import annotations

import io
import re
import time
from typing import Any

import geopandas as gpd
import pandas as pd
import psycopg
import shapely
from psycopg import sql

from geodata.errors import DatasetError
from geodata.figures import STORED_COLUMNS, STORED_NUMBERS, STORED_TEXTS
from geodata.regions import LEVELS, REGION_COLUMNS, Level
from store.copy import RD_NEW_SRID
from store.memory import LoadedStore, parse_metadata

PUBLISHED_SCHEMA = "wijkmonitor"
POINTER_TABLE = "dataset"
BUILD_PREFIX = "wijkmonitor_"
VALUES_TABLE = "indicator_values"
METADATA_TABLE = "metadata"
# Seconds to wait for the database before saying it cannot be reached (libpq's minimum is 2).
CONNECT_TIMEOUT = 5
RETRY_SECONDS = 30.0  # after the database could not be reached for a version check
PASSWORD = re.compile(r"^(postgres(?:ql)?://[^:@/]*):[^@]*@")

def shown(dsn: str) -> str:
    """The address without its password, for messages, logs and /health (also when it is malformed)."""
    return PASSWORD.sub(r"\1:***@", dsn)


def connect(dsn: str, *, timeout: int = CONNECT_TIMEOUT, autocommit: bool = False) -> psycopg.Connection:
    """A connection, or a DatasetError naming the address and what is wrong with it."""
    try:
        psycopg.conninfo.conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as exc:
        reason = _first_line(exc).replace(dsn, shown(dsn))  # libpq quotes the whole address
        raise DatasetError(f"{shown(dsn)}: not a valid PostgreSQL address ({reason})") from None
    try:
        return psycopg.connect(dsn, connect_timeout=timeout, autocommit=autocommit, application_name="wijkmonitor")
    except psycopg.OperationalError as exc:
        raise DatasetError(f"{shown(dsn)}: cannot connect to the database ({_first_line(exc)})") from None


def published_build(connection: psycopg.Connection, dsn: str, lock: bool = False) -> str:
    """The schema of the published build; `lock` holds it (a share lock on the pointer row) until the
    transaction ends, so that no publish can switch it away and drop it meanwhile."""
    query = sql.SQL("SELECT build FROM {}.{}" + (" FOR SHARE" if lock else "")).format(
        sql.Identifier(PUBLISHED_SCHEMA), sql.Identifier(POINTER_TABLE)
    )
    try:
        row = connection.execute(query).fetchone()
    except psycopg.errors.UndefinedTable:
        row = None
    if row is None:
        raise DatasetError(
            f"{shown(dsn)}: no wijkmonitor dataset is published in this database (no {PUBLISHED_SCHEMA}.{POINTER_TABLE}); "
            f"build one with `wijkmonitor build SOURCE --to {shown(dsn)}`"
        )
    return row[0]


class PostGISStore(LoadedStore):
    def __init__(self, dsn: str, build: str, **loaded: Any) -> None:
        super().__init__(**loaded)
        self.dsn = dsn
        self.build = build
        self._watch: psycopg.Connection | None = None  # kept for version_now, asked every few seconds
        self._retry_at = 0.0  # time.monotonic() before which version_now does not try to reconnect

    @classmethod
    def open(cls, dsn: str) -> PostGISStore:
        with connect(dsn) as connection:
            try:
                with connection.transaction():
                    build = published_build(connection, dsn, lock=True)
                    metadata = parse_metadata(*zip(*_metadata_rows(connection, build)), f"{shown(dsn)} {build}")
                    regions = {level: _regions(connection, build, level) for level in _levels(connection, build)}
                    values = _values(connection, build)
            except psycopg.Error as exc:
                raise DatasetError(f"{shown(dsn)}: cannot read the published build ({_first_line(exc)})") from None
        return cls(dsn, build, metadata=metadata, regions=regions, values=values, where=f"{shown(dsn)} {build}.{METADATA_TABLE}")

    @property
    def location(self) -> str:
        return shown(self.dsn)

    @property
    def version(self) -> str:
        return self.build.removeprefix(BUILD_PREFIX)

    def version_now(self) -> str | None:
        # Asked on the request path (web.holder): a database that is away must not stall every check.
        if time.monotonic() < self._retry_at:
            return None
        try:
            if self._watch is None or self._watch.closed:
                self._watch = connect(self.dsn, timeout=2, autocommit=True)
            return published_build(self._watch, self.dsn).removeprefix(BUILD_PREFIX)
        except (psycopg.Error, DatasetError):
            if self._watch is not None:
                self._watch.close()
            self._watch = None
            self._retry_at = time.monotonic() + RETRY_SECONDS
            return None  # unknown for now: the data at hand keeps serving


def _metadata_rows(connection: psycopg.Connection, build: str) -> list[tuple[str, str]]:
    query = sql.SQL("SELECT key, value FROM {}.{}").format(sql.Identifier(build), sql.Identifier(METADATA_TABLE))
    return connection.execute(query).fetchall()


def _levels(connection: psycopg.Connection, build: str) -> list[Level]:
    tables = {row[0] for row in connection.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [build]
    )}
    return [level for level in LEVELS if level.value in tables]


def _regions(connection: psycopg.Connection, build: str, level: Level) -> gpd.GeoDataFrame:
    attributes = REGION_COLUMNS[:-1]
    query = sql.SQL("SELECT {}, ST_AsBinary(geometry) FROM {}.{}").format(
        sql.SQL(", ").join(map(sql.Identifier, attributes)), sql.Identifier(build), sql.Identifier(level.value)
    )
    rows = connection.execute(query, binary=True).fetchall()
    frame = pd.DataFrame([row[:-1] for row in rows], columns=attributes)
    return gpd.GeoDataFrame(frame, geometry=shapely.from_wkb([row[-1] for row in rows]), crs=f"EPSG:{RD_NEW_SRID}")


def _values(connection: psycopg.Connection, build: str) -> pd.DataFrame:
    """The figure table in the order it was written, by COPY (a few times faster than fetching rows)."""
    query = sql.SQL("COPY (SELECT {} FROM {}.{} ORDER BY position) TO STDOUT WITH (FORMAT csv, HEADER true)").format(
        sql.SQL(", ").join(map(sql.Identifier, STORED_COLUMNS)), sql.Identifier(build), sql.Identifier(VALUES_TABLE)
    )
    data = io.BytesIO()
    with connection.cursor().copy(query) as copy:
        for block in copy:
            data.write(block)
    data.seek(0)
    texts = dict.fromkeys(STORED_TEXTS, "category")  # as the GeoPackage store reads them
    # PostgreSQL writes each double in its shortest exact form, which pandas reads back bit for bit.
    return pd.read_csv(data, dtype={**texts, **STORED_NUMBERS}, keep_default_na=False, na_values=[""])


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
