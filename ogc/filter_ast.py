"""The expression tree a CQL2 filter parses into, from either encoding (cql2-text, cql2-json)."""

from __future__ import annotations

from dataclasses import dataclass, fields

import shapely

from geodata.errors import RequestError

COMPARISONS = ("=", "<>", "<", "<=", ">", ">=")
# CQL2's spatial functions by the shapely predicate each names (S_INTERSECTS(a, b) is intersects(a, b)).
SPATIAL = {"s_intersects": "intersects", "s_disjoint": "disjoint", "s_equals": "equals", "s_touches": "touches",
           "s_within": "within", "s_contains": "contains", "s_overlaps": "overlaps", "s_crosses": "crosses"}
MAX_DEPTH = 64  # nesting of brackets and operators: deeper is no filter a person or GIS writes


class InvalidFilter(RequestError):
    """A filter that does not parse, names an unknown property or compares values of different types."""


@dataclass(frozen=True)
class Property:
    name: str
    at: str  # where in the filter: "character 12" (text) or "args[0]" (JSON), for messages


@dataclass(frozen=True)
class Literal:
    value: str | int | float | bool
    at: str


@dataclass(frozen=True)
class Geometry:
    shape: shapely.Geometry  # in filter-crs
    at: str


Scalar = Property | Literal
Operand = Property | Literal | Geometry


@dataclass(frozen=True)
class Compare:
    op: str  # one of COMPARISONS
    left: Scalar
    right: Scalar


@dataclass(frozen=True)
class Between:
    value: Scalar
    low: Scalar
    high: Scalar


@dataclass(frozen=True)
class In:
    value: Scalar
    options: tuple[Scalar, ...]


@dataclass(frozen=True)
class Like:
    value: Scalar
    pattern: Scalar


@dataclass(frozen=True)
class IsNull:
    value: Scalar


@dataclass(frozen=True)
class Spatial:
    predicate: str  # a value of SPATIAL
    left: Operand
    right: Operand


@dataclass(frozen=True)
class Not:
    condition: Condition


@dataclass(frozen=True)
class And:
    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    conditions: tuple[Condition, ...]


Condition = Compare | Between | In | Like | IsNull | Spatial | Not | And | Or | Literal  # a Literal here is TRUE/FALSE


def property_names(node: object) -> list[str]:
    """The properties a condition names, in order of appearance, each once."""
    if isinstance(node, Property):
        return [node.name]
    found: list[str] = []
    children = [getattr(node, f.name) for f in fields(node)] if hasattr(node, "__dataclass_fields__") else []
    for child in children:
        for item in child if isinstance(child, tuple) else [child]:
            found += [name for name in property_names(item) if name not in found]
    return found
