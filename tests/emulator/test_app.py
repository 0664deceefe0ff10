"""The emulator's protocol layer: authentication, envelopes, statuses, rights, overlap, refusals, log, admin API.

Most tests inject a tiny fake company and handler through the Emulator's constructor, so they exercise the app
alone; the end-to-end tests at the bottom use the real data generator and resource handlers.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from netvisor_sync import auth
from netvisor_sync.emulator import DEFAULT_STATUS_CODES, Emulator, request_url
from netvisor_sync.emulator.clock import Clock
from netvisor_sync.emulator.finnish import is_valid_business_id
from netvisor_sync.emulator.reply import OK_ENVELOPE_TAIL, Rejection, Reply, ok_envelope_head
from netvisor_sync.resources import READ_RESOURCES

BASE = "http://testserver"
WALL = datetime(2026, 3, 4, 10, 0, 0, tzinfo=UTC)


class FakeStore:
    """Stands in for store.CompanyStore: remembers the change API calls."""

    def __init__(self, organisation_id: str) -> None:
        self.organisation_id = organisation_id
        self.changes: list[tuple[Any, ...]] = []

    def create(self, kind: str, **fields: Any) -> int:
        self.changes.append(("create", kind, fields))
        return 1000 + len(self.changes)

    def edit(self, kind: str, key: int, **fields: Any) -> None:
        self.changes.append(("edit", kind, key, fields))

    def delete(self, kind: str, key: int) -> None:
        self.changes.append(("delete", kind, key))

    def invalidate_voucher(self, key: int) -> None:
        self.changes.append(("invalidate", key))


def fake_factory(profile: str, *, seed: int, organisation_id: str, clock: Clock, name: str | None = None) -> Any:
    return FakeStore(organisation_id)


def fake_handler(
    company: Any, resource: str, params: Mapping[str, str], *, now: datetime, language: str, base_url: str
) -> Reply:
    if "fail" in params:
        raise Rejection("INVALID_DATA", "Bad parameter value", "Virheellinen parametrin arvo")
    if "boom" in params:
        raise RuntimeError("handler bug")
    items = "".join(f"<Item>{i}</Item>" for i in range(3))
    body = (
        f'{ok_envelope_head(now)}<List resource="{resource}" org="{company.organisation_id}" '
        f'language="{language}" base="{base_url}">{items}</List>\n{OK_ENVELOPE_TAIL}'
    )
    return Reply(chunks=[body.encode()[:50], body.encode()[50:]], rows=3)


def make_emulator(**kwargs: Any) -> Emulator:
    options: dict[str, Any] = {
        "company_factory": fake_factory,
        "handler": fake_handler,
        "companies": 2,
        "sleep": lambda _s: None,
        "wall": lambda: WALL,
    }
    options.update(kwargs)
    return Emulator(**options)


@pytest.fixture
def emu() -> Emulator:
    return make_emulator()


@pytest.fixture
def client(emu: Emulator) -> httpx.Client:
    return httpx.Client(transport=httpx.WSGITransport(app=emu.app), base_url=BASE)


def signed(
    emu: Emulator,
    url: str,
    *,
    org: str | None = None,
    algorithm: str = "HMACSHA256",
    language: str = "EN",
    now: datetime = WALL,
    transaction_id: str | None = None,
    status_codes: bool = True,
) -> dict[str, str]:
    """All Netvisor headers for ``url``, signed with netvisor_sync.auth (never the transport)."""
    credentials = dataclasses.replace(emu.credentials(org, mac_algorithm=algorithm), language=language)
    headers = auth.sign(credentials, url, now=now, transaction_id=transaction_id)
    if not status_codes:
        del headers[auth.HEADER_STATUS_CODES]
    return headers


def get(client: httpx.Client, emu: Emulator, path: str, **kwargs: Any) -> httpx.Response:
    url = BASE + path
    return client.get(url, headers=signed(emu, url, **kwargs))


def status_of(response: httpx.Response) -> tuple[str, str]:
    """(first Status, second Status or '') of a Netvisor envelope."""
    statuses = [el.text or "" for el in ET.fromstring(response.content).iter("Status")]
    return statuses[0], (statuses[1] if len(statuses) > 1 else "")


def failure(response: httpx.Response) -> tuple[str, str]:
    first, second = status_of(response)
    assert first == "FAILED"
    code, _, message = second.partition(" :: ")
    return code, message


# -- success and MAC -----------------------------------------------------------------------------------------------


def test_signed_request_is_served_with_lowercased_params(emu: Emulator, client: httpx.Client) -> None:
    response = get(client, emu, "/CustomerList.nv?CustomerCodeList=A1&Keyword=x")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/xml; charset=utf-8"
    assert status_of(response) == ("OK", "")
    root = ET.fromstring(response.content)
    assert root.find("List").attrib == {  # type: ignore[union-attr]
        "resource": "customerlist",
        "org": emu.organisation_ids[0],
        "language": "EN",
        "base": BASE,
    }
    (entry,) = emu.log.entries()
    assert entry.params == {"customercodelist": "A1", "keyword": "x"}
    assert (entry.code, entry.status, entry.rows, entry.resource) == ("OK", 200, 3, "customerlist")
    assert entry.organisation == emu.organisation_ids[0]
    assert emu.log.counts() == {"customerlist": 1}


@pytest.mark.parametrize("algorithm", ["HMACSHA256", "SHA256", "MD5"])
def test_each_algorithm_is_accepted_and_a_wrong_mac_rejected(
    emu: Emulator, client: httpx.Client, algorithm: str
) -> None:
    assert get(client, emu, "/accountlist.nv", algorithm=algorithm).status_code == 200
    url = BASE + "/accountlist.nv"
    headers = signed(emu, url, algorithm=algorithm)
    headers[auth.HEADER_MAC] = "0" * len(headers[auth.HEADER_MAC])
    response = client.get(url, headers=headers)
    assert response.status_code == 401
    code, message = failure(response)
    assert code == "AUTHENTICATION_FAILED"
    settings = emu.settings()
    fields = {
        "url": url,
        "sender": settings["sender"],
        "customer_id": settings["customer_id"],
        "timestamp": headers[auth.HEADER_TIMESTAMP],
        "language": "EN",
        "organisation_id": settings["organisation_id"],
        "transaction_id": headers[auth.HEADER_TRANSACTION_ID],
        "timestamp_unix": headers.get(auth.HEADER_TIMESTAMP_UNIX, ""),
    }
    expected = auth.compute_mac(
        algorithm, customer_key=settings["customer_key"], partner_key=settings["partner_key"], **fields
    )
    masked = auth.mac_input(algorithm, customer_key="K1", partner_key="K2", **fields).removesuffix("&K1&K2")
    assert message.endswith(f"{masked}&YOUR_PRIVATE_KEY_HERE :: {expected.upper()}")
    assert settings["customer_key"] not in response.text
    assert settings["partner_key"] not in response.text


def test_algorithm_header_absent_means_md5(emu: Emulator, client: httpx.Client) -> None:
    url = BASE + "/accountlist.nv"
    headers = signed(emu, url, algorithm="MD5")
    del headers[auth.HEADER_ALGORITHM]
    assert client.get(url, headers=headers).status_code == 200
    headers = signed(emu, url, algorithm="SHA256")
    del headers[auth.HEADER_ALGORITHM]
    assert failure(client.get(url, headers=headers))[0] == "AUTHENTICATION_FAILED"


def test_legacy_algorithms_can_be_switched_off(client: httpx.Client) -> None:
    emu = make_emulator(legacy_mac=False)
    client = httpx.Client(transport=httpx.WSGITransport(app=emu.app), base_url=BASE)
    assert get(client, emu, "/accountlist.nv").status_code == 200
    code, message = failure(get(client, emu, "/accountlist.nv", algorithm="MD5"))
    assert code == "AUTHENTICATION_FAILED"
    assert "HMACSHA256" in message


def test_hex_is_compared_case_insensitively_and_header_names_too(emu: Emulator, client: httpx.Client) -> None:
    url = BASE + "/accountlist.nv"
    headers = {name.lower(): value for name, value in signed(emu, url).items()}
    headers[auth.HEADER_MAC.lower()] = headers[auth.HEADER_MAC.lower()].upper()
    assert client.get(url, headers=headers).status_code == 200


def test_mac_covers_the_raw_query_string(emu: Emulator, client: httpx.Client) -> None:
    encoded = BASE + "/getsalesinvoice.nv?netvisorkeylist=1%2C2"
    assert client.get(encoded, headers=signed(emu, encoded)).status_code == 200
    assert emu.log.entries()[-1].params == {"netvisorkeylist": "1,2"}
    # signed over the decoded form, sent encoded: Netvisor hashes what it receives, so this fails
    headers = signed(emu, BASE + "/getsalesinvoice.nv?netvisorkeylist=1,2")
    assert failure(client.get(encoded, headers=headers))[0] == "AUTHENTICATION_FAILED"
    # another query than the one signed
    headers = signed(emu, BASE + "/salesinvoicelist.nv?invoicesabovenetvisorkey=1")
    response = client.get(BASE + "/salesinvoicelist.nv?invoicesabovenetvisorkey=2", headers=headers)
    assert failure(response)[0] == "AUTHENTICATION_FAILED"


def test_request_url_is_rebuilt_from_the_raw_target() -> None:
    environ = {
        "wsgi.url_scheme": "http",
        "HTTP_HOST": "127.0.0.1:8080",
        "PATH_INFO": "/a b.nv",
        "QUERY_STRING": "x=1%2C2",
    }
    assert request_url(environ) == "http://127.0.0.1:8080/a%20b.nv?x=1%2C2"
    assert request_url({**environ, "RAW_URI": "/a%20b.nv?x=1,2"}) == "http://127.0.0.1:8080/a%20b.nv?x=1,2"
    assert request_url({**environ, "REQUEST_URI": "/a.nv"}) == "http://127.0.0.1:8080/a.nv"
    no_host = {"wsgi.url_scheme": "https", "SERVER_NAME": "h", "SERVER_PORT": "443", "PATH_INFO": "/x.nv"}
    assert request_url(no_host) == "https://h/x.nv"
    assert request_url({**no_host, "SERVER_PORT": "8443"}) == "https://h:8443/x.nv"


# -- other authentication failures ---------------------------------------------------------------------------------


def test_replayed_transaction_id_is_not_unique(emu: Emulator, client: httpx.Client) -> None:
    assert get(client, emu, "/accountlist.nv", transaction_id="tx-1").status_code == 200
    response = get(client, emu, "/vouchertypelist.nv", transaction_id="tx-1")
    assert response.status_code == 409
    assert failure(response)[0] == "REQUEST_NOT_UNIQUE"
    # ids are per partner and remembered only after a valid MAC: a forged request does not burn one
    url = BASE + "/accountlist.nv"
    forged = signed(emu, url, transaction_id="tx-2")
    forged[auth.HEADER_MAC] = "f" * 64
    assert failure(client.get(url, headers=forged))[0] == "AUTHENTICATION_FAILED"
    assert get(client, emu, "/accountlist.nv", transaction_id="tx-2").status_code == 200


@pytest.mark.parametrize("algorithm", ["HMACSHA256", "MD5"])
def test_timestamp_outside_the_skew_window_is_refused(emu: Emulator, client: httpx.Client, algorithm: str) -> None:
    assert get(client, emu, "/accountlist.nv", algorithm=algorithm, now=WALL - timedelta(seconds=299)).is_success
    assert get(client, emu, "/accountlist.nv", algorithm=algorithm, now=WALL + timedelta(seconds=299)).is_success
    for offset in (-301, 301):
        response = get(client, emu, "/accountlist.nv", algorithm=algorithm, now=WALL + timedelta(seconds=offset))
        code, message = failure(response)
        assert code == "AUTHENTICATION_FAILED"
        assert "±300 s" in message


def test_skew_window_is_configurable_and_can_be_switched_off() -> None:
    for skew, ok in ((None, True), (3600.0, True), (10.0, False)):
        emu = make_emulator(skew_seconds=skew)
        client = httpx.Client(transport=httpx.WSGITransport(app=emu.app), base_url=BASE)
        response = get(client, emu, "/accountlist.nv", now=WALL - timedelta(minutes=30))
        assert response.is_success is ok


def test_unknown_partner_and_unknown_customer(emu: Emulator, client: httpx.Client) -> None:
    url = BASE + "/accountlist.nv"
    headers = signed(emu, url) | {auth.HEADER_PARTNER_ID: "nobody"}
    code, message = failure(client.get(url, headers=headers))
    assert (code, message) == ("AUTHENTICATION_FAILED", "Integration partner not found, see documentation")
    headers = signed(emu, url) | {auth.HEADER_CUSTOMER_ID: "nobody"}
    code, message = failure(client.get(url, headers=headers))
    assert code == "AUTHENTICATION_FAILED"
    assert message.startswith("Integration keys are not valid")


def test_customer_needs_access_to_the_organisation(emu: Emulator, client: httpx.Client) -> None:
    first, second = emu.organisation_ids
    emu.revoke(second)
    assert get(client, emu, "/accountlist.nv", org=first).is_success
    code, message = failure(get(client, emu, "/accountlist.nv", org=second))
    assert code == "AUTHENTICATION_FAILED"
    assert second in message
    emu.grant(second)
    assert get(client, emu, "/accountlist.nv", org=second).is_success
    emu.grant("7654321-0")  # access to a business id the emulator does not host
    url = BASE + "/accountlist.nv"
    creds = dataclasses.replace(emu.credentials(), organisation_id="7654321-0")
    assert failure(client.get(url, headers=auth.sign(creds, url, now=WALL)))[0] == "AUTHENTICATION_FAILED"


@pytest.mark.parametrize(
    "header",
    [
        auth.HEADER_SENDER,
        auth.HEADER_CUSTOMER_ID,
        auth.HEADER_PARTNER_ID,
        auth.HEADER_TIMESTAMP,
        auth.HEADER_TIMESTAMP_UNIX,
        auth.HEADER_TRANSACTION_ID,
        auth.HEADER_LANGUAGE,
        auth.HEADER_ORGANISATION,
        auth.HEADER_MAC,
    ],
)
def test_a_missing_header_fails_authentication(emu: Emulator, client: httpx.Client, header: str) -> None:
    url = BASE + "/accountlist.nv"
    headers = signed(emu, url)
    del headers[header]
    code, message = failure(client.get(url, headers=headers))
    assert code == "AUTHENTICATION_FAILED"
    assert header in message


# -- statuses and languages ----------------------------------------------------------------------------------------


def test_http_statuses_only_when_asked_for(client: httpx.Client) -> None:
    emu = make_emulator(status_codes={"SERVICE_ACCESS_ERROR": 401})
    client = httpx.Client(transport=httpx.WSGITransport(app=emu.app), base_url=BASE)
    url = BASE + "/accountlist.nv"
    bad = signed(emu, url, status_codes=False) | {auth.HEADER_PARTNER_ID: "nobody"}
    response = client.get(url, headers=bad)
    assert response.status_code == 200
    assert failure(response)[0] == "AUTHENTICATION_FAILED"
    with_codes = client.get(url, headers=signed(emu, url) | {auth.HEADER_PARTNER_ID: "nobody"})
    assert with_codes.status_code == DEFAULT_STATUS_CODES["AUTHENTICATION_FAILED"] == 401
    assert with_codes.content.replace(b"FAILED", b"") == response.content.replace(b"FAILED", b"")
    emu.block(emu.organisation_ids[0], "accountlist")
    assert get(client, emu, "/accountlist.nv").status_code == 401  # overridden mapping
    assert get(client, emu, "/accountlist.nv", status_codes=False).status_code == 200
    assert get(client, emu, "/accountlist.nv?fail=1", status_codes=False).status_code == 200


def test_messages_follow_the_interface_language(emu: Emulator, client: httpx.Client) -> None:
    assert failure(get(client, emu, "/accountlist.nv?fail=1", language="EN")) == (
        "INVALID_DATA",
        "Bad parameter value",
    )
    assert failure(get(client, emu, "/accountlist.nv?fail=1", language="FI")) == (
        "INVALID_DATA",
        "Virheellinen parametrin arvo",
    )
    url = BASE + "/accountlist.nv"
    no_language = signed(emu, url) | {auth.HEADER_PARTNER_ID: "nobody"}
    del no_language[auth.HEADER_LANGUAGE]
    assert failure(client.get(url, headers=no_language))[1].startswith("Otsake")  # Finnish by default
    fi = signed(emu, url, language="FI") | {auth.HEADER_PARTNER_ID: "nobody"}
    assert failure(client.get(url, headers=fi))[1] == "Integraatiokumppania ei löydy, katso dokumentaatio"


def test_handler_rejection_and_handler_bug(emu: Emulator, client: httpx.Client) -> None:
    response = get(client, emu, "/accountlist.nv?fail=1")
    assert response.status_code == 400
    assert failure(response)[0] == "INVALID_DATA"
    errors: list[str] = []

    class Sink:
        def write(self, text: str) -> None:
            errors.append(text)

        def flush(self) -> None:
            pass

    client = httpx.Client(transport=httpx.WSGITransport(app=emu.app, wsgi_errors=Sink()), base_url=BASE)  # type: ignore[arg-type]
    response = get(client, emu, "/accountlist.nv?boom=1")
    assert response.status_code == 500
    code, message = failure(response)
    assert code == "TECHNICAL_ERROR"
    assert "handler bug" in message
    assert "RuntimeError" in "".join(errors)
    assert get(client, emu, "/accountlist.nv").is_success  # the company was released


# -- rights, overlap, refusals -------------------------------------------------------------------------------------


def test_blocked_resource_fails_while_others_work(emu: Emulator, client: httpx.Client) -> None:
    first, second = emu.organisation_ids
    emu.block(first, "SalesInvoiceList.nv")
    response = get(client, emu, "/salesinvoicelist.nv", org=first)
    assert response.status_code == 403
    code, message = failure(response)
    assert code == "SERVICE_ACCESS_ERROR"
    assert "salesinvoicelist.nv" in message
    assert "Rights of interface resources" in message
    assert get(client, emu, "/customerlist.nv", org=first).is_success
    assert get(client, emu, "/salesinvoicelist.nv", org=second).is_success
    assert (
        "Rajapintaresurssien oikeudet" in failure(get(client, emu, "/salesinvoicelist.nv", org=first, language="FI"))[1]
    )
    emu.allow(first, "salesinvoicelist")
    assert get(client, emu, "/salesinvoicelist.nv", org=first).is_success
    assert emu.company(first).allowed_resources == set(READ_RESOURCES)


class SlowHandler:
    """Blocks inside the handler until released, so a test can overlap a second request."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, company: Any, resource: str, params: Mapping[str, str], **kwargs: Any) -> Reply:
        if "slow" in params:
            self.entered.set()
            assert self.release.wait(10)
        return fake_handler(company, resource, params, **kwargs)


