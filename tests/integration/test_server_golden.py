"""The golden frames, seen from the server's side of the wire: a real ``dispatch120-server`` process.

The seat's side is ``tests/unit/test_protocol_golden.py``. Here:

* every invalid golden frame, sent to the real server, gets the error code the
  golden promises (or, before authentication, the refusal and close code the
  protocol documents), nothing is stored, and the server keeps serving;
* the valid client goldens, sent in the order of the story they tell (with
  real tokens), make the real server answer with frames that pass the seat's
  decoder, have the shape of the server goldens, and append exactly the
  events of the event goldens — same names, same data, same refs.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

from app.protocol import (
    MAX_FRAME_BYTES,
    SERVER_TYPES,
    CloseCode,
    ErrorCode,
    ProtocolError,
    decode,
    encode,
    new_id,
    now_iso,
    validate_event,
)
from app.protocol.codec import (
    parse_ts,
)
from app.seat.media import MediaError, fetch_media
from tests.golden_helpers import (
    CLIENT_TO_SERVER,
    SERVER_TO_CLIENT,
    deeply_nested_frame,
    envelope_shape,
    golden_message,
    goldens_of_kind,
    invalid_cases,
    oversize_frame,
    story_events,
    with_token,
)
from tests.integration.wsclient import ProtocolClient

pytestmark = pytest.mark.integration

# The registry the goldens were written against (ids, names and call signs as in the event goldens).
GOLDEN_REGISTRY = {
    "stations": [{"id": "ST-YZ", "name": "渝中区急救站", "lat": 29.5572, "lon": 106.5772}],
    "hospitals": [{"id": "H-CQMU1", "name": "重庆医科大学附属第一医院", "lat": 29.5347, "lon": 106.5120}],
    "units": [
        {"id": "A01", "call_sign": "急救1", "station": "ST-YZ", "capability": "als"},
        {"id": "A02", "call_sign": "急救2", "station": "ST-YZ", "capability": "bls"},
    ],
    "seats": [{"id": "seat-1", "name": "1号席位"}, {"id": "seat-2", "name": "2号席位"}],
    "devices": [{"id": "dev-A01", "unit": "A01", "name": "急救1车载终端"}],
    "switches": [{"id": "pbx-1", "name": "程控交换机"}],
}
REGISTRY_EVENTS = {
    "station.registered",
    "hospital.registered",
    "unit.registered",
    "principal.registered",
    "principal.revoked",
    "hospital.capabilities_set",  # admin set-hospital / add-aed, registry data like the above
    "aed.registered",
}
RING_TIMEOUT_S = 2.0  # long enough to disconnect a seat before it fires, short enough to wait for once


def seat_decodes(msg: dict) -> dict:
    """The server's frame through the seat's decoder (raises ProtocolError if the seat would refuse it)."""
    return decode(encode(msg), allowed=SERVER_TYPES)


def first_golden(kind: str) -> dict:
    [plain] = [g for g in goldens_of_kind(kind) if g.variant is None]
    return plain.message


# ---------------------------------------------------------------- invalid frames


def test_every_invalid_golden_after_hello_gets_its_error_code_and_the_connection_keeps_working(
    dispatch_server,
):
    server = dispatch_server
    before = server.db_count("events")
    wrong = []
    for case in invalid_cases(CLIENT_TO_SERVER):
        conn = server.client("dev-A1")  # a device: connecting it writes no presence events
        if case.text is None:
            # Not UTF-8: it can only travel as a binary frame, which the server refuses as such.
            conn.send_raw(case.frame)
            reply = seat_decodes(conn.wait_for(lambda m: m["type"] == "error"))
            code, _ = conn.expect_close()
            if (reply["code"], code) != (ErrorCode.BAD_MESSAGE, CloseCode.UNSUPPORTED_DATA):
                wrong.append((case.name, reply["code"], code))
            continue
        conn.send_raw(case.text)
        reply = seat_decodes(conn.wait_for(lambda m: m["type"] == "error"))
        if reply["code"] != case.code:
            wrong.append(
                (case.name, case.why, f"expected {case.code.value}, got {reply['code']}: {reply['message']}")
            )
        if (
            case.code in (ErrorCode.UNKNOWN_COMMAND, ErrorCode.INVALID_ARGS)
            and reply["ref"] != json.loads(case.text)["id"]
        ):
            wrong.append((case.name, "error reply does not name the command id", reply))
        if case.code == ErrorCode.UNSUPPORTED_VERSION:
            # Another protocol version closes the connection (4003), after the hello as before it.
            code, _ = conn.expect_close()
            if code != CloseCode.UNSUPPORTED_VERSION:
                wrong.append((case.name, "not closed with 4003", code))
            continue
        # The same connection is answered normally afterwards (a no-op report: acked, nothing stored).
        after = conn.command("unit.status", {"unit_id": "A1", "status": "available"})
        if after["type"] != "ack":
            wrong.append((case.name, "connection not usable afterwards", after))
        conn.close()
    assert not wrong, "\n".join(map(str, wrong))
    assert server.db_count("events") == before


def test_every_invalid_golden_as_the_first_frame_is_refused_and_closed(dispatch_server):
    server = dispatch_server
    before = server.db_count("events")
    wrong = []
    for case in invalid_cases(CLIENT_TO_SERVER):
        conn = server.raw_client()
        conn.send_raw(case.frame if case.text is None else case.text)
        reply = seat_decodes(conn.wait_for(lambda m: m["type"] == "error"))
        code, _ = conn.expect_close()
        if case.code == ErrorCode.UNSUPPORTED_VERSION:
            expected = {(ErrorCode.UNSUPPORTED_VERSION.value, CloseCode.UNSUPPORTED_VERSION)}
        elif case.text is None:
            expected = {(ErrorCode.BAD_MESSAGE.value, CloseCode.UNSUPPORTED_DATA)}
        else:  # the golden's own code (a malformed hello) or "authenticate first"
            expected = {
                (case.code.value, CloseCode.AUTH_TIMEOUT),
                (ErrorCode.UNAUTHENTICATED.value, CloseCode.AUTH_TIMEOUT),
            }
        if (reply["code"], code) not in expected:
            wrong.append((case.name, case.why, reply["code"], code))
    assert not wrong, "\n".join(map(str, wrong))
    assert server.db_count("events") == before
    assert server.client("seat-1").command("seat.set_ready", {"ready": True})["type"] == "ack"


def test_generated_oversize_and_deeply_nested_frames_are_refused_and_the_server_keeps_serving(
    dispatch_server,
):
    server = dispatch_server
    before = server.db_count("events")
    nested = server.client("dev-A1")
    nested.send_raw(deeply_nested_frame().decode())
    assert nested.wait_for(lambda m: m["type"] == "error")["code"] in (
        ErrorCode.BAD_JSON,
        ErrorCode.BAD_MESSAGE,
    )
    assert nested.command("unit.status", {"unit_id": "A1", "status": "available"})["type"] == "ack"
    big = server.client("dev-A1")
    big.send_raw(oversize_frame(MAX_FRAME_BYTES + 1).decode())
    assert big.expect_close()[0] == CloseCode.MESSAGE_TOO_BIG
    assert server.db_count("events") == before
    assert server.client("seat-1").command("seat.set_ready", {"ready": True})["type"] == "ack"


# ---------------------------------------------------------------- the golden story, for real


class Story:
    """Sends client goldens as they are (real tokens only) and checks each reply."""

    def __init__(self, server) -> None:
        self.server = server
        self.acks: dict[str, dict] = {}

    def hello(self, golden_id: str, principal_id: str) -> tuple[ProtocolClient, dict]:
        conn = self.server.raw_client()
        conn.send_json(
            with_token(golden_message(f"{CLIENT_TO_SERVER}/{golden_id}"), self.server.tokens[principal_id])
        )
        welcome = seat_decodes(conn.wait_for(lambda m: m["type"] in ("welcome", "error")))
        assert welcome["type"] == "welcome", welcome
        conn.welcome = welcome
        conn.sync()
        return conn, welcome

    def send(self, conn: ProtocolClient, golden_id: str) -> dict:
        msg = golden_message(f"{CLIENT_TO_SERVER}/{golden_id}")
        conn.send_json(msg)
        reply = seat_decodes(conn.reply_to(msg["id"]))
        assert reply["type"] == "ack", (golden_id, reply)
        assert envelope_shape(reply) == envelope_shape(first_golden("ack"))
        self.acks[msg["id"]] = reply
        return reply


def test_golden_story_told_to_the_real_server_gives_the_golden_replies_and_events(start_server):
    server = start_server(registry=GOLDEN_REGISTRY, ring_timeout=RING_TIMEOUT_S)
    story = Story(server)
    pbx = server.client("pbx-1")  # the phone switch also watches every broadcast
    device, device_welcome = story.hello("hello__first_connection", "dev-A01")
    assert (
        device_welcome["principal"]
        == golden_message(f"{SERVER_TO_CLIENT}/welcome__device_snapshot")["principal"]
    )
    assert device_welcome["resume"] == "snapshot"
    [snap] = [m for m in device.sync_messages if m["type"] == "snapshot"]
    assert set(seat_decodes(snap)["state"]) == set(golden_message(f"{SERVER_TO_CLIENT}/snapshot")["state"])
    seat_1 = server.client("seat-1")
    seat_2, seat_2_welcome = story.hello("hello", "seat-2")
    assert seat_2_welcome["principal"] == golden_message(f"{SERVER_TO_CLIENT}/welcome")["principal"]
    for msg in (device_welcome, seat_2_welcome):
        assert envelope_shape(msg) == envelope_shape(first_golden("welcome"))

    story.send(seat_1, "cmd.seat.set_ready")
    story.send(seat_2, "cmd.seat.set_ready__seat_2")
    offered = story.send(pbx, "cmd.call.offered")
    assert offered == {**golden_message(f"{SERVER_TO_CLIENT}/ack__several_events"), "seq": offered["seq"]}
    # Nobody answers at seat-1: the real ring timer moves the call on.
    pbx.wait_event("call.ring_timeout", timeout=RING_TIMEOUT_S + 5, call_id="20261127-0001", seat_id="seat-1")
    pbx.wait_event("call.ringing", call_id="20261127-0001", seat_id="seat-2")
    story.send(seat_2, "cmd.call.answer")
    created = story.send(seat_2, "cmd.incident.create")
    assert created == {**golden_message(f"{SERVER_TO_CLIENT}/ack"), "seq": created["seq"]}
    # Sent again (a seat resending its outbox after a reconnect): the same ack, marked duplicate.
    again = story.send(seat_2, "cmd.incident.create")
    assert again == {**golden_message(f"{SERVER_TO_CLIENT}/ack__duplicate"), "seq": created["seq"]}
    story.send(seat_2, "cmd.incident.update")
    story.send(seat_2, "cmd.unit.assign")
    # Another dispatcher tries to send 急救1 again: the error golden, word for word.
    busy = golden_message(f"{SERVER_TO_CLIENT}/error")
    refused = seat_decodes(
        seat_2.command(
            "unit.assign",
            {"incident_id": "3f6d1b2a-8c4e-4f7a-9b0c-5d2e1a3f4b6c", "unit_id": "A01"},
            command_id=busy["ref"],
        )
    )
    assert refused == busy
    story.send(seat_2, "cmd.call.ended")
    for step in (
        "cmd.unit.status",
        "cmd.unit.status__on_scene",
        "cmd.unit.status__transporting",
        "cmd.unit.status__at_hospital",
    ):
        story.send(device, step)
    story.send(seat_2, "cmd.unit.status__seat_reports_handover")
    story.send(seat_2, "cmd.incident.close")
    story.send(seat_1, "cmd.seat.set_ready__seat_1_back")
    story.send(pbx, "cmd.call.offered__unknown_caller")
    pbx.wait_event("call.ringing", call_id="20261127-0002", seat_id="seat-1")
    seat_1.close()  # seat-1's network drops while the second call rings there
    pbx.wait_event("seat.state_changed", timeout=RING_TIMEOUT_S + 5, seat_id="seat-1", state="offline")
    story.send(pbx, "cmd.call.abandoned")
    pbx.wait_event("call.abandoned", call_id="20261127-0002")
    # A passer-by's cardiac arrest: seat-2 records it, triages it and coaches CPR by phone.
    for step in ("cmd.incident.create__cardiac_arrest", "cmd.triage.answer", "cmd.triage.arrest_recognised",
                 "cmd.triage.complete", "cmd.cpr.started", "cmd.cpr.stopped"):
        story.send(seat_2, step)

    # The caller's location and a repeat call: a call with two disagreeing candidates,
    # a late Wi-Fi fix, the dispatcher confirms GPS, the same number calls again and is attached.
    story.send(pbx, "cmd.call.offered__with_locations")
    story.send(seat_2, "cmd.call.answer__third_call")
    story.send(pbx, "cmd.call.add_location")
    story.send(seat_2, "cmd.incident.create__third_call")
    story.send(seat_2, "cmd.incident.locate")
    story.send(pbx, "cmd.call.offered__repeat")
    story.send(seat_2, "cmd.call.answer__repeat")
    story.send(seat_2, "cmd.call.attach")
    # Unit recommendation: seat-2 sends the first suggestion (one key) to the cardiac arrest.
    story.send(seat_2, "cmd.unit.assign_recommended")
    # Live ECG: 急救1's monitor sends a chunk of lead II; seat-2 keeps a strip of it, which the
    # server stores in its strips table and attaches to 急救1's incident.
    seat_2.send_json({"v": 1, "type": "subscribe", "unit_ids": ["A01"], "kinds": ["waveform"]})
    device.send_json(golden_message(f"{CLIENT_TO_SERVER}/telemetry__waveform"))
    seat_2.wait_for(lambda m: m["type"] == "unit_telemetry")
    story.send(seat_2, "cmd.telemetry.strip_request")
    assert server.db_count("strips") == 1
    # Pre-notification: seat-2 tells H-CQMU1's console what is coming (the strip above, the last
    # vitals); the console answers "cath lab activated" and the answer reaches the seats.
    # The monitor's frame counter grows on its connection: these vitals come after the chunk (1042).
    device.send_json({**golden_message(f"{CLIENT_TO_SERVER}/telemetry__vitals"), "seq": 1045})
    device.command("seat.set_ready", {"ready": True})  # refused (a device), but a round trip: vitals handled
    added = server.admin("add-hospital-console", "ed-CQMU1", "--hospital", "H-CQMU1")
    assert added.returncode == 0, added.stderr
    server.tokens["ed-CQMU1"] = added.stdout.split("shown only now")[1].split()[-1]
    console = server.client("ed-CQMU1")
    story.send(seat_2, "cmd.prenotify.send")
    package = seat_decodes(console.wait_for(lambda m: m["type"] == "prenotify_package"))
    assert envelope_shape(package["package"]) == envelope_shape(first_golden("prenotify_package")["package"])
    story.send(console, "cmd.prenotify.ack")
    seat_2.wait_event("prenotify.acknowledged")

    # The caller link: seat-2 texts 刘女士 (call 0003) a link; a plain websocket client plays her
    # phone's page on /ws/caller/<token> (the token only ever reaches the sending seat, in the direct
    # caller_link reply). She consents, her GPS fix arrives, she then refuses location, and texts; seat-2
    # answers, pushes the adult CPR card, and closes the incident as a duplicate: the link is revoked.
    story.send(seat_2, "cmd.call.link_send")
    link = seat_decodes(seat_2.wait_for(lambda m: m["type"] == "caller_link"))
    assert envelope_shape(link) == envelope_shape(first_golden("caller_link"))
    token = link["url"].rsplit("/c/", 1)[1]
    phone = ProtocolClient.connect(f"ws://127.0.0.1:{server.port}/ws/caller/{token}")
    assert phone.wait_for(lambda m: m["type"] == "welcome")["consented"] is False
    pbx.wait_event("call.link_opened")
    located = golden_message(f"{SERVER_TO_CLIENT}/event.call.link_located")["data"]["location"]
    chat_in = golden_message(f"{SERVER_TO_CLIENT}/event.call.chat_received")["data"]["text"]
    for frame, name in (
        ({"type": "consent"}, "call.link_consented"),
        ({"type": "location", **{k: located[k] for k in ("lat", "lon", "accuracy_m", "at")}}, "call.link_located"),
        ({"type": "location_refused"}, "call.link_location_refused"),
        ({"type": "chat", "text": chat_in}, "call.chat_received"),
    ):
        phone.send_json(frame)
        pbx.wait_event(name)  # one at a time: the page's events keep the story's order
    # A 50 MB original is refused before a byte of it is sent; then a photo of the scene (its bytes as
    # binary frames after the server's go-ahead) is stored beside the log and fetched by seat-2 over HTTP.
    phone.send_json({"type": "photo", "bytes": 50 * 1024 * 1024, "content_type": "image/jpeg"})
    assert phone.wait_for(lambda m: m["type"] == "error")["code"] == "photo_too_large"
    pbx.wait_event("call.photo_refused")
    photo = (Path(__file__).parent / "data" / "caller_scene.jpg").read_bytes()
    phone.send_json({"type": "photo", "bytes": len(photo), "content_type": "image/jpeg"})
    phone.wait_for(lambda m: m["type"] == "photo_go")
    phone.ws.send(photo)
    media_id = phone.wait_for(lambda m: m["type"] == "photo_ok")["media_id"]
    pbx.wait_event("call.photo_received")
    assert fetch_media(server.url, server.tokens["seat-2"], media_id) == ("image/jpeg", photo)
    story.send(seat_2, "cmd.call.chat_send")
    assert phone.wait_for(lambda m: m["type"] == "chat" and m["from"] == "seat")["text"] == "他有呼吸吗？"
    story.send(seat_2, "cmd.call.guidance_push")
    assert phone.wait_for(lambda m: m["type"] == "card")["card"]["id"] == "cpr_adult"
    story.send(seat_2, "cmd.incident.close__duplicate")
    assert phone.wait_for(lambda m: m["type"] == "gone")["reason"] == "incident_closed"
    pbx.wait_event("call.link_revoked")

    # Hospitals and first responders. The administrator records H-CQMU1's capabilities, an AED at
    # 较场口 and a volunteer; seat-2 marks the ED busy, locates the cardiac arrest, picks its destination and
    # alerts first responders; 王女士 (vol-001, ~170 m away) accepts, is sent for the AED, and arrives.
    for admin_args in (
        ("set-hospital", "H-CQMU1", "--capabilities", "chest_pain_centre,pci,stroke_centre,thrombolysis,trauma_centre",
         "--trauma-level", "1"),
        ("add-aed", "AED-JCK", "--name", "较场口地铁站站厅AED", "--lat", "29.5533", "--lon", "106.577", "--access", "24h"),
    ):
        done = server.admin(*admin_args)
        assert done.returncode == 0, done.stderr
    added = server.admin("add-volunteer", "vol-001", "--name", "王女士")
    assert added.returncode == 0, added.stderr
    server.tokens["vol-001"] = added.stdout.split("shown only now")[1].split()[-1]
    story.send(seat_2, "cmd.hospital.set_status")
    story.send(seat_2, "cmd.incident.locate__cardiac_arrest")
    story.send(seat_2, "cmd.incident.set_destination")
    volunteer, _ = story.hello("hello__volunteer", "vol-001")
    position = golden_message(f"{CLIENT_TO_SERVER}/volunteer.position")
    volunteer.send_json({**position, "t": now_iso()})  # a fix is only used while fresh: stamp it now
    volunteer.command("volunteer.respond", {"alert_id": new_id(), "response": "accepted"})  # round trip
    story.send(seat_2, "cmd.responders.alert")
    alert = seat_decodes(volunteer.wait_for(lambda m: m["type"] == "volunteer_alert"))
    assert alert == golden_message(f"{SERVER_TO_CLIENT}/volunteer_alert")
    story.send(volunteer, "cmd.volunteer.respond")
    aed = seat_decodes(volunteer.wait_for(lambda m: m["type"] == "volunteer_aed"))
    assert aed == golden_message(f"{SERVER_TO_CLIENT}/volunteer_aed")
    story.send(volunteer, "cmd.volunteer.respond__arrived")
    assert {m["type"] for m in volunteer.received} == {"welcome", "synced", "error", "ack", "volunteer_alert",
                                                        "volunteer_aed"}  # never an event or a snapshot

    # Training: a centre with a trainer console registered is a training centre; there the switch plays
    # the caller, and the caller's scripted words on call 0003 are recorded (a real centre refuses them).
    refused = pbx.command("training.caller_say", {"call_id": "20261127-0003", "zh": "喂？", "en": "Hello?",
                                                  "via": "voice"})
    assert (refused["type"], refused["code"]) == ("error", "forbidden")
    refused = seat_2.command("training.ask", {"call_id": "20261127-0003", "text": "病人还有呼吸吗"})
    assert (refused["type"], refused["code"]) == ("error", "forbidden")
    added = server.admin("add-trainer", "trainer-1", "--name", "培训教员")
    assert added.returncode == 0, added.stderr
    story.send(pbx, "cmd.training.caller_say")
    # The trainee at seat-2 types a follow-up question to the caller (refused above, in a real centre).
    story.send(seat_2, "cmd.training.ask")

    # A month later (here: a restart with a retention of ~0.1 s): the centre keeps caller photos 30 days after
    # the incident closed (--caller-media-days). The scene photo's bytes are deleted and the deletion is logged.
    server.kill()
    server.extra_args += ["--caller-media-days", "0.000001"]
    server.restart()
    deadline = time.monotonic() + 15
    while not any(e["name"] == "call.media_purged" for e in server.db_events()):
        assert time.monotonic() < deadline, "the retention purge did not run at start"
        time.sleep(0.05)
    with pytest.raises(MediaError) as gone:
        fetch_media(server.url, server.tokens["seat-2"], media_id)
    assert gone.value.status == 404

    # The trainer's console pauses the training run at 2.5x and makes unit A01 break down.
    server.tokens["trainer-1"] = re.search(r"One-time token for trainer-1.*?\n\n\s+(\S+)", added.stdout, re.S).group(1)
    trainer = server.client("trainer-1")
    story.send(trainer, "cmd.training.set_clock")
    story.send(trainer, "cmd.training.inject")

    # Every frame the switch received passes the seat's decoder and has its golden's shape.
    for msg in pbx.received:
        decoded = seat_decodes(msg)
        if decoded["type"] == "event":
            validate_event(decoded["name"], decoded["data"])
            assert envelope_shape(decoded) == envelope_shape(first_golden(f"event.{decoded['name']}"))
        else:
            assert envelope_shape(decoded) == envelope_shape(first_golden(decoded["type"]))
    # And the server appended exactly the story the event goldens tell.
    told = [(e["name"], e["data"], e["ref"]) for e in story_events() if e["name"] not in REGISTRY_EVENTS]
    stored = [
        (e["name"], e["data"], e["ref"]) for e in server.db_events() if e["name"] not in REGISTRY_EVENTS
    ]
    told = _link_expiry_as_lifetime(told, story_events())
    stored = _link_expiry_as_lifetime(stored, server.db_events())
    assert stored == told
    # The registry the admin CLI wrote is the goldens' registry (bar the retired terminal, not imported here).
    registered = [(e["name"], e["data"]) for e in server.db_events() if e["name"] in REGISTRY_EVENTS]
    for e in story_events():
        if e["name"] in REGISTRY_EVENTS and e["data"].get("principal_id") != "dev-A02-2019":
            assert (e["name"], e["data"]) in registered


def _link_expiry_as_lifetime(told: list[tuple], events: list[dict]) -> list[tuple]:
    """``call.link_created``'s ``expires_at`` is the server's clock plus the link lifetime: replace it with
    the lifetime in whole minutes (the goldens and the real server both say 2 h)."""
    ts = {e["ref"]: e["ts"] for e in events if e["name"] == "call.link_created"}
    out = []
    for name, data, ref in told:
        if name == "call.link_created":
            lifetime = parse_ts(data["expires_at"]) - parse_ts(ts[ref])
            data = {**data, "expires_at": f"{round(lifetime.total_seconds() / 60)} min"}
        out.append((name, data, ref))
    return out


def test_server_goldens_are_what_the_seat_decoder_accepts():
    """Guard for the test above: its reference frames are themselves valid server frames."""
    for g in goldens_of_kind("ack") + goldens_of_kind("error") + goldens_of_kind("welcome"):
        try:
            seat_decodes(g.message)
        except ProtocolError as exc:  # pragma: no cover - the unit golden tests say more
            pytest.fail(f"{g.id}: {exc}")
