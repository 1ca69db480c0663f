"""Wire tables of unit recommendation: assigning a recommended unit, with the reason.

``unit.assign_recommended`` is ``unit.assign`` plus what the seat's recommendation list
showed: the chosen unit's ``rank`` (1 = the first suggestion), the first suggestion's
unit id, and — when the dispatcher picked another than the first — why
(``override_reason``, one of :data:`OVERRIDE_REASONS`, plus an optional free-text
``override_note``). The server appends the ordinary ``unit.assigned`` and a
``unit.recommendation_decided`` event that records the decision for audit and KPIs.
See ``docs/protocol.md`` § "Unit recommendation".

Imports only ``app.protocol.schema`` and ``app.protocol.vocabulary`` (see ``app.protocol.features``).
"""

from app.protocol.schema import UNSET, Int, NameId, Opt, Str, Uuid, Wire, choice
from app.protocol.vocabulary import Role

# Why a dispatcher sends another unit than the first suggestion.
OVERRIDE_REASONS = frozenset({
    "closer_than_shown",  # the dispatcher knows the unit is nearer than its last position says
    "crew_skills",  # this crew's skills suit the patient better
    "road_conditions",  # roadworks, a closure, traffic the graph does not know
    "keep_coverage",  # the first suggestion would leave an area uncovered
    "unit_status",  # the first suggestion is not really free (refuelling, restocking)
    "other",  # say what in the note
})
MAX_RANK = 100


class RecommendationDecided(Wire):
    """What the recommendation list showed and what the dispatcher chose (``rank`` 1 = the first)."""

    incident_id: Uuid
    unit_id: NameId
    rank: Int(1, MAX_RANK)
    first_unit_id: Opt(NameId) = UNSET
    override_reason: Opt(choice(OVERRIDE_REASONS)) = UNSET
    override_note: Opt(Str(200)) = UNSET


class UnitAssignRecommended(RecommendationDecided):
    """``unit.assign`` plus the recommendation it followed or overrode."""

    unit_version: Opt(Int(0)) = UNSET


COMMANDS: dict[str, type[Wire]] = {"unit.assign_recommended": UnitAssignRecommended}

EVENTS: dict[str, type[Wire]] = {"unit.recommendation_decided": RecommendationDecided}

COMMAND_ROLES: dict[str, frozenset[Role]] = {"unit.assign_recommended": frozenset({Role.SEAT})}
