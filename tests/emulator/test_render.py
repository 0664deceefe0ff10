"""Records -> Netvisor XML: escaping, number and date formats, streaming in chunks, quirk spellings and speed."""

from __future__ import annotations

import dataclasses
import time
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from tests.emulator.fake_company import HOSTILE, NOW, fake_company, purchase_invoice, sales_document, voucher
from tests.emulator.resource_calls import BASE_URL, call

from netvisor_sync.emulator import render, render_ledger
from netvisor_sync.emulator.clock import Clock
from netvisor_sync.emulator.generate import build_company
from netvisor_sync.emulator.render import FIXTURE_ERA_QUIRKS, Context, Quirks
from netvisor_sync.parse import parse_response

CTX = Context(base_url=BASE_URL)


@given(st.text())
def test_escaped_text_round_trips_through_an_xml_parser(text: str) -> None:
    cleaned = "".join(ch for ch in text if ch in "\t\n" or (" " <= ch <= "\ud7ff") or ("\ue000" <= ch <= "\ufffd"))
    cleaned = cleaned.replace("\r", "")
    element = etree.fromstring(f'<a b="{render.attr(cleaned)}">{render.esc(cleaned)}</a>'.encode())
    assert (element.text or "") == cleaned
    assert element.get("b") == cleaned.replace("\n", " ").replace("\t", " ")


def test_hostile_names_survive_a_whole_document() -> None:
    answer = call(fake_company(), "customerlist")
    assert answer.payload[0].findtext("Name") == HOSTILE
    assert b"&amp;" in answer.body
    assert b"&lt;Ab&gt;" in answer.body


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        (Decimal("1.96"), 12, "1,960000000000"),
        (Decimal("-17.18"), 2, "-17,18"),
        (Decimal("6.9"), 4, "6,9000"),
        (Decimal("25.50"), None, "25,5"),
        (Decimal("22.000"), None, "22"),
        (Decimal("100"), None, "100"),
        (Decimal("0"), 2, "0,00"),
        (Decimal("-0.00"), 2, "0,00"),
        (Decimal("0.5478"), 2, "0,5478"),  # never rounded away
        (Decimal("1E+2"), 2, "100,00"),
        (Decimal("1E+2"), None, "100"),
        (None, 2, ""),
    ],
)
def test_decimal_comma(value: Decimal | None, places: int | None, text: str) -> None:
    assert render.comma(value, places) == text


def test_dates_and_times() -> None:
    assert render.finnish_date(date(2023, 1, 5)) == "5.1.2023"
    assert render.finnish_time(datetime(2021, 10, 7, 4, 5, 6)) == "7.10.2021 4:05:06"
    assert render.unpadded_date(date(2017, 1, 1)) == "2017-1-1"
    assert render.ansi_el("D", date(2025, 1, 2)) == '<D format="ansi">2025-01-02</D>'
    assert render.ansi_el("D", None) == '<D format="ansi" />'
    assert render.el("X", "") == "<X />"
    assert render.el("X", 0) == "<X>0</X>"


def test_sales_invoice_amount_separator_is_a_quirk_and_lines_use_a_comma() -> None:
    document = sales_document(0, "invoice")
    element = etree.fromstring(render.sales_item(document, CTX, credited=False).encode())
    assert element.findtext("SalesInvoiceAmount") == "8,66"
    assert element.findtext("InvoiceLines/InvoiceLine/SalesInvoiceProductLine/SalesInvoiceProductLineSum") == "8,66"
    dotted = Context(BASE_URL, quirks=Quirks(sales_invoice_amount_separator="."))
    element = etree.fromstring(render.sales_item(document, dotted, credited=False).encode())
    assert element.findtext("SalesInvoiceAmount") == "8.66"
    assert element.findtext("InvoiceLines/InvoiceLine/SalesInvoiceProductLine/SalesInvoiceProductLineSum") == "8,66"
    with pytest.raises(ValueError, match="sales_invoice_amount_separator"):
        Quirks(sales_invoice_amount_separator=";")  # type: ignore[arg-type]


def test_quirk_sets_by_name() -> None:
    assert render.quirks_named("documented") is render.QUIRKS
    assert render.quirks_named(" Fixture-Era ") is FIXTURE_ERA_QUIRKS
    with pytest.raises(ValueError, match="documented, fixture-era"):
        render.quirks_named("latest")


