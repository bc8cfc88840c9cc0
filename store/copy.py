"""Rows into PostgreSQL by COPY: plain Python values (NULL for a missing one) and geometry as EWKB."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd
import psycopg
import shapely
from psycopg import sql

RD_NEW_SRID = 28992


def plain_rows(frame: pd.DataFrame) -> Iterator[tuple]:
    """Rows of plain Python values, None where a value is missing (NULL)."""
    return frame.astype(object).where(frame.notna(), None).itertuples(index=False, name=None)


def multipolygon_ewkb(geometry: Iterable[shapely.Geometry]) -> list[str]:
    """Hex EWKB in RD New, a Polygon made a MultiPolygon as the GeoPackage writer does (promote_to_multi):
    both stores read back the same geometry, and the columns can be typed geometry(MultiPolygon, 28992)."""
    multi = [shapely.MultiPolygon([g]) if g.geom_type == "Polygon" else g for g in geometry]
    return list(shapely.to_wkb(shapely.set_srid(np.asarray(multi, dtype=object), RD_NEW_SRID), hex=True, include_srid=True))


def copy_rows(connection: psycopg.Connection, table: sql.Composable, columns: list[str], rows: Iterable[tuple]) -> None:
    query = sql.SQL("COPY {} ({}) FROM STDIN").format(table, sql.SQL(", ").join(map(sql.Identifier, columns)))
    with connection.cursor().copy(query) as copy:
        for row in rows:
            copy.write_row(row)
