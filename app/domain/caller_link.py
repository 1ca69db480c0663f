"""The caller link's projection and command handlers.

State: table ``caller_links`` (link id → {link_id, call_id, via, expires_at,
state, location_refused, seat_id, created_at}); per call ``call["chat"]`` (list of
{from: "seat"|"caller", text, at, seat_id?}) and ``call["guidance"]`` (pushed card
ids). The phone's fix replaces its link's earlier fix in ``call["locations"]``
(source ``caller_link``), so the location ranking and disagreement of
:mod:`app.domain.location` apply to it.

Pure: no I/O, no clock except the ``now`` passed in; raises only
:class:`~app.protocol.errors.ProtocolError` (through ``refuse``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from app.domain.common import EventDraft, Principal, need_call, refuse
from app.domain.model import IncidentState
from app.protocol.codec import parse_ts
from app.protocol.errors import ErrorCode

TABLES = ("caller_links",)
MAX_LINKS_PER_CALL = 3
MAX_CHAT_PER_CALL = 500
MAX_PHOTOS_PER_CALL = 30


class LinkState(StrEnum):
    CREATED = "created"
    OPENED = "opened"
    CONSENTED = "consented"
    REVOKED = "revoked"


class LinkRefusal(StrEnum):
    """Why a link does not open (the page says "链接已失效" for each)."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    CALL_CLOSED = "call_closed"


def call_closed(state: Any, call_id: str) -> bool:
    """The call's incident is closed (or the call is gone): its links are dead."""
    call = state.calls.get(call_id)
    if call is None:
        return True
    incident = state.incidents.get(call.get("incident_id") or "")
    return incident is not None and incident.get("state") == IncidentState.CLOSED


def link_refusal(state: Any, link_id: str | None, now: datetime) -> LinkRefusal | None:
    """None when the link may open now; else why not."""
    link = state.caller_links.get(link_id) if link_id else None
    if link is None:
        return LinkRefusal.UNKNOWN
    if link["state"] == LinkState.REVOKED:
        return LinkRefusal.REVOKED
    if call_closed(state, link["call_id"]):
        return LinkRefusal.CALL_CLOSED
    if parse_ts(link["expires_at"]) <= now:
        return LinkRefusal.EXPIRED
    return None


def photos_full(state: Any, call_id: str) -> bool:
    """The call already holds :data:`MAX_PHOTOS_PER_CALL` photos."""
    return len((state.calls.get(call_id) or {}).get("photos") or ()) >= MAX_PHOTOS_PER_CALL


def media_due_for_purge(state: Any, now: datetime, keep_days: float) -> dict[str, list[str]]:
    """Call id → ids of its stored (not yet purged) photos whose incident closed more than ``keep_days``
    before ``now``. ``keep_days`` <= 0 keeps everything (an empty dict)."""
    if keep_days <= 0:
        return {}
    cutoff = now - timedelta(days=keep_days)
    due: dict[str, list[str]] = {}
    for call_id, call in state.calls.items():
        ids = [p["media_id"] for p in call.get("photos") or () if not p.get("purged_at")]
        if not ids:
            continue
        incident = state.incidents.get(call.get("incident_id") or "")
        closed_at = (incident or {}).get("milestones", {}).get("closed")
        if incident is None or incident.get("state") != IncidentState.CLOSED or not closed_at:
            continue
        if parse_ts(closed_at) <= cutoff:
            due[call_id] = ids
    return due


def decide_media_purged(state: Any, call_id: str, media_ids: list[str], reason: str) -> list[EventDraft]:
    """``call.media_purged`` for those of ``media_ids`` the call still holds unpurged (none: no event)."""
    call = state.calls.get(call_id) or {}
    held = {p["media_id"] for p in call.get("photos") or () if not p.get("purged_at")}
    ids = [m for m in media_ids if m in held]
    return [("call.media_purged", {"call_id": call_id, "media_ids": ids, "reason": reason})] if ids else []


def links_of_call(state: Any, call_id: str) -> list[dict]:
    return [link for link in state.caller_links.values() if link["call_id"] == call_id]


def latest_link(state: Any, call_id: str) -> dict | None:
    links = links_of_call(state, call_id)
    return max(links, key=lambda link: link["created_at"]) if links else None


