"""Glyph PBFs for the styles' labels: signed distance fields of DejaVu Sans, 256 code points a file.

MapLibre draws text only from glyphs it fetches at the style's `glyphs` URL, and we may use no
CDN, so we render them ourselves from the DejaVu fonts npm installs (@fontsource/dejavu-sans).
The layout follows the de-facto format of fontnik/MapLibre: 24 px glyphs, a 3 px border, an
8 px distance radius with the edge at 0.75 (value 191); metrics in whole pixels, `top` counted
from the font's ascender.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import freetype
import numpy as np
from scipy.ndimage import distance_transform_edt

from geodata.errors import RequestError
from tiles.mvt import length_delimited, varint, zigzag

FONT_FILES = {
    "DejaVu Sans Book": "dejavu-sans-latin-400-normal.woff",
    "DejaVu Sans Bold": "dejavu-sans-latin-700-normal.woff",
}
LABEL_FONT = "DejaVu Sans Book"
SIZE = 24
BORDER = 3
RADIUS = 8
CUTOFF = 0.25
OVERSAMPLE = 4  # the outline is rasterised at 4x and its distances averaged down
RANGE_SIZE = 256
MAX_CODE_POINT = 0xFFFF


class UnknownFont(RequestError):
    status_code = 404


@dataclass(frozen=True, slots=True)
class Glyph:
    """One rendered glyph: metrics in pixels at 24 px, bitmap (width+6) x (height+6) or empty."""

    code_point: int
    width: int
    height: int
    left: int
    top: int
    advance: int
    bitmap: bytes


class Font:
    """A font file opened twice: at 24 px for the metrics, at 96 px for the distance field."""

    def __init__(self, path: Path) -> None:
        self.metrics = freetype.Face(str(path))
        self.metrics.set_char_size(SIZE * 64)
        self.outline = freetype.Face(str(path))
        self.outline.set_char_size(SIZE * OVERSAMPLE * 64)
        self.ascender = self.metrics.size.ascender // 64

    def has(self, code_point: int) -> bool:
        return self.metrics.get_char_index(code_point) != 0

    def glyph(self, code_point: int) -> Glyph:
        self.metrics.load_char(code_point, freetype.FT_LOAD_NO_HINTING)
        box = self.metrics.glyph.outline.get_bbox()
        left, right = round(box.xMin / 64), round(box.xMax / 64)
        bottom, top = round(box.yMin / 64), round(box.yMax / 64)
        advance = self.metrics.glyph.metrics.horiAdvance // 64
        width, height = right - left, top - bottom
        if width <= 0 or height <= 0:
            return Glyph(code_point, 0, 0, 0, 0, advance, b"")
        field = self._distance_field(code_point, left, top, width, height)
        return Glyph(code_point, width, height, left, top - self.ascender, advance, field)

    def _distance_field(self, code_point: int, left: int, top: int, width: int, height: int) -> bytes:
        s = OVERSAMPLE
        self.outline.load_char(code_point, freetype.FT_LOAD_RENDER | freetype.FT_LOAD_NO_HINTING)
        g = self.outline.glyph
        rows, cols = g.bitmap.rows, g.bitmap.width
        coverage = np.array(g.bitmap.buffer, dtype=np.uint8).reshape(rows, g.bitmap.pitch)[:, :cols]
        # Canvas: the 24 px box plus its border, at 4x; the rendered bitmap sits inside it.
        canvas = np.zeros(((height + 2 * BORDER) * s, (width + 2 * BORDER) * s), dtype=bool)
        row0 = (top + BORDER) * s - g.bitmap_top
        col0 = g.bitmap_left - (left - BORDER) * s
        canvas[row0:row0 + rows, col0:col0 + cols] = coverage >= 128
        if not canvas.any():
            return bytes(canvas.size // (s * s))
        # Distances from pixel centres to the nearest pixel across the edge, less half a pixel
        # for the edge itself; positive outside.
        signed = np.where(canvas, 0.5 - distance_transform_edt(canvas), distance_transform_edt(~canvas) - 0.5)
        # Each output pixel's centre lies between the middle four of its 4x4 block.
        blocks = signed.reshape(height + 2 * BORDER, s, width + 2 * BORDER, s)
        distance = blocks[:, s // 2 - 1:s // 2 + 1, :, s // 2 - 1:s // 2 + 1].mean(axis=(1, 3)) / s
        value = 255 - np.clip(distance * 256 / RADIUS + CUTOFF * 256, 0, 255)
        return np.floor(value).astype(np.uint8).tobytes()


class FontLibrary:
    """The fonts we serve, by MapLibre font-stack name; ranges are rendered once and kept."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._fonts: dict[str, Font] = {}
        self._lock = threading.Lock()  # FreeType faces are not thread-safe; routes run in a pool
        # Keyed on the fonts we serve, not on the stack as asked, so odd stacks cannot flood it.
        self._render = lru_cache(maxsize=64)(self._render_range)

    def font(self, name: str) -> Font:
        if name not in self._fonts:
            path = self.directory / FONT_FILES[name]
            if not path.is_file():
                raise UnknownFont("fontstack", f"font file {path} is missing: run `make install` (npm ci)")
            self._fonts[name] = Font(path)
        return self._fonts[name]

    def glyph_range(self, fontstack: str, start: int) -> bytes:
        """The glyphs PBF for code points start..start+255; each from the first font of the
        comma-separated stack that has it. Names we do not serve are skipped."""
        if start < 0 or start > MAX_CODE_POINT or start % RANGE_SIZE:
            raise RequestError("range", f"must be a multiple of {RANGE_SIZE} from 0 to {MAX_CODE_POINT - RANGE_SIZE + 1}")
        known = tuple(dict.fromkeys(name.strip() for name in fontstack.split(",") if name.strip() in FONT_FILES))
        if not known:
            raise UnknownFont("fontstack", f"no font of {fontstack!r} is served; fonts: {', '.join(FONT_FILES)}")
        return self._render(known, start)

    def _render_range(self, names: tuple[str, ...], start: int) -> bytes:
        glyphs = []
        with self._lock:
            fonts = [self.font(name) for name in names]
            for code_point in range(start, start + RANGE_SIZE):
                font = next((f for f in fonts if f.has(code_point)), None)
                if font is not None:
                    glyphs.append(font.glyph(code_point))
        return encode_glyphs(",".join(names), f"{start}-{start + RANGE_SIZE - 1}", glyphs)


