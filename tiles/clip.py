"""Clip a tile's regions to its buffered box on the world grid, compiled with numba.

A region that crosses the buffered edge of a tile used to go through GEOS: rebuild it from
WKB, clip, scale, round, check and repair, orient, take it apart again. At z14 a tile has a
handful of such regions, and those dozen vectorised calls of a few µs each were half the
time of making it. Here each ring of the region's world-grid stream (tiles.grid, already
snapped, valid and oriented) is clipped by Sutherland-Hodgman, one box side at a time, in
integer tile coordinates. The result is checked rather than trusted: rings that are not simple,
meet another ring, lose their orientation or outlive their exterior (a ring that enters the box
more than once leaves zero-width bridges along its side; rounding a cut point can touch another
edge) leave the region to GEOS (`clip_rings` says which it did).

A cut point is computed from the edge's endpoints in one fixed order and rounded at once, so
two neighbours that share an edge get the same point: shared borders stay shared.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from tiles.kernels import CLOSE_PATH_ONE, LINE_TO, MOVE_TO_ONE


@numba.njit(cache=True, nogil=True)
def _cut(px: int, py: int, qx: int, qy: int, line: int, axis: int) -> tuple[int, int]:
    """Where edge p-q meets x = line (axis 0) or y = line (axis 1), rounded; the same for q-p."""
    if px > qx or (px == qx and py > qy):
        px, py, qx, qy = qx, qy, px, py
    if axis == 0:
        return line, int(math.floor(py + (line - px) * (qy - py) / (qx - px) + 0.5))
    return int(math.floor(px + (line - py) * (qx - px) / (qy - py) + 0.5)), line


@numba.njit(cache=True, nogil=True)
def _clip_side(
    xs: np.ndarray, ys: np.ndarray, source: np.ndarray, n: int, line: int, axis: int, keep_above: bool,
    out_x: np.ndarray, out_y: np.ndarray, out_source: np.ndarray,
) -> int:
    """The ring's part on one side of a box line (the line included); `source` carries each point's index
    in the unclipped ring, -1 for cut points. Returns the number of points written, -1 if they would not
    fit in `out_x`."""
    m = 0
    if n < 0:
        return -1
    for i in range(n):
        if m + 2 > out_x.shape[0]:
            return -1
        j = (i + 1) % n
        a = xs[i] if axis == 0 else ys[i]
        b = xs[j] if axis == 0 else ys[j]
        a_in = a >= line if keep_above else a <= line
        b_in = b >= line if keep_above else b <= line
        if a_in:
            out_x[m], out_y[m], out_source[m] = xs[i], ys[i], source[i]
            m += 1
        if a_in != b_in and a != line and b != line:
            out_x[m], out_y[m] = _cut(xs[i], ys[i], xs[j], ys[j], line, axis)
            out_source[m] = -1
            m += 1
    return m


@numba.njit(cache=True, nogil=True)
def _turn(ax: int, ay: int, bx: int, by: int, cx: int, cy: int) -> int:
    """-1, 0 or 1: the side of line a-b that c lies on (exact in integers)."""
    cross = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax)
    return (cross > 0) - (cross < 0)


@numba.njit(cache=True, nogil=True)
def _within(ax: int, ay: int, bx: int, by: int, cx: int, cy: int) -> bool:
    """Whether c, on the line through a and b, lies on the segment."""
    return min(ax, bx) <= cx <= max(ax, bx) and min(ay, by) <= cy <= max(ay, by)


@numba.njit(cache=True, nogil=True)
def _meet(ax: int, ay: int, bx: int, by: int, cx: int, cy: int, dx: int, dy: int) -> bool:
    """Whether segments a-b and c-d share any point (touching counts)."""
    t1, t2 = _turn(ax, ay, bx, by, cx, cy), _turn(ax, ay, bx, by, dx, dy)
    t3, t4 = _turn(cx, cy, dx, dy, ax, ay), _turn(cx, cy, dx, dy, bx, by)
    if t1 != t2 and t3 != t4:
        return True
    return ((t1 == 0 and _within(ax, ay, bx, by, cx, cy)) or (t2 == 0 and _within(ax, ay, bx, by, dx, dy))
            or (t3 == 0 and _within(cx, cy, dx, dy, ax, ay)) or (t4 == 0 and _within(cx, cy, dx, dy, bx, by)))


@numba.njit(cache=True, nogil=True)
def _turns_back(ax: int, ay: int, bx: int, by: int, cx: int, cy: int) -> bool:
    """Whether a-b-c doubles back on itself at b (a zero-width spike)."""
    return _turn(ax, ay, bx, by, cx, cy) == 0 and (bx - ax) * (cx - bx) + (by - ay) * (cy - by) < 0


@numba.njit(cache=True, nogil=True)
def _new_edges_clear(
    xs: np.ndarray, ys: np.ndarray, source: np.ndarray, ring_start: np.ndarray, ring_size: np.ndarray,
    cut_from: np.ndarray, rings: int,
) -> bool:
    """Whether the clipped rings are simple and meet no other ring, given that the rings they were cut
    from were (a valid polygon): only new edges (to or from a cut point, or along the box) can meet
    another edge, so only those are tested, against every edge. Touching counts: a valid result that
    touches is left to GEOS."""
    for a in range(rings):
        first, n = ring_start[a], ring_size[a]
        for i in range(n):
            p, q = first + i, first + (i + 1) % n
            if source[p] >= 0 and source[q] >= 0 and (source[q] - source[p]) % cut_from[a] == 1:
                continue  # an edge of the ring as it was
            for b in range(rings):
                other, m = ring_start[b], ring_size[b]
                for k in range(m):
                    r, t = other + k, other + (k + 1) % m
                    if r == p:
                        continue
                    if t == p:
                        if _turns_back(xs[r], ys[r], xs[p], ys[p], xs[q], ys[q]):
                            return False
                    elif r == q:
                        if _turns_back(xs[p], ys[p], xs[q], ys[q], xs[t], ys[t]):
                            return False
                    elif _meet(xs[p], ys[p], xs[q], ys[q], xs[r], ys[r], xs[t], ys[t]):
                        return False
    return True


@numba.njit(cache=True, nogil=True)
def _rings(stream: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> int:
    """The rings of a stream of MoveTo(1), LineTo(k), ClosePath(1) rings: where each one's points start
    (the index of its MoveTo parameters) and how many it has. Returns the count, 0 for any other shape."""
    rings = at = 0
    size = stream.shape[0]
    while at < size:
        if at + 7 > size or stream[at] != MOVE_TO_ONE or stream[at + 3] & 7 != LINE_TO or rings == starts.shape[0]:
            return 0
        points = (stream[at + 3] >> 3) + 1
        end = at + 2 * points + 2
        if end >= size or stream[end] != CLOSE_PATH_ONE:
            return 0
        starts[rings], sizes[rings] = at + 1, points
        rings += 1
        at = end + 1
    return rings


@numba.njit(cache=True, nogil=True)
def clip_rings(
    commands: np.ndarray, starts: np.ndarray, lengths: np.ndarray, rows: np.ndarray,
    ox: int, oy: int, extent: int, buffer: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Regions `rows` of a zoom grid (tiles.grid.ZoomGrid's streams) clipped to the tile whose origin is
    (ox, oy) on the world grid, with its buffer. Returns the streams in tile coordinates, concatenated,
    each row's length (0: nothing of it in the tile), and whether the row was clipped here; rows that
    were not (the result would not be valid as it is, see _new_edges_clear) have length 0 and go to GEOS.

    Rings keep their orientation (exteriors positive surveyor's area, holes negative), each ring is
    clipped alone, and a ring that is gone takes nothing else with it but its own holes."""
    done = np.zeros(rows.shape[0], np.bool_)
    out_lengths = np.zeros(rows.shape[0], np.int64)
    capacity = 0
    for r in range(rows.shape[0]):
        capacity += 2 * lengths[rows[r]] + 24  # each box side adds at most one point per edge it cuts
    out = np.empty(capacity, np.int64)
    low, high = -buffer, extent + buffer
    at = 0
    for r in range(rows.shape[0]):
        start = starts[rows[r]]
        stream = commands[start:start + lengths[rows[r]]]
        limit = stream.shape[0] // 7 + 1
        source_at, source_size = np.empty(limit, np.int64), np.empty(limit, np.int64)
        rings = _rings(stream, source_at, source_size)
        if rings == 0:
            continue
        points = source_size[:rings].sum()
        room = 2 * points + 8 * rings
        rx, ry, rsource = np.empty(room, np.int64), np.empty(room, np.int64), np.empty(room, np.int64)  # a ring, clipped
        bx, by, bsource = np.empty(room, np.int64), np.empty(room, np.int64), np.empty(room, np.int64)  # between sides
        xs, ys, source = np.empty(room, np.int64), np.empty(room, np.int64), np.empty(room, np.int64)  # the result
        ring_start, ring_size, cut_from = np.zeros(rings, np.int64), np.zeros(rings, np.int64), np.zeros(rings, np.int64)
        kept_rings = written = 0
        cursor_x, cursor_y = -ox, -oy  # the stream starts at the world grid's (0, 0)
        exterior_gone = ok = True
        for a in range(rings):
            n = source_size[a]
            area = 0.0
            for p in range(n):
                field = source_at[a] + 2 * p + (1 if p > 0 else 0)  # LineTo(k) sits after the first point
                cursor_x += (stream[field] >> 1) ^ -(stream[field] & 1)
                cursor_y += (stream[field + 1] >> 1) ^ -(stream[field + 1] & 1)
                rx[p], ry[p], rsource[p] = cursor_x, cursor_y, p
            for p in range(n):
                q = (p + 1) % n
                area += float(rx[p]) * ry[q] - float(rx[q]) * ry[p]
            hole = area < 0
            m = _clip_side(rx, ry, rsource, n, low, 0, True, bx, by, bsource)
            m = _clip_side(bx, by, bsource, m, high, 0, False, rx, ry, rsource)
            m = _clip_side(rx, ry, rsource, m, low, 1, True, bx, by, bsource)
            m = _clip_side(bx, by, bsource, m, high, 1, False, rx, ry, rsource)
            if m < 0 or written + m > xs.shape[0] or area == 0:
                ok = False  # rings that zigzag across the box sides more than room allows, or a flat ring
                break
            kept = written  # after the rings before it; repeated points dropped, a point merged with a cut point counts as new
            for p in range(m):
                if kept > written and rx[p] == xs[kept - 1] and ry[p] == ys[kept - 1]:
                    if rsource[p] != source[kept - 1]:
                        source[kept - 1] = -1
                    continue
                xs[kept], ys[kept], source[kept] = rx[p], ry[p], rsource[p]
                kept += 1
            while kept > written + 1 and xs[kept - 1] == xs[written] and ys[kept - 1] == ys[written]:
                if source[kept - 1] != source[written]:
                    source[written] = -1
                kept -= 1
            size = kept - written
            if size == 0:
                if not hole:
                    exterior_gone = True
                continue
            if hole and exterior_gone or size < 3:
                ok = False
                break
            clipped = 0
            for p in range(written, kept):
                q = written + (p + 1 - written) % size
                clipped += xs[p] * ys[q] - xs[q] * ys[p]
            if clipped == 0 or (clipped < 0) != hole:
                ok = False
                break
            if not hole:
                exterior_gone = False
            ring_start[kept_rings], ring_size[kept_rings] = written, size
            cut_from[kept_rings] = n
            kept_rings += 1
            written = kept
        if not ok or at + 2 * written + 3 * kept_rings > out.shape[0]:
            continue
        if not _new_edges_clear(xs, ys, source, ring_start, ring_size, cut_from, kept_rings):
            continue
        done[r] = True
        first = at
        cx = cy = 0
        for a in range(kept_rings):
            size = ring_size[a]
            out[at] = MOVE_TO_ONE
            at += 1
            for p in range(ring_start[a], ring_start[a] + size):
                if p == ring_start[a] + 1:
                    out[at] = ((size - 1) << 3) | LINE_TO
                    at += 1
                dx, dy = xs[p] - cx, ys[p] - cy
                out[at], out[at + 1] = (dx << 1) ^ (dx >> 63), (dy << 1) ^ (dy >> 63)
                at += 2
                cx, cy = xs[p], ys[p]
            out[at] = CLOSE_PATH_ONE
            at += 1
        out_lengths[r] = at - first
    return out[:at], out_lengths, done


