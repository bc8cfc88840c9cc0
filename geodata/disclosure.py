"""Disclosure control: no withheld figure can be computed back from the figures we publish.

A figure is withheld when its denominator is below the catalog minimum (primary, geodata/values.py).
That alone does not keep it secret, because published figures are tied to each other:
- a ratio (catalog `ratio`): share = scale x numerator / denominator, of one region and year;
- a sum of groups (catalog [[sums]]): for a count the whole is the sum of its parts, and the
  shares of a composition add up to the whole's share (100 for totaal);
- a sum of regions: for a count, a wijk is the sum of its buurten, a gemeente of its wijken and
  Nederland of all gemeenten of the year.
Whenever such a relation leaves a withheld figure as its only unknown, one more of its published
figures is withheld too (secondary, status `protected`): the one that costs least (see
_protect_best): for a share its count, not the total; for a sum another part, not the whole.
That repeats until no relation gives one away.
Relations can also be combined (subtract one sum from another); so, per connected set of unknown
figures, linear algebra then checks that no withheld figure is determined by the published ones,
and protects one more partner of any that is. Rounding is ignored: an approximate recovery
counts as a recovery.

This runs once, at build time, after every computed figure is in: nothing downstream (tiles,
/regions, legends, analysis, exports) needs to know, as a protected figure is never stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geodata.catalog import TOTAL_GROUP, Catalog, Ratio
from geodata.cells import NOT_PUBLISHED, Status
from geodata.errors import DisclosureError
from geodata.regions import GEMEENTEN_PER_YEAR, NATIONAL_CODE, UNASSIGNED_GEMEENTEN
from geodata.report import BuildReport

_KEY = ["code", "year", "indicator", "group"]
_OURS = NOT_PUBLISHED
# A member's place in its relation: a sum's part or a ratio's numerator; a ratio's share; a sum's
# whole or a ratio's total.
_PART, _SHARE, _WHOLE = 0, 1, 2
_TOLERANCE = 1e-9


@dataclass
class _Relations:
    """Every relation as rows of its members: relation id, cell id, coefficient, role. A ratio's
    members have coefficient NaN: a ratio is linear only while its total is published."""

    rel: np.ndarray
    cell: np.ndarray
    coef: np.ndarray
    role: np.ndarray
    total: np.ndarray  # a ratio's members: the cell of its total (-1 elsewhere)
    scale: np.ndarray  # a ratio's members: its scale
    degree: np.ndarray  # per cell: how many relations it is in
    futile: np.ndarray  # per cell: protecting it protects nothing (its region's total is 0)
    total_group: np.ndarray  # per cell: a figure of group totaal

    @property
    def count(self) -> int:
        return int(self.rel.max()) + 1 if len(self.rel) else 0


def protect(values: pd.DataFrame, regions: dict[str, gpd.GeoDataFrame], catalog: Catalog, report: BuildReport) -> pd.DataFrame:
    """`values` with every figure that would reveal a withheld one set to `protected` (no value)."""
    if not values["status"].isin(_OURS).any():
        return values
    members = _members(values, regions, catalog)
    if members.empty:
        return values
    keys = pd.concat([values[_KEY], members[_KEY]], ignore_index=True).drop_duplicates(ignore_index=True)
    index = pd.MultiIndex.from_frame(keys)
    row_cell = index.get_indexer(pd.MultiIndex.from_frame(values[_KEY]))
    status = np.full(len(keys), Status.missing.value, dtype=object)  # a cell no source gives: unknown
    status[row_cell] = values["status"].to_numpy(dtype=object)
    value = np.full(len(keys), np.nan)
    value[row_cell] = values["value"].to_numpy(dtype=float)
    ratio_members = members["total_code"].notna().to_numpy()
    total = np.full(len(members), -1)
    total_keys = members.loc[ratio_members, [f"total_{k}" for k in _KEY]].set_axis(_KEY, axis=1).astype({"year": int})
    total[ratio_members] = index.get_indexer(pd.MultiIndex.from_frame(total_keys))
    # A group's count in a region whose total is a published 0 is 0 too, whatever we do:
    # protecting it protects nothing, so it is chosen last.
    total_group = (keys["group"] == TOTAL_GROUP).to_numpy()
    zero_total = values[(values["group"] == TOTAL_GROUP) & (values["status"] == Status.ok.value) & (values["value"] == 0)]
    empty = pd.MultiIndex.from_frame(keys[["code", "year", "indicator"]]).isin(
        pd.MultiIndex.from_frame(zero_total[["code", "year", "indicator"]])
    ) & ~total_group
    cells = index.get_indexer(pd.MultiIndex.from_frame(members[_KEY]))
    relations = _Relations(
        rel=members["rel"].to_numpy(),
        cell=cells,
        coef=members["coef"].to_numpy(dtype=float),
        role=members["role"].to_numpy(),
        total=total,
        scale=members["scale"].to_numpy(dtype=float),
        degree=np.bincount(cells, minlength=len(keys)),
        futile=empty,
        total_group=total_group,
    )
    before = status.copy()
    clean: set[bytes] = set()
    while True:
        _propagate(relations, status, value)
        determined = _determined(relations, status, value, clean)
        if not determined.size:
            break
        if not _protect_partners(relations, status, value, determined):
            # Cannot happen with sums and ratios; if it did, publishing would leak: stop the build.
            raise DisclosureError(f"{determined.size} withheld figures stay computable from published ones")
    newly = ((status == Status.protected.value) & (before != Status.protected.value))[row_cell]
    if not newly.any():
        return values
    result = values.copy()
    result.loc[newly, "status"] = Status.protected.value
    result.loc[newly, "value"] = np.nan
    per_indicator = result.loc[newly].groupby("indicator").size().sort_values(ascending=False)
    report.warn(
        f"{int(newly.sum())} figures not published because they would reveal a figure withheld for too few people "
        "(secondary suppression): " + ", ".join(f"{i} {n}" for i, n in per_indicator.items())
    )
    return result


def _members(values: pd.DataFrame, regions: dict[str, gpd.GeoDataFrame], catalog: Catalog) -> pd.DataFrame:
    """Every relation of this dataset, one row per member: rel, the member's key, coef, role, and
    for a ratio's members its scale and the key of its total (total_code ...)."""
    parts: list[pd.DataFrame] = []
    n_rel = 0

    def add(frame: pd.DataFrame, local_rel: np.ndarray) -> None:
        nonlocal n_rel
        if len(frame):
            parts.append(frame.assign(rel=local_rel + n_rel))
            n_rel += int(local_rel.max()) + 1

    counts = [i for i in catalog.indicators.values() if i.kind == "count"]
    compositions = [i for i in catalog.indicators.values() if i.kind == "composition"]
    for indicator in counts + compositions:
        places = values.loc[values["indicator"] == indicator.id, ["code", "year"]].drop_duplicates(ignore_index=True)
        for total in catalog.sums:
            add(*_group_sum(indicator.id, indicator.kind, set(indicator.groups), total.whole, total.parts, places))
    links = _region_links(regions)
    for indicator in counts:
        add(*_region_sum(indicator.id, values[values["indicator"] == indicator.id], links))
    for indicator in catalog.indicators.values():
        if indicator.ratio is not None:
            add(*_ratio(indicator.id, indicator.ratio, values[values["indicator"] == indicator.id]))
    columns = [*_KEY, "rel", "coef", "role", "scale", *(f"total_{k}" for k in _KEY)]
    if not parts:
        return pd.DataFrame(columns=columns)
    members = pd.concat(parts, ignore_index=True).reindex(columns=columns)
    members["year"] = members["year"].astype(int)
    return members


