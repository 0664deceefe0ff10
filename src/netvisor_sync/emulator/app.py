"""The emulated Netvisor as a WSGI application: :class:`Emulator` owns companies, credentials, rights and the log.

Use ``Emulator(...).app`` in-process with ``httpx.WSGITransport(app=emu.app)``, or :func:`~.server.serve` it on
loopback. The app sends ``/_emulator/`` to :mod:`.admin` and every other request through :mod:`.pipeline`
(route -> authenticate -> organisation -> one request per company -> rights -> fault plan -> handler -> stream).

Choices where Netvisor's documentation is silent (API reference §2.4, §3.1), all configurable:

* HTTP statuses: 200 for everything unless the request carries ``X-Netvisor-Authentication-UseHTTPResponseStatusCodes:
  1``; then :data:`DEFAULT_STATUS_CODES` maps the failure code to a 4xx/5xx status, with the same XML body.
  ``status_codes=`` overrides single entries. ``NOT_FOUND``/``METHOD_NOT_ALLOWED`` are the statuses of refused
  requests, whose envelope code is ``INVALID_DATA``.
* Only GET requests for :data:`netvisor_sync.resources.READ_RESOURCES` are served. Anything else (POST, a write
  resource such as ``salesinvoice.nv``, ``deletesalesinvoice.nv``, an unknown path) is refused before
  authentication and recorded with ``refused=True``, so tests can assert ``emu.log.write_attempts() == []``.
* One request at a time per company (Netvisor's rule). With ``overlap="reject"`` (default) an overlapping request is
  answered ``TECHNICAL_ERROR`` (``overlap_code=`` changes it): Netvisor names no code for it and says only that
  parallel calls "cause errors", and TECHNICAL_ERROR is the code a correct client already backs off on, so a client
  that breaks the rule is slowed down rather than stopped, and the log shows it. ``overlap="allow"`` serves them
  concurrently. A company is busy until its answer has been streamed (or closed).
* Spellings and limits where the documentation, fixtures and clients disagree are a :class:`~.render.Quirks`
  (``quirks=``; the documented ones by default, ``"fixture-era"`` for the older reference responses).
* Customers: one API user (customer id and key) with access to every company, unless ``customer_per_company=True``
  gives each company its own; :meth:`Emulator.add_customer` adds more. A customer without access to a company is
  answered ``AUTHENTICATION_FAILED`` (see :mod:`.verify`).
* The business clock runs from the wall clock; ``today=`` freezes it at noon of that day, which also pins the
  generated history (it ends with the month before the clock's month), so a seed and a day give byte-identical
  answers in every run.
* A handler that raises something other than a :class:`~.reply.Rejection` is answered ``TECHNICAL_ERROR`` (what
  Netvisor does for its own bugs); the exception is written to ``wsgi.errors`` and kept in the log entry's detail.
* Responses are ``text/xml; charset=utf-8``. Business dates (``now`` for handlers, the envelope ``TimeStamp``) come
  from the movable :class:`~.clock.Clock`; authentication uses the real wall clock.
* Admin endpoints under ``/_emulator/`` (:mod:`.admin`) are served to loopback clients only (``admin="loopback"``),
  always (``admin=True``) or never (``admin=False``), and are not logged.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from datetime import time as dt_time
from typing import Any, Literal, Protocol

from netvisor_sync import auth
from netvisor_sync.emulator import admin as admin_api
from netvisor_sync.emulator.clock import HELSINKI, Clock
from netvisor_sync.emulator.faults import FaultInjector, FaultPlan
from netvisor_sync.emulator.finnish import business_id
from netvisor_sync.emulator.model import CompanyView
from netvisor_sync.emulator.pipeline import Pipeline
from netvisor_sync.emulator.render import QUIRKS, Quirks, quirks_named
from netvisor_sync.emulator.reply import Reply
from netvisor_sync.emulator.requestlog import RequestLog
from netvisor_sync.emulator.verify import AuthPolicy, CustomerAccount, TransactionIdScope, Verifier
from netvisor_sync.emulator.wsgi import StartResponse, WSGIEnviron
from netvisor_sync.resources import READ_RESOURCES, normalize_resource

Overlap = Literal["reject", "allow"]
_CODE = re.compile(r"[A-Z][A-Z_]*")
#: the hour of day a ``today=`` clock stands at (noon: the same calendar day in every time zone near Finland)
FROZEN_HOUR = 12

#: Failure code -> HTTP status when the client asks for status codes (our assumption, API reference §2.4).
DEFAULT_STATUS_CODES: Mapping[str, int] = {
    "AUTHENTICATION_FAILED": 401,
    "SERVICE_ACCESS_ERROR": 403,
    "INVALID_DATA": 400,
    "INVALID_DATA_SIZE": 400,
    "DUPLICATE_DATA": 409,
    "PERIOD_LOCK": 409,
    "REQUEST_NOT_UNIQUE": 409,
    "SYSTEM_MAINTENANCE": 503,
    "TECHNICAL_ERROR": 500,
    "NOT_FOUND": 404,
    "METHOD_NOT_ALLOWED": 405,
}


class Handler(Protocol):
    """Answers one authenticated, allowed read request (``handlers.handle`` is the real one)."""

    def __call__(
        self,
        company: CompanyView,
        resource: str,
        params: Mapping[str, str],
        *,
        now: datetime,
        language: str,
        base_url: str,
    ) -> Reply: ...


class CompanyFactory(Protocol):
    """Builds one company's books (``generate.build_company`` is the real one)."""

    def __call__(
        self, profile: str, *, seed: int, organisation_id: str, clock: Clock, name: str | None = None
    ) -> Books: ...


