"""Wire tables of first responders and AEDs (issue 5).

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

Imports only ``app.protocol.schema`` and ``app.domain.model``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from app.domain.model import Role
from app.protocol.schema import Field, opt


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


def _access_problem(value: Any) -> str | None:
    return None if ACCESS_RE.match(value) else 'access must be "24h" or "HH:MM-HH:MM"'


_LAT = Field("float", min=-90, max=90)
_LON = Field("float", min=-180, max=180)
_TS = Field("str", max_len=40)
_ACCESS = Field("str", max_len=11, check=_access_problem)
_POINT = Field("list", max_len=2, item=Field("float", min=-180, max=180))

ENVELOPES: dict[str, Mapping[str, Field]] = {
    "volunteer.position": {"lat": _LAT, "lon": _LON, "accuracy_m": opt("float", min=0, max=100_000), "t": _TS},
    "volunteer_alert": {
        "alert_id": Field("uuid"),
        "lat": _LAT,
        "lon": _LON,
        "distance_m": Field("float", min=0, max=1e7),
        "address": opt("str", max_len=200),
    },
    "volunteer_aed": {
        "alert_id": Field("uuid"),
        "aed_id": Field("id"),
        "name": Field("str", max_len=100),
        "lat": _LAT,
        "lon": _LON,
        "access": _ACCESS,
        "walk_s": Field("float", min=0, max=1e6),
        "distance_m": Field("float", min=0, max=1e7),
        "route": Field("str", choices=frozenset(r.value for r in RouteSource)),
        "path": Field("list", max_len=10_000, item=_POINT),
    },
}
CLIENT_TYPES = frozenset({"volunteer.position"})
SERVER_TYPES = frozenset({"volunteer_alert", "volunteer_aed"})

_ALERTED = Field(
    "object", fields={"volunteer_id": Field("id"), "distance_m": Field("float", min=0, max=1e7)}
)

COMMANDS: dict[str, Mapping[str, Field]] = {
    "responders.alert": {"incident_id": Field("uuid"), "radius_m": opt("int", min=50, max=MAX_RADIUS_M)},
    "volunteer.respond": {
        "alert_id": Field("uuid"),
        "response": Field("str", choices=frozenset(r.value for r in Response)),
    },
}

EVENTS: dict[str, Mapping[str, Field]] = {
    "aed.registered": {"aed_id": Field("id"), "name": Field("str", max_len=100), "lat": _LAT, "lon": _LON,
                       "access": _ACCESS},
    "responders.alerted": {
        "alert_id": Field("uuid"),
        "incident_id": Field("uuid"),
        "radius_m": Field("int", min=1, max=MAX_RADIUS_M),
        "volunteers": Field("list", max_len=MAX_ALERTED, item=_ALERTED),
    },
    "responders.responded": {
        "alert_id": Field("uuid"),
        "incident_id": Field("uuid"),
        "volunteer_id": Field("id"),
        "response": Field("str", choices=frozenset(r.value for r in Response)),
    },
    "responders.aed_assigned": {
        "alert_id": Field("uuid"),
        "incident_id": Field("uuid"),
        "volunteer_id": Field("id"),
        "aed_id": Field("id"),
        "walk_s": Field("float", min=0, max=1e6),
        "distance_m": Field("float", min=0, max=1e7),
        "route": Field("str", choices=frozenset(r.value for r in RouteSource)),
    },
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
