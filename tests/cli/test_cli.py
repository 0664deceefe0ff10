"""The command line, in-process through typer's CliRunner: exact output for init, help for every command, errors."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from netvisor_sync import __version__
from netvisor_sync.catalog import ENTRIES
from netvisor_sync.cli import app, command_tree, user_errors
from netvisor_sync.emulator import Emulator, EmulatorServer, serve
from netvisor_sync.emulator.reply import OK_ENVELOPE_TAIL, Rejection, Reply, ok_envelope_head
from netvisor_sync.errors import AuthenticationFailed

WIDE = {"COLUMNS": "250", "NO_COLOR": "1", "TERM": "dumb"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env=WIDE)


def clean_env() -> dict[str, str | None]:
    """Hide any SOURCES__NETVISOR__* of the developer's shell from the command under test."""
    return {name: None for name in os.environ if name.startswith("SOURCES__NETVISOR__")}


# ------------------------------------------------------------------------------------------------- help and version


def test_every_command_has_help_text(runner: CliRunner) -> None:
    tree = command_tree()
    paths = {" ".join(path) for path, _ in tree}
    assert {"", "init", "check", "emulator", "emulator serve"} <= paths
    for path, command in tree:
        assert (command.help or "").strip(), f"`netvisor-sync {' '.join(path)}` has no help text"
        result = runner.invoke(app, [*path, "--help"])
        assert result.exit_code == 0, result.output
        assert "Usage: netvisor-sync" in result.output
        for param in command.params:
            if param.name != "help" and not getattr(param, "hidden", False):
                assert (getattr(param, "help", None) or "").strip(), f"{path} option {param.name} has no help"


