"""Wire tables of first responders and AEDs.

A **volunteer** (role ``volunteer``, one credential per person, ``admin add-volunteer``)
connects like any client (``hello`` → ``welcome`` → ``synced``) but is never sent the
event log, snapshots or broadcasts: only its own alert messages and the replies to its
own frames. Message types (``ENVELOPES``):

* ``volunteer.position`` — volunteer → server: ``{"lat", "lon", "accuracy_m"?, "t"}``.
  The server keeps the last one per volunteer in memory (not in the event log).
* ``volunteer_alert`` — server → that volunteer: a cardiac arrest near you
  (``alert_id``, the scene's ``lat``/``lon``, ``distance_m`` from you, ``address``).
* ``volunteer_aed`` — server → the one volunteer asked to fetch an AED: which AED,
  where, its access hours, and the walking route ``path`` (volunteer → AED → scene)
  with ``walk_s``/``distance_m``; ``route`` says how it was computed
  (``straight_line``: no walking graph exists yet, see ``app/dispatch/responders.py``).

Commands: ``volunteer.respond`` (volunteer) ``{alert_id, response}`` with ``response`` one of
:class:`Response` → ``responders.responded`` (and ``responders.aed_assigned`` to the first
volunteer who accepts while an accessible AED exists); ``responders.alert`` (seat)
``{incident_id, radius_m?}`` → ``responders.alerted``. ``aed.registered`` is written by
``admin add-aed``. See ``docs/protocol.md`` § "First responders and AEDs".

Imports only ``app.protocol.schema`` and ``app.protocol.vocabulary``.
"""

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from app.protocol.schema import UNSET, Envelope, Int, List, NameId, Num, Opt, Str, Uuid, Wire, fail
from app.protocol.vocabulary import Role


class Response(StrEnum):
    ACCEPTED = "accepted"
    DECLINED = "declined"
    ARRIVED = "arrived"


class RouteSource(StrEnum):
    STRAIGHT_LINE = "straight_line"  # straight line × a detour factor, at walking speed
    WALKING_GRAPH = "walking_graph"


DEFAULT_RADIUS_M = 500
MAX_RADIUS_M = 5000
MAX_ALERTED = 20
_HHMM = r"([01]\d|2[0-3]):[0-5]\d"
ACCESS_RE = re.compile(rf"^(24h|{_HHMM}-{_HHMM})$")

Lat = Num(-90, 90)
Lon = Num(-180, 180)
Distance = Num(0, 1e7)
WalkSeconds = Num(0, 1e6)
Access = Str(11, description='"24h" or "HH:MM-HH:MM"')


def _check_access(access: str) -> None:
    if not ACCESS_RE.match(access):
        fail("access", 'access must be "24h" or "HH:MM-HH:MM"')


class VolunteerPosition(Envelope, tag="volunteer.position"):
    """Volunteer → server: where I am (kept in memory per volunteer, not in the log)."""

    lat: Lat
    lon: Lon
    accuracy_m: Opt(Num(0, 100_000)) = UNSET
    t: Str(40)


class VolunteerAlert(Envelope, tag="volunteer_alert"):
    """Server → one volunteer: a cardiac arrest ``distance_m`` from you."""

    alert_id: Uuid
    lat: Lat
    lon: Lon
    distance_m: Distance
    address: Opt(Str(200)) = UNSET


class VolunteerAed(Envelope, tag="volunteer_aed"):
    """Server → the volunteer asked to fetch an AED: which, where, and the walk (``path`` of [lat, lon])."""

    alert_id: Uuid
    aed_id: NameId
    name: Str(100)
    lat: Lat
    lon: Lon
    access: Access
    walk_s: WalkSeconds
    distance_m: Distance
    route: RouteSource
    path: List(List(Num(-180, 180), 2), 10_000)

    def __post_init__(self) -> None:
        _check_access(self.access)


ENVELOPES: dict[str, type[Envelope]] = {
    "volunteer.position": VolunteerPosition,
    "volunteer_alert": VolunteerAlert,
    "volunteer_aed": VolunteerAed,
}
CLIENT_TYPES = frozenset({"volunteer.position"})
SERVER_TYPES = frozenset({"volunteer_alert", "volunteer_aed"})


class AlertedVolunteer(Wire):
    volunteer_id: NameId
    distance_m: Distance


class RespondersAlert(Wire):
    """Alert the volunteers within ``radius_m`` (default 500) of the incident."""

    incident_id: Uuid
    radius_m: Opt(Int(50, MAX_RADIUS_M)) = UNSET


class VolunteerRespond(Wire):
    alert_id: Uuid
    response: Response


COMMANDS: dict[str, type[Wire]] = {"responders.alert": RespondersAlert, "volunteer.respond": VolunteerRespond}


class AedRegistered(Wire):
    aed_id: NameId
    name: Str(100)
    lat: Lat
    lon: Lon
    access: Access

    def __post_init__(self) -> None:
        _check_access(self.access)


class RespondersAlerted(Wire):
    alert_id: Uuid
    incident_id: Uuid
    radius_m: Int(1, MAX_RADIUS_M)
    volunteers: List(AlertedVolunteer, MAX_ALERTED)


class RespondersResponded(Wire):
    alert_id: Uuid
    incident_id: Uuid
    volunteer_id: NameId
    response: Response


class RespondersAedAssigned(Wire):
    alert_id: Uuid
    incident_id: Uuid
    volunteer_id: NameId
    aed_id: NameId
    walk_s: WalkSeconds
    distance_m: Distance
    route: RouteSource


EVENTS: dict[str, type[Wire]] = {
    "aed.registered": AedRegistered,
    "responders.alerted": RespondersAlerted,
    "responders.responded": RespondersResponded,
    "responders.aed_assigned": RespondersAedAssigned,
}

COMMAND_ROLES: dict[str, frozenset[Role]] = {
    "responders.alert": frozenset({Role.SEAT}),
    "volunteer.respond": frozenset({Role.VOLUNTEER}),
}


def volunteer_position(*, lat: float, lon: float, t: str, accuracy_m: float | None = None) -> dict[str, Any]:
    msg: dict[str, Any] = {"v": 1, "type": "volunteer.position", "lat": lat, "lon": lon, "t": t}
    if accuracy_m is not None:
        msg["accuracy_m"] = accuracy_m
    return msg


def volunteer_alert(*, alert_id: str, lat: float, lon: float, distance_m: float,
                    address: str | None = None) -> dict[str, Any]:
    """The ``volunteer_alert`` frame the server sends to one alerted volunteer (no address if unknown)."""
    msg: dict[str, Any] = {"v": 1, "type": "volunteer_alert", "alert_id": alert_id, "lat": lat, "lon": lon,
                           "distance_m": distance_m}
    if address:
        msg["address"] = address[:200]
    return msg


def volunteer_aed(*, alert_id: str, aed: Mapping[str, Any], walk_s: float, distance_m: float, route: str,
                  path: list[list[float]]) -> dict[str, Any]:
    """The ``volunteer_aed`` frame: fetch ``aed`` (an ``aed.registered`` record) on the walk ``path``."""
    return {"v": 1, "type": "volunteer_aed", "alert_id": alert_id, "aed_id": aed["aed_id"], "name": aed["name"],
            "lat": aed["lat"], "lon": aed["lon"], "access": aed["access"], "walk_s": walk_s,
            "distance_m": distance_m, "route": route, "path": path}
