"""Run a sync over one or many companies: pipelines, workers, the destination lock, and the summary.

Design (why it is built this way):

* **One dlt pipeline per company**, ``netvisor_<business id>`` (``-`` -> ``_``, see
  :func:`~netvisor_sync.config.pipeline_name`), all writing the same dataset and tables (rows carry
  ``organisation_id``). State, cursors and load packages are per company, so companies never share a cursor. When
  the companies come from the settings
  (:func:`~netvisor_sync.config.load_settings`), a company's own identifiers may also live in its pipeline's section
  ``[netvisor_<id>.sources.netvisor]``, the dlt way.
* **Parallel across companies, serial within one.** ``workers`` worker processes (:mod:`netvisor_sync.parallel`;
  threads of this process when the caller passes objects that live here: an ``http_transport`` or a ``clock``) each
  take a company and run its extract and normalize. Within a company each table reads ahead in a thread of its own
  (``source._prefetched``), but only one Netvisor request of that company is in flight at a time (the transport holds
  a lock per organisation, and ``source.CALLERS`` lets only the next caller wait for it). Only ``load`` (and the
  state restore before extract) runs under one lock, shared by the worker processes: DuckDB is a single-writer file,
  and serial loads mean companies never share the staging dataset at the same time (dlt#4297). Netvisor calls, the
  slow part, overlap freely across companies.
* **Cursors move only with a successful load.** dlt writes the new state into the load package. If the load fails,
  the company's pending package and local working state are dropped, and the next run restores the state from the
  destination (``sync_destination``), i.e. the cursor of the last load that did succeed, and re-reads.
* **A killed run never blocks the next one.** Before its state is restored, each company's dlt working dir is repaired
  (:mod:`netvisor_sync.recovery`, under the lock): leftovers of a run killed between two of dlt's steps are deleted
  when a committed copy exists; complete load packages stay and are loaded by the run; where the local state cannot
  be trusted, the working dir is reset after the complete packages are loaded and the state comes from the
  destination.
* **Parquet everywhere**: the source yields Arrow tables; ``loader_file_format="parquet"`` keeps DuckDB off the
  ``insert_values`` path; ``_dlt_load_id`` is added to Arrow rows (``normalize.parquet_normalizer.add_dlt_load_id``).
* **full_refresh** drops the company's state and deletes its rows from the selected tables (before its load, under
  the lock), then reloads everything.

Use :func:`run_sync` from code and the CLI; :func:`status` reads the last runs and cursors back.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

import dlt
import duckdb
import pyarrow
from dlt.common.destination import Destination
from dlt.common.exceptions import DltException
from dlt.common.pipeline import get_dlt_pipelines_dir
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.destinations.impl.postgres.configuration import PostgresCredentials

from netvisor_sync import recovery, runlog
from netvisor_sync.auth import Credentials
from netvisor_sync.catalog import select_entries
from netvisor_sync.config import PIPELINE_PREFIX, load_settings, pipeline_name
from netvisor_sync.errors import ConfigError, NetvisorSyncError
from netvisor_sync.options import ORGANISATION, make_options
from netvisor_sync.parallel import CompanyJob, run_in_processes
from netvisor_sync.report import Progress, ProgressEvent, RunReport, Skipped
from netvisor_sync.source import DEFAULT_BASE_URL, CompanyReader, Plan, client_reader, planned_source

DEFAULT_DUCKDB_FILE = "netvisor.duckdb"
#: not ``netvisor``: DuckDB names the catalog after the file, and a catalog named like the dataset makes every
#: ``netvisor.<table>`` reference ambiguous (Binder Error), for dlt and for users alike
DEFAULT_DATASET = "netvisor_data"
DEFAULT_WORKERS = 4
#: load jobs at a time within one company's load (dlt's default is 20). Loads already run one company at a time
#: under a lock, and DuckDB is a single writer, so parallel jobs buy little time; but each one holds its file's
#: rows in memory at once, which made the load step the peak of a sync and grow with the data (measured on the
#: emulator's ``large`` profile, 6 months, 580k rows: load peak 870 MB with 20 workers, 508 MB with 1)
LOAD_WORKERS = 1
#: DuckDB settings of the load step, each one used unless the user's dlt config sets it
#: (``[destination.duckdb.credentials] global_config = {...}`` or ``DESTINATION__DUCKDB__CREDENTIALS__GLOBAL_CONFIG``).
#: DuckDB's own defaults (a buffer pool of 80 % of RAM, a thread per core) let the merge of a big load keep every
#: page it touched: the load step grew by ~250 MB at 1M rows and was the peak of a sync. With a small pool DuckDB
#: spills the merge to ``<file>.tmp`` instead. One thread and no insertion order let it spill more and hold less.
DUCKDB_LOAD_SETTINGS: dict[str, Any] = {"threads": 1, "preserve_insertion_order": False}
#: ``memory_limit`` of a load, MB: a fixed part plus a part per million rows of the load's largest table, never below
#: the floor. Part of a delete-insert merge cannot spill, and it grows with the rows merged into one table (measured:
#: re-merging 0.56M / 2.2M / 4.5M voucher lines needed 48-64 / 64-96 / 128-192 MB), so a fixed limit would fail big
#: first syncs with "Out of Memory Error"; this rule leaves about twice what was needed. 1M rows in all (the
#: emulator's ``large`` profile cut to 11 months): load peak 584 -> ~400 MB.
DUCKDB_MEMORY_MB = (64, 64, 128)  # (fixed, per million rows, floor)
#: DuckDB's other names for the same settings (a user who sets an alias has set the setting)
_DUCKDB_ALIASES = {"max_memory": "memory_limit", "worker_threads": "threads"}
#: settings dlt passes to ``duckdb.connect`` itself rather than setting them on the open connection
_DUCKDB_CONNECT_OPTIONS = ("custom_user_agent",)

R = TypeVar("R")
_LOAD_LOCK = threading.RLock()
logger = logging.getLogger(__name__)


@dataclass
class CompanySummary:
    """One company's run: rows per table, Netvisor calls per resource, what was skipped and what failed."""

    organisation_id: str
    pipeline_name: str
    rows: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    loaded: dict[str, int] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    seconds: float = 0.0
    skipped: list[Skipped] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    load_id: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and not self.skipped

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


