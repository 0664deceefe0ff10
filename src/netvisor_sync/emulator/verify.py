"""Request authentication as Netvisor does it: headers, partner and customer keys, MAC, clock skew, replay, access.

:class:`Verifier` answers one question per request: who is calling, for which organisation, or which
``AUTHENTICATION_FAILED`` / ``REQUEST_NOT_UNIQUE`` rejection Netvisor would give. It recomputes the MAC with
:mod:`netvisor_sync.auth` over the URL exactly as received and the header values verbatim.

Choices where Netvisor's documentation is silent (API reference §1, all configurable through :class:`AuthPolicy`):

* Header names are matched case-insensitively (WSGI upper-cases them anyway). Header values arrive as Latin-1 text
  (PEP 3333) and are re-read as ISO-8859-15, Netvisor's documented encoding, before hashing.
* ``MACHashCalculationAlgorithm`` absent means MD5 (the oldest clients never send it); ``SHA256``/``MD5`` are accepted
  unless ``legacy_mac=False``. The hex digest is compared case-insensitively.
* Clock skew: HMACSHA256 requests are checked on ``TimestampUnix``; legacy requests on ``Timestamp`` read as UTC
  (``yyyy-MM-dd HH:mm:ss.fff`` or ISO 8601). A legacy timestamp that cannot be parsed is not checked, because
  Netvisor has accepted local-time and culture-formatted values from its own old client. The window (default
  ±300 s) is measured against the real wall clock, not the emulator's movable business clock.
* TransactionIds are unique per partner (``transaction_id_scope="partner"``, what a third-party summary of Netvisor
  says), or per partner and customer (``"customer"``), for the emulator's lifetime; an id is remembered once the MAC
  and the timestamp have been verified (a forged request cannot burn a client's id).
* A customer without access to the organisation, or an unknown organisation, gets ``AUTHENTICATION_FAILED`` (the
  code Netvisor documents for "user lacks rights"); both read the same, so the answer does not reveal which
  business ids exist.
* A wrong MAC is answered like the real server: the string the server hashed, with the two keys replaced by one
  ``YOUR_PRIVATE_KEY_HERE`` placeholder, then `` :: `` and the expected digest in upper case. The digest is a
  one-way function of the keys; the keys themselves never appear.
"""

from __future__ import annotations

import codecs
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from netvisor_sync import auth
from netvisor_sync.emulator.faults import ENVELOPE_MESSAGES
from netvisor_sync.emulator.reply import Rejection
from netvisor_sync.errors import ConfigError

KEY_PLACEHOLDER = "YOUR_PRIVATE_KEY_HERE"
AUTH = "AUTHENTICATION_FAILED"

#: Headers every request must carry (TimestampUnix additionally under HMACSHA256).
REQUIRED_HEADERS = (
    auth.HEADER_SENDER,
    auth.HEADER_CUSTOMER_ID,
    auth.HEADER_PARTNER_ID,
    auth.HEADER_TIMESTAMP,
    auth.HEADER_TRANSACTION_ID,
    auth.HEADER_LANGUAGE,
    auth.HEADER_ORGANISATION,
    auth.HEADER_MAC,
)


def environ_key(header: str) -> str:
    """The WSGI environ key of a header: ``X-Netvisor-Organisation-ID`` -> ``HTTP_X_NETVISOR_ORGANISATION_ID``."""
    return "HTTP_" + header.upper().replace("-", "_")


TransactionIdScope = Literal["partner", "customer"]


@dataclass(frozen=True)
class AuthPolicy:
    """How strict the emulator is. ``skew_seconds=None`` switches the timestamp check off.

    ``transaction_id_scope``: where a TransactionId must be unique (``"partner"``: across every customer of the
    partner; ``"customer"``: per partner and customer). ``header_encoding``: how header values are read before
    hashing (Netvisor documents ISO-8859-15).
    """

    skew_seconds: float | None = 300.0
    legacy_mac: bool = True
    header_encoding: str = auth.ENCODING
    transaction_id_scope: TransactionIdScope = "partner"

    def __post_init__(self) -> None:
        if self.skew_seconds is not None and not self.skew_seconds >= 0:
            raise ValueError(f"skew_seconds must be a number of seconds (0 or more) or None, not {self.skew_seconds}")
        if self.transaction_id_scope not in ("partner", "customer"):
            raise ValueError(f"transaction_id_scope must be 'partner' or 'customer', not {self.transaction_id_scope!r}")
        try:
            codecs.lookup(self.header_encoding)
        except LookupError:
            raise ValueError(f"header_encoding {self.header_encoding!r} is not a known text encoding") from None


