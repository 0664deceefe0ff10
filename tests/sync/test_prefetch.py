"""Reading batches ahead: order, a bounded queue, errors raised as themselves, prompt stops with no thread left over,
and, through the whole sync, still one request in flight per company (the emulator rejects an overlapping one).
"""

from __future__ import annotations

import dataclasses
import gc
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import dlt
import httpx
import pytest

from netvisor_sync import arrow
from netvisor_sync.catalog import select_entries
from netvisor_sync.emulator import Emulator, FaultPlan
from netvisor_sync.fetch import Page
from netvisor_sync.options import make_options
from netvisor_sync.prefetch import Prefetched, Stopped, guarded
from netvisor_sync.report import ProgressEvent, RunReport
from netvisor_sync.source import CALLERS, CompanyReader, Plan, planned_source
from netvisor_sync.sync import run_sync

from .fakes import FakeNetvisor, invoice

WAIT = 10.0  # seconds: generous, only a broken prefetch ever waits this long
ORG = "1234567-8"


def producers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("netvisor-prefetch")]


def wait_for(condition: Callable[[], bool]) -> None:
    done = threading.Event()
    for _ in range(int(WAIT / 0.01)):
        if condition():
            return
        done.wait(0.01)
    raise AssertionError("condition not reached")


class Counted:
    """A generator of ``0..n-1`` that records how far it got, which thread ran it and whether it was closed."""

    def __init__(self, n: int, fail_at: int | None = None, error: BaseException | None = None) -> None:
        self.n, self.fail_at, self.error = n, fail_at, error
        self.made = 0
        self.threads: set[str] = set()
        self.closed_in: str | None = None

    def __iter__(self) -> Iterator[int]:
        try:
            for number in range(self.n):
                self.threads.add(threading.current_thread().name)
                if number == self.fail_at:
                    assert self.error is not None
                    raise self.error
                self.made += 1
                yield number
        finally:
            self.closed_in = threading.current_thread().name


# --- the reader ----------------------------------------------------------------------------------------------------


def test_items_arrive_in_order_from_a_producer_thread_that_then_ends() -> None:
    items = Counted(200)
    reader = Prefetched(iter(items), name="netvisor-prefetch-test")
    assert list(reader) == list(range(200))
    assert items.threads == {"netvisor-prefetch-test"}
    assert items.closed_in == "netvisor-prefetch-test"
    assert producers() == []


@pytest.mark.parametrize("depth", [1, 2])
def test_the_producer_stays_at_most_depth_items_ahead_of_a_slow_reader(depth: int) -> None:
    items = Counted(100)
    with Prefetched(iter(items), depth=depth) as reader:
        assert next(reader) == 0
        # one item handed out, ``depth`` waiting in the queue, one made and waiting for room
        wait_for(lambda: items.made == depth + 2)
        threading.Event().wait(0.2)  # time to run further ahead, if it could
        assert items.made == depth + 2
        assert next(reader) == 1
        wait_for(lambda: items.made == depth + 3)


def test_the_next_item_is_made_while_the_reader_still_holds_this_one() -> None:
    second_started = threading.Event()

    def calls() -> Iterator[int]:
        yield 0
        second_started.set()  # the "next call" begins
        yield 1

    with Prefetched(calls()) as reader:
        assert next(reader) == 0
        assert second_started.wait(WAIT), "the producer did not read ahead while the reader worked on item 0"
        assert next(reader) == 1


class Refused(Exception):
    def __init__(self, resource: str) -> None:
        super().__init__(f"{resource}: refused")
        self.resource = resource


