"""Per-company credentials: each company synced with its own customer id and key (as an accounting office whose
clients each created an API user), and a company given the wrong customer's keys failing alone."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
from tests.sync.conftest import Warehouse

from netvisor_sync.auth import Credentials
from netvisor_sync.emulator import Emulator
from netvisor_sync.sync import SyncSummary, run_sync

TABLES = ["accounts", "customers"]


def sync_companies(emu: Emulator, companies: list[Credentials], warehouse: Warehouse, tmp_path: Path) -> SyncSummary:
    return run_sync(
        companies,
        base_url="http://testserver",
        destination=warehouse.destination,
        dataset_name=warehouse.dataset,
        tables=TABLES,
        workers=2,
        pipelines_dir=tmp_path / "pipelines",
        http_transport=httpx.WSGITransport(app=emu.app),
        clock=emu.clock.now,
    )


def loaded(warehouse: Warehouse, table: str) -> dict[str, int]:
    rows = warehouse.query(f"select organisation_id, count(*) from {{ds}}.{table} group by 1 order by 1")
    return {str(org): int(count) for org, count in rows}


def test_each_company_with_its_own_customer_keys(warehouse: Warehouse, tmp_path: Path) -> None:
    emu = Emulator(profile="partner-test", seed=4, companies=2, customer_per_company=True)
    first, second = emu.organisation_ids
    companies = [emu.credentials(first), emu.credentials(second)]
    assert companies[0].customer_id != companies[1].customer_id
    assert companies[0].customer_key != companies[1].customer_key

    summary = sync_companies(emu, companies, warehouse, tmp_path)

    assert summary.ok, summary.errors
    stores = {org: emu.company(org).store for org in (first, second)}
    assert loaded(warehouse, "accounts") == {org: len(store.accounts) for org, store in stores.items()}
    assert loaded(warehouse, "customers") == {org: len(store.customers) for org, store in stores.items()}
    callers = {(e.organisation, e.code) for e in emu.log.entries()}
    assert callers == {(first, "OK"), (second, "OK")}


def test_a_company_with_the_other_customers_keys_fails_alone(warehouse: Warehouse, tmp_path: Path) -> None:
    emu = Emulator(profile="partner-test", seed=4, companies=2, customer_per_company=True)
    first, second = emu.organisation_ids
    own = emu.credentials(first)
    other = emu.credentials(second)
    # the second company's settings carry the first customer's id and key: that user cannot read the second company
    mixed_up = dataclasses.replace(other, customer_id=own.customer_id, customer_key=own.customer_key)

    summary = sync_companies(emu, [own, mixed_up], warehouse, tmp_path)

    assert not summary.ok
    assert summary.company(first).ok
    errors = summary.company(second).errors
    assert errors
    assert all("AUTHENTICATION_FAILED" in error for error in errors), errors
    assert all(f"no access to the organisation {second}" in error for error in errors), errors
    assert loaded(warehouse, "accounts") == {first: len(emu.company(first).store.accounts)}
    refused = {e.code for e in emu.log.entries() if e.organisation == second}
    assert refused == {"AUTHENTICATION_FAILED"}
    assert not any(e.code != "OK" for e in emu.log.entries() if e.organisation == first)


def test_a_key_of_another_customer_fails_the_mac(warehouse: Warehouse, tmp_path: Path) -> None:
    """The right customer id with another customer's key: Netvisor cannot verify the MAC (AUTHENTICATION_FAILED)."""
    emu = Emulator(profile="partner-test", seed=4, companies=2, customer_per_company=True)
    first, second = emu.organisation_ids
    wrong_key = dataclasses.replace(emu.credentials(second), customer_key=emu.credentials(first).customer_key)

    summary = sync_companies(emu, [emu.credentials(first), wrong_key], warehouse, tmp_path)

    assert summary.company(first).ok
    errors = summary.company(second).errors
    assert errors
    assert all("AUTHENTICATION_FAILED" in error and "MAC is not valid" in error for error in errors), errors
    assert loaded(warehouse, "customers") == {first: len(emu.company(first).store.customers)}
