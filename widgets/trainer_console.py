"""``dispatch120 trainer``: the trainer's console of a training centre.

The trainer chooses a scenario (``resources/scenarios/``) and the trainee seats, and starts
the training centre — the same runner ``dispatch120 --simulate`` starts
(:func:`app.sim.launcher.start_training`), so the trainees' seats connect to it. The
console then connects to the centre's server as its trainer (role ``trainer``) with an
:class:`app.seat.sync.SyncClient` (own thread; journal in the run's directory) and:

* pauses, resumes and sets the speed (1×–10×): ``training.set_clock``, obeyed by the runner
  (:mod:`app.sim.control`); the console shows the clock as the log says it is;
* injects events (``training.inject``: a unit breaks down, a hospital diverts, the server drops,
  a second caller rings about a call's incident — from the same place, saying the line the
  trainer types or a scripted one);
* shows live what each trainee has done on each call (answered, questions asked, priority,
  units sent, CPR instructions; :class:`app.sim.after_action.TrainingLog` folds the event
  stream) and what the caller says (``training.caller_said``), with the scenario's script
  of the selected call — what the caller knows, which the trainee does not see;
* takes over the caller's voice: a typed line goes out as ``training.caller_say`` on the
  selected call (a deaf caller's line as chat);
* writes a join file per trainee seat in the run's directory (``dispatch120 --simulate --join
  FILE`` starts that seat on this computer against the trainer's centre; "Open trainee seats"
  does it for every trainee). With ``listen`` (``dispatch120 trainer --listen 0.0.0.0``) the
  centre's server also listens on the LAN: the join files name its LAN URL, and the console
  shows the URL and, per trainee, the seat's token and the command a seat on another machine
  joins with (the join file copied there). Loopback stays the default; every seat still needs
  its token;
* writes the after-action report (:mod:`app.sim.after_action`, HTML and PDF).

GUI thread only, except :class:`TrainerBridge`'s ``on_message``/``on_status`` (any thread).
Call :meth:`TrainerConsole.shutdown` before deleting the window (stops the link and the centre).
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.state import State
from app.protocol import format_ts
from app.protocol.training import TIME_SCALE_MAX
from app.resources import resource_path
from app.seat.store import ConnectionStatus, Link
from app.sim.after_action import CallRecord, TrainingLog, answer_text, step_text, write_report
from app.sim.control import RUN_ID, write_join_file
from app.sim.procs import child_env, stop_child
from app.sim.scenario import CallerBehaviour, InjectedEventKind, Scenario, ScenarioError, load_scenario
from widgets.labels import call_state_text, inject_kind_text

log = logging.getLogger(__name__)

CLIENT_NAME = "dispatch120-trainer/0.1"
SPEEDS = (1, 10)  # the console's speed range, times real time
INJECT_KINDS = ("unit_breakdown", "hospital_diversion", "server_drop", "second_call")
COLUMNS = ("seat", "call", "answered", "questions", "priority", "units", "cpr", "state")


class TrainerBridge(QObject):
    """Hops the trainer link's callbacks to the GUI thread. Create it on the GUI thread."""

    message = Signal(object)
    status = Signal(object)
    _message_in = Signal(object)
    _status_in = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._message_in.connect(self.message.emit, Qt.ConnectionType.QueuedConnection)
        self._status_in.connect(self.status.emit, Qt.ConnectionType.QueuedConnection)

    def on_message(self, msg: dict[str, Any]) -> None:
        """Any thread; never blocks."""
        self._message_in.emit(msg)

    def on_status(self, status: ConnectionStatus) -> None:
        """Any thread; never blocks."""
        self._status_in.emit(status)


def scenario_choices(directory: Path | None = None) -> list[Path]:
    """The scenarios a trainer may choose: ``resources/scenarios/*.yaml`` that are scenarios."""
    from app.sim.cli import scenario_files

    return scenario_files(directory or resource_path("scenarios"))


