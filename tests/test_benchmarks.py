"""The benchmark's lower bound of calls, and its py-spy summaries of companies in threads and in processes alike.

``make bench`` profiles missed goals with ``py-spy record --subprocesses``: each stack then starts with the
processes it runs in, whose command lines may hold a ``;`` (the separator of frames), and a company synced in a worker
process runs in that process's main thread.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import bounds, profiles  # noqa: E402

PARENT = 'process 10:"/venv/bin/python -m benchmarks.child job.json"'
TRACKER = 'process 11:"/venv/bin/python -B -c from multiprocessing.resource_tracker import main;main(5)"'
WORKER = 'process 13:"/venv/bin/python -c from multiprocessing.forkserver import main; main(7, 8)"'
IN_WORKER = f"{PARENT};{WORKER};thread (13): MainThread;_process_worker (concurrent/futures/process.py:240)"
RUNNING = f"{IN_WORKER};_run_company (netvisor_sync/parallel.py:150);_run_company (netvisor_sync/sync.py:400)"
STACKS = {
    f"{RUNNING};SemLock.__enter__ (multiprocessing/synchronize.py:95)": 30,
    f"{RUNNING};Pipeline.load (dlt/pipeline/pipeline.py:600);execute_query (dlt/destinations/sql_client.py:9)": 50,
    f"{IN_WORKER};get (multiprocessing/queues.py:103);_recv (multiprocessing/connection.py:395)": 20,
    f"{PARENT};{TRACKER};thread (11): MainThread;main (multiprocessing/resource_tracker.py:9)": 90,
    f"{PARENT};thread (10): MainThread;run_in_processes (netvisor_sync/parallel.py:85)": 70,
    "thread (0x7f): netvisor_0;_run_company (netvisor_sync/sync.py:400);Pipeline.load (dlt/pipeline/pipeline.py:1)": 5,
}


def _raw(tmp_path: Path) -> Path:
    path = tmp_path / "profile.txt"
    path.write_text("".join(f"{stack} {count}\n" for stack, count in STACKS.items()))
    return path


def test_a_worker_process_main_thread_is_a_company_thread_and_other_processes_are_not(tmp_path: Path) -> None:
    total, phases = profiles.categorize(_raw(tmp_path), thread_filter="netvisor_")
    assert total == 30 + 50 + 20 + 5
    assert dict(phases) == {
        profiles.LOCK_WAIT: 30,
        "dlt load into DuckDB (merge jobs)": 55,
        profiles.IDLE_WORKER: 20,
    }


def test_hottest_frames_leave_out_the_idle_helper_processes(tmp_path: Path) -> None:
    top = dict(profiles.self_top(_raw(tmp_path)))
    assert "main (multiprocessing/resource_tracker.py)" not in top
    assert "run_in_processes (netvisor_sync/parallel.py)" not in top
    assert top["SemLock.__enter__ (multiprocessing/synchronize.py)"] == 30


def test_a_command_line_with_a_semicolon_does_not_become_a_frame() -> None:
    thread, frames = profiles.split_stack(f"{PARENT};{TRACKER};thread (11): MainThread;main (x.py:1)")
    assert thread == "thread (11): MainThread"
    assert frames == ["main (x.py:1)"]


def test_an_incremental_bound_counts_the_invoices_whose_payments_changed() -> None:
    changed = {"salesinvoice": 1080, "salesorder": 72, "salespayment": 894, bounds.PAID_TOO: 1965}
    incremental = bounds.lower_bound(changed, first_run=False)
    assert incremental["salesinvoicelist"] == 1965 // 500 + 1 + 1  # invoices (paid ones too), then preinvoices
    assert incremental["getsalesinvoice"] == 4
    full = bounds.lower_bound({"salesinvoice": 1080, bounds.PAID_TOO: 1965}, first_run=True)
    assert full["getsalesinvoice"] == 3  # a first run reads every invoice once: payments add nothing
