"""Address search and reverse lookup on a worker thread, answers posted back as Qt signals.

The offline street index (``app.mapdata``) answers in microseconds to milliseconds for a
demo city, but a city of a million addresses, a cold disk cache or a first query that
builds the k-d trees must never freeze the seat while a call is live. :class:`AddressWorker`
owns one ``QThread``; :meth:`AddressWorker.search`, :meth:`AddressWorker.nearest` and
:meth:`AddressWorker.nearest_address` queue a request and return its id at once; the answer
arrives on the GUI thread through :attr:`AddressWorker.search_done` /
:attr:`AddressWorker.nearest_done` / :attr:`AddressWorker.address_done` with that id.
Only the newest search counts: an older one still queued is dropped before it runs
(typing "albert" asks six times; five answers would be stale).

Create and call on the GUI thread. :meth:`AddressWorker.stop` (also run when the parent
goes) ends and joins the thread.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any, Protocol

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

log = logging.getLogger(__name__)

WARM_UP_AFTER_MS = 3000


class Lookup(Protocol):
    """What the worker calls on its thread (``widgets.location_panel.CityLookup`` is one)."""

    def search(self, text: str, near: tuple[float, float] | None = None) -> list[Any]: ...

    def nearest(self, lat: float, lon: float) -> tuple[str, float] | None: ...

    # Optional: ``warm_up()``, called once on the worker thread when it starts (open files, build trees);
    # ``nearest_address(lat, lon, max_distance_m) -> (address, distance_m) | None`` (a city without
    # house numbers, or a lookup without the method, answers None).


class _Runner(QObject):
    """Lives on the worker thread; its slots run there (queued connections)."""

    searched = Signal(int, list)
    located = Signal(int, float, float, object)
    addressed = Signal(int, float, float, object)

    def __init__(self, lookup: Lookup, latest: dict[str, int]) -> None:
        super().__init__()
        self.lookup = lookup
        self.latest = latest  # request kind -> newest id (written by the GUI thread, read here)

    @Slot(int, str, object)
    def run_search(self, request_id: int, text: str, near: Any) -> None:
        if request_id != self.latest.get("search"):
            return  # a newer search is queued: skip the stale one
        try:
            results = list(self.lookup.search(text, near=near))
        except Exception:  # a broken index must not take the seat down
            log.exception("address search failed for %r", text)
            results = []
        self.searched.emit(request_id, results)

    @Slot()
    def warm_up(self) -> None:
        warm_up = getattr(self.lookup, "warm_up", None)
        if warm_up is None:
            return
        try:
            warm_up()
        except Exception:
            log.exception("address lookup warm-up failed")

    @Slot(int, float, float)
    def run_nearest(self, request_id: int, lat: float, lon: float) -> None:
        try:
            found = self.lookup.nearest(lat, lon)
        except Exception:
            log.exception("reverse lookup failed at %s", (lat, lon))
            found = None
        self.located.emit(request_id, lat, lon, found)

    @Slot(int, float, float, float)
    def run_nearest_address(self, request_id: int, lat: float, lon: float, max_distance_m: float) -> None:
        lookup = getattr(self.lookup, "nearest_address", None)
        try:
            found = lookup(lat, lon, max_distance_m) if lookup is not None else None
        except Exception:
            log.exception("nearest address lookup failed at %s", (lat, lon))
            found = None
        self.addressed.emit(request_id, lat, lon, found)


class AddressWorker(QObject):
    """Runs ``lookup.search`` / ``lookup.nearest`` / ``lookup.nearest_address`` on its own thread.

    Signals (GUI thread):
        search_done(int, list): request id, results (best first).
        nearest_done(int, float, float, object): request id, position, ``(street, distance_m)`` or None.
        address_done(int, float, float, object): request id, position, ``(address, distance_m)`` or None.
    """

    search_done = Signal(int, list)
    nearest_done = Signal(int, float, float, object)
    address_done = Signal(int, float, float, object)
    _search_requested = Signal(int, str, object)
    _nearest_requested = Signal(int, float, float)
    _address_requested = Signal(int, float, float, float)
    _warm_up_requested = Signal()

    def __init__(self, lookup: Lookup, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._ids = itertools.count(1)
        self._latest: dict[str, int] = {}
        self.thread = QThread(self)
        self.thread.setObjectName("address-lookup")
        self._runner = _Runner(lookup, self._latest)
        self._runner.moveToThread(self.thread)
        # Qt deletes an object of a finished thread when the thread ends (no event loop needed).
        self.thread.finished.connect(self._runner.deleteLater)
        self._search_requested.connect(self._runner.run_search)
        self._nearest_requested.connect(self._runner.run_nearest)
        self._runner.searched.connect(self._on_searched)
        self._runner.located.connect(self.nearest_done)
        self._address_requested.connect(self._runner.run_nearest_address)
        self._runner.addressed.connect(self.address_done)
        self._warm_up_requested.connect(self._runner.warm_up)
        self.thread.start()
        # The lookup's own first-use work (opening the city, its k-d trees; scipy's import) happens
        # on this thread a few seconds after the seat starts: after its first paint (it would
        # compete for the GIL), before the dispatcher's first map click is likely to need it.
        self._warm_up_timer = QTimer(self)
        self._warm_up_timer.setSingleShot(True)
        self._warm_up_timer.timeout.connect(self._warm_up_requested)
        self._warm_up_timer.start(WARM_UP_AFTER_MS)
        thread = self.thread  # not ``self``: its wrapper may be half gone when ``destroyed`` fires
        # ``destroyed`` fires before the children go: the thread is joined before it is deleted.
        self.destroyed.connect(lambda *_: (thread.quit(), thread.wait()))

    def search(self, text: str, near: tuple[float, float] | None = None) -> int:
        """Queue a search; returns its id (``search_done`` carries it). Older queued searches are dropped."""
        request_id = next(self._ids)
        self._latest["search"] = request_id
        self._search_requested.emit(request_id, text, near)
        return request_id

    def nearest(self, lat: float, lon: float) -> int:
        """Queue a reverse lookup; returns its id (``nearest_done`` carries it)."""
        request_id = next(self._ids)
        self._nearest_requested.emit(request_id, float(lat), float(lon))
        return request_id

    def nearest_address(self, lat: float, lon: float, max_distance_m: float) -> int:
        """Queue a nearest-address lookup (within ``max_distance_m``); returns its id (``address_done`` carries it)."""
        request_id = next(self._ids)
        self._address_requested.emit(request_id, float(lat), float(lon), float(max_distance_m))
        return request_id

    def latest_search(self) -> int | None:
        return self._latest.get("search")

    def _on_searched(self, request_id: int, results: list) -> None:
        if request_id == self._latest.get("search"):
            self.search_done.emit(request_id, results)

    def stop(self) -> None:
        """End the thread and wait for it (a query under way finishes first)."""
        if self.thread.isRunning():
            self.thread.quit()
            self.thread.wait()
