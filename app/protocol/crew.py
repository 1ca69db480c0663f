# mypy: disable-error-code="valid-type"
# (Int(1) is a msgspec constraint used as an annotation, as in the other protocol modules.)
"""Wire tables of what an ambulance's devices are told about the incident they work.

A device (an ambulance terminal or monitor, role ``device``, bound to one unit) receives
only its own unit's events and the events of the incident its unit is assigned to, while
it is (``docs/protocol.md`` §6, "What each role receives"). When the unit is assigned —
or another unit joins that incident — the device has seen nothing of the incident or of
that unit before, so the server first sends one ``incident_brief``: the incident and the
units on it **as they were just before** event ``seq`` (the ``unit.assigned`` that
follows it). The device stores them (replacing what it had for those ids) and then
applies event ``seq`` as usual; a brief whose ``seq`` it has already applied is ignored,
like an event.

Imports only ``app.protocol.schema`` (see ``app.protocol.features``).
"""

from app.protocol.schema import Envelope, Int, Obj


class IncidentBrief(Envelope, tag="incident_brief"):
    """Server → device: an incident (as in the projection, §7, without the caller's callback number
    unless the centre allows it) and the units on it (``unit_id`` → unit), as they were just before
    event ``seq``; event ``seq`` (a ``unit.assigned``) follows."""

    seq: Int(1)
    incident: Obj
    units: Obj


ENVELOPES: dict[str, type[Envelope]] = {"incident_brief": IncidentBrief}
SERVER_TYPES = frozenset({"incident_brief"})
CLIENT_TYPES: frozenset[str] = frozenset()


def incident_brief(*, seq: int, incident: Obj, units: Obj) -> Obj:
    """The ``incident_brief`` frame (not validated here)."""
    return {"v": 1, "type": "incident_brief", "seq": seq, "incident": incident, "units": units}
