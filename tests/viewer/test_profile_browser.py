"""A region's profile page and printable report in a real browser (Debian Chromium, playwright-core):
the figures shown equal /regions and the CBS source, a group switches the whole profile, the report
prints to an A4 PDF with the region's name, the date and its map, and axe-core finds no serious
accessibility problems. Screenshots and the PDF go in artifacts/."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pypdf
import pytest
from starlette.testclient import TestClient

from tests.conftest import ROOT, kwb_rows, run_browser_check

ARTIFACTS = ROOT / "artifacts"
PROFILE_CHECK = Path(__file__).with_name("profile_check.mjs")
REPORT_CHECK = Path(__file__).with_name("report_check.mjs")
BUURT = "BU03440111"  # Welgelegen, Den Hommel, in Wijk 01 West (WK034401), gemeente Utrecht
YEAR = 2023
# The short words the pages show for a figure without a value (viewer/common.js SHORT_STATUS).
SHORT_STATUS = {
    "withheld": "niet gepubliceerd", "protected": "niet gepubliceerd", "secret": "geheim (CBS)",
    "missing": "geen gegevens", "later": "volgt later", "discontinued": "vervallen",
}
MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"]


def nl(value: float, decimals: int) -> str:
    """A number as the pages write it (nl-NL): 1.810 and 46,7."""
    return f"{value:,.{decimals}f}".replace(",", "_").replace(".", ",").replace("_", ".")


def signed(value: float, decimals: int) -> str:
    return ("+" if value > 0 else "−" if value < 0 else "±") + nl(abs(value), decimals)


def check_rows(rows: dict, region: dict, group: str, year: int) -> int:
    """Every figure of the group and year is a row whose cells show the API's value, the wijk's and
    gemeente's values and differences (none for counts). Returns how many figures had a value."""
    figures = [f for f in region["figures"] if f["group"] == group and f["year"] == year]
    assert figures and set(rows) == {f["indicator"] for f in figures}
    with_value = 0
    for f in figures:
        ind = region["indicators"][f["indicator"]]
        cells = rows[f["indicator"]]["cells"]
        own = cells["Buurt"]
        if f["value"] is None:
            assert own.startswith(SHORT_STATUS[f["status"]]), (f, own)
            continue
        with_value += 1
        assert own.split(" toelichting")[0] == nl(f["value"], ind["decimals"]), (f, own)
        for kind, label in (("wijk", "Wijk: Wijk 01 West"), ("gemeente", "Gemeente: Utrecht")):
            other, text = f[kind], cells[label]
            if other["value"] is None:
                assert text.startswith(SHORT_STATUS[other["status"]]), (f, text)
                continue
            assert text.startswith(nl(other["value"], ind["decimals"])), (f, text)
            if ind["kind"] == "count":
                assert other["difference"] is None and "verschil" not in text, "counts get no difference"
            elif other["difference"] is not None:
                assert f"verschil {signed(other['difference'], ind['decimals'])}" in text, (f, text)
                favourable = (other["difference"] > 0) == (ind["higher_is"] == "better")
                if ind["kind"] != "composition" and ind["higher_is"] in ("better", "worse") and other["difference"]:
                    assert ("ongunstiger" if not favourable else "gunstiger") in text, (f, text)
                else:
                    assert "gunstig" not in text, "neutral and composition figures are not judged"
        if ind["kind"] == "count" and ind["compare"]:
            assert "zie per 1.000" in rows[f["indicator"]]["title"]
    return with_value


@pytest.fixture(scope="module")
def region(client: TestClient) -> dict:
    return client.get(f"/regions/{BUURT}").json()


@pytest.fixture(scope="module")
def profile(live_server: str) -> dict:
    ARTIFACTS.mkdir(exist_ok=True)
    return run_browser_check(PROFILE_CHECK, f"{live_server}/profiel/{BUURT}?year={YEAR}", "man", "aandeel_inwoners", ARTIFACTS)


def test_profile_shows_every_theme_with_the_figures_of_regions_api(profile: dict, region: dict, client: TestClient) -> None:
    assert profile["problems"] == []
    assert profile["title"] == "Welgelegen, Den Hommel"
    assert "Wijk 01 West" in profile["subtitle"] and "gemeente Utrecht" in profile["subtitle"]
    themes = client.get("/catalog").json()["themes"]
    assert profile["themes"] == [t[0].upper() + t[1:] for t in themes]  # all six, in the catalog's order
    assert profile["emptyThemes"] == ["veiligheid"], "no crime figures below gemeente level: said, not hidden"
    assert check_rows(profile["rows"], region, "totaal", YEAR) >= 20
    # The CBS source itself: inwoners 2023 in the Kerncijfers CSV.
    assert profile["rows"]["inwoners"]["cells"]["Buurt"] == nl(int(kwb_rows(YEAR)[BUURT]["a_inw"]), 0)
    # Why a figure is missing is visible text (footnotes), not only a tooltip.
    assert "CBS publiceert dit cijfer niet: onbekend, onvoldoende betrouwbaar of geheim" in profile["footnotes"]
    assert profile["headings"][0] == 1 and set(profile["headings"][1:]) <= {2, 3}


