"""Parse one table cell into a value or a reason why there is none.

CBS marks unknown, unreliable or secret figures with '.', PDOK layers with -99999999
(and -99999997); empty cells and nulls mean the figure does not exist. The reason is
kept so a map can tell "CBS geheim" apart from "te weinig inwoners" and "geen gegevens".
"""

from __future__ import annotations

import math
from enum import Enum


class Status(str, Enum):
    ok = "ok"
    secret = "secret"  # CBS: onbekend, onvoldoende betrouwbaar of geheim
    withheld = "withheld"  # wijkmonitor: denominator below the catalog minimum
    missing = "missing"  # not in the source, empty cell, or logically impossible


class NotANumber(ValueError):
    """A cell holds text that is neither a number nor a known missing-value marker."""


_SENTINELS = {-99999999.0, -99999998.0, -99999997.0}
_SECRET_TEXT = {".", "x", "?"}


def parse_cell(raw: object) -> tuple[float | None, Status]:
    """A numeric value with Status.ok, or None with the reason it is missing."""
    if raw is None:
        return None, Status.missing
    if isinstance(raw, bool):
        raise NotANumber(repr(raw))
    if isinstance(raw, (int, float)):
        value = float(raw)
        if math.isnan(value):
            return None, Status.missing
        if value in _SENTINELS:
            return None, Status.secret
        return value, Status.ok
    text = str(raw).strip()
    if text == "" or text.lower() in {"nan", "null", "none"}:
        return None, Status.missing
    if text in _SECRET_TEXT:
        return None, Status.secret
    try:
        value = float(text)
    except ValueError:
        raise NotANumber(text) from None
    if math.isnan(value) or math.isinf(value):
        raise NotANumber(text)
    if value in _SENTINELS:
        return None, Status.secret
    return value, Status.ok
