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
  answered ``TECHNICAL_ERROR``: Netvisor names no code for it and says only that parallel calls "cause errors",
  and TECHNICAL_ERROR is the code a correct client already backs off on, so a client that breaks the rule is
  slowed down rather than stopped, and the log shows it. ``overlap="allow"`` serves them concurrently. A
  company is busy until its answer has been streamed (or closed).
* A handler that raises something other than a :class:`~.reply.Rejection` is answered ``TECHNICAL_ERROR`` (what
  Netvisor does for its own bugs); the exception is written to ``wsgi.errors`` and kept in the log entry's detail.
* Responses are ``text/xml; charset=utf-8``. Business dates (``now`` for handlers, the envelope ``TimeStamp``) come
  from the movable :class:`~.clock.Clock`; authentication uses the real wall clock.
* Admin endpoints under ``/_emulator/`` (:mod:`.admin`) are served to loopback clients only (``admin="loopback"``),
  always (``admin=True``) or never (``admin=False``), and are not logged.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from netvisor_sync import auth
from netvisor_sync.emulator import admin as admin_api
from netvisor_sync.emulator.clock import Clock
from netvisor_sync.emulator.faults import FaultInjector, FaultPlan
from netvisor_sync.emulator.finnish import business_id
from netvisor_sync.emulator.model import CompanyView
from netvisor_sync.emulator.pipeline import Pipeline
from netvisor_sync.emulator.reply import Reply
from netvisor_sync.emulator.requestlog import RequestLog
from netvisor_sync.emulator.verify import AuthPolicy, CustomerAccount, Verifier
from netvisor_sync.emulator.wsgi import StartResponse, WSGIEnviron
from netvisor_sync.resources import READ_RESOURCES, normalize_resource

Overlap = Literal["reject", "allow"]

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


def _default_handler() -> Handler:
    from netvisor_sync.emulator.handlers import handle  # noqa: PLC0415 - the resource layer loads on first use

    return handle


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

    Args:
        profile: data profile for ``build_company`` (``partner-test``, ``small``, ``large``).
        seed: makes data, business ids and keys reproducible.
        companies: how many companies (each its own business id, books and rights).
        organisation_ids: explicit business ids instead of generated ones (then ``companies`` is ignored).
        clock: the business clock (default: wall clock, movable with ``advance``).
        faults: the fault and latency plan (default: none).
        handler, company_factory: inject fakes; the defaults are the real resource handlers and data generator.
        sleep: how latency is spent (inject a no-op to model latency without waiting).
        wall: the real UTC time, for the timestamp check.
        skew_seconds: allowed clock skew (None: not checked). legacy_mac: accept SHA256/MD5.
        status_codes: overrides of :data:`DEFAULT_STATUS_CODES`.
        overlap: ``"reject"`` or ``"allow"`` overlapping requests to one company.
        admin: serve ``/_emulator/`` to loopback clients (``"loopback"``), to anyone (True) or never (False).
        sender, language: what :meth:`settings` hands to clients (any sender is accepted).
        partner_id, partner_key, customer_id, customer_key: fixed credentials (default: derived from ``seed``).
    """

    def __init__(
        self,
        *,
        profile: str = "partner-test",
        seed: int = 1,
        companies: int = 1,
        clock: Clock | None = None,
        faults: FaultPlan | None = None,
        handler: Handler | None = None,
        company_factory: CompanyFactory | None = None,
        organisation_ids: Sequence[str] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        wall: Callable[[], datetime] | None = None,
        skew_seconds: float | None = 300.0,
        legacy_mac: bool = True,
        status_codes: Mapping[str, int] | None = None,
        overlap: Overlap = "reject",
        admin: bool | Literal["loopback"] = "loopback",
        sender: str = "netvisor-sync",
        language: str = "EN",
        partner_id: str | None = None,
        partner_key: str | None = None,
        customer_id: str | None = None,
        customer_key: str | None = None,
    ) -> None:
        if overlap not in ("reject", "allow"):
            raise ValueError(f"overlap must be 'reject' or 'allow', not {overlap!r}")
        self.profile = profile
        self.seed = seed
        self.clock = clock or Clock()
        self.log = RequestLog()
        self.status_codes = {**DEFAULT_STATUS_CODES, **(status_codes or {})}
        self.overlap = overlap
        self.admin = admin
        self.sender = sender
        self.language = language
        self.sleep = sleep
        self.handler: Handler = handler or _default_handler()
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
        self.verifier = Verifier(
            partners={self.partner_id: partner_key},
            customers={self.customer_id: CustomerAccount(self.customer_id, customer_key, set(self.companies))},
            policy=AuthPolicy(skew_seconds=skew_seconds, legacy_mac=legacy_mac),
            wall=wall or (lambda: datetime.now(UTC)),
        )
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

    def settings(self, organisation_id: str | None = None, base_url: str = "http://testserver") -> dict[str, str]:
        """What a client needs to call this emulator for one company (keys included: it is a local fake)."""
        org = self.company(organisation_id).organisation_id
        customer = self.verifier.customers[self.customer_id]
        return {
            "base_url": base_url,
            "sender": self.sender,
            "customer_id": self.customer_id,
            "customer_key": customer.key,
            "partner_id": self.partner_id,
            "partner_key": self.verifier.partners[self.partner_id],
            "organisation_id": org,
            "language": self.language,
            "mac_algorithm": "HMACSHA256",
        }

    def credentials(self, organisation_id: str | None = None, *, mac_algorithm: str = "HMACSHA256") -> auth.Credentials:
        """Ready-made :class:`~netvisor_sync.auth.Credentials` for one company."""
        values = self.settings(organisation_id)
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
