"""An address index that stays fast for a city of a million addresses, kept as plain arrays.

* Reverse lookup (:meth:`AddressIndex.nearest`): the entries sorted by 50 m grid cell (positions
  projected to metres, equirectangular at the city's mean latitude: under 0.1 % distance error
  across a 50 km city) with each cell's first entry; a query reads the cells around the position.
* Search (:meth:`AddressIndex.search`): every word of every normalised label
  (:func:`app.mapdata.text.normalize`; Chinese words also by each of their suffixes, marked, so
  "山路" finds "中山路") goes into a sorted vocabulary with one postings list per word, stored
  back to back in vocabulary order — the entries of all words starting with a typed prefix are
  then one contiguous slice (two ``searchsorted``). The rarest typed word gives the
  candidates; the other words' entries are looked up for them (in a sorted slice, or a mask
  over the city when they are many); ranked by exact-word matches, then word starts (not inside
  a Chinese word), then shorter labels, then entry order — all in numpy, in proportion to the
  typed words' entries, not to the city.

Built once at map import (about 20 s for a million addresses, ``bench/address_search.py``) and
saved as ``.npy`` files that the seat maps read-only (:meth:`AddressIndex.load`, no build at
start); queries may run on any thread, several at a time.
Qt-free. :func:`generate_city` makes a synthetic city for benchmarks and tests.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from app.geo import EARTH_RADIUS_M, check_position
from app.mapdata.errors import MapDataError
from app.mapdata.text import is_cjk, normalize, query_tokens

if TYPE_CHECKING:
    from app.mapdata.osm import Extract

_MAX_SUFFIX = 8  # Chinese words are indexed by suffixes up to this long (street names are short)
INSIDE = "\x01"  # marks a suffix of a Chinese word in the vocabulary (never in normalised text)
# Reverse lookup grid: 50 m cells hold ~10-50 houses in a dense city; a query reads 3×3 of them.
GRID_CELL_M = 50.0
INDEX_FORMAT = 2  # 2: suffixes of Chinese words marked with INSIDE
_META = "address_index.json"
# The arrays :meth:`AddressIndex.save` writes, one ``<name>.npy`` each (attribute ``_<name>``).
_ARRAYS = ("lat", "lon", "entry_ids", "cell_order", "cell_keys", "cell_start", "words", "postings", "indptr",
           "lengths")


def label_words(label: str) -> list[str]:
    """The words a label is found by: its normalised words, Chinese ones also by their suffixes
    (marked with :data:`INSIDE`, so that a typed word starting a word ranks above one inside it)."""
    words: list[str] = []
    for word in normalize(label).split():
        words.append(word)
        if is_cjk(word):
            words.extend(INSIDE + word[i:i + _MAX_SUFFIX] for i in range(1, len(word)))
    return list(dict.fromkeys(words))


class AddressIndex:
    """Addresses (or any labelled points) for reverse lookup and prefix search.

    Args:
        lat, lon: WGS-84 degrees, one per entry.
        labels: one label per entry (``"中山路12号"``, ``"12 Rue Grimaldi"``; any text whose words the
            entry should be found by).
        entry_ids: what :meth:`search` and :meth:`nearest` return for each entry (default 0..n-1;
            the gazetteer's row ids when built at map import).

    :meth:`save` writes the arrays to a directory; :meth:`load` maps them back read-only
    (``numpy.load(mmap_mode="r")``: nothing is built, pages come from the file as queries touch them).

    Raises:
        ValueError: the arrays differ in length, or a position is not finite.
    """

    def __init__(self, lat: Sequence[float] | np.ndarray, lon: Sequence[float] | np.ndarray,
                 labels: Sequence[str], entry_ids: Sequence[int] | np.ndarray | None = None) -> None:
        self.lat = np.asarray(lat, dtype=np.float64)
        self.lon = np.asarray(lon, dtype=np.float64)
        labels = list(labels)
        self._count = len(labels)
        if not (len(self.lat) == len(self.lon) == len(labels)):
            raise ValueError("lat, lon and labels must have the same length")
        if len(self.lat) and not (np.isfinite(self.lat).all() and np.isfinite(self.lon).all()):
            raise ValueError("every position must be finite")
        self.entry_ids = (np.arange(self._count, dtype=np.int64) if entry_ids is None
                          else np.asarray(entry_ids, dtype=np.int64))
        if len(self.entry_ids) != self._count:
            raise ValueError("entry_ids and labels must have the same length")
        lat0 = float(self.lat.mean()) if len(self.lat) else 0.0
        self.ky = math.radians(1.0) * EARTH_RADIUS_M
        self.kx = self.ky * math.cos(math.radians(lat0))
        self._build_grid()
        self._build_words(labels)

    def __len__(self) -> int:
        return self._count

    # ------------------------------------------------------------ files
    def save(self, directory: Path) -> int:
        """Write the index into ``directory`` (created); returns the bytes written.

        Raises:
            OSError: cannot write.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        for name in _ARRAYS:
            np.save(directory / f"{name}.npy", np.ascontiguousarray(getattr(self, f"_{name}")), allow_pickle=False)
        meta = {"format_version": INDEX_FORMAT, "count": self._count, "kx": self.kx, "ky": self.ky,
                "origin_x": self._origin[0], "origin_y": self._origin[1], "cell_m": GRID_CELL_M,
                "columns": self._columns, "rows": self._rows}
        (directory / _META).write_text(json.dumps(meta) + "\n", encoding="utf-8")
        return sum(p.stat().st_size for p in directory.iterdir() if p.is_file())

    @classmethod
    def load(cls, directory: Path) -> AddressIndex:
        """Map an index written by :meth:`save` (read-only, memory-mapped). Calling thread; milliseconds.

        Raises:
            MapDataError: missing, unreadable, of another format or inconsistent files.
        """
        directory = Path(directory)
        try:
            meta = json.loads((directory / _META).read_text(encoding="utf-8"))
            if meta.get("format_version") != INDEX_FORMAT:
                raise MapDataError(f"{directory}: address index format {meta.get('format_version')!r}, "
                                   f"this program reads {INDEX_FORMAT}")
            self = cls.__new__(cls)
            for name in _ARRAYS:
                setattr(self, f"_{name}", np.load(directory / f"{name}.npy", mmap_mode="r", allow_pickle=False))
            self._count = int(meta["count"])
            self.kx, self.ky = float(meta["kx"]), float(meta["ky"])
            self._origin = (float(meta["origin_x"]), float(meta["origin_y"]))
            self._columns, self._rows = int(meta["columns"]), int(meta["rows"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise MapDataError(f"{directory}: unreadable address index ({exc})") from exc
        if meta.get("cell_m") != GRID_CELL_M or not (
                len(self._lat) == len(self._lon) == len(self._entry_ids) == len(self._lengths) == self._count
                and len(self._indptr) == len(self._words) + 1 and len(self._cell_start) == len(self._cell_keys) + 1):
            raise MapDataError(f"{directory}: inconsistent address index; import the city again")
        return self

    @property
    def lat(self) -> np.ndarray:
        return self._lat

    @lat.setter
    def lat(self, value: np.ndarray) -> None:
        self._lat = value

    @property
    def lon(self) -> np.ndarray:
        return self._lon

    @lon.setter
    def lon(self, value: np.ndarray) -> None:
        self._lon = value

    @property
    def entry_ids(self) -> np.ndarray:
        return self._entry_ids

    @entry_ids.setter
    def entry_ids(self, value: np.ndarray) -> None:
        self._entry_ids = value

    # ------------------------------------------------------------ reverse lookup
    def _build_grid(self) -> None:
        """Entries sorted by square cell of :data:`GRID_CELL_M` (row-major cell number), and each
        non-empty cell's first entry: a spatial index that is plain arrays, so it maps from a file."""
        x, y = self._lon * self.kx, self._lat * self.ky
        self._origin = (float(x.min()), float(y.min())) if len(x) else (0.0, 0.0)
        cx = ((x - self._origin[0]) // GRID_CELL_M).astype(np.int64)
        cy = ((y - self._origin[1]) // GRID_CELL_M).astype(np.int64)
        self._columns = int(cx.max()) + 1 if len(cx) else 1
        self._rows = int(cy.max()) + 1 if len(cy) else 1
        key = cy * self._columns + cx
        self._cell_order = np.argsort(key, kind="stable").astype(np.int32)
        self._cell_keys, first = np.unique(key[self._cell_order], return_index=True)
        self._cell_start = np.append(first, len(key)).astype(np.int64)

    def _within_cells(self, qx: float, qy: float, reach: int) -> np.ndarray:
        """Entries in the cells up to ``reach`` cells around the query's cell (clipped to the grid)."""
        col = int((qx - self._origin[0]) // GRID_CELL_M)
        row = int((qy - self._origin[1]) // GRID_CELL_M)
        c0, c1 = max(0, col - reach), min(self._columns - 1, col + reach)
        r0, r1 = max(0, row - reach), min(self._rows - 1, row + reach)
        if c0 > c1 or r0 > r1:
            return np.zeros(0, dtype=np.int64)
        # Each grid row of the block is one run of consecutive cell numbers: two searchsorted per row.
        rows = np.arange(r0, r1 + 1, dtype=np.int64) * self._columns
        lo = np.searchsorted(self._cell_keys, rows + c0, "left")
        hi = np.searchsorted(self._cell_keys, rows + c1, "right")
        starts, ends = self._cell_start[lo], self._cell_start[hi]
        lengths = ends - starts
        if not lengths.sum():
            return np.zeros(0, dtype=np.int64)
        flat = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths) + np.repeat(starts, lengths)
        return np.asarray(self._cell_order[flat], dtype=np.int64)

    def nearest(self, lat: float, lon: float, max_distance_m: float = math.inf) -> tuple[int, float] | None:
        """``(entry id, distance_m)`` of the nearest entry within ``max_distance_m``, or None.

        Looks in the cells around the position, widening the square until it holds a candidate
        nearer than the square's inner radius: a few hundred entries for a dense city. Any thread.

        Raises:
            ValueError: the position is invalid (NaN, infinite, out of range).
        """
        lat, lon = check_position(lat, lon)
        if not self._count:
            return None
        qx, qy = lon * self.kx, lat * self.ky
        # Beyond this reach the block covers the whole grid.
        whole = max(self._columns, self._rows) + int(abs(qx - self._origin[0]) // GRID_CELL_M) + int(
            abs(qy - self._origin[1]) // GRID_CELL_M) + 1
        reach = 1
        while True:
            found = self._within_cells(qx, qy, reach)
            if len(found):
                d = np.hypot(self._lon[found] * self.kx - qx, self._lat[found] * self.ky - qy)
                best = int(np.argmin(d))
                distance = float(d[best])
                # Every entry within reach * cell of the position is in the block.
                if distance <= reach * GRID_CELL_M or reach >= whole:
                    if distance > max_distance_m:
                        return None
                    return int(self._entry_ids[found[best]]), distance
                reach = max(reach * 2, int(math.ceil(distance / GRID_CELL_M)))
            else:
                if reach * GRID_CELL_M > max_distance_m or reach >= whole:
                    return None
                reach *= 2

    def _build_words(self, labels: list[str]) -> None:
        vocab: dict[str, int] = {}
        word_ids: list[int] = []
        entry_ids: list[int] = []
        lengths = np.zeros(len(labels), dtype=np.int32)
        for entry, label in enumerate(labels):
            lengths[entry] = len(label)
            for word in label_words(label):
                word_ids.append(vocab.setdefault(word, len(vocab)))
                entry_ids.append(entry)
        words = np.array(list(vocab), dtype=str) if vocab else np.zeros(0, dtype="<U1")
        order = np.argsort(words, kind="stable")  # vocabulary id -> rank in sorted order
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        postings_word = rank[np.asarray(word_ids, dtype=np.int64)] if word_ids else np.zeros(0, dtype=np.int64)
        by_word = np.argsort(postings_word, kind="stable")
        self._words = words[order]
        self._postings = np.asarray(entry_ids, dtype=np.int32)[by_word]
        counts = np.bincount(postings_word, minlength=len(words))
        self._indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self._lengths = lengths

    # ------------------------------------------------------------ search
    def _prefix_ranks(self, prefix: str) -> tuple[int, int]:
        """The vocabulary ranks ``[lo, hi)`` of the words starting with ``prefix``."""
        lo = int(np.searchsorted(self._words, prefix, "left"))
        hi = int(np.searchsorted(self._words, prefix + "\U0010ffff", "left"))
        return lo, hi

    def search(self, text: str, limit: int | None = 10, near: tuple[float, float] | None = None) -> list[int]:
        """Entries whose label has, for every word typed, a word starting with it; best first.

        Ranking: more typed words matching a whole word, then more typed words starting a word (not
        inside a Chinese word), then shorter labels (``near`` a ``(lat, lon)``: nearer entries),
        then entry order. Raises ValueError for an invalid ``near``.
        ``limit=None`` returns every match. Blank text gives no result.

        Cost: the typed word with the fewest entries gives the candidates (two ``searchsorted``
        and a slice); the other words' entries are looked up for them, so a query costs in
        proportion to the typed words' entries ("1 r" in a million: ~5 ms), not to the city.
        """
        tokens = query_tokens(text)
        if not tokens or not self._count or (limit is not None and limit <= 0):
            return []
        # Per typed word: the vocabulary ranks of the words it starts, and of the Chinese word
        # suffixes it starts (a typed word inside a word).
        starts = [self._prefix_ranks(t) for t in tokens]
        inside = [self._prefix_ranks(INSIDE + t) for t in tokens]
        sizes = [int(self._indptr[a[1]] - self._indptr[a[0]] + self._indptr[b[1]] - self._indptr[b[0]])
                 for a, b in zip(starts, inside, strict=True)]
        rarest = int(np.argmin(sizes))
        candidates = self._entries_of(starts[rarest], inside[rarest])
        if len(candidates) == 0:
            return []
        for i, (start, within) in enumerate(zip(starts, inside, strict=True)):
            if i != rarest:
                candidates = candidates[self._member(candidates, start, within)]
        if len(candidates) == 0:
            return []
        # Ranking, as app.mapdata.search scores: typed words that are whole words, then typed words
        # that start a word (not inside one), then shorter labels — or, near a position, nearer
        # entries (10 m steps) — then entry order; packed into one int64 for argpartition.
        n = min(len(tokens), 10) + 1
        exact = np.zeros(len(candidates), dtype=np.int64)
        starting = np.zeros(len(candidates), dtype=np.int64)
        for token, (lo, hi) in zip(tokens, starts, strict=True):
            rank = int(np.searchsorted(self._words, token, "left"))
            if rank < len(self._words) and self._words[rank] == token:
                exact += self._member(candidates, (rank, rank + 1))
            starting += self._member(candidates, (lo, hi))
        group = (n - np.minimum(exact, n - 1)) * n + (n - np.minimum(starting, n - 1))  # < 128
        if near is None:
            second = self._lengths[candidates].astype(np.int64)
        else:
            lat, lon = check_position(*near)
            metres = np.hypot(self._lon[candidates] * self.kx - lon * self.kx,
                              self._lat[candidates] * self.ky - lat * self.ky)
            second = (metres // 10.0).astype(np.int64)
        key = (group << 56) + (np.minimum(second, 0xFFFF) << 40) + candidates
        hits = candidates
        if limit is not None and len(hits) > limit:
            top = np.argpartition(key, limit - 1)[:limit]
            hits, key = hits[top], key[top]
        return [int(h) for h in self._entry_ids[hits[np.argsort(key, kind="stable")]]]

    def _entries_of(self, *ranges: tuple[int, int]) -> np.ndarray:
        """The entries (sorted, distinct) having a word of any of the vocabulary rank ranges."""
        slices = [np.asarray(self._postings[self._indptr[lo]:self._indptr[hi]]) for lo, hi in ranges if hi > lo]
        if not slices:
            return np.zeros(0, dtype=np.int64)
        if len(slices) == 1 and ranges[0][1] - ranges[0][0] <= 1:
            return slices[0].astype(np.int64)  # one word's postings are already sorted and distinct
        found = np.concatenate(slices)
        if len(found) > self._count // 32:
            # A short prefix ("人民", "1") can reach a tenth of the city: a mask over every entry
            # is then cheaper than sorting or hashing the candidates (measured: 1 ms vs 25 ms).
            mask = np.zeros(self._count, dtype=bool)
            mask[found] = True
            return np.flatnonzero(mask)
        return np.unique(found).astype(np.int64)

    def _member(self, candidates: np.ndarray, *ranges: tuple[int, int]) -> np.ndarray:
        """For each candidate, whether it has a word of any of the vocabulary rank ranges ``[lo, hi)``."""
        slices = [self._postings[self._indptr[lo]:self._indptr[hi]] for lo, hi in ranges if hi > lo]
        slices = [entries for entries in slices if len(entries)]
        if not slices or not len(candidates):
            return np.zeros(len(candidates), dtype=bool)
        if len(slices) == 1 and ranges[0][1] - ranges[0][0] == 1:  # one word: one sorted slice
            entries = slices[0]
            at = np.minimum(np.searchsorted(entries, candidates), len(entries) - 1)
            return np.asarray(entries[at] == candidates)
        if sum(len(entries) for entries in slices) + len(candidates) > self._count // 64:
            # Many entries ("r" starts "rue": a fifth of a city): a mask over every entry, a few ms
            # for a million, where gathering the candidates' own words took ~40 ms.
            mask = np.zeros(self._count, dtype=bool)
            for entries in slices:
                mask[entries] = True
            return mask[candidates]
        return np.isin(candidates, np.concatenate(slices))


# ---------------------------------------------------------------- synthetic city
_ZH_WORDS = ("中山", "解放", "人民", "建设", "和平", "胜利", "新华", "长江", "黄河", "友谊", "光明", "幸福", "东风",
             "红旗", "青年", "文化", "民主", "团结", "朝阳", "向阳", "滨江", "南岸", "北城", "西湖", "金沙", "龙泉",
             "凤凰", "花园", "学府", "科技", "工业", "商业", "体育", "公园", "沙坪", "江北", "渝中", "九龙", "大渡",
             "石桥")
_ZH_KINDS = ("路", "街", "大道", "巷", "东路", "西路", "南路", "北路")
_LATIN_WORDS = ("Albert", "Grimaldi", "Princesse", "Charlotte", "Pasteur", "Victor", "Hugo", "Jean", "Jaures",
                "Gambetta", "Liberte", "Republique", "Moulins", "Fontaine", "Cathedrale", "Marche", "Port",
                "Jardins", "Lilas", "Roses", "Oliviers", "Pins", "Mimosas", "Source", "Riviera")
_LATIN_KINDS = ("Rue", "Avenue", "Boulevard", "Chemin", "Place", "Impasse", "Quai", "Allee")


@dataclass(frozen=True)
class SyntheticCity:
    """Addresses (``lat``, ``lon``, ``labels``, ``housenumbers``, ``street_of``: the street of each) and
    the streets they stand on (``street_names``; ``street_ends``: one row ``lat1, lon1, lat2, lon2``
    per street, the straight road's centre line from before the first house to after the last)."""

    lat: np.ndarray
    lon: np.ndarray
    labels: list[str]
    housenumbers: list[str]
    street_of: np.ndarray
    street_names: list[str]
    street_ends: np.ndarray

    def extract(self) -> Extract:
        """The city as an :class:`~app.mapdata.osm.Extract` (one residential way per street, one address
        node per house) for :func:`app.mapdata.importer.import_extract`: the import a real city takes."""
        from app.mapdata.osm import Extract, Place, RoadWay

        extract = Extract(Path("generated-city"))
        for s, name in enumerate(self.street_names):
            lat1, lon1, lat2, lon2 = (float(v) for v in self.street_ends[s])
            extract.roads.append(RoadWay(s + 1, "residential", {"name": name}, {"highway": "residential", "name": name},
                                         [2 * s + 1, 2 * s + 2], [(lat1, lon1), (lat2, lon2)]))
        streets = self.street_of.tolist()
        for i, (lat, lon) in enumerate(zip(self.lat.tolist(), self.lon.tolist(), strict=True)):
            extract.places.append(Place("address", f"n{i + 1}", {}, "", self.housenumbers[i],
                                        self.street_names[streets[i]], lat, lon))
        return extract


def generate_city(count: int, seed: int = 0, centre: tuple[float, float] = (29.56, 106.55),
                  size_km: float = 40.0) -> SyntheticCity:
    """``count`` addresses on ~``count/100`` streets in a ``size_km`` square around ``centre``.

    Four in five streets have Chinese names ("人民建设路", numbers as "12号"), the others
    French-style ones ("12 Rue Victor Jaures"). Streets are straight runs of numbered houses
    ~10–20 m apart, at random positions and bearings. Deterministic for a given ``seed``.
    """
    rng = np.random.default_rng(seed)
    streets = max(1, count // 100)
    per_street = np.full(streets, count // streets)
    per_street[: count - int(per_street.sum())] += 1
    ky = math.radians(1.0) * EARTH_RADIUS_M
    kx = ky * math.cos(math.radians(centre[0]))
    half = size_km * 500.0
    start_x = rng.uniform(-half, half, streets)
    start_y = rng.uniform(-half, half, streets)
    bearing = rng.uniform(0, 2 * math.pi, streets)
    spacing = rng.uniform(10.0, 20.0, streets)
    street_of = np.repeat(np.arange(streets), per_street)
    number = np.concatenate([np.arange(1, n + 1) for n in per_street])
    along = number * spacing[street_of]
    side = np.where(number % 2 == 0, 8.0, -8.0)  # even numbers across the road
    x = start_x[street_of] + along * np.cos(bearing[street_of]) - side * np.sin(bearing[street_of])
    y = start_y[street_of] + along * np.sin(bearing[street_of]) + side * np.cos(bearing[street_of])
    names: list[tuple[str, bool]] = []
    for s in range(streets):
        if s % 5:
            a, b = _ZH_WORDS[s % len(_ZH_WORDS)], _ZH_WORDS[(s // len(_ZH_WORDS)) % len(_ZH_WORDS)]
            names.append((f"{a}{b}{_ZH_KINDS[(s // 1600) % len(_ZH_KINDS)]}", True))
        else:
            a = _LATIN_WORDS[(s // 5) % len(_LATIN_WORDS)]
            b = _LATIN_WORDS[(s // 125) % len(_LATIN_WORDS)]
            names.append((f"{_LATIN_KINDS[(s // 3125) % len(_LATIN_KINDS)]} {a} {b}", False))
    labels = [f"{names[s][0]}{n}号" if names[s][1] else f"{n} {names[s][0]}"
              for s, n in zip(street_of.tolist(), number.tolist(), strict=True)]
    # The road's centre line: from number 0 to one past the last house, between the two sides.
    run = (per_street + 1) * spacing
    ends = np.column_stack([centre[0] + start_y / ky, centre[1] + start_x / kx,
                            centre[0] + (start_y + run * np.sin(bearing)) / ky,
                            centre[1] + (start_x + run * np.cos(bearing)) / kx])
    return SyntheticCity(centre[0] + y / ky, centre[1] + x / kx, labels, [str(n) for n in number.tolist()],
                         street_of, [name for name, _ in names], ends)
