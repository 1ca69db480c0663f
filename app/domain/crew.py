"""What a device does with an ``incident_brief`` (``app.protocol.crew``): store the incident and its units.

Pure; used by the simulated ambulances (``app.sim.ambulance``) and by anyone writing a device
client in Python.
"""

from __future__ import annotations

import copy

from app.domain.state import State
from app.protocol import Message


def apply_incident_brief(state: State, brief: Message) -> bool:
    """Store the brief's incident and units in ``state`` (replacing what it had for those ids).

    A brief describes the state just before event ``brief["seq"]``: if that event was applied
    already (``state.seq`` is not below it) the brief is older than what ``state`` knows and is
    ignored. ``state.seq`` is not moved: the event itself follows.

    Returns:
        True if the state changed.
    """
    if brief["seq"] <= state.seq:
        return False
    incident = copy.deepcopy(brief["incident"])
    state.incidents[incident["incident_id"]] = incident
    for unit_id, unit in brief["units"].items():
        state.units[unit_id] = copy.deepcopy(unit)
    return True
