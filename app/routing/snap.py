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
PIECE_M = 20.0  # 40 m pieces left 28 % of 200 Monaco units needing a ball query; 20 m: 10 %
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


@dataclass(frozen=True)
class SnapArrays:
    """Many snaps as arrays (see :meth:`Snapper.snap_arrays`); rows in ``errors`` have a = b = -1."""

    a: np.ndarray  # int64 [n]
    b: np.ndarray  # int64 [n]
    t: np.ndarray  # float64 [n], 0 at a
    distance_m: np.ndarray  # float64 [n]
    errors: dict[int, SnapError]


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

    def _project(self, ids: np.ndarray, px: np.ndarray | float, py: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
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
        found = self.snap_arrays(positions, max_distance_m)
        g = self.graph
        out: list[Snap | SnapError] = []
        for i in range(len(positions)):
            error = found.errors.get(i)
            if error is not None:
                out.append(error)
                continue
            a, b, t = int(found.a[i]), int(found.b[i]), float(found.t[i])
            out.append(Snap(a, b, t, float(g.lat[a] + t * (g.lat[b] - g.lat[a])),
                            float(g.lon[a] + t * (g.lon[b] - g.lon[a])), float(found.distance_m[i])))
        return out

    def snap_arrays(self, positions: list[tuple[float, float]], max_distance_m: float = MAX_SNAP_M) -> SnapArrays:
        """Snap many positions into arrays (no per-position objects): what a one-to-many ETA needs.

        Rows listed in ``errors`` (not a position, too far from a road) hold a = b = -1.
        """
        count = len(positions)
        errors: dict[int, SnapError] = {}
        good: list[int] = []
        for i, (lat, lon) in enumerate(positions):
            if not (isinstance(lat, int | float) and isinstance(lon, int | float) and math.isfinite(lat)
                    and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
                errors[i] = SnapError(f"not a position: {lat!r},{lon!r}")
            elif len(self.seg_a) == 0:
                errors[i] = SnapError("the road graph has no roads")
            else:
                good.append(i)
        a = np.full(count, -1, dtype=np.int64)
        b = np.full(count, -1, dtype=np.int64)
        t = np.zeros(count)
        dist = np.full(count, np.inf)
        if good:
            rows = np.asarray(good)
            lats = np.array([positions[i][0] for i in good], dtype=np.float64)
            lons = np.array([positions[i][1] for i in good], dtype=np.float64)
            px, py = (np.asarray(v, dtype=np.float64) for v in self.graph.xy(lats, lons))
            piece, tt, dd = self._nearest(px, py)
            seg = self._parent[piece]
            a[rows], b[rows] = self.seg_a[seg], self.seg_b[seg]
            t[rows] = self._t0[piece] + tt * (self._t1[piece] - self._t0[piece])
            dist[rows] = dd
            for row in np.flatnonzero(dd > max_distance_m).tolist():
                i = good[row]
                lat, lon = positions[i]
                errors[i] = SnapError(f"position {lat:.6f},{lon:.6f} is {dd[row]:.0f} m from the nearest road "
                                      f"(limit {max_distance_m:.0f} m): in the sea or outside the map?", float(dd[row]))
                a[i] = b[i] = -1
        return SnapArrays(a, b, t, dist, errors)

    def _nearest(self, px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Nearest index piece, fraction along it and distance (m) for each projected point.

        The k nearest midpoints first; a point whose k-th midpoint is within (best + the
        longest half-piece) may have a nearer piece further out: for those, every piece whose
        midpoint lies within that radius is projected too (one ball query for all of them).
        """
        k = min(_FIRST_K, len(self._parent))
        mid_d, near = self._tree.query(np.column_stack([px, py]), k=k)
        mid_d, near = mid_d.reshape(len(px), k), near.reshape(len(px), k)
        t, d = self._project(near, px[:, None], py[:, None])
        j = np.argmin(d, axis=1)
        rows = np.arange(len(px))
        piece, t_best, d_best = near[rows, j], t[rows, j], d[rows, j]
        todo = np.flatnonzero((k < len(self._parent)) & (mid_d[:, -1] <= d_best + self._half_max))
        if len(todo):
            balls = self._tree.query_ball_point(np.column_stack([px[todo], py[todo]]),
                                                d_best[todo] + self._half_max + 1e-6)
            sizes = np.fromiter((len(ball) for ball in balls), dtype=np.int64, count=len(todo))
            cand = np.fromiter((c for ball in balls for c in ball), dtype=np.int64, count=int(sizes.sum()))
            owner = np.repeat(todo, sizes)
            tc, dc = self._project(cand, px[owner], py[owner])
            order = np.lexsort((dc, owner))
            first = order[np.r_[0, np.cumsum(sizes)[:-1]]]  # every ball holds the piece already found
            piece[todo], t_best[todo], d_best[todo] = cand[first], tc[first], dc[first]
        return piece, t_best, d_best
