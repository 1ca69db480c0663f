"""After-action report of a training run: per trainee and call, the timeline against the targets.

Everything comes from the run's event log (``training-events.sqlite`` in the run's work
directory, opened read-only) and the scenario recorded beside it (``scenario.yaml``):

* :class:`TrainingLog` folds the events, one at a time, into what each call went through
  and what the trainee did on it (answered, questions asked, questions typed to the caller
  with the caller's reply, the caller's words, arrest recognised, CPR instructions,
  priority, units sent), in **scenario seconds** from the call's arrival. The trainer's console feeds it live; the report feeds it from the log.
* :class:`ScenarioTime` maps the server's timestamps to scenario time from the run's
  ``training.clock_set`` events (the runner announces its clock at start; the trainer's
  pauses and speed changes follow), so a paused minute is not a minute of delay.
* :func:`build_report` scores each trainee's calls with :func:`app.sim.scoring.score_run`
  (targets and weights: ``docs/training.md``) and reads their history; :func:`to_html`
  and :func:`to_pdf` render it (the PDF embeds the WenQuanYi font for the Chinese text).
* :func:`record_history` keeps one line per run and trainee in a small JSON file in the
  training data directory (``training-history.json``) — never in a real centre's records.

A trainee is a seat of the training centre (its principal id and name). Qt-free.
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.protocol import Message, format_ts, parse_ts
from app.sim.scenario import Scenario, load_scenario
from app.sim.scoring import Item, Score, score_run
from app.sim.switch import script_place

DB_NAME = "training-events.sqlite"  # as app.sim.runner writes it
SCENARIO_NAME = "scenario.yaml"
HISTORY_NAME = "training-history.json"
FONT_PATH = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
FORMATS = ("html", "pdf")


class ReportError(Exception):
    """The run's directory cannot be reported on; the message says why."""


# ---------------------------------------------------------------- scenario time


class ScenarioTime:
    """Server time → scenario seconds, from the run's ``training.clock_set`` events.

    Before the first one the clock is taken as running at 1× (a log without any: an old run).
    Feed every event to :meth:`add` in ``seq`` order; :meth:`at` then maps any later moment.
    """

    def __init__(self) -> None:
        self._wall = 0.0  # the last change, server epoch seconds
        self._scenario = 0.0  # scenario seconds at that change
        self._scale = 1.0
        self._paused = False
        self._started = False

    def add(self, event: Message) -> None:
        if event["name"] != "training.clock_set":
            return
        wall = parse_ts(event["ts"]).timestamp()
        if self._started:
            self._scenario = self._at(wall)
        self._started = True
        self._wall = wall
        self._scale = float(event["data"]["time_scale"])
        self._paused = bool(event["data"]["paused"])

    def at(self, ts: str) -> float:
        """Scenario seconds at server timestamp ``ts`` (not before the last clock change)."""
        return self._at(parse_ts(ts).timestamp())

    def _at(self, wall: float) -> float:
        if not self._started:
            self._started, self._wall = True, wall
        if self._paused:
            return self._scenario
        return self._scenario + max(0.0, wall - self._wall) * self._scale

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def time_scale(self) -> float:
        return self._scale


# ---------------------------------------------------------------- what happened on each call


@dataclass
class TypedQuestion:
    """A question the trainee typed to the simulated caller (``training.asked``) and the reply.

    ``understood_as``: the protocol question the caller took it for, ``(protocol, question)``
    ids — found again with the switch's own matcher (:func:`app.sim.ask.shipped_matcher`, the
    call's protocols first), so it is what the caller understood; None: not understood (the
    caller said it did not know). The reply is the caller's next line on that question (a
    panicking caller's line about another question is not it); None until it is heard.
    """

    at_s: float  # scenario seconds from the call's arrival
    text: str
    understood_as: tuple[str, str] | None
    reply_zh: str | None = None
    reply_en: str | None = None
    reply_s: float | None = None

    @property
    def understood(self) -> bool:
        return self.understood_as is not None

    def reply(self, language: str) -> str | None:
        return self.reply_zh if language == "zh" else self.reply_en or self.reply_zh


