"""Open source files (vector layers, CSV, XLSX) and apply the manifest's row filters and templates."""

from __future__ import annotations

import io
import re
import string
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio

from geodata.errors import InputError, InputErrors
from geodata.regions import Level, parse_code
from geodata.statline import ROW_COLUMN, is_symbols_csv, read_symbols_csv

VECTOR_SUFFIXES = {".gpkg", ".geojson", ".json", ".shp", ".fgb", ".gml", ".zip"}


def read_vector(file: Path, layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a GeoPackage, Shapefile, GeoJSON ... layer; failures name the file."""
    if not file.exists():
        raise InputError(file, "file not found")
    try:
        return pyogrio.read_dataframe(file, layer=layer)
    except Exception as exc:  # GDAL raises many types; all mean "cannot read this file"
        raise InputError(file, f"cannot read as a vector layer: {exc}") from exc


class ColumnLookup:
    """Column names looked up case-insensitively: shapefiles write AANT_INW, the catalog aant_inw."""

    def __init__(self, columns: Iterable[object]) -> None:
        self.names = {str(c).lower(): c for c in columns}

    def first(self, alternatives: Iterable[str]) -> Any | None:
        """The file's own name of the first alternative it has."""
        for name in alternatives:
            if name.lower() in self.names:
                return self.names[name.lower()]
        return None


def read_text(file: Path) -> str:
    """A text file in UTF-8 (with or without BOM) or, failing that, CP1252 (Vektis, older Excel exports)."""
    data = file.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_table(file: Path, sheet: str | None = None, layer: str | None = None) -> pd.DataFrame:
    """Read CSV (any of ',;\t|', quoted or not; a StatLine CSV met statistische symbolen), XLSX (all
    cells as text, so '.' markers survive) or a vector layer's attributes."""
    if not file.exists():
        raise InputError(file, "file not found")
    suffix = file.suffix.lower()
    try:
        if suffix in {".csv", ".txt"}:
            text = read_text(file)
            if is_symbols_csv(text.split("\n", 12)[:12]):  # the head only, not a split of the whole file
                return read_symbols_csv(file, text)
            return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=None, engine="python")
        if suffix in {".xlsx", ".xlsm"}:
            return pd.read_excel(file, sheet_name=sheet or 0, dtype=object)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(file, f"cannot read as a table: {exc}") from exc
    if suffix in VECTOR_SUFFIXES:
        return pd.DataFrame(read_vector(file, layer).drop(columns="geometry"))
    raise InputError(file, f"unsupported file type {suffix!r}: use CSV, XLSX, GeoPackage, GeoJSON or Shapefile")


_YEAR_PREFIX = re.compile(r"^\s*((?:19|20)\d\d)(?:GM|WK|BU)")
_GML_YEAR = re.compile(r"^[A-Za-z_]+((?:19|20)\d\d)\.\d+$")
_NAME_YEAR = re.compile(r"(?<!\d)((?:19|20)\d\d)(?!\d)")


def table_year(frame: pd.DataFrame) -> int | None:
    """The one year a table states: a `jaar` column, or a year-prefixed statcode (2023GM0344)."""
    columns = ColumnLookup(frame.columns)
    jaar = columns.first(["jaar"])
    if jaar is not None:
        years = pd.to_numeric(frame[jaar], errors="coerce").dropna().unique()
        if len(years) == 1:
            return int(years[0])
    for name, pattern in (("jrstatcode", _YEAR_PREFIX), ("jaarstatcode", _YEAR_PREFIX), ("gml_id", _GML_YEAR)):
        column = columns.first([name])  # gml_id: a WFS download, gemeenten2015.12
        if column is not None:
            years = frame[column].astype(str).str.extract(pattern)[0].dropna().unique()
            if len(years) == 1:
                return int(years[0])
    return None


def file_name_year(file: Path) -> int | None:
    """The one year in a file name (wijkenbuurten_2017.gpkg, nl_gemeenten_2015_kwb.gpkg), if exactly one."""
    years = set(_NAME_YEAR.findall(file.stem))
    return int(years.pop()) if len(years) == 1 else None


def apply_where(
    file: Path, frame: pd.DataFrame, where: dict[str, Any], exclude: dict[str, Any] | None = None
) -> pd.DataFrame:
    """Keep the rows whose columns equal the `where` values (e.g. water = 'NEE') and drop those
    that equal an `exclude` value (e.g. a gemeente whose own detailed boundaries are used)."""
    for column, value in where.items():
        require_columns(file, frame, [column])
        frame = frame[frame[column].astype(str) == str(value)]
    for column, value in (exclude or {}).items():
        require_columns(file, frame, [column])
        frame = frame[frame[column].astype(str) != str(value)]
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


def is_single_column(template: str) -> bool:
    """'{gemeentecode}' rather than 'BU0344{KODE}': the cells are codes as the file writes them."""
    return template.startswith("{") and template.endswith("}") and template_columns(template) == [template[1:-1]]


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


def row_numbers(frame: pd.DataFrame, is_table: bool) -> pd.Series:
    if ROW_COLUMN in frame.columns:
        return frame[ROW_COLUMN].astype(int)
    return pd.Series([row_number(i, is_table) for i in frame.index], index=frame.index, dtype=int)


def parse_codes(raw: pd.Series, level: Level | None = None, bare: bool = False) -> pd.Series:
    """Canonical CBS codes of a column in any published form; None where a cell is not one."""
    return raw.map(lambda cell: parse_code(cell, level, bare))


def require_codes(file: Path, raw: pd.Series, codes: pd.Series, rows: pd.Series, what: str) -> None:
    """Every cell must have been a code; all bad rows are reported at once."""
    bad = [
        InputError(file, f"{raw[i]!r} is not a {what} code", row=int(rows[i]))
        for i in codes.index[codes.isna()]
    ]
    if bad:
        raise InputErrors(bad)

