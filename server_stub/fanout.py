"""Fan-out between server instances: who appended, live telemetry, unit positions.

Several server instances on one PostgreSQL log already agree on every event: the
log is the only truth, and each instance learns of the others' appends from the
log itself (``NOTIFY`` and a poll, :class:`server_stub.store.AppendListener`).
A :class:`Bus` adds what the log cannot carry, and makes the rest faster:

* **events** — after a commit an instance publishes the seq range it appended
  (:meth:`Bus.publish_events`); every other instance is told (``on_events``) and
  reads the log from where its own state ends. The message is only a wake-up: a
  lost message costs at most one poll interval, a duplicated or late one reads
  nothing new, so a seat sees every event once, in seq order, whatever the bus did;
* **telemetry** — GPS, vitals, alarms and ECG are not in the log. A frame crosses
  to another instance only if a seat there watches its unit: each instance
  announces the units its seats watch (:meth:`Bus.watch` / :meth:`Bus.unwatch`)
  under a key that expires unless refreshed, and :meth:`Bus.publish_telemetry`
  sends nothing for a unit no other instance announced;
* **positions** — every seat sees every unit's position, so each instance publishes
  the positions its devices reported once per flush (at most one item per unit per
  second, :data:`server_stub.telemetry.POSITIONS_EVERY_S`); the receiver merges them
  into its own once-a-second flush, so a seat still gets ≤ 1 item per unit per second.

Credential revocations are events (``principal.revoked``): they reach every instance
with the log, and the ``events`` wake-up makes that immediate. Failed logins are counted
in Redis keys with expiry, so the login limit holds for the centre, not per instance
(:class:`SharedLoginLimits`; each instance alone while Redis is away).

Implementations: :class:`LocalBus` (one process; the default: nothing crosses, nothing
to run) and :class:`RedisBus` (``--bus redis://HOST:PORT/DB``, Redis pub/sub and keys
with expiry). NATS would fit the same shape: subjects for events, telemetry per unit
and positions, a KV bucket with a TTL for the watch announcements.

A lost bus never loses an acked event: events are committed before they are
published, and every instance keeps reading the log (``NOTIFY`` and the poll) while
the bus is away. When it comes back the instance resubscribes, announces its watches
again and reads the log once (``on_events(None)``) in case it slept through a wake-up.

Everything here runs on the server's asyncio loop; the callbacks are called there.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
import time
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from server_stub.auth import LoginLimiter

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger("server_stub.fanout")

# A watch announcement expires this long after its last refresh (a dead instance's watches go away).
WATCH_TTL_S = 15.0
# Announcements are refreshed, and the other instances' read again, this often.
WATCH_REFRESH_S = 5.0
# Outgoing messages waiting for Redis; past this the oldest telemetry is dropped (never a wake-up).
OUTBOX_MESSAGES = 10_000
# How long a start-up waits for the bus before giving up.
CONNECT_TIMEOUT_S = 5.0
# Reconnect delays after the bus was lost: initial, maximum (doubling).
RECONNECT_S = (0.2, 5.0)

EventsCallback = Callable[[int | None], None]  # last seq another instance appended; None: read the log anyway
TelemetryCallback = Callable[[str, str, str], None]  # unit, kind, unit_telemetry frame (encoded)
PositionsCallback = Callable[[list[dict[str, Any]]], None]  # positions items of another instance's devices


class BusUnavailableError(Exception):
    """The bus cannot be reached at start-up (the message says where and why)."""


class Bus(Protocol):
    """What the server needs from a fan-out between its instances. Loop only; nothing here raises
    after :meth:`start` — a bus that is away is logged and reported by :attr:`healthy`."""

    def set_callbacks(
        self, *, on_events: EventsCallback, on_telemetry: TelemetryCallback, on_positions: PositionsCallback
    ) -> None:
        """Where messages from other instances go (set before :meth:`start`)."""

    async def start(self) -> None:
        """Connect and subscribe. Raises BusUnavailableError if the bus cannot be reached."""

    async def close(self) -> None: ...

    @property
    def healthy(self) -> bool:
        """True while connected (a local bus always is)."""

    def publish_events(self, first_seq: int, last_seq: int) -> None:
        """This instance committed events ``first_seq..last_seq`` (call after the commit)."""

    def publish_telemetry(self, unit_id: str, kind: str, frame: str) -> None:
        """A device frame accepted here; sent only if another instance watches ``unit_id``."""

    def publish_positions(self, items: list[dict[str, Any]]) -> None:
        """Positions reported to this instance since its last flush (one item per unit)."""

    def watch(self, unit_id: str) -> None:
        """A seat on this instance started watching ``unit_id``'s telemetry."""

    def unwatch(self, unit_id: str) -> None:
        """No seat on this instance watches ``unit_id`` any more."""

    def stats(self) -> dict[str, Any]: ...


