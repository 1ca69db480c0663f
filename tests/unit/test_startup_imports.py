"""Starting ``dispatch120`` imports only what the seat's first paint needs.

Every start builds the whole command line (``map``, ``route``, ``report``, ``records``, …),
the seat's included: the command modules register their parsers without importing their
implementation, which the command imports when it runs (SQLAlchemy, scipy, pandas through
folium, pyqtgraph cost seconds together on the seat's start; bench/README.md §3).
"""

from __future__ import annotations

import json
import os
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


# What the seat's first paint must not wait for: reading a log (SQLAlchemy), the ECG buffers
# (numpy, loaded with the first waveform sample), routing, the map page's builder, plotting,
# what only other commands of `dispatch120` run (training scenarios, the vignette player), the
# panels built after the first paint (the triage questionnaire; the caller link and its QR codes)
# and the training seat's caller voice.
NOT_BEFORE_FIRST_PAINT = ("sqlalchemy", "numpy", "scipy", "pandas", "folium", "pyqtgraph",
                          "app.sim.scenario", "app.triage.vignettes", "app.triage.check",
                          "widgets.questionnaire", "widgets.cpr_coach", "widgets.caller_link_panel", "segno",
                          "widgets.caller_voice", "app.sim.voice")

# The seat's composition root, as `dispatch120` runs it, until the window's first paint; then the
# modules loaded at that moment. A private settings file and XDG tree; the token in the in-memory
# keyring; a server that is not there (the seat starts, tries to connect and keeps taking calls).
FIRST_PAINT_PROBE = """
import json, sys
from app import secrets
from app.__main__ import build_parser, seat_session
secrets.use_memory_backend()
secrets.set_token("seat-probe", "probe-token")
args = build_parser().parse_args(["--server-url", "ws://127.0.0.1:9/ws", "--seat-id", "seat-probe",
                                  "--journal", JOURNAL, "--language", "zh_CN", "--log-level", "WARNING"])
at_first_paint = []
with seat_session(args) as runtime:
    from PySide6.QtCore import QEvent, QObject, QTimer

    class FirstPaint(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint and not at_first_paint:
                at_first_paint.append(sorted(sys.modules))
                QTimer.singleShot(0, runtime.qapp.quit)
            return False

    watch = FirstPaint(runtime.window)
    runtime.window.installEventFilter(watch)
    QTimer.singleShot(60_000, runtime.qapp.quit)
    runtime.qapp.exec()
print(json.dumps(at_first_paint[0] if at_first_paint else None))
"""


def _seat_modules_at_first_paint(tmp_path: Path) -> set[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("XDG_", "DISPATCH120_"))}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"):
        (tmp_path / var).mkdir(mode=0o700)
        env[var] = str(tmp_path / var)
    user_config = tmp_path / "dispatch120.toml"
    user_config.write_text(f'log_dir = "{(tmp_path / "logs").as_posix()}"\n', encoding="utf-8")
    env.update(DISPATCH120_USER_CONFIG=str(user_config), DISPATCH120_MACHINE_CONFIG=str(tmp_path / "none.toml"),
               QT_QPA_PLATFORM="offscreen")
    env["QTWEBENGINE_CHROMIUM_FLAGS"] = (env.get("QTWEBENGINE_CHROMIUM_FLAGS", "") + " --no-sandbox").strip()
    code = f"JOURNAL = {str(tmp_path / 'journal.sqlite')!r}\n{FIRST_PAINT_PROBE}"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120, check=True).stdout
    loaded = json.loads(out.strip().splitlines()[-1])
    assert loaded is not None, "the seat's window was never painted"
    return set(loaded)


def test_the_seat_paints_its_window_before_loading_a_database_numeric_or_map_library(tmp_path):
    loaded = _seat_modules_at_first_paint(tmp_path)

    assert "widgets.main_window" in loaded and "app.seat.kpi_fetch" in loaded  # the real seat, "My shift" too
    assert [name for name in NOT_BEFORE_FIRST_PAINT if name in loaded] == []
    # "My shift" needs the centre's shifts (app.records.periods), not the report's folding and formulas.
    assert "app.records.periods" in loaded and "app.records.kpi" not in loaded


ECG_CHUNK_PROBE = """
import json, sys
from app.protocol.telemetry import CHANNELS
from app.seat.store import SeatStore
store = SeatStore()
before = "numpy" in sys.modules
chunk = {"channel": "ECG_II", "mdc_code": CHANNELS["ECG_II"][0], "unit": "mV", "start": "2026-11-27T02:00:00.000Z",
         "period_ms": 4, "origin": 0, "factor": 0.005, "samples": [0, 100, 200, 100], "lead_off": False}
changed = store.telemetry.apply({"v": 1, "type": "unit_telemetry", "unit_id": "A1", "kind": "waveform",
                                 "t": "2026-11-27T02:00:00.016Z", "seq": 1, "data": chunk})
trace = store.telemetry.units["A1"].waveforms["ECG_II"].window(0.016)[1].tolist() if changed else None
print(json.dumps({"before": before, "after": "numpy" in sys.modules, "trace": trace,
                  "error": store.telemetry.last_error}))
"""


def test_the_ecg_buffers_load_numpy_with_the_first_waveform_sample():
    out = subprocess.run([sys.executable, "-c", ECG_CHUNK_PROBE], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    seen = json.loads(out.strip().splitlines()[-1])

    assert seen["error"] is None
    assert (seen["before"], seen["after"]) == (False, True)
    assert seen["trace"] == [0.0, 0.5, 1.0, 0.5]  # mV: (sample - origin) * factor


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
