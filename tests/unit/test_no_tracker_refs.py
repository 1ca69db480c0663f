"""Comments and docs say what the code does, never which tracker issue or ticket asked for it.

A newcomer has the code, not the tracker: "(issue 5)" tells them nothing, "the walking graph
of volunteers fetching an AED" does. This walks the project's sources and docs and lists
every line that cites an issue or ticket number.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FOLDERS = ("app", "widgets", "maps", "server_stub", "tests", "bench", "tools", "resources", "docs", "i18n")
SUFFIXES = {".py", ".yaml", ".yml", ".md", ".ts", ".js", ".html", ".css", ".toml"}
TOP_FILES = ("README.md", "pyproject.toml", "Makefile")
# "issue 5", "issue #12", "(issue 3, item 4)", "ticket", "part A's" (a part of an issue).
TRACKER_REF = re.compile(r"\bissue ?#?\d+|\bticket\b|\bpart [A-Z]'s\b", re.IGNORECASE)


def tracker_refs(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return []
    rel = path.relative_to(ROOT)
    return [f"{rel}:{n}: {line.strip()}" for n, line in enumerate(text.splitlines(), 1) if TRACKER_REF.search(line)]


def project_files() -> list[Path]:
    files = [ROOT / name for name in TOP_FILES if (ROOT / name).is_file()]
    for folder in FOLDERS:
        files += [p for p in (ROOT / folder).rglob("*") if p.suffix in SUFFIXES and p.is_file()
                  and "__pycache__" not in p.parts and "vendor" not in p.parts]
    return sorted(set(files) - {Path(__file__).resolve()})


def test_the_pattern_finds_the_ways_tracker_numbers_were_cited(tmp_path: Path) -> None:
    cited = ["# Routing (issue 5): travel times", '"""Pre-notification (issue 6, item 6)."""',
             "see issue #12", "asked for in the ticket", ":func:`x` wraps part A's Router"]
    plain = ["# the walking graph of volunteers fetching an AED", "an issue with the GPS fix",
             "ticketing desk", "Part of the map"]
    assert all(TRACKER_REF.search(line) for line in cited)
    assert not any(TRACKER_REF.search(line) for line in plain)


def test_no_comment_or_doc_cites_a_tracker_number() -> None:
    offenders = [ref for path in project_files() for ref in tracker_refs(path)]
    assert not offenders, "say what the code does instead of citing the tracker:\n" + "\n".join(offenders)
