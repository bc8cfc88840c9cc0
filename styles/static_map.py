"""Static maps, for a printed report or a document, where a tiled map cannot go: one region among its
neighbours as SVG or PNG, or any selection (optionally a bbox of it) as PNG. Colours come from the same
thematic map as the style and legend of that figure. The PNG is drawn without a browser: rasterised by
GDAL (rasterio) at several times its size and averaged down, which smooths the edges."""

from __future__ import annotations

import math
import warnings
from xml.sax.saxutils import escape, quoteattr

import geopandas as gpd
import numpy as np
import rasterio
import shapely
from affine import Affine
from rasterio.features import rasterize
from rasterio.io import MemoryFile

from geodata.cells import NOT_PUBLISHED, Status
from geodata.errors import RequestError
from store import Store
from styles.palettes import WITHHELD
from styles.thematic import ThematicMap

NO_VALUE = "#ffffff"
OUTLINE = "#636363"
HALO, CHOSEN = "#ffffff", "#000000"
MIN_WIDTH, DEFAULT_WIDTH, MAX_WIDTH = 100, 400, 2000  # PNG pixels; the height follows the map's shape
MAX_HEIGHT = 2000
MAX_SUBPIXELS = 16_000_000  # bounds the memory of one drawing (region ids at 2 bytes: 32 MB)


