"""Snap a position to the nearest road segment of a :class:`~app.routing.graph.RoadGraph`.

A position (an ambulance's GPS fix, an incident's location) is projected onto the
nearest drivable segment; the result says which segment, where along it (``t`` from
``a`` to ``b``) and how far the position was from the road (``distance_m``). Beyond
``max_distance_m`` (default :data:`MAX_SNAP_M`) it is refused with
:class:`SnapError` — "in the sea / outside the map" — instead of being routed from
a road 5 km away.

Index: a ``scipy.spatial.cKDTree`` of segment midpoints in a local metric
projection. The nearest segment is exact: a segment whose midpoint is farther than
(best distance so far + the longest half-segment) cannot be nearer. Read-only after
construction (thread-safe); a query costs ~20–60 µs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from app.routing.graph import RoadGraph

MAX_SNAP_M = 500.0
PIECE_M = 40.0
_FIRST_K = 8


class SnapError(ValueError):
    """A position is too far from any road (or not a position). ``distance_m``: to the nearest road, if known."""

    def __init__(self, message: str, distance_m: float | None = None) -> None:
        super().__init__(message)
        self.distance_m = distance_m


@dataclass(frozen=True)
class Snap:
    """Where a position meets the road: segment ``a``–``b`` at fraction ``t`` (0 at ``a``)."""

    a: int
    b: int
    t: float
    lat: float  # the snapped point
    lon: float
    distance_m: float  # from the given position to the snapped point


class Snapper:
    """Nearest-segment index over a road graph's (undirected) segments."""

    def __init__(self, graph: RoadGraph) -> None:
        self.graph = graph
        src, dst = graph.arrays.src.astype(np.int64), graph.arrays.dst.astype(np.int64)
        lo, hi = np.minimum(src, dst), np.maximum(src, dst)
        pairs = np.unique(lo * graph.n_nodes + hi)
        self.seg_a = (pairs // graph.n_nodes).astype(np.int64)
        self.seg_b = (pairs % graph.n_nodes).astype(np.int64)
        x, y = graph.xy(graph.lat, graph.lon)
        x, y = np.asarray(x), np.asarray(y)
        # Long segments are cut into pieces of at most PIECE_M for the index, so that the
        # exactness margin (the longest half-piece) stays small and a query looks at few pieces.
        seg_len = np.hypot(x[self.seg_b] - x[self.seg_a], y[self.seg_b] - y[self.seg_a])
        count = np.maximum(1, np.ceil(seg_len / PIECE_M)).astype(np.int64)
        self._parent = np.repeat(np.arange(len(pairs)), count)
        first = np.repeat(np.cumsum(count) - count, count)
        k = np.arange(len(self._parent)) - first
        c = count[self._parent]
        self._t0, self._t1 = k / c, (k + 1) / c
        pa, pb = self.seg_a[self._parent], self.seg_b[self._parent]
        ax = x[pa] + self._t0 * (x[pb] - x[pa])
        ay = y[pa] + self._t0 * (y[pb] - y[pa])
        bx = x[pa] + self._t1 * (x[pb] - x[pa])
        by = y[pa] + self._t1 * (y[pb] - y[pa])
        self._ax, self._ay, self._dx, self._dy = ax, ay, bx - ax, by - ay
        self._len2 = self._dx**2 + self._dy**2
        self._half_max = float(np.sqrt(self._len2.max()) / 2) if len(pairs) else 0.0
        self._tree = cKDTree(np.column_stack([ax + self._dx / 2, ay + self._dy / 2]))

    def _project(self, ids: np.ndarray, px: float, py: float) -> tuple[np.ndarray, np.ndarray]:
        with np.errstate(invalid="ignore", divide="ignore"):
            t = ((px - self._ax[ids]) * self._dx[ids] + (py - self._ay[ids]) * self._dy[ids]) / self._len2[ids]
        t = np.clip(np.nan_to_num(t), 0.0, 1.0)
        qx = self._ax[ids] + t * self._dx[ids]
        qy = self._ay[ids] + t * self._dy[ids]
        return t, np.hypot(qx - px, qy - py)

    def snap(self, lat: float, lon: float, max_distance_m: float = MAX_SNAP_M) -> Snap:
        """The nearest point on a road to (lat, lon).

        Raises:
            SnapError: not a finite WGS-84 position, the graph has no roads, or the
                nearest road is farther than ``max_distance_m`` (the message gives the distance).
        """
        result = self.snap_many([(lat, lon)], max_distance_m)[0]
        if isinstance(result, SnapError):
            raise result
        return result

    def snap_many(self, positions: list[tuple[float, float]],
                  max_distance_m: float = MAX_SNAP_M) -> list[Snap | SnapError]:
        """:meth:`snap` for many positions at once (vectorised); errors are returned, not raised."""
        out: list[Snap | SnapError | None] = [None] * len(positions)
        good: list[int] = []
        for i, (lat, lon) in enumerate(positions):
            if not (isinstance(lat, int | float) and isinstance(lon, int | float) and math.isfinite(lat)
                    and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
                out[i] = SnapError(f"not a position: {lat!r},{lon!r}")
            elif len(self.seg_a) == 0:
                out[i] = SnapError("the road graph has no roads")
            else:
                good.append(i)
        if good:
            lats = np.array([positions[i][0] for i in good], dtype=np.float64)
            lons = np.array([positions[i][1] for i in good], dtype=np.float64)
            px, py = (np.asarray(v, dtype=np.float64) for v in self.graph.xy(lats, lons))
            k = min(_FIRST_K, len(self._parent))
            mid_d, near = self._tree.query(np.column_stack([px, py]), k=k)
            mid_d, near = mid_d.reshape(len(good), k), near.reshape(len(good), k)
            t, d = self._project(near, px[:, None], py[:, None])
            for row, i in enumerate(good):
                best = float(d[row].min())
                cand, tt, dd = near[row], t[row], d[row]
                # A piece outside the k nearest midpoints may still be nearer: check them all.
                if k < len(self._parent) and mid_d[row, -1] <= best + self._half_max:
                    cand = np.asarray(self._tree.query_ball_point([px[row], py[row]], best + self._half_max + 1e-6),
                                      dtype=np.int64)
                    tt, dd = self._project(cand, px[row], py[row])
                out[i] = self._result(positions[i], cand, tt, dd, max_distance_m)
        return out  # type: ignore[return-value]

    def _result(self, position, cand, t, d, max_distance_m) -> Snap | SnapError:
        lat, lon = position
        j = int(np.argmin(d))
        distance = float(d[j])
        if distance > max_distance_m:
            return SnapError(f"position {lat:.6f},{lon:.6f} is {distance:.0f} m from the nearest road "
                             f"(limit {max_distance_m:.0f} m): in the sea or outside the map?", distance)
        piece = int(cand[j])
        seg = int(self._parent[piece])
        tt = float(self._t0[piece] + t[j] * (self._t1[piece] - self._t0[piece]))
        a, b = int(self.seg_a[seg]), int(self.seg_b[seg])
        g = self.graph
        return Snap(a, b, tt, float(g.lat[a] + tt * (g.lat[b] - g.lat[a])),
                    float(g.lon[a] + tt * (g.lon[b] - g.lon[a])), distance)