@dataclass(frozen=True)
class Step:
    """One moment on a call's timeline: ``at_s`` scenario seconds after the call arrived.

    ``asked``: for a question, ``(protocol, question, answer)`` ids (shown as the answer's label).
    ``typed``: for a typed question, the question and (once heard) the caller's reply.
    """

    at_s: float
    kind: str  # see STEP_TEXT
    detail: str = ""
    asked: tuple[str, str, str] | None = None
    typed: TypedQuestion | None = field(default=None, compare=False, hash=False)


@dataclass
class CallRecord:
    """A call as the trainee worked it. ``index``: its place in the scenario (None: not scripted)."""

    call_id: str
    index: int | None
    received_s: float
    caller_number: str = ""
    seat_id: str | None = None  # the seat that answered it (else the last it rang at)
    incident_id: str | None = None
    answered_s: float | None = None
    questions: list[str] = field(default_factory=list)
    caller_lines: list[str] = field(default_factory=list)  # what the caller said (zh)
    arrest_s: float | None = None
    cpr_s: float | None = None
    priority: int | None = None
    units: list[str] = field(default_factory=list)
    ended: str | None = None  # "ended" | "abandoned"
    steps: list[Step] = field(default_factory=list)
    typed: list[TypedQuestion] = field(default_factory=list)  # the questions typed to the caller, in order
    # The protocols of the call's questionnaire so far (as the switch prefers them when it matches
    # a typed question), the caller's replies still due (the question each is about, and the typed
    # question it answers; None for a questionnaire step) and what the caller has said per question.
    protocols: list[str] = field(default_factory=lambda: ["case_entry"], repr=False)
    _due: list[tuple[str | None, TypedQuestion | None]] = field(default_factory=list, repr=False)
    _said: dict[str, str | None] = field(default_factory=dict, repr=False)

    def step(self, at_s: float, kind: str, detail: str = "", asked: tuple[str, str, str] | None = None,
             typed: TypedQuestion | None = None) -> None:
        self.steps.append(Step(round(at_s - self.received_s, 1), kind, detail, asked, typed))

    def question_answered(self, question: str, answer: str) -> None:
        """A questionnaire step: the caller replies to it, unless it carries what the caller already said."""
        if question in self._said and self._said[question] == answer:
            return
        self._due.append((question, None))

    def question_typed(self, at_s: float, text: str) -> TypedQuestion:
        """A typed question: the caller will reply as to the protocol question it means, or not know."""
        match = _match_typed(text, self.protocols)
        typed = TypedQuestion(round(at_s - self.received_s, 1), text, match)
        self.typed.append(typed)
        self._due.append((match[1] if match else None, typed))
        return typed

    def caller_replied(self, at_s: float, *, zh: str, en: str, question: str | None = None,
                       answer: str | None = None) -> TypedQuestion | None:
        """A line of the simulated caller (about ``question``, implying ``answer``): it answers the
        oldest question due about the same thing.

        Returns the typed question it answers (None: a questionnaire step's reply, or nothing due).
        """
        if question:
            self._said[question] = answer
        for i, (about, typed) in enumerate(self._due):
            if about == (question or None):
                del self._due[i]
                if typed is not None:
                    typed.reply_zh, typed.reply_en = zh, en
                    typed.reply_s = round(at_s - self.received_s, 1)
                return typed
        return None

    def asked(self) -> list[tuple[str, str, str]]:
        """The questions asked, in order: ``(protocol, question, answer)`` ids."""
        return [s.asked for s in self.steps if s.asked is not None]


