"""The emulator in a process of its own, driven over a pipe, with a replay cache in front of it.

Use :class:`EmulatorProcess` whenever a benchmark syncs over HTTP: the emulator's CPU (rendering XML, signing
checks) then never counts as the sync's. The pipe gives the benchmark what the admin endpoints do not: the size of
every collection (for the lower bound), a bulk "change 1 % of records" edit through the store's change API, and the
replay cache.

Why a replay cache: the emulator renders XML in Python and is slower than the sync it serves, so a live run measures
the emulator. In ``record`` mode every OK answer is kept (keyed by organisation, path and query string; the MAC
headers differ per call, the request does not); in ``replay`` mode a kept answer is sent again at memory speed, after
sleeping the latency the fault plan models (``latency_ms`` + ``per_row_ms`` x rows, as the emulator would), and is
logged like a live one. Requests not in the cache always go to the live emulator.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import pickle
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import psutil

from benchmarks import bounds
from netvisor_sync import auth
from netvisor_sync.emulator import Emulator, FaultPlan, LoggedRequest, serve
from netvisor_sync.emulator.generate import PROFILES

#: change-API kind -> the store collection that holds it (the kinds of ``store.KINDS``)
KIND_COLLECTIONS = {
    "customer": "customers",
    "vendor": "vendors",
    "product": "products",
    "salesinvoice": "sales_invoices",
    "salesorder": "sales_orders",
    "purchaseinvoice": "purchase_invoices",
    "purchaseorder": "purchase_orders",
    "voucher": "vouchers",
    "salespayment": "sales_payments",
    "purchasepayment": "purchase_payments",
}
REFERENCE_COLLECTIONS = ("accounts", "accounting_periods", "voucher_types", "dimensions", "payment_terms")
LINED = ("sales_invoices", "sales_orders", "purchase_invoices", "purchase_orders", "vouchers")

CacheKey = tuple[str, str, str]


@dataclasses.dataclass(frozen=True)
class Kept:
    """One recorded OK answer."""

    resource: str
    status: str
    headers: list[tuple[str, str]]
    body: bytes
    rows: int


class BenchEmulator(Emulator):
    """The real emulator plus a record/replay cache in front of its WSGI app."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mode = "live"
        self.cache: dict[CacheKey, Kept] = {}
        self._cache_lock = threading.Lock()

    def app(self, environ: Any, start_response: Any) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO") or "/")
        if self.mode == "live" or path.startswith("/_emulator/"):
            return super().app(environ, start_response)
        org = self.verifier.header(environ, auth.HEADER_ORGANISATION) or ""
        query = sorted(
            (name.lower(), value)
            for name, value in parse_qsl(str(environ.get("QUERY_STRING") or ""), keep_blank_values=True)
        )
        key = (org, path.lower(), urlencode(query))
        kept = self.cache.get(key) if self.mode == "replay" else None
        if kept is not None:
            return self._replay(kept, org, path, start_response)
        return self._record(key, environ, start_response)

    def _record(self, key: CacheKey, environ: Any, start_response: Any) -> Iterable[bytes]:
        answer: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            answer["status"], answer["headers"] = status, headers
            return start_response(status, headers, exc_info)

        iterable = super().app(environ, capture)
        try:
            body = b"".join(iterable)
        finally:
            close = getattr(iterable, "close", None)
            if close is not None:
                close()  # the emulator writes its log entry (and spends per-row latency) on close
        mine = [e for e in self.log.entries()[-50:] if e.organisation == key[0]]
        if mine and mine[-1].code == "OK" and str(answer.get("status", "")).startswith("200"):
            with self._cache_lock:
                self.cache[key] = Kept(mine[-1].resource, answer["status"], answer["headers"], body, mine[-1].rows)
        return [body]

    def _replay(self, kept: Kept, org: str, path: str, start_response: Any) -> Iterable[bytes]:
        started = time.perf_counter()
        plan = self.faults
        latency = plan.latency_ms + (plan.per_row_ms * kept.rows if kept.rows else 0.0)
        if latency:
            self.sleep(latency / 1000)
        start_response(kept.status, kept.headers)
        self.log.record(
            LoggedRequest(
                at=self.clock.now(),
                method="GET",
                path=path,
                resource=kept.resource,
                params={},
                organisation=org,
                code="OK",
                status=200,
                rows=kept.rows,
                latency_ms=latency,
                elapsed_ms=(time.perf_counter() - started) * 1000,
                fault="replay",
            )
        )
        return [kept.body]


def _no_sleep(seconds: float) -> None:
    """Latency is modelled (summed in the log) but not spent."""


def _profile_name(profile: str, months: int | None) -> str:
    """``large`` cut to ``months`` months, registered under its own name in this (the emulator's) process only."""
    if months is None:
        return profile
    name = f"{profile}-{months}m"
    PROFILES[name] = dataclasses.replace(PROFILES[profile], name=name, months=months)
    return name


def _facts(emu: Emulator) -> dict[str, dict[str, list[int]]]:
    """Per organisation: collection -> [records, lines] straight from the store (what the lower bound needs)."""
    facts: dict[str, dict[str, list[int]]] = {}
    for org, company in emu.companies.items():
        store: Any = company.store
        counts: dict[str, list[int]] = {}
        for name in (*KIND_COLLECTIONS.values(), *REFERENCE_COLLECTIONS):
            collection = getattr(store, name)
            if name in LINED:
                records = list(collection)
                valid = [r for r in records if name != "vouchers" or r.status == "valid"]
                counts[name] = [len(records), sum(len(r.lines) for r in valid)]
                if name == "vouchers":
                    counts["valid_vouchers"] = [len(valid), 0]
            elif name == "dimensions":
                counts[name] = [len(collection), sum(len(d.items) for d in collection)]
            else:
                counts[name] = [len(collection), 0]
        facts[org] = counts
    return facts


