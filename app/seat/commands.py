"""The named commands a dispatcher's widgets call (STYLE §3).

Widgets call these methods (through ``widgets.command_runner.CommandRunner.run``,
which shows refusals), never a command name as a string: the method is the
command's one typed signature on the seat.

Each method validates its arguments, writes the command to the journal's
outbox and returns at once with the command id; the ``ack`` or ``error`` that
follows (``SeatStore.events.command_acked`` / ``command_failed``) carries that
id as ``ref``, and the store emits that ack only once it holds the command's
events. The widgets then follow the *events* that come back; nothing
here changes the seat's state directly, and nothing waits on the network.

Optional arguments left as ``None`` are not sent (the protocol accepts
``null`` too; leaving them out keeps the frames small). For
:meth:`SeatCommands.update_incident` that means ``None`` = "not changed".

Thread: the GUI thread (any thread works: the sink is thread-safe).
Every method raises :class:`app.protocol.ProtocolError` on invalid arguments
(nothing is queued — show it to the dispatcher at once) and
:class:`app.seat.journal.JournalError` if the journal cannot be written.
"""

from __future__ import annotations

from typing import Any, NamedTuple, Protocol

from app.protocol import new_id


class CommandSink(Protocol):
    """Where commands go: :class:`app.seat.sync.SyncClient` (or a fake in GUI tests)."""

    def send_command(self, name: str, args: dict[str, Any], command_id: str | None = None) -> str: ...


class NewIncident(NamedTuple):
    """What :meth:`SeatCommands.create_incident` returns: the command to follow and the incident's id."""

    command_id: str
    incident_id: str


def _present(**args: Any) -> dict[str, Any]:
    return {k: v for k, v in args.items() if v is not None}


