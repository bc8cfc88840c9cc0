"""CQL2 JSON (`filter-lang=cql2-json`): `{"op": ">", "args": [{"property": "inwoners__totaal"}, 2000]}`
into the same tree as the text encoding. Errors name the place in the document (`args[1].args[0]`)."""

from __future__ import annotations

import json
import math
from typing import Any, NoReturn

import shapely
from shapely.errors import GEOSException

from ogc.filter_ast import (
    COMPARISONS,
    MAX_DEPTH,
    SPATIAL,
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
    Operand,
    Or,
    Property,
    Scalar,
    Spatial,
)

ARITY = {"not": 1, "isNull": 1, "like": 2, "between": 3, "in": 2, **dict.fromkeys(COMPARISONS, 2),
         **dict.fromkeys(SPATIAL, 2)}


def parse_json(text: str) -> Condition:
    """The condition a CQL2 JSON filter states."""
    try:
        document = json.loads(text, parse_constant=no_constant)
    except (ValueError, RecursionError) as e:
        raise InvalidFilter("filter", f"filter is not JSON: {e}") from None
    return condition(document, "the filter", 0)


def no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a JSON number")


def fail(where: str, message: str) -> NoReturn:
    raise InvalidFilter("filter", f"{where}: {message}")


def condition(node: Any, where: str, depth: int) -> Condition:
    if depth > MAX_DEPTH:
        fail(where, f"the filter nests deeper than {MAX_DEPTH} levels")
    if isinstance(node, bool):
        return Literal(node, where)
    if not isinstance(node, dict) or not isinstance(node.get("op"), str) or not isinstance(node.get("args"), list):
        fail(where, 'expected a condition: {"op": ..., "args": [...]} or true/false')
    op, args = node["op"], node["args"]
    at = [f"{where}.args[{i}]" if where != "the filter" else f"args[{i}]" for i in range(len(args))]
    if op in ("and", "or"):
        if len(args) < 2:
            fail(where, f"{op} takes at least 2 conditions")
        conditions = tuple(condition(arg, a, depth + 1) for arg, a in zip(args, at))
        return And(conditions) if op == "and" else Or(conditions)
    if op not in ARITY:
        known = ", ".join(["and", "or", *ARITY])
        fail(where, f"unknown or unsupported op {op!r}; supported: {known}")
    if len(args) != ARITY[op]:
        fail(where, f"{op} takes {ARITY[op]} argument(s), not {len(args)}")
    if op == "not":
        return Not(condition(args[0], at[0], depth + 1))
    if op == "isNull":
        return IsNull(scalar(args[0], at[0]))
    if op == "like":
        return Like(scalar(args[0], at[0]), scalar(args[1], at[1]))
    if op == "between":
        return Between(scalar(args[0], at[0]), scalar(args[1], at[1]), scalar(args[2], at[2]))
    if op == "in":
        if not isinstance(args[1], list) or not args[1]:
            fail(at[1], "in takes a list of values")
        return In(scalar(args[0], at[0]), tuple(scalar(v, f"{at[1]}[{i}]") for i, v in enumerate(args[1])))
    if op in SPATIAL:
        return Spatial(SPATIAL[op], operand(args[0], at[0]), operand(args[1], at[1]))
    return Compare(op, scalar(args[0], at[0]), scalar(args[1], at[1]))


def scalar(node: Any, where: str) -> Scalar:
    if isinstance(node, dict) and set(node) == {"property"} and isinstance(node["property"], str):
        return Property(node["property"], where)
    if isinstance(node, str | bool):
        return Literal(node, where)
    if isinstance(node, int | float):
        if not math.isfinite(node):
            fail(where, f"{node} is too large a number")
        return Literal(node, where)
    fail(where, 'expected {"property": name}, a number, a string or a boolean')


def operand(node: Any, where: str) -> Operand:
    """A spatial function's argument: the geometry property, a GeoJSON geometry or {"bbox": [...]}."""
    if isinstance(node, dict) and "bbox" in node:
        box = node["bbox"]
        if not (isinstance(box, list) and len(box) in (4, 6) and all(type(v) in (int, float) for v in box)):
            fail(where, "bbox takes 4 or 6 numbers: minx, miny[, minz], maxx, maxy[, maxz]")
        half = len(box) // 2
        if box[0] > box[half] or box[1] > box[half + 1]:
            fail(where, "bbox must have min <= max")
        return Geometry(shapely.box(box[0], box[1], box[half], box[half + 1]), where)
    if isinstance(node, dict) and "type" in node and ("coordinates" in node or "geometries" in node):
        try:
            shape = shapely.from_geojson(json.dumps(node))
        except (GEOSException, ValueError) as e:
            fail(where, f"not a GeoJSON geometry: {e}")
        if not shapely.is_valid(shape):
            fail(where, f"not a valid geometry: {shapely.is_valid_reason(shape)}")
        return Geometry(shape, where)
    return scalar(node, where)