def _change(emu: Emulator, fraction: float) -> dict[str, int]:
    """Touch every ``1/fraction``-th record of every kind (an edit with no fields bumps ``modified``).

    Also counts the sales invoices an incremental sync must read again (:data:`benchmarks.bounds.PAID_TOO`): those
    touched and those with a touched payment.
    """
    step = max(1, round(1 / fraction))
    changed: dict[str, int] = {}
    for company in emu.companies.values():
        store: Any = company.store
        touched: dict[str, list[int]] = {}
        for kind, name in KIND_COLLECTIONS.items():
            keys = [r.netvisor_key for i, r in enumerate(getattr(store, name)) if i % step == step // 2]
            for key in keys:
                store.edit(kind, key)
            changed[kind] = changed.get(kind, 0) + len(keys)
            touched[kind] = keys
        paid = {store.sales_payments.get(key).invoice_key for key in touched["salespayment"]}
        reread = set(touched["salesinvoice"]) | {key for key in paid if key is not None}
        changed[bounds.PAID_TOO] = changed.get(bounds.PAID_TOO, 0) + len(reread)
    return changed


def _log(emu: Emulator) -> list[dict[str, Any]]:
    return [
        {
            "resource": e.resource,
            "organisation": e.organisation,
            "code": e.code,
            "rows": e.rows,
            "latency_ms": e.latency_ms,
            "params": dict(e.params),
            "replayed": e.fault == "replay",
        }
        for e in emu.log.entries()
    ]


def _dump_bodies(emu: BenchEmulator, path: str) -> dict[str, int]:
    kept = [(k.resource, k.body) for k in emu.cache.values()]
    Path(path).write_bytes(pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL))
    return {"responses": len(kept), "bytes": sum(len(body) for _, body in kept)}


def _main(conn: Connection, config: dict[str, Any]) -> None:
    """The emulator process: build, serve on loopback, then answer commands until ``stop``."""
    emu = BenchEmulator(
        profile=_profile_name(config["profile"], config.get("months")),
        seed=config["seed"],
        companies=config["companies"],
        overlap="reject",
    )
    server = serve(emu, "127.0.0.1", 0)
    sleeps: dict[bool, Callable[[float], None]] = {True: time.sleep, False: _no_sleep}
    commands: dict[str, Callable[..., Any]] = {
        "settings": lambda: {"url": server.url, "orgs": emu.organisation_ids, "credentials": _credentials(emu)},
        "facts": lambda: _facts(emu),
        "log": lambda: _log(emu),
        "clear_log": emu.log.clear,
        "mode": lambda value: setattr(emu, "mode", value),
        "faults": lambda plan: setattr(emu, "faults", FaultPlan.from_dict(plan)),
        "sleep": lambda real: setattr(emu, "sleep", sleeps[bool(real)]),
        "change": lambda fraction: _change(emu, fraction),
        "bodies": lambda path: _dump_bodies(emu, path),
        "now": lambda: emu.clock.now().isoformat(),
    }
    conn.send(("ready", None))
    try:
        while True:
            name, args = conn.recv()
            if name == "stop":
                conn.send(("ok", None))
                return
            try:
                conn.send(("ok", commands[name](*args)))
            except Exception as error:  # report it to the benchmark, keep serving
                conn.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        server.shutdown()


def _credentials(emu: Emulator) -> dict[str, dict[str, str]]:
    return {org: {k: v for k, v in emu.settings(org).items() if k != "base_url"} for org in emu.organisation_ids}


class EmulatorProcess:
    """Start an emulator process, talk to it, stop it (``with EmulatorProcess(...) as emu:``)."""

    def __init__(self, profile: str, *, seed: int = 1, companies: int = 1, months: int | None = None) -> None:
        self.config = {"profile": profile, "seed": seed, "companies": companies, "months": months}
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_main, args=(child, self.config), name="bench-emulator", daemon=True)
        self.url = ""
        self.orgs: list[str] = []
        self.credentials: dict[str, dict[str, str]] = {}

    @property
    def pid(self) -> int | None:
        return self._process.pid

    def __enter__(self) -> EmulatorProcess:
        self._process.start()
        status, _ = self._conn.recv()
        assert status == "ready"
        info = self.call("settings")
        self.url, self.orgs, self.credentials = info["url"], info["orgs"], info["credentials"]
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.call("stop")
        finally:
            self._process.join(timeout=10)
            if self._process.is_alive():
                self._process.terminate()

    def call(self, name: str, *args: Any) -> Any:
        self._conn.send((name, args))
        status, value = self._conn.recv()
        if status == "error":
            raise RuntimeError(f"emulator command {name}: {value}")
        return value

    def log(self) -> list[dict[str, Any]]:
        return list(self.call("log"))

    def cpu_seconds(self) -> float:
        """CPU seconds the emulator process has used so far (0 once it has exited)."""
        if self._process.pid is None:
            return 0.0
        try:
            times = psutil.Process(self._process.pid).cpu_times()
        except (psutil.Error, ValueError):
            return 0.0
        return times.user + times.system

    def set_latency(self, latency_ms: float, per_row_ms: float, *, real: bool = True) -> None:
        self.call("faults", {"latency_ms": latency_ms, "per_row_ms": per_row_ms})
        self.call("sleep", real)

    def now(self) -> datetime:
        return datetime.fromisoformat(self.call("now"))
