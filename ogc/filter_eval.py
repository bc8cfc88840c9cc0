"""Which regions of a feature table a CQL2 filter selects, a column at a time (pandas, shapely).

Logic is three-valued, as in CQL2 and SQL: a comparison with a null (a figure that is not published) is
unknown, NOT unknown stays unknown, and only what is true is selected. So `inwoners__totaal < 100` and
`NOT inwoners__totaal >= 100` both leave out the buurten whose figure is withheld."""

from __future__ import annotations

import difflib
import operator
import re
from typing import Any, NoReturn

import numpy as np
import pandas as pd
import shapely

from ogc.filter import Filter
from ogc.filter_ast import (
    And,
    Between,
    Compare,
    Condition,
    Geometry,
    In,
    InvalidFilter,
    IsNull,
    Like,
    Literal,
    Not,
    Or,
    Property,
    Scalar,
    Spatial,
)
from ogc.queryables import STATUSES, kind_of
from ogc.table import FeatureTable

GEOMETRY = "geometry"
OPERATORS = {"=": operator.eq, "<>": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
# predicate(a, b) == SWAPPED[predicate](b, a): the literal goes first, prepared, against every region
SWAPPED = {"intersects": "intersects", "disjoint": "disjoint", "equals": "equals", "touches": "touches",
           "overlaps": "overlaps", "crosses": "crosses", "within": "contains", "contains": "within"}

Truth = pd.api.extensions.ExtensionArray  # a pandas "boolean" array: True, False or <NA> (unknown) per region
Value = tuple[Any, str]  # a column (pandas array) or a literal, with its type: number, string or boolean


def matching(table: FeatureTable, found: Filter) -> np.ndarray:
    """A boolean per region of the table: whether the filter is true for it."""
    truth = Evaluation(table, found.crs).condition(found.condition)
    return truth.to_numpy(dtype=bool, na_value=False)


class Evaluation:
    def __init__(self, table: FeatureTable, crs: str) -> None:
        self.table, self.crs = table, crs
        self.columns: dict[str, Any] = {}

    def constant(self, value: bool) -> Truth:
        return pd.array(np.full(len(self.table), value), dtype="boolean")

    def condition(self, node: Condition) -> Truth:
        match node:
            case And(conditions):
                return self.combine(conditions, operator.and_)
            case Or(conditions):
                return self.combine(conditions, operator.or_)
            case Not(inner):
                return ~self.condition(inner)
            case Literal(value) if isinstance(value, bool):
                return self.constant(value)
            case Compare(op, left, right):
                return self.compare(op, left, right)
            case Between(value, low, high):
                for bound in (value, low, high):
                    if self.scalar(bound)[1] != "number":
                        fail(bound.at, f"BETWEEN compares numbers; {name_of(bound)} is not one")
                return self.compare(">=", value, low) & self.compare("<=", value, high)
            case In(value, options):
                return self.combine([Compare("=", value, option) for option in options], operator.or_)
            case Like(value, pattern):
                return self.like(value, pattern)
            case IsNull(value):
                column, _ = self.scalar(value)
                return self.constant(False) if isinstance(value, Literal) else pd.array(column.isna(), dtype="boolean")
            case Spatial(predicate, left, right):
                return self.spatial(predicate, left, right)
        raise AssertionError(node)  # every kind of node is matched above

    def combine(self, conditions: Any, how: Any) -> Truth:
        truth = self.condition(conditions[0])
        for other in conditions[1:]:
            truth = how(truth, self.condition(other))
        return truth

    def scalar(self, node: Scalar | Geometry) -> Value:
        if isinstance(node, Geometry):
            fail(node.at, "a geometry only goes in a spatial function such as S_INTERSECTS")
        if isinstance(node, Literal):
            kind = "boolean" if isinstance(node.value, bool) else "string" if isinstance(node.value, str) else "number"
            return node.value, kind
        kind = self.kind(node)
        if node.name not in self.columns:
            dtype = "Float64" if kind == "number" else "string"
            self.columns[node.name] = pd.array(self.table.columns[node.name], dtype=dtype)
        return self.columns[node.name], kind

    def kind(self, node: Property) -> str:
        """'number' or 'string' for a queryable; a 400 naming the property for anything else."""
        found = kind_of(self.table, node.name)
        if found is None:
            if node.name == GEOMETRY:
                fail(node.at, "geometry only goes in a spatial function such as S_INTERSECTS(geometry, BBOX(...))")
            close = difflib.get_close_matches(node.name, list(self.table.columns), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            fail(node.at, f"unknown property {node.name!r}: not a queryable of {self.table.level.value}_{self.table.year}{hint}")
        return "number" if found in ("number", "integer") else "string"

    def compare(self, op: str, left: Scalar, right: Scalar) -> Truth:
        (a, a_kind), (b, b_kind) = self.scalar(left), self.scalar(right)
        if a_kind != b_kind:
            fail(right.at, f"{name_of(left)} is a {a_kind} and {name_of(right)} a {b_kind}: they cannot be compared")
        for status, value in ((left, right), (right, left)):
            if (isinstance(status, Property) and isinstance(value, Literal) and kind_of(self.table, status.name) == "status"
                    and value.value not in STATUSES):
                fail(value.at, f"{status.name} is null (published) or one of {', '.join(STATUSES)}; not {value.value!r}")
        result = OPERATORS[op](a, b)
        return self.constant(result) if isinstance(result, bool) else pd.array(result, dtype="boolean")

    def like(self, value: Scalar, pattern: Scalar) -> Truth:
        column, kind = self.scalar(value)
        if kind != "string":
            fail(value.at, f"LIKE matches text; {name_of(value)} is a {kind}")
        if not (isinstance(pattern, Literal) and isinstance(pattern.value, str)):
            fail(pattern.at, "LIKE takes a 'pattern' with % (any text) and _ (one character)")
        regex = like_regex(pattern.value)
        if isinstance(value, Literal):
            return self.constant(regex.fullmatch(value.value) is not None)
        return pd.Series(column).str.fullmatch(regex).array

    def spatial(self, predicate: str, left: Any, right: Any) -> Truth:
        """S_INTERSECTS and the other spatial functions of the geometry property and a literal in filter-crs."""
        if isinstance(left, Geometry) and isinstance(right, Geometry):
            return self.constant(bool(getattr(shapely, predicate)(left.shape, right.shape)))
        if isinstance(right, Property) and isinstance(left, Geometry):
            literal, region, first = left, right, predicate
        elif isinstance(left, Property) and isinstance(right, Geometry):
            literal, region, first = right, left, SWAPPED[predicate]
        else:
            fail(left.at, "a spatial function takes the property geometry and a geometry: POINT, POLYGON, BBOX ...")
        if region.name != GEOMETRY:
            fail(region.at, f"{region.name!r} is no geometry; the regions' geometry is the property {GEOMETRY!r}")
        shape = literal.shape
        shapely.prepare(shape)
        # Every predicate but disjoint needs the boxes to meet: the R-tree gives those regions, GEOS decides.
        candidates = self.table.trees[self.crs].query(shape)
        test = "intersects" if first == "disjoint" else first
        hits = np.zeros(len(self.table), dtype=bool)
        hits[candidates[getattr(shapely, test)(shape, self.table.geometry[self.crs][candidates])]] = True
        return pd.array(~hits if first == "disjoint" else hits, dtype="boolean")


def like_regex(pattern: str) -> re.Pattern[str]:
    """CQL2 LIKE: % any text, _ one character, \\ takes the next character as it is."""
    parts, escaped = [], False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            parts.append({"%": ".*", "_": "."}.get(char, re.escape(char)))
    return re.compile("".join(parts), re.DOTALL)


def name_of(node: Scalar) -> str:
    return node.name if isinstance(node, Property) else repr(node.value)


def fail(at: str, message: str) -> NoReturn:
    raise InvalidFilter("filter", f"{message} (at {at})")
