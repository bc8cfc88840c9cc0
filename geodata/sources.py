"""Open source files (vector layers, CSV, XLSX) and apply the manifest's row filters and templates."""

from __future__ import annotations

import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from geodata.errors import InputError, InputErrors

VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".fgb", ".gml", ".zip"}


def read_vector(file: Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a GeoPackage, Shapefile, GeoJSON ... layer; failures name the file."""
    if not file.exists():
        raise InputError(file, "file not found")
    try:
        return pyogrio.read_dataframe(file, layer=layer)
    except Exception as exc:  # GDAL raises many types; all mean "cannot read this file"
        raise InputError(file, f"cannot read as a vector layer: {exc}") from exc


def read_table(file: Path, sheet: str | None = None, layer: str | None = None) -> pd.DataFrame:
    """Read CSV/XLSX (all cells as text, so '.' markers survive) or a vector layer's attributes."""
    if not file.exists():
        raise InputError(file, "file not found")
    suffix = file.suffix.lower()
    try:
        if suffix in {".csv", ".txt"}:
            return pd.read_csv(file, dtype=str, keep_default_na=False, sep=None, engine="python")
        if suffix in {".xlsx", ".xlsm"}:
            return pd.read_excel(file, sheet_name=sheet or 0, dtype=object)
    except Exception as exc:
        raise InputError(file, f"cannot read as a table: {exc}") from exc
    if suffix in VECTOR_SUFFIXES:
        return pd.DataFrame(read_vector(file, layer).drop(columns="geometry"))
    raise InputError(file, f"unsupported file type {suffix!r}: use CSV, XLSX, GeoPackage, GeoJSON or Shapefile")


def apply_where(file: Path, frame: pd.DataFrame, where: dict[str, Any]) -> pd.DataFrame:
    """Keep the rows whose columns equal the given values (e.g. water = 'NEE')."""
    for column, value in where.items():
        require_columns(file, frame, [column])
        frame = frame[frame[column].astype(str) == str(value)]
    return frame


def require_columns(file: Path, frame: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            file,
            f"missing column(s) {missing}; the file has: {', '.join(map(str, frame.columns[:40]))}",
            column=missing[0],
        )


def template_columns(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def fill_template(file: Path, frame: pd.DataFrame, template: str) -> pd.Series:
    """Evaluate a template such as 'BU0344{KODE}' for every row."""
    columns = template_columns(template)
    require_columns(file, frame, columns)
    if not columns:
        return pd.Series([template] * len(frame), index=frame.index, dtype=object)
    text = {c: frame[c].map(_cell_text) for c in columns}
    return pd.Series(
        [template.format_map({c: text[c][i] for c in columns}) for i in frame.index],
        index=frame.index,
        dtype=object,
    )


def _cell_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def row_number(index: Any, is_table: bool) -> int:
    """1-based row as a user sees it: spreadsheet rows count the header, vector features do not."""
    return int(index) + (2 if is_table else 1)


def check_codes(
    file: Path, codes: pd.Series, expected: Callable[[str], bool], what: str, is_table: bool
) -> None:
    """Every code must be well-formed; all bad rows are reported at once."""
    bad = [
        InputError(file, f"{code!r} is not a valid {what} code", row=row_number(i, is_table))
        for i, code in codes.items()
        if not expected(code)
    ]
    if bad:
        raise InputErrors(bad)

