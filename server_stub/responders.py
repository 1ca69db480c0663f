"""First responders on the server: volunteer positions, alerts, AED fetchers.

:class:`ResponderDesk` is given the server's :class:`~server_stub.ports.DeskPort` and runs on
its loop. It keeps each volunteer's last position in memory (never in the event log),
answers ``responders.alert`` (seat) and ``volunteer.respond`` (volunteer) through the
server's ordinary command path (so they are idempotent, durable events), alerts
automatically when a triage result says ``cpr: true``, and pushes the volunteer messages
(``volunteer_alert``, ``volunteer_aed``) to the volunteers concerned — and to nobody else.
The server never broadcasts events or snapshots to volunteer connections
(``Client.receives_events``, server_stub/clients.py), so a volunteer sees only its own alerts.

AED access hours are read against the server's local wall clock. With a walking router
(``serve --city DIR``) the AED fetcher's walk follows the city's walking graph
(``route: "walking_graph"``, a few Dijkstra searches on the loop: milliseconds for a city
district); without one, or off the graph, it is a straight line (``route: "straight_line"``).
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime
from typing import Any

from app.dispatch.responders import VolunteerFix, fetch_plan, graph_walk, volunteers_within
from app.domain.common import SYSTEM, Principal
from app.domain.model import IncidentState, Role
from app.domain.responders import decide_alert, decide_response
from app.protocol import ErrorCode, encode, error
from app.protocol.responders import (
    DEFAULT_RADIUS_M,
    MAX_ALERTED,
    Response,
    RouteSource,
    volunteer_aed,
    volunteer_alert,
)
from app.protocol.telemetry import parse_epoch
from server_stub.clients import Client
from server_stub.ports import DeskPort

log = logging.getLogger("server_stub.responders")
_ALERT_NS = uuid.UUID("6f7d1c1e-2b8f-4d59-9a53-0c1b5e3f9a11")


def alert_id_for(key: str) -> str:
    """The alert id made from a command id (or an incident id for automatic alerts): retries stay one alert."""
    return str(uuid.uuid5(_ALERT_NS, key))


class ResponderDesk:
    """Volunteer positions and alert fan-out. Not thread-safe: the server loop only."""

    def __init__(self, port: DeskPort, radius_m: int = DEFAULT_RADIUS_M, walk_router: Any = None) -> None:
        self.port = port
        self.radius_m = radius_m
        self.walk_router = walk_router  # an app.routing Router on the walking graph, or None
        self.fixes: dict[str, VolunteerFix] = {}
        self._paths: dict[str, list[list[float]]] = {}  # alert id -> the fetcher's walk (memory only)

    # ------------------------------------------------------------ volunteer frames
    def position(self, client: Client, msg: dict[str, Any]) -> dict[str, Any] | None:
        """A ``volunteer.position`` frame: remember it. Returns an error reply or None."""
        if client.principal.role != Role.VOLUNTEER:
            return error(ErrorCode.FORBIDDEN, f"role {client.principal.role.value} may not send volunteer.position")
        try:
            at = parse_epoch(msg["t"])
        except ValueError:
            return error(ErrorCode.INVALID_ARGS, "t: not an ISO 8601 timestamp", field="t")
        if at > time.time() + 60:
            return error(ErrorCode.INVALID_ARGS, "t: more than a minute in the future", field="t")
        old = self.fixes.get(client.principal.id)
        if old is None or at >= old.at_epoch_s:
            self.fixes[client.principal.id] = VolunteerFix(msg["lat"], msg["lon"], at)
        return None

    def client_live(self, client: Client) -> None:
        """A volunteer (re)connected: send it its open alerts (and its AED task) again."""
        if client.principal.role != Role.VOLUNTEER:
            return
        state = self.port.state
        for alert in state.responder_alerts.values():
            incident = state.incidents.get(alert["incident_id"]) or {}
            if incident.get("state") in (None, IncidentState.CLOSED):
                continue
            self._send_alert(alert, only=client.principal.id, clients=[client])

    # ------------------------------------------------------------ commands
    async def alert_command(self, client: Client, who: Principal, command_id: str, args: dict[str, Any]) -> None:
        radius = int(args.get("radius_m") or self.radius_m)
        await self.port.execute(
            who, lambda s: self._decide_alert(s, args["incident_id"], alert_id_for(command_id), radius),
            command=(command_id, "responders.alert"), client=client)

    async def respond_command(self, client: Client, who: Principal, command_id: str, args: dict[str, Any]) -> None:
        await self.port.execute(
            who, lambda s: decide_response(s, who, args, self._fetch_for(s, who.id, args)),
            command=(command_id, "volunteer.respond"), client=client)

    def _decide_alert(self, state: Any, incident_id: str, alert_id: str, radius_m: int):
        scene = _scene(state.incidents.get(incident_id))
        already = {v["volunteer_id"] for a in state.responder_alerts.values()
                   if a["incident_id"] == incident_id for v in a["alerted"]}
        found = [] if scene is None else volunteers_within(
            scene, self._active_fixes(), radius_m, now_epoch_s=time.time(), limit=MAX_ALERTED, exclude=already)
        if scene is None and incident_id in state.incidents:
            from app.domain.common import refuse

            raise refuse(ErrorCode.CONFLICT, "the incident has no location yet; locate it first")
        return decide_alert(state, incident_id, alert_id, radius_m, found)

    def _active_fixes(self) -> dict[str, VolunteerFix]:
        """Positions of volunteers whose credential is not revoked."""
        principals = self.port.state.principals
        return {vid: fix for vid, fix in self.fixes.items() if not (principals.get(vid) or {}).get("revoked")}

    def _fetch_for(self, state: Any, volunteer_id: str, args: dict[str, Any]) -> dict[str, Any] | None:
        alert = state.responder_alerts.get(args["alert_id"])
        if alert is None or args["response"] != Response.ACCEPTED or alert.get("fetcher") is not None:
            return None
        scene, fix = _scene(state.incidents.get(alert["incident_id"])), self.fixes.get(volunteer_id)
        if scene is None or fix is None:
            return None
        walker = None if self.walk_router is None else (lambda points: graph_walk(self.walk_router, points))
        plan = fetch_plan((fix.lat, fix.lon), scene, state.aeds.values(), datetime.now().astimezone(),
                          walker=walker)
        if plan is None:
            return None
        self._paths[args["alert_id"]] = [[round(lat, 7), round(lon, 7)] for lat, lon in plan.walk.path]
        return {"aed_id": plan.aed_id, "walk_s": round(plan.walk.seconds, 1),
                "distance_m": round(plan.walk.distance_m, 1), "route": plan.walk.route.value}

    # ------------------------------------------------------------ after commit
    def on_events(self, events: list[dict[str, Any]]) -> None:
        """Committed events (already applied): push volunteer messages; auto-alert on a CPR triage."""
        state = self.port.state
        for msg in events:
            name, data = msg["name"], msg["data"]
            if name == "responders.alerted":
                alert = state.responder_alerts.get(data["alert_id"])
                if alert is not None:
                    self._send_alert(alert)
            elif name == "responders.aed_assigned":
                alert = state.responder_alerts.get(data["alert_id"])
                if alert is not None:
                    self._send_aed(alert, data["volunteer_id"])
            elif name == "triage.completed" and data.get("cpr"):
                incident = state.incidents.get(data["incident_id"]) or {}
                if not incident.get("responder_alerts") and _scene(incident) is not None:
                    iid = data["incident_id"]
                    self.port.spawn(
                        self.port.system(SYSTEM, lambda s, i=iid: self._decide_alert(
                            s, i, alert_id_for(f"auto:{i}"), self.radius_m), "responders alert"),
                        f"responders alert {iid}")

    def _clients_of(self, volunteer_id: str) -> list[Client]:
        return self.port.clients_where(lambda c: c.principal.role == Role.VOLUNTEER and c.principal.id == volunteer_id)

    def _send_alert(self, alert: dict[str, Any], only: str | None = None, clients: list[Client] | None = None) -> None:
        incident = self.port.state.incidents.get(alert["incident_id"]) or {}
        scene = _scene(incident)
        if scene is None:
            return
        for entry in alert["alerted"]:
            vid = entry["volunteer_id"]
            if only is not None and vid != only:
                continue
            frame = volunteer_alert(alert_id=alert["alert_id"], lat=scene[0], lon=scene[1],
                                    distance_m=entry["distance_m"], address=incident.get("address"))
            for client in clients if clients is not None else self._clients_of(vid):
                self.port.push(client, encode(frame))
            if (alert.get("fetcher") or {}).get("volunteer_id") == vid:
                self._send_aed(alert, vid, clients)

    def _send_aed(self, alert: dict[str, Any], volunteer_id: str, clients: list[Client] | None = None) -> None:
        state = self.port.state
        fetcher = alert.get("fetcher") or {}
        aed = state.aeds.get(fetcher.get("aed_id") or "")
        scene, fix = _scene(state.incidents.get(alert["incident_id"])), self.fixes.get(volunteer_id)
        if aed is None or scene is None:
            return
        path = self._paths.get(alert["alert_id"])
        if path is None:  # e.g. after a server restart: walk it again from here
            start = (fix.lat, fix.lon) if fix else (aed["lat"], aed["lon"])
            points = [start, (aed["lat"], aed["lon"]), scene]
            if fetcher["route"] == RouteSource.WALKING_GRAPH and self.walk_router is not None:
                points = graph_walk(self.walk_router, points).path
            path = [[round(lat, 7), round(lon, 7)] for lat, lon in points]
        frame = volunteer_aed(alert_id=alert["alert_id"], aed=aed, walk_s=fetcher["walk_s"],
                              distance_m=fetcher["distance_m"], route=fetcher["route"], path=path)
        for client in clients if clients is not None else self._clients_of(volunteer_id):
            self.port.push(client, encode(frame))


def _scene(incident: dict[str, Any] | None) -> tuple[float, float] | None:
    location = (incident or {}).get("location") or {}
    lat, lon = location.get("lat"), location.get("lon")
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        return float(lat), float(lon)
    return None
