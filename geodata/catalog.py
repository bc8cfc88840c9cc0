"""The indicator catalog: what each indicator and group means and how to derive it."""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from geodata.cells import STATUS_TEXT, Status
from geodata.errors import InputError, UnknownGroup, UnknownIndicator
from geodata.regions import REGION_FACTS

DEFAULT_CATALOG = Path(__file__).with_name("indicators.toml")
HIGHER_IS = ("better", "worse", "neutral")
KINDS = ("count", "composition", "outcome")
CROSSTAB_FORMAT = "crosstab"
SCHEMA_FORMATS = ("wide", "statline", CROSSTAB_FORMAT)
TOTAL_GROUP = "totaal"


@dataclass(frozen=True)
class Schema:
    """The column names of one family of published files (a KWB release, PDOK layers of some
    years, a StatLine table), and the years they were published in."""

    id: str
    title: str
    format: str
    years: tuple[int, int]
    code: tuple[str, ...]
    name: tuple[str, ...] = ()
    table: str | None = None  # StatLine table id, e.g. 85984NED
    # crosstab: dimension column -> published value (spaces collapsed) -> group, e.g. GESLACHT: M -> man
    cells: dict[str, dict[str, str]] = field(default_factory=dict)
    method: str | None = None  # crosstab: how a figure over several cells is computed, in Dutch

    def years_text(self) -> str:
        first, last = self.years
        return str(first) if first == last else f"{first}-{last}"


@dataclass(frozen=True)
class Group:
    id: str
    dimension: str
    title: dict[str, str]
    note: str | None = None


Alternatives = tuple[str, ...]  # names of one column in successive releases; the first present is used


@dataclass(frozen=True)
class SourceMapping:
    """How one indicator is derived from the columns of one schema."""

    groups: dict[str, Alternatives]  # group -> numerator column (or, with `dimension`, a dimension value)
    denominator: tuple[Alternatives, ...] = ()  # summed
    scale: float | None = None
    where: dict[str, str] = field(default_factory=dict)  # StatLine: keep rows with these dimension values
    dimension: str | None = None  # StatLine: groups are values of this column ...
    measure: str | None = None  # ... and the figure is in this one

    numerator: tuple[Alternatives, ...] = ()  # crosstab: summed ...
    per: Alternatives = ()  # ... and divided by this column (absent: the sum is the figure)

    def columns(self) -> set[str]:
        """Every column name this mapping can read (lower case), to recognise a file's schema."""
        names = [a for alts in (*self.denominator, *self.numerator, self.per) for a in alts]
        if self.dimension:
            names += [self.dimension, self.measure or ""]
        else:
            names += [a for alts in self.groups.values() for a in alts]
        return {n.lower() for n in names if n}


@dataclass(frozen=True)
class Ratio:
    """How wijkmonitor may compute an indicator from two others when no source gives it:
    scale * numerator / denominator, both figures of the same region and year."""

    numerator: str
    denominator: str
    scale: float = 1.0
    denominator_group: str | None = None  # e.g. "totaal" for crimes of one kind per 1,000 inhabitants; None: the same group
    numerator_group: str | None = None  # e.g. "hh_eenpersoons" for the share of one-person households; None: the same group
    # False: the source's own definition differs slightly (an average population, say), so wijkmonitor
    # does not compute the figure, but still protects it: a withheld figure may not be re-derivable.
    compute: bool = True

    def method(self, catalog: Catalog) -> str:
        """The method in Dutch, as served with each computed figure."""
        num = catalog.indicators[self.numerator].title["nl"].lower()
        den = catalog.indicators[self.denominator].title["nl"].lower()
        per = f" × {self.scale:,.0f}".replace(",", ".") if self.scale != 1 else ""
        return f"berekend: {num} gedeeld door {den}{per}, van dezelfde regio en hetzelfde jaar"


@dataclass(frozen=True)
class Sum:
    """Groups that add up: for a count, the figure of `whole` is the sum of those of `parts`;
    for a composition share, the parts' shares add up to the whole's (100 for totaal)."""

    whole: str
    parts: tuple[str, ...]


