"""A fresh install: the wheel built from this checkout (offline) holds the whole package, and ``emulator serve`` and
``python -m netvisor_sync.emulator`` run from the wheel's contents, not from ``src``."""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from netvisor_sync import auth

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
EXPORTS = (
    "BASE_URL",
    "SENDER",
    "CUSTOMER_ID",
    "CUSTOMER_KEY",
    "PARTNER_ID",
    "PARTNER_KEY",
    "ORGANISATION_ID",
    "LANGUAGE",
)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel unpacked into a directory, as pip would install it into site-packages."""
    tmp = tmp_path_factory.mktemp("wheel")
    project = tmp / "project"
    # a copy, so the build's egg-info and build/ stay out of the checkout
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, project / name)
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-w", tmp / "dist",
         project],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = (tmp / "dist").glob("netvisor_sync-*.whl")
    site = tmp / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    return site


def wheel_env(site: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOURCES__NETVISOR__")}
    env["PYTHONPATH"] = str(site)
    return env


def test_the_wheel_holds_the_package_and_the_console_script(installed: Path) -> None:
    package = installed / "netvisor_sync"
    sources = {
        path.relative_to(ROOT / "src" / "netvisor_sync") for path in (ROOT / "src" / "netvisor_sync").rglob("*.py")
    }
    shipped = {path.relative_to(package) for path in package.rglob("*.py")}
    assert sources <= shipped, f"missing from the wheel: {sorted(map(str, sources - shipped))}"
    assert (package / "py.typed").is_file()
    (dist_info,) = installed.glob("netvisor_sync-*.dist-info")
    entry_points = configparser.ConfigParser()
    entry_points.read(dist_info / "entry_points.txt")
    assert entry_points["console_scripts"]["netvisor-sync"] == "netvisor_sync.cli:main"


def test_the_package_is_imported_from_the_wheel(installed: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import netvisor_sync, netvisor_sync.emulator; print(netvisor_sync.__file__)"],
        cwd=installed.parent, env=wheel_env(installed), capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert Path(done.stdout.strip()).is_relative_to(installed)


#: run the wheel's console-script entry point (``netvisor_sync.cli:main``) after checking where it comes from
CONSOLE_SCRIPT = """
import sys, netvisor_sync
from pathlib import Path
if not Path(netvisor_sync.__file__).is_relative_to(Path(sys.argv[1])):
    sys.exit(f"netvisor_sync imported from {netvisor_sync.__file__}, not from the wheel")
from netvisor_sync.cli import main
sys.argv = ["netvisor-sync", *sys.argv[2:]]
sys.exit(main())
"""


@pytest.fixture(params=["console script", "python -m"])
def served(request: pytest.FixtureRequest, installed: Path) -> Iterator[tuple[subprocess.Popen[str], list[str]]]:
    options = ["--port", "0", "--seed", "9", "--companies", "2", "--today", "2025-06-10"]
    if request.param == "console script":
        command = [sys.executable, "-c", CONSOLE_SCRIPT, str(installed), "emulator", "serve", *options]
    else:
        command = [sys.executable, "-m", "netvisor_sync.emulator", *options]
    process = subprocess.Popen(
        command,
        cwd=installed.parent,
        env=wheel_env(installed),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(60, process.kill)  # a server that never prints must not hang the suite
    watchdog.start()
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while not any("LANGUAGE=" in line for line in lines):
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
        yield process, lines
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
        process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_emulator_serve_runs_from_the_wheel(served: tuple[subprocess.Popen[str], list[str]]) -> None:
    process, lines = served
    exports = {}
    for line in lines:
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").strip().partition("=")
            (exports[name.removeprefix("SOURCES__NETVISOR__")],) = shlex.split(value)
    assert tuple(exports) == EXPORTS, "".join(lines) + (process.stderr.read() if process.poll() is not None else "")  # type: ignore[union-attr]
    organisations = exports["ORGANISATION_ID"].strip("[]").replace('"', "").split(",")
    credentials = auth.Credentials(
        sender=exports["SENDER"],
        customer_id=exports["CUSTOMER_ID"],
        customer_key=exports["CUSTOMER_KEY"],
        partner_id=exports["PARTNER_ID"],
        partner_key=exports["PARTNER_KEY"],
        organisation_id=organisations[1],
        language=exports["LANGUAGE"],
    )
    url = exports["BASE_URL"] + "/accountingperiodlist.nv"
    response = httpx.get(url, headers=auth.sign(credentials, url), timeout=30)
    assert response.status_code == 200
    assert b"<Status>OK</Status>" in response.content
    assert b"<TimeStamp>10.6.2025 12:00:00</TimeStamp>" in response.content
    process.send_signal(signal.SIGINT)
    assert process.wait(20) == 0
