"""An attacker's view of disclosure control: from everything the server publishes for the demo,
try to compute back each figure it does not publish because too few people are behind it.

Independent of geodata/disclosure.py (not imported): the attacker knows only HTTP answers, the
catalog's declared relations (group sums, ratios) and the region hierarchy, and recovers a figure
by a single relation where it is the only unknown (ratio, subtraction over groups, subtraction over
child regions), repeatedly, and by any linear combination of relations (linear algebra per
connected set of unknowns). Rounding is ignored: an approximate recovery counts as one.

Surfaces read: tiles (every level, year and zoom; complete at one zoom, sampled above it),
/regions/{code} (a sample: a profile costs 0.15-0.3 s, so every region of the demo would take
about ten minutes; the tiles carry every figure of every region with its status, which makes them
the fast complete route, and the sample checks the profiles say the same), legends and hotspot
analyses (a sample, each checked per region or against its aggregates). There are no CSV exports
yet. The negative control builds Utrecht's buurten and wijken without secondary suppression: the same attack then
finds the withheld shares, which shows it can.
"""

from __future__ import annotations

import math
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import mapbox_vector_tile
import morecantile
import numpy as np
import pytest
from mapbox_vector_tile.Mapbox import vector_tile_pb2
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from starlette.testclient import TestClient

import geodata.build
from geodata.catalog import TOTAL_GROUP, Catalog, load_catalog
from geodata.regions import NATIONAL_CODE, Level
from store import Store, open_store
from tests.conftest import ROOT, app_on, build_from_manifest, kwb_rows

Figure = tuple[str, int, str, str]  # code, year, indicator, group
OK = "ok"
OURS = ("withheld", "protected")  # not published by wijkmonitor: too few people, or it would reveal such a figure
UTRECHT = "GM0344"
TMS = morecantile.tms.get("WebMercatorQuad")
COMPLETE_ZOOM = 7  # one zoom at which every region of every layer is read, with every indicator and group
SAMPLED_TILES = 2  # tiles per layer, year and zoom in the sweep over all zooms (Utrecht first, then every Nth region)
CONTROL_SHARES = 70  # withheld aandeel_inwoners figures a build without secondary suppression gives away

# The negative control: Utrecht's buurten and wijken with the two KWB releases (the demo's 95
# withheld shares per year are there), built without secondary suppression.
CONTROL_MANIFEST = """
[dataset]
title = "Controle: Utrecht zonder secundaire onderdrukking"
attribution = "Bron: CBS, gemeente Utrecht"
[[boundaries]]
file = "{data}/utrecht_buurten_municipal_wgs84.geojson"
level = "buurt"
years = [2023, 2024]
code = "BU0344{{KODE}}"
[[boundaries]]
file = "{data}/utrecht_wijken_municipal_wgs84.geojson"
level = "wijk"
years = [2023, 2024]
code = "WK0344{{KODE}}"
[[indicators]]
file = "{data}/utrecht_kwb_2023.csv"
format = "kwb"
year = 2023
[[indicators]]
file = "{data}/CBS-Utrecht-kwb-2024.xlsx"
format = "kwb"
year = 2024
"""


# --- what the server publishes ------------------------------------------------------------------


@dataclass
class Published:
    """Every figure the server names, with its status, and every value it gives; inconsistencies
    between surfaces and values on unpublished figures are collected as problems."""

    values: dict[Figure, float] = field(default_factory=dict)
    statuses: dict[Figure, str] = field(default_factory=dict)
    regions: dict[tuple[str, int], set[str]] = field(default_factory=lambda: defaultdict(set))  # (level, year) -> codes
    read: Counter = field(default_factory=Counter)  # figures read per surface
    problems: list[str] = field(default_factory=list)

    def add(self, surface: str, figure: Figure, value: float | None, status: str | None) -> None:
        """One figure as a surface gives it: it must agree with every other surface."""
        self.read[surface] += 1
        status = status or (OK if value is not None else None)
        if status in OURS and value is not None:
            self.problems.append(f"{surface}: {figure} is {status} but carries the value {value}")
        if status == OK and value is None:
            self.problems.append(f"{surface}: {figure} is published without a value")
        if status is None or status == "missing":
            return
        known = self.statuses.setdefault(figure, status)
        if known != status:
            self.problems.append(f"{surface}: {figure} has status {status}, elsewhere {known}")
        if status == OK and value is not None:
            before = self.values.setdefault(figure, float(value))
            if not math.isclose(before, float(value), rel_tol=1e-9, abs_tol=1e-9):
                self.problems.append(f"{surface}: {figure} = {value}, elsewhere {before}")

    def withheld(self) -> set[Figure]:
        """The figures the server says it does not publish to protect people."""
        return {f for f, s in self.statuses.items() if s in OURS}


