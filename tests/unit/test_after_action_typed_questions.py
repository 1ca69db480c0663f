"""The after-action report lists the questions the trainee typed to the caller, each with the
caller's reply and whether the caller understood it, on the call's timeline, in both languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.protocol import format_ts
from app.sim.after_action import Report, TraineeReport, TrainingLog, step_text, to_html, to_pdf
from app.sim.scoring import Score

T0 = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
CALL = "sim1-0-1"
INCIDENT = "3f6d1b2a-8c4e-4f7a-9b0c-5d2e1a3f4b6c"


def run_events() -> list[dict]:
    seq = 0

    def ev(wall_s: float, name: str, role: str = "seat", /, **data) -> dict:
        nonlocal seq
        seq += 1
        return {"type": "event", "seq": seq, "ts": format_ts(T0 + timedelta(seconds=wall_s)), "name": name,
                "actor": {"id": role, "role": role}, "data": data}

    return [
        ev(0, "training.clock_set", "switch", run_id="run-1", paused=False, time_scale=1),
        ev(1, "call.received", "switch", call_id=CALL, caller_number="13900001111"),
        ev(3, "call.answered", call_id=CALL, seat_id="seat-1"),
        ev(5, "incident.created", incident_id=INCIDENT, call_id=CALL, address="摩纳哥港"),
        ev(9, "training.asked", call_id=CALL, seat_id="seat-1", text="他还有呼吸吗？"),
        # A panicking caller blurts out the address first; that is not the reply.
        ev(11, "training.caller_said", "switch", call_id=CALL, zh="在港口这边！", en="By the harbour!",
           via="voice", question="location_confirmed", answer="confirmed"),
        ev(13, "training.caller_said", "switch", call_id=CALL, zh="没有，胸口不动", en="No, his chest isn't moving",
           via="voice", question="breathing_normally", answer="no"),
        # The trainer, speaking as the caller, answers nothing the trainee typed.
        ev(14, "training.asked", call_id=CALL, seat_id="seat-1", text="你喜欢什么颜色？"),
        ev(15, "training.caller_said", "trainer", call_id=CALL, zh="快点来啊！", en="Hurry!", via="voice"),
        ev(17, "training.caller_said", "switch", call_id=CALL, zh="我不知道……", en="I don't know…", via="voice"),
        ev(20, "training.asked", call_id=CALL, seat_id="seat-1", text="Is he awake?"),
    ]


def folded() -> TrainingLog:
    log = TrainingLog()
    for event in run_events():
        log.add(event)
    return log


def test_each_typed_question_has_its_reply_and_whether_the_caller_understood_it():
    record = folded().calls[CALL]
    breathing, colour, awake = record.typed
    assert (breathing.at_s, breathing.text, breathing.understood_as) == (8.0, "他还有呼吸吗？",
                                                                         ("case_entry", "breathing_normally"))
    assert (breathing.reply_zh, breathing.reply_en, breathing.reply_s) == (
        "没有，胸口不动", "No, his chest isn't moving", 12.0)
    assert not colour.understood and colour.reply_zh == "我不知道……"  # not the trainer's "快点来啊！"
    assert awake.understood and awake.reply_zh is None  # asked as the run ended: no reply yet


def test_the_timeline_shows_the_typed_question_the_reply_and_the_understanding_in_both_languages():
    record = folded().calls[CALL]
    typed = [s for s in record.steps if s.kind == "typed"]
    assert [s.at_s for s in typed] == [8.0, 13.0, 19.0]
    # A reply shows on its question's line; the caller's other words keep lines of their own.
    assert [s.detail for s in record.steps if s.kind == "caller"] == ["在港口这边！", "快点来啊！"]
    zh = step_text(typed[0], "zh")
    assert zh.startswith("向呼救者提问: “他还有呼吸吗？” → 答 (+4 s): “没有，胸口不动”；理解为 ")
    assert "患者呼吸正常吗" in zh
    en = step_text(typed[0], "en")
    assert en.startswith('typed to the caller: "他还有呼吸吗？" → reply (+4 s): "No, his chest isn\'t moving"; '
                         "understood as ")
    assert "breathing normally" in en
    assert step_text(typed[1], "en").endswith("; not understood")
    assert step_text(typed[1], "zh").endswith("；未理解")
    assert "no reply yet" in step_text(typed[2], "en") and "尚未回答" in step_text(typed[2], "zh")


def test_the_html_and_pdf_reports_carry_the_typed_questions():
    log = folded()
    report = Report(scenario="demo", run="run-x", date="2026-12-05", injected=(), trainees=(
        TraineeReport("seat-1", "调度席1", Score(scenario="demo", score=50.0, items=()),
                      tuple(log.calls.values()), ()),))
    page = to_html(report, language="en")
    assert "typed to the caller: &quot;你喜欢什么颜色？&quot; → reply (+3 s): &quot;I don&#x27;t know…&quot;" in page
    assert to_pdf(report, language="zh").startswith(b"%PDF")
