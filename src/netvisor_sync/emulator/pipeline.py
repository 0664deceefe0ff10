"""One Netvisor request through the emulator, step by step, in Netvisor's order.

::

    route (GET + read resource, else refused and logged) -> authenticate (verify.py) -> organisation
    -> one request per company -> rights of interface resources -> fault plan (faults.py) -> handler -> stream

:class:`Pipeline` holds no state of its own: companies, keys, rights, the fault plan and the log belong to the
:class:`~.app.Emulator`, whose module docstring lists the choices made where Netvisor's documentation is silent.
An :class:`Exchange` carries one request from the first step to its log entry, which is written once the answer
has been streamed (or closed), together with per-row latency and the release of the company.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING
from urllib.parse import parse_qsl

from netvisor_sync import auth
from netvisor_sync.emulator.faults import (
    ENVELOPE_CODES,
    ENVELOPE_MESSAGES,
    HTTP_FAULT_STATUS,
    DroppedConnection,
    Hit,
    dropped,
    http_error_body,
    malform,
    truncate,
)
from netvisor_sync.emulator.reply import Rejection, Reply, failed_envelope
from netvisor_sync.emulator.requestlog import LoggedRequest
from netvisor_sync.emulator.verify import Identity, message_language, no_access
from netvisor_sync.emulator.wsgi import (
    XML_CONTENT_TYPE,
    StartResponse,
    TrackedBody,
    WSGIEnviron,
    chain,
    request_url,
    status_line,
)
from netvisor_sync.resources import READ_RESOURCES, normalize_resource

if TYPE_CHECKING:
    from netvisor_sync.emulator.app import EmulatedCompany, Emulator

Answer = tuple[int, list[tuple[str, str]], Iterable[bytes]]


@dataclass
class Exchange:
    """One request in flight: what the log entry will say once the answer is done."""

    environ: WSGIEnviron
    started: float
    method: str
    path: str
    resource: str
    params: dict[str, str]
    language: str
    wants_status_codes: bool
    organisation: str = ""
    transaction_id: str = ""
    code: str = "OK"
    status: int = 200
    fault: str | None = None
    detail: str = ""
    refused: bool = False
    latency_ms: float = 0.0
    reply: Reply | None = None
    company: EmulatedCompany | None = None


class Pipeline:
    """Netvisor's steps for one request, over an :class:`~.app.Emulator`'s companies, keys, plan and log."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        """Answer one Netvisor request (WSGI)."""
        path = str(environ.get("PATH_INFO") or "/")
        exchange = self._exchange(environ, path)
        try:
            status, headers, body = self._serve(exchange)
        except BaseException as exc:
            # a dropped connection is a planned fault; anything else is an emulator bug: log it, free the company
            if not isinstance(exc, DroppedConnection):
                exchange.code, exchange.status, exchange.detail = "TECHNICAL_ERROR", 500, repr(exc)
            self._finish(exchange)
            raise
        if self.emu.faults.latency_ms:
            exchange.latency_ms += self.emu.faults.latency_ms
            self.emu.sleep(self.emu.faults.latency_ms / 1000)
        start_response(status_line(status), headers)
        return TrackedBody(body, lambda: self._finish(exchange))

    def _exchange(self, environ: WSGIEnviron, path: str) -> Exchange:
        query = str(environ.get("QUERY_STRING") or "")
        language = self.emu.verifier.header(environ, auth.HEADER_LANGUAGE)
        flag = (self.emu.verifier.header(environ, auth.HEADER_STATUS_CODES) or "").lower()
        return Exchange(
            environ=environ,
            started=time.perf_counter(),
            method=str(environ.get("REQUEST_METHOD") or "GET").upper(),
            path=path,
            resource=normalize_resource(path),
            params={key.lower(): value for key, value in parse_qsl(query, keep_blank_values=True)},
            language=message_language(language),
            wants_status_codes=flag in ("1", "true"),
            organisation=self.emu.verifier.header(environ, auth.HEADER_ORGANISATION) or "",
            transaction_id=self.emu.verifier.header(environ, auth.HEADER_TRANSACTION_ID) or "",
        )

    def _serve(self, ex: Exchange) -> Answer:
        refusal = self._refusal(ex)
        if refusal is not None:
            ex.refused = True
            return self._failure(ex, *refusal)
        try:
            identity = self.emu.verifier.verify(ex.environ, request_url(ex.environ))
            company = self.emu.companies.get(identity.organisation_id)
            if company is None:
                raise no_access(identity.organisation_id)
            self._occupy(ex, company)
            return self._answer(ex, identity, company)
        except Rejection as rejection:
            return self._failure(ex, rejection)

    def _refusal(self, ex: Exchange) -> tuple[Rejection, str] | None:
        if ex.method != "GET":
            text = f"Method {ex.method} is not allowed: the emulator serves read (GET) resources only"
            fi = f"Metodi {ex.method} ei ole sallittu: emulaattori palvelee vain lukuresursseja (GET)"
            return Rejection("INVALID_DATA", text, fi), "METHOD_NOT_ALLOWED"
        if not ex.path.lower().endswith(".nv") or ex.resource not in READ_RESOURCES:
            text = f"Resource {ex.path.strip('/')} not found: the emulator serves read resources only"
            fi = f"Resurssia {ex.path.strip('/')} ei löydy: emulaattori palvelee vain lukuresursseja"
            return Rejection("INVALID_DATA", text, fi), "NOT_FOUND"
        return None

    def _occupy(self, ex: Exchange, company: EmulatedCompany) -> None:
        if self.emu.overlap == "allow":
            return
        if not company.busy.acquire(blocking=False):
            raise Rejection(
                self.emu.overlap_code,
                "Another request to this company is still being processed; send one request at a time",
                "Toinen pyyntö tähän yritykseen on vielä käsittelyssä; lähetä pyynnöt yksi kerrallaan",
            )
        ex.company = company

    def _answer(self, ex: Exchange, identity: Identity, company: EmulatedCompany) -> Answer:
        if ex.resource not in company.allowed_resources:
            name = f"{ex.resource}.nv"
            raise Rejection(
                "SERVICE_ACCESS_ERROR",
                f"No rights to the interface resource {name}. Allow it in Netvisor: Company menu → "
                "Rights of interface resources",
                f"Ei oikeutta rajapintaresurssiin {name}. Salli se Netvisorissa: Yritys-valikko → "
                "Rajapintaresurssien oikeudet",
            )
        hit = self.emu.injector.hit(ex.resource, company.organisation_id)
        if hit is not None:
            fault = hit.fault
            ex.fault = fault.kind
            if fault.kind in HTTP_FAULT_STATUS:
                return self._http_fault(ex, HTTP_FAULT_STATUS[fault.kind], fault.retry_after)
            if fault.kind == "connection_reset":
                ex.code, ex.status = "CONNECTION_RESET", 0
                raise DroppedConnection("emulator fault: connection reset")
            if fault.kind in ENVELOPE_CODES:
                raise Rejection(fault.envelope_code, *ENVELOPE_MESSAGES[ENVELOPE_CODES[fault.kind]])
        body = self._run_handler(ex, identity, company)
        if hit is not None:
            return self._body_fault(ex, hit, b"".join(body))
        return 200, self._xml_headers(None, ex.reply), body

    def _body_fault(self, ex: Exchange, hit: Hit, whole: bytes) -> Answer:
        """The faults that spoil a real answer: cut (framed or not) or malformed."""
        if hit.fault.kind == "truncated_body":
            cut = truncate(whole)
            ex.code = "TRUNCATED_BODY"
            return 200, self._xml_headers(cut, ex.reply), [cut]
        if hit.fault.kind == "dropped_body":
            ex.code = "DROPPED_BODY"
            return 200, self._xml_headers(whole, ex.reply), dropped(whole)  # the whole length is announced
        variant = hit.malformation()
        broken = malform(whole, variant)
        ex.code, ex.detail = "MALFORMED_XML", variant
        return 200, self._xml_headers(broken, ex.reply), [broken]

    def _run_handler(self, ex: Exchange, identity: Identity, company: EmulatedCompany) -> Iterable[bytes]:
        base_url = request_url(ex.environ).split("/", 3)
        try:
            reply = self.emu.handler(
                company.store,
                ex.resource,
                ex.params,
                now=self.emu.clock.now(),
                language=identity.language,
                base_url="/".join(base_url[:3]),
            )
            chunks = iter(reply.chunks)
            # the first chunk is produced now, so a handler that validates lazily still gets a FAILED envelope
            first = next(chunks, b"")
        except Rejection:
            raise
        except Exception as exc:
            errors: IO[str] | None = ex.environ.get("wsgi.errors")
            if errors is not None:
                errors.write(traceback.format_exc())
            raise Rejection(
                "TECHNICAL_ERROR",
                f"Technical error ({type(exc).__name__}: {exc})",
                f"Tekninen virhe ({type(exc).__name__}: {exc})",
            ) from exc
        ex.reply = reply
        return chain(first, chunks)

    def _xml_headers(self, body: bytes | None, reply: Reply | None = None) -> list[tuple[str, str]]:
        headers = [("Content-Type", XML_CONTENT_TYPE)]
        if reply is not None:
            headers += [(name, value) for name, value in reply.headers.items() if name.lower() != "content-type"]
        if body is not None:
            headers.append(("Content-Length", str(len(body))))
        return headers

    def _http_fault(self, ex: Exchange, status: int, retry_after: int) -> Answer:
        body = http_error_body(status)
        ex.code, ex.status = f"HTTP_{status}", status
        headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
        if status == 429:
            headers.append(("Retry-After", str(retry_after)))
        return status, headers, [body]

    def _failure(self, ex: Exchange, rejection: Rejection, status_key: str | None = None) -> Answer:
        message = rejection.message(ex.language)
        body = failed_envelope(rejection.code, message, self.emu.clock.now())
        status = self.emu.status_codes.get(status_key or rejection.code, 500) if ex.wants_status_codes else 200
        ex.code, ex.status, ex.detail = rejection.code, status, message
        return status, self._xml_headers(body), [body]

    def _finish(self, ex: Exchange) -> None:
        """Once the answer is out: per-row latency, free the company, write the log entry."""
        rows = ex.reply.rows if ex.reply is not None else 0
        if ex.code == "OK" and rows and self.emu.faults.per_row_ms:
            extra = rows * self.emu.faults.per_row_ms
            ex.latency_ms += extra
            self.emu.sleep(extra / 1000)
        if ex.company is not None:
            ex.company.busy.release()
            ex.company = None
        self.emu.log.record(
            LoggedRequest(
                at=self.emu.clock.now(),
                method=ex.method,
                path=ex.path,
                resource=ex.resource,
                params=ex.params,
                organisation=ex.organisation,
                code=ex.code,
                status=ex.status,
                rows=rows,
                latency_ms=ex.latency_ms,
                elapsed_ms=(time.perf_counter() - ex.started) * 1000,
                fault=ex.fault,
                refused=ex.refused,
                transaction_id=ex.transaction_id,
                detail=ex.detail,
            )
        )
