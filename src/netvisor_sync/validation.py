"""Checks of single setting values, and the one-paragraph messages that say what is wrong and where to fix it.

Every check raises :class:`~netvisor_sync.errors.ConfigError` whose message names the setting (or command-line
option), says where to set it (``.dlt/secrets.toml`` or ``.dlt/config.toml`` under ``[sources.netvisor]``, or the
``SOURCES__NETVISOR__*`` variable) and where the value comes from in Netvisor. A secret's value is never part of a
message. :mod:`netvisor_sync.config` puts these checks together into :class:`~netvisor_sync.config.Settings`.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Collection, Iterable
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from netvisor_sync.errors import ConfigError

#: Settings that belong in secrets.toml (the keys and the ids that go with them).
SECRETS_FILE_SETTINGS = frozenset({"customer_id", "customer_key", "partner_id", "partner_key"})

#: Where each setting's value comes from, for the messages.
ORIGINS = {
    "customer_id": (
        "You create the API identifiers in Netvisor: Company menu → API identifiers; they belong to the Netvisor "
        "user who creates them and act with that user's rights."
    ),
    "partner_id": (
        "Netvisor's partner support issues the partner id and key to the software partner; test "
        "(isvapi.netvisor.fi) and production keys are separate."
    ),
    "organisation_id": "It is the business ID (Y-tunnus) of the Netvisor company, written like 1967543-8.",
    "sender": "It is any short name that identifies your integration to Netvisor.",
    "base_url": (
        "Use https://integration.netvisor.fi for production or https://isvapi.netvisor.fi for Netvisor's partner "
        "test environment."
    ),
    "language": "It selects the language of Netvisor's messages: FI, EN or SE.",
    "mac_algorithm": "Use HMACSHA256 unless Netvisor told you to keep a legacy algorithm (SHA256 or MD5).",
    "start_date": "The first sync loads data from this date on; later syncs continue from their cursors.",
    "schema_contract": (
        "evolve (the default) lets a column Netvisor adds later arrive as a new text column; freeze fails the run "
        "instead and loads nothing of it."
    ),
}
ORIGINS["customer_key"] = ORIGINS["customer_id"]
ORIGINS["partner_key"] = ORIGINS["partner_id"]

_BUSINESS_ID = re.compile(r"^(\d{7})-(\d)$")
_BUSINESS_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TABLE = re.compile(r"^[a-z][a-z0-9_]*$")
_DATASET = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DESTINATION = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
_LOOPBACK_NAMES = frozenset({"localhost"})


def where_to_set(name: str, *, company: str | None = None, option: str | None = None) -> str:
    """The sentence that tells a user where ``name`` is set; every settings message ends with it."""
    file = ".dlt/secrets.toml" if name in SECRETS_FILE_SETTINGS else ".dlt/config.toml"
    if company is not None:
        pipeline = "netvisor_" + re.sub(r"[^0-9A-Za-z]+", "_", company).strip("_").lower()
        return (
            f'Set it in {file} under [sources.netvisor.companies."{company}"] or [{pipeline}.sources.netvisor] (for '
            f"this company) or under [sources.netvisor] (for all companies)."
        )
    env = "SOURCES__NETVISOR__" + name.upper()
    also = f", as {env} or with {option}" if option else f" or as {env}"
    return f"Set it in {file} under [sources.netvisor]{also}."


def setting_error(problem: str, name: str, *, company: str | None = None, option: str | None = None) -> ConfigError:
    """``problem`` + where to set ``name`` + where its value comes from in Netvisor, as one ConfigError paragraph."""
    parts = [problem, where_to_set(name, company=company, option=option)]
    if name in ORIGINS:
        parts.append(ORIGINS[name])
    return ConfigError(" ".join(parts))


def business_id_check_digit(digits: str) -> int | None:
    """The Y-tunnus check digit for seven digits, or ``None`` when no check digit exists (remainder 1)."""
    remainder = sum(int(d) * w for d, w in zip(digits, _BUSINESS_ID_WEIGHTS, strict=True)) % 11
    if remainder == 1:
        return None
    return 0 if remainder == 0 else 11 - remainder


def validate_organisation_id(value: Any, *, setting: str = "organisation_id") -> str:
    """Check a Finnish business id (``NNNNNNN-N`` with a valid check digit) and return it stripped.

    Raises:
        ConfigError: wrong form or wrong check digit.
    """
    text = str(value).strip() if isinstance(value, str | int) else ""
    shown = text[:40]
    match = _BUSINESS_ID.match(text)
    if not match:
        hint = ""
        if re.fullmatch(r"\d{6}-\d", text):
            hint = f" Old six-digit ids get a leading zero: 0{text}."
        elif re.fullmatch(r"\d{8}", text):
            hint = f" Write it with the hyphen: {text[:7]}-{text[7]}."
        problem = f"{setting} {shown!r} is not a business ID in the form NNNNNNN-N (e.g. 1967543-8).{hint}"
        return _raise_org(problem, setting)
    expected = business_id_check_digit(match.group(1))
    if expected is None or expected != int(match.group(2)):
        return _raise_org(f"{setting} {shown!r} is not a valid business ID: its check digit does not match.", setting)
    return text


def _raise_org(problem: str, setting: str) -> str:
    if setting == "organisation_id":
        raise setting_error(problem, "organisation_id")
    raise ConfigError(f"{problem} {ORIGINS['organisation_id']}")


def validate_base_url(value: Any, *, allow_plain_http: bool = False) -> str:
    """Check the Netvisor host: https (plain http only on loopback), no path, query or credentials.

    ``allow_plain_http`` accepts any ``http://`` host, for an injected test transport that never opens a socket.

    Returns the URL without a trailing slash.

    Raises:
        ConfigError: anything else.
    """
    text = str(value).strip() if value is not None else ""
    if not text:
        raise setting_error("base_url is empty.", "base_url")
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises ValueError for a malformed port)
    except ValueError:
        raise setting_error("base_url is not a valid URL.", "base_url") from None
    if parts.username or parts.password:
        raise setting_error("base_url must not contain a user name or password.", "base_url")
    shown = f"{parts.scheme}://{parts.netloc}{parts.path}" if parts.scheme else text[:80]
    if parts.scheme not in ("https", "http") or not host:
        raise setting_error(f"base_url {shown!r} is not an http(s) URL with a host name.", "base_url")
    if parts.scheme == "http" and not (allow_plain_http or _is_loopback(host)):
        raise setting_error(
            f"base_url {shown!r} uses plain http; Netvisor must be reached over https (http is allowed only for "
            f"127.0.0.1 and localhost, e.g. the emulator).",
            "base_url",
        )
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise setting_error(f"base_url {shown!r} must be the host only, without a path or query.", "base_url")
    return f"{parts.scheme}://{parts.netloc}"


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_start_date(value: Any, *, today: date | None = None) -> date:
    """Check ``start_date``: a ``yyyy-MM-dd`` date (TOML dates too) that is not in the future.

    Raises:
        ConfigError: not such a date.
    """
    today = today or date.today()
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        parsed = value
    else:
        text = str(value).strip()
        try:
            if not _DATE.match(text):
                raise ValueError(text)
            parsed = date.fromisoformat(text)
        except ValueError:
            problem = f"start_date {text[:40]!r} is not a date in the form yyyy-MM-dd (e.g. 2024-01-01)."
            raise setting_error(problem, "start_date", option="--start-date") from None
    if parsed > today:
        problem = f"start_date {parsed.isoformat()} is in the future (today is {today.isoformat()})."
        raise setting_error(problem, "start_date", option="--start-date")
    return parsed


#: the drift policies a setting or ``--schema-contract`` may name (Python callers may pass any dlt contract)
SCHEMA_CONTRACTS = ("evolve", "freeze")


def validate_schema_contract(value: Any, *, option: str | None = None) -> str:
    """Check ``schema_contract`` (``evolve`` or ``freeze``, any case); ``None`` or blank is ``evolve``.

    Raises:
        ConfigError: any other value.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return "evolve"
    text = str(value).strip().lower()
    if text not in SCHEMA_CONTRACTS:
        name = option or "schema_contract"
        problem = f"{name} {str(value)[:40]!r} is not one of {', '.join(SCHEMA_CONTRACTS)}."
        raise setting_error(problem, "schema_contract", option="--schema-contract")
    return text


