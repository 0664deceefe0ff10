"""A big unpaged answer goes through the transport, ``client_fetch`` and the planner in one call without ever being
held whole: the body is spooled to disk as it arrives, checked whole by a pass that builds nothing, and its records
are streamed out as they are consumed. A body broken after N records is fetched again before any record leaves.

The answers are synthetic ledgers produced chunk by chunk (never one ``bytes`` object), so ``tracemalloc`` measures
the client's memory, not the fake server's.
"""

from __future__ import annotations

import gc
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from netvisor_sync import source
from netvisor_sync.auth import Credentials
from netvisor_sync.catalog import CATALOG
from netvisor_sync.errors import MalformedResponse
from netvisor_sync.fetch import STREAM_CHUNK, Window, read_entry
from netvisor_sync.source import LIST_BYTES, client_fetch
from netvisor_sync.spool import SPOOL_MEMORY
from netvisor_sync.transport import NetvisorClient, NetvisorResponse

TODAY = date(2026, 11, 22)
HEAD = (
    b'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<Root><ResponseStatus><Status>OK</Status>'
    b"<TimeStamp>22.11.2026 9:05:01</TimeStamp></ResponseStatus><Vouchers>"
)
TAIL = b"</Vouchers></Root>"
LINES_PER_VOUCHER = 3


def voucher(key: int, label: str) -> bytes:
    lines = b"".join(
        b"<VoucherLine><NetvisorKey>%d</NetvisorKey><LineSum>%s</LineSum><Description>%s line %d</Description>"
        b"<AccountNumber>%d</AccountNumber><VatPercent>25,5</VatPercent><VatCode>KOMY</VatCode></VoucherLine>"
        % (key * 10 + n, b"-12,50" if n else b"25,00", label.encode(), n, 3000 + n)
        for n in range(LINES_PER_VOUCHER)
    )
    return (
        b'<Voucher status="valid"><NetvisorKey>%d</NetvisorKey><VoucherDate>%d.1.2025</VoucherDate>'
        b"<VoucherNumber>%d</VoucherNumber><VoucherDescription>%s</VoucherDescription>"
        b"<VoucherClass>MK Myyntilasku</VoucherClass>%s</Voucher>" % (key, 1 + key % 28, key, label.encode(), lines)
    )


def ledger(vouchers: int, label: str = "good", *, broken_after: int | None = None) -> Iterator[bytes]:
    """A ledger answer in 100-voucher chunks; ``broken_after``: cut mid-voucher after that many whole ones."""
    yield HEAD
    for first in range(1, vouchers + 1, 100):
        keys = range(first, min(first + 100, vouchers + 1))
        if broken_after is not None and keys.stop > broken_after:
            yield b"".join(voucher(key, label) for key in range(first, broken_after + 1))
            yield voucher(broken_after + 1, label)[:50]  # the connection dropped here
            return
        yield b"".join(voucher(key, label) for key in keys)
    yield TAIL


def ledger_size(vouchers: int) -> int:
    return sum(len(chunk) for chunk in ledger(vouchers))


class Recording:
    """A client that keeps every response it returned (to look at its spool), and counts the calls."""

    def __init__(self, client: NetvisorClient) -> None:
        self.client = client
        self.responses: list[NetvisorResponse] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def get(self, resource: str, params: Any = None) -> NetvisorResponse:
        response = self.client.get(resource, params)
        self.responses.append(response)
        return response


def recording_client(answer: Callable[[int], Iterator[bytes]]) -> Recording:
    """A client over a fake Netvisor that streams ``answer(attempt)`` (attempts counted from 1)."""
    attempts = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        return httpx.Response(200, content=answer(attempts), headers={"Content-Type": "text/xml"})

    credentials = Credentials(
        sender="tests",
        customer_id="CUSTID",
        customer_key="customer-key-0001",
        partner_id="PARTID",
        partner_key="partner-key-0002",
        organisation_id="1234567-8",
    )
    client = NetvisorClient(credentials, base_url="https://isvapi.netvisor.fi", transport=httpx.MockTransport(handler))
    return Recording(client)


