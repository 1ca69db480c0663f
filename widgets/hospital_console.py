"""The receiving hospital's console: incoming pre-notifications, their ECG, and the answer.

Shows each ``prenotify_package`` frame (``app/protocol/prenotify.py``) the server pushes
to this hospital: the patient summary, the triage result, the ETA, the latest vitals and
the ECG strip on a standard paper grid (25 mm/s, 10 mm/mV: 0.04 s × 0.1 mV small squares,
0.2 s × 0.5 mV large ones). The Acknowledge buttons call ``send_command("prenotify.ack",
args)``; the console changes nothing itself — the server's updated package does.

GUI thread only. ``send_command`` is called on the GUI thread and must not block.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.fhir import bundle_from_package
from app.protocol.prenotify import AckResponse

# Numerics in the conventional colours of a monitor (as in widgets/vitals_monitor.py).
_VITALS = (("hr", "HR", "#00e676", "/min"), ("spo2", "SpO₂", "#40c4ff", "%"), ("nibp", "NIBP", "#ff5252", "mmHg"),
           ("rr", "RR", "#ffeb3b", "/min"), ("etco2", "EtCO₂", "#ffd740", "mmHg"), ("temp_c", "T", "#e0e0e0", "°C"))
_ACKS = (AckResponse.CATH_LAB_ACTIVATED, AckResponse.STROKE_TEAM_ACTIVATED, AckResponse.TRAUMA_TEAM_ACTIVATED,
         AckResponse.RECEIVED, AckResponse.DIVERTED)


def _labels() -> Any:
    from widgets import labels  # translated texts of the core's enums

    return labels


class EcgPaper(pg.PlotWidget):
    """One ECG lead on standard ECG paper: 25 mm/s, 10 mm/mV, fixed aspect (1 s = 2.5 mV on screen)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="#fff5f5")
        self.setMenuEnabled(False)
        self.setMouseEnabled(False, False)
        self.hideButtons()
        for axis in ("left", "bottom"):
            self.getPlotItem().hideAxis(axis)
        # pyqtgraph's ratio is x-units-per-pixel over y-units-per-pixel; 25 mm per s and 10 mm per mV → 2.5.
        self.getViewBox().setAspectLocked(True, ratio=2.5)
        self._grid: list[Any] = []
        self.curve = self.plot(pen=pg.mkPen("#111111", width=1.4))
        self.no_ecg = pg.TextItem("", color="#b71c1c", anchor=(0.5, 0.5))
        self.addItem(self.no_ecg)

    def show_strip(self, ecg: dict[str, Any] | None, no_ecg_text: str) -> None:
        for item in self._grid:
            self.removeItem(item)
        self._grid = []
        if not ecg or not ecg["samples"]:
            self.curve.setData([], [])
            self.no_ecg.setText(no_ecg_text)
            self.no_ecg.setPos(0, 0)
            self.setRange(xRange=(-1, 1), yRange=(-1, 1))
            return
        self.no_ecg.setText("")
        samples = np.asarray(ecg["samples"], dtype=float)
        mv = (samples - ecg["origin"]) * ecg["factor"]
        t = np.arange(len(mv)) * ecg["period_ms"] / 1000.0
        top = max(1.5, float(np.ceil(mv.max() * 2) / 2) + 0.5)
        bottom = min(-1.0, float(np.floor(mv.min() * 2) / 2) - 0.5)
        end = float(t[-1]) if len(t) else 1.0
        for i in range(int(end / 0.04) + 1):  # small squares 0.04 s, large every 5th (0.2 s)
            self._line(QColor("#f28b8b" if i % 5 == 0 else "#fbd0d0"), i % 5 == 0, x=i * 0.04, span=(bottom, top))
        first = int(round(bottom * 10))  # bottom is a multiple of 0.5 mV
        for j in range(first, int(round(top * 10)) + 1):  # small squares 0.1 mV, large every 0.5 mV
            self._line(QColor("#f28b8b" if j % 5 == 0 else "#fbd0d0"), j % 5 == 0, y=j / 10, span=(0, end))
        self.curve.setData(t, mv)
        self.curve.setZValue(10)
        self.setRange(xRange=(0, end), yRange=(bottom, top), padding=0)

    def _line(self, color: QColor, major: bool, *, x: float | None = None, y: float | None = None,
              span: tuple[float, float]) -> None:
        pen = pg.mkPen(color, width=1.2 if major else 0.6)
        xs, ys = ([x, x], list(span)) if x is not None else (list(span), [y, y])
        item = pg.PlotDataItem(xs, ys, pen=pen)
        item.setZValue(1 if major else 0)
        self.addItem(item)
        self._grid.append(item)


