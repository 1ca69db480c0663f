"""The caller's live video at the seat: a QWebEngineView receiving WebRTC from the phone.

The page is ``resources/caller_video/seat.html`` (local file, no remote resource). Python hands it
what the phone sent (``deliver(kind, data)`` → ``rtcIn`` in the page) and gets the seat's answer and
ICE candidates back through a QWebChannel bridge (``outgoing`` signal). The server only relays the
signalling (``rtc_from_caller`` / ``rtc_to_caller``); the media go phone → seat and are never
recorded. QtWebEngine receives VP8/VP9/AV1 (no H.264); the phone's Chromium offers VP8 first.

GUI thread only; nothing here raises into Qt. ``runJavaScript`` does not await Promises: the page's
state is read with plain values (``videoSize()``, ``videoState``).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from PySide6.QtCore import QObject, QUrl, Signal, Slot
from PySide6.QtWebChannel import QWebChannel
from PySide6.QtWebEngineCore import QWebEngineSettings
from PySide6.QtWebEngineWidgets import QWebEngineView
from PySide6.QtWidgets import QWidget

from app.resources import resource_path

PAGE = resource_path("caller_video", "seat.html")


class _Bridge(QObject):
    """The page's way back to Python (``bridge.fromPage(JSON text)``)."""

    message = Signal(str, str)  # kind, data (JSON text)

    @Slot(str)
    def fromPage(self, text: str) -> None:  # noqa: N802 - the name the page calls
        try:
            msg = json.loads(text)
            kind, data = str(msg["kind"]), str(msg["data"])
        except (ValueError, KeyError, TypeError):
            return
        self.message.emit(kind, data)


class CallerVideo(QWebEngineView):
    """One caller's video. ``outgoing(kind, data)``: answer/candidate/bye for the phone;
    ``state_changed(state)``: new/connecting/connected/disconnected/failed/closed/ended."""

    outgoing = Signal(str, str)
    state_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CallerVideo")
        self.state = "idle"
        self._ready = False
        self._queue: list[tuple[str, str]] = []
        settings = self.page().settings()
        settings.setAttribute(QWebEngineSettings.WebAttribute.PlaybackRequiresUserGesture, False)
        self._bridge = _Bridge(self)
        self._bridge.message.connect(self._from_page)
        self._channel = QWebChannel(self.page())
        self._channel.registerObject("bridge", self._bridge)
        self.page().setWebChannel(self._channel)
        self.loadFinished.connect(self._on_loaded)
        self.load(QUrl.fromLocalFile(str(PAGE)))

    def deliver(self, kind: str, data: str) -> None:
        """What the phone sent (offer, candidate, bye), in order; queued until the page is loaded."""
        if not self._ready:
            self._queue.append((kind, data))
            return
        self.page().runJavaScript(f"rtcIn({json.dumps(kind)}, {json.dumps(data)})")

    def hang_up(self) -> None:
        """Stop the video (the phone is told ``bye``)."""
        if self._ready:
            self.page().runJavaScript("hangUp()")

    def video_size(self, callback: Callable[[int, int], None]) -> None:
        """The received video's size (0×0 before the first frame), given to ``callback`` later."""
        if not self._ready:
            callback(0, 0)
            return

        def parse(value: object) -> None:
            try:
                w, h = (int(x) for x in str(value).split("x"))
            except ValueError:
                w = h = 0
            callback(w, h)

        self.page().runJavaScript("videoSize()", 0, parse)

    def still(self, callback: Callable[[str], None]) -> None:
        """The current frame as a JPEG data URL ('' before the first frame), given to ``callback`` later."""
        self.page().runJavaScript("videoStill()", 0, lambda value: callback(str(value or "")))

    def _on_loaded(self, ok: bool) -> None:
        self._ready = ok
        for kind, data in self._queue:
            self.deliver(kind, data)
        self._queue.clear()

    def _from_page(self, kind: str, data: str) -> None:
        if kind == "state":
            try:
                self.state = str(json.loads(data)["state"])
            except (ValueError, KeyError, TypeError):
                return
            self.state_changed.emit(self.state)
        elif kind in ("answer", "candidate", "bye"):
            self.outgoing.emit(kind, data)
