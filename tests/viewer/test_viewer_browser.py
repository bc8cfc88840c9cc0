"""The viewer in a real browser (Debian Chromium driven by playwright-core): coloured buurten,
a click on a buurt shows its real CBS figure, no console errors. Screenshot in artifacts/."""

from __future__ import annotations

from pathlib import Path

import shapely

from geodata.regions import Level
from store import Store
from styles.palettes import WITHHELD
from tests.conftest import ROOT, kwb_rows, run_browser_check

ARTIFACTS = ROOT / "artifacts"
CHECK = Path(__file__).with_name("viewer_check.mjs")
BUURT = "BU03440111"  # Welgelegen, Den Hommel


def label_point(store: Store, code: str, year: int) -> tuple[float, float]:
    regions = store.regions(Level.buurt, year).to_crs("EPSG:4326")
    geom = regions.loc[regions["code"] == code, "geometry"].iloc[0]
    largest = max(getattr(geom, "geoms", [geom]), key=lambda p: p.area)
    point = shapely.ops.polylabel(largest, 1e-6)
    return point.y, point.x


def css_hex(colour: str) -> str:
    """'rgb(255, 255, 204)' -> '#ffffcc'."""
    r, g, b = (int(v) for v in colour[colour.index("(") + 1 : colour.index(")")].split(",")[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def run_viewer(url: str, lat: float, lng: float, screenshot: Path) -> dict:
    return run_browser_check(CHECK, url, lat, lng, screenshot)


def test_viewer_colours_buurten_and_shows_a_clicked_buurts_real_value(live_server: str, demo_store: Store) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    lat, lng = label_point(demo_store, BUURT, 2024)
    result = run_viewer(f"{live_server}/?indicator=inwoners&group=totaal&year=2024&level=buurt", lat, lng, ARTIFACTS / "viewer.png")
    assert result["problems"] == []
    legend_colours = {css_hex(c) for c in result["legend"]}
    assert len(legend_colours - {WITHHELD}) == 5  # five classes, and grey where a figure is not published
    fills = {f.lower() for f in result["fills"]}
    assert len(fills) >= 4 and fills <= legend_colours, "buurten are drawn in the legend's class colours"
    assert result["controlsVisible"]
    expected = int(kwb_rows(2024)[BUURT]["a_inw"])  # 1800 in the CBS CSV
    assert result["value"].strip() == f"{expected:,}".replace(",", ".") + " personen"
    assert "Welgelegen" in result["panel"]
    assert "Gemeente" in result["panel"] and "Per groep" in result["panel"] and "Bron:" in result["panel"]
    assert f"code={BUURT}" in result["url"], "the selection is in the URL (permalink)"
    assert (ARTIFACTS / "viewer.png").stat().st_size > 10_000


def test_embed_shows_the_map_without_controls(live_server: str, demo_store: Store) -> None:
    lat, lng = label_point(demo_store, BUURT, 2023)
    result = run_viewer(
        f"{live_server}/embed?indicator=bijstand_per_1000&year=2023&level=buurt&method=fisher_jenks",
        lat, lng, ARTIFACTS / "embed.png",
    )
    assert result["problems"] == []
    assert not result["controlsVisible"]
    row = kwb_rows(2023)[BUURT]
    expected = round(float(row["a_soz_wb"]) / float(row["a_inw"]) * 1000, 1)
    assert result["value"].strip() == f"{expected:.1f}".replace(".", ",") + " per 1.000 inwoners"


def test_hotspot_toggle_colours_by_significance_class(live_server: str, demo_store: Store) -> None:
    lat, lng = label_point(demo_store, BUURT, 2023)
    result = run_viewer(
        f"{live_server}/?indicator=bijstand_per_1000&year=2023&level=buurt&analysis=gi_star", lat, lng, ARTIFACTS / "hotspots.png"
    )
    assert result["problems"] == []
    legend_colours = {css_hex(c) for c in result["legend"]}
    fills = {f.lower() for f in result["fills"]}
    assert fills <= legend_colours and {"#b2182b", "#2166ac"} <= fills, "hot (red) and cold (blue) spots are drawn"
    assert "Gi*" in result["legendText"] and "Hotspot, 99 % betrouwbaar" in result["legendText"]
    assert "Getis-Ord Gi*" in result["panel"] and "z = " in result["panel"], "the clicked buurt's own statistic"


def test_trend_shows_the_herkomst_break_between_the_old_and_the_new_groups(live_server: str, demo_store: Store) -> None:
    gemeenten = demo_store.regions(Level.gemeente, 2023).to_crs("EPSG:4326")
    point = gemeenten.loc[gemeenten["code"] == "GM0344", "geometry"].iloc[0].representative_point()
    result = run_viewer(
        f"{live_server}/?indicator=aandeel_inwoners&group=herkomst_europa&year=2023&level=gemeente",
        point.y, point.x, ARTIFACTS / "viewer-breuk.png",
    )
    assert result["problems"] == []
    panel = result["panel"]
    trend = panel[panel.index("Door de jaren"):panel.index("Per groep")]
    # 2022: the migratieachtergrond groups; then the break, in words; then the herkomst group from 2023
    assert trend.index("Westerse migratieachtergrond") < trend.index("Breuk in de reeks") < trend.index("Herkomst Europa")
    assert "Vanaf 2023 deelt CBS in naar herkomstland" in trend
