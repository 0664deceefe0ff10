"""What a sync run observed, collected while it runs: rows per table, skipped resources, errors, warnings, progress.

The dlt source writes into a :class:`RunReport` from inside its resources (worker threads of :mod:`netvisor_sync.sync`
included), and ``sync.run_sync`` turns it into the summary the CLI prints. A progress callback, if given, sees every
call as it completes (one :class:`ProgressEvent` per Netvisor page, batch or delete feed), which is what a progress bar
needs.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

EventKind = Literal["company_started", "page", "table_done", "skipped", "company_done", "loading", "failed"]


@dataclass(frozen=True)
class ProgressEvent:
    """One step of a sync, for progress displays.

    ``kind``: ``company_started``; ``page`` (one Netvisor call answered, ``rows`` rows in it); ``table_done`` (an
    entry finished for the company, ``rows`` rows upserted or deleted in all); ``skipped`` (a blocked resource);
    ``loading`` (the company's rows are being written); ``company_done``; ``failed``.
    """

    kind: EventKind
    organisation_id: str
    table: str = ""
    resource: str = ""
    rows: int = 0
    message: str = ""


Progress = Callable[[ProgressEvent], None]


@dataclass(frozen=True)
class Skipped:
    """A table that was not synced for one company because Netvisor refused a resource it needs."""

    organisation_id: str
    table: str
    resource: str
    reason: str
    fix: str


@dataclass
class RunReport:
    """Thread-safe collector shared by the source's resources and the runner."""

    progress: Progress | None = None
    rows: Counter[tuple[str, str]] = field(default_factory=Counter)
    deleted: Counter[tuple[str, str]] = field(default_factory=Counter)
    skipped: list[Skipped] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: set when the run is interrupted: the company's tables stop before their next batch and call
    cancelled: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def emit(self, event: ProgressEvent) -> None:
        if self.progress is not None:
            self.progress(event)

    def count(self, organisation_id: str, table: str, rows: int, deleted: int) -> None:
        with self._lock:
            self.rows[(organisation_id, table)] += rows
            self.deleted[(organisation_id, table)] += deleted

    def skip(self, skipped: Skipped) -> None:
        with self._lock:
            self.skipped.append(skipped)
        self.emit(ProgressEvent("skipped", skipped.organisation_id, skipped.table, skipped.resource, 0, skipped.fix))

    def error(self, message: str) -> None:
        with self._lock:
            self.errors.append(message)

    def warn(self, message: str) -> None:
        with self._lock:
            self.warnings.append(message)
