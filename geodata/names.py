"""Match regions by name, for tables that carry no codes (StatLine name exports, Vektis).

Names are compared folded: case, accents, punctuation and a "(gemeente)" suffix are ignored,
and the spellings CBS and others use side by side are known variants. A name that fits two
regions is never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from geodata.errors import InputError, InputErrors
from geodata.regions import NATIONAL_CODE, Level
from geodata.report import BuildReport, shortened

# Official CBS name <-> a spelling other publishers use, both folded.
# Official CBS name <-> spellings other publishers use, and renames that kept the code, all folded.
_VARIANTS = {
    "den haag": "s gravenhage",
    "den bosch": "s hertogenbosch",
    "bergen noord holland": "bergen nh",
    "bergen limburg": "bergen l",
    "bergen lb": "bergen l",
    "hengelo o": "hengelo",
    "hengelo ov": "hengelo",
    "nuenen ca": "nuenen gerwen en nederwetten",
    "nuenen c a": "nuenen gerwen en nederwetten",
    "haarlemmerliede ca": "haarlemmerliede en spaarnwoude",
    "kollumerland ca": "kollumerland en nieuwkruisland",
    "sudwest friesland": "sudwest fryslan",
    "de friese meren": "de fryske marren",  # renamed in 2015, same code
    "groesbeek": "berg en dal",  # renamed in 2016, same code
}
_LEVEL_SUFFIX = re.compile(r"\((gemeente|gem\.?)\)")
_NATIONAL = {"nederland", "totaal nederland", "nl"}


def fold(name: str) -> str:
    """'s-Gravenhage (gemeente) -> 's gravenhage'; SÚDWEST-FRYSLÂN -> 'sudwest fryslan'."""
    text = str(name)
    if "Ã" in text:  # UTF-8 read as Latin-1 somewhere upstream (SÃºdwest-FryslÃ¢n)
        try:
            text = text.encode("cp1252").decode("utf-8")
        except UnicodeError:
            pass
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = _LEVEL_SUFFIX.sub(" ", text)
    text = re.sub(r"[^a-z0-9]+", " ", text).strip()
    return _VARIANTS.get(text, text)


def _base(folded: str) -> str:
    """Without a trailing province or country marker: 'bergen nh' -> 'bergen'."""
    return re.sub(r" (nh|l|lb|o|ov|gld|nb|zh|fr|dr|gr|u|z|fl)$", "", folded)


@dataclass(frozen=True)
class NameMatch:
    codes: dict[str, str]  # name as written -> code
    unmatched: list[str]
    ambiguous: dict[str, list[str]]  # name -> the regions it could be ("GM0373 Bergen (NH.)")


def match_names(names: Iterable[str], regions: Iterable[tuple[str, str]]) -> NameMatch:
    """Codes for names, against (code, name) pairs of the regions of the same year."""
    regions = list(regions)
    exact: dict[str, set[str]] = {}
    base: dict[str, set[str]] = {}
    label = {code: f"{code} {name}" for code, name in regions}
    for code, name in regions:
        exact.setdefault(fold(name), set()).add(code)
        base.setdefault(_base(fold(name)), set()).add(code)
    codes: dict[str, str] = {}
    unmatched: list[str] = []
    ambiguous: dict[str, list[str]] = {}
    for name in dict.fromkeys(names):
        key = fold(name)
        if key in _NATIONAL:
            codes[name] = NATIONAL_CODE
            continue
        found = exact.get(key) or base.get(key) or base.get(_base(key)) or set()
        if len(found) == 1:
            codes[name] = next(iter(found))
        elif found:
            ambiguous[name] = sorted(label[c] for c in found)
        else:
            unmatched.append(name)
    return NameMatch(codes, unmatched, ambiguous)


def gemeente_codes(
    file: Path, names: pd.Series, years: pd.Series, regions: Mapping[str, pd.DataFrame], report: BuildReport,
    rows: pd.Series, column: str, indeling: int | None = None,
) -> pd.Series:
    """Gemeente codes for the names of a table (None where a name fits none), against the gemeente
    boundaries of the same year (the nearest year with gemeenten when the dataset has none for a
    year). `rows` are the rows as the user sees them, `column` the name column as the file names it,
    `indeling` the gemeente indeling the file says its names are on."""
    gemeenten = regions.get(Level.gemeente.value)
    if gemeenten is None or gemeenten.empty:
        raise InputError(file, "this table names its regions instead of coding them; it needs gemeente boundaries to match the names against")
    known_years = sorted(int(y) for y in gemeenten["year"].unique())
    first_row = rows.groupby(names.values).min()
    codes = pd.Series(None, index=names.index, dtype=object)
    for year in sorted(int(y) for y in years.dropna().unique()):
        at = years == year
        nearest = min(known_years, key=lambda y: (abs(y - year), -y))
        if nearest != year:
            report.warn(f"{file.name}: no gemeente boundaries for {year}; names matched against those of {nearest}")
        candidates = gemeenten.loc[gemeenten["year"] == nearest, ["code", "name"]].dropna()
        match = match_names(names[at], zip(candidates["code"], candidates["name"]))
        if match.ambiguous:
            raise InputErrors([
                InputError(file, f"{year}: region name {name!r} fits more than one gemeente: {', '.join(options)}; "
                           "write it as in the CBS boundaries (e.g. 'Bergen (NH.)')", row=int(first_row[name]), column=column)
                for name, options in match.ambiguous.items()
            ])
        if match.unmatched:
            shown = [f"{name} (row {first_row[name]})" for name in match.unmatched]
            report.warn(f"{file.name}: {len(match.unmatched)} names of {year} match no gemeente of {nearest}: {shortened(shown)}")
        codes[at] = names[at].map(match.codes)
        left_out = sorted(set(candidates["code"]) - set(match.codes.values()))
        if not left_out:
            continue
        named = ", ".join(f"{c} {n}" for c, n in candidates.set_index("code").loc[left_out[:8], "name"].items())
        if indeling is not None and indeling != nearest:
            # A later indeling merged these gemeenten into others: the merged gemeente's figure
            # counts them too, and lands on a polygon of the older indeling without them.
            report.warn(
                f"{file.name}: {len(left_out)} gemeenten of {nearest} have no figure in the file ({named}). Its figures "
                f"are on the gemeente indeling of {indeling}, the boundaries of {year} on that of {nearest}: where a "
                "later indeling merged gemeenten, the one they merged into is counted with them, so compare those "
                "figures with care"
            )
        elif indeling is None and match.unmatched:
            # The file does not say its indeling (Vektis): names of new gemeenten betray a later one.
            report.warn(
                f"{file.name}: {len(left_out)} gemeenten of {nearest} have no name in the file ({named}) while some of its "
                "names match none: the file may be on a later gemeente indeling, and then a gemeente that absorbed "
                "others counts them too: compare those figures with care"
            )
    return codes
