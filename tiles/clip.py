"""Clip a tile's regions to its buffered box on the world grid, compiled with numba.

A region that crosses the buffered edge of a tile used to go through GEOS: rebuild it from
WKB, clip, scale, round, check and repair, orient, take it apart again. At z14 a tile has a
handful of such regions, and those dozen vectorised calls of a few µs each were half the
time of making it. Here each ring of the region's world-grid stream (tiles.grid, already
snapped, valid and oriented) is clipped by Sutherland-Hodgman, one box side at a time, in
integer tile coordinates. A ring that enters the box more than once, clipped alone, leaves
zero-width bridges along its side, and so does a hole cut by a side: those regions have their rings
clipped together, the parts inside joined along the box's edge (_clip_joined); on national buurten
that left 3-4 % of the crossing regions to GEOS, and this a tenth of that or less from z8 on. The
result is checked rather than trusted: rings that are not simple, meet another ring (rounding a cut
point can touch another edge; rings joined into one that touched before) or lose their orientation
leave the region to GEOS (`clip_rings` says which it did).

A cut point is computed from the endpoints of the edge it cuts in one fixed order and rounded at
once (where a second side cuts an edge the first one cut, from the point rounded there), so two
neighbours that share an edge get the same points: shared borders stay shared.
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
    following: np.ndarray, rings: int,
) -> bool:
    """Whether the clipped rings are simple and meet no other ring, given that the rings they were cut
    from were (a valid polygon) and stay apart: only new edges (to or from a cut point, or along the box)
    can meet another edge, so only those are tested, against every edge (a ring joined of several has
    no unclipped point, see _clip_joined). An edge is as it was when it joins an
    unclipped point to the one after it (`following`, by point index). Touching counts: a valid result
    that touches is left to GEOS."""
    for a in range(rings):
        first, n = ring_start[a], ring_size[a]
        for i in range(n):
            p, q = first + i, first + (i + 1) % n
            if source[p] >= 0 and source[q] >= 0 and following[source[p]] == source[q]:
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
def _points(
    stream: np.ndarray, field_at: np.ndarray, sizes: np.ndarray, rings: int, ox: int, oy: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The rings' points in the coordinates of the tile at (ox, oy), one after the other; where each ring
    starts (and, last, the end); for each point the index of the point after it on its ring."""
    total = sizes[:rings].sum()
    xs, ys, following = np.empty(total, np.int64), np.empty(total, np.int64), np.empty(total, np.int64)
    ring_at = np.empty(rings + 1, np.int64)
    x, y = -ox, -oy  # the stream starts at the world grid's (0, 0)
    i = 0
    for a in range(rings):
        ring_at[a] = i
        for p in range(sizes[a]):
            field = field_at[a] + 2 * p + (1 if p > 0 else 0)  # LineTo(k) sits after the first point
            x += (stream[field] >> 1) ^ -(stream[field] & 1)
            y += (stream[field + 1] >> 1) ^ -(stream[field + 1] & 1)
            xs[i], ys[i] = x, y
            following[i] = i + 1 if p + 1 < sizes[a] else ring_at[a]
            i += 1
    ring_at[rings] = i
    return xs, ys, ring_at, following


@numba.njit(cache=True, nogil=True)
def _area(xs: np.ndarray, ys: np.ndarray, first: int, n: int) -> float:
    """Twice the ring's surveyor's area (positive: an exterior); in floats, as world grid rings can be long
    (exact for rings in a tile's box)."""
    area = 0.0
    for p in range(n):
        q = first + (p + 1) % n
        area += float(xs[first + p]) * ys[q] - float(xs[q]) * ys[first + p]
    return area


