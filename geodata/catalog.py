"""The indicator catalog: what each indicator and group means and how to derive it."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geodata.errors import InputError, UnknownGroup, UnknownIndicator

DEFAULT_CATALOG = Path(__file__).with_name("indicators.toml")
HIGHER_IS = ("better", "worse", "neutral")


@dataclass(frozen=True)
class Group:
    id: str
    dimension: str
    title: dict[str, str]
    note: str | None = None


@dataclass(frozen=True)
class SourceMapping:
    """How one indicator is derived from the columns of one wide table schema."""

    groups: dict[str, str]
    denominator: tuple[str, ...] = ()
    scale: float | None = None


@dataclass(frozen=True)
class Indicator:
    id: str
    title: dict[str, str]
    theme: str
    unit: str
    definition: str
    source: str
    years: tuple[int, ...]
    higher_is: str
    min_denominator: float
    decimals: int
    sources: dict[str, SourceMapping] = field(default_factory=dict)
    # What a figure can be; a value outside is named in the build report (e.g. a share above 100 %).
    value_range: tuple[float, float] = (0.0, math.inf)

    @property
    def groups(self) -> tuple[str, ...]:
        """Every group any source can deliver, in catalog order of first appearance."""
        seen: dict[str, None] = {}
        for mapping in self.sources.values():
            seen.update(dict.fromkeys(mapping.groups))
        return tuple(seen)


@dataclass(frozen=True)
class Catalog:
    path: str
    text: str
    themes: tuple[str, ...]
    groups: dict[str, Group]
    indicators: dict[str, Indicator]

    def indicator(self, indicator_id: str) -> Indicator:
        try:
            return self.indicators[indicator_id]
        except KeyError:
            raise UnknownIndicator(
                "indicators", f"unknown indicator {indicator_id!r}; known: {', '.join(self.indicators)}"
            ) from None

    def group(self, group_id: str) -> Group:
        try:
            return self.groups[group_id]
        except KeyError:
            raise UnknownGroup(
                "group", f"unknown group {group_id!r}; known: {', '.join(self.groups)}"
            ) from None

    def as_json(self) -> dict[str, Any]:
        """The catalog as plain JSON for the API."""
        return {
            "themes": list(self.themes),
            "groups": {
                g.id: {"dimension": g.dimension, "title": g.title, "note": g.note}
                for g in self.groups.values()
            },
            "indicators": {
                i.id: {
                    "title": i.title,
                    "theme": i.theme,
                    "unit": i.unit,
                    "definition": i.definition,
                    "source": i.source,
                    "years": list(i.years),
                    "groups": list(i.groups),
                    "higher_is": i.higher_is,
                    "min_denominator": i.min_denominator,
                    "decimals": i.decimals,
                }
                for i in self.indicators.values()
            },
        }


def load_catalog(path: str | Path = DEFAULT_CATALOG) -> Catalog:
    """Read and check a catalog TOML file; every problem names the file and the entry."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot read catalog: {exc}") from exc
    return parse_catalog(text, path)


def parse_catalog(text: str, path: str | Path) -> Catalog:
    """Check catalog TOML text; `path` only names its origin in errors."""
    path = Path(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, f"not valid TOML: {exc}") from exc

    themes = tuple(raw.get("themes", ()))
    groups = {
        gid: Group(
            id=gid,
            dimension=_required(path, f"groups.{gid}", g, "dimension"),
            title=_required(path, f"groups.{gid}", g, "title"),
            note=g.get("note"),
        )
        for gid, g in raw.get("groups", {}).items()
    }
    indicators = {
        iid: _indicator(path, iid, spec, themes, groups)
        for iid, spec in raw.get("indicators", {}).items()
    }
    if not indicators:
        raise InputError(path, "the catalog defines no indicators")
    return Catalog(str(path), text, themes, groups, indicators)


def _indicator(
    path: Path, iid: str, spec: dict[str, Any], themes: tuple[str, ...], groups: dict[str, Group]
) -> Indicator:
    entry = f"indicators.{iid}"
    if not iid.isidentifier() or not iid.isascii():
        raise InputError(path, f"{entry}: indicator ids must be ASCII identifiers (they become attribute names)")
    theme = _required(path, entry, spec, "theme")
    if theme not in themes:
        raise InputError(path, f"{entry}: theme {theme!r} is not one of {list(themes)}")
    higher_is = spec.get("higher_is", "neutral")
    if higher_is not in HIGHER_IS:
        raise InputError(path, f"{entry}: higher_is must be one of {HIGHER_IS}, not {higher_is!r}")
    sources: dict[str, SourceMapping] = {}
    for schema, mapping in spec.get("sources", {}).items():
        unknown = [g for g in mapping.get("groups", {}) if g not in groups]
        if unknown:
            raise InputError(path, f"{entry}.sources.{schema}: unknown group(s) {unknown}")
        denominator = mapping.get("denominator", ())
        sources[schema] = SourceMapping(
            groups=dict(mapping.get("groups", {})),
            denominator=(denominator,) if isinstance(denominator, str) else tuple(denominator),
            scale=mapping.get("scale"),
        )
    unit = _required(path, entry, spec, "unit")
    value_range = spec.get("range", [0, 100 if unit == "%" else math.inf])
    if not (isinstance(value_range, list) and len(value_range) == 2 and value_range[0] < value_range[1]):
        raise InputError(path, f"{entry}: range must be [lowest, highest], not {value_range!r}")
    return Indicator(
        id=iid,
        title=_required(path, entry, spec, "title"),
        theme=theme,
        unit=unit,
        definition=_required(path, entry, spec, "definition"),
        source=_required(path, entry, spec, "source"),
        years=tuple(spec.get("years", ())),
        higher_is=higher_is,
        min_denominator=float(spec.get("min_denominator", 0)),
        decimals=int(spec.get("decimals", 1)),
        sources=sources,
        value_range=(float(value_range[0]), float(value_range[1])),
    )


def _required(path: Path, entry: str, spec: dict[str, Any], key: str) -> Any:
    if key not in spec:
        raise InputError(path, f"{entry}: missing {key!r}")
    return spec[key]