class Books(CompanyView, Protocol):
    """A company's books as the emulator keeps them: the read view plus the change API (``store.CompanyStore``)."""

    def create(self, kind: str, **fields: Any) -> int: ...

    def edit(self, kind: str, key: int, **fields: Any) -> None: ...

    def delete(self, kind: str, key: int) -> None: ...

    def invalidate_voucher(self, key: int) -> None: ...


def _default_handler(quirks: Quirks) -> Handler:
    from netvisor_sync.emulator.handlers import handle  # noqa: PLC0415 - the resource layer loads on first use

    return functools.partial(handle, quirks=quirks)


def frozen_clock(today: date | datetime) -> Clock:
    """A :class:`Clock` standing still on ``today`` (at noon for a date; as given for a naive Helsinki datetime)."""
    if isinstance(today, datetime):
        if today.tzinfo is not None:
            today = today.astimezone(HELSINKI).replace(tzinfo=None)
        return Clock.frozen(today)
    return Clock.frozen(datetime.combine(today, dt_time(FROZEN_HOUR)))


def _default_factory() -> CompanyFactory:
    from netvisor_sync.emulator.generate import build_company  # noqa: PLC0415 - generating data loads on first use

    return build_company


@dataclass
class EmulatedCompany:
    """One company: its books (``store``, with the change API of ``store.CompanyStore``) and its resource rights."""

    organisation_id: str
    store: Books
    allowed_resources: set[str] = field(default_factory=lambda: set(READ_RESOURCES))
    busy: threading.Lock = field(default_factory=threading.Lock, repr=False)


def _derived(seed: int, label: str) -> str:
    return hashlib.sha256(f"netvisor-sync-emulator:{seed}:{label}".encode()).hexdigest()


_CREATE_HOOKS: list[Callable[[Emulator], None]] = []


def on_create(hook: Callable[[Emulator], None]) -> Callable[[], None]:
    """Call ``hook`` with every :class:`Emulator` built from now on; returns a function that removes the hook.

    Use it to check a promise over every emulator a test run builds (the test suite asserts that none of them was
    ever sent a write, delete or non-GET request) without passing the emulators around.
    """
    _CREATE_HOOKS.append(hook)
    return lambda: _CREATE_HOOKS.remove(hook)