@dataclass(frozen=True)
class Indicator:
    id: str
    title: dict[str, str]
    theme: str
    unit: str
    definition: str
    source: str
    higher_is: str
    min_denominator: float
    decimals: int
    sources: dict[str, SourceMapping] = field(default_factory=dict)
    # What a figure can be; a value outside is named in the build report (e.g. a share above 100 %).
    value_range: tuple[float, float] = (0.0, math.inf)
    kind: str = "outcome"  # count, composition (a group's share: neutral, never ranked) or outcome
    denominator_unit: str = "personen"  # what min_denominator counts
    cbs_rule: str | None = None  # CBS's own publication rule, as CBS words it
    note: str | None = None
    ratio: Ratio | None = None  # computed from two other indicators where no source gives it
    # A count is never compared as it is (two regions' counts differ with their size): this names the
    # indicator that gives it per 1.000 inwoners, which profiles compare instead; None: not compared.
    compare: str | None = None

    def status_text(self, status: str) -> str:
        """Why a figure of this indicator has no value, in Dutch, naming what its denominator counts."""
        if status == Status.withheld.value and self.min_denominator > 0:
            minimum = f"{self.min_denominator:,.0f}".replace(",", ".")
            return (
                # An unknown denominator (secret, absent) is withheld too: nothing shows the figure is safe.
                f"niet gepubliceerd: minder dan {minimum} {self.denominator_unit} in de noemer, of hun aantal is "
                "onbekend: te weinig, of niet na te gaan of het genoeg is, voor een betrouwbaar cijfer dat niet tot "
                "personen te herleiden is"
            )
        return STATUS_TEXT.get(status, status)

    @property
    def composition(self) -> bool:
        """A group's share of the population (or of dwellings): shown neutrally, never ranked."""
        return self.kind == "composition"

    @property
    def groups(self) -> tuple[str, ...]:
        """Every group any source can deliver, in catalog order of first appearance."""
        seen: dict[str, None] = {}
        for mapping in self.sources.values():
            seen.update(dict.fromkeys(mapping.groups))
        return tuple(seen)


@dataclass(frozen=True)
class RegionFact:
    """A fact per region and year that is not a figure (CBS's indelingswijziging), read from
    wide tables beside the figures and kept with the regions."""

    id: str
    title: str
    source: str
    columns: dict[str, Alternatives]  # schema -> column
    codes: dict[int, str] = field(default_factory=dict)  # value -> its meaning, as CBS writes it
    note: str | None = None


@dataclass(frozen=True)
class Break:
    """Where a series of figures cannot be read across two years: a definition CBS changed in
    `year` for groups of some dimensions, or a region whose region fact holds one of `codes`."""

    id: str  # the kind: herkomst, indeling
    text: str  # Dutch, for every figure the break lies before
    year: int | None = None
    dimensions: tuple[str, ...] = ()
    region_fact: str | None = None
    codes: dict[int, str] = field(default_factory=dict)  # fact value that means a break -> its Dutch text

    def as_json(self) -> dict[str, Any]:
        if self.region_fact:
            return {"text": self.text, "region_fact": self.region_fact, "codes": {str(c): t for c, t in self.codes.items()}}
        return {"text": self.text, "year": self.year, "dimensions": list(self.dimensions)}


