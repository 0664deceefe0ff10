"""The resource layer over a generated company (``partner-test`` profile) and the store's change API."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal
from itertools import islice

import pytest
from tests.emulator.fake_company import NOW
from tests.emulator.resource_calls import MINIMAL_PARAMS, call
from tests.emulator.test_render_parse import KNOWN_DRIFT, drift

from netvisor_sync.emulator import render
from netvisor_sync.emulator.clock import Clock
from netvisor_sync.emulator.generate import build_company
from netvisor_sync.emulator.render import Context, Quirks
from netvisor_sync.emulator.reply import Rejection
from netvisor_sync.emulator.store import CompanyStore
from netvisor_sync.parse import parse_response
from netvisor_sync.resources import READ_RESOURCES


def partner_test() -> CompanyStore:
    return build_company("partner-test", seed=7, organisation_id="1234567-8", clock=Clock.frozen(NOW))


@pytest.fixture(scope="module")
def store() -> CompanyStore:
    return partner_test()


def first_key(store: CompanyStore, kind: str) -> str:
    return str(next(iter(getattr(store, kind))).netvisor_key)


def minimal(store: CompanyStore, resource: str) -> dict[str, str]:
    by_key = {
        "getcustomer": ("id", "customers"),
        "getproduct": ("id", "products"),
        "getsalesinvoice": ("netvisorkey", "sales_invoices"),
        "getorder": ("netvisorkey", "sales_orders"),
        "getpurchaseinvoice": ("netvisorkey", "purchase_invoices"),
        "getpurchaseorder": ("netvisorkey", "purchase_orders"),
    }
    if resource in by_key:
        name, kind = by_key[resource]
        return {name: first_key(store, kind)}
    if resource == "accountingledger":
        return {"startdate": "2000-01-01", "enddate": "2030-12-31"}
    return MINIMAL_PARAMS.get(resource, {})


@pytest.mark.parametrize("resource", sorted(READ_RESOURCES))
def test_every_resource_answers_over_a_generated_company(store: CompanyStore, resource: str) -> None:
    answer = call(store, resource, minimal(store, resource))
    if not resource.startswith(("deleted", "getpayroll")):
        assert answer.reply.rows > 0


def test_key_paging_returns_every_record_once(store: CompanyStore) -> None:
    def follow(resource: str, key_param: str, quirks: Quirks, params: dict[str, str] | None = None) -> list[int]:
        seen: list[int] = []
        while True:
            request = dict(params or {})
            if seen:
                request[key_param] = str(seen[-1])
            keys = call(store, resource, request, quirks=quirks).record_keys()
            if not keys:
                return seen
            seen += keys

    invoices = follow("salesinvoicelist", "invoicesabovenetvisorkey", Quirks(salesinvoicelist_cap=25))
    assert invoices == [d.netvisor_key for d in store.sales_invoices if d.status != "draft"]
    orders = follow(
        "salesinvoicelist", "invoicesabovenetvisorkey", Quirks(salesinvoicelist_cap=5), {"listtype": "preinvoice"}
    )
    assert orders == [d.netvisor_key for d in store.sales_orders]
    small = Quirks(payment_list_cap=17)
    assert follow("salespaymentlist", "abovenetvisorkey", small) == [p.netvisor_key for p in store.sales_payments]
    assert follow("paymentlist", "limitabovenetvisorkey", small) == [p.netvisor_key for p in store.purchase_payments]


def test_vendor_pages_cover_every_vendor(store: CompanyStore) -> None:
    quirks = Quirks(vendor_page_size=3)
    seen: list[int] = []
    page = 1
    while True:
        answer = call(store, "getvendor", {"page": str(page)}, quirks=quirks)
        seen += answer.record_keys()
        if "X-Netvisor-Pagination-Next-Page" not in answer.reply.headers:
            break
        page += 1
    assert seen == [v.netvisor_key for v in store.vendors]


def test_detail_batches_return_every_requested_record(store: CompanyStore) -> None:
    keys = [d.netvisor_key for d in store.sales_invoices][:500]
    answer = call(store, "getsalesinvoice", {"netvisorkeylist": ",".join(map(str, keys))})
    assert answer.record_keys("SalesInvoiceNetvisorKey") == keys
    for invoice in answer.payload:
        lines = invoice.findall("InvoiceLines/InvoiceLine/SalesInvoiceProductLine")
        assert lines
        assert all(line.findtext("NetvisorKey") for line in lines)


def decimal(text: str | None) -> Decimal:
    return Decimal((text or "0").replace(",", "."))


def test_generated_ledger_balances(store: CompanyStore) -> None:
    ledger = call(store, "accountingledger", {"startdate": "2000-01-01", "enddate": "2030-12-31"})
    assert ledger.reply.rows == sum(1 for v in store.vouchers if v.status == "valid")
    for voucher in ledger.payload:
        assert sum(decimal(line.findtext("LineSum")) for line in voucher.findall("VoucherLine")) == 0
    last_day = max(v.date for v in store.vouchers).isoformat()
    balances = call(store, "accountbalance", {"balancedates": last_day}).payload
    assert sum(decimal(a.findtext("AccountBalance/Balance")) for a in balances) == 0
    debit = sum(decimal(a.findtext("AccountBalance/Debet")) for a in balances)
    assert debit > 0
    assert debit == sum(decimal(a.findtext("AccountBalance/Kredit")) for a in balances)


def test_changes_show_up_in_incremental_windows_and_delete_feeds() -> None:
    clock = Clock.frozen(NOW)
    store = build_company("partner-test", seed=7, organisation_id="1234567-8", clock=clock)
    clock.advance(timedelta(hours=1))
    now = clock.now()
    window = {"lastmodifiedstart": now.strftime("%Y-%m-%dT%H:%M:%S")}
    assert call(store, "salesinvoicelist", window, now=now).record_keys() == []
    key = store.create("salesinvoice")
    assert call(store, "salesinvoicelist", window, now=now).record_keys() == [key]
    created = store.sales_invoices.get(key)
    assert created is not None
    assert created.voucher_key is not None
    posted = call(store, "accountingledger", {"changedsince": window["lastmodifiedstart"]}, now=now)
    assert created.voucher_key in posted.record_keys()

    store.invalidate_voucher(created.voucher_key)
    by_default = call(store, "accountingledger", {"changedsince": window["lastmodifiedstart"]}, now=now)
    assert created.voucher_key not in by_default.record_keys()
    invalidated = call(
        store, "accountingledger", {"changedsince": window["lastmodifiedstart"], "voucherstatus": "3"}, now=now
    )
    assert created.voucher_key in invalidated.record_keys()

    store.delete("salesinvoice", key)
    deleted = call(store, "deletedsalesinvoices", {"deletedsince": now.date().isoformat()}, now=now)
    assert deleted.record_keys() == [key]
    assert deleted.payload[0].findtext("DeleteDate") == now.strftime("%Y-%m-%d %H:%M")
    assert b"<SalesInvoice />" in call(store, "getsalesinvoice", {"netvisorkey": str(key)}, now=now).body
    eight_days_later = now + timedelta(days=8)
    with pytest.raises(Exception, match="7 days"):
        call(store, "deletedsalesinvoices", {"deletedsince": now.date().isoformat()}, now=eight_days_later)


@pytest.mark.parametrize("resource", sorted(READ_RESOURCES))
def test_generated_responses_parse_without_drift(store: CompanyStore, resource: str) -> None:
    answer = call(store, resource, minimal(store, resource))
    records = parse_response(resource, answer.body)
    assert len(records) == answer.reply.rows or resource == "accountbalance"
    assert drift(resource, records) <= KNOWN_DRIFT.get(resource, set())


def test_generated_values_round_trip_exactly(store: CompanyStore) -> None:
    keys = ",".join(str(d.netvisor_key) for d in store.sales_invoices)
    parsed = parse_response("getsalesinvoice", call(store, "getsalesinvoice", {"netvisorkeylist": keys}).body)
    for row, source in zip(parsed, store.sales_invoices, strict=True):
        assert row["netvisor_key"] == source.netvisor_key
        assert row["amount"] == source.amount
        assert row["invoice_date"] == source.date
        assert [line["line_sum"] for line in row["lines"]] == [line.sum for line in source.lines]
        assert [line["vat_sum"] for line in row["lines"]] == [line.vat_sum for line in source.lines]
    ledger = call(store, "accountingledger", {"startdate": "2000-01-01", "enddate": "2030-12-31", "voucherstatus": "1"})
    vouchers = parse_response("accountingledger", ledger.body)
    for row, voucher in zip(vouchers, store.vouchers, strict=True):
        assert row["voucher_date"] == voucher.date
        assert [line["line_sum"] for line in row["lines"]] == [line.line_sum for line in voucher.lines]
    purchases = parse_response("purchaseinvoicelist", call(store, "purchaseinvoicelist").body)
    assert [(r["netvisor_key"], r["amount"]) for r in purchases] == [
        (p.netvisor_key, p.amount) for p in store.purchase_invoices
    ]


def test_large_profile_records_render_at_50k_rows_per_second() -> None:
    """Rendering (not generating) the ``large`` profile's invoices streams at least 50,000 rows per CPU second."""
    large = build_company("large", seed=3, organisation_id="7654321-0", clock=Clock.frozen(NOW))
    invoices = list(islice(large.sales_invoices, 4000)) * 5
    ctx = Context(base_url="http://testserver")
    best = 0.0
    for _ in range(3):
        started = time.process_time()
        items = (render.sales_list_item(d, ctx, private_comment=False, currency_sums=False) for d in invoices)
        chunks = list(render.list_reply(NOW, "SalesInvoiceList", items).chunks)
        best = max(best, len(invoices) / max(time.process_time() - started, 1e-9))
    assert len(chunks) == len(invoices) // render.CHUNK_RECORDS + 1
    assert best >= 50_000, f"{best:,.0f} rows/s"


def test_getcustomer_takes_exactly_500_existing_ids() -> None:
    large = build_company("large", seed=3, organisation_id="7654321-0", clock=Clock.frozen(NOW))
    keys = [c.netvisor_key for c in islice(large.customers, 1000, 1501)]
    assert len(large.customers) >= 501
    answer = call(large, "getcustomer", {"idlist": ",".join(str(k) for k in keys[:500])})
    assert answer.payload.tag == "Customers"
    assert answer.record_keys("CustomerBaseInformation/NetvisorKey") == keys[:500]
    with pytest.raises(Rejection) as too_many:
        call(large, "getcustomer", {"idlist": ",".join(str(k) for k in keys)})
    assert too_many.value.code == "INVALID_DATA"
    assert "at most 500" in too_many.value.message_en
