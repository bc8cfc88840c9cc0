"""Label glyphs: the PBFs decode with protobuf's own parser against the glyphs.proto schema that
MapLibre reads, the distance fields put ink where the letters are, and the endpoint answers
MapLibre's requests (and bad ones with a JSON 4xx)."""

from __future__ import annotations

import gzip
from typing import Any

import numpy as np
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from starlette.testclient import TestClient

from styles.glyphs import BORDER, FontLibrary
from tests.conftest import ROOT, error_of

FONTS = ROOT / "node_modules" / "@fontsource" / "dejavu-sans" / "files"
EDGE = 191  # 0.75 of 255: MapLibre's SDF threshold for the outline of a letter


def glyphs_message() -> Any:
    """The `glyphs` message type of MapLibre's glyphs.proto, built at run time (no protoc needed)."""
    T = descriptor_pb2.FieldDescriptorProto
    f = descriptor_pb2.FileDescriptorProto(name="glyphs_test.proto", package="glyphs_test", syntax="proto2")

    def message(name: str, fields: list[tuple[str, int, int, int, str]]) -> None:
        m = f.message_type.add(name=name)
        for field_name, number, kind, label, type_name in fields:
            field = m.field.add(name=field_name, number=number, type=kind, label=label)
            if type_name:
                field.type_name = type_name

    req, opt, rep = T.LABEL_REQUIRED, T.LABEL_OPTIONAL, T.LABEL_REPEATED
    message("glyph", [
        ("id", 1, T.TYPE_UINT32, req, ""), ("bitmap", 2, T.TYPE_BYTES, opt, ""),
        ("width", 3, T.TYPE_UINT32, req, ""), ("height", 4, T.TYPE_UINT32, req, ""),
        ("left", 5, T.TYPE_SINT32, req, ""), ("top", 6, T.TYPE_SINT32, req, ""),
        ("advance", 7, T.TYPE_UINT32, req, ""),
    ])
    message("fontstack", [
        ("name", 1, T.TYPE_STRING, req, ""), ("range", 2, T.TYPE_STRING, req, ""),
        ("glyphs", 3, T.TYPE_MESSAGE, rep, ".glyphs_test.glyph"),
    ])
    message("glyphs", [("stacks", 1, T.TYPE_MESSAGE, rep, ".glyphs_test.fontstack")])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(f)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("glyphs_test.glyphs"))


def decode(body: bytes) -> dict[int, Any]:
    parsed = glyphs_message().FromString(body)
    assert len(parsed.stacks) == 1
    return {g.id: g for g in parsed.stacks[0].glyphs}


def field_of(glyph: Any) -> np.ndarray:
    return np.frombuffer(glyph.bitmap, dtype=np.uint8).reshape(glyph.height + 2 * BORDER, glyph.width + 2 * BORDER)


@pytest.fixture(scope="module")
def latin() -> dict[int, Any]:
    body = FontLibrary(FONTS).glyph_range("DejaVu Sans Book", 0)
    stack = glyphs_message().FromString(body).stacks[0]
    assert (stack.name, stack.range) == ("DejaVu Sans Book", "0-255")
    return decode(body)


def test_range_holds_the_printable_characters_of_dutch_names(latin: dict[int, Any]) -> None:
    for char in "Utrecht 's-Hertogenbosch Mariëndaalstraat Café Oog in Al (Zuid) 1e-2e":
        assert ord(char) in latin, char
    assert all(0 <= code < 256 for code in latin)
    for glyph in latin.values():
        if glyph.width:
            assert len(glyph.bitmap) == (glyph.width + 2 * BORDER) * (glyph.height + 2 * BORDER)
        else:
            assert glyph.bitmap == b""  # MapLibre allocates the empty border itself
    space = latin[ord(" ")]
    assert (space.width, space.height) == (0, 0) and space.advance > 0


def test_letters_sit_on_one_baseline_and_descenders_go_below(latin: dict[int, Any]) -> None:
    def bottom(char: str) -> int:
        return latin[ord(char)].top - latin[ord(char)].height

    assert bottom("A") == bottom("x") == bottom("H")
    assert bottom("g") < bottom("A") and bottom("p") < bottom("A")
    assert latin[ord("A")].top > latin[ord("x")].top  # capitals rise above the x-height
    assert latin[ord("W")].advance > latin[ord("i")].advance


def test_distance_field_is_ink_inside_strokes_and_paper_around_them(latin: dict[int, Any]) -> None:
    i = field_of(latin[ord("l")])  # one vertical stroke
    middle_row = i[i.shape[0] // 2]
    assert middle_row.max() > EDGE and middle_row[0] < EDGE and middle_row[-1] < EDGE
    assert np.all(i[0] < EDGE) and np.all(i[-1] < EDGE)  # the border is outside the letter
    o = field_of(latin[ord("o")])
    assert o[o.shape[0] // 2, o.shape[1] // 2] < EDGE  # the hole of the o
    assert o[o.shape[0] // 2].max() > EDGE


def test_a_stack_takes_each_glyph_from_the_first_font_that_has_it() -> None:
    library = FontLibrary(FONTS)
    bold_first = decode(library.glyph_range("Noto Sans Regular, DejaVu Sans Bold,DejaVu Sans Book", 0))
    book = decode(library.glyph_range("DejaVu Sans Book", 0))
    assert bold_first.keys() == book.keys()
    assert bold_first[ord("m")].advance > book[ord("m")].advance


def test_glyph_endpoint_serves_maplibres_urls(client: TestClient) -> None:
    response = client.get("/fonts/DejaVu%20Sans%20Book/0-255.pbf", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-protobuf"
    assert response.headers["content-encoding"] == "gzip"
    assert ord("A") in decode(response.content)  # httpx has undone the gzip
    plain = client.get("/fonts/DejaVu%20Sans%20Book/256-511.pbf", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert 0x0133 in decode(plain.content)  # ĳ
    with pytest.raises(gzip.BadGzipFile):
        gzip.decompress(plain.content)


@pytest.mark.parametrize(
    ("url", "status", "parameter"),
    [
        ("/fonts/Comic%20Sans/0-255.pbf", 404, "fontstack"),
        ("/fonts/DejaVu%20Sans%20Book/1-255.pbf", 400, "range"),
        ("/fonts/DejaVu%20Sans%20Book/0-511.pbf", 400, "range"),
        ("/fonts/DejaVu%20Sans%20Book/65536-65791.pbf", 400, "range"),
        ("/fonts/DejaVu%20Sans%20Book/a-b.pbf", 400, "range"),
    ],
)
def test_bad_glyph_requests_get_json_errors(client: TestClient, url: str, status: int, parameter: str) -> None:
    assert error_of(client, url) == (status, parameter)
