"""Where the caller is: the location box of the call panel and of the incident form.

* :class:`CallLocationView` (call panel): the best candidate of the current call
  (source, accuracy "±35 m" or "accuracy unknown", age), a warning when sources
  disagree ("GPS and Cell are 1.2 km apart"), and every candidate below it.
  A landline's registered address has no position: it is shown as text only.
* :class:`IncidentLocationBox` (incident form): the incident's position, who set
  it, from which source and when; below it the nearest house address when the position is a
  caller's fix precise enough to tell houses apart ("near 12 Chemin de la Turbie (±15 m)",
  marked approximate with the fix's accuracy, see :func:`address_reach_m`), else the nearest
  street ("Boulevard Albert 1er, 30 m");
  "Confirm caller location" (Ctrl+Shift+L) sends the best candidate as
  ``incident.locate``; an address search field (Ctrl+Shift+F) with a popup of
  results from the offline street index — Enter picks one. Map clicks and drags
  arrive through :meth:`IncidentLocationBox.locate_at`.

The offline street index is reached through :class:`AddressLookup`
(:class:`CityLookup` wraps ``app.mapdata``); without an imported city
the search field says so and stays disabled — never a crash.

GUI thread only. Rendering reads the store; changes go through named commands.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, Protocol

from PySide6.QtCore import QCoreApplication, QEvent, QStringListModel, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCompleter,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.location import (
    accuracy_m,
    age_s,
    best_candidate,
    disagreements,
    is_stale,
    position,
    rank_candidates,
)
from app.seat.store import SeatStore
from widgets.address_worker import AddressWorker
from widgets.clock import SeatClock
from widgets.command_runner import CommandRunner
from widgets.keys import set_style_property, shortcut_hint
from widgets.labels import (
    accuracy_text,
    format_distance,
    format_elapsed,
    locate_source_text,
    location_source_text,
)

log = logging.getLogger(__name__)

# A house number is shown for a caller's fix only when the fix can tell houses apart. Street
# frontages are ~10-20 m a house: at ±50 m the circle already spans 5-10 houses on each side of a
# street (and the houses across it), so beyond that a house number is more likely wrong than right,
# and a crew sent to a wrong number loses minutes searching, while the street is right and tells
# them to look. Handset GPS outdoors is typically ±5-15 m and Wi-Fi ±20-50 m (house number shown);
# cell fixes are ±100 m to several km (street only).
PRECISE_FIX_ACCURACY_M = 50.0
# ...and only when that house lies within twice the fix's accuracy: a fix with no numbered house
# around it (a park, a road, a building without an address) must not borrow the number of one
# farther than the fix's own error explains. Never less than ADDRESS_POINT_SLACK_M: an address
# point sits at a building's entrance or centroid, 10-20 m from where a handset inside reports.
ADDRESS_REACH_FACTOR = 2.0
ADDRESS_POINT_SLACK_M = 20.0
# The farthest an address can be and still be shown (the largest reach): what the lookup is asked for.
MAX_ADDRESS_REACH_M = max(ADDRESS_REACH_FACTOR * PRECISE_FIX_ACCURACY_M, ADDRESS_POINT_SLACK_M)


def address_reach_m(fix_accuracy_m: float | None) -> float | None:
    """How far the nearest address may be from a caller's fix of this accuracy and still be shown
    as the caller's approximate address; None when the fix is too coarse (or of unknown accuracy)
    for a house number — then only the street is shown."""
    if fix_accuracy_m is None or not 0 < fix_accuracy_m <= PRECISE_FIX_ACCURACY_M:
        return None
    return max(ADDRESS_REACH_FACTOR * fix_accuracy_m, ADDRESS_POINT_SLACK_M)


# A reverse lookup's answer: (street or address, distance_m), or None when there is none near.
Found = tuple[str, float] | None

WARNING_STYLE = "background: #FFE0E0; color: #8B0000; border: 1px solid #C00000; border-radius: 3px; padding: 3px;"


class Place(Protocol):
    name: str
    lat: float
    lon: float


class AddressLookup(Protocol):
    """The offline street index, as the location box needs it (thread: GUI)."""

    def search(self, text: str, near: tuple[float, float] | None = None) -> list[Any]:
        """Places matching partial text (objects with ``name``, ``lat``, ``lon``; best first)."""
        ...

    def nearest(self, lat: float, lon: float) -> tuple[str, float] | None:
        """``(street name, distance_m)`` of the nearest named street, or None."""
        ...

    def nearest_address(self, lat: float, lon: float, max_distance_m: float = 100.0) -> tuple[str, float] | None:
        """``(address, distance_m)`` of the nearest house address within ``max_distance_m``, or None."""
        ...


class CityLookup:
    """:class:`AddressLookup` over an imported city (``app.mapdata.MapData``), opened on first use
    (milliseconds: the street index is SQLite, the address index is mapped from its files).
    Any thread; the seat calls it from :class:`~widgets.address_worker.AddressWorker`'s thread.

    Args:
        directory: the city directory (None: the shipped demo city).
        lang: ``"zh"`` or ``"en"``: which street names the reverse lookup prefers.
    """

    def __init__(self, directory: Any = None, lang: str | None = "zh") -> None:
        self.directory = directory
        self.lang = lang
        self._city: Any = None
        self._opening = threading.Lock()  # the worker's warm-up and the GUI thread may both open it
        self.problem: str | None = None

    @property
    def city(self) -> Any:
        with self._opening:
            if self._city is None and self.problem is None:
                from app.mapdata import load_city

                try:
                    self._city = load_city(self.directory)
                except Exception as exc:  # MapDataError, a broken file: the seat runs without search
                    log.warning("no address search: %s", exc)
                    self.problem = str(exc)
            return self._city

    def warm_up(self) -> None:
        """Open the city and build the road-segment k-d tree of the reverse lookup (~0.1-0.4 s for a
        city of 10 000 streets), so that the first lookup, maybe on the GUI thread, does not.
        The address worker calls it on its thread when it starts."""
        if self.city is not None:
            self.city.nearest_street(*self.city.centre)

    def available(self) -> bool:
        return self.city is not None

    def search(self, text: str, near: tuple[float, float] | None = None) -> list[Any]:
        return self.city.search(text, near=near, limit=10) if self.city is not None else []

    def nearest(self, lat: float, lon: float) -> tuple[str, float] | None:
        if self.city is None:
            return None
        found = self.city.nearest_street(lat, lon, lang=self.lang)
        return (found.name, found.distance_m) if found else None

    def nearest_address(self, lat: float, lon: float, max_distance_m: float = 100.0) -> tuple[str, float] | None:
        """``(address, distance_m)`` of the nearest address ("中山路12号") within ``max_distance_m``, or None."""
        if self.city is None:
            return None
        found = self.city.nearest_address(lat, lon, max_distance_m)
        return (found.name, found.distance_m) if found else None


def place_text(place: Any) -> str:
    """One search result as the popup lists it: name, then house number and street when known."""
    parts = [str(getattr(place, "name", "") or "")]
    street = getattr(place, "street", "") or ""
    number = getattr(place, "housenumber", "") or ""
    if street and street not in parts[0]:
        parts.append(f"{street} {number}".strip())
    return " · ".join(p for p in parts if p)


def candidate_text(candidate: dict[str, Any], now: datetime) -> str:
    """"GPS ±35 m · 2 min ago" / "Cell accuracy unknown" / "Landline registered address: …"."""
    source = location_source_text(candidate.get("source"))
    if position(candidate) is None:
        return f"{source}: {candidate.get('address') or '?'}"
    parts = [source, accuracy_text(accuracy_m(candidate))]
    age = age_s(candidate, now)
    if age is not None:
        ago = QCoreApplication.translate("CallLocationView", "%1 ago").replace("%1", format_elapsed(age))
        stale = QCoreApplication.translate("CallLocationView", "(stale)")
        parts.append(ago + (" " + stale if is_stale(candidate, now) else ""))
    if candidate.get("address"):
        parts.append(str(candidate["address"]))
    return " · ".join(parts)


class CallLocationView(QWidget):
    """The caller's location candidates for one call (call panel)."""

    def __init__(self, clock: SeatClock, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CallLocation")
        self._clock = clock
        self._call: dict[str, Any] | None = None
        self.best = QLabel(self)
        self.best.setObjectName("BestLocation")
        self.best.setWordWrap(True)
        font = self.best.font()
        font.setBold(True)
        self.best.setFont(font)
        self.warning = QLabel(self)
        self.warning.setObjectName("LocationWarning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet(WARNING_STYLE)
        self.candidates = QListWidget(self)
        self.candidates.setObjectName("LocationCandidates")
        self.candidates.setMaximumHeight(80)
        self.candidates.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(3)
        layout.addWidget(self.best)
        layout.addWidget(self.warning)
        layout.addWidget(self.candidates)
        self.set_call(None)

    def set_call(self, call: dict[str, Any] | None, now: datetime | None = None) -> None:
        self._call = call
        self.refresh(now)

    def refresh(self, now: datetime | None = None) -> None:
        now = now or self._clock.now()
        locations = (self._call or {}).get("locations") or []
        self.setVisible(self._call is not None)
        best = best_candidate(locations, now)
        if best is None:
            self.best.setText(self.tr("Caller location: none from the network — ask the caller"))
        else:
            self.best.setText(self.tr("Caller location: %1").replace("%1", candidate_text(best, now)))
        found = disagreements(locations)
        if found:
            worst = found[0]
            self.warning.setText("⚠ " + self.tr("%1 and %2 are %3 apart — ask the caller where they are").replace(
                "%1", location_source_text(worst.a.get("source"))).replace(
                "%2", location_source_text(worst.b.get("source"))).replace("%3", format_distance(worst.distance_m)))
        self.warning.setVisible(bool(found))
        ranked = rank_candidates(locations, now)
        self.candidates.clear()
        for candidate in ranked:
            self.candidates.addItem(candidate_text(candidate, now))
        self.candidates.setVisible(len(ranked) > 1)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.refresh()
        super().changeEvent(event)


class IncidentLocationBox(QWidget):
    """The incident's position in the form: confirm, search an address, read the nearest street.

    Args:
        incident_for_location: returns the incident to locate, saving a new draft first
            (``IncidentForm.incident_for_dispatch``); None when there is none (it says why).
        current_call: returns the call of the form's incident or draft (for its candidates).
        lookup: the offline street index, or None when no city is imported.

    Signals:
        located(float, float): the dispatcher set a position (sent as ``incident.locate``).
    """

    located = Signal(float, float)

    def __init__(self, store: SeatStore, runner: CommandRunner, clock: SeatClock,
                 incident_for_location: Callable[[], str | None],
                 current_incident: Callable[[], str | None],
                 current_call: Callable[[], dict[str, Any] | None],
                 lookup: AddressLookup | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("IncidentLocation")
        self._store = store
        self._runner = runner
        self._clock = clock
        self._incident_for_location = incident_for_location
        self._current_incident = current_incident
        self._current_call = current_call
        self.lookup = lookup
        self.results: list[Any] = []
        # Searches and reverse lookups run on a worker thread (a big city's index must not stall
        # the GUI mid-call); answers come back as signals. Reverse lookups are cached by position:
        # the nearest street, and the nearest house address within MAX_ADDRESS_REACH_M.
        self.worker: AddressWorker | None = None
        self._streets: dict[tuple[float, float], Found] = {}
        self._addresses: dict[tuple[float, float], Found] = {}
        self._asking: set[tuple[str, tuple[float, float]]] = set()  # ("street" | "address", position) queued
        self._choose_row: int | None = None
        if lookup is not None:
            self.worker = AddressWorker(lookup, self)
            self.worker.search_done.connect(self._on_search_done)
            self.worker.nearest_done.connect(self._on_nearest_done)
            self.worker.address_done.connect(self._on_address_done)

        self.confirm_action = QAction(self)
        self.confirm_action.setShortcut(QKeySequence(Qt.Modifier.CTRL | Qt.Modifier.SHIFT | Qt.Key.Key_L))
        self.confirm_action.triggered.connect(self.confirm_best)
        self.search_action = QAction(self)
        self.search_action.setShortcut(QKeySequence(Qt.Modifier.CTRL | Qt.Modifier.SHIFT | Qt.Key.Key_F))
        self.search_action.triggered.connect(lambda: self.search.setFocus(Qt.FocusReason.ShortcutFocusReason))
        for action in (self.confirm_action, self.search_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.addActions([self.confirm_action, self.search_action])

        self.title = QLabel(self)
        self.title.setObjectName("LocationTitle")
        self.position = QLabel(self)
        self.position.setObjectName("IncidentPosition")
        self.position.setWordWrap(True)
        self.street = QLabel(self)
        self.street.setObjectName("NearestStreet")
        confirm_button = QToolButton(self)
        confirm_button.setObjectName("ConfirmLocation")
        confirm_button.setDefaultAction(self.confirm_action)
        confirm_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        confirm_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.search = QLineEdit(self)
        self.search.setObjectName("AddressSearch")
        self.search.setMaxLength(200)
        self.search.setClearButtonEnabled(True)
        self._model = QStringListModel(self)
        self.completer = QCompleter(self._model, self)
        # The index already matched the partial text; the popup must not filter it again.
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setMaxVisibleItems(10)
        self.search.setCompleter(self.completer)
        self.completer.activated[str].connect(self._on_result_chosen)
        self.search.returnPressed.connect(self._on_return)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self.run_search)
        self.search.textEdited.connect(lambda _text: self._debounce.start())

        row = QHBoxLayout()
        row.addWidget(self.title)
        row.addWidget(self.position, 1)
        row.addWidget(confirm_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(3)
        layout.addLayout(row)
        layout.addWidget(self.street)
        layout.addWidget(self.search)

        store.events.incident_changed.connect(self._on_incident_changed)
        store.events.call_changed.connect(self.refresh)  # takes no argument: psygnal drops the call id
        store.events.state_reset.connect(self.refresh)
        self.retranslate_ui()

    # ------------------------------------------------------------ actions
    def confirm_best(self) -> bool:
        """Ctrl+Shift+L: the best caller location becomes the incident's position."""
        call = self._current_call()
        best = best_candidate((call or {}).get("locations"), self._clock.now())
        here = position(best)
        if best is None or here is None:
            self._runner.notify(self.tr("No caller position to confirm: search the address or click on the map."))
            return False
        return self.locate_at(*here, "candidate", candidate_source=best.get("source"), address=best.get("address"),
                              fix_accuracy_m=accuracy_m(best))

    def locate_at(self, lat: float, lon: float, how: str, *, candidate_source: str | None = None,
                  address: str | None = None, fix_accuracy_m: float | None = None) -> bool:
        """Send ``incident.locate`` for the form's incident (a new draft is saved first).

        ``how``: map_click, map_drag, address_search or candidate. ``address``: the one that came
        with the position (the caller's, the search result's), sent as it is; without one, the
        seat derives it: the nearest house, marked approximate, when ``fix_accuracy_m`` (a caller's
        fix) is precise enough (:func:`address_reach_m`), else the nearest street. Returns False
        when nothing was sent (no incident, or the position was refused; the strip says why).
        """
        incident_id = self._incident_for_location()
        if incident_id is None:
            return False
        if not address:
            # No address with the position (a GPS fix, a map click): the derived one, so the
            # incident has an address the queue and the crew can read, approximate where it is.
            address = (self._approximate_address(float(lat), float(lon), fix_accuracy_m)
                       or self._nearest_street(float(lat), float(lon)))
        command_id = self._runner.run(
            self._runner.commands.locate_incident,
            lambda: self.tr("Setting the incident location"),
            incident_id=incident_id, lat=float(lat), lon=float(lon), source=how,
            candidate_source=candidate_source, address=(address or None) and str(address)[:200],
        )
        if command_id is None:
            return False
        self.located.emit(float(lat), float(lon))
        return True

    def run_search(self) -> list[Any]:
        """Search the offline index for the typed (partial) text; the popup shows the answer when the
        worker thread sends it (:meth:`_on_search_done`). Returns the results shown until then."""
        text = self.search.text().strip()
        if self.worker is None or not text:
            self._on_search_done(None, [])
        else:
            self.worker.search(text, near=self._near())
        return self.results

    def _on_search_done(self, _request_id: int | None, results: list) -> None:
        self.results = list(results)
        self._model.setStringList([place_text(p) for p in self.results])
        if self.results and self.search.hasFocus():
            self.completer.complete()
        row, self._choose_row = self._choose_row, None
        if row is not None:
            self.choose(row)

    def search_pending(self) -> bool:
        """True while a search typed is not answered yet (debounce or worker)."""
        return self._debounce.isActive() or self._choose_row is not None

    def choose(self, row: int) -> bool:
        """Pick search result ``row``: the incident is located there (source address_search)."""
        if not 0 <= row < len(self.results):
            return False
        place = self.results[row]
        if self.locate_at(place.lat, place.lon, "address_search", address=place_text(place)):
            self.search.clear()
            self.completer.popup().hide()
            return True
        return False

    def _near(self) -> tuple[float, float] | None:
        incident = self._store.state.incidents.get(self._current_incident() or "")
        here = position((incident or {}).get("location"))
        if here is None:
            here = position(best_candidate((self._current_call() or {}).get("locations"), self._clock.now()))
        return here

    def _on_result_chosen(self, text: str) -> None:
        labels = [place_text(p) for p in self.results]
        if text in labels:
            self.choose(labels.index(text))

    def _on_return(self) -> None:
        popup = self.completer.popup()
        row = popup.currentIndex().row() if popup.isVisible() and popup.currentIndex().isValid() else 0
        if self._debounce.isActive() and self.worker is not None:
            # Enter before the answer: pick the first result when the worker sends it.
            self._debounce.stop()
            self._choose_row = 0
            self.run_search()
            return
        self.choose(row)

    # ------------------------------------------------------------ rendering
    def _on_incident_changed(self, incident_id: str) -> None:
        if incident_id == self._current_incident():
            self.refresh()

    def refresh(self) -> None:
        self._prefetch_best_candidate()
        incident = self._store.state.incidents.get(self._current_incident() or "")
        location = (incident or {}).get("location")
        here = position(location)
        if here is None:
            self.position.setText(self.tr("not set — Ctrl+Shift+L confirms the caller location"))
            set_style_property(self.position, "alert", True)
            self.street.setText("")
            self.street.setToolTip("")
            self.street.setVisible(False)
            return
        set_style_property(self.position, "alert", False)
        how = locate_source_text(location.get("source"))
        if location.get("candidate_source"):
            how += f" ({location_source_text(location['candidate_source'])})"
        who = location.get("set_by") or "?"
        when = ""
        if location.get("at"):
            elapsed = self._clock.elapsed_s(location["at"], self._clock.now())
            when = self.tr("%1 ago").replace("%1", format_elapsed(elapsed))
        self.position.setText(
            self.tr("%1, %2 — %3 by %4 %5").replace("%1", f"{here[0]:.5f}").replace("%2", f"{here[1]:.5f}")
            .replace("%3", how).replace("%4", who).replace("%5", when).strip()
        )
        text, approximate = self._street_text(here, self._fix_accuracy(location))
        self.street.setText(text)
        self.street.setToolTip(self.tr("The house nearest to the caller's fix, not an address the caller gave: "
                                       "confirm it with the caller") if approximate else "")
        self.street.setVisible(bool(text))

    def _fix_accuracy(self, location: dict[str, Any]) -> float | None:
        """The accuracy of the caller's fix the incident's position was confirmed from, found among
        the call's candidates; None for a position that is no fix (a map click, a search result)."""
        if location.get("source") != "candidate":
            return None
        here = position(location)
        for candidate in (self._current_call() or {}).get("locations") or ():
            if (isinstance(candidate, dict) and candidate.get("source") == location.get("candidate_source")
                    and position(candidate) == here):
                return accuracy_m(candidate)
        return None

    def _prefetch_best_candidate(self) -> None:
        """Ask the worker about the call's best fix before the dispatcher confirms it, so that
        Ctrl+Shift+L finds the derived address cached instead of looking it up on the GUI thread."""
        if self.worker is None:
            return
        best = best_candidate((self._current_call() or {}).get("locations"), self._clock.now())
        here = position(best)
        if here is None or best is None:
            return
        key = (float(here[0]), float(here[1]))
        self._ask_worker(key, street=True, address=address_reach_m(accuracy_m(best)) is not None)

    def _ask_worker(self, key: tuple[float, float], *, street: bool, address: bool) -> None:
        """Queue the lookups not cached nor already queued for this position."""
        if self.worker is None:
            return
        if street and key not in self._streets and ("street", key) not in self._asking:
            self._asking.add(("street", key))
            self.worker.nearest(*key)
        if address and key not in self._addresses and ("address", key) not in self._asking:
            self._asking.add(("address", key))
            self.worker.nearest_address(*key, MAX_ADDRESS_REACH_M)

    def _approximate_address(self, lat: float, lon: float, fix_accuracy_m: float | None) -> str | None:
        """"near 12 Chemin de la Turbie (±15 m)" for a precise enough fix with a house close enough
        (:func:`address_reach_m`), else None (then the street is used).

        Like :meth:`_nearest_street`, on the GUI thread when the worker has not answered for this
        position yet (:meth:`_prefetch_best_candidate` usually has): a grid lookup in the address
        index (``app.mapdata.address_index``), microseconds."""
        reach = address_reach_m(fix_accuracy_m)
        if self.lookup is None or reach is None:
            return None
        lookup = self.lookup
        found = self._looked_up(self._addresses, (float(lat), float(lon)),
                                lambda: lookup.nearest_address(lat, lon, MAX_ADDRESS_REACH_M), "nearest address")
        return None if found is False else self._near_text(found, reach, fix_accuracy_m)

    @staticmethod
    def _looked_up(cache: dict[tuple[float, float], Found], key: tuple[float, float],
                   lookup: Callable[[], Found], what: str) -> Found | Literal[False]:
        """``cache[key]``, else ``lookup()`` on this (the GUI) thread, kept in ``cache``; False when the
        lookup failed (logged: a broken index must not stop the locate command)."""
        if key in cache:
            return cache[key]
        try:
            found = lookup()
        except Exception:
            log.exception("%s lookup failed at %s", what, key)
            return False
        cache[key] = found
        return found

    def _near_text(self, found: tuple[str, float] | None, reach: float, fix_accuracy_m: float | None) -> str | None:
        if found is None or found[1] > reach:
            return None
        # Approximate, and derived from the caller's fix: "约 中山路12号 附近 (±15 m)".
        return self.tr("near %1 (%2)").replace("%1", str(found[0])).replace("%2", accuracy_text(fix_accuracy_m))

    def _nearest_street(self, lat: float, lon: float) -> str | None:
        """The reverse lookup's street name at a position (within 1 km), or None.

        The one reverse lookup on the GUI thread: the name goes into the locate command being
        sent now. It is two k-d tree queries (``app.mapdata.search.snap_to_street``), and a
        position already looked up by the worker comes from the cache."""
        if self.lookup is None:
            return None
        lookup = self.lookup
        found = self._looked_up(self._streets, (float(lat), float(lon)), lambda: lookup.nearest(lat, lon), "reverse")
        return str(found[0]) if found else None

    def _street_text(self, here: tuple[float, float], fix_accuracy_m: float | None = None) -> tuple[str, bool]:
        """The line under the position, and whether it is an approximate house address: that for a
        precise fix with a house close enough, else the nearest street. What is not cached is asked
        of the worker ("" until it answers: never a street first and a house number a moment later)."""
        if self.lookup is None:
            return "", False
        key = (float(here[0]), float(here[1]))
        reach = address_reach_m(fix_accuracy_m)
        self._ask_worker(key, street=True, address=reach is not None)
        if reach is not None:
            if key not in self._addresses:
                return "", False
            near = self._near_text(self._addresses[key], reach, fix_accuracy_m)
            if near is not None:
                return near, True
        if key not in self._streets:
            return "", False
        found = self._streets[key]
        if found is None:
            return self.tr("No named street within 1 km"), False
        name, distance = found
        return f"{name}, {format_distance(distance)}", False

    def _on_nearest_done(self, _request_id: int, lat: float, lon: float, found: Any) -> None:
        self._answered(self._streets, "street", lat, lon, found)

    def _on_address_done(self, _request_id: int, lat: float, lon: float, found: Any) -> None:
        self._answered(self._addresses, "address", lat, lon, found)

    def _answered(self, cache: dict[tuple[float, float], Found], kind: str,
                  lat: float, lon: float, found: Any) -> None:
        """The worker's answer: kept (at most ~256 positions), and shown if it is the incident's position."""
        if len(cache) > 256:
            cache.clear()
        cache[(lat, lon)] = found
        self._asking.discard((kind, (lat, lon)))
        incident = self._store.state.incidents.get(self._current_incident() or "")
        if position((incident or {}).get("location")) == (lat, lon):
            self.refresh()

    def retranslate_ui(self) -> None:
        self.title.setText(self.tr("Location:"))
        self.confirm_action.setText(self.tr("Confirm caller location"))
        self.search_action.setText(self.tr("Search address"))
        for action in (self.confirm_action, self.search_action):
            shortcut_hint(action)
        if self.lookup is None:
            self.search.setPlaceholderText(self.tr("Address search unavailable: no city map imported"))
            self.search.setEnabled(False)
        else:
            self.search.setPlaceholderText(
                self.tr("Search address or place (partial, Chinese or Latin), Enter picks — Ctrl+Shift+F"))
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)
