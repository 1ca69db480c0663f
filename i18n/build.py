"""Build Qt translations: i18n/*.ts (committed sources) -> resources/i18n/*.qm (build output).

Usage (from any directory, with the project's venv interpreter):
    python i18n/build.py            # compile every stale .ts into a .qm (pyside6-lrelease)
    python i18n/build.py --force    # compile all of them
    python i18n/build.py --update   # first refresh the .ts files from the sources (pyside6-lupdate)

See i18n/README.md for the translator's workflow.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TS_DIR = ROOT / "i18n"
QM_DIR = ROOT / "resources" / "i18n"
# The catalogue --update creates when it is missing. A .ts file's language is taken from
# the end of its name: dispatch120_zh_CN.ts -> zh_CN.
MAIN_TS = TS_DIR / "dispatch120_zh_CN.ts"


def _tool(name: str) -> str:
    """Find a PySide6 tool, preferring the one installed beside this interpreter.

    The venv's bin/ is usually not on PATH when make calls `.venv/bin/python`, and a
    pyside6-lrelease from another PySide6 could write a .qm the runtime cannot read.
    """
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    found = shutil.which(name)
    if found is None:
        sys.exit(f"i18n: {name} not found; install the project first (make venv)")
    return found


def _sources() -> list[Path]:
    """Python files whose visible strings are translated (Qt code and the composition root)."""
    files: list[Path] = []
    for package in ("widgets", "maps"):
        files += sorted((ROOT / package).rglob("*.py"))
    main = ROOT / "app" / "__main__.py"
    if main.exists():
        files.append(main)
    return [f for f in files if "__pycache__" not in f.parts]


def update() -> None:
    """Refresh every .ts (and create the main one) from the current sources."""
    sources = _sources()
    if not sources:
        print("i18n: no Python sources with translatable strings yet; nothing to update")
        return
    targets = sorted(set(TS_DIR.glob("*.ts")) | {MAIN_TS})
    for ts in targets:
        language = "_".join(ts.stem.split("_")[-2:])  # dispatch120_zh_CN -> zh_CN
        cmd = [
            _tool("pyside6-lupdate"),
            # Paths relative to the .ts keep the file identical across checkouts.
            "-locations", "relative",
            "-target-language", language,
            *(str(s.relative_to(ROOT)) for s in sources),
            "-ts", str(ts.relative_to(ROOT)),
        ]
        print(f"i18n: updating {ts.relative_to(ROOT)} from {len(sources)} files")
        subprocess.run(cmd, check=True, cwd=ROOT)


def build(force: bool = False) -> None:
    """Compile each .ts whose .qm is missing or older than it."""
    sources = sorted(TS_DIR.glob("*.ts"))
    if not sources:
        print("i18n: no .ts files in i18n/ yet; nothing to build")
        return
    QM_DIR.mkdir(parents=True, exist_ok=True)
    lrelease = _tool("pyside6-lrelease")
    for ts in sources:
        qm = QM_DIR / f"{ts.stem}.qm"
        if not force and qm.exists() and qm.stat().st_mtime >= ts.stat().st_mtime:
            print(f"i18n: {qm.relative_to(ROOT)} is up to date")
            continue
        subprocess.run([lrelease, "-silent", str(ts), "-qm", str(qm)], check=True)
        print(f"i18n: built {qm.relative_to(ROOT)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="run pyside6-lupdate first")
    parser.add_argument("--force", action="store_true", help="rebuild every .qm")
    args = parser.parse_args(argv)
    if args.update:
        update()
    build(force=args.force or args.update)
    return 0


if __name__ == "__main__":
    sys.exit(main())