@dataclass
class CustomerAccount:
    """One API user: its key and the organisations (business ids) it may read."""

    customer_id: str
    key: str = field(repr=False)
    organisations: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Identity:
    """A verified request: who called, for which organisation, and how it wants its answers."""

    partner_id: str
    customer_id: str
    organisation_id: str
    language: str
    algorithm: str
    transaction_id: str


def message_language(language: str | None) -> str:
    """Netvisor answers in English only when asked to; Finnish otherwise (also for SE)."""
    return "EN" if (language or "").strip().upper() == "EN" else "FI"


def _wall() -> datetime:
    return datetime.now(UTC)


class Verifier:
    """Checks requests against the known partners and customers. Thread-safe.

    Use :meth:`verify` once per request; it raises :class:`Rejection` with Netvisor's code and texts.
    """

    def __init__(
        self,
        *,
        partners: Mapping[str, str],
        customers: Mapping[str, CustomerAccount],
        policy: AuthPolicy | None = None,
        wall: Callable[[], datetime] = _wall,
    ) -> None:
        self.partners = dict(partners)
        self.customers = dict(customers)
        self.policy = policy or AuthPolicy()
        self._wall = wall
        self._seen: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def header(self, environ: Mapping[str, object], name: str) -> str | None:
        """A header value as Netvisor reads it (ISO-8859-15), or None when absent."""
        raw = environ.get(environ_key(name))
        if not isinstance(raw, str):
            return None
        try:
            return raw.encode("latin-1").decode(self.policy.header_encoding).strip()
        except UnicodeError:
            return raw.strip()

    def verify(self, environ: Mapping[str, object], url: str) -> Identity:
        """Authenticate one request to ``url`` (the URL exactly as received). Raises :class:`Rejection`."""
        values = {name: self.header(environ, name) for name in (*REQUIRED_HEADERS, auth.HEADER_TIMESTAMP_UNIX)}
        for name in REQUIRED_HEADERS:
            if not values[name]:
                raise Rejection(
                    AUTH, f"Missing header {name}, see documentation", f"Otsake {name} puuttuu, katso dokumentaatio"
                )
        algorithm = self._algorithm(environ)
        if algorithm == "HMACSHA256" and not values[auth.HEADER_TIMESTAMP_UNIX]:
            name = auth.HEADER_TIMESTAMP_UNIX
            raise Rejection(
                AUTH, f"Missing header {name}, see documentation", f"Otsake {name} puuttuu, katso dokumentaatio"
            )
        get = {name: values[name] or "" for name in values}
        partner_key = self.partners.get(get[auth.HEADER_PARTNER_ID])
        if partner_key is None:
            raise Rejection(
                AUTH,
                "Integration partner not found, see documentation",
                "Integraatiokumppania ei löydy, katso dokumentaatio",
            )
        customer = self.customers.get(get[auth.HEADER_CUSTOMER_ID])
        if customer is None:
            raise Rejection(
                AUTH,
                "Integration keys are not valid. Please check the keys specific to the user and partner.",
                "Integraatioavaimet eivät ole kelvollisia. Tarkista käyttäjä- ja kumppanikohtaiset avaimet.",
            )
        self._check_mac(algorithm, url, get, customer.key, partner_key)
        self._check_skew(algorithm, get)
        organisation = get[auth.HEADER_ORGANISATION]
        self._remember(self._id_scope(get[auth.HEADER_PARTNER_ID], customer), get[auth.HEADER_TRANSACTION_ID])
        if organisation not in customer.organisations:
            raise no_access(organisation)
        return Identity(
            partner_id=get[auth.HEADER_PARTNER_ID],
            customer_id=customer.customer_id,
            organisation_id=organisation,
            language=get[auth.HEADER_LANGUAGE].upper(),
            algorithm=algorithm,
            transaction_id=get[auth.HEADER_TRANSACTION_ID],
        )

    def _algorithm(self, environ: Mapping[str, object]) -> str:
        name = (self.header(environ, auth.HEADER_ALGORITHM) or "MD5").upper()
        if name not in auth.ALGORITHMS:
            raise Rejection(
                AUTH,
                f"Unknown MAC hash calculation algorithm {name}, see documentation",
                f"Tuntematon MAC-laskenta-algoritmi {name}, katso dokumentaatio",
            )
        if name != "HMACSHA256" and not self.policy.legacy_mac:
            raise Rejection(
                AUTH,
                f"MAC hash calculation algorithm {name} is no longer supported, use HMACSHA256",
                f"MAC-laskenta-algoritmia {name} ei enää tueta, käytä HMACSHA256-algoritmia",
            )
        return name

    def _check_mac(self, algorithm: str, url: str, get: Mapping[str, str], customer_key: str, partner_key: str) -> None:
        fields = {
            "url": url,
            "sender": get[auth.HEADER_SENDER],
            "customer_id": get[auth.HEADER_CUSTOMER_ID],
            "timestamp": get[auth.HEADER_TIMESTAMP],
            "language": get[auth.HEADER_LANGUAGE],
            "organisation_id": get[auth.HEADER_ORGANISATION],
            "transaction_id": get[auth.HEADER_TRANSACTION_ID],
            "timestamp_unix": get[auth.HEADER_TIMESTAMP_UNIX],
        }
        try:
            expected = auth.compute_mac(algorithm, customer_key=customer_key, partner_key=partner_key, **fields)
        except ConfigError:
            # a value ISO-8859-15 cannot encode: Netvisor could not have hashed it either
            expected = ""
        if expected and expected.lower() == get[auth.HEADER_MAC].lower():
            return
        masked = auth.mac_input(algorithm, customer_key="", partner_key="", **fields).removesuffix("&&")
        shown = f"{masked}&{KEY_PLACEHOLDER} :: {expected.upper()}"
        raise Rejection(
            AUTH,
            f"MAC is not valid, see documentation. Compute the MAC from the string: {shown}",
            f"URI-metodi ei kelpaa, katso dokumentaatio. Laske MAC merkkijonosta: {shown}",
        )

    def _check_skew(self, algorithm: str, get: Mapping[str, str]) -> None:
        window = self.policy.skew_seconds
        if window is None:
            return
        if algorithm == "HMACSHA256":
            try:
                sent = float(int(get[auth.HEADER_TIMESTAMP_UNIX]))
            except ValueError:
                raise Rejection(
                    AUTH,
                    "TimestampUnix is not a valid Unix time, see documentation",
                    "TimestampUnix ei ole kelvollinen Unix-aika, katso dokumentaatio",
                ) from None
        else:
            parsed = parse_timestamp(get[auth.HEADER_TIMESTAMP])
            if parsed is None:
                return
            sent = parsed.timestamp()
        offset = sent - self._wall().timestamp()
        if abs(offset) > window:
            raise Rejection(
                AUTH,
                f"Timestamp is {offset:+.0f} s from the server time, outside the allowed ±{window:g} s",
                f"Aikaleima poikkeaa palvelimen ajasta {offset:+.0f} s, sallittu ero on ±{window:g} s",
            )

    def _id_scope(self, partner_id: str, customer: CustomerAccount) -> str:
        if self.policy.transaction_id_scope == "customer":
            return f"{partner_id}\n{customer.customer_id}"
        return partner_id

    def _remember(self, scope: str, transaction_id: str) -> None:
        with self._lock:
            seen = self._seen.setdefault(scope, set())
            if transaction_id in seen:
                en, fi = ENVELOPE_MESSAGES["REQUEST_NOT_UNIQUE"]
                raise Rejection("REQUEST_NOT_UNIQUE", en, fi)
            seen.add(transaction_id)


def no_access(organisation: str) -> Rejection:
    """The answer for an organisation the user may not read, or one that does not exist (the same on purpose)."""
    return Rejection(
        AUTH,
        f"The user has no access to the organisation {organisation}",
        f"Käyttäjällä ei ole käyttöoikeutta yritykseen {organisation}",
    )


def parse_timestamp(text: str) -> datetime | None:
    """A ``Timestamp`` header as an aware UTC datetime (naive values are UTC), or None if unparseable."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
