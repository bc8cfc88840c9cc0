"""Region levels and CBS region codes (GMxxxx, WKxxxxxx, BUxxxxxxxx)."""

from __future__ import annotations

import re
from enum import Enum

import pandas as pd


class Level(str, Enum):
    """The three CBS levels, coarse to fine."""

    gemeente = "gemeente"
    wijk = "wijk"
    buurt = "buurt"

    @property
    def prefix(self) -> str:
        return _PREFIX[self]

    @property
    def digits(self) -> int:
        return _DIGITS[self]

    @property
    def plural(self) -> str:
        """The Dutch plural, for titles and messages: gemeenten, wijken, buurten."""
        return _PLURAL[self]


_PREFIX = {Level.gemeente: "GM", Level.wijk: "WK", Level.buurt: "BU"}
_DIGITS = {Level.gemeente: 4, Level.wijk: 6, Level.buurt: 8}
_PLURAL = {Level.gemeente: "gemeenten", Level.wijk: "wijken", Level.buurt: "buurten"}
# The gemeente number is 4 digits; since the 2022 indeling, wijk and buurt parts may hold capitals
# (Amsterdam: WK0363AA, BU0363AA01).
_CODE = re.compile(r"^(GM|WK|BU)(\d{4}[0-9A-Z]*)$")
# Published forms of a code: year-prefixed (2023GM0344, PDOK jaarstatcode), padded ("GM0344    ",
# StatLine), lower case; bare gwb_code_8 digits (0344, 034401, 03440111) and integer gemeente
# codes (344) only from a column known to hold codes.
_PUBLISHED = re.compile(r"^(?:(?:19|20)\d\d)?(GM|WK|BU)(\d{4}[0-9A-Z]*)$")
_BARE = re.compile(r"^\d{4}(?:[0-9A-Z]{2}){0,2}$")
_BARE_PREFIX = {4: "GM", 6: "WK", 8: "BU"}
NATIONAL_CODES = {"NL", "NL00", "NL01", "NEDERLAND"}
LEVELS: tuple[Level, ...] = (Level.gemeente, Level.wijk, Level.buurt)
NATIONAL_CODE = "NL00"  # Nederland, as in the national row of a full KWB file; kept for comparisons
NATIONAL_LEVEL = "nederland"  # the level of NL00 rows in a figure table
# Gemeenten of Nederland on 1 January (CBS, Gemeentelijke indeling): a national figure is the sum
# over the gemeenten only when all of them are there. Checked against the shared CBS layers
# (2015: 393, 2022: 345, 2023 and 2024: 342, each with Zaanstad).
GEMEENTEN_PER_YEAR = {
    2015: 393, 2016: 390, 2017: 388, 2018: 380, 2019: 355, 2020: 355, 2021: 352,
    2022: 345, 2023: 342, 2024: 342, 2025: 342,
}
# Not a gemeente, but part of a national count: Buitenland and "niet in te delen" (StatLine, Politie).
UNASSIGNED_GEMEENTEN = {"GM0998", "GM0999"}
# Facts per region and year read from the tables (columns named in the catalog's [region_facts]):
# CBS's indelingswijziging code (1 unchanged, 2 code changed, 3 boundaries changed since the year before).
BOUNDARY_CHANGE = "indelingswijziging"
REGION_FACTS = (BOUNDARY_CHANGE,)
# The attributes every region layer of a dataset has.
REGION_COLUMNS = ["code", "name", "year", "gemeente_code", "wijk_code", *REGION_FACTS, "geometry"]


def level_of_code(code: str) -> Level | None:
    """The level a well-formed CBS code belongs to, or None for anything else."""
    match = _CODE.match(code)
    if not match:
        return None
    for level in LEVELS:
        if level.prefix == match.group(1) and len(match.group(2)) == level.digits:
            return level
    return None


def parse_code(raw: object, level: Level | None = None, bare: bool = False) -> str | None:
    """The canonical CBS code (GM0344, WK0363AA, BU03440111, NL00 for Nederland) of a cell in any
    published form, or None when it is not one (of `level`, when given). `bare` also reads codes
    without prefix: gwb_code_8 (0344, 034401, 03440111) and integer gemeente codes (344)."""
    if raw is None or isinstance(raw, bool):
        return None
    if isinstance(raw, float):
        if not raw.is_integer():
            return None
        raw = int(raw)
    text = str(raw).strip().upper()
    if text in NATIONAL_CODES:
        return NATIONAL_CODE if level is None else None
    match = _PUBLISHED.match(text)
    if match:
        code = match.group(1) + match.group(2)
    elif bare and text.isdigit() and len(text) <= 4 and level in (None, Level.gemeente):
        code = "GM" + text.zfill(4)
    elif bare and _BARE.match(text):
        code = _BARE_PREFIX[len(text)] + text
    else:
        return None
    found = level_of_code(code)
    if found is None or (level is not None and found is not level):
        return None
    return code


def level_names(codes: pd.Series) -> pd.Series:
    """The level of each code of a figure table (gemeente, wijk, buurt, or nederland for NL00). Codes
    are checked when they are read, so the prefix tells the level."""
    return codes.str[:2].map({level.prefix: level.value for level in LEVELS}).fillna(NATIONAL_LEVEL)


def parent_codes(code: str) -> dict[str, str]:
    """Codes of the wijk and gemeente a code lies in; CBS nests them in the digits."""
    level = level_of_code(code)
    digits = code[2:]
    parents: dict[str, str] = {}
    if level in (Level.wijk, Level.buurt):
        parents["gemeente"] = "GM" + digits[:4]
    if level is Level.buurt:
        parents["wijk"] = "WK" + digits[:6]
    return parents


def feature_id(code: str) -> int:
    """A stable integer id per region within its level (MVT feature ids are integers): the digits of
    the code (BU03440111 -> 3440111); a code with capitals reads as base 36, above every all-digit id
    of its level (WK0363AA -> 10**6 + int("0363AA", 36)). Codes of one level have one length, so
    distinct codes get distinct ids, below 2**53 (safe in JavaScript)."""
    rest = code[2:]
    if rest.isdigit():
        return int(rest)
    return 10 ** len(rest) + int(rest, 36)
