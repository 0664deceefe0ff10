"""The transport through an in-process fake Netvisor (``httpx.MockTransport``): URL bytes, signing per attempt,
classification, retries, the read-only guard, per-organisation serialisation, statistics and redaction."""

from __future__ import annotations

import gc
import itertools
import logging
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from email.utils import format_datetime

import httpx
import pytest

from netvisor_sync.auth import HEADER_MAC, Credentials, compute_mac
from netvisor_sync.errors import (
    AuthenticationFailed,
    ConfigError,
    ConnectError,
    HTTPStatusError,
    InvalidData,
    MalformedResponse,
    NetvisorError,
    NetvisorSyncError,
    ReadOnlyViolation,
    RequestNotUnique,
    RequestTimeout,
    ServiceAccessError,
    SystemMaintenance,
    TechnicalError,
    UnsafeXML,
)
from netvisor_sync.spool import SPOOL_MEMORY
from netvisor_sync.transport import (
    AttemptInfo,
    NetvisorClient,
    build_query,
    format_param,
    normalize_base_url,
    organisation_lock,
)

CUSTOMER_KEY = "customer-key-5ecr3t-0001"
PARTNER_KEY = "partner-key-5ecr3t-0002"
BASE = "https://isvapi.netvisor.fi"

OK = (
    b'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<Root><ResponseStatus><Status>OK</Status>'
    b"<TimeStamp>1.10.2009 16:03:24</TimeStamp></ResponseStatus><CustomerList /></Root>"
)


def failed(code: str, text: str = "message") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<Root><ResponseStatus><Status>FAILED</Status>'
        f"<Status>{code} :: {text}</Status><TimeStamp>13.3.2014 12:48:27</TimeStamp></ResponseStatus></Root>"
    ).encode()


def credentials(organisation_id: str = "1234567-8", **changes: str) -> Credentials:
    fields = {
        "sender": "netvisor-sync tests",
        "customer_id": "CUSTID",
        "customer_key": CUSTOMER_KEY,
        "partner_id": "PARTID",
        "partner_key": PARTNER_KEY,
        "organisation_id": organisation_id,
        "language": "EN",
    }
    return Credentials(**(fields | changes))


Reply = httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeNetvisor:
    """Answers each attempt from a script (then OK) and records what was sent, byte for byte."""

    script: list[Reply] = field(default_factory=list)
    requests: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.script.pop(0) if self.script else httpx.Response(200, content=OK)
        if isinstance(reply, Exception):
            raise reply
        if callable(reply):
            return reply(request)
        return reply

    @property
    def macs(self) -> list[str]:
        return [request.headers[HEADER_MAC] for request in self.requests]

    def header(self, name: str) -> list[str]:
        return [request.headers[name] for request in self.requests]


@dataclass
class FakeTime:
    """Wall clock, monotonic clock and sleep in one: sleeping advances both clocks and takes no real time."""

    wall: datetime = datetime(2024, 3, 4, 5, 6, 7, tzinfo=UTC)
    mono: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def now(self) -> datetime:
        self.wall += timedelta(milliseconds=1)  # every signature gets its own instant
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.mono += seconds
        self.wall += timedelta(seconds=seconds)


@pytest.fixture
def fake() -> FakeNetvisor:
    return FakeNetvisor()


@pytest.fixture
def clock() -> FakeTime:
    return FakeTime()


@pytest.fixture
def client(fake: FakeNetvisor, clock: FakeTime) -> Iterator[NetvisorClient]:
    with make_client(fake, clock) as nv:
        yield nv


def make_client(
    fake: FakeNetvisor, clock: FakeTime, creds: Credentials | None = None, **options: object
) -> NetvisorClient:
    return NetvisorClient(
        creds or credentials(),
        base_url=BASE,
        transport=httpx.MockTransport(fake),
        clock=clock.now,
        sleep=clock.sleep,
        monotonic=clock.monotonic,
        **options,  # type: ignore[arg-type]
    )


# --- the URL -----------------------------------------------------------------------------------------------------


