"""The parse package's place in the house: the only lxml importer, with one public surface."""

from __future__ import annotations

import re
from pathlib import Path

from netvisor_sync import parse

SRC = Path(__file__).resolve().parents[2] / "src" / "netvisor_sync"
LXML_IMPORT = re.compile(r"^\s*(import lxml|from lxml\b)", re.MULTILINE)


def test_only_the_parse_package_imports_lxml() -> None:
    importers = {
        path.relative_to(SRC).as_posix()
        for path in SRC.rglob("*.py")
        if LXML_IMPORT.search(path.read_text(encoding="utf-8"))
    }
    assert importers, "the parse package itself should import lxml"
    assert {name for name in importers if not name.startswith("parse/")} == set()


def test_public_surface_is_importable() -> None:
    # The order is ruff's (RUF022); here: no duplicates, every name real, and the contract's names present.
    assert len(set(parse.__all__)) == len(parse.__all__)
    assert {"parse_response", "iter_records", "read_status", "SHAPES", "Shape", "ColumnKind"} <= set(parse.__all__)
    for name in parse.__all__:
        assert getattr(parse, name) is not None
