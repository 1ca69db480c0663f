"""``make dist``: the seat and server bundles (PyInstaller, one folder each), then their ``.deb`` packages.

    python installer/build.py [--out dist/] [--cache build/dist-cache] [--version 0.1.0]

1. Compile the translations (``i18n/build.py``), so the bundle carries current ``.qm`` files.
2. Run PyInstaller on ``installer/dispatch120.spec`` and ``installer/dispatch120-server.spec``
   (both at once: the two builds together take about as long as the seat's alone on 2 cores).
   The bundles are cached under ``--cache`` in a folder named by :func:`source_hash` — the
   sources, the data, the specs, the lock file and the Python/PyInstaller versions — and reused
   when nothing changed (``--rebuild`` forces a build).
3. Stage and build ``dispatch120_<v>_amd64.deb`` and ``dispatch120-server_<v>_amd64.deb`` with
   ``dpkg-deb`` (zstd) from ``installer/debian/``.
4. Print the bundle and package sizes and the time of each step; write them to
   ``<out>/build-info.json``.

PyInstaller comes from the ``dist`` extra, installed by ``make dist`` with the lock file
(``requirements.lock``) as constraints, so the bundle holds exactly the locked versions.
Linux only (``dpkg-deb``); the Windows bundle is built on Windows (docs/install.md).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEBIAN = HERE / "debian"
LOCK = ROOT / "requirements.lock"
SEAT, SERVER = "dispatch120", "dispatch120-server"
SPECS = {SEAT: HERE / "dispatch120.spec", SERVER: HERE / "dispatch120-server.spec"}
# Everything that goes into a bundle; a change in any of these means a new build.
HASHED = ("app", "widgets", "maps", "server_stub", "resources", "installer", "i18n", "pyproject.toml",
          "requirements.lock")
SKIPPED_PARTS = {"__pycache__", "stand-in"}


class BuildError(RuntimeError):
    """A build step failed; the message says which and ends with its output."""


@dataclass
class BuildInfo:
    version: str
    source_hash: str
    bundles_cached: bool = False
    seconds: dict[str, float] = field(default_factory=dict)
    bundle_bytes: dict[str, int] = field(default_factory=dict)
    deb_bytes: dict[str, int] = field(default_factory=dict)
    debs: dict[str, str] = field(default_factory=dict)


# ---------------------------------------------------------------- versions and hashing


def project_version() -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if not match:
        raise BuildError("no version in pyproject.toml")
    return match.group(1)


def debian_version(version: str) -> str:
    """A PEP 440 version as Debian orders it: ``0.2.0rc1`` → ``0.2.0~rc1`` (before ``0.2.0``)."""
    return re.sub(r"(\d)(a|b|rc|dev)", r"\1~\2", version.replace(".dev", "dev"))


def _pyinstaller_version() -> str:
    try:
        from PyInstaller import __version__
    except ImportError:
        return "none"
    return str(__version__)


def source_hash() -> str:
    """A digest of every file that goes into the bundles, and of the tools that build them."""
    digest = hashlib.sha256()
    digest.update(f"{sys.version}|{platform.machine()}|{_pyinstaller_version()}".encode())
    for top in HASHED:
        base = ROOT / top
        paths = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in paths:
            rel = path.relative_to(ROOT)
            if SKIPPED_PARTS & set(rel.parts) or path.suffix in (".pyc", ".log"):
                continue
            digest.update(str(rel).encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def tree_bytes(path: Path) -> int:
    return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_dir())


# ---------------------------------------------------------------- bundles


def compile_translations() -> None:
    run = subprocess.run([sys.executable, str(ROOT / "i18n" / "build.py")], cwd=ROOT, capture_output=True, text=True)
    if run.returncode != 0:
        raise BuildError(f"i18n/build.py failed:\n{run.stdout}{run.stderr}")


def build_bundles(target: Path) -> dict[str, float]:
    """PyInstaller for both specs, in parallel, into ``target/<name>/``. Returns seconds per bundle."""
    target.mkdir(parents=True, exist_ok=True)
    procs = {}
    started = time.monotonic()
    for name, spec in SPECS.items():
        log = open(target / f"pyinstaller-{name}.log", "wb")  # noqa: SIM115 - closed below
        cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
               "--distpath", str(target), "--workpath", str(target / "work" / name), str(spec)]
        procs[name] = (subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT), log)
    seconds: dict[str, float] = {}
    failed = []
    while len(seconds) < len(procs):  # each bundle's own time, whichever ends first
        for name, (proc, log) in procs.items():
            code = proc.poll()
            if name in seconds or code is None:
                continue
            log.close()
            seconds[name] = round(time.monotonic() - started, 1)
            if code != 0 or not (target / name / name).is_file():
                tail = (target / f"pyinstaller-{name}.log").read_text(errors="replace")[-3000:]
                failed.append(f"PyInstaller {SPECS[name].name} failed ({code}):\n{tail}")
        time.sleep(0.2)
    shutil.rmtree(target / "work", ignore_errors=True)
    if failed:
        raise BuildError("\n".join(failed))
    return seconds


def cached_bundles(cache: Path, key: str, *, rebuild: bool = False) -> tuple[Path, bool, dict[str, float]]:
    """The bundles for ``key`` under ``cache``: built now, or reused. Returns (folder, reused, seconds)."""
    folder = cache / key
    done = folder / "complete.json"
    if done.is_file() and not rebuild:
        return folder, True, json.loads(done.read_text())["seconds"]
    partial = cache / f"{key}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    seconds = build_bundles(partial)
    (partial / "complete.json").write_text(json.dumps({"seconds": seconds}))
    shutil.rmtree(folder, ignore_errors=True)
    partial.rename(folder)
    # Older keys are other sources' builds; keep only this one (each is ~700 MB).
    for other in cache.iterdir():
        if other.name != key and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)
    return folder, False, seconds


# ---------------------------------------------------------------- packages


def _copy_tree(src: Path, dst: Path) -> None:
    """Hard links when on one filesystem (the stage is thrown away), copies otherwise."""
    try:
        shutil.copytree(src, dst, symlinks=True, copy_function=os.link)
    except OSError:
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst, symlinks=True)


def _install(src: Path, dst: Path, mode: int = 0o644) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    dst.chmod(mode)


def _fill(template: Path, values: dict[str, str]) -> str:
    text = template.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    leftover = re.findall(r"@[A-Z_]+@", text)
    if leftover:
        raise BuildError(f"{template}: no value for {', '.join(sorted(set(leftover)))}")
    return text


def stage_package(name: str, bundle: Path, version: str, stage: Path) -> None:
    """Lay out package ``name``'s files under ``stage`` (a fresh folder) with its DEBIAN/ control files."""
    shutil.rmtree(stage, ignore_errors=True)
    pkg = DEBIAN / name
    control = stage / "DEBIAN"
    control.mkdir(parents=True)
    _copy_tree(bundle, stage / "opt" / name)
    (stage / "usr" / "bin").mkdir(parents=True)
    (stage / "usr" / "bin" / name).symlink_to(f"/opt/{name}/{name}")
    doc = ROOT / "docs" / "install.md"
    if doc.is_file():
        _install(doc, stage / "usr" / "share" / "doc" / name / "install.md")
    if name == SEAT:
        conffiles = ["/etc/xdg/dispatch120/dispatch120.toml"]
        _install(pkg / "dispatch120.toml", stage / conffiles[0].lstrip("/"))
        _install(pkg / "dispatch120.desktop", stage / "usr/share/applications/dispatch120.desktop")
        _install(pkg / "dispatch120.svg", stage / "usr/share/icons/hicolor/scalable/apps/dispatch120.svg")
        scripts = ("postinst", "postrm")
    else:
        conffiles = ["/etc/dispatch120/server.toml"]
        _install(pkg / "server.toml", stage / conffiles[0].lstrip("/"), 0o640)
        _install(pkg / "dispatch120-server.service", stage / "lib/systemd/system/dispatch120-server.service")
        scripts = ("postinst", "prerm", "postrm")
    values = {"VERSION": version, "PACKAGE": name}
    (control / "preinst").write_text(_fill(DEBIAN / "preinst.in", values), encoding="utf-8")
    (control / "preinst").chmod(0o755)
    for script in scripts:
        _install(pkg / script, control / script, 0o755)
    (control / "conffiles").write_text("".join(f"{c}\n" for c in conffiles), encoding="utf-8")
    values["INSTALLED_SIZE"] = str(tree_bytes(stage) // 1024)
    (control / "control").write_text(_fill(pkg / "control.in", values), encoding="utf-8")


def build_deb(name: str, bundle: Path, version: str, out_dir: Path, work: Path) -> Path:
    """``<out_dir>/<name>_<version>_amd64.deb`` from ``bundle``; returns its path.

    Also used by the CI test to build a "previous" package (a lower version) from the same bundle.
    """
    if shutil.which("dpkg-deb") is None:
        raise BuildError("dpkg-deb not found (a Debian/Ubuntu machine builds the .deb packages)")
    stage = work / f"stage-{name}-{version}"
    stage_package(name, bundle, version, stage)
    out_dir.mkdir(parents=True, exist_ok=True)
    deb = out_dir / f"{name}_{version}_amd64.deb"
    run = subprocess.run(["dpkg-deb", "--root-owner-group", "-Zzstd", "-z3", "--build", str(stage), str(deb)],
                         capture_output=True, text=True)
    shutil.rmtree(stage, ignore_errors=True)
    if run.returncode != 0:
        raise BuildError(f"dpkg-deb failed for {name}:\n{run.stderr}")
    return deb


# ---------------------------------------------------------------- the whole build


def build_all(out: Path, cache: Path, version: str, *, rebuild: bool = False) -> BuildInfo:
    started = time.monotonic()
    info = BuildInfo(version=version, source_hash="")
    t = time.monotonic()
    compile_translations()
    info.seconds["translations"] = round(time.monotonic() - t, 1)
    t = time.monotonic()
    info.source_hash = source_hash()
    folder, info.bundles_cached, bundle_seconds = cached_bundles(cache, info.source_hash, rebuild=rebuild)
    info.seconds["bundles"] = round(time.monotonic() - t, 1)
    info.seconds.update({f"pyinstaller {k}": v for k, v in bundle_seconds.items()})
    for name in SPECS:
        info.bundle_bytes[name] = tree_bytes(folder / name)
    t = time.monotonic()
    for name in SPECS:
        deb = build_deb(name, folder / name, version, out, cache)
        info.debs[name] = str(deb)
        info.deb_bytes[name] = deb.stat().st_size
    info.seconds["debs"] = round(time.monotonic() - t, 1)
    info.seconds["total"] = round(time.monotonic() - started, 1)
    (out / "build-info.json").write_text(json.dumps(asdict(info), indent=2) + "\n", encoding="utf-8")
    return info


def report(info: BuildInfo) -> str:
    mb = 1024 * 1024
    lines = [f"dispatch120 {info.version} — sources {info.source_hash}"
             + (" (bundles reused from the cache; built in:)" if info.bundles_cached else "")]
    for name in SPECS:
        lines.append(f"  {name:20s} bundle {info.bundle_bytes[name] / mb:7.1f} MB   "
                     f".deb {info.deb_bytes[name] / mb:6.1f} MB   {info.debs[name]}")
    times = ", ".join(f"{k} {v:g} s" for k, v in info.seconds.items())
    lines.append(f"  time: {times}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="installer/build.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where the .deb files go (default: dist/)")
    parser.add_argument("--cache", type=Path, default=ROOT / "build" / "dist-cache",
                        help="bundle cache (default: build/dist-cache/)")
    parser.add_argument("--version", default=None, help="package version (default: pyproject.toml's)")
    parser.add_argument("--rebuild", action="store_true", help="build the bundles even if cached")
    args = parser.parse_args(argv)
    version = debian_version(args.version or project_version())
    try:
        info = build_all(args.out.resolve(), args.cache.resolve(), version, rebuild=args.rebuild)
    except BuildError as exc:
        print(f"make dist: {exc}", file=sys.stderr)
        return 1
    print(report(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