class HospitalConsole(QWidget):
    """Incoming pre-notifications of one hospital. Feed it with :meth:`apply_frame`."""

    acknowledged = Signal(str, str)  # prenotify_id, response — after the command was handed on

    def __init__(self, send_command: Callable[[str, dict[str, Any]], Any] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._send = send_command
        self._frames: dict[str, dict[str, Any]] = {}
        self._current: str | None = None

        self.list = QListWidget()
        self.list.currentItemChanged.connect(self._on_current_changed)
        self.title = QLabel()
        self.title.setStyleSheet("font-size: 20px; font-weight: bold;")
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.TextFormat.PlainText)
        self.status = QLabel()
        self.status.setStyleSheet("font-size: 15px; font-weight: bold; color: #1b5e20;")
        vitals = QWidget()
        vitals.setStyleSheet("background: #101418;")
        grid = QGridLayout(vitals)
        self.vital_labels: dict[str, QLabel] = {}
        for i, (key, name, colour, unit) in enumerate(_VITALS):
            caption = QLabel(f"{name}  {unit}")
            caption.setStyleSheet(f"color: {colour}; font-size: 11px;")
            value = QLabel("—")
            value.setStyleSheet(f"color: {colour}; font-size: 26px; font-weight: bold;")
            grid.addWidget(caption, 0, i)
            grid.addWidget(value, 1, i)
            self.vital_labels[key] = value
        self.ecg_caption = QLabel()
        self.ecg = EcgPaper()
        self.ecg.setMinimumHeight(240)
        buttons = QHBoxLayout()
        self.ack_buttons: dict[str, QPushButton] = {}
        for response in _ACKS:
            button = QPushButton()
            button.clicked.connect(lambda _checked=False, r=response: self._acknowledge(r))
            buttons.addWidget(button)
            self.ack_buttons[response.value] = button
        self.export_button = QPushButton()
        self.export_button.clicked.connect(self._export_dialog)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)

        right = QWidget()
        layout = QVBoxLayout(right)
        for w in (self.title, self.details, vitals, self.ecg_caption, self.ecg, self.status):
            layout.addWidget(w)
        layout.addLayout(buttons)
        splitter = QSplitter()
        splitter.addWidget(self.list)
        splitter.addWidget(right)
        splitter.setSizes([280, 1000])
        outer = QVBoxLayout(self)
        outer.addWidget(splitter)
        self.retranslate_ui()
        self._show(None)

    # ------------------------------------------------------------ input
    def apply_frame(self, frame: dict[str, Any]) -> None:
        """A ``prenotify_package`` frame (already decoded): add or update its entry."""
        package = frame["package"]
        pid = package["prenotify_id"]
        new = pid not in self._frames
        self._frames[pid] = frame
        if new:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, pid)
            self.list.insertItem(0, item)
            self.list.setCurrentItem(item)
        self._refresh_items()
        if pid == self._current:
            self._show(pid)

    def frame(self, prenotify_id: str) -> dict[str, Any] | None:
        return self._frames.get(prenotify_id)

    # ------------------------------------------------------------ display
    def retranslate_ui(self) -> None:
        labels = _labels()
        for value, button in self.ack_buttons.items():
            button.setText(labels.ack_response_label(value))
        self.export_button.setText(self.tr("Export FHIR…"))
        self._refresh_items()
        self._show(self._current)

    def _refresh_items(self) -> None:
        labels = _labels()
        for row in range(self.list.count()):
            item = self.list.item(row)
            frame = self._frames[item.data(Qt.ItemDataRole.UserRole)]
            p = frame["package"]
            ack = frame["acknowledged"]
            mark = "✓ " if ack else "● "
            item.setText(f"{mark}{labels.complaint_label(p['summary']['complaint'])} — {p.get('call_sign') or ''}"
                         f"\n{p['sent_at'][11:16]} UTC")
            item.setForeground(QColor("#1b5e20" if ack else "#b71c1c"))

    def _on_current_changed(self, item: QListWidgetItem | None, _previous: Any) -> None:
        self._show(item.data(Qt.ItemDataRole.UserRole) if item is not None else None)

    def _show(self, pid: str | None) -> None:
        self._current = pid
        frame = self._frames.get(pid or "")
        for button in (*self.ack_buttons.values(), self.export_button):
            button.setEnabled(frame is not None)
        labels = _labels()
        if frame is None:
            self.title.setText(self.tr("No pre-notification yet"))
            self.details.setText("")
            self.status.setText("")
            self.ecg_caption.setText("")
            for value in self.vital_labels.values():
                value.setText("—")
            self.ecg.show_strip(None, "")
            return
        p, ack = frame["package"], frame["acknowledged"]
        s = p["summary"]
        age = "?" if s.get("age") is None else (f"~{s['age']}" if s.get("age_estimated") else str(s["age"]))
        self.title.setText(self.tr("{complaint} — {sex}, {age} y — {unit}").format(
            complaint=labels.complaint_label(s["complaint"]), sex=labels.sex_label(s["sex"]), age=age,
            unit=p.get("call_sign") or p.get("unit_id") or "?"))
        lines = []
        if p.get("eta_s") is not None:
            lines.append(self.tr("ETA {minutes} min (sent {time} UTC)").format(
                minutes=round(p["eta_s"] / 60), time=p["sent_at"][11:19]))
        triage = p.get("triage")
        if triage:
            lines.append(self.tr("Dispatch triage {determinant}, priority {priority}").format(
                determinant=triage.get("determinant"), priority=triage.get("priority")))
        if s.get("note"):
            lines.append(s["note"])
        self.details.setText("\n".join(lines))
        v = p.get("vitals") or {}
        for key, label in self.vital_labels.items():
            if key == "nibp":
                text = f"{v['nibp_sys']:.0f}/{v['nibp_dia']:.0f}" if v.get("nibp_sys") and v.get("nibp_dia") else "—"
            else:
                text = "—" if v.get(key) is None else f"{v[key]:.{1 if key == 'temp_c' else 0}f}"
            label.setText(text)
        ecg = p.get("ecg")
        if ecg:
            self.ecg_caption.setText(self.tr("{lead}  25 mm/s  10 mm/mV  {seconds:.1f} s from {start} (device time)").format(
                lead=ecg["channel"].removeprefix("ECG_"), seconds=len(ecg["samples"]) * ecg["period_ms"] / 1000,
                start=ecg["start"][11:19]))
        else:
            self.ecg_caption.setText("")
        self.ecg.show_strip(ecg, self.tr("No ECG in this pre-notification"))
        self.status.setText(self.tr("Answered: {response}").format(response=labels.ack_response_label(ack["response"]))
                            if ack else self.tr("Not answered yet"))
        self.status.setStyleSheet("font-size: 15px; font-weight: bold; color: %s;" % ("#1b5e20" if ack else "#b71c1c"))

    # ------------------------------------------------------------ actions
    def _acknowledge(self, response: AckResponse) -> None:
        if self._current is None or self._send is None:
            return
        self._send("prenotify.ack", {"prenotify_id": self._current, "response": response.value})
        self.acknowledged.emit(self._current, response.value)

    def export_fhir(self, path: Path) -> Path:
        """Write the current package as a FHIR R4 Bundle (JSON). Raises OSError."""
        frame = self._frames[self._current or ""]
        bundle = bundle_from_package(frame["package"], frame["acknowledged"])
        path.write_text(json.dumps(bundle, ensure_ascii=False, indent=2), encoding="utf-8")
        return path

    def _export_dialog(self) -> None:
        if self._current is None:
            return
        name, _ = QFileDialog.getSaveFileName(self, self.tr("Export FHIR…"), f"prenotify-{self._current[:8]}.json",
                                              "FHIR JSON (*.json)")
        if not name:
            return
        try:
            self.export_fhir(Path(name))
        except OSError as exc:
            self.status.setText(self.tr("Could not write {path}: {error}").format(path=name, error=exc.strerror))