class TrainingLog:
    """Folds a training run's events into :class:`CallRecord` s (per call, in arrival order).

    Feed events in ``seq`` order with :meth:`add` (it returns the call id the event was
    about, or None). ``events`` keeps them all (the scoring reads them again).
    """

    def __init__(self) -> None:
        self.time = ScenarioTime()
        self.calls: dict[str, CallRecord] = {}
        self.events: list[Message] = []
        self.injected: list[tuple[float, str, str]] = []  # (scenario s, kind, target)
        self.seat_names: dict[str, str] = {}
        self._call_of_incident: dict[str, str] = {}
        self._call_sign: dict[str, str] = {}

    def add(self, event: Message) -> str | None:
        self.events.append(event)
        self.time.add(event)
        name, data = event["name"], event["data"]
        now = self.time.at(event["ts"])
        if name == "principal.registered" and data.get("role") == "seat":
            self.seat_names[data["principal_id"]] = data.get("name") or data["principal_id"]
        elif name == "unit.registered":
            self._call_sign[data["unit_id"]] = data.get("call_sign") or data["unit_id"]
        elif name == "training.injected":
            self.injected.append((round(now, 1), data["kind"], data.get("target") or ""))
        if name == "call.received":
            place = script_place(data["call_id"])
            record = CallRecord(data["call_id"], place[1] if place and place[0] == 0 else None, now,
                                caller_number=data.get("caller_number") or "")
            self.calls[record.call_id] = record
            record.step(now, "received", record.caller_number)
            return record.call_id
        call_id = data.get("call_id") or self._call_of_incident.get(data.get("incident_id") or "")
        found = self.calls.get(call_id or "")
        if found is None:
            return None
        record = found
        if name == "call.ringing":
            record.seat_id = record.seat_id if record.answered_s is not None else data.get("seat_id")
        elif name == "call.answered":
            record.seat_id = data.get("seat_id") or record.seat_id
            if record.answered_s is None:
                record.answered_s = round(now - record.received_s, 1)
                record.step(now, "answered", record.seat_id or "")
        elif name == "incident.created":
            record.incident_id = data["incident_id"]
            self._call_of_incident[data["incident_id"]] = record.call_id
            record.step(now, "incident", data.get("address") or "")
            if data.get("priority") is not None:
                self._priority(record, now, data["priority"])
        elif name == "triage.answered":
            record.questions.append(data["question"])
            if data["protocol"] not in record.protocols:
                record.protocols.append(data["protocol"])
            record.question_answered(data["question"], data["answer"])
            record.step(now, "question", f"{data['question']} = {data['answer']}",
                        (data["protocol"], data["question"], data["answer"]))
        elif name == "training.asked":
            typed = record.question_typed(now, data["text"])
            record.step(now, "typed", data["text"], typed=typed)
        elif name == "training.caller_said":
            record.caller_lines.append(data["zh"])
            # The trainer's own lines (speaking as the caller) answer nothing the trainee typed.
            answered = None
            if (event.get("actor") or {}).get("role") != "trainer":
                answered = record.caller_replied(now, zh=data["zh"], en=data["en"], question=data.get("question"),
                                                 answer=data.get("answer"))
            if answered is None:  # a reply to a typed question shows on the question's line
                record.step(now, "caller", data["zh"])
        elif name == "triage.arrest_recognised":
            if record.arrest_s is None:
                record.arrest_s = round(now - record.received_s, 1)
                record.step(now, "arrest")
        elif name == "cpr.started":
            if record.cpr_s is None:
                record.cpr_s = round(now - record.received_s, 1)
                record.step(now, "cpr", str(data.get("variant") or ""))
        elif name == "incident.updated" and "priority" in data.get("changes", {}):
            self._priority(record, now, data["changes"]["priority"])
        elif name == "triage.completed":
            self._priority(record, now, data["priority"])
        elif name == "unit.assigned":
            sign = self._call_sign.get(data["unit_id"], data["unit_id"])
            record.units.append(sign)
            record.step(now, "dispatch", sign)
        elif name == "incident.located":
            record.step(now, "located", str(data.get("candidate_source") or data.get("source") or ""))
        elif name == "prenotify.sent":
            record.step(now, "prenotify", data["hospital_id"])
        elif name in ("call.ended", "call.abandoned"):
            if record.ended is None:
                record.ended = name.removeprefix("call.")
                record.step(now, record.ended)
        else:
            return None
        return record.call_id

    def _priority(self, record: CallRecord, now: float, priority: int | None) -> None:
        if priority is not None and priority != record.priority:
            record.priority = priority
            record.step(now, "priority", f"P{priority}")

    def by_seat(self) -> dict[str, list[CallRecord]]:
        """The calls each seat worked (answered, or last rang at), in arrival order."""
        seats: dict[str, list[CallRecord]] = {}
        for record in self.calls.values():
            seats.setdefault(record.seat_id or "", []).append(record)
        return seats

    def retimed(self) -> list[Message]:
        """The events with their ``ts`` replaced by scenario time (from an arbitrary epoch): what
        :func:`score_run` needs with ``time_scale=1`` when the run was paused or changed speed."""
        time = ScenarioTime()
        epoch = datetime(2000, 1, 1, tzinfo=UTC)
        out = []
        for event in self.events:
            time.add(event)
            out.append({**event, "ts": format_ts(epoch + timedelta(seconds=time.at(event["ts"])))})
        return out


