"""The ``srs`` command line: config errors, check-config output, serve and plugin hand-off."""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import tomllib
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from srs import __version__, cli
from srs.config import Config


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No inherited SRS_* settings; ``serve`` reconfigures logging, so restore it after."""
    for name in list(os.environ):
        if name.startswith("SRS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SRS_SIP__ADVERTISED_HOST", "192.0.2.1")
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["version"]) == 0
    assert capsys.readouterr().out == f"srs {__version__}\n"


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "serve" in capsys.readouterr().err


def test_check_config_prints_effective_toml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "srs.toml"
    path.write_text("[sip]\nudp_port = 5070\n")
    monkeypatch.setenv("SRS_HTTP__PORT", "9000")
    assert cli.main(["check-config", "--config", str(path)]) == 0
    data = tomllib.loads(capsys.readouterr().out)
    assert data["sip"]["udp_port"] == 5070
    assert data["http"]["port"] == 9000
    assert data["sip"]["advertised_host"] == "192.0.2.1"


def test_config_file_from_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "srs.toml"
    path.write_text("[http]\nport = 9100\n")
    monkeypatch.setenv("SRS_CONFIG", str(path))
    assert cli.main(["check-config"]) == 0
    assert tomllib.loads(capsys.readouterr().out)["http"]["port"] == 9100


def test_config_error_exits_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SRS_SIP__UDP_PORT", "abc")
    assert cli.main(["check-config"]) == 2
    assert capsys.readouterr().err == (
        "srs: config error: sip.udp_port: must be an integer between 0 and 65535, got 'abc'\n"
    )
    assert cli.main(["serve"]) == 2


def test_serve_calls_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Config] = []
    fake = types.ModuleType("srs.server")
    fake.serve = calls.append  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "srs.server", fake)
    monkeypatch.setenv("SRS_SIP__UDP_PORT", "5099")
    assert cli.main(["serve"]) == 0
    assert len(calls) == 1 and calls[0].sip.udp_port == 5099


def test_serve_runs_a_coroutine_server(monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[int] = []

    async def serve(config: Config) -> None:
        ran.append(config.http.port)

    fake = types.ModuleType("srs.server")
    fake.serve = serve  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "srs.server", fake)
    assert cli.main(["serve"]) == 0
    assert ran == [8080]


def test_serve_without_server_module(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "srs.server", None)
    assert cli.main(["serve"]) == 1
    assert capsys.readouterr().err.startswith("srs: cannot start the server: ")


def test_plugins_delegates(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[argparse.Namespace] = []
    fake = types.ModuleType("srs.plugins.cli")

    def list_plugins(args: argparse.Namespace) -> int:
        seen.append(args)
        return 3

    fake.list_plugins = list_plugins  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "srs.plugins.cli", fake)
    assert cli.main(["plugins"]) == 3
    assert len(seen) == 1


def test_plugins_missing(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "srs.plugins.cli", None)
    assert cli.main(["plugins"]) == 1
    assert "plugin support is not available" in capsys.readouterr().err


def test_plugin_contributed_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def add_plugin_commands(sub: Any) -> None:
        parser = sub.add_parser("hello", help="say hello")
        parser.add_argument("name")
        parser.set_defaults(func=lambda args: print(f"hello {args.name}") or 0)

    fake = types.ModuleType("srs.plugins.cli")
    fake.add_plugin_commands = add_plugin_commands  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "srs.plugins.cli", fake)
    assert cli.main(["hello", "world"]) == 0
    assert capsys.readouterr().out == "hello world\n"


def test_python_dash_m(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "srs", "version"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, f"srs {__version__}\n")
