"""docs/EMULATOR.md stays true to the code: every quirk, serve option, constructor choice, fault kind, malformation,
status mapping and admin endpoint is in it, its Python example runs, and the README links it."""

from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path

import pytest
import typer

from netvisor_sync.cli import app
from netvisor_sync.emulator import DEFAULT_STATUS_CODES, FAULT_KINDS, Emulator, admin
from netvisor_sync.emulator.__main__ import main as python_dash_m
from netvisor_sync.emulator.faults import MALFORMATIONS, Fault
from netvisor_sync.emulator.render import QUIRK_SETS, Quirks

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "EMULATOR.md").read_text(encoding="utf-8")
#: constructor parameters that inject fakes or fix credentials rather than choose a behaviour
NOT_CHOICES = {"handler", "company_factory", "sleep", "wall", "sender", "language"}
NOT_CHOICES |= {"partner_id", "partner_key", "customer_id", "customer_key"}


def serve_options() -> list[str]:
    group = typer.main.get_command(app)
    serve = group.commands["emulator"].commands["serve"]  # type: ignore[attr-defined]
    return [option for param in serve.params for option in param.opts if option != "--help"]


def test_every_quirk_is_documented() -> None:
    missing = [field.name for field in dataclasses.fields(Quirks) if f"`{field.name}" not in DOC]
    assert not missing, f"docs/EMULATOR.md does not name these Quirks fields: {missing}"
    assert all(f"`{name}`" in DOC for name in QUIRK_SETS)


def test_every_serve_option_is_in_the_options_table() -> None:
    options = serve_options()
    assert "--today" in options
    assert "--faults" in options
    missing = [option for option in options if not re.search(rf"^\| `{re.escape(option)}[ `]", DOC, re.MULTILINE)]
    assert not missing, f"docs/EMULATOR.md's option table lacks: {missing}"


def test_python_dash_m_has_the_same_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        python_dash_m(["--help"])
    text = capsys.readouterr().out
    assert [option for option in serve_options() if option not in text] == []


def test_every_constructor_choice_is_documented() -> None:
    names = set(inspect.signature(Emulator.__init__).parameters) - {"self"} - NOT_CHOICES
    missing = sorted(name for name in names if f"`{name}" not in DOC and f"{name}=" not in DOC)
    assert not missing, f"docs/EMULATOR.md does not name these Emulator parameters: {missing}"


def test_every_fault_kind_field_malformation_and_status_is_documented() -> None:
    assert [kind for kind in FAULT_KINDS if f"`{kind}`" not in DOC] == []
    assert [variant for variant in MALFORMATIONS if f"`{variant}`" not in DOC] == []
    fields = [field.name for field in dataclasses.fields(Fault)]
    assert [name for name in fields if f"`{name}`" not in DOC] == []
    statuses = DOC.split("## HTTP status codes", 1)[1].split("\n## ", 1)[0]
    for code, status in DEFAULT_STATUS_CODES.items():
        row = next((line for line in statuses.splitlines() if line.startswith("|") and f"`{code}`" in line), "")
        assert f"| {status}" in row or f"{status} /" in row or f"/ {status}" in row, f"{code} -> {status} not in a row"


def test_every_admin_endpoint_is_documented() -> None:
    documented = re.findall(r"``(GET|POST|PATCH|DELETE|PUT)[^`]*?(/_emulator/[^`\s]*)``", admin.__doc__ or "")
    assert len(documented) >= 12
    for _method, path in documented:
        stem = re.sub(r"\?.*", "", path)
        assert stem in DOC, f"admin endpoint {path} is not in docs/EMULATOR.md"


def test_the_in_process_example_runs() -> None:
    example = re.search(r"```python\n(.*?)```", DOC, re.DOTALL)
    assert example is not None
    exec(compile(example.group(1), "docs/EMULATOR.md", "exec"), {})


def test_readme_links_the_emulator_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/EMULATOR.md)" in readme