def test_query_values_and_order() -> None:
    params = {
        "netvisorkeylist": [3, 1, 2],
        "lastmodifiedstart": datetime(2024, 1, 1, 0, 0, 0, 999),
        "enddate": date(2024, 12, 31),
        "omitattachments": True,
        "showsubsidiaries": False,
        "skipped": None,
        "amount": Decimal("12.50"),
        "a": "x",
    }
    assert build_query(params) == (
        "netvisorkeylist=3,1,2&lastmodifiedstart=2024-01-01T00:00:00&enddate=2024-12-31"
        "&omitattachments=1&showsubsidiaries=0&amount=12.50&a=x"
    )


def test_query_percent_encodes_everything_but_comma_and_colon() -> None:
    assert build_query({"name": "A&B Oy/ä €+1=2 ?#%", "k,ey:": "a,b:c"}) == (
        "name=A%26B%20Oy%2F%C3%A4%20%E2%82%AC%2B1%3D2%20%3F%23%25&k,ey:=a,b:c"
    )


def test_aware_datetimes_are_sent_in_finnish_time() -> None:
    assert format_param(datetime(2024, 6, 1, 9, 0, tzinfo=UTC)) == "2024-06-01T12:00:00"
    assert format_param(datetime(2024, 1, 1, 10, 0, tzinfo=timezone(timedelta(hours=2)))) == "2024-01-01T10:00:00"


@pytest.mark.parametrize("value", [1.5, object(), {"a": 1}, {1, 2}])
def test_values_without_a_wire_form_are_refused(value: object) -> None:
    with pytest.raises(TypeError):
        format_param(value)


def test_transport_sees_exactly_the_signed_url(client: NetvisorClient, fake: FakeNetvisor) -> None:
    params = {"netvisorkeylist": [1, 2, 3], "lastmodifiedstart": datetime(2024, 1, 1), "name": "Äyskäri & Co"}
    response = client.get("GetSalesInvoice.nv", params)
    expected = (
        f"{BASE}/getsalesinvoice.nv?netvisorkeylist=1,2,3&lastmodifiedstart=2024-01-01T00:00:00"
        "&name=%C3%84ysk%C3%A4ri%20%26%20Co"
    )
    (request,) = fake.requests
    assert request.method == "GET"
    assert request.url.raw_path == expected.removeprefix(BASE).encode("ascii")
    assert str(request.url) == expected == response.url == client.url_for("getsalesinvoice", params)
    # The server's side of the check: recompute the MAC from what arrived.
    arrived = request.headers
    mac = compute_mac(
        arrived["X-Netvisor-Authentication-MACHashCalculationAlgorithm"],
        url=str(request.url),
        sender=arrived["X-Netvisor-Authentication-Sender"],
        customer_id=arrived["X-Netvisor-Authentication-CustomerId"],
        timestamp=arrived["X-Netvisor-Authentication-Timestamp"],
        language=arrived["X-Netvisor-Interface-Language"],
        organisation_id=arrived["X-Netvisor-Organisation-ID"],
        transaction_id=arrived["X-Netvisor-Authentication-TransactionId"],
        timestamp_unix=arrived["X-Netvisor-Authentication-TimestampUnix"],
        customer_key=CUSTOMER_KEY,
        partner_key=PARTNER_KEY,
    )
    assert arrived[HEADER_MAC] == mac
    assert arrived["X-Netvisor-Authentication-UseHTTPResponseStatusCodes"] == "1"


def test_non_ascii_header_values_are_sent_as_iso_8859_15(fake: FakeNetvisor, clock: FakeTime) -> None:
    with make_client(fake, clock, credentials(sender="Demokäyttäjä €")) as nv:
        nv.get("customerlist")
    raw = dict(fake.requests[0].headers.raw)
    assert raw[b"X-Netvisor-Authentication-Sender"] == b"Demok\xe4ytt\xe4j\xe4 \xa4"


def test_response_carries_body_status_and_case_insensitive_headers(client: NetvisorClient, fake: FakeNetvisor) -> None:
    fake.script.append(httpx.Response(200, content=OK, headers={"X-Netvisor-Pagination-Next-Page": "2"}))
    response = client.get("getvendor", {"page": 1})
    assert (response.resource, response.status, response.body, response.attempts) == ("getvendor", 200, OK, 1)
    assert response.headers["x-netvisor-pagination-next-page"] == "2"


