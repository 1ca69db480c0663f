"""Starting ``dispatch120`` imports only what the seat's first paint needs.

Every start builds the whole command line (``map``, ``route``, ``report``, ``records``, …),
the seat's included: the command modules register their parsers without importing their
implementation, which the command imports when it runs (SQLAlchemy, scipy, pandas through
folium, pyqtgraph cost seconds together on the seat's start; bench/README.md §3).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("sqlalchemy", "scipy", "pandas", "folium", "pyqtgraph")


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60,
                         check=True).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_starting_dispatch120_imports_no_database_routing_map_or_plotting_library():
    loaded = _modules_after("import app.__main__\napp.__main__.build_parser()")

    assert [name for name in HEAVY if name in loaded] == []
    assert not any(name.startswith("PySide6") for name in loaded)  # Qt comes with the seat, not the parser


def test_the_seat_window_module_imports_no_database_library():
    # The seat's "My shift" view uses the KPI shift arithmetic; SQLAlchemy is for reading a log only.
    loaded = _modules_after("import widgets.main_window")

    assert "sqlalchemy" not in loaded


def test_a_records_command_still_loads_its_implementation_when_it_runs(tmp_path):
    loaded = _modules_after(
        "import contextlib, io\nfrom app.__main__ import main\n"
        "with contextlib.redirect_stderr(io.StringIO()):\n"
        f"    main(['records', 'show', '--db', {str(tmp_path / 'missing.sqlite')!r}, '--incident', 'abcdef'])")

    assert "sqlalchemy" in loaded


def test_the_command_line_defaults_are_the_implementations():
    from app.mapdata import route_cli
    from app.records import cli as records_cli
    from app.records import incident, kpi, record_render, report
    from app.routing import snap

    assert route_cli.MAX_SNAP_M == snap.MAX_SNAP_M
    assert records_cli.DEFAULT_TZ == kpi.DEFAULT_TZ
    assert records_cli.DEFAULT_SHIFTS == kpi.DEFAULT_SHIFTS
    assert records_cli.REPORT_FORMATS == report.FORMATS
    assert records_cli.RECORD_FORMATS == record_render.FORMATS
    assert records_cli.MIN_ID_PREFIX == incident.MIN_ID_PREFIX


def test_the_map_data_package_exports_the_search_function_whatever_was_imported_first():
    code = ("import app.mapdata.city\nimport app.mapdata\nfrom app.mapdata import search, load_city\n"
            "assert callable(search) and search is app.mapdata.search is app.mapdata.city.search, search\n"
            "assert callable(load_city)\n"
            "assert all(getattr(app.mapdata, name) is not None for name in app.mapdata.__all__)")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=60)