# ---------------------------------------------------------------- the report


@dataclass(frozen=True)
class HistoryLine:
    run: str  # the run's work directory name
    scenario: str
    date: str  # ISO date of the run
    trainee: str
    score: float


@dataclass(frozen=True)
class TraineeReport:
    seat_id: str
    name: str
    score: Score
    calls: tuple[CallRecord, ...]
    history: tuple[HistoryLine, ...]  # earlier runs first, this one included


@dataclass(frozen=True)
class Report:
    scenario: str
    run: str
    date: str
    trainees: tuple[TraineeReport, ...]
    injected: tuple[tuple[float, str, str], ...]


def read_log(workdir: Path) -> tuple[Scenario, TrainingLog]:
    """The run's scenario and its event log, folded. Raises ReportError."""
    from sqlalchemy import column, select, table

    from app.records.kpi import KpiError, open_log

    workdir = Path(workdir)
    if not (workdir / DB_NAME).is_file():
        raise ReportError(f"{workdir}: no training run here (no {DB_NAME})")
    try:
        scenario = load_scenario(workdir / SCENARIO_NAME)
    except Exception as exc:  # ScenarioError, OSError: the run's own copy is unreadable
        raise ReportError(f"{workdir / SCENARIO_NAME}: {exc}") from None
    try:
        engine = open_log(workdir / DB_NAME)
    except KpiError as exc:
        raise ReportError(str(exc)) from None
    events = table("events", column("seq"), column("ts"), column("name"), column("actor_id"),
                   column("actor_role"), column("data"))
    log = TrainingLog()
    try:
        with engine.connect() as conn:
            for seq, ts, name, actor_id, actor_role, data in conn.execute(
                    select(events.c.seq, events.c.ts, events.c.name, events.c.actor_id, events.c.actor_role,
                           events.c.data).order_by(events.c.seq)):
                log.add({"type": "event", "seq": seq, "ts": ts, "name": name,
                         "actor": {"id": actor_id, "role": actor_role},
                         "data": json.loads(data) if isinstance(data, str | bytes) else data})
    finally:
        engine.dispose()
    return scenario, log


def score_seat(scenario: Scenario, log: TrainingLog, calls: Sequence[CallRecord]) -> Score:
    """The score of one trainee: the scripted calls they worked, against the targets."""
    index = {c.call_id: c.index for c in calls if c.index is not None}
    return score_run(scenario, log.retimed(), time_scale=1.0, call_index=index)


def build_report(workdir: Path, *, history: Path | None = None, record: bool = True) -> Report:
    """Read the run in ``workdir``, score each trainee, and (``record``) add it to the history.

    Args:
        workdir: the run's work directory (``dispatch120 sim serve --workdir``).
        history: the history file (default: ``training-history.json`` beside the run's directory,
            i.e. in the training data directory).
        record: add this run's scores to the history (replacing this run's earlier lines).

    Raises:
        ReportError: no run there, or its log or scenario cannot be read.
    """
    workdir = Path(workdir).resolve()
    scenario, log = read_log(workdir)
    first = log.events[0]["ts"] if log.events else format_ts(datetime.now(UTC))
    date = parse_ts(first).astimezone().date().isoformat()
    history_path = history or workdir.parent / HISTORY_NAME
    trainees = []
    lines = []
    for seat_id, calls in sorted(log.by_seat().items()):
        if not seat_id:
            continue  # calls nobody's seat rang for (abandoned in the queue): in no trainee's score
        score = score_seat(scenario, log, calls)
        name = log.seat_names.get(seat_id, seat_id)
        lines.append(HistoryLine(workdir.name, scenario.name, date, seat_id, score.score))
        trainees.append((seat_id, name, score, tuple(calls)))
    past = record_history(history_path, lines) if record else read_history(history_path) + lines
    return Report(
        scenario=scenario.name, run=workdir.name, date=date,
        trainees=tuple(TraineeReport(seat_id, name, score, calls,
                                     tuple(h for h in past if h.trainee == seat_id))
                       for seat_id, name, score, calls in trainees),
        injected=tuple(log.injected),
    )


