"""The caller link end to end: the real server, headless Chromium (Debian's) as the caller's phone.

Playwright drives ``/usr/bin/chromium`` (never a downloaded browser); the phone's
GPS is Chromium's fake geolocation. The seat is a protocol client whose
messages feed a real :class:`~app.seat.store.SeatStore`.

Two tests take screenshots (the caller's page, the seat's panel). They go to a temporary
directory; with ``DISPATCH120_UPDATE_SCREENSHOTS=1`` they replace
``docs/screenshot-caller-page.png`` and ``docs/screenshot-caller-panel.png`` instead.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path

import pytest

# The seat's QtWebEngine (caller video) must keep WebRTC on 127.0.0.1 in tests: its Chromium flags are
# read when QtWebEngine starts, so they are set at collection, before any test starts it.
_SEAT_FLAGS = ("--no-sandbox", "--allow-loopback-in-peer-connection",
               "--disable-features=WebRtcHideLocalIpsWithMdns")
os.environ["QTWEBENGINE_CHROMIUM_FLAGS"] = " ".join(
    dict.fromkeys(os.environ.get("QTWEBENGINE_CHROMIUM_FLAGS", "").split() + list(_SEAT_FLAGS)))
from PySide6 import QtWebEngineWidgets  # noqa: E402,F401  (before any QApplication)
from PySide6.QtCore import Qt  # noqa: E402

from app.seat.store import SeatStore  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM) or shutil.which("chromium") is None,
                                reason="Debian's chromium is not installed (tools/setup_system.sh installs it)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run"]
HERE = {"latitude": 29.5630, "longitude": 106.5516, "accuracy": 12}
DOCS = Path(__file__).resolve().parents[2] / "docs"
UPDATE_SCREENSHOTS = os.environ.get("DISPATCH120_UPDATE_SCREENSHOTS") == "1"


@pytest.fixture
def screenshots(tmp_path) -> Path:
    """Where this test's screenshots go: ``docs/`` only when DISPATCH120_UPDATE_SCREENSHOTS=1 (module docstring)."""
    return DOCS if UPDATE_SCREENSHOTS else tmp_path


@pytest.fixture(scope="module")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:  # one per module: a second sync Playwright cannot run beside it
        yield p


@pytest.fixture(scope="module")
def video_browser(playwright):
    """The phone with a camera: Chromium's fake camera (a test pattern), no permission prompt, loopback ICE."""
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS + [
        "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
        "--allow-loopback-in-peer-connection"])
    yield chromium
    chromium.close()


@pytest.fixture(scope="module")
def browser(playwright):
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
    yield chromium
    chromium.close()


def phone(browser, server, *, geolocation: bool = True):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  geolocation=HERE if geolocation else None)
    if geolocation:
        context.grant_permissions(["geolocation"], origin=f"http://127.0.0.1:{server.port}")
    return context


def answered_call(server, call_id: str, *, number: str = "13800138000"):
    switch, seat = server.client("switch-1"), server.client("seat-1")
    assert switch.command("call.offered", {"call_id": call_id, "caller_number": number})["type"] == "ack"
    seat.wait_event("call.received", call_id=call_id)
    assert seat.command("call.answer", {"call_id": call_id})["type"] == "ack"
    incident_id = str(uuid.uuid4())
    assert seat.command("incident.create", {"incident_id": incident_id, "call_id": call_id})["type"] == "ack"
    return seat, incident_id


def send_link(seat, call_id: str, via: str = "read_out") -> str:
    command_id = seat.send_command("call.link_send", {"call_id": call_id, "via": via})
    assert seat.reply_to(command_id)["type"] == "ack"
    link = seat.wait_for(lambda m: m["type"] == "caller_link" and m["ref"] == command_id)
    return link["url"]


def store_of(seat) -> SeatStore:
    store = SeatStore()
    for msg in seat.received:
        store.handle_message(msg)
    return store


