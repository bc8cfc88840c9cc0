import math

import pytest

from geodata.cells import NotANumber, Status, parse_cell


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1810", (1810.0, Status.ok)),
        ("1.9", (1.9, Status.ok)),
        (367947, (367947.0, Status.ok)),
        ("0", (0.0, Status.ok)),
        (".", (None, Status.secret)),  # CBS Kerncijfers: onbekend/onvoldoende betrouwbaar/geheim
        (-99999999, (None, Status.secret)),  # PDOK layers
        ("-99999999", (None, Status.secret)),
        (-99999997, (None, Status.secret)),
        ("", (None, Status.missing)),
        ("  ", (None, Status.missing)),
        (None, (None, Status.missing)),
        (math.nan, (None, Status.missing)),
    ],
)
def test_markers_keep_their_reason(raw: object, expected: tuple[object, Status]) -> None:
    assert parse_cell(raw) == expected


@pytest.mark.parametrize("raw", ["abc", "12 %", "1,9", "inf", True])
def test_text_that_is_no_number_is_an_error(raw: object) -> None:
    with pytest.raises(NotANumber):
        parse_cell(raw)
