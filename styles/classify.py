"""Class breaks for a choropleth, as mapclassify computes them.

Pure functions on plain values. Breaks are upper bounds, as in mapclassify: class i holds
breaks[i-1] < value <= breaks[i]; the first class is open below and the last open above,
so a value outside the classified set (another year, another gemeente) still gets a class.

Quantiles, equal intervals and the user's breaks are arithmetic, done here with mapclassify's
formulas (tests compare the breaks with mapclassify's own). Fisher-Jenks and natural breaks are
optimisations: mapclassify computes those, imported when first asked for. Importing it brings
scikit-learn, SciPy's statistics and numba: about 200 MB and 1.5 s that a server serving the
default quantiles never needs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from geodata.errors import RequestError

METHODS = ("quantiles", "fisher_jenks", "natural_breaks", "equal_interval", "user")
MIN_CLASSES, MAX_CLASSES = 2, 9  # ColorBrewer has palettes of 3..9 colours (2 are taken from 3)


@dataclass(frozen=True)
class Classification:
    method: str
    breaks: tuple[float, ...]  # upper bound of each class; len == number of classes

    @property
    def k(self) -> int:
        return len(self.breaks)

    def lower_bounds(self, minimum: float) -> tuple[float, ...]:
        return (minimum, *self.breaks[:-1])

    def classes_of(self, values: np.ndarray) -> np.ndarray:
        """Class index (0..k-1) of each value, open-ended at both ends; -1 for NaN."""
        values = np.asarray(values, dtype=float)
        index = np.searchsorted(np.asarray(self.breaks[:-1]), values, side="left")
        return np.where(np.isnan(values), -1, index)

    def counts(self, values: np.ndarray) -> list[int]:
        classes = self.classes_of(values)
        return [int(np.sum(classes == i)) for i in range(self.k)]


def classify(values: Sequence[float] | np.ndarray, method: str, k: int, breaks: Sequence[float] = ()) -> Classification:
    """Breaks for `values` (NaN ignored) by `method` with `k` classes, or the user's `breaks`."""
    if method not in METHODS:
        raise RequestError("method", f"unknown classification {method!r}; choose one of {', '.join(METHODS)}")
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    if method == "user":
        return _user_breaks(breaks, data)
    if not MIN_CLASSES <= k <= MAX_CLASSES:
        raise RequestError("k", f"k must be between {MIN_CLASSES} and {MAX_CLASSES}, not {k}")
    distinct = np.unique(data)
    if len(distinct) == 0:
        raise RequestError("indicator", "no published values to classify for this selection")
    if len(distinct) <= k:
        # Too few distinct values for k classes: one class per value, honestly.
        return Classification(method, tuple(float(v) for v in distinct))
    if method == "quantiles":
        bins = _quantiles(data, k)
    elif method == "equal_interval":
        bins = _equal_intervals(data, k)
    else:
        bins = _optimal(data, method, k)
    unique_breaks = tuple(dict.fromkeys(float(b) for b in bins))
    return Classification(method, unique_breaks)


def _user_breaks(breaks: Sequence[float], data: np.ndarray) -> Classification:
    """The user's inner breaks; the last class runs to the maximum (mapclassify's UserDefined)."""
    inner = [float(b) for b in breaks]
    if not inner:
        raise RequestError("breaks", "method=user needs breaks, e.g. breaks=10,20,30")
    if any(b >= c for b, c in zip(inner, inner[1:])):
        raise RequestError("breaks", f"breaks must increase strictly: {inner}")
    if len(inner) + 1 > MAX_CLASSES:
        raise RequestError("breaks", f"at most {MAX_CLASSES - 1} breaks ({MAX_CLASSES} classes)")
    top = max([inner[-1] + 1, *data.tolist()])
    return Classification("user", (*inner, float(top)))


def _quantiles(data: np.ndarray, k: int) -> np.ndarray:
    """mapclassify's Quantiles: SciPy's scoreatpercentile at every 100/k percent, interpolating as it
    does to the last bit; equal quantiles (ties) collapse into one break."""
    ordered = np.sort(data)
    width = 100.0 / k
    breaks = []
    for percent in np.minimum(np.arange(width, 100 + width, width), 100.0):
        position = percent / 100.0 * (len(ordered) - 1)
        i = int(position)
        if i == position:
            breaks.append(ordered[i])
        else:
            below, above = (i + 1) - position, position - i
            breaks.append((ordered[i] * below + ordered[i + 1] * above) / (below + above))
    return np.unique(breaks)


def _equal_intervals(data: np.ndarray, k: int) -> np.ndarray:
    """mapclassify's EqualInterval: k classes of equal width, the last ending at the maximum."""
    lowest, highest = data.min(), data.max()
    width = (highest - lowest) / k
    bins = np.arange(lowest + width, highest + width, width)[:k]
    bins[-1] = highest
    return bins


def _optimal(data: np.ndarray, method: str, k: int) -> np.ndarray:
    import mapclassify  # see the module's docstring

    if method == "fisher_jenks":
        return mapclassify.FisherJenks(data, k=k).bins
    # NaturalBreaks seeds k-means from numpy's global generator: fix it for reproducible styles.
    state = np.random.get_state()
    np.random.seed(0)
    try:
        return mapclassify.NaturalBreaks(data, k=k).bins
    except ValueError:
        # k-means can lose a cluster on near-equal values; Fisher-Jenks is the exact optimum of the same criterion.
        return mapclassify.FisherJenks(data, k=k).bins
    finally:
        np.random.set_state(state)


def centred(values: np.ndarray, centre: float, method: str, k: int) -> Classification:
    """Breaks for a diverging palette: `centre` is a break, half the classes on each side."""
    if k % 2:
        raise RequestError("k", f"a palette centred on a value needs an even number of classes, not {k}")
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    half = k // 2
    below = _side(data[data <= centre], method, half, centre, lower=True)
    above = _side(data[data > centre], method, half, centre, lower=False)
    return Classification(method, (*below, *above))


def _side(data: np.ndarray, method: str, k: int, centre: float, lower: bool) -> tuple[float, ...]:
    """k upper bounds for one side of the centre; the lower side ends exactly at the centre."""
    if k == 1:
        return (centre,) if lower else (float(data.max()) if len(data) else centre + 1,)
    if lower:
        if len(np.unique(data)) > k:
            inner = classify(data, method, k).breaks[:-1]
        else:
            inner = tuple(np.linspace(data.min() if len(data) else centre - 1, centre, k + 1)[1:-1])
        return (*inner, centre)
    if len(np.unique(data)) > k:
        return classify(data, method, k).breaks
    top = data.max() if len(data) else centre + 1
    return tuple(np.linspace(centre, top, k + 1)[1:])
