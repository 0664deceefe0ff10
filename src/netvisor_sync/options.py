"""Reading options: the history bound, the incremental overlap, column exclusions, reconcile/refresh, drift policy.

:func:`make_options` checks what a user gave (TOML, environment, CLI flags or keyword arguments) and builds the
:class:`Options` the source reads with; every problem is a :class:`~netvisor_sync.errors.ConfigError` that names the
setting and where to set it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from netvisor_sync.columns import HARD_DELETE, ORGANISATION
from netvisor_sync.errors import ConfigError
from netvisor_sync.exclusions import Exclusions, Scrub, check_exclusions
from netvisor_sync.validation import SCHEMA_CONTRACTS, setting_error

__all__ = ["DEFAULT_LOOKBACK", "HARD_DELETE", "ORGANISATION", "Options", "make_options"]

DEFAULT_LOOKBACK = timedelta(days=1)


@dataclass(frozen=True)
class Options:
    """How to read: history bound, overlap, column exclusions, reconcile and refresh, schema contract.

    ``exclude`` holds the checked column exclusions (see :mod:`netvisor_sync.exclusions`).
    """

    start_date: date | None = None
    lookback: timedelta = DEFAULT_LOOKBACK
    exclude: Exclusions = field(default_factory=Exclusions)
    reconcile: bool = False
    full_refresh: bool = False
    schema_contract: Any = "evolve"

    @property
    def frozen(self) -> bool:
        """Whether undeclared columns are refused (``freeze``) rather than added (dlt refuses them only in tables that
        exist already; the source refuses them from the first load on)."""
        contract = self.schema_contract
        return contract == "freeze" or (isinstance(contract, dict) and contract.get("columns") == "freeze")

    def excluded(self, table: str, column: str) -> bool:
        return self.exclude.excluded(table, column)

    def excluded_from(self, table: str) -> frozenset[str]:
        """The top-level columns never loaded into ``table``."""
        return self.exclude.excluded_from(table)

    def scrubbers(self, table: str, json_columns: Iterable[str]) -> dict[str, Scrub]:
        """Functions that remove excluded fields from the values of ``table``'s JSON columns (those that lose any)."""
        return self.exclude.scrubbers(table, json_columns)


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
    exclude = check_exclusions(as_list(exclude_columns, "exclude_columns"))
    if isinstance(schema_contract, str):
        schema_contract = schema_contract.strip().lower() or "evolve"
    if schema_contract not in (None, *SCHEMA_CONTRACTS, "discard_row", "discard_value") and not isinstance(
        schema_contract, dict
    ):
        raise setting_error(
            f"schema_contract must be evolve or freeze (from Python also discard_row, discard_value or a dlt "
            f"contract dict), not {str(schema_contract)[:40]!r}.",
            "schema_contract",
            option="--schema-contract",
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
