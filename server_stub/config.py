"""Run-time settings of one server process (the command line fills them in)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server_stub.clients import SLOW_CLIENT_BYTES


@dataclass
class ServerConfig:
    """Run-time settings of one server process (the CLI fills these in)."""

    db_path: Path | str  # an SQLite file, or a PostgreSQL URL (server_stub.store.database_url)
    host: str = "127.0.0.1"
    port: int = 8120
    ring_timeout_s: float = 15.0
    hello_timeout_s: float = 10.0
    poll_interval_s: float = 1.0
    # After a restart, seats that were online get this long to reconnect
    # before the ACD takes them offline (and re-rings their calls).
    seat_grace_s: float = 10.0
    slow_client_bytes: int = SLOW_CLIENT_BYTES
    error_limit: int = 20
    error_window_s: float = 10.0
    # The caller link (server_stub/caller_link.py).
    link_base_url: str | None = None  # e.g. https://120.example.cn ; default http://host:port
    link_ttl_s: float = 2 * 3600.0
    ice_servers: tuple[dict, ...] = ()  # WebRTC STUN/TURN for caller video, as RTCIceServer dicts
    tls_cert: Path | None = None
    tls_key: Path | None = None
    # Failed hellos allowed per source address and per presented token in a sliding
    # window before further hellos are refused (close 1013; server_stub/auth.py LoginLimiter).
    login_failures_per_address: int = 20
    login_failures_per_credential: int = 5
    login_window_s: float = 60.0
    sms_gateway: Any = None  # an app.sms.SmsGateway; None: the simulated one
    caller_photos_kept: bool = True  # --caller-photos keep|discard
    caller_media_days: float = 0.0  # --caller-media-days: photos deleted N days after the incident closed; 0: never
    responder_radius_m: int = 500  # first responders alerted within this (server_stub/responders.py)
    # Telemetry dated further than this ahead of the server's clock is refused (server_stub/telemetry.py).
    max_device_clock_skew_s: float = 60.0
    # --commit-timeout-s: PostgreSQL commits with no answer in this long fail their batch (EventStore.commit_async).
    commit_timeout_s: float = 30.0
    # Devices (ambulance terminals) see incidents without the caller's callback number unless
    # the centre allows it (server_stub/visibility.py).
    devices_see_callback_number: bool = False
    # --bus: the fan-out between instances on one database (server_stub/fanout.py); None: this process only.
    bus_url: str | None = None
    # --track-interval-s: positions of units on an incident kept for track playback every N s of
    # device time (server_stub/track.py); 0: none kept.
    track_interval_s: float = 5.0
    walk_router: Any = None  # --city: an app.routing GraphRouter on the walking graph; None: straight-line walks
