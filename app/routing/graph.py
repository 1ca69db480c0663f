"""The road graph: built once from an imported extract, stored as ``roads.graph.npz``, loaded fast.

:func:`build_arrays` turns the drivable ``extract.roads`` into plain arrays (one graph
node per OSM node of a drivable way, one directed edge per way segment and allowed
direction); :func:`save` / :func:`load` write and read them; :class:`RoadGraph` holds
them with the forward and reversed ``scipy.sparse`` CSR matrices that
:mod:`app.routing.engine` runs ``scipy.sparse.csgraph.dijkstra`` on.

What is drivable and how fast (DESIGN §3):

* ways whose ``highway`` class is in :data:`SPEEDS_KMH` (footways, steps, paths,
  cycleways, pedestrian streets and areas are not), minus ``access=no``/``private``-free
  exclusions: ``access=no`` or ``motor_vehicle=no`` removes a way; an ambulance may
  use ``private``/``destination`` roads (a residential compound's lanes);
* one-way streets: ``oneway=yes|true|1`` (forward), ``oneway=-1|reverse`` (backward),
  ``junction=roundabout|circular`` and ``highway=motorway`` imply one-way unless
  ``oneway=no``;
* speed: a parsable ``maxspeed`` (``50``, ``30 mph``) else the class's speed from the
  table; the stored edge time is at that speed. The centre's **emergency-driving
  factor** (setting ``emergency_speed_factor``, >1 faster) divides times at load time,
  so changing it needs no re-import.

The **walking profile** (``build_arrays(..., profile="walk")``, written as ``walk.graph.npz``
for volunteers fetching an AED): the classes in :data:`WALK_SPEEDS_KMH` (footways, steps,
paths, pedestrian and ordinary streets; not motorways/trunk roads), minus ``access=no|private``
and ``foot=no`` ways (``foot=yes`` admits any way); one-way tags ignored; 1.4 m/s, steps 0.7 m/s.

**Turn restrictions** (``type=restriction`` relations read by :mod:`app.mapdata.osm`) are
stored as banned turns: node triples ``x → v → y`` (``no_*`` bans the from→to turns,
``only_*`` bans every other turn out of the from-way at the via node). Via-way
restrictions are not supported: they are counted in ``meta["turn_restrictions"]["skipped"]``.
:class:`RoadGraph` turns the edges into an **edge-based graph** (one vertex per directed
edge, one arc per allowed turn): a banned turn is a missing arc, and a U-turn is allowed
only where the road ends (as OSRM's car profile does); walking allows every turn.

Arrays are float64 coordinates, int32 node indices, float32 seconds/metres: Monaco
is ~0.3 MB, a 200 000-node city ~15 MB. Pure computation, calling thread; no Qt.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import lzma
import math
import re
import threading
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from app.filecache import FileCache

GRAPH_FILE = "roads.graph.npz"
WALK_GRAPH_FILE = "walk.graph.npz"  # the walking profile (volunteers fetching an AED)
GRAPH_FORMAT = 2  # 2: banned turns (format 1 files load without any)
READABLE_FORMATS = (1, 2)
EARTH_RADIUS_M = 6_371_008.8

# Free-flow speeds (km/h) of an ambulance by OSM highway class, before the
# emergency factor. Classes not listed are not drivable.
SPEEDS_KMH: dict[str, float] = {
    "motorway": 90.0,
    "motorway_link": 50.0,
    "trunk": 70.0,
    "trunk_link": 45.0,
    "primary": 50.0,
    "primary_link": 40.0,
    "secondary": 45.0,
    "secondary_link": 35.0,
    "tertiary": 40.0,
    "tertiary_link": 30.0,
    "unclassified": 30.0,
    "road": 30.0,
    "residential": 30.0,
    "living_street": 10.0,
    "service": 15.0,
    "busway": 30.0,
}
# Walking speeds (km/h) by OSM highway class: 1.4 m/s, steps half that. Motorways and
# trunk roads are not walkable (unless tagged foot=yes); one-way streets are walked both ways.
WALK_MPS = 1.4
STEPS_MPS = 0.7
WALK_SPEEDS_KMH: dict[str, float] = {
    **{cls: WALK_MPS * 3.6 for cls in (
        "footway", "pedestrian", "path", "living_street", "residential", "service", "unclassified", "road",
        "tertiary", "tertiary_link", "secondary", "secondary_link", "primary", "primary_link", "track",
        "cycleway", "corridor", "bridleway", "busway")},
    "steps": STEPS_MPS * 3.6,
}
FOOT_YES = frozenset({"yes", "designated", "permissive", "destination"})
PROFILES = ("drive", "walk")
ONEWAY_FORWARD = frozenset({"yes", "true", "1"})
ONEWAY_BACKWARD = frozenset({"-1", "reverse"})
IMPLIED_ONEWAY_JUNCTIONS = frozenset({"roundabout", "circular"})
MIN_EDGE_S = 0.01  # scipy treats a 0 weight as "no edge" in places: keep every edge positive
_MAXSPEED_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mph|km/h|kmh|kph)?\s*$")


class GraphFileError(ValueError):
    """A graph file is missing, unreadable, or of another format. The message says which."""


def parse_maxspeed(value: str | None) -> float | None:
    """km/h from an OSM ``maxspeed`` (``"50"``, ``"30 mph"``); None for ``"FR:urban"``, ``"none"``, junk."""
    if not value:
        return None
    match = _MAXSPEED_RE.match(value.split(";")[0])
    if not match:
        return None
    speed = float(match.group(1)) * (1.609344 if match.group(2) == "mph" else 1.0)
    return speed if 5.0 <= speed <= 200.0 else None


def directions(highway: str, tags: Mapping[str, str]) -> tuple[bool, bool] | None:
    """``(forward, backward)`` allowed along the way's node order; None if the way is not drivable."""
    if highway not in SPEEDS_KMH or tags.get("area") == "yes":
        return None
    if tags.get("access") == "no" and tags.get("motor_vehicle") not in ("yes", "designated", "destination"):
        return None
    if tags.get("motor_vehicle") == "no":
        return None
    oneway = tags.get("oneway", "").strip().lower()
    if oneway in ONEWAY_FORWARD:
        return True, False
    if oneway in ONEWAY_BACKWARD:
        return False, True
    if oneway == "no":
        return True, True
    if tags.get("junction") in IMPLIED_ONEWAY_JUNCTIONS or highway == "motorway":
        return True, False
    return True, True


