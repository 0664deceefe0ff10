"""One suite over the whole catalogue: every read resource has a shape and a fixture of ours that parses to typed rows.

The fixtures in ``tests/parse/fixtures/<resource>.xml`` are written by us and carry the quirks of the API reference
(sections 5 and 6): casing variants, both date and decimal formats, 12-decimal prices, negative amounts, empty and
whitespace elements, singular and plural roots, attributes carrying data, ä/ö/å/€ and long text.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from netvisor_sync.parse import LINE_NUMBER, SHAPES, ColumnKind, Shape, parse_response
from netvisor_sync.resources import READ_RESOURCES

FIXTURES = Path(__file__).parent / "fixtures"
PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "text": (str,),
    "int": (int,),
    "decimal": (Decimal,),
    "date": (date,),
    "timestamp": (datetime,),
    "bool": (bool,),
}


def check_rows(shape: Shape, rows: list[dict[str, Any]], where: str) -> None:
    """Every declared column present and typed as declared, child lists likewise, nothing undeclared."""
    for row in rows:
        expected = set(shape.columns) | set(shape.children)
        assert set(row) == expected, f"{where}: undeclared {set(row) - expected}, missing {expected - set(row)}"
        for column, kind in shape.columns.items():
            check_value(kind, row[column], f"{where}.{column}")
        for name, child in shape.children.items():
            check_rows(child, row[name], f"{where}.{name}")
            assert [item[LINE_NUMBER] for item in row[name]] == list(range(1, len(row[name]) + 1))


def check_value(kind: ColumnKind, value: object, where: str) -> None:
    if value is None:
        return
    assert isinstance(value, PYTHON_TYPES[kind.name]), f"{where}: {value!r} is not {kind.name}"
    if kind.name == "int":
        assert not isinstance(value, bool), where
    if kind.name == "date":
        assert not isinstance(value, datetime), where
    assert kind.fits(value), f"{where}: {value!r} does not fit DECIMAL({kind.precision}, {kind.scale})"


def test_every_read_resource_has_a_shape_and_a_fixture() -> None:
    assert list(SHAPES) == list(READ_RESOURCES)
    assert sorted(p.stem for p in FIXTURES.glob("*.xml")) == sorted(READ_RESOURCES)


@pytest.mark.parametrize("resource", list(READ_RESOURCES))
def test_fixture_parses_to_typed_keyed_rows(resource: str) -> None:
    shape = SHAPES[resource]
    rows = parse_response(resource, (FIXTURES / f"{resource}.xml").read_bytes())
    assert rows, f"{resource}: the fixture gave no rows"
    check_rows(shape, rows, resource)
    for row in rows:
        for column in shape.key:
            assert row[column] is not None, f"{resource}: key column {column} is empty"
    keys = [tuple(row[column] for column in shape.key) for row in rows]
    assert len(set(keys)) == len(keys), f"{resource}: duplicate keys {keys}"


@pytest.mark.parametrize("resource", list(READ_RESOURCES))
def test_shape_is_well_formed(resource: str) -> None:
    shape = SHAPES[resource]
    assert shape.name == resource
    assert shape.records
    assert shape.description
    assert all(column == column.lower() and " " not in column for column in shape.columns)
    for kind in shape.columns.values():
        if kind.name == "decimal":
            assert kind.precision is not None
            assert kind.scale is not None
            assert 0 <= kind.scale <= kind.precision
    for child in shape.children.values():
        assert child.key == (LINE_NUMBER,)
        assert LINE_NUMBER in child.columns


#: Spot checks of the first row (and its first child rows) per resource: the quirks each fixture carries.
EXPECTED: dict[str, dict[str, Any]] = {
    "customerlist": {"netvisor_key": 101, "name": "Ääkkönen & Öljy Oy", "customer_group_netvisor_key": 3},
    "getcustomer": {
        "netvisor_key": 101,
        "code": "C001",
        "country": "FI",
        "is_active": True,
        "is_private_customer": False,
        "balance_limit": Decimal("5000.00"),
        "default_payment_term": "14 päivää netto",
        "default_payment_term_netvisor_key": 4,
        "name_extension": None,
        "contact_persons": [
            {
                LINE_NUMBER: 1,
                "netvisor_key": None,
                "first_name": "Sämpsä",
                "last_name": "Öhman",
                "phone_number": None,
                "email": None,
            },
        ],
    },
    "getvendor": {"netvisor_key": 501, "business_id": "7654321-0", "email": "laskutus@sahko.example"},
    "vendorlist": {"netvisor_key": 502, "name": "Yksittäinen Toimittaja", "bank_accounts": []},
    "productlist": {"unit_price": Decimal("1.960000000000"), "name": "Testituote €", "product_group": "Kirjat"},
    "getproduct": {
        "unit_price": Decimal("42.5"),
        "unit_price_type": "net",
        "unit_gross_price_type": "gross",
        "commission_percent": Decimal("11.0"),
        "is_sales_product": False,
        "default_vat_percent": Decimal("25.5"),
        "default_domestic_account_number": 3000,
    },
    "salesinvoicelist": {
        "invoice_date": date(2025, 1, 1),
        "due_date": date(2025, 1, 15),
        "status": "open",
        "substatus": "overdue",
        "is_in_collection": False,
        "amount": Decimal("123.45"),
        "currency_amount": Decimal("1412.30"),
        "currency_code": "SEK",
        "open_currency_code": "SEK",
    },
    "getsalesinvoice": {
        "netvisor_key": 165,
        "invoice_number": 5,
        "amount": Decimal("244.12"),
        "currency_code": "EUR",
        "currency_rate": Decimal("1.0"),
        "status": "Avoin",
        "status_code": "open",
        "substatus": "overdue",
        "customer_country": "Finland",
        "customer_country_code": "FI",
        "match_partial_payments_by_default": False,
        "payment_term_cash_discount": Decimal("2.5"),
        "voucher": "MK 12",
        "voucher_netvisor_key": 555,
        "free_text_before_lines": None,
        "comment_lines": [{LINE_NUMBER: 1, "comment": "Kiitos tilauksesta!"}],
    },
    "getorder": {"netvisor_key": 301, "amount": Decimal("99.90"), "status_code": "undelivered"},
    "purchaseinvoicelist": {"invoice_number": "INV-2025/17", "paid_amount": Decimal("40.00")},
    "getpurchaseinvoice": {
        "netvisor_key": 700,
        "reference_number": "RF471234567890",
        "is_vendor_bank_account_deleted": False,
        "is_vendor_bank_account_from_sepa_region": True,
        "foreign_currency_amount": Decimal("100"),
        "voucher_netvisor_key": 880,
        "is_accounted": True,
    },
    "purchaseorderlist": {"amount": Decimal("1000.34")},
    "getpurchaseorder": {
        "order_date": date(2017, 1, 1),
        "delivery_status": "partiallydelivered",
        "currency_code": "EUR",
        "vendor_country": "FI",
    },
    "accountingledger": {
        "status": "valid",
        "voucher_date": date(2024, 12, 31),
        "linked_source_type": "salesinvoice",
        "linked_source_netvisor_key": 165,
        "uri": "https://isvapi.netvisor.fi/voucher/12",
    },
    "accountlist": {"account_number": 1000, "account_type": "accountgroup", "is_cumulative": False, "sort": 1},
    "accountingperiodlist": {
        "netvisor_key": 5,
        "begin_date": date(2024, 1, 1),
        "accounting_period_lock_date": date(2024, 12, 31),
        "vat_period_lock_date": date(2025, 1, 31),
        "purchase_lock_date": None,
    },
    "vouchertypelist": {
        "abbreviation": "MK",
        "foreign_names": [
            {LINE_NUMBER: 1, "name": "Sales invoice", "language": "en"},
            {LINE_NUMBER: 2, "name": "Försäljningsfaktura", "language": "sv"},
        ],
    },
    "accountbalance": {
        "netvisor_key": 42,
        "account_number": 3000,
        "balance_date": date(2024, 12, 31),
        "debit": Decimal("0.00"),
        "credit": Decimal("15000.50"),
        "balance": Decimal("-15000.50"),
    },
    "dimensionlist": {"netvisor_key": 2, "is_hidden": False, "link_type": "0"},
    "getaccountdimensionlist": {
        "foreign_name": "Vehicle ABC-123",
        "foreign_name_language": "en",
        "accounts": [{LINE_NUMBER: 1, "account_netvisor_key": 42}, {LINE_NUMBER: 2, "account_netvisor_key": 43}],
    },
    "paymenttermlist": {"net_days": 14, "discount_percent": Decimal("2.5"), "is_default": True},
    "salespaymentlist": {
        "payment_date": date(2025, 2, 7),
        "last_modified": datetime(2025, 10, 7, 14, 24, 42),
        "foreign_currency_amount": None,
        "bank_status_error_code": "ERROR_IN_DUE_DATE",
        "bank_status_error_description": "Eräpäivä virheellinen",
    },
    "paymentlist": {"amount": Decimal("-1234.56"), "foreign_currency_amount": None, "invoice_netvisor_key": 700},
    "getpayrollpaycheckbatchlist": {
        "period_start_date": date(2025, 1, 1),
        "rule_group_name": "Kuukausipalkat",
        "employee_number": "0042",
        "status": 2,
    },
    "getpayrollpaycheckbatch": {"netvisor_key": 77, "voucher_netvisor_key": 990, "voucher_date": date(2025, 1, 31)},
    **{
        name: {"netvisor_key": 1001, "deleted_at": datetime(2022, 6, 8, 15, 14)}
        for name in READ_RESOURCES
        if name.startswith("deleted")
    },
}


@pytest.mark.parametrize("resource", list(READ_RESOURCES))
def test_first_row_has_the_expected_values(resource: str) -> None:
    row = parse_response(resource, (FIXTURES / f"{resource}.xml").read_bytes())[0]
    assert {column: row[column] for column in EXPECTED[resource]} == EXPECTED[resource]


def test_expected_table_covers_every_resource() -> None:
    assert set(EXPECTED) == set(READ_RESOURCES)


def test_lines_and_nested_dimensions() -> None:
    (invoice,) = parse_response("getsalesinvoice", (FIXTURES / "getsalesinvoice.xml").read_bytes())
    first, second = invoice["lines"]
    assert first["netvisor_key"] == 9001
    assert first["product_identifier"] == "OMENA"  # spelled <productidentifier> in the fixture
    assert first["unit_price"] == Decimal("6.900000000000")
    assert (first["vat_percent"], first["vat_code"]) == (Decimal("25.5"), "KOMY")
    assert (first["vat_sum"], first["line_sum"]) == (Decimal("3.5190"), Decimal("17.3190"))
    assert first["dimensions"] == [{LINE_NUMBER: 1, "dimension_name": "Projekti", "dimension_item": "P-1 Ääni"}]
    assert (second["netvisor_key"], second["line_number"], second["line_sum"]) == (None, 2, Decimal("-1.25"))

    vouchers = parse_response("accountingledger", (FIXTURES / "accountingledger.xml").read_bytes())
    assert [v["status"] for v in vouchers] == ["valid", "invalidated"]
    lines = vouchers[0]["lines"]
    assert [line["line_sum"] for line in lines] == [Decimal("-17.18"), Decimal("17.18")]
    assert sum(line["line_sum"] for line in lines) == 0
    assert [d["dimension_item"] for d in lines[0]["dimensions"]] == ["P-1", "Myynti"]
    assert vouchers[1]["description"] is None  # whitespace-only element
    assert vouchers[1]["uri"] == "https://isvapi.netvisor.fi/voucher/25"  # spelled VoucherNetvisorURI

    (dimension,) = parse_response("dimensionlist", (FIXTURES / "dimensionlist.xml").read_bytes())
    assert [(i["netvisor_key"], i["father_netvisor_key"], i["is_hidden"]) for i in dimension["items"]] == [
        (20, 0, False),
        (21, 20, True),  # spelled FatherID
    ]


def test_accountbalance_gives_one_row_per_account_and_date() -> None:
    rows = parse_response("accountbalance", (FIXTURES / "accountbalance.xml").read_bytes())
    assert [(r["netvisor_key"], r["balance_date"], r["balance"]) for r in rows] == [
        (42, date(2024, 12, 31), Decimal("-15000.50")),
        (42, date(2025, 1, 31), Decimal("-1190.00")),
        (43, date(2024, 12, 31), Decimal("15000.50")),  # @NetvisorKey and @date spelled differently
    ]
    assert all(r["debit"] - r["credit"] == r["balance"] for r in rows)
    assert "balances" not in rows[0]


def test_plural_roots_give_every_record() -> None:
    assert [r["netvisor_key"] for r in parse_response("getorder", (FIXTURES / "getorder.xml").read_bytes())] == [
        301,
        302,
    ]
    customers = parse_response("getcustomer", (FIXTURES / "getcustomer.xml").read_bytes())
    assert [c["name"] for c in customers] == ["Ääkkönen & Öljy Oy", "Åsa Ström"]
    assert customers[0]["comment"].endswith("Hinta 12 € / kk. Loppu.")
    assert len(customers[0]["comment"]) > 500
