"""Track playback's data: which positions the server keeps, how the reader lines them up with the
events, and where a unit is drawn at any moment of the playback."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.protocol import format_ts
from app.records import demo
from app.records.track import place_positions, position_at, read_track, status_at
from server_stub.schema import unit_positions_table
from server_stub.store import EventStore
from server_stub.track import TrackRecorder
from tests.unit.test_incident_record import write_demo

T0 = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)


def ts(seconds: float) -> str:
    return format_ts(T0 + timedelta(seconds=seconds))


def point(t: float, lat: float, lon: float, heading: float | None = None) -> dict:
    return {"t": t, "lat": lat, "lon": lon, "speed_mps": None, "heading_deg": heading, "device_ts": "", "server_ts": ""}


# ------------------------------------------------------------------ where a unit is drawn


def test_between_two_kept_positions_the_ambulance_is_drawn_on_the_straight_line_between_them():
    track = [point(0, 29.50, 106.50, 0.0), point(10, 29.51, 106.52, 45.0)]
    lat, lon, heading = position_at(track, 2.5)
    assert lat == pytest.approx(29.5025) and lon == pytest.approx(106.505)
    assert heading == 0.0  # the device's heading of the fix it left from


def test_before_its_first_position_an_ambulance_is_not_drawn_and_after_its_last_it_stays():
    track = [point(100, 29.50, 106.50), point(105, 29.51, 106.50)]
    assert position_at(track, 99.9) is None
    assert position_at(track, 100) == (29.50, 106.50, 0.0)  # about to drive north
    assert position_at(track, 500)[:2] == (29.51, 106.50)
    assert position_at([], 100) is None


def test_without_a_device_heading_the_ambulance_points_along_its_way():
    north = position_at([point(0, 29.50, 106.50), point(10, 29.51, 106.50)], 5)
    east = position_at([point(0, 29.50, 106.50), point(10, 29.50, 106.51)], 5)
    assert north[2] == pytest.approx(0.0, abs=0.1) and east[2] == pytest.approx(90.0, abs=0.1)
    # Exactly on a fix, and after the last one, it still points the way it drove.
    west = [point(0, 29.50, 106.52), point(10, 29.50, 106.51)]
    assert position_at(west, 0)[2] == pytest.approx(270.0, abs=0.1)
    assert position_at(west, 99)[2] == pytest.approx(270.0, abs=0.1)


def test_the_status_at_a_moment_is_the_last_change_before_it():
    statuses = [{"t": 10.0, "status": "dispatched", "at": ""}, {"t": 70.0, "status": "en_route", "at": ""},
                {"t": 400.0, "status": "on_scene", "at": ""}]
    assert [status_at(statuses, t) for t in (5, 10, 69.9, 70, 399, 1000)] == [
        None, "dispatched", "dispatched", "en_route", "en_route", "on_scene"]


def test_a_slow_device_clock_and_a_late_backlog_still_put_positions_on_the_servers_time():
    # The monitor's clock is 90 s behind; it sent fixes 0–20 s on time, then was out of coverage
    # and sent fixes 25–40 s together at the server's t=130.
    rows = [{"device_ts": ts(d - 90), "server_ts": ts(d + 0.2), "lat": 29.5 + d / 1000, "lon": 106.5}
            for d in (0, 5, 10, 15, 20)]
    rows += [{"device_ts": ts(d - 90), "server_ts": ts(130), "lat": 29.5 + d / 1000, "lon": 106.5}
             for d in (25, 30, 35, 40)]
    points, offset = place_positions(rows)
    assert offset == pytest.approx(90.2)
    placed = [p["t"] - T0.timestamp() for p in points]
    assert placed == pytest.approx([0.2, 5.2, 10.2, 15.2, 20.2, 25.2, 30.2, 35.2, 40.2])


# ------------------------------------------------------------------ what the server keeps


class Units:
    """The projection's answer to "which incident is this unit on", changed by the test."""

    def __init__(self) -> None:
        self.incident: dict[str, str | None] = {}

    def __call__(self, unit: str) -> str | None:
        return self.incident.get(unit)


def fix(unit: str, second: float, lat: float = 29.5) -> dict:
    return {"unit_id": unit, "lat": lat, "lon": 106.5, "t": ts(second), "speed_mps": 8.0, "heading_deg": None}


