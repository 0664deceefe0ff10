"""Contract test: the reference responses in ../shared/netvisor-fixtures (a public client's test data) parse right.

Skipped, with the reason, when that folder is not next to the repository (it is not part of it).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from netvisor_sync import errors
from netvisor_sync.parse import SHAPES, parse_response, read_status

REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "netvisor-fixtures"
pytestmark = pytest.mark.skipif(
    not REFERENCE.is_dir(), reason=f"reference fixtures not found at {REFERENCE} (they live outside the repository)"
)

#: file -> the read resource it is a reply of; None: only the envelope is ours to check.
RESOURCES: dict[str, str | None] = {
    "AccountingList.xml": "accountingledger",
    "AuthenticationFailed.xml": None,
    "CompanyList.xml": None,
    "CustomerCreate.xml": None,
    "CustomerEdit.xml": None,
    "CustomerList.xml": "customerlist",
    "CustomerListMinimal.xml": "customerlist",
    "GetCompanyInformation.xml": None,
    "GetCustomer.xml": "getcustomer",
    "GetCustomerMinimal.xml": "getcustomer",
    "GetCustomerNotFound.xml": None,
    "GetProduct.xml": "getproduct",
    "GetProductMinimal.xml": "getproduct",
    "GetProductNotFound.xml": "getproduct",
    "GetSalesInvoice.xml": "getsalesinvoice",
    "GetSalesInvoiceMinimal.xml": "getsalesinvoice",
    "GetSalesInvoiceNotFound.xml": "getsalesinvoice",
    "ProductList.xml": "productlist",
    "ProductListMinimal.xml": "productlist",
    "SalesInvoiceCreate.xml": None,
    "SalesInvoiceEdit.xml": None,
    "SalesInvoiceList.xml": "salesinvoicelist",
    "SalesInvoiceListEmpty.xml": "salesinvoicelist",
    "SalesInvoiceListPreinvoice.xml": "salesinvoicelist",
    "SalesPaymentList.xml": "salespaymentlist",
}
FAILED = {"AuthenticationFailed.xml": errors.AuthenticationFailed, "GetCustomerNotFound.xml": errors.InvalidData}


def reference(name: str) -> bytes:
    return (REFERENCE / name).read_bytes()


def test_every_reference_file_is_covered() -> None:
    assert sorted(p.name for p in REFERENCE.glob("*.xml")) == sorted(RESOURCES)


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_envelope(name: str) -> None:
    if name in FAILED:
        with pytest.raises(FAILED[name]):
            read_status(reference(name), resource=RESOURCES[name] or "customerlist")
    else:
        read_status(reference(name), resource=RESOURCES[name] or "customerlist")


@pytest.mark.parametrize("name", sorted(n for n, r in RESOURCES.items() if r is not None))
def test_read_resources_parse_without_drift(name: str) -> None:
    resource = RESOURCES[name]
    assert resource is not None
    for row in parse_response(resource, reference(name)):
        undeclared = set(row) - set(_shape_columns(resource))
        assert not undeclared, f"{name}: undeclared {undeclared}"


def _shape_columns(resource: str) -> list[str]:
    shape = SHAPES[resource]
    return [*shape.columns, *shape.children]


def rows(name: str) -> list[dict[str, Any]]:
    resource = RESOURCES[name]
    assert resource is not None
    return parse_response(resource, reference(name))


def test_accounting_list() -> None:
    vouchers = rows("AccountingList.xml")
    assert [v["netvisor_key"] for v in vouchers] == [12, 25, 36]
    assert [v["status"] for v in vouchers] == ["valid", "invalidated", None]
    assert [v["voucher_date"] for v in vouchers] == [date(2000, 1, 1), date(2000, 1, 2), date(2000, 1, 3)]
    first = vouchers[0]
    assert (first["voucher_number"], first["voucher_class"]) == (13, "PI Purchase Invoice")
    assert (first["linked_source_netvisor_key"], first["linked_source_type"]) == (15, "purchaseinvoice")
    assert first["uri"] == "https:/netvisor.com/voucher/16"
    assert [line["line_sum"] for line in first["lines"]] == [Decimal("-17.18"), Decimal("-21.22")]
    assert [line["account_number"] for line in first["lines"]] == [100, 200]
    assert [line["line_number"] for line in first["lines"]] == [1, 2]
    assert first["lines"][0]["vat_percent"] == Decimal("20")
    dimensions = vouchers[1]["lines"][0]["dimensions"]
    assert [(d["dimension_name"], d["dimension_item"]) for d in dimensions] == [("Sales", "Mike"), ("Purchase", "Matt")]
    assert vouchers[2]["lines"] == []


def test_customer_list() -> None:
    customers = rows("CustomerList.xml")
    assert [(c["netvisor_key"], c["name"], c["code"]) for c in customers] == [
        (165, "Anni Asiakas", "AA"),
        (166, "Matti Mallikas", None),
    ]
    assert customers[1]["business_id"] is None
    assert rows("CustomerListMinimal.xml") == []


def test_get_customer() -> None:
    (customer,) = rows("GetCustomer.xml")
    assert customer["code"] == "MM"
    assert customer["business_id"] == "1234567-8"
    assert customer["customer_group_netvisor_key"] == 1
    assert customer["customer_group_name"] == "Asiakasryhmä 1"
    assert customer["country"] == "FI"
    assert customer["is_active"] is True
    assert customer["balance_limit"] == Decimal("200.3")
    assert customer["finvoice_router_code"] == "PSPBFIHH"
    assert customer["delivery_name"] == "Matti"
    (minimal,) = rows("GetCustomerMinimal.xml")
    assert (minimal["code"], minimal["is_active"], minimal["balance_limit"]) == (None, False, None)


def test_get_product() -> None:
    (product,) = rows("GetProduct.xml")
    assert (product["netvisor_key"], product["code"], product["name"]) == (165, "CC", "Code Complete")
    assert (product["unit_price"], product["unit_price_type"]) == (Decimal("42.5"), "brutto")
    assert product["purchase_price"] == Decimal("25.0000")
    assert product["commission_percent"] == Decimal("11.0")
    assert (product["is_active"], product["is_sales_product"]) == (True, False)
    assert product["default_outside_eu_account_number"] == 3380
    assert product["inventory_value"] == Decimal("10.0000")
    (minimal,) = rows("GetProductMinimal.xml")
    assert (minimal["unit_price"], minimal["is_sales_product"], minimal["purchase_price"]) == (Decimal(0), None, None)
    assert rows("GetProductNotFound.xml") == []


def test_get_sales_invoice() -> None:
    (invoice,) = rows("GetSalesInvoice.xml")
    assert invoice["invoice_number"] == 3
    assert invoice["invoice_date"] == date(2012, 1, 27)
    assert invoice["due_date"] == date(2012, 2, 11)
    assert (invoice["amount"], invoice["currency_code"], invoice["currency_rate"]) == (Decimal("244.00"), "EUR", 1)
    assert (invoice["seller_identifier"], invoice["seller_identifier_type"]) == ("Jarmo", "name")
    assert invoice["status"] == "Unsent"
    assert invoice["match_partial_payments_by_default"] is False
    assert (invoice["payment_term_cash_discount"], invoice["payment_term_cash_discount_type"]) == (9, "percentage")
    assert invoice["free_text_before_lines"] is None
    lines = invoice["lines"]
    assert [line["product_identifier"] for line in lines] == ["OMENA", "BANAANI"]
    assert [line["line_sum"] for line in lines] == [Decimal("16.84"), Decimal("3.0378")]
    assert [line["vat_sum"] for line in lines] == [Decimal("3.04"), Decimal("0.5478")]
    assert lines[0]["unit_price"] == Decimal("6.9000")
    assert (lines[0]["vat_percent"], lines[0]["vat_code"]) == (Decimal("22"), "KOMY")
    assert lines[0]["account_suggestion"] == 551
    (minimal,) = rows("GetSalesInvoiceMinimal.xml")
    assert (minimal["amount"], minimal["currency_code"], minimal["payment_term_net_days"]) == (
        Decimal("244.00"),
        None,
        None,
    )
    assert rows("GetSalesInvoiceNotFound.xml") == []


def test_sales_invoice_lists() -> None:
    invoices = rows("SalesInvoiceList.xml")
    assert [(i["netvisor_key"], i["invoice_number"], i["invoice_date"]) for i in invoices] == [
        (165, 5, date(2013, 11, 9)),
        (166, 6, date(2015, 4, 29)),
    ]
    assert [(i["status"], i["substatus"]) for i in invoices] == [("open", "overdue"), ("unsent", None)]
    assert (invoices[0]["amount"], invoices[0]["open_amount"]) == (Decimal("123.45"), Decimal("45.67"))
    assert invoices[0]["customer_name"] == "Matti Meikäläinen"
    assert rows("SalesInvoiceListEmpty.xml") == []
    (order,) = rows("SalesInvoiceListPreinvoice.xml")
    assert (order["netvisor_key"], order["status"]) == (165, "open")


def test_sales_payment_list() -> None:
    payments = rows("SalesPaymentList.xml")
    assert [(p["netvisor_key"], p["payment_date"], p["amount"]) for p in payments] == [
        (165, date(2014, 2, 7), Decimal("249.90")),
        (166, date(2014, 3, 10), Decimal("200")),
    ]
    assert payments[0]["bank_status_error_code"] == "ERROR_IN_DUE_DATE"
    assert payments[0]["bank_status_error_description"] == "Eräpäivä virheellinen"
    assert payments[1]["bank_status_error_code"] is None
    assert payments[0]["invoice_number"] == 1
    assert payments[0]["foreign_currency_amount"] is None


def test_failed_envelopes_carry_code_and_text() -> None:
    with pytest.raises(errors.InvalidData) as caught:
        parse_response("getcustomer", reference("GetCustomerNotFound.xml"))
    assert caught.value.text == "Data form incorrect:. Customer not found with Netvisor identifier: 123"
    with pytest.raises(errors.AuthenticationFailed) as failed:
        read_status(reference("AuthenticationFailed.xml"), resource="customerlist", http_status=401)
    assert failed.value.text == "Integraatiokumppania ei löydy, katso dokumentaatio"
    assert failed.value.status == 401
