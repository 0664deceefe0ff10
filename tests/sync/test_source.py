"""The dlt source over a fake Netvisor into DuckDB: exact lines, deletes, reference replaces, skips, exclusions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import dlt
import duckdb
import pytest

from netvisor_sync.catalog import select_entries
from netvisor_sync.options import make_options
from netvisor_sync.report import RunReport
from netvisor_sync.source import CompanyReader, Plan, planned_source

from .fakes import NOW, FakeNetvisor, invoice

ORG_A, ORG_B = "1234567-8", "7654321-0"
Run = Callable[..., RunReport]


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """``run(fakes_by_org, tables, **options)``: one pipeline run; returns the source's report."""
    pipeline = dlt.pipeline(
        "fake_sync",
        destination=dlt.destinations.duckdb(str(tmp_path / "fake.duckdb")),
        dataset_name="nv",
        pipelines_dir=str(tmp_path / "pipelines"),
    )

    def go(fakes: dict[str, FakeNetvisor], tables: list[str], **options: Any) -> RunReport:
        report = RunReport()
        readers = [CompanyReader(org, fake.fetch_for) for org, fake in fakes.items()]
        now = next(iter(fakes.values())).now
        plan = Plan(select_entries(tables), readers, make_options(**options), report, clock=lambda: now)
        pipeline.run(planned_source(plan), loader_file_format="parquet")
        return report

    go.pipeline = pipeline  # type: ignore[attr-defined]
    go.db = str(tmp_path / "fake.duckdb")  # type: ignore[attr-defined]
    return go


def query(run: Run, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(run.db, read_only=True) as con:  # type: ignore[attr-defined]
        return con.sql(sql).fetchall()


def test_changed_documents_replace_their_lines_exactly_and_deletes_remove_them(run: Run) -> None:
    fake = FakeNetvisor(invoices={k: invoice(k, 5) for k in range(1, 5)})
    run({ORG_A: fake}, ["sales_invoices"])
    assert query(run, "select count(*) from nv.sales_invoice_lines") == [(20,)]

    fake.now += timedelta(days=1)
    fake.invoices[1] = invoice(1, 3, modified=fake.now)
    fake.invoices[2] = invoice(2, 0, modified=fake.now)
    del fake.invoices[3]
    fake.deleted_invoices[3] = fake.now
    run({ORG_A: fake}, ["sales_invoices"])

    assert query(run, "select netvisor_key from nv.sales_invoices order by 1") == [(1,), (2,), (4,)]
    lines = query(run, "select sales_invoice_key, count(*) from nv.sales_invoice_lines group by 1 order by 1")
    assert lines == [(1, 3), (4, 5)]
    assert query(run, "select count(*) from nv.sales_invoices where _deleted is not null") == [(0,)]
    # the second run asked only for what changed since the first run's server time minus the lookback
    # (and, as a payment leaves its invoice's modification time alone, for invoices whose payments changed)
    since = (NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert ("salesinvoicelist", {"lastmodifiedstart": since, "includemodifiedpayments": "1"}) in fake.params


def test_reference_tables_replace_one_company_and_leave_the_other(run: Run) -> None:
    a = FakeNetvisor(accounts={1: {"netvisor_key": 1, "name": "Cash"}, 2: {"netvisor_key": 2, "name": "Bank"}})
    b = FakeNetvisor(accounts={1: {"netvisor_key": 1, "name": "Kassa"}})
    run({ORG_A: a, ORG_B: b}, ["accounts"])
    del a.accounts[2]
    a.accounts[1]["name"] = "Cash and bank"
    run({ORG_A: a, ORG_B: b}, ["accounts"])
    rows = query(run, "select organisation_id, netvisor_key, name from nv.accounts order by 1, 2")
    assert rows == [(ORG_A, 1, "Cash and bank"), (ORG_B, 1, "Kassa")]


def test_a_refused_resource_skips_its_table_and_keeps_its_cursor(run: Run) -> None:
    fake = FakeNetvisor(invoices={1: invoice(1, 2)}, accounts={1: {"netvisor_key": 1, "name": "Cash"}})
    fake.blocked = {"getsalesinvoice"}
    report = run({ORG_A: fake}, ["sales_invoices", "accounts"])
    [skipped] = report.skipped
    assert (skipped.table, skipped.resource) == ("sales_invoices", "getsalesinvoice")
    assert skipped.fix == "allow getsalesinvoice.nv in Netvisor: Company menu → Rights of interface resources"
    assert query(run, "select count(*) from nv.accounts") == [(1,)]
    state = run.pipeline.state["sources"]["netvisor"]["resources"]  # type: ignore[attr-defined]
    assert "cursor" not in state.get("sales_invoices", {}).get(ORG_A, {})
    assert "cursor" in state["accounts"][ORG_A]

    fake.blocked = set()
    fake.calls.clear()
    run({ORG_A: fake}, ["sales_invoices"])
    assert fake.params[-3][1] == {}  # no cursor: the whole list is read again
    assert query(run, "select count(*) from nv.sales_invoice_lines") == [(2,)]


def test_excluded_columns_never_land(run: Run) -> None:
    fake = FakeNetvisor(invoices={1: invoice(1, 2)})
    run({ORG_A: fake}, ["sales_invoices"], exclude_columns=["sales_invoice_lines.product_name", "status"])
    columns = set(query(run, "select table_name || '.' || column_name from information_schema.columns"))
    assert ("sales_invoice_lines.product_name",) not in columns
    assert ("sales_invoices.status",) not in columns
    assert ("sales_invoices.invoice_number",) in columns


def test_reconcile_deletes_customers_netvisor_no_longer_lists(run: Run) -> None:
    fake = FakeNetvisor()
    fake.customers = {k: {"netvisor_key": k, "name": f"c{k}", "modified": NOW} for k in (1, 2, 3)}
    run({ORG_A: fake}, ["customers"])
    del fake.customers[2]
    run({ORG_A: fake}, ["customers"])
    assert query(run, "select count(*) from nv.customers") == [(3,)]  # without reconcile nothing says it is gone
    fake.calls.clear()
    run({ORG_A: fake}, ["customers"], reconcile=True)
    assert query(run, "select netvisor_key from nv.customers order by 1") == [(1,), (3,)]
    assert fake.calls["customerlist"] == 2  # the key listing and the change-filtered list


def test_frozen_schema_refuses_a_new_column(run: Run) -> None:
    fake = FakeNetvisor(invoices={1: invoice(1, 1)})
    run({ORG_A: fake}, ["sales_invoices"], schema_contract="freeze")
    fake.now += timedelta(days=1)
    fake.invoices[1] = {**invoice(1, 1, modified=fake.now), "surprise": "new element"}
    with pytest.raises(Exception, match=r"frozen|contract"):
        run({ORG_A: fake}, ["sales_invoices"], schema_contract="freeze")


def test_money_dates_and_flags_get_their_declared_types(run: Run) -> None:
    run({ORG_A: FakeNetvisor(invoices={1: invoice(1, 1)})}, ["sales_invoices"])
    types = dict(
        query(
            run,
            "select table_name || '.' || column_name, data_type from information_schema.columns "
            "where table_schema = 'nv'",
        )
    )
    assert types["sales_invoices.amount"] == "DECIMAL(18,2)"
    assert types["sales_invoices.invoice_date"] == "DATE"
    assert types["sales_invoices.is_in_collection"] == "BOOLEAN"
    assert types["sales_invoice_lines.line_sum"].startswith("DECIMAL(")
    assert "sales_invoice_lines.invoice_number" not in types  # lines do not inherit the document's columns
