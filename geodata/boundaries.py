"""Read region boundaries of one level, check CRS and codes, repair geometry, clean the coverage."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from geodata.errors import InputError
from geodata.manifest import BoundarySource
from geodata.regions import LEVELS, level_of_code, parent_codes
from geodata.report import BuildReport
from geodata.sources import (
    apply_where,
    fill_template,
    is_single_column,
    parse_codes,
    read_vector,
    require_codes,
    row_number,
    row_numbers,
)

STORAGE_CRS = "EPSG:28992"  # RD New: the Dutch norm, metres, what QGIS users expect
# Generous lon/lat box around the Netherlands (incl. the Caribbean parts is out of scope).
_NL_LONLAT = shapely.box(2.0, 50.0, 8.0, 54.5)



def read_boundaries(source: BoundarySource, report: BuildReport) -> gpd.GeoDataFrame:
    """One level's regions from one file, in EPSG:28992, one row per (code, year)."""
    frame = read_vector(source.file, source.layer)
    frame = frame.set_crs(_source_crs(source, frame), allow_override=True)
    frame = apply_where(source.file, frame, source.where, source.exclude)
    raw = fill_template(source.file, frame, source.code)
    codes = _level_codes(source, raw, row_numbers(frame, False))
    duplicated = codes[codes.duplicated(keep=False)]
    if len(duplicated) and not source.dissolve:
        first = duplicated.iloc[0]
        rows = [row_number(i, False) for i in duplicated[duplicated == first].index]
        raise InputError(
            source.file,
            f"{len(duplicated)} features share a code, e.g. {first} in features {rows}; "
            "filter them with where = {...} in the manifest, or merge them with dissolve = true",
        )
    names = fill_template(source.file, frame, source.name) if source.name else pd.Series(None, index=frame.index, dtype=object)
    names = names.where(names.str.strip() != "", None)  # an empty cell names nothing (the code is shown instead)
    _check_location(source, frame)
    geoms = np.asarray(frame.geometry.array)
    _check_polygonal(source, geoms)
    # Repair in the file's own CRS, so the count is what the user's file holds.
    geoms, invalid = _repaired(geoms)
    for year in source.years:
        entry = report.at(source.level.value, year)
        if source.dissolve:
            entry.dissolved_features += len(geoms)
            entry.repaired_dissolved += int(invalid.sum())
        else:
            entry.repaired_geometries += int(invalid.sum())
    regions = gpd.GeoDataFrame(
        {"code": codes.values, "name": names.values},
        geometry=gpd.GeoSeries(geoms, crs=frame.crs).to_crs(STORAGE_CRS).values,
        crs=STORAGE_CRS,
    )
    if source.dissolve:
        regions = _dissolve(regions)
    frames = []
    for year in source.years:
        per_year = regions.copy()
        per_year["year"] = year
        frames.append(per_year)
    return pd.concat(frames, ignore_index=True)


def _level_codes(source: BoundarySource, raw: pd.Series, rows: pd.Series) -> pd.Series:
    """Each feature's code at the source's level. With dissolve = true a finer code stands for the
    region it lies in (BU03440111 for WK034401): CBS nests codes in their digits, so a buurt layer
    with only statcode makes its wijken and gemeenten."""
    single = is_single_column(source.code)
    codes = parse_codes(raw, bare=single)
    found = codes.map(lambda code: level_of_code(code) if code else None)
    codes = codes.where(found.notna(), None)  # NL00 (Nederland) is a code, but of no level
    require_codes(source.file, raw, codes, rows, source.level.value)
    rank = found.map(LEVELS.index)
    own = LEVELS.index(source.level)
    level = source.level.value
    column = source.code[1:-1] if single else None
    coarser, finer = rank < own, rank > own
    if coarser.any():
        i = coarser.idxmax()
        raise InputError(
            source.file,
            f"{int(coarser.sum())} features have a code of a coarser level than {level}, e.g. {codes[i]} "
            f"({found[i].value}): check level = ... and the code template in the manifest",
            row=int(rows[i]), column=column,
        )
    if finer.any() and not source.dissolve:
        i = finer.idxmax()
        parent = parent_codes(codes[i])[level]
        raise InputError(
            source.file,
            f"{int(finer.sum())} features have {found[i].value} codes, not {level} codes, e.g. {codes[i]} "
            f"(in {parent}); dissolve = true makes each {level} the union of the {found[i].plural} in it",
            row=int(rows[i]), column=column,
        )
    codes = codes.copy()
    codes[finer] = codes[finer].map(lambda code: parent_codes(code)[level])
    return codes


