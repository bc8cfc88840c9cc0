"""The static PNG maps: decoded, and the colour at a few buurten's interior points compared with the legend."""

from __future__ import annotations

import struct
import warnings

import numpy as np
import pytest
import shapely
import shapely.ops
from pyproj import Transformer
from rasterio.errors import NotGeoreferencedWarning
from rasterio.io import MemoryFile
from starlette.testclient import TestClient

from geodata.cells import NOT_PUBLISHED, Status
from geodata.regions import Level
from store import Store
from styles.palettes import NO_VALUE, WITHHELD
from tests.conftest import error_of

QUERY = "indicator=bijstand_per_1000&year=2023&group=totaal"
BUURT = "BU03440111"


def decode(png: bytes) -> np.ndarray:
    """(height, width, 4) RGBA pixels; the IHDR chunk must agree with what GDAL decodes."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height, depth, colour_type = struct.unpack(">IIBB", png[16:26])
    assert (depth, colour_type) == (8, 6)  # 8 bits, RGBA
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)  # a PNG for a document has no georeference
        memory = MemoryFile(png)
        src = memory.open()
    with memory, src:
        assert (src.width, src.height, src.count, src.driver) == (width, height, 4, "PNG")
        return np.moveaxis(src.read(), 0, -1)


def hex_of(pixel: np.ndarray) -> str:
    return "#{:02x}{:02x}{:02x}".format(*pixel[:3])


def class_colour(legend: dict, value: float) -> str:
    """The legend class of a value: lower < value <= upper, the outer classes open-ended."""
    for entry in legend["classes"]:
        if entry["upper"] is None or value <= entry["upper"]:
            return entry["colour"].lower()
    raise AssertionError(value)


def expected_colours(store: Store, legend: dict, within: str) -> dict[str, str]:
    figures = store.figures(Level.buurt, 2023, "totaal", "bijstand_per_1000", within)
    colours = {}
    for code, value, status in zip(figures.statuses.index, figures.values, figures.statuses):
        if status == Status.ok.value:
            colours[code] = class_colour(legend, value)
        else:
            colours[code] = WITHHELD if status in NOT_PUBLISHED else NO_VALUE
    return colours


def check_pixels(image: np.ndarray, bounds: tuple[float, float, float, float], store: Store, colours: dict[str, str],
                 away_from: shapely.Geometry | None = None) -> dict[str, int]:
    """Compare the pixel at the pole of inaccessibility of every buurt at least 3 px from its border (and from
    `away_from`, the outlined region) with its expected colour; returns how many of each colour were checked."""
    west, south, east, north = bounds
    height, width = image.shape[:2]
    scale = width / (east - west)
    assert height == max(round((north - south) * scale), 1)
    checked: dict[str, int] = {}
    regions = store.regions(Level.buurt, 2023, "GM0344")
    for code, shape in zip(regions["code"], regions.geometry):
        inside = shapely.ops.polylabel(shape, tolerance=1.0) if shape.geom_type == "Polygon" else shape.representative_point()
        if shape.boundary.distance(inside) * scale < 3 or (away_from is not None and away_from.distance(inside) * scale < 6):
            continue
        column, row = int((inside.x - west) * scale), int((north - inside.y) * scale)
        if not (0 <= column < width and 0 <= row < height):
            continue
        pixel = image[row, column]
        assert pixel[3] == 255 and hex_of(pixel) == colours[code], f"{code} at ({column}, {row})"
        checked[colours[code]] = checked.get(colours[code], 0) + 1
    return checked


@pytest.fixture(scope="module")
def legend(client: TestClient) -> dict:
    return client.get(f"/legend/bijstand_per_1000.json?level=buurt&within=GM0344&{QUERY}").json()


def test_region_map_png_colours_buurten_as_the_legend(client: TestClient, demo_store: Store, legend: dict) -> None:
    response = client.get(f"/regions/{BUURT}/map.png?{QUERY}&width=800")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    image = decode(response.content)
    assert image.shape[1] == 800
    regions = demo_store.regions(Level.buurt, 2023, "GM0344")
    chosen = regions.set_index("code").geometry[BUURT]
    checked = check_pixels(image, tuple(regions.total_bounds), demo_store, expected_colours(demo_store, legend, "GM0344"), chosen)
    assert len(checked) >= len(legend["classes"]) and checked.get(WITHHELD, 0) >= 1  # every class, and a withheld buurt
    assert sum(checked.values()) > 0.8 * len(regions)
    # The chosen buurt is outlined in black; outside the gemeente the image is transparent.
    on_edge = chosen.boundary.interpolate(0.3, normalized=True)
    west, _, east, north = regions.total_bounds
    scale = 800 / (east - west)
    row, column = int((north - on_edge.y) * scale), int((on_edge.x - west) * scale)
    assert (image[row - 1:row + 2, column - 1:column + 2, :3] < 40).all(axis=-1).any()
    assert (image[..., 3] == 0).sum() > 0.1 * image.shape[0] * image.shape[1]


def test_map_png_of_a_bbox(client: TestClient, demo_store: Store, legend: dict) -> None:
    box = (5.08, 52.07, 5.13, 52.11)
    response = client.get(f"/maps/bijstand_per_1000.png?level=buurt&within=GM0344&{QUERY}&bbox={','.join(map(str, box))}")
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    image = decode(response.content)
    assert image.shape[1] == 400  # the default width
    bounds = Transformer.from_crs("OGC:CRS84", "EPSG:28992", always_xy=True).transform_bounds(*box, densify_pts=21)
    checked = check_pixels(image, bounds, demo_store, expected_colours(demo_store, legend, "GM0344"))
    assert sum(checked.values()) >= 10


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        (f"/regions/{BUURT}/map.png?{QUERY}&width=99", "width"),
        (f"/regions/{BUURT}/map.png?{QUERY}&width=2001", "width"),
        (f"/regions/{BUURT}/map.png?{QUERY}&width=wide", "width"),
        (f"/maps/bijstand_per_1000.png?{QUERY}&width=0", "width"),
        (f"/maps/bijstand_per_1000.png?{QUERY}&bbox=5.1,52.0,5.2", "bbox"),
        (f"/maps/bijstand_per_1000.png?{QUERY}&bbox=5.2,52.0,5.1,52.1", "bbox"),
        (f"/maps/bijstand_per_1000.png?{QUERY}&bbox=west,52.0,5.1,52.1", "bbox"),
        (f"/maps/bijstand_per_1000.png?{QUERY}&bbox=5.1,52.0,5.2,95", "bbox"),
        (f"/maps/bijstand_per_1000.png?{QUERY}&bbox=", "bbox"),
        (f"/maps/bijstand_per_1000.png?{QUERY}&bbox=5.1,52.0,5.1001,52.2", "bbox"),  # 7 m wide, 22 km high
        ("/maps/onbekend.png", "indicators"),  # as /styles/{indicator}.json
        (f"/maps/bijstand_per_1000.png?{QUERY}&within=GM9999", "within"),
    ],
)
def test_bad_map_requests_name_the_parameter(client: TestClient, url: str, parameter: str) -> None:
    assert error_of(client, url)[1] == parameter
    assert client.get(url).status_code in (400, 404)

