"""The fault plan: validation, JSON form, selection (rate/nth/every, scopes), determinism, and every kind end to end."""

from __future__ import annotations

import dataclasses
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from netvisor_sync import auth
from netvisor_sync.emulator import FAULT_KINDS, DroppedConnection, Emulator, Fault, FaultPlan
from netvisor_sync.emulator.clock import Clock
from netvisor_sync.emulator.faults import MALFORMATIONS, BodyDropped, FaultInjector, malform
from netvisor_sync.emulator.reply import OK_ENVELOPE_TAIL, Reply, ok_envelope_head
from netvisor_sync.errors import MalformedResponse, SystemMaintenance
from netvisor_sync.parse import check_well_formed, iter_records, parse_response, read_status

BASE = "http://testserver"
WALL = datetime(2026, 3, 4, 10, 0, 0, tzinfo=UTC)


class FakeStore:
    def __init__(self, organisation_id: str) -> None:
        self.organisation_id = organisation_id


def fake_factory(profile: str, *, seed: int, organisation_id: str, clock: Clock, name: str | None = None) -> Any:
    return FakeStore(organisation_id)


def fake_handler(
    company: Any, resource: str, params: Mapping[str, str], *, now: datetime, language: str, base_url: str
) -> Reply:
    rows = int(params.get("rows", "4"))
    items = "".join(f"<Item>{i}</Item>" for i in range(rows))
    body = f"{ok_envelope_head(now)}<List>{items}</List>\n{OK_ENVELOPE_TAIL}".encode()
    return Reply(chunks=[body], rows=rows)


@pytest.fixture(scope="module")
def real() -> Emulator:
    """The real handlers and partner-test books (for documents worth breaking)."""
    return Emulator(profile="partner-test", seed=6, wall=lambda: WALL)


def make(plan: FaultPlan, sleeps: list[float] | None = None, companies: int = 1) -> tuple[Emulator, httpx.Client]:
    emu = Emulator(
        company_factory=fake_factory,
        handler=fake_handler,
        companies=companies,
        faults=plan,
        sleep=(sleeps.append if sleeps is not None else lambda _s: None),
        wall=lambda: WALL,
    )
    return emu, httpx.Client(transport=httpx.WSGITransport(app=emu.app), base_url=BASE)


def get(
    client: httpx.Client, emu: Emulator, path: str, *, org: str | None = None, codes: bool = True
) -> httpx.Response:
    url = BASE + path
    headers = auth.sign(emu.credentials(org), url, now=WALL)
    if not codes:
        del headers[auth.HEADER_STATUS_CODES]
    return client.get(url, headers=headers)


def envelope(response: httpx.Response) -> list[str]:
    return [el.text or "" for el in ET.fromstring(response.content).iter("Status")]


