"""Reading query parameters into typed values; a bad value names its parameter (HTTP 400)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from geodata.errors import RequestError

MAX_ABS = 1e15  # far beyond any figure, and small enough that x + 1 != x


def int_param(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise RequestError(name, f"{name} must be a whole number, not {raw!r}") from None


def floats_param(params: Mapping[str, str], name: str) -> tuple[float, ...]:
    raw = params.get(name)
    if not raw:
        return ()
    try:
        numbers = tuple(float(part) for part in raw.split(","))
    except ValueError:
        raise RequestError(name, f"{name} must be comma-separated numbers, not {raw!r}") from None
    # float() reads "nan", "inf" and 1e309 (= inf): none of them is a class break, and JSON cannot carry them.
    if not all(math.isfinite(n) and abs(n) <= MAX_ABS for n in numbers):
        raise RequestError(name, f"{name} must be finite numbers between -{MAX_ABS:g} and {MAX_ABS:g}, not {raw!r}")
    return numbers


def bool_param(params: Mapping[str, str], name: str) -> bool:
    raw = (params.get(name) or "false").lower()
    if raw not in ("true", "false", "1", "0", "yes", "no"):
        raise RequestError(name, f"{name} must be true or false, not {raw!r}")
    return raw in ("true", "1", "yes")


def list_param(params: Mapping[str, str], name: str) -> list[str]:
    raw = params.get(name)
    if raw is None:
        return []
    return list(dict.fromkeys(part.strip() for part in raw.split(",") if part.strip()))


def bounded_int_param(params: Mapping[str, str], name: str, low: int, default: int, high: int, what: str = "") -> int:
    """A whole number between low and high (inclusive), or the default when absent; 0 is a value, not absence."""
    value = int_param(params, name)
    if value is None:
        return default
    if not low <= value <= high:
        raise RequestError(name, f"{what or name} must be between {low} and {high}, not {value}")
    return value