class SeatCommands:
    """Named, keyword-only commands; each returns the command id."""

    def __init__(self, sync: CommandSink) -> None:
        self._sync = sync

    def answer_call(self, *, call_id: str) -> str:
        return self._sync.send_command("call.answer", {"call_id": call_id})

    def end_call(self, *, call_id: str) -> str:
        return self._sync.send_command("call.ended", {"call_id": call_id})

    def ask_caller(self, *, call_id: str, text: str) -> str:
        """Training: type a free question to the simulated caller of a call answered here."""
        return self._sync.send_command("training.ask", {"call_id": call_id, "text": text})

    def set_ready(self, *, ready: bool) -> str:
        return self._sync.send_command("seat.set_ready", {"ready": ready})

    def create_incident(
        self,
        *,
        call_id: str | None = None,
        address: str | None = None,
        callback_number: str | None = None,
        description: str | None = None,
        patients: int | None = None,
        priority: int | None = None,
        incident_id: str | None = None,
    ) -> NewIncident:
        """Record a new incident (the seat chooses its id, so the form can follow it at once)."""
        incident_id = incident_id or new_id()
        args = _present(
            incident_id=incident_id,
            call_id=call_id,
            address=address,
            callback_number=callback_number,
            description=description,
            patients=patients,
            priority=priority,
        )
        return NewIncident(self._sync.send_command("incident.create", args), incident_id)

    def update_incident(
        self,
        *,
        incident_id: str,
        address: str | None = None,
        callback_number: str | None = None,
        description: str | None = None,
        patients: int | None = None,
        priority: int | None = None,
    ) -> str:
        """Change some fields of an incident; those left as None are not changed."""
        return self._sync.send_command("incident.update", _present(
            incident_id=incident_id, address=address, callback_number=callback_number, description=description,
            patients=patients, priority=priority))

    def assign_unit(self, *, incident_id: str, unit_id: str, unit_version: int | None = None) -> str:
        """Assign a unit. Pass the ``version`` of the unit the dispatcher saw, so a
        unit assigned meanwhile by another seat is refused (``conflict``/``unit_busy``)."""
        return self._sync.send_command(
            "unit.assign", _present(incident_id=incident_id, unit_id=unit_id, unit_version=unit_version)
        )

    def set_unit_status(self, *, unit_id: str, status: str, unit_version: int | None = None) -> str:
        """Set a unit's status by hand (when the crew reports by radio)."""
        return self._sync.send_command(
            "unit.status", _present(unit_id=unit_id, status=str(status), unit_version=unit_version)
        )

    def close_incident(self, *, incident_id: str, reason: str, note: str | None = None) -> str:
        return self._sync.send_command(
            "incident.close", _present(incident_id=incident_id, reason=str(reason), note=note)
        )

    # ------------------------------------------------------------ triage and telephone CPR
    def record_triage_answer(self, *, incident_id: str, protocol: str, protocol_version: str,
                             question: str, answer: str, from_switch: bool = False) -> str:
        """One answer of the questionnaire, for the incident's audited triage path; ``from_switch``:
        taken from the call without asking (the caller's number the switch delivered)."""
        args = {"incident_id": incident_id, "protocol": protocol, "protocol_version": protocol_version,
                "question": question, "answer": answer}
        if from_switch:
            args["source"] = "switch"
        return self._sync.send_command("triage.answer", args)

    def complete_triage(self, *, incident_id: str, protocol: str, protocol_version: str, determinant: str,
                        priority: int, plan: str, capability: str, cpr: bool) -> str:
        """The determinant reached; the server sets the incident's priority from it."""
        return self._sync.send_command("triage.complete", {
            "incident_id": incident_id, "protocol": protocol, "protocol_version": protocol_version,
            "determinant": determinant, "priority": priority, "plan": plan, "capability": str(capability),
            "cpr": cpr})

    def record_arrest_recognised(self, *, incident_id: str, at: str, priority: int | None = None,
                                 plan: str | None = None, capability: str | None = None) -> str:
        """The dispatcher recognised a cardiac arrest at ``at`` (the seat's clock, protocol format).

        ``priority``/``plan``/``capability`` (all or none; :func:`app.domain.triage.arrest_plan`)
        set the incident's priority and provisional plan now, before the arrest determinant.
        """
        return self._sync.send_command("triage.arrest_recognised", _present(
            incident_id=incident_id, at=at, priority=priority, plan=plan, capability=capability))

    def start_cpr(self, *, incident_id: str, rate_per_min: int, variant: str) -> str:
        """The caller starts compressions (again, or at a new rate/variant) with the metronome."""
        return self._sync.send_command(
            "cpr.started", {"incident_id": incident_id, "rate_per_min": rate_per_min, "variant": variant})

    def stop_cpr(self, *, incident_id: str, compressions: int, reason: str) -> str:
        """Compressions stopped: ``ems_arrived``, ``rosc`` or ``other``."""
        return self._sync.send_command(
            "cpr.stopped", {"incident_id": incident_id, "compressions": compressions, "reason": reason})

    # ---- the caller's location and repeat calls (app/protocol/location.py)
    def locate_incident(
        self,
        *,
        incident_id: str,
        lat: float,
        lon: float,
        source: str,
        candidate_source: str | None = None,
        address: str | None = None,
    ) -> str:
        """Set the incident's position (WGS-84): ``source`` is map_click, map_drag,
        address_search or candidate (then ``candidate_source`` says which one)."""
        return self._sync.send_command(
            "incident.locate",
            _present(incident_id=incident_id, lat=lat, lon=lon, source=str(source),
                     candidate_source=candidate_source, address=address),
        )

    def attach_call(self, *, call_id: str, incident_id: str) -> str:
        """Attach a (repeat) call to an existing open incident."""
        return self._sync.send_command("call.attach", {"call_id": call_id, "incident_id": incident_id})

    # ---- unit recommendation (app/protocol/dispatch.py)
    def assign_recommended(self, *, incident_id: str, unit_id: str, rank: int, first_unit_id: str | None = None,
                           override_reason: str | None = None, override_note: str | None = None,
                           unit_version: int | None = None) -> str:
        """Assign the unit shown at ``rank`` of the recommendation list; a rank > 1 needs
        ``override_reason`` (the server refuses it otherwise with ``invalid_args``)."""
        return self._sync.send_command(
            "unit.assign_recommended",
            _present(incident_id=incident_id, unit_id=unit_id, rank=rank, first_unit_id=first_unit_id,
                     override_reason=override_reason, override_note=override_note, unit_version=unit_version),
        )

    # ---- the caller link (app/protocol/caller_link.py)
    def send_caller_link(self, *, call_id: str, via: str) -> str:
        """Ask the server for a one-time caller link; the URL comes back in a ``caller_link`` message."""
        return self._sync.send_command("call.link_send", {"call_id": call_id, "via": via})

    def send_chat(self, *, call_id: str, text: str) -> str:
        return self._sync.send_command("call.chat_send", {"call_id": call_id, "text": text})

    def push_guidance(self, *, call_id: str, card_id: str) -> str:
        return self._sync.send_command("call.guidance_push", {"call_id": call_id, "card_id": card_id})

    # ---- hospital pre-notification (app/protocol/prenotify.py)
    def prenotify_hospital(self, *, incident_id: str, hospital_id: str, summary: dict[str, Any], include_ecg: bool,
                           unit_id: str | None = None, eta_s: int | None = None) -> str:
        """Send the hospital the patient summary; the server adds triage, vitals and an ECG strip.
        ``summary``: ``{"sex", "complaint"[, "age", "age_estimated", "note"]}``."""
        return self._sync.send_command(
            "prenotify.send",
            _present(incident_id=incident_id, hospital_id=hospital_id, unit_id=unit_id, eta_s=eta_s,
                     summary=_present(**summary), include_ecg=include_ecg),
        )

    # ---- hospitals and first responders (app/protocol/hospitals.py, responders.py)
    def set_destination(self, *, incident_id: str, hospital_id: str, rank: int, reason: str | None = None) -> str:
        """The hospital picked at ``rank`` of the destination suggestions; rank > 1 needs ``reason``."""
        return self._sync.send_command(
            "incident.set_destination",
            _present(incident_id=incident_id, hospital_id=hospital_id, rank=rank, reason=reason))

    def alert_responders(self, *, incident_id: str, radius_m: int | None = None) -> str:
        """Alert the volunteers near the incident (the server picks them from their live positions)."""
        return self._sync.send_command("responders.alert", _present(incident_id=incident_id, radius_m=radius_m))

    # ---- ECG strips (app/protocol/telemetry.py)
    def request_strip(self, *, unit_id: str, seconds: int) -> str:
        """Keep the unit's last ``seconds`` of lead II on its current incident (``telemetry.strip_stored``)."""
        return self._sync.send_command("telemetry.strip_request", {"unit_id": unit_id, "seconds": seconds})
