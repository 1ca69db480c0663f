"""The simulated caller's voice: a trainee hears the caller's line, made by espeak-ng once
and then taken from the seat's cache; a seat without espeak-ng stays silent, never crashes."""

from __future__ import annotations

import logging
import shutil
import stat

import pytest

from app.settings import ENV_MACHINE_CONFIG, ENV_USER_CONFIG, load_settings
from app.sim.voice import VOICES, Synthesiser, Voice, voice_for, wav_duration_s

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
NOT_BREATHING = "患者没有呼吸"


@needs_espeak
def test_the_callers_chinese_line_becomes_a_wav_as_long_as_someone_saying_it(tmp_path):
    speech = Synthesiser(tmp_path).synthesise(NOT_BREATHING, voice_for("zh_CN"))

    assert speech.ok and speech.error is None and not speech.cached
    assert speech.wav is not None and speech.wav.parent == tmp_path
    # Six syllables at a caller's pace: more than a blip, less than dictation (~0.37 s each).
    assert 0.8 < wav_duration_s(speech.wav) < 2.2


@needs_espeak
def test_the_caller_talks_faster_than_espeak_ngs_dictation_pace(tmp_path):
    synth = Synthesiser(tmp_path)
    line = "没有，他胸口不动，也没有声音"
    caller = wav_duration_s(synth.synthesise(line, VOICES["zh_CN"]).wav)
    dictation = wav_duration_s(synth.synthesise(line, Voice("cmn", 175)).wav)
    assert caller < 0.8 * dictation


@needs_espeak
def test_an_english_seat_hears_the_english_voice(tmp_path):
    synth = Synthesiser(tmp_path)
    speech = synth.synthesise("No, his chest isn't moving.", voice_for("en"))
    assert speech.ok and speech.voice.name == "en"
    assert speech.wav != synth.cache_path("No, his chest isn't moving.", voice_for("zh_CN"))
    assert wav_duration_s(speech.wav) > 0.8


@needs_espeak
def test_a_line_heard_before_comes_from_the_cache_without_running_espeak_ng(tmp_path):
    synth = Synthesiser(tmp_path)
    first = synth.synthesise(NOT_BREATHING, voice_for("zh_CN"))
    assert synth.runs == 1

    synth.executable = "espeak-ng-is-not-here"  # would fail if it were run again
    again = synth.synthesise(NOT_BREATHING, voice_for("zh_CN"))

    assert again.ok and again.cached and again.wav == first.wav
    assert synth.runs == 1
    # A new seat process with the same cache directory finds it too.
    assert Synthesiser(tmp_path, executable="espeak-ng-is-not-here").synthesise(
        NOT_BREATHING, voice_for("zh_CN")).cached


@needs_espeak
def test_a_line_starting_with_a_dash_is_spoken_not_taken_as_an_option(tmp_path):
    speech = Synthesiser(tmp_path).synthesise(f"-s 1 -w {tmp_path / 'x.wav'} 我在门口", voice_for("zh_CN"))
    assert speech.ok
    assert wav_duration_s(speech.wav) > 1.0
    assert sorted(p.name for p in tmp_path.iterdir()) == [speech.wav.name]


def test_a_seat_without_espeak_ng_gets_a_clear_error_and_one_log_line(tmp_path, caplog):
    synth = Synthesiser(tmp_path, executable="espeak-ng-is-not-here")
    with caplog.at_level(logging.WARNING, logger="app.sim.voice"):
        first = synth.synthesise(NOT_BREATHING, voice_for("zh_CN"))
        second = synth.synthesise("我在门口", voice_for("zh_CN"))

    assert not first.ok and not second.ok
    assert "espeak-ng-is-not-here not found" in first.error and "install" in first.error
    assert [r.getMessage() for r in caplog.records] == [f"the caller's voice is silent: {first.error}"]
    assert synth.runs == 0


@needs_espeak
def test_a_voice_espeak_ng_does_not_have_is_an_error_and_leaves_no_file(tmp_path, caplog):
    synth = Synthesiser(tmp_path)
    with caplog.at_level(logging.WARNING, logger="app.sim.voice"):
        speech = synth.synthesise(NOT_BREATHING, Voice("nosuchvoice", 260))  # ("no-…" would be Norwegian)
    assert not speech.ok
    assert "failed (exit 1)" in speech.error and "does not exist" in speech.error
    assert "not spoken" in caplog.text
    assert list(tmp_path.iterdir()) == []


def test_a_stuck_espeak_ng_is_killed_after_the_timeout(tmp_path):
    stuck = tmp_path / "stuck-espeak"
    stuck.write_text("#!/bin/sh\nexec sleep 30\n")
    stuck.chmod(stuck.stat().st_mode | stat.S_IXUSR)
    cache = tmp_path / "cache"
    speech = Synthesiser(cache, executable=str(stuck), timeout_s=0.2).synthesise(NOT_BREATHING, voice_for("zh_CN"))
    assert not speech.ok and "took longer than 0.2 s" in speech.error
    assert list(cache.iterdir()) == []


def test_nothing_to_say_runs_nothing(tmp_path):
    synth = Synthesiser(tmp_path)
    speech = synth.synthesise(" \n\t ", voice_for("zh_CN"))
    assert not speech.ok and synth.runs == 0


def test_an_unknown_seat_language_speaks_chinese():
    assert voice_for("fr") == VOICES["zh_CN"]
    assert voice_for("en").name == "en"


def test_a_training_centre_may_turn_the_callers_voice_off_in_the_machine_file(tmp_path):
    machine, user = tmp_path / "machine.toml", tmp_path / "user.toml"
    env = {ENV_MACHINE_CONFIG: str(machine), ENV_USER_CONFIG: str(user)}
    assert load_settings(env=env).caller_voice is True  # on by default (used only in training)

    machine.write_text("caller_voice = false\n")
    assert load_settings(env=env).caller_voice is False

    user.write_text('caller_voice = "loud"\n')  # not a boolean: skipped alone, with its line
    settings = load_settings(env=env)
    assert settings.caller_voice is False
    assert [(p.line, "caller_voice" in str(p)) for p in settings.problems] == [(1, True)]