@dataclass(frozen=True)
class Catalog:
    path: str
    text: str
    themes: tuple[str, ...]
    groups: dict[str, Group]
    indicators: dict[str, Indicator]
    schemas: dict[str, Schema] = field(default_factory=dict)
    region_facts: dict[str, RegionFact] = field(default_factory=dict)
    breaks: dict[str, Break] = field(default_factory=dict)
    sums: tuple[Sum, ...] = ()
    dimensions: dict[str, str] = field(default_factory=dict)  # dimension -> Dutch title

    def dimension_title(self, dimension: str) -> str:
        """A catalog without [dimensions] still gets readable headings: 'burgerlijke_staat' -> 'Burgerlijke staat'."""
        return self.dimensions.get(dimension) or dimension.replace("_", " ").capitalize()

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

    def schema_columns(self, schema: str) -> frozenset[str]:
        """Every column (lower case) the catalog reads from files of a schema."""
        return self._columns_by_schema.get(schema, frozenset())

    def region_fact_columns(self, schema: str) -> dict[str, Alternatives]:
        """Region fact -> its column in files of a schema."""
        return {f.id: f.columns[schema] for f in self.region_facts.values() if schema in f.columns}

    def schema_for_table(self, table_id: str) -> Schema | None:
        """The schema of a StatLine table (85984NED), if the catalog has one."""
        return next((s for s in self.schemas.values() if s.table and s.table == table_id.upper()), None)

    @cached_property
    def _columns_by_schema(self) -> dict[str, frozenset[str]]:
        found: dict[str, set[str]] = {}
        for indicator in self.indicators.values():
            for schema, mapping in indicator.sources.items():
                found.setdefault(schema, set()).update(mapping.columns())
        return {schema: frozenset(columns) for schema, columns in found.items()}

    @cached_property
    def column_owners(self) -> dict[str, tuple[str, str]]:
        """Every column a mapping names (lower case) -> (as written, "indicator, schema id"), first owner wins."""
        owners: dict[str, tuple[str, str]] = {}
        for indicator in self.indicators.values():
            for schema, mapping in indicator.sources.items():
                for alternatives in (*mapping.groups.values(), *mapping.denominator, *mapping.numerator, mapping.per):
                    for name in alternatives:
                        owners.setdefault(name.lower(), (name, f"{indicator.id}, schema {schema}"))
        return owners

    def as_json(self, years: dict[str, list[int]] | None = None) -> dict[str, Any]:
        """The catalog as plain JSON for the API; `years` per indicator come from the data served."""
        years = years or {}
        return {
            "themes": list(self.themes),
            "groups": {
                g.id: {"dimension": g.dimension, "title": g.title, "note": g.note}
                for g in self.groups.values()
            },
            "dimensions": {
                d: {"title": {"nl": self.dimension_title(d)}} for d in dict.fromkeys(g.dimension for g in self.groups.values())
            },
            "indicators": {
                i.id: {
                    "title": i.title,
                    "theme": i.theme,
                    "unit": i.unit,
                    "definition": i.definition,
                    "source": i.source,
                    "years": years.get(i.id, []),
                    "groups": list(i.groups),
                    "kind": i.kind,
                    "compare": i.compare,
                    "higher_is": i.higher_is,
                    "min_denominator": i.min_denominator,
                    "denominator_unit": i.denominator_unit,
                    "cbs_rule": i.cbs_rule,
                    "note": i.note,
                    "decimals": i.decimals,
                    "schemas": list(i.sources),
                    "computed_as": i.ratio.method(self) if i.ratio and i.ratio.compute else None,
                    "ratio": None if i.ratio is None else {
                        "numerator": i.ratio.numerator, "numerator_group": i.ratio.numerator_group,
                        "denominator": i.ratio.denominator, "denominator_group": i.ratio.denominator_group,
                        "scale": i.ratio.scale, "computed": i.ratio.compute,
                    },
                }
                for i in self.indicators.values()
            },
            "schemas": {
                s.id: {"title": s.title, "format": s.format, "years": list(s.years), "table": s.table}
                for s in self.schemas.values()
            },
            "region_facts": {
                f.id: {
                    "title": f.title, "source": f.source, "note": f.note,
                    "columns": {s: list(c) for s, c in f.columns.items()}, "codes": {str(c): t for c, t in f.codes.items()},
                }
                for f in self.region_facts.values()
            },
            "breaks": {b.id: b.as_json() for b in self.breaks.values()},
            # Groups that add up, which disclosure control protects against (see geodata/disclosure.py).
            "sums": [{"whole": t.whole, "parts": list(t.parts)} for t in self.sums],
        }


def cell_value(value: object) -> str:
    """A dimension value as compared: Vektis pads its age bands (' 0 t/m  4 jaar')."""
    return " ".join(str(value).split())


def cross_group(parts: Sequence[str]) -> str:
    """The group of a combination of dimension groups: (man, leeftijd_0_4) -> man_leeftijd_0_4; () -> totaal."""
    return "_".join(parts) or TOTAL_GROUP


