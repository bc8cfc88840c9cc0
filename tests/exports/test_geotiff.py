"""The GeoTIFF export: read back by GDAL, a cell per buurt checked against the dataset and the CBS CSV."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import rasterio
import shapely
import shapely.ops

from cli import main
from exports.raster import NODATA, write_geotiff
from geodata.cells import Status
from geodata.errors import RequestError
from geodata.regions import Level
from store import Store
from tests.conftest import kwb_rows

BUURT = "BU03440111"


@pytest.fixture(scope="module")
def bijstand(demo_store: Store, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_geotiff(
        demo_store, Level.buurt, 2023, "bijstand_per_1000", "totaal", 25, tmp_path_factory.mktemp("tif") / "bijstand.tif"
    )


def gdal_info(path: Path) -> dict:
    """What GDAL reads: the gdalinfo command when installed, else GDAL inside rasterio."""
    if shutil.which("gdalinfo"):
        info = json.loads(subprocess.run(["gdalinfo", "-json", str(path)], capture_output=True, check=True, text=True).stdout)
        band = info["bands"][0]
        return {
            "wkt": info["coordinateSystem"]["wkt"], "nodata": band["noDataValue"], "type": band["type"],
            "tags": info["metadata"][""], "structure": info["metadata"]["IMAGE_STRUCTURE"],
            "block": band["block"], "origin": info["geoTransform"],
        }
    with rasterio.open(path) as src:
        return {
            "wkt": src.crs.to_wkt("WKT2_2019"), "nodata": src.nodata, "type": src.dtypes[0].capitalize(),
            "tags": src.tags(), "structure": src.tags(ns="IMAGE_STRUCTURE"), "block": list(src.block_shapes[0][::-1]),
            "origin": list(src.transform.to_gdal()),
        }


def cell_at(path: Path, point: shapely.Point) -> float:
    with rasterio.open(path) as src:
        return float(next(src.sample([(point.x, point.y)]))[0])


def test_gdal_reads_rd_new_with_nodata_tags_tiles_and_deflate(bijstand: Path, demo_store: Store) -> None:
    info = gdal_info(bijstand)
    assert 'ID["EPSG",28992]' in info["wkt"]
    assert info["nodata"] == pytest.approx(NODATA) and info["type"] == "Float32"
    meta = demo_store.catalog.indicator("bijstand_per_1000")
    tags = info["tags"]
    assert tags["DEFINITION"] == meta.definition and tags["SOURCE"] == meta.source and tags["UNIT"] == meta.unit
    assert tags["TITLE"] == meta.title["nl"] and tags["ATTRIBUTION"] == demo_store.attribution
    assert (tags["INDICATOR"], tags["GROUP"], tags["YEAR"], tags["LEVEL"]) == ("bijstand_per_1000", "totaal", "2023", "buurt")
    assert info["structure"]["COMPRESSION"] == "DEFLATE" and info["block"] == [256, 256]
    west, size_x, _, north, _, size_y = info["origin"]
    assert (size_x, size_y) == (25, -25) and west % 25 == 0 and north % 25 == 0  # aligned to whole cells
    assert not list(bijstand.parent.glob(".*.tmp"))  # the temporary file was renamed into place


def test_every_buurt_has_its_published_figure_or_nodata(bijstand: Path, demo_store: Store) -> None:
    regions = demo_store.regions(Level.buurt, 2023)
    figures = demo_store.figures(Level.buurt, 2023, "totaal", "bijstand_per_1000")
    statuses = figures.statuses.to_numpy()
    assert {Status.withheld.value, Status.protected.value, Status.secret.value} <= set(statuses)
    checked = 0
    for code, shape, value, status in zip(regions["code"], regions.geometry, figures.values, statuses):
        inside = shapely.ops.polylabel(shape, tolerance=1.0) if shape.geom_type == "Polygon" else shape.representative_point()
        if shape.boundary.distance(inside) < 25:  # the cell's centre could lie in a neighbour
            continue
        cell = cell_at(bijstand, inside)
        if status == Status.ok.value:
            assert cell == pytest.approx(value, rel=1e-6), code
        else:
            assert cell == NODATA, f"{code} is {status}: nodata, not {cell}"
        checked += 1
    assert checked > 0.9 * len(regions)
    with rasterio.open(bijstand) as src:
        cells = src.read(1)
    shown = np.unique(cells[cells != NODATA])
    assert np.isin(shown, figures.published.astype(np.float32)).all()  # no value that is not a published figure


def test_a_buurt_cell_is_the_cbs_figure(demo_store: Store, tmp_path: Path) -> None:
    path = write_geotiff(demo_store, "buurt", 2024, "inwoners", "totaal", 100, tmp_path / "inwoners.tif", within="GM0344")
    shape = demo_store.regions(Level.buurt, 2024, "GM0344").set_index("code").geometry[BUURT]
    inside = shapely.ops.polylabel(shape, tolerance=1.0)
    assert shape.boundary.distance(inside) > 100
    assert cell_at(path, inside) == int(kwb_rows(2024)[BUURT]["a_inw"])


def test_resolution_and_selection_errors_name_the_parameter(demo_store: Store, tmp_path: Path) -> None:
    for kwargs, parameter in [
        ({"resolution": 50}, "resolution"),
        ({"year": 1990}, "year"),
        ({"group": "niemand"}, "group"),
        ({"level": "straat"}, "level"),
        ({"within": "GM9999"}, "within"),
    ]:
        args = {"level": "buurt", "year": 2023, "group": "totaal", "resolution": 100} | kwargs
        with pytest.raises(RequestError) as caught:
            write_geotiff(demo_store, indicator="inwoners", path=tmp_path / "x.tif", **args)
        assert caught.value.parameter == parameter
    assert not list(tmp_path.iterdir())


def test_the_export_command_writes_the_same_geotiff(demo_build: tuple[Path, object], bijstand: Path, tmp_path: Path) -> None:
    output = tmp_path / "bijstand.tif"
    args = ["export", str(demo_build[0]), "--level", "buurt", "--year", "2023", "--indicators", "bijstand_per_1000", "--resolution", "25", "-o", str(output)]
    assert main(args) == 0
    with rasterio.open(output) as made, rasterio.open(bijstand) as direct:
        assert made.crs.to_epsg() == 28992 and made.res == direct.res == (25.0, 25.0)
        assert (made.read(1) == direct.read(1)).all()
