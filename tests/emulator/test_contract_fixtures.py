"""Contract: the emulator's responses have the element trees and value formats of real Netvisor responses.

Compares element names (exact case), nesting and attribute names, ignoring the order and number of repeated
siblings, with the reference fixtures in ``../shared/netvisor-fixtures`` (a public client's test data); then the
*kind* of every leaf value and attribute value (:func:`kind`: ``yyyy-MM-dd`` vs ``d.M.yyyy``, decimal comma vs dot,
integer, boolean spelling, empty, text), path by path. Rendered with :data:`render.FIXTURE_ERA_QUIRKS`, the
spellings of those older responses.

Every fixture element must appear in ours. Ours may carry more: the fixtures are older than today's API, and the
extra elements are listed per fixture in :data:`NEWER`, each documented in section 4 of the API reference. Fixtures
not compared: ``AuthenticationFailed.xml`` (the app's envelope, not a resource), ``CompanyList.xml`` and
``GetCompanyInformation.xml`` (registry lookups outside the read allowlist), ``*Create.xml``/``*Edit.xml`` (writes).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from lxml import etree
from tests.emulator.fake_company import NOW, fake_company
from tests.emulator.resource_calls import BASE_URL, call

from netvisor_sync.emulator.handlers import handle
from netvisor_sync.emulator.render import FIXTURE_ERA_QUIRKS
from netvisor_sync.emulator.reply import Rejection, failed_envelope

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "netvisor-fixtures"

#: fixture -> (resource, parameters) that produce the same kind of answer from the fake company
CASES: dict[str, tuple[str, dict[str, str]]] = {
    "AccountingList.xml": (
        "accountingledger",
        {"startdate": "2025-01-01", "enddate": "2025-12-31", "voucherstatus": "1"},
    ),
    "CustomerList.xml": ("customerlist", {}),
    "CustomerListMinimal.xml": ("customerlist", {"customercodelist": "NONE"}),
    "GetCustomer.xml": ("getcustomer", {"id": "101"}),
    "GetCustomerMinimal.xml": ("getcustomer", {"id": "102"}),
    "GetProduct.xml": ("getproduct", {"id": "301"}),
    "GetProductMinimal.xml": ("getproduct", {"id": "302"}),
    "GetProductNotFound.xml": ("getproduct", {"id": "999"}),
    "GetSalesInvoice.xml": ("getsalesinvoice", {"netvisorkey": "1001"}),
    "GetSalesInvoiceMinimal.xml": ("getsalesinvoice", {"netvisorkey": "1002"}),
    "GetSalesInvoiceNotFound.xml": ("getsalesinvoice", {"netvisorkey": "999"}),
    "ProductList.xml": ("productlist", {}),
    "ProductListMinimal.xml": ("productlist", {}),
    "SalesInvoiceList.xml": ("salesinvoicelist", {}),
    "SalesInvoiceListEmpty.xml": ("salesinvoicelist", {"customernetvisorkey": "999"}),
    "SalesInvoiceListPreinvoice.xml": ("salesinvoicelist", {"listtype": "preinvoice"}),
    "SalesPaymentList.xml": ("salespaymentlist", {}),
}

_SALES_DETAIL_NEWER = {
    # reference 4.6: key, event/value dates, agreement id, customer key/code/business id, name extension, additional
    # address line, collection prohibition, voucher link, line key, product key, line unit, dimensions
    "SalesInvoiceNetvisorKey",
    "SalesInvoiceEventDate",
    "SalesInvoiceValueDate",
    "SalesInvoiceAgreementIdentifier",
    "InvoicingCustomerNetvisorKey",
    "InvoicingCustomerCode",
    "InvoicingCustomerOrganizationIdentifier",
    "InvoicingCustomerNameExtension",
    "InvoicingCustomerAdditionalAddressLine",
    "InvoicingCustomerInCollectionProhibitation",
    "InvoiceVoucher",
    "NetvisorKey",
    "ProductNetvisorKey",
    "SalesInvoiceProductLineUnit",
    "Dimension",
    "DimensionName",
    "DimensionItem",
}
_CUSTOMER_NEWER = {
    # reference 4.2: key, organisation unit, additional street address, private-customer flag, default payment term
    "NetvisorKey",
    "OrganizationUnitNumber",
    "AdditionalStreetAddress",
    "IsPrivateCustomer",
    "DefaultPaymentTerm",
    # not in the reference's summary but declared by the parser (parse/shapes.py); UNCONFIRMED
    "DeliveryCountry",
}
_PRODUCT_NEWER = {"UnitGrossPrice"}  # reference 4.4
_PRODUCT_LIST_NEWER = {"UnitGrossPrice", "ProductGroupID", "ProductGroupDescription"}  # reference 4.4
_SALES_LIST_NEWER = {"InvoiceDueDate", "CustomerNetvisorKey"}  # reference 4.5
_CUSTOMER_LIST_NEWER = {"CustomerGroupID", "CustomerGroupName"}  # reference 4.1 / section 7

#: elements ours adds beyond each fixture (newer fields of today's API, all in the reference)
NEWER: dict[str, set[str]] = {
    # reference 4.10: voucher line keys (added 2020), VAT codes, line dimensions
    "AccountingList.xml": {"NetvisorKey", "VatCode"},
    "CustomerList.xml": _CUSTOMER_LIST_NEWER,
    "CustomerListMinimal.xml": set(),
    "GetCustomer.xml": _CUSTOMER_NEWER,
    "GetCustomerMinimal.xml": _CUSTOMER_NEWER,
    "GetProduct.xml": _PRODUCT_NEWER,
    "GetProductMinimal.xml": _PRODUCT_NEWER,
    "GetProductNotFound.xml": set(),
    "GetSalesInvoice.xml": _SALES_DETAIL_NEWER,
    "GetSalesInvoiceMinimal.xml": _SALES_DETAIL_NEWER,
    "GetSalesInvoiceNotFound.xml": set(),
    "ProductList.xml": _PRODUCT_LIST_NEWER,
    "ProductListMinimal.xml": _PRODUCT_LIST_NEWER,
    "SalesInvoiceList.xml": _SALES_LIST_NEWER,
    "SalesInvoiceListEmpty.xml": set(),
    "SalesInvoiceListPreinvoice.xml": _SALES_LIST_NEWER,
    # reference 4.15: payment account, voucher, modification time, payment source
    "SalesPaymentList.xml": {
        "PaymentAccountName",
        "VoucherID",
        "LastModifiedTimestamp",
        "PaymentAccountNumber",
        "PaymentSource",
    },
}

#: attributes ours adds beyond the fixtures: element path suffix -> attribute names (reference 4.5 / 4.6)
NEWER_ATTRIBUTES: dict[str, set[str]] = {
    "SalesInvoice/InvoiceStatus": {"isincollection", "substatus", "status"},
    "SalesInvoice/InvoicingCustomerCountryCode": {"ISO-3166"},
    # GetSalesInvoiceMinimal.xml leaves them out; GetSalesInvoice.xml and the reference carry them
    "SalesInvoice/SalesInvoiceAmount": {"iso4217currencycode", "currencyrate"},
    # like InvoicingCustomerCountryCode; declared by the parser (parse/shapes.py), UNCONFIRMED
    "SalesInvoice/DeliveryAddressCountryCode": {"ISO-3166"},
}

Shape = dict[tuple[str, ...], set[str]]
#: element path, plus ``@attribute`` for an attribute value -> the kinds of the values seen there
Kinds = dict[tuple[str, ...], set[str]]

_KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("integer", re.compile(r"-?\d+")),
    ("decimal comma", re.compile(r"-?\d+,\d+")),
    ("decimal dot", re.compile(r"-?\d+\.\d+")),
    ("date yyyy-MM-dd", re.compile(r"\d{4}-\d{2}-\d{2}")),
    ("date yyyy-M-d", re.compile(r"\d{4}-\d{1,2}-\d{1,2}")),
    ("date d.M.yyyy", re.compile(r"\d{1,2}\.\d{1,2}\.\d{4}")),
    ("time d.M.yyyy H:mm:ss", re.compile(r"\d{1,2}\.\d{1,2}\.\d{4} \d{1,2}:\d{2}:\d{2}")),
    ("time yyyy-MM-dd HH:mm", re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?")),
    ("boolean True/False", re.compile(r"True|False")),
    ("boolean true/false", re.compile(r"true|false")),
    ("boolean Yes/No", re.compile(r"Yes|No")),
]

#: a number without a fraction is what a decimal column writes for a whole value (``22`` beside ``25,5``), so it
#: stands in for either separator; the separator itself must agree. Codes and numbers (``1070``) are free text.
_SAME_FORMAT = {
    frozenset({"integer", "decimal comma"}),
    frozenset({"integer", "decimal dot"}),
    frozenset({"integer", "text"}),
}


def kind(text: str | None) -> str:
    """The format of one value: ``empty``, a number or date or boolean form, or ``text``."""
    value = (text or "").strip()
    if not value:
        return "empty"
    return next((name for name, pattern in _KINDS if pattern.fullmatch(value)), "text")


def value_kinds(element: etree._Element) -> Kinds:
    """The kinds of the text of every leaf element and of every attribute value, by path."""
    found: Kinds = {}

    def walk(node: etree._Element, path: tuple[str, ...]) -> None:
        here = (*path, str(node.tag))
        for name, value in node.attrib.items():
            found.setdefault((*here, f"@{name}"), set()).add(kind(str(value)))
        children = [child for child in node if isinstance(child.tag, str)]
        if not children:
            found.setdefault(here, set()).add(kind(node.text))
        for child in children:
            walk(child, here)

    walk(element, ())
    return found


def compatible(theirs: str, ours: str) -> bool:
    """Whether a value of kind ``ours`` is written the way the fixture writes one of kind ``theirs``."""
    return theirs == ours or frozenset({theirs, ours}) in _SAME_FORMAT


#: fixture paths with a structured value (number, date, boolean) that ours always writes empty: the emulator's model
#: has no such field, and an empty element is how Netvisor writes a missing value. Their format stays untested.
ALWAYS_EMPTY: dict[str, set[str]] = {
    "GetCustomer.xml": {"Root/Customer/CustomerAdditionalInformation/ReferenceNumber"},
    "GetProduct.xml": {
        "Root/Product/ProductBaseInformation/UnitWeight",
        "Root/Product/ProductBaseInformation/ComissionPercentage",
    },
}


def shape(element: etree._Element) -> Shape:
    """Every element path (tags from the root) with the union of attribute names seen on it."""
    found: Shape = {}

    def walk(node: etree._Element, path: tuple[str, ...]) -> None:
        here = (*path, str(node.tag))
        found.setdefault(here, set()).update(str(name) for name in node.attrib)
        for child in node:
            if isinstance(child.tag, str):
                walk(child, here)

    walk(element, ())
    return found


def fixture_root(name: str) -> etree._Element:
    if not FIXTURES.is_dir():
        pytest.skip(f"reference fixtures not found at {FIXTURES} (the shared folder is absent outside the workspace)")
    return etree.parse(str(FIXTURES / name)).getroot()


def cases() -> Iterator[str]:
    yield from CASES


@pytest.mark.parametrize("fixture", list(cases()))
def test_element_tree_matches_the_reference_fixture(fixture: str) -> None:
    theirs = shape(fixture_root(fixture))
    resource, params = CASES[fixture]
    ours = shape(call(fake_company(), resource, params, quirks=FIXTURE_ERA_QUIRKS).root)
    missing = sorted("/".join(path) for path in theirs.keys() - ours.keys())
    assert not missing, f"elements of {fixture} the emulator does not produce: {missing}"
    extra = {path[-1] for path in ours.keys() - theirs.keys()}
    assert extra <= NEWER[fixture], f"undocumented extra elements: {sorted(extra - NEWER[fixture])}"
    for path, attributes in theirs.items():
        assert attributes <= ours[path], f"{'/'.join(path)} lacks attributes {sorted(attributes - ours[path])}"
        added = ours[path] - attributes
        allowed = next((names for suffix, names in NEWER_ATTRIBUTES.items() if "/".join(path).endswith(suffix)), set())
        assert added <= allowed, f"{'/'.join(path)} has undocumented attributes {sorted(added - allowed)}"


@pytest.mark.parametrize("fixture", list(cases()))
def test_value_formats_match_the_reference_fixture(fixture: str) -> None:
    """Every leaf and attribute value the fixture writes has the same format in ours (dates, separators, booleans)."""
    theirs = value_kinds(fixture_root(fixture))
    resource, params = CASES[fixture]
    ours = value_kinds(call(fake_company(), resource, params, quirks=FIXTURE_ERA_QUIRKS).root)
    wrong, unshown = [], []
    for path, their_kinds in sorted(theirs.items()):
        shown = their_kinds - {"empty"}
        if not shown or path not in ours:
            continue  # only empty in the fixture (any value fits), or an element the tree test already reports
        mine = ours[path] - {"empty"}
        if not mine:
            # free text has no format to get wrong; a number, date or boolean that is always empty goes unchecked
            if shown != {"text"} and "/".join(path) not in ALWAYS_EMPTY.get(fixture, set()):
                unshown.append("/".join(path))
            continue
        bad = sorted(k for k in mine if not any(compatible(their, k) for their in shown))
        if bad:
            wrong.append(f"{'/'.join(path)}: ours {bad}, the fixture {sorted(shown)}")
    assert not wrong, f"values of {fixture} written in another format: {wrong}"
    assert not unshown, f"ours leaves these {fixture} values empty, so their format is untested: {unshown}"


def test_value_kinds() -> None:
    examples = {
        "": "empty",
        " 12 ": "integer",
        "-17,18": "decimal comma",
        "244.12": "decimal dot",
        "2025-01-02": "date yyyy-MM-dd",
        "2017-1-1": "date yyyy-M-d",
        "31.12.2023": "date d.M.yyyy",
        "1.10.2009 16:03:24": "time d.M.yyyy H:mm:ss",
        "2022-06-08 15:14": "time yyyy-MM-dd HH:mm",
        "False": "boolean True/False",
        "true": "boolean true/false",
        "No": "boolean Yes/No",
        "Matti Mallikas": "text",
    }
    assert {text: kind(text) for text in examples} == examples
    assert compatible("decimal comma", "integer")
    assert compatible("integer", "decimal comma")
    assert not compatible("decimal comma", "decimal dot")
    assert not compatible("date yyyy-MM-dd", "date d.M.yyyy")
    assert not compatible("boolean True/False", "boolean true/false")
    assert not compatible("integer", "boolean true/false")


def test_sales_invoice_amount_separator_follows_the_quirk() -> None:
    """The fixtures write ``244,00``; with the other reading of the sources the same check finds the dot."""
    fixture = "GetSalesInvoice.xml"
    theirs = value_kinds(fixture_root(fixture))
    path = ("Root", "SalesInvoice", "SalesInvoiceAmount")
    assert theirs[path] == {"decimal comma"}
    resource, params = CASES[fixture]
    dotted = dataclasses.replace(FIXTURE_ERA_QUIRKS, sales_invoice_amount_separator=".")
    assert value_kinds(call(fake_company(), resource, params, quirks=dotted).root)[path] == {"decimal dot"}
    assert value_kinds(call(fake_company(), resource, params).root)[path] == {"decimal comma"}


def test_customer_not_found_is_the_fixtures_failure_text() -> None:
    expected = fixture_root("GetCustomerNotFound.xml").findall("ResponseStatus/Status")[1].text
    with pytest.raises(Rejection) as caught:
        handle(fake_company(), "getcustomer", {"id": "123"}, now=NOW, language="EN", base_url=BASE_URL)
    rejection = caught.value
    ours = etree.fromstring(failed_envelope(rejection.code, rejection.message("EN"), NOW))
    assert ours.findall("ResponseStatus/Status")[1].text == expected


@pytest.mark.parametrize("fixture", list(cases()))
def test_todays_spellings_differ_from_the_fixture_era_only_in_case(fixture: str) -> None:
    """The documented current names (``InvoiceDate``, ``ProductIdentifier``) are casing variants of the old ones."""
    resource, params = CASES[fixture]
    company = fake_company()
    today = call(company, resource, params).root
    old = call(company, resource, params, quirks=FIXTURE_ERA_QUIRKS).root

    def folded(root: etree._Element) -> set[tuple[str, ...]]:
        return {tuple(tag.lower() for tag in path) for path in shape(root)}

    assert folded(today) == folded(old)
