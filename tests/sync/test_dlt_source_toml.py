"""``netvisor_source`` configured only by a project's ``.dlt/secrets.toml`` and ``.dlt/config.toml``, as dlt reads them:
a list of companies, shared keys, and one company's own API user under ``[sources.netvisor.companies."<id>"]``.

A fresh interpreter runs the user's pipeline in the project directory (dlt finds ``.dlt`` from the working
directory when it starts); the emulator is served on loopback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from netvisor_sync.emulator import Emulator, serve

pytestmark = pytest.mark.slow

PIPELINE = """
import json
import dlt
from netvisor_sync import netvisor_source

pipeline = dlt.pipeline("users_own", destination=dlt.destinations.duckdb("own.duckdb"), dataset_name="books")
pipeline.run(netvisor_source(tables=["accounts", "vouchers"]), loader_file_format="parquet")
with pipeline.sql_client() as client:
    rows = client.execute_sql("select organisation_id, count(*) from books.vouchers group by 1 order by 1")
print(json.dumps([list(row) for row in rows]))
"""


def test_a_users_pipeline_reads_companies_and_keys_from_dlt_toml_files(tmp_path: Path) -> None:
    emu = Emulator(profile="partner-test", seed=8, companies=2, customer_per_company=True)
    first, second = emu.organisation_ids
    with serve(emu) as server:
        shared, own = server.settings(first), server.settings(second)
        assert shared["customer_id"] != own["customer_id"]  # each company answers only its own API user
        project = tmp_path / "project"
        (project / ".dlt").mkdir(parents=True)
        (project / ".dlt" / "config.toml").write_text(
            f'[sources.netvisor]\nbase_url = "{server.url}"\norganisation_id = ["{first}", "{second}"]\n'
            'language = "EN"\n',
            encoding="utf-8",
        )
        (project / ".dlt" / "secrets.toml").write_text(
            "[sources.netvisor]\n"
            f'customer_id = "{shared["customer_id"]}"\ncustomer_key = "{shared["customer_key"]}"\n'
            f'partner_id = "{shared["partner_id"]}"\npartner_key = "{shared["partner_key"]}"\n'
            f'\n[sources.netvisor.companies."{second}"]\n'
            f'customer_id = "{own["customer_id"]}"\ncustomer_key = "{own["customer_key"]}"\n',
            encoding="utf-8",
        )
        # dlt keeps pipelines in ~/.dlt, or in /var/dlt when run as root (CI): a fresh data dir per run, or the
        # pipeline of an earlier run (with its destination path) is picked up again
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": str(tmp_path),
            "DLT_DATA_DIR": str(tmp_path / "dlt"),
            "RUNTIME__DLTHUB_TELEMETRY": "false",
        }
        run = subprocess.run(
            [sys.executable, "-c", PIPELINE],
            check=False,
            cwd=project,
            env=env,
            capture_output=True,
            timeout=180,
            text=True,
        )
    assert run.returncode == 0, run.stderr[-3000:]
    loaded = dict(json.loads(run.stdout.strip().splitlines()[-1]))
    expected = {
        org: sum(1 for v in emu.companies[org].store.vouchers if v.status == "valid") for org in (first, second)
    }
    assert loaded == expected
