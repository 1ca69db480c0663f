"""The map with many units: markers patched in place, labels that never pile up, lookups off the GUI thread.

The real map page in QtWebEngine (offscreen): a unit's marker is built once and then only what
changed is touched (position, status colour, stale state, label text); close units' labels are
decluttered with the dispatcher's units' labels always shown. The address worker answers on its
own thread while the GUI's event loop keeps running.
"""

from __future__ import annotations

import json
import threading

from test_map_dock import map_seat  # noqa: F401 (fixture: the seat with its map)
from test_map_page import js, no_network, open_map, page_state, wait_items  # noqa: F401 (autouse: offline)

from widgets.address_worker import AddressWorker
from widgets.map_dock import STALE_AFTER_S, stale_age_text, unit_marker_style

MONACO = (43.7384, 7.4246)


def unit(view, unit_id: str, lat: float, lon: float, **style) -> None:
    fields = {"icon": "unit", "color": "#009E73", "text_color": "#000000", "label": unit_id, "z": 600}
    fields.update(style)
    assert view.upsert_marker("units", unit_id, lat, lon, **fields)


def marker_dom(qtbot, view, unit_id: str) -> dict:
    return json.loads(js(qtbot, view, f"""(function () {{
        var el = d120.items["units/{unit_id}"].obj._d120el;
        return JSON.stringify({{probe: el.root.d120probe || null, cls: el.root.className,
                                text: el.label.textContent, heading: el.dir.style.transform}});
    }})()"""))


def test_a_moving_unit_keeps_its_marker_and_only_what_changed_is_updated(qtbot):
    view, _ = open_map(qtbot)
    unit(view, "u1", *MONACO, heading_deg=90)
    wait_items(qtbot, view, lambda s: len(s["items"]) == 1)
    js(qtbot, view, 'd120.items["units/u1"].obj._d120el.root.d120probe = "first"; 1')
    first = marker_dom(qtbot, view, "u1")

    # It moves, turns, changes status and its fix goes stale: same element, new class, new text.
    unit(view, "u1", MONACO[0] + 0.001, MONACO[1], heading_deg=180, color="#E69F00", stale=True, sublabel="40 s")
    state = wait_items(qtbot, view, lambda s: s["items"][0]["lat"] == MONACO[0] + 0.001)
    after = marker_dom(qtbot, view, "u1")
    assert after["probe"] == "first", "the marker element was rebuilt, not patched"
    assert after["cls"] != first["cls"] and "d120-stale" in after["cls"]
    assert after["text"] == "u140 s" and after["heading"] == "rotate(180deg)"
    item = state["items"][0]
    assert (item["color"], item["stale"], item["sublabel"], item["label_text"]) == ("#E69F00", True, "40 s", "u140 s")

    # A fresh fix again: the age disappears, the status colour class is the first one again.
    unit(view, "u1", MONACO[0] + 0.001, MONACO[1], heading_deg=180)
    wait_items(qtbot, view, lambda s: s["items"][0]["sublabel"] is None)
    again = marker_dom(qtbot, view, "u1")
    assert again["probe"] == "first" and again["cls"] == first["cls"] and again["text"] == "u1"


def test_an_unchanged_unit_costs_no_page_work(qtbot):
    view, _ = open_map(qtbot)
    unit(view, "u1", *MONACO)
    view.flush()
    sent = view.batches_sent
    unit(view, "u1", *MONACO)  # the seat redraws every unit every second
    assert view.pending() == 0
    view.flush()
    assert view.batches_sent == sent


def labels_shown(state: dict) -> dict[str, bool]:
    return {i["id"]: i["label_shown"] for i in state["items"] if i["layer"] == "units"}


