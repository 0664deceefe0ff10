"""The client against the emulator's broken bodies: a connection dropped mid-body is retried by the transport (in
process and on a real socket), and every malformed document is refused and fetched again by the sync's reader."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from netvisor_sync.emulator import Emulator, Fault, FaultPlan, serve
from netvisor_sync.emulator.faults import MALFORMATIONS
from netvisor_sync.errors import ConnectError, MalformedResponse
from netvisor_sync.source import client_fetch
from netvisor_sync.transport import NetvisorClient


@pytest.fixture(scope="module")
def emu() -> Emulator:
    return Emulator(profile="partner-test", seed=8)


@pytest.fixture
def in_process(emu: Emulator) -> Iterator[NetvisorClient]:
    emu.log.clear()
    transport = httpx.WSGITransport(app=emu.app)
    with NetvisorClient(emu.credentials(), base_url="http://testserver", transport=transport, sleep=no_wait) as nv:
        yield nv
    emu.faults = FaultPlan()


def no_wait(_seconds: float) -> None:
    """Backoff without waiting: these tests count attempts, tests/test_transport.py checks the waits."""


def test_dropped_body_is_retried_in_process(emu: Emulator, in_process: NetvisorClient) -> None:
    clean = in_process.get("customerlist").body
    emu.faults = FaultPlan([Fault("dropped_body", nth=1)])
    response = in_process.get("customerlist")
    assert response.body == clean
    assert response.attempts == 2
    assert [e.code for e in emu.log] == ["OK", "DROPPED_BODY", "OK"]
    assert in_process.stats["customerlist"].retries == 1


def test_dropped_body_is_retried_on_a_real_socket(emu: Emulator) -> None:
    emu.log.clear()
    emu.faults = FaultPlan([Fault("dropped_body", nth=1)])
    try:
        with serve(emu) as server, NetvisorClient(emu.credentials(), base_url=server.url, sleep=no_wait) as nv:
            response = nv.get("accountlist")
    finally:
        emu.faults = FaultPlan()
    assert response.attempts == 2
    assert response.body.endswith(b"</Root>\n")
    assert [e.code for e in emu.log] == ["DROPPED_BODY", "OK"]
    assert nv.stats["accountlist"].retries == 1


def test_a_body_dropped_on_every_attempt_fails_as_a_connection_error(emu: Emulator, in_process: NetvisorClient) -> None:
    emu.faults = FaultPlan([Fault("dropped_body", rate=1.0)])
    with pytest.raises(ConnectError, match=r"customerlist.nv: connection failed.*gave up after 6 attempts"):
        in_process.get("customerlist")
    assert [e.code for e in emu.log] == ["DROPPED_BODY"] * 6


@pytest.mark.parametrize("variant", MALFORMATIONS)
def test_every_malformation_is_refused_and_fetched_again(
    emu: Emulator, in_process: NetvisorClient, variant: str
) -> None:
    fetch = client_fetch(in_process, "customers", None)
    clean = list(fetch("customerlist", {}).records)
    emu.faults = FaultPlan([Fault("malformed_xml", nth=1, variant=variant)])  # type: ignore[arg-type]
    again = list(fetch("customerlist", {}).records)
    assert again == clean
    assert [e.code for e in emu.log] == ["OK", "MALFORMED_XML", "OK"]
    assert in_process.stats["customerlist"].retries == 1  # by the transport (envelope) or the reader (records)


def test_malformed_bodies_beyond_the_retries_fail_as_malformed(emu: Emulator, in_process: NetvisorClient) -> None:
    fetch = client_fetch(in_process, "customers", None)
    emu.faults = FaultPlan([Fault("malformed_xml", rate=1.0, variant="mismatched_tag")])
    with pytest.raises(MalformedResponse, match="not well-formed"):
        list(fetch("customerlist", {}).records)
    assert len(emu.log) == 1 + in_process.malformed_retries