def region_fills(store: Store, m: ThematicMap) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The regions of `m` (its level, year and gemeente) and each one's fill: its class colour, grey when
    we do not publish its figure, white when there is none."""
    request = m.request
    regions = store.regions(request.level, request.year, request.within)
    figures = store.figures(request.level, request.year, request.group, request.indicator, request.within)
    statuses = figures.statuses.to_numpy()
    values = figures.values.to_numpy(dtype=float)
    fills = np.full(len(regions), NO_VALUE, dtype=object)
    fills[np.isin(statuses, list(NOT_PUBLISHED))] = WITHHELD
    ok = statuses == Status.ok.value
    if ok.any():
        fills[ok] = np.asarray(m.colours, dtype=object)[m.classification.classes_of(values[ok])]
    return regions, fills


def region_map_svg(store: Store, m: ThematicMap, code: str, width: int = 640) -> str:
    """The regions of `m` (its level, year and gemeente) in their class colours, `code` outlined in black."""
    request = m.request
    regions, fills = region_fills(store, m)

    west, south, east, north = regions.total_bounds
    scale, height = _frame((west, south, east, north), width)
    # Half a pixel of detail is all a printed map can show.
    shapes = shapely.simplify(regions.geometry.to_numpy(), 0.5 / scale, preserve_topology=True)

    def path(geometry: shapely.Geometry) -> str:
        parts = []
        for polygon in getattr(geometry, "geoms", [geometry]):
            for ring in (polygon.exterior, *polygon.interiors):
                xy = np.asarray(ring.coords)
                points = " ".join(f"{(x - west) * scale:.1f},{(north - y) * scale:.1f}" for x, y in xy[:-1])
                parts.append(f"M{points}Z")
        return "".join(parts)

    elements = []
    chosen = ""
    for region_code, name, shape, fill in zip(regions["code"], regions["name"], shapes, fills):
        if shape is None or shape.is_empty:
            continue
        d = path(shape)
        elements.append(f'<path d="{d}" fill="{fill}"><title>{escape(str(name))}</title></path>')
        if region_code == code:
            # A white halo keeps the black outline visible on the darkest class.
            chosen = f'<path d="{d}" fill="none" stroke="{HALO}" stroke-width="5"/><path d="{d}" fill="none" stroke="{CHOSEN}" stroke-width="2.5"/>'
    title = f"Kaart: {m.indicator.title['nl']}, {request.level.plural}, {request.year}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label={quoteattr(title)}><title>{escape(title)}</title>'
        f'<g stroke="{OUTLINE}" stroke-width="0.6" fill-rule="evenodd">{"".join(elements)}</g>{chosen}</svg>'
    )


def region_map_png(store: Store, m: ThematicMap, code: str, width: int = DEFAULT_WIDTH) -> bytes:
    """The PNG of `region_map_svg`: the regions of `m` in their class colours, `code` outlined in black."""
    return map_png(store, m, width, outlined=code)


def map_png(
    store: Store,
    m: ThematicMap,
    width: int = DEFAULT_WIDTH,
    bbox: tuple[float, float, float, float] | None = None,
    outlined: str | None = None,
) -> bytes:
    """The regions of `m` in their class colours as an RGBA PNG, transparent outside them, in RD New.

    `bbox` (west, south, east, north in EPSG:28992) crops the map; by default it shows all of `m`'s
    regions. `outlined` is the code of a region drawn with a black outline on a white halo.
    """
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise RequestError("width", f"width must be between {MIN_WIDTH} and {MAX_WIDTH} pixels, not {width}")
    regions, fills = region_fills(store, m)
    west, south, east, north = bbox if bbox is not None else regions.total_bounds
    scale, height = _frame((west, south, east, north), width)
    if height > MAX_HEIGHT:
        raise RequestError(
            "bbox" if bbox is not None else "width",
            f"the map would be {height} pixels high at width {width}; at most {MAX_HEIGHT}: a smaller width or a wider bbox",
        )
    # Draw at `factor` times the size and average each factor x factor block: that anti-aliases the edges.
    factor = max(2, min(4, math.isqrt(MAX_SUBPIXELS // (width * height))))
    shape = (height * factor, width * factor)
    size = 1 / (scale * factor)  # metres a subpixel
    transform = Affine(size, 0, west, 0, -size, north)

    shapes = regions.geometry.to_numpy()
    if bbox is not None:
        shapes = np.where(shapely.intersects(shapes, shapely.box(west, south, east, north)), shapes, None)
    drawn = np.flatnonzero(~shapely.is_missing(shapes) & ~shapely.is_empty(shapes))
    # Each region's number (0: outside all), so the borders are where the number changes.
    ids = np.zeros(shape, dtype=np.uint16 if len(regions) < 2**16 - 1 else np.uint32)
    if len(drawn):
        rasterize(zip(shapes[drawn], drawn + 1), out=ids, transform=transform)

    # Paint: an index into `palette`, 0 transparent.
    palette, fill_index = np.unique(np.asarray([*fills, OUTLINE, HALO, CHOSEN], dtype=str), return_inverse=True)
    outline_index, halo_index, chosen_index = fill_index[-3:] + 1
    paint_of_id = np.concatenate([[0], fill_index[: len(fills)] + 1]).astype(np.uint8)
    paint = paint_of_id[ids]
    # Borders: a subpixel on either side of a change of region: 0.5 to 1 px after averaging (the SVG draws 0.6).
    border = np.zeros(shape, dtype=bool)
    across, down = ids[:, 1:] != ids[:, :-1], ids[1:, :] != ids[:-1, :]
    border[:, 1:] |= across
    border[:, :-1] |= across
    border[1:, :] |= down
    border[:-1, :] |= down
    paint[border] = outline_index
    if outlined is not None:
        chosen = shapes[np.asarray(regions["code"] == outlined)]
        chosen = chosen[~shapely.is_missing(chosen)]
        if len(chosen):
            edge = shapely.boundary(shapely.union_all(chosen))
            # As the SVG: a black line 2.5 px wide on a white halo of 5 px, so it shows on the darkest class.
            rasterize(
                [(shapely.buffer(edge, 2.5 / scale), halo_index), (shapely.buffer(edge, 1.25 / scale), chosen_index)],
                out=paint, transform=transform,
            )

    rgba = np.zeros((len(palette) + 1, 4), dtype=np.uint8)  # row 0: transparent
    rgba[1:, :3] = [[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in palette]
    rgba[1:, 3] = 255
    return _png(_average(paint, rgba, factor))


def _frame(bounds: tuple[float, float, float, float], width: int) -> tuple[float, int]:
    """(pixels a metre, height in pixels) of a map `width` pixels wide showing `bounds` (RD New metres)."""
    west, south, east, north = bounds
    scale = width / max(east - west, 1.0)
    return scale, max(int(round((north - south) * scale)), 1)


def _average(paint: np.ndarray, rgba: np.ndarray, factor: int) -> np.ndarray:
    """The pixels (height, width, 4) of `paint` (indices into `rgba`), each the average of a factor x factor
    block; a channel at a time, which keeps the memory at one byte a subpixel."""
    height, width = paint.shape[0] // factor, paint.shape[1] // factor
    sums = np.stack(
        [rgba[paint, c].reshape(height, factor, width, factor).sum(axis=(1, 3), dtype=np.uint32) for c in range(4)],
        axis=-1,
    )
    alpha = sums[..., 3]
    out = np.zeros((height, width, 4), dtype=np.uint8)
    # Straight alpha: the colour is the average over the covered subpixels, the coverage goes to alpha,
    # so a half-covered edge pixel keeps its region's colour at half opacity (not darkened towards black).
    covered = alpha > 0
    out[..., :3][covered] = np.rint(sums[..., :3][covered] * 255 / alpha[covered, None])
    out[..., 3] = np.rint(alpha / factor**2)
    return out


def _png(rgba: np.ndarray) -> bytes:
    """RGBA pixels (height, width, 4) as PNG bytes, with GDAL's PNG driver."""
    height, width = rgba.shape[:2]
    with warnings.catch_warnings():
        # A PNG for a document has no georeference, and needs none.
        warnings.simplefilter("ignore", rasterio.errors.NotGeoreferencedWarning)
        with MemoryFile() as memory:
            with memory.open(driver="PNG", width=width, height=height, count=4, dtype="uint8") as png:
                png.write(np.moveaxis(rgba, -1, 0))
            return memory.read()
