"""The emulator's clock: Netvisor's local time (Europe/Helsinki, naive), which tests can move forward.

Record modification times, ``deleted*.nv`` windows and ``ResponseStatus/TimeStamp`` all read this clock. It runs
with the wall clock plus an offset, so a client that uses its own clock stays consistent with the emulator, and
``advance()`` lets a test jump days ahead. ``frozen()`` stops it for fully deterministic tests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")


def _wall_now() -> datetime:
    return datetime.now(UTC)


class Clock:
    def __init__(self, *, wall: Callable[[], datetime] = _wall_now, frozen_at: datetime | None = None) -> None:
        self._wall = wall
        self._offset = timedelta(0)
        self._frozen_at = frozen_at
        self._lock = threading.Lock()

    @classmethod
    def frozen(cls, at: datetime) -> Clock:
        """A clock that stands still at ``at`` (naive Helsinki time) until advanced."""
        return cls(frozen_at=at)

    def now_utc(self) -> datetime:
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at.replace(tzinfo=HELSINKI).astimezone(UTC)
            return self._wall() + self._offset

    def now(self) -> datetime:
        """Naive Helsinki wall-clock time, as Netvisor writes its timestamps (millisecond precision)."""
        local = self.now_utc().astimezone(HELSINKI).replace(tzinfo=None)
        return local.replace(microsecond=local.microsecond // 1000 * 1000)

    def today(self) -> datetime:
        return self.now().replace(hour=0, minute=0, second=0, microsecond=0)

    def advance(self, delta: timedelta) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += delta
            else:
                self._offset += delta
