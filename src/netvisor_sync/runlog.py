"""The run log: every sync of a company, as JSON lines in a file beside its dlt pipeline, for ``status``.

dlt's own trace keeps only the last run, says "succeeded" when a table was skipped (its steps raised nothing), and
lives in the pipeline's working directory, which dlt wipes when it restores state from the destination or drops a
failed package. So each company's runs are kept here instead, in ``<pipelines dir>/<pipeline name>.runs.jsonl``:
one line when a run starts and one when it ends, written whatever the outcome (a failed load, a refused company, an
interrupted run). A run that has a start line and no end line did not finish: the process was killed, or it is
still running.

The file holds at most :data:`KEEP_RUNS` runs: when it has grown to twice that, the oldest are dropped (the file is
rewritten whole and swapped in, so a reader never sees half of it).
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: runs kept per company
KEEP_RUNS = 200
SUFFIX = ".runs.jsonl"
logger = logging.getLogger(__name__)


@dataclass
class SkippedTable:
    """A table a run skipped, and why."""

    table: str
    resource: str
    reason: str
    fix: str


@dataclass
class RunRecord:
    """One run of one company: what was asked, and, once it ended, what happened.

    ``finished_at`` is ``None`` for a run that did not finish. ``ok`` is true only when nothing was skipped and
    nothing failed (the CLI's exit code 0).
    """

    run_id: str
    organisation_id: str
    started_at: str
    #: the tables asked for (document tables: their lines come with them)
    tables: list[str] = field(default_factory=list)
    full_refresh: bool = False
    reconcile: bool = False
    finished_at: str | None = None
    ok: bool | None = None
    seconds: float | None = None
    rows: dict[str, int] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    skipped: list[SkippedTable] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    load_id: str | None = None

    @property
    def finished(self) -> bool:
        return self.finished_at is not None

    @property
    def outcome(self) -> str:
        """``succeeded``, ``failed``, ``incomplete`` (tables skipped) or ``did not finish``."""
        if not self.finished:
            return "did not finish"
        if self.ok:
            return "succeeded"
        return "failed" if self.errors else "incomplete"

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunRecord:
        known = {f.name for f in fields(cls)}
        values = {name: value for name, value in data.items() if name in known}
        values["skipped"] = [SkippedTable(**item) for item in values.get("skipped") or []]
        return cls(**values)


def log_path(pipelines_dir: str | Path, pipeline_name: str) -> Path:
    """Where the runs of the pipeline ``pipeline_name`` are logged (beside its working directory)."""
    return Path(pipelines_dir) / f"{pipeline_name}{SUFFIX}"


def start_run(
    path: Path, organisation_id: str, *, tables: Iterable[str], full_refresh: bool, reconcile: bool
) -> RunRecord:
    """Log the start of a run and return its record (to :func:`finish_run` later)."""
    record = RunRecord(
        run_id=uuid.uuid4().hex,
        organisation_id=organisation_id,
        started_at=now(),
        tables=list(tables),
        full_refresh=full_refresh,
        reconcile=reconcile,
    )
    append(path, record)
    return record


def finish_run(path: Path, record: RunRecord) -> None:
    """Log the end of a run: ``record`` with its outcome filled in (``finished_at`` is set here)."""
    record.finished_at = now()
    append(path, record)
    _trim(path)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def append(path: Path, record: RunRecord) -> None:
    """Add one line; a failure to write is logged and raised as ``OSError`` (the caller decides what it costs)."""
    line = json.dumps(asdict(record), ensure_ascii=False, sort_keys=True) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as file:
        file.write(line)
        file.flush()


def read_runs(path: Path, *, last: int | None = None) -> list[RunRecord]:
    """The runs logged in ``path``, newest first (``last`` of them); the latest line of each run wins.

    Lines that are not records (a line cut short when the process was killed while writing) are skipped.
    """
    if not path.exists():
        return []
    runs: dict[str, RunRecord] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = RunRecord.from_json(json.loads(line))
        except (ValueError, TypeError):
            continue
        runs[record.run_id] = record  # a later line replaces the record but keeps its place: runs in start order
    ordered = list(reversed(runs.values()))
    return ordered if last is None else ordered[:last]


def _trim(path: Path) -> None:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    if len(lines) <= 2 * KEEP_RUNS * 2:  # two lines a run: trimmed once twice KEEP_RUNS runs are logged
        return
    keep = {record.run_id for record in read_runs(path, last=KEEP_RUNS)}
    kept = [line for line in lines if _run_id(line) in keep]
    spare = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    spare.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")
    os.replace(spare, path)


def _run_id(line: str) -> str | None:
    try:
        value = json.loads(line).get("run_id")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) else None