def catalog_levels(client: TestClient) -> dict[str, dict]:
    """level -> years and, per year, indicator -> groups with figures (/catalog)."""
    response = client.get("/catalog")
    assert response.status_code == 200, response.text
    return response.json()["levels"]


def listed_regions(client: TestClient, level: str) -> list[dict]:
    """Every region /regions lists at a level, page by page."""
    found: list[dict] = []
    while True:
        body = client.get("/regions", params={"level": level, "limit": 1000, "offset": len(found)}).json()
        found += body["regions"]
        if "next" not in body:
            return found


def tile_properties(body: bytes, layer: str) -> list[dict]:
    """The attributes of every feature of one layer. Read with the protobuf classes of
    mapbox_vector_tile (geometry is not needed and is most of the decoding time);
    test_tile_reader_agrees_with_mapbox_vector_tile checks it against mapbox_vector_tile.decode."""
    tile = vector_tile_pb2.tile()
    tile.ParseFromString(body)
    found = []
    for part in tile.layers:
        if part.name != layer:
            continue
        values = [_tile_value(v) for v in part.values]
        for feature in part.features:
            tags = feature.tags
            found.append({part.keys[tags[i]]: values[tags[i + 1]] for i in range(0, len(tags), 2)})
    return found


def _tile_value(value: vector_tile_pb2.tile.value) -> object:
    for kind in ("string_value", "float_value", "double_value", "int_value", "uint_value", "sint_value", "bool_value"):
        if value.HasField(kind):
            return getattr(value, kind)
    return None


def tile_at(lon: float, lat: float, z: int) -> tuple[int, int, int]:
    tile = TMS.tile(lon, lat, z)
    return z, tile.x, tile.y


def region_points(store: Store, level: str, year: int) -> dict[str, tuple[float, float]]:
    """A point inside each region (lon, lat): only to choose which tiles to ask for."""
    regions = store.regions(Level(level), year)
    points = gpd.GeoSeries(regions.geometry.representative_point(), crs=regions.crs).to_crs("EPSG:4326")
    return {code: (p.x, p.y) for code, p in zip(regions["code"], points)}


