"""Signing: known-answer vectors, the header set, timestamps and the properties every MAC scheme must have."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from netvisor_sync.auth import (
    ALGORITHMS,
    HEADER_MAC,
    Credentials,
    Signer,
    compute_mac,
    format_timestamp,
    mac_input,
    new_transaction_id,
    redact_headers,
    sign,
    unix_seconds,
)
from netvisor_sync.errors import ConfigError

# API reference §1.8: Netvisor's own documentation example (legacy MD5).
MD5_VECTOR = {
    "url": "http://integrationdemo.netvisor.fi/accounting.nv",
    "sender": "Testiclient",
    "customer_id": "Integraatiokayttajan tunnus",
    "timestamp": "2009-01-12 15:49:12.221",
    "language": "FI",
    "organisation_id": "1967543-8",
    "transaction_id": "123456",
    "timestamp_unix": "",
    "customer_key": "7cd680e89e880553358bc07cd28b0ee2",
    "partner_key": "07f94228d149a96b2f25e3edad55096e",
}

# API reference §1.3: the HMACSHA256 worked example.
HMAC_URL = "https://isvapi.netvisor.fi/salesinvoicelist.nv?lastmodifiedstart=2024-01-01T00:00:00"
HMAC_EXPECTED = "4f8c60fe2d5cba0f3a972cddfdb6311f4e2326f2f3f504c51495a25d615ba271"
HMAC_CREDENTIALS = Credentials(
    sender="TestSender",
    customer_id="CUSTID",
    customer_key="CUSTKEY",
    partner_id="PARTID",
    partner_key="PARTKEY",
    organisation_id="1234567-8",
    language="EN",
)
HMAC_NOW = datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
HMAC_TXID = "0123456789abcdef0123456789abcdef"

FIELDS = tuple(MD5_VECTOR)


def test_md5_known_answer_vector() -> None:
    assert compute_mac("MD5", **MD5_VECTOR) == "6b2783906969630c1b6649bf5b0e6620"


def test_md5_input_has_nine_values_without_timestamp_unix() -> None:
    text = mac_input("MD5", **{**MD5_VECTOR, "timestamp_unix": "999"})
    assert text.count("&") == 8
    assert "999" not in text
    assert text.startswith("http://integrationdemo.netvisor.fi/accounting.nv&Testiclient&")


def test_hmac_worked_example_through_sign() -> None:
    headers = sign(HMAC_CREDENTIALS, HMAC_URL, now=HMAC_NOW, transaction_id=HMAC_TXID)
    assert headers["X-Netvisor-Authentication-Timestamp"] == "2024-01-02 03:04:05.678"
    assert headers["X-Netvisor-Authentication-TimestampUnix"] == "1704164645"
    assert headers[HEADER_MAC] == HMAC_EXPECTED


def test_hmac_is_keyed_with_both_keys_over_ten_values() -> None:
    values = dict(MD5_VECTOR, timestamp_unix="1231775352")
    message = mac_input("HMACSHA256", **values)
    assert message.count("&") == 9
    key = f"{values['customer_key']}&{values['partner_key']}".encode("iso-8859-15")
    expected = hmac.new(key, message.encode("iso-8859-15"), hashlib.sha256).hexdigest()
    assert compute_mac("HMACSHA256", **values) == expected


def test_sha256_is_a_plain_hash_of_the_legacy_string() -> None:
    expected = hashlib.sha256(mac_input("SHA256", **MD5_VECTOR).encode("iso-8859-15")).hexdigest()
    assert compute_mac("sha256", **MD5_VECTOR) == expected


def test_header_set_for_hmac() -> None:
    headers = sign(HMAC_CREDENTIALS, HMAC_URL, now=HMAC_NOW, transaction_id=HMAC_TXID)
    assert headers == {
        "X-Netvisor-Authentication-Sender": "TestSender",
        "X-Netvisor-Authentication-CustomerId": "CUSTID",
        "X-Netvisor-Authentication-PartnerId": "PARTID",
        "X-Netvisor-Authentication-Timestamp": "2024-01-02 03:04:05.678",
        "X-Netvisor-Authentication-TimestampUnix": "1704164645",
        "X-Netvisor-Authentication-TransactionId": HMAC_TXID,
        "X-Netvisor-Interface-Language": "EN",
        "X-Netvisor-Organisation-ID": "1234567-8",
        "X-Netvisor-Authentication-MACHashCalculationAlgorithm": "HMACSHA256",
        "X-Netvisor-Authentication-UseHTTPResponseStatusCodes": "1",
        "X-Netvisor-Authentication-MAC": HMAC_EXPECTED,
    }


@pytest.mark.parametrize("algorithm", ["SHA256", "MD5"])
def test_legacy_headers_have_no_timestamp_unix(algorithm: str) -> None:
    creds = Credentials(**{**_fields(HMAC_CREDENTIALS), "mac_algorithm": algorithm.lower()})
    headers = sign(creds, HMAC_URL, now=HMAC_NOW, transaction_id=HMAC_TXID)
    assert "X-Netvisor-Authentication-TimestampUnix" not in headers
    assert headers["X-Netvisor-Authentication-MACHashCalculationAlgorithm"] == algorithm
    assert len(headers[HEADER_MAC]) == (64 if algorithm == "SHA256" else 32)


def test_sign_defaults_to_fresh_transaction_ids_and_current_time() -> None:
    before = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
    first, second = sign(HMAC_CREDENTIALS, HMAC_URL), sign(HMAC_CREDENTIALS, HMAC_URL)
    ids = {first["X-Netvisor-Authentication-TransactionId"], second["X-Netvisor-Authentication-TransactionId"]}
    assert len(ids) == 2
    assert all(len(txid) == 32 and int(txid, 16) >= 0 for txid in ids)
    assert int(first["X-Netvisor-Authentication-TimestampUnix"]) >= before.timestamp()
    assert first[HEADER_MAC] != second[HEADER_MAC]


def test_signer_uses_injected_clock_and_ids_per_call() -> None:
    ids = iter(["a" * 32, "b" * 32])
    signer = Signer(HMAC_CREDENTIALS, clock=lambda: HMAC_NOW, id_factory=lambda: next(ids))
    first, second = signer.headers(HMAC_URL), signer.headers(HMAC_URL)
    assert first["X-Netvisor-Authentication-TransactionId"] == "a" * 32
    assert second["X-Netvisor-Authentication-TransactionId"] == "b" * 32
    assert first[HEADER_MAC] != second[HEADER_MAC]
    assert "CUSTKEY" not in repr(signer)


def test_new_transaction_id_is_uuid4_hex() -> None:
    txid = new_transaction_id()
    assert len(txid) == 32
    assert txid[12] == "4"


# --- timestamps -----------------------------------------------------------------------------------------------------


def test_timestamp_keeps_three_digits_at_microsecond_zero() -> None:
    assert format_timestamp(datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)) == "2024-05-06 07:08:09.000"
    assert format_timestamp(datetime(2024, 5, 6, 7, 8, 9, 999999, tzinfo=UTC)) == "2024-05-06 07:08:09.999"


def test_timestamp_is_utc_for_aware_values() -> None:
    helsinki_summer = timezone(timedelta(hours=3))
    moment = datetime(2024, 6, 1, 12, 0, 0, 5000, tzinfo=helsinki_summer)
    assert format_timestamp(moment) == "2024-06-01 09:00:00.005"
    assert unix_seconds(moment) == int(moment.timestamp())


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)))
def test_timestamp_format_and_unix_agree(moment: datetime) -> None:
    text = format_timestamp(moment)
    parsed = datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
    assert len(text) == 23
    assert text[19] == "."
    assert parsed == moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    assert unix_seconds(moment) == int(parsed.timestamp())


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1)))
def test_sign_headers_timestamp_and_unix_are_the_same_instant(moment: datetime) -> None:
    headers = sign(HMAC_CREDENTIALS, HMAC_URL, now=moment.replace(tzinfo=UTC))
    parsed = datetime.strptime(headers["X-Netvisor-Authentication-Timestamp"], "%Y-%m-%d %H:%M:%S.%f")
    assert int(headers["X-Netvisor-Authentication-TimestampUnix"]) == int(parsed.replace(tzinfo=UTC).timestamp())


# --- properties of every scheme -----------------------------------------------------------------------------------

TEXT = st.text(alphabet=st.sampled_from("abcXYZ019 -_.:/?=,äöåÄÖÅ€Šž"), min_size=1, max_size=12)


@given(algorithm=st.sampled_from(ALGORITHMS), field_name=st.sampled_from(FIELDS), suffix=TEXT, base=TEXT)
def test_changing_any_signed_value_changes_the_mac(algorithm: str, field_name: str, suffix: str, base: str) -> None:
    if field_name == "timestamp_unix" and algorithm != "HMACSHA256":
        return  # the legacy schemes do not sign it, by definition
    values = {name: f"{name}-{base}" for name in FIELDS}
    changed = dict(values, **{field_name: values[field_name] + suffix})
    assert compute_mac(algorithm, **values) != compute_mac(algorithm, **changed)


@given(algorithm=st.sampled_from(("SHA256", "MD5")), value=TEXT)
def test_legacy_schemes_ignore_timestamp_unix(algorithm: str, value: str) -> None:
    assert compute_mac(algorithm, **dict(MD5_VECTOR, timestamp_unix=value)) == compute_mac(algorithm, **MD5_VECTOR)


@given(algorithm=st.sampled_from(ALGORITHMS), sender=TEXT, value=TEXT)
def test_non_ascii_is_hashed_as_iso_8859_15(algorithm: str, sender: str, value: str) -> None:
    values = dict(MD5_VECTOR, sender=sender, customer_id=value, timestamp_unix="1")
    message = mac_input(algorithm, **values).encode("iso-8859-15")
    if algorithm == "HMACSHA256":
        key = f"{values['customer_key']}&{values['partner_key']}".encode("iso-8859-15")
        expected = hmac.new(key, message, hashlib.sha256).hexdigest()
    else:
        expected = hashlib.new(algorithm.lower(), message).hexdigest()
    assert compute_mac(algorithm, **values) == expected


def test_euro_sign_is_byte_a4() -> None:
    euro = dict(MD5_VECTOR, sender="Demokäyttäjä €")
    expected = hashlib.md5(
        b"http://integrationdemo.netvisor.fi/accounting.nv&Demok\xe4ytt\xe4j\xe4 \xa4&"
        + mac_input("MD5", **euro).split("&", 2)[2].encode("ascii"),
        usedforsecurity=False,
    ).hexdigest()
    assert compute_mac("MD5", **euro) == expected
    # Latin-1 would hash a different byte for the same text; it cannot encode € at all.
    assert "€".encode("iso-8859-15") == b"\xa4"


@pytest.mark.parametrize("field_name", FIELDS)
def test_unencodable_value_raises_config_error_naming_the_field(field_name: str) -> None:
    with pytest.raises(ConfigError, match=field_name):
        compute_mac("HMACSHA256", **dict(MD5_VECTOR, **{field_name: "snow ☃"}))


# --- credentials --------------------------------------------------------------------------------------------------


def _fields(creds: Credentials) -> dict[str, str]:
    return {name: getattr(creds, name) for name in Credentials.__dataclass_fields__}


def test_credentials_repr_and_str_hide_keys() -> None:
    creds = Credentials(
        **{**_fields(HMAC_CREDENTIALS), "customer_key": "S3cr3tCustomer", "partner_key": "S3cr3tPartner"}
    )
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert "S3cr3t" not in text
        assert "TestSender" in text


def test_credentials_normalize_language_and_algorithm() -> None:
    creds = Credentials(**{**_fields(HMAC_CREDENTIALS), "language": "fi", "mac_algorithm": "hmacsha256"})
    assert (creds.language, creds.mac_algorithm) == ("FI", "HMACSHA256")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"language": "DE"}, "language"),
        ({"mac_algorithm": "SHA1"}, "mac_algorithm"),
        ({"customer_key": ""}, "customer_key"),
        ({"partner_key": "  "}, "partner_key"),
        ({"sender": "Lumiukko ☃"}, "sender"),
        ({"customer_id": "a\r\nX-Injected: 1"}, "customer_id"),
        ({"organisation_id": ""}, "organisation_id"),
    ],
)
def test_credentials_validation_names_the_field(change: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Credentials(**{**_fields(HMAC_CREDENTIALS), **change})


def test_credentials_accept_finnish_sender() -> None:
    creds = Credentials(**{**_fields(HMAC_CREDENTIALS), "sender": "Demokäyttäjä Avanio €"})
    headers = sign(creds, HMAC_URL, now=HMAC_NOW, transaction_id=HMAC_TXID)
    assert headers["X-Netvisor-Authentication-Sender"] == "Demokäyttäjä Avanio €"


def test_redact_headers_masks_only_the_mac() -> None:
    headers = sign(HMAC_CREDENTIALS, HMAC_URL, now=HMAC_NOW, transaction_id=HMAC_TXID)
    redacted = redact_headers(headers)
    assert redacted[HEADER_MAC] == "***"
    assert HMAC_EXPECTED not in repr(redacted)
    assert redacted["X-Netvisor-Authentication-Sender"] == "TestSender"