def test_the_recorder_keeps_one_position_per_interval_only_for_units_on_an_incident(tmp_path):
    units = Units()
    units.incident["A1"] = "inc-1"
    recorder = TrackRecorder(EventStore(tmp_path / "e.sqlite").engine, interval_s=5, incident_of=units)
    kept = [s for s in range(12) if recorder.offer(fix("A1", s))]
    assert kept == [0, 5, 10]
    assert not any(recorder.offer(fix("A2", s)) for s in range(12))  # A2 is on no incident
    units.incident["A1"] = "inc-2"  # sent to another incident: its first fix there is kept at once
    assert recorder.offer(fix("A1", 11.5)) and not recorder.offer(fix("A1", 12))
    units.incident["A1"] = None
    assert not recorder.offer(fix("A1", 30))


def test_kept_positions_are_written_in_one_batch_and_survive_a_failed_write(tmp_path):
    store = EventStore(tmp_path / "e.sqlite")
    units = Units()
    units.incident["A1"] = "inc-1"

    async def run() -> None:
        recorder = TrackRecorder(store.engine, interval_s=1, incident_of=units)
        for s in range(3):
            recorder.offer(fix("A1", s))
        real_write = recorder._write
        recorder._write = lambda rows: (_ for _ in ()).throw(OSError("disk full"))  # type: ignore[method-assign]
        with pytest.raises(OSError):
            await recorder.flush()
        assert recorder.stats()["waiting"] == 3  # nothing lost
        recorder._write = real_write  # type: ignore[method-assign]
        recorder.offer(fix("A1", 3))
        assert await recorder.flush() == 4
        await recorder.close()

    asyncio.run(run())
    with store.engine.connect() as conn:
        rows = conn.execute(select(unit_positions_table.c.device_ts).order_by(unit_positions_table.c.id)).scalars()
        assert list(rows) == [ts(s) for s in range(4)]
        assert conn.execute(select(func.count()).select_from(unit_positions_table)).scalar_one() == 4
    store.close()


def test_with_recording_off_nothing_is_kept(tmp_path):
    units = Units()
    units.incident["A1"] = "inc-1"
    recorder = TrackRecorder(EventStore(tmp_path / "e.sqlite").engine, interval_s=0, incident_of=units)
    assert not recorder.offer(fix("A1", 0)) and recorder.stats()["kept"] == 0


# ------------------------------------------------------------------ the reader


@pytest.fixture(scope="module")
def demo_with_track(tmp_path_factory) -> Path:
    path = Path(write_demo(tmp_path_factory.mktemp("track") / "events.sqlite"))
    store = EventStore(path)
    record_start = demo.START
    rows = []
    for i in range(20):  # A01 drives north for 100 s after its dispatch; its clock is 3 s fast
        at = record_start + timedelta(seconds=60 + 5 * i)
        rows.append({"incident_id": demo.INCIDENT_ID, "unit_id": "A01", "device_ts": format_ts(at + timedelta(seconds=3)),
                     "server_ts": format_ts(at), "lat": 29.55 + i * 0.0005, "lon": 106.57, "speed_mps": 10.0,
                     "heading_deg": 0.0, "accuracy_m": 5.0})
    rows.append({**rows[0], "incident_id": "another-incident", "unit_id": "A02"})
    with store.engine.begin() as conn:
        conn.execute(unit_positions_table.insert(), rows[::-1])  # stored out of order on purpose
    store.close()
    return path


def test_the_track_has_each_units_positions_in_time_order_with_its_statuses(demo_with_track):
    track = read_track(demo_with_track, demo.INCIDENT_ID[:8])
    assert track["incident_id"] == demo.INCIDENT_ID
    a01, a02 = track["units"]
    assert (a01["unit_id"], a01["call_sign"], a02["unit_id"]) == ("A01", "渝中1", "A02")
    assert len(a01["positions"]) == 20 and a02["positions"] == []  # A02's row belongs to another incident
    times = [p["t"] for p in a01["positions"]]
    assert times == sorted(times) and a01["clock_offset_s"] == pytest.approx(-3.0)
    assert times[0] == pytest.approx((demo.START + timedelta(seconds=60)).timestamp())
    assert [s["status"] for s in a01["statuses"]][:2] == ["dispatched", "en_route"]
    assert [s["status"] for s in a02["statuses"]][-1] == "available"  # stood down
    assert track["start_t"] <= a01["statuses"][0]["t"] and times[-1] <= track["end_t"]


def test_the_track_shows_where_the_caller_was_located_and_by_what(demo_with_track):
    track = read_track(demo_with_track, demo.INCIDENT_ID)
    sources = [(c["kind"], c["source"]) for c in track["caller_locations"]]
    assert ("candidate", "gps") in sources and ("candidate", "caller_link") in sources
    assert any(kind == "located" for kind, _ in sources)
    assert all(track["start_t"] - 60 <= c["t"] <= track["end_t"] for c in track["caller_locations"])