def read_history(path: Path) -> list[HistoryLine]:
    """The history file's lines (an unreadable or missing file: none)."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return [HistoryLine(**line) for line in raw.get("runs", [])]
    except (OSError, ValueError, TypeError, AttributeError):
        return []


def record_history(path: Path, lines: Iterable[HistoryLine]) -> list[HistoryLine]:
    """Add ``lines`` to the history file (a run reported again replaces its lines); returns all."""
    new = list(lines)
    runs = {(line.run, line.trainee) for line in new}
    kept = [h for h in read_history(path) if (h.run, h.trainee) not in runs]
    every = sorted(kept + new, key=lambda h: (h.date, h.run, h.trainee))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"runs": [h.__dict__ for h in every]}, ensure_ascii=False, indent=1) + "\n",
                   encoding="utf-8")
    os.replace(tmp, path)
    return every


# ---------------------------------------------------------------- text

TEXT: Mapping[str, tuple[str, str]] = {
    "title": ("培训讲评报告", "After-action report"),
    "scenario": ("场景", "Scenario"),
    "run": ("培训场次", "Run"),
    "date": ("日期", "Date"),
    "trainee": ("学员（席位）", "Trainee (seat)"),
    "score": ("得分", "Score"),
    "call": ("来电", "Call"),
    "item": ("考核项", "Item"),
    "target": ("目标", "Target"),
    "actual": ("实际", "Actual"),
    "result": ("结果", "Result"),
    "met": ("达标", "met"),
    "missed": ("未达标", "missed"),
    "unscored": ("不计分", "not scored"),
    "timeline": ("时间线（秒，自来电起）", "Timeline (s from the call's arrival)"),
    "history": ("历次成绩", "History"),
    "injected": ("注入事件", "Injected events"),
    "none": ("无", "none"),
    "no_calls": ("未接到来电", "no calls"),
    "footer": ("培训数据，非真实记录", "Training data, not real records"),
    "understood_as": ("理解为", "understood as"),
    "not_understood": ("未理解", "not understood"),
    "no_reply": ("尚未回答", "no reply yet"),
    "reply": ("答", "reply"),
}
STEP_TEXT: Mapping[str, tuple[str, str]] = {
    "received": ("来电到达", "call received"),
    "answered": ("接听", "answered"),
    "incident": ("建立事件", "incident recorded"),
    "question": ("询问", "asked"),
    "caller": ("呼救者说", "caller said"),
    "typed": ("向呼救者提问", "typed to the caller"),
    "arrest": ("识别心脏骤停", "arrest recognised"),
    "cpr": ("开始指导胸外按压", "CPR instructions started"),
    "priority": ("确定优先级", "priority set"),
    "dispatch": ("派车", "unit assigned"),
    "located": ("确认地址", "location confirmed"),
    "prenotify": ("院前预通知", "hospital pre-notified"),
    "ended": ("挂断", "call ended"),
    "abandoned": ("呼救者挂断", "caller hung up"),
}
ITEM_TEXT: Mapping[str, tuple[str, str]] = {
    "answer": ("接听用时", "time to answer"),
    "arrest_recognition": ("识别心脏骤停用时", "time to arrest recognition"),
    "first_compression": ("首次按压指导用时", "time to first compression"),
    "dispatch": ("派车用时", "time to dispatch"),
    "priority": ("优先级正确", "right priority"),
    "capability": ("车辆能力正确", "right unit capability"),
    "hospital": ("送往医院正确", "right hospital"),
    "attach": ("重复来电并入原事件", "repeat call attached"),
    "location_confirmed": ("确认地址用时", "time to location confirmed"),
    "protocol": ("按规程问询", "protocol followed"),
    "prenotify": ("院前预通知", "pre-notification sent"),
}
INJECT_TEXT: Mapping[str, tuple[str, str]] = {
    "unit_breakdown": ("车辆故障", "unit breakdown"),
    "hospital_diversion": ("医院停收", "hospital diverting"),
    "server_drop": ("服务器中断", "server drop"),
    "second_call": ("同一事件再次来电", "second call about"),
}


def _t(table: Mapping[str, tuple[str, str]], key: str, language: str) -> str:
    pair = table.get(key)
    if pair is None:
        return key
    return pair[0] if language == "zh" else pair[1]


def _value(value: object, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}{unit}"
    return f"{value}{unit}" if isinstance(value, int) else str(value)


def item_row(item: Item, language: str) -> tuple[str, str, str, str, str]:
    """(call, item, target, actual, result) of a score item, as the report prints it."""
    call, _, key = item.id.partition(".")
    timed = isinstance(item.target, float)  # time targets are seconds; the others a value to match
    unit = " s" if timed else ""
    target = f"≤ {_value(item.target)}{unit}" if timed else (
        f"P{item.target}" if key == "priority" else str(item.target).upper() if key == "capability"
        else str(item.target))
    if item.actual is None:
        actual = "—"
    elif key == "priority" and isinstance(item.actual, int):
        actual = f"P{item.actual}"
    elif key == "capability" and isinstance(item.actual, str) and item.actual in ("als", "bls"):
        actual = item.actual.upper()
    else:
        actual = _value(item.actual, unit if isinstance(item.actual, float | int) else "")
    result = _t(TEXT, "unscored" if item.ok is None else "met" if item.ok else "missed", language)
    return call.removeprefix("call"), _t(ITEM_TEXT, key, language), target, actual, result


def step_text(step: Step, language: str) -> str:
    label = _t(STEP_TEXT, step.kind, language)
    if step.typed is not None:
        return f"{label}: {typed_text(step.typed, language)}"
    detail = answer_text(step.asked, language) if step.asked is not None else step.detail
    return f"{label}: {detail}" if detail else label


def typed_text(typed: TypedQuestion, language: str) -> str:
    """A typed question, the caller's reply (after how long) and whether the caller understood it."""
    zh = language == "zh"
    q_open, q_close = ("“", "”") if zh else ('"', '"')
    reply = typed.reply(language)
    if reply is None:
        heard = _t(TEXT, "no_reply", language)
    else:
        wait = "" if typed.reply_s is None else f" (+{typed.reply_s - typed.at_s:g} s)"
        heard = f"{_t(TEXT, 'reply', language)}{wait}: {q_open}{reply}{q_close}"
    if typed.understood_as is None:
        meant = _t(TEXT, "not_understood", language)
    else:
        meant = f"{_t(TEXT, 'understood_as', language)} {question_text(*typed.understood_as, language)}"
    sep = "；" if zh else "; "
    return f"{q_open}{typed.text}{q_close} → {heard}{sep}{meant}"


