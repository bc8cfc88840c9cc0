"""The dataset as one GeoPackage: the embedded default store.

Layout: one polygon layer per level (gemeente, wijk, buurt; EPSG:28992), the long table
`indicator_values` and `wijkmonitor_metadata` (catalog, attribution, build report). A build
writes a temporary file next to the target and renames it over it only when complete, so a
failed build leaves the previous dataset in place and serving. Reading checks SQLite's pages
first: a file damaged in the middle would otherwise load with wrong figures.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geodata.errors import DatasetError
from geodata.figures import STORED_COLUMNS, STORED_NUMBERS, STORED_TEXTS
from geodata.regions import LEVELS, REGION_COLUMNS, REGION_FACTS
from store.memory import LoadedStore, parse_metadata

VALUES_LAYER = "indicator_values"
METADATA_LAYER = "wijkmonitor_metadata"
TMP_SUFFIX = ".tmp.gpkg"
REGIONS_CHUNK = 500  # features per read of a region layer
VALUES_CHUNK = 5000  # rows per fetch of the values table: the GIL is free between fetches


class GeoPackageStore(LoadedStore):
    def __init__(self, path: Path, signature: tuple[int, int, int], **loaded: Any) -> None:
        super().__init__(**loaded)
        self.path = path
        self.signature = signature

    @classmethod
    def open(cls, path: Path) -> GeoPackageStore:
        if not path.exists():
            raise DatasetError(f"{path}: dataset not found; build one with `wijkmonitor build`")
        try:
            return cls._read(path)
        except DatasetError:
            raise
        except Exception as exc:
            raise DatasetError(f"{path}: not a wijkmonitor dataset or damaged ({type(exc).__name__}: {exc})") from exc

    @classmethod
    def _read(cls, path: Path) -> GeoPackageStore:
        signature = file_signature(path)
        _check_integrity(path)
        layers = {name for name, _ in pyogrio.list_layers(path)}
        meta_rows = pyogrio.read_dataframe(path, layer=METADATA_LAYER, read_geometry=False)
        metadata = parse_metadata(meta_rows["key"], meta_rows["value"], str(path))
        regions = {level: _read_regions(path, level.value) for level in LEVELS if level.value in layers}
        values = _read_values(path)
        if file_signature(path) != signature:  # each read opens the path anew: all of it must be one build
            raise DatasetError(f"{path}: replaced by a new build while it was read; it is read again")
        return cls(path, signature, metadata=metadata, regions=regions, values=values, where=f"{path}:{METADATA_LAYER}")

    @property
    def location(self) -> str:
        return str(self.path)

    @property
    def version(self) -> str:
        return _version(self.path, self.signature)

    def version_now(self) -> str | None:
        signature = file_signature(self.path)
        return None if signature is None else _version(self.path, signature)


def file_signature(path: Path) -> tuple[int, int, int] | None:
    """(inode, size, mtime): a build renames a new file into place, a copy rewrites it."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_ino, stat.st_size, stat.st_mtime_ns


def _version(path: Path, signature: tuple[int, int, int]) -> str:
    return hashlib.sha1(f"{path}:{signature}".encode()).hexdigest()[:12]


def _read_regions(path: Path, layer: str) -> gpd.GeoDataFrame:
    """A region layer, read REGIONS_CHUNK features at a time: pyogrio holds the GIL through a read,
    25 ms for the demo's wijken and 75 ms for the national buurten at once, a few ms for 500."""
    count = pyogrio.read_info(path, layer=layer, force_feature_count=True)["features"]
    pieces = [
        pyogrio.read_dataframe(path, layer=layer, skip_features=start, max_features=REGIONS_CHUNK)
        for start in range(0, max(count, 1), REGIONS_CHUNK)
    ]
    # A text column that is NULL throughout a piece comes as object, where the whole layer gives str.
    text = {column for piece in pieces for column, dtype in piece.dtypes.items() if dtype == "str"}
    return pd.concat(pieces, ignore_index=True).astype({column: "str" for column in text})


