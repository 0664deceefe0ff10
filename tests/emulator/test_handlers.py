"""The emulator's resource layer: every read resource answers, filters, pages and rejects the way Netvisor does."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from lxml import etree
from tests.emulator.fake_company import NOW, FakeCompany, fake_company, modified
from tests.emulator.resource_calls import BASE_URL, MINIMAL_PARAMS, call

from netvisor_sync.emulator import handlers
from netvisor_sync.emulator.handlers import handle
from netvisor_sync.emulator.render import Quirks
from netvisor_sync.emulator.reply import Rejection
from netvisor_sync.resources import READ_RESOURCES


@pytest.fixture(scope="module")
def company() -> FakeCompany:
    return fake_company()


def reject(company: FakeCompany, resource: str, params: dict[str, str], **kwargs: object) -> Rejection:
    with pytest.raises(Rejection) as caught:
        handle(company, resource, params, now=NOW, language="EN", base_url=BASE_URL, **kwargs)  # type: ignore[arg-type]
    assert caught.value.code == "INVALID_DATA"
    return caught.value


def ids(n: int, start: int = 1) -> str:
    return ",".join(str(start + i) for i in range(n))


# --- one suite over the whole catalog -----------------------------------------------------------------------------

PAYLOAD_ROOTS = {
    "customerlist": "Customerlist",
    "getcustomer": "Customer",
    "getvendor": "Vendors",
    "vendorlist": "VendorList",
    "productlist": "ProductList",
    "getproduct": "Product",
    "salesinvoicelist": "SalesInvoiceList",
    "getsalesinvoice": "SalesInvoice",
    "getorder": "SalesInvoice",
    "purchaseinvoicelist": "PurchaseInvoiceList",
    "getpurchaseinvoice": "PurchaseInvoice",
    "purchaseorderlist": "PurchaseOrderList",
    "getpurchaseorder": "PurchaseOrder",
    "accountingledger": "Vouchers",
    "accountlist": "AccountList",
    "accountingperiodlist": "AccountingPeriodList",
    "vouchertypelist": "VoucherTypeList",
    "accountbalance": "AccountBalances",
    "dimensionlist": "DimensionNameList",
    "getaccountdimensionlist": "AccountFollowUpObjects",
    "paymenttermlist": "PaymentTermList",
    "salespaymentlist": "SalesPaymentList",
    "paymentlist": "PaymentList",
    "deletedsalesinvoices": "DeletedSalesInvoices",
    "deletedsalesorders": "DeletedSalesOrders",
    "deletedsalespayments": "DeletedSalesPayments",
    "deletedvouchers": "DeletedVouchers",
    "deletedpurchaseinvoices": "DeletedPurchaseInvoices",
    "deletedpurchaseorders": "DeletedPurchaseOrders",
    "deletedpurchasepayments": "DeletedPurchasePayments",
    "getpayrollpaycheckbatchlist": "PayrollPaycheckBatches",
    "getpayrollpaycheckbatch": "payrollpaycheckbatch",
}
EMPTY_BY_DESIGN = {"getpayrollpaycheckbatchlist", "getpayrollpaycheckbatch"}


def test_every_read_resource_has_a_handler() -> None:
    assert set(handlers.HANDLERS) == set(READ_RESOURCES) == set(PAYLOAD_ROOTS)


@pytest.mark.parametrize("resource", sorted(READ_RESOURCES))
def test_every_resource_answers_ok_with_rows(company: FakeCompany, resource: str) -> None:
    answer = call(company, resource, MINIMAL_PARAMS.get(resource))
    assert answer.body.startswith(b'<?xml version="1.0" encoding="utf-8" standalone="yes"?>')
    assert answer.root.findtext("ResponseStatus/TimeStamp") == "15.3.2026 12:00:00"
    assert answer.payload.tag == PAYLOAD_ROOTS[resource]
    assert len(answer.root) == 2
    if resource in EMPTY_BY_DESIGN:
        assert answer.reply.rows == 0
        assert len(answer.payload) == 0
    else:
        assert answer.reply.rows > 0


@pytest.mark.parametrize("resource", sorted(MINIMAL_PARAMS))
def test_every_mandatory_parameter_is_enforced(company: FakeCompany, resource: str) -> None:
    rejection = reject(company, resource, {})
    assert rejection.message_fi != rejection.message_en


@pytest.mark.parametrize("resource", sorted(READ_RESOURCES))
def test_resource_names_are_case_insensitive_and_may_carry_nv(company: FakeCompany, resource: str) -> None:
    upper = call(company, f"{resource.upper()}.nv", MINIMAL_PARAMS.get(resource))
    assert upper.body == call(company, resource, MINIMAL_PARAMS.get(resource)).body


def test_unknown_resource_is_rejected(company: FakeCompany) -> None:
    reject(company, "deletecustomer", {"id": "101"})


def test_rows_are_counted_while_streaming(company: FakeCompany) -> None:
    reply = handle(company, "customerlist", {}, now=NOW, language="EN", base_url=BASE_URL)
    assert reply.rows == 0
    b"".join(reply.chunks)
    assert reply.rows == len(company.customers)


# --- customers, vendors, products ---------------------------------------------------------------------------------


def test_customerlist_filters(company: FakeCompany) -> None:
    assert call(company, "customerlist").record_keys("Netvisorkey") == list(range(101, 113))
    since = modified(9).strftime("%Y-%m-%dT%H:%M:%S")
    assert call(company, "customerlist", {"changedsince": since}).record_keys("Netvisorkey") == [110, 111, 112]
    assert call(company, "customerlist", {"changedsince": "2026-01-06"}).record_keys("Netvisorkey") == [111, 112]
    # keyword wins over changedsince
    assert call(company, "customerlist", {"keyword": "söner", "changedsince": since}).record_keys("Netvisorkey") == [
        101
    ]
    assert call(company, "customerlist", {"customercodelist": "C002,C005,NOPE"}).record_keys("Netvisorkey") == [
        103,
        106,
    ]
    empty = call(company, "customerlist", {"customercodelist": "NOPE"})
    assert b"<Customerlist />" in empty.body
    assert empty.reply.rows == 0


def test_customerlist_shape(company: FakeCompany) -> None:
    first = call(company, "customerlist").payload[0]
    assert [child.tag for child in first] == [
        "Netvisorkey",
        "Name",
        "Code",
        "OrganisationIdentifier",
        "CustomerGroupID",
        "CustomerGroupName",
        "Uri",
    ]
    assert first.findtext("Name") == 'Åke & Söner <Ab> "quoted"'
    assert first.findtext("Uri") == f"{BASE_URL}/getcustomer.nv?id=101"


def test_getcustomer_single_list_and_unknown(company: FakeCompany) -> None:
    single = call(company, "getcustomer", {"id": "101"})
    assert single.payload.findtext("CustomerBaseInformation/NetvisorKey") == "101"
    assert single.payload.find("CustomerAdditionalInformation/DefaultPaymentTerm").get("netvisorkey") == "1"
    assert single.payload.findtext("CustomerAdditionalInformation/DefaultPaymentTerm") == "14 pv netto"
    assert single.payload.findtext("CustomerAdditionalInformation/BalanceLimit") == "1000,5"
    many = call(company, "getcustomer", {"idlist": "103,101,103"})
    assert many.payload.tag == "Customers"
    assert [c.findtext("CustomerBaseInformation/NetvisorKey") for c in many.payload] == ["103", "101"]
    rejection = reject(company, "getcustomer", {"id": "123"})
    assert rejection.message_en == "Data form incorrect:. Customer not found with Netvisor identifier: 123"
    reject(company, "getcustomer", {"idlist": "101,999"})


def test_one_id_list_root_is_plural_unless_the_quirk_says_singular(company: FakeCompany) -> None:
    assert call(company, "getcustomer", {"idlist": "101"}).payload.tag == "Customers"
    singular = Quirks(single_id_list_singular_root=True)
    assert call(company, "getcustomer", {"idlist": "101"}, quirks=singular).payload.tag == "Customer"
    assert call(company, "getsalesinvoice", {"netvisorkeylist": "1001"}, quirks=singular).payload.tag == "SalesInvoice"


def test_getvendor_pages_of_the_configured_size_cover_every_vendor_once() -> None:
    company = fake_company(vendor_count=11)
    quirks = Quirks(vendor_page_size=4)
    seen: list[int] = []
    for page in (1, 2, 3):
        answer = call(company, "getvendor", {"page": str(page)}, quirks=quirks)
        headers = answer.reply.headers
        assert headers["X-Netvisor-Pagination-Current-Page"] == str(page)
        assert headers["X-Netvisor-Pagination-Limit"] == "4"
        assert headers["X-Netvisor-Pagination-Total-Count"] == "11"
        assert headers.get("X-Netvisor-Pagination-Previous-Page") == (str(page - 1) if page > 1 else None)
        assert headers.get("X-Netvisor-Pagination-Next-Page") == (str(page + 1) if page < 3 else None)
        seen += answer.record_keys()
    assert seen == list(range(201, 212))
    beyond = call(company, "getvendor", {"page": "4"}, quirks=quirks)
    assert b"<Vendors />" in beyond.body
    # no parameters = page 1 of the default size
    default = call(company, "getvendor")
    assert default.reply.headers["X-Netvisor-Pagination-Limit"] == "500"
    assert default.record_keys() == list(range(201, 212))


def test_getvendor_changedsince_and_keys(company: FakeCompany) -> None:
    assert call(company, "getvendor", {"changedsince": "2026-01-05"}).record_keys() == [209, 210, 211]
    assert b"<Vendors />" in call(company, "getvendor", {"changedsince": "2027-01-01"}).body
    single = call(company, "getvendor", {"netvisorkey": "203"})
    assert single.payload.tag == "Vendor"
    assert single.payload.findtext("VendorBaseInformation/OrganizationId") == "7654322-2"
    assert b"<Vendor />" in call(company, "getvendor", {"netvisorkey": "999"}).body
    assert call(company, "getvendor", {"netvisorkeylist": "202,201"}).record_keys() == [202, 201]
    rejection = reject(company, "getvendor", {"netvisorkeylist": "201,999"})
    assert "999" in rejection.message_en
    assert rejection.message("FI") == "Toimittajaa ei löydy, netvisorkey 999"


def test_vendorlist_lists_every_vendor_in_the_getvendor_shape(company: FakeCompany) -> None:
    listed = call(company, "vendorlist")
    assert listed.payload.tag == "VendorList"
    assert listed.record_keys() == list(range(201, 212))
    paged = call(company, "getvendor")
    assert [etree.tostring(v) for v in listed.payload] == [etree.tostring(v) for v in paged.payload]


def test_productlist_status_filters_and_formats(company: FakeCompany) -> None:
    everything = call(company, "productlist")
    assert everything.record_keys() == list(range(301, 310))  # deleted ones included without a status filter
    assert everything.payload[0].findtext("UnitPrice") == "1,960000000000"
    assert call(company, "productlist", {"deleted": "1"}).record_keys() == [303, 306, 309]
    assert call(company, "productlist", {"published": "1", "unpublished": "1"}).record_keys() == [
        301,
        302,
        304,
        305,
        307,
        308,
    ]
    assert call(company, "productlist", {"keyword": "product 4"}).record_keys() == [305]
    assert call(company, "productlist", {"changedsince": "2026-01-04T12:00:00"}).record_keys() == [308, 309]
    assert b"<ProductList />" in call(company, "productlist", {"keyword": "nothing"}).body


def test_getproduct_by_id_and_code(company: FakeCompany) -> None:
    single = call(company, "getproduct", {"id": "302"})
    assert single.payload.findtext("ProductBaseInformation/ProductCode") == "P1"
    assert single.payload.find("ProductBaseInformation/UnitPrice").get("type") == "net"
    assert b"<Product />" in call(company, "getproduct", {"id": "999"}).body
    many = call(company, "getproduct", {"idlist": "303,999,301"})
    assert many.payload.tag == "Products"
    assert [p.findtext("ProductBaseInformation/NetvisorKey") for p in many.payload] == ["303", "301"]
    assert call(company, "getproduct", {"code": "P2"}).payload.findtext("ProductBaseInformation/NetvisorKey") == "303"
    by_codes = call(company, "getproduct", {"codelist": "P3,P0"})
    assert [p.findtext("ProductBaseInformation/ProductCode") for p in by_codes.payload] == ["P3", "P0"]
    assert b"<Product />" in call(company, "getproduct", {"eancode": "6410000000000"}).body


# --- sales --------------------------------------------------------------------------------------------------------


def non_draft_invoice_keys(company: FakeCompany) -> list[int]:
    return [d.netvisor_key for d in company.sales_invoices if d.status != "draft"]


def page_by_key(
    company: FakeCompany, resource: str, key_param: str, quirks: Quirks, params: dict[str, str] | None = None
) -> tuple[list[int], int]:
    """Follow key paging to the end; returns every key seen and the number of requests."""
    seen: list[int] = []
    above: int | None = None
    requests = 0
    while True:
        request = dict(params or {})
        if above is not None:
            request[key_param] = str(above)
        keys = call(company, resource, request, quirks=quirks).record_keys()
        requests += 1
        if not keys:
            return seen, requests
        assert keys == sorted(keys)
        seen += keys
        above = keys[-1]


def test_salesinvoicelist_pages_by_key_to_the_end(company: FakeCompany) -> None:
    seen, requests = page_by_key(
        company, "salesinvoicelist", "invoicesabovenetvisorkey", Quirks(salesinvoicelist_cap=7)
    )
    assert seen == non_draft_invoice_keys(company)
    assert requests == 6  # 34 invoices in pages of 7, then an empty page


def test_salesinvoicelist_caps_at_500_rows_by_default() -> None:
    company = fake_company(invoices=1100)
    first = call(company, "salesinvoicelist")
    assert first.reply.rows == 500
    seen, requests = page_by_key(company, "salesinvoicelist", "invoicesabovenetvisorkey", Quirks())
    assert seen == non_draft_invoice_keys(company)
    assert len(set(seen)) == len(seen)
    assert requests == 3


def test_salesinvoicelist_listtypes(company: FakeCompany) -> None:
    invoices = call(company, "salesinvoicelist")
    assert invoices.payload[0].findtext("Uri") == f"{BASE_URL}/getsalesinvoice.nv?netvisorkey=1001"
    orders = call(company, "salesinvoicelist", {"listtype": "preinvoice"})
    assert orders.record_keys() == list(range(5001, 5011))
    assert orders.payload[0].findtext("Uri") == f"{BASE_URL}/getorder.nv?netvisorkey=5001"
    with_drafts = call(company, "salesinvoicelist", {"listtype": "draftandinvoice"})
    assert with_drafts.record_keys() == [d.netvisor_key for d in company.sales_invoices]
    assert call(company, "salesinvoicelist", {"listtype": ""}).record_keys() == invoices.record_keys()
    reject(company, "salesinvoicelist", {"listtype": "everything"})


def test_salesinvoicelist_date_and_modification_windows(company: FakeCompany) -> None:
    # invoice i is dated 2025-01-01 + 7 i days and modified 12 i hours into 2026
    dated = call(company, "salesinvoicelist", {"begininvoicedate": "2025-01-08", "endinvoicedate": "2025-01-22"})
    assert dated.record_keys() == [1002, 1003, 1004]  # both ends inclusive
    window = {"lastmodifiedstart": "2026-01-02", "lastmodifiedend": "2026-01-03"}
    assert call(company, "salesinvoicelist", window).record_keys() == [1003, 1004, 1005]  # 1006 is a draft
    timed = {"lastmodifiedstart": "2026-01-02T12:00:00", "lastmodifiedend": "2026-01-03T00:00:00"}
    assert call(company, "salesinvoicelist", timed).record_keys() == [1004, 1005]
    drafts_too = {**timed, "lastmodifiedend": "2026-01-03T12:00:00", "listtype": "draftandinvoice"}
    assert call(company, "salesinvoicelist", drafts_too).record_keys() == [1004, 1005, 1006]
    reject(company, "salesinvoicelist", {"lastmodifiedstart": "2.1.2026"})
    reject(company, "salesinvoicelist", {"begininvoicedate": "2025-13-01"})


def test_salesinvoicelist_status_customer_and_reply_options(company: FakeCompany) -> None:
    open_family = call(company, "salesinvoicelist", {"invoicestatus": "open"})
    statuses = {(r.findtext("InvoiceStatus"), r.find("InvoiceStatus").get("substatus")) for r in open_family.payload}
    assert statuses == {("open", None), ("open", "overdue")}
    overdue = call(company, "salesinvoicelist", {"invoicestatus": "overdue"})
    assert {r.find("InvoiceStatus").get("substatus") for r in overdue.payload} == {"overdue"}
    reject(company, "salesinvoicelist", {"invoicestatus": "lost"})
    by_customer = call(company, "salesinvoicelist", {"customernetvisorkey": "102", "listtype": "draftandinvoice"})
    assert by_customer.record_keys() == [1002, 1014, 1026, 1038]
    reject(company, "salesinvoicelist", {"customernetvisorkey": "abc"})
    plain = call(company, "salesinvoicelist").payload[0]
    assert plain.find("AdditionalInformation") is None
    assert plain.find("InvoiceDate").get("format") == "ansi"
    both = call(company, "salesinvoicelist", {"replyoption": "3"}).payload[0]
    assert both.findtext("AdditionalInformation/PrivateComment") == "internal <note>"
    assert both.find("AdditionalInformation/InvoiceCurrencySum").get("currencycode") == "EUR"
    only_sums = call(company, "salesinvoicelist", {"replyoption": "2"}).payload[0]
    assert only_sums.find("AdditionalInformation/PrivateComment") is None


def test_salesinvoicelist_includemodifiedpayments_adds_invoices_whose_payments_changed() -> None:
    company = fake_company()
    payment = company.sales_payments.get(11005)
    assert payment is not None
    assert payment.invoice_key == 1005
    company.sales_payments.replace(dataclasses.replace(payment, modified=datetime(2026, 2, 20, 9)))
    window = {"lastmodifiedstart": "2026-02-20", "lastmodifiedend": "2026-02-20"}
    assert call(company, "salesinvoicelist", window).record_keys() == []
    with_payments = call(company, "salesinvoicelist", {**window, "includemodifiedpayments": "1"})
    assert with_payments.record_keys() == [1005]
    reject(company, "salesinvoicelist", {"includemodifiedpayments": "1"})


def test_getsalesinvoice_detail(company: FakeCompany) -> None:
    invoice = call(company, "getsalesinvoice", {"netvisorkey": "1006"}).payload
    assert invoice.findtext("SalesInvoiceNetvisorKey") == "1006"
    amount = invoice.find("SalesInvoiceAmount")
    assert amount.get("iso4217currencycode") == "SEK"
    assert amount.get("currencyrate") == "11.5"
    assert "," in (amount.text or "")  # a comma by default (render.Quirks.sales_invoice_amount_separator)
    assert invoice.find("InvoiceVoucher").get("netvisorkey") == "9006"
    lines = invoice.findall("InvoiceLines/InvoiceLine/SalesInvoiceProductLine")
    assert [line.findtext("NetvisorKey") for line in lines] == ["100600", "100601", "100602"]
    assert lines[0].find("ProductVatPercentage").get("vatcode") == "KOMY"
    assert lines[0].findtext("ProductVatPercentage") == "25,5"
    assert lines[0].findtext("ProductUnitPrice") == "6,9000"
    assert [d.findtext("DimensionName") for d in lines[0].findall("Dimension")] == ["Project", "Cost centre"]
    assert invoice.find("CreditedInvoiceNetvisorKey") is None


def test_getsalesinvoice_credited_invoice_needs_replyoption_16(company: FakeCompany) -> None:
    assert call(company, "getsalesinvoice", {"netvisorkey": "1008"}).payload.find("CreditedInvoiceNetvisorKey") is None
    credited = call(company, "getsalesinvoice", {"netvisorkey": "1008", "replyoption": "16"}).payload
    assert credited.findtext("CreditedInvoiceNetvisorKey") == "1001"


def test_getsalesinvoice_lists_not_found_and_limits(company: FakeCompany) -> None:
    assert b"<SalesInvoice />" in call(company, "getsalesinvoice", {"netvisorkey": "999"}).body
    listed = call(company, "getsalesinvoice", {"netvisorkeylist": "1003,999,1002"})
    assert listed.payload.tag == "SalesInvoices"
    assert listed.record_keys("SalesInvoiceNetvisorKey") == [1003, 1002]
    assert len(call(company, "getsalesinvoice", {"netvisorkeylist": ids(500, 1001)}).payload) == 40
    reject(company, "getsalesinvoice", {"netvisorkeylist": ids(501, 1001)})
    reject(company, "getsalesinvoice", {"netvisorkey": "1001", "netvisorkeylist": "1002"})
    reject(company, "getsalesinvoice", {"netvisorkey": "x"})
    reject(company, "getsalesinvoice", {"netvisorkeylist": "1001,x"})
    # orders and invoices are separate collections
    assert b"<SalesInvoice />" in call(company, "getsalesinvoice", {"netvisorkey": "5001"}).body
    assert call(company, "getorder", {"netvisorkeylist": "5002,5001"}).record_keys("SalesInvoiceNetvisorKey") == [
        5002,
        5001,
    ]
    reject(company, "getorder", {"netvisorkeylist": ids(501, 5001)})


# --- purchases ----------------------------------------------------------------------------------------------------


def test_purchaseinvoicelist_filters(company: FakeCompany) -> None:
    everything = call(company, "purchaseinvoicelist")
    assert everything.record_keys() == list(range(7001, 7016))
    assert everything.payload[0].findtext("Uri") == f"{BASE_URL}/getpurchaseinvoice.nv?netvisorkey=7001"
    assert call(company, "purchaseinvoicelist", {"invoicestatus": "approved"}).record_keys() == [7002, 7006, 7010, 7014]
    assert call(company, "purchaseinvoicelist", {"paymentstatus": "paid"}).record_keys() == [7004, 7008, 7012]
    unpaid = call(company, "purchaseinvoicelist", {"paymentstatus": "unpaid"}).record_keys()
    assert len(unpaid) == 12
    dated = {"begininvoicedate": "2025-06-11", "endinvoicedate": "2025-07-01"}
    assert call(company, "purchaseinvoicelist", dated).record_keys() == [7002, 7003, 7004]
    assert call(company, "purchaseinvoicelist", {"lastmodifiedstart": "2026-01-07"}).record_keys() == [7013, 7014, 7015]
    reject(company, "purchaseinvoicelist", {"invoicestatus": "paid"})
    reject(company, "purchaseinvoicelist", {"paymentstatus": "some"})


def test_getpurchaseinvoice_versions_language_and_attachments(company: FakeCompany) -> None:
    v1 = call(company, "getpurchaseinvoice", {"netvisorkey": "7001"}).payload
    assert v1.findtext("InvoiceStatus") == "Open"
    assert v1.find("InvoiceLines/PurchaseInvoiceLineDimensions/Dimension") is not None
    assert v1.find("InvoiceLines/PurchaseInvoiceLine/PurchaseInvoiceLineDimensions") is None
    assert v1.find("Attachments") is not None
    v2 = call(company, "getpurchaseinvoice", {"netvisorkey": "7001", "version": "2", "omitattachments": "true"})
    dimension = v2.payload.find("InvoiceLines/PurchaseInvoiceLine/PurchaseInvoiceLineDimensions/Dimension")
    assert dimension.findtext("DimensionName") == "Project"
    assert dimension.findtext("DimensionNameNetvisorKey") == "51"
    assert dimension.findtext("DimensionDetailNameNetvisorKey") == "501"
    assert v2.payload.find("Attachments") is None
    assert v2.payload.findtext("InvoiceLines/PurchaseInvoiceLine/UnitPrice") == "5,480000000000"
    finnish = call(company, "getpurchaseinvoice", {"netvisorkey": "7001"}, language="FI")
    assert finnish.payload.findtext("InvoiceStatus") == "Avoin"
    reject(company, "getpurchaseinvoice", {"netvisorkey": "7001", "version": "3"})
    reject(company, "getpurchaseinvoice", {"netvisorkeylist": ids(501, 7001)})
    assert b"<PurchaseInvoice />" in call(company, "getpurchaseinvoice", {"netvisorkey": "1"}).body
    listed = call(company, "getpurchaseinvoice", {"netvisorkeylist": "7002,7001"})
    assert listed.payload.tag == "PurchaseInvoices"
    assert listed.record_keys("PurchaseInvoiceNetvisorKey") == [7002, 7001]


def test_purchaseorderlist_filters_and_links(company: FakeCompany) -> None:
    everything = call(company, "purchaseorderlist")
    assert everything.record_keys() == list(range(8001, 8009))
    linked = everything.payload[0].find("LinkedPurchaseInvoices/PurchaseInvoice")
    assert linked.findtext("NetvisorKey") == "7001"
    assert linked.findtext("InvoiceNumber") == "PI-0"
    assert everything.payload[1].find("LinkedPurchaseInvoices") is not None
    assert len(everything.payload[1].find("LinkedPurchaseInvoices")) == 0
    assert call(company, "purchaseorderlist", {"limitorderstatus": "approved"}).record_keys() == [8002, 8007]
    assert call(company, "purchaseorderlist", {"limitvendor": "202"}).record_keys() == [8002, 8005, 8008]
    assert call(company, "purchaseorderlist", {"limitvendor": "7654321-1"}).record_keys() == [8002, 8005, 8008]
    assert call(company, "purchaseorderlist", {"limitvendor": "V001"}).record_keys() == [8002, 8005, 8008]
    dated = {"limitbegindate": "2025-02-10", "limitenddate": "2025-03-22"}
    assert call(company, "purchaseorderlist", dated).record_keys() == [8002, 8003]
    assert call(company, "purchaseorderlist", {"haslinktopurchaseinvoice": "1"}).record_keys() == [
        8001,
        8003,
        8005,
        8007,
    ]
    assert call(company, "purchaseorderlist", {"lastmodifiedend": "2026-01-01T12:00:00"}).record_keys() == [8001, 8002]
    reject(company, "purchaseorderlist", {"limitorderstatus": "lost"})


def test_getpurchaseorder_detail(company: FakeCompany) -> None:
    order = call(company, "getpurchaseorder", {"netvisorkey": "8002"}).payload
    assert order.findtext("OrderDate") == "2025-2-10"
    assert order.find("OrderStatus").get("deliverystatus") == "partiallydelivered"
    assert order.find("Amount").get("currencycode") == "EUR"
    listed = call(company, "getpurchaseorder", {"netvisorkeylist": "8003,8001"})
    assert listed.payload.tag == "PurchaseOrders"
    assert listed.record_keys() == [8003, 8001]
    assert call(company, "getpurchaseorder", {"NetvisorKeyList": "8001"}).record_keys() == [8001]
    reject(company, "getpurchaseorder", {"netvisorkeylist": ids(501, 8001)})


# --- ledger -------------------------------------------------------------------------------------------------------


def valid_voucher_keys(company: FakeCompany, statuses: set[str] | None = None) -> list[int]:
    wanted = statuses or {"valid"}
    return [v.netvisor_key for v in company.vouchers if v.status in wanted]


def test_accountingledger_requires_a_filter(company: FakeCompany) -> None:
    reject(company, "accountingledger", {})
    reject(company, "accountingledger", {"voucherstatus": "1"})
    reject(company, "accountingledger", {"startdate": "2025-01-01"})
    reject(company, "accountingledger", {"enddate": "2025-01-01"})
    reject(company, "accountingledger", {"netvisorkey": "9001", "startdate": "2025-01-01", "enddate": "2025-02-01"})
    reject(company, "accountingledger", {"netvisorkeylist": "9001", "voucherstatus": "1"})
    reject(company, "accountingledger", {"netvisorkeylist": ids(501, 9001)})
    reject(company, "accountingledger", {"changedsince": "2026-01-01", "vouchertype": "1"})
    reject(company, "accountingledger", {"startdate": "2025-01-01", "enddate": "2025-12-31", "voucherstatus": "4"})


def test_accountingledger_voucher_status_and_dates(company: FakeCompany) -> None:
    year = {"startdate": "2025-01-01", "enddate": "2025-12-31"}
    assert call(company, "accountingledger", year).record_keys() == valid_voucher_keys(company)
    every = call(company, "accountingledger", {**year, "voucherstatus": "1"})
    assert every.record_keys() == [v.netvisor_key for v in company.vouchers]
    gone = call(company, "accountingledger", {**year, "voucherstatus": "3"})
    assert gone.record_keys() == valid_voucher_keys(company, {"invalidated", "deleted"})
    assert {v.get("Status") for v in gone.payload} == {"invalidated", "deleted"}
    # voucher i is dated 2025-01-01 + 7 i days: both ends inclusive
    window = call(
        company, "accountingledger", {"startdate": "2025-01-08", "enddate": "2025-01-29", "voucherstatus": "1"}
    )
    assert window.record_keys() == [9002, 9003, 9004, 9005]
    assert window.payload[0].findtext("VoucherDate") == "8.1.2025"
    typed = call(company, "accountingledger", {**year, "vouchertype": "2", "voucherstatus": "1"})
    assert typed.record_keys() == [v.netvisor_key for v in company.vouchers if v.voucher_type_key == 2]


def test_accountingledger_modification_filters(company: FakeCompany) -> None:
    # voucher i was modified 12 i hours into 2026
    changed = call(company, "accountingledger", {"changedsince": "2026-01-14", "voucherstatus": "1"})
    assert changed.record_keys() == list(range(9027, 9031))
    window = {"lastmodifiedstart": "2026-01-02", "lastmodifiedend": "2026-01-02T12:00:00", "voucherstatus": "1"}
    assert call(company, "accountingledger", window).record_keys() == [9003, 9004]
    only_end = call(company, "accountingledger", {"lastmodifiedend": "2026-01-01", "voucherstatus": "1"})
    assert only_end.record_keys() == [9001, 9002]
    # the documented caveat: a voucher dated inside the range but modified before the window start is left out
    caveat = {"lastmodifiedstart": "2026-01-03", "vouchertype": "1", "voucherstatus": "1"}
    assert 9001 not in call(company, "accountingledger", caveat).record_keys()


def test_accountingledger_by_keys_and_account_range(company: FakeCompany) -> None:
    by_keys = call(company, "accountingledger", {"netvisorkeylist": "9004,9001,424242", "showgenerator": "1"})
    assert by_keys.record_keys() == [9004, 9001]  # an invalidated voucher comes back when asked for by key
    assert by_keys.payload[0].get("Status") == "invalidated"
    single = call(company, "accountingledger", {"netvisorkey": "9001"})
    voucher = single.payload[0]
    assert voucher.find("LinkedSourceNetvisorKey").get("type") == "salesinvoice"
    assert voucher.findtext("VoucherNetvisorURI") == f"{BASE_URL}/accountingledger.nv?netvisorkey=9001"
    lines = voucher.findall("VoucherLine")
    assert [line.findtext("VatCode") for line in lines] == ["-", "KOMY", "-"]
    assert sum(Decimal((line.findtext("LineSum") or "").replace(",", ".")) for line in lines) == 0
    assert lines[0].findtext("LineSum") == "100,25"
    assert [d.findtext("DimensionItem") for d in lines[1].findall("Dimension")] == ["P-1", "Sales"]
    ranged = {
        "startdate": "2025-01-01",
        "enddate": "2025-12-31",
        "accountnumberstart": "2000",
        "accountnumberend": "2999",
    }
    for voucher in call(company, "accountingledger", ranged).payload:
        assert [line.findtext("AccountNumber") for line in voucher.findall("VoucherLine")] == ["2939"]


def test_accountbalance_sums_valid_vouchers(company: FakeCompany) -> None:
    answer = call(company, "accountbalance", {"balancedates": "2025-01-15,2025-12-31", "netvisorkey": "17"})
    account = answer.payload[0]
    assert account.get("Netvisorkey") == "17"
    assert account.findtext("Number") == "1701"
    by_date = {b.get("Date"): b for b in account.findall("AccountBalance")}
    # valid vouchers 0, 1 and 2 are dated up to and including 2025-01-15: 100,25 + 110,25 + 120,25
    assert by_date["2025-01-15"].findtext("Debet") == "330,75"
    assert by_date["2025-01-15"].findtext("Kredit") == "0,00"
    assert by_date["2025-01-15"].findtext("Balance") == "330,75"
    expected = sum(
        (v.lines[0].line_sum for v in company.vouchers if v.status == "valid"),
        Decimal(0),
    )
    assert by_date["2025-12-31"].findtext("Debet") == f"{expected:.2f}".replace(".", ",")
    sales = call(company, "accountbalance", {"balancedates": "2025-12-31", "netvisorkeylist": "30"}).payload[0]
    credit = sum((-v.lines[1].line_sum for v in company.vouchers if v.status == "valid"), Decimal(0))
    assert sales.findtext("AccountBalance/Kredit") == f"{credit:.2f}".replace(".", ",")
    assert sales.findtext("AccountBalance/Balance") == f"{-credit:.2f}".replace(".", ",")


def test_accountbalance_intervals_and_validation(company: FakeCompany) -> None:
    def dates(params: dict[str, str]) -> list[str]:
        account = call(company, "accountbalance", {**params, "netvisorkey": "17"}).payload[0]
        return [b.get("Date") or "" for b in account.findall("AccountBalance")]

    assert dates({"balancedates": "2025-01-30,2025-04-15", "intervaltype": "3"}) == [
        "2025-01-30",
        "2025-02-28",
        "2025-03-30",
        "2025-04-15",
    ]
    assert dates({"balancedates": "2025-01-01,2025-01-03", "intervaltype": "1"}) == [
        "2025-01-01",
        "2025-01-02",
        "2025-01-03",
    ]
    assert dates({"balancedates": "2024-02-29,2026-01-01", "intervaltype": "4"}) == [
        "2024-02-29",
        "2025-02-28",
        "2026-01-01",
    ]
    assert len(dates({"balancedates": "2025-01-01,2025-01-20", "intervaltype": "2"})) == 4
    every_account = call(company, "accountbalance", {"balancedates": "2025-12-31"})
    assert [a.findtext("Number") for a in every_account.payload] == ["1701", "2939", "3000", "4000"]
    reject(company, "accountbalance", {"balancedates": "31.12.2025"})
    reject(company, "accountbalance", {"balancedates": "2025-12-31", "intervaltype": "5"})
    reject(company, "accountbalance", {"balancedates": ","})


def test_master_data_lists(company: FakeCompany) -> None:
    accounts = call(company, "accountlist").payload
    assert accounts.findtext("CompanyDefaultAccounts/SalesReceivables") == "1701"
    assert [a.findtext("Number") for a in accounts.findall("Accounts/Account")] == [
        "1000",
        "1701",
        "2939",
        "3000",
        "4000",
    ]
    assert accounts.find("Accounts/Account").findtext("AccountType") == "accountgroup"
    periods = call(company, "accountingperiodlist").payload
    assert periods.findtext("PeriodLockInformation/AccountingPeriodLockDate") == "2024-12-31"
    assert [p.findtext("Name") for p in periods.findall("PeriodLockInformation/Period")] == ["2025", "2026"]
    types = call(company, "vouchertypelist").payload
    assert types.findtext("DefaultVoucherTypes/SalesInvoices/NetvisorKey") == "1"
    assert len(types.findall("VoucherTypes/VoucherType")) == 2
    terms = call(company, "paymenttermlist")
    assert terms.record_keys() == [1, 2]
    assert terms.payload[1].findtext("DiscountPercent") == "2"


def test_dimensionlist_hides_hidden_unless_asked(company: FakeCompany) -> None:
    visible = call(company, "dimensionlist").payload
    assert [d.findtext("Name") for d in visible] == ["Project", "Cost centre"]
    assert [i.findtext("Netvisorkey") for i in visible[0].findall("DimensionDetails/DimensionDetail")] == ["501", "502"]
    child = visible[0].findall("DimensionDetails/DimensionDetail")[1]
    assert child.findtext("FatherID") == "501"
    assert child.findtext("Name") == "01 P-1a"
    everything = call(company, "dimensionlist", {"showhidden": "1"}).payload
    assert [d.findtext("IsHidden") for d in everything] == ["false", "false", "true"]
    assert len(everything[0].findall("DimensionDetails/DimensionDetail")) == 3
    assert [o.findtext("Netvisorkey") for o in call(company, "getaccountdimensionlist").payload] == ["51", "52"]


# --- payments -----------------------------------------------------------------------------------------------------


def test_salespaymentlist_pages_and_filters(company: FakeCompany) -> None:
    seen, _ = page_by_key(company, "salespaymentlist", "abovenetvisorkey", Quirks(payment_list_cap=4))
    assert seen == [p.netvisor_key for p in company.sales_payments]
    first = call(company, "salespaymentlist").payload[0]
    assert first.findtext("Date") == "1.2.2025"
    assert first.findtext("LastModifiedTimestamp") == "1.1.2026 0:00:00"
    failed = call(company, "salespaymentlist").payload[1]
    assert failed.find("BankStatusErrorDescription").get("code")
    dated = call(company, "salespaymentlist", {"begindate": "2025-02-04", "enddate": "2025-02-07"})
    assert dated.record_keys() == [11002, 11003]
    modified_window = {"lastmodifiedstart": "2026-01-01T12:00:00", "lastmodifiedend": "2026-01-02T00:00:00"}
    assert call(company, "salespaymentlist", modified_window).record_keys() == [11002, 11003]
    assert call(company, "salespaymentlist", {"invoicenetvisorkey": "1002"}).record_keys() == [11002]
    assert len(call(company, "salespaymentlist", {"limitlinkedpayments": "1"}).payload) == 16
    assert b"<SalesPaymentList />" in call(company, "salespaymentlist", {"limitbytype": "onlycreditloss"}).body
    with_bank = call(company, "salespaymentlist", {"replyoption": "3"}).payload[0]
    assert with_bank.find("Bank/ArchiveIdentifier") is not None
    reject(company, "salespaymentlist", {"abovenetvisorkey": "x"})


def test_paymentlist_pages_and_filters(company: FakeCompany) -> None:
    seen, requests = page_by_key(company, "paymentlist", "limitabovenetvisorkey", Quirks(payment_list_cap=6))
    assert seen == [p.netvisor_key for p in company.purchase_payments]
    assert requests == 5
    dated = call(company, "paymentlist", {"limitbegindate": "2025-03-03", "limitenddate": "2025-03-05"})
    assert dated.record_keys() == [12002, 12003]
    first = dated.payload[0]
    assert first.findtext("InvoiceURI") == f"{BASE_URL}/getpurchaseinvoice.nv?netvisorkey=7002"
    assert call(company, "paymentlist", {"limitinvoiceid": "7001"}).record_keys() == [12001, 12016]
    reject(company, "paymentlist", {"limitbegindate": "yesterday"})


def test_uncapped_payment_lists_return_everything() -> None:
    company = fake_company(sales_payments=620)
    assert call(company, "salespaymentlist").reply.rows == 500
    assert call(company, "salespaymentlist", quirks=Quirks(payment_list_cap=None)).reply.rows == 620


# --- deletions and payroll ----------------------------------------------------------------------------------------

DELETED = [name for name in READ_RESOURCES if name.startswith("deleted")]


@pytest.mark.parametrize("resource", DELETED)
def test_deleted_resources_window(company: FakeCompany, resource: str) -> None:
    week_ago = (NOW - timedelta(days=7)).date().isoformat()
    recent = call(company, resource, {"deletedsince": week_ago})
    assert len(recent.payload) == 1
    record = recent.payload[0]
    assert record.findtext("NetvisorKey", "").startswith("600")
    assert record.find("DeleteDate").get("format") == "ansi"
    assert len(record.findtext("DeleteDate") or "") == len("2026-03-13 12:00")
    today = call(company, resource, {"deletedsince": NOW.date().isoformat()})
    assert today.payload.tag == recent.payload.tag
    assert len(today.payload) == 0
    assert f"<{today.payload.tag} />".encode() in today.body
    rejection = reject(company, resource, {"deletedsince": (NOW - timedelta(days=8)).date().isoformat()})
    assert "7 days" in rejection.message_en
    reject(company, resource, {"deletedsince": "2026-03-15T00:00:00"})


def test_payroll_validates_and_answers_empty(company: FakeCompany) -> None:
    ok = call(company, "getpayrollpaycheckbatchlist", {"startdate": "2026-01-01", "enddate": "2026-01-31"})
    assert b"<PayrollPaycheckBatches />" in ok.body
    reject(company, "getpayrollpaycheckbatchlist", {"startdate": "2026-01-01", "enddate": "2026-02-01"})
    reject(company, "getpayrollpaycheckbatchlist", {"startdate": "2026-01-10", "enddate": "2026-01-01"})
    reject(company, "getpayrollpaycheckbatchlist", {"enddate": "2026-01-10"})
    assert b"<payrollpaycheckbatch />" in call(company, "getpayrollpaycheckbatch", {"netvisorkey": "5"}).body
    reject(company, "getpayrollpaycheckbatch", {"netvisorkey": "five"})


# --- limits -------------------------------------------------------------------------------------------------------

OVER_LIMIT = [
    ("getcustomer", {"idlist": ids(501, 101)}),
    ("customerlist", {"customercodelist": ",".join(f"C{i}" for i in range(101))}),
    ("getproduct", {"idlist": ids(401, 301)}),
    ("getproduct", {"codelist": ",".join(f"P{i}" for i in range(401))}),
    ("getsalesinvoice", {"netvisorkeylist": ids(501)}),
    ("getorder", {"netvisorkeylist": ids(501)}),
    ("getpurchaseinvoice", {"netvisorkeylist": ids(501)}),
    ("getpurchaseorder", {"netvisorkeylist": ids(501)}),
    ("accountingledger", {"netvisorkeylist": ids(501)}),
]


@pytest.mark.parametrize(("resource", "params"), OVER_LIMIT, ids=[f"{r}-{next(iter(p))}" for r, p in OVER_LIMIT])
def test_over_limit_batches_are_invalid_data(company: FakeCompany, resource: str, params: dict[str, str]) -> None:
    rejection = reject(company, resource, params)
    assert "at most" in rejection.message_en
    assert "enintään" in rejection.message("FI")


AT_LIMIT = [
    ("getcustomer", {"idlist": ids(500, 101)}, "Customers"),
    ("customerlist", {"customercodelist": ",".join(f"C{i:03d}" for i in range(100))}, "Customerlist"),
    ("getproduct", {"idlist": ids(400, 301)}, "Products"),
]


@pytest.mark.parametrize(("resource", "params", "root"), AT_LIMIT, ids=[r for r, _, _ in AT_LIMIT])
def test_batches_at_the_limit_are_accepted(resource: str, params: dict[str, str], root: str) -> None:
    company = fake_company()
    if resource == "getcustomer":
        params = {"idlist": ids(12, 101)}  # every id must exist; the limit check itself is covered above
    assert call(company, resource, params).payload.tag == root
