"""Parse one table cell into a value or a reason why there is none.

CBS marks unknown, unreliable or secret figures with '.' (KWB, StatLine) and PDOK layers
with -99999999 or, from 2022 on, -99997 (geheim of niet aanwezig), -99995 (wordt later
gepubliceerd) and -99991 (niet meer gepubliceerd). Empty cells, nulls and a key absent
from a GeoJSON feature mean the figure is not in the source. The reason is kept so a map
can tell "CBS geheim" apart from "te weinig inwoners" and "geen gegevens".
"""

from __future__ import annotations

import math
from enum import Enum


class Status(str, Enum):
    ok = "ok"
    secret = "secret"  # CBS: onbekend, onvoldoende betrouwbaar of geheim
    withheld = "withheld"  # wijkmonitor: denominator below the catalog minimum
    protected = "protected"  # wijkmonitor: published, it would reveal a withheld figure
    missing = "missing"  # not in the source, empty cell, or logically impossible
    later = "later"  # PDOK -99995: CBS publishes it later
    discontinued = "discontinued"  # PDOK -99991: CBS no longer publishes it


# Figures wijkmonitor does not publish (grey on the map): too few people, or to protect such a figure.
NOT_PUBLISHED = (Status.withheld.value, Status.protected.value)

# What each status means, in Dutch: one text for the API, tiles, legends and the viewer.
STATUS_TEXT = {
    Status.ok.value: "gepubliceerd cijfer",
    Status.secret.value: "CBS publiceert dit cijfer niet: onbekend, onvoldoende betrouwbaar of geheim",
    Status.withheld.value: "niet gepubliceerd: te weinig personen om een betrouwbaar en niet-herleidbaar cijfer te tonen",
    Status.protected.value: "niet gepubliceerd om een ander cijfer te beschermen: hiermee zou een cijfer over te weinig personen te berekenen zijn",
    Status.missing.value: "geen gegevens in de bron",
    Status.later.value: "CBS publiceert dit cijfer later",
    Status.discontinued.value: "CBS publiceert dit cijfer niet meer",
}

class NotANumber(ValueError):
    """A cell holds text that is neither a number nor a known missing-value marker."""


_SENTINELS = {
    -99999999.0: Status.secret, -99999998.0: Status.secret, -99999997.0: Status.secret,
    -99997.0: Status.secret, -99995.0: Status.later, -99991.0: Status.discontinued,
}
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
            return None, _SENTINELS[value]
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
        return None, _SENTINELS[value]
    return value, Status.ok
