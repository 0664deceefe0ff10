"""Settings and their checks: each missing or malformed value gives one clear paragraph; good ones sign requests."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from netvisor_sync.config import DEFAULT_BASE_URL, Settings, load_settings, project_providers, validate_settings
from netvisor_sync.errors import ConfigError
from netvisor_sync.validation import (
    business_id_check_digit,
    validate_base_url,
    validate_dataset,
    validate_destination,
    validate_organisation_id,
    validate_start_date,
    validate_tables,
)

TODAY = date(2025, 6, 15)
CUSTOMER_KEY = "CUSTKEY0123456789abcdef"
PARTNER_KEY = "PARTKEY9876543210fedcba"


def good(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "sender": "Acme integration",
        "customer_id": "ACME_12345",
        "customer_key": CUSTOMER_KEY,
        "partner_id": "Acm_Partner",
        "partner_key": PARTNER_KEY,
        "organisation_id": "1967543-8",
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def error_for(raw: dict[str, Any]) -> str:
    with pytest.raises(ConfigError) as info:
        validate_settings(raw, today=TODAY)
    message = str(info.value)
    assert "\n" not in message, "one paragraph"
    assert CUSTOMER_KEY not in message
    assert PARTNER_KEY not in message
    return message


# --------------------------------------------------------------------------------------------------- good settings


def test_good_settings_become_one_credentials_per_company() -> None:
    settings = validate_settings(good(), today=TODAY)
    assert settings.base_url == DEFAULT_BASE_URL
    assert settings.start_date is None
    assert settings.organisation_ids == ("1967543-8",)
    (creds,) = settings.companies
    assert (creds.sender, creds.customer_id, creds.partner_id) == ("Acme integration", "ACME_12345", "Acm_Partner")
    assert (creds.customer_key, creds.partner_key) == (CUSTOMER_KEY, PARTNER_KEY)
    assert (creds.language, creds.mac_algorithm) == ("EN", "HMACSHA256")


def test_settings_repr_hides_the_keys() -> None:
    text = repr(validate_settings(good(), today=TODAY))
    assert CUSTOMER_KEY not in text
    assert PARTNER_KEY not in text
    assert "1967543-8" in text


def test_values_are_stripped_and_choices_case_insensitive() -> None:
    settings = validate_settings(
        good(customer_key=f"  {CUSTOMER_KEY}\n", language="fi", mac_algorithm="sha256", base_url="https://x.fi/"),
        today=TODAY,
    )
    creds = settings.companies[0]
    assert creds.customer_key == CUSTOMER_KEY
    assert (creds.language, creds.mac_algorithm) == ("FI", "SHA256")
    assert settings.base_url == "https://x.fi"


def test_sender_defaults_to_the_tool_name() -> None:
    assert validate_settings(good(sender=None), today=TODAY).companies[0].sender == "netvisor-sync"


def test_numeric_ids_from_toml_are_accepted_as_text() -> None:
    assert validate_settings(good(customer_id=12345), today=TODAY).companies[0].customer_id == "12345"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["1967543-8", "0112038-9"], ("1967543-8", "0112038-9")),
        ("1967543-8, 0112038-9", ("1967543-8", "0112038-9")),
        ('["1967543-8", "0112038-9"]', ("1967543-8", "0112038-9")),
        (" 1967543-8 ", ("1967543-8",)),
    ],
)
def test_organisation_id_can_be_a_list(value: object, expected: tuple[str, ...]) -> None:
    assert validate_settings(good(organisation_id=value), today=TODAY).organisation_ids == expected


def test_company_tables_override_shared_identifiers() -> None:
    other_key = "OTHERKEY55555555"
    raw = good(
        organisation_id=["1967543-8"],
        companies={"0112038-9": {"customer_id": "OTHER_1", "customer_key": other_key, "language": "SE"}},
    )
    first, second = validate_settings(raw, today=TODAY).companies
    assert (first.organisation_id, first.customer_id, first.customer_key) == ("1967543-8", "ACME_12345", CUSTOMER_KEY)
    assert (second.organisation_id, second.customer_id, second.customer_key) == ("0112038-9", "OTHER_1", other_key)
    assert (second.language, second.partner_key) == ("SE", PARTNER_KEY)


def test_company_tables_alone_define_the_companies() -> None:
    raw = good(organisation_id=None, companies=json.dumps({"0112038-9": {}, "1967543-8": {}}))
    assert validate_settings(raw, today=TODAY).organisation_ids == ("0112038-9", "1967543-8")


# ------------------------------------------------------------------------------------------------ missing settings


@pytest.mark.parametrize(
    ("name", "file", "origin"),
    [
        ("customer_id", ".dlt/secrets.toml", "Company menu → API identifiers"),
        ("customer_key", ".dlt/secrets.toml", "Company menu → API identifiers"),
        ("partner_id", ".dlt/secrets.toml", "partner support"),
        ("partner_key", ".dlt/secrets.toml", "partner support"),
        ("organisation_id", ".dlt/config.toml", "Y-tunnus"),
    ],
)
@pytest.mark.parametrize("blank", [None, "", "   "])
def test_missing_setting_names_it_and_where_to_set_it(name: str, file: str, origin: str, blank: str | None) -> None:
    message = error_for(good(**{name: blank}) if blank is not None else {k: v for k, v in good().items() if k != name})
    assert message.startswith(f"{name} is missing.")
    assert f"Set it in {file} under [sources.netvisor] or as SOURCES__NETVISOR__{name.upper()}." in message
    assert origin in message


def test_missing_customer_key_message_is_exact() -> None:
    assert error_for(good(customer_key=None)) == (
        "customer_key is missing. Set it in .dlt/secrets.toml under [sources.netvisor] or as "
        "SOURCES__NETVISOR__CUSTOMER_KEY. You create the API identifiers in Netvisor: Company menu → API "
        "identifiers; they belong to the Netvisor user who creates them and act with that user's rights."
    )


def test_missing_key_in_a_company_table_names_the_table() -> None:
    raw = good(customer_key=None, organisation_id=None, companies={"0112038-9": {"customer_key": ""}})
    message = error_for(raw)
    assert message.startswith("customer_key is missing for company 0112038-9.")
    assert '[sources.netvisor.companies."0112038-9"]' in message


# -------------------------------------------------------------------------------------------------- malformed keys


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (CUSTOMER_KEY[:8] + " " + CUSTOMER_KEY[8:], "contains whitespace"),
        (CUSTOMER_KEY[:8] + "\n" + CUSTOMER_KEY[8:], "contains whitespace"),
        (CUSTOMER_KEY + "ä", "not printable ASCII"),
        ("<your customer key>", "placeholder"),
    ],
)
def test_malformed_key_never_shows_its_value(value: str, problem: str) -> None:
    message = error_for(good(customer_key=value))
    assert message.startswith("customer_key ")
    assert problem in message
    assert value.strip() not in message
    assert CUSTOMER_KEY[:8] not in message
    assert "SOURCES__NETVISOR__CUSTOMER_KEY" in message


def test_key_of_wrong_type_is_refused() -> None:
    assert "must be text" in error_for(good(partner_key=12345678))


@pytest.mark.parametrize(
    ("value", "problem"),
    [("ACME\n12", "control character"), ("x" * 201, "longer than 200"), ("ACME_☃", "ISO-8859-15")],
)
def test_malformed_id(value: str, problem: str) -> None:
    message = error_for(good(customer_id=value))
    assert message.startswith("customer_id ")
    assert problem in message


@pytest.mark.parametrize(("name", "value"), [("language", "DE"), ("mac_algorithm", "SHA1")])
def test_unknown_choice(name: str, value: str) -> None:
    message = error_for(good(**{name: value}))
    assert message.startswith(f"{name} {value!r} is not one of")
    assert f"SOURCES__NETVISOR__{name.upper()}" in message


def test_unknown_setting_is_named() -> None:
    assert error_for(good(customer_secret="x")).startswith("Unknown setting 'customer_secret' in [sources.netvisor].")


# ------------------------------------------------------------------------------------------------- organisation id


@pytest.mark.parametrize(("digits", "check"), [("1967543", 8), ("0112038", 9), ("0737546", 2), ("1572860", 0)])
def test_business_id_check_digit(digits: str, check: int) -> None:
    assert business_id_check_digit(digits) == check


def test_business_id_without_a_possible_check_digit() -> None:
    # weights 7,9,10,5,8,4,2: 1000004 gives 7 + 8 = 15, remainder 4; 1000001 gives 7 + 2 = 9; 0000007 gives 14 -> 3
    # 0000003 gives 6; find one with remainder 1 by construction: 0000006 gives 12, remainder 1
    assert business_id_check_digit("0000006") is None
    with pytest.raises(ConfigError, match="check digit does not match"):
        validate_organisation_id("0000006-0")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("1967543-7", "'1967543-7' is not a valid business ID: its check digit does not match."),
        ("FI19675438", "is not a business ID in the form NNNNNNN-N (e.g. 1967543-8)."),
        ("196754-8", "Old six-digit ids get a leading zero: 0196754-8."),
        ("19675438", "Write it with the hyphen: 1967543-8."),
        ("", "is not a business ID in the form NNNNNNN-N"),
    ],
)
def test_bad_organisation_id(value: str, fragment: str) -> None:
    message = error_for(good(organisation_id=[value]))
    assert message.startswith("organisation_id ")
    assert fragment in message
    assert "Set it in .dlt/config.toml under [sources.netvisor] or as SOURCES__NETVISOR__ORGANISATION_ID." in message


def test_duplicate_organisation_id() -> None:
    assert "lists 1967543-8 more than once" in error_for(good(organisation_id="1967543-8,1967543-8"))


def test_bad_company_table_key() -> None:
    message = error_for(good(companies={"1967543-7": {}}))
    assert message.startswith("[sources.netvisor.companies.\"1967543-7\"] '1967543-7' is not a valid business ID")


def test_company_table_with_unknown_setting() -> None:
    message = error_for(good(companies={"0112038-9": {"base_url": "https://x.fi"}}))
    assert "has the unknown setting 'base_url'" in message


def test_companies_env_json_that_does_not_parse_is_not_echoed() -> None:
    text = '{"0112038-9": {"customer_key": "' + CUSTOMER_KEY + '"'
    message = error_for(good(companies=text))
    assert message.startswith("companies is not valid JSON.")


def test_companies_of_the_wrong_shape() -> None:
    assert error_for(good(companies='["0112038-9"]')).startswith("companies must map each business id")


# -------------------------------------------------------------------------------------------------------- base url


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://integration.netvisor.fi", "https://integration.netvisor.fi"),
        ("https://isvapi.netvisor.fi/", "https://isvapi.netvisor.fi"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://localhost:9", "http://localhost:9"),
        ("http://[::1]:9/", "http://[::1]:9"),
    ],
)
def test_good_base_url(value: str, expected: str) -> None:
    assert validate_base_url(value) == expected


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("http://integration.netvisor.fi", "uses plain http; Netvisor must be reached over https"),
        ("ftp://integration.netvisor.fi", "is not an http(s) URL with a host name"),
        ("integration.netvisor.fi", "is not an http(s) URL with a host name"),
        ("https://integration.netvisor.fi/api", "must be the host only"),
        ("https://integration.netvisor.fi?x=1", "must be the host only"),
        ("https://host:notaport", "is not a valid URL"),
        ("", "base_url is empty"),
    ],
)
def test_bad_base_url(value: str, fragment: str) -> None:
    message = error_for(good(base_url=value))
    assert fragment in message
    assert "SOURCES__NETVISOR__BASE_URL" in message
    assert "https://isvapi.netvisor.fi" in message


def test_base_url_with_a_password_does_not_echo_it() -> None:
    message = error_for(good(base_url="https://user:hunter2@integration.netvisor.fi"))
    assert "must not contain a user name or password" in message
    assert "hunter2" not in message


# ------------------------------------------------------------------------------------------------------ start date


@pytest.mark.parametrize("value", ["2024-01-31", date(2024, 1, 31), " 2024-01-31 "])
def test_good_start_date(value: object) -> None:
    assert validate_settings(good(start_date=value), today=TODAY).start_date == date(2024, 1, 31)


def test_start_date_today_is_allowed() -> None:
    assert validate_start_date("2025-06-15", today=TODAY) == TODAY


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("2024-1-31", "start_date '2024-1-31' is not a date in the form yyyy-MM-dd (e.g. 2024-01-01)."),
        ("31.1.2024", "start_date '31.1.2024' is not a date in the form yyyy-MM-dd"),
        ("2024-02-30", "start_date '2024-02-30' is not a date"),
        ("2025-06-16", "start_date 2025-06-16 is in the future (today is 2025-06-15)."),
        (date(2030, 1, 1), "start_date 2030-01-01 is in the future"),
    ],
)
def test_bad_start_date(value: object, fragment: str) -> None:
    message = error_for(good(start_date=value))
    assert message.startswith(fragment)
    assert "SOURCES__NETVISOR__START_DATE or with --start-date." in message


# ---------------------------------------------------------------------------------- tables, dataset and destination

KNOWN = ("customers", "vouchers", "voucher_lines", "sales_invoices")


def test_tables_are_checked_and_deduplicated() -> None:
    assert validate_tables(["vouchers", " customers", "vouchers", ""], KNOWN) == ("vouchers", "customers")


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("voucher", "--tables: 'voucher' is not a netvisor-sync table. Did you mean 'vouchers'?"),
        ("Vouchers", "Did you mean 'vouchers'?"),
        ("ledger; drop", "--tables: 'ledger; drop' is not a netvisor-sync table. Known tables: customers, sales_"),
    ],
)
def test_unknown_table(name: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        validate_tables([name], KNOWN)
    assert fragment in str(info.value)


def test_dataset_name() -> None:
    assert validate_dataset("netvisor_2") == "netvisor_2"
    with pytest.raises(ConfigError, match=r"--dataset '2x-y' is not a valid dataset name"):
        validate_dataset("2x-y")


@pytest.mark.parametrize("name", ["duckdb", "postgres", "filesystem"])
def test_known_destination(name: str) -> None:
    assert validate_destination(name) == name


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("nosuchdb", "is not a dlt destination this installation can load into"),
        ("duck db", "is not a destination name"),
    ],
)
def test_unknown_destination(name: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        validate_destination(name)
    assert f"--destination {name!r} {fragment}." in str(info.value)


# ------------------------------------------------------------------------------------------- reading the dlt way


def write_project(root: Path, secrets: str, config: str = "") -> Path:
    (root / ".dlt").mkdir()
    (root / ".dlt" / "secrets.toml").write_text(secrets, encoding="utf-8")
    (root / ".dlt" / "config.toml").write_text(config, encoding="utf-8")
    return root


SECRETS_TOML = f"""
[sources.netvisor]
customer_id = "ACME_12345"
customer_key = "{CUSTOMER_KEY}"
partner_id = "Acm_Partner"
partner_key = "{PARTNER_KEY}"

