"""The documentation stays true to the code: the table reference and the README's commands."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tables_doc_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("tables_doc", ROOT / "scripts" / "tables_doc.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_table_reference_is_generated_from_the_catalog() -> None:
    expected = _tables_doc_module().render()
    assert (ROOT / "docs" / "TABLES.md").read_text(encoding="utf-8") == expected, (
        "docs/TABLES.md is stale: run `python scripts/tables_doc.py`"
    )


def test_readme_names_every_cli_command_and_the_test_command() -> None:
    from netvisor_sync.cli import command_tree

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make test" in readme
    assert "make demo" in readme
    for path, _command in command_tree():
        if not path:
            continue
        name = " ".join(path)
        assert re.search(rf"netvisor-sync {re.escape(name)}\b", readme), f"README does not show `netvisor-sync {name}`"
