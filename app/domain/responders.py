"""First responders and AEDs: projection and command checks.

Tables added to the state: ``aeds`` (``aed_id`` → ``{aed_id, name, lat, lon, access}``) and
``responder_alerts`` (``alert_id`` → ``{alert_id, incident_id, radius_m, alerted:
[{volunteer_id, distance_m}], responses: {volunteer_id: response}, fetcher: None |
{volunteer_id, aed_id, walk_s, distance_m, route}, at}``); an incident gets
``incident["responder_alerts"] = [alert_id, ...]``.

Who is alerted and which AED is fetched depend on live positions the server keeps
outside the log, so the server works them out (``server_stub/responders.py`` with the
pure :mod:`app.dispatch.responders`) and hands the results to :func:`decide_alert` and
:func:`decide_response`, which check the state and draft the events. Pure; imports only
``app.domain.common``/``model`` and ``app.protocol``.
"""

from __future__ import annotations

from typing import Any

from app.domain.common import EventDraft, Principal, need_incident, refuse
from app.protocol.errors import ErrorCode
from app.protocol.responders import Response

TABLES = ("aeds", "responder_alerts")


def decide_alert(state: Any, incident_id: str, alert_id: str, radius_m: int,
                 volunteers: list[tuple[str, float]]) -> list[EventDraft]:
    """Draft ``responders.alerted`` for the volunteers found within ``radius_m`` (nearest first).

    Raises ProtocolError: no such open incident (``not_found``/``illegal_transition``),
    or nobody within the radius (``conflict``: nothing stored, the seat is told).
    """
    need_incident(state, incident_id)
    if not volunteers:
        raise refuse(ErrorCode.CONFLICT, f"no volunteer with a known position within {radius_m} m")
    alerted = [{"volunteer_id": v, "distance_m": round(float(d), 1)} for v, d in volunteers]
    return [("responders.alerted", {"alert_id": alert_id, "incident_id": incident_id, "radius_m": int(radius_m),
                                    "volunteers": alerted})]


def need_alert_for(state: Any, who: Principal, alert_id: str) -> dict:
    """The alert, if ``who`` was alerted by it. Raises ProtocolError(not_found) otherwise.

    A volunteer asking about an alert it was not sent gets the same answer as for an
    alert that does not exist: it learns nothing about other incidents.
    """
    alert = state.responder_alerts.get(alert_id)
    if alert is None or who.id not in {a["volunteer_id"] for a in alert["alerted"]}:
        raise refuse(ErrorCode.NOT_FOUND, f"no alert {alert_id} for you")
    return alert


def decide_response(state: Any, who: Principal, a: dict, fetch: dict[str, Any] | None) -> list[EventDraft]:
    """Draft ``responders.responded`` (and ``responders.aed_assigned`` when ``fetch`` is given
    and the alert has no fetcher yet and this is an acceptance).

    ``fetch`` is the AED choice for this volunteer (``aed_id``, ``walk_s``, ``distance_m``,
    ``route``) or None (no accessible AED, position unknown). Raises ProtocolError.
    """
    alert = need_alert_for(state, who, a["alert_id"])
    previous = alert["responses"].get(who.id)
    response = a["response"]
    if previous == response:
        return []
    if previous == Response.ARRIVED:
        raise refuse(ErrorCode.ILLEGAL_TRANSITION, "you already reported arriving")
    if response == Response.ARRIVED and previous != Response.ACCEPTED:
        raise refuse(ErrorCode.ILLEGAL_TRANSITION, "accept the alert before reporting arrival")
    base = {"alert_id": alert["alert_id"], "incident_id": alert["incident_id"], "volunteer_id": who.id}
    drafts: list[EventDraft] = [("responders.responded", {**base, "response": response})]
    if response == Response.ACCEPTED and alert.get("fetcher") is None and fetch is not None:
        drafts.append(("responders.aed_assigned", {**base, **fetch}))
    return drafts


def _on_aed(state: Any, d: dict, ts: str):
    state.aeds[d["aed_id"]] = dict(d)


def _on_alerted(state: Any, d: dict, ts: str):
    incident = state.incidents.get(d["incident_id"])
    if incident is None:
        return False
    state.responder_alerts[d["alert_id"]] = {
        "alert_id": d["alert_id"], "incident_id": d["incident_id"], "radius_m": d["radius_m"],
        "alerted": [dict(v) for v in d["volunteers"]], "responses": {}, "fetcher": None, "at": ts,
    }
    incident.setdefault("responder_alerts", []).append(d["alert_id"])
    incident["updated_at"] = ts


def _on_responded(state: Any, d: dict, ts: str):
    alert = state.responder_alerts.get(d["alert_id"])
    if alert is None:
        return False
    alert["responses"][d["volunteer_id"]] = d["response"]
    # A fetcher who declines gives the AED up; the next acceptance may be asked for it.
    if d["response"] == Response.DECLINED and (alert.get("fetcher") or {}).get("volunteer_id") == d["volunteer_id"]:
        alert["fetcher"] = None


def _on_aed_assigned(state: Any, d: dict, ts: str):
    alert = state.responder_alerts.get(d["alert_id"])
    if alert is None:
        return False
    alert["fetcher"] = {k: d[k] for k in ("volunteer_id", "aed_id", "walk_s", "distance_m", "route")} | {"at": ts}


def alerts_of(state: Any, incident_id: str) -> list[dict]:
    """The incident's responder alerts, oldest first."""
    incident = state.incidents.get(incident_id) or {}
    return [state.responder_alerts[a] for a in incident.get("responder_alerts", ()) if a in state.responder_alerts]


EVENT_HANDLERS = {
    "aed.registered": _on_aed,
    "responders.alerted": _on_alerted,
    "responders.responded": _on_responded,
    "responders.aed_assigned": _on_aed_assigned,
}