[sources.netvisor.companies."0112038-9"]
customer_id = "OTHER_1"
customer_key = "OTHERKEY55555555"
"""

CONFIG_TOML = """
[sources.netvisor]
organisation_id = ["1967543-8"]
language = "FI"
start_date = 2024-01-01
"""


def test_load_settings_from_dlt_toml_files(tmp_path: Path) -> None:
    providers = project_providers(write_project(tmp_path, SECRETS_TOML, CONFIG_TOML), environment=False)
    settings = load_settings(providers=providers, today=TODAY)
    assert isinstance(settings, Settings)
    assert settings.organisation_ids == ("1967543-8", "0112038-9")
    assert settings.start_date == date(2024, 1, 1)
    assert [c.customer_id for c in settings.companies] == ["ACME_12345", "OTHER_1"]
    assert [c.language for c in settings.companies] == ["FI", "FI"]


def test_environment_wins_over_files_and_overrides_win_over_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCES__NETVISOR__CUSTOMER_ID", "FROM_ENV")
    monkeypatch.setenv("SOURCES__NETVISOR__START_DATE", "2023-05-01")
    providers = project_providers(write_project(tmp_path, SECRETS_TOML, CONFIG_TOML))
    settings = load_settings(providers=providers, today=TODAY)
    assert settings.companies[0].customer_id == "FROM_ENV"
    assert settings.start_date == date(2023, 5, 1)
    overridden = load_settings({"start_date": "2022-02-02", "base_url": None}, providers=providers, today=TODAY)
    assert overridden.start_date == date(2022, 2, 2)
    assert overridden.base_url == DEFAULT_BASE_URL


def test_key_in_config_toml_is_refused(tmp_path: Path) -> None:
    secrets = SECRETS_TOML.replace(f'customer_key = "{CUSTOMER_KEY}"\n', "", 1)
    config = CONFIG_TOML + f'customer_key = "{CUSTOMER_KEY}"\n'
    providers = project_providers(write_project(tmp_path, secrets, config), environment=False)
    with pytest.raises(ConfigError) as info:
        load_settings(providers=providers, today=TODAY)
    message = str(info.value)
    assert message.startswith("customer_key was found in config.toml, which dlt does not read secrets from")
    assert "Move it to .dlt/secrets.toml under [sources.netvisor]" in message
    assert CUSTOMER_KEY not in message


def test_empty_project_says_how_to_start(tmp_path: Path) -> None:
    providers = project_providers(write_project(tmp_path, ""), environment=False)
    with pytest.raises(ConfigError) as info:
        load_settings(providers=providers, today=TODAY)
    message = str(info.value)
    assert message.startswith("No Netvisor settings found: customer_id, customer_key, partner_id, partner_key and ")
    assert "`netvisor-sync init` writes templates" in message
    assert "run `netvisor-sync demo`" in message


# ------------------------------------------------------------------------------------------------- sync options


def test_sync_options_from_settings() -> None:
    settings = validate_settings(
        good(
            tables="vouchers, accounts",
            exclude_columns=["email", "customers.phone_number"],
            lookback=36,
            reconcile="true",
        ),
        today=TODAY,
    )
    assert settings.tables == ("vouchers", "accounts")
    assert settings.exclude_columns == ("email", "customers.phone_number")
    assert settings.lookback == "36"
    assert settings.reconcile is True


def test_sync_options_default_to_everything() -> None:
    settings = validate_settings(good(), today=TODAY)
    assert (settings.tables, settings.exclude_columns, settings.lookback, settings.reconcile) == ((), (), None, False)


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"tables": ["voucher"]}, "tables in [sources.netvisor]: 'voucher' is not a netvisor-sync table."),
        ({"tables": 5}, "tables must be a list of names or comma-separated text."),
        ({"exclude_columns": ["Customers.Email"]}, "exclude_columns: 'Customers.Email' is not a column name"),
        (
            {"exclude_columns": "invoices.email"},
            "exclude_columns: 'invoices.email' names the table 'invoices', which netvisor-sync does not load.",
        ),
        ({"reconcile": "maybe"}, "reconcile 'maybe' is not true or false."),
    ],
)
def test_bad_sync_options(changes: dict[str, Any], fragment: str) -> None:
    assert error_for(good(**changes)).startswith(fragment)
