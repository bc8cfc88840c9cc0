"""The Features pages as HTML (`f=html`), for a person checking the service in a browser: Dutch, no
scripts and nothing from elsewhere (only our stylesheet), each page linking to its JSON."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import numpy as np

from ogc.table import FeatureTable

CSP = ("default-src 'none'; style-src 'self'; img-src data:; form-action 'self'; base-uri 'none'; "
       "frame-ancestors 'none'")
REGION_COLUMNS = ("code", "name", "gemeente_code", "wijk_code")
HEADINGS = {"code": "Code", "name": "Naam", "gemeente_code": "Gemeente", "wijk_code": "Wijk"}


def with_format(href: str, fmt: str) -> str:
    """`href` with f=`fmt` (replacing an f it has)."""
    parts = urlsplit(href)
    kept = [p for p in parts.query.split("&") if p and not p.startswith("f=")]
    return urlunsplit(parts._replace(query="&".join([*kept, urlencode({"f": fmt})])))


def page(title: str, here: str, api: str, body: str) -> str:
    """A whole page: `here` is its own URL (its JSON is the same with f=json), `api` the root of /ogc."""
    json_href = escape(with_format(here, "json"))
    return f"""<!doctype html>
<html lang="nl">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{escape(title)} – OGC API – Wijkmonitor</title>
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="/viewer/pages.css">
  <link rel="alternate" type="application/json" href="{json_href}">
</head>
<body>
  <a class="skip" href="#inhoud">Naar de inhoud</a>
  <header class="site">
    <a class="brand" href="/">Wijkmonitor</a>
    <nav aria-label="Hoofdmenu">
      <a href="/">Kaart</a>
      <a href="{escape(with_format(api, 'html'))}">OGC API</a>
      <a href="{escape(with_format(api + '/collections', 'html'))}">Collecties</a>
    </nav>
  </header>
  <main class="page" id="inhoud">
    <h1>{escape(title)}</h1>
{body}
    <p class="small"><a href="{json_href}" type="application/json">Deze pagina als JSON</a></p>
  </main>
