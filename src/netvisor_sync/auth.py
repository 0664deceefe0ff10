"""Netvisor request signing: credentials -> canonical MAC string -> digest -> header dict. Pure, no I/O.

Use :func:`sign` (or a :class:`Signer` when the clock and the id source must be injected) to get every
``X-Netvisor-*`` header for one request. Sign again for every attempt: Netvisor refuses a reused TransactionId
(``REQUEST_NOT_UNIQUE``) and checks the timestamp, so a retry needs a fresh id, timestamp and MAC.

The schemes (API reference §1.3-§1.4):

* ``HMACSHA256`` (default, mandatory for new integrations): HMAC-SHA256 keyed with ``CustomerKey&PartnerKey`` over
  ``URL&Sender&CustomerId&Timestamp&Language&OrganisationId&TransactionId&TimestampUnix&CustomerKey&PartnerKey``.
* ``SHA256`` and ``MD5`` (legacy): a plain hash of the same values without ``TimestampUnix``.

Strings are hashed as ISO-8859-15 (Netvisor's documented encoding; it differs from Latin-1 for ``€ Š š Ž ž Œ œ Ÿ``),
and the digest is lowercase hex. The emulator imports these functions to verify requests, so they stay pure.
"""

from __future__ import annotations

import calendar
import hashlib
import hmac
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from netvisor_sync.errors import ConfigError

#: Netvisor's encoding for MAC input and header values.
ENCODING = "iso-8859-15"
LANGUAGES = frozenset({"FI", "EN", "SE"})
ALGORITHMS = ("HMACSHA256", "SHA256", "MD5")

HEADER_SENDER = "X-Netvisor-Authentication-Sender"
HEADER_CUSTOMER_ID = "X-Netvisor-Authentication-CustomerId"
HEADER_PARTNER_ID = "X-Netvisor-Authentication-PartnerId"
HEADER_TIMESTAMP = "X-Netvisor-Authentication-Timestamp"
HEADER_TIMESTAMP_UNIX = "X-Netvisor-Authentication-TimestampUnix"
HEADER_TRANSACTION_ID = "X-Netvisor-Authentication-TransactionId"
HEADER_MAC = "X-Netvisor-Authentication-MAC"
HEADER_ALGORITHM = "X-Netvisor-Authentication-MACHashCalculationAlgorithm"
HEADER_STATUS_CODES = "X-Netvisor-Authentication-UseHTTPResponseStatusCodes"
HEADER_LANGUAGE = "X-Netvisor-Interface-Language"
HEADER_ORGANISATION = "X-Netvisor-Organisation-ID"

#: Headers whose value must never be logged or shown.
SECRET_HEADERS = frozenset({HEADER_MAC.lower()})

# Fields that travel in a header: a CR/LF would split the header, so they are refused up front.
_HEADER_FIELDS = ("sender", "customer_id", "partner_id", "organisation_id")
_REQUIRED_FIELDS = ("sender", "customer_id", "customer_key", "partner_id", "partner_key", "organisation_id")