def test_an_error_reaches_the_reader_as_itself_after_the_items_before_it() -> None:
    error = Refused("getvendor")
    items = Counted(10, fail_at=3, error=error)
    reader = Prefetched(iter(items))
    assert [next(reader) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(Refused) as raised:
        next(reader)
    assert raised.value is error
    assert raised.value.resource == "getvendor"
    assert producers() == []
    with pytest.raises(StopIteration):
        next(reader)  # finished for good


def test_closing_early_stops_the_producer_and_closes_the_iterator_in_its_thread() -> None:
    items = Counted(1000)
    with Prefetched(iter(items), name="netvisor-prefetch-early") as reader:
        assert next(reader) == 0
    assert items.closed_in == "netvisor-prefetch-early"
    assert items.made <= 3  # the item handed out, one queued, one made
    assert producers() == []
    with pytest.raises(StopIteration):
        next(reader)


def test_a_guarded_call_in_flight_is_waited_for_and_no_further_call_starts() -> None:
    stop = threading.Event()
    in_call, release = threading.Event(), threading.Event()
    calls: list[int] = []

    def call(number: int) -> int:
        calls.append(number)
        if number == 1:
            in_call.set()
            release.wait(WAIT)
        return number

    fetch = guarded(call, stop)
    reader = Prefetched((fetch(n) for n in range(100)), stop=stop, name="netvisor-prefetch-guarded")
    assert next(reader) == 0
    assert in_call.wait(WAIT)  # the producer is inside call 1, as if waiting for Netvisor
    closer = threading.Thread(target=reader.close)
    closer.start()
    closer.join(0.2)
    assert closer.is_alive(), "close must wait for the call in flight"
    release.set()
    closer.join(WAIT)
    assert not closer.is_alive()
    assert calls == [0, 1]  # nothing after the call in flight
    assert producers() == []
    with pytest.raises(Stopped):
        fetch(2)


def test_a_reader_dropped_without_close_stops_its_producer() -> None:
    items = Counted(1000)
    reader = Prefetched(iter(items), name="netvisor-prefetch-dropped")
    assert next(reader) == 0
    del reader
    gc.collect()
    wait_for(lambda: producers() == [])
    assert items.closed_in == "netvisor-prefetch-dropped"


def test_depth_must_be_at_least_one() -> None:
    with pytest.raises(ValueError, match="depth"):
        Prefetched(iter([1]), depth=0)


# --- through the source and the sync -------------------------------------------------------------------------------


class Watched:
    """A fake Netvisor whose calls take a little while, counting how many tables are inside a call at once."""

    def __init__(self, fake: FakeNetvisor) -> None:
        self.fake = fake
        self._lock = threading.Lock()
        self.inside = 0
        self.most_inside = 0

    def __call__(self, resource: str, params: Mapping[str, str]) -> Page:
        with self._lock:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        try:
            threading.Event().wait(0.01)  # as if waiting for Netvisor
            with self._lock:  # the fake itself is not made for threads; Netvisor's one-at-a-time rule holds here
                return self.fake(resource, params)
        finally:
            with self._lock:
                self.inside -= 1

    def fetch_for(self, table: str) -> Watched:
        return self


def test_the_tables_of_a_company_take_turns_to_call(tmp_path: Path) -> None:
    invoices = {key: invoice(key, 2) for key in range(1, 1201)}  # 3 list pages and 3 detail batches
    customers = {key: {"netvisor_key": key, "name": f"c{key}"} for key in range(1, 5)}
    accounts = {1: {"netvisor_key": 1, "name": "Cash"}}
    watched = Watched(FakeNetvisor(invoices=invoices, customers=customers, accounts=accounts))
    report = RunReport()
    reader = CompanyReader(ORG, watched.fetch_for)
    plan = Plan(select_entries(["sales_invoices", "customers", "accounts"]), [reader], make_options(), report)
    pipeline = dlt.pipeline(
        "prefetch_turns",
        destination=dlt.destinations.duckdb(str(tmp_path / "turns.duckdb")),
        pipelines_dir=str(tmp_path / "pipelines"),
    )
    pipeline.run(planned_source(plan), loader_file_format="parquet")
    assert report.errors == []
    assert report.rows[(ORG, "sales_invoices")] == 1200
    assert report.rows[(ORG, "sales_invoice_lines")] == 2400
    assert watched.most_inside == CALLERS  # several tables called ahead, never more than their turns allow
    assert producers() == []


class Observed:
    """The emulator's WSGI app, noting which thread made each request and how many ran inside it at once."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()
        self.threads: list[str] = []
        self.inside = 0
        self.most_inside = 0
        self.producers_alive = 0

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        with self._lock:
            self.threads.append(threading.current_thread().name)
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
            self.producers_alive = max(self.producers_alive, len(producers()))
        try:
            return list(self._app(environ, start_response))  # the body is produced (and latency slept) in here
        finally:
            with self._lock:
                self.inside -= 1


@pytest.fixture
def slow_emulator() -> Emulator:
    """Netvisor with latency on every call, rejecting (``TECHNICAL_ERROR``) any request that overlaps another."""
    return Emulator(profile="partner-test", seed=1, faults=FaultPlan(latency_ms=5, per_row_ms=0.02), overlap="reject")


def test_a_sync_reads_ahead_yet_never_overlaps_two_requests_to_a_company(
    slow_emulator: Emulator, tmp_path: Path
) -> None:
    emu = slow_emulator
    observed = Observed(emu.app)
    events: list[ProgressEvent] = []
    org = emu.organisation_ids[0]
    summary = run_sync(
        [emu.credentials(org)],
        base_url="http://testserver",
        destination=str(tmp_path / "netvisor.duckdb"),
        pipelines_dir=tmp_path / "pipelines",
        http_transport=httpx.WSGITransport(app=observed),
        clock=emu.clock.now,
        progress=events.append,
    )
    assert summary.ok, summary.errors
    assert emu.log.failures() == []  # an overlapping request would be logged as TECHNICAL_ERROR
    assert observed.most_inside == 1
    # the calls were made by the producer threads, several of them alive at once, not by dlt's thread
    assert all(name.startswith("netvisor-prefetch") for name in observed.threads)
    assert len(set(observed.threads)) > 1
    assert observed.producers_alive > 1
    assert producers() == []
    # progress still arrives: a page event per call, each table's pages before its table_done
    pages = [e for e in events if e.kind == "page"]
    assert len(pages) == len(emu.log.entries())
    done = {e.table: n for n, e in enumerate(events) if e.kind == "table_done"}
    assert done
    for n, event in enumerate(events):
        if event.kind == "page" and event.table in done:
            assert n < done[event.table], f"{event.table}: page event after table_done"


def test_dlt_closing_the_resource_early_stops_its_producer_within_its_depth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(arrow, "COALESCE_ROWS", 1)  # every batch's tables go to dlt at once: one batch, one item
    invoices = {key: invoice(key, 1) for key in range(1, 5001)}  # a full read: 10 list pages + 10 detail batches
    watched = Watched(FakeNetvisor(invoices=invoices))
    reader = CompanyReader(ORG, watched.fetch_for)
    plan = Plan(select_entries(["sales_invoices"]), [reader], make_options(), RunReport())
    pipeline = dlt.pipeline("prefetch_early", destination="duckdb", pipelines_dir=str(tmp_path / "pipelines"))

    pipeline.extract(planned_source(plan).add_limit(1))  # dlt closes the generator after its first item

    assert producers() == []
    # the batch handed out, one queued, one being made: two calls each (a list page and its details)
    assert sum(watched.fake.calls.values()) <= 6


def test_a_failing_company_leaves_no_producer_behind(slow_emulator: Emulator, tmp_path: Path) -> None:
    emu = slow_emulator
    org = emu.organisation_ids[0]
    wrong = dataclasses.replace(emu.credentials(org), customer_key="not-the-key")
    summary = run_sync(
        [wrong],
        base_url="http://testserver",
        destination=str(tmp_path / "netvisor.duckdb"),
        pipelines_dir=tmp_path / "pipelines",
        http_transport=httpx.WSGITransport(app=emu.app),
        clock=emu.clock.now,
    )
    assert not summary.ok
    assert any("AUTHENTICATION_FAILED" in error or "uthentication" in error for error in summary.errors)
    assert producers() == []
