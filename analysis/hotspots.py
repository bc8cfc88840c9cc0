"""Hotspot analyses of a dataset: Getis-Ord Gi* hot and cold spots and local Moran's I clusters.

Only published figures enter the analysis: withheld and CBS-secret values stay out, so no
statistic is computed from them. Regions without a value, and regions left without
neighbours among the regions with a value, are reported rather than silently dropped.
The statistics themselves are computed by `analysis.statistics` in a worker process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd
import shapely

from analysis.messages import NO_NEIGHBOURS, NOT_SIGNIFICANT, HotspotInput, LocalStatistics
from analysis.request import AnalysisRequest
from geodata.cells import Status
from geodata.errors import RequestError
from store import Store

SEED = 20240101  # fixed, so the pseudo p-values of a request are the same every time
NO_VALUE = "geen_waarde"


@dataclass(frozen=True)
class HotspotResult:
    request: AnalysisRequest
    table: pd.DataFrame  # index code: value, statistic, z, p, class
    no_value: dict[str, str]  # region without a published value -> its status (withheld, secret ...)
    no_neighbours: tuple[str, ...]
    thresholds: dict[float, float]  # level -> p threshold used (FDR-adjusted or the level itself)

    @cached_property
    def tile_attributes(self) -> dict[str, pd.Series]:
        """The analysis as tile attributes by region code (made once, for every tile that carries it);
        regions outside it get a class that says why."""
        method = self.request.method
        classes = pd.concat([
            self.table["class"],
            pd.Series(NO_VALUE, index=pd.Index(list(self.no_value), name="code"), dtype=object),
            pd.Series(NO_NEIGHBOURS, index=pd.Index(self.no_neighbours, name="code"), dtype=object),
        ])
        return {
            f"{method}__class": classes,
            f"{method}__z": self.table["z"].round(4),
            f"{method}__p": self.table["p"].astype(float).round(4),
        }


def hotspot_input(store: Store, request: AnalysisRequest) -> tuple[HotspotInput, dict[str, str]]:
    """The worker's input (codes, published values and boundaries) and the regions without a value,
    with the status that says why."""
    regions = store.regions(request.level, request.year, request.within)  # sorted by code
    shown = store.figures(request.level, request.year, request.group, request.indicator, request.within)
    published = shown.statuses.eq(Status.ok.value).to_numpy()  # aligned with regions (the store's order)
    no_value = dict(zip(regions.loc[~published, "code"], shown.statuses.to_numpy()[~published]))
    with_value = regions[published]
    if len(with_value) < 3:
        raise RequestError("indicator", f"{len(with_value)} regions with a published value: too few for a local statistic")
    codes = tuple(with_value["code"])
    inputs = HotspotInput(
        method=request.method, weights=request.weights, k=request.k, permutations=request.permutations, fdr=request.fdr,
        seed=SEED, codes=codes, values=shown.values.reindex(codes).to_numpy(dtype=float),
        boundaries=shapely.to_wkb(with_value.geometry.to_numpy()),
    )
    return inputs, no_value


def hotspot_result(request: AnalysisRequest, no_value: dict[str, str], statistics: LocalStatistics) -> HotspotResult:
    return HotspotResult(request, statistics.table, no_value, statistics.no_neighbours, statistics.thresholds)


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