def test_caller_opens_the_link_shares_location_chats_and_gets_a_cpr_card(dispatch_server, browser, screenshots):
    server = dispatch_server
    seat, incident_id = answered_call(server, "c-1")
    url = send_link(seat, "c-1")
    assert url.startswith(f"http://127.0.0.1:{server.port}/c/") and len(url.rsplit("/", 1)[1]) >= 43
    created = seat.wait_event("call.link_created", call_id="c-1")
    # The token is never in the log, only the URL to the sending seat.
    token = url.rsplit("/", 1)[1]
    assert all(token not in str(e["data"]) for e in server.db_events())
    assert created["data"]["via"] == "read_out"

    context = phone(browser, server)
    page = context.new_page()
    page.goto(url)
    seat.wait_event("call.link_opened", call_id="c-1")
    assert "同意" in page.locator("#agree").inner_text()
    page.click("#agree")
    seat.wait_event("call.link_consented", call_id="c-1")
    located = seat.wait_event("call.link_located", call_id="c-1")
    assert located["data"]["location"]["source"] == "caller_link"
    assert located["data"]["location"]["accuracy_m"] == pytest.approx(12, abs=0.5)
    candidates = store_of(seat).state.calls["c-1"]["locations"]
    [fix] = [c for c in candidates if c["source"] == "caller_link"]
    assert (fix["lat"], fix["lon"]) == pytest.approx((29.5630, 106.5516))
    page.wait_for_selector("text=位置已发送")

    # Chat both ways.
    page.fill("#text", "我爸爸倒在地上不动了")
    page.click("#t_send")
    heard = seat.wait_event("call.chat_received", call_id="c-1")
    assert heard["data"]["text"] == "我爸爸倒在地上不动了"
    assert seat.command("call.chat_send", {"call_id": "c-1", "text": "他有呼吸吗？"})["type"] == "ack"
    page.wait_for_selector(".msg.seat >> text=他有呼吸吗？")

    # The dispatcher pushes the adult CPR card and starts the coach: the phone shows both.
    assert seat.command("call.guidance_push", {"call_id": "c-1", "card_id": "cpr_adult"})["type"] == "ack"
    page.wait_for_selector('[data-card="cpr_adult"] >> text=成人心肺复苏')
    assert seat.command("cpr.started", {"incident_id": incident_id, "rate_per_min": 110,
                                        "variant": "adult"})["type"] == "ack"
    page.wait_for_selector("#rate >> text=110")
    page.click("#lang")
    page.wait_for_selector('[data-card="cpr_adult"] >> text=Adult CPR')
    page.click("#lang")
    page.screenshot(path=str(screenshots / "screenshot-caller-page.png"))
    calls = store_of(seat).state.calls["c-1"]
    assert [m["from"] for m in calls["chat"]] == ["caller", "seat"]
    assert calls["guidance"][0]["card_id"] == "cpr_adult"

    # Closing the incident kills the link: the open page says so, a reload too.
    assert seat.command("incident.close", {"incident_id": incident_id, "reason": "cancelled"})["type"] == "ack"
    seat.wait_event("call.link_revoked", call_id="c-1")
    page.wait_for_selector("#gone")
    response = page.goto(url)
    assert response.status == 410
    assert "链接已失效，请直接拨打120" in page.inner_text("body")
    context.close()


def test_forged_and_expired_links_show_a_clear_page(start_server, browser):
    server = start_server(extra_args=["--link-ttl", "1"])
    seat, _incident = answered_call(server, "c-7")
    url = send_link(seat, "c-7")
    context = phone(browser, server)
    page = context.new_page()
    forged = url[:-6] + ("AAAAAA" if not url.endswith("AAAAAA") else "BBBBBB")
    assert page.goto(forged).status == 410
    assert "链接已失效，请直接拨打120" in page.inner_text("body")
    page.wait_for_timeout(1200)  # the link's lifetime is 1 s
    assert page.goto(url).status == 410
    assert "链接已失效" in page.inner_text("body")
    assert not [e for e in server.db_events() if e["name"] == "call.link_opened"]
    context.close()