def validate_tables(requested: Iterable[str], known: Collection[str], *, option: str = "--tables") -> tuple[str, ...]:
    """Check table names given on the command line against the tables netvisor-sync knows.

    Returns the names in the order given, without duplicates.

    Raises:
        ConfigError: a name is malformed or unknown (with the closest known name, if any).
    """
    names: list[str] = []
    for raw in requested:
        name = raw.strip()
        if not name or name in names:
            continue
        if not _TABLE.match(name) or name not in known:
            close = difflib.get_close_matches(name.lower(), sorted(known), n=1)
            guess = f" Did you mean {close[0]!r}?" if close else ""
            listing = ", ".join(sorted(known))
            raise ConfigError(f"{option}: {name[:60]!r} is not a netvisor-sync table.{guess} Known tables: {listing}.")
        names.append(name)
    return tuple(names)


def validate_dataset(name: str) -> str:
    """Check a dataset (schema) name: letters, digits and underscores, not starting with a digit."""
    if not _DATASET.match(name):
        raise ConfigError(
            f"--dataset {name[:60]!r} is not a valid dataset name: use letters, digits and underscores, starting with "
            "a letter (e.g. netvisor)."
        )
    return name


def validate_destination(name: str) -> str:
    """Check that ``name`` is a dlt destination (``duckdb``, ``postgres``, ... or a ``module.Class`` reference).

    Raises:
        ConfigError: malformed or not a destination dlt knows.
    """
    # dlt takes a second to import; only this check needs it, and the CLI imports this module for --help
    from dlt.common.destination import Destination  # noqa: PLC0415
    from dlt.common.exceptions import DltException  # noqa: PLC0415

    text = name.strip()
    problem = ""
    if not _DESTINATION.match(text):
        problem = "is not a destination name"
    else:
        try:
            Destination.from_reference(text)
        except (DltException, ImportError):
            problem = "is not a dlt destination this installation can load into"
    if problem:
        raise ConfigError(
            f"--destination {text[:60]!r} {problem}. Use duckdb (the default), postgres, or another dlt destination "
            "(see https://dlthub.com/docs/dlt-ecosystem/destinations/); its credentials go in .dlt/secrets.toml under "
            "[destination.<name>]."
        )
    return text


def validate_columns(names: Iterable[str], *, option: str = "exclude_columns") -> tuple[str, ...]:
    """Check ``exclude_columns`` names (see :mod:`netvisor_sync.exclusions`); returns them without duplicates.

    Raises:
        ConfigError: a name that is not a column, a field inside a JSON column, or a table netvisor-sync loads, or
            that names a key column; the message lists the valid names.
    """
    # the declared columns come from the parser's shapes and pyarrow types: imported only when there is a name to check
    from netvisor_sync.exclusions import check_exclusions  # noqa: PLC0415

    checked = tuple(dict.fromkeys(name.strip() for name in names if name.strip()))
    if checked:
        check_exclusions(checked, option=option)
    return checked