class LocalBus:
    """One instance: nothing crosses (the default; no service to run)."""

    healthy = True

    def set_callbacks(self, **_callbacks: Any) -> None:
        pass

    async def start(self) -> None:
        pass

    async def close(self) -> None:
        pass

    def publish_events(self, first_seq: int, last_seq: int) -> None:
        pass

    def publish_telemetry(self, unit_id: str, kind: str, frame: str) -> None:
        pass

    def publish_positions(self, items: list[dict[str, Any]]) -> None:
        pass

    def watch(self, unit_id: str) -> None:
        pass

    def unwatch(self, unit_id: str) -> None:
        pass

    def stats(self) -> dict[str, Any]:
        return {"kind": "local"}


def namespace_of(database_label: str) -> str:
    """The key and channel prefix of one centre: instances on one database share it, and two
    centres (or a training database) on one Redis never hear each other."""
    return "dispatch120:" + hashlib.sha256(database_label.encode()).hexdigest()[:12]


class RedisBus:
    """:class:`Bus` over Redis (redis-py's asyncio client).

    Keys and channels, all under :func:`namespace_of` ``NS``:

    * ``NS:events`` — ``{"i": instance, "first": seq, "last": seq}`` after each commit;
    * ``NS:telemetry:UNIT`` — the encoded ``unit_telemetry`` frame; an instance subscribes
      to the channels of the units its seats watch;
    * ``NS:positions`` — ``{"i": instance, "items": [...]}`` once per flush;
    * ``NS:watch:INSTANCE`` — JSON list of the units that instance's seats watch, expiring
      after :data:`WATCH_TTL_S` unless refreshed (its presence also says the instance is alive);
    * ``NS:control`` — ``{"i": instance}`` when an instance changed its watches, so the others
      read them at once instead of at the next refresh.

    Args:
        url: ``redis://[:PASSWORD@]HOST:PORT/DB`` (or ``rediss://`` for TLS).
        namespace: see :func:`namespace_of`.
    """

    def __init__(self, url: str, namespace: str) -> None:
        self.url = url
        self.namespace = namespace
        self.instance = uuid.uuid4().hex[:12]
        self._on_events: EventsCallback = lambda _seq: None
        self._on_telemetry: TelemetryCallback = lambda _u, _k, _f: None
        self._on_positions: PositionsCallback = lambda _items: None
        self._redis: Any = None
        self._pubsub: Any = None
        self._healthy = False
        self._closing = False
        self._tasks: list[asyncio.Task[Any]] = []
        self._watch_counts: dict[str, int] = {}
        self._watch_changed = asyncio.Event()
        self._remote_watched: frozenset[str] = frozenset()
        self._others_alive = False
        self._outbox: asyncio.Queue[tuple[str, bytes | str]] = asyncio.Queue()
        self.published: dict[str, int] = {"events": 0, "telemetry": 0, "positions": 0}
        self.received: dict[str, int] = {"events": 0, "telemetry": 0, "positions": 0}
        self.dropped = 0
        self.lost = 0  # times the connection was lost

    # ------------------------------------------------------------ names
    def _channel(self, *parts: str) -> str:
        return ":".join((self.namespace, *parts))

    @property
    def label(self) -> str:
        """The URL without its password (for logs)."""
        from redis.asyncio.connection import parse_url

        try:
            kwargs = parse_url(self.url)
        except ValueError:
            return "redis (bad URL)"
        return f"redis://{kwargs.get('host', '?')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 0)}"

    # ------------------------------------------------------------ life cycle
    def set_callbacks(
        self, *, on_events: EventsCallback, on_telemetry: TelemetryCallback, on_positions: PositionsCallback
    ) -> None:
        self._on_events, self._on_telemetry, self._on_positions = on_events, on_telemetry, on_positions

    @property
    def healthy(self) -> bool:
        return self._healthy

    def client(self) -> Redis | None:
        """The Redis client for keys other parts keep here (the login counts); None while away."""
        return self._redis if self._healthy else None

    async def start(self) -> None:
        """Connect, subscribe and announce. Raises BusUnavailableError if Redis cannot be reached."""
        import redis.asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
        from redis.exceptions import RedisError

        try:
            # No retries inside redis-py: a lost connection surfaces here, is logged once and
            # is reconnected by _listen_forever, which also resubscribes and reads the log.
            self._redis = aioredis.from_url(
                self.url, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=CONNECT_TIMEOUT_S,
                health_check_interval=5, retry=Retry(NoBackoff(), 0),
            )
            await asyncio.wait_for(self._subscribe(), CONNECT_TIMEOUT_S * 2)
        except (RedisError, OSError, TimeoutError, ValueError) as exc:
            await self._drop_connections()
            raise BusUnavailableError(f"cannot reach the bus at {self.label}: {_describe(exc)}") from None
        self._healthy = True
        log.info("bus: %s, namespace %s, instance %s", self.label, self.namespace, self.instance)
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._listen_forever(), name="bus listener"),
            loop.create_task(self._send_forever(), name="bus sender"),
            loop.create_task(self._announce_forever(), name="bus watches"),
        ]

    async def close(self) -> None:
        self._closing = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._redis is not None and self._healthy:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._redis.delete(self._channel("watch", self.instance)), 1.0)
        await self._drop_connections()
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.aclose()

    async def _drop_connections(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
        if self._redis is not None:
            with contextlib.suppress(Exception):
                await self._redis.connection_pool.disconnect()

    async def _subscribe(self) -> None:
        pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
        try:
            await pubsub.subscribe(
                self._channel("events"), self._channel("positions"), self._channel("control"),
                *(self._channel("telemetry", unit) for unit in self._watch_counts),
            )
        except BaseException:
            with contextlib.suppress(Exception):
                await pubsub.aclose()
            raise
        self._pubsub = pubsub
        await self._announce()
        await self._read_remote_watches()

    async def _listen_forever(self) -> None:
        from redis.exceptions import RedisError

        delay = RECONNECT_S[0]
        while not self._closing:
            try:
                if self._pubsub is None:
                    await asyncio.wait_for(self._subscribe(), CONNECT_TIMEOUT_S * 2)
                    self._healthy = True
                    delay = RECONNECT_S[0]
                    log.warning("bus %s is back: resubscribed; reading the log for anything missed", self.label)
                    self._on_events(None)
                    self._watch_changed.set()
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is not None:
                    self._dispatch(message["channel"], message["data"])
            except (RedisError, OSError, TimeoutError) as exc:
                if self._closing:
                    return
                if self._healthy:
                    self.lost += 1
                    log.warning(
                        "lost the bus %s (%s): events still reach every seat through the log "
                        "(NOTIFY and polling); telemetry from other instances stops until it is back",
                        self.label, _describe(exc),
                    )
                self._healthy = False
                await self._drop_connections()
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_S[1])
            except Exception:
                log.exception("bus message could not be handled; going on")

    def _dispatch(self, channel: bytes, data: bytes) -> None:
        name = channel.decode()[len(self.namespace) + 1:]
        if name.startswith("telemetry:"):
            unit = name[len("telemetry:"):]
            if unit in self._watch_counts:  # a message in flight after an unwatch is ignored
                frame = data.decode()
                self.received["telemetry"] += 1
                self._on_telemetry(unit, orjson.loads(frame).get("kind", ""), frame)
            return
        body = orjson.loads(data)
        if body.get("i") == self.instance:
            return  # our own message
        if name == "events":
            self.received["events"] += 1
            self._on_events(int(body["last"]))
        elif name == "positions":
            self.received["positions"] += 1
            self._on_positions(list(body["items"]))
        elif name == "control":
            asyncio.get_running_loop().create_task(self._read_remote_watches_quietly(), name="bus read watches")

    # ------------------------------------------------------------ publishing
    def publish_events(self, first_seq: int, last_seq: int) -> None:
        body = orjson.dumps({"i": self.instance, "first": first_seq, "last": last_seq})
        self._queue(self._channel("events"), body, droppable=False)

    def publish_telemetry(self, unit_id: str, kind: str, frame: str) -> None:
        if unit_id in self._remote_watched:
            self._queue(self._channel("telemetry", unit_id), frame, droppable=True)

    def publish_positions(self, items: list[dict[str, Any]]) -> None:
        if items and self._others_alive:
            self._queue(self._channel("positions"), orjson.dumps({"i": self.instance, "items": items}),
                        droppable=True)

    def _queue(self, channel: str, body: bytes | str, *, droppable: bool) -> None:
        if not self._healthy:
            # While the bus is away the other instances read the log (events) and telemetry
            # cannot cross: nothing is kept to send later (it would be stale).
            self.dropped += 1
            return
        if self._outbox.qsize() >= OUTBOX_MESSAGES and droppable:
            self.dropped += 1
            return
        self._outbox.put_nowait((channel, body))

    async def _send_forever(self) -> None:
        """Send what is queued, many messages per round trip (one pipeline)."""
        while True:
            first = await self._outbox.get()
            batch = [first]
            while not self._outbox.empty() and len(batch) < 1000:
                batch.append(self._outbox.get_nowait())
            if not self._healthy:
                self.dropped += len(batch)
                continue
            try:
                pipe = self._redis.pipeline(transaction=False)
                for channel, body in batch:
                    pipe.publish(channel, body)
                await pipe.execute()
            except Exception as exc:  # the listener notices the loss and reconnects
                self.dropped += len(batch)
                log.debug("publishing %d message(s) failed: %s", len(batch), _describe(exc))
                continue
            for channel, _body in batch:
                kind = channel[len(self.namespace) + 1:].split(":", 1)[0]
                self.published[kind] = self.published.get(kind, 0) + 1

    # ------------------------------------------------------------ watches
    def watch(self, unit_id: str) -> None:
        count = self._watch_counts.get(unit_id, 0)
        self._watch_counts[unit_id] = count + 1
        if count == 0:
            self._watch_changed.set()

    def unwatch(self, unit_id: str) -> None:
        count = self._watch_counts.get(unit_id, 0)
        if count <= 1:
            if self._watch_counts.pop(unit_id, None) is not None:
                self._watch_changed.set()
        else:
            self._watch_counts[unit_id] = count - 1

    def watch_units(self, units: Iterable[str]) -> None:
        for unit in units:
            self.watch(unit)

    async def _announce(self) -> None:
        """Write this instance's watches (with expiry) and tell the others to read them."""
        units = sorted(self._watch_counts)
        await self._redis.set(self._channel("watch", self.instance), orjson.dumps(units), ex=int(WATCH_TTL_S))
        await self._redis.publish(self._channel("control"), orjson.dumps({"i": self.instance}))

    async def _read_remote_watches(self) -> None:
        """The units the other live instances' seats watch (a union of their announcements)."""
        own = self._channel("watch", self.instance)
        keys = [k async for k in self._redis.scan_iter(match=self._channel("watch", "*"), count=100)]
        keys = [k for k in keys if k.decode() != own]
        units: set[str] = set()
        if keys:
            for value in await self._redis.mget(keys):
                if value is not None:
                    units.update(orjson.loads(value))
        self._others_alive = bool(keys)
        self._remote_watched = frozenset(units)

    async def _read_remote_watches_quietly(self) -> None:
        with contextlib.suppress(Exception):
            await self._read_remote_watches()

    async def _announce_forever(self) -> None:
        """Refresh the announcement before it expires; on a change, resubscribe and announce at once."""
        subscribed: set[str] = set(self._watch_counts)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._watch_changed.wait(), WATCH_REFRESH_S)
            self._watch_changed.clear()
            if not self._healthy or self._pubsub is None:
                subscribed = set(self._watch_counts)  # _subscribe takes them all when it is back
                continue
            try:
                wanted = set(self._watch_counts)
                added, removed = wanted - subscribed, subscribed - wanted
                if added:
                    await self._pubsub.subscribe(*(self._channel("telemetry", u) for u in sorted(added)))
                if removed:
                    await self._pubsub.unsubscribe(*(self._channel("telemetry", u) for u in sorted(removed)))
                subscribed = wanted
                await self._announce()
                await self._read_remote_watches()
            except Exception as exc:  # the listener notices a lost connection and reconnects
                log.debug("refreshing watches failed: %s", _describe(exc))
                subscribed = set()
                self._watch_changed.set()
                await asyncio.sleep(RECONNECT_S[0])

    def stats(self) -> dict[str, Any]:
        return {
            "kind": "redis",
            "url": self.label,
            "instance": self.instance,
            "healthy": self._healthy,
            "published": dict(self.published),
            "received": dict(self.received),
            "dropped": self.dropped,
            "lost": self.lost,
            "watching": sorted(self._watch_counts),
            "remote_watched": sorted(self._remote_watched),
            "at": time.time(),
        }


