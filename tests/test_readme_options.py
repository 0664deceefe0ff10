"""The README's command reference names every option each command takes (``--help`` is the source of truth)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from netvisor_sync.cli import command_tree

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def options(command: object) -> list[str]:
    """A command's options by their long names."""
    params = getattr(command, "params", [])
    return [max(p.opts, key=len) for p in params if getattr(p, "param_type_name", "") == "option"]


def documented(path: tuple[str, ...]) -> str:
    """Where the README documents ``path``'s options: its row of the commands table (``sync``: its options table)."""
    if not path:
        return README
    if path == ("sync",):
        table = README[README.index("`sync` options:") :]
        return table[: table.index("\n\n", table.index("|"))]
    prefix = f"| `netvisor-sync {' '.join(path)}"
    rows = [line for line in README.splitlines() if line.startswith((f"{prefix} ", f"{prefix}`"))]
    assert rows, f"the README's commands table has no row for `netvisor-sync {' '.join(path)}`"
    return rows[0]


@pytest.mark.parametrize(
    ("path", "command"),
    [(path, command) for path, command in command_tree() if options(command)],
    ids=lambda value: " ".join(value) or "netvisor-sync" if isinstance(value, tuple) else "",
)
def test_the_readme_names_every_option(path: tuple[str, ...], command: object) -> None:
    text = documented(path)
    missing = [name for name in options(command) if not re.search(rf"{re.escape(name)}(?![\w-])", text)]
    assert missing == [], f"README: `netvisor-sync {' '.join(path)}` does not show {', '.join(missing)}"
