"""The 12-lead view on demand: a static 10-s "printout" of one ambulance's 12-lead ECG.

Standard layout (25 mm/s, 10 mm/mV) on ECG paper — pink grid, 1 mm minor and
5 mm major lines — with a 1 mV calibration pulse at the start of every row::

    I    | aVR | V1 | V4
    II   | aVL | V2 | V5
    III  | aVF | V3 | V6
    II (rhythm strip, 10 s)

Each column is 2.5 s of the same 10 s, so the four columns are consecutive in
time. The drawing is in millimetres of paper with a locked aspect ratio, so a
millimetre is square whatever the window's size. A lead that has no data, or
is off, is left blank and labelled so — never a flat line. It does not follow
the live stream: "Refresh" takes the last 10 s again.

GUI thread only.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

SPEED_MM_S = 25.0
GAIN_MM_MV = 10.0
STRIP_S = 10.0
COLUMN_S = 2.5
ROW_MM = 30.0
CAL_MM = 8.0  # room at the start of a row for the calibration pulse
LAYOUT: tuple[tuple[str, str, str, str], ...] = (
    ("I", "aVR", "V1", "V4"),
    ("II", "aVL", "V2", "V5"),
    ("III", "aVF", "V3", "V6"),
)
RHYTHM_LEAD = "II"
PAPER = "#fff7f7"
MINOR = "#f6c6cf"
MAJOR = "#e58aa0"
TRACE = "#101010"

WIDTH_MM = CAL_MM + STRIP_S * SPEED_MM_S
HEIGHT_MM = ROW_MM * 4 + 6


def _grid(step_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """Line segments (pairs of points) of a grid every ``step_mm`` over the paper."""
    xs = np.arange(0.0, WIDTH_MM + 1e-6, step_mm)
    ys = np.arange(0.0, HEIGHT_MM + 1e-6, step_mm)
    vx = np.repeat(xs, 2)
    vy = np.tile([0.0, HEIGHT_MM], len(xs))
    hx = np.tile([0.0, WIDTH_MM], len(ys))
    hy = np.repeat(ys, 2)
    return np.concatenate((vx, hx)), np.concatenate((vy, hy))


class TwelveLeadView(QWidget):
    """A static 12-lead printout of ``store.telemetry.units[unit_id]``. Call :meth:`refresh` to re-take it."""

    def __init__(self, store: Any, unit_id: str, *, call_sign: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("TwelveLeadView")
        self.store = store
        self.unit_id = unit_id
        self.call_sign = call_sign or unit_id
        self.strip_end_epoch_s: float | None = None
        self.missing: list[str] = []

        self.heading = QLabel(self)
        font = QFont()
        font.setBold(True)
        self.heading.setFont(font)
        self.scale_label = QLabel(f"{SPEED_MM_S:g} mm/s   {GAIN_MM_MV:g} mm/mV", self)
        self.refresh_button = QPushButton(self)
        self.refresh_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.scale_label)
        top.addWidget(self.refresh_button)

        self.plot_widget = pg.PlotWidget(background=PAPER)
        plot = self.plot = self.plot_widget.getPlotItem()
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        plot.setMenuEnabled(False)
        plot.setMouseEnabled(x=False, y=False)
        plot.hideButtons()
        plot.getViewBox().setAspectLocked(True, 1.0)
        plot.getViewBox().setDefaultPadding(0)
        x, y = _grid(1.0)
        plot.addItem(pg.PlotCurveItem(x, y, connect="pairs", pen=pg.mkPen(MINOR, width=1), antialias=False))
        x, y = _grid(5.0)
        plot.addItem(pg.PlotCurveItem(x, y, connect="pairs", pen=pg.mkPen(MAJOR, width=1), antialias=False))
        plot.setXRange(0, WIDTH_MM, padding=0.005)
        plot.setYRange(0, HEIGHT_MM, padding=0.005)

        pen = pg.mkPen(TRACE, width=1.2)
        # (lead, curve, label, start s within the strip, length s, baseline mm)
        self.segments: list[tuple[str, pg.PlotCurveItem, pg.TextItem, float, float, float]] = []
        label_font = QFont()
        label_font.setPixelSize(12)
        label_font.setBold(True)
        cal_x, cal_y = [], []
        for row in range(4):
            baseline = HEIGHT_MM - 3 - ROW_MM * row - ROW_MM * 0.55
            leads = LAYOUT[row] if row < 3 else (RHYTHM_LEAD,)
            length = COLUMN_S if row < 3 else STRIP_S
            for col, lead in enumerate(leads):
                curve = pg.PlotCurveItem(pen=pen, antialias=False, connect="finite", skipFiniteCheck=True)
                plot.addItem(curve)
                label = pg.TextItem(lead, color=TRACE, anchor=(0, 1))
                label.setFont(label_font)
                x0 = CAL_MM + col * COLUMN_S * SPEED_MM_S
                label.setPos(x0 + 1, baseline + ROW_MM * 0.5)
                plot.addItem(label)
                self.segments.append((lead, curve, label, col * COLUMN_S, length, baseline))
                if row < 3 and col > 0:  # the column boundary tick
                    plot.addItem(pg.PlotCurveItem([x0, x0], [baseline - 3, baseline + 3], pen=pen))
            # 1 mV calibration pulse, 0.2 s (5 mm) wide
            cal_x += [0.5, 1.5, 1.5, 6.5, 6.5, 7.5, np.nan]
            cal_y += [baseline, baseline, baseline + GAIN_MM_MV, baseline + GAIN_MM_MV, baseline, baseline, np.nan]
        plot.addItem(pg.PlotCurveItem(np.array(cal_x), np.array(cal_y), pen=pen, connect="finite"))

        self.close_shortcut = QShortcut(QKeySequence(Qt.Key.Key_Escape), self)
        self.close_shortcut.activated.connect(self.close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.plot_widget, 1)
        self.resize(1100, 600)
        self.retranslate_ui()
        self.refresh()

    def refresh(self) -> None:
        """Take the last 10 s of every lead (ending at the newest sample common to them) and draw it."""
        telemetry = getattr(self.store, "telemetry", None)
        unit = telemetry.units.get(self.unit_id) if telemetry is not None else None
        buffers = {}
        if unit is not None:
            for lead in {s[0] for s in self.segments}:
                buffer = unit.waveforms.get(f"ECG_{lead}")
                if buffer is not None and buffer.last_sample_epoch_s is not None:
                    buffers[lead] = buffer
        ends = [b.last_sample_epoch_s for b in buffers.values()]
        self.strip_end_epoch_s = max(ends) if ends else None
        self.missing = []
        for lead, curve, label, start_s, length_s, baseline in self.segments:
            buffer = buffers.get(lead)
            y = None
            if buffer is not None and self.strip_end_epoch_s is not None:
                t0, samples = buffer.window(STRIP_S, end_epoch_s=self.strip_end_epoch_s)
                rate = buffer.rate_hz
                i0, i1 = int(round(start_s * rate)), int(round((start_s + length_s) * rate))
                y = samples[i0:i1]
                if not np.isfinite(y).any():
                    y = None
            if y is None:
                self.missing.append(lead)
                curve.setData([], [])
                label.setText(self.tr("%1 — no data").replace("%1", lead))
                continue
            x = CAL_MM + (start_s + np.arange(len(y)) / buffer.rate_hz) * SPEED_MM_S
            curve.setData(x, baseline + y.astype(np.float64) * GAIN_MM_MV, connect="finite")
            label.setText(lead)
        self._update_heading()

    def _update_heading(self) -> None:
        when = "—"
        if self.strip_end_epoch_s is not None:
            end = dt.datetime.fromtimestamp(self.strip_end_epoch_s)
            start = end - dt.timedelta(seconds=STRIP_S)
            when = f"{start:%H:%M:%S} – {end:%H:%M:%S}"
        self.heading.setText(self.tr("12-lead ECG — %1 — %2").replace("%1", self.call_sign).replace("%2", when))
        self.setWindowTitle(self.tr("12-lead ECG — %1").replace("%1", self.call_sign))

    def retranslate_ui(self) -> None:
        self.refresh_button.setText(self.tr("Refresh"))
        self.refresh_button.setToolTip(self.tr("Take the last 10 s again"))
        self._update_heading()
        for lead, _curve, label, *_rest in self.segments:
            if lead in self.missing:
                label.setText(self.tr("%1 — no data").replace("%1", lead))

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)