@dataclass(frozen=True, repr=False)
class Credentials:
    """Everything needed to sign requests for one Netvisor company.

    ``customer_id``/``customer_key`` are the user's API identifiers, ``partner_id``/``partner_key`` the integration
    vendor's, ``organisation_id`` the company's business id (``1234567-8``). ``language`` (FI, EN, SE) picks the
    language of Netvisor's messages; ``mac_algorithm`` is ``HMACSHA256`` unless an old account still needs ``SHA256``
    or ``MD5``. ``repr()`` and ``str()`` never show the keys.

    Raises:
        ConfigError: a field is empty, contains a control character, is not encodable in ISO-8859-15, or the
            language or algorithm is unknown. The message names the field.
    """

    sender: str
    customer_id: str
    customer_key: str
    partner_id: str
    partner_key: str
    organisation_id: str
    language: str = "EN"
    mac_algorithm: str = "HMACSHA256"

    def __post_init__(self) -> None:
        for name in _REQUIRED_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"credentials: {name} is missing (set it in [sources.netvisor] or the environment)")
            _encode(name, value)
        for name in _HEADER_FIELDS:
            if any(ord(ch) < 32 or ord(ch) == 127 for ch in getattr(self, name)):
                raise ConfigError(f"credentials: {name} contains a control character")
        language = str(self.language).strip().upper()
        if language not in LANGUAGES:
            raise ConfigError(f"credentials: language must be one of FI, EN, SE, not {self.language!r}")
        object.__setattr__(self, "language", language)
        object.__setattr__(self, "mac_algorithm", normalize_algorithm(self.mac_algorithm))

    def __repr__(self) -> str:
        return (
            f"Credentials(sender={self.sender!r}, customer_id={self.customer_id!r}, customer_key='***', "
            f"partner_id={self.partner_id!r}, partner_key='***', organisation_id={self.organisation_id!r}, "
            f"language={self.language!r}, mac_algorithm={self.mac_algorithm!r})"
        )

    __str__ = __repr__

    @property
    def secrets(self) -> tuple[str, str]:
        """The two keys, for callers that scrub text before showing it."""
        return (self.customer_key, self.partner_key)


def normalize_algorithm(algorithm: str) -> str:
    """``hmacsha256`` -> ``HMACSHA256``; raises ConfigError naming ``mac_algorithm`` for anything unknown."""
    name = str(algorithm).strip().upper()
    if name not in ALGORITHMS:
        raise ConfigError(f"credentials: mac_algorithm must be one of {', '.join(ALGORITHMS)}, not {algorithm!r}")
    return name


def _encode(name: str, value: str) -> bytes:
    try:
        return value.encode(ENCODING)
    except UnicodeEncodeError as exc:
        bad = value[exc.start : exc.end]
        raise ConfigError(
            f"{name} contains {bad!r}, which ISO-8859-15 cannot encode; Netvisor hashes ISO-8859-15"
        ) from None


def mac_input(
    algorithm: str,
    *,
    url: str,
    sender: str,
    customer_id: str,
    timestamp: str,
    language: str,
    organisation_id: str,
    transaction_id: str,
    timestamp_unix: str,
    customer_key: str,
    partner_key: str,
) -> str:
    """The ``&``-joined string Netvisor hashes: 10 values for HMACSHA256, 9 (no TimestampUnix) for SHA256/MD5.

    Use it to show what was signed (mask the two keys first) or to compare with the string an
    ``AUTHENTICATION_FAILED`` diagnostic echoes.
    """
    values = [url, sender, customer_id, timestamp, language, organisation_id, transaction_id]
    if normalize_algorithm(algorithm) == "HMACSHA256":
        values.append(timestamp_unix)
    values += [customer_key, partner_key]
    return "&".join(values)


def compute_mac(
    algorithm: str,
    *,
    url: str,
    sender: str,
    customer_id: str,
    timestamp: str,
    language: str,
    organisation_id: str,
    transaction_id: str,
    timestamp_unix: str,
    customer_key: str,
    partner_key: str,
) -> str:
    """The lowercase hex MAC of one request under ``algorithm`` (``HMACSHA256``, ``SHA256`` or ``MD5``).

    Raises:
        ConfigError: a value cannot be encoded in ISO-8859-15 (names the field), or the algorithm is unknown.
    """
    fields = {
        "url": url,
        "sender": sender,
        "customer_id": customer_id,
        "timestamp": timestamp,
        "language": language,
        "organisation_id": organisation_id,
        "transaction_id": transaction_id,
        "timestamp_unix": timestamp_unix,
        "customer_key": customer_key,
        "partner_key": partner_key,
    }
    for name, value in fields.items():
        _encode(name, value)
    name = normalize_algorithm(algorithm)
    message = mac_input(name, **fields).encode(ENCODING)
    if name == "HMACSHA256":
        key = f"{customer_key}&{partner_key}".encode(ENCODING)
        return hmac.new(key, message, hashlib.sha256).hexdigest()
    if name == "SHA256":
        return hashlib.sha256(message).hexdigest()
    return hashlib.md5(message, usedforsecurity=False).hexdigest()