@dataclass
class SyncSummary:
    """What one :func:`run_sync` did, per company; ``ok`` is False if anything was skipped or failed.

    Per company: ``rows`` rows read and upserted per table (lines tables included), ``deleted`` rows deleted per
    table, ``loaded`` what dlt wrote per table (delete markers included), ``calls`` successful Netvisor calls per
    resource, ``retries`` attempts after the first.
    """

    destination: str
    dataset_name: str
    companies: list[CompanySummary] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(company.ok for company in self.companies)

    @property
    def skipped(self) -> list[Skipped]:
        return [item for company in self.companies for item in company.skipped]

    @property
    def errors(self) -> list[str]:
        return [item for company in self.companies for item in company.errors]

    @property
    def calls(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for company in self.companies:
            for resource, count in company.calls.items():
                total[resource] = total.get(resource, 0) + count
        return total

    def rows_by_table(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for company in self.companies:
            for table, count in company.rows.items():
                total[table] = total.get(table, 0) + count
        return total

    def company(self, organisation_id: str) -> CompanySummary:
        return next(c for c in self.companies if c.organisation_id == organisation_id)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for ``--json`` output and logs): every field plus the ``ok`` flags."""
        data = asdict(self)
        data["ok"] = self.ok
        for company, summary in zip(data["companies"], self.companies, strict=True):
            company["ok"] = summary.ok
        return data


def run_sync(
    companies: Sequence[Credentials] | None = None,
    *,
    base_url: str | None = None,
    destination: Any = "duckdb",
    dataset_name: str = DEFAULT_DATASET,
    tables: Sequence[str] | None = None,
    exclude_columns: Sequence[str] = (),
    start_date: date | str | None = None,
    lookback: Any = None,
    full_refresh: bool = False,
    reconcile: bool = False,
    workers: int = DEFAULT_WORKERS,
    progress: Progress | None = None,
    pipelines_dir: str | Path | None = None,
    schema_contract: Any = "evolve",
    http_transport: Any = None,
    clock: Callable[[], datetime] | None = None,
    processes: bool | None = None,
) -> SyncSummary:
    """Sync every company into one dataset, companies in parallel, and say what happened.

    Args:
        companies: one :class:`~netvisor_sync.auth.Credentials` per company; default: read ``[sources.netvisor]``
            with :func:`netvisor_sync.config.load_settings` (which also gives ``base_url`` and ``start_date``).
        base_url: Netvisor host; default the settings' (production).
        destination: ``"duckdb"`` (file ``netvisor.duckdb`` in the working directory), a ``.duckdb`` path, a
            ``postgresql://`` URL, any dlt destination name (credentials from dlt config) or a dlt destination.
        dataset_name: schema/dataset to write.
        tables: tables to load (default all); child tables select their parent.
        exclude_columns: ``"column"`` (every table, nested JSON included), ``"table.column"`` or
            ``"table.column.field"`` (inside a JSON column); those values never land (:mod:`netvisor_sync.exclusions`).
        start_date: ledger start date; bounds history and drives the first sync's backfill windows.
        lookback: incremental overlap (hours, ``"36h"``, ``"2d"``; default one day).
        full_refresh: forget the companies' state and reload their rows from scratch.
        reconcile: list all keys of customers, vendors and products and delete those Netvisor no longer has; re-read
            and upsert every purchase payment (their edits arrive only so, or with ``full_refresh``).
        workers: companies synced at the same time.
        progress: called with a :class:`~netvisor_sync.report.ProgressEvent` per call, table and company.
        pipelines_dir: where dlt keeps pipeline working state (default dlt's, ``~/.dlt/pipelines``).
        schema_contract: ``"evolve"`` (default), ``"freeze"`` or a dlt contract dict.
        http_transport: an ``httpx`` transport for every client (tests: the emulator's WSGI app).
        clock: Netvisor's local time now (naive Europe/Helsinki) for delete-feed windows, and for cursors only when
            an answer has no ``ResponseStatus/TimeStamp`` (cursors are the server's time); this machine's clock by
            default (tests pass the emulator's clock so they can move time forward).
        processes: run companies in worker processes (:mod:`netvisor_sync.parallel`), so that a run of many
            companies uses ``workers`` cores; ``False``: threads of this process. Default: processes when more than
            one company and worker are asked for, the destination is given by name, URL or path, and neither
            ``http_transport`` nor ``clock`` (objects of this process) is given.

    Raises:
        ConfigError: bad settings, tables or options (nothing was called yet).
    """
    started = time.monotonic()
    if companies is None:
        settings = load_settings({"start_date": start_date} if start_date else None)
        companies, base_url, start_date = settings.companies, base_url or settings.base_url, settings.start_date
    if not companies:
        raise ConfigError("no company to sync: set organisation_id in [sources.netvisor] (a business id or a list)")
    if workers < 1:
        raise ConfigError(f"workers must be at least 1, not {workers}")
    entries = select_entries(list(tables) if tables else None)
    option_args = {
        "start_date": start_date,
        "lookback": lookback,
        "exclude_columns": list(exclude_columns),
        "reconcile": reconcile,
        "full_refresh": full_refresh,
        "schema_contract": schema_contract,
    }
    make_options(**option_args)  # checked here, before any company starts
    resolved, label = resolve_destination(destination)
    check_merges(resolved, label)
    _check_duckdb_name(DEFAULT_DUCKDB_FILE if destination == "duckdb" else destination, dataset_name)
    _enable_load_ids()
    summary = SyncSummary(destination=label, dataset_name=dataset_name)
    job = CompanyJob(
        base_url=base_url or DEFAULT_BASE_URL,
        destination=destination,
        dataset_name=dataset_name,
        tables=[entry.table for entry in entries],
        options=option_args,
        pipelines_dir=str(pipelines_dir) if pipelines_dir else None,
    )
    if processes is None:
        processes = len(companies) > 1 and workers > 1 and isinstance(destination, str)
        processes = processes and http_transport is None and clock is None
    if processes:
        summary.companies = run_in_processes(job, companies, workers, progress)
    else:
        summary.companies = _run_in_threads(
            job, companies, workers, progress=progress, http_transport=http_transport, clock=clock
        )
    summary.seconds = time.monotonic() - started
    return summary


def _run_in_threads(
    job: CompanyJob,
    companies: Sequence[Credentials],
    workers: int,
    *,
    progress: Progress | None,
    http_transport: Any,
    clock: Callable[[], datetime] | None,
) -> list[CompanySummary]:
    """Each company's run in a thread of this process, ``workers`` at a time.

    Ctrl-C reaches only this (the main) thread: it tells every company to stop before its next batch and call,
    waits for them (a load already running finishes; its cursors move only with it) and raises again.
    """
    cancel = threading.Event()

    def one(credentials: Credentials) -> CompanySummary:
        if cancel.is_set():
            raise KeyboardInterrupt
        return run_company(
            job, credentials, progress=progress, http_transport=http_transport, clock=clock, cancel=cancel
        )

    with ThreadPoolExecutor(max_workers=min(workers, len(companies)), thread_name_prefix="netvisor") as pool:
        futures = [pool.submit(one, credentials) for credentials in companies]
        try:
            return [future.result() for future in futures]
        except KeyboardInterrupt:
            cancel.set()
            for future in futures:
                future.cancel()
            raise


def run_company(
    job: CompanyJob,
    credentials: Credentials,
    *,
    progress: Progress | None = None,
    http_transport: Any = None,
    clock: Callable[[], datetime] | None = None,
    cancel: threading.Event | None = None,
) -> CompanySummary:
    """One company's whole run (what :func:`run_sync` does per company, in a thread or a worker process).

    ``cancel``: once set, the company's tables stop before their next batch
    (:class:`~netvisor_sync.errors.Interrupted`).
    """
    _enable_load_ids()
    entries = select_entries(job.tables)
    report = RunReport(progress=progress, cancelled=cancel or threading.Event())
    reader = client_reader(credentials, job.base_url, http_transport, report)
    plan = Plan(entries, [reader], make_options(**job.options), report, clock)
    try:
        return _sync_company(plan, reader, job.destination, job.dataset_name, job.pipelines_dir)
    finally:
        reader.client.close()


def share_load_lock(lock: Any) -> None:
    """Use ``lock`` (shared with other processes) for the state restore and the load of every company here."""
    global _LOAD_LOCK  # noqa: PLW0603 - set once, when a worker process starts
    _LOAD_LOCK = lock


def _sync_company(
    plan: Plan, reader: CompanyReader, destination: Any, dataset_name: str, pipelines_dir: str | Path | None
) -> CompanySummary:
    """One company's run, logged in its run log (:mod:`netvisor_sync.runlog`) whatever its outcome."""
    org = reader.organisation_id
    log = runlog.log_path(pipelines_dir or get_dlt_pipelines_dir(), pipeline_name(org))
    problems: list[str] = []
    run = _logged(problems, runlog.start_run, log, org, **_asked(plan))
    try:
        result = _run_company(plan, reader, destination, dataset_name, pipelines_dir)
    except BaseException as error:  # even an interrupt: the log says how the run ended
        if run is not None:
            run.errors.append(f"{org}: {_describe(error)}")
            run.ok = False
            _logged(problems, runlog.finish_run, log, run)
        raise
    if run is not None:
        _record(run, result)
        _logged(problems, runlog.finish_run, log, run)
    result.warnings += problems
    return result


def _asked(plan: Plan) -> dict[str, Any]:
    tables = [entry.table for entry in plan.entries]  # as asked: a document table stands for its lines too
    return {"tables": tables, "full_refresh": plan.options.full_refresh, "reconcile": plan.options.reconcile}


def _record(run: runlog.RunRecord, result: CompanySummary) -> None:
    run.ok = result.ok
    run.seconds = round(result.seconds, 3)
    run.rows, run.deleted, run.calls, run.retries = result.rows, result.deleted, result.calls, result.retries
    run.skipped = [runlog.SkippedTable(s.table, s.resource, s.reason, s.fix) for s in result.skipped]
    run.errors, run.warnings, run.load_id = list(result.errors), list(result.warnings), result.load_id


def _logged(problems: list[str], write: Callable[..., R], *args: Any, **kwargs: Any) -> R | None:
    """``write(...)``, or None and a warning if the run log cannot be written (the sync itself goes on)."""
    try:
        return write(*args, **kwargs)
    except OSError as error:
        logger.warning("the run log %s cannot be written: %s", args[0], error)
        problems.append(f"the run log {args[0]} cannot be written ({error}); `status` will not show this run")
        return None


def _run_company(
    plan: Plan, reader: CompanyReader, destination: Any, dataset_name: str, pipelines_dir: str | Path | None
) -> CompanySummary:
    """One company's extract, normalize and load; ``destination`` as given to :func:`run_sync`."""
    org = reader.organisation_id
    name = pipeline_name(org)
    result = CompanySummary(org, name)
    started = time.monotonic()
    plan.report.emit(ProgressEvent("company_started", org))
    where: dict[str, Any] = {"pipelines_dir": str(pipelines_dir)} if pipelines_dir else {}
    dest = resolve_destination(destination, load_rows=0)[0]
    pipeline = dlt.pipeline(pipeline_name=name, destination=dest, dataset_name=dataset_name, **where)
    try:
        with _LOAD_LOCK, held_open(destination):
            pipeline = _recovered(pipeline, result)
            pipeline.sync_destination()
        pipeline.extract(planned_source(plan), loader_file_format="parquet")
        normalized = pipeline.normalize()
        release_memory()
        plan.report.emit(ProgressEvent("loading", org))
        with _LOAD_LOCK, held_open(destination):
            if plan.options.full_refresh:
                _delete_company_rows(pipeline, org, [t for e in plan.entries for t in e.tables])
            load_info = pipeline.load(workers=LOAD_WORKERS, **_sized_for(destination, normalized))
        result.loaded = dict(normalized.row_counts) if normalized is not None else {}
        result.load_id = load_info.loads_ids[-1] if load_info.loads_ids else None
    except Exception as error:  # any failure of one company is reported; the others go on
        result.errors.append(f"{org}: {_describe(error)}")
        plan.report.emit(ProgressEvent("failed", org, message=_describe(error)))
    if result.errors:
        _forget_unloaded(pipeline)
    report = plan.report
    result.rows = {table: count for (_, table), count in report.rows.items()}
    result.deleted = {table: count for (_, table), count in report.deleted.items() if count}
    result.skipped = list(report.skipped)
    result.errors[:0] = report.errors
    result.warnings += report.warnings
    stats = reader.client.stats.by_resource
    result.calls = {resource: s.calls for resource, s in stats.items()}
    result.retries = sum(s.retries for s in stats.values())
    result.seconds = time.monotonic() - started
    plan.report.emit(ProgressEvent("company_done", org, rows=sum(result.rows.values())))
    return result


def release_memory() -> None:
    """Hand memory freed by extract and normalize back to the OS before DuckDB's buffer pool grows on top of it.

    Arrow's allocator (mimalloc) and glibc's arenas keep freed pages for reuse, so without this the load step
    started from extract's high-water mark (measured at 85k rows: 256 -> 225 MB before the load).
    """
    pyarrow.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS: nothing to trim there)."""
    name = ctypes.util.find_library("c")
    try:
        trim: Callable[[int], int] | None = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    except OSError:
        return None
    return trim


def _sized_for(destination: Any, normalized: Any) -> dict[str, Any]:
    """``pipeline.load`` arguments: for a DuckDB file, a destination whose memory limit fits the largest table."""
    if not _is_duckdb_file(destination) or normalized is None:
        return {}
    largest = max((n for table, n in normalized.row_counts.items() if not table.startswith("_dlt")), default=0)
    return {"destination": resolve_destination(destination, load_rows=largest)[0]}


@contextmanager
def held_open(destination: Any) -> Iterator[None]:
    """Keep a DuckDB file's database open for a whole pipeline step (no-op for other destinations).

    dlt opens the file for each job and closes it when the job ends; the last close of a database checkpoints its
    write-ahead log into the file and drops its buffers, so a load of 22 small tables spent most of its time reopening
    and checkpointing (``partner-test``, 3.9k rows: load step 8.1 -> 2.9 s on a busy machine; 20 open/close cycles of a
    small file 1.19 -> 0.08 s). DuckDB shares one database per file within a process, so one connection held here
    keeps it open between dlt's jobs, which still get their own connections and settings, and the file is
    checkpointed once, when this connection closes.
    """
    if not _is_duckdb_file(destination):
        yield
        return
    path = DEFAULT_DUCKDB_FILE if destination == "duckdb" else destination
    # the options DuckDB fixes when it opens a database must be the ones dlt opens it with, or dlt's connect fails
    opened_with = {name: value for name, value in duckdb_load_settings().items() if name in _DUCKDB_CONNECT_OPTIONS}
    connection = duckdb.connect(path, config=opened_with)
    try:
        yield
    finally:
        connection.close()


def _recovered(pipeline: Any, result: CompanySummary) -> Any:
    """``pipeline`` once what killed runs left in its working dir is cleaned (:mod:`netvisor_sync.recovery`).

    Where the local state cannot be trusted, the complete load packages are loaded first (their data and cursors
    belong together) and the working dir is reset, so that ``sync_destination`` restores the state of the last load
    that succeeded. Runs under the load lock.
    """
    repaired = recovery.repair(pipeline.working_dir)
    if repaired.untrusted is None:
        return pipeline
    logger.warning("%s: %s; resetting its working dir", pipeline.pipeline_name, repaired.untrusted)
    if repaired.load_first and pipeline.list_normalized_load_packages():
        pipeline.load(workers=LOAD_WORKERS)
    recovery.reset(pipeline.working_dir)
    result.warnings.append(
        f"{result.organisation_id}: {repaired.untrusted}; the local state was reset and restored from the "
        "destination, so the changes since the last successful load are read again"
    )
    return pipeline.drop()


def _forget_unloaded(pipeline: Any) -> None:
    """After a failed run: abort the pending package, which restores the local state to before it (dlt 1.30+).

    If even that fails, the local working dir is reset; the next run restores its state from the destination. A run
    killed during the abort leaves a mark that makes the next run do the same (:func:`recovery.aborting`).
    """
    with _LOAD_LOCK:
        try:
            with recovery.aborting(pipeline.working_dir):
                pipeline.abort_packages()
        except Exception:  # the abort itself failed: fall back to the destination's state
            logger.warning(
                "aborting the pending package of %s failed; dropping its local state", pipeline.pipeline_name
            )
            recovery.reset(pipeline.working_dir)
            pipeline.drop()


def _describe(error: BaseException) -> str:
    """The innermost netvisor-sync error if dlt wrapped one (an interrupt in plain words), else the error itself."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, NetvisorSyncError):
            return str(seen)
        if isinstance(seen, KeyboardInterrupt):
            return "interrupted (Ctrl-C); nothing of this run was loaded, the next run reads the same changes"
        seen = seen.__cause__ or seen.__context__
    return f"{type(error).__name__}: {error}"


def _delete_company_rows(pipeline: Any, organisation_id: str, tables: Sequence[str]) -> None:
    with pipeline.sql_client() as client:
        for table in tables:
            if not client.has_dataset() or table not in pipeline.default_schema.tables:
                continue
            qualified = client.make_qualified_table_name(table)
            try:
                client.execute_sql(f"DELETE FROM {qualified} WHERE {ORGANISATION} = %s", organisation_id)  # noqa: S608
            except Exception as error:  # a table not created yet has nothing to delete
                if "not exist" not in str(error).lower() and "does not exist" not in str(error).lower():
                    raise


def resolve_destination(destination: Any, *, load_rows: int | None = None) -> tuple[Any, str]:
    """A dlt destination (or name) for ``destination`` and a label for messages (never with credentials).

    ``load_rows``: the destination is for a sync's load of this many rows (in its largest table); a DuckDB file then
    gets :func:`duckdb_load_settings`.
    """
    if not isinstance(destination, str):
        return destination, getattr(destination, "destination_name", type(destination).__name__)
    if _is_duckdb_file(destination):
        path = DEFAULT_DUCKDB_FILE if destination == "duckdb" else destination
        if load_rows is None:
            return dlt.destinations.duckdb(credentials=path), f"duckdb ({path})"
        sized = DuckDbCredentials(path, global_config=duckdb_load_settings(load_rows))
        return dlt.destinations.duckdb(credentials=sized), f"duckdb ({path})"
    if destination.startswith(("postgresql://", "postgres://")):
        credentials = PostgresCredentials()
        credentials.parse_native_representation(destination)
        if credentials.password is None:  # trust/peer authentication: dlt would otherwise demand a password
            credentials.password = ""
        label = f"postgres ({credentials.host}/{credentials.database})"
        return dlt.destinations.postgres(credentials=credentials), label
    return destination, destination


#: the merge strategy every table is loaded with (source.TableSpec.hints)
MERGE_STRATEGY = "delete-insert"


def check_merges(destination: Any, label: str) -> None:
    """Refuse a destination that cannot merge rows, before anything is called.

    Every table is a ``delete-insert`` merge: changed lines replace the old ones, deletes remove rows, reference
    tables replace a company's rows. Where dlt cannot merge (``filesystem``, vector stores) it would append instead,
    so deletes and markers would pile up as rows while the summary said "ok"; and ``full_refresh`` needs SQL.

    Raises:
        ConfigError: the destination cannot merge, or is not one dlt can load into; the message names what works.
    """
    try:
        factory = destination if isinstance(destination, Destination) else Destination.from_reference(destination)
        if factory is None:
            raise ImportError("no destination given")
        strategies = list(factory.capabilities().supported_merge_strategies or [])
    except (DltException, ImportError) as error:
        raise ConfigError(
            f"--destination {label!r} is not a dlt destination this installation can load into ({error}). Use "
            "duckdb (the default), postgres, or another dlt destination."
        ) from None
    if MERGE_STRATEGY not in strategies:
        offered = f"only {', '.join(strategies)}" if strategies else "no merge at all"
        raise ConfigError(
            f"--destination {label} cannot merge rows the way netvisor-sync needs (dlt offers {offered} there, not "
            f"{MERGE_STRATEGY}): deletes, replaced invoice lines and reference tables would be appended as extra "
            "rows instead. Use duckdb (the default, a local file), postgres, or another SQL destination dlt merges "
            "into: motherduck, bigquery, snowflake, databricks, mssql, clickhouse, redshift, athena (Iceberg tables)."
        )


def duckdb_load_settings(rows: int = 0) -> dict[str, Any]:
    """DuckDB's ``global_config`` for a load of ``rows`` rows (in its largest table): the user's own from dlt config,
    plus each of :data:`DUCKDB_LOAD_SETTINGS` and the ``memory_limit`` of :data:`DUCKDB_MEMORY_MB` it does not set
    (names compared as DuckDB does: case-insensitive, aliases included).

    Passing ``global_config`` to the credentials overrides dlt config for that field, so the user's is read here;
    dlt still resolves the other credential fields (``pragmas``, ``local_config``, ``extensions``) from config.
    """
    fixed, per_million, floor = DUCKDB_MEMORY_MB
    ours = {
        "memory_limit": f"{max(floor, fixed + math.ceil(per_million * rows / 1_000_000))}MB",
        **DUCKDB_LOAD_SETTINGS,
    }
    user: dict[str, Any] = dict(dlt.config.get("destination.duckdb.credentials.global_config", dict) or {})
    given = {_DUCKDB_ALIASES.get(name.lower(), name.lower()) for name in user}
    return {**{name: value for name, value in ours.items() if name not in given}, **user}


def _is_duckdb_file(destination: Any) -> bool:
    return isinstance(destination, str) and (destination == "duckdb" or destination.endswith((".duckdb", ".db")))


def _check_duckdb_name(destination: Any, dataset_name: str) -> None:
    named_file = isinstance(destination, str) and destination.endswith((".duckdb", ".db"))
    if named_file and Path(destination).stem.lower() == dataset_name.lower():
        raise ConfigError(
            f"the DuckDB file {destination!r} and the dataset {dataset_name!r} have the same name, which makes "
            "table references ambiguous in DuckDB; choose another file name or dataset name (--dataset)"
        )


def _enable_load_ids() -> None:
    dlt.config["normalize.parquet_normalizer.add_dlt_load_id"] = True


# ------------------------------------------------------------------------------------------------------- status


@dataclass
class CompanyStatus:
    """One company's recent runs (newest first, from its run log) and each table's cursor (from its dlt state).

    ``last_run`` and ``last_run_ok`` describe the newest run: when it ended (or started, if it did not finish) and
    whether it succeeded (``False`` when a table was skipped or anything failed, ``None`` when it did not finish or
    nothing is logged).
    """

    organisation_id: str
    pipeline_name: str
    runs: list[runlog.RunRecord] = field(default_factory=list)
    cursors: dict[str, str] = field(default_factory=dict)
    last_run: str | None = None
    last_run_ok: bool | None = None
    #: the newest logged run (also when ``runs`` is cut to none)
    latest: runlog.RunRecord | None = None


#: runs ``status`` shows per company unless told otherwise
STATUS_RUNS = 5


def status(
    pipelines_dir: str | Path | None = None, organisation_ids: Sequence[str] | None = None, *, runs: int = STATUS_RUNS
) -> list[CompanyStatus]:
    """The last ``runs`` runs and the cursors of every company synced with ``pipelines_dir`` (dlt's by default).

    Companies are found by their pipeline directories (``netvisor_*``) and by their run logs, so a company whose
    every run failed before dlt kept any state is shown too.
    """
    base = Path(pipelines_dir) if pipelines_dir else Path(get_dlt_pipelines_dir())
    names: set[str] = set()
    if base.exists():
        names |= {p.name for p in base.glob(f"{PIPELINE_PREFIX}_*") if p.is_dir()}
        names |= {p.name.removesuffix(runlog.SUFFIX) for p in base.glob(f"{PIPELINE_PREFIX}_*{runlog.SUFFIX}")}
    if organisation_ids:
        names &= {pipeline_name(org) for org in organisation_ids}
    result = []
    for name in sorted(names):
        logged = runlog.read_runs(runlog.log_path(base, name))
        resources = _resource_states(base, name)
        orgs = sorted({org for table in resources.values() for org in table} | {r.organisation_id for r in logged})
        for org in orgs or [name]:
            own = [r for r in logged if r.organisation_id == org]
            entry = CompanyStatus(org, name, runs=own[:runs])
            entry.cursors = {
                table: str(state[org]["cursor"]) for table, state in resources.items() if "cursor" in state.get(org, {})
            }
            if own:
                entry.latest = own[0]
                entry.last_run, entry.last_run_ok = own[0].finished_at or own[0].started_at, own[0].ok
            else:
                entry.last_run, entry.last_run_ok = _last_trace(base, name)
            result.append(entry)
    return result


def _resource_states(base: Path, name: str) -> Mapping[str, Any]:
    """The netvisor source's resource states of one pipeline ({} when dlt keeps none there)."""
    if not (base / name).is_dir():
        return {}
    pipeline = dlt.attach(pipeline_name=name, pipelines_dir=str(base))
    resources: Mapping[str, Any] = pipeline.state.get("sources", {}).get("netvisor", {}).get("resources", {})
    return resources


def _last_trace(base: Path, name: str) -> tuple[str | None, bool | None]:
    """What dlt's trace says of the last run, for pipelines synced before runs were logged.

    A failed step means the run failed; steps without errors do not mean it succeeded (a skipped table raises
    nothing in dlt), so that is reported as unknown.
    """
    trace = dlt.attach(pipeline_name=name, pipelines_dir=str(base)).last_trace if (base / name).is_dir() else None
    if trace is None:
        return None, None
    moment = trace.finished_at.isoformat() if trace.finished_at else str(trace.started_at)
    return moment, False if any(step.step_exception is not None for step in trace.steps) else None
