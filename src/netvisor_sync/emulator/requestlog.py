"""The emulator's request log: one entry per Netvisor request, for tests, benchmarks and the admin endpoint.

Tests read it to assert what the client did (``counts()`` of OK calls per resource, ``write_attempts()`` must stay
empty for a read-only client, ``codes()`` of failures); benchmarks sum ``total_latency_ms()`` (the latency the fault
plan modelled, which is there even when the sleeper is a no-op). Admin requests are not logged.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the emulator saw and answered it.

    ``code`` is ``"OK"``, a Netvisor failure code (``AUTHENTICATION_FAILED``, ...) or, for a fault without an
    envelope, the fault kind in upper case (``HTTP_503``, ``CONNECTION_RESET``, ``TRUNCATED_BODY``, ...).
    ``refused`` marks a request outside the read allowlist (a write/delete/unknown resource or a non-GET method).
    ``detail`` is the failure message as sent (never a key); ``latency_ms`` the latency the fault plan injected.
    """

    at: datetime
    method: str
    path: str
    resource: str
    params: Mapping[str, str]
    organisation: str
    code: str
    status: int
    rows: int = 0
    latency_ms: float = 0.0
    elapsed_ms: float = 0.0
    fault: str | None = None
    refused: bool = False
    transaction_id: str = ""
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.code == "OK"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["at"] = self.at.isoformat()
        data["params"] = dict(self.params)
        return data


@dataclass
class RequestLog:
    """Thread-safe, append-only (until :meth:`clear`) list of :class:`LoggedRequest`."""

    _entries: list[LoggedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[LoggedRequest]:
        """A snapshot of every entry, oldest first."""
        with self._lock:
            return list(self._entries)

    def __iter__(self) -> Iterator[LoggedRequest]:
        return iter(self.entries())

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def calls(
        self, resource: str | None = None, *, code: str | None = None, organisation: str | None = None
    ) -> list[LoggedRequest]:
        """Entries filtered by resource, outcome code and organisation (``None`` = any)."""
        return [
            e
            for e in self.entries()
            if (resource is None or e.resource == resource)
            and (code is None or e.code == code)
            and (organisation is None or e.organisation == organisation)
        ]

    def counts(self, organisation: str | None = None) -> Counter[str]:
        """Successful (``OK``) calls per resource."""
        return Counter(e.resource for e in self.calls(code="OK", organisation=organisation))

    def codes(self) -> Counter[str]:
        """Every outcome code and how often it occurred (``OK`` included)."""
        return Counter(e.code for e in self.entries())

    def failures(self) -> list[LoggedRequest]:
        return [e for e in self.entries() if not e.ok]

    def write_attempts(self) -> list[LoggedRequest]:
        """Requests outside the read allowlist. A read-only client must leave this empty."""
        return [e for e in self.entries() if e.refused]

    def rows(self, resource: str | None = None) -> int:
        """Rows served in OK answers."""
        return sum(e.rows for e in self.calls(resource, code="OK"))

    def total_latency_ms(self) -> float:
        """The latency the fault plan injected, summed over every request."""
        return sum(e.latency_ms for e in self.entries())

    def summary(self) -> dict[str, Any]:
        """Counts, codes, rows and latency as plain JSON-able data (the admin endpoint's answer)."""
        return {
            "requests": len(self),
            "counts": dict(self.counts()),
            "codes": dict(self.codes()),
            "rows": self.rows(),
            "write_attempts": len(self.write_attempts()),
            "latency_ms": self.total_latency_ms(),
        }