def families(indicators: dict[str, list[str]]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """(groups, indicators) per tile request: indicators with the same groups share one, so a tile
    carries no column for a figure that cannot exist (all groups of all indicators at once made a
    98 MB tile)."""
    by_groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for indicator, groups in indicators.items():
        by_groups[tuple(groups)].append(indicator)
    return [(groups, tuple(found)) for groups, found in by_groups.items()]


def read_tile(
    client: TestClient, published: Published, surface: str, level: str, year: int, address: tuple[int, int, int],
    groups: tuple[str, ...], indicators: tuple[str, ...],
) -> set[str]:
    """Add every figure of a tile to `published`: the codes of the regions it holds."""
    z, x, y = address
    params = {"year": year, "group": ",".join(groups), "indicators": ",".join(indicators)}
    response = client.get(f"/tiles/{level}/{z}/{x}/{y}.mvt", params=params)
    assert response.status_code in (200, 204), response.text
    seen = set()
    for properties in tile_properties(response.content, level) if response.status_code == 200 else []:
        code = properties["code"]
        seen.add(code)
        assert properties["year"] == year, properties
        for name in properties:
            if name.count("__") == 1 and name.split("__")[0] not in indicators:
                published.problems.append(f"tile {level} {address}: attribute {name} was not asked for")
        for group in groups:
            for indicator in indicators:
                name = f"{indicator}__{group}"
                published.add(surface, (code, year, indicator, group), properties.get(name), properties.get(f"{name}__status"))
    return seen


def gather_tiles_complete(client: TestClient, store: Store, published: Published, levels: dict[str, dict]) -> None:
    """Every region of every level and year, with every indicator and group that has figures:
    the tiles at COMPLETE_ZOOM, and a region generalised away there from its own tile further in."""
    for level, about in levels.items():
        for year in about["years"]:
            points = region_points(store, level, year)
            requests = families(about["indicators"][str(year)])
            seen: set[str] = set()
            for address in sorted({tile_at(*p, COMPLETE_ZOOM) for p in points.values()}):
                for groups, indicators in requests:
                    seen |= read_tile(client, published, "tiles", level, year, address, groups, indicators)
            for code in sorted(set(points) - seen):
                for z in (10, 12, 14, 16):
                    address = tile_at(*points[code], z)
                    held = set()
                    for groups, indicators in requests:
                        held |= read_tile(client, published, "tiles", level, year, address, groups, indicators)
                    if code in held:
                        break
                else:
                    published.problems.append(f"tiles: {level} {code} {year} is in no tile")
            published.regions[level, year] = set(points)


def sampled(codes: list[str], n: int) -> list[str]:
    """Utrecht's regions first, then every Nth other: a fixed sample."""
    own = [c for c in codes if c.startswith(("GM0344", "WK0344", "BU0344"))]
    rest = [c for c in codes if c not in own]
    step = max(1, len(rest) // n)
    return own + rest[::step]


def gather_tiles_every_zoom(client: TestClient, store: Store, published: Published, levels: dict[str, dict]) -> int:
    """The tiles the viewer loads (TileJSON's own URL: group totaal, every indicator) at every zoom
    of every layer; above the zooms where a few tiles hold a whole layer, SAMPLED_TILES tiles per
    zoom (the tile of Utrecht's regions first, then of every Nth region). Returns the tiles read."""
    count = 0
    for level, about in levels.items():
        tilejson = client.get(f"/tiles/{level}.json").json()
        for year in about["years"]:
            selection = client.get(f"/tiles/{level}.json", params={"year": year}).json()["tiles"][0].split("?", 1)[1]
            query = dict(part.split("=", 1) for part in selection.split("&"))
            groups = tuple(query["group"].replace("%2C", ",").split(","))
            indicators = tuple(query["indicators"].replace("%2C", ",").split(","))
            points = region_points(store, level, year)
            for z in range(tilejson["minzoom"], tilejson["maxzoom"] + 1):
                addresses = list(dict.fromkeys(tile_at(*points[c], z) for c in sampled(sorted(points), SAMPLED_TILES)))
                for address in addresses[:SAMPLED_TILES]:
                    read_tile(client, published, "tiles", level, year, address, groups, indicators)
                    count += 1
    return count


def gather_profiles(client: TestClient, published: Published, levels: dict[str, dict]) -> int:
    """/regions/{code} of a sample (every 4th of Utrecht's regions, which hold all the buurten, every
    200th other wijk, every 50th other gemeente): own figures, the comparisons with wijk, gemeente and Nederland, and ranks, which
    must be given only beside a published figure. Returns the profiles read."""
    codes = []
    for level, every in (("gemeente", 50), ("wijk", 200), ("buurt", 4)):
        if level in levels:
            listed = [r["code"] for r in listed_regions(client, level)]
            own = [c for c in listed if c[2:6] == UTRECHT[2:]]
            rest = [c for c in listed if c not in own]
            codes += own[::4] + rest[::every]
    for code in codes:
        profile = client.get(f"/regions/{code}").json()
        for figure in profile["figures"]:
            key = (code, figure["year"], figure["indicator"], figure["group"])
            published.add("regions", key, figure["value"], figure["status"])
            if "rank" in figure and figure["status"] != OK:
                published.problems.append(f"/regions/{code}: {key} is {figure['status']} but ranked {figure['rank']}")
            for kind in ("wijk", "gemeente", "nederland"):
                if kind in figure:
                    other = figure[kind]
                    published.add("regions (comparison)", (other["code"], figure["year"], figure["indicator"], figure["group"]), other["value"], other["status"])
    return len(codes)


def gather_legends(client: TestClient, published: Published, levels: dict[str, dict], every: int = 10) -> int:
    """/legend/{indicator}.json for every figure that has something withheld or protected at a level
    and year, and every `every`th other: a legend gives no value per region, so its range, breaks,
    counts and statuses must follow from the published figures, and its Nederland figure must be one."""
    by_map: dict[tuple[str, int, str, str], list[Figure]] = defaultdict(list)
    for figure in published.statuses:
        level = {"GM": "gemeente", "WK": "wijk", "BU": "buurt"}.get(figure[0][:2])
        if level is not None:
            by_map[level, figure[1], figure[2], figure[3]].append(figure)
    chosen = [k for k, figures in sorted(by_map.items()) if any(published.statuses[f] in OURS for f in figures)]
    others = [k for k in sorted(by_map) if k not in set(chosen)]
    count = 0
    for level, year, indicator, group in chosen + others[::every]:
        if group not in levels[level]["published"].get(str(year), {}).get(indicator, ()):
            continue
        body = client.get(f"/legend/{indicator}.json", params={"level": level, "year": year, "group": group}).json()
        check_legend(published, body, by_map[level, year, indicator, group])
        count += 1
    return count


def check_legend(published: Published, body: dict, figures: list[Figure]) -> None:
    """A legend's aggregates against the figures of its map."""
    where = f"legend {body['indicator']} {body['level']} {body['year']} {body['group']}"
    values = [published.values[f] for f in figures if f in published.values]
    statuses = Counter(published.statuses[f] for f in figures)
    if body["range"] != {"min": min(values), "max": max(values)}:
        published.problems.append(f"{where}: range {body['range']} is not that of the published figures ({min(values)}..{max(values)})")
    for c in body["classes"]:
        for bound in (c["lower"], c["upper"]):
            if bound is not None and not min(values) - 1e-9 <= bound <= max(values) + 1e-9:
                published.problems.append(f"{where}: class break {bound} outside the published figures")
    if sum(c["count"] for c in body["classes"]) != len(values):
        published.problems.append(f"{where}: classes count {sum(c['count'] for c in body['classes'])}, published {len(values)}")
    told = {s["status"]: s["count"] for s in body["statuses"]}
    for status in OURS:
        if told.get(status, 0) != statuses.get(status, 0):
            published.problems.append(f"{where}: {told.get(status, 0)} {status}, the tiles say {statuses.get(status, 0)}")
    nederland = body["nederland"]
    published.add("legends", (NATIONAL_CODE, body["year"], body["indicator"], body["group"]), nederland["value"], nederland["status"])


# A few hotspot analyses (each runs permutations in a worker): figures with withheld and protected regions.
HOTSPOTS = (
    ("aandeel_inwoners", "buurt", 2023, "man"),
    ("aandeel_inwoners", "buurt", 2024, "leeftijd_65_plus"),
    ("inwoners", "buurt", 2024, "totaal"),
    ("aandeel_inwoners", "wijk", 2024, "man"),
    ("personenautos_per_huishouden", "wijk", 2024, "totaal"),
)


def gather_hotspots(client: TestClient, published: Published) -> int:
    """/analysis/hotspots gives a value per analysed region: each must be the published figure,
    and a region without one must be listed as not analysed."""
    for indicator, level, year, group in HOTSPOTS:
        params = {"indicator": indicator, "level": level, "year": year, "group": group, "permutations": 99}
        body = client.get("/analysis/hotspots", params=params).json()
        for row in body["regions"]:
            published.add("hotspots", (row["code"], year, indicator, group), row["value"], None)
        for row in body["not_analysed"]["no_value"]:
            if (row["code"], year, indicator, group) in published.values:
                published.problems.append(f"hotspots: {row['code']} {indicator} {group} {year} is published but not analysed")
    return len(HOTSPOTS)


def gather_nederland(client: TestClient, published: Published, levels: dict[str, dict]) -> None:
    """Nederland's figures come only as comparisons: read them from a gemeente of every year."""
    for year in levels["gemeente"]["years"]:
        code = sorted(c for (level, y), codes in published.regions.items() if level == "gemeente" and y == year for c in codes)[0]
        for figure in client.get(f"/regions/{code}").json()["figures"]:
            if "nederland" in figure:
                other = figure["nederland"]
                published.add("regions (comparison)", (NATIONAL_CODE, figure["year"], figure["indicator"], figure["group"]), other["value"], other["status"])


# --- the attack -----------------------------------------------------------------------------------


@dataclass
class Relations:
    """What the attacker knows ties figures together. Linear: sum of coef x figure = constant.
    Ratio: share = scale x numerator / denominator."""

    linear: list[tuple[tuple[tuple[Figure, float], ...], float, str]] = field(default_factory=list)
    ratios: list[tuple[Figure, Figure, Figure, float]] = field(default_factory=list)


def relations(published: Published, catalog: Catalog) -> Relations:
    """Every declared relation among the figures the server names: group sums, ratios, region sums."""
    found = Relations()
    places: dict[str, set[tuple[str, int]]] = defaultdict(set)  # indicator -> (code, year)
    cells: dict[str, set[tuple[str, int, str]]] = defaultdict(set)  # indicator -> (code, year, group)
    for code, year, indicator, group in published.statuses:
        places[indicator].add((code, year))
        cells[indicator].add((code, year, group))
    for indicator in catalog.indicators.values():
        if indicator.kind not in ("count", "composition"):
            continue
        for total in catalog.sums:
            constant = indicator.kind == "composition" and total.whole == TOTAL_GROUP
            if not set(total.parts) <= set(indicator.groups) or not (constant or total.whole in indicator.groups):
                continue
            for code, year in sorted(places[indicator.id]):
                members = [((code, year, indicator.id, g), 1.0) for g in total.parts]
                if not constant:
                    members.append(((code, year, indicator.id, total.whole), -1.0))
                found.linear.append((tuple(members), 100.0 if constant else 0.0, f"groups {total.whole} = {'+'.join(total.parts)}"))
    for indicator in catalog.indicators.values():
        ratio = indicator.ratio
        if ratio is None:
            continue
        for code, year, group in sorted(cells[indicator.id]):
            numerator = (code, year, ratio.numerator, ratio.numerator_group or group)
            denominator = (code, year, ratio.denominator, ratio.denominator_group or group)
            if numerator != denominator:
                found.ratios.append(((code, year, indicator.id, group), numerator, denominator, ratio.scale))
    found.linear += region_sums(published, catalog, cells)
    return found


def region_sums(published: Published, catalog: Catalog, cells: dict[str, set[tuple[str, int, str]]]) -> list:
    """A count of a wijk is the sum over its buurten, of a gemeente over its wijken, of Nederland
    over the gemeenten of the year: per indicator, group and year with any figure."""
    children: dict[tuple[str, int], list[str]] = defaultdict(list)  # (parent, year) -> child codes
    for (level, year), codes in published.regions.items():
        for code in codes:
            parent = {"buurt": lambda c: "WK" + c[2:8], "wijk": lambda c: "GM" + c[2:6], "gemeente": lambda c: NATIONAL_CODE}[level](code)
            children[parent, year].append(code)
    found = []
    for indicator in catalog.indicators.values():
        if indicator.kind != "count":
            continue
        pairs = sorted({(year, group) for _, year, group in cells[indicator.id]})
        for (parent, year), codes in sorted(children.items()):
            for y, group in pairs:
                if y != year:
                    continue
                members = [((c, year, indicator.id, group), 1.0) for c in sorted(codes)] + [((parent, year, indicator.id, group), -1.0)]
                if any(m in published.statuses for m, _ in members):
                    found.append((tuple(members), 0.0, f"regions {parent} = sum of {len(codes)}"))
    return found


@dataclass
class Recovery:
    value: float
    how: str


def attack(published: Published, catalog: Catalog) -> dict[Figure, Recovery]:
    """Every figure the server does not publish that the published ones determine."""
    rels = relations(published, catalog)
    known: dict[Figure, float] = dict(published.values)
    recovered: dict[Figure, Recovery] = {}
    while True:
        before = len(recovered)
        propagate(rels, known, recovered)
        for figure, recovery in solve(rels, known).items():
            known[figure] = recovery.value
            recovered[figure] = recovery
        if len(recovered) == before:
            return recovered


def propagate(rels: Relations, known: dict[Figure, float], recovered: dict[Figure, Recovery]) -> None:
    """Single relations with one unknown, until none is left: a recovered figure opens more."""
    changed = True
    while changed:
        changed = False
        for members, constant, what in rels.linear:
            unknown = [(m, c) for m, c in members if m not in known]
            if len(unknown) == 1:
                figure, coef = unknown[0]
                rest = sum(c * known[m] for m, c in members if m in known)
                known[figure] = (constant - rest) / coef
                recovered[figure] = Recovery(known[figure], f"{what}, only unknown")
                changed = True
        for share, numerator, denominator, scale in rels.ratios:
            missing = [f for f in (share, numerator, denominator) if f not in known]
            if len(missing) != 1:
                continue
            figure = missing[0]
            if figure == share and known[denominator] != 0:
                value = scale * known[numerator] / known[denominator]
            elif figure == numerator:
                value = known[share] * known[denominator] / scale
            elif figure == denominator and known[share] != 0:
                value = scale * known[numerator] / known[share]
            else:
                continue
            known[figure] = value
            recovered[figure] = Recovery(value, f"ratio {share[2]} {share[3]} = {scale:g} x {numerator[2]} {numerator[3]} / {denominator[2]} {denominator[3]}")
            changed = True


def linear_rows(rels: Relations, known: dict[Figure, float]) -> list[tuple[dict[Figure, float], float]]:
    """Every relation as a linear row over the unknown figures (coef per figure, right-hand side);
    a ratio counts while its denominator is known (share x den = scale x num) or its share is
    (scale x num = share x den)."""
    rows = []
    for members, constant, _ in rels.linear:
        row = {m: c for m, c in members if m not in known and c != 0}
        if row:
            rows.append((row, constant - sum(c * known[m] for m, c in members if m in known)))
    for share, numerator, denominator, scale in rels.ratios:
        if denominator in known:
            terms = {share: known[denominator], numerator: -scale}
        elif share in known:
            terms = {numerator: scale, denominator: -known[share]}
        else:
            continue
        row = {f: c for f, c in terms.items() if f not in known and c != 0}
        if row:
            rows.append((row, -sum(c * known[f] for f, c in terms.items() if f in known)))
    return rows


def peel(rows: list[tuple[dict[Figure, float], float]]) -> list[tuple[dict[Figure, float], float]]:
    """Drop rows holding an unknown no other row holds, repeatedly: such a row is met by choosing
    that unknown, so it tells nothing of the others (and what it tells of that one, propagation
    finds once the others are known). Keeps the systems small."""
    active = [True] * len(rows)
    holders: dict[Figure, set[int]] = defaultdict(set)
    for i, (row, _) in enumerate(rows):
        for figure in row:
            holders[figure].add(i)
    loose = [f for f, held in holders.items() if len(held) == 1]
    while loose:
        figure = loose.pop()
        for i in list(holders[figure]):
            active[i] = False
            for other in rows[i][0]:
                holders[other].discard(i)
                if len(holders[other]) == 1:
                    loose.append(other)
    return [r for r, keep in zip(rows, active) if keep]


def solve(rels: Relations, known: dict[Figure, float]) -> dict[Figure, Recovery]:
    """Unknowns pinned down by combinations of relations: per connected set of unknowns, those whose
    unit vector lies in the row space (zero in every null-space vector), with their values."""
    rows = peel(linear_rows(rels, known))
    if not rows:
        return {}
    figures = sorted({f for row, _ in rows for f in row})
    column = {f: j for j, f in enumerate(figures)}
    r, c, v = zip(*[(i, column[f], coef) for i, (row, _) in enumerate(rows) for f, coef in row.items()])
    graph = coo_matrix((np.ones(len(r)), (np.array(r), len(rows) + np.array(c))), shape=(len(rows) + len(figures),) * 2)
    _, label = connected_components(graph, directed=False)
    found: dict[Figure, Recovery] = {}
    for component in np.unique(label[len(rows):]):
        row_ids = np.flatnonzero(label[:len(rows)] == component)
        col_ids = np.flatnonzero(label[len(rows):] == component)
        position = {j: k for k, j in enumerate(col_ids)}
        matrix = np.zeros((len(row_ids), len(col_ids)))
        rhs = np.array([rows[i][1] for i in row_ids])
        for k, i in enumerate(row_ids):
            for f, coef in rows[i][0].items():
                matrix[k, position[column[f]]] = coef
        scale = np.abs(matrix).max(axis=1)
        matrix, rhs = matrix / scale[:, None], rhs / scale
        _, singular, vt = np.linalg.svd(matrix, full_matrices=True)
        rank = int((singular > 1e-9 * max(singular[0], 1.0) * max(matrix.shape)).sum())
        pinned = np.abs(vt[rank:]).max(axis=0) < 1e-8 if rank < len(col_ids) else np.ones(len(col_ids), dtype=bool)
        if pinned.any():
            solution = np.linalg.lstsq(matrix, rhs, rcond=None)[0]
            for k in np.flatnonzero(pinned):
                found[figures[col_ids[k]]] = Recovery(float(solution[k]), f"combination of {len(row_ids)} relations over {len(col_ids)} unknowns")
    return found


# --- the tests ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def published(client: TestClient, demo_store: Store) -> Published:
    """Everything the protected demo publishes, from every surface."""
    found = Published()
    levels = catalog_levels(client)
    seconds = {}  # printed, never asserted: where the time of this module goes
    for name, gather in (
        ("tiles (complete)", lambda: gather_tiles_complete(client, demo_store, found, levels)),
        ("tiles (every zoom, tiles read)", lambda: gather_tiles_every_zoom(client, demo_store, found, levels)),
        ("regions (profiles read)", lambda: gather_profiles(client, found, levels)),
        ("nederland", lambda: gather_nederland(client, found, levels)),
        ("legends (legends read)", lambda: gather_legends(client, found, levels)),
        ("hotspots (analyses read)", lambda: gather_hotspots(client, found)),
    ):
        start = time.perf_counter()
        count = gather()
        seconds[name] = round(time.perf_counter() - start, 1)
        if count is not None:
            found.read[name] = count
    print(f"\nseconds per surface: {seconds}")
    print(f"\ngathered: {dict(found.read)}; {len(found.values)} published figures, {len(found.withheld())} withheld or protected: "
          f"{dict(Counter(found.statuses[f] for f in found.withheld()))}")
    return found


def test_tile_reader_agrees_with_mapbox_vector_tile(client: TestClient) -> None:
    """The fast attribute reader gives what mapbox_vector_tile.decode gives."""
    body = client.get("/tiles/buurt/12/2106/1351.mvt", params={"year": 2024, "group": "man,vrouw", "indicators": "inwoners,aandeel_inwoners"}).content
    decoded = mapbox_vector_tile.decode(body)
    assert tile_properties(body, "buurt") == [f["properties"] for f in decoded["buurt"]["features"]]
    assert len(decoded["buurt"]["features"]) > 0


def test_every_surface_publishes_the_same_figures(published: Published) -> None:
    """Tiles, profiles, legends and analyses agree, and none gives a value it should not."""
    assert published.withheld(), "the demo has withheld figures: the attack below must have something to find"
    assert not published.problems, "\n".join(published.problems[:50])


def test_no_withheld_figure_can_be_computed_back(published: Published, catalog: Catalog) -> None:
    recovered = attack(published, catalog)
    leaks = {f: r for f, r in recovered.items() if published.statuses.get(f) in OURS}
    shown = "\n".join(f"{f} ({published.statuses[f]}) = {r.value:.4g} by {r.how}" for f, r in sorted(leaks.items())[:50])
    assert not leaks, f"{len(leaks)} withheld or protected figures recovered:\n{shown}"


# Negative control: the same gathering and attack on data built as before this change.
def test_control_without_secondary_suppression_gives_withheld_shares_away(
    catalog: Catalog, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(geodata.build, "protect", lambda values, *args: values)  # the data as built before
    output, _ = build_from_manifest(tmp_path, CONTROL_MANIFEST.format(data=(ROOT / "demo" / "data").as_posix()))
    store = open_store(output)
    with TestClient(app_on(output, store)) as client:
        found = Published()
        levels = catalog_levels(client)
        gather_tiles_complete(client, store, found, levels)
    assert not found.problems, "\n".join(found.problems[:50])
    assert not any(s == "protected" for s in found.statuses.values())
    recovered = attack(found, catalog)
    shares = {f: r for f, r in recovered.items() if found.statuses.get(f) == "withheld" and f[2] == "aandeel_inwoners"}
    print(f"\ncontrol: {len(recovered)} figures recovered, {len(shares)} withheld aandeel_inwoners; "
          f"by kind of relation {dict(Counter(r.how.split(' ')[0] for r in recovered.values()))}")
    assert len(shares) >= CONTROL_SHARES
    checked = check_against_source(shares, catalog)
    assert checked >= CONTROL_SHARES // 2, f"only {checked} recovered shares could be checked against the KWB files"


def check_against_source(shares: dict[Figure, Recovery], catalog: Catalog) -> int:
    """The recovered shares are the true ones: count / inhabitants x 100 from the KWB files of
    Utrecht (the withheld figure itself is never stored). Returns how many were checked."""
    mapping = catalog.indicators["aandeel_inwoners"].sources["kwb"]
    checked = 0
    for (code, year, _, group), recovery in sorted(shares.items()):
        row = kwb_rows(year).get(code)
        if row is None or group not in mapping.groups:
            continue
        column = next(c for c in mapping.groups[group] if c in row)
        total = float(row[next(c for c in mapping.denominator[0] if c in row)])
        if total == 0 or row[column] in ("", "."):
            continue
        truth = 100 * float(row[column]) / total
        assert recovery.value == pytest.approx(truth, abs=0.5), (code, year, group, recovery)
        checked += 1
    return checked
