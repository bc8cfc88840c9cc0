"""Generalised buurten keep shared borders shared: no gaps, no overlaps, at any zoom."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from geodata.regions import Level
from store import Store
from tiles.generalise import TOLERANCE_UNITS, simplify_coverage
from tiles.tilemath import WEB_MERCATOR


def gap_and_overlap_area(geoms: np.ndarray) -> tuple[float, float]:
    """Holes inside the union (gaps between neighbours) and area counted twice (overlaps)."""
    union = shapely.union_all(geoms)
    parts = getattr(union, "geoms", [union])
    gaps = sum(shapely.Polygon(ring).area for part in parts for ring in part.interiors)
    overlap = float(shapely.area(geoms).sum() - union.area)
    return gaps, overlap


@pytest.fixture(scope="module")
def utrecht_buurten_3857(demo_store: Store) -> np.ndarray:
    return np.asarray(demo_store.regions(Level.buurt, 2023).to_crs(3857).geometry.array)


@pytest.mark.parametrize("z", [8, 10, 12])
def test_no_gaps_or_overlaps_between_buurten(utrecht_buurten_3857: np.ndarray, z: int) -> None:
    original_gaps, _ = gap_and_overlap_area(utrecht_buurten_3857)
    simplified = simplify_coverage(utrecht_buurten_3857, WEB_MERCATOR, z, 4096)
    gaps, overlap = gap_and_overlap_area(simplified)
    assert gaps <= original_gaps + 1.0  # m² (Web Mercator), against ~ 1.5e8 m² of Utrecht
    assert abs(overlap) < 1.0
    assert shapely.get_num_coordinates(simplified).sum() < shapely.get_num_coordinates(utrecht_buurten_3857).sum()


def test_the_gap_measure_sees_gaps_of_naive_simplification(utrecht_buurten_3857: np.ndarray) -> None:
    # Per-polygon simplification moves each side of a shared border differently.
    naive = shapely.simplify(utrecht_buurten_3857, WEB_MERCATOR.unit_size(10, 4096) * TOLERANCE_UNITS)
    gaps, overlap = gap_and_overlap_area(naive)
    assert gaps > 1000 and overlap > 1000
