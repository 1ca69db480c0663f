"""``dispatch120-server admin``: the registry and credentials, from the command line.

Runs in its own process, possibly while the server runs on the same database:
it writes through the same :meth:`EventStore.commit` (``BEGIN IMMEDIATE`` and
the log-end check), and the running server picks the new events up within a
second. Registry changes are events (actor ``admin-cli``, role ``admin``);
the credential's secret part (a token hash) goes only to ``principals``.

Every function here returns a process exit code: 0 done, 2 bad input (the
message says what to fix), 1 anything else (database trouble).
"""

from __future__ import annotations

import json
import os
import sys
import unicodedata
from argparse import Namespace
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import yaml

from app.domain.model import Role
from app.domain.state import State
from app.protocol import ProtocolError, new_id, now_iso, validate_event
from server_stub.projection import project
from server_stub.registry import (
    InputError,
    Plan,
    Registry,
    check_access,
    check_id,
    hospital_capabilities,
    parse_registry,
    place,
    plan_new_token,
    plan_registry,
    plan_revoke,
    principal_spec,
    unit_spec,
)
from server_stub.store import Batch, EventStore, PrincipalRow, StaleLogError

ADMIN_ACTOR = {"id": "admin-cli", "role": "admin"}
EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2


def load_state(store: EventStore) -> State:
    state = State()
    for msg in store.iter_events():
        state.apply(msg)
    return state


def apply_plan(store: EventStore, build: Callable[[State, dict[str, PrincipalRow]], Plan]) -> Plan:
    """Build a plan on the current log and commit it; rebuild and retry if the server wrote meanwhile.

    Raises:
        InputError: from ``build``.
        StaleLogError: the log kept moving for 5 attempts.
        sqlalchemy.exc.SQLAlchemyError: database failure.
    """
    for _attempt in range(5):
        state = load_state(store)
        existing = {row.id: row for row in store.principals()}
        plan = build(state, existing)
        for name, data in plan.drafts:
            try:
                validate_event(name, data)
            except ProtocolError as exc:
                raise InputError(f"{name}: {exc.message}") from None
        proj = project(state, plan.drafts, ts=now_iso(), actor=ADMIN_ACTOR, ref=new_id())
        batch = Batch(expected_seq=state.seq, events=proj.events, changed=proj.changed, principals=plan.principals)
        try:
            store.commit(batch)
        except StaleLogError:
            continue
        return plan
    raise StaleLogError("the log kept changing while the admin command ran; try again")


def _print_plan(plan: Plan, out: TextIO) -> None:
    for line in plan.created:
        print(line, file=out)
    for line in plan.unchanged:
        print(f"{line}: unchanged", file=out)


def _print_tokens(plan: Plan, out: TextIO) -> None:
    for principal_id, token in plan.tokens.items():
        print(
            f"\nOne-time token for {principal_id} (shown only now; it cannot be shown again,"
            f" only replaced with `admin rotate-token {principal_id}`):\n\n    {token}\n",
            file=out,
        )


def run_registry_change(store: EventStore, registry: Registry, out: TextIO) -> int:
    plan = apply_plan(store, lambda state, existing: plan_registry(state, existing, registry, create_only=True))
    _print_plan(plan, out)
    _print_tokens(plan, out)
    return EXIT_OK


# ---------------------------------------------------------------- subcommands
def cmd_init(store: EventStore, args: Any, out: TextIO) -> int:
    print(f"database ready: {store.label} (event log at seq {store.max_seq()})", file=out)
    return EXIT_OK


def cmd_add_seat(store: EventStore, args: Any, out: TextIO) -> int:
    spec = principal_spec(args.id, Role.SEAT, args.name, None, "seat")
    return run_registry_change(store, Registry(principals=[spec]), out)


def cmd_add_device(store: EventStore, args: Any, out: TextIO) -> int:
    spec = principal_spec(args.id, Role.DEVICE, args.name, args.unit, "device")
    return run_registry_change(store, Registry(principals=[spec]), out)


def cmd_add_switch(store: EventStore, args: Any, out: TextIO) -> int:
    spec = principal_spec(args.id, Role.SWITCH, args.name, None, "switch")
    return run_registry_change(store, Registry(principals=[spec]), out)


def cmd_add_trainer(store: EventStore, args: Any, out: TextIO) -> int:
    spec = principal_spec(args.id, Role.TRAINER, args.name, None, "trainer")
    return run_registry_change(store, Registry(principals=[spec]), out)


def cmd_add_wall(store: EventStore, args: Namespace, out: TextIO) -> int:
    """The centre's wall display: a read-only credential (no command is accepted from it)."""
    spec = principal_spec(args.id, Role.WALL, args.name, None, "wall display")
    return run_registry_change(store, Registry(principals=[spec]), out)


