"""Track playback: an incident's ambulances, their statuses and the caller's locations, replayed on the map.

Plays a :class:`app.records.track.Track` (``GET /records/track/<id>`` or ``dispatch120 records
track --json``): a time slider over the incident, play/pause and a speed of 1×–60×. At the
slider's time every unit is drawn where it was (linear between its kept positions:
:func:`app.records.track.position_at`) in its status's colour, and every caller location
known by then is shown. Each unit's whole recorded route is drawn faintly underneath.

Keyboard (the window keeps the focus; the map takes none): Space play/pause, ←/→ one step
(:data:`STEP_S` of incident time), +/− the next/previous speed.

Standalone: ``python -m widgets.track_playback TRACK.json``. GUI thread only.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import QElapsedTimer, QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QSlider, QVBoxLayout, QWidget

from app.records.track import Track, position_at, status_at
from maps.sources import MapConfig, make_config
from maps.view import MapView
from widgets.labels import location_source_text, unit_status_colours, unit_status_text
from widgets.map_dock import SOURCE_COLOURS, unit_marker_style

SPEEDS = (1, 2, 5, 10, 30, 60)
STEP_S = 5.0  # ← / → move the playback this much incident time
FRAME_MS = 33  # ~30 frames/s while playing; the map itself sends at most one batch per 16 ms
SLIDER_STEPS_PER_S = 10  # the slider's resolution: 0.1 s of incident time


class TrackPlayback(QWidget):
    """The playback window of one track.

    Args:
        track: the incident's track (``app.records.track.Track``, as JSON decodes it).
        map_config: what to draw on; default :func:`maps.sources.make_config` (the imported basemap).

    Signals:
        frame_drawn(float): the map was given the units' positions at this time (POSIX s).
    """

    frame_drawn = Signal(float)

    def __init__(self, track: Track | dict[str, Any], *, map_config: MapConfig | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.track: dict[str, Any] = dict(track)
        try:
            self.zone = ZoneInfo(str(self.track.get("tz") or "Asia/Shanghai"))
        except (ZoneInfoNotFoundError, ValueError):
            self.zone = ZoneInfo("Asia/Shanghai")
        self.start_t = float(self.track["start_t"])
        self.end_t = max(self.start_t, float(self.track["end_t"]))
        self.t = self.start_t
        self.speed = SPEEDS[0]
        self.frames = 0
        self._units = list(self.track["units"])
        self._times = {u["unit_id"]: [p["t"] for p in u["positions"]] for u in self._units}
        self._callers_shown: set[str] = set()
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.map_view = MapView(map_config or make_config(),
                                layers=[("tracks", ""), ("callers", ""), ("units", "")], parent=self)
        self.map_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys belong to the playback
        self.map_view.ready.connect(self._on_map_ready)

        self.play_button = QPushButton(self)
        self.play_button.setCheckable(True)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setRange(0, round((self.end_t - self.start_t) * SLIDER_STEPS_PER_S))
        self.slider.valueChanged.connect(self._on_slider_moved)
        self.time_label = QLabel(self)
        self.time_label.setMinimumWidth(self.time_label.fontMetrics().horizontalAdvance("00:00:00  +000:00") + 8)
        self.speed_box = QComboBox(self)
        for speed in SPEEDS:
            self.speed_box.addItem(f"{speed}×", speed)
        self.speed_box.currentIndexChanged.connect(self._on_speed_chosen)
        self.status_label = QLabel(self)
        self.status_label.setTextFormat(Qt.TextFormat.RichText)
        self.status_label.setWordWrap(True)
        self.title = QLabel(self)
        self.title.setWordWrap(True)
        for control in (self.play_button, self.slider, self.speed_box):
            control.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        controls = QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.slider, 1)
        controls.addWidget(self.time_label)
        controls.addWidget(self.speed_box)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.map_view, 1)
        layout.addLayout(controls)
        layout.addWidget(self.status_label)

        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._advance)
        self._clock = QElapsedTimer()
        self.retranslate_ui()
        self.map_view.start()

    # ------------------------------------------------------------ playback
    @property
    def playing(self) -> bool:
        return self._timer.isActive()

    def play(self) -> None:
        self.play_button.setChecked(True)

    def pause(self) -> None:
        self.play_button.setChecked(False)

    def set_speed(self, speed: int) -> None:
        """One of :data:`SPEEDS` (another value takes the nearest)."""
        index = min(range(len(SPEEDS)), key=lambda i: abs(SPEEDS[i] - speed))
        self.speed_box.setCurrentIndex(index)

    def step(self, seconds: float) -> None:
        self.seek(self.t + seconds)

    def seek(self, t: float) -> None:
        """Show the incident at ``t`` (POSIX s, clamped to the track)."""
        self.t = min(self.end_t, max(self.start_t, t))
        self.slider.blockSignals(True)
        self.slider.setValue(round((self.t - self.start_t) * SLIDER_STEPS_PER_S))
        self.slider.blockSignals(False)
        self.render()

    def _on_play_toggled(self, on: bool) -> None:
        if on:
            if self.t >= self.end_t:
                self.seek(self.start_t)  # play again from the start
            self._clock.start()
            self._timer.start()
        else:
            self._timer.stop()
        self._update_play_text()

    def _advance(self) -> None:
        elapsed_s = self._clock.restart() / 1000.0
        self.seek(self.t + elapsed_s * self.speed)
        if self.t >= self.end_t:
            self.pause()

    def _on_slider_moved(self, value: int) -> None:
        self.t = self.start_t + value / SLIDER_STEPS_PER_S
        self.render()

    def _on_speed_chosen(self, index: int) -> None:
        self.speed = SPEEDS[max(0, index)]

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        key = event.key()
        if key == Qt.Key.Key_Space:
            self.play_button.toggle()
        elif key == Qt.Key.Key_Right:
            self.step(STEP_S)
        elif key == Qt.Key.Key_Left:
            self.step(-STEP_S)
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.speed_box.setCurrentIndex(min(len(SPEEDS) - 1, self.speed_box.currentIndex() + 1))
        elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Underscore):
            self.speed_box.setCurrentIndex(max(0, self.speed_box.currentIndex() - 1))
        else:
            super().keyPressEvent(event)

    # ------------------------------------------------------------ drawing
    def _on_map_ready(self) -> None:
        points = []
        for u in self._units:
            route = [(p["lat"], p["lon"]) for p in u["positions"]]
            points += route
            if len(route) >= 2:
                self.map_view.upsert_polyline("tracks", u["unit_id"], route, color="#555555", weight=3, opacity=0.45)
        points += [(c["lat"], c["lon"]) for c in self.track["caller_locations"]]
        self.map_view.fit_bounds(points)
        self._callers_shown.clear()
        self.render()

    def unit_states(self) -> list[tuple[dict[str, Any], str | None, tuple[float, float, float | None] | None]]:
        """Each unit, its status and its position at the playback's time."""
        return [(u, status_at(u["statuses"], self.t), position_at(u["positions"], self.t, self._times[u["unit_id"]]))
                for u in self._units]

    def render(self) -> None:
        """Draw the units and caller locations at :attr:`t`; update the labels."""
        lines = []
        for unit, status, where in self.unit_states():
            name = str(unit.get("call_sign") or unit["unit_id"])
            if where is None:
                self.map_view.remove("units", unit["unit_id"])
            else:
                self.map_view.upsert_marker("units", unit["unit_id"], where[0], where[1], **unit_marker_style(
                    unit_status_colours(status), name, unit_status_text(status), age_s=0.0, heading_deg=where[2],
                    priority=2))
            colours = unit_status_colours(status)
            lines.append(f'<span style="background:{colours.background};color:{colours.foreground};'
                         f'padding:0 4px">&nbsp;{name}&nbsp;</span> {unit_status_text(status) if status else "–"}')
        for index, caller in enumerate(self.track["caller_locations"]):
            item_id = f"c{index}"
            if caller["t"] <= self.t and item_id not in self._callers_shown:
                self._callers_shown.add(item_id)
                self.map_view.upsert_marker("callers", item_id, caller["lat"], caller["lon"], icon="caller",
                                            color=SOURCE_COLOURS.get(caller.get("source") or "", "#E7298A"),
                                            text_color="#FFFFFF", label=self._caller_text(caller), z=650)
            elif caller["t"] > self.t and item_id in self._callers_shown:
                self._callers_shown.discard(item_id)
                self.map_view.remove("callers", item_id)
        self.status_label.setText("&nbsp;&nbsp;".join(lines))
        self.time_label.setText(self._time_text())
        self.frames += 1
        self.frame_drawn.emit(self.t)

    def _caller_text(self, caller: dict[str, Any]) -> str:
        if caller.get("kind") == "located":
            return self.tr("Incident")
        return location_source_text(caller.get("source")) if caller.get("source") else self.tr("Caller")

    def _time_text(self) -> str:
        local = datetime.fromtimestamp(self.t, UTC).astimezone(self.zone)
        elapsed = int(self.t - self.start_t)
        return f"{local:%H:%M:%S}  +{elapsed // 60:d}:{elapsed % 60:02d}"

    # ------------------------------------------------------------ text
    def _update_play_text(self) -> None:
        self.play_button.setText(self.tr("Pause") if self.playing else self.tr("Play"))

    def retranslate_ui(self) -> None:
        incident = str(self.track.get("incident_id", ""))[:8]
        address = self.track.get("address") or ""
        self.setWindowTitle(self.tr("Track playback — %1").replace("%1", incident))
        self.title.setText(self.tr("Incident %1  %2   (Space play/pause, ←/→ step, +/− speed)")
                           .replace("%1", incident).replace("%2", address))
        self.speed_box.setToolTip(self.tr("Playback speed"))
        self._update_play_text()

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate_ui()
        super().changeEvent(event)


def load_track(path: Path) -> dict[str, Any]:
    """A track JSON file (``dispatch120 records track --json``). Raises OSError, ValueError."""
    track = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(track, dict) or not isinstance(track.get("units"), list) or "start_t" not in track:
        raise ValueError(f"{path}: not a track (dispatch120 records track --json)")
    return track


def main(argv: list[str] | None = None) -> int:
    """``python -m widgets.track_playback TRACK.json``: play a saved track."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m widgets.track_playback TRACK.json", file=sys.stderr)
        return 2
    try:
        track = load_track(Path(args[0]))
    except (OSError, ValueError) as exc:
        print(f"track playback: {exc}", file=sys.stderr)
        return 1
    from maps.scheme import register_scheme

    register_scheme()  # before the QApplication
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    window = TrackPlayback(track)
    window.resize(1100, 760)
    window.show()
    try:
        return int(app.exec())
    finally:
        window.deleteLater()


if __name__ == "__main__":
    sys.exit(main())
