"""Reading options: the history bound, the incremental overlap, column exclusions, reconcile/refresh, drift policy.

:func:`make_options` checks what a user gave (TOML, environment, CLI flags or keyword arguments) and builds the
:class:`Options` the source reads with; every problem is a :class:`~netvisor_sync.errors.ConfigError` that names the
setting and where to set it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from netvisor_sync.catalog import ENTRIES
from netvisor_sync.errors import ConfigError

ORGANISATION = "organisation_id"
HARD_DELETE = "_deleted"
DEFAULT_LOOKBACK = timedelta(days=1)


@dataclass(frozen=True)
class Options:
    """How to read: history bound, overlap, column exclusions, reconcile and refresh, schema contract.

    ``exclude`` holds column names, bare (every table) or ``table.column``.
    """

    start_date: date | None = None
    lookback: timedelta = DEFAULT_LOOKBACK
    exclude: frozenset[str] = frozenset()
    reconcile: bool = False
    full_refresh: bool = False
    schema_contract: Any = "evolve"

    def excluded(self, table: str, column: str) -> bool:
        return column in self.exclude or f"{table}.{column}" in self.exclude

    def excluded_from(self, table: str) -> frozenset[str]:
        """The columns never loaded into ``table``."""
        prefix = f"{table}."
        return frozenset(n.removeprefix(prefix) for n in self.exclude if "." not in n or n.startswith(prefix))


def make_options(
    *,
    start_date: date | str | None = None,
    lookback: Any = None,
    exclude_columns: Any = None,
    reconcile: bool = False,
    full_refresh: bool = False,
    schema_contract: Any = "evolve",
) -> Options:
    """Check the reading options and build :class:`Options`.

    Raises:
        ConfigError: a malformed start date, lookback, exclusion or schema contract.
    """
    exclude = frozenset(as_list(exclude_columns, "exclude_columns"))
    check_exclusions(exclude)
    if schema_contract not in (None, "evolve", "freeze", "discard_row", "discard_value") and not isinstance(
        schema_contract, dict
    ):
        raise ConfigError(
            f"schema_contract must be evolve, freeze, discard_row or discard_value, not {schema_contract!r}"
        )
    return Options(
        start_date=parse_start_date(start_date),
        lookback=parse_lookback(lookback),
        exclude=exclude,
        reconcile=reconcile,
        full_refresh=full_refresh,
        schema_contract=_contract(schema_contract),
    )


def _contract(mode: Any) -> Any:
    """Drift policy: a mode string governs columns and types; new tables (newly selected ones) may always appear."""
    if mode is None or isinstance(mode, dict):
        return mode or "evolve"
    if mode == "evolve":
        return "evolve"
    return {"tables": "evolve", "columns": mode, "data_type": mode}


def check_exclusions(exclude: frozenset[str]) -> None:
    """Refuse exclusions of key columns (rows could not be merged) and of tables netvisor-sync does not load.

    Raises:
        ConfigError: names the offending entry of ``exclude_columns``.
    """
    keys: dict[str, set[str]] = {}
    for entry in ENTRIES:
        keys[entry.table] = {ORGANISATION, HARD_DELETE, *entry.key}
        for child in entry.children:
            keys[child.table] = {ORGANISATION, HARD_DELETE, child.parent_key, child.position}
    where = "(set exclude_columns in [sources.netvisor] or --exclude-column)"
    for name in sorted(exclude):
        table, _, column = name.rpartition(".")
        if table and table not in keys:
            raise ConfigError(f"exclude_columns: {name!r} names an unknown table {table!r} {where}")
        if any(column in key_columns for t, key_columns in keys.items() if not table or t == table):
            raise ConfigError(f"exclude_columns: {name!r} is a key column and cannot be excluded {where}")


def parse_start_date(value: date | str | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ConfigError(
            f"start_date must be a date yyyy-MM-dd, not {value!r} (set start_date in [sources.netvisor] "
            "or SOURCES__NETVISOR__START_DATE)"
        ) from None


def parse_lookback(value: Any) -> timedelta:
    """``None`` -> one day; a number -> hours; ``"36h"``, ``"2d"``, ``"90m"``; a timedelta as is."""
    if value is None or value == "":
        return DEFAULT_LOOKBACK
    if isinstance(value, timedelta):
        return value
    text = str(value).strip().lower()
    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    try:
        seconds = float(text[:-1]) * units[text[-1]] if text and text[-1] in units else float(text) * 3600
    except ValueError:
        seconds = -1
    if seconds < 0:
        raise ConfigError(
            f"lookback must be hours (24) or a duration like '36h' or '2d', not {value!r} "
            "(set lookback in [sources.netvisor] or SOURCES__NETVISOR__LOOKBACK)"
        )
    return timedelta(seconds=seconds)


def as_list(value: Any, setting: str) -> list[str]:
    """A list setting given as a list, or as comma-separated text (environment variables)."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple | set | frozenset):
        return [str(part).strip() for part in value]
    raise ConfigError(f"{setting} must be a list of names, not {value!r} (set {setting} in [sources.netvisor])")
