"""The seat's hospital pre-notification: what to send, a preview, and the answer.

:class:`PrenotifyDialog` is opened from the current incident (Incident menu, Ctrl+Shift+H):

* the destination hospital — by default the incident's destination (``incident.set_destination``),
  else the first hospital of the registry;
* the unit whose monitor data goes with it — by default the incident's latest unit;
* the ETA — from the unit's GPS position and the road graph when both are known, else typed;
* the patient summary (age, sex, complaint, note) — prefilled from the triage path (``age``/``sex``
  questions of ``case_entry``), the triage protocol and the incident's description;
* whether an ECG strip goes with it.

The preview shows what the hospital will get, with the unit's latest vitals from
``store.telemetry`` (the server sends its own latest values and the ECG strip). *Send* calls
``SeatCommands.prenotify_hospital`` through the :class:`~widgets.command_runner.CommandRunner`
(the command goes to the outbox; nothing changes here until the events come back). The incident's
pre-notifications and their answers are listed in the dialog and follow the store.

:class:`PrenotifyAnswers` tells the dispatcher in the message strip when a hospital answers
(``prenotify.acknowledged``): "格蕾丝王妃医院中心: 心导管室已启动".

GUI thread only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QLocale, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.protocol.prenotify import MAX_ETA_S, MAX_NOTE, AckResponse, Complaint, PatientSex
from app.seat.store import SeatStore
from app.triage.engine import follow_up_answers
from app.triage.model import ProtocolSet
from widgets import labels
from widgets.command_runner import CommandRunner
from widgets.message_area import Level

# Triage protocol (resources/protocols/*.yaml) → what the hospital must get ready for.
_COMPLAINT_OF_PROTOCOL = {
    "chest_pain": Complaint.CHEST_PAIN, "stroke": Complaint.STROKE, "cardiac_arrest": Complaint.CARDIAC_ARREST,
    "traffic_collision": Complaint.TRAUMA, "trauma_bleeding": Complaint.TRAUMA, "falls": Complaint.TRAUMA,
}
_VITAL_ORDER = (("hr", "HR", "/min"), ("spo2", "SpO₂", "%"), ("nibp_sys", "NIBP", "mmHg"), ("rr", "RR", "/min"),
                ("etco2", "EtCO₂", "mmHg"), ("temp_c", "T", "°C"))


def _answer(incident: dict[str, Any], question: str) -> str | None:
    """The last answer given to a triage question of the incident, if any."""
    answer = None
    for step in (incident.get("triage") or {}).get("path") or []:
        if step.get("question") == question:
            answer = step.get("answer")
    return answer


def prefill(incident: dict[str, Any], protocols: ProtocolSet | None = None, language: str = "zh") -> dict[str, Any]:
    """The summary a dispatcher would start from: ``{"sex", "complaint", "note"}`` (age stays unknown:
    the triage asks only for an age band). The note is the incident's description followed by the
    triage's follow-up answers for the hospital (blood thinner, seizure at onset), in ``language``,
    when ``protocols`` is given. Pure."""
    sex = _answer(incident, "sex")
    triage = incident.get("triage") or {}
    result = triage.get("result") or {}
    complaint = _COMPLAINT_OF_PROTOCOL.get(result.get("protocol") or "", Complaint.OTHER)
    facts = [answer.label.get(language)
             for _question, answer in follow_up_answers(protocols, triage.get("path") or [])] if protocols else []
    note = "；".join(part for part in ((incident.get("description") or "").strip(), *facts) if part)
    return {
        "sex": sex if sex in {s.value for s in PatientSex} else PatientSex.UNKNOWN.value,
        "complaint": complaint.value,
        "note": note[:MAX_NOTE],
    }


class PrenotifyDialog(QDialog):
    """Pre-notify a hospital of one incident. Build and ``open()`` it on the GUI thread.

    Args:
        store: the seat's store (incident, hospitals, units, telemetry, positions).
        runner: sends the command and reports refusals in the message strip.
        incident_id: the incident (must be in the store).
        router: ``app.routing.engine.Router`` for the ETA from the unit's position, or None.

    Signals:
        sent(str): the command id, once *Send* queued it.
    """

    sent = Signal(str)

    def __init__(self, store: SeatStore, runner: CommandRunner, incident_id: str, router: Any = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PrenotifyDialog")
        self.store = store
        self.runner = runner
        self.incident_id = incident_id
        self.router = router
        self.eta_from_route: int | None = None  # seconds, when the road graph gave one

        self.hospital = QComboBox()
        self.unit = QComboBox()
        self.eta = QSpinBox()
        self.eta.setRange(0, MAX_ETA_S // 60)
        self.eta_source = QLabel()
        self.age = QSpinBox()
        self.age.setRange(-1, 130)
        self.age_estimated = QCheckBox()
        self.sex = QComboBox()
        for sex in PatientSex:
            self.sex.addItem("", sex.value)
        self.complaint = QComboBox()
        for complaint in Complaint:
            self.complaint.addItem("", complaint.value)
        self.note = QLineEdit()
        self.note.setMaxLength(MAX_NOTE)
        self.include_ecg = QCheckBox()
        self.include_ecg.setChecked(True)
        self.preview = QLabel()
        self.preview.setTextFormat(Qt.TextFormat.PlainText)
        self.preview.setWordWrap(True)
        self.preview.setObjectName("PrenotifyPreview")
        self.preview.setStyleSheet("background: #f5f7fa; border: 1px solid #c5cdd8; padding: 8px;")
        self.history = QListWidget()
        self.history.setMaximumHeight(110)
        self.send_button = QPushButton()
        self.send_button.setDefault(True)
        self.send_button.clicked.connect(self.send)
        self.buttons = QDialogButtonBox()
        self.buttons.addButton(self.send_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)

        self.form = QFormLayout()
        eta_row = QHBoxLayout()
        eta_row.addWidget(self.eta)
        eta_row.addWidget(self.eta_source, 1)
        age_row = QHBoxLayout()
        age_row.addWidget(self.age)
        age_row.addWidget(self.age_estimated, 1)
        self._rows: list[tuple[QLabel, Any]] = []
        for field in (self.hospital, self.unit, eta_row, age_row, self.sex, self.complaint, self.note,
                      self.include_ecg):
            caption = QLabel()
            self.form.addRow(caption, field)
            self._rows.append((caption, field))
        self.preview_title = QLabel()
        self.history_title = QLabel()
        for title in (self.preview_title, self.history_title):
            title.setStyleSheet("font-weight: bold;")
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.preview_title)
        layout.addWidget(self.preview)
        layout.addWidget(self.history_title)
        layout.addWidget(self.history)
        layout.addWidget(self.buttons)

        self._fill_choices()
        self._prefill()
        for signal in (self.hospital.currentIndexChanged, self.unit.currentIndexChanged):
            signal.connect(self._update_eta)
        for signal in (self.eta.valueChanged, self.age.valueChanged, self.sex.currentIndexChanged,
                       self.complaint.currentIndexChanged, self.include_ecg.toggled):
            signal.connect(self.refresh_preview)
        self.age_estimated.toggled.connect(self.refresh_preview)
        self.note.textChanged.connect(self.refresh_preview)
        self.eta.valueChanged.connect(self._eta_edited)
        store.events.incident_changed.connect(self._on_incident_changed)
        store.events.vitals_changed.connect(self._on_vitals_changed)
        self.finished.connect(self._disconnect)
        self.retranslate_ui()
        self._update_eta()
        self.resize(620, 720)

    # ------------------------------------------------------------ choices
    def incident(self) -> dict[str, Any]:
        return self.store.state.incidents.get(self.incident_id) or {"incident_id": self.incident_id}

    def _fill_choices(self) -> None:
        incident = self.incident()
        hospitals = sorted(self.store.state.hospitals.values(), key=lambda h: h["hospital_id"])
        for h in hospitals:
            self.hospital.addItem(h.get("name") or h["hospital_id"], h["hospital_id"])
        destination = (incident.get("destination") or {}).get("hospital_id")
        index = self.hospital.findData(destination) if destination else -1
        self.hospital.setCurrentIndex(index if index >= 0 else 0)
        self.unit.addItem("", None)  # "no unit": no vitals, no ECG
        for unit_id in incident.get("units") or []:
            unit = self.store.state.units.get(unit_id) or {}
            self.unit.addItem(unit.get("call_sign") or unit_id, unit_id)
        self.unit.setCurrentIndex(self.unit.count() - 1)

    def _prefill(self) -> None:
        from widgets.questionnaire import shared_library  # the seat's protocols (follow-up answer labels)

        values = prefill(self.incident(), shared_library().current, QLocale().name())
        self.sex.setCurrentIndex(self.sex.findData(values["sex"]))
        self.complaint.setCurrentIndex(self.complaint.findData(values["complaint"]))
        self.note.setText(values["note"])

    def hospital_id(self) -> str | None:
        return self.hospital.currentData()

    def unit_id(self) -> str | None:
        return self.unit.currentData()

    def eta_s(self) -> int | None:
        minutes = self.eta.value()
        if minutes == 0:
            return None
        if self.eta_from_route is not None and minutes == math.ceil(self.eta_from_route / 60):
            return self.eta_from_route
        return minutes * 60

    def summary(self) -> dict[str, Any]:
        out: dict[str, Any] = {"sex": self.sex.currentData(), "complaint": self.complaint.currentData()}
        if self.age.value() >= 0:
            out["age"] = self.age.value()
            out["age_estimated"] = self.age_estimated.isChecked()
        if self.note.text().strip():
            out["note"] = self.note.text().strip()
        return out

    # ------------------------------------------------------------ ETA
    def _update_eta(self) -> None:
        """ETA from the unit's last GPS fix to the hospital on the road graph, if both are known."""
        self.eta_from_route = None
        hospital = self.store.state.hospitals.get(self.hospital_id() or "") or {}
        position = self.store.positions.get(self.unit_id() or "")
        if self.router is not None and position is not None and hospital.get("lat") is not None:
            try:
                route = self.router.route((position.lat, position.lon), (float(hospital["lat"]), float(hospital["lon"])))
            except Exception:  # off the map / off road: the dispatcher types the ETA
                route = None
            if route is not None:
                self.eta_from_route = min(int(round(route.seconds)), MAX_ETA_S)
        self.eta.blockSignals(True)
        if self.eta_from_route is not None:
            self.eta.setValue(max(1, math.ceil(self.eta_from_route / 60)))
        self.eta.blockSignals(False)
        self._show_eta_source()
        self.refresh_preview()

    def _eta_edited(self) -> None:
        if self.eta_from_route is not None and self.eta.value() != math.ceil(self.eta_from_route / 60):
            self.eta_from_route = None
        self._show_eta_source()

    def _show_eta_source(self) -> None:
        if self.eta_from_route is not None:
            self.eta_source.setText(self.tr("from the ambulance's position (road graph)"))
        elif self.store.positions.get(self.unit_id() or "") is None and self.unit_id():
            self.eta_source.setText(self.tr("no position of the ambulance: enter it"))
        else:
            self.eta_source.setText(self.tr("entered by hand"))

    # ------------------------------------------------------------ preview and history
    def latest_vitals(self) -> dict[str, float]:
        """The unit's latest vitals as this seat received them (empty without a unit or data)."""
        record = self.store.telemetry.units.get(self.unit_id() or "")
        return {} if record is None else {name: v.value for name, v in record.vitals.items()}

    def refresh_preview(self) -> None:
        hospital = self.hospital.currentText() or "—"
        unit = self.unit.currentText() if self.unit_id() else self.tr("none")
        summary = self.summary()
        age = self.tr("age unknown") if "age" not in summary else (
            self.tr("~%1 y").replace("%1", str(summary["age"])) if summary.get("age_estimated")
            else self.tr("%1 y").replace("%1", str(summary["age"])))
        eta = self.eta_s()
        lines = [
            self.tr("To: %1").replace("%1", hospital),
            self.tr("Ambulance: %1").replace("%1", unit),
            self.tr("ETA: %1").replace("%1", self.tr("not known") if eta is None
                                       else self.tr("%1 min").replace("%1", str(math.ceil(eta / 60)))),
            self.tr("Patient: %1, %2, %3").replace("%1", labels.complaint_label(summary["complaint"]))
            .replace("%2", labels.sex_label(summary["sex"])).replace("%3", age),
        ]
        if summary.get("note"):
            lines.append(summary["note"])
        result = (self.incident().get("triage") or {}).get("result")
        if result:
            lines.append(self.tr("Dispatch triage %1, priority %2").replace("%1", str(result.get("determinant")))
                         .replace("%2", str(result.get("priority"))))
        vitals = self.latest_vitals()
        if vitals:
            parts = []
            for key, name, unit_text in _VITAL_ORDER:
                if key == "nibp_sys" and vitals.get("nibp_sys") and vitals.get("nibp_dia"):
                    parts.append(f"{name} {vitals['nibp_sys']:.0f}/{vitals['nibp_dia']:.0f} {unit_text}")
                elif key != "nibp_sys" and vitals.get(key) is not None:
                    parts.append(f"{name} {vitals[key]:.{1 if key == 'temp_c' else 0}f} {unit_text}")
            lines.append(self.tr("Latest vitals: %1").replace("%1", "  ".join(parts)))
        elif self.unit_id():
            lines.append(self.tr("Latest vitals: none received from this ambulance"))
        if self.include_ecg.isChecked() and self.unit_id():
            lines.append(self.tr("ECG: the last stored strip of this ambulance, else its last 10 s of lead II"))
        else:
            lines.append(self.tr("ECG: not sent"))
        self.preview.setText("\n".join(lines))
        self.send_button.setEnabled(self.hospital_id() is not None)

    def refresh_history(self) -> None:
        self.history.clear()
        for item in self.incident().get("prenotifications") or []:
            name = (self.store.state.hospitals.get(item["hospital_id"]) or {}).get("name") or item["hospital_id"]
            ack = item.get("ack")
            answer = (labels.ack_response_label(ack["response"]) + (f" — {ack['note']}" if ack.get("note") else "")
                      if ack else self.tr("waiting for the hospital's answer"))
            self.history.addItem(f"{item['sent_at'][11:19]}  {name}: {answer}")
        if self.history.count() == 0:
            self.history.addItem(self.tr("Not pre-notified yet"))

    def _on_incident_changed(self, incident_id: str) -> None:
        if incident_id == self.incident_id:
            self.refresh_history()

    def _on_vitals_changed(self, unit_id: str) -> None:
        if unit_id == self.unit_id():
            self.refresh_preview()

    def _disconnect(self) -> None:
        self.store.events.incident_changed.disconnect(self._on_incident_changed)
        self.store.events.vitals_changed.disconnect(self._on_vitals_changed)

    # ------------------------------------------------------------ send
    def send(self) -> str | None:
        """Queue ``prenotify.send``; returns the command id (None: refused, shown in the strip)."""
        hospital_id = self.hospital_id()
        if hospital_id is None:
            return None
        name = self.hospital.currentText()
        command_id = self.runner.run(
            self.runner.commands.prenotify_hospital, lambda: self.tr("Pre-notify %1").replace("%1", name),
            incident_id=self.incident_id, hospital_id=hospital_id, unit_id=self.unit_id(), eta_s=self.eta_s(),
            summary=self.summary(), include_ecg=self.include_ecg.isChecked() and self.unit_id() is not None,
        )
        if command_id:
            self.runner.notify(self.tr("Pre-notification sent to %1").replace("%1", name))
            self.sent.emit(command_id)
        return command_id

    # ------------------------------------------------------------ texts
    def retranslate_ui(self) -> None:
        self.setWindowTitle(self.tr("Pre-notify hospital"))
        captions = (self.tr("Hospital"), self.tr("Ambulance"), self.tr("ETA"), self.tr("Age"), self.tr("Sex"),
                    self.tr("Complaint"), self.tr("Note"), self.tr("ECG"))
        for (caption, _field), text in zip(self._rows, captions, strict=True):
            caption.setText(text)
        self.unit.setItemText(0, self.tr("(no ambulance)"))
        self.eta.setSpecialValueText(self.tr("not known"))
        self.eta.setSuffix(self.tr(" min"))
        self.age.setSpecialValueText(self.tr("unknown"))
        self.age_estimated.setText(self.tr("estimated"))
        for i in range(self.sex.count()):
            self.sex.setItemText(i, labels.sex_label(self.sex.itemData(i)))
        for i in range(self.complaint.count()):
            self.complaint.setItemText(i, labels.complaint_label(self.complaint.itemData(i)))
        self.note.setPlaceholderText(self.tr("what the hospital should know (history, medication, allergies)"))
        self.include_ecg.setText(self.tr("Send an ECG strip"))
        self.preview_title.setText(self.tr("What the hospital will receive"))
        self.history_title.setText(self.tr("Pre-notifications of this incident"))
        self.send_button.setText(self.tr("Send"))
        self._show_eta_source()
        self.refresh_preview()
        self.refresh_history()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)


