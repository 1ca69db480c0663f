"""What the call already tells the questionnaire: the switch's caller number pre-answers the
callback question, and a precise location puts the two arrest questions (awake? breathing
normally?) before the address. Without them the case entry asks as it always did; in every
order the same answers reach the same determinant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.triage import DEFAULT_PROTOCOL_DIR, CallFacts, TriageSession, call_facts, load_protocol_set
from app.triage.call_facts import callback_number, precise_fix
from app.triage.engine import run_case
from app.triage.vignettes import DEFAULT_VIGNETTE_DIR, load_vignettes

NOW = datetime(2026, 12, 6, 3, 0, tzinfo=UTC)
NUMBER = "13800138000"


@pytest.fixture(scope="module")
def protocols():
    return load_protocol_set(DEFAULT_PROTOCOL_DIR)


def _ts(seconds_ago: float) -> str:
    return (NOW - timedelta(seconds=seconds_ago)).isoformat().replace("+00:00", "Z")


def gps(accuracy_m=15.0, seconds_ago=5.0, lat=29.5600, lon=106.5700, source="gps"):
    return {"source": source, "lat": lat, "lon": lon, "accuracy_m": accuracy_m, "at": _ts(seconds_ago)}


def asked(session: TriageSession, keys: list[str]) -> list[str]:
    """Answer ``keys`` in turn; return the id of each question as it was asked."""
    order = []
    for key in keys:
        assert session.current is not None
        order.append(session.current.id)
        session.answer(key)
    return order


# ---------------------------------------------------------------- the old order, kept


def test_without_the_number_or_a_fix_the_address_and_callback_come_first(protocols):
    session = TriageSession(protocols, CallFacts(caller_number=None, location_precise=False))
    order = asked(session, ["confirmed", "confirmed", "collapsed", "no", "no"])
    assert order == ["location_confirmed", "callback_number", "what_happened", "conscious", "breathing_normally"]
    assert session.arrest_recognised


# ---------------------------------------------------------------- caller number from the switch


def test_the_switch_number_answers_the_callback_question_without_asking_it(protocols):
    session = TriageSession(protocols, CallFacts(caller_number=NUMBER))
    order = asked(session, ["confirmed", "collapsed", "no", "no"])
    assert order == ["location_confirmed", "what_happened", "conscious", "breathing_normally"]
    step = next(s for s in session.steps if s.question_id == "callback_number")
    assert (step.answer_key, step.from_call, step.carried) == ("confirmed", True, False)
    assert session.arrest_recognised


def test_the_dispatcher_can_still_ask_the_callback_question_and_record_another_number(protocols):
    session = TriageSession(protocols, CallFacts(caller_number=NUMBER))
    session.answer("confirmed")  # the address
    session.reask("callback_number")
    assert session.current is not None and session.current.id == "callback_number"
    session.answer("other_number")
    step = next(s for s in session.steps if s.question_id == "callback_number")
    assert (step.answer_key, step.from_call) == ("other_number", False)
    assert session.current.id == "what_happened"
    session.back()  # undo the other number: the re-ask is still in force, the question is open
    assert session.current.id == "callback_number"
    session.back()  # undo the re-ask: the switch's number again
    assert session.current.id == "what_happened"


# ---------------------------------------------------------------- precise location first


def test_a_precise_location_asks_awake_and_breathing_before_the_address(protocols):
    session = TriageSession(protocols, CallFacts(caller_number=NUMBER, location_precise=True))
    order = asked(session, ["no", "no"])
    assert order == ["conscious", "breathing_normally"]
    assert session.arrest_recognised  # not waiting for the address or "what happened"
    order += asked(session, ["confirmed", "collapsed", "adult"])
    assert order[2:] == ["location_confirmed", "what_happened", "q_age"]
    assert session.result is not None and session.result.code == "01-A-1" and session.result.cpr
    # The route lists the questions in the order asked, each once; the callback from the switch.
    assert [s.question_id for s in session.steps if s.protocol_id == "case_entry"] == [
        "conscious", "breathing_normally", "location_confirmed", "callback_number", "what_happened"]


def test_an_awake_patient_with_a_precise_location_goes_on_with_the_address(protocols):
    session = TriageSession(protocols, CallFacts(location_precise=True))
    order = asked(session, ["yes", "confirmed", "confirmed", "described", "adult", "male", "no", "chest_pain"])
    assert order == ["conscious", "location_confirmed", "callback_number", "what_happened", "age", "sex",
                     "breathing_awake", "chief_complaint"]
    assert session.protocol.id == "chest_pain"


def test_a_hazard_reported_after_the_two_questions_still_gets_the_scene_safety_question(protocols):
    session = TriageSession(protocols, CallFacts(caller_number=NUMBER, location_precise=True))
    asked(session, ["no", "no", "confirmed", "electrocution"])
    assert session.current is not None and session.current.id == "scene_safe"
    session.answer("safe")
    assert session.protocol.id == "cardiac_arrest"


def test_a_fix_that_arrives_later_reorders_only_what_is_not_asked_yet(protocols):
    session = TriageSession(protocols, CallFacts(caller_number=NUMBER))
    session.answer("confirmed")  # the address, asked first: no fix yet
    session.set_call(CallFacts(caller_number=NUMBER, location_precise=True))
    assert session.current is not None and session.current.id == "conscious"
    asked(session, ["no", "no"])
    assert session.arrest_recognised


def test_every_vignette_reaches_the_same_determinant_whatever_the_call_tells(protocols):
    suite, problems = load_vignettes(DEFAULT_VIGNETTE_DIR)
    assert not problems and suite
    for vignette in suite:
        case = {"complaint": vignette.complaint, "answers": dict(vignette.answers)}
        plain = run_case(protocols, case)
        for facts in (CallFacts(caller_number=NUMBER), CallFacts(location_precise=True),
                      CallFacts(caller_number=NUMBER, location_precise=True)):
            other = run_case(protocols, case, call=facts)
            assert (other["determinant"], other["arrest_recognised"]) == (
                plain["determinant"], plain["arrest_recognised"]), (vignette.id, facts)


# ---------------------------------------------------------------- what counts as known


@pytest.mark.parametrize(("number", "expected"), [
    (NUMBER, NUMBER), ("+86 23 6388 1234", "+86 23 6388 1234"), ("", None), ("0", None), ("*", None),
    ("anonymous", None), (None, None),
])
def test_a_withheld_or_absent_number_is_not_a_callback_number(number, expected):
    assert callback_number(number) == expected


@pytest.mark.parametrize(("locations", "precise"), [
    ([gps()], True),
    ([gps(source="caller_link", accuracy_m=30)], True),
    ([gps(accuracy_m=120)], False),                                # too coarse
    ([gps(seconds_ago=600)], False),                               # too old
    ([{"source": "gps", "lat": 29.56, "lon": 106.57, "accuracy_m": 10}], False),  # no time
    ([gps(source="cell", accuracy_m=40)], False),                  # cell is never precise
    ([{"source": "landline_address", "address": "渝中区较场口"}], False),  # text only
    ([gps(), gps(lat=29.60, accuracy_m=20)], False),               # contradicted (≈4.4 km apart)
    ([gps(), gps(source="cell", accuracy_m=800, lat=29.561)], True),  # a coarse cell fix agreeing
    ([], False),
])
def test_only_a_fresh_accurate_uncontradicted_handset_fix_is_precise(locations, precise):
    assert (precise_fix(locations, NOW) is not None) is precise
    assert call_facts({"caller_number": NUMBER, "locations": locations}, NOW).location_precise is precise


def test_a_caller_who_cannot_tell_yet_gets_the_address_and_scene_safety_first(protocols):
    # Not at the patient (a collision, a trapped driver): "cannot tell" must not lead on to
    # "breathing normally? not sure" = arrest; what happened and scene safety come first.
    session = TriageSession(protocols, CallFacts(caller_number=NUMBER, location_precise=True))
    order = asked(session, ["unknown", "confirmed", "traffic_collision"])
    assert order == ["conscious", "location_confirmed", "what_happened"]
    assert session.current is not None and session.current.id == "scene_safe"
    assert not session.arrest_recognised
    session.answer("traffic")
    assert session.result is not None and session.result.code == "00-A-5"


def test_the_dispatcher_can_hand_the_early_questions_back_to_the_usual_order(protocols):
    session = TriageSession(protocols, CallFacts(location_precise=True))
    assert session.asking_located_first
    assert session.defer_located_first()
    assert session.current is not None and session.current.id == "location_confirmed"
    assert not session.defer_located_first()  # nothing early is being asked any more
    session.back()
    assert session.current.id == "conscious"


@pytest.mark.parametrize(("located_first", "problem"), [
    ("located_first:\n  - question: not_a_question\n", "'not_a_question' is not a question of this file"),
    ("located_first:\n  - question: conscious\n    go_on: [maybe]\n", "conscious has no answer 'maybe'"),
    ("located_first:\n  - question: conscious\n    go_on: [\"yes\"]\n  - question: breathing_normally\n",
     "no go_on answer of conscious leads to 'breathing_normally'"),
])
def test_a_located_first_rule_that_cannot_be_followed_is_refused_with_its_reason(tmp_path, located_first, problem):
    import shutil

    from app.triage import ProtocolSetError

    directory = tmp_path / "protocols"
    shutil.copytree(DEFAULT_PROTOCOL_DIR, directory)
    path = directory / "case_entry.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("located_first:")
    end = text.index("questions:", start)
    path.write_text(text[:start] + located_first + text[end:], encoding="utf-8")
    with pytest.raises(ProtocolSetError) as caught:
        load_protocol_set(directory)
    assert problem in str(caught.value)
