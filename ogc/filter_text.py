"""CQL2 text (`filter-lang=cql2-text`): a small recursive-descent parser for the Basic CQL2, advanced
comparison and spatial function classes. Errors name the character where the filter goes wrong."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import NoReturn

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

TOKEN = re.compile(
    r"""(?P<space>\s+)
      | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<string>'(?:[^'\\]|''|\\.)*')
      | (?P<quoted>"(?:[^"]|"")*")
      | (?P<word>[A-Za-z_:][A-Za-z0-9_:.]*)
      | (?P<op><>|<=|>=|[=<>(),+-])""",
    re.VERBOSE,
)
WKT = ("POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION")
KEYWORDS = {"AND", "OR", "NOT", "LIKE", "BETWEEN", "IN", "IS", "NULL", "TRUE", "FALSE"}


@dataclass(frozen=True)
class Token:
    kind: str  # number, string, quoted, word, op or end
    text: str
    start: int
    end: int

    @property
    def at(self) -> str:
        return f"character {self.start + 1}"

    @property
    def word(self) -> str:
        """The keyword this token could be (upper case); '' for other kinds."""
        return self.text.upper() if self.kind == "word" else ""

    def describe(self) -> str:
        return "the end of the filter" if self.kind == "end" else repr(self.text)


def tokens(text: str) -> list[Token]:
    found: list[Token] = []
    position = 0
    while position < len(text):
        match = TOKEN.match(text, position)
        if match is None:
            raise InvalidFilter("filter", f"unexpected {text[position]!r} at character {position + 1}")
        if match.lastgroup != "space":
            found.append(Token(match.lastgroup or "", match.group(), position, match.end()))
        position = match.end()
    return [*found, Token("end", "", len(text), len(text))]


def parse_text(text: str) -> Condition:
    """The condition a CQL2 text filter states (`inwoners__totaal > 2000 AND gemeente_code = 'GM0344'`)."""
    parser = Parser(text, tokens(text))
    condition = parser.expression()
    if parser.peek.kind != "end":
        parser.fail("AND, OR or the end of the filter")
    return condition


class Parser:
    def __init__(self, text: str, found: list[Token]) -> None:
        self.text, self.tokens, self.position, self.depth = text, found, 0, 0

    @property
    def peek(self) -> Token:
        return self.tokens[self.position]

    def ahead(self, n: int) -> Token:
        return self.tokens[min(self.position + n, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.peek
        self.position += token.kind != "end"
        return token

    def accept(self, *words: str) -> bool:
        """Take the next token when it is one of `words` (keywords or operators)."""
        if self.peek.word in words or (self.peek.kind == "op" and self.peek.text in words):
            self.take()
            return True
        return False

    def expect(self, word: str) -> None:
        if not self.accept(word):
            self.fail(repr(word) if len(word) == 1 else word)

    def fail(self, wanted: str) -> NoReturn:
        raise InvalidFilter("filter", f"expected {wanted} at {self.peek.at}, found {self.peek.describe()}")

    # booleanExpression: OR binds loosest, then AND, then NOT
    def expression(self) -> Condition:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise InvalidFilter("filter", f"the filter nests deeper than {MAX_DEPTH} levels at {self.peek.at}")
        terms = [self.term()]
        while self.accept("OR"):
            terms.append(self.term())
        self.depth -= 1
        return terms[0] if len(terms) == 1 else Or(tuple(terms))

    def term(self) -> Condition:
        factors = [self.factor()]
        while self.accept("AND"):
            factors.append(self.factor())
        return factors[0] if len(factors) == 1 else And(tuple(factors))

    def factor(self) -> Condition:
        return Not(self.primary()) if self.accept("NOT") else self.primary()

    def primary(self) -> Condition:
        token = self.peek
        if self.accept("("):
            condition = self.expression()
            self.expect(")")
            return condition
        if token.word in ("TRUE", "FALSE") and not (self.ahead(1).kind == "op" and self.ahead(1).text in COMPARISONS):
            self.take()
            return Literal(token.word == "TRUE", token.at)
        if token.word.lower() in SPATIAL and self.ahead(1).text == "(":
            return self.spatial()
        return self.predicate()

    def spatial(self) -> Spatial:
        name = self.take()
        self.expect("(")
        left = self.geometry_operand()
        self.expect(",")
        right = self.geometry_operand()
        self.expect(")")
        return Spatial(SPATIAL[name.word.lower()], left, right)

    def predicate(self) -> Condition:
        value = self.scalar()
        if self.peek.kind == "op" and self.peek.text in COMPARISONS:
            op = self.take().text
            return Compare(op, value, self.scalar())
        if self.accept("IS"):
            negated = self.accept("NOT")
            self.expect("NULL")
            return Not(IsNull(value)) if negated else IsNull(value)
        negated = self.accept("NOT")
        if self.accept("LIKE"):
            found: Condition = Like(value, self.scalar())
        elif self.accept("BETWEEN"):
            low = self.scalar()
            self.expect("AND")
            found = Between(value, low, self.scalar())
        elif self.accept("IN"):
            self.expect("(")
            options = [self.scalar()]
            while self.accept(","):
                options.append(self.scalar())
            self.expect(")")
            found = In(value, tuple(options))
        else:
            self.fail("a comparison (= <> < <= > >=), LIKE, BETWEEN, IN or IS NULL" if not negated else "LIKE, BETWEEN or IN")
        return Not(found) if negated else found

    def scalar(self) -> Scalar:
        token = self.peek
        if token.kind == "op" and token.text in "+-" and self.ahead(1).kind == "number":
            self.take()
            number = self.number(self.take())
            return Literal(-number if token.text == "-" else number, token.at)
        if token.kind == "number":
            return Literal(self.number(self.take()), token.at)
        if token.kind == "string":
            self.take()
            return Literal(re.sub(r"''|\\'", "'", token.text[1:-1]), token.at)
        if token.word in ("TRUE", "FALSE"):
            self.take()
            return Literal(token.word == "TRUE", token.at)
        return self.property()

    def property(self) -> Property:
        token = self.peek
        if token.kind == "quoted":
            self.take()
            return Property(token.text[1:-1].replace('""', '"'), token.at)
        if token.kind == "word" and token.word not in KEYWORDS:
            if self.ahead(1).text == "(":
                raise InvalidFilter("filter", f"{token.text}(...) at {token.at} is not supported here; functions are "
                                    f"{', '.join(s.upper() for s in SPATIAL)}, on the property geometry")
            self.take()
            return Property(token.text, token.at)
        self.fail("a property name, a number or a 'string'")

    def number(self, token: Token) -> int | float:
        value = float(token.text) if any(c in token.text for c in ".eE") else int(token.text)
        if not math.isfinite(value):
            raise InvalidFilter("filter", f"{token.text} at {token.at} is too large a number")
        return value

    def geometry_operand(self) -> Operand:
        token = self.peek
        if token.word == "BBOX" and self.ahead(1).text == "(":
            return self.bbox()
        if token.word in WKT:
            return self.wkt()
        return self.property()

    def bbox(self) -> Geometry:
        token = self.take()
        self.expect("(")
        numbers = [self.scalar()]
        while self.accept(","):
            numbers.append(self.scalar())
        self.expect(")")
        values = [n.value for n in numbers if isinstance(n, Literal) and type(n.value) in (int, float)]
        if len(values) != len(numbers) or len(values) not in (4, 6):
            raise InvalidFilter("filter", f"BBOX at {token.at} takes 4 or 6 numbers: minx, miny[, minz], maxx, maxy[, maxz]")
        half = len(values) // 2
        (minx, miny), (maxx, maxy) = values[:2], values[half:half + 2]
        if minx > maxx or miny > maxy:
            raise InvalidFilter("filter", f"BBOX at {token.at} must have min <= max")
        return Geometry(shapely.box(minx, miny, maxx, maxy), token.at)

    def wkt(self) -> Geometry:
        """A WKT literal, read by GEOS from the filter's own text: from its keyword to its closing bracket."""
        first = self.take()
        while self.peek.word in ("Z", "M", "ZM"):
            self.take()
        if self.accept("EMPTY"):
            last = self.tokens[self.position - 1]
        else:
            if self.peek.text != "(":
                self.fail(f"'(' or EMPTY after {first.word}")
            depth = 0
            while True:
                token = self.take()
                if token.kind == "end":
                    raise InvalidFilter("filter", f"{first.word} at {first.at} has no closing ')'")
                depth += {"(": 1, ")": -1}.get(token.text, 0)
                if depth == 0:
                    last = token
                    break
        try:
            shape = shapely.from_wkt(self.text[first.start:last.end])
        except GEOSException as e:
            raise InvalidFilter("filter", f"{first.word} at {first.at} is not valid WKT: {e}") from None
        if not shapely.is_valid(shape):
            raise InvalidFilter("filter", f"{first.word} at {first.at} is not a valid geometry: {shapely.is_valid_reason(shape)}")
        return Geometry(shape, first.at)