def cmd_add_supervisor(store: EventStore, args: Namespace, out: TextIO) -> int:
    """A shift supervisor's dashboard: read-only like the wall, and the whole KPI report (``GET /kpi``)."""
    spec = principal_spec(args.id, Role.SUPERVISOR, args.name, None, "supervisor")
    return run_registry_change(store, Registry(principals=[spec]), out)


def cmd_add_hospital_console(store: EventStore, args: Any, out: TextIO) -> int:
    """A receiving hospital's console (pre-notification), bound to one registered hospital."""
    spec = principal_spec(args.id, Role.HOSPITAL, args.name, args.hospital, "hospital console")

    def build(state: State, existing: dict[str, PrincipalRow]) -> Plan:
        if spec.unit_id not in state.hospitals:
            raise InputError(f"hospital console {spec.id}: hospital {spec.unit_id} does not exist (add-hospital first)")
        return plan_registry(state, existing, Registry(principals=[spec]), create_only=True)

    plan = apply_plan(store, build)
    _print_plan(plan, out)
    _print_tokens(plan, out)
    return EXIT_OK


def cmd_add_station(store: EventStore, args: Any, out: TextIO) -> int:
    station = place(args.id, args.name, args.lat, args.lon, "station")
    return run_registry_change(store, Registry(stations=[station]), out)


def cmd_add_hospital(store: EventStore, args: Any, out: TextIO) -> int:
    hospital = place(args.id, args.name, args.lat, args.lon, "hospital")
    return run_registry_change(store, Registry(hospitals=[hospital]), out)


def cmd_add_volunteer(store: EventStore, args: Any, out: TextIO) -> int:
    spec = principal_spec(args.id, Role.VOLUNTEER, args.name, None, "volunteer")
    return run_registry_change(store, Registry(principals=[spec]), out)


def cmd_add_aed(store: EventStore, args: Any, out: TextIO) -> int:
    """An AED: ``aed.registered``; registering an id again updates it."""
    aed = place(args.id, args.name, args.lat, args.lon, "AED")
    data = {"aed_id": aed.id, "name": aed.name, "lat": aed.lat, "lon": aed.lon,
            "access": check_access(args.access, "AED access")}

    def build(state: State, existing: dict[str, PrincipalRow]) -> Plan:
        if state.aeds.get(aed.id) == data:
            return Plan(unchanged=[f"AED {aed.id}"])
        return Plan(drafts=[("aed.registered", data)],
                    created=[f"AED {aed.id} {'updated' if aed.id in state.aeds else 'registered'}"])

    _print_plan(apply_plan(store, build), out)
    return EXIT_OK


def cmd_set_hospital(store: EventStore, args: Any, out: TextIO) -> int:
    """A hospital's capabilities: ``hospital.capabilities_set`` (replaces the set)."""
    data = hospital_capabilities(args.id, (args.capabilities or "").split(","), args.trauma_level, "hospital")
    hospital_id, flags = data["hospital_id"], data["capabilities"]

    def build(state: State, existing: dict[str, PrincipalRow]) -> Plan:
        if hospital_id not in state.hospitals:
            raise InputError(f"hospital {hospital_id} does not exist (add it with add-hospital first)")
        return Plan(drafts=[("hospital.capabilities_set", data)],
                    created=[f"hospital {hospital_id}: capabilities {', '.join(flags) or '(none)'}"])

    _print_plan(apply_plan(store, build), out)
    return EXIT_OK


def cmd_add_unit(store: EventStore, args: Any, out: TextIO) -> int:
    unit = unit_spec(args.id, args.call_sign, args.station, args.capability, "unit")
    return run_registry_change(store, Registry(units=[unit]), out)


def cmd_new_token(store: EventStore, args: Any, out: TextIO) -> int:
    principal_id = check_id(args.principal_id, "principal id")
    plan = apply_plan(store, lambda state, existing: plan_new_token(state, existing.get(principal_id), principal_id))
    _print_plan(plan, out)
    _print_tokens(plan, out)
    return EXIT_OK


def cmd_revoke(store: EventStore, args: Any, out: TextIO) -> int:
    principal_id = check_id(args.principal_id, "principal id")
    plan = apply_plan(store, lambda state, existing: plan_revoke(existing.get(principal_id), principal_id))
    _print_plan(plan, out)
    return EXIT_OK


