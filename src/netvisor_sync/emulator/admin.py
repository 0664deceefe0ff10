"""The emulator's admin API over HTTP (JSON under ``/_emulator/``), for demos, the CLI and out-of-process tests.

Everything here is also a Python method on :class:`~.app.Emulator`; these endpoints only translate JSON to those
calls. Served to loopback clients only unless the emulator was built with ``admin=True``; never logged.

=================================================================  ===================================================
``GET    /_emulator/companies``                                    business ids, customers' access, business clock
``GET    /_emulator/settings?organisation_id=&customer_id=``       client settings (base_url is this server)
``GET    /_emulator/clock``                                        the business clock
``POST   /_emulator/clock/advance``  ``{"days": 1, "seconds": 0}``   move the business clock forward
``POST   /_emulator/companies/<org>/records/<kind>``  ``{fields}``   ``store.create`` -> ``{"netvisor_key": n}``
``PATCH  /_emulator/companies/<org>/records/<kind>/<key>``         ``store.edit``
``DELETE /_emulator/companies/<org>/records/<kind>/<key>``         ``store.delete``
``POST   /_emulator/companies/<org>/vouchers/<key>/invalidate``    ``store.invalidate_voucher``
``GET    /_emulator/companies/<org>/rights``                       the allowed resources
``POST   /_emulator/companies/<org>/block/<resource>``             withdraw a resource right
``POST   /_emulator/companies/<org>/allow/<resource>``             give it back
``GET    /_emulator/log``  / ``/_emulator/log/entries``            counts and codes / every entry
``DELETE /_emulator/log``                                          clear the log
``GET | PUT | DELETE /_emulator/faults``                           read, replace (FaultPlan JSON), clear the plan
=================================================================  ===================================================

JSON values for record fields: numbers with a fraction become ``Decimal`` (money is never float), strings shaped
``YYYY-MM-DD`` become dates and ``YYYY-MM-DDTHH:MM[:SS[.f]]`` naive datetimes; everything else is passed as is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from netvisor_sync.emulator.faults import FaultPlan
from netvisor_sync.emulator.wsgi import status_line

if TYPE_CHECKING:
    from netvisor_sync.emulator.app import Emulator

PREFIX = "/_emulator/"
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$")


class AdminError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def is_loopback(address: str) -> bool:
    return address.startswith("127.") or address in ("::1", "localhost")


def convert(value: Any) -> Any:
    """JSON value -> what the store expects (see the module docstring)."""
    if isinstance(value, str):
        if _DATE.match(value):
            value = date.fromisoformat(value)
        elif _DATETIME.match(value):
            value = datetime.fromisoformat(value)
    elif isinstance(value, float):
        value = Decimal(str(value))
    elif isinstance(value, list):
        value = [convert(item) for item in value]
    elif isinstance(value, dict):
        value = {key: convert(item) for key, item in value.items()}
    return value


def _json_default(value: object) -> object:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal | set | frozenset):
        return str(value) if isinstance(value, Decimal) else sorted(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def respond(emulator: Emulator, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answer one admin request (WSGI)."""
    try:
        if emulator.admin is False or (
            emulator.admin == "loopback" and not is_loopback(str(environ.get("REMOTE_ADDR") or ""))
        ):
            raise AdminError(403, "the admin API is served to loopback clients only")
        status, payload = _route(emulator, environ)
    except AdminError as exc:
        status, payload = exc.status, {"error": str(exc)}
    except (KeyError, ValueError, TypeError, LookupError) as exc:
        status, payload = 400, {"error": f"{type(exc).__name__}: {exc}"}
    except Exception as exc:  # a bug in a change: answer it, keep serving
        status, payload = 500, {"error": f"{type(exc).__name__}: {exc}"}
    body = json.dumps(payload, default=_json_default, ensure_ascii=False).encode()
    start_response(
        status_line(status),
        [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


def _body(environ: dict[str, Any]) -> dict[str, Any]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    if not raw.strip():
        return {}
    data = json.loads(raw, parse_float=Decimal)
    if not isinstance(data, dict):
        raise AdminError(400, "the request body must be a JSON object")
    return data


def _route(emu: Emulator, environ: dict[str, Any]) -> tuple[int, Any]:  # noqa: PLR0911 - one return per endpoint
    method = str(environ.get("REQUEST_METHOD") or "GET").upper()
    parts = [p for p in str(environ.get("PATH_INFO") or "")[len(PREFIX) :].split("/") if p]
    query = dict(parse_qsl(str(environ.get("QUERY_STRING") or "")))
    match (method, parts):
        case ("GET", ["companies"]):
            customers = {cid: sorted(account.organisations) for cid, account in emu.verifier.customers.items()}
            return 200, {"organisation_ids": emu.organisation_ids, "customers": customers, "now": emu.clock.now()}
        case ("GET", ["settings"]):
            host = environ.get("HTTP_HOST") or f"{environ.get('SERVER_NAME')}:{environ.get('SERVER_PORT')}"
            base = query.get("base_url") or f"{environ.get('wsgi.url_scheme', 'http')}://{host}"
            return 200, emu.settings(query.get("organisation_id"), base_url=base, customer_id=query.get("customer_id"))
        case ("GET", ["clock"]):
            return 200, {"now": emu.clock.now()}
        case ("POST", ["clock", "advance"]):
            delta = {k: float(v) for k, v in _body(environ).items() if k in ("days", "hours", "minutes", "seconds")}
            emu.clock.advance(timedelta(**delta))
            return 200, {"now": emu.clock.now()}
        case ("GET", ["log"]):
            return 200, emu.log.summary()
        case ("GET", ["log", "entries"]):
            return 200, [entry.to_dict() for entry in emu.log.entries()]
        case ("DELETE", ["log"]):
            emu.log.clear()
            return 200, {"ok": True}
        case ("GET", ["faults"]):
            return 200, emu.faults.to_dict()
        case ("PUT" | "POST", ["faults"]):
            emu.faults = FaultPlan.from_dict(_body(environ))
            return 200, emu.faults.to_dict()
        case ("DELETE", ["faults"]):
            emu.faults = FaultPlan()
            return 200, emu.faults.to_dict()
        case (_, ["companies", org, *rest]):
            return _company_route(emu, method, org, rest, environ)
    raise AdminError(404, f"no admin endpoint {method} {PREFIX}{'/'.join(parts)}")


def _company_route(  # noqa: PLR0911 - one return per endpoint
    emu: Emulator, method: str, org: str, rest: list[str], environ: dict[str, Any]
) -> tuple[int, Any]:
    if org not in emu.companies:
        raise AdminError(404, f"no company {org}")
    store = emu.company(org).store
    match (method, rest):
        case ("GET", ["rights"]):
            return 200, {"allowed_resources": sorted(emu.company(org).allowed_resources)}
        case ("POST", ["block", resource]):
            emu.block(org, resource)
            return 200, {"allowed_resources": sorted(emu.company(org).allowed_resources)}
        case ("POST", ["allow", resource]):
            emu.allow(org, resource)
            return 200, {"allowed_resources": sorted(emu.company(org).allowed_resources)}
        case ("POST", ["records", kind]):
            fields = {key: convert(value) for key, value in _body(environ).items()}
            return 201, {"netvisor_key": store.create(kind, **fields)}
        case ("PATCH" | "POST", ["records", kind, key]):
            store.edit(kind, int(key), **{k: convert(v) for k, v in _body(environ).items()})
            return 200, {"ok": True}
        case ("DELETE", ["records", kind, key]):
            store.delete(kind, int(key))
            return 200, {"ok": True}
        case ("POST", ["vouchers", key, "invalidate"]):
            store.invalidate_voucher(int(key))
            return 200, {"ok": True}
    raise AdminError(404, f"no admin endpoint {method} {PREFIX}companies/{org}/{'/'.join(rest)}")
