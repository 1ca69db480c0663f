"""The caller link at the seat: link state, send link, QR code, chat, quick replies, guidance cards.

Follows the current call (``set_call``) and renders from the store's call and
``caller_links`` entries (``call_changed``, ``caller_link_changed``). "Send caller link" (Ctrl+Shift+K)
sends ``call.link_send``; the URL arrives once in the store's
``caller_link_url`` signal and is shown as text and as a QR code (``segno``),
never stored. GUI thread only; nothing here raises into Qt.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from typing import Any

import segno
from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QAction, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.caller_link import latest_link
from app.protocol.caller_link import GUIDANCE_CARDS, rtc_message
from app.seat.store import SeatStore
from widgets.command_runner import CommandRunner
from widgets.keys import shortcut_hint
from widgets.labels import caller_link_state_label, guidance_card_label, photo_refusal_label

QR_PIXELS = 180
THUMB_PIXELS = 96
# (media id, sha256) -> (content type, bytes); blocking, run on a worker thread. Raises on failure.
MediaFetcher = Callable[[str, str], tuple[str, bytes]]


class _Fetched(QObject):
    """Carries a fetched photo from the worker thread to the GUI thread (queued signal)."""

    done = Signal(str, bytes, str)  # media id, bytes (empty on failure), error text


def qr_pixmap(url: str) -> QPixmap:
    """The URL as a QR code (PNG rendered by segno, pure Python)."""
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=5, border=2)
    pixmap = QPixmap()
    pixmap.loadFromData(buffer.getvalue(), "PNG")
    return pixmap


class CallerLinkPanel(QWidget):
    """The caller-link box of the current call."""

    def __init__(self, store: SeatStore, runner: CommandRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("CallerLinkPanel")
        self.store, self.runner = store, runner
        self.call_id: str | None = None
        self._urls: dict[str, str] = {}  # call id -> URL (this session only)
        self._quick: list[str] = []
        # The questionnaire's current question (main window wires the triage panel's label).
        self.question_provider: Callable[[], str] | None = None
        # Set by the composition root (app/__main__.py): fetches a caller's photo with the seat's token.
        self.media_fetcher: MediaFetcher | None = None
        # Set by the composition root: sends a direct message (rtc_to_caller) to the server; live only.
        self.rtc_sender: Callable[[dict[str, Any]], object] | None = None
        self.video: Any = None  # widgets.caller_video.CallerVideo, made at the first offer (QtWebEngine)
        self._video_link: tuple[str, str] | None = None  # (call id, link id) of the video
        self._photos: dict[str, QPixmap] = {}  # media id -> full photo (this session only)
        self._fetching: set[str] = set()
        self._failed: dict[str, str] = {}
        self._fetched = _Fetched(self)
        self._fetched.done.connect(self._on_photo)

        self.send_action = QAction(self)
        self.send_action.setShortcut(QKeySequence("Ctrl+Shift+K"))
        self.send_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.send_action.triggered.connect(self.send_link)

        self.title = QLabel()
        self.title.setObjectName("PanelTitle")
        self.state = QLabel()
        self.state.setObjectName("CallerLinkState")
        self.state.setWordWrap(True)
        self.send_button = QPushButton()
        self.send_button.clicked.connect(self.send_link)
        self.via = QComboBox()
        self.url = QLineEdit()
        self.url.setReadOnly(True)
        self.qr = QLabel()
        self.qr.setFixedSize(QR_PIXELS, QR_PIXELS)
        self.qr.setScaledContents(True)
        self.notice = QLabel()
        self.notice.setObjectName("CallerLinkNotice")
        self.notice.setWordWrap(True)
        self.notice.setStyleSheet("QLabel{background:#fff4d6;color:#7a5a00;padding:4px;border-radius:4px}")
        self.video_box = QVBoxLayout()
        self.photos = QListWidget()
        self.photos.setObjectName("CallerPhotos")
        self.photos.setViewMode(QListView.ViewMode.IconMode)
        self.photos.setIconSize(QSize(THUMB_PIXELS, THUMB_PIXELS))
        self.photos.setFlow(QListView.Flow.LeftToRight)
        self.photos.setWrapping(False)
        self.photos.setFixedHeight(THUMB_PIXELS + 34)
        self.chat = QListWidget()
        self.chat.setObjectName("CallerChat")
        self.text = QLineEdit()
        self.text.setMaxLength(500)
        self.text.returnPressed.connect(self.send_chat)
        self.quick = QComboBox()
        self.quick_button = QPushButton()
        self.quick_button.clicked.connect(self.send_quick)
        self.card = QComboBox()
        for card_id in sorted(GUIDANCE_CARDS):
            self.card.addItem("", card_id)
        self.card_button = QPushButton()
        self.card_button.clicked.connect(self.push_card)
        self.still_button = QPushButton()
        self.still_button.clicked.connect(self.record_still)
        self.still_button.setVisible(False)

        top = QHBoxLayout()
        top.addWidget(self.via)
        top.addWidget(self.send_button)
        left = QVBoxLayout()
        left.addWidget(self.title)
        left.addWidget(self.state)
        left.addLayout(top)
        left.addWidget(self.url)
        left.addStretch(1)
        upper = QHBoxLayout()
        upper.addLayout(left, 1)
        upper.addWidget(self.qr)
        quick = QHBoxLayout()
        quick.addWidget(self.quick, 1)
        quick.addWidget(self.quick_button)
        cards = QHBoxLayout()
        cards.addWidget(self.card, 1)
        cards.addWidget(self.card_button)
        layout = QVBoxLayout(self)
        layout.addLayout(upper)
        layout.addWidget(self.notice)
        layout.addLayout(self.video_box)
        layout.addWidget(self.still_button)
        layout.addWidget(self.photos)
        layout.addWidget(self.chat, 1)
        layout.addWidget(self.text)
        layout.addLayout(quick)
        layout.addLayout(cards)

        store.events.call_changed.connect(self._on_call_changed)
        store.events.caller_link_changed.connect(self._on_caller_link_changed)
        store.events.state_reset.connect(self.render)
        store.events.caller_link_url.connect(self._on_url)
        store.events.caller_rtc.connect(self._on_rtc)
        self.retranslate_ui()
        self.render()

    # ------------------------------------------------------------ inputs
    def set_call(self, call: dict[str, Any] | None) -> None:
        self.call_id = call["call_id"] if call else None
        self.render()

    def set_quick_replies(self, texts: list[str]) -> None:
        """The questionnaire's current question(s), offered as one-click messages."""
        self._quick = [t for t in texts if t]
        self.quick.clear()
        self.quick.addItems(self._quick)
        self.render()

    def send_link(self) -> None:
        if self.call_id is None:
            return
        self.runner.run(self.runner.commands.send_caller_link, lambda: self.tr("Send caller link"), call_id=self.call_id,
                        via=self.via.currentData() or "read_out")

    def send_chat(self) -> None:
        text = self.text.text().strip()
        if self.call_id is None or not text:
            return
        if self.runner.run(self.runner.commands.send_chat, lambda: self.tr("Send message"), call_id=self.call_id, text=text):
            self.text.clear()

    def send_quick(self) -> None:
        """Send the questionnaire's current question (or the chosen quick reply) to the caller."""
        text = (self.question_provider() if self.question_provider else "") or self.quick.currentText()
        if self.call_id is not None and text.strip():
            self.runner.run(self.runner.commands.send_chat, lambda: self.tr("Send message"), call_id=self.call_id, text=text.strip()[:500])

    def push_card(self) -> None:
        if self.call_id is not None and self.card.currentData():
            self.runner.run(self.runner.commands.push_guidance, lambda: self.tr("Push guidance card"), call_id=self.call_id,
                            card_id=self.card.currentData())

    # ------------------------------------------------------------ store
    def _on_call_changed(self, call_id: str) -> None:
        if call_id == self.call_id:
            self.render()

    def _on_caller_link_changed(self, link_id: str) -> None:
        link = self.store.state.caller_links.get(link_id) or {}
        if link.get("call_id") == self.call_id:
            self.render()

    def _on_url(self, msg: dict[str, Any]) -> None:
        self._urls[msg["call_id"]] = msg["url"]
        if msg["call_id"] == self.call_id:
            self.render()

    def _on_rtc(self, msg: dict[str, Any]) -> None:
        """Video signalling from the caller's page (offer, candidate, bye) for the current call."""
        if msg["call_id"] != self.call_id:
            return
        if self.video is None:
            from widgets.caller_video import CallerVideo  # QtWebEngine only when a caller sends video

            self.video = CallerVideo(self)
            self.video.setMinimumHeight(200)
            self.video.outgoing.connect(self._rtc_out)
            self.video.state_changed.connect(lambda _state: self.render())
            self.video_box.addWidget(self.video)
        self._video_link = (msg["call_id"], msg["link_id"])
        self.video.show()
        self.video.deliver(msg["kind"], msg["data"])

    def record_still(self) -> None:
        """Keep a still of the live video with the incident: the phone sends its current camera frame as a
        photo (``call.photo_received``); the video itself is never recorded."""
        self._rtc_out("still", "{}")

    def _rtc_out(self, kind: str, data: str) -> None:
        if self._video_link is None or self.rtc_sender is None:
            return
        call_id, link_id = self._video_link
        self.rtc_sender(rtc_message("rtc_to_caller", call_id=call_id, link_id=link_id, kind=kind, data=data))

    def render(self) -> None:
        state = self.store.state
        call = state.calls.get(self.call_id) if self.call_id else None
        link = latest_link(state, self.call_id) if call else None
        self.send_button.setEnabled(call is not None)
        live = link is not None and link["state"] != "revoked"
        for w in (self.text, self.quick_button, self.card_button):
            w.setEnabled(live)
        self.quick_button.setEnabled(live and (bool(self._quick) or self.question_provider is not None))
        if link is None:
            self.state.setText(self.tr("No link sent") if call else self.tr("No call"))
        else:
            parts = [caller_link_state_label(link["state"])]
            if link.get("location_refused"):
                parts.append(self.tr("location refused"))
            elif link.get("located_at"):
                parts.append(self.tr("location shared"))
            if self.video is not None and self.video.state == "connected" and live:
                parts.append(self.tr("video live"))
            self.state.setText(" · ".join(parts))
        self.still_button.setVisible(self.video is not None and self.video.state == "connected" and live)
        url = self._urls.get(self.call_id or "") if live else None
        self.url.setText(url or "")
        if url:
            self.qr.setPixmap(qr_pixmap(url))
        else:
            self.qr.clear()
        self._render_notice(call, link)
        self._render_photos(call)
        self.chat.clear()
        for entry in (call or {}).get("chat") or ():
            who = self.tr("Caller") if entry["from"] == "caller" else self.tr("Dispatcher")
            self.chat.addItem(f"{entry['at'][11:19]}  {who}: {entry['text']}")
        if self.chat.count():
            self.chat.scrollToBottom()

    def _render_notice(self, call: dict[str, Any] | None, link: dict[str, Any] | None) -> None:
        """What the dispatcher should act on: location refused, a photo refused, the link just opened."""
        text = ""
        refusals = (call or {}).get("photo_refusals") or ()
        if link is not None and link["state"] != "revoked":
            if link.get("location_refused"):
                text = self.tr("The caller refused to share the location: ask for the exact address.")
            elif refusals:
                last = refusals[-1]
                text = self.tr("A photo from the caller was refused (%1, %2 MB): nothing was kept.").replace(
                    "%1", photo_refusal_label(last["reason"])).replace("%2", f"{last['bytes'] / 1048576:.1f}")
            elif link["state"] in ("opened", "consented") and not link.get("located_at"):
                text = self.tr("The caller opened the link; waiting for the location.")
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def _render_photos(self, call: dict[str, Any] | None) -> None:
        photos = (call or {}).get("photos") or ()
        self.photos.clear()
        self.photos.setVisible(bool(photos))
        for photo in photos:
            media_id = photo["media_id"]
            item = QListWidgetItem(f"{photo['at'][11:19]}")
            item.setData(Qt.ItemDataRole.UserRole, media_id)
            item.setToolTip(f"{photo['bytes'] / 1024:.0f} KB · SHA-256 {photo['sha256'][:12]}…")
            pixmap = self._photos.get(media_id)
            if pixmap is not None:
                item.setIcon(QIcon(pixmap.scaled(THUMB_PIXELS, THUMB_PIXELS, Qt.AspectRatioMode.KeepAspectRatio,
                                                 Qt.TransformationMode.SmoothTransformation)))
            elif media_id in self._failed:
                item.setText(self.tr("not loaded"))
                item.setToolTip(self._failed[media_id])
            else:
                self._fetch(media_id, photo["sha256"])
            self.photos.addItem(item)

    def _fetch(self, media_id: str, sha256: str) -> None:
        """Fetch a photo on a worker thread; the result comes back through ``_fetched.done``."""
        fetcher = self.media_fetcher
        if fetcher is None or media_id in self._fetching:
            return
        self._fetching.add(media_id)
        done = self._fetched.done

        def work() -> None:
            try:
                _content_type, body = fetcher(media_id, sha256)
                done.emit(media_id, body, "")
            except Exception as exc:  # noqa: BLE001 - any failure is shown on the thumbnail, never raised
                done.emit(media_id, b"", str(exc) or type(exc).__name__)

        threading.Thread(target=work, name=f"photo-{media_id[:8]}", daemon=True).start()

    def _on_photo(self, media_id: str, body: bytes, problem: str) -> None:
        self._fetching.discard(media_id)
        pixmap = QPixmap()
        if body and pixmap.loadFromData(body):
            self._photos[media_id] = pixmap
        else:
            self._failed[media_id] = problem or self.tr("not an image")
        self.render()

    def photo(self, media_id: str) -> QPixmap | None:
        """The fetched photo (None until it has arrived)."""
        return self._photos.get(media_id)

    def retranslate_ui(self) -> None:
        self.title.setText(self.tr("Caller link"))
        self.send_action.setText(self.tr("Send caller link"))
        shortcut_hint(self.send_action)
        self.send_button.setText(self.send_action.iconText())
        current = self.via.currentIndex()
        self.via.clear()
        for via, text in (("read_out", self.tr("Read out")), ("sms", self.tr("SMS")), ("qr", self.tr("QR code"))):
            self.via.addItem(text, via)
        self.via.setCurrentIndex(max(0, current))
        self.text.setPlaceholderText(self.tr("Message to the caller, Enter sends"))
        self.quick_button.setText(self.tr("Send question"))
        self.card_button.setText(self.tr("Push card"))
        self.still_button.setText(self.tr("Record still to the incident"))
        for i in range(self.card.count()):
            self.card.setItemText(i, guidance_card_label(self.card.itemData(i)))
        self.render()