_PROTOCOLS: list[Any] = []


def _protocol_set() -> Any:
    """The shipped protocols, loaded once (None when they cannot be: the ids are shown then)."""
    if not _PROTOCOLS:
        from app.triage import DEFAULT_PROTOCOL_DIR, load_protocol_set

        try:
            _PROTOCOLS.append(load_protocol_set(DEFAULT_PROTOCOL_DIR))
        except Exception:  # a broken protocol directory: the ids still say what was asked
            _PROTOCOLS.append(None)
    return _PROTOCOLS[0]


def _match_typed(text: str, protocols: Sequence[str]) -> tuple[str, str] | None:
    """The ``(protocol, question)`` a typed question means, as the simulated switch matches it."""
    from app.sim.ask import shipped_matcher

    try:
        match = shipped_matcher().match(text, prefer_protocols=protocols)
    except Exception:  # the protocols cannot be loaded: the switch could not match either
        return None
    return (match.protocol_id, match.question_id) if match is not None else None


def question_text(protocol_id: str, question_id: str, language: str) -> str:
    """A protocol question's text ("患者呼吸正常吗？"); its id when unknown."""
    try:
        text = _protocol_set().protocol(protocol_id).questions[question_id].text
    except (AttributeError, KeyError, LookupError):
        return question_id
    return str(text.get(language, text.zh))


def answer_text(asked: tuple[str, str, str], language: str) -> str:
    """A question asked, as the protocol labels its answer ("地址已确认"); the ids when unknown."""
    protocol_id, question_id, answer = asked
    protocols = _protocol_set()
    try:
        found = protocols.protocol(protocol_id).questions[question_id].answer_for(answer)
    except (AttributeError, KeyError, LookupError):
        found = None
    if found is None:
        return f"{question_id} = {answer}"
    return str(found.label.get(language, found.label.zh))


