"""The emulator's fault plan: which requests fail, how, and how slow every answer is. Declarative and seeded.

Use a :class:`FaultPlan` to make the emulator misbehave the way a real Netvisor (or the network in front of it)
does, reproducibly::

    FaultPlan(
        faults=[
            Fault("http_503", rate=0.05),                              # 5 % of all requests
            Fault("technical_error", nth=3, resources={"getsalesinvoice"}),  # the 3rd getsalesinvoice call
            Fault("http_429", every=10, retry_after=2),               # every 10th request
        ],
        latency_ms=20, per_row_ms=0.5, seed=7,
    )

or the same as a dict / JSON (``FaultPlan.from_dict``), which the admin endpoint and the CLI accept.

Kinds (:data:`FAULT_KINDS`):

* ``http_500``, ``http_503``, ``http_429``: an HTTP error with a small HTML body and no Netvisor envelope, as a
  load balancer would send it; ``http_429`` carries ``Retry-After: <retry_after>`` seconds. Sent whatever
  ``UseHTTPResponseStatusCodes`` says.
* ``connection_reset``: no response at all. The WSGI app raises :class:`DroppedConnection` (a
  ``ConnectionResetError``); the loopback server turns it into a TCP reset; ``httpx.WSGITransport`` lets it
  propagate to the caller unchanged.
* ``truncated_body``: the real OK document cut in the middle (HTTP 200, consistent Content-Length).
* ``malformed_xml``: HTTP 200 with an OK envelope that is not well-formed XML (mismatched tags).
* ``technical_error``, ``system_maintenance``, ``request_not_unique``: a Netvisor FAILED envelope with that code
  (HTTP status per the app's mapping when the client asked for status codes).

Selection: a fault applies to requests for ``resources`` (all read resources when ``None``) and, optionally,
``organisations``. Among those it fires with probability ``rate``, on exactly the ``nth`` matching request (1-based),
or on every ``every``-th matching request; ``per_resource=True`` counts matches per resource instead of across
them; ``times`` caps how often it fires in total. Several faults may match: the first in the list that fires wins.

Only requests that would otherwise be served count (authenticated, allowed, not overlapping), so "the 3rd
getsalesinvoice call" means the 3rd one the client made successfully up to that point. Rate decisions are a pure
function of ``(seed, fault index, match number)``, so a plan with the same seed fires on the same requests in
every run, whatever the thread timing of unrelated companies.

Latency: every Netvisor request sleeps ``latency_ms``; an OK answer additionally sleeps ``per_row_ms`` times its
row count after the body (rows are known only then, because bodies stream). The app records the injected
latency in its request log, so a benchmark with a no-op sleeper can still sum the modelled time.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

from netvisor_sync.resources import normalize_resource

FaultKind = Literal[
    "http_500",
    "http_503",
    "http_429",
    "connection_reset",
    "truncated_body",
    "malformed_xml",
    "technical_error",
    "system_maintenance",
    "request_not_unique",
]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)

#: Kinds answered with a Netvisor FAILED envelope, and the code each carries.
ENVELOPE_CODES: Mapping[str, str] = {
    "technical_error": "TECHNICAL_ERROR",
    "system_maintenance": "SYSTEM_MAINTENANCE",
    "request_not_unique": "REQUEST_NOT_UNIQUE",
}
ENVELOPE_MESSAGES: Mapping[str, tuple[str, str]] = {
    "TECHNICAL_ERROR": ("Technical error. Please try again later.", "Tekninen virhe. Yritä myöhemmin uudelleen."),
    "SYSTEM_MAINTENANCE": (
        "The service is under maintenance. Please try again later.",
        "Palvelussa on huoltokatko. Yritä myöhemmin uudelleen.",
    ),
    "REQUEST_NOT_UNIQUE": (
        "Request is not unique: the TransactionId has already been used.",
        "Pyyntö ei ole yksilöllinen: TransactionId on jo käytetty.",
    ),
}
HTTP_FAULT_STATUS: Mapping[str, int] = {"http_500": 500, "http_503": 503, "http_429": 429}
_REASONS = {500: "Internal Server Error", 503: "Service Unavailable", 429: "Too Many Requests"}


class DroppedConnection(ConnectionResetError):
    """Raised by the emulator's app to drop the connection without an answer (the ``connection_reset`` fault).

    The loopback server resets the TCP connection when it sees it; in-process callers get the exception itself.
    """


@dataclass(frozen=True)
class Fault:
    """One kind of failure and the requests it hits. Give exactly one of ``rate``, ``nth`` or ``every``."""

    kind: FaultKind
    rate: float | None = None
    nth: int | None = None
    every: int | None = None
    resources: AbstractSet[str] | None = None
    organisations: AbstractSet[str] | None = None
    per_resource: bool = False
    times: int | None = None
    retry_after: int = 1

    def __post_init__(self) -> None:
        kind = str(self.kind).strip().lower()
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; choose one of {', '.join(FAULT_KINDS)}")
        object.__setattr__(self, "kind", kind)
        if sum(x is not None for x in (self.rate, self.nth, self.every)) != 1:
            raise ValueError(f"fault {kind}: give exactly one of rate, nth, every")
        if self.rate is not None and not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault {kind}: rate must be between 0 and 1, not {self.rate}")
        for name in ("nth", "every", "times"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"fault {kind}: {name} must be at least 1, not {value}")
        if self.resources is not None:
            object.__setattr__(self, "resources", frozenset(normalize_resource(r) for r in self.resources))
        if self.organisations is not None:
            object.__setattr__(self, "organisations", frozenset(self.organisations))

    def matches(self, resource: str, organisation: str) -> bool:
        """Whether this fault is aimed at a request for ``resource`` of ``organisation``."""
        if self.resources is not None and resource not in self.resources:
            return False
        return self.organisations is None or organisation in self.organisations

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        for name in ("rate", "nth", "every", "times"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.resources is not None:
            out["resources"] = sorted(self.resources)
        if self.organisations is not None:
            out["organisations"] = sorted(self.organisations)
        if self.per_resource:
            out["per_resource"] = True
        if self.kind == "http_429":
            out["retry_after"] = self.retry_after
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        unknown = set(data) - {
            "kind", "rate", "nth", "every", "resources", "organisations", "per_resource", "times", "retry_after"
        }  # fmt: skip
        if unknown:
            raise ValueError(f"fault: unknown field(s) {', '.join(sorted(unknown))}")
        if "kind" not in data:
            raise ValueError("fault: 'kind' is required")
        return cls(
            kind=cast(FaultKind, data["kind"]),
            rate=None if data.get("rate") is None else float(data["rate"]),
            nth=None if data.get("nth") is None else int(data["nth"]),
            every=None if data.get("every") is None else int(data["every"]),
            resources=_names(data.get("resources")),
            organisations=_names(data.get("organisations")),
            per_resource=bool(data.get("per_resource", False)),
            times=None if data.get("times") is None else int(data["times"]),
            retry_after=int(data.get("retry_after", 1)),
        )


def _names(value: object) -> frozenset[str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        return frozenset(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, Iterable):
        return frozenset(str(part) for part in value)
    raise ValueError(f"expected a list of names, not {value!r}")


@dataclass(frozen=True)
class FaultPlan:
    """Faults, latency and the seed that makes rate decisions reproducible. The empty plan is a healthy server."""

    faults: tuple[Fault, ...] = ()
    latency_ms: float = 0.0
    per_row_ms: float = 0.0
    seed: int = 0

    def __init__(
        self,
        faults: Iterable[Fault] = (),
        *,
        latency_ms: float = 0.0,
        per_row_ms: float = 0.0,
        seed: int = 0,
    ) -> None:
        if latency_ms < 0 or per_row_ms < 0:
            raise ValueError("latency_ms and per_row_ms must not be negative")
        object.__setattr__(self, "faults", tuple(faults))
        object.__setattr__(self, "latency_ms", float(latency_ms))
        object.__setattr__(self, "per_row_ms", float(per_row_ms))
        object.__setattr__(self, "seed", int(seed))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultPlan:
        """Build a plan from ``{"faults": [{"kind": ..., "rate": ...}, ...], "latency_ms": ..., "seed": ...}``."""
        unknown = set(data) - {"faults", "latency_ms", "per_row_ms", "seed"}
        if unknown:
            raise ValueError(f"fault plan: unknown field(s) {', '.join(sorted(unknown))}")
        return cls(
            [Fault.from_dict(item) for item in data.get("faults", ())],
            latency_ms=float(data.get("latency_ms", 0.0)),
            per_row_ms=float(data.get("per_row_ms", 0.0)),
            seed=int(data.get("seed", 0)),
        )

    @classmethod
    def from_json(cls, text: str | bytes) -> FaultPlan:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("fault plan JSON must be an object")
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        return {
            "faults": [fault.to_dict() for fault in self.faults],
            "latency_ms": self.latency_ms,
            "per_row_ms": self.per_row_ms,
            "seed": self.seed,
        }


def _uniform(seed: int, index: int, scope: str, number: int) -> float:
    """A reproducible number in [0, 1) for the ``number``-th match of fault ``index`` in ``scope``."""
    digest = hashlib.blake2b(f"{seed}:{index}:{scope}:{number}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass
class FaultInjector:
    """A plan plus its counters: decides, request by request, which fault (if any) hits. Thread-safe."""

    plan: FaultPlan = field(default_factory=FaultPlan)
    _matches: dict[tuple[int, str], int] = field(default_factory=dict, init=False)
    _fired: dict[int, int] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def decide(self, resource: str, organisation: str) -> Fault | None:
        """Count this request against every matching fault and return the first that fires."""
        chosen: Fault | None = None
        with self._lock:
            for index, fault in enumerate(self.plan.faults):
                if not fault.matches(resource, organisation):
                    continue
                scope = resource if fault.per_resource else "*"
                number = self._matches.get((index, scope), 0) + 1
                self._matches[(index, scope)] = number
                if chosen is None and self._fires(index, fault, scope, number):
                    self._fired[index] = self._fired.get(index, 0) + 1
                    chosen = fault
        return chosen

    def _fires(self, index: int, fault: Fault, scope: str, number: int) -> bool:
        if fault.times is not None and self._fired.get(index, 0) >= fault.times:
            return False
        if fault.nth is not None:
            return number == fault.nth
        if fault.every is not None:
            return number % fault.every == 0
        assert fault.rate is not None
        return _uniform(self.plan.seed, index, scope, number) < fault.rate


def http_error_body(status: int) -> bytes:
    """The small HTML page a proxy or load balancer sends with an HTTP error (deliberately not a Netvisor envelope)."""
    reason = _REASONS.get(status, "Error")
    return (
        f"<html><head><title>{status} {reason}</title></head><body><h1>{status} {reason}</h1></body></html>\n".encode()
    )


def truncate(body: bytes) -> bytes:
    """The first half of ``body``: what a client gets when the connection dies mid-document."""
    return body[: max(1, len(body) // 2)]


def malformed_document() -> bytes:
    """An OK envelope that no XML parser accepts (an unclosed element closed by a different end tag)."""
    return (
        b'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<Root>\n  <ResponseStatus>\n'
        b"    <Status>OK</Status>\n  </ResponseStatus>\n  <List>\n    <Item>1</Itemm>\n  </List>\n</Root>\n"
    )