@numba.njit(cache=True, nogil=True)
def _clip_ring(
    wx: np.ndarray, wy: np.ndarray, first: int, n: int, low: int, high: int,
    ax: np.ndarray, ay: np.ndarray, asource: np.ndarray, bx: np.ndarray, by: np.ndarray, bsource: np.ndarray,
    xs: np.ndarray, ys: np.ndarray, source: np.ndarray, written: int,
) -> int:
    """The ring at `first` clipped to the box by Sutherland-Hodgman (a, b: scratch), repeated points dropped
    (a point merged with a cut point counts as new), written to xs, ys, source from `written` on. Returns
    where it ends, -1 if it does not fit (rings that zigzag across the box sides more than room allows)."""
    for p in range(n):
        ax[p], ay[p], asource[p] = wx[first + p], wy[first + p], first + p
    m = _clip_side(ax, ay, asource, n, low, 0, True, bx, by, bsource)
    m = _clip_side(bx, by, bsource, m, high, 0, False, ax, ay, asource)
    m = _clip_side(ax, ay, asource, m, low, 1, True, bx, by, bsource)
    m = _clip_side(bx, by, bsource, m, high, 1, False, ax, ay, asource)
    if m < 0 or written + m > xs.shape[0]:
        return -1
    kept = written
    for p in range(m):
        kept = _append(xs, ys, source, written, kept, ax[p], ay[p], asource[p])
    return _closed(xs, ys, source, written, kept)


@numba.njit(cache=True, nogil=True)
def _append(xs: np.ndarray, ys: np.ndarray, source: np.ndarray, first: int, at: int, x: int, y: int, point: int) -> int:
    """(x, y) after the ring's points first..at, unless it repeats the last one; the new end."""
    if at > first and x == xs[at - 1] and y == ys[at - 1]:
        if point != source[at - 1]:
            source[at - 1] = -1
        return at
    xs[at], ys[at], source[at] = x, y, point
    return at + 1


@numba.njit(cache=True, nogil=True)
def _closed(xs: np.ndarray, ys: np.ndarray, source: np.ndarray, first: int, at: int) -> int:
    """The ring's end with last points that repeat its first dropped (ClosePath goes back to it)."""
    while at > first + 1 and xs[at - 1] == xs[first] and ys[at - 1] == ys[first]:
        if source[at - 1] != source[first]:
            source[first] = -1
        at -= 1
    return at