class TrainerConsole(QMainWindow):
    """The trainer's window. See the module docstring.

    Args:
        listen: the training server's listen address (None: 127.0.0.1, this computer only).
        scenarios: the scenario files offered (default: :func:`scenario_choices`).
        start_centre: starts a training centre (``start_training``'s signature); tests may
            pass one that records its arguments.
        open_link: ``fn(url, token, journal_path, bridge) -> client`` with ``start()``,
            ``stop()`` and ``send_command(name, args)``; default a :class:`SyncClient`.
        seed: the run's seed (every trainee of a class gets the same run).
    """

    run_started = Signal()
    run_stopped = Signal()

    def __init__(self, *, scenarios: list[Path] | None = None,
                 start_centre: Callable[..., Any] | None = None,
                 open_link: Callable[..., Any] | None = None, seed: int = 1,
                 listen: str | None = None) -> None:
        super().__init__()
        self._listen = listen
        self.setObjectName("TrainerConsole")
        self._start_centre = start_centre or _start_training
        self._open_link = open_link or _open_sync_client
        self._seed = seed
        self.session: Any = None
        self.link: Any = None
        self.scenario: Scenario | None = None
        self.state = State()
        self.log = TrainingLog()
        self._rows: dict[str, int] = {}
        self._link_status = Link.CONNECTING
        self._problem = ""
        self.bridge = TrainerBridge(self)
        self.bridge.message.connect(self._on_message)
        self.bridge.status.connect(self._on_status)

        # -- set-up: scenario and trainee seats
        self.scenario_box = QComboBox()
        self.scenario_box.setMinimumWidth(260)
        for path in scenarios if scenarios is not None else scenario_choices():
            self.scenario_box.addItem(path.stem, str(path))
        self.scenario_box.currentIndexChanged.connect(self._on_scenario_chosen)
        self.seat_list = QListWidget()
        self.seat_list.setMaximumHeight(84)
        self.start_button = QPushButton()
        self.start_button.clicked.connect(self.start_run)
        self.stop_button = QPushButton()
        self.stop_button.clicked.connect(self.stop_run)
        # -- the run's controls
        self.pause_button = QPushButton()
        self.pause_button.clicked.connect(self.toggle_pause)
        self.speed_box = QSpinBox()
        self.speed_box.setRange(*SPEEDS)
        self.speed_box.setSuffix("×")
        self.speed_box.setValue(1)
        self.speed_box.valueChanged.connect(self._on_speed_chosen)
        self.inject_kind = QComboBox()
        self.inject_kind.currentIndexChanged.connect(self._fill_targets)
        self.inject_target = QComboBox()
        self.inject_target.setMinimumWidth(120)
        self.inject_button = QPushButton()
        self.inject_button.clicked.connect(self.inject)
        # A second call's first words (empty: the scripted line); shown for that kind only.
        self.inject_says = QLineEdit()
        self.inject_says.setObjectName("SecondCallSays")
        self.inject_says.setMaxLength(500)
        self.inject_says.setVisible(False)
        self.report_button = QPushButton()
        self.report_button.clicked.connect(lambda: self.write_reports())
        self.seats_button = QPushButton()
        self.seats_button.clicked.connect(self.open_trainee_seats)
        self.join_files: dict[str, Path] = {}
        self._join_lines: list[str] = []
        self._last_workdir: Path | None = None  # the last run's directory, for its report
        self._seat_processes: list[subprocess.Popen[bytes]] = []
        self.clock_label = QLabel()
        self.clock_label.setObjectName("TrainerClock")
        self.clock_label.setStyleSheet("font-weight: bold; font-size: 15px;")

        self.setup_box = QGroupBox()
        setup = QFormLayout(self.setup_box)
        self.scenario_label, self.seats_label = QLabel(), QLabel()
        setup.addRow(self.scenario_label, self.scenario_box)
        setup.addRow(self.seats_label, self.seat_list)
        # Where trainee seats on other machines join (shown while the centre listens on the LAN).
        self.join_info = QPlainTextEdit()
        self.join_info.setObjectName("JoinInfo")
        self.join_info.setReadOnly(True)
        self.join_info.setMaximumHeight(96)
        self.join_info.setVisible(False)
        self.join_label = QLabel()
        self.join_label.setVisible(False)
        setup.addRow(self.join_label, self.join_info)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        setup.addRow(buttons)

        self.run_box = QGroupBox()
        run = QFormLayout(self.run_box)
        self.speed_label, self.inject_label = QLabel(), QLabel()
        clock_row = QHBoxLayout()
        clock_row.addWidget(self.pause_button)
        clock_row.addWidget(self.speed_label)
        clock_row.addWidget(self.speed_box)
        clock_row.addStretch(1)
        run.addRow(clock_row)
        inject_row = QHBoxLayout()
        inject_row.addWidget(self.inject_kind, 2)
        inject_row.addWidget(self.inject_target, 1)
        inject_row.addWidget(self.inject_button)
        run.addRow(self.inject_label, inject_row)
        run.addRow(self.inject_says)
        report_row = QHBoxLayout()
        report_row.addWidget(self.clock_label, 1)
        report_row.addWidget(self.seats_button)
        report_row.addWidget(self.report_button)
        run.addRow(report_row)

        top = QHBoxLayout()
        top.addWidget(self.setup_box, 1)
        top.addWidget(self.run_box, 1)

        # -- live: the trainees' calls, and the caller of the selected call
        self.calls_table = QTableWidget(0, len(COLUMNS))
        self.calls_table.setObjectName("TraineeCalls")
        self.calls_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.calls_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.calls_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.calls_table.verticalHeader().setVisible(False)
        self.calls_table.setWordWrap(False)
        header = self.calls_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("questions"), QHeaderView.ResizeMode.Stretch)
        self.calls_table.itemSelectionChanged.connect(self._on_selection_changed)

        self.script_label = QLabel()
        self.script_label.setWordWrap(True)
        self.script_label.setObjectName("CallerScript")
        self.script_label.setStyleSheet("background: #fff8e1; padding: 6px; border: 1px solid #e0c060;")
        self.caller_lines = QListWidget()
        self.caller_lines.setObjectName("CallerLines")
        self.caller_lines.setWordWrap(True)
        self.timeline = QListWidget()
        self.timeline.setObjectName("CallTimeline")
        self.say_edit = QLineEdit()
        self.say_edit.returnPressed.connect(self.say)
        self.say_button = QPushButton()
        self.say_button.clicked.connect(self.say)
        self.caller_heading, self.timeline_heading, self.script_heading = QLabel(), QLabel(), QLabel()
        for heading in (self.caller_heading, self.timeline_heading, self.script_heading):
            heading.setStyleSheet("font-weight: bold;")
        right = QWidget()
        side = QVBoxLayout(right)
        side.setContentsMargins(0, 0, 0, 0)
        side.addWidget(self.script_heading)
        side.addWidget(self.script_label)
        side.addWidget(self.caller_heading)
        side.addWidget(self.caller_lines, 2)
        say_row = QHBoxLayout()
        say_row.addWidget(self.say_edit, 1)
        say_row.addWidget(self.say_button)
        side.addLayout(say_row)
        side.addWidget(self.timeline_heading)
        side.addWidget(self.timeline, 2)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.calls_table)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(body)
        self.link_label = QLabel()
        self.statusBar().addPermanentWidget(self.link_label)
        # The scenario clock shown between events: ticks once a second.
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._show_clock)
        self._shortcuts = [
            QShortcut(QKeySequence(Qt.Key.Key_F8), self, self.toggle_pause),
            QShortcut(QKeySequence("Ctrl+I"), self, self.inject),
            QShortcut(QKeySequence("Ctrl+K"), self, self.say_edit.setFocus),
        ]
        self.resize(1360, 820)
        self._on_scenario_chosen()
        self.retranslate_ui()
        self._enable()

    # ------------------------------------------------------------ set-up

    def _on_scenario_chosen(self) -> None:
        self.seat_list.clear()
        path = self.scenario_box.currentData()
        self.scenario = None
        if not path:
            return
        try:
            self.scenario = load_scenario(path)
        except ScenarioError as exc:
            self.statusBar().showMessage(str(exc).splitlines()[0])
            return
        for seat in self.scenario.registry.seats:
            item = QListWidgetItem(f"{seat.name} ({seat.id})" if seat.name else seat.id)
            item.setData(Qt.ItemDataRole.UserRole, seat.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.seat_list.addItem(item)
        self._fill_targets()

    def trainee_seats(self) -> list[str]:
        """The seats checked as trainees' (the live view shows their calls)."""
        return [self.seat_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.seat_list.count())
                if self.seat_list.item(i).checkState() == Qt.CheckState.Checked]

    def set_trainee_seats(self, seat_ids: list[str]) -> None:
        for i in range(self.seat_list.count()):
            item = self.seat_list.item(i)
            wanted = item.data(Qt.ItemDataRole.UserRole) in seat_ids
            item.setCheckState(Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)

    def _fill_targets(self) -> None:
        kind = self.inject_kind.currentData()
        self.inject_says.setVisible(kind == "second_call")
        wanted = self.inject_target.currentData()
        self.inject_target.clear()
        if kind == "second_call":
            # The calls so far: a second caller rings about one of them (the selected one by default).
            wanted = self.selected_call() or wanted
            for record in self.log.calls.values():
                if record.index is None or (record.seat_id is not None and record.seat_id not in self.trainee_seats()):
                    continue  # a second call itself, or a call of a seat that is not a trainee's
                self.inject_target.addItem(f"#{record.index} {record.caller_number}".strip(), record.call_id)
            self.inject_target.setCurrentIndex(max(0, self.inject_target.findData(wanted)))
            self.inject_target.setEnabled(self.inject_target.count() > 0)
            return
        registry = self.scenario.registry if self.scenario is not None else None
        if registry is None or kind == "server_drop":
            self.inject_target.setEnabled(False)
            return
        self.inject_target.setEnabled(True)
        if kind == "unit_breakdown":
            for unit in registry.units:
                self.inject_target.addItem(unit.call_sign or unit.id, unit.id)
        elif kind == "hospital_diversion" and self.scenario is not None:
            # The runner gives a simulated ED console only to the hospitals the scenario's events name.
            named = {e.hospital for e in self.scenario.events if e.kind == InjectedEventKind.HOSPITAL_STATUS}
            for hospital in registry.hospitals:
                if hospital.id in named:
                    self.inject_target.addItem(hospital.name or hospital.id, hospital.id)
        self.inject_target.setEnabled(self.inject_target.count() > 0)

    # ------------------------------------------------------------ the run

    @property
    def running(self) -> bool:
        return self.session is not None

    def start_run(self) -> None:
        """Start the training centre for the chosen scenario and connect to it (blocks ~1-2 s)."""
        if self.running or self.scenario is None:
            return
        if not self.trainee_seats():
            self.statusBar().showMessage(self.tr("Choose at least one trainee seat"))
            return
        self.statusBar().showMessage(self.tr("Starting the training centre…"))
        options: dict[str, Any] = {}
        if self._listen is not None:
            options["listen"] = self._listen
        try:
            session = self._start_centre(self.scenario.path, time_scale=float(self.speed_box.value()),
                                         seed=self._seed, seat_id=self.trainee_seats()[0], **options)
        except Exception as exc:  # TrainingStartError and anything the launcher raises: say it
            log.exception("the training centre did not start")
            self.statusBar().showMessage(self.tr("The training centre did not start: %1").replace("%1", str(exc)))
            return
        trainers = dict(getattr(session, "trainers", {}) or {})
        if not trainers:
            session.stop()
            self.statusBar().showMessage(self.tr("The scenario's registry has no trainer: add one under trainers:"))
            return
        self.session = session
        self.state, self.log, self._rows = State(), TrainingLog(), {}
        self.calls_table.setRowCount(0)
        trainer_id, token = sorted(trainers.items())[0]
        self.link = self._open_link(session.url, token, Path(session.workdir) / f"journal-{trainer_id}.sqlite",
                                    self.bridge)
        self.link.start()
        # Each trainee's seat joins with its join file: dispatch120 --simulate --join FILE. When the
        # centre listens on the LAN the file names the LAN URL, so it works on any machine it is copied to.
        lan_urls = list(getattr(session, "lan_urls", None) or [])
        join_url = lan_urls[0] if lan_urls else session.url
        self.join_files = {
            seat_id: write_join_file(Path(session.workdir) / f"join-{seat_id}.json", url=join_url,
                                     seat_id=seat_id, seat_token=session.seats[seat_id],
                                     workdir=Path(session.workdir))
            for seat_id in self.trainee_seats() if seat_id in session.seats}
        self.seats_button.setToolTip("\n".join(f"dispatch120 --simulate --join {path}"
                                               for path in self.join_files.values()))
        self._show_join_info(lan_urls, dict(session.seats))
        self._tick.start()
        self.statusBar().showMessage(self.tr("Training centre running at %1").replace(
            "%1", ", ".join(lan_urls) or session.url))
        self._enable()
        self.run_started.emit()

    def _show_join_info(self, lan_urls: list[str], tokens: dict[str, str]) -> None:
        """Show where trainee seats on other machines join, each with its token and command."""
        self._join_lines = []
        if lan_urls:
            self._join_lines.append(self.tr("Seats on other computers join at %1").replace("%1", ", ".join(lan_urls)))
            for seat_id, path in self.join_files.items():
                self._join_lines.append(self.tr("%1: token %2 · copy %3 to the seat, then run: %4").replace(
                    "%1", seat_id).replace("%2", tokens.get(seat_id, "?")).replace("%3", str(path)).replace(
                    "%4", f"dispatch120 --simulate --join {path.name}"))
        self.join_info.setPlainText("\n".join(self._join_lines))
        self.join_info.setVisible(bool(lan_urls))
        self.join_label.setVisible(bool(lan_urls))

    def join_texts(self) -> list[str]:
        """The lines the console shows for seats joining from other computers (empty on loopback)."""
        return list(self._join_lines)

    def stop_run(self) -> None:
        """Disconnect and stop the training centre (its log stays in the run's directory for the report)."""
        link, session = self.link, self.session
        self.link = self.session = None
        self._tick.stop()
        for process in self._seat_processes:
            stop_child(process)
        self._seat_processes.clear()
        self._show_join_info([], {})
        if link is not None:
            link.stop()
        if session is not None:
            session.stop()
            self._last_workdir = Path(session.workdir)
        self._enable()
        self._show_clock()
        if session is not None:
            self.run_stopped.emit()

    def shutdown(self) -> None:
        """Stop everything this window started. GUI thread; call before deleting the window."""
        self.stop_run()

    def _send(self, name: str, args: dict[str, Any]) -> None:
        if self.link is None:
            return
        try:
            self.link.send_command(name, args)
        except Exception as exc:  # invalid args, journal unwritable: say it, never crash
            log.exception("could not queue %s", name)
            self.statusBar().showMessage(str(exc) or type(exc).__name__)

    def _run(self) -> dict[str, Any] | None:
        return self.state.training_runs.get(RUN_ID)

    def toggle_pause(self) -> None:
        """Pause a running scenario clock, or resume a paused one (F8)."""
        run = self._run()
        if self.link is None or run is None:
            return
        self._send("training.set_clock", {"run_id": RUN_ID, "paused": not run["paused"],
                                          "time_scale": run["time_scale"]})

    def set_speed(self, time_scale: int) -> None:
        """Run the scenario ``time_scale`` times faster than real time (1-10)."""
        self.speed_box.setValue(time_scale)
        self._on_speed_chosen(self.speed_box.value())

    def _on_speed_chosen(self, value: int) -> None:
        run = self._run()
        if self.link is None or run is None or float(run["time_scale"]) == float(value):
            return
        self._send("training.set_clock", {"run_id": RUN_ID, "paused": bool(run["paused"]),
                                          "time_scale": min(int(value), TIME_SCALE_MAX)})

    def inject(self) -> None:
        """Inject the chosen event (Ctrl+I)."""
        kind = self.inject_kind.currentData()
        if self.link is None or not kind:
            return
        args: dict[str, Any] = {"run_id": RUN_ID, "kind": kind}
        target = self.inject_target.currentData() if self.inject_target.isEnabled() else None
        if kind != "server_drop":
            if not target:
                return
            args["target"] = target
        if kind == "second_call" and self.inject_says.text().strip():
            args["says"] = self.inject_says.text().strip()[:500]
        self._send("training.inject", args)
        self.inject_says.clear()

    def selected_call(self) -> str | None:
        rows = self.calls_table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.calls_table.item(rows[0].row(), COLUMNS.index("call"))
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def select_call(self, call_id: str) -> None:
        row = self._rows.get(call_id)
        if row is not None:
            self.calls_table.selectRow(row)

    def say(self) -> None:
        """Say the typed line as the caller of the selected call (Enter in the line; Ctrl+K to type)."""
        text = self.say_edit.text().strip()
        call_id = self.selected_call()
        if not text or call_id is None or self.link is None:
            return
        record = self.log.calls.get(call_id)
        script = self._script(record)
        deaf = script is not None and script.caller.behaviour == CallerBehaviour.DEAF_TEXTS_ONLY
        self._send("training.caller_say", {"call_id": call_id, "zh": text[:500], "en": text[:500],
                                           "via": "chat" if deaf else "voice"})
        self.say_edit.clear()

    def open_trainee_seats(self) -> None:
        """Open a seat window on this computer for each trainee seat (``dispatch120 --simulate --join``)."""
        for path in self.join_files.values():
            self._seat_processes.append(subprocess.Popen(
                [sys.executable, "-m", "app", "--simulate", "--join", str(path)], env=child_env(),
                stdin=subprocess.DEVNULL, close_fds=True))

    def write_reports(self, directory: Path | None = None) -> list[Path]:
        """Write the after-action report of the current (or last) run as HTML and PDF; returns the files."""
        workdir = Path(self.session.workdir) if self.session is not None else self._last_workdir
        if workdir is None:
            return []
        written = []
        try:
            for fmt in ("html", "pdf"):
                out = (directory or workdir) / f"after-action.{fmt}"
                written.append(write_report(workdir, out, fmt=fmt))
        except Exception as exc:  # ReportError, OSError: say it
            log.exception("the after-action report failed")
            self.statusBar().showMessage(self.tr("The report could not be written: %1").replace("%1", str(exc)))
            return written
        self.statusBar().showMessage(self.tr("Report written: %1").replace("%1", ", ".join(map(str, written))))
        return written

    # ------------------------------------------------------------ the event stream

    @Slot(object)
    def _on_message(self, msg: dict[str, Any]) -> None:
        try:
            mtype = msg.get("type")
            if mtype == "event":
                if not self.state.apply(msg):
                    return
                call_id = self.log.add(msg)
                if msg["name"] == "training.clock_set":
                    self._show_clock()
                    self._enable()
                if call_id is not None:
                    self._show_call(call_id)
            elif mtype == "snapshot":
                self.state = State.from_dict(msg["state"])
                self._show_clock()
                self._enable()
            elif mtype == "error" and not msg.get("retry"):
                self.statusBar().showMessage(f"{msg.get('code')}: {msg.get('message')}")
        except Exception:
            log.exception("could not show server message type=%r", msg.get("type"))

    @Slot(object)
    def _on_status(self, status: ConnectionStatus) -> None:
        self._link_status = status.link
        self.retranslate_ui()

    def _show_call(self, call_id: str) -> None:
        record = self.log.calls[call_id]
        row = self._rows.get(call_id)
        if row is None and record.seat_id is not None and record.seat_id not in self.trainee_seats():
            return  # a seat that is not a trainee's (a second class in the same centre)
        if row is None:
            row = self.calls_table.rowCount()
            self.calls_table.insertRow(row)
            self._rows[call_id] = row
            if self.inject_kind.currentData() == "second_call":
                self._fill_targets()  # a new call a second caller may ring about
        for column, text in enumerate(self._row_texts(record)):
            item = QTableWidgetItem(text)
            if COLUMNS[column] == "call":
                item.setData(Qt.ItemDataRole.UserRole, call_id)
            if COLUMNS[column] == "questions":
                item.setToolTip("\n".join(answer_text(a, self._language()) for a in record.asked()))
            self.calls_table.setItem(row, column, item)
        if call_id == self.selected_call():
            self._show_selected_call()
            self._enable()

    def _row_texts(self, r: CallRecord) -> list[str]:
        script = self._script(r)
        call = f"#{r.index}" if r.index is not None else r.call_id
        if script is not None:
            call += f" {script.caller_number}"
        state = self.state.calls.get(r.call_id, {}).get("state")
        return [
            r.seat_id or "—",
            call,
            "—" if r.answered_s is None else f"{r.answered_s:g} s",
            f"{len(r.questions)}: {', '.join(answer_text(a, self._language()) for a in r.asked()[-3:])}"
            if r.questions else "0",
            f"P{r.priority}" if r.priority else "—",
            ", ".join(r.units) or "—",
            "—" if r.cpr_s is None else f"{r.cpr_s:g} s",
            call_state_text(state) if state else "—",
        ]

    def _script(self, record: CallRecord | None) -> Any:
        if record is None or record.index is None or self.scenario is None:
            return None
        return self.scenario.calls_by_index.get(record.index)

    def _on_selection_changed(self) -> None:
        self._show_selected_call()
        if self.inject_kind.currentData() == "second_call":
            self._fill_targets()  # the second call is about the selected call
        self._enable()

    def _show_selected_call(self) -> None:
        call_id = self.selected_call()
        record = self.log.calls.get(call_id or "")
        self.caller_lines.clear()
        self.timeline.clear()
        script = self._script(record)
        self.script_label.setText(script.says.zh if script is not None else "—")
        if record is None:
            return
        for said in self.state.calls.get(record.call_id, {}).get("caller_said") or ():
            typed = said.get("via") == "chat"
            self.caller_lines.addItem((self.tr("[typed] ") if typed else "") + said["zh"])
        self.caller_lines.scrollToBottom()
        language = "zh" if self._language() == "zh" else "en"
        for step in record.steps:
            self.timeline.addItem(f"{step.at_s:>6g} s  {step_text(step, language)}")
        self.timeline.scrollToBottom()

    def caller_texts(self) -> list[str]:
        return [self.caller_lines.item(i).text() for i in range(self.caller_lines.count())]

    # ------------------------------------------------------------ view

    def scenario_seconds(self) -> float | None:
        """The scenario clock now, as the log says it runs (None before it is announced)."""
        if self._run() is None:
            return None
        return self.log.time.at(format_ts(datetime.now(UTC)))

    def _show_clock(self) -> None:
        run = self._run()
        if run is None or self.link is None:
            self.clock_label.setText(self.tr("Not running") if self.link is None else self.tr("Connecting…"))
            self.pause_button.setText(self.tr("Pause (F8)"))
            return
        seconds = self.scenario_seconds() or 0.0
        minutes, secs = divmod(int(seconds), 60)
        if run["paused"]:
            text = self.tr("PAUSED at %1").replace("%1", f"{minutes:02d}:{secs:02d}")
        else:
            text = self.tr("Scenario time %1 · %2× real time").replace("%1", f"{minutes:02d}:{secs:02d}").replace(
                "%2", f"{float(run['time_scale']):g}")
        self.clock_label.setText(text)
        self.clock_label.setStyleSheet("font-weight: bold; font-size: 15px; color: %s;" % (
            "#b71c1c" if run["paused"] else "#1b5e20"))
        self.pause_button.setText(self.tr("Resume (F8)") if run["paused"] else self.tr("Pause (F8)"))
        if not self.speed_box.hasFocus():
            self.speed_box.blockSignals(True)
            self.speed_box.setValue(max(SPEEDS[0], min(SPEEDS[1], round(float(run["time_scale"])))))
            self.speed_box.blockSignals(False)

    def _enable(self) -> None:
        live = self.link is not None
        self.scenario_box.setEnabled(not live)
        self.seat_list.setEnabled(not live)
        self.start_button.setEnabled(not live and self.scenario is not None)
        self.stop_button.setEnabled(live)
        for widget in (self.pause_button, self.inject_button):
            widget.setEnabled(live and self._run() is not None)
        # The caller speaks only on a call someone is answering (the server refuses it otherwise).
        call = self.state.calls.get(self.selected_call() or "") or {}
        for widget in (self.say_button, self.say_edit):
            widget.setEnabled(live and call.get("state") == "answered")
        self.report_button.setEnabled(live or self._last_workdir is not None)
        self.seats_button.setEnabled(live and bool(self.join_files))

    def _language(self) -> str:
        """The report and timeline language: Chinese when the console's texts are translated."""
        return "en" if self.tr("Start") == "Start" else "zh"

    def retranslate_ui(self) -> None:
        self.setWindowTitle(self.tr("dispatch120 — trainer console — TRAINING"))
        self.setup_box.setTitle(self.tr("Scenario and trainees"))
        self.run_box.setTitle(self.tr("Run"))
        self.scenario_label.setText(self.tr("Scenario"))
        self.seats_label.setText(self.tr("Trainee seats"))
        self.join_label.setText(self.tr("Join from other computers"))
        self.start_button.setText(self.tr("Start"))
        self.stop_button.setText(self.tr("Stop"))
        self.speed_label.setText(self.tr("Speed"))
        self.inject_label.setText(self.tr("Inject"))
        self.inject_button.setText(self.tr("Inject (Ctrl+I)"))
        self.inject_says.setPlaceholderText(self.tr("What the second caller says (empty: a scripted line)"))
        self.report_button.setText(self.tr("After-action report"))
        self.seats_button.setText(self.tr("Open trainee seats"))
        self.say_button.setText(self.tr("Say as the caller"))
        self.say_edit.setPlaceholderText(self.tr("Type what the caller says (Ctrl+K), Enter to say it"))
        self.script_heading.setText(self.tr("The caller's script (trainer only)"))
        self.caller_heading.setText(self.tr("The caller says"))
        self.timeline_heading.setText(self.tr("What the trainee did (s from the call's arrival)"))
        current = self.inject_kind.currentData()
        self.inject_kind.blockSignals(True)
        self.inject_kind.clear()
        for kind in INJECT_KINDS:
            self.inject_kind.addItem(inject_kind_text(kind), kind)
        self.inject_kind.setCurrentIndex(max(0, self.inject_kind.findData(current)))
        self.inject_kind.blockSignals(False)
        self._fill_targets()
        headers = {
            "seat": self.tr("Trainee"), "call": self.tr("Call"), "answered": self.tr("Answered"),
            "questions": self.tr("Questions asked"), "priority": self.tr("Priority"), "units": self.tr("Units"),
            "cpr": self.tr("CPR instructions"), "state": self.tr("Call state"),
        }
        self.calls_table.setHorizontalHeaderLabels([headers[c] for c in COLUMNS])
        texts = {
            Link.ONLINE: self.tr("Online"), Link.CONNECTING: self.tr("Connecting…"),
            Link.SYNCING: self.tr("Connecting…"), Link.OFFLINE: self.tr("Offline: reconnecting"),
            Link.AUTH_FAILED: self.tr("Trainer token refused"),
        }
        self.link_label.setText(texts.get(self._link_status, str(self._link_status)) if self.link is not None
                                else "")
        self._show_clock()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)


def _start_training(scenario: Path, **options: Any) -> Any:
    from app.sim.launcher import start_training

    return start_training(scenario, **options)


def _open_sync_client(url: str, token: str, journal_path: Path, bridge: TrainerBridge) -> Any:
    """The trainer's link: a SyncClient whose fresh journal asks for the whole log (replay from 0),
    so the console folds every event of the run, the clock's announcement included."""
    from app.seat.journal import Journal
    from app.seat.sync import SyncClient

    journal = Journal(journal_path)
    if journal.last_seq is None:
        journal.set_last_seq(0)
    client = SyncClient(url, token, journal, client_name=CLIENT_NAME, on_message=bridge.on_message,
                        on_status=bridge.on_status)

    class _Link:
        def start(self) -> None:
            client.start()

        def stop(self) -> None:
            if client.stop():  # a thread that did not end may still write it: then it goes with the process
                journal.close()
            else:
                log.error("the trainer's link did not stop when asked to")

        def send_command(self, name: str, args: dict[str, Any]) -> str:
            return client.send_command(name, args)

    return _Link()