# -- the plan as data ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "meteor", "rate": 0.1}, "unknown fault kind"),
        ({"kind": "http_500"}, "exactly one of"),
        ({"kind": "http_500", "rate": 0.1, "nth": 2}, "exactly one of"),
        ({"kind": "http_500", "rate": 1.5}, "between 0 and 1"),
        ({"kind": "http_500", "nth": 0}, "at least 1"),
        ({"kind": "http_500", "every": 2, "times": 0}, "at least 1"),
    ],
)
def test_invalid_faults_are_rejected(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Fault(**kwargs)


def test_plan_round_trips_through_dict_and_json() -> None:
    plan = FaultPlan(
        [
            Fault("http_429", every=3, retry_after=7, resources=frozenset({"GetSalesInvoice.nv"})),
            Fault("TECHNICAL_ERROR", nth=2, per_resource=True, organisations=frozenset({"1967543-8"}), times=1),  # type: ignore[arg-type]
            Fault("truncated_body", rate=0.25),
        ],
        latency_ms=12,
        per_row_ms=0.5,
        seed=9,
    )
    assert plan.faults[0].resources == {"getsalesinvoice"}
    assert plan.faults[1].kind == "technical_error"
    data = plan.to_dict()
    assert FaultPlan.from_dict(data) == plan
    assert FaultPlan.from_json(json.dumps(data)) == plan
    assert FaultPlan.from_dict({"faults": [{"kind": "http_500", "nth": 1, "resources": "a,b"}]}).faults[
        0
    ].resources == {
        "a",
        "b",
    }
    with pytest.raises(ValueError, match="unknown field"):
        FaultPlan.from_dict({"faults": [], "latency": 3})
    with pytest.raises(ValueError, match="unknown field"):
        FaultPlan.from_dict({"faults": [{"kind": "http_500", "nth": 1, "often": True}]})
    with pytest.raises(ValueError, match="must be an object"):
        FaultPlan.from_json("[]")
    with pytest.raises(ValueError, match="negative"):
        FaultPlan(latency_ms=-1)


# -- selection -----------------------------------------------------------------------------------------------------


def fired(injector: FaultInjector, requests: list[str], org: str = "1967543-8") -> list[int]:
    return [i for i, resource in enumerate(requests, 1) if injector.decide(resource, org) is not None]


def test_nth_every_times_and_resource_filters() -> None:
    calls = ["a", "b", "a", "b", "a", "b", "a", "b"]
    assert fired(FaultInjector(FaultPlan([Fault("http_500", nth=3)])), calls) == [3]
    assert fired(FaultInjector(FaultPlan([Fault("http_500", every=3)])), calls) == [3, 6]
    assert fired(FaultInjector(FaultPlan([Fault("http_500", every=2, times=2)])), calls) == [2, 4]
    only_b = FaultPlan([Fault("http_500", nth=2, resources=frozenset({"b"}))])
    assert fired(FaultInjector(only_b), calls) == [4]
    per_resource = FaultPlan([Fault("http_500", nth=2, per_resource=True)])
    assert fired(FaultInjector(per_resource), calls) == [3, 4]
    other_org = FaultPlan([Fault("http_500", every=1, organisations=frozenset({"7654321-0"}))])
    assert fired(FaultInjector(other_org), calls) == []
    assert fired(FaultInjector(other_org), calls, org="7654321-0") == list(range(1, 9))


def test_first_firing_fault_wins_but_all_count() -> None:
    injector = FaultInjector(FaultPlan([Fault("http_500", nth=2), Fault("http_503", nth=2)]))
    kinds = [getattr(injector.decide("a", "o"), "kind", None) for _ in range(3)]
    assert kinds == [None, "http_500", None]


def test_rate_decisions_are_deterministic_by_seed() -> None:
    calls = ["a", "b", "c"] * 200

    def run(seed: int) -> list[int]:
        return fired(FaultInjector(FaultPlan([Fault("http_503", rate=0.1)], seed=seed)), calls)

    first = run(42)
    assert first == run(42)
    assert first != run(43)
    assert 30 <= len(first) <= 90  # about 10 % of 600
    assert fired(FaultInjector(FaultPlan([Fault("http_503", rate=0.0)])), calls) == []
    assert len(fired(FaultInjector(FaultPlan([Fault("http_503", rate=1.0)])), calls)) == 600


def test_rate_decisions_per_resource_do_not_depend_on_interleaving() -> None:
    plan = FaultPlan([Fault("technical_error", rate=0.3, per_resource=True)], seed=5)
    one = FaultInjector(plan)
    a_first = [one.decide("a", "o") is not None for _ in range(50)]
    two = FaultInjector(plan)
    interleaved = []
    for _ in range(50):
        two.decide("b", "o")
        interleaved.append(two.decide("a", "o") is not None)
    assert a_first == interleaved


def test_same_seed_gives_the_same_outcomes_through_the_app() -> None:
    def outcomes(seed: int) -> list[str]:
        emu, client = make(FaultPlan([Fault("http_503", rate=0.3), Fault("technical_error", rate=0.2)], seed=seed))
        for _ in range(40):
            get(client, emu, "/accountlist.nv")
        return [entry.code for entry in emu.log]

    assert outcomes(1) == outcomes(1)
    assert outcomes(1) != outcomes(2)
    assert {"OK", "HTTP_503", "TECHNICAL_ERROR"} <= set(outcomes(1))


# -- every kind through the app ------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503])
def test_http_error_faults_have_no_envelope(status: int) -> None:
    emu, client = make(FaultPlan([Fault(f"http_{status}", nth=2)]))  # type: ignore[arg-type]
    assert get(client, emu, "/accountlist.nv").is_success
    response = get(client, emu, "/accountlist.nv", codes=False)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert b"<Root>" not in response.content
    assert get(client, emu, "/accountlist.nv").is_success
    assert [e.code for e in emu.log] == ["OK", f"HTTP_{status}", "OK"]
    assert emu.log.entries()[1].fault == f"http_{status}"


def test_http_429_carries_retry_after() -> None:
    emu, client = make(FaultPlan([Fault("http_429", every=1, retry_after=3)]))
    response = get(client, emu, "/accountlist.nv")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"


def test_connection_reset_raises_through_the_wsgi_transport() -> None:
    emu, client = make(FaultPlan([Fault("connection_reset", nth=1)]))
    with pytest.raises(ConnectionResetError) as caught:
        get(client, emu, "/accountlist.nv")
    assert isinstance(caught.value, DroppedConnection)
    assert get(client, emu, "/accountlist.nv").is_success  # company released, next request fine
    assert [(e.code, e.status) for e in emu.log] == [("CONNECTION_RESET", 0), ("OK", 200)]


def test_truncated_body_is_cut_in_the_middle() -> None:
    emu, client = make(FaultPlan([Fault("truncated_body", nth=2)]))
    whole = get(client, emu, "/accountlist.nv").content
    response = get(client, emu, "/accountlist.nv")
    assert response.status_code == 200
    assert int(response.headers["content-length"]) == len(response.content) == len(whole) // 2
    assert whole.startswith(response.content[:40])
    with pytest.raises(ET.ParseError):
        ET.fromstring(response.content)
    assert emu.log.entries()[1].code == "TRUNCATED_BODY"


def test_dropped_body_announces_the_whole_length_and_breaks_off_in_process() -> None:
    emu, client = make(FaultPlan([Fault("dropped_body", nth=2)]))
    whole = get(client, emu, "/accountlist.nv?rows=40").content
    url = BASE + "/accountlist.nv?rows=40"
    received = b""
    with client.stream("GET", url, headers=auth.sign(emu.credentials(), url, now=WALL)) as streaming:
        assert streaming.status_code == 200
        assert int(streaming.headers["content-length"]) == len(whole)
        chunks = streaming.iter_bytes()
        received += next(chunks)
        with pytest.raises(ConnectionResetError) as caught:
            next(chunks)
    assert isinstance(caught.value, BodyDropped)
    assert f"after {len(whole) // 2} of {len(whole)} bytes" in str(caught.value)
    assert received == whole[: len(whole) // 2]
    assert get(client, emu, "/accountlist.nv?rows=40").is_success  # the company was released
    assert [(e.code, e.status) for e in emu.log] == [("OK", 200), ("DROPPED_BODY", 200), ("OK", 200)]


def test_malformed_xml_is_not_well_formed() -> None:
    emu, client = make(FaultPlan([Fault("malformed_xml", nth=1)]))
    response = get(client, emu, "/accountlist.nv")
    assert response.status_code == 200
    assert response.content.startswith(b"<?xml")
    assert int(response.headers["content-length"]) == len(response.content)
    with pytest.raises(ET.ParseError):
        ET.fromstring(response.content)
    entry = emu.log.entries()[0]
    assert entry.code == "MALFORMED_XML"
    assert entry.detail in MALFORMATIONS


def test_malformed_xml_variants_are_drawn_from_the_seed() -> None:
    def variants(seed: int) -> list[str]:
        emu, client = make(FaultPlan([Fault("malformed_xml", every=1)], seed=seed))
        for _ in range(30):
            get(client, emu, "/accountlist.nv")
        return [entry.detail for entry in emu.log]

    first = variants(3)
    assert first == variants(3)
    assert first != variants(4)
    assert set(first) == set(MALFORMATIONS)
    emu, client = make(FaultPlan([Fault("malformed_xml", every=1, variant="bad_entity")], seed=3))
    for _ in range(3):
        assert b"&auml;" in get(client, emu, "/accountlist.nv").content
    assert {entry.detail for entry in emu.log} == {"bad_entity"}


#: resource -> the query of a request worth breaking, from the company's books
BREAKABLE: dict[str, Callable[[Emulator], str]] = {
    "customerlist": lambda emu: "",
    "getsalesinvoice": lambda emu: f"netvisorkey={next(iter(emu.company().store.sales_invoices)).netvisor_key}",
    "accountingledger": lambda emu: "startdate=2000-01-01&enddate=2100-12-31",
    # nothing deleted: an empty list, so the break lands in the envelope
    "deletedvouchers": lambda emu: f"deletedsince={emu.clock.today().date().isoformat()}",
}


@pytest.mark.parametrize("variant", MALFORMATIONS)
@pytest.mark.parametrize("resource", BREAKABLE)
def test_every_malformation_is_refused_by_the_client_parser(real: Emulator, variant: str, resource: str) -> None:
    client = httpx.Client(transport=httpx.WSGITransport(app=real.app), base_url=BASE)
    query = BREAKABLE[resource](real)
    path = f"/{resource}.nv" + (f"?{query}" if query else "")
    real.faults = FaultPlan()
    clean = get(client, real, path).content
    parse_response(resource, clean)  # the clean answer parses
    real.faults = FaultPlan([Fault("malformed_xml", nth=1, variant=variant)])
    broken = get(client, real, path).content
    assert broken != clean
    with pytest.raises(MalformedResponse):
        check_well_formed(broken, resource=resource, status=200)
    with pytest.raises(MalformedResponse):
        parse_response(resource, broken)
    with pytest.raises(MalformedResponse):
        list(iter_records(resource, io.BytesIO(broken)))


def test_malform_keeps_the_envelope_when_the_payload_has_room() -> None:
    body = (
        '<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n<Root>\n  <ResponseStatus>\n'
        "    <Status>OK</Status>\n    <TimeStamp>1.1.2026 12:00:00</TimeStamp>\n  </ResponseStatus>\n"
        "  <List><Item>Öljy</Item><Item>b</Item><Item>c</Item></List>\n</Root>\n"
    ).encode()
    for variant in MALFORMATIONS:
        broken = malform(body, variant)
        assert broken[: body.index(b"</ResponseStatus>")] == body[: body.index(b"</ResponseStatus>")], variant
        read_status(broken, resource="accountlist")  # the envelope still reads OK
    assert malform(body, "wrong_encoding").count("Ö".encode("iso-8859-15")) == 1
    with pytest.raises(ValueError, match="unknown malformation"):
        malform(body, "sideways")


@pytest.mark.parametrize("code", ["SYSTEM_MAINTANANCE", "SYSTEM_MAINTENANCE"])
def test_an_envelope_fault_can_write_another_code(code: str) -> None:
    emu, client = make(FaultPlan([Fault("system_maintenance", nth=1, code=code)]))
    response = get(client, emu, "/accountlist.nv")
    assert envelope(response)[1].startswith(f"{code} :: The service is under maintenance")
    assert response.status_code == emu.status_codes.get(code, 500)  # the misspelling has no mapping: 500
    assert emu.log.entries()[0].code == code
    with pytest.raises(SystemMaintenance):
        read_status(response.content, resource="accountlist", http_status=response.status_code)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": "http_500", "nth": 1, "code": "TECHNICAL_ERROR"}, "code is for"),
        ({"kind": "technical_error", "nth": 1, "code": "technical error"}, "upper-case"),
        ({"kind": "truncated_body", "nth": 1, "variant": "bad_entity"}, "variant is for malformed_xml"),
        ({"kind": "malformed_xml", "nth": 1, "variant": "sideways"}, "one of cut_inside_tag"),
    ],
)
def test_code_and_variant_are_checked(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Fault(**kwargs)


def test_plan_files_in_json_and_toml(tmp_path: Path) -> None:
    plan = FaultPlan(
        [
            Fault("system_maintenance", nth=2, code="SYSTEM_MAINTANANCE"),
            Fault("malformed_xml", rate=0.1, variant="cut_inside_tag", resources=frozenset({"customerlist"})),
            Fault("dropped_body", every=5),
        ],
        latency_ms=5,
        seed=4,
    )
    (tmp_path / "plan.json").write_text(json.dumps(plan.to_dict()), encoding="utf-8")
    (tmp_path / "plan.toml").write_text(
        """latency_ms = 5
seed = 4

[[faults]]
kind = "system_maintenance"
nth = 2
code = "SYSTEM_MAINTANANCE"

[[faults]]
kind = "malformed_xml"
rate = 0.1
variant = "cut_inside_tag"
resources = ["customerlist"]

[[faults]]
kind = "dropped_body"
every = 5
""",
        encoding="utf-8",
    )
    assert FaultPlan.from_file(tmp_path / "plan.json") == plan
    assert FaultPlan.from_file(tmp_path / "plan.toml") == plan
    (tmp_path / "bad.toml").write_text("[[faults]]\nkind = 'meteor'\nnth = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.toml: unknown fault kind 'meteor'"):
        FaultPlan.from_file(tmp_path / "bad.toml")
    (tmp_path / "broken.json").write_text("{", encoding="utf-8")
    with pytest.raises(ValueError, match=r"broken.json: Expecting property name"):
        FaultPlan.from_file(tmp_path / "broken.json")
    (tmp_path / "plan.yaml").write_text("faults: []", encoding="utf-8")
    with pytest.raises(ValueError, match=r"plan.yaml: name it \*.json or \*.toml"):
        FaultPlan.from_file(tmp_path / "plan.yaml")
    with pytest.raises(ValueError, match="cannot read it"):
        FaultPlan.from_file(tmp_path / "missing.json")


@pytest.mark.parametrize(
    ("kind", "code", "status"),
    [
        ("technical_error", "TECHNICAL_ERROR", 500),
        ("system_maintenance", "SYSTEM_MAINTENANCE", 503),
        ("request_not_unique", "REQUEST_NOT_UNIQUE", 409),
    ],
)
def test_envelope_faults(kind: str, code: str, status: int) -> None:
    emu, client = make(FaultPlan([Fault(kind, nth=1, resources=frozenset({"productlist"}))]))  # type: ignore[arg-type]
    assert get(client, emu, "/accountlist.nv").is_success
    response = get(client, emu, "/productlist.nv")
    assert response.status_code == status
    assert envelope(response)[0] == "FAILED"
    assert envelope(response)[1].startswith(f"{code} :: ")
    quiet = make(FaultPlan([Fault(kind, nth=1)]))
    assert get(quiet[1], quiet[0], "/productlist.nv", codes=False).status_code == 200


def test_every_kind_is_covered_by_a_test() -> None:
    covered = {"http_500", "http_503", "http_429", "connection_reset", "truncated_body", "dropped_body"}
    covered |= {"malformed_xml"}
    covered |= {"technical_error", "system_maintenance", "request_not_unique"}
    assert covered == set(FAULT_KINDS)


def test_faults_count_only_requests_that_would_be_served() -> None:
    emu, client = make(FaultPlan([Fault("http_503", nth=2)]))
    url = BASE + "/accountlist.nv"
    bad = auth.sign(emu.credentials(), url, now=WALL) | {auth.HEADER_PARTNER_ID: "nobody"}
    client.get(url, headers=bad)
    assert get(client, emu, "/accountlist.nv").is_success  # the failed login did not count
    assert get(client, emu, "/accountlist.nv").status_code == 503


def test_replacing_the_plan_resets_its_counters() -> None:
    emu, client = make(FaultPlan([Fault("http_503", nth=1)]))
    assert get(client, emu, "/accountlist.nv").status_code == 503
    emu.faults = FaultPlan([Fault("http_503", nth=1)])
    assert get(client, emu, "/accountlist.nv").status_code == 503
    emu.faults = FaultPlan()
    assert get(client, emu, "/accountlist.nv").is_success


# -- latency -------------------------------------------------------------------------------------------------------


def test_latency_and_per_row_cost_are_slept_and_logged() -> None:
    sleeps: list[float] = []
    emu, client = make(FaultPlan(latency_ms=50, per_row_ms=2), sleeps)
    assert get(client, emu, "/accountlist.nv?rows=3").is_success
    assert sleeps == [pytest.approx(0.05), pytest.approx(0.006)]
    url = BASE + "/accountlist.nv"
    client.get(url, headers=auth.sign(dataclasses.replace(emu.credentials(), partner_id="x"), url, now=WALL))
    assert sleeps[2:] == [pytest.approx(0.05)]  # failures pay the base latency, no rows
    entries = emu.log.entries()
    assert [e.latency_ms for e in entries] == [pytest.approx(56), pytest.approx(50)]
    assert emu.log.total_latency_ms() == pytest.approx(106)


def test_real_sleeper_makes_requests_slower() -> None:
    emu = Emulator(
        company_factory=fake_factory, handler=fake_handler, faults=FaultPlan(latency_ms=30), wall=lambda: WALL
    )
    client = httpx.Client(transport=httpx.WSGITransport(app=emu.app), base_url=BASE)
    assert get(client, emu, "/accountlist.nv").is_success
    assert emu.log.entries()[0].elapsed_ms >= 30
