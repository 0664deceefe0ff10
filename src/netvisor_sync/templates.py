"""The settings templates ``netvisor-sync init`` writes: what each value is and where it comes from in Netvisor.

:func:`write_templates` never replaces a file (it creates with ``O_EXCL``) and creates ``secrets.toml`` with mode
0600. The interface resources the sync reads are listed in ``config.toml`` so the user can grant them in Netvisor
(Company menu → Rights of interface resources) before the first sync.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterable
from pathlib import Path

SECRETS_TEMPLATE = """\
# netvisor-sync secrets (read by dlt). Keep this file private and out of version control.
# Every value can also be given as an environment variable, e.g. SOURCES__NETVISOR__CUSTOMER_KEY.

[sources.netvisor]
# API identifiers of the Netvisor user the sync acts as. Create them in Netvisor:
#   Company menu → API identifiers
# They are user-specific: they act with that user's rights and stop working when the user loses access.
customer_id = ""
customer_key = ""

# The software partner's identifiers, issued by Netvisor's partner support with the integration partner
# agreement. Test keys (https://isvapi.netvisor.fi) and production keys (https://integration.netvisor.fi)
# are separate.
partner_id = ""
partner_key = ""

# A company whose API identifiers differ from the ones above gets its own table, keyed by its business id:
# [sources.netvisor.companies."2345678-9"]
# customer_id = ""
# customer_key = ""

# Credentials of a destination other than the default DuckDB file, e.g. for --destination postgres:
# [destination.postgres]
# credentials = "postgresql://user:password@localhost:5432/warehouse"
"""

CONFIG_TEMPLATE = """\
# netvisor-sync settings (read by dlt). Environment variables such as SOURCES__NETVISOR__START_DATE win over this file.

[sources.netvisor]
# The business ID (Y-tunnus) of each Netvisor company to sync: "1967543-8", or a list ["1967543-8", "0112038-9"].
organisation_id = ""

# https://integration.netvisor.fi is production; https://isvapi.netvisor.fi is Netvisor's partner test environment.
base_url = "https://integration.netvisor.fi"

# A name that identifies this integration to Netvisor (it is part of every request's signature).
sender = "netvisor-sync"

# Language of Netvisor's messages and localized texts: FI, EN or SE.
language = "EN"

# How requests are signed: HMACSHA256 (current). SHA256 and MD5 are legacy schemes Netvisor is removing.
mac_algorithm = "HMACSHA256"

# The first sync loads documents dated from this day on (yyyy-MM-dd); later syncs continue from their cursors.
# start_date = "2024-01-01"

# Sync options; --tables, --exclude-columns, --reconcile and --schema-contract on the command line win over them.
# tables = ["vouchers", "accounts"]          # default: every table
# Columns never loaded: `email` (every table, and inside nested JSON such as customers.contact_persons),
# `customers.email` (one table), `customers.contact_persons.email` (one field inside one JSON column).
# exclude_columns = ["email", "phone_number", "first_name", "last_name", "contact_person", "contact_person_email",
#                    "contact_person_phone"]
# lookback = "1d"                            # overlap of incremental reads (hours, "36h", "2d")
# reconcile = false                          # also delete customers/vendors/products Netvisor no longer has and
#                                            # re-read purchase payments (their edits arrive only then)
# schema_contract = "evolve"                 # or "freeze": a column Netvisor adds later fails the run instead

# The API user needs the right to every interface resource the sync reads. Allow them in Netvisor:
#   Company menu → Rights of interface resources
{resources}
# `netvisor-sync check` lists any that are still blocked.

[runtime]
# dlt's anonymous usage telemetry; netvisor-sync turns it off unless you turn it on here.
dlthub_telemetry = false
"""


def render_config_template(resources: Iterable[str]) -> str:
    """``CONFIG_TEMPLATE`` with the interface resources the sync reads, as wrapped comment lines."""
    names = ", ".join(f"{name}.nv" for name in dict.fromkeys(resources))
    return CONFIG_TEMPLATE.replace("{resources}", "\n".join(f"#   {line}" for line in textwrap.wrap(names, 100)))


def write_templates(directory: Path, resources: Iterable[str]) -> tuple[list[Path], list[Path]]:
    """Write ``.dlt/secrets.toml`` (mode 0600) and ``.dlt/config.toml`` under ``directory``; never overwrite.

    Returns:
        The files written and the files skipped because they already existed.
    """
    settings_dir = directory / ".dlt"
    settings_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    skipped: list[Path] = []
    for name, text, mode in (
        ("secrets.toml", SECRETS_TEMPLATE, 0o600),
        ("config.toml", render_config_template(resources), 0o644),
    ):
        path = settings_dir / name
        try:
            # O_EXCL: an existing file, even one created a moment ago, is never replaced
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        except FileExistsError:
            skipped.append(path)
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        path.chmod(mode)  # the umask may have removed bits; make the mode exact
        written.append(path)
    return written, skipped
