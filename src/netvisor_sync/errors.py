"""Every error netvisor-sync raises, and the one table that maps Netvisor's codes onto them.

The tree::

    NetvisorSyncError                      anything this package raises on purpose
    ├── ConfigError                        a setting is missing or malformed (names the setting and where to set it)
    ├── ReadOnlyViolation                  a write/delete or unknown resource was about to be called; nothing was sent
    ├── SchemaDrift                        undeclared columns arrived and the schema contract is freeze
    ├── Interrupted                        the run was interrupted (Ctrl-C); the company's cursors did not move
    ├── TransportError                     the request did not get a usable answer
    │   ├── ConnectError                   connection refused/reset, DNS, TLS           (retryable)
    │   ├── RequestTimeout                 no answer within the timeout                 (retryable)
    │   └── HTTPStatusError                5xx/429 without a Netvisor envelope          (retryable)
    │                                      other 4xx without a Netvisor envelope        (fatal)
    ├── ResponseError                      the body is not a usable Netvisor document   (fatal, unless retryable=True)
    │   ├── MalformedResponse              not XML, truncated, wrong root, invalid UTF-8
    │   └── UnsafeXML                      DTD, entity declaration or external reference: refused, never expanded
    └── NetvisorError                      Netvisor answered Status FAILED with ``CODE :: message``
        ├── AuthenticationFailed           AUTHENTICATION_FAILED                        (fatal)
        ├── InvalidData                    INVALID_DATA                                 (fatal)
        ├── InvalidDataSize                INVALID_DATA_SIZE                            (fatal)
        ├── DuplicateData                  DUPLICATE_DATA                               (fatal)
        ├── PeriodLock                     PERIOD_LOCK                                  (fatal)
        ├── ServiceAccessError             SERVICE_ACCESS_ERROR                         (fatal; blocks one resource)
        ├── RequestNotUnique               REQUEST_NOT_UNIQUE                           (retryable with a new id)
        ├── SystemMaintenance              SYSTEM_MAINTENANCE / SYSTEM_MAINTANANCE      (retryable)
        └── TechnicalError                 TECHNICAL_ERROR                              (retryable)

An unknown code becomes a plain :class:`NetvisorError` that keeps the code and the text, and is fatal.
``retryable`` is a class attribute (instance-overridable) so the transport classifies failures in one place.
Messages never contain keys or MACs: whoever builds one passes only redacted text.
"""

from __future__ import annotations

from typing import ClassVar

RIGHTS_FIX = "allow {resource} in Netvisor: Company menu → Rights of interface resources"


class NetvisorSyncError(Exception):
    """Base class of every error this package raises on purpose."""

    retryable: ClassVar[bool] = False


class ConfigError(NetvisorSyncError):
    """A setting is missing or malformed. The message names the setting and where to set it."""


class ReadOnlyViolation(NetvisorSyncError):
    """A resource outside the read allowlist, or a non-GET method, was requested. Nothing was sent."""


class SchemaDrift(NetvisorSyncError):
    """Netvisor sent columns this version does not declare, and the schema contract is ``freeze``: nothing loads."""


class Interrupted(NetvisorSyncError):
    """The run was interrupted (Ctrl-C) before this company was loaded; its cursors did not move."""


class TransportError(NetvisorSyncError):
    """The request did not produce a usable answer."""

    def __init__(self, message: str, *, resource: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.resource = resource
        self.status = status


class ConnectError(TransportError):
    retryable = True


class RequestTimeout(TransportError):
    retryable = True


class HTTPStatusError(TransportError):
    """An HTTP error status whose body is not a Netvisor envelope."""

    def __init__(
        self, message: str, *, resource: str = "", status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message, resource=resource, status=status)
        self.retry_after = retry_after

    @property
    def is_retryable(self) -> bool:
        return self.status is not None and (self.status >= 500 or self.status == 429)


class ResponseError(NetvisorSyncError):
    """The body is not a usable Netvisor document."""

    def __init__(self, message: str, *, resource: str = "", status: int | None = None, excerpt: str = "") -> None:
        super().__init__(message)
        self.resource = resource
        self.status = status
        self.excerpt = excerpt


class MalformedResponse(ResponseError):
    """Not XML, truncated, invalid UTF-8, or not shaped like a Netvisor response."""


class UnsafeXML(ResponseError):
    """The document declares a DTD or entities, or references external resources; it was refused unexpanded."""


class NetvisorError(NetvisorSyncError):
    """Netvisor answered ``Status FAILED``. ``code`` is Netvisor's code, ``text`` its (localized) message."""

    code: str = ""
    advice: ClassVar[str] = "See Netvisor's message above."

    def __init__(self, code: str, text: str, *, resource: str = "", status: int | None = None) -> None:
        self.code = code
        self.text = text
        self.resource = resource
        self.status = status
        where = f"{resource}.nv" if resource else "Netvisor"
        super().__init__(f"{where} answered {code}: {text}".rstrip(": ") + f" ({self.hint()})")

    def hint(self) -> str:
        return self.advice


class AuthenticationFailed(NetvisorError):
    advice = (
        "check customer_id/customer_key (Netvisor: Company menu → API identifiers), partner_id/partner_key, "
        "organisation_id and that the host clock is NTP-synced"
    )


class InvalidData(NetvisorError):
    advice = "a parameter was rejected; this is a bug in netvisor-sync if it happens during a sync, please report it"


class InvalidDataSize(NetvisorError):
    advice = "a value was too large for Netvisor"


class DuplicateData(NetvisorError):
    advice = "the record already exists"


class PeriodLock(NetvisorError):
    advice = "the accounting period is locked"


class ServiceAccessError(NetvisorError):
    def hint(self) -> str:
        name = f"{self.resource}.nv" if self.resource else "the resource"
        return RIGHTS_FIX.format(resource=name) + ", and check that the API user has the module's user rights"


class RequestNotUnique(NetvisorError):
    retryable = True
    advice = "the TransactionId was reused; netvisor-sync retries with a new one"


class SystemMaintenance(NetvisorError):
    retryable = True
    advice = "Netvisor is in maintenance; try again later"


class TechnicalError(NetvisorError):
    retryable = True
    advice = "Netvisor reported an internal error; netvisor-sync retries with backoff"


#: The one total table of Netvisor error codes. Unknown codes fall back to :class:`NetvisorError`.
NETVISOR_CODES: dict[str, type[NetvisorError]] = {
    "AUTHENTICATION_FAILED": AuthenticationFailed,
    "INVALID_DATA": InvalidData,
    "INVALID_DATA_SIZE": InvalidDataSize,
    "DUPLICATE_DATA": DuplicateData,
    "PERIOD_LOCK": PeriodLock,
    "SERVICE_ACCESS_ERROR": ServiceAccessError,
    "REQUEST_NOT_UNIQUE": RequestNotUnique,
    "SYSTEM_MAINTENANCE": SystemMaintenance,
    "SYSTEM_MAINTANANCE": SystemMaintenance,  # the spelling in the client libraries' constants
    "TECHNICAL_ERROR": TechnicalError,
}


def netvisor_error(code: str, text: str, *, resource: str = "", status: int | None = None) -> NetvisorError:
    """Build the typed error for a Netvisor failure code (total: unknown codes give a plain NetvisorError)."""
    cls = NETVISOR_CODES.get(code.strip().upper(), NetvisorError)
    return cls(code.strip(), text.strip(), resource=resource, status=status)