def test_close_units_labels_do_not_pile_up_and_the_dispatchers_units_always_show_theirs(qtbot):
    view, _ = open_map(qtbot)
    for n in range(12):  # twelve units a few metres apart: their labels would cover each other
        unit(view, f"u{n:02d}", MONACO[0] + n * 1e-5, MONACO[1], priority=2 if n == 7 else 0)
    wait_items(qtbot, view, lambda s: len(s["items"]) == 12)
    # Zoom in at once, even while the page's own opening zoom animation still runs.
    assert js(qtbot, view, "d120.applyBatch([{op: 'view', lat: 43.7384, lon: 7.4246, zoom: 16}]); "
                           "d120.map.getZoom()") == 16
    js(qtbot, view, "d120.declutter()")
    shown = labels_shown(page_state(qtbot, view))
    assert shown["u07"], "the selected unit's label is always shown"
    assert sum(shown.values()) < 4, f"labels piled up: {shown}"

    # The followed (highlighted) unit's label shows too, even at the lowest priority.
    view.highlight("units", "u03")
    view.flush()
    js(qtbot, view, "d120.declutter()")
    shown = labels_shown(page_state(qtbot, view))
    assert shown["u03"] and shown["u07"]

    # Spread out across the map: nothing overlaps, every label shows again.
    for n in range(12):
        unit(view, f"u{n:02d}", MONACO[0] - 0.001 + (n // 4) * 0.001, MONACO[1] - 0.003 + (n % 4) * 0.002)
    wait_items(qtbot, view, lambda s: s["items"][0]["lat"] != MONACO[0])
    js(qtbot, view, "d120.declutter()")
    assert all(labels_shown(page_state(qtbot, view)).values())


def test_a_units_fix_age_is_shown_only_when_stale_and_changes_in_coarse_steps():
    colours = type("C", (), {"background": "#009E73", "foreground": "#000000"})()
    fresh = unit_marker_style(colours, "120-01", "Available", age_s=3.0)
    assert fresh["sublabel"] is None and not fresh["stale"]
    stale = unit_marker_style(colours, "120-01", "Available", age_s=STALE_AFTER_S + 12)
    assert stale["stale"] and stale["sublabel"] == "40 s"
    assert [stale_age_text(a) for a in (31, 39.9, 40, 61, 7300, None)] == ["30 s", "30 s", "40 s", "1 min", "2 h", "?"]
    assert unit_marker_style(colours, "120-01", "Available", age_s=None)["stale"]


class BlockingLookup:
    """A street index whose search waits until the GUI thread has run (proof it runs elsewhere)."""

    def __init__(self) -> None:
        self.gui_ran = threading.Event()
        self.search_threads: list[int] = []
        self.nearest_threads: list[int] = []

    def search(self, text: str, near=None) -> list:
        self.search_threads.append(threading.get_ident())
        ran = self.gui_ran.wait(10)  # on the GUI thread this could never be set: it would time out
        return [f"{text}: GUI ran meanwhile" if ran else f"{text}: GUI was blocked"]

    def nearest(self, lat: float, lon: float):
        self.nearest_threads.append(threading.get_ident())
        return ("Boulevard Albert 1er", 12.0)


def test_an_address_search_runs_off_the_gui_thread_and_the_seat_stays_responsive(qtbot):
    from PySide6.QtCore import QObject, QTimer

    lookup = BlockingLookup()
    owner = QObject()
    worker = AddressWorker(lookup, owner)
    timer = QTimer(owner)
    timer.setSingleShot(True)
    timer.timeout.connect(lookup.gui_ran.set)  # the GUI's event loop turning, while the search waits
    with qtbot.waitSignal(worker.search_done, timeout=15000) as done:
        worker.search("albert")
        timer.start(50)
    assert done.args[1] == ["albert: GUI ran meanwhile"]
    assert lookup.search_threads and lookup.search_threads[0] != threading.get_ident()
    with qtbot.waitSignal(worker.nearest_done, timeout=5000) as found:
        worker.nearest(43.7384, 7.4246)
    assert found.args[1:] == [43.7384, 7.4246, ("Boulevard Albert 1er", 12.0)]
    thread = worker.thread
    owner.deleteLater()
    qtbot.waitUntil(lambda: not _running(thread))


def _running(thread) -> bool:
    try:
        return thread.isRunning()
    except RuntimeError:  # the C++ thread is gone: it was joined and deleted with its owner
        return False


def test_only_the_newest_search_is_answered(qtbot):
    lookup = BlockingLookup()
    lookup.gui_ran.set()
    worker = AddressWorker(lookup)
    answers: list = []
    worker.search_done.connect(lambda request_id, results: answers.append((request_id, results)))
    worker.search("a")
    worker.search("al")
    last = worker.search("alb")
    qtbot.waitUntil(lambda: bool(answers))
    assert answers[-1] == (last, ["alb: GUI ran meanwhile"])
    assert all(request_id == last for request_id, _ in answers)
    worker.stop()
    worker.deleteLater()


def test_the_selected_units_label_gets_the_always_shown_priority_on_the_seats_map(qtbot, map_seat):  # noqa: F811
    from test_map_dock import send_positions, wait_state

    window, store, server = map_seat
    send_positions(store, server, ("u1", 43.7400, 7.4270, 90.0, 2), ("u2", 43.7401, 7.4271, 0.0, 2))
    window.board.select_unit("u2")
    window.map_dock.tick()
    state = wait_state(qtbot, window, lambda s: {i["id"]: i.get("priority") for i in s["items"]
                                                 if i["layer"] == "units"} == {"u1": 0, "u2": 2})
    units = {i["id"]: i for i in state["items"] if i["layer"] == "units"}
    assert units["u2"]["label_text"] == units["u2"]["label"] and units["u2"]["sublabel"] is None  # fresh: no age


def test_a_unit_that_never_reported_a_heading_shows_no_direction_arrow(qtbot):
    view, _ = open_map(qtbot)
    unit(view, "u9", *MONACO)  # no heading_deg: a device without a compass, or a unit standing still
    wait_items(qtbot, view, lambda s: len(s["items"]) == 1)
    shown = js(qtbot, view, 'd120.items["units/u9"].obj._d120el.dir.style.display')
    assert shown == "none"
    unit(view, "u9", *MONACO, heading_deg=45)
    qtbot.waitUntil(lambda: js(qtbot, view, 'd120.items["units/u9"].obj._d120el.dir.style.display') == "")
