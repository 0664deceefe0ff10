"""The shared warehouse helper: without the Postgres server, its tests skip on a developer machine and fail in CI."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import warehouse

#: nothing listens here (the discard port), so a connection is refused at once
NOWHERE = "postgresql://postgres@127.0.0.1:9/test"


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setattr(warehouse, "POSTGRES_URL", NOWHERE)
    return monkeypatch


def test_a_missing_server_skips_with_the_reason_on_a_developer_machine(no_server: pytest.MonkeyPatch) -> None:
    no_server.delenv(warehouse.REQUIRE_POSTGRES, raising=False)
    with pytest.raises(
        pytest.skip.Exception, match=r"PostgreSQL is not reachable at postgresql://postgres@127\.0\.0\.1:9/test"
    ):
        warehouse.postgres()


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_a_missing_server_fails_where_it_is_required(no_server: pytest.MonkeyPatch, value: str) -> None:
    no_server.setenv(warehouse.REQUIRE_POSTGRES, value)
    with pytest.raises(pytest.fail.Exception, match="NETVISOR_SYNC_REQUIRE_POSTGRES is set, so this run must test"):
        warehouse.postgres()
    with pytest.raises(pytest.fail.Exception):
        next(warehouse.postgres_warehouse())


@pytest.mark.parametrize("value", ["", "0", "false", "no"])
def test_required_means_a_value_other_than_empty_or_no(no_server: pytest.MonkeyPatch, value: str) -> None:
    no_server.setenv(warehouse.REQUIRE_POSTGRES, value)
    with pytest.raises(pytest.skip.Exception):
        warehouse.postgres()


def test_the_ci_entry_point_requires_postgres() -> None:
    script = (Path(__file__).parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    assert f"export {warehouse.REQUIRE_POSTGRES}=1" in script