@pytest.mark.slow
def test_a_big_ledger_is_one_call_spooled_to_disk_and_streamed_in_flat_memory() -> None:
    vouchers = 40_000  # 120 000 lines
    size = ledger_size(vouchers)
    assert size > 5 * SPOOL_MEMORY
    client = recording_client(lambda _: ledger(vouchers))
    fetch = client_fetch(client, "vouchers", None)
    gc.collect()
    tracemalloc.start()
    try:
        seen, keys_in_order = 0, True
        for batch in read_entry(CATALOG["vouchers"], fetch, Window(today=TODAY)):
            assert len(batch.rows) <= STREAM_CHUNK
            keys_in_order &= batch.rows[0]["netvisor_key"] == seen + 1
            seen += len(batch.rows)
            if seen == STREAM_CHUNK:  # the first batch leaves while the rest is still unparsed in the spool
                [response] = client.responses
                assert response.spool.on_disk
                assert not response.spool.closed
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        client.close()
    assert seen == vouchers
    assert keys_in_order
    assert client.stats["accountingledger"].calls == 1
    assert client.stats.total.calls == 1
    [response] = client.responses
    assert response.spool.size == size
    assert response.spool.closed  # freed as soon as its last record was read
    # the in-memory part of the spool, one batch of rows and the parser's state (measured: 5.8 MB of a 34 MB body)
    assert peak < SPOOL_MEMORY + 3 * 2**20, (peak, size)
    assert peak < size / 4, (peak, size)


def test_a_big_body_broken_after_n_records_is_fetched_again_before_any_record_leaves() -> None:
    vouchers = 12_000
    assert ledger_size(vouchers) > LIST_BYTES

    def answer(attempt: int) -> Iterator[bytes]:
        return ledger(vouchers, "cut", broken_after=7_000) if attempt == 1 else ledger(vouchers)

    client = recording_client(answer)
    fetch = client_fetch(client, "vouchers", None)
    rows = [row for batch in read_entry(CATALOG["vouchers"], fetch, Window(today=TODAY)) for row in batch.rows]
    assert [row["netvisor_key"] for row in rows] == list(range(1, vouchers + 1))
    assert all(row["description"] == "good" for row in rows)  # nothing of the cut attempt reached the batches
    assert client.stats["accountingledger"].calls == 2
    assert client.stats["accountingledger"].retries == 1
    broken, good = client.responses
    assert broken.spool.on_disk
    assert broken.spool.closed
    assert good.spool.closed


@pytest.mark.parametrize("vouchers", [100, 12_000], ids=["listed", "streamed"])
def test_a_body_broken_every_time_fails_without_yielding_anything(vouchers: int) -> None:
    client = recording_client(lambda _: ledger(vouchers, broken_after=vouchers // 2))
    fetch = client_fetch(client, "vouchers", None)
    handed_on: list[Any] = []
    with pytest.raises(MalformedResponse, match="truncated"):
        handed_on.extend(read_entry(CATALOG["vouchers"], fetch, Window(today=TODAY)))
    assert handed_on == []
    assert len(client.responses) == client.malformed_retries + 1
    assert all(response.spool.closed for response in client.responses)


@pytest.mark.parametrize("vouchers", [100, 12_000], ids=["listed", "streamed"])
def test_a_turn_covers_the_request_not_the_parsing(vouchers: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # the next table of the company may call while this one checks and parses its answer
    turns = threading.Semaphore(1)
    free_while_parsing: list[bool] = []
    real_records = source._checked_records

    def checked(resource: str, response: NetvisorResponse) -> Any:
        free = turns.acquire(blocking=False)
        free_while_parsing.append(free)
        if free:
            turns.release()
        return real_records(resource, response)

    monkeypatch.setattr(source, "_checked_records", checked)
    client = recording_client(lambda _: ledger(vouchers))
    fetch = client_fetch(client, "vouchers", None, turns)
    rows = [row for batch in read_entry(CATALOG["vouchers"], fetch, Window(today=TODAY)) for row in batch.rows]
    assert len(rows) == vouchers
    assert free_while_parsing == [True]
