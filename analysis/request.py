"""What a hotspot analysis asks for, checked against the dataset.

Parameters: level (buurt), indicator (required), year (default: latest with figures), group
(totaal), method (gi_star | local_moran), within (gemeente code), weights (queen | knn),
k (neighbours for knn, 6), permutations (999), fdr (false).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from geodata.dataset import Dataset
from geodata.errors import RequestError
from geodata.params import bool_param, int_param
from geodata.regions import Level
from styles.request import parse_thematic_request

METHODS = ("gi_star", "local_moran")
WEIGHTS = ("queen", "knn")


@dataclass(frozen=True)
class AnalysisRequest:
    indicator: str
    level: Level
    year: int
    group: str
    method: str
    within: str | None
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


def parse_analysis_request(dataset: Dataset, params: Mapping[str, str], indicator: str | None = None) -> AnalysisRequest:
    indicator = indicator or params.get("indicator")
    if not indicator:
        raise RequestError("indicator", "name the indicator to analyse, e.g. indicator=bijstand_per_1000")
    method = params.get("method") or params.get("analysis") or "gi_star"
    if method not in METHODS:
        raise RequestError("method", f"method must be one of {', '.join(METHODS)}, not {method!r}")
    weights = params.get("weights") or "queen"
    if weights not in WEIGHTS:
        raise RequestError("weights", f"weights must be one of {', '.join(WEIGHTS)}, not {weights!r}")
    k = int_param(params, "k") or 6
    if not 1 <= k <= 30:
        raise RequestError("k", f"k (nearest neighbours) must be between 1 and 30, not {k}")
    permutations = int_param(params, "permutations") or 999
    if not 99 <= permutations <= 9999:
        raise RequestError("permutations", f"permutations must be between 99 and 9999, not {permutations}")
    # Level, year, group and within are checked exactly as for a thematic map of the same figures.
    base = parse_thematic_request(
        dataset, indicator, {key: params[key] for key in ("level", "year", "group", "within") if params.get(key)}
    )
    return AnalysisRequest(
        indicator=base.indicator, level=base.level, year=base.year, group=base.group, method=method,
        within=base.within, weights=weights, k=k, permutations=permutations, fdr=bool_param(params, "fdr"),
    )
