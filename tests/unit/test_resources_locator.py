"""The shipped data is found one way (``app.resources``): in this checkout, from an installed wheel,
and in a frozen bundle — and no module builds a path to ``resources/`` by hand."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import app
import app.resources as locator
from app.resources import resource_path, resources_root

ROOT = Path(app.__file__).resolve().parents[1]
# Every folder of Python code that ships or runs beside the seat and the server.
CODE_DIRS = ("app", "widgets", "maps", "server_stub", "bench", "tools", "i18n")
# Build steps that write data into this checkout's resources/ (the source of a wheel), never into an
# installed copy: they must name the source tree, not the installed package.
SOURCE_TREE_WRITERS = {
    "i18n/build.py",  # compiles i18n/*.ts into resources/i18n/*.qm; standalone (imports nothing of ours)
    "tools/make_click.py",  # generates resources/sounds/metronome_click.wav
    "tools/convert_ecg_dicom.py",  # converts pydicom's test ECG into resources/ecg/ecg12-1000hz.npz
}


def hand_built_resource_paths(source: str, filename: str) -> list[str]:
    """``file:line  expression`` for every string naming the resources folder as a path part.

    A docstring or message that merely mentions ``resources/…`` in prose is not a path
    (it does not start with the folder's name)."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if text == "resources" or text.startswith(("resources/", "resources\\")):
                found.append((node.lineno, f"{filename}:{node.lineno}  {text!r}"))
    return [line for _, line in sorted(found)]


def test_no_module_builds_a_path_to_the_resources_folder_by_hand():
    found = []
    for folder in CODE_DIRS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            name = path.relative_to(ROOT).as_posix()
            if path == Path(locator.__file__).resolve() or name in SOURCE_TREE_WRITERS:
                continue
            found += hand_built_resource_paths(path.read_text(encoding="utf-8"), name)
    assert found == [], "use app.resources.resource_path(...) instead:\n" + "\n".join(found)


def test_the_check_finds_a_path_built_by_hand():
    module = (
        '"""Reads ``resources/protocols`` (prose, not a path)."""\n'
        "from pathlib import Path\n"
        'A = Path(__file__).parents[1] / "resources" / "maps"\n'
        'B = ROOT / "resources/ecg"\n'
    )
    assert hand_built_resource_paths(module, "m.py") == ["m.py:3  'resources'", "m.py:4  'resources/ecg'"]


def test_the_locator_finds_the_protocols_and_the_callers_page_in_this_checkout():
    assert resources_root() == ROOT / "resources"
    assert resource_path("protocols", "plans.yaml").is_file()
    assert resource_path("caller_page", "index.html").read_bytes().startswith(b"<!")


def test_a_frozen_bundle_without_the_package_uses_the_folder_it_unpacked(tmp_path, monkeypatch):
    (tmp_path / "resources" / "sounds").mkdir(parents=True)
    (tmp_path / "resources" / "sounds" / "metronome_click.wav").write_bytes(b"RIFF")

    def no_package(name):
        raise ModuleNotFoundError(name)

    monkeypatch.setattr(locator.importlib_resources, "files", no_package)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    resources_root.cache_clear()
    try:
        assert resource_path("sounds", "metronome_click.wav").read_bytes() == b"RIFF"
        monkeypatch.setattr(sys, "frozen", False)
        resources_root.cache_clear()
        with pytest.raises(FileNotFoundError, match="not installed"):
            resources_root()
    finally:
        monkeypatch.undo()
        resources_root.cache_clear()
    assert resources_root() == ROOT / "resources"


# pip's messages when it cannot fetch the build backend (offline, no index configured).
OFFLINE_SIGNS = ("No matching distribution found", "Could not find a version", "Failed to establish a new connection",
                 "Temporary failure in name resolution", "Network is unreachable", "ProxyError")


def test_an_installed_wheel_finds_its_data_outside_the_checkout(tmp_path):
    """Build a wheel of the locator and the data with the real pyproject.toml, install it into a fresh
    venv, and read a protocol file from a directory that is not this checkout."""
    src = tmp_path / "src"
    (src / "app").mkdir(parents=True)
    shutil.copy(ROOT / "pyproject.toml", src)
    shutil.copy(ROOT / "app" / "__init__.py", src / "app")
    shutil.copy(ROOT / "app" / "resources.py", src / "app")
    shutil.copytree(ROOT / "resources", src / "resources", ignore=shutil.ignore_patterns("__pycache__"))
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check", "-q",
         "-w", str(tmp_path / "dist"), str(src)],
        capture_output=True, text=True, timeout=300)
    if built.returncode != 0 and any(sign in built.stderr + built.stdout for sign in OFFLINE_SIGNS):
        pytest.skip("cannot build a wheel offline: pip could not fetch the build backend (setuptools) "
                    "for the isolated build")
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("dispatch120-*.whl")

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
                    "--disable-pip-version-check", "-q", str(wheel)], check=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    found = subprocess.run(
        [str(python), "-c",
         "from app.resources import resource_path, resources_root\n"
         "p = resource_path('protocols', 'cardiac_arrest.yaml')\n"
         "print(resources_root()); print(p.is_file() and 'id: cardiac_arrest' in p.read_text(encoding='utf-8'))"],
        cwd=elsewhere, capture_output=True, text=True, timeout=120, env={"PATH": "/usr/bin:/bin"})
    assert found.returncode == 0, found.stderr
    root, readable = found.stdout.split()
    assert "site-packages" in root and not Path(root).is_relative_to(ROOT)
    assert readable == "True"
