"""The centre's local days and shifts, and the errors of a KPI report: what a seat needs of
:mod:`app.records.kpi` to ask for "my shift".

Kept apart from :mod:`app.records.kpi` (which re-exports every name here) so that the seat's
"My shift" view (``widgets.seat_kpi``, ``app.seat.kpi_fetch``), built before the window's first
paint, imports only the standard library: no event-log reading, no folding, no report types.
Pure: no Qt, no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TZ = "Asia/Shanghai"
DEFAULT_SHIFTS = (time(8, 0), time(20, 0))


class KpiError(Exception):
    """A report cannot be made; the message says why. ``exit_code`` is for the command line."""

    exit_code = 2


class PeriodError(KpiError):
    """The period, time zone or shift times given are not usable."""


@dataclass(frozen=True)
class Period:
    """Whole local days ``first``..``last`` (inclusive) in ``tz``; ``start``/``end`` in UTC."""

    first: date
    last: date
    tz: ZoneInfo
    shifts: tuple[time, ...] = DEFAULT_SHIFTS

    @classmethod
    def make(cls, first: str | date, last: str | date, tz: str = DEFAULT_TZ,
             shifts: Sequence[time] = DEFAULT_SHIFTS) -> Period:
        """Raises:
            PeriodError: a malformed date, ``first`` after ``last``, an unknown zone, no shifts.
        """
        try:
            d1 = first if isinstance(first, date) else date.fromisoformat(first)
            d2 = last if isinstance(last, date) else date.fromisoformat(last)
        except ValueError as exc:
            raise PeriodError(f"dates must be YYYY-MM-DD: {exc}") from None
        if d1 > d2:
            raise PeriodError(f"--from {d1} is after --to {d2}: the period would be empty")
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise PeriodError(f"unknown time zone {tz!r} (an IANA name such as Asia/Shanghai)") from None
        if not shifts:
            raise PeriodError("at least one shift start time is needed")
        return cls(d1, d2, zone, tuple(sorted(set(shifts))))

    @cached_property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), self.tz).astimezone(UTC)

    @cached_property
    def end(self) -> datetime:
        """The first instant after the period (local midnight after ``last``), in UTC."""
        return datetime.combine(self.last + timedelta(days=1), time(0), self.tz).astimezone(UTC)

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end

    def day(self, moment: datetime) -> str:
        return moment.astimezone(self.tz).date().isoformat()

    def day_and_shift(self, moment: datetime) -> tuple[str, str]:
        """The local day of ``moment`` and the shift it falls in (see :meth:`shift`)."""
        local = moment.astimezone(self.tz)
        return local.date().isoformat(), self._shift_of(local)

    def shift(self, moment: datetime) -> str:
        """The shift ``moment`` falls in, named by its local start (``2026-11-27 20:00``).

        A night shift that crosses midnight belongs to the day it started on.
        """
        return self._shift_of(moment.astimezone(self.tz))

    def _shift_of(self, local: datetime) -> str:
        started = [s for s in self.shifts if s <= local.time()]
        if started:
            return f"{local.date().isoformat()} {started[-1]:%H:%M}"
        return f"{(local.date() - timedelta(days=1)).isoformat()} {self.shifts[-1]:%H:%M}"
