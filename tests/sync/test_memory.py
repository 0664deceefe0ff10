"""Flat memory: a first sync's peak does not grow with the length of a company's history.

The same company (``small``'s monthly volumes) is generated with 6 and with 18 months of history, and its ledger is
read through the real transport and parser, as the source reads it: one call for all of history. When the body was
held as bytes and parsed into a list, the peak grew with history (about 2x here, 3x at 12 vs 36 months); spooled to
disk and streamed, it stays put. Only Python allocations are traced (``tracemalloc``: the spool's in-memory part and
parsed rows); the bound is loose on purpose.

The emulator generates its books lazily and keeps what it generated, which is its memory, not ours: so the answers
are recorded from the emulator once, and the measured run replays them (in chunks, as off a socket) through the
real client, parser and planner.
"""

from __future__ import annotations

import gc
import tracemalloc
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from netvisor_sync.catalog import CATALOG
from netvisor_sync.emulator import Emulator
from netvisor_sync.emulator.clock import Clock
from netvisor_sync.emulator.documents import Documents, Timeline
from netvisor_sync.emulator.generate import PROFILES
from netvisor_sync.emulator.store import CompanyStore
from netvisor_sync.fetch import Window, read_entry
from netvisor_sync.source import client_fetch
from netvisor_sync.transport import NetvisorClient

pytestmark = pytest.mark.slow

TABLES = ("vouchers",)


def small_with_history(months: int):  # type: ignore[no-untyped-def]
    """A company factory: ``small``'s volumes per month, over ``months`` months (the emulator's own recipe)."""
    spec = replace(PROFILES["small"], months=months)

    def build(profile: str, *, seed: int, organisation_id: str, clock: Clock, name: str | None = None) -> CompanyStore:
        timeline = Timeline(clock.today().date(), spec.months)
        documents = Documents(
            seed=seed,
            timeline=timeline,
            customers=spec.customers,
            vendors=spec.vendors,
            products=spec.products,
            per_month=(spec.sales_invoices, spec.purchase_invoices, spec.sales_orders, spec.purchase_orders),
            cost_vouchers=spec.cost_vouchers,
            max_lines=spec.max_lines,
        )
        lock = timeline.starts[-1] - timedelta(days=1)
        return CompanyStore(documents, organisation_id=organisation_id, name="Muisti Oy", clock=clock, lock_date=lock)

    return build


class Recorder(httpx.BaseTransport):
    """Passes requests to the emulator and keeps each answer by URL."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.answers: dict[str, tuple[int, bytes]] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        self.answers[str(request.url)] = (response.status_code, response.read())
        return response


class Replay(httpx.BaseTransport):
    """Answers each URL with its recorded body, in fresh 64 KB chunks (the whole body is the recorder's memory)."""

    def __init__(self, answers: dict[str, tuple[int, bytes]]) -> None:
        self.answers = answers

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        status, body = self.answers[str(request.url)]
        chunks = (body[n : n + 65536] for n in range(0, len(body), 65536))
        return httpx.Response(status, content=chunks, headers={"Content-Type": "text/xml"})


def extract(emu: Emulator, transport: httpx.BaseTransport) -> int:
    """Read the ledger of a first sync as the source does; returns the vouchers read."""
    org, rows = emu.organisation_ids[0], 0
    with NetvisorClient(emu.credentials(org), base_url="http://testserver", transport=transport) as client:
        for table in TABLES:
            window = Window(today=emu.clock.now().date())
            for batch in read_entry(CATALOG[table], client_fetch(client, table, None), window):
                rows += len(batch.rows) if table == "vouchers" else 0
    return rows


def extract_peak(months: int) -> tuple[int, int]:
    """(peak traced bytes, vouchers read) of reading the ledger in a first sync."""
    emu = Emulator(profile="small", seed=1, company_factory=small_with_history(months))
    recorder = Recorder(httpx.WSGITransport(app=emu.app))
    extract(emu, recorder)
    assert [url.partition("?")[0].rsplit("/", 1)[1] for url in recorder.answers] == ["accountingledger.nv"]
    replay = Replay(recorder.answers)
    gc.collect()
    tracemalloc.start()
    try:
        rows = extract(emu, replay)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, rows


def test_first_sync_peak_memory_does_not_grow_with_history() -> None:
    peak_short, vouchers_short = extract_peak(6)
    peak_long, vouchers_long = extract_peak(18)
    assert vouchers_long > 2.5 * vouchers_short
    assert peak_long < 1.5 * peak_short, (peak_short, peak_long)
