"""Local spatial statistics with PySAL, as an analysis worker computes them: Getis-Ord Gi* hot and
cold spots and local Moran's I clusters, from plain values and boundaries.

This module runs in the worker processes only, and needs no dataset: it imports PySAL and geopandas
only, which keeps a worker at about 300 MB and 4 s from start to ready (importing the server's
dataset modules as well would add 100 MB and 5 s). The server never imports it: what the two pass
each other is in `analysis.messages`.
"""

from __future__ import annotations

import warnings

import esda
import geopandas as gpd
import libpysal
import numpy as np
import pandas as pd
import shapely

from analysis.messages import NOT_SIGNIFICANT, HotspotInput, LocalStatistics
from geodata.errors import RequestError

LEVELS = (0.01, 0.05, 0.10)  # significance levels of the classes: 99, 95, 90 %
MORAN_QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


def spatial_weights(regions: gpd.GeoDataFrame, kind: str, k: int) -> libpysal.weights.W:
    """Queen contiguity from the (coverage-clean) boundaries, or k nearest neighbours of centroids."""
    with warnings.catch_warnings():  # islands are reported by the caller, not as a warning
        warnings.simplefilter("ignore")
        if kind == "queen":
            return libpysal.weights.Queen.from_dataframe(regions, ids=list(regions["code"]), use_index=False)
        points = regions.set_geometry(regions.geometry.representative_point())
        return libpysal.weights.KNN.from_dataframe(points, k=k, ids=list(regions["code"]), use_index=False)


def local_statistics(inputs: HotspotInput) -> LocalStatistics:
    """Regions left without neighbours among those with a value are reported, not silently dropped."""
    regions = gpd.GeoDataFrame(
        {"code": list(inputs.codes), "value": inputs.values}, geometry=shapely.from_wkb(inputs.boundaries)
    )
    w = spatial_weights(regions, inputs.weights, inputs.k)
    no_neighbours = tuple(sorted(w.islands))
    if no_neighbours:
        keep = [c for c in regions["code"] if c not in set(no_neighbours)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = libpysal.weights.w_subset(w, keep)
        regions = regions[regions["code"].isin(keep)].reset_index(drop=True)
    y = regions["value"].to_numpy(dtype=float)
    if np.all(y == y[0]):
        raise RequestError("indicator", "every region has the same value: nothing to find")

    statistic, z, p, label = _run(inputs, y, w)
    thresholds = {level: _threshold(p, level, inputs.fdr) for level in LEVELS}
    classes = _classes(inputs.method, p, label, thresholds)
    table = pd.DataFrame(
        {"value": y, "statistic": statistic, "z": z, "p": p, "class": classes},
        index=pd.Index(regions["code"], name="code"),
    )
    return LocalStatistics(table, no_neighbours, thresholds)


def _run(inputs: HotspotInput, y: np.ndarray, w: libpysal.weights.W) -> tuple[np.ndarray, ...]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        # esda 2.9 announces a future two-sided default; we report its current (folded) pseudo p-values.
        warnings.simplefilter("ignore", DeprecationWarning)
        if inputs.method == "gi_star":
            # Gi*'s z is analytic: the simulated statistics (regions x permutations floats) need not be kept.
            g = esda.G_Local(y, w, transform="B", permutations=inputs.permutations, star=True, n_jobs=1, seed=inputs.seed,
                             keep_simulations=False)  # fmt: skip
            return g.Gs, g.Zs, g.p_sim, np.where(g.Zs > 0, "hot", "cold").astype(object)
        m = esda.Moran_Local(y, w, transformation="r", permutations=inputs.permutations, n_jobs=1, seed=inputs.seed)
        return m.Is, m.z_sim, m.p_sim, np.array([MORAN_QUADRANTS[int(q)] for q in m.q], dtype=object)


def _threshold(p: np.ndarray, level: float, fdr: bool) -> float:
    """The p-value cut-off for a level: Benjamini-Hochberg (esda.fdr) when asked."""
    return float(esda.fdr(p, level)) if fdr else level


def _classes(method: str, p: np.ndarray, label: np.ndarray, thresholds: dict[float, float]) -> list[str]:
    out = []
    for pi, li in zip(p, label):
        if method == "gi_star":
            level = next((lvl for lvl in LEVELS if pi <= thresholds[lvl]), None)
            out.append(NOT_SIGNIFICANT if level is None else f"{li}_{round((1 - level) * 100)}")
        else:
            out.append(li if pi <= thresholds[0.05] else NOT_SIGNIFICANT)
    return out
