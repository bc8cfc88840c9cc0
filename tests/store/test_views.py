"""What QGIS opens in PostGIS: a view per level and year in the schema wijkmonitor with the figures
as columns (as /ogc), typed geometry in RD New over a table with a spatial index; and headless QGIS
(Debian python3-qgis) reading one with the postgres provider, its values equal to /regions."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import psycopg
import pytest

from geodata.regions import Level
from store import Store
from store.views import column_name
from tests.ogc.test_qgis import QGIS_PYTHON, qgis_available

BUURT = "BU03440111"


def view_rows(dsn: str, view: str) -> dict[str, dict[str, object]]:
    with psycopg.connect(dsn) as connection:
        cursor = connection.execute(f'SELECT * FROM wijkmonitor."{view}"')
        names = [c.name for c in cursor.description]
        return {row[0]: dict(zip(names, row)) for row in cursor.fetchall()}


def test_a_view_per_level_and_year_with_the_figures_of_the_store(postgis_demo: str, demo_store: Store) -> None:
    rows = view_rows(postgis_demo, "buurt_2023")
    assert sorted(rows) == demo_store.regions(Level.buurt, 2023)["code"].tolist()
    row = rows[BUURT]
    region = demo_store.region_history(BUURT).set_index("year").loc[2023]
    assert (row["name"], row["gemeente_code"], row["wijk_code"]) == (region["name"], "GM0344", "WK034401")
    figures = demo_store.region_figures([BUURT])
    compared = 0
    for figure in figures[figures["year"] == 2023].itertuples():
        name = column_name(f"{figure.indicator}__{figure.group}")
        if name not in row:
            continue
        compared += 1
        if figure.status == "ok":
            assert row[name] == figure.value and row[column_name(f"{figure.indicator}__{figure.group}__status")] is None, name
        else:
            assert row[name] is None and row[column_name(f"{figure.indicator}__{figure.group}__status")] == figure.status, name
    assert compared > 100


def test_views_have_typed_geometry_over_a_spatial_index(postgis_demo: str) -> None:
    with psycopg.connect(postgis_demo) as connection:
        views = {r[0] for r in connection.execute("SELECT viewname FROM pg_views WHERE schemaname = 'wijkmonitor'")}
        typed = connection.execute(
            "SELECT type, srid FROM geometry_columns WHERE f_table_schema = 'wijkmonitor' AND f_table_name = 'wijk_2024'"
        ).fetchone()
        build = connection.execute("SELECT build FROM wijkmonitor.dataset").fetchone()[0]
        indexes = [r[0] for r in connection.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = 'wijk_2024'", [build]
        )]
        comments = connection.execute(
            "SELECT count(*) FROM pg_description d JOIN pg_class c ON c.oid = d.objoid JOIN pg_namespace n "
            "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = 'gemeente_2015_zorg_en_welzijn'", [build]
        ).fetchone()[0]
    assert {"buurt_2023", "buurt_2024", "wijk_2023", "wijk_2024", "gemeente_2022", "gemeente_2024"} <= views
    # gemeente 2015 has more figures than a PostgreSQL table has columns: a view per theme
    assert "gemeente_2015" not in views and {"gemeente_2015_zorg_en_welzijn", "gemeente_2015_veiligheid"} <= views
    assert comments > 0  # the names longer than 63 bytes, in full
    assert typed == ("MULTIPOLYGON", 28992)
    assert any("USING gist (geometry)" in index for index in indexes)


@pytest.mark.skipif(not qgis_available() and not os.environ.get("CI"), reason="QGIS (Debian python3-qgis) is not installed")
def test_qgis_opens_a_view_with_the_values_of_the_region_api(postgis_demo: str, client) -> None:
    conninfo = " ".join(f"{k}='{v}'" for k, v in psycopg.conninfo.conninfo_to_dict(postgis_demo).items())
    script = Path(__file__).parent.parent / "qgis_read.py"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    uri = f"{conninfo} key='code' table=\"wijkmonitor\".\"buurt_2023\" (geometry)"  # a view needs its key named
    done = subprocess.run([QGIS_PYTHON, str(script), "postgres", uri, BUURT],
                          capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded["valid"], loaded
    assert loaded["feature_count"] == len(loaded["codes"]) > 100 and loaded["crs"] == "EPSG:28992"
    feature = loaded["feature"]
    compared = 0
    for figure in client.get(f"/regions/{BUURT}").json()["figures"]:
        name = f"{figure['indicator']}__{figure['group']}"
        value, status = column_name(name), column_name(f"{name}__status")  # as PostgreSQL has them
        if figure["year"] != 2023 or value not in feature:
            continue
        compared += 1
        if figure["status"] == "ok":
            assert feature[value] == pytest.approx(figure["value"]) and feature[status] is None, name
        else:
            assert feature[value] is None and feature[status] == figure["status"], name
    assert compared > 50
