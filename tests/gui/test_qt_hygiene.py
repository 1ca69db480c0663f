"""The suite's guard: a test that leaves a window or an object parented to the application fails, by name."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.gui

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(90)
def test_a_test_that_leaves_a_window_or_an_object_on_the_application_fails_naming_them(tmp_path):
    suite = tmp_path / "suite"
    suite.mkdir()
    shutil.copy(ROOT / "tests" / "conftest.py", suite / "conftest.py")
    (suite / "test_leaky.py").write_text(textwrap.dedent("""
        from PySide6.QtCore import QObject
        from PySide6.QtWidgets import QApplication, QWidget

        KEPT = []

        def test_forgets_a_window(qtbot):
            window = QWidget()
            window.setObjectName("ForgottenWindow")
            window.show()
            KEPT.append(window)

        def test_parents_an_object_to_the_application(qtbot):
            stray = QObject(QApplication.instance())
            stray.setObjectName("StrayObject")

        def test_gives_its_window_to_qtbot(qtbot):
            window = QWidget()
            qtbot.addWidget(window)
            window.show()

        def test_a_seat_that_cannot_start_waits_on_no_dialog(qtbot):
            from widgets import seat_app

            seat_app.show_startup_problem(seat_app.StartupProblem.NO_SEAT_ID)  # modal: would never return
    """), encoding="utf-8")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))

    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "qt_api=pyside6",
                          str(suite)], cwd=suite, env=env, capture_output=True, text=True, timeout=80)

    out = run.stdout
    assert run.returncode == 1, out
    assert "4 passed, 2 errors" in out, out
    assert "top-level widget QWidget 'ForgottenWindow'" in out
    assert "child of the QApplication QObject 'StrayObject'" in out
    assert "ERROR test_leaky.py::test_gives_its_window_to_qtbot" not in out
