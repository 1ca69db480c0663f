"""Core enums and codes -> the dispatcher's words and the seat's colours.

The core returns enums and ids, never text (STYLE §8); this module is where they
become words, through Qt Linguist (context ``Labels``), so they follow the
language switch. Call these functions at paint/refresh time, never cache their
result across a language change. GUI thread only (they read the installed
QTranslators).

Values read from the state dicts are plain strings; every function accepts the
enum or its string value and falls back to the raw value for something a newer
server sent that this seat does not know: bad input never crashes a widget.

Colours: the unit status palette is Okabe & Ito's (2008) colour-blind-safe set,
chosen so that the seven statuses stay distinguishable with deuteranopia and
protanopia (red-green) as well: they differ in lightness as well as hue, and
the status is always written next to its colour, never shown by colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from app.domain.model import CallState, CloseReason, IncidentState, SeatState, UnitStatus
from app.protocol.errors import ErrorCode
from app.seat.store import Link

_CTX = "Labels"


def _tr(source: str) -> str:
    return QCoreApplication.translate(_CTX, source)


@dataclass(frozen=True)
class Colours:
    """A background and the text colour that reads on it (CSS hex strings)."""

    background: str
    foreground: str


# ---------------------------------------------------------------- unit status

_UNIT_STATUS_TEXT: dict[str, str] = {
    UnitStatus.AVAILABLE: QT_TRANSLATE_NOOP("Labels", "Available"),
    UnitStatus.DISPATCHED: QT_TRANSLATE_NOOP("Labels", "Dispatched"),
    UnitStatus.EN_ROUTE: QT_TRANSLATE_NOOP("Labels", "En route"),
    UnitStatus.ON_SCENE: QT_TRANSLATE_NOOP("Labels", "On scene"),
    UnitStatus.TRANSPORTING: QT_TRANSLATE_NOOP("Labels", "Transporting"),
    UnitStatus.AT_HOSPITAL: QT_TRANSLATE_NOOP("Labels", "At hospital"),
    UnitStatus.OUT_OF_SERVICE: QT_TRANSLATE_NOOP("Labels", "Out of service"),
}

# Okabe-Ito: bluish green, yellow (amber), blue, reddish purple, orange, sky blue, grey.
UNIT_STATUS_COLOURS: dict[str, Colours] = {
    UnitStatus.AVAILABLE: Colours("#009E73", "#FFFFFF"),
    UnitStatus.DISPATCHED: Colours("#F0E442", "#000000"),
    UnitStatus.EN_ROUTE: Colours("#0072B2", "#FFFFFF"),
    UnitStatus.ON_SCENE: Colours("#CC79A7", "#000000"),
    UnitStatus.TRANSPORTING: Colours("#E69F00", "#000000"),
    UnitStatus.AT_HOSPITAL: Colours("#56B4E9", "#000000"),
    UnitStatus.OUT_OF_SERVICE: Colours("#999999", "#000000"),
}
_UNKNOWN = Colours("#DDDDDD", "#000000")


def unit_status_text(status: str | None) -> str:
    source = _UNIT_STATUS_TEXT.get(status or "")
    return _tr(source) if source else str(status or "")


def unit_status_colours(status: str | None) -> Colours:
    return UNIT_STATUS_COLOURS.get(status or "", _UNKNOWN)


_CAPABILITY_TEXT = {
    "als": QT_TRANSLATE_NOOP("Labels", "ALS"),
    "bls": QT_TRANSLATE_NOOP("Labels", "BLS"),
    "negative_pressure": QT_TRANSLATE_NOOP("Labels", "Negative pressure"),
}


def capability_text(capability: str | None) -> str:
    source = _CAPABILITY_TEXT.get(capability or "")
    return _tr(source) if source else str(capability or "")


# ---------------------------------------------------------------- incidents

_INCIDENT_STATE_TEXT: dict[str, str] = {
    IncidentState.OPEN: QT_TRANSLATE_NOOP("Labels", "Open, no unit"),
    IncidentState.DISPATCHED: QT_TRANSLATE_NOOP("Labels", "Dispatched"),
    IncidentState.EN_ROUTE: QT_TRANSLATE_NOOP("Labels", "En route"),
    IncidentState.ON_SCENE: QT_TRANSLATE_NOOP("Labels", "On scene"),
    IncidentState.TRANSPORTING: QT_TRANSLATE_NOOP("Labels", "Transporting"),
    IncidentState.AT_HOSPITAL: QT_TRANSLATE_NOOP("Labels", "At hospital"),
    IncidentState.HANDED_OVER: QT_TRANSLATE_NOOP("Labels", "Handed over"),
    IncidentState.CLOSED: QT_TRANSLATE_NOOP("Labels", "Closed"),
}

# The incident follows its lead unit's colour; "open" (nobody sent yet) is the one
# that needs the dispatcher, so it gets the strongest colour (vermillion).
INCIDENT_STATE_COLOURS: dict[str, Colours] = {
    IncidentState.OPEN: Colours("#D55E00", "#FFFFFF"),
    IncidentState.DISPATCHED: UNIT_STATUS_COLOURS[UnitStatus.DISPATCHED],
    IncidentState.EN_ROUTE: UNIT_STATUS_COLOURS[UnitStatus.EN_ROUTE],
    IncidentState.ON_SCENE: UNIT_STATUS_COLOURS[UnitStatus.ON_SCENE],
    IncidentState.TRANSPORTING: UNIT_STATUS_COLOURS[UnitStatus.TRANSPORTING],
    IncidentState.AT_HOSPITAL: UNIT_STATUS_COLOURS[UnitStatus.AT_HOSPITAL],
    IncidentState.HANDED_OVER: Colours("#E0E0E0", "#000000"),
    IncidentState.CLOSED: Colours("#999999", "#000000"),
}


def incident_state_text(state: str | None) -> str:
    source = _INCIDENT_STATE_TEXT.get(state or "")
    return _tr(source) if source else str(state or "")


def incident_state_colours(state: str | None) -> Colours:
    return INCIDENT_STATE_COLOURS.get(state or "", _UNKNOWN)


_CLOSE_REASON_TEXT: dict[str, str] = {
    CloseReason.TRANSPORTED: QT_TRANSLATE_NOOP("Labels", "Transported to hospital"),
    CloseReason.TREATED_ON_SCENE: QT_TRANSLATE_NOOP("Labels", "Treated on scene"),
    CloseReason.REFUSED: QT_TRANSLATE_NOOP("Labels", "Patient refused care or transport"),
    CloseReason.NO_PATIENT_FOUND: QT_TRANSLATE_NOOP("Labels", "No patient found"),
    CloseReason.DECEASED: QT_TRANSLATE_NOOP("Labels", "Death confirmed on scene"),
    CloseReason.CANCELLED: QT_TRANSLATE_NOOP("Labels", "Cancelled (stands units down)"),
    CloseReason.DUPLICATE: QT_TRANSLATE_NOOP("Labels", "Duplicate of another incident (stands units down)"),
}


def close_reason_text(reason: str | None) -> str:
    source = _CLOSE_REASON_TEXT.get(reason or "")
    return _tr(source) if source else str(reason or "")


# Priority is a placeholder until triage (a later issue) sets it: level I is the most urgent.
PRIORITIES: tuple[int, ...] = (1, 2, 3, 4)
_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def priority_text(priority: int | None) -> str:
    """"I".."IV", or an em dash when not set. Roman numerals are the same in both languages."""
    if priority is None:
        return "—"
    return _ROMAN.get(priority, str(priority))


def priority_choice_text(priority: int | None) -> str:
    """The longer text of the priority chooser."""
    if priority is None:
        return QCoreApplication.translate("Labels", "— not set")
    if priority == 1:
        return QCoreApplication.translate("Labels", "I — most urgent")
    if priority == 4:
        return QCoreApplication.translate("Labels", "IV — least urgent")
    return priority_text(priority)


# ---------------------------------------------------------------- calls and seats

_CALL_STATE_TEXT: dict[str, str] = {
    CallState.QUEUED: QT_TRANSLATE_NOOP("Labels", "Waiting"),
    CallState.RINGING: QT_TRANSLATE_NOOP("Labels", "Ringing"),
    CallState.ANSWERED: QT_TRANSLATE_NOOP("Labels", "On the line"),
    CallState.ENDED: QT_TRANSLATE_NOOP("Labels", "Ended"),
    CallState.ABANDONED: QT_TRANSLATE_NOOP("Labels", "Caller hung up"),
}


def call_state_text(state: str | None) -> str:
    source = _CALL_STATE_TEXT.get(state or "")
    return _tr(source) if source else str(state or "")


_SEAT_STATE_TEXT: dict[str, str] = {
    SeatState.OFFLINE: QT_TRANSLATE_NOOP("Labels", "Logged out"),
    SeatState.NOT_READY: QT_TRANSLATE_NOOP("Labels", "Not ready"),
    SeatState.READY: QT_TRANSLATE_NOOP("Labels", "Ready"),
    SeatState.BUSY: QT_TRANSLATE_NOOP("Labels", "Busy"),
}

SEAT_STATE_COLOURS: dict[str, Colours] = {
    SeatState.OFFLINE: Colours("#999999", "#000000"),
    SeatState.NOT_READY: Colours("#E69F00", "#000000"),
    SeatState.READY: Colours("#009E73", "#FFFFFF"),
    SeatState.BUSY: Colours("#0072B2", "#FFFFFF"),
}

# Reasons the core attaches to a seat state (app.domain.state / decide): free strings.
_SEAT_REASON_TEXT: dict[str, str] = {
    "ringing": QT_TRANSLATE_NOOP("Labels", "call ringing"),
    "on_call": QT_TRANSLATE_NOOP("Labels", "on a call"),
    "no_answer": QT_TRANSLATE_NOOP("Labels", "a call rang out unanswered"),
    "wrap_up": QT_TRANSLATE_NOOP("Labels", "wrap-up after a call"),
    "break": QT_TRANSLATE_NOOP("Labels", "break"),
    "login": QT_TRANSLATE_NOOP("Labels", "just logged in"),
    "disconnected": QT_TRANSLATE_NOOP("Labels", "disconnected"),
}


def seat_state_text(state: str | None) -> str:
    source = _SEAT_STATE_TEXT.get(state or "")
    return _tr(source) if source else str(state or "")


def seat_state_colours(state: str | None) -> Colours:
    return SEAT_STATE_COLOURS.get(state or "", _UNKNOWN)


def seat_reason_text(reason: str | None) -> str:
    if not reason:
        return ""
    source = _SEAT_REASON_TEXT.get(reason)
    return _tr(source) if source else reason


# ---------------------------------------------------------------- link to the server

_LINK_TEXT: dict[str, str] = {
    Link.CONNECTING: QT_TRANSLATE_NOOP("Labels", "CONNECTING"),
    Link.SYNCING: QT_TRANSLATE_NOOP("Labels", "SYNCING"),
    Link.ONLINE: QT_TRANSLATE_NOOP("Labels", "ONLINE"),
    Link.OFFLINE: QT_TRANSLATE_NOOP("Labels", "OFFLINE"),
    Link.AUTH_FAILED: QT_TRANSLATE_NOOP("Labels", "LOGIN REFUSED"),
}

# Offline and a refused login are a red bar that fills the banner: impossible to miss.
LINK_COLOURS: dict[str, Colours] = {
    Link.CONNECTING: Colours("#F0E442", "#000000"),
    Link.SYNCING: Colours("#F0E442", "#000000"),
    Link.ONLINE: Colours("#009E73", "#FFFFFF"),
    Link.OFFLINE: Colours("#C62828", "#FFFFFF"),
    Link.AUTH_FAILED: Colours("#C62828", "#FFFFFF"),
}


def link_text(link: str | None) -> str:
    source = _LINK_TEXT.get(link or "")
    return _tr(source) if source else str(link or "")


def link_colours(link: str | None) -> Colours:
    return LINK_COLOURS.get(link or "", _UNKNOWN)


# ---------------------------------------------------------------- server errors

_ERROR_TEXT: dict[str, str] = {
    ErrorCode.BAD_JSON: QT_TRANSLATE_NOOP("Labels", "The server could not read a message from this seat"),
    ErrorCode.BAD_MESSAGE: QT_TRANSLATE_NOOP("Labels", "The server refused a malformed message"),
    ErrorCode.UNSUPPORTED_VERSION: QT_TRANSLATE_NOOP(
        "Labels", "This seat's software version is not supported by the server"
    ),
    ErrorCode.UNKNOWN_TYPE: QT_TRANSLATE_NOOP("Labels", "The server does not know this kind of message"),
    ErrorCode.UNKNOWN_COMMAND: QT_TRANSLATE_NOOP("Labels", "The server does not know this command"),
    ErrorCode.INVALID_ARGS: QT_TRANSLATE_NOOP("Labels", "Invalid input"),
    ErrorCode.UNAUTHENTICATED: QT_TRANSLATE_NOOP("Labels", "Not logged in to the server"),
    ErrorCode.FORBIDDEN: QT_TRANSLATE_NOOP("Labels", "Not allowed for this seat"),
    ErrorCode.NOT_FOUND: QT_TRANSLATE_NOOP("Labels", "Not found"),
    ErrorCode.CONFLICT: QT_TRANSLATE_NOOP("Labels", "Conflict: someone else changed it first"),
    ErrorCode.ILLEGAL_TRANSITION: QT_TRANSLATE_NOOP("Labels", "Not possible in the current state"),
    ErrorCode.UNIT_BUSY: QT_TRANSLATE_NOOP("Labels", "The unit is not available"),
    ErrorCode.RATE_LIMITED: QT_TRANSLATE_NOOP("Labels", "Too many requests; wait a moment"),
    ErrorCode.INTERNAL: QT_TRANSLATE_NOOP("Labels", "Server fault; nothing was changed"),
    # Local code of the seat's journal (app.seat.journal.IDENTITY_CHANGED), not sent by a server.
    "identity_changed": QT_TRANSLATE_NOOP("Labels", "Written for another server or seat; not sent"),
}


def error_text(code: str | None) -> str:
    """The dispatcher's summary of an error code; the server's detail is shown beside it."""
    source = _ERROR_TEXT.get(code or "")
    if source:
        return _tr(source)
    return QCoreApplication.translate("Labels", "Error") + (f" ({code})" if code else "")


_COMMAND_TEXT: dict[str, str] = {
    "call.answer": QT_TRANSLATE_NOOP("Labels", "Answer a call"),
    "call.ended": QT_TRANSLATE_NOOP("Labels", "Hang up"),
    "seat.set_ready": QT_TRANSLATE_NOOP("Labels", "Ready / not ready"),
    "incident.create": QT_TRANSLATE_NOOP("Labels", "New incident"),
    "incident.update": QT_TRANSLATE_NOOP("Labels", "Incident change"),
    "unit.assign": QT_TRANSLATE_NOOP("Labels", "Unit assignment"),
    "unit.status": QT_TRANSLATE_NOOP("Labels", "Unit status change"),
    "incident.close": QT_TRANSLATE_NOOP("Labels", "Closing an incident"),
}


def command_text(name: str | None) -> str:
    """What a command was, in the dispatcher's words (for refused commands from the journal)."""
    source = _COMMAND_TEXT.get(name or "")
    return _tr(source) if source else str(name or "")


