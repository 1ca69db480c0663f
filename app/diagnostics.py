"""``dispatch120 diagnostics --out FILE`` and the Help menu's "Copy diagnostics": one zip for support.

The zip holds

* ``check.txt`` — the ``--check`` lines (in the UI language) and ``check.json`` (status and text key
  per check, language-neutral);
* ``versions.json`` — dispatch120, Python, the platform, the protocol and triage protocol set
  versions, and whatever the caller adds (Qt and PySide6 from the GUI side: ``app`` has no Qt);
* ``settings.json`` — every setting with where it came from and the problems found; settings hold
  no secret (:mod:`app.settings` refuses one), and the values still go through the redaction;
* ``logs/`` — the seat's log files (current and rotated), each line redacted.

What never goes in: tokens and patient data. The journal file itself is not included. Every text
put in the zip passes :func:`scrub`, which removes

* every secret :mod:`app.logs` knows (the stored token is read from the keyring first, so it is
  registered even if this process never used it) and anything token-shaped (``app.logs.redact``);
* every personal value found in the seat's journal — callers' numbers and names, addresses,
  descriptions, notes, chat text (:data:`PERSONAL_KEYS`, read-only) — wherever it appears;
* mainland phone numbers (``1[3-9]`` + 9 digits) and 7+-digit numbers, as a net for logs
  written about calls the journal no longer holds.

Thread: any (no Qt); the GUI runs it off the GUI thread.
"""

from __future__ import annotations

import json
import platform
import re
import sqlite3
import sys
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app import logs

PERSONAL_KEYS = frozenset({
    "address", "callback_number", "caller_number", "caller_name", "description", "location_text",
    "note", "notes", "text", "complaint", "name", "phone", "patient_name", "message_text",
})
PERSONAL = "[PERSONAL]"
_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)|(?<![\d.:-])\d{7,}(?![\d.:-])")
MAX_LOG_BYTES = 20_000_000  # per file in the zip: the newest part of a huge log


def personal_values(journal_path: Path) -> set[str]:
    """Every personal string in the journal's events, snapshot, outbox and rejected commands (read-only)."""
    path = Path(journal_path)
    if not path.is_file():
        return set()
    found: set[str] = set()
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=2)
    except sqlite3.Error:
        return found
    try:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        for table in tables:
            columns = [row[1] for row in db.execute(f'PRAGMA table_info("{table}")')]
            for column in columns:
                for (value,) in db.execute(f'SELECT "{column}" FROM "{table}"'):
                    if isinstance(value, str) and value[:1] in "{[":
                        try:
                            _collect(json.loads(value), found, personal=False)
                        except ValueError:
                            pass
    except sqlite3.Error:
        pass
    finally:
        db.close()
    return found


def _collect(value: Any, found: set[str], *, personal: bool) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _collect(item, found, personal=personal or str(key).lower() in PERSONAL_KEYS)
    elif isinstance(value, list):
        for item in value:
            _collect(item, found, personal=personal)
    elif personal and isinstance(value, str) and len(value.strip()) >= 2:
        found.add(value.strip())


def scrub(text: str, personal: Iterable[str] = ()) -> str:
    """``text`` without secrets (``app.logs.redact``), the given personal values and phone numbers."""
    text = logs.redact(text)
    for value in sorted(personal, key=len, reverse=True):
        if value in text:
            text = text.replace(value, PERSONAL)
        # Logs may quote a value as JSON or repr with escapes: catch the escaped forms too.
        for form in (json.dumps(value)[1:-1], repr(value)[1:-1]):
            if form != value and form in text:
                text = text.replace(form, PERSONAL)
    return _PHONE.sub(PERSONAL, text)


def versions(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """dispatch120, Python, platform, protocol and triage protocol set versions, plus ``extra``."""
    found: dict[str, str] = {}
    try:
        from importlib.metadata import version

        found["dispatch120"] = version("dispatch120")
    except Exception:
        found["dispatch120"] = "unknown (not installed as a package)"
    found["python"] = sys.version.split()[0]
    found["platform"] = platform.platform()
    found["frozen"] = str(bool(getattr(sys, "frozen", False)))
    try:
        from app.protocol import PROTOCOL_VERSION

        found["protocol"] = str(PROTOCOL_VERSION)
    except Exception as exc:
        found["protocol"] = f"unknown ({exc})"
    try:
        from app.triage import DEFAULT_PROTOCOL_DIR, load_protocol_set

        found["triage_protocol_set"] = load_protocol_set(DEFAULT_PROTOCOL_DIR).version
    except Exception as exc:
        found["triage_protocol_set"] = f"unknown ({type(exc).__name__}: {exc})"
    found.update(extra or {})
    return found


def settings_dict(settings: object) -> dict[str, object]:
    """The settings as JSON-able values, with their sources and problems."""
    if not is_dataclass(settings):
        return {}
    data: dict[str, object] = {}
    for f in fields(settings):
        value = getattr(settings, f.name)
        if f.name == "problems":
            value = [str(p) for p in value]
        elif f.name == "sources":
            value = dict(value)
        elif isinstance(value, Path):
            value = str(value)
        data[f.name] = value
    return data


def log_files(log_dir: Path | None) -> list[Path]:
    if log_dir is None or not Path(log_dir).is_dir():
        return []
    return sorted(p for p in Path(log_dir).iterdir() if p.is_file() and re.search(r"\.log(\.\d+)?$", p.name))


def write_bundle(out: Path, *, settings: object, check_text: str, check_json: list[dict[str, object]],
                 extra_versions: Mapping[str, str] | None = None, token: str | None = None) -> Path:
    """Write the diagnostics zip to ``out`` (parent directories created). Returns ``out``.

    Args:
        token: the seat's stored token, if the caller could read it: registered for redaction
            (``app.secrets.get_token`` already registers what it reads; this covers callers that
            got it another way).

    Raises:
        OSError: ``out`` cannot be written.
    """
    if token:
        logs.register_secret(token)
    journal = getattr(settings, "journal_path", None)
    personal = personal_values(journal) if journal else set()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    made = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    tmp = out.with_name(out.name + ".part")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        def put(name: str, text: str) -> None:
            bundle.writestr(name, scrub(text, personal))

        put("README.txt", f"dispatch120 diagnostics, made {made}. Tokens and patient data are removed.\n")
        put("check.txt", check_text)
        put("check.json", json.dumps(check_json, ensure_ascii=False, indent=2, default=str))
        put("versions.json", json.dumps(versions(extra_versions), ensure_ascii=False, indent=2))
        put("settings.json", json.dumps(settings_dict(settings), ensure_ascii=False, indent=2, default=str))
        for path in log_files(getattr(settings, "log_dir", None)):
            try:
                with open(path, "rb") as handle:
                    size = path.stat().st_size
                    if size > MAX_LOG_BYTES:
                        handle.seek(size - MAX_LOG_BYTES)
                    raw = handle.read()
            except OSError as exc:
                put(f"logs/{path.name}.error.txt", f"cannot read {path}: {exc}\n")
                continue
            put(f"logs/{path.name}", "\n".join(scrub(line) for line in raw.decode("utf-8", "replace").splitlines()))
    tmp.replace(out)
    return out


def default_bundle_path(directory: Path) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(directory) / f"dispatch120-diagnostics-{stamp}.zip"
