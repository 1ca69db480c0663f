"""Alarm limits, priorities and the dispatcher's acknowledge / silence (app.alarms)."""

from __future__ import annotations

from app.alarms import (
    FLASH_HZ,
    SILENCE_S,
    AlarmCode,
    AlarmTracker,
    Limits,
    Priority,
    evaluate,
)


def test_transport_monitor_defaults_hr_50_to_150_is_quiet_outside_is_medium():
    assert evaluate({"hr": 50}) == {}
    assert evaluate({"hr": 150}) == {}
    assert evaluate({"hr": 49}) == {AlarmCode.HR_LOW: Priority.MEDIUM}
    assert evaluate({"hr": 151}) == {AlarmCode.HR_HIGH: Priority.MEDIUM}


def test_spo2_below_90_is_medium_and_below_85_is_high():
    assert evaluate({"spo2": 90}) == {}
    assert evaluate({"spo2": 89}) == {AlarmCode.SPO2_LOW: Priority.MEDIUM}
    assert evaluate({"spo2": 84}) == {AlarmCode.SPO2_CRITICAL: Priority.HIGH}


def test_missing_stale_or_nonsense_values_raise_no_limit_alarm():
    assert evaluate({"hr": None, "spo2": float("nan"), "rr": "abc", "etco2": True}) == {}


def test_lethal_rhythms_are_high_even_when_the_device_says_low():
    present = evaluate({"hr": 80}, {"vf": "low", "lead_fault": "low"})
    assert present == {AlarmCode.VF: Priority.HIGH, "lead_fault": Priority.LOW}
    assert evaluate({}, rhythm="asystole") == {AlarmCode.ASYSTOLE: Priority.HIGH}


def test_an_unreadable_device_priority_counts_as_high():
    assert evaluate({}, {"mystery": "urgent!"}) == {"mystery": Priority.HIGH}


def test_the_higher_of_device_and_limit_priority_wins():
    assert evaluate({"hr": 170}, {"hr_high": "high"}) == {AlarmCode.HR_HIGH: Priority.HIGH}


def test_limits_can_be_changed_per_patient():
    assert evaluate({"hr": 45}, limits=Limits(hr_low=40)) == {}


def test_priorities_are_ordered_and_flash_as_iec_60601_1_8():
    assert Priority.HIGH > Priority.MEDIUM > Priority.LOW
    assert FLASH_HZ == {Priority.HIGH: 2.0, Priority.MEDIUM: 0.5, Priority.LOW: 0.0}


def test_a_new_high_alarm_flashes_and_sounds_until_acknowledged():
    tracker = AlarmTracker()
    assert tracker.update({AlarmCode.VF: Priority.HIGH}, now_s=0)
    assert tracker.flash_hz() == 2.0
    assert tracker.audible(0) == Priority.HIGH

    assert tracker.acknowledge()

    assert tracker.flash_hz() == 0.0
    assert tracker.audible(1) is None
    assert tracker.top().code == AlarmCode.VF and tracker.top().acknowledged


def test_acknowledge_latches_until_the_condition_clears_then_it_alarms_again():
    tracker = AlarmTracker()
    tracker.update({AlarmCode.HR_HIGH: Priority.MEDIUM}, 0)
    tracker.acknowledge()
    tracker.update({AlarmCode.HR_HIGH: Priority.MEDIUM}, 5)
    assert tracker.flash_hz() == 0.0  # still latched

    tracker.update({}, 10)  # cleared
    assert tracker.top() is None
    tracker.update({AlarmCode.HR_HIGH: Priority.MEDIUM}, 20)
    assert tracker.flash_hz() == 0.5
    assert not tracker.top().acknowledged


def test_a_rise_in_priority_cancels_the_acknowledgement():
    tracker = AlarmTracker()
    tracker.update({AlarmCode.SPO2_LOW: Priority.MEDIUM}, 0)
    tracker.acknowledge()
    tracker.update({AlarmCode.SPO2_LOW: Priority.HIGH}, 3)
    assert tracker.flash_hz() == 2.0


def test_silence_pauses_the_sound_for_two_minutes_but_not_the_flashing():
    tracker = AlarmTracker()
    tracker.update({AlarmCode.SPO2_CRITICAL: Priority.HIGH}, 0)
    tracker.silence(10)
    assert tracker.is_silenced(10 + SILENCE_S - 1)
    assert tracker.audible(20) is None
    assert tracker.flash_hz() == 2.0
    assert tracker.silence_left_s(70) == SILENCE_S - 60

    assert tracker.audible(10 + SILENCE_S) == Priority.HIGH  # the pause is over


def test_a_new_condition_during_silence_is_heard_at_once():
    tracker = AlarmTracker()
    tracker.update({AlarmCode.HR_HIGH: Priority.MEDIUM}, 0)
    tracker.silence(1)
    tracker.update({AlarmCode.HR_HIGH: Priority.MEDIUM, AlarmCode.VF: Priority.HIGH}, 5)
    assert tracker.audible(5) == Priority.HIGH


def test_alarms_are_listed_highest_first_unacknowledged_first():
    tracker = AlarmTracker()
    tracker.update({AlarmCode.HR_HIGH: Priority.MEDIUM, "battery": Priority.LOW}, 0)
    tracker.acknowledge()
    tracker.update({AlarmCode.HR_HIGH: Priority.MEDIUM, "battery": Priority.LOW,
                    AlarmCode.SPO2_LOW: Priority.MEDIUM, AlarmCode.VT: Priority.HIGH}, 4)
    assert [e.code for e in tracker.ordered()] == [AlarmCode.VT, AlarmCode.SPO2_LOW, AlarmCode.HR_HIGH, "battery"]
    assert tracker.flash_hz() == 2.0


def test_the_seats_ecg_heart_rate_drives_the_hr_limits_when_the_device_sends_none():
    assert evaluate({}, ecg_hr=42) == {AlarmCode.HR_LOW: Priority.MEDIUM}
    assert evaluate({"hr": 80}, ecg_hr=42) == {}  # the device's own HR comes first


def test_a_noisy_ecg_window_raises_a_low_technical_alarm_and_no_bradycardia():
    present = evaluate({}, ecg_hr=48, ecg_noise_reason="artefact")
    assert present == {AlarmCode.ECG_NOISE: Priority.LOW}
    assert evaluate({}, ecg_noise_reason="unmatched") == {AlarmCode.ECG_NOISE: Priority.LOW}


def test_fibrillation_or_no_beats_is_never_dismissed_as_ecg_noise():
    assert evaluate({}, {"vf": "high"}, ecg_noise_reason="fibrillation") == {AlarmCode.VF: Priority.HIGH}
    assert evaluate({}, ecg_noise_reason="few_beats") == {}
    assert evaluate({}, ecg_noise_reason="missing") == {}
