"""Hostile answers through the whole sync (the parser's own cases are in tests/parse/test_hostile.py): one resource
answers garbage or an attack, and the run refuses it quickly, in bounded memory, names the resource, writes nothing
for it, loads the other tables and reports the run as not ok (the CLI exits 1 on that)."""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from netvisor_sync.emulator import Emulator
from netvisor_sync.sync import run_sync

from .conftest import Warehouse

HEAD = b'<?xml version="1.0" encoding="utf-8"?>\n'
ENVELOPE = b"<ResponseStatus><Status>OK</Status><TimeStamp>22.11.2026 6:55:43</TimeStamp></ResponseStatus>"
LAUGHS = b"".join(
    b'<!ENTITY lol%d "%s">' % (n, b"".join(b"&lol%d;" % (n - 1) for _ in range(10))) for n in range(1, 10)
)
TEN_MB = 10 * 1024 * 1024


def document(inner: bytes, doctype: bytes = b"") -> bytes:
    return HEAD + doctype + b"<Root>" + ENVELOPE + b"<AccountList>" + inner + b"</AccountList></Root>"


HOSTILE: dict[str, Callable[[bytes], bytes]] = {
    "billion-laughs": lambda _: document(
        b"<Account>&lol9;</Account>", b'<!DOCTYPE Root [<!ENTITY lol0 "lol">' + LAUGHS + b"]>"
    ),
    "external-entity": lambda _: document(
        b"<Account>&x;</Account>", b'<!DOCTYPE Root [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    ),
    "dtd": lambda _: document(b"", b"<!DOCTYPE Root [<!ELEMENT Root ANY>]>"),
    "100-mb-element": lambda _: document(b"<Account><Name>" + b"A" * (10 * TEN_MB) + b"</Name></Account>"),
    "invalid-utf-8": lambda body: body.replace(b"<AccountList>", b"<AccountList>\xff\xfe\xc3(", 1),
    "html": lambda _: b"<html><head><title>Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>",
    "empty": lambda _: b"",
    "truncated": lambda body: body[: len(body) // 2],
}


class Hostile(httpx.BaseTransport):
    """Replaces the body of every ``accountlist`` answer (status 200, honest Content-Length); no retry waits."""

    def __init__(self, inner: httpx.BaseTransport, make: Callable[[bytes], bytes]) -> None:
        self.inner, self.make = inner, make

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        if request.url.path != "/accountlist.nv":
            return response
        return httpx.Response(
            200, headers={"Content-Type": "text/xml", "Retry-After": "0"}, content=self.make(response.content)
        )


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_answer_is_refused_and_the_rest_of_the_run_loads(tmp_path: Path, name: str) -> None:
    emu = Emulator(profile="partner-test", seed=41)
    warehouse = Warehouse(str(tmp_path / "nv.duckdb"))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    summary = run_sync(
        [emu.credentials()],
        base_url="http://testserver",
        destination=warehouse.destination,
        dataset_name=warehouse.dataset,
        tables=["accounts", "customers", "payment_terms"],
        pipelines_dir=tmp_path / "pipelines",
        http_transport=Hostile(httpx.WSGITransport(app=emu.app), HOSTILE[name]),
        clock=emu.clock.now,
    )
    seconds = time.monotonic() - started
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    assert not summary.ok
    assert summary.errors
    assert all("accountlist" in error for error in summary.errors), summary.errors
    assert seconds < 30, seconds
    assert grown_mb < 800, grown_mb  # the 100 MB answer itself is held once or twice, never expanded
    tables = warehouse.columns()
    assert "accounts" not in tables or warehouse.query("select count(*) from {ds}.accounts") == [(0,)]
    store = emu.company().store
    assert warehouse.query("select count(*) from {ds}.customers") == [(len(store.customers),)]
    assert warehouse.query("select count(*) from {ds}.payment_terms") == [(len(store.payment_terms),)]
    assert "root:" not in repr(summary.errors)  # /etc/passwd was never read
