"""``workers`` at the level of ``run_sync``: companies are synced side by side, the calls of one company never are.

A WSGI middleware in front of the emulator watches every request from its arrival until its answer has been read
(when the emulator, like Netvisor, frees the company) and keeps the peaks: in flight in total, per company, and how
many companies had a request in flight at once. Every request takes the emulator's injected latency, so requests
that the client lets overlap do overlap. Call counts and timing do not depend on the destination: DuckDB only.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from netvisor_sync.auth import HEADER_ORGANISATION
from netvisor_sync.emulator import Emulator, FaultPlan

from ..warehouse import Warehouse
from .conftest import Syncer

pytestmark = pytest.mark.slow

#: every request takes this long in the emulator, so the client's overlapping requests are seen overlapping
LATENCY_MS = 40
TABLES = ["customers", "sales_invoices", "vouchers", "accounts", "payment_terms", "voucher_types"]
#: how long a company's first request waits for the other companies' first requests (only reached on failure)
MEET_TIMEOUT = 30.0
ORGANISATION_KEY = "HTTP_" + HEADER_ORGANISATION.upper().replace("-", "_")


class _Body:
    """A WSGI answer that reports when the server is done with it (read to the end, or closed)."""

    def __init__(self, body: Iterable[bytes], done: Callable[[], None]) -> None:
        self._body, self._done, self._finished = body, done, False

    def __iter__(self) -> Iterator[bytes]:
        yield from self._body

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            if not self._finished:
                self._finished = True
                self._done()


class InFlight:
    """WSGI middleware that keeps the peaks of requests in flight (see the module docstring).

    With ``meet`` = n, the first request of each company waits (at most :data:`MEET_TIMEOUT`) until the first
    requests of n companies have arrived: companies synced side by side get there at once; companies synced one
    after another would have the first one wait out the timeout, and no overlap would be seen.
    """

    def __init__(self, app: Any, meet: int = 1) -> None:
        self.app, self.meet = app, meet
        self.lock = threading.Condition()
        self.now: Counter[str] = Counter()
        self.peak_total = 0
        self.peak_per_company: Counter[str] = Counter()
        self.peak_companies = 0
        self.requests: Counter[str] = Counter()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        org = str(environ.get(ORGANISATION_KEY, ""))
        self._enter(org)
        try:
            body = self.app(environ, start_response)
        except BaseException:
            self._leave(org)
            raise
        return _Body(body, lambda: self._leave(org))

    def _enter(self, org: str) -> None:
        with self.lock:
            first = org not in self.requests
            self.requests[org] += 1
            self.now[org] += 1
            self.peak_total = max(self.peak_total, sum(self.now.values()))
            self.peak_per_company[org] = max(self.peak_per_company[org], self.now[org])
            self.peak_companies = max(self.peak_companies, sum(1 for n in self.now.values() if n))
            if first:
                self.lock.notify_all()
                deadline = time.monotonic() + MEET_TIMEOUT
                while len(self.requests) < self.meet and (left := deadline - time.monotonic()) > 0:
                    self.lock.wait(left)

    def _leave(self, org: str) -> None:
        with self.lock:
            self.now[org] -= 1


def synced(workers: int, tmp: Path) -> tuple[Emulator, InFlight]:
    """Two companies with latency, synced with ``workers`` through an :class:`InFlight` meter."""
    emu = Emulator(profile="partner-test", seed=5, companies=2, faults=FaultPlan(latency_ms=LATENCY_MS))
    meter = InFlight(emu.app, meet=min(workers, len(emu.organisation_ids)))
    sync = Syncer(emu, Warehouse(str(tmp / "nv.duckdb")), tmp / "pipelines", app=meter)
    summary = sync(tables=TABLES, workers=workers)
    assert summary.ok, summary.errors
    # the emulator answers an overlapping request to a busy company TECHNICAL_ERROR: there was none
    assert emu.log.codes() == Counter({"OK": len(emu.log)})
    assert meter.requests == Counter({org: sum(emu.log.counts(org).values()) for org in emu.organisation_ids})
    return emu, meter


@pytest.mark.parametrize(("workers", "companies_at_once"), [(1, 1), (2, 2)])
def test_workers_set_how_many_companies_call_at_once_and_each_company_calls_one_at_a_time(
    tmp_path: Path, workers: int, companies_at_once: int
) -> None:
    emu, meter = synced(workers, tmp_path)
    assert meter.peak_companies == companies_at_once
    assert meter.peak_total == companies_at_once
    assert meter.peak_per_company == Counter(dict.fromkeys(emu.organisation_ids, 1))
    for org in emu.organisation_ids:  # the same calls either way: workers change only when they are made
        assert emu.log.counts(org)["accountingledger"] == 1
        assert emu.log.counts(org)["getsalesinvoice"] == 1
