"""The calendar of a generated history: which months it covers, and when in them each record falls.

Generated records are spread evenly over their month and stamped during office hours; nothing generated is dated or
modified in the current month, so two builds in the same calendar month are identical.
"""

from __future__ import annotations

import bisect
import itertools
from datetime import date, datetime, timedelta

__all__ = ["Timeline", "days"]


class Timeline:
    """The generated months: ``months`` whole months ending the month before ``today``'s."""

    def __init__(self, today: date, months: int) -> None:
        first = today.replace(day=1)
        self.today = today
        self.end = datetime(first.year, first.month, 1)  # nothing generated is modified at or after this
        starts = [_add_months(first, m - months) for m in range(months + 1)]
        self.starts = starts[:-1]
        self.lengths = [(b - a).days for a, b in itertools.pairwise(starts)]
        self._dates = [
            [s + timedelta(days=d) for d in range(n)] for s, n in zip(self.starts, self.lengths, strict=True)
        ]
        self._latest = self.end - timedelta(minutes=1)
        self._mornings: dict[date, datetime] = {}  # at most one entry per day of the history, plus a few

    def day(self, month: int, i: int, per_month: int) -> date:
        """The date of item ``i`` of ``per_month`` spread evenly over ``month``."""
        return self._dates[month][i * self.lengths[month] // per_month]

    def month_of(self, on: date) -> int:
        """Index of the generated month holding ``on``: -1 before the first, the last month after the end."""
        return bisect.bisect_right(self.starts, on) - 1

    def stamp(self, on: date, seconds: int) -> datetime:
        """A modification time on ``on`` during office hours, never at or after :attr:`end`."""
        morning = self._mornings.get(on)
        if morning is None:
            morning = self._mornings[on] = datetime(on.year, on.month, on.day, 8)
        minute, second = divmod(seconds % 32400, 60)
        at = morning + _MINUTES[minute] + _SECONDS[second]  # shared timedeltas: building one costs more than this
        return at if at < self._latest else self._latest


def days(n: int) -> timedelta:
    """``timedelta(days=n)``, shared for the day counts documents use (due dates, lags)."""
    return _DAYS[n] if 0 <= n < len(_DAYS) else timedelta(days=n)


_MINUTES = tuple(timedelta(minutes=n) for n in range(540))
_SECONDS = tuple(timedelta(seconds=n) for n in range(60))
_DAYS = tuple(timedelta(days=n) for n in range(400))


def _add_months(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
