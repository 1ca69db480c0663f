"""Entry point of the frozen server bundle (``/opt/dispatch120-server/dispatch120-server``).

Same ``-m MODULE`` convention as the seat's entry (:mod:`entry_seat`) for the server's own
children, then the ``dispatch120-server`` command line. ``--config FILE`` (the packaged
service passes ``/etc/dispatch120/server.toml``) turns the file's settings into the command
line's options, before any given on the command line, so a flag still wins over the file; see
:mod:`server_toml`.
"""

from __future__ import annotations

import runpy
import sys

from server_toml import ConfigFileError, expand_config

RUNNABLE = ("server_stub",)


def main() -> int:
    if len(sys.argv) >= 3 and sys.argv[1] == "-m":
        module = sys.argv[2]
        if module not in RUNNABLE:
            print(f"dispatch120-server: cannot run module {module!r} in the bundle", file=sys.stderr)
            return 2
        sys.argv = [sys.argv[0], *sys.argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    try:
        argv = expand_config(sys.argv[1:])
    except ConfigFileError as exc:
        print(f"dispatch120-server: {exc}", file=sys.stderr)
        return 2
    from server_stub.__main__ import main as server_main

    return int(server_main(argv) or 0)


if __name__ == "__main__":
    sys.exit(main())
