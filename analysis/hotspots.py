"""Local spatial statistics with PySAL: Getis-Ord Gi* hot and cold spots and local Moran's I clusters.

Only published figures enter the analysis: withheld and CBS-secret values stay out, so no
statistic is computed from them. Regions without a value, and regions left without
neighbours among the regions with a value, are reported rather than silently dropped.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd

from analysis.request import AnalysisRequest
from geodata.errors import RequestError
from store import Store

SEED = 20240101  # fixed, so the pseudo p-values of a request are the same every time
LEVELS = (0.01, 0.05, 0.10)  # significance levels of the classes: 99, 95, 90 %
MORAN_QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}
NOT_SIGNIFICANT = "niet_significant"
NO_VALUE = "geen_waarde"
NO_NEIGHBOURS = "geen_buren"


@dataclass(frozen=True)
class HotspotResult:
    request: AnalysisRequest
    table: pd.DataFrame  # index code: value, statistic, z, p, class
    no_value: tuple[str, ...]
    no_neighbours: tuple[str, ...]
    thresholds: dict[float, float]  # level -> p threshold used (FDR-adjusted or the level itself)


def spatial_weights(regions: gpd.GeoDataFrame, kind: str, k: int) -> libpysal.weights.W:
    """Queen contiguity from the (coverage-clean) boundaries, or k nearest neighbours of centroids."""
    with warnings.catch_warnings():  # islands are reported by the caller, not as a warning
        warnings.simplefilter("ignore")
        if kind == "queen":
            return libpysal.weights.Queen.from_dataframe(regions, ids=list(regions["code"]), use_index=False)
        points = regions.set_geometry(regions.geometry.representative_point())
        return libpysal.weights.KNN.from_dataframe(points, k=k, ids=list(regions["code"]), use_index=False)


def hotspots(store: Store, request: AnalysisRequest) -> HotspotResult:
    regions = store.regions(request.level, request.year, request.within)  # sorted by code
    shown = store.figures(request.level, request.year, request.group, request.indicator, request.within)
    published = shown.statuses.reindex(regions["code"]).eq("ok").to_numpy()
    no_value = tuple(regions.loc[~published, "code"])
    with_value = regions[published].reset_index(drop=True)
    if len(with_value) < 3:
        raise RequestError("indicator", f"{len(with_value)} regions with a published value: too few for a local statistic")

    w = spatial_weights(with_value, request.weights, request.k)
    no_neighbours = tuple(sorted(w.islands))
    if no_neighbours:
        keep = [c for c in with_value["code"] if c not in set(no_neighbours)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = libpysal.weights.w_subset(w, keep)
        with_value = with_value[with_value["code"].isin(keep)].reset_index(drop=True)
    codes = list(with_value["code"])
    y = shown.values.reindex(codes).to_numpy(dtype=float)
    if np.all(y == y[0]):
        raise RequestError("indicator", "every region has the same value: nothing to find")

    statistic, z, p, label = _run(request, y, w)
    thresholds = {level: _threshold(p, level, request.fdr) for level in LEVELS}
    classes = _classes(request.method, p, label, thresholds)
    table = pd.DataFrame({"value": y, "statistic": statistic, "z": z, "p": p, "class": classes}, index=pd.Index(codes, name="code"))
    return HotspotResult(request, table, no_value, no_neighbours, thresholds)


def _run(request: AnalysisRequest, y: np.ndarray, w: libpysal.weights.W) -> tuple[np.ndarray, ...]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        # esda 2.9 announces a future two-sided default; we report its current (folded) pseudo p-values.
        warnings.simplefilter("ignore", DeprecationWarning)
        if request.method == "gi_star":
            g = esda.G_Local(y, w, transform="B", permutations=request.permutations, star=True, n_jobs=1, seed=SEED)
            return g.Gs, g.Zs, g.p_sim, np.where(g.Zs > 0, "hot", "cold").astype(object)
        m = esda.Moran_Local(y, w, transformation="r", permutations=request.permutations, n_jobs=1, seed=SEED)
        return m.Is, m.z_sim, m.p_sim, np.array([MORAN_QUADRANTS[int(q)] for q in m.q], dtype=object)


def _threshold(p: np.ndarray, level: float, fdr: bool) -> float:
    """The p-value cut-off for a level: Benjamini-Hochberg (esda.fdr) when asked."""
    return float(esda.fdr(p, level)) if fdr else level


def _classes(method: str, p: np.ndarray, label: np.ndarray, thresholds: dict[float, float]) -> list[str]:
    out = []
    for pi, li in zip(p, label):
        if method == "gi_star":
            level = next((lvl for lvl in LEVELS if pi <= thresholds[lvl]), None)
            out.append(NOT_SIGNIFICANT if level is None else f"{li}_{int(round((1 - level) * 100))}")
        else:
            out.append(li if pi <= thresholds[0.05] else NOT_SIGNIFICANT)
    return out


def attribute_names(method: str) -> dict[str, str]:
    """Tile attribute -> description, for TileJSON."""
    what = "Getis-Ord Gi*" if method == "gi_star" else "lokale Moran's I"
    classes = (
        "hot_99/hot_95/hot_90, cold_99/cold_95/cold_90" if method == "gi_star" else "HH, LL, HL, LH (p <= 0,05)"
    )
    return {
        f"{method}__class": f"{what}: {classes}, {NOT_SIGNIFICANT}, {NO_VALUE} of {NO_NEIGHBOURS} (String)",
        f"{method}__z": f"{what}: z-score (Number)",
        f"{method}__p": f"{what}: pseudo p-waarde uit permutaties (Number)",
    }


def tile_attributes(result: HotspotResult) -> dict[str, pd.Series]:
    """The analysis as tile attributes by region code; regions outside it get a class that says why."""
    method = result.request.method
    classes = pd.concat([
        result.table["class"],
        pd.Series(NO_VALUE, index=pd.Index(result.no_value, name="code"), dtype=object),
        pd.Series(NO_NEIGHBOURS, index=pd.Index(result.no_neighbours, name="code"), dtype=object),
    ])
    return {
        f"{method}__class": classes,
        f"{method}__z": result.table["z"].round(4),
        f"{method}__p": result.table["p"].astype(float).round(4),
    }


def warm_up() -> None:
    """Compile esda's numba kernels (about 15 s, once per process) before the first real request."""
    y = np.arange(6, dtype=float)
    w = libpysal.weights.lat2W(2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        esda.G_Local(y, w, transform="B", permutations=99, star=True, n_jobs=1, seed=SEED)
        esda.Moran_Local(y, w, transformation="r", permutations=99, n_jobs=1, seed=SEED)
