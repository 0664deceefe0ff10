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

or the same as a dict, JSON or TOML (``FaultPlan.from_dict``, ``from_json``, ``from_toml``, ``from_file``), which
the admin endpoint and ``emulator serve --faults FILE`` accept.

Kinds (:data:`FAULT_KINDS`):

* ``http_500``, ``http_503``, ``http_429``: an HTTP error with a small HTML body and no Netvisor envelope, as a
  load balancer would send it; ``http_429`` carries ``Retry-After: <retry_after>`` seconds. Sent whatever
  ``UseHTTPResponseStatusCodes`` says.
* ``connection_reset``: no response at all. The WSGI app raises :class:`DroppedConnection` (a
  ``ConnectionResetError``); the loopback server turns it into a TCP reset; ``httpx.WSGITransport`` lets it
  propagate to the caller unchanged.
* ``truncated_body``: the real OK document cut in the middle, correctly framed (HTTP 200, the Content-Length of the
  half that is sent), as a proxy that buffered a broken upstream answer would send it.
* ``dropped_body``: the connection dies mid-body: HTTP 200 announcing the Content-Length of the whole document,
  the first half sent, then nothing. The WSGI body raises :class:`BodyDropped` (a ``ConnectionResetError``) after
  its first half; the loopback server then closes the socket, so an HTTP client sees fewer bytes than announced
  (httpx: ``RemoteProtocolError``); ``httpx.WSGITransport`` lets the exception propagate out of the body read.
* ``malformed_xml``: HTTP 200, the real OK document with one realistic malformation (:data:`MALFORMATIONS`),
  chosen per firing from the plan's seed, or pinned with ``variant=``: ``cut_inside_tag`` (the document ends inside
  a tag name), ``bad_entity`` (an HTML entity, ``&auml;``, that XML does not define), ``unclosed_element`` (an end
  tag left out), ``mismatched_tag`` (an end tag misspelt), ``wrong_encoding`` (ISO-8859-15 bytes under the UTF-8
  declaration).
* ``technical_error``, ``system_maintenance``, ``request_not_unique``: a Netvisor FAILED envelope with that code
  (HTTP status per the app's mapping when the client asked for status codes). ``code=`` writes another code in
  its place, e.g. ``SYSTEM_MAINTANANCE``, the spelling in the client libraries' constants (which one the server
  uses is UNCONFIRMED; the default is the documented one).

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
import re
import threading
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast, get_args

from netvisor_sync.resources import normalize_resource