@numba.njit(cache=True, nogil=True)
def _clip_alone(
    wx: np.ndarray, wy: np.ndarray, ring_at: np.ndarray, rings: int, low: int, high: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    """Each ring clipped alone: the points (xs, ys, and each one's index in the unclipped rings, -1 for cut
    points), where each ring's clipped points start (and, last, the end), which rings are holes; False when
    a ring is flat or zigzags across the box sides more than room allows (left to GEOS)."""
    room = 2 * ring_at[rings] + 8 * rings
    ax, ay, asource = np.empty(room, np.int64), np.empty(room, np.int64), np.empty(room, np.int64)
    bx, by, bsource = np.empty(room, np.int64), np.empty(room, np.int64), np.empty(room, np.int64)
    xs, ys, source = np.empty(room, np.int64), np.empty(room, np.int64), np.empty(room, np.int64)
    clipped_at = np.zeros(rings + 1, np.int64)
    hole = np.zeros(rings, np.bool_)
    for a in range(rings):
        first, n = ring_at[a], ring_at[a + 1] - ring_at[a]
        area = _area(wx, wy, first, n)
        kept = _clip_ring(wx, wy, first, n, low, high, ax, ay, asource, bx, by, bsource, xs, ys, source, clipped_at[a])
        if kept < 0 or area == 0:
            return xs, ys, source, clipped_at, hole, False
        hole[a], clipped_at[a + 1] = area < 0, kept
    return xs, ys, source, clipped_at, hole, True


@numba.njit(cache=True, nogil=True)
def _kept_each(
    xs: np.ndarray, ys: np.ndarray, clipped_at: np.ndarray, hole: np.ndarray, rings: int,
) -> tuple[np.ndarray, np.ndarray, int]:
    """The rings clipped alone (_clip_alone) as they are, in order: a ring that is gone takes nothing else
    with it but its own holes. Where each ring kept starts, its size, and how many were kept; -1 when that
    would not be valid as it is: a hole left without its exterior, a ring that turned over (see also
    _new_edges_clear)."""
    ring_start, ring_size = np.zeros(rings, np.int64), np.zeros(rings, np.int64)
    kept_rings = 0
    exterior_gone = True
    for a in range(rings):
        first, size = clipped_at[a], clipped_at[a + 1] - clipped_at[a]
        if size == 0:
            if not hole[a]:
                exterior_gone = True
            continue
        if hole[a] and exterior_gone or size < 3:
            return ring_start, ring_size, -1
        clipped = _area(xs, ys, first, size)
        if clipped == 0 or (clipped < 0) != hole[a]:
            return ring_start, ring_size, -1
        if not hole[a]:
            exterior_gone = False
        ring_start[kept_rings], ring_size[kept_rings] = first, size
        kept_rings += 1
    return ring_start, ring_size, kept_rings


@numba.njit(cache=True, nogil=True)
def _on_side(ax: int, ay: int, bx: int, by: int, low: int, high: int) -> bool:
    """Whether the edge a-b (in the box) runs along one of its sides."""
    return (ax == bx and (ax == low or ax == high)) or (ay == by and (ay == low or ay == high))


@numba.njit(cache=True, nogil=True)
def _along(x: int, y: int, low: int, high: int) -> int:
    """How far a point on the box's edge lies along it from its top left corner, clockwise on screen (the
    way exterior rings turn); -1 for a point off it."""
    side = high - low
    if y == low:
        return x - low
    if x == high:
        return side + y - low
    if y == high:
        return 2 * side + high - x
    if x == low:
        return 3 * side + high - y
    return -1


@numba.njit(cache=True, nogil=True)
def _inside(xs: np.ndarray, ys: np.ndarray, first: int, n: int, x: int, y: int) -> int:
    """1 if (x, y) lies inside the ring, 0 outside, -1 on it (crossings of a ray to +x, exact)."""
    crossings = 0
    for i in range(n):
        ax, ay = xs[first + i], ys[first + i]
        bx, by = xs[first + (i + 1) % n], ys[first + (i + 1) % n]
        turn = _turn(ax, ay, bx, by, x, y)
        if turn == 0 and _within(ax, ay, bx, by, x, y):
            return -1
        if (ay > y) != (by > y) and (turn > 0) == (by > ay):
            crossings += 1
    return crossings % 2


@numba.njit(cache=True, nogil=True)
def _clip_joined(
    px: np.ndarray, py: np.ndarray, psource: np.ndarray, clipped_at: np.ndarray, hole: np.ndarray, rings: int,
    low: int, high: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """The rings clipped together, for what _kept_each cannot: a ring that enters the box more than once
    (clipped alone it runs back and forth along a side), a hole cut by a side. Each ring clipped alone
    (_clip_alone) is cut where it runs along a side; its parts in between (chains, from a point on the box's edge to
    another) are joined, the end of one to the next start clockwise along the box's edge, past its
    corners: the way exterior rings turn, so that the region lies on the same side of the joins as of the
    chains. A ring with no edge along a side stays whole; a hole of those goes with the exterior around
    it; rings that become the box itself (a shore and a lake around the tile) leave it covered or
    not. Returns the points, where each ring starts, its size and how many there are, exteriors each
    followed by their holes; -1 where it cannot: chain ends and
    starts that do not take turns round the box (or an end on an end, a start on a start), a ring that
    turned over, a hole outside every exterior or an exterior inside another."""
    failed = np.empty(0, np.int64)
    # The chains, their points copied in order (a point is in one chain at most), and the rings kept whole.
    points = clipped_at[rings]
    cx, cy, csource = np.empty(points, np.int64), np.empty(points, np.int64), np.empty(points, np.int64)
    chain_first, chain_last, chain_ring = np.empty(points, np.int64), np.empty(points, np.int64), np.empty(points, np.int64)
    whole = np.zeros(rings, np.bool_)
    chains = at = covers = 0  # covers: exteriors less holes that became the box
    for a in range(rings):
        s, n = clipped_at[a], clipped_at[a + 1] - clipped_at[a]
        begin = -1
        for i in range(n):
            h, j = s + (i + n - 1) % n, s + (i + 1) % n
            if _on_side(px[h], py[h], px[s + i], py[s + i], low, high) and not _on_side(px[s + i], py[s + i], px[j], py[j], low, high):
                begin = i
                break
        if begin < 0:
            # No chain: no edge along a side (the ring stays whole), or nothing else: the box itself (made
            # again by the joins, or below where there are none), or a flat ring along a side (gone).
            along_only = True
            for i in range(n):
                j = s + (i + 1) % n
                if not _on_side(px[s + i], py[s + i], px[j], py[j], low, high):
                    along_only = False
                    break
            if not along_only:
                if n < 3:
                    return failed, failed, failed, failed, failed, -1
                whole[a] = True
            elif n >= 3:
                area = _area(px, py, s, n)
                covers += (area > 0) - (area < 0)
            continue
        i, walked = begin, 0
        while walked < n:
            chain_first[chains] = at
            cx[at], cy[at], csource[at] = px[s + i], py[s + i], psource[s + i]
            at += 1
            while True:  # ends before `begin` at the latest: the edge before it runs along a side
                i = (i + 1) % n
                walked += 1
                cx[at], cy[at], csource[at] = px[s + i], py[s + i], psource[s + i]
                at += 1
                j = (i + 1) % n
                if _on_side(px[s + i], py[s + i], px[s + j], py[s + j], low, high):
                    break
            chain_last[chains], chain_ring[chains] = at - 1, a
            chains += 1
            while walked < n and _on_side(px[s + i], py[s + i], px[s + (i + 1) % n], py[s + (i + 1) % n], low, high):
                i = (i + 1) % n
                walked += 1
    if chains == 0 and covers != 0 and covers != 1:
        return failed, failed, failed, failed, failed, -1

    # Each chain's end joins the next chain start clockwise; no other end may come first.
    side = high - low
    perimeter = 4 * side
    start_along, end_along = np.empty(chains, np.int64), np.empty(chains, np.int64)
    for c in range(chains):
        start_along[c] = _along(cx[chain_first[c]], cy[chain_first[c]], low, high)
        end_along[c] = _along(cx[chain_last[c]], cy[chain_last[c]], low, high)
        if start_along[c] < 0 or end_along[c] < 0:
            return failed, failed, failed, failed, failed, -1
    joined, gap = np.empty(chains, np.int64), np.empty(chains, np.int64)
    taken = np.zeros(chains, np.bool_)
    for c in range(chains):
        best, best_gap = -1, perimeter
        for d in range(chains):
            g = (start_along[d] - end_along[c]) % perimeter
            if g == best_gap:
                return failed, failed, failed, failed, failed, -1  # two starts at one point
            if g < best_gap:
                best, best_gap = d, g
        for e in range(chains):
            if e != c and (end_along[e] - end_along[c]) % perimeter <= best_gap:
                return failed, failed, failed, failed, failed, -1
        if taken[best] or (best == c and best_gap == 0):
            return failed, failed, failed, failed, failed, -1
        taken[best] = True
        joined[c], gap[c] = best, best_gap

    # The rings: chains joined into exteriors, then the rings kept whole (exteriors, then holes).
    capacity = at + points + 8  # the joins cover apart stretches of the box's edge: 4 corners in all, or the box
    xs, ys, source = np.empty(capacity, np.int64), np.empty(capacity, np.int64), np.empty(capacity, np.int64)
    count_most = chains + rings
    ring_start, ring_size = np.zeros(count_most, np.int64), np.zeros(count_most, np.int64)
    exterior = np.zeros(count_most, np.bool_)
    done = np.zeros(chains, np.bool_)
    count = f = 0
    for c0 in range(chains):
        if done[c0]:
            continue
        first, c = f, c0
        rejoined = False  # of chains of more than one ring
        while not done[c]:
            done[c] = True
            rejoined |= chain_ring[c] != chain_ring[c0]
            for q in range(chain_first[c], chain_last[c] + 1):
                f = _append(xs, ys, source, first, f, cx[q], cy[q], csource[q])
            corner = end_along[c] // side + 1
            past = corner * side - end_along[c]
            while past < gap[c]:
                k = corner % 4
                f = _append(xs, ys, source, first, f, high if k == 1 or k == 2 else low, high if k >= 2 else low, -1)
                corner += 1
                past += side
            c = joined[c]
        f = _closed(xs, ys, source, first, f)
        if c != c0 or f - first < 3:
            return failed, failed, failed, failed, failed, -1
        if rejoined:
            # Rings that touched at a point (a hole and its exterior, two holes: allowed) would, as one ring,
            # touch themselves there, or touch a ring kept whole at two points: every edge of it is tested
            # (_new_edges_clear), not only the new ones.
            source[first:f] = -1
        ring_start[count], ring_size[count], exterior[count] = first, f - first, True
        count += 1
    if chains == 0 and covers == 1:  # the tile lies in the region: the box, clockwise from its top left
        for x, y in ((low, low), (high, low), (high, high), (low, high)):
            xs[f], ys[f], source[f] = x, y, -1
            f += 1
        ring_start[count], ring_size[count], exterior[count] = f - 4, 4, True
        count += 1
    for outer in (True, False):
        for a in range(rings):
            if whole[a] and hole[a] != outer:
                first = f
                for q in range(clipped_at[a], clipped_at[a + 1]):
                    xs[f], ys[f], source[f] = px[q], py[q], psource[q]
                    f += 1
                ring_start[count], ring_size[count], exterior[count] = first, f - first, outer
                count += 1

    # Exteriors turn clockwise, holes the other way; no exterior lies in another, so a hole lies in one at most.
    for r in range(count):
        area = _area(xs, ys, ring_start[r], ring_size[r])
        if area == 0 or (area > 0) != exterior[r]:
            return failed, failed, failed, failed, failed, -1
    owner = np.full(count, -1, np.int64)
    for r in range(count):
        for e in range(count):
            if e == r or not exterior[e]:
                continue
            where = -1  # the first point of r not on e (rings may touch at a point)
            for p in range(ring_start[r], ring_start[r] + ring_size[r]):
                where = _inside(xs, ys, ring_start[e], ring_size[e], xs[p], ys[p])
                if where >= 0:
                    break
            if where < 0 or (where == 1 and exterior[r]):
                return failed, failed, failed, failed, failed, -1
            if where == 1:
                owner[r] = e
        if not exterior[r] and owner[r] < 0:
            return failed, failed, failed, failed, failed, -1
    order_start, order_size = np.empty(count, np.int64), np.empty(count, np.int64)
    o = 0
    for e in range(count):
        if exterior[e]:
            order_start[o], order_size[o] = ring_start[e], ring_size[e]
            o += 1
            for r in range(count):
                if owner[r] == e:
                    order_start[o], order_size[o] = ring_start[r], ring_size[r]
                    o += 1
    return xs, ys, source, order_start, order_size, count


@numba.njit(cache=True, nogil=True)
def _write(
    out: np.ndarray, at: int, xs: np.ndarray, ys: np.ndarray, ring_start: np.ndarray, ring_size: np.ndarray, rings: int,
) -> tuple[np.ndarray, int]:
    """The rings as one region's command stream at `at` of `out` (made larger where it must); the new end."""
    need = at + 3 * rings
    for a in range(rings):
        need += 2 * ring_size[a]
    if need > out.shape[0]:
        larger = np.empty(max(need, 2 * out.shape[0]), np.int64)
        larger[:at] = out[:at]
        out = larger
    cx = cy = 0
    for a in range(rings):
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
    return out, at


@numba.njit(cache=True, nogil=True)
def clip_rings(
    commands: np.ndarray, starts: np.ndarray, lengths: np.ndarray, rows: np.ndarray,
    ox: int, oy: int, extent: int, buffer: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Regions `rows` of a zoom grid (tiles.grid.ZoomGrid's streams) clipped to the tile whose origin is
    (ox, oy) on the world grid, with its buffer. Returns the streams in tile coordinates, concatenated,
    each row's length (0: nothing of it in the tile), and whether the row was clipped here; rows that
    were not (the result would not be valid, see _new_edges_clear and _clip_joined) have length 0 and go
    to GEOS.

    Rings keep their orientation (exteriors positive surveyor's area, holes negative). Each ring is
    clipped alone (_clip_alone); where that is not valid as it is (_kept_each), the rings clipped alone
    are joined (_clip_joined)."""
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
        field_at, sizes = np.empty(limit, np.int64), np.empty(limit, np.int64)
        rings = _rings(stream, field_at, sizes)
        if rings == 0:
            continue
        wx, wy, ring_at, following = _points(stream, field_at, sizes, rings, ox, oy)
        xs, ys, source, clipped_at, hole, clipped = _clip_alone(wx, wy, ring_at, rings, low, high)
        if not clipped:
            continue
        ring_start, ring_size, kept = _kept_each(xs, ys, clipped_at, hole, rings)
        if kept < 0 or not _new_edges_clear(xs, ys, source, ring_start, ring_size, following, kept):
            xs, ys, source, ring_start, ring_size, kept = _clip_joined(xs, ys, source, clipped_at, hole, rings, low, high)
            if kept < 0 or not _new_edges_clear(xs, ys, source, ring_start, ring_size, following, kept):
                continue
        done[r] = True
        first = at
        out, at = _write(out, at, xs, ys, ring_start, ring_size, kept)
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