@pytest.mark.parametrize("overlap", ["reject", "allow"])
def test_overlapping_requests_to_one_company(overlap: str) -> None:
    slow = SlowHandler()
    emu = make_emulator(handler=slow, overlap=overlap)
    client = httpx.Client(transport=httpx.WSGITransport(app=emu.app), base_url=BASE)
    first, second = emu.organisation_ids
    results: list[httpx.Response] = []
    worker = threading.Thread(target=lambda: results.append(get(client, emu, "/customerlist.nv?slow=1", org=first)))
    worker.start()
    assert slow.entered.wait(10)
    overlapping = get(client, emu, "/productlist.nv", org=first)
    other_company = get(client, emu, "/productlist.nv", org=second)
    slow.release.set()
    worker.join(10)
    assert results[0].is_success
    assert other_company.is_success
    if overlap == "reject":
        assert overlapping.status_code == 500
        code, message = failure(overlapping)
        assert code == "TECHNICAL_ERROR"
        assert "one request at a time" in message
    else:
        assert overlapping.is_success
    assert get(client, emu, "/productlist.nv", org=first).is_success  # released after the slow answer


def test_company_stays_busy_until_the_streamed_answer_is_closed(emu: Emulator, client: httpx.Client) -> None:
    url = BASE + "/customerlist.nv"
    with client.stream("GET", url, headers=signed(emu, url)) as streaming:
        assert streaming.status_code == 200
        assert failure(get(client, emu, "/productlist.nv"))[0] == "TECHNICAL_ERROR"
    assert get(client, emu, "/productlist.nv").is_success
    assert [e.code for e in emu.log.entries()] == ["TECHNICAL_ERROR", "OK", "OK"]


