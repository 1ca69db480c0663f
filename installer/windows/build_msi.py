"""``make dist-msi``: build the seat's Windows installer (MSI) with wixl from a bundle folder.

    python installer/windows/build_msi.py [--bundle DIR] [--version 0.1.0] [--out dist/]

``--bundle`` is the Windows PyInstaller output (``dist\\dispatch120\\`` built on Windows; PyInstaller
does not cross-compile). Without it the stand-in folder ``installer/windows/stand-in/`` is used —
a PLACEHOLDER, not a Windows build: the MSI then only proves the WiX source, its properties and
their wiring. On Windows, WiX 3's own tools do the same (docs/install.md).

Steps: list the bundle's files → ``wixl-heat`` makes the component fragment (the seat's
``dispatch120.exe`` gets the fixed File Id ``SeatExe`` the custom action names) → ``wixl``
links it with ``dispatch120.wxs`` → ``msibuild`` adds the two properties to
SecureCustomProperties (what WiX's ``Secure="yes"`` does; wixl lacks it). Prints the MSI's path and size.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
STAND_IN = HERE / "stand-in"
WXS = HERE / "dispatch120.wxs"
SEAT_EXE = "dispatch120.exe"
SECURE_PROPERTIES = ("SERVER_URL", "SEAT_ID")


class MsiBuildError(RuntimeError):
    """wixl or wixl-heat failed, or the bundle lacks dispatch120.exe."""


def project_version() -> str:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^version\s*=\s*"([^"]+)"', text, re.MULTILINE)
    if not match:
        raise MsiBuildError("no version in pyproject.toml")
    return match.group(1)


def msi_version(version: str) -> str:
    """An MSI ProductVersion: three numbers (``0.1.0rc1`` → ``0.1.0``)."""
    numbers = re.findall(r"\d+", version)[:3]
    return ".".join((numbers + ["0", "0", "0"])[:3])


def fragment(bundle: Path, work: Path) -> Path:
    """The wixl-heat fragment of every file under ``bundle``, with the seat's exe as ``SeatExe``."""
    if not (bundle / SEAT_EXE).is_file():
        raise MsiBuildError(f"{bundle} has no {SEAT_EXE}")
    # wixl resolves sources relative to the working directory: link the bundle in as "bundle".
    link = work / "bundle"
    link.symlink_to(bundle.resolve(), target_is_directory=True)
    files = sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file())
    listing = "".join(f"bundle/{name}\n" for name in files)
    heat = subprocess.run(
        ["wixl-heat", "--prefix", "bundle/", "--directory-ref", "INSTALLDIR", "--component-group", "BundleFiles",
         "--var", "var.BundleDir"],
        input=listing, capture_output=True, text=True, cwd=work)
    if heat.returncode != 0:
        raise MsiBuildError(f"wixl-heat failed: {heat.stderr.strip()}")
    text, count = re.subn(r'<File Id="[^"]+"( KeyPath="yes" Source="\$\(var\.BundleDir\)/' + re.escape(SEAT_EXE) + '")',
                          r'<File Id="SeatExe"\1', heat.stdout)
    if count != 1:
        raise MsiBuildError(f"wixl-heat's fragment names {SEAT_EXE} {count} times, expected once")
    out = work / "bundle-files.wxs"
    out.write_text(text, encoding="utf-8")
    return out


def build_msi(bundle: Path, out_dir: Path, version: str) -> Path:
    """Build ``dispatch120-<version>-x64.msi`` in ``out_dir``; returns its path."""
    for tool in ("wixl", "wixl-heat", "msibuild", "msiinfo"):
        if shutil.which(tool) is None:
            raise MsiBuildError(f"{tool} not found: apt-get install wixl (Debian's msitools)")
    out_dir.mkdir(parents=True, exist_ok=True)
    msi = out_dir.resolve() / f"dispatch120-{version}-x64.msi"
    with tempfile.TemporaryDirectory(prefix="dispatch120-msi-") as tmp:
        work = Path(tmp)
        files = fragment(bundle, work)
        run = subprocess.run(
            ["wixl", "-a", "x64", "-D", f"Version={msi_version(version)}", "-D", "BundleDir=bundle",
             "-o", str(msi), str(WXS), str(files)],
            capture_output=True, text=True, cwd=work)
        # wixl prints GLib warnings for attributes it ignores; a missing output is the failure.
        if run.returncode != 0 or not msi.is_file():
            raise MsiBuildError(f"wixl failed ({run.returncode}): {run.stderr.strip()}")
    secure_properties(msi)
    return msi


def secure_properties(msi: Path) -> None:
    """Append :data:`SECURE_PROPERTIES` to the MSI's SecureCustomProperties row."""
    export = subprocess.run(["msiinfo", "export", str(msi), "Property"], capture_output=True, text=True)
    current = ""
    for line in export.stdout.splitlines():
        name, _, value = line.partition("\t")
        if name == "SecureCustomProperties":
            current = value.strip()
    names = [n for n in current.split(";") if n] + [p for p in SECURE_PROPERTIES if p not in current.split(";")]
    value = ";".join(names)
    if current:
        query = f"UPDATE `Property` SET `Value` = '{value}' WHERE `Property` = 'SecureCustomProperties'"
    else:
        query = f"INSERT INTO `Property` (`Property`, `Value`) VALUES ('SecureCustomProperties', '{value}')"
    run = subprocess.run(["msibuild", str(msi), "-q", query], capture_output=True, text=True)
    if run.returncode != 0:
        raise MsiBuildError(f"msibuild could not set SecureCustomProperties: {run.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="build_msi.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bundle", type=Path, default=None, help="the Windows bundle folder (default: the stand-in)")
    parser.add_argument("--version", default=None, help="default: pyproject.toml's")
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)
    bundle = args.bundle or STAND_IN
    try:
        msi = build_msi(bundle, args.out, args.version or project_version())
    except MsiBuildError as exc:
        print(f"build_msi: {exc}", file=sys.stderr)
        return 1
    what = "STAND-IN (placeholder, not a working Windows build)" if bundle == STAND_IN else str(bundle)
    print(f"MSI: {msi} ({msi.stat().st_size / 1e3:.0f} kB) from {what}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
