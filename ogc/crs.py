"""The two coordinate reference systems served, by their OGC URIs (Part 2: CRS by reference)."""

from __future__ import annotations

from collections.abc import Mapping

from geodata.errors import RequestError

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"  # lon/lat on WGS 84: GeoJSON's default
RD_NEW = "http://www.opengis.net/def/crs/EPSG/0/28992"  # Amersfoort / RD New: what the store keeps
SUPPORTED = (CRS84, RD_NEW)
STORAGE_CRS = RD_NEW
# pyproj names; OGC:CRS84 keeps lon/lat axis order, which EPSG:4326 would turn around.
PYPROJ_NAME = {CRS84: "OGC:CRS84", RD_NEW: "EPSG:28992"}
# Decimals written: 7 in degrees and 2 in metres are both about a centimetre.
DECIMALS = {CRS84: 7, RD_NEW: 2}


def crs_param(params: Mapping[str, str], name: str) -> str:
    """A CRS URI from the query (`crs` or `bbox-crs`), CRS84 when absent."""
    raw = params.get(name)
    if not raw:
        return CRS84
    if raw not in SUPPORTED:
        raise RequestError(name, f"{name} must be one of {', '.join(SUPPORTED)}, not {raw!r}")
    return raw


def content_crs(uri: str) -> dict[str, str]:
    """The Content-Crs header of a response with coordinates in `uri`."""
    return {"Content-Crs": f"<{uri}>"}
