"""Argument types shared by the command lines (``dispatch120``, ``dispatch120-server``)."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def number_in(low: float, high: float, *, what: str = "number", hint: str = "") -> Callable[[str], float]:
    """An argparse ``type`` accepting a float with ``low < value <= high``.

    Raises ``argparse.ArgumentTypeError`` (argparse prints it) for anything else.
    """

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a {what}: {text!r}") from None
        if not low < value <= high:
            extra = f" ({hint})" if hint else ""
            raise argparse.ArgumentTypeError(f"must be more than {low:g} and at most {high:g}{extra}")
        return value

    return parse


positive_seconds = number_in(0, 3600, what="number of seconds", hint="seconds")
