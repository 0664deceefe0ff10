"""Cursors follow Netvisor's clock: ``read_timestamp`` and a sync whose own clock is hours off the server's."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest

from netvisor_sync.emulator import Emulator
from netvisor_sync.emulator.clock import Clock
from netvisor_sync.errors import MalformedResponse
from netvisor_sync.parse import read_timestamp
from netvisor_sync.sync import SyncSummary, run_sync, status

from ..warehouse import Warehouse

OK = b"<?xml version='1.0' encoding='utf-8'?><Root><ResponseStatus><Status>OK</Status>%s</ResponseStatus>%s</Root>"


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        (b"<TimeStamp>1.10.2009 16:03:24</TimeStamp>", datetime(2009, 10, 1, 16, 3, 24)),
        (b"<TimeStamp>13.3.2014 8:48:27</TimeStamp>", datetime(2014, 3, 13, 8, 48, 27)),
        (b"<timestamp> 31.12.2025 23:59:59 </timestamp>", datetime(2025, 12, 31, 23, 59, 59)),
        (b"", None),
        (b"<TimeStamp></TimeStamp>", None),
        (b"<TimeStamp>yesterday</TimeStamp>", None),
    ],
)
def test_read_timestamp_reads_the_envelope(stamp: bytes, expected: datetime | None) -> None:
    assert read_timestamp(OK % (stamp, b"<Customerlist/>")) == expected


def test_read_timestamp_stops_at_the_envelope() -> None:
    """A TimeStamp inside the payload is data, not the server time, and what follows the envelope is never read."""
    payload = b"<Voucher><TimeStamp>1.1.2020 00:00:00</TimeStamp></Voucher><broken"
    assert read_timestamp(OK % (b"", payload)) is None
    assert read_timestamp(OK % (b"<TimeStamp>2.1.2020 10:00:00</TimeStamp>", payload)) == datetime(2020, 1, 2, 10)


def test_read_timestamp_refuses_what_is_not_xml() -> None:
    with pytest.raises(MalformedResponse):
        read_timestamp(b"<html><body>Bad gateway</body></html>")


SERVER_NOW = datetime(2026, 6, 10, 12, 0, 0)


def _sync(emu: Emulator, warehouse: Warehouse, pipelines: Path, client_now: datetime) -> SyncSummary:
    return run_sync(
        [emu.credentials(org) for org in emu.organisation_ids],
        base_url="http://testserver",
        destination=warehouse.destination,
        dataset_name=warehouse.dataset,
        pipelines_dir=pipelines,
        http_transport=httpx.WSGITransport(app=emu.app),
        tables=["sales_invoices", "purchase_invoices"],
        lookback=0,  # no overlap: a cursor on the wrong clock would miss or re-read changes, visibly
        clock=lambda: client_now,
    )


@pytest.mark.parametrize("client_offset", [timedelta(hours=-5), timedelta(hours=5)], ids=["behind", "ahead"])
def test_cursors_are_netvisors_own_time(duckdb_warehouse: Warehouse, tmp_path: Path, client_offset: timedelta) -> None:
    """This machine's clock is five hours off; the cursor is the server's time, so changes arrive exactly once.

    Behind: a cursor on the client clock would re-read what changed in the five hours before the first run.
    Ahead: it would skip what changed in the five hours after it.
    """
    warehouse = duckdb_warehouse
    clock = Clock.frozen(SERVER_NOW - timedelta(hours=2))
    emu = Emulator(profile="partner-test", seed=4, clock=clock)
    store = emu.companies[emu.organisation_ids[0]].store
    invoices = [doc for doc in store.sales_invoices if len(doc.lines) >= 2]
    before, after = invoices[0], invoices[1]
    store.edit("salesinvoice", before.netvisor_key, lines=before.lines[:1])  # two hours before the first run
    clock.advance(timedelta(hours=2))

    first = _sync(emu, warehouse, tmp_path / "pipelines", SERVER_NOW + client_offset)
    assert first.ok, first.errors
    [state] = status(tmp_path / "pipelines")
    assert datetime.fromisoformat(state.cursors["sales_invoices"]) == SERVER_NOW

    clock.advance(timedelta(minutes=1))
    store.edit("salesinvoice", after.netvisor_key, lines=after.lines[:1])
    emu.log.clear()
    second = _sync(emu, warehouse, tmp_path / "pipelines", SERVER_NOW + timedelta(minutes=1) + client_offset)
    assert second.ok, second.errors
    listing = [e.params for e in emu.log.entries() if e.resource == "salesinvoicelist"]
    assert listing == [{"lastmodifiedstart": SERVER_NOW.isoformat(), "includemodifiedpayments": "1"}]
    company = second.company(emu.organisation_ids[0])
    assert company.rows["sales_invoices"] == 1  # the one edited after the first run, not the one before it
    assert company.rows["purchase_invoices"] == 0
    lines = warehouse.query(
        "select sales_invoice_key, count(*) from {ds}.sales_invoice_lines where sales_invoice_key in (?, ?) group by 1",
        before.netvisor_key,
        after.netvisor_key,
    )
    assert sorted(lines) == sorted([(before.netvisor_key, 1), (after.netvisor_key, 1)])