def test_a_wsgi_server_can_verify_the_mac_from_its_environ() -> None:
    """Through httpx.WSGITransport (the emulator's seam): scheme://host + path + raw QUERY_STRING is the signed URL,
    and header values arrive as WSGI latin-1 strings that re-encode to the ISO-8859-15 bytes that were hashed."""
    verdicts: list[bool] = []

    def app(environ: dict[str, str], start_response: Callable[..., object]) -> list[bytes]:
        def header(name: str) -> str:
            key = "HTTP_" + name.upper().replace("-", "_")
            return environ[key].encode("latin-1").decode("iso-8859-15")

        url = f"{environ['wsgi.url_scheme']}://{environ['HTTP_HOST']}{environ['SCRIPT_NAME']}{environ['PATH_INFO']}"
        url += f"?{environ['QUERY_STRING']}" if environ["QUERY_STRING"] else ""
        expected = compute_mac(
            header("X-Netvisor-Authentication-MACHashCalculationAlgorithm"),
            url=url,
            sender=header("X-Netvisor-Authentication-Sender"),
            customer_id=header("X-Netvisor-Authentication-CustomerId"),
            timestamp=header("X-Netvisor-Authentication-Timestamp"),
            language=header("X-Netvisor-Interface-Language"),
            organisation_id=header("X-Netvisor-Organisation-ID"),
            transaction_id=header("X-Netvisor-Authentication-TransactionId"),
            timestamp_unix=header("X-Netvisor-Authentication-TimestampUnix"),
            customer_key=CUSTOMER_KEY,
            partner_key=PARTNER_KEY,
        )
        verdicts.append(expected == header(HEADER_MAC))
        start_response("200 OK", [("Content-Type", "text/xml; charset=utf-8")])
        return [OK]

    # ASCII Sender: httpx.WSGITransport decodes header values as ASCII (PEP 3333 servers use latin-1, as above).
    creds = credentials(sender="Demo sender")
    with NetvisorClient(creds, base_url="http://testserver", transport=httpx.WSGITransport(app=app)) as nv:
        nv.get("getsalesinvoice", {"netvisorkeylist": [1, 2], "since": datetime(2024, 1, 1), "q": "ä b&c"})
    assert verdicts == [True]


# --- base URL and TLS --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "base_url",
    [
        "http://integration.netvisor.fi",
        "ftp://x.example",
        "https://u:p@x.example",
        "https://x.example/?a=1",
        "nonsense",
    ],
)
def test_unusable_base_urls_are_config_errors(base_url: str) -> None:
    with pytest.raises(ConfigError, match="base_url"):
        NetvisorClient(credentials(), base_url=base_url)


