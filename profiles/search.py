"""Finding regions by name, for the viewer's search box and the region API."""

from __future__ import annotations

import unicodedata
from typing import Any

from geodata.errors import RequestError
from geodata.regions import NATIONAL_CODE
from profiles.region import region_names
from store import Store


def _fold(text: str) -> str:
    """Lower case without accents, so 'Zuilen' finds 'Zuilen' and 'ondiep' finds 'Ondiep'."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


def search_regions(store: Store, level: str | None, within: str | None, q: str | None) -> list[dict[str, Any]]:
    """Every region whose name contains q (accent- and case-insensitive), names starting with q first."""
    levels = [store.availability.level(level)] if level else list(store.availability.levels)
    if q is not None and len(q.strip()) < 2 and not within:
        raise RequestError("q", "give at least 2 characters to search for, or within=<gemeentecode>")
    needle = _fold(q.strip()) if q else ""
    index = store.region_index()
    index = index[index["level"].isin([lvl.value for lvl in levels])]
    if within:
        index = index[index["gemeente_code"] == within]
    gemeenten = region_names(store)
    found = []
    for row in index.itertuples(index=False):
        folded = _fold(row.name or "")
        if needle and needle not in folded and needle not in row.code.casefold():
            continue
        found.append((not folded.startswith(needle), row.level != "gemeente", row.name or "", {
            "code": row.code, "name": row.name, "level": row.level, "gemeente_code": row.gemeente_code,
            "gemeente_name": gemeenten.get(row.gemeente_code), "wijk_code": row.wijk_code, "year": int(row.year),
        }))
    if needle and not level and not within and (needle in "nederland" or needle == "nl00"):
        # Nederland has no boundaries, but it is what every region is compared with.
        latest = max(year for years in store.availability.years.values() for year in years)
        found.append((False, False, "", {
            "code": NATIONAL_CODE, "name": "Nederland", "level": "land", "gemeente_code": None, "gemeente_name": None,
            "wijk_code": None, "year": latest,
        }))
    found.sort(key=lambda item: item[:3])
    return [item[3] for item in found]
