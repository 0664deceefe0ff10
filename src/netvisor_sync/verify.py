"""Prove a loaded dataset is complete: compare each company's tables and trial balance with Netvisor's own lists.

Use :func:`verify` (or ``netvisor-sync verify``) after a sync, e.g. nightly after the scheduled one, to know the
warehouse holds exactly what Netvisor holds. It reads Netvisor the same read-only way the sync does and never writes
to the destination. Per company, the checks are:

* **rows** (every selected table): the keys in the destination against the keys of the table's list resource read in
  full (:func:`netvisor_sync.fetch.full_listing`: no change filter, no details, paged as the sync pages it, from
  ``start_date`` on). Missing and extra keys are both mismatches. ``account_balances`` is a snapshot of
  ``accountbalance.nv`` taken at the last sync, so it is compared at the dates it holds, values (debit, credit,
  balance) included; a verify on a later day does not flag it just for being a day old.
* **lines** (child tables): the (parent key, position) pairs. Where the list itself carries the lines
  (``voucher_lines`` from ``accountingledger``, ``dimension_items`` from ``dimensionlist``) this is free and always
  done. Invoice and order lines come only from detail calls, so they are compared only with ``deep=True``
  (``ceil(n / 500)`` detail calls per table); without it the check counts loaded lines whose parent Netvisor does
  not list (orphans), which needs no call.
* **balance** (with ``vouchers``): the loaded valid voucher lines summed per account up to each month end of the
  period against the trial balance (``accountbalance.nv`` with ``balancedates`` and ``intervaltype=3``; Balance =
  Debet - Kredit from valid vouchers up to the date). With ``start_date`` the comparison is of the movement since
  the day before ``start_date`` (history before it is not loaded), else of absolute balances. Exact ``Decimal``
  equality; the expected column counts account-date balances and the loaded column those that agree.

Calls per company: the listing calls of a first sync, without its detail calls (``n // 500 + 1`` per key-paged list,
1 per unpaged list (per ``start_date`` window when one is set), 1 for reference lists), one
``accountbalance`` for the snapshot table and one for the trial balance, plus the detail calls of ``deep``. A table
whose resource Netvisor refuses (``SERVICE_ACCESS_ERROR``) is reported as a mismatch with the fix; the rest go on.
"""

from __future__ import annotations

import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import dlt
from dlt.destinations.exceptions import DatabaseUndefinedRelation

from netvisor_sync.auth import Credentials
from netvisor_sync.catalog import Entry, select_entries
from netvisor_sync.errors import RIGHTS_FIX, ConfigError, ServiceAccessError
from netvisor_sync.fetch import Fetch, Key, Record, Window, balance_params, full_listing
from netvisor_sync.options import ORGANISATION
from netvisor_sync.source import DEFAULT_BASE_URL, HELSINKI, client_fetch
from netvisor_sync.sync import DEFAULT_DATASET, DEFAULT_DUCKDB_FILE, resolve_destination
from netvisor_sync.transport import NetvisorClient

#: differing keys shown per check
SHOWN = 3
#: the statuses of vouchers that do not count in balances (the sync deletes them)
VOID_STATUSES = ("invalidated", "deleted")
#: child tables whose lines arrive with the list itself (no detail call needed)
LISTED_LINES = frozenset({"voucher_lines", "dimension_items"})


@dataclass(frozen=True)
class Check:
    """One comparison for one company: what Netvisor has, what the destination has, and the first differences.

    ``expected``/``loaded`` count rows (``rows``), lines (``lines``) or account-date balances (``balance``: loaded
    counts those that agree); ``expected`` is ``None`` where Netvisor was not asked (lines without ``deep``).
    ``mismatches`` counts every differing key; ``differences`` shows the first few.
    """

    organisation_id: str
    check: str
    table: str
    expected: int | None
    loaded: int
    mismatches: int = 0
    differences: tuple[str, ...] = ()
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.mismatches == 0


