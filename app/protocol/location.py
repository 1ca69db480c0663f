"""Wire tables of the caller's location and of repeat calls (issue 3, items 4 and 5).

* ``call.offered`` / ``call.received`` carry optional ``locations``: up to
  :data:`MAX_CANDIDATES` location candidates (:data:`LOCATION`), as the phone
  switch, the operator or the caller's phone know them.
* ``call.add_location`` (switch, trainer) → ``call.location_added``: one more
  candidate for a call already offered (a GPS fix that arrives after the call).
* ``incident.locate`` (seat) → ``incident.located``: the dispatcher sets or
  corrects the incident's position (map click/drag, address search, or
  confirming a candidate); the event says which seat, from which source, and
  its ``ts`` says when.
* ``call.attach`` (seat) → ``call.attached``: a repeat call joins an existing
  incident.

Positions are WGS-84 degrees. A candidate may lack a position (a landline's
registered address: text only) or an accuracy (shown as "accuracy unknown",
never drawn with a circle); it may not have half a position or a position out
of range (refused with ``invalid_args``). NaN and infinities never reach
here: JSON has no such literals and the codec refuses them.

Pure tables; imports only ``app.protocol.schema`` (see ``app.protocol.features``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from app.domain.model import Role
from app.protocol.schema import Field, iso_timestamp_problem, opt

MAX_CANDIDATES = 8
MAX_ACCURACY_M = 100_000.0
ADDRESS_MAX = 200


class LocationSource(StrEnum):
    """Where a location candidate comes from."""

    GPS = "gps"  # the caller's phone (app, mini-program, AML)
    CELL = "cell"  # the operator's cell-based fix
    WIFI = "wifi"
    LANDLINE_ADDRESS = "landline_address"  # a landline's registered address (text, usually no position)
    CALLER_LINK = "caller_link"  # a position the caller shared through an SMS link


class LocateSource(StrEnum):
    """How the dispatcher set the incident's position."""

    MAP_CLICK = "map_click"
    MAP_DRAG = "map_drag"
    ADDRESS_SEARCH = "address_search"
    CANDIDATE = "candidate"  # confirmed one of the call's candidates


_SOURCES = frozenset(s.value for s in LocationSource)
_LOCATE_SOURCES = frozenset(s.value for s in LocateSource)



def _candidate_problem(value: dict[str, Any]) -> str | None:
    has_lat = value.get("lat") is not None
    has_lon = value.get("lon") is not None
    if has_lat != has_lon:
        return "lat and lon go together"
    if not has_lat and not (value.get("address") or "").strip():
        return "a candidate needs a position (lat, lon) or an address"
    accuracy = value.get("accuracy_m")
    if accuracy is not None and accuracy <= 0:
        return "accuracy_m must be more than 0 (leave it null when unknown)"
    return None


LAT = Field("float", min=-90, max=90)
LON = Field("float", min=-180, max=180)
LOCATION = Field(
    "object",
    fields={
        "source": Field("str", choices=_SOURCES),
        "lat": opt("float", min=-90, max=90),
        "lon": opt("float", min=-180, max=180),
        "accuracy_m": opt("float", max=MAX_ACCURACY_M),
        "at": opt("str", max_len=40, check=iso_timestamp_problem),
        "address": opt("str", max_len=ADDRESS_MAX),
    },
    check=_candidate_problem,
)
# The optional field of call.offered / call.received (app/protocol/messages.py).
LOCATIONS = opt("list", max_len=MAX_CANDIDATES, item=LOCATION)

_LOCATE_FIELDS: dict[str, Field] = {
    "incident_id": Field("uuid"),
    "lat": LAT,
    "lon": LON,
    "source": Field("str", choices=_LOCATE_SOURCES),
    "candidate_source": opt("str", choices=_SOURCES),
    "address": opt("str", max_len=ADDRESS_MAX),
}

COMMANDS: dict[str, Mapping[str, Field]] = {
    "call.add_location": {"call_id": Field("id"), "location": LOCATION},
    "incident.locate": _LOCATE_FIELDS,
    "call.attach": {"call_id": Field("id"), "incident_id": Field("uuid")},
}

COMMAND_ROLES: dict[str, frozenset[Role]] = {
    # The caller link (a later issue) will send call.add_location with its own role.
    "call.add_location": frozenset({Role.SWITCH, Role.TRAINER}),
    "incident.locate": frozenset({Role.SEAT}),
    "call.attach": frozenset({Role.SEAT}),
}

EVENTS: dict[str, Mapping[str, Field]] = {
    "call.location_added": {"call_id": Field("id"), "location": LOCATION},
    "incident.located": {**_LOCATE_FIELDS, "seat_id": Field("id")},
    "call.attached": {"call_id": Field("id"), "incident_id": Field("uuid"), "seat_id": Field("id")},
}
