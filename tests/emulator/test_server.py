"""The emulator on a real loopback socket, the CLI loop that prints ``export`` lines, and ``python -m``."""

from __future__ import annotations

import io
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from netvisor_sync import auth
from netvisor_sync.emulator import Emulator, EmulatorServer, Fault, FaultPlan, serve, serve_forever_cli
from netvisor_sync.emulator.clock import Clock
from netvisor_sync.emulator.reply import OK_ENVELOPE_TAIL, Reply, ok_envelope_head
from netvisor_sync.emulator.server import export_lines, is_loopback_host

SRC = Path(__file__).resolve().parents[2] / "src"


class FakeStore:
    def __init__(self, organisation_id: str) -> None:
        self.organisation_id = organisation_id


def fake_factory(profile: str, *, seed: int, organisation_id: str, clock: Clock, name: str | None = None) -> Any:
    return FakeStore(organisation_id)


def fake_handler(
    company: Any, resource: str, params: Mapping[str, str], *, now: datetime, language: str, base_url: str
) -> Reply:
    body = f'{ok_envelope_head(now)}<List base="{base_url}">{"<Item/>" * 1000}</List>\n{OK_ENVELOPE_TAIL}'
    return Reply(chunks=(body.encode()[i : i + 512] for i in range(0, len(body), 512)), rows=1000)


def fake_emulator(**kwargs: Any) -> Emulator:
    return Emulator(company_factory=fake_factory, handler=fake_handler, **kwargs)


def signed_get(emu: Emulator, base_url: str, path: str, org: str | None = None) -> httpx.Response:
    url = base_url + path
    return httpx.get(url, headers=auth.sign(emu.credentials(org), url), timeout=10)


def test_loopback_server_serves_signed_requests() -> None:
    emu = fake_emulator(companies=2)
    with serve(emu) as server:
        assert server.host == "127.0.0.1"
        assert server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}"
        response = signed_get(emu, server.url, "/customerlist.nv?customercodelist=A%2CB,C")
        assert response.status_code == 200
        assert f'base="{server.url}"'.encode() in response.content
        assert response.content.endswith(b"</Root>\n")
        assert emu.log.entries()[0].params == {"customercodelist": "A,B,C"}
        second = signed_get(emu, server.url, "/productlist.nv", org=emu.organisation_ids[1])
        assert second.is_success
        assert server.settings()["base_url"] == server.url
        admin = httpx.get(server.url + "/_emulator/log", timeout=10).json()
        assert admin["counts"] == {"customerlist": 1, "productlist": 1}
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url + "/_emulator/log", timeout=2)


def test_server_requests_in_parallel_to_different_companies() -> None:
    emu = fake_emulator(companies=4)
    with serve(emu) as server:
        results: list[int] = []
        threads = [
            threading.Thread(
                target=lambda o=org: results.append(signed_get(emu, server.url, "/accountlist.nv", o).status_code)
            )
            for org in emu.organisation_ids
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert results == [200] * 4


def test_connection_reset_fault_resets_the_socket() -> None:
    emu = fake_emulator(faults=FaultPlan([Fault("connection_reset", nth=1)]))
    with serve(emu) as server:
        with pytest.raises(httpx.TransportError):
            signed_get(emu, server.url, "/accountlist.nv")
        assert signed_get(emu, server.url, "/accountlist.nv").is_success
    assert [e.code for e in emu.log] == ["CONNECTION_RESET", "OK"]


def raw_get(emu: Emulator, server: EmulatorServer, path: str) -> tuple[dict[str, str], bytes]:
    """One signed request on a bare socket, read until the server closes: (headers, body bytes received)."""
    url = server.url + path
    headers = "".join(f"{k}: {v}\r\n" for k, v in auth.sign(emu.credentials(), url).items())
    with socket.create_connection((server.host, server.port), timeout=10) as connection:
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: {url.split('/')[2]}\r\n{headers}\r\n".encode("latin-1"))
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].split()[1] == "200"
    return {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}, body


