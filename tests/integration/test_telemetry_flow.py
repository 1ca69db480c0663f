"""Live telemetry through a real server process: a monitor in an ambulance, a seat watching it."""

from __future__ import annotations

import time

import pytest

from app.protocol.telemetry import CHANNELS
from app.seat.telemetry import TelemetryStore
from app.sim.monitor import SimulatedMonitor, iso

pytestmark = pytest.mark.integration


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _subscribe(seat, units=("A1",), kinds=("vitals", "waveform", "alarm", "status")) -> None:
    seat.send_json({"v": 1, "type": "subscribe", "unit_ids": list(units), "kinds": list(kinds)})


def _collect(seat, store: TelemetryStore, until) -> None:
    while True:
        msg = seat.wait_for(lambda m: m["type"] in ("unit_telemetry", "positions"))
        store.apply(msg)
        if until(msg):
            return


def test_a_seat_watching_an_ambulance_in_vf_sees_its_ecg_the_alarm_and_then_no_data(dispatch_server):
    seat = dispatch_server.client("seat-1")
    _subscribe(seat)
    device = dispatch_server.client("dev-A1")
    monitor = SimulatedMonitor("A1", "vf", start_epoch_s=time.time() - 3.0)
    frames = monitor.frames_until(time.time())
    last_seq = frames[-1]["seq"]
    for frame in frames:
        device.send_json(frame)
    clock = FakeClock()
    store = TelemetryStore(clock=clock)
    _collect(seat, store, lambda m: m.get("seq") == last_seq)

    unit = store.units["A1"]
    _t, ecg = unit.waveforms["ECG_II"].window(2.0)
    assert unit.waveforms["ECG_II"].rate_hz == 500.0
    assert not any(x != x for x in ecg[-500:]), "the last second of ECG arrived without gaps"
    assert unit.data_state("ECG_II", clock.now) == "ok"
    alarm = unit.alarms["VF"]
    assert alarm.priority == "high" and alarm.active
    assert store.invalid_frames == 0

    clock.now += 3.1  # the monitor is unplugged: nothing more arrives
    assert unit.data_state("ECG_II", clock.now) == "no_data"
    assert unit.data_state("hr", clock.now) == "no_data"


def test_a_device_may_not_send_telemetry_for_another_ambulance(dispatch_server):
    device = dispatch_server.client("dev-A1")
    frame = SimulatedMonitor("A2", "sinus", start_epoch_s=time.time() - 1.5).frames_until(time.time())[0]
    device.send_json(frame)
    reply = device.wait_for(lambda m: m["type"] == "error")
    assert reply["code"] == "forbidden" and reply["field"] == "unit_id"


def test_absurd_values_are_refused_and_never_reach_the_seat(dispatch_server):
    seat = dispatch_server.client("seat-1")
    _subscribe(seat)
    device = dispatch_server.client("dev-A1")
    now = time.time()
    bad = {"v": 1, "type": "telemetry", "unit_id": "A1", "kind": "vitals", "t": iso(now - 2), "seq": 1,
           "data": {"hr": 900, "spo2": 97}}
    device.send_json(bad)
    reply = device.wait_for(lambda m: m["type"] == "error")
    assert reply["code"] == "invalid_args" and reply["field"] == "data.hr"
    good = {**bad, "seq": 2, "t": iso(now - 1), "data": {"hr": 72, "spo2": 97}}
    device.send_json(good)
    got = seat.wait_for(lambda m: m["type"] == "unit_telemetry")
    assert got["seq"] == 2 and got["data"]["hr"] == 72


def test_a_new_subscriber_gets_the_last_vitals_and_every_seat_gets_positions(dispatch_server):
    device = dispatch_server.client("dev-A1")
    now = time.time()
    device.send_json({"v": 1, "type": "telemetry", "unit_id": "A1", "kind": "vitals", "t": iso(now - 1), "seq": 1,
                      "data": {"hr": 81}})
    device.send_json({"v": 1, "type": "telemetry", "unit_id": "A1", "kind": "position", "t": iso(now - 1),
                      "seq": 2, "data": {"lat": 29.53, "lon": 106.55, "speed_mps": 12.0}})
    seat = dispatch_server.client("seat-2")
    positions = seat.wait_for(lambda m: m["type"] == "positions", timeout=5)
    assert positions["items"][0]["unit_id"] == "A1" and positions["items"][0]["lat"] == 29.53
    _subscribe(seat, kinds=("vitals",))
    vitals = seat.wait_for(lambda m: m["type"] == "unit_telemetry")
    assert vitals["data"] == {"hr": 81}


def test_a_slow_seat_loses_old_telemetry_but_no_event(dispatch_server):
    slow = dispatch_server.client("seat-1")
    _subscribe(slow, kinds=("waveform",))
    device = dispatch_server.client("dev-A1")
    switch = dispatch_server.client("switch-1")
    mdc, unit = CHANNELS["ECG_II"]
    start = time.time() - 10_000
    sent = 1500  # 1500 chunks of 2500 samples: ~15 MB, far more than the socket buffers hold
    for i in range(sent):
        chunk_start = start + i * 5.0
        device.send_json({
            "v": 1, "type": "telemetry", "unit_id": "A1", "kind": "waveform", "t": iso(chunk_start + 5.0),
            "seq": i, "data": {"channel": "ECG_II", "mdc_code": mdc, "start": iso(chunk_start), "period_ms": 2.0,
                               "factor": 0.005, "origin": 0, "unit": unit, "samples": [100 + i % 7] * 2500,
                               "lead_off": False},
        })
        if i % 300 == 0:
            assert switch.command("call.offered", {"call_id": f"c{i}", "caller_number": "13800000000"})["type"] == "ack"
    # The device's frames were all accepted (an error would have come back by now).
    assert device.command("seat.set_ready", {"ready": True})["type"] == "error"  # a round trip: all handled
    assert not [m for m in device.received if m["type"] == "error" and m.get("ref", "").startswith("seq:")]
    telemetry = 0
    while True:
        msg = slow.wait_for(lambda m: m["type"] in ("unit_telemetry", "event"), timeout=10)
        if msg["type"] == "unit_telemetry":
            telemetry += 1
            if msg["seq"] == sent - 1:
                break
    calls = {m["data"]["call_id"] for m in slow.events if m["name"] == "call.received"}
    assert calls == {f"c{i}" for i in range(0, sent, 300)}, "every event arrived"
    assert telemetry < sent, "old telemetry was dropped for the slow seat"
    assert slow.closed is None