def walk_directions(highway: str, tags: Mapping[str, str]) -> tuple[bool, bool] | None:
    """``(True, True)`` if a pedestrian may use the way (both ways: one-way is for vehicles); else None."""
    foot = tags.get("foot", "").strip().lower()
    if foot == "no":
        return None
    if foot in FOOT_YES:
        return True, True
    if highway not in WALK_SPEEDS_KMH or tags.get("access") in ("no", "private"):
        return None
    return True, True


def ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(starts, counts)])``, vectorised (int64)."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    offsets = np.repeat(np.asarray(starts, dtype=np.int64) - (ends - counts), counts)
    return offsets + np.arange(total, dtype=np.int64)


def segment_lengths_m(lat: np.ndarray, lon: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Great-circle length (haversine) of segments ``a[i]→b[i]`` in metres."""
    p1, p2 = np.radians(lat[a]), np.radians(lat[b])
    dl = np.radians(lon[b] - lon[a])
    h = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(h)))


@dataclass
class GraphArrays:
    """The stored form: nodes and directed edges (``seconds`` at factor 1)."""

    lat: np.ndarray  # float64 [n]
    lon: np.ndarray  # float64 [n]
    osm_id: np.ndarray  # int64 [n]
    src: np.ndarray  # int32 [m]
    dst: np.ndarray  # int32 [m]
    seconds: np.ndarray  # float32 [m]
    length_m: np.ndarray  # float32 [m]
    meta: dict[str, Any] = field(default_factory=dict)
    # Banned turns x→v→y as node indices (int32 [k] each): turn restrictions, drive profile only.
    ban_from: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    ban_via: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    ban_to: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int32))


def build_arrays(roads: Iterable[Any], speeds_kmh: Mapping[str, float] | None = None,
                 profile: str = "drive", restrictions: Iterable[Any] = ()) -> GraphArrays:
    """Arrays of the drivable (``profile="drive"``) or walkable (``"walk"``) network in ``roads``
    (:class:`app.mapdata.osm.RoadWay`-like). Walking ignores ``maxspeed``, one-way tags and
    ``restrictions`` (:class:`app.mapdata.osm.TurnRestriction`-like), which driving obeys.

    Two ways meeting at an OSM node meet in the graph; parallel edges between the same
    two nodes keep the fastest. Calling thread; CPU-bound (≈0.1 s for Monaco).
    """
    if profile not in PROFILES:
        raise ValueError(f"unknown routing profile {profile!r}; expected one of {PROFILES}")
    walking = profile == "walk"
    speeds = dict((WALK_SPEEDS_KMH if walking else SPEEDS_KMH) if speeds_kmh is None else speeds_kmh)
    allow = walk_directions if walking else directions
    way_nodes: list[np.ndarray] = []
    coords: list[np.ndarray] = []
    seg_a: list[np.ndarray] = []  # positions into the concatenated node list
    seg_speed: list[np.ndarray] = []
    seg_fwd: list[np.ndarray] = []
    seg_bwd: list[np.ndarray] = []
    offset = 0
    ways = 0
    way_node_ids: dict[int, list[int]] = {}  # the kept ways' OSM node ids, for turn restrictions
    for road in roads:
        allowed = allow(road.highway, road.tags)
        if allowed is not None and road.highway not in speeds:
            allowed = None if not walking else allowed  # foot=yes on an unlisted class: walking speed

        if allowed is None or len(road.node_ids) < 2:
            continue
        ways += 1
        way_node_ids[road.osm_id] = list(road.node_ids)
        n = len(road.node_ids)
        way_nodes.append(np.asarray(road.node_ids, dtype=np.int64))
        coords.append(np.asarray(road.coords, dtype=np.float64).reshape(n, 2))
        if walking:
            speed = speeds.get(road.highway, WALK_MPS * 3.6)
        else:
            speed = parse_maxspeed(road.tags.get("maxspeed")) or speeds[road.highway]
        seg_a.append(np.arange(offset, offset + n - 1, dtype=np.int64))
        seg_speed.append(np.full(n - 1, speed, dtype=np.float64))
        seg_fwd.append(np.full(n - 1, allowed[0]))
        seg_bwd.append(np.full(n - 1, allowed[1]))
        offset += n
    if not way_nodes:
        if walking:
            raise GraphFileError("no walkable ways in the extract (no highway class a pedestrian uses)")
        raise GraphFileError("no drivable roads in the extract (no highway class an ambulance uses)")
    all_ids = np.concatenate(way_nodes)
    all_coords = np.concatenate(coords)
    osm_ids, first, index = np.unique(all_ids, return_index=True, return_inverse=True)
    lat = all_coords[first, 0]
    lon = all_coords[first, 1]
    a_pos = np.concatenate(seg_a)
    a = index[a_pos].astype(np.int32)
    b = index[a_pos + 1].astype(np.int32)
    speed_mps = np.concatenate(seg_speed) / 3.6
    fwd = np.concatenate(seg_fwd)
    bwd = np.concatenate(seg_bwd)
    keep = a != b  # a way revisiting the same node back to back
    a, b, speed_mps, fwd, bwd = a[keep], b[keep], speed_mps[keep], fwd[keep], bwd[keep]
    length = segment_lengths_m(lat, lon, a, b)
    seconds = np.maximum(length / speed_mps, MIN_EDGE_S)
    src = np.concatenate([a[fwd], b[bwd]])
    dst = np.concatenate([b[fwd], a[bwd]])
    sec = np.concatenate([seconds[fwd], seconds[bwd]])
    metres = np.concatenate([length[fwd], length[bwd]])
    src, dst, sec, metres = _fastest_parallel(src, dst, sec, metres)
    bans, restriction_meta = _turn_bans([] if walking else list(restrictions), way_node_ids, osm_ids, src, dst)
    meta = {"format": GRAPH_FORMAT, "ways": ways, "nodes": int(len(lat)), "edges": int(len(src)),
            "speeds_kmh": speeds, "profile": profile, "turn_restrictions": restriction_meta}
    return GraphArrays(lat, lon, osm_ids, src.astype(np.int32), dst.astype(np.int32),
                       sec.astype(np.float32), metres.astype(np.float32), meta,
                       bans[:, 0].copy(), bans[:, 1].copy(), bans[:, 2].copy())


def _turn_bans(restrictions: list[Any], way_node_ids: Mapping[int, list[int]], osm_ids: np.ndarray,
               src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """Banned turns (int32 [k, 3] node triples x→v→y) from turn restrictions, and what was applied.

    A restriction binds the from-way's segments that end at the via node (both, if the way
    runs through it) and the to-way's segments that start there, in the directions the graph
    allows. Skipped, with the reason counted: via-way restrictions (not supported), a kind
    other than ``no_*``/``only_*``, and those whose ways or via node are not in the graph
    (not drivable, or cut off by the extract's boundary).
    """
    out_of: dict[int, set[int]] = {}
    for a, b in zip(src.tolist(), dst.tolist(), strict=True):
        out_of.setdefault(a, set()).add(b)
    index = {int(osm): i for i, osm in enumerate(osm_ids.tolist())}

    def neighbours(way: int, via: int) -> list[int]:
        nodes = way_node_ids.get(way, [])
        near = [nodes[i + d] for i, node in enumerate(nodes) if node == via
                for d in (-1, 1) if 0 <= i + d < len(nodes) and nodes[i + d] != via]
        return [index[n] for n in near if n in index]

    bans: set[tuple[int, int, int]] = set()
    skipped: dict[str, int] = {}
    applied = 0
    for r in restrictions:
        kind = str(r.kind)
        if r.via_ways:
            reason = "via_way"
        elif not (kind.startswith("no_") or kind.startswith("only_")):
            reason = "unknown_kind"
        elif len(r.via_nodes) != 1 or not r.from_ways or not r.to_ways:
            reason = "malformed"
        elif int(r.via_nodes[0]) not in index:
            reason = "not_in_graph"
        else:
            reason = ""
        if reason:
            skipped[reason] = skipped.get(reason, 0) + 1
            continue
        v = index[int(r.via_nodes[0])]
        outs = out_of.get(v, set())
        froms = {x for w in r.from_ways for x in neighbours(int(w), int(r.via_nodes[0])) if v in out_of.get(x, ())}
        tos = {y for w in r.to_ways for y in neighbours(int(w), int(r.via_nodes[0])) if y in outs}
        if not froms or not tos:
            skipped["not_in_graph"] = skipped.get("not_in_graph", 0) + 1
            continue
        applied += 1
        if kind == "no_u_turn":  # back the way it came, not across a from-way that runs through
            bans.update((x, v, x) for x in froms if x in tos)
            continue
        banned_to = tos if kind.startswith("no_") else outs - tos
        bans.update((x, v, y) for x in froms for y in banned_to)
    table = np.array(sorted(bans), dtype=np.int32).reshape(-1, 3)
    return table, {"read": len(restrictions), "applied": applied, "skipped": skipped, "banned_turns": len(table)}


def _fastest_parallel(src, dst, sec, metres):
    """Keep, for each (src, dst) pair, only the fastest edge (a CSR matrix would sum duplicates)."""
    order = np.lexsort((sec, dst, src))
    src, dst, sec, metres = src[order], dst[order], sec[order], metres[order]
    first = np.ones(len(src), dtype=bool)
    first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    return src[first], dst[first], sec[first], metres[first]


def save(arrays: GraphArrays, path: Path) -> int:
    """Write ``arrays`` to ``path`` (npz, LZMA-compressed). Returns the file size in bytes.

    Stored compactly: coordinates as int32 1e-7 degrees (1 cm), edges as (src, dst,
    speed km/h); lengths and times are recomputed at load (they follow from those).

    Raises:
        OSError: cannot write.
    """
    path = Path(path)
    # A zero-length edge (two nodes at one spot) has no meaningful speed; any positive one gives it MIN_EDGE_S.
    speed_kmh = np.maximum(np.round(arrays.length_m.astype(np.float64) / np.maximum(arrays.seconds, MIN_EDGE_S)
                                    * 3.6, 2), 1.0)
    # Delta-encoded (nodes are in OSM id order, edges in (src, dst) order) and LZMA-compressed:
    # about half the size of plain arrays in a deflated npz; np.load reads it like any npz.
    arrays_out = {
        "lat_e7_delta": np.diff(np.round(arrays.lat * 1e7).astype(np.int32), prepend=0),
        "lon_e7_delta": np.diff(np.round(arrays.lon * 1e7).astype(np.int32), prepend=0),
        "osm_id_delta": np.diff(arrays.osm_id.astype(np.int64), prepend=0),
        "src_delta": np.diff(arrays.src.astype(np.int32), prepend=0),
        "dst_minus_src": arrays.dst.astype(np.int32) - arrays.src.astype(np.int32),
        "speed_kmh": speed_kmh.astype(np.float32),
        "ban_from": np.asarray(arrays.ban_from, dtype=np.int32),
        "ban_via": np.asarray(arrays.ban_via, dtype=np.int32),
        "ban_to": np.asarray(arrays.ban_to, dtype=np.int32),
        "meta": np.frombuffer(json.dumps(arrays.meta).encode(), dtype=np.uint8),
    }
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_LZMA) as archive:
        for key, value in arrays_out.items():
            with archive.open(f"{key}.npy", "w") as member:
                np.lib.format.write_array(member, np.ascontiguousarray(value), allow_pickle=False)
    return path.stat().st_size


def load_arrays(path: Path) -> GraphArrays:
    """Read a graph file written by :func:`save` (blocking; kept in memory while the file is
    unchanged, see :mod:`app.filecache`: every seat window loads its city's graph).

    The arrays are read-only and shared by every caller (writing into one raises
    ``ValueError``); ``meta`` and the :class:`GraphArrays` itself are each caller's own.

    Raises:
        GraphFileError: missing, unreadable, inconsistent, or another format — with a hint.
    """
    kept = _GRAPH_FILES.get(Path(path))
    return dataclasses.replace(kept, meta=copy.deepcopy(kept.meta))


def _read_arrays(path: Path) -> GraphArrays:
    path = Path(path)
    hint = "re-import the city with: dispatch120 map import CITY.osm.pbf"
    if not path.is_file():
        raise GraphFileError(f"{path}: no road graph; {hint}")
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode())
            if "src_delta" in data.files:  # written by this save()
                lat = np.cumsum(data["lat_e7_delta"], dtype=np.int64).astype(np.float64) / 1e7
                lon = np.cumsum(data["lon_e7_delta"], dtype=np.int64).astype(np.float64) / 1e7
                osm_id = np.cumsum(data["osm_id_delta"], dtype=np.int64)
                src = np.cumsum(data["src_delta"], dtype=np.int64).astype(np.int32)
                dst = (src.astype(np.int64) + data["dst_minus_src"]).astype(np.int32)
            else:  # plain arrays (files imported before the delta encoding)
                lat = data["lat_e7"].astype(np.float64) / 1e7
                lon = data["lon_e7"].astype(np.float64) / 1e7
                osm_id, src, dst = data["osm_id"], data["src"], data["dst"]
            speed = data["speed_kmh"]
            empty = np.zeros(0, dtype=np.int32)
            bans = [data[k].astype(np.int32) if k in data.files else empty for k in ("ban_from", "ban_via", "ban_to")]
    except (OSError, ValueError, KeyError, UnicodeDecodeError, EOFError, zipfile.BadZipFile, lzma.LZMAError) as exc:
        raise GraphFileError(f"{path}: unreadable road graph ({exc}); {hint}") from exc
    if not isinstance(meta, dict) or meta.get("format") not in READABLE_FORMATS:
        version = meta.get("format") if isinstance(meta, dict) else None
        raise GraphFileError(f"{path}: road graph format {version!r}, expected {GRAPH_FORMAT}; {hint}")
    n, m = len(lat), len(src)
    if (len(lon) != n or len(osm_id) != n or len(dst) != m or len(speed) != m
            or (m and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n))
            or (m and not np.all(speed > 0))
            or len({len(b) for b in bans}) != 1
            or (len(bans[0]) and (min(b.min() for b in bans) < 0 or max(b.max() for b in bans) >= n))):
        raise GraphFileError(f"{path}: road graph arrays do not fit together; {hint}")
    length = segment_lengths_m(lat, lon, src, dst)
    seconds = np.maximum(length / (speed.astype(np.float64) / 3.6), MIN_EDGE_S)
    arrays = GraphArrays(lat, lon, osm_id, src.astype(np.int32), dst.astype(np.int32), seconds.astype(np.float32),
                         length.astype(np.float32), meta, *bans)
    for value in vars(arrays).values():
        if isinstance(value, np.ndarray):
            value.setflags(write=False)  # shared between callers (_GRAPH_FILES)
    return arrays


# Loaded graph files, kept while the file is unchanged (reading and decoding one is ~40 ms of a
# seat window's build for Monaco); a few cities at most.
_GRAPH_FILES: FileCache[GraphArrays] = FileCache(_read_arrays, max_files=4)


def check_emergency_factor(emergency_factor: float) -> None:
    """Raises ValueError unless ``emergency_factor`` is a positive finite number."""
    if not (isinstance(emergency_factor, int | float) and math.isfinite(emergency_factor)
            and emergency_factor > 0):
        raise ValueError(f"emergency_factor must be a positive number, not {emergency_factor!r}")


class RoadGraph:
    """A loaded road graph. Read-only after construction: safe to share between threads
    (but for the target arcs of ``turns_reverse``, which a search rewrites holding ``search_lock``).

    Args:
        arrays: nodes and edges (see :class:`GraphArrays`).
        emergency_factor: travel times are divided by this (>0; 1.25 = 25 % faster than
            the table's free-flow speeds).

    Raises:
        ValueError: ``emergency_factor`` is not a positive finite number.
    """

    def __init__(self, arrays: GraphArrays, emergency_factor: float = 1.0) -> None:
        check_emergency_factor(emergency_factor)
        self.arrays = arrays
        self.emergency_factor = float(emergency_factor)
        # Held by every router over this graph while a search rewrites the virtual vertex's arcs.
        self.search_lock = threading.Lock()
        n = len(arrays.lat)
        self.n_nodes = n
        self.lat = arrays.lat
        self.lon = arrays.lon
        seconds = arrays.seconds.astype(np.float64) / self.emergency_factor
        self.forward = sparse.csr_matrix((seconds, (arrays.src, arrays.dst)), shape=(n, n))
        self.reverse = self.forward.T.tocsr()
        # Edges are stored sorted by (src, dst) (see _fastest_parallel): a sorted key finds an edge.
        keys = arrays.src.astype(np.int64) * n + arrays.dst.astype(np.int64)
        self._order = np.argsort(keys, kind="stable")
        self._keys = keys[self._order]
        self._seconds = seconds
        self._length = arrays.length_m.astype(np.float64)
        self._ref_lat = float(np.mean(arrays.lat)) if n else 0.0
        self._build_turns(allow_u_turns=arrays.meta.get("profile") == "walk")

    def _build_turns(self, allow_u_turns: bool) -> None:
        """The edge-based graph: one vertex per directed edge, one arc per allowed turn.

        ``turn_ptr``/``turn_to`` (CSR by edge): the edges a car may take on leaving each edge's
        end — every out-edge of that node, minus banned turns, minus the U-turn back along
        the same segment unless nothing else leaves the node (a dead end). ``out_ptr``
        (edges are sorted by ``src``) and ``in_ptr``/``in_edges`` list each node's edges.
        ``turns_reverse``: the reversed turn graph weighted with the *leaving* edge's seconds
        (vertex e = "at the start of e, about to drive it"), plus one virtual vertex (index
        ``n_edges``) with :attr:`target_slots` arcs that each query points at the target.
        """
        a = self.arrays
        n, m = self.n_nodes, len(a.src)
        src, dst = a.src.astype(np.int64), a.dst.astype(np.int64)
        if m and np.any(np.diff(src) < 0):
            raise ValueError("graph edges must be sorted by source node")
        self.n_edges = m
        self.edge_src, self.edge_dst = src, dst
        self.out_ptr = np.searchsorted(src, np.arange(n + 1))
        self.in_edges = np.argsort(dst, kind="stable")
        self.in_ptr = np.searchsorted(dst[self.in_edges], np.arange(n + 1))
        count = np.diff(self.out_ptr)[dst]
        turn_from = np.repeat(np.arange(m), count)
        turn_to = ranges(self.out_ptr[dst], count)
        keep = np.ones(len(turn_from), dtype=bool)
        if not allow_u_turns:
            u_turn = dst[turn_to] == src[turn_from]
            others = np.bincount(turn_from[~u_turn], minlength=m)
            keep = ~u_turn | (others[turn_from] == 0)
        if len(a.ban_from):
            e = self.edge_ids(a.ban_from, a.ban_via)
            f = self.edge_ids(a.ban_via, a.ban_to)
            banned = (e[(e >= 0) & (f >= 0)] * m + f[(e >= 0) & (f >= 0)]).astype(np.int64)
            keep &= ~np.isin(turn_from * m + turn_to, banned)
        turn_from, turn_to = turn_from[keep], turn_to[keep]
        self.n_banned_turns = int(len(a.ban_from))
        self.turn_ptr = np.searchsorted(turn_from, np.arange(m + 1))
        self.turn_to = turn_to
        # Reversed: arc f → e (weight: seconds of e) for each turn e → f; CSR rows by f.
        order = np.argsort(turn_to, kind="stable")
        rows, cols = turn_to[order], turn_from[order]
        indeg = np.diff(self.in_ptr)
        self.target_slots = int(max(2, indeg.max() if n else 0))
        k = self.target_slots
        indptr = np.concatenate([np.searchsorted(rows, np.arange(m + 1)), [len(rows) + k]])
        data = np.concatenate([self._seconds[cols], np.ones(k)])
        indices = np.concatenate([cols, np.full(k, m)])
        itype = np.int32 if len(data) < 2**31 - 1 else np.int64
        self.turns_reverse = sparse.csr_matrix((data, indices.astype(itype), indptr.astype(itype)),
                                               shape=(m + 1, m + 1))
        self.edge_seconds = self._seconds
        self.edge_length_m = self._length

    @classmethod
    def load(cls, path: Path, emergency_factor: float = 1.0) -> RoadGraph:
        """Load ``path`` (see :func:`load_arrays`; raises :class:`GraphFileError`).

        The graph is kept while the file is unchanged and shared by every caller with the same
        ``emergency_factor``: its arrays are read-only (``turns_reverse`` belongs to the searches).
        """
        check_emergency_factor(emergency_factor)
        return _ROAD_GRAPHS.get(Path(path), float(emergency_factor))

    def _seal(self) -> RoadGraph:
        """Make the graph's arrays read-only (not ``turns_reverse``: the searches write its target arcs)."""
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.setflags(write=False)
        for matrix in (self.forward, self.reverse):
            for array in (matrix.data, matrix.indices, matrix.indptr):
                array.setflags(write=False)
        return self

    def edge_ids(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Edge ids of the directed edges a[i]→b[i] (vectorised); -1 where there is none."""
        keys = np.asarray(a, dtype=np.int64) * self.n_nodes + np.asarray(b, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self._keys, keys), max(len(self._keys) - 1, 0))
        found = self._keys[pos] == keys if len(self._keys) else np.zeros(len(keys), dtype=bool)
        return np.where(found, self._order[pos], -1)

    def edge(self, a: int, b: int) -> tuple[float, float] | None:
        """``(seconds, metres)`` of the directed edge a→b, or None if there is none."""
        i = int(self.edge_ids(np.array([a]), np.array([b]))[0])
        if i < 0:
            return None
        return float(self._seconds[i]), float(self._length[i])

    def path_length_m(self, nodes: list[int]) -> float:
        """Metres along consecutive nodes (missing edges count 0; a path from Dijkstra has none)."""
        if len(nodes) < 2:
            return 0.0
        ids = self.edge_ids(np.asarray(nodes[:-1]), np.asarray(nodes[1:]))
        return float(self._length[ids[ids >= 0]].sum())

    def xy(self, lat: np.ndarray | float, lon: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
        """A local equirectangular projection in metres (good to <0.1 % over a city)."""
        k = math.pi / 180 * EARTH_RADIUS_M
        return (np.asarray(lon) * k * math.cos(math.radians(self._ref_lat)), np.asarray(lat) * k)


# Built graphs, by file and emergency factor: building the turn graph is ~20 ms for Monaco.
_ROAD_GRAPHS: FileCache[RoadGraph] = FileCache(
    lambda path, emergency_factor: RoadGraph(load_arrays(path), emergency_factor)._seal(), max_files=4)
