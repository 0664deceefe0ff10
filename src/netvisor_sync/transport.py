"""The HTTP side of netvisor-sync: build the URL, sign every attempt, send, classify, retry. The only httpx importer.

Use :class:`NetvisorClient` for every call to Netvisor::

    with NetvisorClient(credentials) as client:
        response = client.get("salesinvoicelist", {"lastmodifiedstart": date(2024, 1, 1)})

What one ``get()`` does, in order:

1. **Read-only guard.** Only GET, and only resources in :data:`netvisor_sync.resources.READ_RESOURCES`
   (``salesinvoice.nv``, ``deletesalesinvoice.nv``, ... raise :class:`~netvisor_sync.errors.ReadOnlyViolation`
   before anything is sent).
2. **URL.** ``<base_url>/<resource>.nv?<query>``, the query built here, parameters in the given order.
   Netvisor hashes the URL *it* sees (API reference §6 item 1) and clients disagree on encoding, so we send
   ``,`` and ``:`` unencoded (``netvisorkeylist=1,2,3``, ``...T00:00:00``: both legal in a query, and what
   Netvisor's own clients send), percent-encode everything else outside ``A-Z a-z 0-9 - . _ ~`` as UTF-8, and sign
   exactly the string that goes on the wire; a check makes sure httpx does not re-encode it.
   Values: ``date`` -> ``yyyy-MM-dd``, ``datetime`` -> ``yyyy-MM-ddTHH:mm:ss`` (an aware value is first converted
   to Finnish time, which Netvisor uses for its own timestamps), ``bool`` -> ``1``/``0``, lists/tuples ->
   comma-joined, ``None`` -> parameter left out.
3. **Per attempt:** sign (new TransactionId, Timestamp and MAC every time), then send while holding the
   organisation's lock: Netvisor asks for one request at a time per company, so a process-wide lock per
   organisation id keeps each company serial while different companies run in parallel threads.
4. **Classify** with :func:`netvisor_sync.parse.read_status`. A Netvisor envelope decides, whatever the HTTP status
   (``UseHTTPResponseStatusCodes: 1`` sends the same XML with 4xx/5xx). A body that is not an envelope: 5xx/429 ->
   retryable :class:`~netvisor_sync.errors.HTTPStatusError`, other non-2xx -> fatal
   ``HTTPStatusError``; a 2xx with a malformed or truncated body -> :class:`~netvisor_sync.errors.MalformedResponse`,
   retried up to ``malformed_retries`` times because it is usually a cut connection; ``UnsafeXML`` is never retried.
   (``read_status`` reads only the envelope: a body cut later is caught by httpx's Content-Length/chunked framing
   check, which surfaces as a retryable ``ConnectError``, or else by the record parser.)
   The body is read in chunks into a :class:`~netvisor_sync.spool.SpooledBody` (a few MB in memory, then an
   anonymous temporary file) while the organisation's lock is held, so no answer, however big, is ever held whole
   in memory; classification and the caller read it back as a stream.
5. **Retry** (tenacity, exponential backoff with jitter) on connection errors, timeouts, the retryable statuses
   above, and Netvisor ``TECHNICAL_ERROR``, ``SYSTEM_MAINTENANCE`` and ``REQUEST_NOT_UNIQUE`` (a ``Retry-After``
   header in seconds or as an HTTP date replaces the backoff wait); never on
   ``AUTHENTICATION_FAILED``, ``SERVICE_ACCESS_ERROR``, ``INVALID_DATA`` or any other code. Attempts are bounded
   (``max_attempts``) and so is the total time including waits (``max_retry_seconds``; a wait that would overrun it
   is not started). The error raised at the end is the last typed error, and its message says how many attempts
   were made.

Secrets: the keys are never sent (only :mod:`netvisor_sync.auth` hashes them); the MAC is masked in every log line;
error messages are scrubbed of the keys and the MAC in case a server echoes them. Each attempt is logged at DEBUG
(resource, parameters, attempt, status, duration) on the ``netvisor_sync.transport`` logger, each retry at WARNING.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from importlib import metadata
from types import TracebackType
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, wait_exponential_jitter

from netvisor_sync.auth import ENCODING, HEADER_MAC, Credentials, Signer, new_transaction_id, redact_headers, utc_now
from netvisor_sync.errors import (
    ConfigError,
    ConnectError,
    HTTPStatusError,
    MalformedResponse,
    NetvisorError,
    NetvisorSyncError,
    ReadOnlyViolation,
    RequestTimeout,
    ResponseError,
    TransportError,
)
from netvisor_sync.parse import read_status
from netvisor_sync.resources import READ_RESOURCES, normalize_resource
from netvisor_sync.spool import CHUNK_BYTES, SpooledBody

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://integration.netvisor.fi"
#: Netvisor asks clients to wait at least 360 s for an answer (API reference §3.1).
DEFAULT_TIMEOUT = 360.0
NETVISOR_TIMEZONE = ZoneInfo("Europe/Helsinki")
# Characters sent unencoded in a query besides A-Z a-z 0-9 - . _ ~ (see the module docstring).
_QUERY_SAFE = ",:"
# Secrets shorter than this are not scrubbed from messages: replacing a 2-letter "key" would shred the text.
_MIN_SCRUB_LENGTH = 6
_EXCERPT_LENGTH = 160


def _user_agent() -> str:
    try:
        return f"netvisor-sync/{metadata.version('netvisor-sync')}"
    except metadata.PackageNotFoundError:
        return "netvisor-sync"


# --- query string ------------------------------------------------------------------------------------------------


def format_param(value: object) -> str:
    """One query parameter value as Netvisor expects it (see the module docstring for the rules).

    Raises:
        TypeError: floats (money is ``Decimal``) and other types without a defined wire form.
    """
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(NETVISOR_TIMEZONE).replace(tzinfo=None)
        return value.replace(microsecond=0).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | str):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, list | tuple):
        return ",".join(format_param(item) for item in value)
    raise TypeError(f"query parameter value {value!r} of type {type(value).__name__} has no Netvisor form")


def build_query(params: Mapping[str, object] | None) -> str:
    """The query string (without ``?``) for ``params``, in their order; ``None`` values are left out."""
    parts = []
    for key, value in (params or {}).items():
        if value is None:
            continue
        if not key:
            raise TypeError("query parameter names must not be empty")
        parts.append(f"{quote(key, safe=_QUERY_SAFE)}={quote(format_param(value), safe=_QUERY_SAFE)}")
    return "&".join(parts)


# --- base URL ----------------------------------------------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_base_url(base_url: str, *, allow_plain_http: bool = False) -> str:
    """Validate ``base_url`` and return it as httpx will send it, without a trailing slash or default port.

    Plain ``http://`` is accepted only for loopback hosts (127.0.0.0/8, ``localhost``, ``::1``) or when
    ``allow_plain_http`` is set (an injected test transport).

    Raises:
        ConfigError: naming ``base_url``.
    """
    try:
        url = httpx.URL(str(base_url).strip())
    except httpx.InvalidURL as exc:
        raise ConfigError(f"base_url {base_url!r} is not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ConfigError(f"base_url {base_url!r} must be an absolute http(s) URL such as {DEFAULT_BASE_URL}")
    if url.query or url.fragment or url.userinfo:
        raise ConfigError(f"base_url {base_url!r} must not contain a query, a fragment or a user name")
    if url.scheme == "http" and not (allow_plain_http or _is_loopback(url.host)):
        raise ConfigError(
            f"base_url {base_url!r} uses plain http; Netvisor requires https (http is allowed only for loopback hosts)"
        )
    if url.port == {"http": 80, "https": 443}[url.scheme]:
        url = url.copy_with(port=None)
    return str(url).rstrip("/")


# --- results and statistics --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NetvisorResponse:
    """A successful (``Status OK``) Netvisor answer. ``resource`` is the normalized name without ``.nv``.

    ``headers`` is case-insensitive (e.g. getvendor's ``X-Netvisor-Pagination-Next-Page``). The body stays in its
    ``spool``: read big answers with ``spool.stream()``; :attr:`body` gives the bytes for callers that want them.
    Use the response as a context manager (or :meth:`close` it) to free the spool as soon as it is read.
    """

    resource: str
    url: str
    status: int
    headers: Mapping[str, str]
    spool: SpooledBody
    attempts: int = 1
    seconds: float = 0.0

    @property
    def body(self) -> bytes:
        """The whole body as bytes (read from the spool on each access)."""
        return self.spool.read()

    def close(self) -> None:
        self.spool.close()

    def __enter__(self) -> NetvisorResponse:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


@dataclass(frozen=True)
class AttemptInfo:
    """What one attempt did; passed to ``on_attempt`` (progress displays) after every attempt."""

    resource: str
    attempt: int
    max_attempts: int
    status: int | None
    seconds: float
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class ResourceStats:
    """Counts for one resource: ``calls`` successful logical calls, ``failures`` calls that raised,
    ``attempts`` HTTP requests sent (or tried), ``retries`` attempts after the first."""

    calls: int = 0
    failures: int = 0
    attempts: int = 0
    retries: int = 0
    seconds: float = 0.0

    def __add__(self, other: ResourceStats) -> ResourceStats:
        return ResourceStats(
            self.calls + other.calls,
            self.failures + other.failures,
            self.attempts + other.attempts,
            self.retries + other.retries,
            self.seconds + other.seconds,
        )


@dataclass
class ClientStats:
    """Per-resource call, attempt and retry counts of one client; safe to read while other threads call."""

    _by_resource: dict[str, ResourceStats] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def record(self, resource: str, *, ok: bool, attempts: int, seconds: float) -> None:
        with self._lock:
            stats = self._by_resource.setdefault(resource, ResourceStats())
            stats.calls += ok
            stats.failures += not ok
            stats.attempts += attempts
            stats.retries += max(attempts - 1, 0)
            stats.seconds += seconds

    def record_retry(self, resource: str) -> None:
        """Count a retry decided above the transport (a body found broken only by the record parser)."""
        with self._lock:
            self._by_resource.setdefault(normalize_resource(resource), ResourceStats()).retries += 1

    @property
    def by_resource(self) -> dict[str, ResourceStats]:
        """A snapshot: resource name -> its counts."""
        with self._lock:
            return {name: replace(stats) for name, stats in self._by_resource.items()}

    def __getitem__(self, resource: str) -> ResourceStats:
        return self.by_resource.get(normalize_resource(resource), ResourceStats())

    @property
    def total(self) -> ResourceStats:
        return sum(self.by_resource.values(), ResourceStats())


# --- per-organisation serialisation ------------------------------------------------------------------------------

_ORGANISATION_LOCKS: dict[str, threading.Lock] = {}
_ORGANISATION_LOCKS_GUARD = threading.Lock()


def organisation_lock(organisation_id: str) -> threading.Lock:
    """The process-wide lock held while a request to ``organisation_id`` is in flight."""
    key = organisation_id.strip()
    with _ORGANISATION_LOCKS_GUARD:
        return _ORGANISATION_LOCKS.setdefault(key, threading.Lock())


# --- helpers for one attempt -------------------------------------------------------------------------------------


def _retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date); None if absent or unusable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - now).total_seconds()
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def _excerpt(body: bytes) -> str:
    text = " ".join(body[: _EXCERPT_LENGTH * 2].decode("utf-8", "replace").split())
    return text[:_EXCERPT_LENGTH]


def _scrub(error: BaseException, secrets: Sequence[str]) -> None:
    """Replace every secret (case-insensitively: servers echo hashes in uppercase) in the error's text by ``***``."""
    usable = [re.escape(secret) for secret in secrets if len(secret) >= _MIN_SCRUB_LENGTH]
    if not usable:
        return
    pattern = re.compile("|".join(usable), re.IGNORECASE)
    error.args = tuple(pattern.sub("***", arg) if isinstance(arg, str) else arg for arg in error.args)
    for attribute in ("text", "excerpt"):
        value = getattr(error, attribute, None)
        if isinstance(value, str):
            setattr(error, attribute, pattern.sub("***", value))


def _is_retryable(error: BaseException) -> bool:
    if isinstance(error, HTTPStatusError):
        return error.is_retryable
    return isinstance(error, NetvisorSyncError) and error.retryable


@dataclass
class _Call:
    """State of one logical call across its attempts."""

    resource: str
    url: str
    started: float
    malformed: int = 0
    # Malformed-2xx errors still within malformed_retries. The objects are kept, not their ids, so that a later
    # error allocated at a freed address cannot be mistaken for one of them.
    transient: list[BaseException] = field(default_factory=list)
    #: ``Retry-After`` of the latest response, in seconds (None: absent, or no response at all).
    retry_after: float | None = None

    def retryable(self, error: BaseException) -> bool:
        return _is_retryable(error) or any(error is seen for seen in self.transient)


# --- the client --------------------------------------------------------------------------------------------------


class NetvisorClient:
    """A read-only Netvisor client for one company (one set of credentials).

    Args:
        credentials: who signs, and which organisation is read.
        base_url: ``https://integration.netvisor.fi`` (production) or ``https://isvapi.netvisor.fi`` (partner test).
        transport: an ``httpx.BaseTransport`` to send through instead of the network (tests: ``httpx.MockTransport``,
            the emulator: ``httpx.WSGITransport``). With a transport, plain ``http://`` base URLs are allowed.
        timeout: seconds to wait for an answer (Netvisor asks for at least 360).
        connect_timeout: seconds to wait for a connection (capped at ``timeout``).
        max_attempts: attempts per call, first one included.
        max_retry_seconds: bound on the total time of one call including waits.
        malformed_retries: how many times a 2xx answer with a malformed/truncated body is retried.
        backoff_initial: first backoff wait in seconds (doubles each retry, plus up to this much jitter).
        backoff_max: the longest single backoff wait.
        verify: TLS verification (``True``, ``False`` or an ``ssl.SSLContext``); on by default.
        clock: UTC wall clock for signing (and ``Retry-After`` dates); injectable for tests.
        id_factory: TransactionId source; a fresh uuid4 hex by default.
        sleep: how to wait between attempts; tests pass a recorder so they take no time.
        monotonic: the clock that bounds the total retry time.
        on_attempt: called after every attempt with an :class:`AttemptInfo` (progress displays).

    Raises:
        ConfigError: an unusable ``base_url`` or a non-positive bound.
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        base_url: str = DEFAULT_BASE_URL,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = 30.0,
        max_attempts: int = 6,
        max_retry_seconds: float = 900.0,
        malformed_retries: int = 2,
        backoff_initial: float = 1.0,
        backoff_max: float = 60.0,
        verify: ssl.SSLContext | bool = True,
        clock: Callable[[], datetime] = utc_now,
        id_factory: Callable[[], str] = new_transaction_id,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        on_attempt: Callable[[AttemptInfo], None] | None = None,
    ) -> None:
        for name, bound in (("timeout", timeout), ("connect_timeout", connect_timeout), ("max_attempts", max_attempts)):
            if not bound > 0:
                raise ConfigError(f"{name} must be positive, not {bound!r}")
        if not max_retry_seconds >= 0 or malformed_retries < 0:
            raise ConfigError("max_retry_seconds and malformed_retries must not be negative")
        self.credentials = credentials
        self.base_url = normalize_base_url(base_url, allow_plain_http=transport is not None)
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.max_retry_seconds = max_retry_seconds
        self.malformed_retries = malformed_retries
        self.stats = ClientStats()
        self._signer = Signer(credentials, clock=clock, id_factory=id_factory)
        self._clock = clock
        self._sleep = sleep
        self._monotonic = monotonic
        self._on_attempt = on_attempt
        self._backoff = wait_exponential_jitter(initial=backoff_initial, max=backoff_max, jitter=backoff_initial)
        self._lock = organisation_lock(credentials.organisation_id)
        if verify is False and transport is None:
            logger.warning("TLS certificate verification is OFF for %s", self.base_url)
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=min(connect_timeout, timeout)),
            verify=verify,
            follow_redirects=False,  # a redirect would change the URL the MAC covers
            headers={"User-Agent": _user_agent()},
        )

    def __repr__(self) -> str:
        creds = self.credentials
        return (
            f"NetvisorClient(base_url={self.base_url!r}, organisation_id={creds.organisation_id!r}, "
            f"sender={creds.sender!r}, mac_algorithm={creds.mac_algorithm!r})"
        )

    def __enter__(self) -> NetvisorClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool (and the injected transport)."""
        self._http.close()

    def url_for(self, resource: str, params: Mapping[str, object] | None = None) -> str:
        """The exact URL :meth:`get` sends (and signs) for ``resource`` and ``params``.

        Raises:
            ReadOnlyViolation: ``resource`` is not in the read allowlist.
        """
        name = self._read_resource(resource)
        query = build_query(params)
        return f"{self.base_url}/{name}.nv" + (f"?{query}" if query else "")

    def get(self, resource: str, params: Mapping[str, object] | None = None) -> NetvisorResponse:
        """Call a read resource and return its ``Status OK`` answer, retrying transient failures.

        Args:
            resource: ``salesinvoicelist``, ``GetSalesInvoice.nv``, ... (case-insensitive, ``.nv`` optional).
            params: query parameters in the order to send them.

        Raises:
            ReadOnlyViolation: not a read resource; nothing was sent.
            NetvisorError: Netvisor answered FAILED (the subclass names the code).
            TransportError: no usable answer (connection, timeout, HTTP status without an envelope).
            ResponseError: the answer is not a usable Netvisor document.
        """
        return self.request("GET", resource, params)

    def request(self, method: str, resource: str, params: Mapping[str, object] | None = None) -> NetvisorResponse:
        """Like :meth:`get`; exists so that anything but GET is refused in one visible place."""
        if method.upper() != "GET":
            raise ReadOnlyViolation(f"{method} {resource}: netvisor-sync only reads (GET); nothing was sent")
        url = self.url_for(resource, params)
        call = _Call(resource=self._read_resource(resource), url=url, started=self._monotonic())
        retrying = Retrying(
            sleep=self._sleep,
            stop=lambda state: self._should_stop(call, state),
            wait=lambda state: self._wait(call, state),
            retry=retry_if_exception(call.retryable),
            before_sleep=lambda state: self._log_retry(call, state),
            reraise=True,
        )
        attempt_number = 0
        try:
            for attempt in retrying:
                with attempt:
                    attempt_number = attempt.retry_state.attempt_number
                    response = self._attempt(call, attempt_number)
        except NetvisorSyncError as error:
            seconds = self._monotonic() - call.started
            self.stats.record(call.resource, ok=False, attempts=attempt_number, seconds=seconds)
            self._annotate(error, call, attempt_number, seconds)
            raise
        seconds = self._monotonic() - call.started
        self.stats.record(call.resource, ok=True, attempts=attempt_number, seconds=seconds)
        return replace(response, attempts=attempt_number, seconds=seconds)

    # --- one attempt ---------------------------------------------------------------------------------------------

    def _read_resource(self, resource: str) -> str:
        name = normalize_resource(resource)
        if name not in READ_RESOURCES:
            raise ReadOnlyViolation(
                f"{resource!r} is not a read resource netvisor-sync may call (see netvisor_sync.resources); "
                "nothing was sent"
            )
        return name

    def _attempt(self, call: _Call, number: int) -> NetvisorResponse:
        # Signed under the organisation lock, right before sending: a request that waited for another table's call
        # would otherwise go out with an aged timestamp (Netvisor refuses one outside its clock-skew window).
        with self._lock:
            return self._signed_attempt(call, number)

    def _signed_attempt(self, call: _Call, number: int) -> NetvisorResponse:
        headers = self._signer.headers(call.url)
        secrets = (*self.credentials.secrets, headers[HEADER_MAC])
        started = self._monotonic()
        status: int | None = None
        call.retry_after = None
        logger.debug("GET %s attempt %d/%d headers=%s", call.url, number, self.max_attempts, redact_headers(headers))
        body: SpooledBody | None = None
        try:
            response, body = self._send(call, headers)
            status = response.status_code
            call.retry_after = _retry_after(response.headers.get("Retry-After"), self._clock())
            self._classify(call, response, body)
        except NetvisorSyncError as error:
            if body is not None:
                body.close()
            _scrub(error, secrets)
            self._report(call, number, status, started, error)
            raise
        self._report(call, number, status, started, None)
        return NetvisorResponse(call.resource, call.url, response.status_code, response.headers, body)

    def _send(self, call: _Call, headers: Mapping[str, str]) -> tuple[httpx.Response, SpooledBody]:
        # Header values go out as ISO-8859-15 bytes, the encoding the MAC was computed over (httpx would refuse
        # a non-ASCII str such as the Sender "Demokäyttäjä").
        wire_headers = [(name.encode("ascii"), value.encode(ENCODING)) for name, value in headers.items()]
        request = self._http.build_request("GET", httpx.URL(call.url), headers=wire_headers)
        if str(request.url) != call.url:
            raise ConfigError(f"base_url {self.base_url!r}: httpx would send {request.url} instead of the signed URL")
        resource = f"{call.resource}.nv"
        try:
            # The caller holds the organisation lock; the body is spooled under it, as part of Netvisor's one request.
            response = self._http.send(request, stream=True)
            try:
                return response, SpooledBody.from_chunks(response.iter_bytes(CHUNK_BYTES))
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            raise RequestTimeout(
                f"{resource}: no answer within {self.timeout:g} s ({type(exc).__name__})", resource=call.resource
            ) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError, httpx.ProxyError, OSError) as exc:
            # OSError: an in-process transport (WSGITransport) lets a dropped connection surface unwrapped.
            raise ConnectError(
                f"{resource}: connection failed: {exc or type(exc).__name__}", resource=call.resource
            ) from exc
        except httpx.HTTPError as exc:
            raise TransportError(
                f"{resource}: request failed: {exc or type(exc).__name__}", resource=call.resource
            ) from exc

    def _classify(self, call: _Call, response: httpx.Response, body: SpooledBody) -> None:
        status = response.status_code
        try:
            read_status(body.stream(), resource=call.resource, http_status=status)
        except NetvisorError:
            raise
        except ResponseError as error:
            if 200 <= status < 300:
                if isinstance(error, MalformedResponse):
                    call.malformed += 1
                    if call.malformed <= self.malformed_retries:
                        call.transient.append(error)
                raise
            raise self._status_error(call, response, body) from error
        if not 200 <= status < 300:
            raise self._status_error(call, response, body)

    def _status_error(self, call: _Call, response: httpx.Response, body: SpooledBody) -> HTTPStatusError:
        status = response.status_code
        excerpt = _excerpt(body.head(_EXCERPT_LENGTH * 2))
        return HTTPStatusError(
            f"{call.resource}.nv answered HTTP {status} {response.reason_phrase} without a Netvisor envelope"
            + (f": {excerpt}" if excerpt else ""),
            resource=call.resource,
            status=status,
            retry_after=call.retry_after,
        )

    # --- retry policy --------------------------------------------------------------------------------------------

    def _wait(self, call: _Call, state: RetryCallState) -> float:
        # Retry-After is honoured whatever the failure (a 503 SYSTEM_MAINTENANCE envelope may carry one too).
        if call.retry_after is not None:
            return call.retry_after
        return float(self._backoff(state))

    def _should_stop(self, call: _Call, state: RetryCallState) -> bool:
        if state.attempt_number >= self.max_attempts:
            return True
        elapsed = self._monotonic() - call.started
        return elapsed + state.upcoming_sleep > self.max_retry_seconds

    def _annotate(self, error: BaseException, call: _Call, attempts: int, seconds: float) -> None:
        if not error.args or not isinstance(error.args[0], str):
            return
        plural = "s" if attempts != 1 else ""
        out_of_malformed_retries = isinstance(error, MalformedResponse) and call.malformed > self.malformed_retries > 0
        if call.retryable(error) or out_of_malformed_retries:
            note = f" [gave up after {attempts} attempt{plural} in {seconds:.1f} s]"
        elif attempts > 1:
            note = f" [failed on attempt {attempts} of {self.max_attempts}]"
        else:
            return
        error.args = (error.args[0] + note, *error.args[1:])

    # --- reporting -----------------------------------------------------------------------------------------------

    def _report(
        self, call: _Call, number: int, status: int | None, started: float, error: BaseException | None
    ) -> None:
        seconds = self._monotonic() - started
        outcome = "ok" if error is None else type(error).__name__
        logger.debug(
            "%s.nv params=%s attempt %d/%d -> %s %s in %.3f s",
            call.resource,
            call.url.partition("?")[2] or "-",
            number,
            self.max_attempts,
            status if status is not None else "no response",
            outcome,
            seconds,
        )
        if self._on_attempt is not None:
            self._on_attempt(
                AttemptInfo(
                    resource=call.resource,
                    attempt=number,
                    max_attempts=self.max_attempts,
                    status=status,
                    seconds=seconds,
                    error=None if error is None else f"{type(error).__name__}: {error}",
                )
            )

    def _log_retry(self, call: _Call, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        logger.warning(
            "%s; retrying in %.1f s (attempt %d of %d)",
            error,
            state.upcoming_sleep,
            state.attempt_number + 1,
            self.max_attempts,
        )
