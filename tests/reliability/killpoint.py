"""Run the ``netvisor-sync`` CLI and SIGKILL it at an exact point of its work (a child of the crash tests).

``python killpoint.py TARGET WHEN NTH [MATCH] -- CLI ARGS...`` wraps ``TARGET`` (``module:Class.attribute`` or
``module:function``) before the CLI starts and kills this very process with SIGKILL just ``before`` or ``after`` the
NTH call of it (counting only calls whose arguments, as text, contain ``MATCH`` if given): no ``finally``, no
``atexit``, no flush, the working dir stays exactly as that moment left it, the way the OOM killer or a power cut
leaves it. ``WHEN`` may also be ``rmtree:K``: the NTH call's first argument (after the instance, for a method) is a
directory; K of its files are deleted bottom-up (as ``shutil.rmtree`` does) and the process is killed before the
rest, i.e. killed in the middle of deleting that directory.

Only one company is synced, so the CLI runs it in a thread of this process and the wrapper is in force.
"""

from __future__ import annotations

import importlib
import inspect
import os
import signal
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class KillPoint:
    """SIGKILL the CLI ``when`` (``before``, ``after``, ``rmtree:K``) the ``nth`` call of ``target``, in ``phase``."""

    phase: str
    target: str
    when: str
    nth: int = 1
    match: str = ""
    #: what the working dir must show after the kill: (stage folder, "some"/"none" packages), checked so that each
    #: case provably creates the state it is named after
    leaves: tuple[tuple[str, bool], ...] = ()
    #: a package id in both stages: the extracted package of an already committed normalize is still there
    twin: tuple[str, str] | None = None

    def command(self, cli_args: list[str]) -> list[str]:
        """The command that runs the CLI with ``cli_args`` and kills it here."""
        where = [self.target, self.when, str(self.nth), *([self.match] if self.match else [])]
        return [sys.executable, str(Path(__file__)), *where, "--", *cli_args]


EXTRACTED, NEW, NORMALIZED = "normalize/extracted", "load/new", "load/normalized"

POINTS = {
    # extract: some answers read and written to dlt's extract files, no package committed, no state saved
    "extract-midway": KillPoint("extract", "httpx:Client.send", "after", nth=6, leaves=((EXTRACTED, False),)),
    # extract: the package (data + new cursors) committed to normalize/extracted, the local state not saved yet
    "extract-committed": KillPoint(
        "extract", "dlt.extract.extract:Extract.commit_packages", "after", leaves=((EXTRACTED, True),)
    ),
    # normalize: every file normalized into load/new, not committed
    "normalize-written": KillPoint(
        "normalize", "dlt.normalize.normalize:w_normalize_files", "after", leaves=((EXTRACTED, True), (NEW, True))
    ),
    # normalize: committed to load/normalized, its extracted package not yet deleted: the next normalize redid it and
    # failed to rename its result over the committed package ("Directory not empty")
    "normalize-committed": KillPoint(
        "normalize",
        "dlt.common.storages.load_storage:LoadStorage.commit_new_load_package",
        "after",
        leaves=((NORMALIZED, True),),
        twin=(EXTRACTED, NORMALIZED),
    ),
    # normalize: committed, and killed while deleting the extracted package (its schema and files half gone)
    "normalize-deleting-extracted": KillPoint(
        "normalize",
        "shutil:rmtree",
        "rmtree:3",
        match="normalize/extracted/",
        leaves=((NORMALIZED, True),),
        twin=(EXTRACTED, NORMALIZED),
    ),
    # load: the first job done, the others not
    "load-first-job": KillPoint(
        "load", "dlt.common.storages.load_package:PackageStorage.complete_job", "after", leaves=((NORMALIZED, True),)
    ),
    # load: every job and the merge done, the package not yet moved to load/loaded
    "load-all-jobs": KillPoint(
        "load",
        "dlt.common.storages.load_storage:LoadStorage.complete_load_package",
        "before",
        leaves=((NORMALIZED, True),),
    ),
}


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def delete_partly(directory: str, files: int) -> None:
    """Delete ``files`` files of ``directory`` in the order ``shutil.rmtree`` visits them, then die."""
    for root, _, names in os.walk(directory, topdown=False):
        for name in sorted(names):
            if files <= 0:
                die()
            Path(root, name).unlink()
            files -= 1
    die()


def install(target: str, when: str, nth: int, match: str = "") -> None:
    module_name, _, attribute = target.partition(":")
    owner: Any = importlib.import_module(module_name)
    *path, name = attribute.split(".")
    for part in path:
        owner = getattr(owner, part)
    static = isinstance(inspect.getattr_static(owner, name), staticmethod)
    original = getattr(owner, name)
    calls = 0

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        if match not in repr((args, kwargs)):
            return original(*args, **kwargs)
        calls += 1
        if calls == nth:
            if when == "before":
                die()
            if when.startswith("rmtree:"):
                # a method's first argument is its instance: the path is the next one
                directory = args[0] if static or not path else args[1]
                delete_partly(str(directory), int(when.partition(":")[2]))
        result = original(*args, **kwargs)
        if calls == nth and when == "after":
            die()
        return result

    setattr(owner, name, staticmethod(wrapper) if static else wrapper)


def main() -> None:
    separator = sys.argv.index("--")
    target, when, nth, *match = sys.argv[1:separator]
    install(target, when, int(nth), *match)
    from netvisor_sync.cli import main as cli_main

    sys.argv = ["netvisor-sync", *sys.argv[separator + 1 :]]
    cli_main()


if __name__ == "__main__":
    main()
