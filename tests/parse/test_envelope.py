"""read_status: the envelope verdict the transport asks for on every response."""

from __future__ import annotations

import io

import pytest

from netvisor_sync import errors
from netvisor_sync.parse import iter_records, read_status


def envelope(*statuses: str, payload: str = "", root: str = "Root") -> bytes:
    inner = "".join(f"<Status>{s}</Status>" for s in statuses)
    return (
        f'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<{root}><ResponseStatus>{inner}'
        f"<TimeStamp>1.10.2009 16:03:24</TimeStamp></ResponseStatus>{payload}</{root}>"
    ).encode()


def test_ok_returns_quietly() -> None:
    read_status(envelope("OK"), resource="customerlist")
    read_status(envelope(" ok "), resource="customerlist")  # matched case-insensitively, whitespace ignored


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("AUTHENTICATION_FAILED", errors.AuthenticationFailed),
        ("INVALID_DATA", errors.InvalidData),
        ("INVALID_DATA_SIZE", errors.InvalidDataSize),
        ("DUPLICATE_DATA", errors.DuplicateData),
        ("PERIOD_LOCK", errors.PeriodLock),
        ("SERVICE_ACCESS_ERROR", errors.ServiceAccessError),
        ("REQUEST_NOT_UNIQUE", errors.RequestNotUnique),
        ("SYSTEM_MAINTENANCE", errors.SystemMaintenance),
        ("SYSTEM_MAINTANANCE", errors.SystemMaintenance),
        ("TECHNICAL_ERROR", errors.TechnicalError),
    ],
)
@pytest.mark.parametrize("http_status", [200, 400, 503])
def test_failed_gives_the_typed_error_with_code_text_resource_and_status(
    code: str, cls: type[errors.NetvisorError], http_status: int
) -> None:
    body = envelope("FAILED", f"{code} :: Jokin meni pieleen: ä ö å €")
    with pytest.raises(cls) as caught:
        read_status(body, resource="GetSalesInvoice.nv", http_status=http_status)
    assert type(caught.value) is cls
    assert (caught.value.code, caught.value.text) == (code, "Jokin meni pieleen: ä ö å €")
    assert (caught.value.resource, caught.value.status) == ("getsalesinvoice", http_status)
    assert "getsalesinvoice.nv" in str(caught.value)


def test_unknown_code_keeps_code_and_text() -> None:
    with pytest.raises(errors.NetvisorError) as caught:
        read_status(envelope("FAILED", "BRAND_NEW_CODE :: something new"), resource="accountlist")
    assert type(caught.value) is errors.NetvisorError
    assert (caught.value.code, caught.value.text) == ("BRAND_NEW_CODE", "something new")


def test_only_the_first_separator_splits_the_code() -> None:
    diagnostic = "AUTHENTICATION_FAILED :: Laske MAC merkkijonosta: https://x/customerlist.nv&amp;S&amp;C :: 0A1B2C"
    with pytest.raises(errors.AuthenticationFailed) as caught:
        read_status(envelope("FAILED", diagnostic), resource="customerlist")
    assert caught.value.text == "Laske MAC merkkijonosta: https://x/customerlist.nv&S&C :: 0A1B2C"


@pytest.mark.parametrize(
    ("statuses", "code", "text"),
    [
        (("FAILED", "Something went wrong"), "FAILED", "Something went wrong"),
        (("FAILED", "TECHNICAL_ERROR"), "TECHNICAL_ERROR", ""),
        (("FAILED",), "FAILED", "Netvisor gave no error message"),
        (("FAILED", ""), "FAILED", "Netvisor gave no error message"),
    ],
)
def test_failed_without_a_code_still_gives_a_netvisor_error(statuses: tuple[str, ...], code: str, text: str) -> None:
    with pytest.raises(errors.NetvisorError) as caught:
        read_status(envelope(*statuses), resource="customerlist")
    assert (caught.value.code, caught.value.text) == (code, text)


def test_technical_error_is_retryable() -> None:
    with pytest.raises(errors.TechnicalError) as caught:
        read_status(envelope("FAILED", "TECHNICAL_ERROR :: boom"), resource="customerlist")
    assert caught.value.retryable


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (envelope("MAYBE"), "Status 'MAYBE'"),
        (envelope(), "without a Status"),
        (b"<Root><Payload/></Root>", "without ResponseStatus"),
        (envelope("OK", root="Error"), "root element is <Error>"),
    ],
)
def test_bodies_that_are_not_netvisor_envelopes(body: bytes, reason: str) -> None:
    with pytest.raises(errors.MalformedResponse, match=reason) as caught:
        read_status(body, resource="customerlist", http_status=502)
    assert caught.value.status == 502
    assert "HTTP 502" in str(caught.value)


def test_lowercase_envelope_is_read() -> None:
    body = b"<root><responsestatus><status>FAILED</status><status>INVALID_DATA :: x</status></responsestatus></root>"
    with pytest.raises(errors.InvalidData):
        read_status(body, resource="getpayrollpaycheckbatch")


def test_reading_stops_when_the_envelope_closes() -> None:
    # Everything after ResponseStatus is broken on purpose: read_status must not get that far.
    body = envelope("OK")[: -len(b"</Root>")] + b"<Vouchers><Voucher>" + b"<x>&undefined;</x>" * 1000
    read_status(body, resource="accountingledger")
    with pytest.raises(errors.MalformedResponse):
        list(iter_records("accountingledger", body))


def test_a_stream_is_read_only_up_to_the_envelope() -> None:
    class Counting(io.BytesIO):
        consumed = 0

        def read(self, size: int | None = -1) -> bytes:
            data = super().read(size)
            self.consumed += len(data)
            return data

    big = envelope(
        "OK", payload="<Vouchers>" + "<Voucher><NetvisorKey>1</NetvisorKey></Voucher>" * 200_000 + "</Vouchers>"
    )
    stream = Counting(big)
    read_status(stream, resource="accountingledger")
    assert stream.consumed < len(big) // 10


def test_failed_body_raises_from_iter_records_too() -> None:
    with pytest.raises(errors.AuthenticationFailed):
        list(iter_records("customerlist", envelope("FAILED", "AUTHENTICATION_FAILED :: no")))
