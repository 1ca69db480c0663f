"""The triage questionnaire: the dispatcher's main work area during a call.

Keyboard first. The current question is big; its answers are numbered:

* ``1``..``9`` answer at once; ↑/↓ move the highlight and Enter confirms it;
* Backspace goes back one step (undo the last answer or complaint change);
* Ctrl+K changes the chief complaint (type to search, Enter chooses) — answers
  that still apply are kept (the engine carries them over);
* Ctrl+T starts triage for the incident in the form (it starts by itself when a
  call is answered) and brings the questionnaire back from the CPR coach.

The breadcrumb says where the call is: case entry › chief complaint ›
question n of ~m. Each answer sends ``triage.answer`` (carried answers too,
so the audited path is the route the determinant came from); reaching a
determinant sends ``triage.complete`` (the server sets the incident's
priority, the queue shows it) and shows the result: code, priority I–IV in
its colour, the response plan, facts for the crew, the pre-arrival
instructions step by step (↓/N next, the current one highlighted) and the
case-exit advice. When the case entry recognises a cardiac arrest the panel
records ``triage.arrest_recognised`` at once and switches to the CPR coach.

What the call already tells changes what is asked aloud (``app.triage.call_facts``; the
protocol data says which answers): when the switch delivered the caller's number, the
callback question is answered from it and the number is shown (``C`` asks the question
after all); when the caller's location is precise, "awake?" and "breathing normally?" come
before the address (``A`` asks the address first instead).

A determinant may have *follow-up* questions (facts for the receiving hospital: blood
thinners, seizure at onset). They appear on the result page under the determinant, after
the priority was sent, so the unit can go at once: ``1``..``9`` answer the one shown,
Esc skips all that remain, Backspace undoes. Each answer is sent as ``triage.answer``
(after ``triage.complete``; the protocol files say it is a follow-up) and listed with the
facts for the crew. They never change the determinant and never block dispatch.

The incident is created (through the form, ``incident_for_dispatch``) at the
first answer, so every answer has an incident to belong to; the seat's outbox
keeps the order, so the server sees the incident before its answers.

Protocol texts follow the UI language (``zh`` by default); the panel's own
strings go through ``self.tr()``. GUI thread only.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.domain.triage import arrest_plan
from app.seat.store import SeatStore
from app.triage import DEFAULT_PROTOCOL_DIR, ProtocolLibrary, ProtocolSet, Step, TriageSession, call_facts
from app.triage.model import Determinant, Protocol
from widgets.clock import SeatClock
from widgets.command_runner import CommandRunner
from widgets.cpr_coach import CprCoach, now_ts
from widgets.keys import shortcut_hint
from widgets.labels import capability_text, priority_colours, priority_text, urgency_text
from widgets.message_area import Level

log = logging.getLogger(__name__)

# The keyboard's top row answers, left to right: 1..9 the first nine answers, 0 the tenth, - the
# eleventh and = the twelfth (the case entry's "what happened" has eleven). Each answer shows its
# key; one past the twelfth is reached with the arrows and Enter.
ANSWER_KEY_LABELS = "1234567890-="
_NUMBER_KEYS = {getattr(Qt.Key, f"Key_{n}"): n for n in range(1, 10)} | {
    Qt.Key.Key_0: 10, Qt.Key.Key_Minus: 11, Qt.Key.Key_Equal: 12}


def answer_key_label(number: int) -> str:
    """The key that answers the ``number``-th answer (1-based), as printed beside it; "" past the last key."""
    return ANSWER_KEY_LABELS[number - 1] if 1 <= number <= len(ANSWER_KEY_LABELS) else ""


def _answer_text(number: int, label: str) -> str:
    key = answer_key_label(number)
    return f"{key}   {label}" if key else f"    {label}"


class AnswerList(QListWidget):
    """The numbered answers: as tall as all its rows, never a list to scroll inside.

    A plain QListWidget asks for 192 px whatever it holds and may be squeezed to one row;
    a question has two to eleven answers and the dispatcher must see every key at once, so
    the list's size hint and minimum are the height of its rows (the panel around it asks
    its dock for that much, or scrolls as a whole, following the highlighted answer). A
    long list in a wide panel flows into two columns (1-6 | 7-11): the case entry's eleven
    answers in one column needed ~440 px with the question, more than a laptop at 150 %
    gives the panel (~320 px, tests/gui/test_layout_dpi.py).
    """

    TWO_COLUMNS_FROM = 7  # answers
    COLUMN_MIN_PX = 240

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFlow(QListWidget.Flow.TopToBottom)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        policy = QSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)
        self.currentRowChanged.connect(self._keep_current_in_view)

    def columns_for(self, width: int) -> int:
        inner = width - 2 * self.frameWidth()
        return 2 if self.count() >= self.TWO_COLUMNS_FROM and inner >= 2 * self.COLUMN_MIN_PX else 1

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt override)
        if self.count() == 0:
            return 2 * self.frameWidth() + 2
        columns = self.columns_for(width)
        row_height = max(self.sizeHintForRow(r) for r in range(self.count())) + 2 * self.spacing()
        rows = -(-self.count() // columns)
        return rows * row_height + 2 * self.frameWidth() + 2

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt override)
        return True

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(super().sizeHint().width(), self.heightForWidth(max(self.width(), 1)))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        return QSize(super().minimumSizeHint().width(), self.heightForWidth(max(self.width(), 1)))

    def refit(self) -> None:
        """After the answers changed or the width did: one or two columns, each row its full height."""
        columns = self.columns_for(self.width())
        self.setWrapping(columns > 1)
        if columns > 1:
            row_height = max(self.sizeHintForRow(r) for r in range(self.count())) + 2 * self.spacing()
            self.setGridSize(QSize(self.viewport().width() // columns, row_height))
        else:
            self.setGridSize(QSize())
        self.updateGeometry()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if self.columns_for(event.oldSize().width()) != self.columns_for(event.size().width()) or self.isWrapping():
            self.refit()

    def _keep_current_in_view(self, row: int) -> None:
        """The list does not scroll; the panel's scroll area (if any) shows the highlighted answer."""
        item = self.item(row)
        parent = self.parentWidget()
        while parent is not None and not isinstance(parent, QScrollArea):
            parent = parent.parentWidget()
        if item is None or parent is None:
            return
        rect = self.visualItemRect(item)
        centre = self.viewport().mapTo(parent.widget(), rect.center())
        parent.ensureVisible(centre.x(), centre.y(), 0, rect.height() // 2 + 4)


class CurrentPageStack(QStackedWidget):
    """A stack whose size hints are those of the page shown, not of its largest page.

    QStackedWidget asks for its largest page: the question page asked for the CPR coach's
    ~380 px even when a question and three answers need ~280 px, and on a laptop at 150 %
    the panel scrolled for a coach that was not there.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currentChanged.connect(lambda _index: self.updateGeometry())

    def _page(self) -> QWidget | None:
        return self.currentWidget()

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        page = self._page()
        return page.sizeHint() if page is not None else super().sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt override)
        page = self._page()
        return page.minimumSizeHint() if page is not None else super().minimumSizeHint()

    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt override)
        page = self._page()
        return page.hasHeightForWidth() if page is not None else super().hasHeightForWidth()

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt override)
        page = self._page()
        return page.heightForWidth(width) if page is not None else super().heightForWidth(width)


@functools.cache
def shared_library() -> ProtocolLibrary:
    """The seat's protocol library, loaded once per process (``resources/protocols``).

    A library that fails to load keeps ``current`` None and says why in ``problems``.
    """
    return ProtocolLibrary(DEFAULT_PROTOCOL_DIR)


def _key(step: Step) -> tuple[str, str, str]:
    return (step.protocol_id, step.question_id, step.answer_key)


class ComplaintPicker(QDialog):
    """Choose the chief complaint: type to filter (title, code, keywords), Enter chooses.

    Signals:
        chosen(str): the protocol id.
    """

    chosen = Signal(str)

    def __init__(self, protocols: ProtocolSet, language: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ComplaintPicker")
        self.setWindowTitle(self.tr("Change chief complaint"))
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText(self.tr("Type to search: 胸痛, stroke, 10 …"))
        self.list = QListWidget(self)
        self._entries: list[tuple[str, str]] = []  # (protocol id, search text)
        for protocol in sorted(protocols.protocols.values(), key=lambda p: (p.code, p.id)):
            title = protocol.title.get(language)
            words = " ".join(w for ws in protocol.keywords.values() for w in ws)
            item = QListWidgetItem(f"{protocol.code:02d}  {title}")
            item.setData(Qt.ItemDataRole.UserRole, protocol.id)
            self.list.addItem(item)
            search = f"{protocol.code:02d} {protocol.id} {protocol.title.zh} {protocol.title.en} {words}"
            self._entries.append((protocol.id, search.casefold()))
        self.list.setCurrentRow(0)
        self.filter.textChanged.connect(self._on_filter)
        self.filter.returnPressed.connect(self._choose_current)
        self.list.itemActivated.connect(lambda _item: self._choose_current())
        self.filter.installEventFilter(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.list)
        self.resize(420, 520)
        self.filter.setFocus()

    def _on_filter(self, text: str) -> None:
        needle = text.strip().casefold()
        first = None
        for row, (_pid, search) in enumerate(self._entries):
            hidden = bool(needle) and needle not in search
            self.list.item(row).setHidden(hidden)
            if not hidden and first is None:
                first = row
        if first is not None:
            self.list.setCurrentRow(first)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        # Up/Down in the search box move the highlight in the list.
        if watched is self.filter and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                step = 1 if key == Qt.Key.Key_Down else -1
                row = self.list.currentRow() + step
                while 0 <= row < self.list.count() and self.list.item(row).isHidden():
                    row += step
                if 0 <= row < self.list.count():
                    self.list.setCurrentRow(row)
                return True
        return super().eventFilter(watched, event)

    def _choose_current(self) -> None:
        item = self.list.currentItem()
        if item is None or item.isHidden():
            return
        self.chosen.emit(item.data(Qt.ItemDataRole.UserRole))
        self.accept()


class TriagePanel(QWidget):
    """The questionnaire, its result and the CPR coach, for the incident being worked.

    Args:
        protocols: returns the current protocol set (``ProtocolLibrary.current``), or None.
        ensure_incident: returns the incident id to record triage on, creating the
            incident first if needed (``IncidentForm.incident_for_dispatch``); None = cannot.
        language: returns the UI language (``zh_CN``/``en``) for the protocol texts.

    Signals:
        priority_reached(str, int): incident id and the triage priority (fill the form).
        arrest_recognised(str): incident id, the moment the arrest was recognised.
        instructions_floor(str): incident id; a time-critical instruction flow (choking, a
            birth under way, life-threatening bleeding: ``takes_floor`` in the protocol) was
            reached and should get the call screen, as the CPR coach does.
        leave_floor_requested(): Esc on the instructions (no follow-up question open).
    """

    priority_reached = Signal(str, int)
    arrest_recognised = Signal(str)
    instructions_floor = Signal(str)
    leave_floor_requested = Signal()

    def __init__(self, store: SeatStore, runner: CommandRunner, clock: SeatClock, *,
                 protocols: Callable[[], ProtocolSet | None],
                 ensure_incident: Callable[[], str | None],
                 language: Callable[[], str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TriagePanel")
        self._store = store
        self._runner = runner
        self._clock = clock
        self._protocols = protocols
        self._ensure_incident = ensure_incident
        self._language = language
        self.session: TriageSession | None = None
        self.incident_id: str | None = None
        self._call: dict[str, Any] | None = None
        self._route: list[Step] = []  # the route already sent as triage.answer
        self._arrest_sent = False
        self._completed: str | None = None  # determinant code already sent
        self._follow_up_sent: dict[tuple[str, str], str] = {}  # (protocol, question) → key last sent
        self.picker: ComplaintPicker | None = None
        store.events.call_changed.connect(self._on_call_changed)
        self.keystrokes = 0  # keys the panel acted on (the bench counts them)

        self.start_action = QAction(self)
        self.start_action.setShortcut(QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_T))
        self.start_action.triggered.connect(self.start_or_show)
        self.complaint_action = QAction(self)
        self.complaint_action.setShortcut(QKeySequence(Qt.Modifier.CTRL | Qt.Key.Key_K))
        self.complaint_action.triggered.connect(self.change_complaint)
        for action in (self.start_action, self.complaint_action):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)

        # ---- header: breadcrumb and progress
        self._title = QLabel(self)
        self._title.setObjectName("PanelTitle")
        self.breadcrumb = QLabel(self)
        self.breadcrumb.setObjectName("TriageBreadcrumb")
        self.progress = QProgressBar(self)
        self.progress.setObjectName("TriageProgress")
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)

        # ---- page 0: nothing running
        self.idle = QLabel(self)
        self.idle.setObjectName("TriageIdle")
        self.idle.setWordWrap(True)
        self.idle.setAlignment(Qt.AlignmentFlag.AlignCenter)

        # ---- page 1: the question
        question_page = QWidget(self)
        self.question = QLabel(question_page)
        self.question.setObjectName("TriageQuestion")
        self.question.setWordWrap(True)
        self.help = QLabel(question_page)
        self.help.setObjectName("TriageHelp")
        self.help.setWordWrap(True)
        self.answers = AnswerList(question_page)
        self.answers.setObjectName("TriageAnswers")
        self.answers.installEventFilter(self)
        self.route = QLabel(question_page)
        self.route.setObjectName("TriageRoute")
        self.route.setWordWrap(True)
        # What the call told without asking: the switch's callback number, a precise location.
        self.call_told = QLabel(question_page)
        self.call_told.setObjectName("TriageCallTold")
        self.call_told.setWordWrap(True)
        self.call_told.setVisible(False)
        self.hint = QLabel(question_page)
        self.hint.setObjectName("HintLine")
        self.hint.setWordWrap(True)
        q_layout = QVBoxLayout(question_page)
        q_layout.setContentsMargins(0, 4, 0, 0)
        q_layout.setSpacing(4)  # the case entry's eleven answers fit a laptop at 150 % (~320 px for the page)
        q_layout.addWidget(self.call_told)
        q_layout.addWidget(self.question)
        # The answers right under the question, the dispatcher's guidance after them: a help of
        # five lines (English, a laptop at 150 %) pushed answers out of sight.
        q_layout.addWidget(self.answers)
        q_layout.addWidget(self.help)
        q_layout.addWidget(self.route)
        q_layout.addWidget(self.hint)
        q_layout.addStretch(1)  # spare height under the hint, not inside the answers list

        # ---- page 2: the result
        result_page = QWidget(self)
        self.determinant = QLabel(result_page)
        self.determinant.setObjectName("TriageDeterminant")
        self.priority_chip = QLabel(result_page)
        self.priority_chip.setObjectName("PriorityChip")
        self.plan = QLabel(result_page)
        self.plan.setObjectName("TriagePlan")
        self.plan.setWordWrap(True)
        self.facts = QLabel(result_page)
        self.facts.setObjectName("TriageFacts")
        self.facts.setWordWrap(True)
        self.instructions = QListWidget(result_page)
        self.instructions.setObjectName("TriageInstructions")
        self.instructions.setWordWrap(True)
        self.instructions.installEventFilter(self)
        # Follow-up questions for the hospital, asked after the determinant (never blocking).
        self.follow_up_box = QWidget(result_page)
        self.follow_up_box.setObjectName("TriageFollowUp")
        self.follow_up_title = QLabel(self.follow_up_box)
        self.follow_up_title.setObjectName("TriageFollowUpTitle")
        self.follow_up_question = QLabel(self.follow_up_box)
        self.follow_up_question.setObjectName("TriageFollowUpQuestion")
        self.follow_up_question.setWordWrap(True)
        self.follow_up_answers = QLabel(self.follow_up_box)
        self.follow_up_answers.setObjectName("TriageFollowUpAnswers")
        self.follow_up_answers.setWordWrap(True)
        f_layout = QVBoxLayout(self.follow_up_box)
        f_layout.setContentsMargins(6, 4, 6, 4)
        f_layout.addWidget(self.follow_up_title)
        f_layout.addWidget(self.follow_up_question)
        f_layout.addWidget(self.follow_up_answers)
        self.follow_up_box.setVisible(False)
        self.exit_advice = QLabel(result_page)
        self.exit_advice.setObjectName("TriageExit")
        self.exit_advice.setWordWrap(True)
        self.result_hint = QLabel(result_page)
        self.result_hint.setObjectName("HintLine")
        self.result_hint.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.determinant, 1)
        top.addWidget(self.priority_chip)
        r_layout = QVBoxLayout(result_page)
        r_layout.setContentsMargins(0, 4, 0, 0)
        r_layout.addLayout(top)
        r_layout.addWidget(self.plan)
        r_layout.addWidget(self.follow_up_box)
        r_layout.addWidget(self.facts)
        r_layout.addWidget(self.instructions, 1)
        r_layout.addWidget(self.exit_advice)
        r_layout.addWidget(self.result_hint)

        # ---- page 3: the CPR coach
        self.coach = CprCoach(store, runner, clock, self, language=lambda: self.lang)
        self.coach.leave_requested.connect(self.show_questions)

        self.pages = CurrentPageStack(self)
        for page in (self.idle, question_page, result_page, self.coach):
            self.pages.addWidget(page)
        self._question_page = question_page
        self._result_page = result_page

        header = QHBoxLayout()
        header.addWidget(self._title)
        header.addWidget(self.breadcrumb, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.progress)
        layout.addWidget(self.pages, 1)
        # The question is read aloud to a frightened caller: big and readable at a glance.
        self.setStyleSheet(
            "#TriageQuestion { font-size: 20px; font-weight: bold; }"
            " #TriageAnswers { font-size: 16px; }"
            " #TriageAnswers::item { padding: 3px; }"
            " #TriageBreadcrumb { font-size: 14px; }"
            " #TriageCallTold { font-size: 14px; color: #1b5e20; }"
            " #TriageDeterminant { font-size: 18px; font-weight: bold; }"
            " #TriageFollowUp { background: #fff8e1; border: 1px solid #e0c36a; border-radius: 4px; }"
            " #TriageFollowUpQuestion { font-size: 16px; font-weight: bold; }"
            " #TriageFollowUpAnswers { font-size: 15px; }"
            " #TriageInstructions { font-size: 15px; }"
            " #CprTitle { font-size: 16px; font-weight: bold; }"
            " #CprSteps { font-size: 15px; }"
            " #CprRate, #CprCount { font-size: 16px; font-weight: bold; }"
            " #CprCycle { font-size: 14px; }"
        )
        self.retranslate_ui()

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt override)
        """The header's height and the shown page's (the scroll area around the panel asks this).

        The layout would add the tallest page's height for ``width`` (QStackedLayout asks every
        page, :class:`CurrentPageStack` cannot change that), so that is swapped for the page shown.
        """
        total = self.layout().totalHeightForWidth(width)
        page = self.pages.currentWidget()
        if total < 0 or page is None:
            return total
        every_page = self.pages.layout().totalHeightForWidth(width)
        shown = page.heightForWidth(width) if page.hasHeightForWidth() else page.sizeHint().height()
        return total - max(every_page, 0) + max(shown, page.minimumSizeHint().height())

    # ------------------------------------------------------------ starting
    @property
    def lang(self) -> str:
        return self._language() or "zh"

    def begin_call(self, call: dict[str, Any] | None) -> None:
        """A call was answered: a fresh questionnaire (the incident is made at the first answer)."""
        self._start(incident_id=None, call=call)

    def start_or_show(self) -> None:
        """Ctrl+T: start triage for the incident in the form, or bring the questions back."""
        if self.session is None:
            self._start(incident_id=None, call=None)
        else:
            self.show_questions()
        self.focus_answers()

    def _start(self, *, incident_id: str | None, call: dict[str, Any] | None) -> None:
        protocols = self._protocols()
        if protocols is None:
            self.session = None
            self._runner.notify(self.tr("No valid triage protocols are loaded; triage is unavailable."),
                                Level.ERROR)
            self.render()
            return
        if self.coach.compressing:
            self.coach.stop_compressions(None)
        self.incident_id = incident_id
        self._call = call
        self.session = TriageSession(protocols, call_facts(self._live_call(), self._clock.now()))
        self._route = []
        self._arrest_sent = False
        self._completed = None
        self._follow_up_sent = {}
        self.render()

    def _live_call(self) -> dict[str, Any] | None:
        """The call as the store has it now (location fixes arrive after the offer)."""
        if self._call is None:
            return None
        return self._store.state.calls.get(self._call.get("call_id")) or self._call

    def _on_call_changed(self, call_id: str) -> None:
        """A location fix arrived for this call: before the first answer, a precise one puts the
        arrest questions first. Once answers are given the order stays as it was asked."""
        session = self.session
        if session is None or self._call is None or call_id != self._call.get("call_id") or self._route:
            return
        facts = call_facts(self._live_call(), self._clock.now())
        if facts.location_precise and not session.call.location_precise:
            session.set_call(facts)
            self.render()

    def focus_answers(self) -> bool:
        """Put the keyboard where the next keystroke of the call goes: the current question's
        answers, the result's instructions, or the CPR coach. Returns False when no triage
        runs (the idle page takes no keys), so the caller can leave the focus where it is."""
        page = self.pages.currentIndex()
        target: QWidget | None = {1: self.answers, 2: self.instructions, 3: self.coach}.get(page)
        if target is None:
            return False
        target.setFocus(Qt.FocusReason.ShortcutFocusReason)
        return True

    def waiting_for_answer(self) -> bool:
        """A question (or a follow-up for the hospital) waits for the caller's answer."""
        session = self.session
        return session is not None and (session.current is not None or session.follow_up is not None)

    def follow_incident(self, incident_id: str | None) -> None:
        """The form shows another incident: keep this triage only if it belongs to it."""
        if incident_id == self.incident_id or (incident_id is not None and self.incident_id is None
                                               and self.session is not None and not self._route):
            return
        if self.session is not None and self.incident_id is not None and incident_id != self.incident_id:
            if self.coach.compressing:
                return  # never drop a running CPR coach because the dispatcher looked at the queue
            self.session = None
            self.incident_id = None
            self.render()

    # ------------------------------------------------------------ acting
    def answer_number(self, number: int) -> bool:
        """Answer the current question with its ``number``-th answer (1-based)."""
        session = self.session
        if session is None or session.current is None:
            return False
        answers = session.current.answers
        if not 1 <= number <= len(answers):
            return False
        return self.answer(answers[number - 1].key)

    def answer(self, key: str) -> bool:
        session = self.session
        if session is None or session.current is None:
            return False
        if self.incident_id is None:
            self.incident_id = self._ensure_incident()
            if self.incident_id is None:
                return False
        try:
            session.answer(key)
        except ValueError as exc:  # a key the question lacks: a bug, never a crash
            log.warning("triage answer refused: %s", exc)
            return False
        self._after_change()
        return True

    def ask_callback(self) -> bool:
        """C: ask the callback question after all (the switch's number is wrong or not callable)."""
        session = self.session
        if session is None or not any(step.from_call for step in session.steps):
            return False
        session.reask(next(step.question_id for step in session.steps if step.from_call))
        self._after_change()
        return True

    def ask_address_first(self) -> bool:
        """A: the caller cannot answer awake/breathing yet: ask in the usual order, address first."""
        if self.session is None or not self.session.defer_located_first():
            return False
        self._after_change()
        return True

    def answer_follow_up_number(self, number: int) -> bool:
        """Answer the open follow-up question with its ``number``-th answer (1-based)."""
        session = self.session
        question = session.follow_up if session is not None else None
        if session is None or question is None or not 1 <= number <= len(question.answers):
            return False
        session.answer_follow_up(question.answers[number - 1].key)
        self._after_change()
        return True

    def skip_follow_ups(self) -> bool:
        """Esc on the result page: leave the remaining follow-up questions unasked."""
        if self.session is None or not self.session.skip_follow_ups():
            return False
        self._after_change()
        return True

    def back(self) -> bool:
        if self.session is None or not self.session.back():
            return False
        self._route = self._route[: len(self.session.steps)]
        self._after_change()
        return True

    def change_complaint(self) -> None:
        """Ctrl+K: choose the chief complaint from a searchable list (non-blocking)."""
        protocols = self._protocols()
        if protocols is None:
            return
        if self.session is None:
            self.start_or_show()
            if self.session is None:
                return
        picker = ComplaintPicker(protocols, self.lang, self)
        self.picker = picker
        picker.chosen.connect(self.choose_complaint)
        picker.finished.connect(lambda _r: self._forget_picker(picker))
        picker.open()

    def _forget_picker(self, picker: ComplaintPicker) -> None:
        if self.picker is picker:
            self.picker = None
        picker.deleteLater()
        self.focus_answers()

    def choose_complaint(self, protocol_id: str) -> bool:
        session = self.session
        if session is None:
            return False
        if self.incident_id is None:
            self.incident_id = self._ensure_incident()
            if self.incident_id is None:
                return False
        try:
            session.choose_complaint(protocol_id)
        except ValueError as exc:
            log.warning("complaint refused: %s", exc)
            return False
        self._after_change()
        return True

    def show_questions(self) -> None:
        self.render(prefer_coach=False)
        self.focus_answers()

    def show_coach(self) -> None:
        if self._arrest_sent:
            self.pages.setCurrentIndex(3)
            self.coach.setFocus()

    def show_floor(self) -> None:
        """What has the call screen: the CPR coach once an arrest is recognised, else the instructions."""
        if self._arrest_sent:
            self.show_coach()
        elif self.session is not None and self.session.result is not None:
            self.render()
            self.instructions.setFocus()

    # ------------------------------------------------------------ after every action
    def _after_change(self) -> None:
        session = self.session
        assert session is not None
        incident_id = self.incident_id
        steps = session.steps
        common = 0
        while (common < len(self._route) and common < len(steps)
               and _key(self._route[common]) == _key(steps[common])):
            common += 1
        protocols = session.protocol_set
        for step in steps[common:]:
            version = protocols.protocol(step.protocol_id).version
            self._runner.run(
                self._runner.commands.record_triage_answer,
                lambda: self.tr("Recording a triage answer"),
                incident_id=incident_id, protocol=step.protocol_id, protocol_version=version,
                question=step.question_id, answer=step.answer_key, from_switch=step.from_call,
            )
        self._route = steps
        # Follow-up answers (after the determinant): each new or changed one, once.
        for protocol_id, question_id, key in session.follow_up_path:
            if self._follow_up_sent.get((protocol_id, question_id)) == key:
                continue
            self._follow_up_sent[(protocol_id, question_id)] = key
            self._runner.run(
                self._runner.commands.record_triage_answer,
                lambda: self.tr("Recording a triage answer"),
                incident_id=incident_id, protocol=protocol_id,
                protocol_version=protocols.protocol(protocol_id).version,
                question=question_id, answer=key,
            )
        coach = False
        floor = False
        if session.arrest_recognised and not self._arrest_sent and incident_id is not None:
            self._arrest_sent = True
            at = now_ts(self._clock)
            # Priority I and the arrest protocol's plan from this moment, not two questions later.
            provisional = arrest_plan(session.protocol_set) or {}
            self._runner.run(
                self._runner.commands.record_arrest_recognised,
                lambda: self.tr("Recording the recognition of cardiac arrest"),
                incident_id=incident_id, at=at, **provisional,
            )
            if provisional:
                self.priority_reached.emit(incident_id, provisional["priority"])
            answered = None
            if self._call is not None:
                answered = (self._store.state.calls.get(self._call["call_id"]) or self._call).get("answered_at")
            known = session.result if session.result is not None and session.result.cpr else None
            self.coach.begin(incident_id, answered_at=answered, recognised_at=at, determinant=known,
                             scene_confirmed=session.scene_confirmed_safe)
            self.arrest_recognised.emit(incident_id)
            coach = True
        result = session.result
        if result is not None and result.code != self._completed and incident_id is not None:
            self._completed = result.code
            self._runner.run(
                self._runner.commands.complete_triage,
                lambda: self.tr("Recording the triage result"),
                incident_id=incident_id, protocol=session.protocol.id,
                protocol_version=session.protocol.version, determinant=result.code,
                priority=result.priority, plan=result.plan.id, capability=result.plan.capability.value,
                cpr=result.cpr,
            )
            self.priority_reached.emit(incident_id, result.priority)
            if result.cpr and not self._arrest_sent:
                # A determinant that calls for CPR without the case-entry rule (e.g. a
                # choking patient who became unresponsive): the same coach, same record.
                self._arrest_sent = True
                at = now_ts(self._clock)
                self._runner.run(
                    self._runner.commands.record_arrest_recognised,
                    lambda: self.tr("Recording the recognition of cardiac arrest"),
                    incident_id=incident_id, at=at,
                )
                self.coach.begin(incident_id, answered_at=None, recognised_at=at, determinant=result,
                                 scene_confirmed=session.scene_confirmed_safe)
                self.arrest_recognised.emit(incident_id)
                coach = True
            elif result.cpr:
                # The arrest was recognised earlier (case entry): the coach now teaches the
                # determinant's method (age, cause) and its scene-safety steps.
                self.coach.follow_determinant(result, scene_confirmed=session.scene_confirmed_safe)
            elif result.takes_floor and not self._arrest_sent:
                floor = True
        if result is None:
            self._completed = None
        self.render(prefer_coach=coach)
        self.focus_answers()
        if floor and incident_id is not None:
            self.instructions_floor.emit(incident_id)

    # ------------------------------------------------------------ keys
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.KeyPress and watched in (self.answers, self.instructions):
            if self._handle_key(event, in_result=watched is self.instructions):
                self.keystrokes += 1
                return True
        return super().eventFilter(watched, event)

    def _handle_key(self, event: QKeyEvent, *, in_result: bool) -> bool:
        key = event.key()
        if event.modifiers() & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
            return False
        if key == Qt.Key.Key_Backspace:
            self.back()
            return True
        if in_result:
            if key in _NUMBER_KEYS and self.session is not None and self.session.follow_up is not None:
                self.answer_follow_up_number(_NUMBER_KEYS[key])
                return True
            if key == Qt.Key.Key_Escape and self.session is not None and self.session.follow_up is not None:
                self.skip_follow_ups()
                return True
            if key == Qt.Key.Key_Escape:  # the whole desk back, if the instructions had the call screen
                self.leave_floor_requested.emit()
                return True
            if key in (Qt.Key.Key_Down, Qt.Key.Key_N):
                row = min(self.instructions.currentRow() + 1, self.instructions.count() - 1)
                self.instructions.setCurrentRow(row)
                return True
            if key == Qt.Key.Key_P:
                self.show_coach()
                return True
            return False
        if key in _NUMBER_KEYS:
            self.answer_number(_NUMBER_KEYS[key])
            return True
        if key == Qt.Key.Key_C:
            return self.ask_callback()
        if key == Qt.Key.Key_A:
            return self.ask_address_first()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            row = self.answers.currentRow()
            if row >= 0:
                self.answer_number(row + 1)
            return True
        return False

    # ------------------------------------------------------------ rendering
    def render(self, *, prefer_coach: bool = False) -> None:
        session = self.session
        if prefer_coach or (self.pages.currentIndex() == 3 and self.coach.compressing):
            self.pages.setCurrentIndex(3)
        elif session is None:
            self.pages.setCurrentIndex(0)
        elif session.result is not None:
            self._render_result(session.result)
            self._render_follow_up(session)
            self.pages.setCurrentIndex(2)
        elif session.current is not None:
            self._render_question(session)
            self.pages.setCurrentIndex(1)
        self._render_breadcrumb()

    def _render_breadcrumb(self) -> None:
        session = self.session
        if session is None:
            self.breadcrumb.setText("")
            self.progress.setValue(0)
            return
        lang = self.lang
        parts = [self.tr("Case entry")]
        complaint: Protocol | None = session.complaint
        if complaint is not None:
            parts.append(f"{complaint.code:02d} {complaint.title.get(lang)}")
        index, total = session.position
        if session.result is not None:
            parts.append(self.tr("Determinant %1").replace("%1", session.result.code))
            self.progress.setRange(0, 1)
            self.progress.setValue(1)
        else:
            parts.append(self.tr("question %1 of ~%2").replace("%1", str(index + 1)).replace("%2", str(total)))
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(index)
        self.breadcrumb.setText("  ›  ".join(parts))

    def _render_question(self, session: TriageSession) -> None:
        lang = self.lang
        question = session.current
        assert question is not None
        self.question.setText(question.text.get(lang))
        help_text = question.help.get(lang) if question.help is not None else ""
        self.help.setText(help_text)
        self.help.setVisible(bool(help_text))
        keep = self.answers.currentRow() if self.answers.count() == len(question.answers) else 0
        self.answers.clear()
        for number, answer in enumerate(question.answers, start=1):
            item = QListWidgetItem(_answer_text(number, answer.label.get(lang)))
            item.setData(Qt.ItemDataRole.UserRole, answer.key)
            item.setToolTip(answer.label.get(lang))  # whole, where two columns elide it
            self.answers.addItem(item)
        self.answers.setCurrentRow(max(0, min(keep, self.answers.count() - 1)))
        self.answers.refit()  # its size hint is its rows' height (one or two columns)
        recent = []
        protocols = session.protocol_set
        for step in session.steps[-3:]:
            q = protocols.protocol(step.protocol_id).questions.get(step.question_id)
            a = q.answer_for(step.answer_key) if q is not None else None
            if q is None or a is None:
                continue
            mark = " ↺" if step.carried else ""
            recent.append(f"{q.text.get(lang)} → {a.label.get(lang)}{mark}")
        self.route.setText("\n".join(recent))
        self.route.setVisible(bool(recent))
        told = []
        if any(step.from_call for step in session.steps) and session.call.caller_number:
            told.append(self.tr("☎ Callback number from the switch: %1 (not asked) · C ask it")
                        .replace("%1", session.call.caller_number))
        if session.asking_located_first:
            told.append(self.tr("◎ Precise caller location: awake and breathing first, the address next"
                                " · A address first"))
        self.call_told.setText("\n".join(told))
        self.call_told.setVisible(bool(told))

    def _render_result(self, result: Determinant) -> None:
        lang = self.lang
        self.determinant.setText(self.tr("Determinant %1").replace("%1", result.code))
        colours = priority_colours(result.priority)
        self.priority_chip.setText(self.tr("Priority %1").replace("%1", priority_text(result.priority)))
        self.priority_chip.setStyleSheet(
            f"background: {colours.background}; color: {colours.foreground}; padding: 4px 12px;"
            " border-radius: 4px; font-weight: bold; font-size: 16px;"
        )
        plan = result.plan
        details = [capability_text(plan.capability.value), urgency_text(plan.urgency.value)]
        if plan.lights_sirens:
            details.append(self.tr("lights and sirens"))
        if plan.extra:
            details.append(self.tr("also: %1").replace("%1", ", ".join(plan.extra)))
        self.plan.setText(self.tr("Plan: %1 — %2").replace("%1", plan.label.get(lang)).replace(
            "%2", " · ".join(details)))
        self.facts.setText(self.tr("For the crew: %1").replace("%1", result.facts.get(lang)))
        keep = self.instructions.currentRow()
        self.instructions.clear()
        # Scene-safety steps (live power, water, fire, gas, traffic, violence) come before any
        # other instruction: the caller must not go near the patient until they are done.
        steps = [f"⚠ {text.get(lang)}" for text in result.safety]
        steps += [text.get(lang) for text in result.instructions]
        for number, text in enumerate(steps, start=1):
            self.instructions.addItem(f"{number}. {text}")
        if self.instructions.count():
            self.instructions.setCurrentRow(max(0, min(keep, self.instructions.count() - 1)))
        exits = "\n".join(f"• {text.get(lang)}" for text in result.exit)
        self.exit_advice.setText(self.tr("Before the ambulance arrives:") + "\n" + exits if exits else "")
        hint = self.tr("F8 dispatch the selected unit · ↓/N next instruction · Backspace change the last answer"
                       " · Ctrl+K change complaint · F1 all keys")
        if result.cpr or self._arrest_sent:
            hint += " · " + self.tr("P CPR coach")
        if result.takes_floor and not (result.cpr or self._arrest_sent):
            hint += " · " + self.tr("F11 whole desk · Esc back")
        if result.prenotify:  # the protocol proposes alerting the stroke / chest-pain centre now
            hint = self.tr("Pre-notify the receiving centre: Ctrl+Shift+H") + "\n" + hint
        self.result_hint.setText(hint)

    def _render_follow_up(self, session: TriageSession) -> None:
        """The open follow-up question (if any) and the follow-up answers in the crew facts."""
        lang = self.lang
        result = session.result
        assert result is not None
        question = session.follow_up
        self.follow_up_box.setVisible(question is not None)
        if question is not None:
            remaining = sum(1 for item in session.follow_ups if item.open)
            self.follow_up_title.setText(
                self.tr("For the hospital, after dispatch (%1 left) — 1–9 answer · Esc skip all")
                .replace("%1", str(remaining)))
            self.follow_up_question.setText(question.text.get(lang))
            self.follow_up_answers.setText("   ".join(
                f"{answer_key_label(number)} {answer.label.get(lang)}"
                for number, answer in enumerate(question.answers, start=1) if answer_key_label(number)))
        known = []
        for item in session.follow_ups:
            answer = item.question.answer_for(item.answer_key) if item.answer_key is not None else None
            if answer is not None:
                known.append(f"• {answer.label.get(lang)}{' ↺' if item.carried else ''}")
        facts = self.tr("For the crew: %1").replace("%1", result.facts.get(lang))
        self.facts.setText("\n".join([facts, *known]))

    def tick(self) -> None:
        """The main window's one-second tick: the coach's live timers."""
        if self.pages.currentIndex() == 3:
            self.coach.refresh()

    def retranslate_ui(self) -> None:
        self._title.setText(self.tr("Triage"))
        self.idle.setText(self.tr("No triage running.\nAnswer a call (F2) — triage starts by itself — "
                                  "or press Ctrl+T for the incident in the form."))
        self.hint.setText(self.tr("1–9 0 - answer · ↑↓ + Enter confirm · Backspace back · Ctrl+K change complaint"
                                  " · Ctrl+2 type in the form, Enter there comes back here · F1 all keys"))
        self.start_action.setText(self.tr("Triage questions"))
        self.complaint_action.setText(self.tr("Change chief complaint…"))
        for action in (self.start_action, self.complaint_action):
            shortcut_hint(action)
        self.render(prefer_coach=self.pages.currentIndex() == 3)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)
