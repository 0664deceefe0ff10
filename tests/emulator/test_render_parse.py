"""Contract between the emulator and the client's parser: what ``render`` writes, ``parse`` reads back exactly.

Every read resource's response parses into as many records as the reply counted, with no undeclared columns (no
schema drift) beyond the few documented below, and the values that matter for a warehouse come back equal to the
model's: keys, money, dates, line sums.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from tests.emulator.fake_company import FakeCompany, fake_company
from tests.emulator.resource_calls import MINIMAL_PARAMS, call

from netvisor_sync.parse import LINE_NUMBER, SHAPES, Shape, parse_response
from netvisor_sync.resources import READ_RESOURCES

#: columns the emulator writes that the parser does not declare, and why (none: every one is declared)
KNOWN_DRIFT: dict[str, set[str]] = {}


@pytest.fixture(scope="module")
def company() -> FakeCompany:
    return fake_company()


def drift(resource: str, records: list[dict[str, Any]]) -> set[str]:
    return _undeclared(SHAPES[resource], records, "")


def _undeclared(shape: Shape, rows: list[dict[str, Any]], prefix: str) -> set[str]:
    found: set[str] = set()
    for row in rows:
        found |= {
            f"{prefix}{k}" for k in row if k not in shape.columns and k not in shape.children and k != LINE_NUMBER
        }
        for name, child in shape.children.items():
            found |= _undeclared(child, row.get(name) or [], f"{prefix}{name}.")
    return found


@pytest.mark.parametrize("resource", sorted(READ_RESOURCES))
def test_every_response_parses_without_drift(company: FakeCompany, resource: str) -> None:
    answer = call(company, resource, MINIMAL_PARAMS.get(resource))
    records = parse_response(resource, answer.body)
    assert len(records) == answer.reply.rows or resource == "accountbalance"
    assert drift(resource, records) <= KNOWN_DRIFT.get(resource, set())


def test_version_2_purchase_invoices_parse_without_drift(company: FakeCompany) -> None:
    answer = call(company, "getpurchaseinvoice", {"netvisorkeylist": "7001,7002", "version": "2"})
    records = parse_response("getpurchaseinvoice", answer.body)
    assert [r["netvisor_key"] for r in records] == [7001, 7002]
    assert not drift("getpurchaseinvoice", records)


def test_sales_values_round_trip(company: FakeCompany) -> None:
    listed = parse_response("salesinvoicelist", call(company, "salesinvoicelist", {"replyoption": "3"}).body)
    by_key = {r["netvisor_key"]: r for r in listed}
    for invoice in company.sales_invoices:
        if invoice.status == "draft":
            continue
        row = by_key[invoice.netvisor_key]
        assert row["invoice_date"] == invoice.date
        assert row["amount"] == invoice.amount.quantize(Decimal("0.01"))
        assert row["customer_netvisor_key"] == invoice.customer_key
    detail = parse_response("getsalesinvoice", call(company, "getsalesinvoice", {"netvisorkey": "1006"}).body)[0]
    source = company.sales_invoices.get(1006)
    assert source is not None
    assert detail["amount"] == source.amount
    assert detail["currency_code"] == "SEK"
    assert detail["currency_rate"] == Decimal("11.5")
    assert [line["netvisor_key"] for line in detail["lines"]] == [line.netvisor_key for line in source.lines]
    assert [line["line_sum"] for line in detail["lines"]] == [line.sum for line in source.lines]


def test_ledger_values_round_trip(company: FakeCompany) -> None:
    body = call(company, "accountingledger", {"startdate": "2025-01-01", "enddate": "2025-12-31", "voucherstatus": "1"})
    vouchers = parse_response("accountingledger", body.body)
    assert [v["netvisor_key"] for v in vouchers] == [v.netvisor_key for v in company.vouchers]
    first = vouchers[0]
    assert first["voucher_date"] == date(2025, 1, 1)
    source = company.vouchers.get(first["netvisor_key"])
    assert source is not None
    assert [line["line_sum"] for line in first["lines"]] == [line.line_sum for line in source.lines]
    assert {v["status"] for v in vouchers} == {"valid", "invalidated", "deleted"}


def test_product_prices_keep_twelve_decimals(company: FakeCompany) -> None:
    products = parse_response("productlist", call(company, "productlist").body)
    assert [p["unit_price"] for p in products] == [p.unit_price for p in company.products]
