"""A company's dlt working dir made one the next run can carry on from, wherever a killed run stopped.

A run can die at any instruction (the OOM killer, a second Ctrl-C, a reboot). dlt (1.31, ``constraints.txt``) keeps
each pipeline's work in ``<pipelines dir>/netvisor_<id>/`` and moves a load package through it by renaming whole
directories, which is atomic, but some of its steps are a rename *and* a delete, which together are not:

``normalize/<random>/<load id>``
    extract writes a package here and renames it to ``normalize/extracted`` when the extract is complete. A killed
    extract leaves it behind; dlt never reads or removes it. Deleted here.
``normalize/extracted/<load id>``
    complete extracted packages: the rows read *and* the pipeline state with the moved cursors (dlt saved the same
    state locally when the extract ended). The next ``normalize`` normalizes them; kept.
``load/new/<load id>``
    normalize's scratch copy; dlt deletes it itself before it normalizes the same package again, so a half-written
    one is harmless while its extracted package is there. Deleted here when that package is gone.
``load/normalized/<load id>``
    complete load packages (normalize renamed them here as a whole): dlt's ``load`` loads every one of them, in
    order, jobs a killed load had started included. Kept, always: only their load moves the destination's cursors.
``load/loaded/<load id>``
    loaded (or aborted) packages; kept.

The gap this module closes: normalize renames ``load/new/<id>`` to ``load/normalized/<id>`` and only then deletes
``normalize/extracted/<id>``. Killed in between (or half-way through that delete), the next run normalized the same
package again and failed renaming it onto the committed one ("[Errno 39] Directory not empty"), and the sync failed.
The extracted copy of a package that is already committed (normalized or loaded) holds nothing the committed one
lacks, so :func:`repair` deletes it.

What :func:`repair` cannot vouch for it says (``Repair.untrusted``), and the caller then loads the complete load
packages and :func:`reset`\\ s the working dir, so that the run restores its state from the destination (dlt's
``sync_destination``): cursors of the last load that succeeded, and the changes since are read again. This is the
case of an extracted package without its schema or package state (killed while deleting it, without a committed
copy), and of a run killed while it aborted its packages after a failure (:func:`aborting`): dlt deletes those
packages *before* it rewinds the local state, so in between the local cursors are ahead of any data.

Two syncs of the same company at the same time are not supported (dlt's working dir is not built for it); this
module assumes that no other process works in the same pipeline's working dir while it runs.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from dlt.common.storages import LoadStorage, NormalizeStorage, PackageStorage

logger = logging.getLogger(__name__)

#: where :func:`reset` moves a working dir before deleting it (in the pipelines dir, not named like a pipeline)
TRASH = ".netvisor-sync-trash"
#: marker file in a working dir while its pending packages are being aborted (:func:`aborting`)
ABORTING = "netvisor_sync_aborting"

_EXTRACTED = Path("normalize", NormalizeStorage.EXTRACTED_FOLDER)
_NEW = Path("load", LoadStorage.NEW_PACKAGES_FOLDER)
_COMMITTED = (Path("load", LoadStorage.NORMALIZED_FOLDER), Path("load", LoadStorage.LOADED_FOLDER))
#: what every complete package has (dlt's ``PackageStorage.create_package`` and ``save_schema``)
_PACKAGE_FILES = (PackageStorage.SCHEMA_FILE_NAME, PackageStorage.LOAD_PACKAGE_STATE_FILE_NAME)


@dataclass
class Repair:
    """What :func:`repair` did to a working dir, and whether its local state can be trusted."""

    #: leftovers deleted, relative to the working dir
    removed: list[str] = field(default_factory=list)
    #: why the local state cannot be trusted (then :func:`reset`); None if it can
    untrusted: str | None = None
    #: load the complete load packages before the reset (not when they were being aborted)
    load_first: bool = True


def _packages(working_dir: Path, stage: Path) -> set[str]:
    folder = working_dir / stage
    return {p.name for p in folder.iterdir() if p.is_dir()} if folder.is_dir() else set()


def _delete(working_dir: Path, relative: Path, repair: Repair) -> None:
    shutil.rmtree(working_dir / relative)
    repair.removed.append(str(relative))
    logger.info("removed %s of a run that was killed, from %s", relative, working_dir)


def repair(working_dir: str | Path) -> Repair:
    """Delete what killed runs left in ``working_dir`` that dlt would trip over or never clean; see the module.

    Never deletes a package that is not also committed elsewhere in the working dir: the extracted copy of a
    normalized or loaded package, normalize's scratch copy of a package that is no longer extracted, extract's
    scratch of a killed extract. Safe to run again if killed itself: each step is one directory of its own.
    """
    base = Path(working_dir)
    result = Repair()
    if not base.is_dir():
        return result
    if (base / ABORTING).exists():
        result.untrusted = "a run was killed while it aborted its pending packages"
        result.load_first = False
        return result
    committed = set().union(*(_packages(base, stage) for stage in _COMMITTED))
    extracted = _packages(base, _EXTRACTED)
    for load_id in sorted(extracted & committed):
        _delete(base, _EXTRACTED / load_id, result)
    extracted -= committed
    for load_id in sorted(_packages(base, _NEW) - extracted):
        _delete(base, _NEW / load_id, result)
    normalize = base / "normalize"
    if normalize.is_dir():
        for scratch in sorted(p.name for p in normalize.iterdir() if p.is_dir() and p.name != _EXTRACTED.name):
            _delete(base, Path("normalize", scratch), result)
    for load_id in sorted(extracted):
        missing = [name for name in _PACKAGE_FILES if not (base / _EXTRACTED / load_id / name).is_file()]
        if missing:
            result.untrusted = f"the extracted package {load_id} is incomplete (no {', '.join(missing)})"
            break
    return result


def reset(working_dir: str | Path) -> None:
    """Delete ``working_dir`` as one step: renamed into the pipelines dir's trash first (atomic), deleted from there.

    A run killed half-way through deleting a working dir in place could leave its state (cursors moved by packages
    already deleted) behind; renamed away, the working dir is either all there or all gone. Trash of earlier resets
    is deleted too.
    """
    base = Path(working_dir)
    trash = base.parent / TRASH
    if base.is_dir():
        trash.mkdir(exist_ok=True)
        base.rename(trash / f"{base.name}-{uuid.uuid4().hex}")
        logger.warning("reset the working dir %s; its state is restored from the destination", base)
    if trash.is_dir():
        shutil.rmtree(trash, ignore_errors=True)


@contextmanager
def aborting(working_dir: str | Path) -> Iterator[None]:
    """Mark ``working_dir`` while its pending packages are aborted; a run killed meanwhile leaves the mark behind.

    dlt deletes the packages first and then rewinds the local state, and records the abort itself only for a
    package that was being loaded; the mark tells :func:`repair` not to trust the state in between.
    """
    mark = Path(working_dir) / ABORTING
    if not mark.parent.is_dir():  # nothing was written: nothing to abort
        yield
        return
    mark.touch()
    yield
    mark.unlink()
