"""All configuration in one object, read from WIJKMONITOR_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

ROOT = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Settings:
    # A GeoPackage path or a postgresql:// address (store.open_store).
    dataset: str = "build/demo.gpkg"
    host: str = "127.0.0.1"
    port: int = 8000
    # Server processes (`serve --workers`): each holds the dataset and its caches, all notice a rebuild.
    workers: int = 1
    tile_cache_mb: int = 256
    tile_buffer: int = 64
    tile_extent: int = 4096
    max_zoom: int = 16
    # Processes that make tiles that are not in the cache (tiles.workers): off the server's GIL, so
    # that cached tiles keep their pace. 0: made by the tile threads instead.
    tile_workers: int = 1
    # How long a tile worker looks for its next tile before it sleeps (tiles.workers._make_sent_tiles):
    # woken from sleep, a process makes a tile more slowly. 0: it sleeps at once.
    tile_worker_spin_ms: float = 2.0
    # Threads that gzip tiles, and make them when there are no tile workers. Few: making a tile holds
    # the GIL most of the time, and every extra thread takes GIL time from the event loop.
    tile_threads: int = 2
    # Static maps and figure tables take 0.1-4 s of CPU each: this many at once, this many more waiting;
    # one more gets 503 + Retry-After rather than taking the CPU that cached tiles are answered with.
    heavy_requests: int = 2
    heavy_queue: int = 4
    cache_max_age: int = 3600
    # Re-read the dataset when its file changes; a broken new file keeps the old one serving.
    reload_check_seconds: float = 2.0
    # One log line per request costs the event loop about a tenth of its time under load: off unless asked.
    access_log: bool = False
    # Viewer: front-end libraries installed by npm (make install), and an optional background map
    # (an XYZ raster template such as a municipal or PDOK BRT service); none by default.
    frontend_modules: Path = ROOT / "node_modules"
    basemap_url: str = ""
    basemap_attribution: str = ""
    # The address clients reach us at behind a proxy (https://kaart.gemeente.nl/wijkmonitor); links in
    # TileJSON, styles and the catalog use it. Empty: the address of each request.
    public_url: str = ""
    # Hotspot analyses run in worker processes: how many, how many may run or wait at once (more
    # get 503), how many results a dataset version keeps, the largest analysis (regions x
    # permutations; local Moran holds 8 bytes per draw, twice) and where compiled kernels are kept.
    # The workers start at the first analysis, which waits about 4 s more, or with the server; they stop
    # after analysis_idle_seconds without one (0: they stay), giving back their 300 MB each.
    analysis_workers: int = 1
    analysis_at_start: bool = False
    analysis_idle_seconds: float = 600.0
    analysis_queue: int = 4
    analysis_cache_entries: int = 16
    analysis_max_draws: int = 15_000_000
    analysis_kernel_cache: Path = ROOT / "var" / "numba-cache"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = os.environ.get(f"WIJKMONITOR_{f.name.upper()}")
            if raw is not None:
                try:
                    values[f.name] = _convert(f.type, raw)
                except ValueError as exc:
                    raise ValueError(f"WIJKMONITOR_{f.name.upper()}={raw!r}: {exc}") from None
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _convert(kind: object, raw: str) -> object:
    # With `from __future__ import annotations` a field's type is its name as written.
    converters = {"Path": Path, "int": int, "float": float, "str": str, "bool": _bool}
    return converters[str(kind)](raw)


def _bool(raw: str) -> bool:
    if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"expected true or false, not {raw!r}")
    return raw.lower() in ("true", "1", "yes")
