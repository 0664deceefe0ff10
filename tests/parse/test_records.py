"""The record engine's rules, which hold for every resource: where records are, names, drift, streaming, errors."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import psutil
import pytest

from netvisor_sync import errors
from netvisor_sync.parse import SHAPES, iter_records, parse_response, shape_for

FIXTURES = Path(__file__).parent / "fixtures"
HEAD = "<Root><ResponseStatus><Status>OK</Status><TimeStamp>1.1.2025 12:00:00</TimeStamp></ResponseStatus>"


def body(payload: str) -> bytes:
    return f'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n{HEAD}{payload}</Root>'.encode()


# -- resource names -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["salesinvoicelist", "SalesInvoiceList", "salesinvoicelist.nv", "SalesInvoiceList.NV"])
def test_resource_names_are_case_insensitive_with_optional_suffix(name: str) -> None:
    assert shape_for(name) is SHAPES["salesinvoicelist"]
    assert len(parse_response(name, (FIXTURES / "salesinvoicelist.xml").read_bytes())) == 2


def test_unknown_resource_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="unknown Netvisor read resource 'deletecustomer'") as caught:
        parse_response("deletecustomer", body(""))
    assert "accountingledger" in str(caught.value)
    assert "salesinvoicelist" in str(caught.value)


# -- where records are ----------------------------------------------------------------------------------------------

INVOICE = (
    "<SalesInvoice><SalesInvoiceNetvisorKey>{key}</SalesInvoiceNetvisorKey>"
    "<SalesInvoiceAmount>1,00</SalesInvoiceAmount></SalesInvoice>"
)


@pytest.mark.parametrize(
    "payload",
    [
        INVOICE.format(key=1),
        "<SalesInvoices>" + INVOICE.format(key=1) + "</SalesInvoices>",
        "<salesinvoices>" + INVOICE.format(key=1).replace("SalesInvoice>", "salesinvoice>") + "</salesinvoices>",
    ],
    ids=["singular", "plural", "lowercase"],
)
def test_singular_and_plural_roots(payload: str) -> None:
    (row,) = parse_response("getsalesinvoice", body(payload))
    assert (row["netvisor_key"], row["amount"]) == (1, Decimal("1.00"))


@pytest.mark.parametrize(
    ("resource", "payload"),
    [
        ("productlist", "<ProductList/>"),
        ("productlist", "<ProductList></ProductList>"),
        ("salesinvoicelist", "<SalesInvoiceList />"),
        ("deletedsalesinvoices", "<DeletedSalesInvoices/>"),
        ("getvendor", "<Vendors/>"),
        ("customerlist", "<Customerlist>\n  </Customerlist>"),
        ("getsalesinvoice", "<SalesInvoice />"),
        ("getproduct", "<Product></Product>"),
        ("getpurchaseinvoice", "<PurchaseInvoice>\n    </PurchaseInvoice>"),
        ("accountbalance", "<AccountBalances/>"),
        ("accountingledger", ""),
    ],
)
def test_empty_lists_and_not_found_give_no_records(resource: str, payload: str) -> None:
    assert parse_response(resource, body(payload)) == []


def test_a_reply_for_another_resource_is_refused() -> None:
    with pytest.raises(errors.MalformedResponse, match=r"not a productlist reply: it holds <Customerlist>"):
        parse_response("productlist", (FIXTURES / "customerlist.xml").read_bytes())


def test_a_nested_element_named_like_a_record_is_not_a_record() -> None:
    payload = INVOICE.format(key=1).replace(
        "</SalesInvoice>",
        "<Documents><SalesInvoice><NetvisorKey>9</NetvisorKey></SalesInvoice></Documents></SalesInvoice>",
    )
    (row,) = parse_response("getsalesinvoice", body(payload))
    assert row["netvisor_key"] == 1
    assert row["documents_sales_invoice_netvisor_key"] == "9"


@pytest.mark.parametrize(
    "payload",
    [
        "<AccountingPeriodList><PeriodLockInformation>{locks}{periods}</PeriodLockInformation></AccountingPeriodList>",
        "<AccountingPeriodList><PeriodLockInformation>{locks}</PeriodLockInformation>{periods}</AccountingPeriodList>",
        "<AccountingPeriodList>{periods}<PeriodLockInformation>{locks}</PeriodLockInformation></AccountingPeriodList>",
    ],
    ids=["nested", "sibling-after", "sibling-before"],
)
def test_periods_nested_in_or_beside_the_lock_information(payload: str) -> None:
    locks = '<AccountingPeriodLockDate format="ansi">2024-12-31</AccountingPeriodLockDate>'
    periods = "".join(
        f"<Period><NetvisorKey>{k}</NetvisorKey><BeginDate>{k}.1.2024</BeginDate></Period>" for k in (1, 2)
    )
    rows = parse_response("accountingperiodlist", body(payload.format(locks=locks, periods=periods)))
    assert [(r["netvisor_key"], r["begin_date"]) for r in rows] == [(1, date(2024, 1, 1)), (2, date(2024, 1, 2))]
    assert {r["accounting_period_lock_date"] for r in rows} == {date(2024, 12, 31)}


# -- names are matched case-insensitively ---------------------------------------------------------------------------


def test_element_and_attribute_names_ignore_case() -> None:
    payload = (
        '<VOUCHERS><voucher STATUS="deleted"><netvisorkey>5</netvisorkey><VOUCHERDATE>1.2.2025</VOUCHERDATE>'
        '<linkedsourcenetvisorkey TYPE="salesinvoice">7</linkedsourcenetvisorkey>'
        "<voucherline><LINESUM>1,5</LINESUM><dimension><DIMENSIONNAME>A</DIMENSIONNAME></dimension></voucherline>"
        "</voucher></VOUCHERS>"
    )
    (row,) = parse_response("accountingledger", body(payload))
    assert (row["netvisor_key"], row["status"], row["voucher_date"]) == (5, "deleted", date(2025, 2, 1))
    assert (row["linked_source_netvisor_key"], row["linked_source_type"]) == (7, "salesinvoice")
    assert row["lines"][0]["line_sum"] == Decimal("1.5")
    assert row["lines"][0]["dimensions"][0]["dimension_name"] == "A"


def test_an_unexpected_record_spelling_late_in_a_big_body_is_still_read() -> None:
    # Spellings the head does not show escape lxml's C-level tag filter; the engine finds them at the end.
    usual = "".join(f"<Voucher><NetvisorKey>{k}</NetvisorKey></Voucher>" for k in range(3000))
    odd = "<vOuChEr><NetvisorKey>99999</NetvisorKey></vOuChEr>"
    rows = parse_response("accountingledger", body(f"<Vouchers>{usual}{odd}</Vouchers>"))
    assert len(rows) == 3001
    assert rows[-1]["netvisor_key"] == 99999


def test_a_declared_latin_encoding_is_honoured() -> None:
    document = (
        '<?xml version="1.0" encoding="ISO-8859-15"?>' + HEAD + "<Customerlist><Customer><Netvisorkey>1</Netvisorkey>"
        "<Name>Ääkkönen €</Name></Customer></Customerlist></Root>"
    ).encode("iso-8859-15")
    assert parse_response("customerlist", document)[0]["name"] == "Ääkkönen €"


# -- nothing is dropped ---------------------------------------------------------------------------------------------


def test_schema_drift_is_kept_as_text_columns() -> None:
    payload = """<SalesInvoiceList><SalesInvoice newattribute="x" format="ansi">
      <NetvisorKey>1</NetvisorKey>
      <BrandNewField>uusi arvo</BrandNewField>
      <InvoiceStatus substatus="overdue" isincollection="1" colour="red">open</InvoiceStatus>
      <InvoiceDate format="ansi">2025-01-01</InvoiceDate>
      <InvoiceDueDate format="ANSI" type="ansi">2025-01-02</InvoiceDueDate>
      <AdditionalInformation>
        <PrivateComment>hello</PrivateComment>
        <NewNested><Deeper code="7">syvä</Deeper></NewNested>
      </AdditionalInformation>
      <!-- a comment is not data -->
      <Uri><![CDATA[https://x/?a=1&b=2]]></Uri>
      <NetvisorKey>2</NetvisorKey>
      <Name>drift named like nothing declared</Name>
      <Status>drift colliding with a declared column</Status>
    </SalesInvoice></SalesInvoiceList>"""
    (row,) = parse_response("salesinvoicelist", body(payload))
    assert row["netvisor_key"] == 1
    assert row["netvisor_key_2"] == "2"  # repeated single-valued element: first wins, the rest kept as text
    assert row["brand_new_field"] == "uusi arvo"
    assert row["newattribute"] == "x"
    assert row["invoice_status_colour"] == "red"
    assert (row["status"], row["substatus"], row["is_in_collection"]) == ("open", "overdue", True)
    assert row["additional_information_new_nested_deeper"] == "syvä"
    assert row["additional_information_new_nested_deeper_code"] == "7"
    assert row["private_comment"] == "hello"
    assert row["uri"] == "https://x/?a=1&b=2"
    assert row["name"] == "drift named like nothing declared"
    assert row["status_2"] == "drift colliding with a declared column"
    assert not any(key.startswith(("invoice_date_", "invoice_due_date_", "format")) for key in row)


def test_many_distinct_undeclared_tags_do_not_grow_the_compiled_shape() -> None:
    from netvisor_sync.parse.plan import RAW_CACHE_LIMIT, plan_for

    fields = "".join(f"<Field{n}>{n}</Field{n}>" for n in range(3 * RAW_CACHE_LIMIT))
    (row,) = parse_response(
        "paymenttermlist", body(f"<PaymentTermList><PaymentTerm>{fields}</PaymentTerm></PaymentTermList>")
    )
    assert row[f"field{3 * RAW_CACHE_LIMIT - 1}"] == str(3 * RAW_CACHE_LIMIT - 1)
    assert len(plan_for(SHAPES["paymenttermlist"]).root.raw) <= RAW_CACHE_LIMIT


def test_drift_inside_child_lists_and_leaves_with_children() -> None:
    payload = """<Vouchers><Voucher><NetvisorKey>1</NetvisorKey>
      <VoucherLine><LineSum>1</LineSum><Allocation><Share>50</Share></Allocation>
        <Dimension><DimensionName>A</DimensionName><DimensionItem>x</DimensionItem><Extra>e</Extra></Dimension>
      </VoucherLine>
      <VoucherDate>1.1.2025<Note>unexpected child of a leaf</Note></VoucherDate>
    </Voucher></Vouchers>"""
    (row,) = parse_response("accountingledger", body(payload))
    (line,) = row["lines"]
    assert line["allocation_share"] == "50"
    assert line["dimensions"][0]["extra"] == "e"
    assert row["voucher_date_note"] == "unexpected child of a leaf"


def test_list_items_with_only_text_and_attributes() -> None:
    payload = (
        "<AccountList><Accounts><Account><NetvisorKey>1</NetvisorKey>"
        '<ForeignName ISO-3166="en">Sales</ForeignName><ForeignName iso-3166="SE">Försäljning</ForeignName>'
        "<ForeignName/></Account></Accounts></AccountList>"
    )
    (row,) = parse_response("accountlist", body(payload))
    assert row["foreign_names"] == [
        {"line_number": 1, "name": "Sales", "language": "en"},
        {"line_number": 2, "name": "Försäljning", "language": "SE"},
    ]


@pytest.mark.parametrize("version", [1, 2])
def test_purchase_line_dimensions_inside_or_after_the_line(version: int) -> None:
    def dimensions(item: str) -> str:
        return (
            "<PurchaseInvoiceLineDimensions><Dimension><DimensionName>Kp</DimensionName>"
            f"<DimensionDetailName>{item}</DimensionDetailName></Dimension></PurchaseInvoiceLineDimensions>"
        )

    lines = "".join(
        f"<PurchaseInvoiceLine><NetvisorKey>{key}</NetvisorKey>"
        + (dimensions(item) + "</PurchaseInvoiceLine>" if version == 2 else "</PurchaseInvoiceLine>" + dimensions(item))
        for key, item in ((1, "A"), (2, "B"))
    )
    payload = f"<PurchaseInvoice><PurchaseInvoiceNetvisorKey>9</PurchaseInvoiceNetvisorKey><InvoiceLines>{lines}"
    (row,) = parse_response("getpurchaseinvoice", body(payload + "</InvoiceLines></PurchaseInvoice>"))
    assert [(line["netvisor_key"], [d["dimension_item"] for d in line["dimensions"]]) for line in row["lines"]] == [
        (1, ["A"]),
        (2, ["B"]),
    ]
    assert set(row) <= set(SHAPES["getpurchaseinvoice"].columns) | set(SHAPES["getpurchaseinvoice"].children)


def test_trailing_dimensions_without_a_line_are_kept_as_drift() -> None:
    payload = (
        "<PurchaseInvoice><PurchaseInvoiceNetvisorKey>9</PurchaseInvoiceNetvisorKey><InvoiceLines>"
        "<PurchaseInvoiceLineDimensions><Dimension><DimensionName>Kp</DimensionName></Dimension>"
        "</PurchaseInvoiceLineDimensions></InvoiceLines></PurchaseInvoice>"
    )
    (row,) = parse_response("getpurchaseinvoice", body(payload))
    assert row["lines"] == []
    assert row["invoice_lines_purchase_invoice_line_dimensions_dimension_dimension_name"] == "Kp"


# -- errors ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "where", "reason"),
    [
        ("<VoucherDate>32.1.2025</VoucherDate>", "/Root/Vouchers/Voucher[2]/VoucherDate", "not a valid date"),
        ("<NetvisorKey>12a</NetvisorKey>", "/Root/Vouchers/Voucher[2]/NetvisorKey", "not an integer"),
        ("<VoucherLine><LineSum>1.234,56</LineSum></VoucherLine>", "/VoucherLine/LineSum", "not a decimal number"),
        ('<LinkedSourceNetvisorKey type="x">N/A</LinkedSourceNetvisorKey>', "LinkedSourceNetvisorKey", "'N/A'"),
    ],
)
def test_a_value_that_does_not_convert_names_its_element(payload: str, where: str, reason: str) -> None:
    document = body(f"<Vouchers><Voucher><NetvisorKey>1</NetvisorKey></Voucher><Voucher>{payload}</Voucher></Vouchers>")
    with pytest.raises(errors.MalformedResponse) as caught:
        parse_response("accountingledger", document)
    assert where in str(caught.value)
    assert reason in str(caught.value)
    assert str(caught.value).startswith("accountingledger.nv: ")


def test_a_bad_attribute_value_names_the_attribute() -> None:
    payload = '<SalesInvoice><SalesInvoiceAmount currencyrate="one">1</SalesInvoiceAmount></SalesInvoice>'
    with pytest.raises(errors.MalformedResponse, match=r"/Root/SalesInvoice/SalesInvoiceAmount/@currencyrate"):
        parse_response("getsalesinvoice", body(payload))


# -- streaming ------------------------------------------------------------------------------------------------------


class GeneratedLedger(io.RawIOBase):
    """A large accountingledger body produced on the fly, so the test never holds it in memory."""

    def __init__(self, vouchers: int) -> None:
        self._chunks = self._generate(vouchers)
        self._buffer = b""

    @staticmethod
    def _generate(vouchers: int) -> Iterator[bytes]:
        yield body("<Vouchers>")[: -len(b"</Root>")]
        line = "<VoucherLine><NetvisorKey>{k}</NetvisorKey><LineSum>-17,18</LineSum><AccountNumber>3000</AccountNumber>"
        for key in range(vouchers):
            lines = "".join(
                (line + "<Description>Rivi ä ö {n}</Description></VoucherLine>").format(k=key * 2 + n, n=n)
                for n in range(2)
            )
            yield (
                f'<Voucher status="valid"><NetvisorKey>{key}</NetvisorKey><VoucherDate>1.1.2025</VoucherDate>'
                f"<VoucherNumber>{key}</VoucherNumber><VoucherDescription>Tosite {key}</VoucherDescription>"
                f"{lines}</Voucher>"
            ).encode()
        yield b"</Vouchers></Root>"

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while len(self._buffer) < len(buffer):
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        size = min(len(buffer), len(self._buffer))
        buffer[:size] = self._buffer[:size]
        self._buffer = self._buffer[size:]
        return size


def test_a_stream_gives_the_same_rows_as_bytes() -> None:
    data = io.BufferedReader(GeneratedLedger(50)).read()
    assert list(iter_records("accountingledger", io.BytesIO(data))) == parse_response("accountingledger", data)


def test_memory_stays_flat_on_a_large_streamed_response() -> None:
    # 20k vouchers with 2 lines (~10 MB of XML): holding the whole tree would cost ~70 MB of RSS.
    process = psutil.Process()
    before = process.memory_info().rss
    peak = before
    count = 0
    for count, row in enumerate(iter_records("accountingledger", io.BufferedReader(GeneratedLedger(20_000))), 1):
        assert row["lines"][1]["netvisor_key"] == row["netvisor_key"] * 2 + 1
        if count % 2000 == 0:
            peak = max(peak, process.memory_info().rss)
    assert count == 20_000
    assert peak - before < 25_000_000, f"RSS grew by {(peak - before) / 1e6:.1f} MB"
