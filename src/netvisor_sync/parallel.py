"""Companies side by side in worker processes, so a run of many companies uses every core.

Python runs one thread at a time, and a company's sync is busy between its Netvisor calls (parsing, Arrow tables,
dlt's extract and normalize), so companies in threads overlap only their waiting: on any number of cores, a run of
many companies went no faster than one core. :func:`run_in_processes` gives each of up to ``workers`` processes one
company at a time instead; what stays serial is what must:

* **One request at a time per company.** A company runs in exactly one process, whose transport holds the
  organisation lock as in a threaded run.
* **One writer at a time.** The state restore and the load of every company take one lock shared by all the
  processes (DuckDB is a single-writer file; serial loads keep companies out of each other's staging dataset,
  dlt#4297), exactly as the threads of one process share :data:`netvisor_sync.sync._LOAD_LOCK`.
* **Progress and logs** come back to this process over a queue: the caller's progress callback and logging
  configuration see what they see in a threaded run.

Workers are forked from a fork server that has imported netvisor-sync (and dlt) once, so a worker starts in a
fraction of a second, and no worker is forked from a process that runs other threads. Each job carries this
process's environment and working directory, which the worker takes before it reads any dlt setting: a fork server
started earlier would otherwise hand workers an environment from before the caller's last change.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import multiprocessing
import os
import signal
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext
from typing import Any, cast

from netvisor_sync.auth import Credentials
from netvisor_sync.config import pipeline_name
from netvisor_sync.report import Progress, ProgressEvent

#: modules the fork server imports once, so that every worker forked from it starts with them loaded
PRELOAD = ["netvisor_sync.sync"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CompanyJob:
    """What one company's run needs besides its credentials, in plain values a worker process can be sent.

    ``options`` are :func:`netvisor_sync.options.make_options` arguments and ``tables`` the table selection (already
    checked by the caller); ``environ`` and ``cwd`` are the caller's, taken by the worker before it reads settings.
    """

    base_url: str
    destination: Any  # as run_sync takes it; a worker process is sent only names, URLs and paths
    dataset_name: str
    tables: list[str] | None
    options: dict[str, Any]
    pipelines_dir: str | None
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: str = field(default_factory=os.getcwd)
    #: the caller's level for netvisor-sync's loggers: a worker sends only the records the caller would have logged
    log_level: int = field(default_factory=lambda: logging.getLogger("netvisor_sync").getEffectiveLevel())


def run_in_processes(
    job: CompanyJob, companies: Sequence[Credentials], workers: int, progress: Progress | None
) -> list[Any]:
    """Each company's :class:`~netvisor_sync.sync.CompanySummary`, in the order given, from up to ``workers``
    worker processes. A worker that dies (killed, out of memory) fails its company, not the run."""
    context = _context()
    events: Any = context.Queue()
    lock = context.RLock()
    relay = threading.Thread(target=_relay, args=(events, progress), name="netvisor-relay", daemon=True)
    relay.start()
    try:
        with ProcessPoolExecutor(
            max_workers=min(workers, len(companies)),
            mp_context=context,
            initializer=_start_worker,
            initargs=(events, lock),
        ) as pool:
            futures = [pool.submit(_run_company, job, credentials) for credentials in companies]
            try:
                results = [_result(future, c) for future, c in zip(futures, companies, strict=True)]
            except KeyboardInterrupt:
                _interrupt(pool, futures)
                raise
    finally:
        events.put(None)
        relay.join()
        events.close()
    return results


def _interrupt(pool: ProcessPoolExecutor, futures: list[Future[Any]]) -> None:
    """Ctrl-C: no company starts any more, and the workers are interrupted too.

    A terminal sends SIGINT to the workers as well; a signal sent to this process alone is passed on, so that the
    workers stop as a threaded run's companies do (before their next batch; a running load finishes).
    """
    for future in futures:
        future.cancel()
    for process in list(getattr(pool, "_processes", {}).values()):  # the executor keeps no public list of them
        if process.is_alive() and process.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGINT)


def _context() -> BaseContext:
    """A fork server where the platform has one (Linux, macOS), else fresh interpreters (Windows)."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def _result(future: Future[Any], credentials: Credentials) -> Any:
    from netvisor_sync.sync import CompanySummary  # noqa: PLC0415 - sync imports this module

    try:
        return future.result()
    except Exception as error:  # the worker died or its result could not come back: this company failed
        org = credentials.organisation_id
        return CompanySummary(org, pipeline_name(org), errors=[f"{org}: the worker process failed: {error!r}"])


# ------------------------------------------------------------------------------------------ this (the caller's) side


def _relay(events: Any, progress: Progress | None) -> None:
    """Hand every event and log record the workers send to the caller's callback and loggers, until ``None``."""
    while True:
        item = events.get()
        if item is None:
            return
        kind, payload = item
        if kind == "log":
            logging.getLogger(payload.name).handle(payload)
        elif progress is not None:
            try:
                progress(payload)
            except Exception:  # a broken callback must not stop the relay (the workers would block on a full queue)
                logger.exception("the progress callback failed on %s", payload)


# ----------------------------------------------------------------------------------------------- the worker's side

_WORKER: dict[str, Any] = {}


def _start_worker(events: Any, lock: Any) -> None:
    """Runs once in each worker: its load lock is the shared one, its log records and events go to ``events``."""
    from netvisor_sync import sync  # noqa: PLC0415 - preloaded by the fork server

    sync.share_load_lock(lock)
    _WORKER["events"] = events
    # a QueueHandler only ever calls put_nowait; its type asks for a whole queue
    logging.getLogger().handlers[:] = [logging.handlers.QueueHandler(cast(Any, _Tagged(events)))]


def _run_company(job: CompanyJob, credentials: Credentials) -> Any:
    from netvisor_sync import sync  # noqa: PLC0415

    os.environ.clear()
    os.environ.update(job.environ)
    os.chdir(job.cwd)
    logging.getLogger().setLevel(job.log_level)
    events = _WORKER["events"]
    cancel = threading.Event()

    def forward(event: ProgressEvent) -> None:
        events.put(("event", event))

    def interrupted(signum: int, frame: Any) -> None:
        cancel.set()  # the company's tables stop before their next call, also those already waiting for a turn
        signal.default_int_handler(signum, frame)

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        return sync.run_company(job, credentials, progress=forward, cancel=cancel)
    finally:
        signal.signal(signal.SIGINT, previous)


class _Tagged:
    """The queue as a :class:`logging.handlers.QueueHandler` sees it: records go in tagged as logs."""

    def __init__(self, events: Any) -> None:
        self._events = events

    def put_nowait(self, record: logging.LogRecord) -> None:
        self._events.put(("log", record))