def parse_range(text: str) -> int:
    """The start of a `{start}-{end}` range as MapLibre asks for it."""
    start, _, end = text.partition("-")
    if not (start.isdigit() and end.isdigit()) or int(end) != int(start) + RANGE_SIZE - 1:
        raise RequestError("range", f"{text!r} is not a range of {RANGE_SIZE} code points such as 0-255")
    return int(start)


def encode_glyphs(name: str, code_range: str, glyphs: list[Glyph]) -> bytes:
    """The `glyphs` message: one fontstack (name=1, range=2, glyph=3 repeated)."""
    stack = _field_bytes(1, name.encode()) + _field_bytes(2, code_range.encode())
    stack += b"".join(_field_bytes(3, _glyph_bytes(g)) for g in glyphs)
    return _field_bytes(1, stack)


def _glyph_bytes(g: Glyph) -> bytes:
    """id=1, bitmap=2 (left out when empty), width=3, height=4, left=5, top=6 (sint32), advance=7."""
    out = _field_varint(1, g.code_point)
    if g.bitmap:
        out += _field_bytes(2, g.bitmap)
    out += _field_varint(3, g.width) + _field_varint(4, g.height)
    out += _field_varint(5, zigzag(g.left)) + _field_varint(6, zigzag(g.top)) + _field_varint(7, g.advance)
    return out


def _field_varint(number: int, value: int) -> bytes:
    return bytes([number << 3]) + varint(value)


def _field_bytes(number: int, payload: bytes) -> bytes:
    return length_delimited(number << 3 | 2, payload)