def test_dropped_body_fault_closes_the_socket_after_part_of_the_announced_body() -> None:
    emu = fake_emulator(faults=FaultPlan([Fault("dropped_body", nth=2)]))
    with serve(emu) as server:
        _, whole = raw_get(emu, server, "/accountlist.nv")  # streamed: no Content-Length, the close ends it
        headers, part = raw_get(emu, server, "/accountlist.nv")
        assert int(headers["content-length"]) == len(whole)  # the whole length is announced ...
        assert part == whole[: len(whole) // 2]  # ... half of it arrives, then the end of the stream
        emu.faults = FaultPlan([Fault("dropped_body", nth=1)])
        with pytest.raises(httpx.RemoteProtocolError, match=r"without sending complete message body"):
            signed_get(emu, server.url, "/accountlist.nv")
        assert signed_get(emu, server.url, "/accountlist.nv").is_success
    assert [e.code for e in emu.log] == ["OK", "DROPPED_BODY", "DROPPED_BODY", "OK"]


def test_non_loopback_hosts_are_refused_unless_allowed() -> None:
    emu = fake_emulator()
    for host in ("0.0.0.0", "192.168.1.10", "example.org"):
        with pytest.raises(ValueError, match="non-loopback"):
            serve(emu, host=host)
    assert is_loopback_host("localhost")
    assert is_loopback_host("127.0.0.2")
    assert is_loopback_host("::1")
    assert not is_loopback_host("10.0.0.1")


def test_shutdown_is_idempotent() -> None:
    server = serve(fake_emulator())
    server.shutdown()
    server.shutdown()


def parse_exports(text: str) -> dict[str, str]:
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            (env[name],) = shlex.split(value)
    return env


def test_export_lines_for_one_and_several_companies() -> None:
    with serve(fake_emulator(companies=1)) as server:
        env = parse_exports("\n".join(export_lines(server)))
        assert env["SOURCES__NETVISOR__ORGANISATION_ID"] == server.emulator.organisation_ids[0]
    emu = fake_emulator(companies=3)
    with serve(emu) as server:
        env = parse_exports("\n".join(export_lines(server)))
    assert json.loads(env["SOURCES__NETVISOR__ORGANISATION_ID"]) == emu.organisation_ids
    assert set(env) == {
        f"SOURCES__NETVISOR__{name}"
        for name in (
            "BASE_URL", "SENDER", "CUSTOMER_ID", "CUSTOMER_KEY",
            "PARTNER_ID", "PARTNER_KEY", "ORGANISATION_ID", "LANGUAGE",
        )
    }  # fmt: skip
    assert env["SOURCES__NETVISOR__CUSTOMER_KEY"] == emu.settings()["customer_key"]


def test_serve_forever_cli_prints_settings_and_stops() -> None:
    out = io.StringIO()
    stop = threading.Event()
    codes: list[int] = []
    thread = threading.Thread(
        target=lambda: codes.append(
            serve_forever_cli(companies=2, seed=3, out=out, stop=stop, emulator_factory=fake_emulator)
        )
    )
    thread.start()
    deadline = time.monotonic() + 10
    while "LANGUAGE" not in out.getvalue() and time.monotonic() < deadline:
        time.sleep(0.02)
    env = parse_exports(out.getvalue())
    credentials = auth.Credentials(
        sender=env["SOURCES__NETVISOR__SENDER"],
        customer_id=env["SOURCES__NETVISOR__CUSTOMER_ID"],
        customer_key=env["SOURCES__NETVISOR__CUSTOMER_KEY"],
        partner_id=env["SOURCES__NETVISOR__PARTNER_ID"],
        partner_key=env["SOURCES__NETVISOR__PARTNER_KEY"],
        organisation_id=json.loads(env["SOURCES__NETVISOR__ORGANISATION_ID"])[1],
        language=env["SOURCES__NETVISOR__LANGUAGE"],
    )
    url = env["SOURCES__NETVISOR__BASE_URL"] + "/accountlist.nv"
    assert httpx.get(url, headers=auth.sign(credentials, url), timeout=10).is_success
    stop.set()
    thread.join(10)
    assert codes == [0]


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_python_dash_m_serves_until_signalled(stop_signal: signal.Signals) -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    process = subprocess.Popen(
        [sys.executable, "-m", "netvisor_sync.emulator", "--companies", "2", "--seed", "4"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    watchdog = threading.Timer(30, process.kill)
    try:
        lines: list[str] = []
        assert process.stdout is not None
        watchdog.start()  # a server that never prints must not hang the suite
        while not any("LANGUAGE=" in line for line in lines):
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
        exports = parse_exports("".join(lines))
        assert exports, process.stderr.read() if process.poll() is not None else "no export lines"  # type: ignore[union-attr]
        base_url = exports["SOURCES__NETVISOR__BASE_URL"]
        assert base_url.startswith("http://127.0.0.1:")
        organisations = json.loads(exports["SOURCES__NETVISOR__ORGANISATION_ID"])
        credentials = auth.Credentials(
            sender=exports["SOURCES__NETVISOR__SENDER"],
            customer_id=exports["SOURCES__NETVISOR__CUSTOMER_ID"],
            customer_key=exports["SOURCES__NETVISOR__CUSTOMER_KEY"],
            partner_id=exports["SOURCES__NETVISOR__PARTNER_ID"],
            partner_key=exports["SOURCES__NETVISOR__PARTNER_KEY"],
            organisation_id=organisations[0],
        )
        url = base_url + "/accountlist.nv"
        response = httpx.get(url, headers=auth.sign(credentials, url), timeout=10)
        assert response.status_code == 200
        assert b"<Status>OK</Status>" in response.content
        process.send_signal(stop_signal)
        assert process.wait(10) == 0
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_the_emulator_never_imports_the_transport_or_httpx() -> None:
    code = (
        "import sys, netvisor_sync.emulator as e; e.Emulator(companies=2); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'httpx' or m == 'netvisor_sync.transport'))"
    )
    env = {**os.environ, "PYTHONPATH": str(SRC) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, timeout=60)
    assert done.stdout.strip() == "[]"