# ------------------------------------------------------------------ failed logins
# How long a hello waits for Redis's login counts before it counts on this instance alone.
LOGIN_COUNTS_TIMEOUT_S = 0.5
LOGIN_KINDS = ("address", "credential")


class LoginLimits(Protocol):
    """The limit on failed logins (:class:`server_stub.auth.LoginLimiter`'s rules), as the
    connection handler asks it. Loop only; never raises."""

    async def retry_after(self, now: float, *, address: str, credential: str) -> tuple[str, float] | None:
        """None if a hello may be checked now; else (``"address"`` or ``"credential"``, seconds to wait)."""

    async def failed(self, now: float, *, address: str, credential: str) -> None:
        """Count one refused hello."""


class LocalLoginLimits:
    """One instance's counts (the in-process bus): a :class:`LoginLimiter` as it is."""

    def __init__(self, local: LoginLimiter) -> None:
        self.local = local

    async def retry_after(self, now: float, *, address: str, credential: str) -> tuple[str, float] | None:
        return self.local.retry_after(now, address=address, credential=credential)

    async def failed(self, now: float, *, address: str, credential: str) -> None:
        self.local.failed(now, address=address, credential=credential)


# The failed-login scripts (Lua: atomic on the Redis server). ARGV[1] is the time in ms, or -1 for
# Redis's TIME; ARGV[2] the window in ms. A set's members are unique: the time and a counter.
_LOGIN_NOW = """
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local window = tonumber(ARGV[2])
"""
# KEYS: one set per kind. ARGV[3]: the most failures worth keeping (the largest limit).
_LOGIN_FAILED = _LOGIN_NOW + """
local keep = tonumber(ARGV[3])
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  redis.call('ZADD', key, now, now .. ':' .. redis.call('INCR', key .. ':n'))
  redis.call('ZREMRANGEBYRANK', key, 0, -(keep + 1))
  redis.call('PEXPIRE', key, window)
  redis.call('PEXPIRE', key .. ':n', window)
end
return 1
"""
# KEYS: one set per kind; ARGV[3..]: each kind's limit. Returns {kind's index, ms to wait} or nil.
_LOGIN_LIMITED = _LOGIN_NOW + """
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[2 + i])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local oldest = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    return {i, tonumber(oldest[2]) + window - now}
  end
end
return nil
"""