def format_timestamp(moment: datetime) -> str:
    """``yyyy-MM-dd HH:mm:ss.fff`` in UTC, always three fraction digits (also when the microseconds are 0).

    A naive ``moment`` is taken to be UTC already.
    """
    utc = _as_utc(moment)
    return f"{utc:%Y-%m-%d %H:%M:%S}.{utc.microsecond // 1000:03d}"


def unix_seconds(moment: datetime) -> int:
    """Whole Unix seconds of the same instant :func:`format_timestamp` prints (the fraction is truncated)."""
    return calendar.timegm(_as_utc(moment).timetuple())


def _as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def utc_now() -> datetime:
    """The default clock of :class:`Signer`."""
    return datetime.now(UTC)


def new_transaction_id() -> str:
    """A fresh 32-character lowercase hex id (uuid4): unique across threads, processes and quick retries."""
    return uuid.uuid4().hex


def sign(
    credentials: Credentials, url: str, *, now: datetime | None = None, transaction_id: str | None = None
) -> dict[str, str]:
    """Every Netvisor header for one request to ``url`` (the exact URL that goes on the wire).

    Args:
        credentials: whose keys sign the request.
        url: scheme, host, path and query string exactly as sent; Netvisor hashes the URL it receives.
        now: the signing instant (default: the current UTC time). Naive values are taken as UTC.
        transaction_id: the request's unique id (default: a fresh uuid4 hex). Never reuse one.

    Returns:
        Header name -> value, including ``X-Netvisor-Authentication-MAC``. Keep the MAC out of logs.
    """
    moment = utc_now() if now is None else now
    txid = new_transaction_id() if transaction_id is None else transaction_id
    timestamp = format_timestamp(moment)
    timestamp_unix = str(unix_seconds(moment))
    algorithm = credentials.mac_algorithm
    mac = compute_mac(
        algorithm,
        url=url,
        sender=credentials.sender,
        customer_id=credentials.customer_id,
        timestamp=timestamp,
        language=credentials.language,
        organisation_id=credentials.organisation_id,
        transaction_id=txid,
        timestamp_unix=timestamp_unix,
        customer_key=credentials.customer_key,
        partner_key=credentials.partner_key,
    )
    headers = {
        HEADER_SENDER: credentials.sender,
        HEADER_CUSTOMER_ID: credentials.customer_id,
        HEADER_PARTNER_ID: credentials.partner_id,
        HEADER_TIMESTAMP: timestamp,
    }
    if algorithm == "HMACSHA256":
        headers[HEADER_TIMESTAMP_UNIX] = timestamp_unix
    headers |= {
        HEADER_TRANSACTION_ID: txid,
        HEADER_LANGUAGE: credentials.language,
        HEADER_ORGANISATION: credentials.organisation_id,
        HEADER_ALGORITHM: algorithm,
        HEADER_STATUS_CODES: "1",
        HEADER_MAC: mac,
    }
    return headers


@dataclass(frozen=True, repr=False)
class Signer:
    """Signs requests for one set of credentials with an injectable clock and id source.

    Use it where time and ids must be controlled (tests, the emulator's clock); the transport calls
    :meth:`headers` once per attempt, so every retry gets a new TransactionId, Timestamp and MAC.
    """

    credentials: Credentials
    clock: Callable[[], datetime] = utc_now
    id_factory: Callable[[], str] = new_transaction_id

    def headers(self, url: str) -> dict[str, str]:
        """All Netvisor headers for one attempt at ``url``."""
        return sign(self.credentials, url, now=self.clock(), transaction_id=self.id_factory())

    def __repr__(self) -> str:
        return f"Signer({self.credentials!r})"


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    """A copy of ``headers`` with the MAC masked: the form to put in logs and debug output."""
    return {name: "***" if name.lower() in SECRET_HEADERS else value for name, value in headers.items()}