FaultKind = Literal[
    "http_500",
    "http_503",
    "http_429",
    "connection_reset",
    "truncated_body",
    "dropped_body",
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
#: the ways ``malformed_xml`` breaks a document (see the module docstring)
MALFORMATIONS: tuple[str, ...] = (
    "cut_inside_tag",
    "bad_entity",
    "unclosed_element",
    "mismatched_tag",
    "wrong_encoding",
)
_CODE = re.compile(r"[A-Z][A-Z_]*")
_REASONS = {500: "Internal Server Error", 503: "Service Unavailable", 429: "Too Many Requests"}


class DroppedConnection(ConnectionResetError):
    """Raised by the emulator's app to drop the connection without an answer (the ``connection_reset`` fault).

    The loopback server resets the TCP connection when it sees it; in-process callers get the exception itself.
    """


class BodyDropped(ConnectionResetError):
    """Raised by a response body half-way through (the ``dropped_body`` fault): the connection died mid-answer.

    The loopback server closes the socket after the bytes already sent; in-process callers get the exception from
    the body read.
    """


@dataclass(frozen=True)
class Fault:
    """One kind of failure and the requests it hits. Give exactly one of ``rate``, ``nth`` or ``every``.

    ``code`` (envelope kinds only) replaces the failure code written; ``variant`` (``malformed_xml`` only) pins one
    of :data:`MALFORMATIONS` instead of drawing it from the seed.
    """

    kind: FaultKind
    rate: float | None = None
    nth: int | None = None
    every: int | None = None
    resources: AbstractSet[str] | None = None
    organisations: AbstractSet[str] | None = None
    per_resource: bool = False
    times: int | None = None
    retry_after: int = 1
    code: str | None = None
    variant: str | None = None

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
        if self.code is not None and (kind not in ENVELOPE_CODES or not _CODE.fullmatch(self.code)):
            raise ValueError(
                f"fault {kind}: code is for {', '.join(ENVELOPE_CODES)} only, and must be an upper-case Netvisor "
                f"code such as SYSTEM_MAINTANANCE, not {self.code!r}"
            )
        if self.variant is not None and (kind != "malformed_xml" or self.variant not in MALFORMATIONS):
            raise ValueError(
                f"fault {kind}: variant is for malformed_xml only, one of {', '.join(MALFORMATIONS)}, "
                f"not {self.variant!r}"
            )

    @property
    def envelope_code(self) -> str:
        """The failure code an envelope fault writes (its ``code``, or the kind's documented one)."""
        return self.code or ENVELOPE_CODES[self.kind]

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
        for name in ("code", "variant"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fault:
        unknown = set(data) - {
            "kind", "rate", "nth", "every", "resources", "organisations", "per_resource", "times", "retry_after",
            "code", "variant",
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
            code=None if data.get("code") is None else str(data["code"]),
            variant=None if data.get("variant") is None else str(data["variant"]),
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

    @classmethod
    def from_toml(cls, text: str) -> FaultPlan:
        """The same plan as TOML: top-level ``latency_ms``/``per_row_ms``/``seed`` and one ``[[faults]]`` table each."""
        return cls.from_dict(tomllib.loads(text))

    @classmethod
    def from_file(cls, path: str | Path) -> FaultPlan:
        """Read a plan from a ``.json`` or ``.toml`` file (``emulator serve --faults``).

        Raises:
            ValueError: the file cannot be read, is neither JSON nor TOML, or is not a valid plan (the message
                names the file).
        """
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeError) as error:
            raise ValueError(f"fault plan {path}: cannot read it ({error})") from error
        suffix = path.suffix.lower()
        if suffix not in (".json", ".toml"):
            raise ValueError(f"fault plan {path}: name it *.json or *.toml, so its format is clear")
        try:
            return cls.from_json(text) if suffix == ".json" else cls.from_toml(text)
        except (ValueError, TypeError) as error:  # JSONDecodeError and TOMLDecodeError are ValueErrors
            raise ValueError(f"fault plan {path}: {error}") from error

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


@dataclass(frozen=True)
class Hit:
    """A fault that fires on one request: the ``number``-th firing of the plan's fault ``index``."""

    fault: Fault
    index: int
    number: int
    seed: int

    def malformation(self) -> str:
        """The ``malformed_xml`` variant of this firing: pinned by the fault, else drawn from the seed."""
        if self.fault.variant is not None:
            return self.fault.variant
        draw = _uniform(self.seed, self.index, "malformation", self.number)
        return MALFORMATIONS[int(draw * len(MALFORMATIONS))]


@dataclass
class FaultInjector:
    """A plan plus its counters: decides, request by request, which fault (if any) hits. Thread-safe."""

    plan: FaultPlan = field(default_factory=FaultPlan)
    _matches: dict[tuple[int, str], int] = field(default_factory=dict, init=False)
    _fired: dict[int, int] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def decide(self, resource: str, organisation: str) -> Fault | None:
        """Count this request against every matching fault and return the first that fires."""
        hit = self.hit(resource, organisation)
        return hit.fault if hit is not None else None

    def hit(self, resource: str, organisation: str) -> Hit | None:
        """As :meth:`decide`, with which firing of its fault this is (what seeded variants are drawn from)."""
        chosen: Hit | None = None
        with self._lock:
            for index, fault in enumerate(self.plan.faults):
                if not fault.matches(resource, organisation):
                    continue
                scope = resource if fault.per_resource else "*"
                number = self._matches.get((index, scope), 0) + 1
                self._matches[(index, scope)] = number
                if chosen is None and self._fires(index, fault, scope, number):
                    self._fired[index] = self._fired.get(index, 0) + 1
                    chosen = Hit(fault, index, self._fired[index], self.plan.seed)
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


def dropped(body: bytes) -> Iterator[bytes]:
    """The first half of ``body``, then :class:`BodyDropped`: a body whose connection dies mid-way."""
    part = truncate(body)
    yield part
    raise BodyDropped(f"emulator fault: connection dropped after {len(part)} of {len(body)} bytes")


_END_TAG = re.compile(rb"</([A-Za-z_][\w.-]*)>")
_OPEN_TAG = re.compile(rb"<[A-Za-z_][\w.-]*")
_TEXT = re.compile(rb">([^<\s][^<]*)<")


def malform(body: bytes, variant: str) -> bytes:
    """``body`` (a well-formed OK document) broken the way ``variant`` says (one of :data:`MALFORMATIONS`).

    Each break lands in the payload, after ``ResponseStatus`` (so the envelope still reads OK and only a parser that
    reads the whole document notices), or in the envelope when the payload has no place for it (an empty list).
    """
    start = body.find(b"</ResponseStatus>")
    start = start + len(b"</ResponseStatus>") if start >= 0 else 0
    if variant == "cut_inside_tag":
        tags = [m.start() for m in _OPEN_TAG.finditer(body, start)] or [m.start() for m in _OPEN_TAG.finditer(body)]
        cut = tags[len(tags) // 2]
        return body[: cut + 3]  # "<" and two letters of the name
    if variant == "bad_entity":
        text = _TEXT.search(body, start) or _TEXT.search(body)
        assert text is not None, "an OK envelope always has text"
        return body[: text.start(1)] + b"&auml;" + body[text.start(1) :]
    if variant in ("unclosed_element", "mismatched_tag"):
        ends = [m for m in _END_TAG.finditer(body, start) if m.group(1) != b"Root"] or list(_END_TAG.finditer(body))
        end = ends[len(ends) // 2]
        replacement = b"" if variant == "unclosed_element" else b"</" + end.group(1) + b"x>"
        return body[: end.start()] + replacement + body[end.end() :]
    if variant == "wrong_encoding":
        latin = body.decode("utf-8").encode("iso-8859-15", errors="replace")
        try:
            latin.decode("utf-8")
        except UnicodeDecodeError:
            return latin
        # nothing outside ASCII to mis-encode: an ä in the first text, as ISO-8859-15 writes it
        text = _TEXT.search(latin, start) or _TEXT.search(latin)
        assert text is not None, "an OK envelope always has text"
        return latin[: text.start(1)] + "ä".encode("iso-8859-15") + latin[text.start(1) :]
    raise ValueError(f"unknown malformation {variant!r}; choose one of {', '.join(MALFORMATIONS)}")
