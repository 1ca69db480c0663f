"""Wire tables of the caller link: one-time links, chat, guidance cards.

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

Pure types; imports only ``app.protocol.schema``, ``app.protocol.vocabulary`` and
``app.protocol.location`` (see ``app.protocol.features``).
"""

from enum import StrEnum

from app.protocol.location import LocationCandidate
from app.protocol.schema import Envelope, Int, List, NameId, Str, Uuid, Wire, choice
from app.protocol.schema import Text as MultilineText
from app.protocol.vocabulary import Role

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


Text = MultilineText(CHAT_MAX)
Card = choice(GUIDANCE_CARDS)


class CallLinkSend(Wire):
    call_id: NameId
    via: LinkVia


class CallChatSend(Wire):
    call_id: NameId
    text: Text


class CallGuidancePush(Wire):
    call_id: NameId
    card_id: Card


COMMANDS: dict[str, type[Wire]] = {
    "call.link_send": CallLinkSend,
    "call.chat_send": CallChatSend,
    "call.guidance_push": CallGuidancePush,
}

COMMAND_ROLES: dict[str, frozenset[Role]] = {name: frozenset({Role.SEAT}) for name in COMMANDS}


class CallLinkCreated(Wire):
    """The event never holds the link's token (nor its hash)."""

    call_id: NameId
    link_id: NameId
    via: LinkVia
    expires_at: Str(40)
    seat_id: NameId


class CallLinkRef(Wire):
    """A link of a call, by its id."""

    call_id: NameId
    link_id: NameId


class CallLinkLocated(CallLinkRef):
    """The phone's GPS: a candidate of source ``caller_link``, replacing the link's previous fix."""

    location: LocationCandidate


class CallLinkRevoked(CallLinkRef):
    reason: RevokeReason


class CallChatSent(Wire):
    call_id: NameId
    text: Text
    seat_id: NameId


class CallChatReceived(CallLinkRef):
    text: Text


class CallGuidancePushed(Wire):
    call_id: NameId
    card_id: Card
    seat_id: NameId


class CallPhotoReceived(CallLinkRef):
    """Stored by the server (table caller_media); a seat fetches it with ``GET /media/<media_id>``."""

    media_id: Uuid
    bytes: Int(1, PHOTO_MAX_BYTES)
    sha256: Str(64)
    content_type: choice(PHOTO_TYPES)


class CallMediaPurged(Wire):
    """Stored photos deleted under the retention setting; the record of each photo stays in the log."""

    call_id: NameId
    media_ids: List(Uuid, 100)
    reason: MediaPurgeReason


class CallPhotoRefused(CallLinkRef):
    bytes: Int(0)
    reason: PhotoRefusal


EVENTS: dict[str, type[Wire]] = {
    "call.link_created": CallLinkCreated,
    "call.link_opened": CallLinkRef,
    "call.link_consented": CallLinkRef,
    "call.link_located": CallLinkLocated,
    "call.link_location_refused": CallLinkRef,
    "call.link_revoked": CallLinkRevoked,
    "call.chat_sent": CallChatSent,
    "call.chat_received": CallChatReceived,
    "call.guidance_pushed": CallGuidancePushed,
    "call.photo_received": CallPhotoReceived,
    "call.media_purged": CallMediaPurged,
    "call.photo_refused": CallPhotoRefused,
}

# "still" (seat → page): the phone sends a still of its camera's current frame as a photo (the record).
RTC_KINDS = frozenset({"offer", "answer", "candidate", "bye", "still"})
RTC_DATA_MAX = 16_000  # an SDP offer of one video track is ~3-6 kB


class RtcFromCaller(Envelope, tag="rtc_from_caller"):
    """Server → the link's seat: one WebRTC signalling step from the caller's page (never journaled).

    ``data`` is JSON text, opaque to the server: offer {"sdp", "ice_servers"}, answer {"sdp"},
    candidate {"candidate", "sdpMid", "sdpMLineIndex"}, bye {}.
    """

    call_id: NameId
    link_id: NameId
    kind: choice(RTC_KINDS)
    data: MultilineText(RTC_DATA_MAX)  # JSON text: may be pretty-printed


class RtcToCaller(RtcFromCaller, tag="rtc_to_caller"):
    """A seat → server → the caller's page: one WebRTC signalling step (never journaled)."""


class CallerLink(Envelope, tag="caller_link"):
    """Server → the seat that sent ``call.link_send``: the URL to read out or show as a QR code."""

    call_id: NameId
    link_id: NameId
    url: Str(500)
    expires_at: Str(40)
    ref: Uuid


ENVELOPES: dict[str, type[Envelope]] = {
    "rtc_from_caller": RtcFromCaller,
    "rtc_to_caller": RtcToCaller,
    "caller_link": CallerLink,
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