def _read_values(path: Path) -> pd.DataFrame:
    """The long values table, read with sqlite3 a chunk at a time. pyogrio holds the GIL for a whole
    table: 2.2 s for the demo's 515,000 values, while a reload runs beside the event loop that answers
    cached tiles; sqlite3 lets go of it for every row, and a chunk is coded in milliseconds.

    Text columns come back categorical: a code per cell and each text once. As a column of strings
    (even with equal strings one object) the national buurt table held 75 MB more in every process."""
    columns = ", ".join(f'"{c}"' for c in STORED_COLUMNS)
    texts: dict[str, dict[str, int]] = {c: {} for c in STORED_TEXTS}  # per column: text -> code
    parts: dict[str, list[np.ndarray]] = {c: [] for c in STORED_COLUMNS}
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
        cursor = connection.execute(f'SELECT {columns} FROM "{VALUES_LAYER}" ORDER BY fid')
        for rows in iter(lambda: cursor.fetchmany(VALUES_CHUNK), []):
            for column, cells in zip(STORED_COLUMNS, zip(*rows)):
                if column in STORED_NUMBERS:  # NULL is NaN in the figures
                    parts[column].append(np.array(cells, dtype=float).astype(STORED_NUMBERS[column]))
                else:  # NULL is a missing text: code -1
                    seen = texts[column]
                    parts[column].append(np.fromiter(
                        (-1 if cell is None else seen.setdefault(cell, len(seen)) for cell in cells), np.int32, len(cells)
                    ))
    return pd.DataFrame({column: _column(column, parts[column], texts.get(column)) for column in STORED_COLUMNS})


def _column(column: str, parts: list[np.ndarray], texts: dict[str, int] | None) -> np.ndarray | pd.Categorical:
    if texts is None:
        return np.concatenate(parts) if parts else np.empty(0, STORED_NUMBERS[column])
    codes = np.concatenate(parts) if parts else np.empty(0, np.int32)
    return pd.Categorical.from_codes(codes, pd.Index(list(texts), dtype="str"))


def _check_integrity(path: Path) -> None:
    with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as connection:
        problems = [row[0] for row in connection.execute("PRAGMA quick_check")]
    if problems != ["ok"]:
        raise DatasetError(f"{path}: the file is damaged ({'; '.join(problems[:3])}); rebuild it")


def write_dataset(
    output: Path, regions: dict[str, gpd.GeoDataFrame], values: pd.DataFrame, metadata: dict[str, Any]
) -> None:
    """Write the dataset to a temporary file beside `output`, then rename it into place."""
    output.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(output)
    # The pid in the name tells a later build whether the build that left it is still running.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{output.name}.{os.getpid()}.", suffix=TMP_SUFFIX, dir=output.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # GDAL wants to create the file itself
    try:
        for level in LEVELS:
            if level.value in regions:
                pyogrio.write_dataframe(
                    regions[level.value][REGION_COLUMNS].astype({fact: "Int64" for fact in REGION_FACTS}),
                    tmp, layer=level.value, driver="GPKG", promote_to_multi=True,
                )
        pyogrio.write_dataframe(values[STORED_COLUMNS], tmp, layer=VALUES_LAYER, driver="GPKG")
        pyogrio.write_dataframe(
            pd.DataFrame({"key": list(metadata), "value": [json.dumps(v, ensure_ascii=False) for v in metadata.values()]}),
            tmp, layer=METADATA_LAYER, driver="GPKG",
        )
        os.replace(tmp, output)
    finally:
        for leftover in _with_sidecars(tmp):
            leftover.unlink(missing_ok=True)


def _remove_abandoned(output: Path) -> None:
    """Temporary files of builds that were killed (kill -9, power loss) before they could clean up."""
    for tmp in output.parent.glob(f".{output.name}.*{TMP_SUFFIX}"):
        pid = tmp.name[len(output.name) + 2:].split(".", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            for leftover in _with_sidecars(tmp):
                leftover.unlink(missing_ok=True)


def _with_sidecars(path: Path) -> list[Path]:
    """The file and SQLite's journal files beside it."""
    return [path, *(path.with_name(path.name + s) for s in ("-journal", "-wal", "-shm"))]


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: running
    return True
