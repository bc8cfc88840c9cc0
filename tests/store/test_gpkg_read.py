"""A GeoPackage read in pieces (so that a reload lets the event loop run) gives what one read gives."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely import box

import store.gpkg
from geodata.figures import STORED_COLUMNS, STORED_TEXTS
from store.gpkg import _read_regions, _read_values


@pytest.fixture
def wijken(tmp_path: Path) -> Path:
    """Seven wijken; the first three without gemeente_code or indelingswijziging."""
    path = tmp_path / "regions.gpkg"
    frame = gpd.GeoDataFrame(
        {
            "code": [f"WK03440{i}" for i in range(7)],
            "gemeente_code": [None, None, None, "GM0344", None, "GM0344", "GM0344"],
            "indelingswijziging": pd.array([None, None, None, 1, 3, None, 1], dtype="Int64"),
        },
        geometry=[box(i, 0, i + 1, 1) for i in range(7)],
        crs="EPSG:28992",
    )
    pyogrio.write_dataframe(frame, path, layer="wijk", driver="GPKG", promote_to_multi=True)
    return path


@pytest.mark.parametrize("size", [1, 3, 5, 7, 500])
def test_a_region_layer_read_in_pieces_is_the_layer_read_at_once(
    wijken: Path, size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store.gpkg, "REGIONS_CHUNK", size)
    whole = pyogrio.read_dataframe(wijken, layer="wijk")
    found = _read_regions(wijken, "wijk")
    assert list(found.dtypes.items()) == list(whole.dtypes.items())  # str, also where a piece had only NULLs
    assert_geodataframe_equal(found, whole)


def test_the_values_table_is_read_as_pyogrio_reads_it_with_its_texts_categorical(
    demo_build: tuple[Path, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store.gpkg, "VALUES_CHUNK", 7777)
    path = demo_build[0]
    whole = pyogrio.read_dataframe(path, layer=store.gpkg.VALUES_LAYER, read_geometry=False)[STORED_COLUMNS]
    found = _read_values(path)
    assert all(isinstance(found[c].dtype, pd.CategoricalDtype) for c in STORED_TEXTS)
    assert whole["method"].isna().any() and found["method"].isna().sum() == whole["method"].isna().sum()  # NULL stays missing
    pd.testing.assert_frame_equal(found.astype(dict.fromkeys(STORED_TEXTS, "str")), whole, check_exact=True)