def test_list_reply_streams_chunks_of_500_records_and_counts_rows() -> None:
    reply = render.list_reply(NOW, "Things", (f"<Thing>{i}</Thing>\n" for i in range(1234)))
    chunks = iter(reply.chunks)
    first = next(chunks)
    assert reply.rows == 500
    assert first.count(b"<Thing>") == 500
    rest = list(chunks)
    assert len(rest) == 2
    assert reply.rows == 1234
    document = etree.fromstring(first + b"".join(rest))
    assert len(document.find("Things")) == 1234


def test_empty_list_is_self_closing() -> None:
    reply = render.list_reply(NOW, "ProductList", iter(()))
    body = b"".join(reply.chunks)
    assert b"<ProductList />" in body
    assert reply.rows == 0
    assert etree.fromstring(body).find("ProductList") is not None


def test_single_reply_not_found_is_an_empty_element() -> None:
    reply = render.single_reply(NOW, "SalesInvoice", None)
    assert b"<SalesInvoice />" in b"".join(reply.chunks)
    assert reply.rows == 0


def test_quirk_spellings() -> None:
    company = fake_company()
    default = call(company, "salesinvoicelist").payload[0]
    assert default.find("InvoiceDate") is not None
    old = call(company, "salesinvoicelist", quirks=FIXTURE_ERA_QUIRKS).payload[0]
    assert old.find("Invoicedate") is not None
    assert old.find("InvoiceDate") is None
    line = call(company, "getsalesinvoice", {"netvisorkey": "1001"}, quirks=FIXTURE_ERA_QUIRKS).payload.find(
        "InvoiceLines/InvoiceLine/SalesInvoiceProductLine"
    )
    assert line.find("productidentifier") is not None
    lower = Quirks(voucher_status_attribute="status", voucher_uri_element="VoucherNetvisorUri")
    fragment = etree.fromstring(render_ledger.voucher_item(voucher(0), Context(BASE_URL, quirks=lower), []).encode())
    assert fragment.get("status") == "valid"
    assert fragment.find("VoucherNetvisorUri") is not None


def test_render_speed_is_at_least_50k_rows_per_second() -> None:
    """The ``large`` profile streams long lists; rendering must not be the bottleneck.

    Measured in CPU time of this process (best of three), so a busy test machine does not make it flaky.
    """
    invoices = [sales_document(i, "invoice") for i in range(200)] * 100  # 20,000 rows
    best = 0.0
    for _ in range(3):
        started = time.process_time()
        reply = render.list_reply(
            NOW,
            "SalesInvoiceList",
            (render.sales_list_item(d, CTX, private_comment=False, currency_sums=False) for d in invoices),
        )
        size = sum(len(chunk) for chunk in reply.chunks)
        best = max(best, len(invoices) / max(time.process_time() - started, 1e-9))
    assert size > 0
    assert best >= 50_000, f"{best:,.0f} rows/s"


def test_remembered_fragments_follow_every_field_they_render() -> None:
    """A getsalesinvoice record (or salesinvoicelist row) is the same whether its customer and product parts were
    remembered or rendered afresh: a changed customer field or a price written with other decimals never reuses an
    earlier fragment."""
    doc = sales_document(1, "invoice")
    render.clear_fragments()
    cold = render.sales_item(doc, CTX, credited=False)
    assert render.sales_item(doc, CTX, credited=False) == cold  # now from remembered fragments
    moved = dataclasses.replace(doc, customer_town="Tampere", customer_country="SE")
    moved_xml = etree.fromstring(render.sales_item(moved, CTX, credited=False).encode())
    assert moved_xml.findtext("InvoicingCustomerTown") == "Tampere"
    assert moved_xml.findtext("DeliveryAddressTown") == "Tampere"
    assert moved_xml.find("DeliveryAddressCountryCode").get("ISO-3166") == "SE"
    listed = render.sales_list_item(doc, CTX, private_comment=False, currency_sums=False)
    assert render.sales_list_item(doc, CTX, private_comment=False, currency_sums=False) == listed
    renamed = dataclasses.replace(doc, customer_name="Uusi & Nimi Oy", customer_code="X9")
    row = etree.fromstring(render.sales_list_item(renamed, CTX, private_comment=False, currency_sums=False).encode())
    assert (row.findtext("CustomerName"), row.findtext("CustomerCode")) == ("Uusi & Nimi Oy", "X9")
    line = doc.lines[0]
    short = dataclasses.replace(line, unit_price=Decimal("12.34"))
    long = dataclasses.replace(line, unit_price=Decimal("12.340000000000"))  # equal, and hashes alike
    assert "<ProductUnitPrice>12,3400</ProductUnitPrice>" in render.sales_line(short, CTX)
    assert "<ProductUnitPrice>12,340000000000</ProductUnitPrice>" in render.sales_line(long, CTX)
    old = render.sales_line(line, Context(BASE_URL, quirks=FIXTURE_ERA_QUIRKS))
    assert "<productidentifier " in old
    assert "<ProductIdentifier " in render.sales_line(line, CTX)


