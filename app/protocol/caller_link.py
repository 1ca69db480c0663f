"""Wire tables of the caller link (issue 7): one-time links, chat, guidance cards.

* ``call.link_send`` (seat) {call_id, via} → ``call.link_created`` {call_id,
  link_id, via, expires_at}. The server makes the token; the event never holds
  it (nor its hash). The sending seat alone gets the URL in a direct
  ``caller_link`` message (:data:`ENVELOPES`), never journaled.
* The caller's page (``/c/<token>``, its websocket ``/ws/caller/<token>``)
  makes the server append ``call.link_opened``, ``call.link_consented``,
  ``call.link_located`` (the phone's GPS: a location candidate of source
  ``caller_link``, replacing the link's previous fix), ``call.link_location_refused``
  and ``call.chat_received``.
* ``call.chat_send`` (seat) {call_id, text} → ``call.chat_sent``, delivered to the page.
* ``call.guidance_push`` (seat) {call_id, card_id} → ``call.guidance_pushed``, delivered
  to the page (cards: ``resources/guidance/cards.json``).
* ``call.photo_received`` / ``call.photo_refused``: the page sent a photo; the server kept it
  (table ``caller_media``) or said why not (nothing kept).
* ``call.media_purged`` {call_id, media_ids, reason}: the server deleted stored photos of a closed
  incident under the centre's retention setting (``serve --caller-media-days``); the record of the
  photo (its hash, size, time) stays in the log, its bytes are gone.
* ``call.link_revoked`` {call_id, link_id, reason}: the incident closed (or the server
  revoked it); the link never opens again.

Pure tables; imports only ``app.protocol.schema``, ``app.domain.model`` and
``app.protocol.location`` (see ``app.protocol.features``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from app.domain.model import Role
from app.protocol.location import LOCATION
from app.protocol.schema import Field

CHAT_MAX = 500
# Card ids (``resources/guidance/cards.json`` holds exactly these). ``cpr_rescue_breaths``: adult
# asphyxial arrest, 5 rescue breaths then 30:2; ``scene_safety``: make the scene safe before touching
# the patient (electricity, gas, smoke, traffic, water), shown above every other card on the page.
GUIDANCE_CARDS = frozenset(
    {"cpr_adult", "cpr_rescue_breaths", "cpr_child", "cpr_infant", "scene_safety", "aed",
     "recovery_position", "bleeding", "choking", "childbirth", "burns", "seizure"}
)


class LinkVia(StrEnum):
    """How the link reaches the caller."""

    SMS = "sms"
    READ_OUT = "read_out"
    QR = "qr"


class PhotoRefusal(StrEnum):
    """Why the server did not keep a caller's photo (``call.photo_refused``; nothing is stored)."""

    TOO_LARGE = "too_large"  # over PHOTO_MAX_BYTES
    NOT_AN_IMAGE = "not_an_image"  # not JPEG/PNG/WebP by its first bytes, or not the size announced
    TOO_MANY = "too_many"  # over MAX_PHOTOS_PER_CALL (app.domain.caller_link)
    NOT_ACCEPTED = "not_accepted"  # the centre does not accept photos (serve --caller-photos discard)


class MediaPurgeReason(StrEnum):
    """Why the server deleted stored caller photos (``call.media_purged``)."""

    RETENTION = "retention"  # older than --caller-media-days after the incident closed


# A photo the caller's page sends (downscaled to <= 1600 px JPEG on the phone: ~0.2-1 MB).
PHOTO_MAX_BYTES = 8 * 1024 * 1024
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})


class RevokeReason(StrEnum):
    INCIDENT_CLOSED = "incident_closed"
    EXPIRED = "expired"


_VIA = frozenset(v.value for v in LinkVia)
_REVOKE = frozenset(r.value for r in RevokeReason)
CALL = Field("id")
LINK = Field("id")
TEXT = Field("str", max_len=CHAT_MAX)

COMMANDS: dict[str, Mapping[str, Field]] = {
    "call.link_send": {"call_id": CALL, "via": Field("str", choices=_VIA)},
    "call.chat_send": {"call_id": CALL, "text": TEXT},
    "call.guidance_push": {"call_id": CALL, "card_id": Field("str", choices=GUIDANCE_CARDS)},
}

COMMAND_ROLES: dict[str, frozenset[Role]] = {name: frozenset({Role.SEAT}) for name in COMMANDS}

