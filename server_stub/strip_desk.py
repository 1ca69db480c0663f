"""ECG strips on the server: cut on a seat's request or around a high-priority alarm, store, record.

Runs on the server's loop. A strip's row goes to the ``strips`` table first
(:class:`server_stub.strips.StripStore`, in a worker thread), then the event
``telemetry.strip_stored`` goes through the command bus (``app.domain.telemetry.decide_strip``):
a crash in between leaves a row no event points to, never an event pointing to nothing.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

from app.domain.common import SYSTEM, Principal
from app.domain.telemetry import decide_strip
from app.protocol.telemetry import StripReason
from server_stub.clients import Client
from server_stub.ports import DeskPort
from server_stub.strips import Strip, StripStore, cut_strip, strip_id_for_command
from server_stub.telemetry import ALARM_STRIP_S, TelemetryRouter

log = logging.getLogger("server_stub.strip_desk")


class StripDesk:
    """``telemetry.strip_request`` and alarm strips. Loop only."""

    def __init__(self, port: DeskPort, strips: StripStore, telemetry: TelemetryRouter) -> None:
        self.port = port
        self.strips = strips
        self.telemetry = telemetry

    async def strip_request(self, client: Client, who: Principal, command_id: str, args: dict[str, Any]) -> None:
        """Cut the unit's last ``seconds`` of ECG, store the row, then append ``telemetry.strip_stored``."""
        strip = cut_strip(self.telemetry.recent_ecg(args["unit_id"], args["seconds"]), args["seconds"],
                          strip_id=strip_id_for_command(command_id), reason=StripReason.REQUEST)
        await self._store(args["unit_id"], strip)
        await self.port.execute(
            who,
            lambda state: decide_strip(state, who, args, strip.meta() if strip is not None else None),
            command=(command_id, "telemetry.strip_request"),
            client=client,
        )

    def alarm_strip(self, unit_id: str, code: str, chunks: list[Any]) -> None:
        """A high-priority alarm became active: keep the ECG before it, attached to the unit's incident."""
        strip = cut_strip(chunks, ALARM_STRIP_S, strip_id=str(uuid.uuid4()), reason=StripReason.ALARM,
                          alarm_code=code)
        if strip is None or not (self.port.state.units.get(unit_id) or {}).get("incident_id"):
            log.info("alarm %s of unit %s: no ECG or no current incident; no strip kept", code, unit_id)
            return

        async def keep() -> None:
            if await self._store(unit_id, strip):
                await self.port.system(SYSTEM, lambda s: decide_strip(s, SYSTEM, {"unit_id": unit_id}, strip.meta()),
                                       "alarm strip")

        self.port.spawn(keep(), f"alarm strip {unit_id}")

    async def _store(self, unit_id: str, strip: Strip | None) -> bool:
        """Write the strip's row if the unit has a current incident (the event is decided after)."""
        incident_id = (self.port.state.units.get(unit_id) or {}).get("incident_id")
        if strip is None or not incident_id:
            return False
        try:
            await asyncio.to_thread(self.strips.save, strip, unit_id=unit_id, incident_id=incident_id)
        except Exception:
            log.exception("could not store ECG strip %s of unit %s", strip.strip_id, unit_id)
            return False
        return True
