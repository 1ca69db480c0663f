"""Offline address search and reverse lookup over a city's :class:`~app.mapdata.index.Gazetteer`.

* :func:`search` — typed text → ranked streets, addresses, points of interest and
  places. Tolerant of partial words ("alb"), case and accents ("eze" finds "Èze"),
  abbreviations ("blvd", "av"), word order, missing small words, and Chinese input
  (matched against ``name``/``name:zh`` by substring; Traditional and Simplified fold
  together; a Chinese word that matches nothing whole is retried by its two-character
  pieces; a few Chinese/English/French facility words like 医院 or "hospital" find
  POIs by category — :data:`CATEGORY_WORDS`).
* :func:`nearest_street` / :func:`snap_to_street` — a position → the nearest named
  road, measured to the road's segments (the point projected onto each segment,
  not just its nodes).

* :func:`nearest_address` — a position → the nearest house ("中山路12号").

With the city's :class:`~app.mapdata.address_index.AddressIndex` (written at import, ``addresses/``)
addresses are found by the index and everything else by SQLite (entries before
``Gazetteer.first_address_id``): a search then costs what its words match, not a scan of the
city's million addresses (``bench/address_search.py``).

All are pure functions of the gazetteer (no state of their own), safe on any thread
(the gazetteer serialises SQLite access). They raise ``ValueError`` for an invalid
position (:func:`app.geo.check_position`) and nothing for odd text (no result).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from app.geo import EARTH_RADIUS_M, check_position, distance_m
from app.mapdata.address_index import AddressIndex
from app.mapdata.index import CLASS_PENALTY_M, Gazetteer
from app.mapdata.text import cjk_bigrams, is_cjk, normalize, query_tokens

MAX_CANDIDATES = 400
# Addresses the address index hands over for scoring, its best first: scoring is Python (~30 µs a
# row, and fetching the rows), so 400 rows cost ~15 ms; the index ranks by the same criteria as the
# score (whole words, word starts, then short names or, near the caller, distance), so the best ten
# are among its first 100.
ADDRESS_CANDIDATES = 100


class PlaceKind(enum.StrEnum):
    STREET = "street"
    ADDRESS = "address"
    POI = "poi"
    PLACE = "place"


# Facility words → OSM categories, so "医院" or "hopital" finds hospitals whatever
# language their names are in. Keys are normalised (lower case, no accents).
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "医院": ("amenity=hospital", "healthcare=hospital", "building=hospital"),
    "hospital": ("amenity=hospital", "healthcare=hospital", "building=hospital"),
    "hopital": ("amenity=hospital", "healthcare=hospital", "building=hospital"),
    "诊所": ("amenity=clinic", "amenity=doctors", "healthcare=clinic", "healthcare=doctor"),
    "clinic": ("amenity=clinic", "amenity=doctors", "healthcare=clinic", "healthcare=doctor"),
    "药店": ("amenity=pharmacy", "healthcare=pharmacy"),
    "药房": ("amenity=pharmacy", "healthcare=pharmacy"),
    "pharmacy": ("amenity=pharmacy", "healthcare=pharmacy"),
    "pharmacie": ("amenity=pharmacy", "healthcare=pharmacy"),
    "警察": ("amenity=police",),
    "派出所": ("amenity=police",),
    "police": ("amenity=police",),
    "消防": ("amenity=fire_station",),
    "学校": ("amenity=school", "building=school"),
    "school": ("amenity=school", "building=school"),
    "ecole": ("amenity=school", "building=school"),
    "火车站": ("railway=station", "building=train_station"),
    "车站": ("railway=station", "railway=halt", "public_transport=station"),
    "gare": ("railway=station", "railway=halt"),
    "station": ("railway=station", "railway=halt", "public_transport=station"),
    "公交站": ("highway=bus_stop",),
    "酒店": ("tourism=hotel",),
    "宾馆": ("tourism=hotel",),
    "hotel": ("tourism=hotel",),
    "银行": ("amenity=bank",),
    "停车场": ("amenity=parking",),
    "直升机场": ("aeroway=helipad", "aeroway=heliport"),
    "heliport": ("aeroway=helipad", "aeroway=heliport"),
    "教堂": ("amenity=place_of_worship", "building=church"),
    "体育场": ("leisure=stadium", "building=stadium"),
    "stade": ("leisure=stadium", "building=stadium"),
}
_KIND_WEIGHT = {PlaceKind.STREET: 1.0, PlaceKind.PLACE: 0.97, PlaceKind.POI: 0.93, PlaceKind.ADDRESS: 0.9}


@dataclass(frozen=True)
class SearchResult:
    """One hit. ``name`` is data (an OSM name), not UI text; the widget formats the rest."""

    id: int
    kind: PlaceKind
    name: str
    name_zh: str | None
    name_en: str | None
    category: str  # "amenity=hospital"; "" for streets and addresses
    housenumber: str
    street: str
    lat: float
    lon: float
    score: float  # 0..1, higher is better
    distance_m: float | None  # from ``near`` when given


class NearestStreet(NamedTuple):
    """``name, distance_m = nearest_street(...)`` — e.g. ``("Boulevard Albert 1er", 30.2)``."""

    name: str
    distance_m: float


class NearestAddress(NamedTuple):
    """The nearest address to a position: ``("中山路12号", 6.2, 1234, lat, lon)``."""

    name: str
    distance_m: float
    id: int
    lat: float
    lon: float


@dataclass(frozen=True)
class StreetSnap:
    """The nearest named road to a position, and the point on it closest to the position."""

    street_id: int
    name: str
    name_zh: str | None
    name_en: str | None
    road_class: str
    distance_m: float
    lat: float
    lon: float


def _token_condition(token: str, column: str) -> tuple[str, list[str]]:
    clause = f"{column} LIKE ?"
    params = [f"%{token}%"]
    categories = CATEGORY_WORDS.get(token)
    if categories:
        clause = f"({clause} OR category IN ({','.join('?' * len(categories))}))"
        params.extend(categories)
    return clause, params


_COLUMNS = "e.id, e.kind, e.name, e.name_zh, e.name_en, e.category, e.housenumber, e.street, e.lat, e.lon, e.search_text"


def _candidates(index: Gazetteer, tokens: list[str], mode: str, below: int | None = None) -> list[tuple]:
    """Rows whose search text holds every (``mode="AND"``) or any (``"OR"``) token; only ids under
    ``below`` when given (the entries before the addresses)."""
    # The trigram FTS5 table answers LIKE '%abc%' from its index for words of 3+ characters.
    # Shorter words go to the plain column (a scan, fine at city size): SQLite 3.40.1's
    # trigram LIKE returns no rows for 2-character patterns and crashed the interpreter
    # (SIGSEGV, measured here) on a 2-character pattern ANDed with a 3-character one.
    use_fts = index.fts and any(len(t) >= 3 for t in tokens)
    source = "entries e JOIN entry_fts f ON f.rowid = e.id" if use_fts else "entries e"
    clauses: list[str] = []
    params: list[object] = []
    for token in tokens:
        column = "f.search_text" if use_fts and len(token) >= 3 else "e.search_text"
        clause, p = _token_condition(token, column)
        clauses.append(clause)
        params.extend(p)
    where = f" {mode} ".join(clauses)
    if below is not None:
        # On the FTS table's rowid when it drives the query: FTS5 then stops reading a common
        # trigram's postings ("rue": a fifth of a million-address city) at the first address.
        where = f"({where}) AND {'f.rowid' if use_fts else 'e.id'} < ?"
        params.append(int(below))
    sql = f"SELECT {_COLUMNS} FROM {source} WHERE {where} LIMIT {MAX_CANDIDATES}"
    return index.query(sql, tuple(params))


def _address_candidates(index: Gazetteer, addresses: AddressIndex, tokens: list[str], mode: str,
                        near: tuple[float, float] | None) -> list[tuple]:
    """Address rows from the address index: every token starting a word of the address (a Chinese
    token anywhere in a word), or, ``mode="OR"``, any token; at most :data:`ADDRESS_CANDIDATES`."""
    if mode == "AND":
        ids = addresses.search(" ".join(tokens), limit=ADDRESS_CANDIDATES, near=near)
    else:
        each = max(1, ADDRESS_CANDIDATES // len(tokens))
        ids = list(dict.fromkeys(i for t in tokens for i in addresses.search(t, limit=each, near=near)))
    if not ids:
        return []
    return index.query(f"SELECT {_COLUMNS} FROM entries e WHERE e.id IN ({','.join('?' * len(ids))})", tuple(ids))


def _rows(index: Gazetteer, addresses: AddressIndex | None, tokens: list[str], mode: str,
          near: tuple[float, float] | None) -> list[tuple]:
    if addresses is None or index.first_address_id is None:
        return _candidates(index, tokens, mode)
    return _candidates(index, tokens, mode, below=index.first_address_id) + _address_candidates(
        index, addresses, tokens, mode, near)


def _text_score(tokens: list[str], query: str, row: tuple) -> float:
    text = row[10]
    category = row[5]
    variants = text.split(" | ")
    best = 0.0
    for variant in variants:
        words = variant.split()
        matched = 0.0
        for token in tokens:
            if token in words:
                matched += 1.0
            elif any(w.startswith(token) for w in words):
                matched += 0.85
            elif token in variant:
                matched += 0.6 if is_cjk(token) or len(token) > 3 else 0.4
            elif category and category in CATEGORY_WORDS.get(token, ()):
                matched += 0.8
            elif is_cjk(token):
                pieces = cjk_bigrams(token)
                matched += 0.5 * sum(p in variant for p in pieces) / len(pieces)
        score = matched / len(tokens)
        if variant == query:
            score += 0.3
        elif variant.startswith(query):
            score += 0.15
        # Prefer names the query covers well ("albert" → "Boulevard Albert 1er" over a long name).
        score += 0.1 * min(1.0, len(query) / max(1, len(variant)))
        best = max(best, score)
    return best


def search(index: Gazetteer, text: str, near: tuple[float, float] | None = None,
           limit: int = 10, addresses: AddressIndex | None = None) -> list[SearchResult]:
    """Search the city's streets, addresses, POIs and places for ``text``.

    Args:
        index: the city's gazetteer (``MapData.gazetteer``).
        text: what the dispatcher typed, any script; blank text gives no results.
        near: ``(lat, lon)`` to prefer results near (e.g. the caller's position).
        limit: at most this many results, best first.
        addresses: the city's address index (``MapData.addresses``): addresses are then found by
            word prefix (Chinese: by any part of a word) in time that grows with what the words
            match, not with the city, the rest by SQLite; None asks SQLite for everything (substring match, a scan of the
            candidates that does grow with the city).

    Returns:
        Results sorted by ``score`` (0..1), best first.

    Raises:
        ValueError: ``near`` is not a valid position.
    """
    if near is not None:
        near = check_position(*near)
    tokens = query_tokens(text)
    if not tokens or limit <= 0:
        return []
    query = " ".join(tokens)
    rows = _rows(index, addresses, tokens, "AND", near)
    penalty = 1.0
    if not rows:
        # Relax: any word, Chinese words also by their two-character pieces.
        pieces = list(dict.fromkeys(p for t in tokens for p in (cjk_bigrams(t) if is_cjk(t) else [t])))
        rows = _rows(index, addresses, pieces, "OR", near)
        penalty = 0.8
    results = []
    for row in rows:
        kind = PlaceKind(row[1])
        score = _text_score(tokens, query, row) * penalty * _KIND_WEIGHT[kind]
        if penalty == 1.0 and kind is PlaceKind.ADDRESS and row[6] and normalize(row[6]) in tokens:
            score += 0.15  # the house number typed is this address's
        distance = None
        if near is not None:
            distance = distance_m(near[0], near[1], row[8], row[9])
            score *= 0.75 + 0.25 * math.exp(-distance / 3000.0)
        results.append(SearchResult(row[0], kind, row[2], row[3], row[4], row[5], row[6], row[7],
                                    row[8], row[9], round(min(1.0, score / 1.3), 4), distance))
    if len(tokens) > 1 and penalty < 1.0:
        results = [r for r in results if r.score >= 0.2]
    results.sort(key=lambda r: (-r.score, r.distance_m if r.distance_m is not None else 0.0, r.name))
    return results[:limit]


def snap_to_street(index: Gazetteer, lat: float, lon: float, max_distance_m: float = 1000.0) -> StreetSnap | None:
    """The nearest named road to ``(lat, lon)`` within ``max_distance_m``, or None.

    The distance is to the closest point of any segment of the road (the point is
    projected onto the segment), in a local metric projection. Service roads get a
    :data:`~app.mapdata.index.CLASS_PENALTY_M` handicap when choosing, not in the distance.

    Raises:
        ValueError: the position is invalid (NaN, infinite, out of range).
    """
    lat, lon = check_position(lat, lon)
    coords = index.segment_coords
    if len(coords) == 0:
        return None
    kx = math.radians(1.0) * EARTH_RADIUS_M * math.cos(math.radians(lat))
    ky = math.radians(1.0) * EARTH_RADIUS_M
    # Two k-d tree lookups instead of measuring every segment of the city: the segments of the
    # nearest piece midpoints give an upper bound d0 on the best distance; every segment that
    # can beat it (d0 plus the largest class handicap) is then within that radius.
    guess = index.segments_nearest(lat, lon)
    if len(guess) == 0:
        return None
    d0 = float(_segment_distances(coords[guess], lat, lon, kx, ky)[0].min())
    radius = min(max_distance_m, d0 + max(CLASS_PENALTY_M.values(), default=0.0))
    near = index.segments_near(lat, lon, radius)
    if len(near) == 0:
        return None
    d, cx, cy = _segment_distances(coords[near], lat, lon, kx, ky)
    # A named service road (a car park exit) only wins when clearly nearer than a street.
    best = int(np.argmin(d + index.segment_penalty_m[near]))
    if d[best] > max_distance_m:
        return None
    street_id = int(index.segment_street[near[best]])
    name, name_zh, name_en, cls = index.street_names(street_id)
    return StreetSnap(street_id, name, name_zh, name_en, cls or "", float(d[best]),
                      lat + float(cy[best]) / ky, lon + float(cx[best]) / kx)


def _segment_distances(seg: np.ndarray, lat: float, lon: float, kx: float,
                       ky: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distance (m) from the position to each segment (rows lat1, lon1, lat2, lon2), and the closest
    points as metre offsets east/north of the position (projected onto each segment)."""
    ax, ay = (seg[:, 1] - lon) * kx, (seg[:, 0] - lat) * ky
    bx, by = (seg[:, 3] - lon) * kx, (seg[:, 2] - lat) * ky
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(length2 > 0, -(ax * dx + ay * dy) / length2, 0.0)
    t = np.clip(t, 0.0, 1.0)
    cx, cy = ax + t * dx, ay + t * dy
    return np.hypot(cx, cy), cx, cy


def nearest_street(index: Gazetteer, lat: float, lon: float, max_distance_m: float = 1000.0,
                   lang: str | None = None) -> NearestStreet | None:
    """Name the nearest street: ``("Boulevard Albert 1er", 30.2)``, or None if none is that close.

    Args:
        lang: ``"zh"`` or ``"en"`` to prefer ``name:zh``/``name:en`` when the road has one.

    Raises:
        ValueError: the position is invalid.
    """
    snap = snap_to_street(index, lat, lon, max_distance_m)
    if snap is None:
        return None
    name = {"zh": snap.name_zh, "en": snap.name_en}.get(lang or "") or snap.name
    return NearestStreet(name, snap.distance_m)


def nearest_address(index: Gazetteer, lat: float, lon: float, max_distance_m: float = 100.0,
                    addresses: AddressIndex | None = None) -> NearestAddress | None:
    """The nearest address (house number and street) within ``max_distance_m``, or None.

    With the city's address index a grid lookup (microseconds, whatever the city's size); without
    one, the addresses of SQLite inside the square around the position are measured (a scan: fine
    for the few thousand addresses of a city imported before the index existed).

    Raises:
        ValueError: the position is invalid.
    """
    lat, lon = check_position(lat, lon)
    if addresses is not None:
        found = addresses.nearest(lat, lon, max_distance_m)
        if found is None:
            return None
        rows = index.query("SELECT name, lat, lon FROM entries WHERE id=?", (found[0],))
        if not rows:
            return None
        return NearestAddress(rows[0][0], found[1], found[0], rows[0][1], rows[0][2])
    dlat = math.degrees(max_distance_m / EARTH_RADIUS_M)
    dlon = dlat / max(1e-6, math.cos(math.radians(lat)))
    rows = index.query("SELECT id, name, lat, lon FROM entries WHERE kind='address' AND lat BETWEEN ? AND ? "
                       "AND lon BETWEEN ? AND ?", (lat - dlat, lat + dlat, lon - dlon, lon + dlon))
    best = min(((distance_m(lat, lon, r[2], r[3]), r) for r in rows), default=None, key=lambda x: (x[0], x[1][0]))
    if best is None or best[0] > max_distance_m:
        return None
    d, (entry_id, name, alat, alon) = best
    return NearestAddress(name, d, entry_id, alat, alon)
