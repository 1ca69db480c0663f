"""A monitor's frames are checked strictly: absurd or inconsistent data is refused with a clear error."""

from __future__ import annotations

import pytest

from app.protocol import ErrorCode, ProtocolError, decode, encode
from app.protocol.messages import CLIENT_TYPES, MAX_FRAME_BYTES
from app.protocol.telemetry import StreamGuard, validate_telemetry
from app.sim.monitor import SimulatedMonitor, iso

T0 = 1_741_919_470.0


def vitals(t: float, seq: int = 1, **values: float) -> dict:
    return {"v": 1, "type": "telemetry", "unit_id": "A1", "kind": "vitals", "t": iso(t), "seq": seq, "data": values}


def ecg_chunk(start: float, n: int = 100, *, t: float | None = None, channel: str = "ECG_II", **over) -> dict:
    end = start + n * 0.002
    data = {"channel": channel, "mdc_code": f"MDC_ECG_ELEC_POTL_{channel[4:].upper()}", "start": iso(start),
            "period_ms": 2.0, "factor": 0.005, "origin": 0, "unit": "mV", "samples": [0] * n, "lead_off": False}
    data.update(over)
    return {"v": 1, "type": "telemetry", "unit_id": "A1", "kind": "waveform", "t": iso(end if t is None else t),
            "seq": 1, "data": data}


def refused(msg: dict) -> ProtocolError:
    with pytest.raises(ProtocolError) as exc:
        validate_telemetry(decode(encode(msg), allowed=CLIENT_TYPES))
    assert exc.value.code == ErrorCode.INVALID_ARGS
    return exc.value


def test_every_frame_of_a_simulated_monitor_is_valid_and_in_order():
    monitor = SimulatedMonitor("A1", "vf_cpr_rosc", T0)
    guard = StreamGuard()
    frames = monitor.frames_until(T0 + 5)
    assert {f["kind"] for f in frames} >= {"waveform", "vitals", "alarm"}
    for frame in frames:
        validate_telemetry(decode(encode(frame), allowed=CLIENT_TYPES))
        guard.check(frame)


def test_a_heart_rate_of_900_is_refused():
    assert refused(vitals(T0, hr=900)).field == "data.hr"


def test_an_spo2_of_140_is_refused():
    assert refused(vitals(T0, spo2=140)).field == "data.spo2"


def test_an_empty_vitals_frame_is_refused():
    refused(vitals(T0))


def test_an_unknown_channel_is_refused():
    err = refused(ecg_chunk(T0, channel="ECG_X9", mdc_code="MDC_ECG_ELEC_POTL_II"))
    assert err.field == "data.channel"


def test_a_channel_with_the_wrong_mdc_code_is_refused():
    refused(ecg_chunk(T0, mdc_code="MDC_ECG_ELEC_POTL_V1"))


def test_a_chunk_whose_sample_count_does_not_match_its_duration_is_refused():
    # 100 samples at 2 ms last 200 ms, but the frame says the chunk ended 400 ms after its start.
    err = refused(ecg_chunk(T0, 100, t=T0 + 0.4))
    assert "wrong sample count" in err.message


def test_a_chunk_with_more_than_2500_samples_is_refused():
    assert refused(ecg_chunk(T0, 2501)).field == "data.samples"


def test_a_frame_over_the_size_limit_is_refused_before_parsing():
    msg = ecg_chunk(T0, 2500)
    msg["data"]["samples"] = [10**9] * 2500
    msg["data"]["mdc_code"] = "x" * (MAX_FRAME_BYTES)
    with pytest.raises(ProtocolError) as exc:
        decode(encode(msg), allowed=CLIENT_TYPES)
    assert "larger than" in exc.value.message


def test_float_samples_are_refused():
    msg = ecg_chunk(T0, 10)
    msg["data"]["samples"] = [0.5] * 10
    assert "not an integer" in refused(msg).message


def test_device_time_going_backwards_is_refused():
    guard = StreamGuard()
    guard.check(vitals(T0 + 1, hr=70))
    with pytest.raises(ProtocolError) as exc:
        guard.check(vitals(T0, seq=2, hr=71))
    assert "non-monotonic" in exc.value.message
    with pytest.raises(ProtocolError):
        guard.check(vitals(T0 + 1, seq=3, hr=71))  # the same time twice


def test_an_overlapping_waveform_chunk_is_refused_but_a_gap_is_accepted():
    guard = StreamGuard()
    guard.check(ecg_chunk(T0, 100))
    with pytest.raises(ProtocolError) as exc:
        guard.check(ecg_chunk(T0 + 0.1, 100))  # starts 100 ms before the previous chunk ended
    assert exc.value.field == "data.start"
    guard.check(ecg_chunk(T0 + 1.0, 100))  # a gap: shown as a gap, not refused
    guard.check(ecg_chunk(T0 + 0.1, 100, channel="ECG_I"))  # other channels have their own clock
