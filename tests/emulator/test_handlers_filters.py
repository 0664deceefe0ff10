"""Every documented filter and option narrows or changes the answer as Netvisor's does, and bad values are refused.

Each test changes a few records of a fresh fake company so that a filter has something to find and something to
leave out: an ignored filter would return every record and fail.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from typing import Any

import pytest
from tests.emulator.fake_company import NOW, FakeCollection, FakeCompany, fake_company
from tests.emulator.resource_calls import call
from tests.emulator.test_handlers import reject

from netvisor_sync.emulator.clock import Clock
from netvisor_sync.emulator.generate import build_company
from netvisor_sync.emulator.invoice_pdf import invoice_pdf
from netvisor_sync.emulator.render import Quirks
from netvisor_sync.parse import parse_response


def changed(collection: FakeCollection[Any], key: int, **fields: Any) -> None:
    record = collection.get(key)
    assert record is not None
    collection.replace(dataclasses.replace(record, **fields))


@pytest.fixture
def company() -> FakeCompany:
    return fake_company()


# --- salesinvoicelist ---------------------------------------------------------------------------------------------


def test_salesinvoicelist_invoicenumber_and_customercode(company: FakeCompany) -> None:
    assert call(company, "salesinvoicelist", {"invoicenumber": "3"}).record_keys() == [1003]
    assert call(company, "salesinvoicelist", {"invoicenumber": "999"}).record_keys() == []
    orders = {"listtype": "preinvoice", "invoicenumber": "4"}
    assert call(company, "salesinvoicelist", orders).record_keys() == [5004]
    reject(company, "salesinvoicelist", {"invoicenumber": "three"})
    assert call(company, "salesinvoicelist", {"customercode": "C002"}).record_keys() == [1003, 1015, 1027, 1039]
    assert call(company, "salesinvoicelist", {"customercode": "C999"}).record_keys() == []


def test_salesinvoicelist_invoicing_country_in_both_spellings(company: FakeCompany) -> None:
    changed(company.sales_invoices, 1002, customer_country="SE")
    changed(company.sales_invoices, 1005, customer_country="SE")
    assert call(company, "salesinvoicelist", {"invoicingcustomercontrycode": "se"}).record_keys() == [1002, 1005]
    assert call(company, "salesinvoicelist", {"InvoicingCustomerCountryCode": "SE"}).record_keys() == [1002, 1005]
    finnish = call(company, "salesinvoicelist", {"invoicingcustomercontrycode": "FI"}).record_keys()
    assert 1002 not in finnish
    assert len(finnish) == len(call(company, "salesinvoicelist").record_keys()) - 2
    both = {"invoicingcustomercontrycode": "SE", "invoicingcustomercountrycode": "FI"}
    assert call(company, "salesinvoicelist", both).record_keys() == []


def test_salesinvoicelist_batch_and_auxiliary_trade_name(company: FakeCompany) -> None:
    changed(company.sales_invoices, 1004, batch_id=77)
    changed(company.sales_invoices, 1003, second_name="Testi Verkkokauppa", second_name_key=3)
    assert call(company, "salesinvoicelist", {"salesinvoicebatchid": "77"}).record_keys() == [1004]
    assert call(company, "salesinvoicelist", {"salesinvoicebatchid": "78"}).record_keys() == []
    reject(company, "salesinvoicelist", {"salesinvoicebatchid": "batch"})
    assert call(company, "salesinvoicelist", {"secondname": "testi verkkokauppa"}).record_keys() == [1003]
    assert call(company, "salesinvoicelist", {"secondname": "Testi"}).record_keys() == []
    assert call(company, "salesinvoicelist", {"secondnamenetvisorkey": "3"}).record_keys() == [1003]
    assert call(company, "salesinvoicelist", {"secondnamenetvisorkey": "4"}).record_keys() == []
    reject(company, "salesinvoicelist", {"secondnamenetvisorkey": "three"})


def test_generated_invoices_came_in_no_batch_but_created_ones_can() -> None:
    store = build_company("partner-test", seed=2, organisation_id="1234567-8", clock=Clock.frozen(NOW))
    assert call(store, "salesinvoicelist", {"salesinvoicebatchid": "1"}).record_keys() == []
    key = store.create("salesinvoice", batch_id=1, second_name="Testi Verkkokauppa", second_name_key=9)
    assert call(store, "salesinvoicelist", {"salesinvoicebatchid": "1"}).record_keys() == [key]
    assert call(store, "salesinvoicelist", {"secondnamenetvisorkey": "9"}).record_keys() == [key]
    commented = store.create("salesinvoice", comment_lines=["Toimitus sovitusti"])
    answer = call(store, "getsalesinvoice", {"netvisorkey": str(commented), "showcommentlines": "1"})
    assert answer.payload.findtext("InvoiceLines/InvoiceLine/SalesInvoiceCommentLine/Comment") == "Toimitus sovitusti"
    with pytest.raises(ValueError, match="comment_lines must be a list of texts"):
        store.create("salesinvoice", comment_lines="Toimitus sovitusti")
    purchase = store.create("purchaseinvoice", batch_id=4)
    assert call(store, "purchaseinvoicelist", {"purchaseinvoicebatchid": "4"}).record_keys() == [purchase]


# --- getsalesinvoice / getorder -----------------------------------------------------------------------------------


def test_getsalesinvoice_comment_lines_only_when_asked(company: FakeCompany) -> None:
    changed(company.sales_invoices, 1003, comment_lines=("Toimitus sovitusti", "Kiitos <tilauksesta> & tervetuloa"))
    plain = call(company, "getsalesinvoice", {"netvisorkey": "1003"}).payload
    assert plain.find("InvoiceLines/InvoiceLine/SalesInvoiceCommentLine") is None
    shown = call(company, "getsalesinvoice", {"netvisorkey": "1003", "showcommentlines": "1"})
    line = shown.payload.find("InvoiceLines/InvoiceLine")
    assert [child.tag for child in line] == ["SalesInvoiceProductLine"] * 3 + ["SalesInvoiceCommentLine"] * 2
    assert [c.findtext("Comment") for c in line.findall("SalesInvoiceCommentLine")] == [
        "Toimitus sovitusti",
        "Kiitos <tilauksesta> & tervetuloa",
    ]
    parsed = parse_response("getsalesinvoice", shown.body)
    assert [row["comment"] for row in parsed[0]["comment_lines"]] == [
        "Toimitus sovitusti",
        "Kiitos <tilauksesta> & tervetuloa",
    ]
    changed(company.sales_orders, 5002, comment_lines=("Toimitus viikolla 12",))
    order = call(company, "getorder", {"netvisorkey": "5002", "showcommentlines": "true"}).payload
    assert order.findtext("InvoiceLines/InvoiceLine/SalesInvoiceCommentLine/Comment") == "Toimitus viikolla 12"
    reject(company, "getsalesinvoice", {"netvisorkey": "1003", "showcommentlines": "yes"})


def test_generated_credit_notes_carry_a_comment_line() -> None:
    store = build_company("small", seed=4, organisation_id="1234567-8", clock=Clock.frozen(NOW))
    note = next(d for d in store.sales_invoices if d.credited_invoice_key is not None)
    credited = store.sales_invoices.get(note.credited_invoice_key or 0)
    assert credited is not None
    answer = call(store, "getsalesinvoice", {"netvisorkey": str(note.netvisor_key), "showcommentlines": "1"})
    comments = answer.payload.findall("InvoiceLines/InvoiceLine/SalesInvoiceCommentLine/Comment")
    assert [c.text for c in comments] == [f"Hyvityslasku laskulle {credited.number}"]
    plain = call(store, "getsalesinvoice", {"netvisorkey": str(credited.netvisor_key), "showcommentlines": "1"})
    assert plain.payload.find("InvoiceLines/InvoiceLine/SalesInvoiceCommentLine") is None


def test_getsalesinvoice_pdf_image_only_with_pdfimage_pdf(company: FakeCompany) -> None:
    for params in ({}, {"pdfimage": "lastsentprintservice"}, {"pdfimage": "nopdf"}):
        answer = call(company, "getsalesinvoice", {"netvisorkey": "1006", **params})
        assert answer.payload.find("LastSentInvoicePDFBase64Data") is None, params
    invoice = call(company, "getsalesinvoice", {"netvisorkey": "1006", "pdfimage": "pdf"}).payload
    tags = [child.tag for child in invoice]
    assert tags.index("LastSentInvoicePDFBase64Data") == tags.index("MatchPartialPaymentsByDefault") - 1
    pdf = base64.b64decode(invoice.findtext("LastSentInvoicePDFBase64Data") or "", validate=True)
    assert_valid_pdf(pdf)
    assert b"(Lasku 6) Tj" in pdf
    source = company.sales_invoices.get(1006)
    assert source is not None
    assert pdf == invoice_pdf(source)  # a pure function of the invoice: the same bytes every time
    credited = call(company, "getsalesinvoice", {"netvisorkey": "1008", "pdfimage": "pdf", "replyoption": "16"})
    tags = [child.tag for child in credited.payload]
    assert tags.index("LastSentInvoicePDFBase64Data") < tags.index("CreditedInvoiceNetvisorKey")
    reject(company, "getsalesinvoice", {"netvisorkey": "1006", "pdfimage": "png"})


def assert_valid_pdf(pdf: bytes) -> None:
    """The header, the trailer, and every cross-reference offset pointing at its object."""
    assert pdf.startswith(b"%PDF-1.4\n")
    assert pdf.endswith(b"%%EOF\n")
    startxref = int(re.findall(rb"startxref\n(\d+)\n", pdf)[-1])
    assert pdf[startxref:].startswith(b"xref\n0 6\n")
    offsets = [int(o) for o in re.findall(rb"(\d{10}) 00000 n ", pdf[startxref:])]
    assert len(offsets) == 5
    for number, offset in enumerate(offsets, start=1):
        assert pdf[offset:].startswith(b"%d 0 obj\n" % number)
    length = int(re.findall(rb"/Length (\d+)", pdf)[0])
    stream = pdf.index(b"stream\n") + len(b"stream\n")
    assert pdf[stream + length :].startswith(b"\nendstream")


def test_getsalesinvoice_attachments_aggregate_when_asked(company: FakeCompany) -> None:
    assert call(company, "getsalesinvoice", {"netvisorkey": "1002"}).payload.find("SalesInvoiceAttachments") is None
    answer = call(company, "getsalesinvoice", {"netvisorkey": "1002", "includeattachments": "1"})
    attachments = answer.payload.find("SalesInvoiceAttachments")
    assert attachments is not None
    assert len(attachments) == 0  # the model keeps no attachment files
    assert [child.tag for child in answer.payload][-2:] == ["InvoiceLines", "SalesInvoiceAttachments"]
    reject(company, "getsalesinvoice", {"netvisorkey": "1002", "includeattachments": "all"})


def test_getsalesinvoice_replyoption_bits(company: FakeCompany) -> None:
    plain = call(company, "getsalesinvoice", {"netvisorkey": "1008"}).body
    for option in ("1", "2", "4", "8", "32", "47"):  # no events, accruals, factoring, payment plans, credit targets
        assert call(company, "getsalesinvoice", {"netvisorkey": "1008", "replyoption": option}).body == plain
    for option in ("16", "31", "63"):
        answer = call(company, "getsalesinvoice", {"netvisorkey": "1008", "replyoption": option})
        assert answer.payload.findtext("CreditedInvoiceNetvisorKey") == "1001", option
    for option in ("64", "-1", "all"):
        reject(company, "getsalesinvoice", {"netvisorkey": "1008", "replyoption": option})


# --- purchases ----------------------------------------------------------------------------------------------------


def test_purchaseinvoicelist_invoicenumber_and_batch(company: FakeCompany) -> None:
    assert call(company, "purchaseinvoicelist", {"invoicenumber": "PI-3"}).record_keys() == [7004]
    assert call(company, "purchaseinvoicelist", {"invoicenumber": "PI-99"}).record_keys() == []
    changed(company.purchase_invoices, 7003, batch_id=12)
    assert call(company, "purchaseinvoicelist", {"purchaseinvoicebatchid": "12"}).record_keys() == [7003]
    assert call(company, "purchaseinvoicelist", {"purchaseinvoicebatchid": "13"}).record_keys() == []
    reject(company, "purchaseinvoicelist", {"purchaseinvoicebatchid": "x"})


def test_purchaseorderlist_order_numbers_and_comment(company: FakeCompany) -> None:
    numbers = {"limitstartordernumber": "3", "limitendordernumber": "5"}
    assert call(company, "purchaseorderlist", numbers).record_keys() == [8003, 8004, 8005]
    assert call(company, "purchaseorderlist", {"limitstartordernumber": "7"}).record_keys() == [8007, 8008]
    assert call(company, "purchaseorderlist", {"limitendordernumber": "2"}).record_keys() == [8001, 8002]
    reject(company, "purchaseorderlist", {"limitstartordernumber": "x"})
    changed(company.purchase_orders, 8002, comment="Kiireellinen toimitus")
    changed(company.purchase_orders, 8006, comment="ei kiireellinen")
    assert call(company, "purchaseorderlist", {"searchcomment": "KIIREELLINEN"}).record_keys() == [8002, 8006]
    assert call(company, "purchaseorderlist", {"searchcomment": "toimitus"}).record_keys() == [8002]
    assert call(company, "purchaseorderlist", {"searchcomment": "peruttu"}).record_keys() == []


# --- payments and vendors -----------------------------------------------------------------------------------------


def test_salespaymentlist_searchbyname_and_invoicenumber(company: FakeCompany) -> None:
    assert call(company, "salespaymentlist", {"searchbyname": "PAYER 2"}).record_keys() == [
        11003,
        *range(11021, 11026),
    ]
    assert call(company, "salespaymentlist", {"searchbyname": "Nobody"}).record_keys() == []
    assert call(company, "salespaymentlist", {"invoicenumber": "3"}).record_keys() == [11003]
    reject(company, "salespaymentlist", {"invoicenumber": "three"})


def test_paymentlist_limitreference(company: FakeCompany) -> None:
    changed(company.purchase_payments, 12003, reference="2024")
    assert call(company, "paymentlist", {"limitreference": "2024"}).record_keys() == [12003]
    others = call(company, "paymentlist", {"limitreference": "1009"}).record_keys()
    assert others == [p.netvisor_key for p in company.purchase_payments if p.netvisor_key != 12003]


@pytest.mark.parametrize("page", ["0", "-1", "x"])
def test_getvendor_page_below_one_is_invalid_data(company: FakeCompany, page: str) -> None:
    rejection = reject(company, "getvendor", {"page": page}, quirks=Quirks(vendor_page_size=4))
    assert "page" in rejection.message_en
