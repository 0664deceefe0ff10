"""How the command line shows things: access tables, progress bars, the sync summary, status, verify checks, queries.

Everything prints through rich: tables and results on stdout, progress and errors on stderr (so stdout stays
clean for piping). The progress bars are fed by ``run_sync``'s :class:`~netvisor_sync.report.ProgressEvent`
callback, which arrives from worker threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from netvisor_sync.access import CompanyAccess
from netvisor_sync.report import Progress, ProgressEvent

if TYPE_CHECKING:
    from netvisor_sync.runlog import RunRecord
    from netvisor_sync.sync import CompanyStatus, SyncSummary
    from netvisor_sync.verify import VerifyReport

R = TypeVar("R")


def out() -> Console:
    """Results: stdout. Made per use so a redirected ``sys.stdout`` (tests, pipes) is honoured."""
    return Console(highlight=False)


def err() -> Console:
    """Progress, warnings and errors: stderr."""
    return Console(stderr=True, highlight=False)


def print_access(access: CompanyAccess) -> None:
    """One company's ``check`` result: a row per resource, blocked ones with the fix."""
    console = out()
    if not access.authenticated:
        message = f"[bold red]{access.organisation_id}: authentication failed.[/] {escape(access.error)}"
        err().print(message, soft_wrap=True)
        return
    console.print(f"Company {access.organisation_id}:")
    table = Table()
    table.add_column("resource")
    table.add_column("access")
    table.add_column("tables")
    table.add_column("fix / note")
    for item in access.resources:
        status = "[green]allowed[/]" if item.allowed else "[bold red]blocked[/]"
        table.add_row(f"{item.resource}.nv", status, ", ".join(item.tables), escape(item.note))
    console.print(table)
    if access.ok:
        console.print(
            f"{access.organisation_id}: authenticated; all {len(access.resources)} resources allowed.", soft_wrap=True
        )
    else:
        console.print(
            f"[bold red]{access.organisation_id}: {len(access.blocked)} of {len(access.resources)} resources "
            "blocked.[/] Allow them in Netvisor: Company menu → Rights of interface resources.",
            soft_wrap=True,
        )


def with_progress(tables_per_company: int, run: Callable[[Progress], R]) -> R:
    """Run ``run`` with a rich progress display fed by its :class:`~netvisor_sync.report.ProgressEvent` callback."""
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("tables · {task.fields[calls]} calls · {task.fields[rows]} records · {task.fields[step]}"),
        TimeElapsedColumn(),
    )
    with RichProgress(*columns, console=err(), transient=False) as bars:
        return run(ProgressBars(bars, tables_per_company))


class ProgressBars:
    """One bar per company (tables done of tables selected), fed by ``run_sync``'s events from worker threads."""

    def __init__(self, bars: RichProgress, tables_per_company: int) -> None:
        self._bars = bars
        self._total = tables_per_company
        self._tasks: dict[str, TaskID] = {}
        self._lock = threading.Lock()

    def __call__(self, event: ProgressEvent) -> None:
        with self._lock:
            task = self._task(event.organisation_id)
            fields = self._bars.tasks[self._tasks[event.organisation_id]].fields
            if event.kind == "page":
                self._bars.update(task, calls=fields["calls"] + 1, rows=fields["rows"] + event.rows, step=event.table)
            elif event.kind == "table_done":
                self._bars.advance(task)
            elif event.kind == "skipped":
                self._bars.advance(task)
                message = f"[yellow]{event.organisation_id}: skipped {event.table}:[/] {escape(event.message)}"
                self._bars.console.print(message, soft_wrap=True)
            elif event.kind == "loading":
                self._bars.update(task, step="loading into the destination")
            elif event.kind == "company_done":
                self._bars.update(task, completed=self._total, step="done")
            elif event.kind == "failed":
                self._bars.update(task, step="[red]failed[/]")

    def _task(self, organisation_id: str) -> TaskID:
        if organisation_id not in self._tasks:
            self._tasks[organisation_id] = self._bars.add_task(
                organisation_id, total=self._total, calls=0, rows=0, step="starting"
            )
        return self._tasks[organisation_id]


def print_summary(summary: SyncSummary) -> None:
    """Rows per table and company, API calls and duration, warnings, skipped tables with the fix, errors."""
    console = out()
    console.print(f"Synced into {summary.destination}, dataset {summary.dataset_name}:", soft_wrap=True)
    table = Table()
    for name in ("company", "table", "rows", "deleted"):
        table.add_column(name, justify="right" if name in ("rows", "deleted") else "left")
    for company in summary.companies:
        for name in sorted(set(company.rows) | set(company.deleted)):
            table.add_row(
                company.organisation_id, name, f"{company.rows.get(name, 0):,}", _count(company.deleted, name)
            )
    console.print(table)
    calls = sum(company.total_calls for company in summary.companies)
    retries = sum(company.retries for company in summary.companies)
    console.print(f"{calls:,} Netvisor API calls ({retries} retried) in {summary.seconds:.1f} s.")
    for company in summary.companies:
        for warning in company.warnings:
            console.print(f"[yellow]Warning ({company.organisation_id}):[/] {escape(warning)}", soft_wrap=True)
    for item in summary.skipped:
        console.print(
            f"[yellow]Skipped {item.table} of {item.organisation_id}:[/] {escape(item.reason)}\n  Fix: {item.fix}",
            soft_wrap=True,
        )
    for error in summary.errors:
        err().print(f"[bold red]Failed:[/] {escape(error)}", soft_wrap=True)
    if summary.ok:
        console.print("[green]Sync complete.[/]")
    else:
        console.print("[bold red]Sync incomplete:[/] see the skipped tables and errors above.")