@dataclass
class VerifyReport:
    """Every check of one :func:`verify` run; ``ok`` is False on any mismatch."""

    destination: str
    dataset_name: str
    checks: list[Check] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks)

    @property
    def mismatched(self) -> list[Check]:
        return [check for check in self.checks if not check.ok]

    def check(self, organisation_id: str, check: str, table: str) -> Check:
        return next(c for c in self.checks if (c.organisation_id, c.check, c.table) == (organisation_id, check, table))

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for ``--json`` output and logs), with the ``ok`` flags."""
        data = asdict(self)
        data["ok"] = self.ok
        for item, check in zip(data["checks"], self.checks, strict=True):
            item["ok"] = check.ok
        return data


def verify(
    companies: Sequence[Credentials],
    *,
    destination: Any = "duckdb",
    dataset_name: str = DEFAULT_DATASET,
    base_url: str = DEFAULT_BASE_URL,
    http_transport: Any = None,
    tables: Sequence[str] | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    deep: bool = False,
    clock: Callable[[], datetime] | None = None,
) -> VerifyReport:
    """Compare every company's loaded tables and trial balance with Netvisor (see the module docstring).

    Args:
        companies: one :class:`~netvisor_sync.auth.Credentials` per company to verify.
        destination: where the sync loaded to, as ``run_sync`` takes it (``"duckdb"``, a ``.duckdb`` path, a
            ``postgresql://`` URL or a dlt destination).
        dataset_name: the dataset (schema) the sync wrote.
        base_url: Netvisor host.
        http_transport: an ``httpx`` transport for the clients (tests: the emulator's WSGI app).
        tables: tables to verify (default all); child tables select their parent.
        start_date: the sync's ``start_date``: history before it was not loaded, so it is not expected.
        end_date: the last trial-balance date (default today).
        deep: also compare invoice and order lines, with detail calls.
        clock: Netvisor's local time now (naive Europe/Helsinki); this machine's clock by default.

    Raises:
        ConfigError: no company, unknown tables, or ``end_date`` before ``start_date``.
    """
    started = time.monotonic()
    if not companies:
        raise ConfigError("no company to verify: set organisation_id in [sources.netvisor] (a business id or a list)")
    entries = select_entries(list(tables) if tables else None)
    today = (clock() if clock else datetime.now(HELSINKI).replace(tzinfo=None)).date()
    end = end_date or today
    if start_date is not None and end < start_date:
        raise ConfigError(f"the end date {end} is before start_date {start_date}")
    _check_duckdb_file(destination)
    dest, label = resolve_destination(destination)
    report = VerifyReport(label, dataset_name)
    with LoadedData(dest, dataset_name) as loaded:
        for credentials in companies:
            with NetvisorClient(credentials, base_url=base_url, transport=http_transport) as client:
                company = CompanyCheck(
                    credentials.organisation_id, client_fetch(client, "verify", None), loaded, today, start_date
                )
                report.checks.extend(company.run(entries, end, deep=deep))
                for resource, stats in client.stats.by_resource.items():
                    report.calls[resource] = report.calls.get(resource, 0) + stats.calls
    report.seconds = time.monotonic() - started
    return report


def _check_duckdb_file(destination: Any) -> None:
    """A missing DuckDB file is a typo: connecting would create an empty one and report every row missing."""
    if not isinstance(destination, str):
        return
    path = DEFAULT_DUCKDB_FILE if destination == "duckdb" else destination
    if path.endswith((".duckdb", ".db")) and not Path(path).is_file():
        raise ConfigError(f"no DuckDB file at {path}: give the file `sync` loaded to (--destination)")


# ---------------------------------------------------------------------------------------------- the destination


class LoadedData:
    """Read-only queries over the dataset the sync wrote, through dlt's SQL client (DuckDB, Postgres, ...).

    A throwaway pipeline in a temporary directory attaches to the destination, so verifying leaves no pipeline state
    behind and never touches the sync's own pipelines.
    """

    def __init__(self, destination: Any, dataset_name: str) -> None:
        self._workdir = tempfile.TemporaryDirectory(prefix="netvisor-verify-")
        pipeline = dlt.pipeline(
            pipeline_name="netvisor_verify",
            destination=destination,
            dataset_name=dataset_name,
            pipelines_dir=self._workdir.name,
        )
        self._client: Any = pipeline.sql_client()

    def __enter__(self) -> LoadedData:
        self._client.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self._client.__exit__(*exc)
        finally:
            self._workdir.cleanup()

    def rows(self, table: str, columns: Sequence[str], organisation_id: str) -> list[tuple[Any, ...]] | None:
        """``columns`` of the company's rows, or ``None`` if the table does not exist."""
        names = ", ".join(self._client.escape_column_name(c) for c in columns)
        sql = f"SELECT {names} FROM {self._client.make_qualified_table_name(table)} WHERE {ORGANISATION} = %s"  # noqa: S608
        try:
            return [tuple(row) for row in self._client.execute_sql(sql, organisation_id) or []]
        except DatabaseUndefinedRelation:
            return None

    def ledger(self, organisation_id: str, start_date: date | None) -> list[tuple[Any, date, Decimal]] | None:
        """Valid voucher lines summed per (account number, voucher date), or ``None`` if not loaded."""
        lines, vouchers = (self._client.make_qualified_table_name(t) for t in ("voucher_lines", "vouchers"))
        void = ", ".join(f"'{status}'" for status in VOID_STATUSES)
        sql = (
            f"SELECT l.account_number, v.voucher_date, SUM(l.line_sum) FROM {lines} AS l JOIN {vouchers} AS v "  # noqa: S608
            f"ON v.{ORGANISATION} = l.{ORGANISATION} AND v.netvisor_key = l.voucher_key "
            f"WHERE l.{ORGANISATION} = %s AND COALESCE(LOWER(v.status), 'valid') NOT IN ({void}) "
            f"{'AND v.voucher_date >= %s ' if start_date else ''}GROUP BY l.account_number, v.voucher_date"
        )
        params = (organisation_id, start_date) if start_date else (organisation_id,)
        try:
            rows = self._client.execute_sql(sql, *params) or []
        except DatabaseUndefinedRelation:
            return None
        return [(account, day, Decimal(total or 0)) for account, day, total in rows]


# ------------------------------------------------------------------------------------------------------ checking


@dataclass
class CompanyCheck:
    """The checks of one company: Netvisor (through ``fetch``) against the destination (``loaded``)."""

    organisation_id: str
    fetch: Fetch
    loaded: LoadedData
    today: date
    start_date: date | None

    def run(self, entries: Iterable[Entry], end: date, *, deep: bool) -> Iterator[Check]:
        for entry in entries:
            try:
                # built in full first: a refused call must not leave half of an entry's checks behind
                yield from list(self.entry(entry, end, deep=deep))
            except ServiceAccessError as error:
                yield self.blocked(entry, error)

    def entry(self, entry: Entry, end: date, *, deep: bool) -> Iterator[Check]:
        if entry.computed == "balancedates":
            yield self.balances_table(entry)
            return
        window = Window(today=self.today, start_date=self.start_date)
        listed = [_summary(entry, record) for record in full_listing(entry, self.fetch, window)]
        yield self.rows(entry, listed)
        for child in entry.children:
            yield self.lines(entry, child.table, listed, deep=deep)
        if entry.table == "vouchers":
            yield self.trial_balance(end)

    def blocked(self, entry: Entry, error: ServiceAccessError) -> Check:
        """A table Netvisor would not list cannot be proven complete: a mismatch that says how to allow it."""
        found, _ = self._loaded(entry.table, entry.key)
        fix = RIGHTS_FIX.format(resource=f"{error.resource or entry.resource}.nv")
        return Check(self.organisation_id, "rows", entry.table, None, len(found), 1, (), f"not verified: {fix}")

    def _loaded(self, table: str, columns: Sequence[str]) -> tuple[list[tuple[Any, ...]], str]:
        rows = self.loaded.rows(table, columns, self.organisation_id)
        return (rows, "") if rows is not None else ([], "table not in the destination")

    def rows(self, entry: Entry, listed: list[Listed]) -> Check:
        """The keys of ``entry``'s table against the keys Netvisor lists."""
        expected = {key for key, _ in listed}
        found, note = self._loaded(entry.table, entry.key)
        return self._compare("rows", entry.table, expected, set(found), note=note)

    def lines(self, entry: Entry, table: str, listed: list[Listed], *, deep: bool) -> Check:
        """(parent key, position) of a child table against the list's lines, or the detail calls' with ``deep``."""
        child = next(c for c in entry.children if c.table == table)
        found, note = self._loaded(table, (child.parent_key, child.position))
        if table in LISTED_LINES:
            expected = {(key[0], n) for key, counts in listed for n in range(1, counts.get(child.field, 0) + 1)}
            return self._compare("lines", table, expected, set(found), note=note)
        if deep and entry.detail is not None:
            details = self._details(entry, [key[0] for key, _ in listed])
            return self._compare("lines", table, _positions(details, child.field), set(found), note=note)
        parents = {key[0] for key, _ in listed}
        orphans = sorted((key for key in found if key[0] not in parents), key=repr)
        return Check(
            self.organisation_id,
            "lines",
            table,
            None,
            len(found),
            len(orphans),
            tuple(f"orphan {_show(key)}" for key in orphans[:SHOWN]),
            note or "lines of unlisted parents only; --deep compares every line",
        )

    def _details(self, entry: Entry, keys: list[Any]) -> list[Record]:
        assert entry.detail is not None
        detail, records = entry.detail, list[Record]()
        for first in range(0, len(keys), detail.batch_limit):
            batch = ",".join(str(key) for key in keys[first : first + detail.batch_limit])
            page = self.fetch(detail.resource, {**detail.params, detail.batch_param: batch})
            records.extend(page.records)
        return records

    def balances_table(self, entry: Entry) -> Check:
        """``account_balances`` against ``accountbalance.nv`` at the dates it holds, values included."""
        columns = (*entry.key, "debit", "credit", "balance")
        found, note = self._loaded(entry.table, columns)
        dates = sorted({row[1] for row in found})
        params = (
            {"balancedates": ",".join(day.isoformat() for day in dates), "intervaltype": "0"}
            if dates
            else balance_params(self.start_date, self.today)
        )
        listed = self.fetch(entry.resource, params).records
        expected = {_balance_row(record) for record in listed}
        return self._compare("rows", entry.table, expected, {_balance_row(row) for row in found}, note=note, width=2)

    def trial_balance(self, end: date) -> Check:
        """Σ loaded valid voucher lines per account up to each month end against the trial balance."""
        opening = self.start_date - timedelta(days=1) if self.start_date else None
        if opening is not None:
            params = {"balancedates": f"{opening.isoformat()},{end.isoformat()}", "intervaltype": "3"}
        else:
            params = balance_params(None, end)
        netvisor: dict[tuple[str, date], Decimal] = {}
        for record in self.fetch("accountbalance", params).records:
            balance = record.get("balance")
            if balance is None:
                balance = (record.get("debit") or Decimal(0)) - (record.get("credit") or Decimal(0))
            netvisor[str(record.get("account_number")), record["balance_date"]] = balance
        ledger = self.loaded.ledger(self.organisation_id, self.start_date)
        note = "" if ledger is not None else "voucher tables not in the destination"
        dates = sorted({day for _, day in netvisor if day != opening})
        accounts = sorted({account for account, _ in netvisor} | {str(row[0]) for row in ledger or []})
        expected = {
            (account, day): netvisor.get((account, day), Decimal(0))
            - (netvisor.get((account, opening), Decimal(0)) if opening else Decimal(0))
            for account in accounts
            for day in dates
        }
        sums = _cumulative(ledger or [], dates)
        differing = [
            (key, value, sums.get(key, Decimal(0))) for key, value in expected.items() if sums.get(key, 0) != value
        ]
        return Check(
            self.organisation_id,
            "balance",
            "voucher_lines",
            len(expected),
            len(expected) - len(differing),
            len(differing),
            tuple(
                f"{account} @ {day}: netvisor {_amount(value)}, loaded {_amount(mine)}"
                for (account, day), value, mine in differing[:SHOWN]
            ),
            note or ("movement since " + opening.isoformat() if opening else ""),
        )

    def _compare(
        self, check: str, table: str, expected: set[Key], found: set[Key], *, note: str = "", width: int = 0
    ) -> Check:
        missing = sorted(expected - found, key=repr)
        extra = sorted(found - expected, key=repr)
        shown = [f"missing {_show(key, width)}" for key in missing[:SHOWN]]
        shown += [f"extra {_show(key, width)}" for key in extra[: max(0, SHOWN - len(shown))]]
        return Check(
            self.organisation_id, check, table, len(expected), len(found), len(missing) + len(extra), tuple(shown), note
        )


#: a listed row, reduced to what the checks need: its key and the number of lines per child list
Listed = tuple[Key, dict[str, int]]


def _summary(entry: Entry, record: Record) -> Listed:
    counts = {child.field: len(record.get(child.field) or []) for child in entry.children}
    return tuple(record.get(column) for column in entry.key), counts


def _positions(records: Iterable[Record], field_name: str) -> set[Key]:
    """(parent key, 1-based position) of every line, numbered as the source numbers them."""
    return {
        (record.get("netvisor_key"), number)
        for record in records
        for number, _ in enumerate(record.get(field_name) or [], start=1)
    }


def _balance_row(row: Mapping[str, Any] | tuple[Any, ...]) -> Key:
    if isinstance(row, tuple):
        key, day, debit, credit, balance = row
    else:
        key, day = row.get("netvisor_key"), row.get("balance_date")
        debit, credit, balance = row.get("debit"), row.get("credit"), row.get("balance")
    return (key, day, *(None if value is None else Decimal(value).normalize() for value in (debit, credit, balance)))


def _cumulative(ledger: Iterable[tuple[Any, date, Decimal]], dates: Sequence[date]) -> dict[tuple[str, date], Decimal]:
    """Per account, the sum of every (account, day) total dated on or before each of ``dates``."""
    by_account: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for account, day, total in ledger:
        by_account[str(account)].append((day, total))
    sums: dict[tuple[str, date], Decimal] = {}
    for account, totals in by_account.items():
        totals.sort()
        running, next_total = Decimal(0), 0
        for day in sorted(dates):
            while next_total < len(totals) and totals[next_total][0] <= day:
                running += totals[next_total][1]
                next_total += 1
            sums[account, day] = running
    return sums


def _amount(value: Decimal) -> str:
    """``4262.620000`` -> ``4262.62``: cents always shown, trailing zeros beyond them dropped (the value is exact)."""
    cents = value.quantize(Decimal("0.01"))
    return str(cents if cents == value else value.normalize())


def _show(key: Key, width: int = 0) -> str:
    """A key for a message: ``123``, ``123/2`` (parent/position), or the first ``width`` parts."""
    parts = key[:width] if width else key
    return "/".join(str(part) for part in parts)