def _items_of(score: Score, index: int | None) -> list[Item]:
    return [i for i in score.items if index is not None and i.id.startswith(f"call{index}.")]


def to_html(report: Report, *, language: str = "zh") -> str:
    """A standalone page (no remote resources), printable from a browser."""
    def t(key: str) -> str:
        return html.escape(_t(TEXT, key, language))

    e = html.escape
    out = [
        f'<!DOCTYPE html><html lang="{"zh-CN" if language == "zh" else "en"}"><head><meta charset="utf-8">',
        f"<title>{t('title')} — {e(report.scenario)}</title>",
        "<style>body{font-family:'WenQuanYi Micro Hei','Noto Sans CJK SC',sans-serif;margin:2em;color:#222}"
        "table{border-collapse:collapse;margin:.5em 0 1.2em}td,th{border:1px solid #bbb;padding:.25em .6em;"
        "text-align:left;vertical-align:top}th{background:#eef}.met{color:#1b5e20}.missed{color:#b71c1c;"
        "font-weight:bold}.score{font-size:1.6em;font-weight:bold}.banner{background:#b71c1c;color:#fff;"
        "padding:.3em .8em;display:inline-block}</style></head><body>",
        f'<div class="banner">{t("footer")}</div>',
        f"<h1>{t('title')}</h1>",
        f"<p>{t('scenario')}: {e(report.scenario)} · {t('run')}: {e(report.run)} · {t('date')}: {e(report.date)}</p>",
    ]
    if report.injected:
        out.append(f"<p>{t('injected')}: " + "; ".join(
            e(f"{at:g} s {_t(INJECT_TEXT, kind, language)} {target}".strip()) for at, kind, target in report.injected)
            + "</p>")
    for trainee in report.trainees:
        out.append(f"<h2>{t('trainee')}: {e(trainee.name)} ({e(trainee.seat_id)})</h2>")
        out.append(f'<p class="score">{t("score")}: {trainee.score.score:g} / 100</p>')
        for call in trainee.calls:
            out.append(f"<h3>{t('call')} {'' if call.index is None else call.index} · {e(call.call_id)}"
                       f" · {e(call.caller_number)}</h3>")
            items = _items_of(trainee.score, call.index)
            if items:
                out.append(f"<table><tr><th>{t('item')}</th><th>{t('target')}</th><th>{t('actual')}</th>"
                           f"<th>{t('result')}</th></tr>")
                for item in items:
                    _, label, target, actual, result = item_row(item, language)
                    css = "met" if item.ok else "missed" if item.ok is False else ""
                    out.append(f"<tr><td>{e(label)}</td><td>{e(target)}</td><td>{e(actual)}</td>"
                               f'<td class="{css}">{e(result)}</td></tr>')
                out.append("</table>")
            out.append(f"<table><tr><th>s</th><th>{t('timeline')}</th></tr>")
            for step in call.steps:
                out.append(f"<tr><td>{step.at_s:g}</td><td>{e(step_text(step, language))}</td></tr>")
            out.append("</table>")
        if not trainee.calls:
            out.append(f"<p>{t('no_calls')}</p>")
        out.append(f"<h3>{t('history')}</h3><table><tr><th>{t('date')}</th><th>{t('scenario')}</th>"
                   f"<th>{t('run')}</th><th>{t('score')}</th></tr>")
        for line in trainee.history:
            out.append(f"<tr><td>{e(line.date)}</td><td>{e(line.scenario)}</td><td>{e(line.run)}</td>"
                       f"<td>{line.score:g}</td></tr>")
        out.append("</table>")
    out.append("</body></html>\n")
    return "\n".join(out)


