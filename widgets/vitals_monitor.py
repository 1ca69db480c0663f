"""One ambulance's patient monitor at the seat: ECG sweep, pleth, capnogram, numerics, alarms.

Layout (one per watched ambulance; :mod:`widgets.vitals_wall` puts several side by side)::

    ┌ 120-01 [II ▾] ██ VENTRICULAR FIBRILLATION ██ Acknowledge Silence Freeze 12-lead × ┐
    │ II  10 mm/mV  25 mm/s                            │ HR /min     78   150/50         │
    │ ⎍ ─╨──╨──╨──╨──   (erase bar)   ─╨──╨──╨──      │ SpO2 %      97   90/85          │
    │ Pleth  ∿∿∿∿∿∿∿∿∿∿              ∿∿∿∿∿∿∿∿∿       │ NIBP 128/82 (97)            │
    │ CO2    ⌐⌐⌐⌐⌐⌐⌐⌐⌐⌐              ⌐⌐⌐⌐⌐⌐⌐⌐⌐       │ RR 16   EtCO2 36   Temp 36.8 │
    └ frozen: scroll back through the last 60 s ◂━━━━━━━━━━━━━━━━━━━━━━━▸              ┘

How it draws (DESIGN §3, measured in ``bench/vitals_gui.py``):

* **Erase-bar sweep** at 25 mm/s and 10 mm/mV: pixels per mm come from the screen's
  logical DPI, the sweep window in seconds is the trace's width in mm / 25, the
  x range is fixed ``[0, window]`` and the newest sample is written at
  ``t mod window`` with a blank erase bar just ahead of it. Curves are created
  once and fed with ``setData``; no symbols, no antialiasing.
* **Never a flat line that could be read as asystole**: missing samples and
  lead-off are NaN in the buffers and drawn with ``connect="finite"`` (a gap);
  when a channel is not ``"ok"`` (``"lead_off"``, ``"no_data"``, ``"stale"``) its
  curve is emptied and the state is written over the trace in words.
* **Play-out clock**: chunks arrive every 100–500 ms; the trace is drawn a little
  behind the newest sample (:data:`PLAYOUT_LAG_S`) so that it sweeps smoothly.
* Nothing here redraws by itself: :meth:`VitalsMonitor.render` is called by one
  shared :class:`RenderClock` (≤ 30 frames/s for all monitors), never per frame received.

Alarms: :class:`app.alarms.AlarmTracker` decides; the banner shows the highest
condition in the IEC 60601-1-8 colour and flashes (high red ~2 Hz, medium yellow
~0.5 Hz, low cyan steady) until acknowledged.

GUI thread only.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollBar,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.alarms import DEFAULT_LIMITS, AlarmTracker, Limits, evaluate
from widgets.labels import ALARM_COLOURS, VITAL_COLOURS, alarm_text

SPEED_MM_S = 25.0
GAIN_MM_MV = 10.0
ERASE_GAP_S = 0.3
PLAYOUT_LAG_S = 0.6  # drawn this far behind the newest sample, so chunked input sweeps smoothly
MAX_LAG_S = 1.5  # further behind than this: jump forward
NUMERIC_STALE_S = 10.0
FREEZE_HISTORY_S = 60.0
FPS = 30
CAL_MARGIN_S = 0.32  # room left of the sweep for the 1 mV calibration pulse

LEADS = ("I", "II", "III", "aVR", "aVL", "aVF", "V1", "V2", "V3", "V4", "V5", "V6")
ECG_CHANNEL = "ECG_{}"
PLETH, CO2 = "PLETH", "CO2"

BLACK = "#000000"
GREY = "#6b6b6b"
STATE_COLOUR = "#ffd200"
ECG_PEN = VITAL_COLOURS["hr"]


def logical_px_per_mm(widget: QWidget) -> float:
    """Pixels per millimetre of the screen the widget is on (logical DPI; 96 dpi if unknown)."""
    dpi = float(widget.logicalDpiX()) or 96.0
    return dpi / 25.4


class PlayoutClock:
    """Device time to draw at, advancing with local time, kept just behind the newest sample.

    Pure; times in seconds (``now_s`` monotonic, ``last_epoch_s`` the device's epoch).
    """

    def __init__(self, lag_s: float = PLAYOUT_LAG_S, max_lag_s: float = MAX_LAG_S) -> None:
        self.lag_s = lag_s
        self.max_lag_s = max_lag_s
        self._anchor: tuple[float, float] | None = None  # (monotonic, device epoch)

    def at(self, now_s: float, last_epoch_s: float) -> float:
        if self._anchor is None:
            self._anchor = (now_s, last_epoch_s - self.lag_s)
        mono, epoch = self._anchor
        t = epoch + (now_s - mono)
        if t > last_epoch_s:  # ran out of samples: wait for the next chunk
            t = last_epoch_s
            self._anchor = (now_s, t)
        elif t < last_epoch_s - self.max_lag_s:  # fell behind (a burst, or device clock jump)
            t = last_epoch_s - self.lag_s
            self._anchor = (now_s, t)
        return t

    def reset(self) -> None:
        self._anchor = None


def sweep_arrays(t_start: float, samples: np.ndarray, rate_hz: float, t_end: float,
                 window_s: float, gap_s: float = ERASE_GAP_S) -> tuple[np.ndarray, np.ndarray]:
    """x (s, in ``[0, window_s)``) and y for an erase-bar sweep ending at device time ``t_end``.

    ``samples[i]`` was taken at ``t_start + i / rate_hz``. The last ``window_s`` seconds up to
    ``t_end`` are laid out at ``t mod window_s``; the oldest ``gap_s`` of them become NaN (the
    erase bar just ahead of the newest sample). Gaps (NaN) in the input stay gaps.
    """
    n = int(round(window_s * rate_hz))
    end = int(math.floor((t_end - t_start) * rate_hz + 1e-6)) + 1
    end = min(end, len(samples))
    start = max(0, end - n)
    if end <= start:
        return np.empty(0), np.empty(0, dtype=np.float32)
    y = np.array(samples[start:end], dtype=np.float32)
    times = t_start + np.arange(start, end) / rate_hz
    # The erase bar: everything drawn within gap_s of being overwritten is blank.
    newest = times[-1]
    y[times < newest - window_s + gap_s] = np.nan
    x = np.mod(times, window_s)
    wrap = np.flatnonzero(np.diff(x) < 0)
    if wrap.size:
        k = int(wrap[0]) + 1
        x = np.concatenate((x[k:], x[:k]))
        y = np.concatenate((y[k:], y[:k]))
        # the newest sample sits just before the blank gap; make the seam itself a gap too
    return x, y


class RenderClock(QObject):
    """The one timer that redraws every monitor (≤ :data:`FPS` frames/s). GUI thread."""

    def __init__(self, parent: QObject | None = None, fps: int = FPS) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.setInterval(int(1000 / fps))
        self.timer.timeout.connect(self.tick)
        self._targets: list[Callable[[float], None]] = []
        self.frames = 0

    def add(self, render: Callable[[float], None]) -> None:
        self._targets.append(render)
        if not self.timer.isActive():
            self.timer.start()

    def remove(self, render: Callable[[float], None]) -> None:
        if render in self._targets:
            self._targets.remove(render)
        if not self._targets:
            self.timer.stop()

    def tick(self) -> None:
        now = time.monotonic()
        self.frames += 1
        for render in list(self._targets):
            render(now)


def _font(pixels: int, bold: bool = False) -> QFont:
    font = QFont()
    font.setPixelSize(pixels)
    font.setBold(bold)
    return font


def _plot(layout: pg.GraphicsLayoutWidget, row: int) -> pg.PlotItem:
    plot = layout.addPlot(row=row, col=0)
    plot.hideAxis("left")
    plot.hideAxis("bottom")
    plot.setMenuEnabled(False)
    # pyqtgraph makes each plot's options menu as a window of its own (no parent), kept
    # until Python collects the plot; parented to the layout it dies with the monitor.
    plot.ctrlMenu.setParent(layout, plot.ctrlMenu.windowFlags())
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.getViewBox().setDefaultPadding(0)
    plot.setContentsMargins(0, 0, 0, 0)
    return plot


class _Trace:
    """One sweeping waveform (ECG lead, pleth, capnogram) in its own plot, with its state text."""

    def __init__(self, plot: pg.PlotItem, colour: str, title: str) -> None:
        self.plot = plot
        self.curve = pg.PlotCurveItem(pen=pg.mkPen(colour, width=1.5), antialias=False, connect="finite",
                                      skipFiniteCheck=True)
        plot.addItem(self.curve)
        self.title = pg.TextItem(title, color=colour, anchor=(0, 0))
        self.title.setFont(_font(11))
        plot.addItem(self.title, ignoreBounds=True)
        self.state_text = pg.TextItem("", color=STATE_COLOUR, anchor=(0.5, 0.5))
        self.state_text.setFont(_font(17, bold=True))
        self.state_text.setVisible(False)
        plot.addItem(self.state_text, ignoreBounds=True)
        self.state = "no_data"
        self.x_range = (0.0, 1.0)
        self.y_range = (0.0, 1.0)

    def set_ranges(self, x: tuple[float, float], y: tuple[float, float]) -> None:
        self.x_range, self.y_range = x, y
        self.plot.setXRange(*x, padding=0)
        self.plot.setYRange(*y, padding=0)
        self.title.setPos(x[0], y[1])
        self.state_text.setPos((x[0] + x[1]) / 2, (y[0] + y[1]) / 2)

    def show_state(self, state: str, text: str) -> None:
        """Not "ok": hide the trace entirely and write the state over it."""
        self.state = state
        self.curve.setData([], [])
        self.curve.setVisible(False)
        self.state_text.setText(text)
        self.state_text.setVisible(True)

    def show_data(self, x: np.ndarray, y: np.ndarray) -> None:
        self.state = "ok"
        self.state_text.setVisible(False)
        self.curve.setVisible(True)
        self.curve.setData(x, y, connect="finite", skipFiniteCheck=True)


class _Numeric(QWidget):
    """A big coloured number, its label and unit, with the alarm limits beside it."""

    def __init__(self, colour: str, big: int = 34, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colour = colour
        self.name = QLabel(self)
        self.unit = QLabel(self)
        self.value = QLabel("--", self)
        self.limits = QLabel(self)
        font = QFont()
        font.setPixelSize(big)
        font.setBold(True)
        self.value.setFont(font)
        self.value.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        for label in (self.name, self.unit, self.limits):
            small = QFont()
            small.setPixelSize(11)
            label.setFont(small)
        self.limits.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        grid = QGridLayout(self)
        grid.setContentsMargins(4, 2, 4, 2)
        grid.setHorizontalSpacing(4)
        grid.setVerticalSpacing(0)
        grid.addWidget(self.name, 0, 0)
        grid.addWidget(self.unit, 1, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.value, 0, 1, 2, 1)
        grid.addWidget(self.limits, 0, 2, 2, 1)
        grid.setColumnStretch(1, 1)
        self.fresh = False
        self.set_fresh(False)

    def set_fresh(self, fresh: bool) -> None:
        self.fresh = fresh
        colour = self.colour if fresh else GREY
        for label in (self.name, self.unit, self.value, self.limits):
            label.setStyleSheet(f"color: {colour}; background: transparent;")


def _fmt(value: float | None, digits: int = 0) -> str:
    if value is None or not math.isfinite(value):
        return "--"
    return f"{value:.{digits}f}"


class VitalsMonitor(QFrame):
    """The monitor of one ambulance, drawn from ``store.telemetry.units[unit_id]``.

    Args:
        store: the seat store (``store.telemetry`` is the :class:`app.seat.telemetry.TelemetryStore`).
        unit_id: the ambulance.
        call_sign: shown in the header (the unit id when None).
        limits: the patient's alarm limits (transport-monitor defaults).
        clock: monotonic seconds (tests may pass their own).

    Emits ``close_requested(unit_id)`` (the × button) and ``twelve_lead_requested(unit_id)``.
    """

    close_requested = Signal(str)
    twelve_lead_requested = Signal(str)

    def __init__(self, store: Any, unit_id: str, *, call_sign: str | None = None,
                 limits: Limits = DEFAULT_LIMITS, clock: Callable[[], float] = time.monotonic,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("VitalsMonitor")
        self.setFrameShape(QFrame.Shape.Box)
        self.setStyleSheet("#VitalsMonitor { background: #000000; border: 1px solid #333; }"
                           "#VitalsMonitor QLabel { color: #dddddd; }")
        self.store = store
        self.unit_id = unit_id
        self.call_sign = call_sign or unit_id
        self.limits = limits
        self.clock = clock
        self.lead = "II"
        self.alarms = AlarmTracker()
        self.playout = PlayoutClock()
        self.frozen = False
        self._frozen_strip: dict[str, tuple[float, np.ndarray, float]] = {}
        self._frozen_end = 0.0
        self._blink_on = True
        self.sweep_seconds = 1.0
        self._px_per_mm = logical_px_per_mm(self)
        self._last_numerics = -1.0
        self._numerics_dirty = True
        self._silence_shown = False

        # ---- header
        self.title = QLabel(self.call_sign, self)
        self.title.setStyleSheet("color: #ffffff; font-weight: bold; font-size: 15px;")
        self.lead_box = QComboBox(self)
        self.lead_box.addItems(list(LEADS))
        self.lead_box.setCurrentText(self.lead)
        self.lead_box.currentTextChanged.connect(self.set_lead)
        self.lead_box.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.lead_box.setStyleSheet(f"QComboBox {{ background: #111; color: {ECG_PEN}; border: 1px solid #555;"
                                    " padding: 1px 6px; min-width: 48px; }"
                                    f" QComboBox QAbstractItemView {{ background: #111; color: {ECG_PEN}; }}")
        self.alarm_banner = QLabel(self)
        self.alarm_banner.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.alarm_banner.setMinimumWidth(120)
        self.alarm_banner.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.ack_button = QPushButton(self)
        self.silence_button = QPushButton(self)
        self.freeze_button = QPushButton(self)
        self.freeze_button.setCheckable(True)
        self.twelve_button = QPushButton(self)
        self.close_button = QPushButton("×", self)
        self.close_button.setFixedWidth(26)
        for button in (self.ack_button, self.silence_button, self.freeze_button, self.twelve_button,
                       self.close_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setStyleSheet("QPushButton { background: #222; color: #eee; border: 1px solid #555;"
                                 " padding: 2px 6px; } QPushButton:checked { background: #0050a0; }"
                                 " QPushButton:disabled { color: #666; }")
        self.ack_button.clicked.connect(self.acknowledge)
        self.silence_button.clicked.connect(self.silence)
        self.freeze_button.toggled.connect(self.set_frozen)
        self.twelve_button.clicked.connect(lambda: self.twelve_lead_requested.emit(self.unit_id))
        self.close_button.clicked.connect(lambda: self.close_requested.emit(self.unit_id))
        header = QHBoxLayout()
        header.setContentsMargins(6, 4, 6, 0)
        header.addWidget(self.title)
        header.addWidget(self.lead_box)
        header.addWidget(self.alarm_banner, 1)
        for button in (self.ack_button, self.silence_button, self.freeze_button, self.twelve_button,
                       self.close_button):
            header.addWidget(button)

        # ---- traces
        pg.setConfigOptions(antialias=False)
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setBackground(BLACK)
        self.graphics.ci.setContentsMargins(0, 0, 0, 0)
        self.graphics.ci.setSpacing(2)
        self.ecg = _Trace(_plot(self.graphics, 0), ECG_PEN, "")
        self.pleth = _Trace(_plot(self.graphics, 1), VITAL_COLOURS["spo2"], "Pleth")
        self.co2 = _Trace(_plot(self.graphics, 2), VITAL_COLOURS["etco2"], "CO₂")
        self.graphics.ci.layout.setRowStretchFactor(0, 5)
        self.graphics.ci.layout.setRowStretchFactor(1, 2)
        self.graphics.ci.layout.setRowStretchFactor(2, 2)
        self.cal_bar = pg.PlotCurveItem(pen=pg.mkPen(ECG_PEN, width=1.5), antialias=False)
        self.ecg.plot.addItem(self.cal_bar, ignoreBounds=True)
        self.co2_scale = pg.TextItem("50", color=VITAL_COLOURS["etco2"], anchor=(0, 0.5))
        self.co2_scale.setFont(_font(9))
        self.co2.plot.addItem(self.co2_scale, ignoreBounds=True)
        self.co2_scale_line = pg.PlotCurveItem(pen=pg.mkPen(VITAL_COLOURS["etco2"], width=1,
                                                            style=Qt.PenStyle.DotLine))
        self.co2.plot.addItem(self.co2_scale_line, ignoreBounds=True)
        self._pleth_range = (0.0, 1.0)

        # ---- numerics
        self.numerics = QWidget(self)
        self.numerics.setObjectName("Numerics")
        self.numerics.setFixedWidth(230)
        self.hr = _Numeric(VITAL_COLOURS["hr"], 40)
        self.spo2 = _Numeric(VITAL_COLOURS["spo2"], 40)
        self.nibp = _Numeric(VITAL_COLOURS["nibp"], 24)
        self.rr = _Numeric(VITAL_COLOURS["rr"], 24)
        self.etco2 = _Numeric(VITAL_COLOURS["etco2"], 24)
        self.temp = _Numeric(VITAL_COLOURS["temp_c"], 20)
        column = QVBoxLayout(self.numerics)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        for numeric, stretch in ((self.hr, 3), (self.spo2, 3), (self.nibp, 2)):
            column.addWidget(numeric, stretch)
        small_row = QHBoxLayout()
        small_row.setSpacing(0)
        small_row.addWidget(self.rr)
        small_row.addWidget(self.etco2)
        column.addLayout(small_row, 2)
        column.addWidget(self.temp, 1)
        self.hr_compare = QLabel(self)
        self.hr_compare.setStyleSheet("color: #bbbbbb; font-size: 11px;")
        self.hr_compare.setWordWrap(True)
        column.addWidget(self.hr_compare)

        # ---- freeze / scroll back
        self.scroll = QScrollBar(Qt.Orientation.Horizontal, self)
        self.scroll.setVisible(False)
        self.scroll.valueChanged.connect(lambda _v: self._draw_frozen())
        self.frozen_label = QLabel(self)
        self.frozen_label.setStyleSheet("color: #7fb2ff;")
        self.frozen_label.setVisible(False)
        freeze_row = QHBoxLayout()
        freeze_row.setContentsMargins(6, 0, 6, 2)
        freeze_row.addWidget(self.frozen_label)
        freeze_row.addWidget(self.scroll, 1)

        body = QHBoxLayout()
        body.setContentsMargins(4, 0, 4, 2)
        body.setSpacing(4)
        body.addWidget(self.graphics, 1)
        body.addWidget(self.numerics)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addLayout(body, 1)
        layout.addLayout(freeze_row)

        # ---- blinking of the alarm banner (only runs while an unacknowledged alarm flashes)
        self.blink_timer = QTimer(self)
        self.blink_timer.timeout.connect(self._blink)

        for name, handler in (("vitals_changed", self._on_vitals_changed),
                              ("alarm_changed", self._on_vitals_changed)):
            signal = getattr(getattr(store, "events", None), name, None)
            if signal is not None:
                signal.connect(handler)
        self.setMinimumSize(560, 300)
        self.retranslate_ui()
        self._layout_traces()
        self.render(self.clock())

    # ------------------------------------------------------------ public actions
    def telemetry(self) -> Any | None:
        """This unit's ``UnitTelemetry`` or None when nothing arrived yet."""
        telemetry = getattr(self.store, "telemetry", None)
        return telemetry.units.get(self.unit_id) if telemetry is not None else None

    def set_lead(self, lead: str) -> None:
        if lead not in LEADS or lead == self.lead:
            return
        self.lead = lead
        if self.lead_box.currentText() != lead:
            self.lead_box.setCurrentText(lead)
        self._update_ecg_title()
        if self.frozen:
            self._draw_frozen()

    def acknowledge(self) -> bool:
        """Acknowledge every present alarm: flashing stops until each condition clears."""
        changed = self.alarms.acknowledge()
        self._show_alarms()
        return changed

    def silence(self) -> None:
        """Pause the alarm sound for 2 minutes (the banner keeps flashing)."""
        self.alarms.silence(self.clock())
        self._show_alarms()

    def set_frozen(self, frozen: bool) -> None:
        """Freeze the traces (keep the last 60 s to scroll back through) or go live again."""
        if frozen == self.frozen:
            return
        self.frozen = frozen
        if self.freeze_button.isChecked() != frozen:
            self.freeze_button.setChecked(frozen)
        if frozen:
            self._take_frozen_strip()
        else:
            self._frozen_strip.clear()
            self.playout.reset()
        self.scroll.setVisible(frozen)
        self.frozen_label.setVisible(frozen)
        self.retranslate_ui()
        self.render(self.clock())

    def scroll_back(self, seconds: float) -> None:
        """While frozen, look ``seconds`` further back (negative: forward)."""
        if self.frozen:
            self.scroll.setValue(int(round(self.scroll.value() - seconds * 10)))

    # ------------------------------------------------------------ rendering
    def render(self, now: float) -> None:
        """Draw one frame (called by the shared :class:`RenderClock`). Never raises on bad data."""
        unit = self.telemetry()
        if not self.frozen:
            self._draw_live(unit, now)
        if self._numerics_dirty or now - self._last_numerics >= 0.5:
            self._numerics_dirty = False
            self._last_numerics = now
            self._draw_numerics(unit, now)

    def _state_text(self, state: str) -> str:
        return {
            "lead_off": self.tr("LEAD OFF"),
            "stale": self.tr("STALE — no new samples"),
            "no_data": self.tr("NO DATA"),
        }.get(state, self.tr("NO DATA"))

    def _draw_live(self, unit: Any | None, now: float) -> None:
        channels = ((self.ecg, ECG_CHANNEL.format(self.lead)), (self.pleth, PLETH), (self.co2, CO2))
        buffers = [(trace, channel, self._buffer(unit, channel)) for trace, channel in channels]
        lasts = [b.last_sample_epoch_s for _t, _c, b in buffers if b is not None and b.last_sample_epoch_s is not None]
        t_draw = self.playout.at(now, max(lasts)) if lasts else None
        for trace, channel, buffer in buffers:
            state = "no_data" if buffer is None or unit is None else unit.data_state(channel, now)
            if state != "ok" or t_draw is None:
                trace.show_state(state, self._state_text(state))
                continue
            t0, samples = buffer.window(self.sweep_seconds, end_epoch_s=t_draw)
            x, y = sweep_arrays(t0, samples, buffer.rate_hz, t_draw, self.sweep_seconds)
            if not np.isfinite(y).any():
                trace.show_state("no_data", self._state_text("no_data"))
                continue
            if trace is self.pleth:
                self._autoscale_pleth(y)
            trace.show_data(x, y)

    def _buffer(self, unit: Any | None, channel: str) -> Any | None:
        if unit is None:
            return None
        return unit.waveforms.get(channel)

    def _autoscale_pleth(self, y: np.ndarray) -> None:
        finite = y[np.isfinite(y)]
        lo, hi = float(finite.min()), float(finite.max())
        if hi - lo < 1e-6:
            hi = lo + 1.0
        margin = (hi - lo) * 0.1
        want = (lo - margin, hi + margin)
        old = self._pleth_range
        # Move the scale only when the signal leaves it or shrinks a lot (a steady picture).
        if want[0] < old[0] or want[1] > old[1] or (want[1] - want[0]) < 0.5 * (old[1] - old[0]):
            self._pleth_range = want
            self.pleth.set_ranges(self.pleth.x_range, want)

    # ------------------------------------------------------------ numerics and alarms
    def _on_vitals_changed(self, unit_id: str) -> None:
        if unit_id == self.unit_id:
            self._numerics_dirty = True

    def _vital(self, unit: Any | None, name: str, now: float) -> float | None:
        """A vital if it is fresh (``data_state`` "ok": younger than 10 s, NIBP 15 min), else None."""
        if unit is None:
            return None
        vital = unit.vitals.get(name)
        if vital is None or unit.data_state(name, now) != "ok":
            return None
        try:
            value = float(vital.value)
        except (TypeError, ValueError):
            return None
        return value if math.isfinite(value) else None

    def _draw_numerics(self, unit: Any | None, now: float) -> None:
        fresh = {name: self._vital(unit, name, now)
                 for name in ("hr", "spo2", "nibp_sys", "nibp_dia", "nibp_map", "rr", "etco2", "temp_c")}
        self.hr.value.setText(_fmt(fresh["hr"]))
        self.hr.set_fresh(fresh["hr"] is not None)
        self.spo2.value.setText(_fmt(fresh["spo2"]))
        self.spo2.set_fresh(fresh["spo2"] is not None)
        if fresh["nibp_sys"] is not None and fresh["nibp_dia"] is not None:
            text = f"{_fmt(fresh['nibp_sys'])}/{_fmt(fresh['nibp_dia'])}"
            if fresh["nibp_map"] is not None:
                text += f" ({_fmt(fresh['nibp_map'])})"
            self.nibp.value.setText(text)
            self.nibp.set_fresh(True)
        else:
            self.nibp.value.setText("--/--")
            self.nibp.set_fresh(False)
        self.rr.value.setText(_fmt(fresh["rr"]))
        self.rr.set_fresh(fresh["rr"] is not None)
        self.etco2.value.setText(_fmt(fresh["etco2"]))
        self.etco2.set_fresh(fresh["etco2"] is not None)
        self.temp.value.setText(_fmt(fresh["temp_c"], 1))
        self.temp.set_fresh(fresh["temp_c"] is not None)

        # The seat's HR from the ECG counts only while that ECG is live ("ok"); a noise window
        # shows "?" and why, never a number (app.ecg.qrs: a falsely low rate is worse than none).
        ecg_hr, ecg_reason = None, None
        if unit is not None:
            channel = unit.ecg_channel() if hasattr(unit, "ecg_channel") else None
            if channel is not None and unit.data_state(channel, now) == "ok":
                value = getattr(unit, "ecg_hr", None)
                ecg_reason = getattr(unit, "ecg_hr_reason", None)
                if ecg_reason is None and getattr(unit, "ecg_hr_noise", False):
                    ecg_reason = "unmatched"
                ecg_hr = value if ecg_reason is None and isinstance(value, (int, float)) else None
        disagrees = bool(getattr(unit, "hr_disagrees", False)) if unit is not None else False
        if unit is None:
            self.hr_compare.setText("")
        else:
            ecg_text = ("? (" + self._ecg_reason_text(ecg_reason) + ")") if ecg_reason is not None else _fmt(ecg_hr)
            text = self.tr("Device HR %1 · ECG HR %2").replace("%1", _fmt(fresh["hr"])).replace("%2", ecg_text)
            if disagrees:
                text = "⚠ " + text + " — " + self.tr("they disagree: check the patient")
            self.hr_compare.setText(text)
            self.hr_compare.setStyleSheet(
                f"color: {'#ffd200' if disagrees else '#bbbbbb'}; font-size: 11px;"
                + (" font-weight: bold;" if disagrees else ""))

        device = {}
        if unit is not None:
            for code, alarm in unit.alarms.items():
                if getattr(alarm, "active", True):
                    device[code] = getattr(alarm, "priority", "high")
        changed = self.alarms.update(
            evaluate(fresh, device, self.limits, ecg_hr=ecg_hr, ecg_noise_reason=ecg_reason), now)
        if changed or self.alarms.is_silenced(now) != self._silence_shown:
            self._show_alarms()

    def _ecg_reason_text(self, reason: str) -> str:
        """Why there is no HR from the ECG (``UnitTelemetry.ecg_hr_reason``), in a few words."""
        texts = {
            "artefact": self.tr("artefact"),
            "unmatched": self.tr("noise"),
            "spikes": self.tr("spikes"),
            "implausible": self.tr("implausible"),
            "few_beats": self.tr("too few beats"),
            "fibrillation": self.tr("fibrillation-like"),
            "missing": self.tr("gap"),
            "failed": self.tr("error"),
        }
        return texts.get(str(reason), self.tr("noise"))

    def _show_alarms(self) -> None:
        top = self.alarms.top()
        hz = self.alarms.flash_hz()
        self._silence_shown = self.alarms.is_silenced(self.clock())
        if top is None:
            self.alarm_banner.setText("")
            self.alarm_banner.setStyleSheet("background: transparent;")
            self.blink_timer.stop()
            self._blink_on = True
        else:
            ordered = self.alarms.ordered()
            text = "  ·  ".join(alarm_text(e.code) for e in ordered[:2])
            if len(ordered) > 2:
                text += f"  (+{len(ordered) - 2})"
            if self._silence_shown:
                text = "🔕 " + text
            self.alarm_banner.setText(text)
            self.alarm_banner.setToolTip("\n".join(alarm_text(e.code) for e in self.alarms.ordered()))
            if hz > 0:
                interval = int(round(1000 / (2 * hz)))  # on and off once per period
                if self.blink_timer.interval() != interval or not self.blink_timer.isActive():
                    self.blink_timer.start(interval)
            else:
                self.blink_timer.stop()
                self._blink_on = True
            self._paint_banner()
        self.ack_button.setEnabled(any(not e.acknowledged for e in self.alarms.entries.values()))

    def _blink(self) -> None:
        self._blink_on = not self._blink_on
        self._paint_banner()

    @property
    def banner_lit(self) -> bool:
        """Whether the alarm banner shows its colour now (False in the off half of a flash)."""
        return self.alarms.top() is not None and self._blink_on

    def _paint_banner(self) -> None:
        top = self.alarms.top()
        if top is None:
            return
        colours = ALARM_COLOURS[int(top.priority)]
        if self._blink_on:
            style = f"background: {colours.background}; color: {colours.foreground};"
        else:
            style = f"background: #000000; color: {colours.background};"
        self.alarm_banner.setStyleSheet(style + " font-weight: bold; font-size: 14px; padding: 2px 8px;"
                                        f" border: 2px solid {colours.background};")

    # ------------------------------------------------------------ freeze
    def _take_frozen_strip(self) -> None:
        unit = self.telemetry()
        self._frozen_strip.clear()
        ends = []
        if unit is not None:
            for channel, buffer in unit.waveforms.items():
                if buffer.last_sample_epoch_s is None:
                    continue
                t0, samples = buffer.window(FREEZE_HISTORY_S)
                self._frozen_strip[channel] = (t0, np.array(samples, dtype=np.float32), buffer.rate_hz)
                ends.append(buffer.last_sample_epoch_s)
        self._frozen_end = max(ends) if ends else 0.0
        span = max(0, int((FREEZE_HISTORY_S - self.sweep_seconds) * 10))
        self.scroll.blockSignals(True)
        self.scroll.setRange(0, span)
        self.scroll.setPageStep(max(1, int(self.sweep_seconds * 10)))
        self.scroll.setSingleStep(5)
        self.scroll.setValue(span)
        self.scroll.blockSignals(False)
        self._draw_frozen()

    def frozen_view_end(self) -> float:
        """Device time at the right edge of the frozen view."""
        back = (self.scroll.maximum() - self.scroll.value()) / 10.0
        return self._frozen_end - back

    def _draw_frozen(self) -> None:
        if not self.frozen:
            return
        end = self.frozen_view_end()
        start = end - self.sweep_seconds
        for trace, channel in ((self.ecg, ECG_CHANNEL.format(self.lead)), (self.pleth, PLETH), (self.co2, CO2)):
            strip = self._frozen_strip.get(channel)
            if strip is None:
                trace.show_state("no_data", self._state_text("no_data"))
                continue
            t0, samples, rate = strip
            i0 = max(0, int(math.ceil((start - t0) * rate)))
            i1 = min(len(samples), int(math.floor((end - t0) * rate)) + 1)
            if i1 <= i0 or not np.isfinite(samples[i0:i1]).any():
                trace.show_state("no_data", self._state_text("no_data"))
                continue
            x = (t0 + np.arange(i0, i1) / rate) - start
            y = samples[i0:i1]
            if trace is self.pleth:
                self._autoscale_pleth(y)
            trace.show_data(x, y)
        self.frozen_label.setText(self.tr("FROZEN — %1 s ago").replace(
            "%1", f"{self._frozen_end - end:.1f}"))

    # ------------------------------------------------------------ geometry
    def _layout_traces(self) -> None:
        """Fix the x/y ranges from the traces' size in mm: 25 mm/s, 10 mm/mV."""
        self._px_per_mm = logical_px_per_mm(self)
        vb = self.ecg.plot.getViewBox()
        width_px = max(50.0, vb.width() or self.graphics.width() - 4)
        height_px = max(30.0, vb.height() or 120)
        width_mm = width_px / self._px_per_mm
        total_s = width_mm / SPEED_MM_S
        self.sweep_seconds = max(1.0, total_s - CAL_MARGIN_S)
        height_mv = height_px / self._px_per_mm / GAIN_MM_MV
        y_ecg = (-0.42 * height_mv, 0.58 * height_mv)
        x = (-CAL_MARGIN_S, self.sweep_seconds)
        self.ecg.set_ranges(x, y_ecg)
        # The 1 mV calibration pulse (0.2 s wide) left of the sweep, on the baseline.
        self.cal_bar.setData([-0.3, -0.24, -0.24, -0.08, -0.08, -0.02], [0, 0, 1, 1, 0, 0])
        self.pleth.set_ranges(x, self._pleth_range)
        self.co2.set_ranges(x, (-2.0, 66.0))
        self.co2_scale.setPos(-CAL_MARGIN_S + 0.02, 50)
        self.co2_scale_line.setData([0, self.sweep_seconds], [50, 50])
        self._update_ecg_title()

    def _update_ecg_title(self) -> None:
        self.ecg.title.setText(f"{self.lead}   {GAIN_MM_MV:g} mm/mV   {SPEED_MM_S:g} mm/s")
        self.ecg.title.setPos(self.ecg.x_range[0], self.ecg.y_range[1])

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        QTimer.singleShot(0, self, self._relayout)  # with ``self`` as context: dropped if the monitor is deleted

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        QTimer.singleShot(0, self, self._relayout)

    def _relayout(self) -> None:
        before = self.sweep_seconds
        self._layout_traces()
        if self.frozen and before != self.sweep_seconds:
            self._take_frozen_strip()

    # ------------------------------------------------------------ language
    def retranslate_ui(self) -> None:
        self.ack_button.setText(self.tr("Acknowledge"))
        self.ack_button.setToolTip(self.tr("Acknowledge the alarms (F6): flashing stops until they clear"))
        self.silence_button.setText(self.tr("Silence 2 min"))
        self.silence_button.setToolTip(self.tr("Pause the alarm sound for 2 minutes (F7)"))
        self.freeze_button.setText(self.tr("Live") if self.frozen else self.tr("Freeze"))
        self.freeze_button.setToolTip(self.tr("Freeze the traces and scroll back through the last 60 s (F9)"))
        self.twelve_button.setText(self.tr("12-lead"))
        self.close_button.setToolTip(self.tr("Stop watching this unit"))
        self.lead_box.setToolTip(self.tr("ECG lead shown"))
        for numeric, name, unit in (
            (self.hr, self.tr("HR"), "/min"),
            (self.spo2, "SpO₂", "%"),
            (self.nibp, self.tr("NIBP"), "mmHg"),
            (self.rr, self.tr("RR"), "/min"),
            (self.etco2, "EtCO₂", "mmHg"),
            (self.temp, self.tr("Temp"), "°C"),
        ):
            numeric.name.setText(name)
            numeric.unit.setText(unit)
        for numeric, vital in ((self.hr, "hr"), (self.spo2, "spo2"), (self.nibp, "nibp_sys"), (self.rr, "rr"),
                               (self.etco2, "etco2")):
            limits = self.limits.range_of(vital)
            if vital == "spo2":
                numeric.limits.setText(f"\n{self.limits.spo2_medium:g}\n{self.limits.spo2_high:g}")
            elif limits:
                numeric.limits.setText(f"{limits[1]:g}\n{limits[0]:g}")
        for trace in (self.ecg, self.pleth, self.co2):
            if trace.state != "ok":
                trace.state_text.setText(self._state_text(trace.state))
        self._numerics_dirty = True
        self._show_alarms()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)


def colour(name: str) -> QColor:
    return QColor(VITAL_COLOURS.get(name, "#ffffff"))