@pytest.mark.writes_expected
@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("POST", "/customerlist.nv", 405),
        ("PUT", "/customerlist.nv", 405),
        ("GET", "/salesinvoice.nv", 404),
        ("GET", "/deletesalesinvoice.nv", 404),
        ("GET", "/DeleteCustomer.nv?id=1", 404),
        ("GET", "/nosuchthing", 404),
        ("GET", "/", 404),
    ],
)
def test_writes_deletes_and_unknown_paths_are_refused_and_recorded(
    emu: Emulator, client: httpx.Client, method: str, path: str, status: int
) -> None:
    url = BASE + path
    response = client.request(method, url, headers=signed(emu, url), content=b"<Root/>" if method != "GET" else None)
    assert response.status_code == status
    assert failure(response)[0] == "INVALID_DATA"
    (attempt,) = emu.log.write_attempts()
    assert (attempt.method, attempt.path, attempt.refused, attempt.status) == (
        method,
        path.partition("?")[0],
        True,
        status,
    )
    assert emu.log.counts() == {}
    get(client, emu, "/customerlist.nv")
    assert len(emu.log.write_attempts()) == 1


# -- companies, settings, log --------------------------------------------------------------------------------------


def test_companies_have_valid_distinct_business_ids_and_settings() -> None:
    emu = make_emulator(companies=3, seed=5)
    assert len(set(emu.organisation_ids)) == 3
    assert all(is_valid_business_id(org) for org in emu.organisation_ids)
    assert make_emulator(companies=3, seed=5).settings() == emu.settings()
    assert make_emulator(companies=3, seed=6).organisation_ids != emu.organisation_ids
    settings = emu.settings(emu.organisation_ids[2], base_url="http://127.0.0.1:9")
    assert set(settings) == {
        "base_url", "sender", "customer_id", "customer_key", "partner_id", "partner_key",
        "organisation_id", "language", "mac_algorithm",
    }  # fmt: skip
    assert settings["organisation_id"] == emu.organisation_ids[2]
    assert settings["base_url"] == "http://127.0.0.1:9"
    assert settings["mac_algorithm"] == "HMACSHA256"
    assert emu.company(emu.organisation_ids[1]).store.organisation_id == emu.organisation_ids[1]
    assert settings["customer_key"] not in repr(emu.credentials())
    custom = make_emulator(companies=1, organisation_ids=["1967543-8"], partner_id="P", partner_key="PK")
    assert custom.settings()["organisation_id"] == "1967543-8"
    assert (custom.settings()["partner_id"], custom.settings()["partner_key"]) == ("P", "PK")