EVENTS: dict[str, Mapping[str, Field]] = {
    "call.link_created": {
        "call_id": CALL,
        "link_id": LINK,
        "via": Field("str", choices=_VIA),
        "expires_at": Field("str", max_len=40),
        "seat_id": Field("id"),
    },
    "call.link_opened": {"call_id": CALL, "link_id": LINK},
    "call.link_consented": {"call_id": CALL, "link_id": LINK},
    "call.link_located": {"call_id": CALL, "link_id": LINK, "location": LOCATION},
    "call.link_location_refused": {"call_id": CALL, "link_id": LINK},
    "call.link_revoked": {"call_id": CALL, "link_id": LINK, "reason": Field("str", choices=_REVOKE)},
    "call.chat_sent": {"call_id": CALL, "text": TEXT, "seat_id": Field("id")},
    "call.chat_received": {"call_id": CALL, "link_id": LINK, "text": TEXT},
    "call.guidance_pushed": {"call_id": CALL, "card_id": Field("str", choices=GUIDANCE_CARDS), "seat_id": Field("id")},
    # A photo from the caller's page, stored by the server (table caller_media, beside the log); the seat
    # fetches it with GET /media/<media_id> and its own token (server_stub/caller_link.py).
    "call.photo_received": {
        "call_id": CALL,
        "link_id": LINK,
        "media_id": Field("uuid"),
        "bytes": Field("int", min=1, max=PHOTO_MAX_BYTES),
        "sha256": Field("str", max_len=64),
        "content_type": Field("str", choices=PHOTO_TYPES),
    },
    "call.media_purged": {
        "call_id": CALL,
        "media_ids": Field("list", max_len=100, item=Field("uuid")),
        "reason": Field("str", choices=frozenset(r.value for r in MediaPurgeReason)),
    },
    "call.photo_refused": {
        "call_id": CALL,
        "link_id": LINK,
        "bytes": Field("int", min=0),
        "reason": Field("str", choices=frozenset(r.value for r in PhotoRefusal)),
    },
}

# "still" (seat → page): the phone sends a still of its camera's current frame as a photo (the record).
RTC_KINDS = frozenset({"offer", "answer", "candidate", "bye", "still"})
RTC_DATA_MAX = 16_000  # an SDP offer of one video track is ~3-6 kB
_RTC = {
    "call_id": CALL,
    "link_id": LINK,
    "kind": Field("str", choices=RTC_KINDS),
    # JSON text, opaque to the server: offer {"sdp", "ice_servers"}, answer {"sdp"}, candidate
    # {"candidate", "sdpMid", "sdpMLineIndex"}, bye {}.
    "data": Field("str", max_len=RTC_DATA_MAX),
}

ENVELOPES: dict[str, Mapping[str, Field]] = {
    # Live video signalling (WebRTC), relayed by the server between the caller's page and the seat that
    # sent the link; never journaled, never an event (live video is not recorded).
    "rtc_from_caller": _RTC,  # server -> the link's seat
    "rtc_to_caller": _RTC,  # a seat -> server -> the caller's page
    # server -> the seat that sent call.link_send: the URL to read out / show as a QR code.
    "caller_link": {
        "call_id": CALL,
        "link_id": LINK,
        "url": Field("str", max_len=500),
        "expires_at": Field("str", max_len=40),
        "ref": Field("uuid"),
    },
}
SERVER_TYPES = frozenset({"caller_link", "rtc_from_caller"})
CLIENT_TYPES = frozenset({"rtc_to_caller"})


def caller_link_message(*, call_id: str, link_id: str, url: str, expires_at: str, ref: str) -> dict:
    """The direct ``caller_link`` message to the seat that asked (never journaled, never broadcast)."""
    return {"v": 1, "type": "caller_link", "call_id": call_id, "link_id": link_id, "url": url,
            "expires_at": expires_at, "ref": ref}


def rtc_message(direction: str, *, call_id: str, link_id: str, kind: str, data: str) -> dict:
    """``rtc_from_caller`` (server → seat) or ``rtc_to_caller`` (seat → server): one signalling step."""
    if direction not in ENVELOPES or not direction.startswith("rtc_"):
        raise ValueError(f"not an rtc message type: {direction!r}")
    return {"v": 1, "type": direction, "call_id": call_id, "link_id": link_id, "kind": kind, "data": data}