def to_pdf(report: Report, *, language: str = "zh", font: Path = FONT_PATH) -> bytes:
    """The report as PDF (A4), the Chinese font embedded (a subset). Raises ReportError without the font."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    if not Path(font).is_file():
        raise ReportError(f"the Chinese font {font} is missing (Debian: apt install fonts-wqy-microhei)")

    def t(key: str) -> str:
        return _t(TEXT, key, language)

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("wqy", "", str(font))
    pdf.set_title(f"{t('title')} — {report.scenario}")
    pdf.set_creator("dispatch120")
    pdf.set_margins(15, 15, 15)

    def footer_page() -> None:
        pdf.add_page()
        pdf.set_font("wqy", size=9)
        pdf.set_fill_color(183, 28, 28)
        pdf.set_text_color(255, 255, 255)
        pdf.cell(0, 6, t("footer"), fill=True, new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(34, 34, 34)
        pdf.set_fill_color(255, 255, 255)

    head = FontFace(emphasis=None, fill_color=(230, 234, 250))
    verdict = {True: FontFace(color=(27, 94, 32)), False: FontFace(emphasis="", color=(183, 28, 28))}
    grid = {"headings_style": head, "line_height": 5.5, "text_align": "LEFT", "cell_fill_mode": "ROWS",
            "cell_fill_color": (247, 247, 247)}
    for number, trainee in enumerate(report.trainees or (None,)):
        footer_page()
        pdf.set_font("wqy", size=18)
        pdf.cell(0, 11, t("title"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("wqy", size=10)
        pdf.multi_cell(0, 5.5, f"{t('scenario')}: {report.scenario}    {t('run')}: {report.run}    "
                       f"{t('date')}: {report.date}", new_x="LMARGIN", new_y="NEXT")
        if report.injected and number == 0:
            pdf.multi_cell(0, 5.5, f"{t('injected')}: " + "; ".join(
                f"{at:g} s {_t(INJECT_TEXT, kind, language)} {target}".strip() for at, kind, target in report.injected),
                new_x="LMARGIN", new_y="NEXT")
        if trainee is None:
            pdf.cell(0, 8, t("no_calls"), new_x="LMARGIN", new_y="NEXT")
            break
        pdf.ln(2)
        pdf.set_font("wqy", size=14)
        pdf.cell(0, 8, f"{t('trainee')}: {trainee.name} ({trainee.seat_id})    "
                       f"{t('score')}: {trainee.score.score:g} / 100", new_x="LMARGIN", new_y="NEXT")
        for call in trainee.calls:
            pdf.ln(2)
            pdf.set_font("wqy", size=12)
            pdf.cell(0, 7, f"{t('call')} {'' if call.index is None else call.index} · {call.call_id} · "
                           f"{call.caller_number}", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("wqy", size=9)
            items = _items_of(trainee.score, call.index)
            if items:
                with pdf.table(col_widths=(50, 30, 30, 25), **grid) as tbl:
                    tbl.row([t("item"), t("target"), t("actual"), t("result")])
                    for item in items:
                        _, label, target, actual, result = item_row(item, language)
                        row = tbl.row()
                        for text in (label, target, actual):
                            row.cell(text)
                        row.cell(result, style=verdict.get(item.ok))  # type: ignore[arg-type]
            with pdf.table(col_widths=(14, 121), **grid) as tbl:
                tbl.row(["s", t("timeline")])
                for step in call.steps:
                    tbl.row([f"{step.at_s:g}", step_text(step, language)])
        pdf.ln(2)
        pdf.set_font("wqy", size=12)
        pdf.cell(0, 7, t("history"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("wqy", size=9)
        with pdf.table(col_widths=(25, 45, 45, 20), **grid) as tbl:
            tbl.row([t("date"), t("scenario"), t("run"), t("score")])
            for line in trainee.history:
                tbl.row([line.date, line.scenario, line.run, f"{line.score:g}"])
    return bytes(pdf.output())


def write_report(workdir: Path, out: Path | None = None, *, fmt: str = "html", language: str = "zh",
                 history: Path | None = None) -> Path:
    """Build the report of the run in ``workdir`` and write it (default ``workdir/after-action.<fmt>``).

    Raises:
        ReportError: as :func:`build_report`, or the PDF font is missing.
        ValueError: an unknown format.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    report = build_report(Path(workdir), history=history)
    target = Path(out) if out is not None else Path(workdir) / f"after-action.{fmt}"
    if fmt == "html":
        target.write_text(to_html(report, language=language), encoding="utf-8")
    else:
        target.write_bytes(to_pdf(report, language=language))
    return target