def _dissolve(regions: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One region per code: the union of its features, the first name given, without the holes that
    are gaps between its own parts (a published wijk layer's parts do not meet exactly: the union of
    the 2024 wijken had 13,180 such holes, each drawn as an outlined sliver)."""
    # Reprojection can make a repaired ring touch itself again (the 2014 buurten do), and a union
    # of invalid parts fails: repaired silently, as in repair_and_clean.
    geoms, invalid = _repaired(np.asarray(regions.geometry.array))
    if invalid.any():
        regions = regions.set_geometry(geoms, crs=regions.crs)
    merged = regions.dissolve(by="code", aggfunc="first", sort=True).reset_index()
    merged["geometry"] = _without_gaps(merged.geometry.values, merged["code"].to_numpy(), regions)
    return gpd.GeoDataFrame(merged[["code", "name", "geometry"]], geometry="geometry", crs=regions.crs)


def _without_gaps(geoms: np.ndarray, codes: np.ndarray, parts: gpd.GeoDataFrame) -> np.ndarray:
    """Each geometry without its holes that no feature of another code fills (an enclave stays a hole)."""
    polygons, owner = shapely.get_parts(geoms, return_index=True)
    holes_per_polygon = shapely.get_num_interior_rings(polygons)
    if not holes_per_polygon.any():
        return geoms
    polygon_of_hole = np.repeat(np.arange(len(polygons)), holes_per_polygon)
    rings = np.array([shapely.get_interior_ring(polygons[p], i) for p, n in enumerate(holes_per_polygon) for i in range(n)])
    holes = shapely.polygons(rings)
    hole_at, part_at = shapely.STRtree(parts.geometry.values).query(holes, predicate="intersects")
    other = parts["code"].to_numpy()[part_at] != codes[owner[polygon_of_hole[hole_at]]]
    hole_at, part_at = hole_at[other], part_at[other]
    filled = shapely.area(shapely.intersection(holes[hole_at], parts.geometry.values[part_at]))
    enclave = np.zeros(len(holes), dtype=bool)
    enclave[hole_at[filled > 0.01 * shapely.area(holes[hole_at])]] = True
    kept: list[list[shapely.LinearRing]] = [[] for _ in polygons]
    for ring, polygon, keep in zip(rings, polygon_of_hole, enclave):
        if keep:
            kept[polygon].append(ring)
    closed = np.array([
        shapely.polygons(shapely.get_exterior_ring(polygon), holes=inner or None) for polygon, inner in zip(polygons, kept)
    ])
    result = geoms.copy()
    for i in np.unique(owner[polygon_of_hole[~enclave]]):  # only the regions that had a gap
        result[i] = shapely.union_all(closed[owner == i])
    return result


def _check_polygonal(source: BoundarySource, geoms: np.ndarray) -> None:
    kinds = shapely.get_type_id(geoms)
    bad = np.flatnonzero(~np.isin(kinds, (-1, 3, 6)) & ~shapely.is_empty(geoms))  # None, Polygon, MultiPolygon
    if len(bad):
        raise InputError(
            source.file,
            f"regions must be polygons; feature {row_number(bad[0], False)} is a {geoms[bad[0]].geom_type} "
            f"({len(bad)} non-polygon features)",
        )


def _source_crs(source: BoundarySource, frame: gpd.GeoDataFrame) -> CRS:
    if source.crs:
        try:
            return CRS.from_user_input(source.crs)
        except CRSError as exc:
            raise InputError(source.file, f"unknown CRS {source.crs!r}: {exc}") from exc
    if frame.crs is None:
        raise InputError(
            source.file,
            "the file has no coordinate reference system; set crs = \"EPSG:28992\" (RD New) "
            "or the right one in the manifest",
        )
    return frame.crs


def _check_location(source: BoundarySource, frame: gpd.GeoDataFrame) -> None:
    """Catch a wrong CRS: the data must land in the Netherlands."""
    valid = frame.geometry[~frame.geometry.is_empty & ~frame.geometry.isna()]
    if valid.empty:
        raise InputError(source.file, "the layer has no geometries")
    try:
        bounds = valid.to_crs("EPSG:4326").total_bounds
    except Exception as exc:
        raise InputError(source.file, f"cannot reproject from {frame.crs}: {exc}") from exc
    if not np.all(np.isfinite(bounds)) or not shapely.box(*bounds).intersects(_NL_LONLAT):
        raise InputError(
            source.file,
            f"in {frame.crs.to_string()} the features lie at lon/lat {np.round(bounds, 3).tolist()}, "
            "outside the Netherlands: the CRS of the file is probably wrong (set crs = ... in the manifest)",
        )


def _repaired(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A copy of `geoms` with every invalid geometry made valid (empty ones left as they are), and which
    ones were invalid."""
    invalid = ~(shapely.is_empty(geoms) | pd.isna(geoms)) & ~shapely.is_valid(geoms)
    geoms = geoms.copy()
    geoms[invalid] = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
    return geoms, invalid


def repair_and_clean(regions: gpd.GeoDataFrame, level: str, year: int, report: BuildReport) -> gpd.GeoDataFrame:
    """Make the level's polygons a clean coverage (shared borders identical).

    Reprojection can make a valid ring touch itself; such cases are repaired silently
    (the count in the report is of the source file). Regions whose geometry is empty, or
    vanishes because neighbours cover it, keep their data but get no polygon; the report
    names them.
    """
    entry = report.at(level, year)
    geoms = np.asarray(regions.geometry.array)
    empty = shapely.is_empty(geoms) | pd.isna(geoms)
    geoms, _ = _repaired(geoms)
    geoms[~empty] = shapely.coverage_clean(geoms[~empty])
    lost = shapely.is_empty(geoms) | pd.isna(geoms) | (shapely.area(geoms) == 0)
    entry.empty_geometries.extend(sorted(regions.loc[lost, "code"]))
    regions = regions.copy()
    regions["geometry"] = geoms
    regions = regions.set_geometry("geometry").loc[~lost]
    regions["geometry"] = shapely.force_2d(np.asarray(regions.geometry.array))
    return regions
