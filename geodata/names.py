"""Match regions by name, for tables that carry no codes (StatLine name exports, Vektis).

Names are compared folded: case, accents, punctuation and a "(gemeente)" suffix are ignored,
and the spellings CBS and others use side by side are known variants. A name that fits two
regions is never guessed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from geodata.regions import NATIONAL_CODE

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