def test_request_log_helpers(emu: Emulator, client: httpx.Client) -> None:
    get(client, emu, "/customerlist.nv")
    get(client, emu, "/customerlist.nv")
    get(client, emu, "/productlist.nv", org=emu.organisation_ids[1])
    get(client, emu, "/productlist.nv?fail=1")
    assert emu.log.counts() == {"customerlist": 2, "productlist": 1}
    assert emu.log.counts(emu.organisation_ids[1]) == {"productlist": 1}
    assert emu.log.codes() == {"OK": 3, "INVALID_DATA": 1}
    assert emu.log.rows() == 9
    assert emu.log.rows("productlist") == 3
    assert [e.detail for e in emu.log.failures()] == ["Bad parameter value"]
    assert len(emu.log.calls("productlist")) == 2
    summary = emu.log.summary()
    assert summary["requests"] == 4
    assert summary["write_attempts"] == 0
    assert json.loads(json.dumps([e.to_dict() for e in emu.log]))[0]["resource"] == "customerlist"
    assert all(e.elapsed_ms >= 0 and e.transaction_id for e in emu.log)
    emu.log.clear()
    assert len(emu.log) == 0


def test_log_is_thread_safe(emu: Emulator) -> None:
    orgs = emu.organisation_ids

    def work(org: str) -> None:
        client = httpx.Client(transport=httpx.WSGITransport(app=emu.app), base_url=BASE)
        for _ in range(20):
            assert get(client, emu, "/accountlist.nv", org=org).is_success

    threads = [threading.Thread(target=work, args=(org,)) for org in orgs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert emu.log.counts() == {"accountlist": 40}


# -- admin API -----------------------------------------------------------------------------------------------------


def admin(client: httpx.Client, method: str, path: str, body: object = None) -> Any:
    response = client.request(method, BASE + "/_emulator/" + path, json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


def test_admin_endpoints(emu: Emulator, client: httpx.Client) -> None:
    first, second = emu.organisation_ids
    assert admin(client, "GET", "companies")["organisation_ids"] == [first, second]
    assert admin(client, "GET", f"settings?organisation_id={second}")["organisation_id"] == second
    before = emu.clock.now()
    moved = datetime.fromisoformat(admin(client, "POST", "clock/advance", {"days": 2})["now"])
    assert timedelta(days=2) <= moved - before < timedelta(days=2, minutes=1)
    assert admin(client, "GET", "clock")["now"]
    created = admin(client, "POST", f"companies/{first}/records/customer", {"name": "Öljy Oy", "balance_limit": 1.5})
    assert created == {"netvisor_key": 1001}
    admin(
        client, "PATCH", f"companies/{first}/records/salesinvoice/7", {"date": "2026-01-02", "at": "2026-01-02T03:04"}
    )
    admin(client, "DELETE", f"companies/{first}/records/voucher/9")
    admin(client, "POST", f"companies/{first}/vouchers/5/invalidate")
    store = emu.company(first).store
    assert store.changes[0] == (
        "create",
        "customer",
        {"name": "Öljy Oy", "balance_limit": Decimal("1.5")},
    )
    assert store.changes[1][3]["date"] == datetime(2026, 1, 2).date()
    assert store.changes[1][3]["at"] == datetime(2026, 1, 2, 3, 4)
    assert store.changes[2:] == [("delete", "voucher", 9), ("invalidate", 5)]
    assert "accountlist" not in admin(client, "POST", f"companies/{first}/block/accountlist")["allowed_resources"]
    assert failure(get(client, emu, "/accountlist.nv"))[0] == "SERVICE_ACCESS_ERROR"
    admin(client, "POST", f"companies/{first}/allow/accountlist.nv")
    assert "accountlist" in admin(client, "GET", f"companies/{first}/rights")["allowed_resources"]
    assert get(client, emu, "/accountlist.nv").is_success
    summary = admin(client, "GET", "log")
    assert summary["counts"] == {"accountlist": 1}
    assert summary["codes"] == {"SERVICE_ACCESS_ERROR": 1, "OK": 1}
    assert admin(client, "GET", "log/entries")[1]["code"] == "OK"
    plan = admin(client, "PUT", "faults", {"faults": [{"kind": "http_503", "nth": 1}], "seed": 3})
    assert plan["faults"] == [{"kind": "http_503", "nth": 1}]
    assert admin(client, "GET", "faults")["seed"] == 3
    assert get(client, emu, "/accountlist.nv").status_code == 503
    assert admin(client, "DELETE", "faults")["faults"] == []
    admin(client, "DELETE", "log")
    assert len(emu.log) == 0


def test_admin_errors_and_access(emu: Emulator, client: httpx.Client) -> None:
    assert client.get(BASE + "/_emulator/nothing").status_code == 404
    assert client.get(BASE + "/_emulator/companies/0000000-0/rights").status_code == 404
    bad_plan = client.put(BASE + "/_emulator/faults", json={"faults": [{"kind": "meteor", "rate": 1}]})
    assert bad_plan.status_code == 400
    assert "meteor" in bad_plan.json()["error"]
    remote = httpx.Client(transport=httpx.WSGITransport(app=emu.app, remote_addr="10.1.2.3"), base_url=BASE)
    assert remote.get(BASE + "/_emulator/companies").status_code == 403
    closed = make_emulator(admin=False)
    local = httpx.Client(transport=httpx.WSGITransport(app=closed.app), base_url=BASE)
    assert local.get(BASE + "/_emulator/companies").status_code == 403
    opened = make_emulator(admin=True)
    remote = httpx.Client(transport=httpx.WSGITransport(app=opened.app, remote_addr="10.1.2.3"), base_url=BASE)
    assert remote.get(BASE + "/_emulator/companies").status_code == 200
    assert len(emu.log) == 0  # admin requests are not logged


# -- end to end with the real data generator and resource handlers --------------------------------------------------


@pytest.fixture
def real() -> Emulator:
    return Emulator(profile="partner-test", seed=3, companies=2, wall=lambda: WALL)


def test_every_read_resource_answers_ok_or_asks_for_parameters(real: Emulator) -> None:
    client = httpx.Client(transport=httpx.WSGITransport(app=real.app), base_url=BASE)
    for resource in READ_RESOURCES:
        response = get(client, real, f"/{resource}.nv")
        first, second = status_of(response)
        assert (response.status_code, first) == (200, "OK") or (
            response.status_code == 400 and second.startswith("INVALID_DATA :: ")
        ), (resource, response.text[:300])
    assert real.log.codes().keys() == {"OK", "INVALID_DATA"}
    assert real.log.rows("salesinvoicelist") > 0
    assert real.log.write_attempts() == []


def test_end_to_end_rights_changes_and_language(real: Emulator) -> None:
    client = httpx.Client(transport=httpx.WSGITransport(app=real.app), base_url=BASE)
    first, second = real.organisation_ids
    real.block(first, "salesinvoicelist")
    assert failure(get(client, real, "/salesinvoicelist.nv", org=first))[0] == "SERVICE_ACCESS_ERROR"
    assert b"<SalesInvoiceList" in get(client, real, "/salesinvoicelist.nv", org=second).content
    created = admin(client, "POST", f"companies/{first}/records/customer", {"name": "Emulaattori Öljy Oy"})
    listing = get(client, real, "/customerlist.nv", org=first)
    assert "Emulaattori Öljy Oy" in listing.text
    assert f"<Netvisorkey>{created['netvisor_key']}<".lower() in listing.text.lower()
    assert "Emulaattori Öljy Oy" not in get(client, real, "/customerlist.nv", org=second).text
    assert failure(get(client, real, "/getcustomer.nv", language="FI"))[0] == "INVALID_DATA"
    assert real.log.counts() == {"salesinvoicelist": 1, "customerlist": 2}


def test_admin_delete_and_invalidate_reach_the_resources(real: Emulator) -> None:
    """The admin endpoints change the real books: the resources a sync reads see the deletion and the invalidation."""
    client = httpx.Client(transport=httpx.WSGITransport(app=real.app), base_url=BASE)
    first, second = real.organisation_ids
    store = real.company(first).store
    invoice = next(i for i in store.sales_invoices if i.status == "paid" and i.credited_invoice_key is None)
    payment = next(p for p in store.sales_payments if p.invoice_key == invoice.netvisor_key)
    today = real.clock.now().date().isoformat()

    def root(path: str, org: str = first) -> ET.Element:
        response = get(client, real, path, org=org)
        assert status_of(response) == ("OK", ""), response.text[:300]
        return ET.fromstring(response.content)[1]

    def keys(element: ET.Element, tag: str = "NetvisorKey") -> list[int]:
        return [int(record.findtext(tag) or 0) for record in element]

    admin(client, "DELETE", f"companies/{first}/records/salesinvoice/{invoice.netvisor_key}")
    assert len(root(f"/getsalesinvoice.nv?netvisorkey={invoice.netvisor_key}")) == 0
    assert invoice.netvisor_key not in keys(root("/salesinvoicelist.nv"))
    assert keys(root(f"/deletedsalesinvoices.nv?deletedsince={today}")) == [invoice.netvisor_key]
    assert keys(root(f"/deletedsalespayments.nv?deletedsince={today}")) == [payment.netvisor_key]
    assert invoice.voucher_key in keys(root(f"/deletedvouchers.nv?deletedsince={today}"))
    assert len(root(f"/accountingledger.nv?netvisorkey={invoice.voucher_key}")) == 0
    assert keys(root(f"/salespaymentlist.nv?invoicenetvisorkey={invoice.netvisor_key}")) == []
    # the other company keeps its own books
    other = root(f"/getsalesinvoice.nv?netvisorkey={invoice.netvisor_key}", org=second)
    assert other.findtext("SalesInvoiceNetvisorKey") == str(invoice.netvisor_key)

    cost = next(v for v in store.vouchers if v.voucher_class == "MU Other")
    bank = sum(line.line_sum for line in cost.lines if line.account_number == 1910)
    day = cost.date.isoformat()
    balance_path = f"/accountbalance.nv?balancedates={day}"

    def bank_balance() -> Decimal:
        account = next(a for a in root(balance_path) if a.findtext("Number") == "1910")
        return Decimal((account.findtext("AccountBalance/Balance") or "").replace(",", "."))

    before = bank_balance()
    ledger = f"/accountingledger.nv?startdate={day}&enddate={day}"
    assert cost.netvisor_key in keys(root(ledger))
    admin(client, "POST", f"companies/{first}/vouchers/{cost.netvisor_key}/invalidate")
    assert cost.netvisor_key not in keys(root(ledger))
    invalidated = [v for v in root(ledger + "&voucherstatus=3") if v.findtext("NetvisorKey") == str(cost.netvisor_key)]
    assert [{k.lower(): a for k, a in v.attrib.items()}["status"] for v in invalidated] == ["invalidated"]
    assert bank_balance() == before - bank
    admin(client, "DELETE", f"companies/{first}/records/voucher/{cost.netvisor_key}")
    assert cost.netvisor_key in keys(root(f"/deletedvouchers.nv?deletedsince={today}"))
    assert cost.netvisor_key not in keys(root(ledger + "&voucherstatus=1"))
