"""Determinism: a seed and a pinned day (``Emulator(today=...)``, ``emulator serve --today``) give byte-identical
answers to every read resource, in one process and across processes with different hash seeds; without a pinned
day the history follows the clock's month, so the same seed answers differently in another month."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
from datetime import date, timedelta
from itertools import islice
from pathlib import Path

import httpx

from netvisor_sync import auth
from netvisor_sync.emulator import Emulator
from netvisor_sync.resources import READ_RESOURCES

ROOT = Path(__file__).resolve().parents[2]
DAY = "2025-03-10"
TIMESTAMP = re.compile(rb"<TimeStamp>[^<]*</TimeStamp>")


def request_paths(emu: Emulator) -> list[str]:
    """Every read resource bare (a list, or the INVALID_DATA of one that needs parameters), plus detail batches."""
    store = emu.company().store

    def keys(records: object, count: int = 60) -> str:
        return ",".join(str(record.netvisor_key) for record in islice(records, count))  # type: ignore[call-overload]

    week_ago = (emu.clock.today().date() - timedelta(days=7)).isoformat()
    paths = [f"/{resource}.nv" for resource in sorted(READ_RESOURCES)]
    paths += [
        f"/getcustomer.nv?idlist={keys(store.customers)}",
        f"/getvendor.nv?netvisorkeylist={keys(store.vendors)}",
        f"/getproduct.nv?idlist={keys(store.products)}",
        f"/getsalesinvoice.nv?netvisorkeylist={keys(store.sales_invoices)}",
        f"/getorder.nv?netvisorkeylist={keys(store.sales_orders)}",
        f"/getpurchaseinvoice.nv?netvisorkeylist={keys(store.purchase_invoices)}&version=2",
        f"/getpurchaseorder.nv?netvisorkeylist={keys(store.purchase_orders)}",
        "/salesinvoicelist.nv?listtype=preinvoice",
        "/accountingledger.nv?startdate=2000-01-01&enddate=2100-12-31&voucherstatus=1",
        f"/accountbalance.nv?balancedates={emu.clock.today().date().isoformat()}&intervaltype=3",
        f"/deletedvouchers.nv?deletedsince={week_ago}",
    ]
    return paths


def answers(seed: int, day: str, *, without_timestamp: bool = False) -> dict[str, str]:
    """``company number + path -> sha256`` of status, content type and body of every answer of a fresh emulator
    pinned to ``day`` (``without_timestamp``: the envelope's ``TimeStamp`` left out)."""
    emu = Emulator(profile="partner-test", seed=seed, companies=2, today=date.fromisoformat(day))
    client = httpx.Client(transport=httpx.WSGITransport(app=emu.app), base_url="http://testserver")
    digests = {}
    for number, org in enumerate(emu.organisation_ids):
        credentials = emu.credentials(org)
        for path in request_paths(emu):
            url = "http://testserver" + path
            response = client.get(url, headers=auth.sign(credentials, url))
            body = TIMESTAMP.sub(b"", response.content) if without_timestamp else response.content
            content = f"{response.status_code} {response.headers['content-type']}\n".encode() + body
            digests[f"{number}{path}"] = hashlib.sha256(content).hexdigest()
    assert emu.log.codes().keys() <= {"OK", "INVALID_DATA"}
    return digests


def answers_in_a_subprocess(seed: int, day: str, hash_seed: str) -> dict[str, str]:
    code = (
        f"import json; from tests.emulator.test_determinism import answers; print(json.dumps(answers({seed}, {day!r})))"
    )
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, str] = json.loads(done.stdout)
    return result


def test_the_same_seed_and_day_give_byte_identical_answers() -> None:
    first = answers(7, DAY)
    assert len(first) == 2 * (len(READ_RESOURCES) + 11)
    assert answers(7, DAY) == first


def test_answers_are_identical_across_processes_with_different_hash_seeds() -> None:
    here = answers(7, DAY)
    assert answers_in_a_subprocess(7, DAY, "1") == here
    assert answers_in_a_subprocess(7, DAY, "2") == here


def test_another_seed_or_month_gives_other_books() -> None:
    """Why the README says "deterministic for a seed and a day": the history ends with the month before today."""
    here = answers(7, DAY, without_timestamp=True)
    listing = "0/salesinvoicelist.nv"
    assert answers(8, DAY, without_timestamp=True)[listing] != here[listing]
    assert answers(7, "2025-04-10", without_timestamp=True)[listing] != here[listing]
    # later in the same month: the same records; only the envelope time moved (and the dates in a few queries), and
    # sales invoices whose due date passed in between now read overdue
    same_month = answers(7, "2025-03-28", without_timestamp=True)
    common = here.keys() & same_month.keys()
    assert len(common) >= 2 * len(READ_RESOURCES)
    changed = {path.split("?")[0][1:] for path in common if same_month[path] != here[path]}
    assert changed <= {"/salesinvoicelist.nv", "/getsalesinvoice.nv"}