def cross_groups(cells: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Every group a crosstab gives -> the dimension groups it is fixed to, coarsest first: totaal
    (all cells), man (every age band of one sex), ..., man_leeftijd_0_4 (one cell)."""
    columns = list(cells)
    result: dict[str, dict[str, str]] = {}
    for size in range(len(columns) + 1):
        for fixed in itertools.combinations(columns, size):
            for parts in itertools.product(*(dict.fromkeys(cells[c].values()) for c in fixed)):
                result[cross_group(parts)] = dict(zip(fixed, parts))
    return result


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
    schemas = {sid: _schema(path, sid, spec, groups) for sid, spec in raw.get("schemas", {}).items()}
    indicators = {
        iid: _indicator(path, iid, spec, themes, groups, schemas)
        for iid, spec in raw.get("indicators", {}).items()
    }
    if not indicators:
        raise InputError(path, "the catalog defines no indicators")
    for indicator in indicators.values():
        _check_ratio(path, indicator, indicators, groups)
        _check_compare(path, indicator, indicators)
    facts = {fid: _region_fact(path, fid, spec, schemas) for fid, spec in raw.get("region_facts", {}).items()}
    breaks = {bid: _break(path, bid, spec, groups, facts) for bid, spec in raw.get("breaks", {}).items()}
    sums = tuple(_sum(path, n, spec, groups) for n, spec in enumerate(raw.get("sums", []), start=1))
    dimensions = raw.get("dimensions", {})
    if not isinstance(dimensions, dict) or not all(isinstance(t, str) and t for t in dimensions.values()):
        raise InputError(path, "dimensions: give each dimension's Dutch title as text, e.g. geslacht = \"Geslacht\"")
    return Catalog(str(path), text, themes, groups, indicators, schemas, facts, breaks, sums, dimensions)


def _check_compare(path: Path, indicator: Indicator, indicators: dict[str, Indicator]) -> None:
    if indicator.compare is None:
        return
    entry = f"indicators.{indicator.id}"
    if indicator.kind != "count":
        raise InputError(path, f"{entry}: compare is for counts (kind = \"count\"), which are not compared as they are")
    other = indicators.get(indicator.compare)
    if other is None or other.ratio is None or other.ratio.numerator != indicator.id:
        raise InputError(
            path, f"{entry}: compare must name an indicator whose ratio has numerator = \"{indicator.id}\", not {indicator.compare!r}"
        )


def _sum(path: Path, n: int, spec: Any, groups: dict[str, Group]) -> Sum:
    entry = f"sums[{n}]"
    if not isinstance(spec, dict) or set(spec) != {"whole", "parts"}:
        raise InputError(path, f"{entry}: give whole (a group) and parts (the groups that add up to it)")
    parts = _names(path, entry, "parts", spec["parts"])
    unknown = [g for g in (spec["whole"], *parts) if g not in groups]
    if unknown or len(parts) < 2 or spec["whole"] in parts:
        raise InputError(path, f"{entry}: whole and at least two other parts must be known groups; unknown: {unknown}")
    return Sum(spec["whole"], parts)


def _schema(path: Path, sid: str, spec: dict[str, Any], groups: dict[str, Group]) -> Schema:
    entry = f"schemas.{sid}"
    fmt = spec.get("format", "wide")
    if fmt not in SCHEMA_FORMATS:
        raise InputError(path, f"{entry}: format must be one of {SCHEMA_FORMATS}, not {fmt!r}")
    years = _required(path, entry, spec, "years")
    if not (isinstance(years, list) and len(years) == 2 and all(isinstance(y, int) for y in years) and years[0] <= years[1]):
        raise InputError(path, f"{entry}: years must be [first, last], not {years!r}")
    code = _names(path, entry, "code", _required(path, entry, spec, "code"))
    cells = _cells(path, entry, spec, groups) if fmt == CROSSTAB_FORMAT else {}
    method = _required(path, entry, spec, "method") if fmt == CROSSTAB_FORMAT else None
    return Schema(
        id=sid, title=_required(path, entry, spec, "title"), format=fmt, years=(years[0], years[1]),
        code=code, name=_names(path, entry, "name", spec.get("name", [])), table=spec.get("table"),
        cells=cells, method=method,
    )


def _cells(path: Path, entry: str, spec: dict[str, Any], groups: dict[str, Group]) -> dict[str, dict[str, str]]:
    """A crosstab's dimensions; every group its cells and sums of cells give must be a catalog group."""
    raw = _required(path, entry, spec, "cells")
    if not (isinstance(raw, dict) and raw and all(isinstance(v, dict) and v for v in raw.values())):
        raise InputError(path, f"{entry}: cells must map each dimension column to {{value = group, ...}}")
    cells = {str(column): {cell_value(v): str(g) for v, g in values.items()} for column, values in raw.items()}
    unknown = [g for g in cross_groups(cells) if g not in groups]
    if unknown:
        raise InputError(path, f"{entry}: the cells give group(s) the catalog lacks: {', '.join(unknown[:8])}; add them under [groups]")
    return cells


def _region_fact(path: Path, fid: str, spec: dict[str, Any], schemas: dict[str, Schema]) -> RegionFact:
    entry = f"region_facts.{fid}"
    if fid not in REGION_FACTS:
        raise InputError(path, f"{entry}: the store keeps only the region facts {list(REGION_FACTS)}, not {fid!r}")
    columns = _required(path, entry, spec, "columns")
    if not isinstance(columns, dict) or not columns:
        raise InputError(path, f"{entry}: columns must be a table schema -> column, not {columns!r}")
    unknown = [s for s in columns if s not in schemas]
    if unknown:
        raise InputError(path, f"{entry}.columns: unknown schema(s) {unknown}; known: {', '.join(schemas)}")
    return RegionFact(
        id=fid, title=_required(path, entry, spec, "title"), source=_required(path, entry, spec, "source"),
        columns={s: _alternatives(path, f"{entry}.columns", c) for s, c in columns.items()},
        codes=_codes(path, entry, spec.get("codes", {})), note=spec.get("note"),
    )


def _break(path: Path, bid: str, spec: dict[str, Any], groups: dict[str, Group], facts: dict[str, RegionFact]) -> Break:
    entry = f"breaks.{bid}"
    if not bid.isidentifier() or not bid.isascii():
        raise InputError(path, f"{entry}: break ids must be ASCII identifiers (they are the kind shown in tiles)")
    text = _required(path, entry, spec, "text")
    if "region_fact" in spec:
        fact = spec["region_fact"]
        if fact not in facts:
            raise InputError(path, f"{entry}: unknown region fact {fact!r}; define it under [region_facts.{fact}]")
        codes = _codes(path, entry, _required(path, entry, spec, "codes"))
        unknown_codes = sorted(set(codes) - set(facts[fact].codes)) if facts[fact].codes else []
        if unknown_codes or not codes:
            raise InputError(path, f"{entry}: codes must be some of the codes of region_facts.{fact} ({sorted(facts[fact].codes)}), not {unknown_codes or 'none'}")
        return Break(id=bid, text=text, region_fact=fact, codes=codes)
    year = _required(path, entry, spec, "year")
    if not isinstance(year, int) or isinstance(year, bool):
        raise InputError(path, f"{entry}: year must be the first year of the new definition, not {year!r}")
    dimensions = _names(path, entry, "dimensions", _required(path, entry, spec, "dimensions"))
    known = sorted({g.dimension for g in groups.values()})
    unknown = [d for d in dimensions if d not in known]
    if unknown:
        raise InputError(path, f"{entry}: unknown group dimension(s) {unknown}; known: {', '.join(known)}")
    return Break(id=bid, text=text, year=year, dimensions=dimensions)


def _codes(path: Path, entry: str, value: Any) -> dict[int, str]:
    """A table of integer codes (TOML keys are text) -> Dutch text."""
    if not isinstance(value, dict) or not all(str(k).isdigit() and isinstance(v, str) and v for k, v in value.items()):
        raise InputError(path, f"{entry}: codes must be a table of whole numbers -> text, not {value!r}")
    return {int(k): v for k, v in value.items()}


def _names(path: Path, entry: str, key: str, value: Any) -> tuple[str, ...]:
    names = [value] if isinstance(value, str) else value
    if not (isinstance(names, list) and all(isinstance(n, str) and n for n in names)):
        raise InputError(path, f"{entry}: {key} must be a column name or a list of them, not {value!r}")
    return tuple(names)


def _alternatives(path: Path, entry: str, value: Any) -> Alternatives:
    if not isinstance(value, str) or not value.strip("| "):
        raise InputError(path, f"{entry}: a column must be a name (alternatives separated by '|'), not {value!r}")
    return tuple(a.strip() for a in value.split("|") if a.strip())


def _indicator(
    path: Path, iid: str, spec: dict[str, Any], themes: tuple[str, ...], groups: dict[str, Group], schemas: dict[str, Schema]
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
    kind = spec.get("kind", "outcome")
    if kind not in KINDS:
        raise InputError(path, f"{entry}: kind must be one of {KINDS}, not {kind!r}")
    if kind == "composition" and higher_is != "neutral":
        raise InputError(path, f"{entry}: a composition figure (a group's share) is neutral: higher_is = \"neutral\"")
    min_denominator = float(spec.get("min_denominator", 0))
    sources: dict[str, SourceMapping] = {}
    for schema, mapping in spec.get("sources", {}).items():
        where = f"{entry}.sources.{schema}"
        if schema not in schemas:
            raise InputError(path, f"{where}: unknown schema {schema!r}; define it under [schemas.{schema}]")
        unknown = [g for g in mapping.get("groups", {}) if g not in groups]
        if unknown:
            raise InputError(path, f"{where}: unknown group(s) {unknown}")
        denominator = mapping.get("denominator", [])
        denominator = [denominator] if isinstance(denominator, str) else denominator
        if min_denominator > 0 and not denominator:
            raise InputError(path, f"{where}: min_denominator needs a denominator column to check it against")
        if ("dimension" in mapping) != ("measure" in mapping):
            raise InputError(path, f"{where}: give dimension and measure together")
        if schemas[schema].format == CROSSTAB_FORMAT:
            sources[schema] = _crosstab_mapping(path, where, mapping, schemas[schema], denominator)
            continue
        if "numerator" in mapping or "per" in mapping:
            raise InputError(path, f"{where}: numerator and per are for crosstab schemas; map columns with groups")
        sources[schema] = SourceMapping(
            groups={g: _alternatives(path, where, c) for g, c in mapping.get("groups", {}).items()},
            denominator=tuple(_alternatives(path, where, c) for c in denominator),
            scale=mapping.get("scale"),
            where={str(k): str(v) for k, v in mapping.get("where", {}).items()},
            dimension=mapping.get("dimension"),
            measure=mapping.get("measure"),
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
        higher_is=higher_is,
        min_denominator=min_denominator,
        decimals=int(spec.get("decimals", 1)),
        sources=sources,
        value_range=(float(value_range[0]), float(value_range[1])),
        kind=kind,
        denominator_unit=spec.get("denominator_unit", "personen"),
        cbs_rule=spec.get("cbs_rule"),
        note=spec.get("note"),
        ratio=_ratio(path, entry, spec["ratio"]) if "ratio" in spec else None,
        compare=spec.get("compare"),
    )


def _ratio(path: Path, entry: str, spec: Any) -> Ratio:
    if not isinstance(spec, dict) or not {"numerator", "denominator"} <= set(spec) or set(spec) - {
        "numerator", "denominator", "scale", "denominator_group", "numerator_group", "compute"
    }:
        raise InputError(
            path, f"{entry}.ratio: give numerator, denominator and optionally scale, numerator_group, denominator_group, compute"
        )
    scale = spec.get("scale", 1)
    if not isinstance(scale, (int, float)) or scale <= 0:
        raise InputError(path, f"{entry}.ratio: scale must be a positive number, not {scale!r}")
    if not isinstance(spec.get("compute", True), bool):
        raise InputError(path, f"{entry}.ratio: compute must be true or false")
    return Ratio(
        str(spec["numerator"]), str(spec["denominator"]), float(scale), spec.get("denominator_group"),
        spec.get("numerator_group"), spec.get("compute", True),
    )


def _check_ratio(path: Path, indicator: Indicator, indicators: dict[str, Indicator], groups: dict[str, Group]) -> None:
    ratio = indicator.ratio
    if ratio is None:
        return
    entry = f"indicators.{indicator.id}.ratio"
    for part in (ratio.numerator, ratio.denominator):
        if part not in indicators:
            raise InputError(path, f"{entry}: unknown indicator {part!r}")
        if indicators[part].ratio is not None and indicators[part].ratio.compute:
            raise InputError(path, f"{entry}: {part!r} is itself computed; use indicators a source gives")
    for group in (ratio.denominator_group, ratio.numerator_group):
        if group is not None and group not in groups:
            raise InputError(path, f"{entry}: unknown group {group!r}")


def _crosstab_mapping(path: Path, where: str, mapping: dict[str, Any], schema: Schema, denominator: list[str]) -> SourceMapping:
    """numerator columns (summed), per (divided by), denominator (the publication minimum); the
    groups are the schema's cells and their sums."""
    other = sorted(set(mapping) - {"numerator", "per", "denominator"})
    if other:
        raise InputError(path, f"{where}: a crosstab mapping takes numerator, per and denominator, not {other}; the groups come from the schema's cells")
    numerator = _required(path, where, mapping, "numerator")
    numerator = [numerator] if isinstance(numerator, str) else numerator
    if not (isinstance(numerator, list) and numerator):
        raise InputError(path, f"{where}: numerator must be a column or a list of columns (summed), not {numerator!r}")
    return SourceMapping(
        groups=dict.fromkeys(cross_groups(schema.cells), ()),
        denominator=tuple(_alternatives(path, where, c) for c in denominator),
        numerator=tuple(_alternatives(path, where, c) for c in numerator),
        per=_alternatives(path, where, mapping["per"]) if "per" in mapping else (),
    )


def _required(path: Path, entry: str, spec: dict[str, Any], key: str) -> Any:
    if key not in spec:
        raise InputError(path, f"{entry}: missing {key!r}")
    return spec[key]
