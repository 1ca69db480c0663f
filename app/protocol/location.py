"""Wire tables of the caller's location and of repeat calls.

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

Pure types; imports only ``app.protocol.schema`` and ``app.protocol.vocabulary`` (see ``app.protocol.features``).
"""

from enum import StrEnum

from app.protocol.schema import UNSET, List, NameId, Num, Opt, Str, Uuid, Wire, check_timestamps, fail
from app.protocol.vocabulary import Role

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


Lat = Num(-90, 90)
Lon = Num(-180, 180)


class LocationCandidate(Wire):
    """Where the caller may be: a position (``lat`` and ``lon`` together), an address, or both.

    ``accuracy_m`` is the radius in metres (more than 0; null when unknown); ``at`` when the
    fix was taken (ISO 8601 with a time zone).
    """

    source: LocationSource
    lat: Opt(Lat) = UNSET
    lon: Opt(Lon) = UNSET
    accuracy_m: Opt(Num(hi=MAX_ACCURACY_M)) = UNSET
    at: Opt(Str(40)) = UNSET
    address: Opt(Str(ADDRESS_MAX)) = UNSET

    def __post_init__(self) -> None:
        check_timestamps(self, "at")
        has_lat = self.lat is not None and self.lat is not UNSET
        has_lon = self.lon is not None and self.lon is not UNSET
        if has_lat != has_lon:
            fail("", "lat and lon go together")
        address = self.address if isinstance(self.address, str) else ""
        if not has_lat and not address.strip():
            fail("", "a candidate needs a position (lat, lon) or an address")
        accuracy = self.accuracy_m
        if accuracy is not None and accuracy is not UNSET and accuracy <= 0:
            fail("", "accuracy_m must be more than 0 (leave it null when unknown)")


LOCATION = LocationCandidate
# The optional field of call.offered / call.received (app/protocol/messages.py).
LocationCandidates = List(LocationCandidate, MAX_CANDIDATES)
LOCATIONS = LocationCandidates


class IncidentLocate(Wire):
    """The dispatcher sets the incident's position; ``candidate_source`` when it confirmed a candidate."""

    incident_id: Uuid
    lat: Lat
    lon: Lon
    source: LocateSource
    candidate_source: Opt(LocationSource) = UNSET
    address: Opt(Str(ADDRESS_MAX)) = UNSET


class IncidentLocated(IncidentLocate):
    seat_id: NameId


class CallAddLocation(Wire):
    call_id: NameId
    location: LocationCandidate


class CallAttach(Wire):
    """A repeat call joins an existing incident."""

    call_id: NameId
    incident_id: Uuid


class CallAttached(CallAttach):
    seat_id: NameId


COMMANDS: dict[str, type[Wire]] = {
    "call.add_location": CallAddLocation,
    "incident.locate": IncidentLocate,
    "call.attach": CallAttach,
}

COMMAND_ROLES: dict[str, frozenset[Role]] = {
    # The caller link (a later issue) will send call.add_location with its own role.
    "call.add_location": frozenset({Role.SWITCH, Role.TRAINER}),
    "incident.locate": frozenset({Role.SEAT}),
    "call.attach": frozenset({Role.SEAT}),
}

EVENTS: dict[str, type[Wire]] = {
    "call.location_added": CallAddLocation,
    "incident.located": IncidentLocated,
    "call.attached": CallAttached,
}
