"""Command streams read back as geometry, for tests that compare them."""

from __future__ import annotations

import numpy as np
import shapely


def stream_polygons(commands: np.ndarray, lengths: np.ndarray) -> list[shapely.Geometry]:
    """Each region's stream back to a geometry: a ring of positive surveyor's area starts a polygon,
    one of negative area is a hole of the polygon before it."""
    regions, at = [], 0
    for length in lengths:
        parts: list[list] = []
        stream, i, x, y = commands[at:at + length].tolist(), 0, 0, 0
        while i < len(stream):
            command_id, count = stream[i] & 7, stream[i] >> 3
            i += 1
            if command_id == 1:
                ring = []
            if command_id in (1, 2):
                for _ in range(count):
                    x += (stream[i] >> 1) ^ -(stream[i] & 1)
                    y += (stream[i + 1] >> 1) ^ -(stream[i + 1] & 1)
                    ring.append((x, y))
                    i += 2
            if command_id == 7:
                if shapely.LinearRing(ring).is_ccw:  # ccw with y up is positive surveyor's area
                    parts.append([ring, []])
                else:
                    parts[-1][1].append(ring)
        regions.append(shapely.MultiPolygon([shapely.Polygon(e, h) for e, h in parts]) if parts else shapely.Polygon())
        at += length
    return regions
