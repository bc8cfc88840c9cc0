"""esda's permutation test, compiled once and kept on disk, so a new worker answers in seconds.

esda 2.9 runs the conditional randomisation in `esda.crand.compute_chunk`, a numba kernel that
receives the statistic (another kernel) as an argument. Numba compiles such a function argument
into the machine code as a pointer to a live Python object, so that kernel cannot be cached on
disk: `enable_caching()` on it writes a new file in every process and never reads one back, and a
wrapper that passes the statistic is refused ("uses dynamic globals"). Every process then spent
30-40 s compiling before its first hotspot. `_draws` is the same loop calling esda's Gi* and local
Moran kernels by name, which numba can cache; `esda.crand` is pointed at it, so `G_Local` and
`Moran_Local` still do all the work with their own kernels and give the same numbers.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import esda
import libpysal
import numba
import numpy as np
from esda import crand
from esda.getisord import _g_local_star_crand
from esda.moran import _moran_local_crand
from esda.significance import _permutation_significance

log = logging.getLogger("wijkmonitor")
_esda_compute_chunk = crand.compute_chunk


@numba.njit
def _draws(gi_star, z, observed, cardinalities, self_weights, other_weights, permuted_ids, scaling, keep,
           island_weight, alternative):  # fmt: skip
    """Pseudo p-values (and, with keep, the simulated statistics) of every site, as compute_chunk gives them."""
    n = z.shape[0]
    p_sims = np.zeros(n, dtype=np.float32)
    simulated = np.empty((n, permuted_ids.shape[0])) if keep else np.empty((1, 1))
    start = 0
    for i in range(n):
        cardinality = cardinalities[i]
        if cardinality == 0:  # an island gets one pretend neighbour carrying the island weight
            weights = np.zeros(2, dtype=other_weights.dtype)
            weights[1] = island_weight
        else:  # the self-weight first, then the neighbours' weights
            weights = np.zeros(cardinality + 1, dtype=other_weights.dtype)
            weights[0] = self_weights[i]
            weights[1:] = other_weights[start : start + cardinality]
        start += cardinality
        if gi_star:
            statistics = _g_local_star_crand(i, z, permuted_ids, weights, scaling)
        else:
            statistics = _moran_local_crand(i, z, permuted_ids, weights, scaling)
        p_sims[i] = _permutation_significance(observed[i], statistics, alternative=alternative).item()
        if keep:
            simulated[i] = statistics
    return p_sims, simulated


def _compute_chunk(chunk_start, z_chunk, z, observed, cardinalities, self_weights, other_weights, permuted_ids,
                   scaling, keep, stat_func, island_weight, alternative):  # fmt: skip
    """esda.crand.compute_chunk's signature; the two statistics we use go to the cacheable `_draws`."""
    if chunk_start == 0 and len(z_chunk) == len(z) and stat_func in (_g_local_star_crand, _moran_local_crand):
        return _draws(stat_func is _g_local_star_crand, z, observed, cardinalities, self_weights, other_weights,
                      permuted_ids, scaling, keep, island_weight, alternative)  # fmt: skip
    return _esda_compute_chunk(chunk_start, z_chunk, z, observed, cardinalities, self_weights, other_weights,
                               permuted_ids, scaling, keep, stat_func, island_weight, alternative)  # fmt: skip


def use_disk_cache(directory: Path) -> None:
    """Keep the compiled kernels under `directory` (one folder per esda version: numba checks only the
    source file of the kernel it caches, not esda's kernels compiled into it) and route esda to them."""
    folder = directory / f"esda-{esda.__version__}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("analysis kernels are compiled in every worker: cannot create %s (%s)", folder, exc)
    else:
        numba.config.CACHE_DIR = str(folder)
        for kernel in (_draws, crand.vec_permutations):
            kernel.enable_caching()
    crand.compute_chunk = _compute_chunk


def warm_up() -> None:
    """Load (or, the first time, compile: 30-40 s) the kernels on a 6-region grid, before a real request."""
    y = np.arange(6, dtype=float)
    w = libpysal.weights.lat2W(2, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        esda.G_Local(y, w, transform="B", permutations=99, star=True, n_jobs=1, seed=1, keep_simulations=False)
        esda.Moran_Local(y, w, transformation="r", permutations=99, n_jobs=1, seed=1)
