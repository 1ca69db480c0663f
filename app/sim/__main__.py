"""``python -m app.sim serve|check ...`` (see :mod:`app.sim.cli`)."""

import sys

from app.sim.cli import main

if __name__ == "__main__":
    sys.exit(main())
