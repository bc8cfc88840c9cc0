"""What a hotspot analysis asks for, checked against the dataset.

Parameters: level (buurt), indicator (required), year (default: latest with figures), group
(totaal), method (gi_star | local_moran), within (gemeente code), weights (queen | knn),
k (neighbours for knn: 1-30, default 6), permutations (99-9999, default 999), fdr (false).
A value out of range, 0 included, is an error naming the parameter, never the default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from geodata.errors import RequestError
from geodata.params import bool_param, bounded_int_param
from geodata.selection import OneFigure, Selection, parse_figure
from store import Store

METHODS = ("gi_star", "local_moran")
WEIGHTS = ("queen", "knn")
K = (1, 6, 30)  # lowest, default, highest
PERMUTATIONS = (99, 999, 9999)


@dataclass(frozen=True)
class AnalysisRequest(OneFigure):
    selection: Selection  # one indicator and group, optionally within one gemeente
    method: str
    weights: str
    k: int
    permutations: int
    fdr: bool

    def query_string(self) -> str:
        """The parameters that make tiles carry this analysis, appended to a tile query string."""
        parts = f"&analysis={self.method}&weights={self.weights}&permutations={self.permutations}"
        if self.weights == "knn":
            parts += f"&k={self.k}"
        if self.fdr:
            parts += "&fdr=true"
        if self.within:
            parts += f"&within={self.within}"
        return parts


def parse_analysis_request(store: Store, params: Mapping[str, str], indicator: str | None = None) -> AnalysisRequest:
    indicator = indicator or params.get("indicator")
    if not indicator:
        raise RequestError("indicator", "name the indicator to analyse, e.g. indicator=bijstand_per_1000")
    method = params.get("method") or params.get("analysis") or "gi_star"
    if method not in METHODS:
        raise RequestError("method", f"method must be one of {', '.join(METHODS)}, not {method!r}")
    weights = params.get("weights") or "queen"
    if weights not in WEIGHTS:
        raise RequestError("weights", f"weights must be one of {', '.join(WEIGHTS)}, not {weights!r}")
    k = bounded_int_param(params, "k", *K, what="k (nearest neighbours)")
    if weights != "knn":
        k = K[1]  # k counts for knn only; an unused k must not make a second result of the same analysis
    permutations = bounded_int_param(params, "permutations", *PERMUTATIONS)
    return AnalysisRequest(
        selection=parse_figure(store.availability, store.catalog, indicator, params), method=method,
        weights=weights, k=k, permutations=permutations, fdr=bool_param(params, "fdr"),
    )