</body>
</html>
"""


HTML_TITLES = {"data": "De collecties", "items": "De features, als tabel"}


def link_list(links: list[dict[str, str]], html_rels: tuple[str, ...] = ()) -> str:
    """The links of a JSON document as a list (each address once); those in `html_rels` go to their HTML page."""
    items, seen = [], set()
    for found in links:
        if found["rel"] == "self" or found["href"] in seen:
            continue
        seen.add(found["href"])
        if found["rel"] in html_rels:
            items.append(f'<li><a href="{escape(with_format(found["href"], "html"))}">{HTML_TITLES[found["rel"]]}</a></li>')
        else:
            items.append(f'<li><a href="{escape(found["href"])}">{escape(found.get("title", found["rel"]))}</a> '
                         f'<span class="small">({escape(found["type"])})</span></li>')
    return "    <ul>\n" + "\n".join(f"      {item}" for item in items) + "\n    </ul>"


def landing_html(document: dict[str, Any], here: str) -> str:
    body = (f"    <p>{escape(document['description'])}</p>\n    <p class=\"small\">{escape(document['attribution'])}</p>\n"
            + link_list(document["links"], ("data",)))
    return page(document["title"], here, here.rstrip("/"), body)


def collections_html(document: dict[str, Any], here: str, api: str) -> str:
    rows = "\n".join(
        f'        <tr><td><a href="{escape(with_format(c["links"][0]["href"], "html"))}">{escape(c["title"])}</a></td>'
        f'<td>{escape(c["id"])}</td><td>{escape(c["description"])}</td></tr>'
        for c in document["collections"]
    )
    body = f"""    <div class="table-wrap">
    <table class="figures">
      <caption>Een collectie per niveau en jaar</caption>
      <thead><tr><th scope="col">Collectie</th><th scope="col">Id</th><th scope="col">Beschrijving</th></tr></thead>
      <tbody>
{rows}
      </tbody>
    </table>
    </div>"""
    return page("Collecties", here, api, body)


def collection_html(document: dict[str, Any], here: str, api: str) -> str:
    west, south, east, north = document["extent"]["spatial"]["bbox"][0]
    start, end = document["extent"]["temporal"]["interval"][0]
    body = f"""    <p>{escape(document['description'])}</p>
    <dl>
      <dt>Gebied (lengte, breedte)</dt><dd>{west:.4f}, {south:.4f} tot {east:.4f}, {north:.4f}</dd>
      <dt>Periode</dt><dd>{escape(start[:10])} tot en met {escape(end[:10])}</dd>
      <dt>Coördinatenstelsels</dt><dd>{'<br>'.join(escape(c) for c in document['crs'])}</dd>
    </dl>
{link_list(document['links'], ('items',))}"""
    return page(document["title"], here, api, body)


def cell(value: object) -> str:
    if value is None:
        return '<td class="muted">–</td>'
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f'<td class="num">{value if isinstance(value, int) else f"{value:.6g}"}</td>'
    return f"<td>{escape(str(value))}</td>"


def items_html(
    table: FeatureTable, title: str, page_positions: np.ndarray, matched: int, links: list[dict[str, str]],
    here: str, api: str, params: dict[str, str], shown: list[str],
) -> str:
    """A table of the features of one page (the region columns and the properties the filter names),
    with a form to filter and links to the next and previous page."""
    columns = [c for c in REGION_COLUMNS if c in table.columns] + [c for c in shown if c in table.columns and c not in REGION_COLUMNS]
    number = ' class="num"'
    head = "".join(f'<th scope="col"{number if c not in REGION_COLUMNS else ""}>{escape(HEADINGS.get(c, c))}</th>'
                   for c in columns)
    rows = []
    for i in page_positions.tolist():
        code = table.codes[i]
        item = escape(with_format(f"{here}/{code}", "html"))
        cells = "".join(cell(table.columns[c][i]) if c != "code" else f'<td><a href="{item}">{escape(code)}</a></td>'
                        for c in columns)
        rows.append(f"        <tr>{cells}</tr>")
    first = int(params.get("offset", 0) or 0) + 1 if len(page_positions) else 0
    paging = " ".join(
        f'<a class="button" rel="{found["rel"]}" href="{escape(with_format(found["href"], "html"))}">{escape(found["title"])}</a>'
        for found in links if found["rel"] in ("prev", "next")
    )
    body = f"""    <form method="get" action="{escape(here)}" class="controls">
      <input type="hidden" name="f" value="html">
      <label><span>Filter (CQL2-tekst, bv. <code>inwoners__totaal &gt; 2000</code>)</span>
        <input name="filter" size="60" value="{escape(params.get('filter', ''))}"></label>
      <label>Per pagina <input name="limit" type="number" min="1" max="1000" value="{escape(params.get('limit', '100'))}"></label>
      <button type="submit">Toon</button>
    </form>
    <p>{matched} features gevonden{f'; dit zijn {first} tot en met {first + len(page_positions) - 1}' if len(page_positions) else ''}.
      Een cijfer dat niet gepubliceerd is, staat er als –.</p>
    <nav aria-label="Pagina's" class="controls">{paging}</nav>
    <div class="table-wrap">
    <table class="figures">
      <caption>{escape(title)}</caption>
      <thead><tr>{head}</tr></thead>
      <tbody>
{chr(10).join(rows)}
      </tbody>
    </table>
    </div>"""
    return page(title, with_format(f"{here}?{urlencode(params)}", "html"), api, body)


def item_html(table: FeatureTable, code: str, title: str, here: str, api: str) -> str:
    """One region's properties as a two-column table."""
    properties = table.properties(table.position[code])
    rows = "\n".join(f'        <tr><th scope="row">{escape(name)}</th>{cell(value)}</tr>' for name, value in properties.items())
    collection = here.rsplit("/items/", 1)[0]
    body = f"""    <p><a href="{escape(with_format(collection + '/items', 'html'))}">Alle features van {escape(title)}</a></p>
    <div class="table-wrap">
    <table class="figures">
      <caption>Eigenschappen van {escape(code)}</caption>
      <thead><tr><th scope="col">Eigenschap</th><th scope="col" class="num">Waarde</th></tr></thead>
      <tbody>
{rows}
      </tbody>
    </table>
    </div>"""
    return page(f"{properties['name']} ({code})", here, api, body)