def test_version(runner: CliRunner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"netvisor-sync {__version__}\n"


def test_no_arguments_shows_help(runner: CliRunner) -> None:
    result = runner.invoke(app, [])
    assert "Usage: netvisor-sync [OPTIONS] COMMAND [ARGS]..." in result.output


# ------------------------------------------------------------------------------------------------------------ init


def test_init_writes_both_templates(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    secrets, config = tmp_path / ".dlt" / "secrets.toml", tmp_path / ".dlt" / "config.toml"
    assert result.output == (
        f"wrote   {secrets}\n"
        f"wrote   {config}\n"
        "Next: fill in the values (see the comments in both files), then run `netvisor-sync check`.\n"
    )
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    secrets_text, config_text = secrets.read_text(encoding="utf-8"), config.read_text(encoding="utf-8")
    assert "Company menu → API identifiers" in secrets_text
    assert "partner support" in secrets_text
    assert 'customer_key = ""' in secrets_text
    assert "Company menu → Rights of interface resources" in config_text
    assert "Y-tunnus" in config_text
    for entry in ENTRIES:
        for resource in entry.resources:
            assert f"{resource}.nv" in config_text


def test_init_templates_are_valid_toml_that_dlt_reads_as_unconfigured(runner: CliRunner, tmp_path: Path) -> None:
    import tomllib

    from netvisor_sync.config import load_settings, project_providers
    from netvisor_sync.errors import ConfigError

    runner.invoke(app, ["init", "--dir", str(tmp_path)])
    for name in ("secrets.toml", "config.toml"):
        tomllib.loads((tmp_path / ".dlt" / name).read_text(encoding="utf-8"))
    with pytest.raises(ConfigError, match=r"^No Netvisor settings found"):
        load_settings(providers=project_providers(tmp_path, environment=False))


def test_init_never_overwrites(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / ".dlt").mkdir()
    secrets = tmp_path / ".dlt" / "secrets.toml"
    secrets.write_text("mine = 1\n", encoding="utf-8")
    result = runner.invoke(app, ["init", "--dir", str(tmp_path)])
    assert result.exit_code == 0
    config = tmp_path / ".dlt" / "config.toml"
    assert result.output.splitlines()[:2] == [f"wrote   {config}", f"skipped {secrets} (it exists; not overwritten)"]
    assert secrets.read_text(encoding="utf-8") == "mine = 1\n"
    again = runner.invoke(app, ["init", "--dir", str(tmp_path)])
    assert again.output.splitlines()[:2] == [
        f"skipped {secrets} (it exists; not overwritten)",
        f"skipped {config} (it exists; not overwritten)",
    ]


# ------------------------------------------------------------------------------------------------ errors, no trace


def test_missing_configuration_is_one_message_and_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    env = {**clean_env(), "SOURCES__NETVISOR__CUSTOMER_ID": "ACME", "SOURCES__NETVISOR__PARTNER_ID": "P"}
    env["SOURCES__NETVISOR__ORGANISATION_ID"] = "1967543-8"
    result = runner.invoke(app, ["check"], env=env)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("Configuration error: customer_key is missing. Set it in .dlt/secrets.toml")
    assert "Traceback" not in result.stderr


def test_bad_table_name_is_a_configuration_error(runner: CliRunner, served: EmulatorServer) -> None:
    result = runner.invoke(app, ["check", "--tables", "vouchers,voucher"], env=emulator_env(served))
    assert result.exit_code == 2
    assert "Configuration error: --tables: 'voucher' is not a netvisor-sync table. Did you mean 'vouchers'?" in (
        result.stderr
    )


def test_debug_shows_the_traceback(runner: CliRunner) -> None:
    env = {**clean_env(), "SOURCES__NETVISOR__CUSTOMER_ID": "ACME"}
    result = runner.invoke(app, ["--debug", "check"], env=env)
    assert result.exit_code == 1
    assert type(result.exception).__name__ == "ConfigError"


# ----------------------------------------------------------------------------------------------------------- check


def fake_handler(company: Any, resource: str, params: Mapping[str, str], **kwargs: Any) -> Reply:
    """Answers every probe with an empty OK document, except getcustomer, which rejects the unknown key."""
    if resource == "getcustomer":
        raise Rejection("INVALID_DATA", "Customer not found with Netvisor identifier: 0")
    now: datetime = kwargs["now"]
    return Reply([(ok_envelope_head(now) + OK_ENVELOPE_TAIL).encode()])


def no_books(profile: str, **kwargs: Any) -> object:
    return object()


@pytest.fixture
def served() -> Iterator[EmulatorServer]:
    emulator = Emulator(companies=2, handler=fake_handler, company_factory=no_books)
    with serve(emulator) as server:
        yield server


def emulator_env(server: EmulatorServer) -> dict[str, str | None]:
    settings = server.settings()
    env: dict[str, str | None] = clean_env()
    env.update({f"SOURCES__NETVISOR__{name.upper()}": value for name, value in settings.items()})
    env["SOURCES__NETVISOR__ORGANISATION_ID"] = ",".join(server.emulator.organisation_ids)
    return env


def test_check_all_allowed(runner: CliRunner, served: EmulatorServer) -> None:
    result = runner.invoke(app, ["check", "--tables", "customers,accounts"], env=emulator_env(served))
    assert result.exit_code == 0, result.output
    first, second = served.emulator.organisation_ids
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert f"{first}: authenticated; all 3 resources allowed." in lines
    assert f"{second}: authenticated; all 3 resources allowed." in lines
    assert any(line.startswith("│ customerlist.nv │ allowed │ customers │") for line in lines)
    assert any(
        line.startswith(
            "│ getcustomer.nv │ allowed │ customers │ the probe got INVALID_DATA; Netvisor checks rights first"
        )
        for line in lines
    )
    probed = {entry.resource for entry in served.emulator.log.entries()}
    assert probed == {"customerlist", "getcustomer", "accountlist"}


def test_check_reports_a_blocked_resource_with_the_fix(runner: CliRunner, served: EmulatorServer) -> None:
    first, second = served.emulator.organisation_ids
    served.emulator.block(second, "accountingledger")
    result = runner.invoke(app, ["check", "--tables", "vouchers"], env=emulator_env(served))
    assert result.exit_code == 1
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert f"{first}: authenticated; all 2 resources allowed." in lines
    assert (
        "│ accountingledger.nv │ blocked │ vouchers, voucher_lines │ allow accountingledger.nv in Netvisor: Company "
        "menu → Rights of interface resources │"
    ) in lines
    assert (
        f"{second}: 1 of 2 resources blocked. Allow them in Netvisor: Company menu → Rights of interface resources."
    ) in lines


def test_check_authentication_failure(runner: CliRunner, served: EmulatorServer) -> None:
    env = {**emulator_env(served), "SOURCES__NETVISOR__CUSTOMER_KEY": "WRONGKEY0000000000"}
    result = runner.invoke(app, ["check", "--tables", "accounts"], env=env)
    assert result.exit_code == 1
    assert "authentication failed." in result.stderr
    assert "AUTHENTICATION_FAILED" in result.stderr
    assert "WRONGKEY" not in result.stderr


# ------------------------------------------------------------------------------------------- sync, status, options


@pytest.fixture
def books() -> Iterator[EmulatorServer]:
    """The real emulator (partner-test books) on loopback, in this process."""
    with serve(Emulator(profile="partner-test", seed=5)) as server:
        yield server


def test_sync_skips_a_blocked_table_and_says_how_to_fix_it(
    runner: CliRunner, books: EmulatorServer, tmp_path: Path
) -> None:
    organisation_id = books.emulator.organisation_ids[0]
    books.emulator.block(organisation_id, "paymenttermlist")
    database = tmp_path / "books.duckdb"
    args = ["sync", "--tables", "accounts,payment_terms", "--destination", str(database)]
    result = runner.invoke(app, [*args, "--pipelines-dir", str(tmp_path / "pipelines")], env=emulator_env(books))
    assert result.exit_code == 1, result.output
    lines = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert lines[0] == f"Synced into duckdb ({database}), dataset netvisor_data:"
    accounts = len(books.emulator.company(organisation_id).store.accounts)
    assert f"│ {organisation_id} │ accounts │ {accounts} │ │" in lines
    assert any(line.startswith(f"Skipped payment_terms of {organisation_id}: ") for line in lines)
    assert "Fix: allow paymenttermlist.nv in Netvisor: Company menu → Rights of interface resources" in lines
    assert lines[-1] == "Sync incomplete: see the skipped tables and errors above."
    progress = " ".join(result.stderr.split())
    assert f"{organisation_id}: skipped payment_terms: allow paymenttermlist.nv in Netvisor" in progress
    assert f"{organisation_id} ━" in progress
    assert f"2/2 tables · 1 calls · {accounts} records · done" in progress


def test_status_without_syncs(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["status", "--pipelines-dir", str(tmp_path)])
    assert result.exit_code == 0
    assert result.stdout == (
        "No syncs yet. Run `netvisor-sync sync` (or `netvisor-sync demo` to try it on the emulator).\n"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--destination", "nosuchdb"], "--destination 'nosuchdb' is not a dlt destination this installation can"),
        (["--dataset", "x-y"], "--dataset 'x-y' is not a valid dataset name"),
        (["--dataset", "netvisor"], "--dataset netvisor has the same name as the DuckDB file netvisor.duckdb"),
        (["--start-date", "2999-01-01"], "start_date 2999-01-01 is in the future"),
        (["--tables", "ledger"], "--tables: 'ledger' is not a netvisor-sync table."),
        (["--exclude-columns", "e-mail"], "--exclude-columns: 'e-mail' is not a column name"),
    ],
)
def test_sync_option_errors(runner: CliRunner, served: EmulatorServer, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["sync", *args], env=emulator_env(served))
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Configuration error: {message}")
    assert served.emulator.log.entries() == []  # nothing was called


def test_emulator_refuses_a_public_address(runner: CliRunner) -> None:
    result = runner.invoke(app, ["emulator", "serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "The emulator could not start: refusing to serve the emulator on non-loopback host" in result.stderr


def test_telemetry_is_off_unless_the_user_set_it(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RUNTIME__DLTHUB_TELEMETRY", raising=False)
    runner.invoke(app, ["status", "--pipelines-dir", str(tmp_path)])
    assert os.environ["RUNTIME__DLTHUB_TELEMETRY"] == "false"
    monkeypatch.setenv("RUNTIME__DLTHUB_TELEMETRY", "true")
    runner.invoke(app, ["status", "--pipelines-dir", str(tmp_path)])
    assert os.environ["RUNTIME__DLTHUB_TELEMETRY"] == "true"


# ------------------------------------------------------------------------------------------------- error wrapping


def failing_app(error: BaseException) -> typer.Typer:
    mini = typer.Typer()

    @mini.command()
    @user_errors
    def fail(ctx: typer.Context) -> None:
        """Fails."""
        try:
            raise error
        except AuthenticationFailed as inner:
            raise RuntimeError("Pipeline execution failed at step=extract") from inner  # how dlt wraps it

    return mini


def test_a_library_error_wrapped_by_dlt_is_shown_as_itself(runner: CliRunner) -> None:
    result = runner.invoke(failing_app(AuthenticationFailed("AUTHENTICATION_FAILED", "Invalid MAC")), [])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Netvisor answered AUTHENTICATION_FAILED: Invalid MAC (check customer_id")
    assert "Pipeline execution failed" not in result.stderr


def test_other_errors_keep_their_traceback(runner: CliRunner) -> None:
    result = runner.invoke(failing_app(ZeroDivisionError("bug")), [])
    assert isinstance(result.exception, ZeroDivisionError)


def test_ctrl_c_exits_130_without_a_traceback(runner: CliRunner) -> None:
    result = runner.invoke(failing_app(KeyboardInterrupt()), [])
    assert result.exit_code == 130
    assert result.stderr == "Interrupted.\n"


def test_defaults_agree_with_the_library() -> None:
    from netvisor_sync import cli, sync

    assert (cli.DEFAULT_DATASET, cli.DEFAULT_DUCKDB_FILE) == (sync.DEFAULT_DATASET, sync.DEFAULT_DUCKDB_FILE)
