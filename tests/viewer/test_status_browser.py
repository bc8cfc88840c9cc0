"""The viewer in a real browser (Chromium, playwright-core) says in Dutch why a region has no
figure: for a real buurt of the demo data with each status the demo holds (CBS secret, withheld
for too few people, protected, missing in the source), the panel shows the status text the
catalog defines, and the legend counts the regions per reason. Screenshots in artifacts/."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from geodata.cells import STATUS_TEXT, Status
from geodata.regions import Level
from store import Store
from tests.conftest import ROOT, run_browser_check

ARTIFACTS = ROOT / "artifacts"
CHECK = Path(__file__).with_name("status_check.mjs")
# Buurt figures of the demo (Utrecht 2023/2024) that hold every status the demo data has.
CANDIDATES = [("aandeel_eenpersoonshuishoudens", 2024), ("aandeel_eenpersoonshuishoudens", 2023), ("bevolkingsdichtheid", 2023)]
STATUSES = (Status.secret, Status.withheld, Status.protected, Status.missing)


def _get(url: str) -> dict:
    with urllib.request.urlopen(url) as response:
        return json.load(response)


def _region_with(store: Store, status: Status) -> tuple[str, int, str]:
    """(indicator, year, code) of the first demo buurt whose totaal figure has this status."""
    for indicator, year in CANDIDATES:
        figures = store.figures(Level.buurt, year, "totaal", indicator)
        codes = figures.values.index[figures.statuses == status.value]
        if len(codes):
            return indicator, year, str(codes[0])
    raise AssertionError(f"the demo has no buurt figure with status {status.value} among {CANDIDATES}")


def test_the_panel_and_legend_say_why_a_region_has_no_figure(live_server: str, demo_store: Store) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    cases = {}
    for status in STATUSES:
        indicator, year, code = _region_with(demo_store, status)
        path = f"/?indicator={indicator}&group=totaal&year={year}&level=buurt&code={code}"
        cases[status] = (indicator, year, code, path)
    result = run_browser_check(
        CHECK, live_server, json.dumps([{"name": s.value, "path": c[3]} for s, c in cases.items()]), ARTIFACTS / "status"
    )
    assert result["problems"] == []
    shown = {c["name"]: c for c in result["cases"]}
    catalog = _get(f"{live_server}/catalog")
    for status, (indicator, year, code, _) in cases.items():
        case = shown[status.value]
        figure = next(
            f for f in _get(f"{live_server}/regions/{code}")["figures"]
            if f["indicator"] == indicator and f["group"] == "totaal" and f["year"] == year
        )
        assert figure["value"] is None and figure["status"] == status.value
        assert case["value"].strip() == "–", (status, case)
        assert case["note"] == figure["note"], (status, case)  # the server's reason, word for word
        if status == Status.withheld:  # names what the denominator counts and the minimum
            assert case["note"].startswith("niet gepubliceerd: minder dan "), case
        else:
            assert case["note"] == STATUS_TEXT[status.value] == catalog["statuses"][status.value], case
            # the legend counts the regions of the map without a figure for this reason
            legend = _get(f"{live_server}/legend/{indicator}.json?level=buurt&year={year}&group=totaal")
            count = next(s["count"] for s in legend["statuses"] if s["status"] == status.value)
            assert f"{count} × {STATUS_TEXT[status.value]}" in case["legend"], case["legend"]
        assert (ARTIFACTS / f"status-{status.value}.png").stat().st_size > 10_000
    # the two PDOK statuses no shared file holds have their Dutch text for the viewer too
    assert catalog["statuses"]["later"] == "CBS publiceert dit cijfer later"
    assert catalog["statuses"]["discontinued"] == "CBS publiceert dit cijfer niet meer"
