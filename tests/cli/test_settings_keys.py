"""Keys of ``[sources.netvisor]``: unknown ones are refused, schema_contract is a setting and a flag, and a company's
own ``[netvisor_<id>.sources.netvisor]`` section is read."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from netvisor_sync.cli import app
from netvisor_sync.config import load_settings, pipeline_name, project_providers
from netvisor_sync.emulator import Emulator, EmulatorServer, serve
from netvisor_sync.emulator.handlers import handle
from netvisor_sync.errors import ConfigError
from netvisor_sync.source import netvisor_source

from .test_cli import WIDE, emulator_env

TODAY = date(2025, 6, 15)
CUSTOMER_KEY = "CUSTKEY0123456789abcdef"
SECRETS = f"""
[sources.netvisor]
customer_id = "ACME_12345"
customer_key = "{CUSTOMER_KEY}"
partner_id = "Acm_Partner"
partner_key = "PARTKEY9876543210fedcba"
"""
CONFIG = """
[sources.netvisor]
organisation_id = ["1967543-8", "0112038-9"]
"""


def project(root: Path, secrets: str = SECRETS, config: str = CONFIG) -> list[Any]:
    (root / ".dlt").mkdir(parents=True)
    (root / ".dlt" / "secrets.toml").write_text(secrets, encoding="utf-8")
    (root / ".dlt" / "config.toml").write_text(config, encoding="utf-8")
    return project_providers(root)


def error(providers: list[Any]) -> str:
    with pytest.raises(ConfigError) as raised:
        load_settings(providers=providers, today=TODAY)
    assert CUSTOMER_KEY not in str(raised.value)
    return str(raised.value)


@pytest.fixture(autouse=True)
def no_netvisor_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in os.environ if "SOURCES__NETVISOR" in n]:
        monkeypatch.delenv(name)


# ---------------------------------------------------------------------------------------------------- unknown keys


def test_an_unknown_key_in_a_settings_file_is_refused_with_the_known_ones(tmp_path: Path) -> None:
    message = error(project(tmp_path, config=CONFIG + 'schema_contrat = "freeze"\n'))
    assert message.startswith(
        "Unknown setting 'schema_contrat' in [sources.netvisor] (config.toml). Did you mean 'schema_contract'? "
        "Known settings: base_url, sender, customer_id,"
    )
    assert "exclude_columns, lookback, reconcile, schema_contract, companies." in message


def test_an_unknown_environment_variable_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCES__NETVISOR__EXCLUDE_COLUMN", "email")
    message = error(project(tmp_path))
    assert message.startswith(
        "Unknown setting 'exclude_column' in [sources.netvisor] (environment variable "
        "SOURCES__NETVISOR__EXCLUDE_COLUMN). Did you mean 'exclude_columns'?"
    )


def test_dlt_sections_inside_the_source_section_are_left_to_dlt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCES__NETVISOR__DATA_WRITER__BUFFER_MAX_ITEMS", "100")
    config = CONFIG + "\n[sources.netvisor.data_writer]\nfile_max_items = 5\n[sources.netvisor.vouchers]\nx = 1\n"
    settings = load_settings(providers=project(tmp_path, config=config), today=TODAY)
    assert settings.organisation_ids == ("1967543-8", "0112038-9")


def test_the_dlt_source_refuses_an_unknown_key_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCES__NETVISOR__TABELS", "vouchers")
    with pytest.raises(ConfigError, match=r"Unknown setting 'tabels' .* Did you mean 'tables'\?"):
        netvisor_source(
            organisation_id="1967543-8",
            customer_id="C",
            customer_key="K" * 16,
            partner_id="P",
            partner_key="Q" * 16,
        )


# -------------------------------------------------------------------------------------------------- schema_contract


@pytest.mark.parametrize("value", ["freeze", "Freeze", " evolve "])
def test_schema_contract_is_a_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("SOURCES__NETVISOR__SCHEMA_CONTRACT", value)
    assert load_settings(providers=project(tmp_path), today=TODAY).schema_contract == value.strip().lower()


def test_schema_contract_defaults_to_evolve_and_refuses_anything_else(tmp_path: Path) -> None:
    assert load_settings(providers=project(tmp_path), today=TODAY).schema_contract == "evolve"
    message = error(project(tmp_path / "x", config=CONFIG + 'schema_contract = "frozen"\n'))
    assert message.startswith("schema_contract 'frozen' is not one of evolve, freeze. Set it in .dlt/config.toml")
    assert "SOURCES__NETVISOR__SCHEMA_CONTRACT or with --schema-contract" in message


def drifting(company: Any, resource: str, params: Mapping[str, str], **kwargs: Any) -> Any:
    """The real emulator, except that accounts come with an element this version does not declare."""
    reply = handle(company, resource, params, **kwargs)
    if resource != "accountlist":
        return reply
    body = b"".join(reply.chunks).replace(b"</Account>", b"<LoyaltyTier>Kulta</LoyaltyTier></Account>")
    return dataclasses.replace(reply, chunks=[body])


@pytest.fixture
def drifting_books() -> Iterator[EmulatorServer]:
    with serve(Emulator(profile="partner-test", seed=6, handler=drifting)) as server:
        yield server


@pytest.mark.parametrize(
    ("args", "variable", "frozen"),
    [
        ([], None, False),
        (["--schema-contract", "freeze"], None, True),
        ([], "freeze", True),
        (["--schema-contract", "evolve"], "freeze", False),  # the flag wins over the setting
    ],
)
def test_sync_takes_the_drift_policy_from_the_flag_or_the_settings(
    drifting_books: EmulatorServer, tmp_path: Path, args: list[str], variable: str | None, frozen: bool
) -> None:
    env = emulator_env(drifting_books)
    if variable:
        env["SOURCES__NETVISOR__SCHEMA_CONTRACT"] = variable
    database = tmp_path / "books.duckdb"
    command = ["sync", "--tables", "accounts", "--destination", str(database), "--pipelines-dir", str(tmp_path / "p")]
    result = CliRunner(env=WIDE).invoke(app, [*command, *args], env=env)
    if frozen:
        assert result.exit_code == 1, result.output
        assert "loyalty_tier" in result.stderr
    else:
        assert result.exit_code == 0, result.output
        import duckdb

        with duckdb.connect(str(database), read_only=True) as con:
            assert con.sql("select distinct loyalty_tier from netvisor_data.accounts").fetchall() == [("Kulta",)]


def test_a_bad_schema_contract_flag_is_a_configuration_error(drifting_books: EmulatorServer) -> None:
    result = CliRunner(env=WIDE).invoke(app, ["sync", "--schema-contract", "strict"], env=emulator_env(drifting_books))
    assert result.exit_code == 2
    assert result.stderr.startswith("Configuration error: --schema-contract 'strict' is not one of evolve, freeze.")
    assert drifting_books.emulator.log.entries() == []


# ------------------------------------------------------------------------------------ a company's pipeline section


def test_a_company_section_of_its_pipeline_gives_that_company_its_identifiers(tmp_path: Path) -> None:
    secrets = (
        SECRETS + '\n[netvisor_0112038_9.sources.netvisor]\ncustomer_id = "OTHER_1"\ncustomer_key = "OTHERKEY5555"\n'
    )
    settings = load_settings(providers=project(tmp_path, secrets=secrets), today=TODAY)
    assert pipeline_name("0112038-9") == "netvisor_0112038_9"
    assert [(c.customer_id, c.customer_key) for c in settings.companies] == [
        ("ACME_12345", CUSTOMER_KEY),
        ("OTHER_1", "OTHERKEY5555"),
    ]


def test_a_company_section_in_the_environment_and_the_companies_table_winning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NETVISOR_1967543_8__SOURCES__NETVISOR__CUSTOMER_ID", "FROM_PIPELINE")
    monkeypatch.setenv("NETVISOR_1967543_8__SOURCES__NETVISOR__LANGUAGE", "fi")
    secrets = SECRETS + '\n[sources.netvisor.companies."1967543-8"]\ncustomer_id = "FROM_TABLE"\n'
    first = load_settings(providers=project(tmp_path, secrets=secrets), today=TODAY).companies[0]
    assert (first.customer_id, first.language) == ("FROM_TABLE", "FI")


def test_a_key_in_a_company_section_of_config_toml_is_refused(tmp_path: Path) -> None:
    config = CONFIG + '\n[netvisor_0112038_9.sources.netvisor]\ncustomer_key = "OTHERKEY5555"\n'
    message = error(project(tmp_path, config=config))
    assert message.startswith("customer_key was found in config.toml, which dlt does not read secrets from")
    assert "under [netvisor_0112038_9.sources.netvisor] or set NETVISOR_0112038_9__SOURCES__NETVISOR__CUSTOMER_KEY" in (
        message
    )
    assert "OTHERKEY5555" not in message


def test_a_company_section_may_set_only_per_company_settings(tmp_path: Path) -> None:
    config = CONFIG + "\n[netvisor_0112038_9.sources.netvisor]\nstart_date = 2024-01-01\n"
    message = error(project(tmp_path, config=config))
    assert message.startswith(
        "[netvisor_0112038_9.sources.netvisor] (config.toml) sets 'start_date', which cannot differ per company."
    )
    assert "A company's section may set sender, customer_id" in message


def test_a_bad_value_in_a_company_section_says_where_to_set_it(tmp_path: Path) -> None:
    config = CONFIG + '\n[netvisor_0112038_9.sources.netvisor]\nlanguage = "DE"\n'
    message = error(project(tmp_path, config=config))
    assert message.startswith("language 'DE' is not one of FI, EN, SE.")
    assert '[sources.netvisor.companies."0112038-9"] or [netvisor_0112038_9.sources.netvisor] (for this company)' in (
        message
    )