class Emulator:
    """A local Netvisor with ``companies`` generated companies, one partner and one customer with access to all.

    Every choice the emulator makes where Netvisor's documentation is silent is a parameter here (the table in
    ``docs/EMULATOR.md`` lists them with the ``emulator serve`` option for each).

    Args:
        profile: data profile for ``build_company`` (``partner-test``, ``small``, ``large``).
        seed: makes data, business ids and keys reproducible.
        companies: how many companies (each its own business id, books and rights).
        organisation_ids: explicit business ids instead of generated ones (then ``companies`` is ignored).
        clock: the business clock (default: wall clock, movable with ``advance``).
        today: freeze the business clock at noon of this day (or at this naive Helsinki datetime); the generated
            history depends on the clock's month, so this makes a seed's answers the same on every day you run it.
            Give ``clock`` or ``today``, not both.
        quirks: the spellings and limits where the sources disagree (:class:`~.render.Quirks`, or a name from
            :data:`~.render.QUIRK_SETS`: ``"documented"``, the default, or ``"fixture-era"``). Only for the built-in
            handler: an injected ``handler`` renders as it likes.
        faults: the fault and latency plan (default: none).
        handler, company_factory: inject fakes; the defaults are the real resource handlers and data generator.
        sleep: how latency is spent (inject a no-op to model latency without waiting).
        wall: the real UTC time, for the timestamp check.
        skew_seconds: allowed clock skew (None: not checked). legacy_mac: accept SHA256/MD5.
        header_encoding: how header values are read before the MAC is recomputed (Netvisor: ISO-8859-15).
        transaction_id_scope: where a TransactionId must be unique: ``"partner"`` (default) or ``"customer"``.
        status_codes: overrides of :data:`DEFAULT_STATUS_CODES`.
        overlap: ``"reject"`` or ``"allow"`` overlapping requests to one company.
        overlap_code: the failure code of a rejected overlapping request (default ``TECHNICAL_ERROR``).
        admin: serve ``/_emulator/`` to loopback clients (``"loopback"``), to anyone (True) or never (False).
        sender, language: what :meth:`settings` hands to clients (any sender is accepted).
        partner_id, partner_key, customer_id, customer_key: fixed credentials (default: derived from ``seed``).
        customer_per_company: give every company its own customer (id and key) instead of one shared customer;
            :meth:`credentials` picks the right one, :meth:`customer_for` names it.
    """

    def __init__(
        self,
        *,
        profile: str = "partner-test",
        seed: int = 1,
        companies: int = 1,
        clock: Clock | None = None,
        today: date | datetime | None = None,
        quirks: Quirks | str | None = None,
        faults: FaultPlan | None = None,
        handler: Handler | None = None,
        company_factory: CompanyFactory | None = None,
        organisation_ids: Sequence[str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        wall: Callable[[], datetime] | None = None,
        skew_seconds: float | None = 300.0,
        legacy_mac: bool = True,
        header_encoding: str = auth.ENCODING,
        transaction_id_scope: TransactionIdScope = "partner",
        status_codes: Mapping[str, int] | None = None,
        overlap: Overlap = "reject",
        overlap_code: str = "TECHNICAL_ERROR",
        admin: bool | Literal["loopback"] = "loopback",
        sender: str = "netvisor-sync",
        language: str = "EN",
        partner_id: str | None = None,
        partner_key: str | None = None,
        customer_id: str | None = None,
        customer_key: str | None = None,
        customer_per_company: bool = False,
    ) -> None:
        if overlap not in ("reject", "allow"):
            raise ValueError(f"overlap must be 'reject' or 'allow', not {overlap!r}")
        if not _CODE.fullmatch(overlap_code):
            raise ValueError(f"overlap_code must be a Netvisor code such as TECHNICAL_ERROR, not {overlap_code!r}")
        if clock is not None and today is not None:
            raise ValueError("give clock or today, not both (today freezes a new clock)")
        if handler is not None and quirks is not None:
            raise ValueError("quirks apply to the built-in handler only; an injected handler renders on its own")
        self.profile = profile
        self.seed = seed
        self.clock = clock or (frozen_clock(today) if today is not None else Clock())
        self.quirks = quirks_named(quirks) if isinstance(quirks, str) else quirks or QUIRKS
        self.log = RequestLog()
        self.status_codes = {**DEFAULT_STATUS_CODES, **(status_codes or {})}
        self.overlap = overlap
        self.overlap_code = overlap_code
        self.admin = admin
        self.sender = sender
        self.language = language
        self.sleep = sleep
        self.handler: Handler = handler or _default_handler(self.quirks)
        self.injector = FaultInjector(faults or FaultPlan())
        self._pipeline = Pipeline(self)
        ids = list(organisation_ids) if organisation_ids is not None else self._business_ids(companies)
        build = company_factory or _default_factory()
        self.companies: dict[str, EmulatedCompany] = {}
        for index, org in enumerate(ids):
            store = build(profile, seed=seed + 1009 * index, organisation_id=org, clock=self.clock)
            self.companies[org] = EmulatedCompany(org, store)
        self.partner_id = partner_id or f"NVSYNC_{_derived(seed, 'partner-id')[:8].upper()}"
        self.customer_id = customer_id or f"{uuid.UUID(_derived(seed, 'customer-id')[:32])}_{seed}".upper()
        partner_key = partner_key or _derived(seed, "partner-key")[:32]
        customer_key = customer_key or _derived(seed, "customer-key")[:32]
        shared = set() if customer_per_company else set(self.companies)
        self.verifier = Verifier(
            partners={self.partner_id: partner_key},
            customers={self.customer_id: CustomerAccount(self.customer_id, customer_key, shared)},
            policy=AuthPolicy(
                skew_seconds=skew_seconds,
                legacy_mac=legacy_mac,
                header_encoding=header_encoding,
                transaction_id_scope=transaction_id_scope,
            ),
            wall=wall or (lambda: datetime.now(UTC)),
        )
        if customer_per_company:
            # the first company keeps the seed's usual customer, so its settings read as without the option
            first, *others = self.companies
            self.grant(first)
            for org in others:
                self.add_customer([org])
        for hook in list(_CREATE_HOOKS):
            hook(self)

    def _business_ids(self, count: int) -> list[str]:
        start = (self.seed * 7919) % 3_000_000
        return [business_id(start + index) for index in range(count)]

    # -- companies, credentials, rights ---------------------------------------------------------------------------

    @property
    def organisation_ids(self) -> list[str]:
        return list(self.companies)

    def company(self, organisation_id: str | None = None) -> EmulatedCompany:
        """A company by business id (default: the first). Raises KeyError for an unknown id."""
        if organisation_id is None:
            return next(iter(self.companies.values()))
        return self.companies[organisation_id]

    @property
    def customer_ids(self) -> list[str]:
        """Every customer (API user) the emulator knows, the emulator's own (:attr:`customer_id`) first."""
        return list(self.verifier.customers)

    def add_customer(
        self, organisations: Iterable[str] = (), *, customer_id: str | None = None, customer_key: str | None = None
    ) -> str:
        """Add an API user with its own customer id and key and access to ``organisations``; returns its id.

        Use it to test per-company credentials: a sync whose companies each carry their own keys, or a company
        configured with another customer's keys (answered ``AUTHENTICATION_FAILED``). Id and key are derived from
        the seed and the customer's number unless given. Raises ValueError for a customer id already in use.
        """
        number = len(self.verifier.customers)
        customer_id = (
            customer_id or f"{uuid.UUID(_derived(self.seed, f'customer-id:{number}')[:32])}_{self.seed}".upper()
        )
        if customer_id in self.verifier.customers:
            raise ValueError(f"customer {customer_id} already exists")
        key = customer_key or _derived(self.seed, f"customer-key:{number}")[:32]
        self.verifier.customers[customer_id] = CustomerAccount(customer_id, key, set())
        for org in organisations:
            self.grant(self.company(org).organisation_id, customer_id)
        return customer_id

    def customer_for(self, organisation_id: str | None = None) -> str:
        """The customer whose keys :meth:`settings` hands out for a company: the emulator's own when it has access,
        else the first customer that has; the emulator's own when none has (its requests then fail, as they
        should after :meth:`revoke`)."""
        org = self.company(organisation_id).organisation_id
        customers = self.verifier.customers
        if org in customers[self.customer_id].organisations:
            return self.customer_id
        return next((cid for cid, account in customers.items() if org in account.organisations), self.customer_id)

    def settings(
        self, organisation_id: str | None = None, base_url: str = "http://testserver", *, customer_id: str | None = None
    ) -> dict[str, str]:
        """What a client needs to call this emulator for one company (keys included: it is a local fake).

        ``customer_id`` picks whose keys (default :meth:`customer_for` the company); KeyError for an unknown one.
        """
        org = self.company(organisation_id).organisation_id
        customer = self.verifier.customers[customer_id or self.customer_for(org)]
        return {
            "base_url": base_url,
            "sender": self.sender,
            "customer_id": customer.customer_id,
            "customer_key": customer.key,
            "partner_id": self.partner_id,
            "partner_key": self.verifier.partners[self.partner_id],
            "organisation_id": org,
            "language": self.language,
            "mac_algorithm": "HMACSHA256",
        }

    def credentials(
        self, organisation_id: str | None = None, *, mac_algorithm: str = "HMACSHA256", customer_id: str | None = None
    ) -> auth.Credentials:
        """Ready-made :class:`~netvisor_sync.auth.Credentials` for one company.

        ``customer_id`` picks whose keys, as in :meth:`settings`.
        """
        values = self.settings(organisation_id, customer_id=customer_id)
        del values["base_url"]
        values["mac_algorithm"] = mac_algorithm
        return auth.Credentials(**values)

    def block(self, organisation_id: str, resource: str) -> None:
        """Withdraw the right to one interface resource: it answers SERVICE_ACCESS_ERROR, others keep working."""
        self.company(organisation_id).allowed_resources.discard(normalize_resource(resource))

    def allow(self, organisation_id: str, resource: str) -> None:
        self.company(organisation_id).allowed_resources.add(normalize_resource(resource))

    def grant(self, organisation_id: str, customer_id: str | None = None) -> None:
        """Give a customer (default: the emulator's) access to an organisation."""
        self.verifier.customers[customer_id or self.customer_id].organisations.add(organisation_id)

    def revoke(self, organisation_id: str, customer_id: str | None = None) -> None:
        """Take away a customer's access to an organisation: its requests fail AUTHENTICATION_FAILED."""
        self.verifier.customers[customer_id or self.customer_id].organisations.discard(organisation_id)

    @property
    def faults(self) -> FaultPlan:
        return self.injector.plan

    @faults.setter
    def faults(self, plan: FaultPlan) -> None:
        """Replace the fault plan; its counters start from zero."""
        self.injector = FaultInjector(plan)

    # -- WSGI -----------------------------------------------------------------------------------------------------

    def app(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        """The WSGI application: admin endpoints, or one Netvisor request through :class:`~.pipeline.Pipeline`."""
        if str(environ.get("PATH_INFO") or "/").startswith(admin_api.PREFIX):
            return admin_api.respond(self, environ, start_response)
        return self._pipeline(environ, start_response)
