"""Settings: read ``[sources.netvisor]`` the dlt way, check every value, and turn them into per-company credentials.

Values come from dlt's config providers, in dlt's order: environment variables (``SOURCES__NETVISOR__CUSTOMER_KEY``),
then ``.dlt/secrets.toml`` and ``.dlt/config.toml`` (project, then global ``~/.dlt``). Keys are only taken from
providers that may hold secrets, exactly as ``dlt.secrets.value`` arguments of the dlt source would be.

Settings under ``[sources.netvisor]``:

``base_url`` (default ``https://integration.netvisor.fi``), ``sender`` (default ``netvisor-sync``), ``customer_id``,
``customer_key``, ``partner_id``, ``partner_key``, ``organisation_id`` (one business id or a list), ``language``
(FI/EN/SE, default EN), ``mac_algorithm`` (HMACSHA256 default, SHA256, MD5), ``start_date`` (yyyy-MM-dd), and the
sync options ``tables``, ``exclude_columns``, ``lookback``, ``reconcile`` and ``schema_contract`` (command-line
options win over them). Any other key is refused with the known ones (a typo such as ``schema_contrat`` would
otherwise be ignored); sub-tables (``[sources.netvisor.<name>]``) are left to dlt, which reads its own sections there.
A company whose identifiers differ from the shared ones gets its own table, keyed by its business id::

    [sources.netvisor.companies."2345678-9"]
    customer_id = "..."
    customer_key = "..."

(as an environment variable: ``SOURCES__NETVISOR__COMPANIES='{"2345678-9": {"customer_id": "..."}}'``), or, the
dlt way, the section of that company's pipeline (``netvisor_<business id>``, see :func:`pipeline_name`)::

    [netvisor_2345678_9.sources.netvisor]
    customer_id = "..."

(``NETVISOR_2345678_9__SOURCES__NETVISOR__CUSTOMER_ID``). Only the per-company settings (:data:`COMPANY_SETTINGS`)
may be set there; the ``companies`` table wins where both set one.

Every problem raises :class:`~netvisor_sync.errors.ConfigError` with one paragraph that names the setting, says where
to set it and where the value comes from in Netvisor (the single-value checks and messages live in
:mod:`netvisor_sync.validation`). Messages never contain a key's value.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import dlt
from dlt.common.configuration.providers import (
    ConfigProvider,
    ConfigTomlProvider,
    EnvironProvider,
    SecretsTomlProvider,
)
from dlt.common.configuration.providers.doc import BaseDocProvider
from dlt.common.typing import TSecretValue

from netvisor_sync.auth import Credentials
from netvisor_sync.catalog import TABLE_OWNERS
from netvisor_sync.errors import ConfigError
from netvisor_sync.validation import (
    setting_error,
    validate_base_url,
    validate_columns,
    validate_organisation_id,
    validate_schema_contract,
    validate_start_date,
    validate_tables,
)

SECTION = ("sources", "netvisor")
DEFAULT_BASE_URL = "https://integration.netvisor.fi"
DEFAULT_SENDER = "netvisor-sync"
LANGUAGES = ("FI", "EN", "SE")
MAC_ALGORITHMS = ("HMACSHA256", "SHA256", "MD5")

#: Settings that hold a secret: read only from secret providers, never shown.
SECRET_SETTINGS = frozenset({"customer_key", "partner_key"})
#: Settings a ``[sources.netvisor.companies."<business id>"]`` table may override.
COMPANY_SETTINGS = ("sender", "customer_id", "customer_key", "partner_id", "partner_key", "language", "mac_algorithm")
SETTINGS = (
    "base_url",
    "sender",
    "customer_id",
    "customer_key",
    "partner_id",
    "partner_key",
    "organisation_id",
    "language",
    "mac_algorithm",
    "start_date",
)
#: How to sync rather than whom to sign as; command-line options win over them.
SYNC_OPTIONS = ("tables", "exclude_columns", "lookback", "reconcile", "schema_contract")
#: Every key ``[sources.netvisor]`` may hold (besides dlt's own sub-tables).
KNOWN_KEYS = (*SETTINGS, *SYNC_OPTIONS, "companies")
PIPELINE_PREFIX = "netvisor"

_REQUIRED = ("customer_id", "customer_key", "partner_id", "partner_key", "organisation_id")


_MAX_ID_LENGTH = 200


@dataclass(frozen=True)
class Settings:
    """Checked settings for one netvisor-sync run: where Netvisor is, whom to sign as, and from when to load.

    ``companies`` holds one :class:`~netvisor_sync.auth.Credentials` per business id, in configuration order.
    ``tables``, ``exclude_columns``, ``lookback``, ``reconcile`` and ``schema_contract`` are the sync options of
    ``[sources.netvisor]`` (empty: all tables, no exclusions, the default overlap, no reconcile, evolve);
    ``lookback`` is checked by the source.
    """

    base_url: str
    companies: tuple[Credentials, ...]
    start_date: date | None = None
    tables: tuple[str, ...] = ()
    exclude_columns: tuple[str, ...] = ()
    lookback: str | None = None
    reconcile: bool = False
    schema_contract: str = "evolve"

    @property
    def organisation_ids(self) -> tuple[str, ...]:
        return tuple(c.organisation_id for c in self.companies)


# ---------------------------------------------------------------------------------------------------- reading values


def read_raw_settings(providers: Sequence[ConfigProvider] | None = None) -> dict[str, Any]:
    """Read every ``[sources.netvisor]`` value (unchecked) from dlt's config providers.

    Use :func:`load_settings` unless you need the raw values. ``providers`` defaults to dlt's active providers
    (what ``dlt.config`` and ``dlt.secrets`` read); :func:`project_providers` builds them for a given directory.

    Raises:
        ConfigError: a key was found only in a provider that must not hold secrets (``.dlt/config.toml``).
    """
    if providers is None:
        providers = dlt.config.config_providers
    refuse_unknown_keys(providers)
    raw: dict[str, Any] = {}
    for name in KNOWN_KEYS:
        value = _lookup(providers, name)
        if value is not None:
            raw[name] = value
    return _with_pipeline_sections(raw, providers)


def pipeline_name(organisation_id: str, prefix: str = PIPELINE_PREFIX) -> str:
    """``netvisor_1234567_8``: the dlt pipeline of one company, and the section its own settings may live in."""
    return f"{prefix}_{re.sub(r'[^0-9A-Za-z]+', '_', organisation_id).strip('_').lower()}"


def _lookup(providers: Sequence[ConfigProvider], name: str, pipeline: str | None = None) -> Any:
    secret = name in SECRET_SETTINGS or name == "companies"
    hint: Any = TSecretValue if secret else str
    misplaced = None
    for provider in providers:
        if provider.is_empty:
            continue
        value, _ = provider.get_value(name, hint, pipeline, *SECTION)
        if value is None:
            continue
        if secret and not provider.supports_secrets:
            misplaced = provider.name
            continue
        return value
    if misplaced is not None:
        section = f"{pipeline}.sources.netvisor" if pipeline else "sources.netvisor"
        variable = "__".join([*([pipeline.upper()] if pipeline else []), "SOURCES", "NETVISOR", name.upper()])
        raise ConfigError(
            f"{name} was found in {misplaced}, which dlt does not read secrets from (and which is often committed to "
            f"version control). Move it to .dlt/secrets.toml under [{section}] or set {variable}."
        )
    return None


def _with_pipeline_sections(raw: dict[str, Any], providers: Sequence[ConfigProvider]) -> dict[str, Any]:
    """``raw`` with each company's ``[netvisor_<id>.sources.netvisor]`` settings under ``companies``.

    Only companies ``raw`` already names are looked up; if their ids or the ``companies`` table are malformed, the
    settings are returned as they are and :func:`validate_settings` reports the problem.
    """
    try:
        tables = _company_tables(raw.get("companies"))
        ids = _organisation_ids(raw.get("organisation_id"), extra=tables)
    except ConfigError:
        return raw
    merged = {org: dict(table) for org, table in tables.items()}
    for org in ids:
        pipeline = pipeline_name(org)
        refuse_unknown_keys(providers, pipeline=pipeline)
        own = {name: value for name in COMPANY_SETTINGS if (value := _lookup(providers, name, pipeline)) is not None}
        if own:
            merged[org] = {**own, **merged.get(org, {})}
    return {**raw, "companies": merged} if merged else raw


def refuse_unknown_keys(providers: Sequence[ConfigProvider], *, pipeline: str | None = None) -> None:
    """Refuse a key that ``[sources.netvisor]`` (or a company's ``[<pipeline>.sources.netvisor]``) does not know.

    Only values are checked: sub-tables belong to dlt (``[sources.netvisor.data_writer]``, a resource's section).
    Providers that cannot list their keys (secret vaults) are not asked.

    Raises:
        ConfigError: names the key, where it was found, the closest known key and all known ones.
    """
    known = COMPANY_SETTINGS if pipeline else KNOWN_KEYS
    section = f"{pipeline}.sources.netvisor" if pipeline else "sources.netvisor"
    for key, where in _keys_in(providers, pipeline):
        if key in known:
            continue
        close = difflib.get_close_matches(key, known, n=1)
        guess = f" Did you mean {close[0]!r}?" if close else ""
        if pipeline:
            problem = (
                f"[{section}] ({where}) sets {key!r}, which cannot differ per company.{guess} A company's section "
                f"may set {', '.join(known)}; everything else goes under [sources.netvisor]."
            )
        else:
            problem = f"Unknown setting {key!r} in [{section}] ({where}).{guess} Known settings: {', '.join(known)}."
        raise ConfigError(problem)


def _keys_in(providers: Sequence[ConfigProvider], pipeline: str | None) -> list[tuple[str, str]]:
    """``(key, where)`` of every value set directly in the section, in provider order."""
    found: list[tuple[str, str]] = []
    for provider in providers:
        if isinstance(provider, EnvironProvider):
            prefix = "__".join([*([pipeline.upper()] if pipeline else []), "SOURCES", "NETVISOR", ""])
            for variable in sorted(os.environ):
                rest = variable[len(prefix) :]
                if variable.startswith(prefix) and rest and "__" not in rest:
                    found.append((rest.lower(), f"environment variable {variable}"))
        elif isinstance(provider, BaseDocProvider) and not provider.is_empty:
            base: ConfigProvider = provider  # the base class's signature, which takes no pipeline as None
            node, _ = base.get_value("netvisor", dict, pipeline, "sources")
            if isinstance(node, Mapping):
                found += [(str(key), provider.name) for key, value in node.items() if not isinstance(value, Mapping)]
    return found


def project_providers(project_dir: Path, *, environment: bool = True) -> list[ConfigProvider]:
    """dlt's providers for ``project_dir/.dlt`` only (no global ``~/.dlt``), optionally behind the environment.

    Use it to read the settings of a project other than the current directory, or in tests.
    """
    settings_dir = str(project_dir / ".dlt")
    providers: list[ConfigProvider] = [EnvironProvider()] if environment else []
    providers += [SecretsTomlProvider(settings_dir=settings_dir), ConfigTomlProvider(settings_dir=settings_dir)]
    return providers


def load_settings(
    overrides: Mapping[str, Any] | None = None,
    *,
    providers: Sequence[ConfigProvider] | None = None,
    today: date | None = None,
) -> Settings:
    """Read and check the settings; the one call a command needs before it talks to Netvisor.

    Args:
        overrides: values given on the command line (``start_date``, ...); they win over every provider.
            ``None`` values are ignored.
        providers: where to read from; dlt's active providers by default.
        today: the date ``start_date`` must not be after; the local date by default.

    Raises:
        ConfigError: a setting is missing or malformed.
    """
    raw = read_raw_settings(providers)
    raw.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return validate_settings(raw, today=today)


# ------------------------------------------------------------------------------------------------------- validating


def validate_settings(raw: Mapping[str, Any], *, today: date | None = None, allow_plain_http: bool = False) -> Settings:
    """Check raw values (as read from dlt, or given explicitly) and build :class:`Settings`.

    Use it directly when the values do not come from dlt, e.g. the demo's emulator settings. Pass
    ``allow_plain_http=True`` when requests go through an injected test transport (``http://testserver``).

    Raises:
        ConfigError: the first missing or malformed setting, named in the message.
    """
    unknown = sorted(set(raw) - set(KNOWN_KEYS))
    if unknown:
        close = difflib.get_close_matches(unknown[0], KNOWN_KEYS, n=1)
        guess = f" Did you mean {close[0]!r}?" if close else ""
        known = ", ".join(KNOWN_KEYS)
        raise ConfigError(f"Unknown setting {unknown[0]!r} in [sources.netvisor].{guess} Known settings: {known}.")
    if all(_blank(raw.get(name)) for name in (*_REQUIRED, "companies")):
        raise ConfigError(
            "No Netvisor settings found: customer_id, customer_key, partner_id, partner_key and organisation_id are "
            "missing. Fill them in under [sources.netvisor] in .dlt/secrets.toml and .dlt/config.toml "
            "(`netvisor-sync init` writes templates that say where each value comes from in Netvisor) or set the "
            "SOURCES__NETVISOR__* environment variables. To try netvisor-sync without a Netvisor account, run "
            "`netvisor-sync demo`."
        )
    base_url = validate_base_url(raw.get("base_url", DEFAULT_BASE_URL), allow_plain_http=allow_plain_http)
    start_date = validate_start_date(raw["start_date"], today=today) if raw.get("start_date") else None
    overrides = _company_tables(raw.get("companies"))
    organisation_ids = _organisation_ids(raw.get("organisation_id"), extra=overrides)
    companies = tuple(_credentials(raw, overrides.get(org, {}), org) for org in organisation_ids)
    return Settings(
        base_url=base_url,
        companies=companies,
        start_date=start_date,
        tables=validate_tables(_names(raw.get("tables"), "tables"), TABLE_OWNERS, option=_IN_CONFIG % "tables"),
        exclude_columns=validate_columns(_names(raw.get("exclude_columns"), "exclude_columns")),
        lookback=None if _blank(raw.get("lookback")) else str(raw["lookback"]).strip(),
        reconcile=_flag(raw.get("reconcile"), "reconcile"),
        schema_contract=validate_schema_contract(raw.get("schema_contract")),
    )


_IN_CONFIG = "%s in [sources.netvisor]"


def _names(value: Any, name: str) -> list[str]:
    """A list setting: a TOML list, or comma-separated text (environment variables)."""
    if _blank(value):
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return [item.strip() for item in value]
    raise setting_error(f"{name} must be a list of names or comma-separated text.", name)


def _flag(value: Any, name: str) -> bool:
    if _blank(value):
        return False
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise setting_error(f"{name} {str(value)[:20]!r} is not true or false.", name)


def _credentials(shared: Mapping[str, Any], own: Mapping[str, Any], organisation_id: str) -> Credentials:
    values: dict[str, str] = {}
    for name in COMPANY_SETTINGS:
        value = own.get(name, shared.get(name))
        where = organisation_id if name in own else None
        values[name] = _validate_field(name, value, company=where)
    return Credentials(organisation_id=organisation_id, **values)


def _validate_field(name: str, value: Any, *, company: str | None) -> str:
    if name == "sender" and _blank(value):
        value = DEFAULT_SENDER
    if name == "language":
        return _choice(name, value, LANGUAGES, "EN", company=company)
    if name == "mac_algorithm":
        return _choice(name, value, MAC_ALGORITHMS, "HMACSHA256", company=company)
    suffix = f" for company {company}" if company else ""
    if _blank(value):
        raise setting_error(f"{name} is missing{suffix}.", name, company=company)
    if isinstance(value, int) and not isinstance(value, bool) and name not in SECRET_SETTINGS:
        value = str(value)
    if not isinstance(value, str):
        raise setting_error(f"{name}{suffix} must be text, not a {type(value).__name__}.", name, company=company)
    text = value.strip()
    if text.startswith("<") and text.endswith(">"):
        raise setting_error(f"{name}{suffix} is still the placeholder from the template.", name, company=company)
    if name in SECRET_SETTINGS:
        _check_key(name, text, suffix=suffix, company=company)
    else:
        _check_id(name, text, suffix=suffix, company=company)
    return text


def _check_key(name: str, text: str, *, suffix: str, company: str | None) -> None:
    # The value itself is never part of the message: it is a secret.
    if any(ch.isspace() for ch in text):
        problem = f"{name}{suffix} contains whitespace; copy it again without spaces or line breaks."
        raise setting_error(problem, name, company=company)
    if not text.isascii() or not text.isprintable():
        problem = f"{name}{suffix} contains characters that are not printable ASCII; copy it again."
        raise setting_error(problem, name, company=company)


def _check_id(name: str, text: str, *, suffix: str, company: str | None) -> None:
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        problem = f"{name}{suffix} contains a control character (a line break or tab?)."
        raise setting_error(problem, name, company=company)
    if len(text) > _MAX_ID_LENGTH:
        raise setting_error(f"{name}{suffix} is longer than {_MAX_ID_LENGTH} characters.", name, company=company)
    try:
        text.encode("iso-8859-15")
    except UnicodeEncodeError:
        raise setting_error(
            f"{name}{suffix} contains characters that Netvisor's ISO-8859-15 signing cannot encode.",
            name,
            company=company,
        ) from None


def _choice(name: str, value: Any, allowed: Sequence[str], default: str, *, company: str | None) -> str:
    if _blank(value):
        return default
    text = str(value).strip().upper()
    if text not in allowed:
        shown = str(value)[:40]
        raise setting_error(f"{name} {shown!r} is not one of {', '.join(allowed)}.", name, company=company)
    return text


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _company_tables(value: Any) -> dict[str, dict[str, Any]]:
    """``companies`` as {business id: {setting: value}}; accepts a TOML table or a JSON object string."""
    if _blank(value):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            # No excerpt: the text holds keys.
            raise ConfigError(
                "companies is not valid JSON. As an environment variable, SOURCES__NETVISOR__COMPANIES must be a JSON "
                'object like {"2345678-9": {"customer_id": "...", "customer_key": "..."}}; in .dlt/secrets.toml use '
                'one [sources.netvisor.companies."2345678-9"] table per company.'
            ) from None
    if not isinstance(value, Mapping) or not all(isinstance(v, Mapping) for v in value.values()):
        raise ConfigError(
            "companies must map each business id to a table of settings: in .dlt/secrets.toml use one "
            '[sources.netvisor.companies."2345678-9"] table per company, with customer_id, customer_key, ... in it.'
        )
    tables: dict[str, dict[str, Any]] = {}
    for org, table in value.items():
        organisation_id = validate_organisation_id(org, setting=f'[sources.netvisor.companies."{org}"]')
        unknown = sorted(set(table) - set(COMPANY_SETTINGS))
        if unknown:
            raise ConfigError(
                f'[sources.netvisor.companies."{org}"] has the unknown setting {unknown[0]!r}. A company table may '
                f"set {', '.join(COMPANY_SETTINGS)}."
            )
        tables[organisation_id] = dict(table)
    return tables


def _organisation_ids(value: Any, *, extra: Mapping[str, object]) -> tuple[str, ...]:
    items: list[Any]
    if _blank(value):
        items = []
    elif isinstance(value, str):
        text = value.strip()
        items = _json_list(text) if text.startswith("[") else [part for part in text.split(",") if part.strip()]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise setting_error("organisation_id must be a business id or a list of them.", "organisation_id")
    ids = [validate_organisation_id(item) for item in items]
    ids += [org for org in extra if org not in ids]
    if not ids:
        raise setting_error("organisation_id is missing.", "organisation_id")
    duplicates = sorted({org for org in ids if ids.count(org) > 1})
    if duplicates:
        raise setting_error(f"organisation_id lists {duplicates[0]} more than once.", "organisation_id")
    return tuple(ids)


def _json_list(text: str) -> list[Any]:
    try:
        items = json.loads(text)
    except ValueError:
        items = None
    if not isinstance(items, list):
        raise setting_error("organisation_id looks like a list but is not valid JSON.", "organisation_id")
    return items