def test_refused_geolocation_and_a_chat_flood(dispatch_server, browser):
    server = dispatch_server
    seat, _incident = answered_call(server, "c-3")
    url = send_link(seat, "c-3")
    context = phone(browser, server, geolocation=False)
    page = context.new_page()
    page.goto(url)
    page.click("#agree")
    seat.wait_event("call.link_location_refused", call_id="c-3")
    page.wait_for_selector("text=您拒绝了位置权限")
    assert store_of(seat).state.caller_links  # the seat store knows the link …
    [link] = store_of(seat).state.caller_links.values()
    assert link["location_refused"] is True  # … and that the caller refused
    for i in range(12):
        page.fill("#text", f"救命 {i}")
        page.click("#t_send")
    page.wait_for_selector(".msg.sys >> text=发送太快了")
    received = [e for e in server.db_events() if e["name"] == "call.chat_received"]
    assert 1 <= len(received) <= 5
    context.close()


def test_sms_link_goes_to_the_callers_number_and_links_per_call_are_limited(dispatch_server):
    server = dispatch_server
    seat, incident_id = answered_call(server, "c-5")
    send_link(seat, "c-5", via="sms")
    again = seat.command("call.link_send", {"call_id": "c-5", "via": "qr"})
    assert again["type"] == "error" and again["code"] == "rate_limited"
    assert seat.command("incident.close", {"incident_id": incident_id, "reason": "cancelled"})["type"] == "ack"
    seat.wait_event("call.link_revoked", call_id="c-5")
    refused = seat.command("call.chat_send", {"call_id": "c-5", "text": "还在吗"})
    assert refused["type"] == "error"
    # Video signalling: only a seat, only a live link of that call.
    [link_id] = [e["data"]["link_id"] for e in server.db_events() if e["name"] == "call.link_created"
                 and e["data"]["call_id"] == "c-5"]
    rtc = {"v": 1, "type": "rtc_to_caller", "call_id": "c-5", "link_id": link_id, "kind": "bye", "data": "{}"}
    for who, msg, code in ((seat, rtc, "illegal_transition"), (seat, {**rtc, "link_id": "Lnope"}, "not_found"),
                           (server.client("dev-A1"), rtc, "forbidden")):
        who.send_json(msg)
        assert who.wait_for(lambda m: m["type"] == "error")["code"] == code


def test_the_seat_panel_shows_link_state_qr_and_chat(dispatch_server, browser, qtbot):
    from app.seat.commands import SeatCommands
    from widgets.caller_link_panel import CallerLinkPanel
    from widgets.command_runner import CommandRunner
    from widgets.message_area import MessageArea

    server = dispatch_server
    seat, _incident = answered_call(server, "c-9")

    class Wire:  # the edge: the panel's commands go to the real server through the protocol client
        def send_command(self, name, args, command_id=None):
            return seat.send_command(name, args, command_id=command_id)

    store = SeatStore()
    messages = MessageArea()
    qtbot.addWidget(messages)
    panel = CallerLinkPanel(store, CommandRunner(store, SeatCommands(Wire()), messages))
    qtbot.addWidget(panel)
    for msg in seat.received:
        store.handle_message(msg)
    panel.set_call(store.state.calls["c-9"])
    panel.send_link()
    link = seat.wait_for(lambda m: m["type"] == "caller_link")
    context = phone(browser, server)
    page = context.new_page()
    page.goto(link["url"])
    page.click("#agree")
    seat.wait_event("call.link_located", call_id="c-9")
    page.fill("#text", "在三楼，门开着")
    page.click("#t_send")
    seat.wait_event("call.chat_received", call_id="c-9")
    for msg in seat.received:
        store.handle_message(msg)
    assert panel.url.text() == link["url"] and not panel.qr.pixmap().isNull()
    assert "location shared" in panel.state.text()
    panel.text.setText("救护车已经出发，请保持电话畅通")
    panel.send_chat()
    page.wait_for_selector(".msg.seat >> text=救护车已经出发")
    seat.wait_event("call.chat_sent", call_id="c-9")
    for msg in seat.received:  # events already applied are skipped by their seq
        store.handle_message(msg)
    assert [panel.chat.item(i).text().split(": ", 1)[1] for i in range(panel.chat.count())] == [
        "在三楼，门开着", "救护车已经出发，请保持电话畅通"]
    context.close()