def test_profile_switches_to_one_group_compared_with_the_same_group(profile: dict, region: dict) -> None:
    assert check_rows(profile["groupRows"], region, "man", YEAR) == 2  # inwoners and aandeel_inwoners
    assert "samenstelling" in profile["groupNote"], "group figures carry the neutral note"
    assert "group=man" in profile["groupUrl"] and f"year={YEAR}" in profile["groupUrl"], "state in the URL: a permalink"
    assert profile["groupCsv"] == f"/figures.csv?regions={BUURT},WK034401,GM0344,NL00&group=man"


def test_profile_charts_have_a_label_and_a_data_table(profile: dict, region: dict) -> None:
    chart = profile["chart"]
    man = {f["year"]: f for f in region["figures"] if f["indicator"] == "aandeel_inwoners" and f["group"] == "man"}
    assert "2023–2024" in chart["trendLabel"]
    for year, f in man.items():  # the trend's table: the buurt, its wijk and its gemeente per year
        assert f"{year}{nl(f['value'], 1)} %{nl(f['wijk']['value'], 1)} %{nl(f['gemeente']['value'], 1)} %" in chart["trendTable"]
    women = next(f for f in region["figures"] if f["indicator"] == "aandeel_inwoners" and f["group"] == "vrouw" and f["year"] == YEAR)
    assert "geslacht" in chart["barsLabel"]
    assert f"Vrouwen{nl(women['value'], 1)} %{nl(women['wijk']['value'], 1)} %" in chart["barsTable"]
    assert chart["bars"] >= 6, "men and women, each for buurt, wijk and gemeente"
    assert "indicator=aandeel_inwoners" in profile["urlAfterOpen"]


def test_profile_has_no_serious_accessibility_problems_and_fits_a_phone(profile: dict) -> None:
    assert profile["axe"] == [], profile["axe"]
    assert profile["axeGroup"] == [], profile["axeGroup"]  # with a group, and charts drawn
    assert profile["phone"]["scrollWidth"] <= profile["phone"]["innerWidth"]
    for name in ("profiel.png", "profiel-telefoon.png"):
        assert (ARTIFACTS / name).stat().st_size > 10_000


def test_profile_csv_holds_the_figures_of_the_api(profile: dict, region: dict, client: TestClient) -> None:
    response = client.get(profile["links"]["link-csv"])
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r["code"] for r in rows} >= {BUURT, "WK034401", "GM0344"}
    shown = {(r["indicator"], int(r["year"])): r for r in rows if r["code"] == BUURT}
    for f in region["figures"]:
        if f["group"] == "totaal":
            value = shown[(f["indicator"], f["year"])]["value"]
            assert (float(value) if value else None) == f["value"], f


def test_report_prints_an_a4_pdf_with_the_region_the_date_and_its_map(live_server: str, client: TestClient) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    url = f"{live_server}/rapport/{BUURT}?group=totaal&year={YEAR}&indicator=inwoners"
    result = run_browser_check(REPORT_CHECK, url, ARTIFACTS)
    assert result["problems"] == []
    assert result["axe"] == [], result["axe"]
    assert result["title"] == "Wijkprofiel Welgelegen, Den Hommel"
    assert result["map"]["complete"] and result["map"]["naturalWidth"] > 0, "the map image loaded before printing"
    assert result["map"]["alt"].startswith("Kaart van aantal inwoners")
    today = date.fromisoformat(result["date"]["iso"])
    assert result["date"]["text"] == f"{today.day} {MONTHS[today.month - 1]} {today.year}"
    assert len(result["themes"]) == 6 and result["definitions"] > 20
    assert result["printHidden"] == ["#print", ".site nav"], "no controls in print"
    assert result["rows"]["inwoners"][0] == nl(int(kwb_rows(YEAR)[BUURT]["a_inw"]), 0)
    legend = client.get(f"/legend/inwoners.json?level=buurt&year={YEAR}&group=totaal&within=GM0344").json()
    assert len(result["legend"]) >= len(legend["classes"])

    pdf = pypdf.PdfReader(ARTIFACTS / "rapport.pdf")
    first = pdf.pages[0]
    # A4 is 595.3 × 841.9 pt; Chromium rounds it to whole pixels (8.27 × 11.71 in).
    assert abs(float(first.mediabox.width) - 595.3) < 2 and abs(float(first.mediabox.height) - 841.9) < 2, "A4"
    text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "Welgelegen, Den Hommel" in text and result["date"]["text"] in text
    # Chromium draws the SVG map as vector paths, not as an embedded image: the first page fills
    # many shapes in the legend's class colours (the legend's swatches are only one each).
    fills = fill_colours(first)
    classes = [hex_rgb(c["colour"]) for c in legend["classes"]]
    per_class = [sum(1 for f in fills if close(f, c)) for c in classes]
    assert all(n > 1 for n in per_class) and sum(per_class) > 50, per_class


def fill_colours(page: pypdf.PageObject) -> list[tuple[float, float, float]]:
    """The RGB fill colours (the `rg` operator) of a PDF page's content stream, one per use."""
    content = pypdf.generic.ContentStream(page.get_contents(), page.pdf)
    return [tuple(float(v) for v in operands) for operands, op in content.operations if op == b"rg"]


def hex_rgb(colour: str) -> tuple[float, float, float]:
    return tuple(int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))


def close(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return all(abs(x - y) < 0.005 for x, y in zip(a, b, strict=True))