def test_remembered_purchase_fragments_follow_every_field_they_render() -> None:
    invoice = purchase_invoice(2)
    render.clear_fragments()
    cold = render.purchase_item(invoice, CTX, {}, version=2, attachments=False)
    assert render.purchase_item(invoice, CTX, {}, version=2, attachments=False) == cold
    renamed = dataclasses.replace(invoice, vendor_name="Toinen Oy", vendor_town="Oulu")
    xml = etree.fromstring(render.purchase_item(renamed, CTX, {}, version=2, attachments=False).encode())
    assert (xml.findtext("VendorName"), xml.findtext("VendorTown")) == ("Toinen Oy", "Oulu")
    line = dataclasses.replace(invoice.lines[0], product_code="P1", unit_price=Decimal("3.5"))
    assert "<UnitPrice>3,500000000000</UnitPrice>" in render.purchase_line(line, {}, inside=True)
    wider = dataclasses.replace(line, unit_price=Decimal("3.500000000000000"))
    assert "<UnitPrice>3,500000000000000</UnitPrice>" in render.purchase_line(wider, {}, inside=True)
    other = dataclasses.replace(line, quantity=Decimal(7), account_number=4500)
    text = render.purchase_line(other, {}, inside=True)
    assert "<OrderedAmount>7</OrderedAmount>" in text
    assert "<AccountingSuggestionBookkeepingAccount>4500<" in text


def test_periods_inside_or_beside_the_lock_information() -> None:
    company = fake_company()
    nested = call(company, "accountingperiodlist").payload
    assert nested.findall("Period") == []
    inside = nested.findall("PeriodLockInformation/Period")
    assert inside
    sibling = call(company, "accountingperiodlist", quirks=Quirks(periods_inside_lock_information=False))
    beside = sibling.payload
    assert beside.findall("PeriodLockInformation/Period") == []
    assert parse_response("accountingperiodlist", sibling.body) == parse_response(
        "accountingperiodlist", call(company, "accountingperiodlist").body
    )  # the client reads both
    assert [p.findtext("NetvisorKey") for p in beside.findall("Period")] == [p.findtext("NetvisorKey") for p in inside]
    assert beside.find("PeriodLockInformation/AccountingPeriodLockDate") is not None


def test_generated_lines_render_from_their_basket_exactly_as_line_by_line() -> None:
    """A generated document's lines come from its basket's lines rendered once per basket: the same bytes as
    rendering every line, for invoices, credit notes, orders and purchase invoices (both versions), in both
    quirk spellings, and a changed document (no basket any more) falls back to its own lines."""
    store = build_company("small", seed=5, organisation_id="1234567-8", clock=Clock.frozen(NOW))
    index = {d.name: (d.netvisor_key, {i.name: i.netvisor_key for i in d.items}) for d in store.dimensions}
    documents = [*store.sales_invoices, *store.sales_orders]
    assert any(d.credited_invoice_key is not None for d in documents)
    for ctx in (CTX, Context(base_url=BASE_URL, quirks=FIXTURE_ERA_QUIRKS)):
        render.clear_fragments()
        for d in documents:
            assert render.sales_lines(d, ctx) == "".join(render.sales_line(line, ctx) for line in d.lines)
    for inside in (False, True):
        for p in store.purchase_invoices:
            expected = "".join(render.purchase_line(line, index, inside=inside) for line in p.lines)
            assert render.purchase_lines(p, index, inside=inside) == expected
    first = next(iter(store.sales_invoices))
    store.edit("salesinvoice", first.netvisor_key, lines=[{"product_key": first.lines[0].product_key, "quantity": 7}])
    edited = store.sales_invoices.get(first.netvisor_key)
    assert edited is not None
    assert getattr(edited, "basket", None) is None
    assert render.sales_lines(edited, CTX) == "".join(render.sales_line(line, CTX) for line in edited.lines)
    assert "<SalesInvoiceProductLineQuantity>7</SalesInvoiceProductLineQuantity>" in render.sales_lines(edited, CTX)