def _image(width: int, height: int, fmt: str) -> bytes:
    """A picture of a street corner (Qt draws it; the phone's camera is the edge of the machine)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QColor, QImage, QPainter

    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor("#8a9aa9"))
    painter = QPainter(image)
    painter.fillRect(0, height * 2 // 3, width, height // 3, QColor("#444"))
    painter.setBrush(QColor("#c00"))
    painter.drawEllipse(width // 3, height // 4, width // 4, width // 4)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, fmt)
    return bytes(data)


def test_caller_sends_photos_the_seat_sees_them_and_a_50_mb_one_is_refused(dispatch_server, browser, qtbot,
                                                                           tmp_path):
    from PySide6.QtGui import QImage

    from app.seat.commands import SeatCommands
    from app.seat.media import MediaError, fetch_media
    from widgets.caller_link_panel import CallerLinkPanel
    from widgets.command_runner import CommandRunner
    from widgets.message_area import MessageArea

    server = dispatch_server
    seat, _incident = answered_call(server, "c-11")

    class Wire:  # the edge: the panel's commands go to the real server through the protocol client
        def send_command(self, name, args, command_id=None):
            return seat.send_command(name, args, command_id=command_id)

    store = SeatStore()
    messages = MessageArea()
    qtbot.addWidget(messages)
    panel = CallerLinkPanel(store, CommandRunner(store, SeatCommands(Wire()), messages))
    qtbot.addWidget(panel)
    panel.media_fetcher = lambda media_id, sha: fetch_media(server.url, server.tokens["seat-1"], media_id, sha256=sha)
    panel.question_provider = lambda: "病人有呼吸吗？"  # the triage panel's current question

    def feed() -> None:
        for msg in seat.received:  # events already applied are skipped by their seq
            store.handle_message(msg)

    feed()
    panel.set_call(store.state.calls["c-11"])
    panel.send_link()
    link = seat.wait_for(lambda m: m["type"] == "caller_link")
    context = phone(browser, server)
    page = context.new_page()
    page.goto(link["url"])
    seat.wait_event("call.link_opened", call_id="c-11")
    feed()
    assert "opened the link" in panel.notice.text()  # the dispatcher sees the caller is there
    page.click("#agree")
    seat.wait_event("call.link_located", call_id="c-11")
    # "Send question" sends the questionnaire's current question as a chat message.
    qtbot.mouseClick(panel.quick_button, Qt.MouseButton.LeftButton)
    page.wait_for_selector(".msg.seat >> text=病人有呼吸吗？")
    page.fill("#text", "没有呼吸，我拍了照片")
    page.click("#t_send")
    # A 2400×1800 photo: the phone shrinks it to 1600 px JPEG before sending.
    page.set_input_files("#photo_in", files=[{"name": "scene.png", "mimeType": "image/png",
                                              "buffer": _image(2400, 1800, "PNG")}])
    received = seat.wait_event("call.photo_received", call_id="c-11", timeout=15)["data"]
    page.wait_for_selector(".msg.sys >> text=照片已发送给调度员")
    content_type, body = fetch_media(server.url, server.tokens["seat-1"], received["media_id"],
                                     sha256=received["sha256"])
    shrunk = QImage.fromData(body)
    assert (content_type, received["content_type"]) == ("image/jpeg", "image/jpeg")
    assert (shrunk.width(), shrunk.height()) == (1600, 1200) and len(body) == received["bytes"]
    # Only a seat's token opens it.
    for token in ("not-a-real-token-at-all", server.tokens["dev-A1"]):
        with pytest.raises(MediaError, match="401"):
            fetch_media(server.url, token, received["media_id"])
    with pytest.raises(MediaError, match="404"):
        fetch_media(server.url, server.tokens["seat-1"], str(uuid.uuid4()))
    # A 50 MB original: refused, said on the phone and at the seat, nothing kept.
    huge = tmp_path / "huge.jpg"
    with huge.open("wb") as f:
        f.write(b"\xff\xd8\xff")
        f.truncate(50 * 1024 * 1024)  # sparse: no 50 MB written to the disk
    page.set_input_files("#photo_in", huge)
    refused = seat.wait_event("call.photo_refused", call_id="c-11", timeout=15)["data"]
    assert (refused["bytes"], refused["reason"]) == (50 * 1024 * 1024, "too_large")
    page.wait_for_selector(".msg.sys >> text=照片太大了")
    assert server.db_count("caller_media") == 1
    feed()
    qtbot.waitUntil(lambda: panel.photo(received["media_id"]) is not None, timeout=10_000)
    assert panel.photos.count() == 1 and not panel.photos.item(0).icon().isNull()
    assert "too large" in panel.notice.text() and "50.0 MB" in panel.notice.text()
    assert [panel.chat.item(i).text().split(": ", 1)[1] for i in range(panel.chat.count())] == [
        "病人有呼吸吗？", "没有呼吸，我拍了照片"]
    context.close()


def _loopback(msg: dict) -> bool:
    """Keep video on 127.0.0.1: every signalling message but ICE candidates of other addresses."""
    return msg.get("kind") != "candidate" or " 127.0.0.1 " in json.loads(msg["data"]).get("candidate", "")


def test_the_callers_live_video_reaches_the_seats_page(dispatch_server, video_browser, qtbot, screenshots):
    from app.seat.commands import SeatCommands
    from app.seat.media import fetch_media
    from widgets.caller_link_panel import CallerLinkPanel
    from widgets.command_runner import CommandRunner
    from widgets.message_area import MessageArea

    server = dispatch_server
    seat, _incident = answered_call(server, "c-13")

    class Wire:  # the edge: the panel's commands go to the real server through the protocol client
        def send_command(self, name, args, command_id=None):
            return seat.send_command(name, args, command_id=command_id)

    store = SeatStore()
    messages = MessageArea()
    qtbot.addWidget(messages)
    panel = CallerLinkPanel(store, CommandRunner(store, SeatCommands(Wire()), messages))
    qtbot.addWidget(panel)
    panel.rtc_sender = lambda msg: _loopback(msg) and seat.send_json(msg)
    panel.media_fetcher = lambda media_id, sha: fetch_media(server.url, server.tokens["seat-1"], media_id, sha256=sha)
    for msg in seat.received:
        store.handle_message(msg)
    panel.set_call(store.state.calls["c-13"])
    panel.send_link()
    link = seat.wait_for(lambda m: m["type"] == "caller_link")
    context = video_browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", geolocation=HERE)
    context.grant_permissions(["geolocation", "camera"], origin=f"http://127.0.0.1:{server.port}")
    page = context.new_page()
    page.goto(link["url"])
    page.click("#agree")
    page.click("#video")  # the caller starts the video: the server relays the offer to this seat
    sizes: list[tuple[int, int]] = []

    def first_frame() -> bool:
        while True:  # what the server sent the seat, into the store (the panel follows its signals)
            try:
                msg = seat._read(0.001)
            except TimeoutError:
                break
            if msg["type"] != "rtc_from_caller" or _loopback(msg):
                store.handle_message(msg)
        if panel.video is not None:
            panel.video.video_size(lambda w, h: sizes.append((w, h)))
        return any(w > 0 for w, _h in sizes)

    qtbot.waitUntil(first_frame, timeout=20_000)
    qtbot.waitUntil(lambda: panel.video.state == "connected")
    page.fill("#text", "这是门口，病人在客厅地上")
    page.click("#t_send")
    seat.wait_event("call.chat_received", call_id="c-13")
    for msg in seat.received:  # the link's events (read while waiting above); applied ones are skipped
        if msg["type"] != "rtc_from_caller":
            store.handle_message(msg)
    assert "video live" in panel.state.text()
    # The dispatcher records a still: the phone sends its camera frame as a photo, kept with the incident.
    qtbot.mouseClick(panel.still_button, Qt.MouseButton.LeftButton)
    still = seat.wait_event("call.photo_received", call_id="c-13", timeout=15)["data"]
    assert still["content_type"] == "image/jpeg" and server.db_count("caller_media") == 1
    assert page.eval_on_selector("#preview", "v => v.videoWidth") > 0  # the phone shows what it sends
    for msg in seat.received:
        if msg["type"] != "rtc_from_caller":
            store.handle_message(msg)
    qtbot.waitUntil(lambda: panel.photo(still["media_id"]) is not None, timeout=10_000)
    panel.resize(520, 900)
    panel.show()
    qtbot.waitExposed(panel)
    painted: list[int] = []
    qtbot.waitUntil(lambda: panel.video.video_size(lambda w, h: painted.append(w)) or bool(painted))
    qtbot.wait(300)  # let the view paint a few frames for the picture (not an assertion)
    panel.grab().save(str(screenshots / "screenshot-caller-panel.png"))
    context.close()


# ---------------------------------------------------------------- retention
SCENE = Path(__file__).parent / "data" / "caller_scene.jpg"


def _page_socket(server, url: str):
    from tests.integration.wsclient import ProtocolClient

    token = url.rsplit("/c/", 1)[1]
    page = ProtocolClient.connect(f"ws://127.0.0.1:{server.port}/ws/caller/{token}")
    page.wait_for(lambda m: m["type"] == "welcome")
    return page


def test_a_centre_that_does_not_accept_photos_refuses_them_politely_and_stores_nothing(start_server, browser):
    server = start_server(extra_args=["--caller-photos", "discard"])
    seat, _incident = answered_call(server, "c-21")
    context = phone(browser, server)
    page = context.new_page()
    url = send_link(seat, "c-21")
    page.goto(url)
    page.click("#agree")
    seat.wait_event("call.link_located", call_id="c-21")
    page.set_input_files("#photo_in", files=[{"name": "scene.jpg", "mimeType": "image/jpeg",
                                              "buffer": SCENE.read_bytes()}])
    # The caller reads it in plain Chinese; the seat sees the refusal and why.
    page.wait_for_selector(".msg.sys >> text=本急救中心不接收照片")
    refused = seat.wait_event("call.photo_refused", call_id="c-21", timeout=15)["data"]
    assert refused["reason"] == "not_accepted"
    # A page that sends the bytes anyway (no photo_go was given) gets an error; nothing is kept.
    raw = _page_socket(server, url)
    raw.send_json({"type": "photo", "bytes": SCENE.stat().st_size, "content_type": "image/jpeg"})
    assert raw.wait_for(lambda m: m["type"] == "error")["code"] == "photo_not_accepted"
    raw.ws.send(SCENE.read_bytes())
    assert raw.wait_for(lambda m: m["type"] == "error" and m["code"] != "photo_not_accepted")["code"] == "bad_message"
    assert server.db_count("caller_media") == 0
    assert not [e for e in server.db_events() if e["name"] == "call.photo_received"]
    context.close()


def test_photos_are_deleted_days_after_the_incident_closed_and_the_deletion_is_logged(start_server):
    # A retention of 0.000001 days (~0.09 s): the purge at the next start finds the photo past its time.
    server = start_server(extra_args=["--caller-media-days", "0.000001"])
    seat, incident_id = answered_call(server, "c-22")
    page = _page_socket(server, send_link(seat, "c-22"))
    page.send_json({"type": "consent"})
    photo = SCENE.read_bytes()
    page.send_json({"type": "photo", "bytes": len(photo), "content_type": "image/jpeg"})
    page.wait_for(lambda m: m["type"] == "photo_go")
    page.ws.send(photo)
    media_id = page.wait_for(lambda m: m["type"] == "photo_ok")["media_id"]
    assert server.db_count("caller_media") == 1
    # While the incident is open the photo stays, whatever its age.
    server.kill()
    server.restart()
    seat = server.client("seat-1")
    assert server.db_count("caller_media") == 1
    assert seat.command("incident.close", {"incident_id": incident_id, "reason": "duplicate"})["type"] == "ack"
    server.kill()
    server.restart()
    deadline = time.monotonic() + 15
    while not (purged := [e for e in server.db_events() if e["name"] == "call.media_purged"]):
        assert time.monotonic() < deadline, "the retention purge did not run at start"
        time.sleep(0.05)
    assert [e["data"] for e in purged] == [{"call_id": "c-22", "media_ids": [media_id], "reason": "retention"}]
    assert server.db_count("caller_media") == 0
    # The record of the photo stays in the log; its bytes are gone.
    assert [e["data"]["media_id"] for e in server.db_events() if e["name"] == "call.photo_received"] == [media_id]
    from app.seat.media import MediaError, fetch_media

    with pytest.raises(MediaError, match="404"):
        fetch_media(server.url, server.tokens["seat-1"], media_id)
