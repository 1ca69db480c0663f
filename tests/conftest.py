"""Test-session set-up shared by every test folder.

The whole run gets its own XDG directories, so no test reads the developer's
settings or writes journals, logs or training databases into their home
(platformdirs follows XDG on Linux; child processes inherit the variables).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

_ROOT = Path(tempfile.mkdtemp(prefix="dispatch120-tests-"))
atexit.register(shutil.rmtree, _ROOT, ignore_errors=True)
for _name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
    _dir = _ROOT / _name.lower()
    _dir.mkdir()
    os.environ[_name] = str(_dir)
# Temporary files of the tests and their children (e.g. a training runner
# killed with SIGKILL on purpose cannot clean up after itself) go here too.
_TMP = _ROOT / "tmp"
_TMP.mkdir()
os.environ["TMPDIR"] = str(_TMP)
tempfile.tempdir = None  # re-read TMPDIR
# Machine-wide settings must not leak in from the machine running the tests.
os.environ.setdefault("DISPATCH120_MACHINE_CONFIG", str(_ROOT / "no-machine-config.toml"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
