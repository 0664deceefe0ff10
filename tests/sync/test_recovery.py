"""``recovery.repair`` deletes only what a killed run left that is committed elsewhere, and says when the local state
cannot be trusted; ``reset`` removes a working dir in one step. (The runs themselves: tests/reliability/
test_crash_points.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from netvisor_sync import recovery
from netvisor_sync.sync import status


def package(base: Path, stage: str, load_id: str, *, complete: bool = True) -> Path:
    folder = base / stage / load_id
    (folder / "new_jobs").mkdir(parents=True)
    (folder / "new_jobs" / "customers.abc.0.parquet").write_bytes(b"rows")
    if complete:
        (folder / "schema.json").write_text("{}")
        (folder / "load_package_state.json").write_text("{}")
    return folder


@pytest.fixture
def working_dir(tmp_path: Path) -> Path:
    base = tmp_path / "netvisor_1234567_8"
    for stage in ("normalize/extracted", "load/new", "load/normalized", "load/loaded"):
        (base / stage).mkdir(parents=True)
    (base / "state.json").write_text("{}")
    return base


def test_the_extracted_copy_of_a_committed_package_and_scratch_are_deleted_the_rest_kept(working_dir: Path) -> None:
    package(working_dir, "normalize/extracted", "1.1")  # committed, extracted copy not yet deleted
    package(working_dir, "load/normalized", "1.1")
    package(working_dir, "normalize/extracted", "1.2", complete=False)  # half deleted after its commit
    package(working_dir, "load/loaded", "1.2")
    package(working_dir, "load/new", "1.2")  # normalize's scratch of a package no longer extracted
    package(working_dir, "normalize/extracted", "1.3")  # pending, with a half-written scratch copy
    package(working_dir, "load/new", "1.3")
    package(working_dir, "load/normalized", "1.0")  # complete, not loaded yet
    package(working_dir, "normalize/k3j5a9x1", "1.4", complete=False)  # a killed extract's scratch

    repaired = recovery.repair(working_dir)

    assert repaired.untrusted is None
    assert sorted(repaired.removed) == [
        "load/new/1.2",
        "normalize/extracted/1.1",
        "normalize/extracted/1.2",
        "normalize/k3j5a9x1",
    ]
    assert sorted(p.name for p in (working_dir / "normalize/extracted").iterdir()) == ["1.3"]
    assert sorted(p.name for p in (working_dir / "load/new").iterdir()) == ["1.3"]
    assert sorted(p.name for p in (working_dir / "load/normalized").iterdir()) == ["1.0", "1.1"]
    assert (working_dir / "load/normalized/1.1/new_jobs/customers.abc.0.parquet").read_bytes() == b"rows"
    assert recovery.repair(working_dir).removed == []  # nothing more the second time


def test_an_incomplete_extracted_package_without_a_committed_copy_makes_the_state_untrusted(working_dir: Path) -> None:
    package(working_dir, "load/normalized", "1.0")
    package(working_dir, "normalize/extracted", "1.1", complete=False)

    repaired = recovery.repair(working_dir)

    assert repaired.untrusted is not None
    assert "1.1" in repaired.untrusted
    assert repaired.load_first  # the complete package 1.0 is loaded before the reset
    assert (working_dir / "normalize/extracted/1.1").is_dir()  # deleting it is the reset's business


def test_a_run_killed_while_aborting_makes_the_state_untrusted_and_nothing_is_loaded_first(working_dir: Path) -> None:
    package(working_dir, "load/normalized", "1.0")
    aborting = recovery.aborting(working_dir)
    aborting.__enter__()  # and never left: the run was killed
    assert (working_dir / recovery.ABORTING).exists()

    repaired = recovery.repair(working_dir)

    assert repaired.untrusted is not None
    assert "abort" in repaired.untrusted
    assert not repaired.load_first
    with recovery.aborting(working_dir):
        pass
    assert not (working_dir / recovery.ABORTING).exists()


def test_reset_removes_the_working_dir_and_earlier_trash_and_status_never_sees_the_trash(working_dir: Path) -> None:
    package(working_dir, "load/normalized", "1.0")
    leftover = working_dir.parent / recovery.TRASH / "netvisor_1234567_8-old"
    leftover.mkdir(parents=True)

    recovery.reset(working_dir)

    assert not working_dir.exists()
    assert not (working_dir.parent / recovery.TRASH).exists()
    recovery.reset(working_dir)  # nothing there: nothing happens
    assert status(working_dir.parent) == []
