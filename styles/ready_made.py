"""Ready-made style files: one per indicator and level, in a folder per theme.

`wijkmonitor styles build/demo.gpkg -o styles/ready` writes them; the files in the repository
are made this way from the demo dataset (a test checks they are up to date).
"""

from __future__ import annotations

import json
from pathlib import Path

from geodata.selection import parse_figure
from store import Store
from styles.request import parse_thematic_request
from styles.style_json import style_json
from styles.thematic import thematic_map

DEFAULT_BASE_URL = "http://127.0.0.1:8000"


def ready_made_styles(store: Store, base_url: str, max_zoom: int) -> dict[Path, dict]:
    """Relative path -> style, for every indicator, level and group with published figures (default year)."""
    styles: dict[Path, dict] = {}
    for indicator in store.catalog.indicators.values():
        # Indicators without a total (shares of a group) get a style per group.
        groups = ["totaal"] if "totaal" in indicator.groups else list(indicator.groups)
        for level in store.availability.levels:
            for group in groups:
                if store.availability.default_year(level, indicator.id, group) is None:
                    continue
                selection = parse_figure(store.availability, store.catalog, indicator.id, {"level": level.value, "group": group})
                m = thematic_map(store, parse_thematic_request(store.catalog, selection, {}))
                if m.classification.k < 2:
                    continue  # a single figure at this level: nothing to compare
                name = f"{indicator.id}-{level.value}" + ("" if group == "totaal" else f"-{group}")
                styles[Path(indicator.theme.replace(" ", "_")) / f"{name}.json"] = style_json(store, m, base_url, max_zoom)
    return styles


def write_ready_made_styles(store: Store, folder: Path, base_url: str, max_zoom: int) -> list[Path]:
    written = []
    for relative, style in sorted(ready_made_styles(store, base_url, max_zoom).items()):
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(style, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        written.append(path)
    return written