# The first-aid card for each telephone-CPR method (``app.triage.model.CprMethod`` values): adult
# presumed cardiac arrest → compression-only; adult asphyxial arrest (drowning, hanging, choking,
# smothering) → 5 rescue breaths first, then 30:2 (ERC 2021 / AHA); child and infant → their own cards,
# which also start with 5 rescue breaths.
CPR_CARD_BY_METHOD = {
    "hands_only": "cpr_adult",
    "breaths_first": "cpr_rescue_breaths",
    "child": "cpr_child",
    "infant": "cpr_infant",
}
SAFETY_CARD = "scene_safety"


def arrest_guidance_cards(cpr_method: str | None, *, safety: bool) -> tuple[str, ...]:
    """The cards to push to the caller's phone for an arrest, in the order the caller needs them.

    ``cpr_method`` is a ``CprMethod`` value (None: not known yet, treated as adult compression-only,
    the default of the protocols). ``safety``: the determinant has scene-safety steps, so the
    scene-safety card comes first (the page also keeps it on top). Raises ``KeyError`` for an unknown
    method — a new method needs its card.
    """
    card = CPR_CARD_BY_METHOD[cpr_method or "hands_only"]
    return (SAFETY_CARD, card) if safety else (card,)


def incident_calls_with_live_link(state: Any, incident_id: str | None) -> list[str]:
    """The incident's calls (first call, then attached ones) whose latest caller link is not revoked."""
    incident = state.incidents.get(incident_id or "")
    if incident is None:
        return []
    ids = [incident["call_id"]] if incident.get("call_id") else []
    ids += [c for c in incident.get("calls") or () if c not in ids]
    out = []
    for call_id in ids:
        link = latest_link(state, call_id)
        if link is not None and link["state"] != LinkState.REVOKED and not call_closed(state, call_id):
            out.append(call_id)
    return out


# ---------------------------------------------------------------- decisions (server)


def decide_link_created(state: Any, who: Principal, args: dict, link_id: str, expires_at: str) -> list[EventDraft]:
    """``call.link_send`` once the server has made the token. Raises ProtocolError when refused."""
    call = need_call(state, args["call_id"])
    if call_closed(state, call["call_id"]):
        raise refuse(ErrorCode.ILLEGAL_TRANSITION, f"the incident of call {call['call_id']} is closed")
    live = [link for link in links_of_call(state, call["call_id"]) if link["state"] != LinkState.REVOKED]
    if len(live) >= MAX_LINKS_PER_CALL:
        raise refuse(ErrorCode.CONFLICT, f"call {call['call_id']} already has {MAX_LINKS_PER_CALL} links")
    data = {"call_id": call["call_id"], "link_id": link_id, "via": args["via"], "expires_at": expires_at,
            "seat_id": who.id}
    return [("call.link_created", data)]


def decide_page_event(state: Any, name: str, link_id: str, now: datetime, **extra: Any) -> list[EventDraft]:
    """An event the caller's page caused (opened, consented, located, refused, chat). Refused if the link is dead."""
    refusal = link_refusal(state, link_id, now)
    if refusal is not None:
        raise refuse(ErrorCode.ILLEGAL_TRANSITION, f"link {link_id}: {refusal.value}")
    link = state.caller_links[link_id]
    if name == "call.chat_received" and len(state.calls[link["call_id"]].get("chat") or ()) >= MAX_CHAT_PER_CALL:
        raise refuse(ErrorCode.CONFLICT, "chat is full")
    if name == "call.photo_received" and photos_full(state, link["call_id"]):
        raise refuse(ErrorCode.CONFLICT, "too many photos")
    return [(name, {"call_id": link["call_id"], "link_id": link_id, **extra})]


def decide_revoke_call(state: Any, call_id: str, reason: str) -> list[EventDraft]:
    """Revoke every live link of a call (its incident closed)."""
    return [
        ("call.link_revoked", {"call_id": call_id, "link_id": link["link_id"], "reason": reason})
        for link in links_of_call(state, call_id)
        if link["state"] != LinkState.REVOKED
    ]


def _need_link_call(state: Any, call_id: str) -> dict:
    call = need_call(state, call_id)
    link = latest_link(state, call_id)
    if link is None or link["state"] == LinkState.REVOKED:
        raise refuse(ErrorCode.CONFLICT, f"call {call_id} has no live caller link")
    if call_closed(state, call_id):
        raise refuse(ErrorCode.ILLEGAL_TRANSITION, f"the incident of call {call_id} is closed")
    return call


def _chat_send(state: Any, who: Principal, a: dict) -> list[EventDraft]:
    _need_link_call(state, a["call_id"])
    if not a["text"].strip():
        raise refuse(ErrorCode.INVALID_ARGS, "empty message")
    return [("call.chat_sent", {"call_id": a["call_id"], "text": a["text"], "seat_id": who.id})]


