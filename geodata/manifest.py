"""The build manifest: which boundary and indicator files make a dataset, and how to read them.

A manifest is a TOML file (see demo/wijkmonitor.toml). Paths in it are relative to the
manifest itself. Code and name templates use the source columns in braces, so the
gemeente Utrecht's own files (KODE = "0111") join CBS codes with "BU0344{KODE}".
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geodata.catalog import DEFAULT_CATALOG
from geodata.errors import InputError
from geodata.regions import Level

TIDY_FORMAT, STATLINE_FORMAT, AUTO_FORMAT = "tidy", "statline", "auto"
# Besides these, a table's format may name a schema of the catalog (kwb, pdok, pdok_snake ...).


@dataclass(frozen=True)
class BoundarySource:
    file: Path
    level: Level
    years: tuple[int, ...]
    code: str
    name: str | None = None
    layer: str | None = None
    crs: str | None = None
    where: dict[str, Any] = field(default_factory=dict)
    exclude: dict[str, Any] = field(default_factory=dict)  # drop features whose column equals the value
    # Features sharing a code are one region (gemeenten from a wijk layer); otherwise that is an error.
    # Codes of a finer level stand for the region they lie in (a buurt's statcode for its wijk).
    dissolve: bool = False


@dataclass(frozen=True)
class TableSource:
    file: Path
    format: str = AUTO_FORMAT  # tidy, statline, auto (recognise the schema), or a catalog schema id
    year: int | None = None  # of the figures; read from the file when it says (jaar, Perioden, 2023GM0344)
    table: str | None = None  # StatLine table id (85984NED), when the file name does not hold it
    code: str | None = None
    name: str | None = None
    layer: str | None = None
    sheet: str | None = None
    where: dict[str, Any] = field(default_factory=dict)
    # A table that may give no figures (e.g. a first release with every cell "."); others stop the build.
    optional: bool = False


@dataclass(frozen=True)
class Manifest:
    path: str
    title: str
    attribution: str
    catalog: Path
    boundaries: tuple[BoundarySource, ...]
    tables: tuple[TableSource, ...]
    notes: tuple[str, ...] = ()  # what was assumed in making the manifest (e.g. a year from a file name)


def load_manifest(path: str | Path) -> Manifest:
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot read manifest: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, f"not valid TOML: {exc}") from exc
    base = path.parent
    meta = raw.get("dataset", {})
    boundaries = tuple(
        _boundary(path, base, i, spec) for i, spec in enumerate(raw.get("boundaries", []), 1)
    )
    if not boundaries:
        raise InputError(path, "the manifest lists no [[boundaries]]")
    tables = tuple(_table(path, base, i, spec) for i, spec in enumerate(raw.get("indicators", []), 1))
    return Manifest(
        path=str(path),
        title=meta.get("title", path.stem),
        attribution=meta.get("attribution", "Bron: CBS"),
        catalog=(base / meta["catalog"]) if "catalog" in meta else DEFAULT_CATALOG,
        boundaries=boundaries,
        tables=tables,
    )


def _boundary(path: Path, base: Path, i: int, spec: dict[str, Any]) -> BoundarySource:
    entry = f"boundaries #{i}"
    level = _field(path, entry, spec, "level")
    try:
        level = Level(level)
    except ValueError:
        raise InputError(path, f"{entry}: level must be gemeente, wijk or buurt, not {level!r}") from None
    years = spec.get("years", [spec["year"]] if "year" in spec else None)
    if not years or not all(isinstance(y, int) for y in years):
        raise InputError(path, f"{entry}: give the boundary year(s) as years = [2023, ...]")
    dissolve = spec.get("dissolve", False)
    if not isinstance(dissolve, bool):
        raise InputError(path, f"{entry}: dissolve must be true or false, not {dissolve!r}")
    return BoundarySource(
        file=base / _field(path, entry, spec, "file"),
        level=level,
        years=tuple(years),
        code=_field(path, entry, spec, "code"),
        name=spec.get("name"),
        layer=spec.get("layer"),
        crs=spec.get("crs"),
        where=dict(spec.get("where", {})),
        exclude=dict(spec.get("exclude", {})),
        dissolve=dissolve,
    )


def _table(path: Path, base: Path, i: int, spec: dict[str, Any]) -> TableSource:
    entry = f"indicators #{i}"
    fmt = spec.get("format", AUTO_FORMAT)
    if not isinstance(fmt, str) or not fmt:
        raise InputError(path, f"{entry}: format must be tidy, statline, auto or a schema of the catalog, not {fmt!r}")
    if "year" in spec and not isinstance(spec["year"], int):
        raise InputError(path, f"{entry}: year must be a whole number (year = 2023), not {spec['year']!r}")
    optional = spec.get("optional", False)
    if not isinstance(optional, bool):
        raise InputError(path, f"{entry}: optional must be true or false, not {optional!r}")
    return TableSource(
        file=base / _field(path, entry, spec, "file"),
        format=fmt,
        year=spec.get("year"),
        table=spec.get("table"),
        code=spec.get("code"),
        name=spec.get("name"),
        layer=spec.get("layer"),
        sheet=spec.get("sheet"),
        where=dict(spec.get("where", {})),
        optional=optional,
    )


def _field(path: Path, entry: str, spec: dict[str, Any], key: str) -> Any:
    if key not in spec:
        raise InputError(path, f"{entry}: missing {key!r}")
    return spec[key]
