"""``dispatch120 --simulate``: the simulated ambulances' GPS reaches the seat, and the vitals wall subscribes."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import secrets
from app.__main__ import build_parser, seat_session
from app.seat.store import Link
from app.sim.scenario import load_scenario

pytestmark = [pytest.mark.gui, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def isolated_settings(tmp_path, monkeypatch):
    user = tmp_path / "user.toml"
    user.write_text(f'log_dir = "{tmp_path / "logs"}"\njournal_path = "{tmp_path / "journal.sqlite"}"\n',
                    encoding="utf-8")
    monkeypatch.setenv("DISPATCH120_MACHINE_CONFIG", str(tmp_path / "no-machine.toml"))
    monkeypatch.setenv("DISPATCH120_USER_CONFIG", str(user))
    secrets.use_memory_backend()
    return tmp_path


@pytest.mark.timeout(90)
def test_every_simulated_ambulance_shows_up_at_its_station_and_watching_one_subscribes(isolated_settings, qtbot):
    registry = load_scenario(ROOT / "resources" / "scenarios" / "demo.yaml").registry
    stations = {s.id: (s.lat, s.lon) for s in registry.stations}
    expected = {u.id: stations[u.station] for u in registry.units if u.station}
    args = build_parser().parse_args(["--simulate", "--language", "en", "--time-scale", "5"])

    with seat_session(args) as runtime:
        qtbot.waitUntil(lambda: runtime.store.connection.link == Link.ONLINE, timeout=30_000)
        qtbot.waitUntil(lambda: set(runtime.store.positions) >= set(expected), timeout=30_000)
        for unit_id, where in expected.items():
            p = runtime.store.positions[unit_id]
            assert (p.lat, p.lon) == pytest.approx(where), unit_id  # nobody dispatched: parked at home

        subscribed: list[tuple[list[str], list[str]]] = []
        send_subscription = runtime.sync.subscribe
        runtime.sync.subscribe = lambda ids, kinds: (subscribed.append((list(ids), list(kinds))),
                                                     send_subscription(ids, kinds))
        # The vitals monitors are built after the window's first paint (MainWindow defer_panels).
        qtbot.waitUntil(lambda: not runtime.window.panels_pending, timeout=30_000)
        runtime.window.vitals_wall.watch("A1")
        qtbot.waitUntil(lambda: bool(subscribed), timeout=5_000)
        assert subscribed[-1] == (["A1"], ["vitals", "waveform", "alarm", "status"])
        runtime.window.confirm_close = False
        runtime.window.close()
