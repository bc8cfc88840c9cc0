"""Reading query parameters into typed values; a bad value names its parameter (HTTP 400)."""

from __future__ import annotations

from collections.abc import Mapping

from geodata.errors import RequestError


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
        return tuple(float(part) for part in raw.split(","))
    except ValueError:
        raise RequestError(name, f"{name} must be comma-separated numbers, not {raw!r}") from None


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