@pytest.mark.parametrize(
    ("base_url", "normalized"),
    [
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
        ("http://127.9.9.9", "http://127.9.9.9"),
        ("http://localhost:5000/netvisor/", "http://localhost:5000/netvisor"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("HTTPS://Integration.Netvisor.FI:443/", "https://integration.netvisor.fi"),
    ],
)
def test_loopback_http_and_normalization(base_url: str, normalized: str) -> None:
    assert normalize_base_url(base_url) == normalized
    with NetvisorClient(credentials(), base_url=base_url) as nv:
        assert nv.url_for("customerlist") == f"{normalized}/customerlist.nv"


def test_plain_http_is_fine_with_an_injected_transport(fake: FakeNetvisor) -> None:
    with NetvisorClient(credentials(), base_url="http://testserver", transport=httpx.MockTransport(fake)) as nv:
        nv.get("customerlist")
    assert str(fake.requests[0].url) == "http://testserver/customerlist.nv"


def test_defaults_are_production_https_and_a_long_timeout() -> None:
    with NetvisorClient(credentials()) as nv:
        assert nv.base_url == "https://integration.netvisor.fi"
        assert nv.timeout >= 360


# --- read-only guard -----------------------------------------------------------------------------------------------


def _must_not_be_called(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"a request was sent: {request.url}")


@pytest.mark.parametrize(
    "resource",
    ["salesinvoice.nv", "deletesalesinvoice.nv", "DeleteCustomer", "customer.nv", "voucher", "../getcustomer", "x", ""],
)
def test_non_read_resources_are_refused_before_sending(resource: str) -> None:
    with NetvisorClient(credentials(), transport=httpx.MockTransport(_must_not_be_called)) as nv:
        with pytest.raises(ReadOnlyViolation, match="nothing was sent"):
            nv.get(resource)
        assert nv.stats.total.attempts == 0


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_only_get_is_allowed(method: str) -> None:
    nv = NetvisorClient(credentials(), transport=httpx.MockTransport(_must_not_be_called))
    with nv, pytest.raises(ReadOnlyViolation):
        nv.request(method, "customerlist")


@pytest.mark.parametrize("resource", ["customerlist", "CustomerList.nv", "/customerlist.NV", "AccountingLedger"])
def test_read_resources_case_insensitive_with_or_without_nv(
    client: NetvisorClient, fake: FakeNetvisor, resource: str
) -> None:
    client.get(resource)
    assert fake.requests[0].url.path in ("/customerlist.nv", "/accountingledger.nv")


# --- signing on every attempt and retries --------------------------------------------------------------------------


def test_every_retry_is_signed_afresh(client: NetvisorClient, fake: FakeNetvisor, clock: FakeTime) -> None:
    fake.script += [
        httpx.Response(200, content=failed("TECHNICAL_ERROR")),
        httpx.Response(500, content=failed("TECHNICAL_ERROR")),
    ]
    response = client.get("customerlist")
    assert response.attempts == 3
    assert len(fake.requests) == 3
    for name in ("X-Netvisor-Authentication-TransactionId", "X-Netvisor-Authentication-Timestamp", HEADER_MAC):
        assert len(set(fake.header(name))) == 3, name
    assert len(set(fake.header("X-Netvisor-Authentication-TimestampUnix"))) == 3  # waits of >= 1 s in between
    assert len(clock.sleeps) == 2
    # exponential, with up to 1 s of jitter
    assert 1 <= clock.sleeps[0] <= 2
    assert 2 <= clock.sleeps[1] <= 3


RETRYABLE: list[tuple[str, Reply, type[NetvisorSyncError]]] = [
    ("technical error", httpx.Response(200, content=failed("TECHNICAL_ERROR")), TechnicalError),
    ("technical error as 500", httpx.Response(500, content=failed("TECHNICAL_ERROR")), TechnicalError),
    ("maintenance", httpx.Response(503, content=failed("SYSTEM_MAINTENANCE")), SystemMaintenance),
    ("maintenance, client spelling", httpx.Response(200, content=failed("SYSTEM_MAINTANANCE")), SystemMaintenance),
    ("request not unique", httpx.Response(409, content=failed("REQUEST_NOT_UNIQUE")), RequestNotUnique),
    ("gateway", httpx.Response(502, text="<html><body>Bad Gateway</body></html>"), HTTPStatusError),
    ("unavailable", httpx.Response(503, text="Service Unavailable"), HTTPStatusError),
    ("too many requests", httpx.Response(429, content=b""), HTTPStatusError),
    ("connect error", httpx.ConnectError("Connection refused"), ConnectError),
    ("read error", httpx.ReadError("Connection reset by peer"), ConnectError),
    ("server disconnected", httpx.RemoteProtocolError("peer closed connection"), ConnectError),
    ("in-process connection reset", ConnectionResetError("reset by the in-process app"), ConnectError),
    ("read timeout", httpx.ReadTimeout("timed out"), RequestTimeout),
    ("connect timeout", httpx.ConnectTimeout("timed out"), RequestTimeout),
    ("truncated 200", httpx.Response(200, content=OK[:80]), MalformedResponse),
]


@pytest.mark.parametrize(("case", "reply", "error_type"), RETRYABLE, ids=[case for case, _, _ in RETRYABLE])
def test_transient_failures_are_retried(
    client: NetvisorClient, fake: FakeNetvisor, case: str, reply: Reply, error_type: type[NetvisorSyncError]
) -> None:
    fake.script.append(reply)
    attempts: list[AttemptInfo] = []
    client._on_attempt = attempts.append
    response = client.get("customerlist")
    assert response.status == 200
    assert response.attempts == 2
    assert attempts[0].error is not None
    assert attempts[0].error.startswith(error_type.__name__)
    assert attempts[1].ok


FATAL: list[tuple[str, httpx.Response, type[NetvisorSyncError]]] = [
    ("authentication", httpx.Response(200, content=failed("AUTHENTICATION_FAILED")), AuthenticationFailed),
    ("authentication as 401", httpx.Response(401, content=failed("AUTHENTICATION_FAILED")), AuthenticationFailed),
    ("service access as 403", httpx.Response(403, content=failed("SERVICE_ACCESS_ERROR")), ServiceAccessError),
    ("invalid data", httpx.Response(400, content=failed("INVALID_DATA")), InvalidData),
    ("unknown code", httpx.Response(200, content=failed("SOMETHING_NEW")), NetvisorError),
    ("envelope decides over 503", httpx.Response(503, content=failed("INVALID_DATA")), InvalidData),
    ("not found", httpx.Response(404, text="Not Found"), HTTPStatusError),
    ("bad request", httpx.Response(400, content=b""), HTTPStatusError),
    ("redirect", httpx.Response(301, headers={"Location": "https://elsewhere.example/"}), HTTPStatusError),
    ("ok envelope with 403", httpx.Response(403, content=OK), HTTPStatusError),
    (
        "unsafe xml",
        httpx.Response(200, content=b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><Root/>'),
        UnsafeXML,
    ),
    ("html 200", httpx.Response(200, text="<html><body>Login</body></html>"), MalformedResponse),
]


@pytest.mark.parametrize(("case", "reply", "error_type"), FATAL, ids=[case for case, _, _ in FATAL])
def test_fatal_failures_are_not_retried(
    fake: FakeNetvisor, clock: FakeTime, case: str, reply: httpx.Response, error_type: type[NetvisorSyncError]
) -> None:
    fake.script += [reply] * 3
    fake.script.append(httpx.Response(200, content=OK))
    # malformed_retries=0: a 2xx non-Netvisor body (the "html 200" case) is then fatal like the rest
    with make_client(fake, clock, malformed_retries=0) as nv, pytest.raises(error_type) as caught:
        nv.get("customerlist")
    assert type(caught.value) is error_type, case
    assert len(fake.requests) == 1
    assert clock.sleeps == []
    assert getattr(caught.value, "status", None) == reply.status_code


def test_exhausted_retries_raise_the_last_typed_error_with_the_attempt_count(
    client: NetvisorClient, fake: FakeNetvisor
) -> None:
    fake.script += [httpx.Response(200, content=failed("TECHNICAL_ERROR", "Tekninen virhe"))] * 10
    with pytest.raises(TechnicalError, match=r"gave up after 6 attempts") as caught:
        client.get("customerlist")
    assert caught.value.code == "TECHNICAL_ERROR"
    assert len(fake.requests) == 6
    stats = client.stats["customerlist"]
    assert (stats.calls, stats.failures, stats.attempts, stats.retries) == (0, 1, 6, 5)


def test_fatal_error_after_retries_names_the_attempt(client: NetvisorClient, fake: FakeNetvisor) -> None:
    fake.script += [
        httpx.Response(503, text="busy"),
        httpx.ConnectError("refused"),
        httpx.Response(200, content=failed("INVALID_DATA")),
    ]
    with pytest.raises(InvalidData, match=r"failed on attempt 3 of 6"):
        client.get("customerlist")


def test_malformed_2xx_bodies_are_retried_a_bounded_number_of_times(client: NetvisorClient, fake: FakeNetvisor) -> None:
    fake.script += [httpx.Response(200, content=b"<Root><ResponseSta")] * 10
    with pytest.raises(MalformedResponse, match=r"gave up after 3 attempts"):
        client.get("customerlist")
    assert len(fake.requests) == 3  # malformed_retries=2


@pytest.mark.parametrize("retry_after", ["7", "7.0"])
def test_retry_after_seconds_is_honoured(
    client: NetvisorClient, fake: FakeNetvisor, clock: FakeTime, retry_after: str
) -> None:
    fake.script.append(httpx.Response(429, headers={"Retry-After": retry_after}))
    client.get("customerlist")
    assert clock.sleeps == [7.0]


def test_retry_after_http_date_is_honoured(client: NetvisorClient, fake: FakeNetvisor, clock: FakeTime) -> None:
    when = clock.wall.replace(microsecond=0) + timedelta(seconds=30)
    fake.script.append(httpx.Response(503, headers={"Retry-After": format_datetime(when, usegmt=True)}))
    client.get("customerlist")
    assert 29 <= clock.sleeps[0] <= 30


def test_retry_after_on_a_netvisor_envelope_is_honoured(
    client: NetvisorClient, fake: FakeNetvisor, clock: FakeTime
) -> None:
    fake.script.append(httpx.Response(503, content=failed("SYSTEM_MAINTENANCE"), headers={"Retry-After": "120"}))
    client.get("customerlist")
    assert clock.sleeps == [120.0]


def test_total_retry_time_is_bounded(client: NetvisorClient, fake: FakeNetvisor, clock: FakeTime) -> None:
    fake.script += [httpx.Response(503, headers={"Retry-After": "400"})] * 10
    with pytest.raises(HTTPStatusError, match=r"gave up after 3 attempts in 800\.0 s") as caught:
        client.get("customerlist")
    assert clock.sleeps == [400.0, 400.0]  # a third wait would end past max_retry_seconds=900
    assert caught.value.status == 503


def test_max_attempts_is_configurable(fake: FakeNetvisor, clock: FakeTime) -> None:
    fake.script += [httpx.ConnectError("refused")] * 5
    with make_client(fake, clock, max_attempts=2) as nv, pytest.raises(ConnectError, match="gave up after 2 attempts"):
        nv.get("customerlist")


# --- the body spool ------------------------------------------------------------------------------------------------


def _big_answer(records: int) -> Iterator[bytes]:
    """An OK customer list in chunks, as off a socket (never one bytes object)."""
    yield OK.split(b"<CustomerList />")[0] + b"<Customerlist>"
    for first in range(0, records, 1000):
        yield b"".join(
            b"<Customer><Netvisorkey>%d</Netvisorkey><Name>Oy %d</Name></Customer>" % (n, n)
            for n in range(first, min(first + 1000, records))
        )
    yield b"</Customerlist></Root>"


def test_a_big_body_is_spooled_to_disk_and_still_readable_as_bytes(client: NetvisorClient, fake: FakeNetvisor) -> None:
    fake.script.append(lambda _: httpx.Response(200, content=_big_answer(120_000)))
    expected = b"".join(_big_answer(120_000))
    with client.get("customerlist") as response:
        assert response.spool.size == len(expected) > SPOOL_MEMORY
        assert response.spool.on_disk
        assert response.spool.head(5) == b"<?xml"
        assert response.body == expected
        assert response.body == expected  # read again from the spool, not consumed
    assert response.spool.closed
    with pytest.raises(ValueError, match="closed"):
        _ = response.body


def test_a_spooled_body_dropped_unclosed_is_closed_quietly(client: NetvisorClient, fake: FakeNetvisor) -> None:
    fake.script.append(lambda _: httpx.Response(200, content=_big_answer(120_000)))
    response = client.get("customerlist")
    spool = response.spool
    assert spool.on_disk
    file = spool._file  # the temporary file must not outlive its body
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del response, spool
        gc.collect()
    assert file.closed
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_a_small_body_stays_in_memory(client: NetvisorClient) -> None:
    response = client.get("customerlist")
    assert not response.spool.on_disk
    assert response.body == OK


@pytest.mark.parametrize(
    ("failure", "raised"),
    [(httpx.ReadError("connection reset"), ConnectError), (httpx.ReadTimeout("slow"), RequestTimeout)],
    ids=["reset", "timeout"],
)
def test_a_body_failing_mid_stream_is_retried_with_a_fresh_signature(
    client: NetvisorClient, fake: FakeNetvisor, failure: Exception, raised: type[Exception]
) -> None:
    def cut(_: httpx.Request) -> httpx.Response:
        def chunks() -> Iterator[bytes]:
            yield from itertools.islice(_big_answer(100_000), 3)
            raise failure

        return httpx.Response(200, content=chunks())

    fake.script += [cut, cut]
    response = client.get("customerlist")
    assert response.body == OK
    assert len(fake.requests) == 3
    assert len(set(fake.macs)) == 3
    assert client.stats["customerlist"].retries == 2
    fake.script += [cut] * 6
    with pytest.raises(raised, match="gave up after 6 attempts"):
        client.get("customerlist")


def test_an_error_page_is_excerpted_from_the_spool(client: NetvisorClient, fake: FakeNetvisor) -> None:
    page = b"<html><body>" + b"Huoltokatko " * 1_000_000 + b"</body></html>"
    fake.script += [httpx.Response(404, content=page)]
    with pytest.raises(HTTPStatusError, match="404 Not Found without a Netvisor envelope: <html><body>Huoltokatko"):
        client.get("customerlist")


# --- per-organisation serialisation --------------------------------------------------------------------------------


def _threads(work: list[Callable[[], object]]) -> list[BaseException]:
    errors: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        try:
            job()
        except BaseException as exc:  # collected and asserted on by the caller
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return errors


def test_one_request_in_flight_per_organisation() -> None:
    in_flight = 0
    most = 0
    guard = threading.Lock()

    def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        with guard:
            in_flight += 1
            most = max(most, in_flight)
        time.sleep(0.02)
        with guard:
            in_flight -= 1
        return httpx.Response(200, content=OK)

    # Separate clients with the same organisation share the lock: it is process-wide.
    clients = [NetvisorClient(credentials("7654321-0"), transport=httpx.MockTransport(slow)) for _ in range(3)]
    errors = _threads([lambda nv=nv: [nv.get("customerlist") for _ in range(3)] for nv in clients])
    assert errors == []
    assert most == 1


def test_a_request_waiting_for_the_organisation_is_signed_when_its_turn_comes() -> None:
    # The timestamp must not age while another table's call holds the company: sign under the lock, not before.
    now = [datetime(2026, 1, 1, 12, 0, tzinfo=UTC)]
    signed_at: list[str] = []

    def record(request: httpx.Request) -> httpx.Response:
        signed_at.append(request.headers["X-Netvisor-Authentication-Timestamp"])
        return httpx.Response(200, content=OK)

    nv = NetvisorClient(credentials("3333333-3"), transport=httpx.MockTransport(record), clock=lambda: now[0])
    lock = organisation_lock("3333333-3")
    with lock:
        waiter = threading.Thread(target=nv.get, args=("customerlist",))
        waiter.start()
        time.sleep(0.05)  # the waiter is blocked on the lock now; an hour passes meanwhile
        now[0] += timedelta(hours=1)
    waiter.join(timeout=5)
    assert signed_at == ["2026-01-01 13:00:00.000"]


def test_different_organisations_run_in_parallel() -> None:
    both_inside = threading.Barrier(2, timeout=5)

    def meet(request: httpx.Request) -> httpx.Response:
        both_inside.wait()  # only returns if the other organisation's request is in flight at the same time
        return httpx.Response(200, content=OK)

    clients = [
        NetvisorClient(credentials(org), transport=httpx.MockTransport(meet)) for org in ("1111111-1", "2222222-2")
    ]
    errors = _threads([lambda nv=nv: nv.get("customerlist") for nv in clients])
    assert errors == []


# --- statistics and progress -------------------------------------------------------------------------------------


def test_stats_count_calls_attempts_and_retries_per_resource(client: NetvisorClient, fake: FakeNetvisor) -> None:
    fake.script += [httpx.ConnectError("refused"), httpx.Response(200, content=OK), httpx.Response(503, text="x")]
    client.get("customerlist")
    client.get("productlist")
    client.get("ProductList.nv")
    with pytest.raises(ReadOnlyViolation):
        client.get("salesinvoice")
    by_resource = client.stats.by_resource
    assert set(by_resource) == {"customerlist", "productlist"}
    assert (by_resource["customerlist"].calls, by_resource["customerlist"].attempts) == (1, 2)
    assert (
        by_resource["productlist"].calls,
        by_resource["productlist"].attempts,
        by_resource["productlist"].retries,
    ) == (
        2,
        3,
        1,
    )
    total = client.stats.total
    assert (total.calls, total.attempts, total.retries, total.failures) == (3, 5, 2, 0)


def test_on_attempt_reports_every_attempt(fake: FakeNetvisor, clock: FakeTime) -> None:
    seen: list[AttemptInfo] = []
    fake.script += [httpx.ReadTimeout("slow"), httpx.Response(500, content=failed("TECHNICAL_ERROR"))]
    with make_client(fake, clock, on_attempt=seen.append) as nv:
        nv.get("accountlist")
    assert [(a.resource, a.attempt, a.status, a.ok) for a in seen] == [
        ("accountlist", 1, None, False),
        ("accountlist", 2, 500, False),
        ("accountlist", 3, 200, True),
    ]
    assert seen[0].error is not None
    assert seen[0].error.startswith("RequestTimeout")
    assert all(a.max_attempts == 6 for a in seen)


def test_invalid_bounds_are_config_errors() -> None:
    for options in ({"timeout": 0}, {"max_attempts": 0}, {"max_retry_seconds": -1}, {"malformed_retries": -1}):
        with pytest.raises(ConfigError):
            NetvisorClient(credentials(), **options)  # type: ignore[arg-type]


# --- secrets -------------------------------------------------------------------------------------------------------


def test_no_key_or_mac_appears_in_logs_errors_or_reprs(
    fake: FakeNetvisor, clock: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    def echo_secrets(request: httpx.Request) -> httpx.Response:
        # A hostile or buggy server that echoes the keys and this request's MAC (uppercase) in its message.
        text = f"expected {request.headers[HEADER_MAC].upper()} for {CUSTOMER_KEY}&amp;{PARTNER_KEY}"
        return httpx.Response(401, content=failed("AUTHENTICATION_FAILED", text))

    errors: list[NetvisorSyncError] = []
    infos: list[AttemptInfo] = []
    with make_client(fake, clock, on_attempt=infos.append) as nv:
        fake.script += [
            httpx.ConnectError("refused"),
            httpx.Response(503, text="down"),
            httpx.Response(200, content=OK),
        ]
        nv.get("customerlist", {"changedsince": date(2024, 1, 1)})
        fake.script += [httpx.Response(200, content=failed("TECHNICAL_ERROR"))] * 6
        fake.script += [echo_secrets, *[httpx.Response(200, content=b"garbage")] * 3]
        for _ in range(3):
            try:
                nv.get("customerlist", {"changedsince": date(2024, 1, 1)})
            except NetvisorSyncError as exc:
                errors.append(exc)
        texts = [caplog.text, repr(nv), str(nv), repr(nv.credentials), str(nv.credentials), repr(nv.stats)]
    assert len(fake.requests) == 3 + 6 + 1 + 3
    assert [type(e) for e in errors] == [TechnicalError, AuthenticationFailed, MalformedResponse]
    texts += [str(e) for e in errors] + [repr(e) for e in errors] + [repr(vars(e)) for e in errors]
    texts += [repr(info) for info in infos]
    secrets = [CUSTOMER_KEY, PARTNER_KEY, *fake.macs]
    blob = "\n".join(texts).lower()
    for secret in secrets:
        assert secret.lower() not in blob
    assert "***" in str(errors[1])  # the echoed secrets were scrubbed, the rest of the message kept
    assert "customerlist.nv" in caplog.text
    assert "attempt 2/6" in caplog.text
    assert any(record.levelno == logging.WARNING and "retrying" in record.getMessage() for record in caplog.records)