# ---------------------------------------------------------------- times


def format_elapsed(seconds: float | None) -> str:
    """``m:ss`` under an hour, ``h:mm:ss`` above; an em dash when unknown. Not translated."""
    if seconds is None:
        return "—"
    total = max(0, int(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def enum_value(value: object) -> str:
    """The plain string of an enum member or a string (for dict keys)."""
    return value.value if isinstance(value, StrEnum) else str(value)


# ---------------------------------------------------------------- patient alarms (vitals monitor)

_ALARM_TEXT = {
    "asystole": QT_TRANSLATE_NOOP("Labels", "ASYSTOLE"),
    "vf": QT_TRANSLATE_NOOP("Labels", "VENTRICULAR FIBRILLATION"),
    "vt": QT_TRANSLATE_NOOP("Labels", "VENTRICULAR TACHYCARDIA"),
    "hr_low": QT_TRANSLATE_NOOP("Labels", "HR low"),
    "hr_high": QT_TRANSLATE_NOOP("Labels", "HR high"),
    "spo2_low": QT_TRANSLATE_NOOP("Labels", "SpO2 low"),
    "spo2_critical": QT_TRANSLATE_NOOP("Labels", "SpO2 critically low"),
    "nibp_sys_low": QT_TRANSLATE_NOOP("Labels", "NIBP systolic low"),
    "nibp_sys_high": QT_TRANSLATE_NOOP("Labels", "NIBP systolic high"),
    "rr_low": QT_TRANSLATE_NOOP("Labels", "Respiration rate low"),
    "rr_high": QT_TRANSLATE_NOOP("Labels", "Respiration rate high"),
    "etco2_low": QT_TRANSLATE_NOOP("Labels", "EtCO2 low"),
    "etco2_high": QT_TRANSLATE_NOOP("Labels", "EtCO2 high"),
    "ecg_noise": QT_TRANSLATE_NOOP("Labels", "ECG noise/artefact: no HR from ECG"),
}


def alarm_text(code: str) -> str:
    """A patient alarm condition in the dispatcher's words; an unknown device code as sent."""
    source = _ALARM_TEXT.get(enum_value(code))
    return _tr(source) if source else enum_value(code)


# Monitor colours (the common convention: ECG/HR green, SpO2 cyan, NIBP white, RR/CO2 yellow,
# temperature white) on black; and the IEC 60601-1-8 alarm colours.
VITAL_COLOURS = {
    "hr": "#33ff66",
    "spo2": "#3fe0ff",
    "nibp": "#ffffff",
    "rr": "#ffe14d",
    "etco2": "#ffe14d",
    "temp_c": "#ffffff",
}
ALARM_COLOURS = {
    3: Colours("#e00000", "#ffffff"),  # high: red
    2: Colours("#ffd200", "#000000"),  # medium: yellow
    1: Colours("#00b7d4", "#000000"),  # low: cyan
}


# ---------------------------------------------------------------- caller location

_LOCATION_SOURCE_TEXT = {
    "gps": QT_TRANSLATE_NOOP("Labels", "GPS"),
    "cell": QT_TRANSLATE_NOOP("Labels", "Cell"),
    "wifi": QT_TRANSLATE_NOOP("Labels", "Wi-Fi"),
    "landline_address": QT_TRANSLATE_NOOP("Labels", "Landline registered address"),
    "caller_link": QT_TRANSLATE_NOOP("Labels", "SMS link"),
}
_LOCATE_SOURCE_TEXT = {
    "map_click": QT_TRANSLATE_NOOP("Labels", "clicked on the map"),
    "map_drag": QT_TRANSLATE_NOOP("Labels", "moved on the map"),
    "address_search": QT_TRANSLATE_NOOP("Labels", "address search"),
    "candidate": QT_TRANSLATE_NOOP("Labels", "confirmed caller location"),
}


def location_source_text(source: str | None) -> str:
    """Where a caller location candidate comes from ("GPS", "基站"…)."""
    text = _LOCATION_SOURCE_TEXT.get(enum_value(source or ""))
    return _tr(text) if text else str(source or "?")


def locate_source_text(source: str | None) -> str:
    """How the dispatcher set the incident's position."""
    text = _LOCATE_SOURCE_TEXT.get(enum_value(source or ""))
    return _tr(text) if text else str(source or "?")


def format_distance(metres: float | None) -> str:
    """"30 m", "1.2 km" (numbers and units read the same in both languages)."""
    if metres is None:
        return "?"
    if metres < 1000:
        return f"{round(metres):d} m"
    return f"{metres / 1000:.1f} km"


def accuracy_text(accuracy_m: float | None) -> str:
    """"±35 m" or "accuracy unknown" (never a made-up number)."""
    if accuracy_m is None:
        return _tr(QT_TRANSLATE_NOOP("Labels", "accuracy unknown"))
    return "±" + format_distance(accuracy_m)


# ---------------------------------------------------------------- triage

# Priority I..IV: vermillion, orange, yellow, bluish green (Okabe-Ito); the level is
# always written on the chip too, never shown by colour alone.
PRIORITY_COLOURS: dict[int, Colours] = {
    1: Colours("#D55E00", "#FFFFFF"),
    2: Colours("#E69F00", "#000000"),
    3: Colours("#F0E442", "#000000"),
    4: Colours("#009E73", "#FFFFFF"),
}


def priority_colours(priority: int | None) -> Colours:
    return PRIORITY_COLOURS.get(priority or 0, Colours("#999999", "#000000"))


_URGENCY_TEXT: dict[str, str] = {
    "emergency": QT_TRANSLATE_NOOP("Labels", "emergency"),
    "urgent": QT_TRANSLATE_NOOP("Labels", "urgent"),
    "routine": QT_TRANSLATE_NOOP("Labels", "routine"),
}


def urgency_text(urgency: str | None) -> str:
    source = _URGENCY_TEXT.get(urgency or "")
    return _tr(source) if source else str(urgency or "")


# ---------------------------------------------------------------- unit recommendation

_RECOMMEND_REASON_TEXT: dict[str, str] = {
    "fastest": QT_TRANSLATE_NOOP("Labels", "fastest capable unit"),
    "slower": QT_TRANSLATE_NOOP("Labels", "later than the first suggestion"),
    "capability_match": QT_TRANSLATE_NOOP("Labels", "capability matches the plan"),
    "capability_above": QT_TRANSLATE_NOOP("Labels", "ALS unit for a BLS plan"),
    "capability_below": QT_TRANSLATE_NOOP("Labels", "BLS unit for an ALS plan"),
    "capability_other": QT_TRANSLATE_NOOP("Labels", "not the capability the plan needs"),
    "no_plan": QT_TRANSLATE_NOOP("Labels", "no triage plan yet"),
    "no_road_route": QT_TRANSLATE_NOOP("Labels", "no road route (river, one-way, island)"),
    "off_road": QT_TRANSLATE_NOOP("Labels", "position too far from any road"),
    "position_unknown": QT_TRANSLATE_NOOP("Labels", "position unknown"),
    "at_station": QT_TRANSLATE_NOOP("Labels", "no GPS: assumed at its station"),
    "returning": QT_TRANSLATE_NOOP("Labels", "returning from hospital"),
    "coverage_cost": QT_TRANSLATE_NOOP("Labels", "leaves an area without cover"),
}

_OVERRIDE_REASON_TEXT: dict[str, str] = {
    "closer_than_shown": QT_TRANSLATE_NOOP("Labels", "Unit is closer than shown"),
    "crew_skills": QT_TRANSLATE_NOOP("Labels", "Crew skills suit the patient"),
    "road_conditions": QT_TRANSLATE_NOOP("Labels", "Road closure or traffic"),
    "keep_coverage": QT_TRANSLATE_NOOP("Labels", "Keep an area covered"),
    "unit_status": QT_TRANSLATE_NOOP("Labels", "First suggestion not really free"),
    "other": QT_TRANSLATE_NOOP("Labels", "Other (say why)"),
}

# Tier 0 capable, 1 not capable, 2 no route, 3 position unknown (app.dispatch.recommend.Tier).
RECOMMEND_TIER_COLOURS: dict[int, Colours] = {
    0: Colours("#FFFFFF", "#000000"),
    1: Colours("#FFF3D6", "#000000"),
    2: Colours("#EEEEEE", "#555555"),
    3: Colours("#EEEEEE", "#555555"),
}


def recommend_reason_text(reason: str | None) -> str:
    source = _RECOMMEND_REASON_TEXT.get(enum_value(reason) if reason is not None else "")
    return _tr(source) if source else str(reason or "")


def override_reason_text(reason: str | None) -> str:
    source = _OVERRIDE_REASON_TEXT.get(reason or "")
    return _tr(source) if source else str(reason or "")


def format_eta(seconds: float | None) -> str:
    """"4 min 05 s", "45 s"; "?" when unknown."""
    if seconds is None:
        return "?"
    total = round(seconds)
    return f"{total // 60} min {total % 60:02d} s" if total >= 60 else f"{total} s"


# ---- the caller link (app.domain.caller_link.LinkState, app.protocol.caller_link.GUIDANCE_CARDS)
_CALLER_LINK_STATE_TEXT = {
    "created": QT_TRANSLATE_NOOP("Labels", "Link sent"),
    "opened": QT_TRANSLATE_NOOP("Labels", "Link opened"),
    "consented": QT_TRANSLATE_NOOP("Labels", "Caller consented"),
    "revoked": QT_TRANSLATE_NOOP("Labels", "Link closed"),
}
_GUIDANCE_CARD_TEXT = {
    "cpr_adult": QT_TRANSLATE_NOOP("Labels", "CPR — adult"),
    "cpr_rescue_breaths": QT_TRANSLATE_NOOP("Labels", "CPR — adult, rescue breaths first"),
    "scene_safety": QT_TRANSLATE_NOOP("Labels", "Scene safety first"),
    "cpr_child": QT_TRANSLATE_NOOP("Labels", "CPR — child"),
    "cpr_infant": QT_TRANSLATE_NOOP("Labels", "CPR — infant"),
    "aed": QT_TRANSLATE_NOOP("Labels", "AED use"),
    "recovery_position": QT_TRANSLATE_NOOP("Labels", "Recovery position"),
    "bleeding": QT_TRANSLATE_NOOP("Labels", "Bleeding control"),
    "choking": QT_TRANSLATE_NOOP("Labels", "Choking"),
    "childbirth": QT_TRANSLATE_NOOP("Labels", "Childbirth"),
    "burns": QT_TRANSLATE_NOOP("Labels", "Burns"),
    "seizure": QT_TRANSLATE_NOOP("Labels", "Seizure"),
}


def caller_link_state_label(state: str | None) -> str:
    source = _CALLER_LINK_STATE_TEXT.get(state or "")
    return _tr(source) if source else str(state or "")


def guidance_card_label(card_id: str | None) -> str:
    source = _GUIDANCE_CARD_TEXT.get(card_id or "")
    return _tr(source) if source else str(card_id or "")


# ---- telephone CPR (app.triage.model.CprMethod)
_CPR_METHOD_TEXT = {
    "hands_only": QT_TRANSLATE_NOOP("Labels", "hands only"),
    "breaths_first": QT_TRANSLATE_NOOP("Labels", "rescue breaths first, then 30:2"),
    "child": QT_TRANSLATE_NOOP("Labels", "child: rescue breaths first, then 30:2"),
    "infant": QT_TRANSLATE_NOOP("Labels", "infant: rescue breaths first, then 30:2"),
}


def cpr_method_text(method: str | None) -> str:
    source = _CPR_METHOD_TEXT.get(method or "")
    return _tr(source) if source else str(method or "")


# ---- hospital pre-notification (app.protocol.prenotify.AckResponse/Complaint/PatientSex)
_ACK_RESPONSE_TEXT = {
    "received": QT_TRANSLATE_NOOP("Labels", "Received"),
    "cath_lab_activated": QT_TRANSLATE_NOOP("Labels", "Cath lab activated"),
    "stroke_team_activated": QT_TRANSLATE_NOOP("Labels", "Stroke team activated"),
    "trauma_team_activated": QT_TRANSLATE_NOOP("Labels", "Trauma team activated"),
    "diverted": QT_TRANSLATE_NOOP("Labels", "Diverted: choose another hospital"),
}
_COMPLAINT_TEXT = {
    "stemi": QT_TRANSLATE_NOOP("Labels", "STEMI"),
    "chest_pain": QT_TRANSLATE_NOOP("Labels", "Chest pain"),
    "stroke": QT_TRANSLATE_NOOP("Labels", "Stroke"),
    "trauma": QT_TRANSLATE_NOOP("Labels", "Major trauma"),
    "cardiac_arrest": QT_TRANSLATE_NOOP("Labels", "Cardiac arrest"),
    "other": QT_TRANSLATE_NOOP("Labels", "Other"),
}
_SEX_TEXT = {
    "male": QT_TRANSLATE_NOOP("Labels", "male"),
    "female": QT_TRANSLATE_NOOP("Labels", "female"),
    "unknown": QT_TRANSLATE_NOOP("Labels", "sex unknown"),
}


def ack_response_label(response: str | None) -> str:
    source = _ACK_RESPONSE_TEXT.get(response or "")
    return _tr(source) if source else str(response or "")


def complaint_label(complaint: str | None) -> str:
    source = _COMPLAINT_TEXT.get(complaint or "")
    return _tr(source) if source else str(complaint or "")


def sex_label(sex: str | None) -> str:
    source = _SEX_TEXT.get(sex or "")
    return _tr(source) if source else str(sex or "")


# ---- hospitals and first responders (app.dispatch.destination.Reason, app.protocol.hospitals)
_DESTINATION_REASON_TEXT = {
    "nearest": QT_TRANSLATE_NOOP("Labels", "nearest"),
    "has_capability": QT_TRANSLATE_NOOP("Labels", "has what the patient needs"),
    "no_requirement": QT_TRANSLATE_NOOP("Labels", "no special need: by time"),
    "lacks_capability": QT_TRANSLATE_NOOP("Labels", "lacks a needed capability"),
    "lacks_preferred": QT_TRANSLATE_NOOP("Labels", "lacks a preferred capability"),
    "ed_busy": QT_TRANSLATE_NOOP("Labels", "emergency department busy"),
    "diverting": QT_TRANSLATE_NOOP("Labels", "diverting ambulances"),
    "no_route": QT_TRANSLATE_NOOP("Labels", "no travel time"),
}
_ED_STATUS_TEXT = {
    "open": QT_TRANSLATE_NOOP("Labels", "open"),
    "busy": QT_TRANSLATE_NOOP("Labels", "busy"),
    "diverting": QT_TRANSLATE_NOOP("Labels", "diverting"),
}
_HOSPITAL_CAPABILITY_TEXT = {
    "chest_pain_centre": QT_TRANSLATE_NOOP("Labels", "chest-pain centre"),
    "pci": QT_TRANSLATE_NOOP("Labels", "PCI"),
    "stroke_centre": QT_TRANSLATE_NOOP("Labels", "stroke centre"),
    "thrombolysis": QT_TRANSLATE_NOOP("Labels", "thrombolysis"),
    "thrombectomy": QT_TRANSLATE_NOOP("Labels", "thrombectomy"),
    "trauma_centre": QT_TRANSLATE_NOOP("Labels", "trauma centre"),
    "trauma_level": QT_TRANSLATE_NOOP("Labels", "trauma level"),
    "paediatric": QT_TRANSLATE_NOOP("Labels", "paediatric"),
    "maternity": QT_TRANSLATE_NOOP("Labels", "maternity"),
    "burns": QT_TRANSLATE_NOOP("Labels", "burns"),
}
_DESTINATION_PICK_REASON_TEXT = {
    "patient_request": QT_TRANSLATE_NOOP("Labels", "Patient or family asks for it"),
    "crew_request": QT_TRANSLATE_NOOP("Labels", "The crew asks for it"),
    "already_treated_there": QT_TRANSLATE_NOOP("Labels", "Already treated there"),
    "hospital_advice": QT_TRANSLATE_NOOP("Labels", "On the hospital's advice"),
    "other": QT_TRANSLATE_NOOP("Labels", "Other"),
}
_RESPONSE_TEXT = {
    "accepted": QT_TRANSLATE_NOOP("Labels", "accepted"),
    "declined": QT_TRANSLATE_NOOP("Labels", "declined"),
    "arrived": QT_TRANSLATE_NOOP("Labels", "arrived"),
}


def _lookup(table: dict[str, str], value: object) -> str:
    source = table.get(enum_value(value) if value is not None else "")
    return _tr(source) if source else str(value or "")


def destination_reason_text(reason: object) -> str:
    return _lookup(_DESTINATION_REASON_TEXT, reason)


def ed_status_text(status: object) -> str:
    return _lookup(_ED_STATUS_TEXT, status)


def hospital_capability_text(flag: object) -> str:
    return _lookup(_HOSPITAL_CAPABILITY_TEXT, flag)


_TRAUMA_LEVEL_I = QT_TRANSLATE_NOOP("Labels", "trauma centre level I")
_TRAUMA_LEVEL_AT_LEAST = QT_TRANSLATE_NOOP("Labels", "trauma centre level %1 or higher")


def trauma_level_text(level: int) -> str:
    """"trauma centre level II or higher" (1 is the highest; "level I" when only the highest will do)."""
    if level <= 1:
        return _tr(_TRAUMA_LEVEL_I)
    return _tr(_TRAUMA_LEVEL_AT_LEAST).replace("%1", priority_text(level))


def destination_pick_reason_text(reason: object) -> str:
    return _lookup(_DESTINATION_PICK_REASON_TEXT, reason)


def responder_response_text(response: object) -> str:
    return _lookup(_RESPONSE_TEXT, response)


# ---- caller photos (app.protocol.caller_link.PhotoRefusal)
_PHOTO_REFUSAL_TEXT = {
    "too_large": QT_TRANSLATE_NOOP("Labels", "too large"),
    "not_an_image": QT_TRANSLATE_NOOP("Labels", "not an image"),
    "too_many": QT_TRANSLATE_NOOP("Labels", "too many photos"),
    "not_accepted": QT_TRANSLATE_NOOP("Labels", "this centre does not accept photos"),
}


def photo_refusal_label(reason: object) -> str:
    return _lookup(_PHOTO_REFUSAL_TEXT, reason)


# ---- training: what a trainer may inject (app.protocol.training.INJECT_KINDS)
_INJECT_KIND_TEXT = {
    "unit_breakdown": QT_TRANSLATE_NOOP("Labels", "A unit breaks down"),
    "hospital_diversion": QT_TRANSLATE_NOOP("Labels", "A hospital starts diverting"),
    "server_drop": QT_TRANSLATE_NOOP("Labels", "The server drops for 30 s"),
    "second_call": QT_TRANSLATE_NOOP("Labels", "A second call about this call"),
}


def inject_kind_text(kind: object) -> str:
    return _lookup(_INJECT_KIND_TEXT, kind)