class PrenotifyAnswers(QObject):
    """Shows each hospital answer (``prenotify.acknowledged``) once in the message strip. GUI thread.

    Answers already in the store when it starts (or after a snapshot) are not announced again.

    Signals:
        answered(str, str, str): incident id, hospital id, response.
    """

    answered = Signal(str, str, str)

    def __init__(self, store: SeatStore, notify: Callable[[str, Level], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self._notify = notify
        self._seen: set[tuple[str, str]] = set()
        self._mark_all_seen()
        store.events.state_reset.connect(self._mark_all_seen)
        store.events.incident_changed.connect(self._on_incident_changed)

    def _answers(self, incident: dict[str, Any]) -> list[tuple[tuple[str, str], dict[str, Any]]]:
        return [((item["prenotify_id"], item["ack"]["at"]), item)
                for item in incident.get("prenotifications") or [] if item.get("ack")]

    def _mark_all_seen(self) -> None:
        for incident in self.store.state.incidents.values():
            self._seen.update(key for key, _item in self._answers(incident))

    def _on_incident_changed(self, incident_id: str) -> None:
        incident = self.store.state.incidents.get(incident_id)
        if incident is None:
            return
        for key, item in self._answers(incident):
            if key in self._seen:
                continue
            self._seen.add(key)
            ack = item["ack"]
            name = (self.store.state.hospitals.get(item["hospital_id"]) or {}).get("name") or item["hospital_id"]
            text = self.tr("%1: %2").replace("%1", name).replace("%2", labels.ack_response_label(ack["response"]))
            if ack.get("note"):
                text += f" — {ack['note']}"
            where = incident.get("address")
            if where:
                text += f" ({where})"
            self._notify(text, Level.WARNING if ack["response"] == AckResponse.DIVERTED else Level.INFO)
            self.answered.emit(incident["incident_id"], item["hospital_id"], ack["response"])