class SharedLoginLimits:
    """Failed logins counted across every instance on one Redis (``--bus redis://``).

    Per address and per credential (the SHA-256 of the presented token, never the token) one
    Redis sorted set ``NS:login:KIND:KEY`` holding the times of the failures on any instance,
    in Redis's own clock (``TIME``: the instances' monotonic clocks cannot be compared). Both
    operations are Lua scripts, so each is atomic across instances: a failure drops the times
    that left the window, adds its own and sets the key to expire with the window; a hello is
    limited while the window holds ``limit`` failures, until the oldest of the last ``limit``
    leaves it — the same sliding window as :class:`LoginLimiter`, so a client waits only as
    long as it has to, and a burst right at a window's edge is not let through twice.

    Every failure is also counted in this instance's :class:`LoginLimiter`, and a hello it
    limits is refused without asking Redis. When Redis is away (or slower than
    :data:`LOGIN_COUNTS_TIMEOUT_S`) the local counts are all there is: logins go on, limited
    per instance, and the log says so once until Redis answers again.
    """

    def __init__(self, bus: RedisBus, local: LoginLimiter, *, clock_ms: Callable[[], int] | None = None) -> None:
        self.bus = bus
        self.local = local
        self.degraded = False  # Redis did not answer the last time it was asked
        # None: Redis's TIME, one clock for every instance; tests give their own.
        self.clock_ms = clock_ms

    def _key(self, kind: str, key: str) -> str:
        return ":".join((self.bus.namespace, "login", kind, key))

    async def retry_after(self, now: float, *, address: str, credential: str) -> tuple[str, float] | None:
        limited = self.local.retry_after(now, address=address, credential=credential)
        if limited is not None:
            return limited
        redis = self._redis()
        if redis is None:
            return None
        keys = [self._key(kind, key) for kind, key in zip(LOGIN_KINDS, (address, credential), strict=True)]
        args = [self._now_ms(), self._window_ms(), *(self.local.limit(kind) for kind in LOGIN_KINDS)]
        try:
            answer = await asyncio.wait_for(redis.eval(_LOGIN_LIMITED, len(keys), *keys, *args),
                                            LOGIN_COUNTS_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - whatever Redis did, logins go on counted here
            self._lost(exc)
            return None
        self._answered()
        if not answer:
            return None
        index, wait_ms = int(answer[0]), int(answer[1])
        return LOGIN_KINDS[index - 1], max(wait_ms, 1) / 1000.0

    async def failed(self, now: float, *, address: str, credential: str) -> None:
        self.local.failed(now, address=address, credential=credential)
        redis = self._redis()
        if redis is None:
            return
        keys = [self._key(kind, key) for kind, key in zip(LOGIN_KINDS, (address, credential), strict=True)]
        keep = max(self.local.limit(kind) for kind in LOGIN_KINDS)
        try:
            await asyncio.wait_for(redis.eval(_LOGIN_FAILED, len(keys), *keys, self._now_ms(), self._window_ms(), keep),
                                   LOGIN_COUNTS_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - counted here at least
            self._lost(exc)
            return
        self._answered()

    def _now_ms(self) -> int:
        return -1 if self.clock_ms is None else int(self.clock_ms())

    def _window_ms(self) -> int:
        return max(1, math.ceil(self.local.window_s * 1000))

    def _redis(self) -> Redis | None:
        client = self.bus.client()
        if client is None:
            self._lost(None)
        return client

    def _lost(self, exc: BaseException | None) -> None:
        if not self.degraded:
            self.degraded = True
            why = _describe(exc) if exc is not None else "the bus is away"
            log.warning("login limits: Redis %s does not answer (%s); failed logins are counted on this "
                        "instance only until it is back", self.bus.label, why)

    def _answered(self) -> None:
        if self.degraded:
            self.degraded = False
            log.warning("login limits: Redis %s answers again; failed logins are counted across instances",
                        self.bus.label)


def login_limits(bus: Bus, local: LoginLimiter) -> LoginLimits:
    """Counts shared through ``bus`` when it is Redis; else (one process) ``local``'s alone."""
    if isinstance(bus, RedisBus):
        return SharedLoginLimits(bus, local)
    return LocalLoginLimits(local)


def open_bus(url: str | None, database_label: str) -> Bus:
    """The bus ``--bus`` names: None → :class:`LocalBus`; ``redis://`` / ``rediss://`` → :class:`RedisBus`.

    Raises:
        ValueError: another scheme (the message lists the supported ones).
    """
    if url is None:
        return LocalBus()
    if url.startswith(("redis://", "rediss://")):
        return RedisBus(url, namespace_of(database_label))
    raise ValueError(f"unsupported bus {url.split('://', 1)[0]!r}; use redis://HOST:PORT/DB (or rediss:// for TLS)")


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