def _group_sum(
    indicator: str, kind: str, groups: set[str], whole: str, parts: tuple[str, ...], places: pd.DataFrame
) -> tuple[pd.DataFrame, np.ndarray]:
    """whole = sum of parts per region and year (a composition's parts of totaal add up to 100)."""
    constant = kind == "composition" and whole == TOTAL_GROUP
    if places.empty or not set(parts) <= groups or not (constant or whole in groups):
        return pd.DataFrame(), np.zeros(0, dtype=int)
    spec = [(g, 1.0, _PART) for g in parts] + ([] if constant else [(whole, -1.0, _WHOLE)])
    frame = places.merge(pd.DataFrame(spec, columns=["group", "coef", "role"]), how="cross")
    return frame.assign(indicator=indicator, scale=np.nan), frame.index.to_numpy() // len(spec)


def _region_links(regions: dict[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """parent, child, year: buurten of a wijk, wijken of a gemeente, and the gemeenten of Nederland
    in a year with all of them (plus the parts no gemeente holds, where a table gives them)."""
    links = []
    for level, parent in (("buurt", "wijk_code"), ("wijk", "gemeente_code")):
        if level in regions:
            frame = regions[level]
            links.append(pd.DataFrame({"parent": frame[parent], "child": frame["code"], "year": frame["year"]}))
    if "gemeente" in regions:
        for year, frame in regions["gemeente"].groupby("year"):
            if len(frame) == GEMEENTEN_PER_YEAR.get(int(year)):
                children = [*frame["code"], *sorted(UNASSIGNED_GEMEENTEN)]
                links.append(pd.DataFrame({"parent": NATIONAL_CODE, "child": children, "year": int(year)}))
    if not links:
        return pd.DataFrame(columns=["parent", "child", "year"])
    return pd.concat(links, ignore_index=True).dropna().astype({"year": int})


def _region_sum(indicator: str, rows: pd.DataFrame, links: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """A count of a parent region = the sum over its child regions, per group and year."""
    if rows.empty or links.empty:
        return pd.DataFrame(), np.zeros(0, dtype=int)
    # A part no gemeente holds (GM0998) counts only for the indicators a table gives it for.
    given = set(rows["code"])
    links = links[~links["child"].isin(UNASSIGNED_GEMEENTEN) | links["child"].isin(given)]
    groups = rows[["year", "group"]].drop_duplicates()
    pairs = links.merge(groups, on="year")
    pairs = pairs[pairs["parent"].isin(given) | pairs["child"].isin(given)]
    if pairs.empty:
        return pd.DataFrame(), np.zeros(0, dtype=int)
    rel, _ = pd.factorize(pd.MultiIndex.from_frame(pairs[["parent", "year", "group"]]))
    children = pd.DataFrame({"code": pairs["child"].to_numpy(), "year": pairs["year"].to_numpy(), "group": pairs["group"].to_numpy(), "coef": 1.0, "role": _PART, "rel": rel})
    parents = pd.DataFrame({"code": pairs["parent"].to_numpy(), "year": pairs["year"].to_numpy(), "group": pairs["group"].to_numpy(), "coef": -1.0, "role": _WHOLE, "rel": rel}).drop_duplicates("rel")
    frame = pd.concat([children, parents], ignore_index=True).assign(indicator=indicator, scale=np.nan)
    return frame.drop(columns="rel"), frame["rel"].to_numpy()


def _ratio(indicator: str, ratio: Ratio, rows: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """share = scale x numerator / total, per region, year and group."""
    shares = rows[["code", "year", "group"]].drop_duplicates(ignore_index=True)
    if shares.empty:
        return pd.DataFrame(), np.zeros(0, dtype=int)
    numerator = shares.assign(indicator=ratio.numerator, group=ratio.numerator_group or shares["group"])
    total = shares.assign(indicator=ratio.denominator, group=ratio.denominator_group or shares["group"])
    keep = ~((numerator["indicator"] == total["indicator"]) & (numerator["group"] == total["group"])).to_numpy()
    shares, numerator, total = shares[keep], numerator[keep], total[keep]
    rel = np.arange(len(shares))
    total_key = total[_KEY].set_axis([f"total_{k}" for k in _KEY], axis=1).reset_index(drop=True)
    frame = pd.concat([
        pd.concat([shares.assign(indicator=indicator, role=_SHARE).reset_index(drop=True), total_key], axis=1),
        pd.concat([numerator.assign(role=_PART).reset_index(drop=True), total_key], axis=1),
        pd.concat([total.assign(role=_WHOLE).reset_index(drop=True), total_key], axis=1),
    ], ignore_index=True)
    return frame.assign(coef=np.nan, scale=ratio.scale), np.tile(rel, 3)


def _unknown(status: np.ndarray) -> np.ndarray:
    return status != Status.ok.value


def _propagate(r: _Relations, status: np.ndarray, value: np.ndarray) -> None:
    """Until no relation has a withheld figure as its only unknown: protect one published member
    of each relation that has."""
    while True:
        member_status = status[r.cell]
        unknown = _unknown(member_status)
        n_unknown = np.bincount(r.rel, weights=unknown, minlength=r.count)
        exposed = unknown & np.isin(member_status, _OURS) & (n_unknown[r.rel] == 1)
        if not exposed.any():
            return
        rels = np.unique(r.rel[exposed])
        _protect_best(r, status, value, rels)


def _protect_best(r: _Relations, status: np.ndarray, value: np.ndarray, rels: np.ndarray) -> int:
    """Protect, in each relation of `rels`, its published member that costs least (_cost).
    Returns how many figures became protected."""
    candidate = np.flatnonzero(np.isin(r.rel, rels) & ~_unknown(status[r.cell]))
    if not len(candidate):
        return 0
    rel = r.rel[candidate]
    order = np.lexsort((*_cost(r, value, candidate), rel))
    first = np.unique(rel[order], return_index=True)[1]
    chosen = np.unique(r.cell[candidate][order][first])
    status[chosen] = Status.protected.value
    return len(chosen)


def _cost(r: _Relations, value: np.ndarray, members: np.ndarray) -> tuple[np.ndarray, ...]:
    """Sort keys (last one first) for which published member to protect: never one whose region has
    a total of 0 (it is known to be 0); never the whole of a sum while a part is published; a
    group's figure before one of group totaal (what the viewer shows first); then the figure in the fewest relations (a group's count before the
    total every share is read against, an area before the inhabitants of a density), as each
    relation it is in may need a partner protected in turn; then a count before a share before a
    total; then the smallest value."""
    cell = r.cell[members]
    size = np.abs(value[cell])
    whole_of_sum = (r.role[members] == _WHOLE) & ~np.isnan(r.coef[members])
    return size, r.role[members], r.degree[cell], r.total_group[cell], whole_of_sum, r.futile[cell]


def _linear(r: _Relations, status: np.ndarray, value: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The relations as a linear system in the unknown figures: (relation, cell, coefficient) per
    nonzero. share x total = scale x count is linear once the total or the share is known:
    - a published total T: share - scale/T x count = 0 (and count = 0 when T is 0);
    - a published share s, total unknown: scale x count - s x total = 0;
    a ratio with neither is left out."""
    unknown = _unknown(status[r.cell])
    coef = r.coef.copy()
    ratio = np.isnan(coef)
    share_cell = np.full(r.count, -1)
    is_share = ratio & (r.role == _SHARE)
    share_cell[r.rel[is_share]] = r.cell[is_share]
    share_of = np.where(ratio, share_cell[r.rel], -1)
    total_known = ratio & ~_unknown(status[np.maximum(r.total, 0)])
    share_known = ratio & ~total_known & (share_of >= 0) & ~_unknown(status[np.maximum(share_of, 0)])
    total = np.where(total_known, value[np.maximum(r.total, 0)], np.nan)
    share = np.where(share_known, value[np.maximum(share_of, 0)], np.nan)
    zero = total_known & (total == 0)  # the share is undefined, the count is 0
    part, whole = ratio & (r.role == _PART), ratio & (r.role == _WHOLE)
    with np.errstate(divide="ignore", invalid="ignore"):
        by_total = np.select([is_share, part & zero, part], [np.where(zero, 0.0, 1.0), 1.0, -r.scale / total], 0.0)
        by_share = np.select([part, whole], [r.scale, -share], 0.0)
    coef[ratio] = np.where(total_known, by_total, np.where(share_known, by_share, 0.0))[ratio]
    keep = unknown & np.isfinite(coef) & (coef != 0)
    return r.rel[keep], r.cell[keep], coef[keep]


def _determined(r: _Relations, status: np.ndarray, value: np.ndarray, clean: set[bytes]) -> np.ndarray:
    """Withheld figures the published ones determine through any combination of relations. `clean`
    holds the systems already solved without finding one; they are not solved again."""
    rel, cell, coef = _linear(r, status, value)
    rel, cell, coef = _peel(rel, cell, coef, status)
    if not len(rel):
        return np.zeros(0, dtype=int)
    rel_ids, rel_pos = np.unique(rel, return_inverse=True)
    cell_ids, cell_pos = np.unique(cell, return_inverse=True)
    n_rel, n_cell = len(rel_ids), len(cell_ids)
    graph = coo_matrix((np.ones(len(rel)), (rel_pos, n_rel + cell_pos)), shape=(n_rel + n_cell, n_rel + n_cell))
    _, label = connected_components(graph, directed=False)
    ours = np.isin(status[cell_ids], _OURS)
    wanted = np.unique(label[n_rel:][ours])
    member_label = label[rel_pos]
    order = np.argsort(member_label, kind="stable")
    starts = np.searchsorted(member_label[order], wanted)
    ends = np.searchsorted(member_label[order], wanted, side="right")
    found = []
    for start, end in zip(starts, ends):
        at = order[start:end]
        rows, row_of = np.unique(rel_pos[at], return_inverse=True)
        cols, col_of = np.unique(cell_pos[at], return_inverse=True)
        key = hashlib.blake2b(b"".join((rel_ids[rows].tobytes(), cell_ids[cols].tobytes(), coef[at].tobytes()))).digest()
        if key in clean:
            continue
        matrix = np.zeros((len(rows), len(cols)))
        matrix[row_of, col_of] = coef[at]
        matrix /= np.abs(matrix).max(axis=1, keepdims=True)
        _, singular, vt = np.linalg.svd(matrix, full_matrices=True)
        rank = int((singular > _TOLERANCE * max(singular[0], 1.0) * max(matrix.shape)).sum())
        free = vt[rank:]
        pinned = np.abs(free).max(axis=0) < 1e-8 if len(free) else np.ones(len(cols), dtype=bool)
        leaks = cell_ids[cols[pinned & ours[cols]]]
        if len(leaks):
            found.extend(leaks)
        else:
            clean.add(key)
    return np.asarray(found, dtype=int)


def _peel(rel: np.ndarray, cell: np.ndarray, coef: np.ndarray, status: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Drop relations that cannot pin anything down: one with an unknown figure no other relation
    holds (and that is not withheld) is always met by choosing that figure, so it tells nothing
    about the others. Repeated until none is left; this keeps the systems to solve small."""
    ours = np.isin(status, _OURS)
    active = np.ones(len(rel), dtype=bool)
    while True:
        cells, degree = np.unique(cell[active], return_counts=True)
        loose = cells[(degree == 1) & ~ours[cells]]
        if not len(loose):
            return rel[active], cell[active], coef[active]
        active &= ~np.isin(rel, rel[active & np.isin(cell, loose)])


def _protect_partners(r: _Relations, status: np.ndarray, value: np.ndarray, determined: np.ndarray) -> int:
    """For each determined withheld figure, protect the cheapest published figure (_cost) of the
    relations it is in, or, if they hold none, of the relations of their unknown figures, and so
    on outwards: a new unknown ties in where the leak is. Returns how many became protected."""
    published = ~_unknown(status[r.cell])
    chosen = set()
    for cell in determined:
        reached, frontier = {int(cell)}, np.array([cell])
        while len(frontier):
            own = np.isin(r.rel, r.rel[np.isin(r.cell, frontier)])
            candidate = np.flatnonzero(own & published)
            if len(candidate):
                chosen.add(int(r.cell[candidate[np.lexsort(_cost(r, value, candidate))[0]]]))
                break
            frontier = np.setdiff1d(r.cell[own], np.fromiter(reached, dtype=int))
            reached.update(frontier.tolist())
    status[list(chosen)] = Status.protected.value
    return len(chosen)
