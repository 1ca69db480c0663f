"""Entry point of the frozen seat bundle (``/opt/dispatch120/dispatch120``).

A frozen bundle has no Python interpreter to run ``python -m …``, yet the seat's training
mode starts its children that way (``sys.executable -m app.sim serve`` in
:mod:`app.sim.launcher`, ``sys.executable -m server_stub …`` in :mod:`app.sim.runner`). In the
bundle ``sys.executable`` is this program, so it answers ``-m MODULE ARGS…`` itself by running
that module as ``__main__`` (only the project's own modules: anything else is refused), and
otherwise runs the seat's ``dispatch120`` command line.

``--write-machine-config [--server-url URL] [--seat-id ID]`` is the Windows installer's hook
(``installer/windows/dispatch120.wxs``: ``msiexec /qn SERVER_URL=… SEAT_ID=…``): it sets those
values in the machine-wide settings file (``%PROGRAMDATA%\\dispatch120\\dispatch120.toml``; see
:func:`app.settings.write_machine_config`) and exits; a value the installer left empty is skipped.
"""

from __future__ import annotations

import runpy
import sys

# Modules a frozen seat may be asked to run with ``-m`` (its training children).
RUNNABLE = ("app", "app.sim", "server_stub")


def main() -> int:
    if len(sys.argv) >= 3 and sys.argv[1] == "-m":
        module = sys.argv[2]
        if module not in RUNNABLE:
            print(f"dispatch120: cannot run module {module!r} in the bundle", file=sys.stderr)
            return 2
        sys.argv = [sys.argv[0], *sys.argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    if len(sys.argv) >= 2 and sys.argv[1] == "--write-machine-config":
        return write_machine_config(sys.argv[2:])
    from app.__main__ import main as seat_main

    return seat_main()


def write_machine_config(argv: list[str]) -> int:
    import argparse
    from pathlib import Path

    from app.settings import SettingsError, machine_config_path
    from app.settings import write_machine_config as write

    parser = argparse.ArgumentParser(prog="dispatch120 --write-machine-config")
    parser.add_argument("--server-url", default="")
    parser.add_argument("--seat-id", default="")
    parser.add_argument("--file", type=str, default="", help="default: the machine settings file")
    args = parser.parse_args(argv)
    path = Path(args.file) if args.file else machine_config_path()
    try:
        write(path, {"server_url": args.server_url, "seat_id": args.seat_id})
    except (SettingsError, OSError) as exc:
        print(f"dispatch120: machine settings not written: {exc}", file=sys.stderr)
        return 1
    print(f"dispatch120: machine settings written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
