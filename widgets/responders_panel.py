"""First responders for the incident in the form (:mod:`app.domain.responders`).

:class:`RespondersPanel` shows, per alert, the volunteers alerted (with their distance), who
accepted, declined or arrived, and the AED fetcher with the AED and the walking ETA. The
button "Alert first responders" sends ``responders.alert`` (the server picks the volunteers
within its radius from their live positions; nobody in range comes back as an error).
GUI thread only.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QLabel, QListWidget, QPushButton, QVBoxLayout, QWidget

from app.domain.responders import alerts_of
from app.seat.store import SeatStore
from widgets.command_runner import CommandRunner
from widgets.labels import format_distance, format_eta, responder_response_text


class RespondersPanel(QWidget):
    """Volunteers and the AED for the form's incident. GUI thread."""

    def __init__(self, store: SeatStore, runner: CommandRunner,
                 incident_for_dispatch: Callable[[], str | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("RespondersPanel")
        self.store, self.runner = store, runner
        self._incident_for_dispatch = incident_for_dispatch
        self.incident_id: str | None = None
        self.alert_button = QPushButton()
        self.alert_button.setObjectName("AlertRespondersButton")
        self.alert_button.clicked.connect(self.alert)
        self.summary = QLabel()
        self.summary.setObjectName("RespondersSummary")
        self.summary.setWordWrap(True)
        self.list = QListWidget()
        self.list.setObjectName("RespondersList")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.alert_button)
        layout.addWidget(self.summary)
        layout.addWidget(self.list)
        self.retranslate_ui()
        store.events.incident_changed.connect(self._on_incident_changed)
        store.events.responder_alert_changed.connect(self._on_responder_alert_changed)
        store.events.state_reset.connect(self.refresh)

    def follow_incident(self, incident_id: str | None) -> None:
        self.incident_id = incident_id
        self.refresh()

    def alert(self) -> bool:
        incident_id = self._incident_for_dispatch()
        if incident_id is None:
            return False
        return self.runner.run(self.runner.commands.alert_responders, lambda: self.tr("Alerting first responders"),
                               incident_id=incident_id) is not None

    def _on_incident_changed(self, incident_id: str) -> None:
        if incident_id == self.incident_id:
            self.refresh()

    def _on_responder_alert_changed(self, alert_id: str) -> None:
        alert = self.store.state.responder_alerts.get(alert_id) or {}
        if alert.get("incident_id") == self.incident_id:
            self.refresh()

    def refresh(self) -> None:
        state = self.store.state
        self.list.clear()
        alerts = alerts_of(state, self.incident_id) if self.incident_id else []
        alerted = accepted = arrived = 0
        for alert in alerts:
            fetcher = alert.get("fetcher") or {}
            for v in alert["alerted"]:
                vid = v["volunteer_id"]
                name = (state.principals.get(vid) or {}).get("name") or vid
                response = alert["responses"].get(vid)
                alerted += 1
                accepted += response in ("accepted", "arrived")
                arrived += response == "arrived"
                text = f"{name} · {format_distance(v['distance_m'])} · " + (
                    responder_response_text(response) if response else self.tr("no answer yet"))
                if fetcher.get("volunteer_id") == vid:
                    aed = (state.aeds.get(fetcher["aed_id"]) or {}).get("name") or fetcher["aed_id"]
                    text += " · " + self.tr("fetching AED %1, walk %2").replace("%1", aed).replace(
                        "%2", format_eta(fetcher.get("walk_s")))
                self.list.addItem(text)
        if not alerts:
            self.summary.setText(self.tr("No first responder alerted."))
        else:
            self.summary.setText(self.tr("Alerted %1, accepted %2, arrived %3").replace("%1", str(alerted))
                                 .replace("%2", str(accepted)).replace("%3", str(arrived)))
        self.alert_button.setEnabled(self.incident_id is not None)

    def retranslate_ui(self) -> None:
        self.alert_button.setText(self.tr("Alert first responders"))
        self.refresh()