def _guidance_push(state: Any, who: Principal, a: dict) -> list[EventDraft]:
    _need_link_call(state, a["call_id"])
    return [("call.guidance_pushed", {"call_id": a["call_id"], "card_id": a["card_id"], "seat_id": who.id})]


def _link_send(state: Any, who: Principal, a: dict) -> list[EventDraft]:
    # The server intercepts call.link_send (it must make the token first: server_stub/caller_link.py).
    raise refuse(ErrorCode.INVALID_ARGS, "call.link_send is handled by the server's caller-link service")


COMMAND_HANDLERS = {
    "call.link_send": _link_send,
    "call.chat_send": _chat_send,
    "call.guidance_push": _guidance_push,
}

# ---------------------------------------------------------------- projection


def _link(state: Any, d: dict) -> dict | None:
    return state.caller_links.get(d["link_id"])


def _created(state: Any, d: dict, ts: str):
    if d["call_id"] not in state.calls:
        return False
    state.caller_links[d["link_id"]] = {
        "link_id": d["link_id"], "call_id": d["call_id"], "via": d["via"], "expires_at": d["expires_at"],
        "seat_id": d["seat_id"], "state": LinkState.CREATED.value, "created_at": ts,
        "location_refused": False, "located_at": None, "opened_at": None,
    }


def _set_state(new: LinkState):
    def handler(state: Any, d: dict, ts: str):
        link = _link(state, d)
        if link is None:
            return False
        if new == LinkState.OPENED:
            link["opened_at"] = link["opened_at"] or ts
            if link["state"] == LinkState.CONSENTED:
                return None  # a reload of the page after consent: stays consented
        link["state"] = new.value
    return handler


def _located(state: Any, d: dict, ts: str):
    link, call = _link(state, d), state.calls.get(d["call_id"])
    if link is None or call is None:
        return False
    link["located_at"] = ts
    link["location_refused"] = False
    locations = [c for c in call.get("locations") or () if c.get("link_id") != d["link_id"]]
    locations.append({**d["location"], "link_id": d["link_id"]})
    call["locations"] = locations


def _refused(state: Any, d: dict, ts: str):
    link = _link(state, d)
    if link is None:
        return False
    link["location_refused"] = True


def _chat(sender: str):
    def handler(state: Any, d: dict, ts: str):
        call = state.calls.get(d["call_id"])
        if call is None:
            return False
        entry = {"from": sender, "text": d["text"], "at": ts}
        if d.get("seat_id"):
            entry["seat_id"] = d["seat_id"]
        call.setdefault("chat", []).append(entry)
    return handler


def _guidance(state: Any, d: dict, ts: str):
    call = state.calls.get(d["call_id"])
    if call is None:
        return False
    call.setdefault("guidance", []).append({"card_id": d["card_id"], "at": ts})


def _photo(state: Any, d: dict, ts: str):
    call = state.calls.get(d["call_id"])
    if call is None:
        return False
    call.setdefault("photos", []).append(
        {"media_id": d["media_id"], "bytes": d["bytes"], "content_type": d["content_type"], "sha256": d["sha256"],
         "at": ts}
    )


def _media_purged(state: Any, d: dict, ts: str):
    call = state.calls.get(d["call_id"])
    if call is None:
        return False
    gone = set(d["media_ids"])
    for photo in call.get("photos") or ():
        if photo["media_id"] in gone and not photo.get("purged_at"):
            photo["purged_at"] = ts
            photo["purge_reason"] = d["reason"]


def _photo_refused(state: Any, d: dict, ts: str):
    call = state.calls.get(d["call_id"])
    if call is None:
        return False
    call.setdefault("photo_refusals", []).append({"bytes": d["bytes"], "reason": d["reason"], "at": ts})


EVENT_HANDLERS = {
    "call.link_created": _created,
    "call.link_opened": _set_state(LinkState.OPENED),
    "call.link_consented": _set_state(LinkState.CONSENTED),
    "call.link_revoked": _set_state(LinkState.REVOKED),
    "call.link_located": _located,
    "call.link_location_refused": _refused,
    "call.chat_sent": _chat("seat"),
    "call.chat_received": _chat("caller"),
    "call.guidance_pushed": _guidance,
    "call.photo_received": _photo,
    "call.photo_refused": _photo_refused,
    "call.media_purged": _media_purged,
}