def cmd_list(store: EventStore, args: Any, out: TextIO) -> int:
    state = load_state(store)
    principals = store.principals()
    created = {pid: ts[:19].replace("T", " ") for pid, ts in store.principal_created_at().items()}
    print(f"database {store.label}, event log at seq {state.seq}\n", file=out)
    _table(
        "Credentials",
        ["id", "role", "name", "unit", "revoked", "created (UTC)"],
        [[p.id, p.role, p.name, p.unit_id or "", "yes" if p.revoked else "", created.get(p.id, "")] for p in principals],
        out,
    )
    _table(
        "Units",
        ["id", "call sign", "station", "capability", "status"],
        [
            [u["unit_id"], u["call_sign"], u.get("station_id") or "", u["capability"], u["status"]]
            for u in sorted(state.units.values(), key=lambda u: u["unit_id"])
        ],
        out,
    )
    for title, table, key in (("Stations", state.stations, "station_id"), ("Hospitals", state.hospitals, "hospital_id")):
        _table(
            title,
            ["id", "name", "lat", "lon"],
            [[e[key], e["name"], f"{e['lat']:.6f}", f"{e['lon']:.6f}"] for e in sorted(table.values(), key=lambda e: e[key])],
            out,
        )
    return EXIT_OK


def cmd_import(store: EventStore, args: Any, out: TextIO) -> int:
    path = Path(args.registry)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{path} is not valid YAML: {exc}") from None
    registry = parse_registry(doc)
    tokens_out = Path(args.tokens_out)
    # Open (0600) before committing, so an unwritable path fails before anything is stored.
    handle = _open_private(tokens_out)
    try:
        plan = apply_plan(store, lambda state, existing: plan_registry(state, existing, registry, create_only=False))
    except BaseException:
        handle.close()
        tokens_out.unlink(missing_ok=True)
        raise
    with handle:
        handle.write(json.dumps(plan.tokens, indent=2, ensure_ascii=False) + "\n")
    _print_plan(plan, out)
    print(f"\n{len(plan.tokens)} token(s) written to {tokens_out} (mode 0600); the old tokens of these ids no longer work", file=out)
    return EXIT_OK


def _open_private(path: Path) -> TextIO:
    """Open a file for writing that only the owner can read, even if it existed before."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}") from None
    if hasattr(os, "fchmod"):
        os.fchmod(fd, 0o600)
    return os.fdopen(fd, "w", encoding="utf-8")


def _width(text: str) -> int:
    # Chinese characters take two terminal columns.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _table(title: str, header: Sequence[str], rows: list[list[str]], out: TextIO) -> None:
    print(f"{title} ({len(rows)})", file=out)
    if not rows:
        print("  (none)\n", file=out)
        return
    widths = [max(_width(str(r[i])) for r in [list(header), *rows]) for i in range(len(header))]
    for row in [list(header), *rows]:
        cells = [str(c) + " " * (w - _width(str(c))) for c, w in zip(row, widths, strict=True)]
        print("  " + "  ".join(cells).rstrip(), file=out)
    print(file=out)


COMMANDS: dict[str, Callable[[EventStore, Any, TextIO], int]] = {
    "init": cmd_init,
    "add-seat": cmd_add_seat,
    "add-device": cmd_add_device,
    "add-switch": cmd_add_switch,
    "add-trainer": cmd_add_trainer,
    "add-hospital-console": cmd_add_hospital_console,
    "add-wall": cmd_add_wall,
    "add-supervisor": cmd_add_supervisor,
    "add-station": cmd_add_station,
    "add-hospital": cmd_add_hospital,
    "add-unit": cmd_add_unit,
    "add-volunteer": cmd_add_volunteer,
    "add-aed": cmd_add_aed,
    "set-hospital": cmd_set_hospital,
    "rotate-token": cmd_new_token,
    "new-token": cmd_new_token,  # the older name of rotate-token
    "revoke": cmd_revoke,
    "list": cmd_list,
    "import": cmd_import,
}


def run(args: Any, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run one admin subcommand (``args.admin_command``) on ``args.db``. Returns the exit code.

    Output goes to ``out``/``err`` (default: the current sys.stdout/sys.stderr).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    if args.admin_command == "verify":  # reads only: never opens (creates, upgrades) the store
        from server_stub import verify

        return verify.run(args.db, out, err, anchor=getattr(args, "anchor", None))
    from sqlalchemy.exc import SQLAlchemyError

    from server_stub.store import SchemaVersionError

    try:
        store = EventStore(args.db)
    except (SQLAlchemyError, SchemaVersionError, OSError) as exc:
        print(f"error: cannot open the database {args.db}: {exc}", file=err)
        return EXIT_FAILED
    try:
        return COMMANDS[args.admin_command](store, args, out)
    except InputError as exc:
        print(f"error: {exc}", file=err)
        return EXIT_BAD_INPUT
    except (SQLAlchemyError, StaleLogError) as exc:
        print(f"error: database: {exc}", file=err)
        return EXIT_FAILED
    finally:
        store.close()