@numba.njit(cache=True, nogil=True)
def merge_streams(
    done: np.ndarray, clipped: np.ndarray, clipped_lengths: np.ndarray, others: np.ndarray, other_lengths: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """One list of streams in row order: row i from `clipped` where done[i], else the next of `others`."""
    lengths = clipped_lengths.copy()
    b = 0
    for i in range(done.shape[0]):
        if not done[i]:
            lengths[i] = other_lengths[b]
            b += 1
    out = np.empty(lengths.sum(), np.int64)
    at = a = b = 0
    for i in range(done.shape[0]):
        size = lengths[i]
        if done[i]:
            out[at:at + size] = clipped[a:a + size]
            a += size
        else:
            out[at:at + size] = others[b:b + size]
            b += size
        at += size
    return out, lengths


def warm_up() -> None:
    """Call each loop once: numba compiles them on a machine's first call (about 7 s) and loads them
    from its cache after that (about 15 ms), which would otherwise fall on the first tile that crosses
    a region."""
    square = np.array([9, 0, 0, 26, 20, 0, 0, 20, 19, 0, 15], np.int64)  # MoveTo(0, 0), LineTo (10, 0) (10, 10) (0, 10)
    clipped, lengths, done = clip_rings(square, np.zeros(1, np.int64), np.array([11]), np.zeros(1, np.int64), 0, 0, 4, 1)
    merge_streams(done, clipped, lengths, np.empty(0, np.int64), np.empty(0, np.int64))
