"""The emulator's choices as constructor parameters: quirks, a frozen day, overlap code, TransactionId scope, header
encoding, several customers. Each test shows the default and the other setting through the WSGI app."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import httpx
import pytest
from lxml import etree
from tests.emulator.test_app import BASE, WALL, failure, get, make_emulator, signed

from netvisor_sync import auth
from netvisor_sync.emulator import Emulator, serve
from netvisor_sync.emulator.clock import Clock
from netvisor_sync.emulator.render import FIXTURE_ERA_QUIRKS, QUIRKS, Quirks


def client_for(emu: Emulator) -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=emu.app), base_url=BASE)


def real(**kwargs: object) -> Emulator:
    """The real handlers and generator, with the fake wall clock the signing helpers use."""
    return Emulator(profile="partner-test", seed=2, wall=lambda: WALL, **kwargs)  # type: ignore[arg-type]


# -- quirks --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quirks", "date_element", "amount_separator"),
    [
        (None, "InvoiceDate", ","),
        ("fixture-era", "Invoicedate", ","),
        (FIXTURE_ERA_QUIRKS, "Invoicedate", ","),
        (Quirks(sales_invoice_amount_separator="."), "InvoiceDate", "."),
    ],
)
def test_quirks_reach_the_built_in_handler(
    quirks: Quirks | str | None, date_element: str, amount_separator: str
) -> None:
    emu = real(quirks=quirks)
    client = client_for(emu)
    listing = etree.fromstring(get(client, emu, "/salesinvoicelist.nv").content)
    first = listing.find("SalesInvoiceList/SalesInvoice")
    assert first is not None
    assert first.find(date_element) is not None
    key = first.findtext("NetvisorKey")
    detail = etree.fromstring(get(client, emu, f"/getsalesinvoice.nv?netvisorkey={key}").content)
    amount = detail.findtext("SalesInvoice/SalesInvoiceAmount") or ""
    assert amount_separator in amount
    assert ({",", "."} - {amount_separator}).isdisjoint(amount)


def test_quirks_by_name_and_their_errors() -> None:
    assert real().quirks is QUIRKS
    assert real(quirks="Fixture-Era").quirks is FIXTURE_ERA_QUIRKS
    with pytest.raises(ValueError, match="unknown quirks 'newest'; choose one of documented, fixture-era"):
        real(quirks="newest")
    with pytest.raises(ValueError, match="built-in handler only"):
        make_emulator(quirks=FIXTURE_ERA_QUIRKS)


# -- a frozen day --------------------------------------------------------------------------------------------------


def test_today_freezes_the_clock_at_noon_and_anchors_the_history() -> None:
    emu = real(today=date(2025, 6, 10))
    assert emu.clock.now() == datetime(2025, 6, 10, 12, 0)
    assert emu.clock.now() == emu.clock.now()
    envelope = etree.fromstring(get(client_for(emu), emu, "/accountingperiodlist.nv").content)
    assert envelope.findtext("ResponseStatus/TimeStamp") == "10.6.2025 12:00:00"
    store = emu.company().store
    newest = max(invoice.date for invoice in store.sales_invoices)
    assert date(2025, 5, 1) <= newest <= date(2025, 5, 31)  # the history ends with the month before "today"
    assert real(today=datetime(2025, 6, 10, 8, 30)).clock.now() == datetime(2025, 6, 10, 8, 30)
    with pytest.raises(ValueError, match="clock or today"):
        real(today=date(2025, 6, 10), clock=Clock())


# -- overlapping requests ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("code", "status"), [(None, 500), ("SERVICE_ACCESS_ERROR", 403), ("PARALLEL_REQUEST", 500)])
def test_overlap_code_is_configurable(code: str | None, status: int) -> None:
    emu = make_emulator(**({"overlap_code": code} if code else {}))
    client = client_for(emu)
    url = BASE + "/customerlist.nv"
    with client.stream("GET", url, headers=signed(emu, url)) as streaming:
        assert streaming.status_code == 200
        overlapping = get(client, emu, "/productlist.nv")
    assert overlapping.status_code == status
    assert failure(overlapping)[0] == (code or "TECHNICAL_ERROR")
    assert "one request at a time" in failure(overlapping)[1]
    with pytest.raises(ValueError, match="overlap_code"):
        make_emulator(overlap_code="technical error")


# -- TransactionId scope and header encoding -----------------------------------------------------------------------


@pytest.mark.parametrize(("scope", "second_code"), [("partner", "REQUEST_NOT_UNIQUE"), ("customer", None)])
def test_transaction_id_scope(scope: str, second_code: str | None) -> None:
    emu = make_emulator(transaction_id_scope=scope, companies=2)
    first_org, second_org = emu.organisation_ids
    emu.revoke(second_org)
    other = emu.add_customer([second_org])
    client = client_for(emu)
    assert get(client, emu, "/productlist.nv", org=first_org, transaction_id="shared-id-1").is_success
    url = BASE + "/productlist.nv"
    headers = auth.sign(emu.credentials(second_org, customer_id=other), url, now=WALL, transaction_id="shared-id-1")
    answer = client.get(url, headers=headers)
    if second_code is None:
        assert answer.is_success
    else:
        assert failure(answer)[0] == second_code
    # the same customer reusing an id is refused in either scope
    assert failure(get(client, emu, "/productlist.nv", org=first_org, transaction_id="shared-id-1"))[0] == (
        "REQUEST_NOT_UNIQUE"
    )
    with pytest.raises(ValueError, match="transaction_id_scope"):
        make_emulator(transaction_id_scope="global")


def test_header_encoding_decides_how_a_non_ascii_sender_is_hashed() -> None:
    """The euro sign is 0xA4 in ISO-8859-15 but ¤ in Latin-1: only the documented encoding verifies the MAC.

    On a real socket: httpx's WSGI transport accepts ASCII header values only.
    """
    for encoding, accepted in (("iso-8859-15", True), ("latin-1", False)):
        emu = make_emulator(header_encoding=encoding, wall=lambda: datetime.now(UTC))
        with serve(emu) as server:
            url = server.url + "/productlist.nv"
            credentials = dataclasses.replace(emu.credentials(), sender="Kauppa €")
            wire = [(name.encode(), value.encode(auth.ENCODING)) for name, value in auth.sign(credentials, url).items()]
            answer = httpx.get(url, headers=wire, timeout=10)
        if accepted:
            assert b"<Status>OK</Status>" in answer.content, answer.text
        else:
            code, message = failure(answer)
            assert (code, answer.status_code) == ("AUTHENTICATION_FAILED", 401)
            assert "MAC is not valid" in message
    with pytest.raises(ValueError, match="header_encoding"):
        make_emulator(header_encoding="no-such-codec")


def test_skew_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="skew_seconds"):
        make_emulator(skew_seconds=-1)


# -- customers -----------------------------------------------------------------------------------------------------


def test_one_customer_per_company_each_with_its_own_keys() -> None:
    emu = make_emulator(companies=3, customer_per_company=True)
    shared = make_emulator(companies=3)
    first, second, third = emu.organisation_ids
    customers = [emu.customer_for(org) for org in emu.organisation_ids]
    assert customers[0] == emu.customer_id == shared.customer_id  # the first company keeps the usual customer
    assert len(set(customers)) == 3
    assert emu.customer_ids == customers
    assert len({emu.credentials(org).customer_key for org in emu.organisation_ids}) == 3
    assert emu.settings(first) == shared.settings(first)
    client = client_for(emu)
    for org in (first, second, third):
        assert get(client, emu, "/productlist.nv", org=org).is_success
    url = BASE + "/productlist.nv"
    borrowed = dataclasses.replace(emu.credentials(second), organisation_id=third)
    code, message = failure(client.get(url, headers=auth.sign(borrowed, url, now=WALL)))
    assert code == "AUTHENTICATION_FAILED"
    assert third in message
    assert [make_emulator(companies=3, customer_per_company=True).customer_for(o) for o in emu.organisation_ids] == (
        customers
    )  # derived from the seed


def test_add_customer_grants_chosen_organisations() -> None:
    emu = make_emulator(companies=2)
    first, second = emu.organisation_ids
    auditor = emu.add_customer([second], customer_id="AUDITOR", customer_key="k" * 32)
    assert auditor == "AUDITOR"
    assert emu.customer_for(second) == emu.customer_id  # the emulator's own customer still reads both
    assert emu.credentials(second, customer_id=auditor).customer_key == "k" * 32
    client = client_for(emu)
    url = BASE + "/productlist.nv"
    for org, ok in ((second, True), (first, False)):
        credentials = emu.credentials(org, customer_id=auditor)
        answer = client.get(url, headers=auth.sign(credentials, url, now=WALL))
        assert (failure(answer)[0] if not ok else "OK") == ("OK" if ok else "AUTHENTICATION_FAILED")
    emu.revoke(second)
    assert emu.customer_for(second) == auditor
    with pytest.raises(ValueError, match="already exists"):
        emu.add_customer(customer_id="AUDITOR")
    with pytest.raises(KeyError):
        emu.credentials(first, customer_id="NOBODY")


def test_admin_api_shows_customers_and_their_settings() -> None:
    emu = make_emulator(companies=2, customer_per_company=True)
    first, second = emu.organisation_ids
    client = client_for(emu)
    companies = client.get(BASE + "/_emulator/companies").json()
    assert companies["customers"] == {emu.customer_for(first): [first], emu.customer_for(second): [second]}
    settings = client.get(BASE + f"/_emulator/settings?organisation_id={second}").json()
    assert settings["customer_key"] == emu.credentials(second).customer_key
    chosen = client.get(BASE + f"/_emulator/settings?organisation_id={second}&customer_id={emu.customer_id}").json()
    assert chosen["customer_id"] == emu.customer_id
    assert client.get(BASE + "/_emulator/settings?customer_id=NOBODY").status_code == 400