def _count(counts: dict[str, int], name: str) -> str:
    return f"{counts[name]:,}" if counts.get(name) else ""


def print_status(companies: Sequence[CompanyStatus], *, all_tables: int = 0) -> None:
    """Each company's last runs and cursors, or how to start when there are none.

    ``all_tables``: how many catalog entries a sync of everything selects (a run that selected all says so).
    """
    console = out()
    if not companies:
        console.print("No syncs yet. Run `netvisor-sync sync` (or `netvisor-sync demo` to try it on the emulator).")
        return
    for company in companies:
        outcome = _last_outcome(company)
        console.print(
            f"Company {company.organisation_id} (pipeline {company.pipeline_name}): last run "
            f"{_moment(company.last_run)}" + (f", {outcome}" if company.last_run else ""),
            soft_wrap=True,
        )
        if company.runs:
            console.print(_runs_table(company.runs, all_tables))
        table = Table()
        table.add_column("table")
        table.add_column("cursor: Netvisor time (Helsinki) the next sync reads changes from")
        for name, cursor in sorted(company.cursors.items()):
            table.add_row(name, cursor)
        console.print(table)


_OUTCOMES = {
    "succeeded": "[green]succeeded[/]",
    "incomplete": "[yellow]incomplete[/]",
    "failed": "[red]failed[/]",
    "did not finish": "[yellow]did not finish[/]",
}


def _last_outcome(company: CompanyStatus) -> str:
    if company.latest is not None:
        return _OUTCOMES[company.latest.outcome]
    if company.last_run_ok is False:
        return _OUTCOMES["failed"]
    return "outcome unknown (synced before netvisor-sync logged its runs)"


def _runs_table(runs: Sequence[RunRecord], all_tables: int) -> Table:
    """One row per run, newest first: when, how long, outcome, rows and calls, what was asked, what went wrong."""
    table = Table(title=f"last {len(runs)} run{'s' if len(runs) != 1 else ''}", title_justify="left")
    for name in ("started", "seconds", "result", "rows", "calls", "asked", "skipped / errors"):
        table.add_column(name, justify="right" if name in ("seconds", "rows", "calls") else "left")
    for run in runs:
        asked = "all tables" if all_tables and len(run.tables) >= all_tables else ", ".join(run.tables)
        asked += "".join(
            f" + {flag}" for flag, on in (("full refresh", run.full_refresh), ("reconcile", run.reconcile)) if on
        )
        problems = [f"skipped {s.table}: {s.fix}" for s in run.skipped] + list(run.errors)
        if not run.finished:
            problems.append("no end was logged: the process was stopped, or it is still running")
        table.add_row(
            _moment(run.started_at),
            f"{run.seconds:.1f}" if run.seconds is not None else "",
            _OUTCOMES[run.outcome],
            f"{sum(run.rows.values()):,}" if run.finished else "",
            f"{sum(run.calls.values()):,}" if run.finished else "",
            escape(asked),
            escape("; ".join(problems)),
        )
    return table


def print_verify(report: VerifyReport) -> None:
    """One row per check (company, check, table, expected, loaded, ok/MISMATCH, first differences), then a verdict."""
    console = out()
    console.print(f"Verified {report.destination}, dataset {report.dataset_name}, against Netvisor:", soft_wrap=True)
    table = Table()
    for name in ("company", "check", "table", "expected", "loaded", "result", "differences / note"):
        table.add_column(name, justify="right" if name in ("expected", "loaded") else "left")
    for check in report.checks:
        expected = "–" if check.expected is None else f"{check.expected:,}"
        result = "[green]ok[/]" if check.ok else "[bold red]MISMATCH[/]"
        shown = list(check.differences)
        if check.mismatches > len(shown):
            shown.append(f"… {check.mismatches - len(shown):,} more")
        detail = "; ".join([*shown, *([check.note] if check.note else [])])
        table.add_row(
            check.organisation_id, check.check, check.table, expected, f"{check.loaded:,}", result, escape(detail)
        )
    console.print(table)
    calls = sum(report.calls.values())
    console.print(f"{calls:,} Netvisor API calls in {report.seconds:.1f} s.")
    if report.ok:
        console.print(f"[green]Verified: all {len(report.checks)} checks match Netvisor.[/]")
    else:
        console.print(
            f"[bold red]{len(report.mismatched)} of {len(report.checks)} checks do not match Netvisor.[/] "
            "A sync fixes changes made since the last one; `sync --full-refresh` reloads the tables.",
            soft_wrap=True,
        )


def _moment(text: str | None) -> str:
    """``2026-11-22T03:21:53.165473+00:00`` -> ``2026-11-22 03:21:53 UTC``; anything else as it is."""
    if not text:
        return "never"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.utcoffset() is not None:
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def print_query(path: Path, sql: str, title: str) -> None:
    """Run ``sql`` on the DuckDB file read-only and print it with its result."""
    import duckdb  # noqa: PLC0415

    with duckdb.connect(str(path), read_only=True) as connection:
        cursor = connection.execute(sql)
        names = [column[0] for column in cursor.description or []]
        rows = cursor.fetchall()
    console = out()
    console.print(f"\n{title}\n")
    console.print(sql, highlight=False, markup=False, soft_wrap=True)
    table = Table()
    for name in names:
        table.add_column(name, justify="left" if name == "name" else "right")
    for row in rows:
        table.add_row(*(escape(str(value)) for value in row))
    console.print(table)
