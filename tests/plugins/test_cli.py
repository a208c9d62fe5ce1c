"""``srs plugins`` and plugin-contributed sub-commands (srs.plugins.cli)."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from srs.plugins import hookimpl
from srs.plugins.cli import add_plugin_commands, configure_list_parser, list_plugins
from srs.plugins.manager import PluginManager
from srs.plugins.registry import CliCommandRegistry


def test_list_plugins_text(installed_plugin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SRS_DISABLE_PLUGINS", "typo")
    monkeypatch.delenv("SRS_CONFIG", raising=False)
    out = io.StringIO()
    assert list_plugins(argparse.Namespace(config=None), out=out) == 0
    lines = out.getvalue().splitlines()
    assert lines[:2] == [
        "srs.plugins.builtin.metadata_dialects (built-in): srs 0.1.0",
        "    hooks: srs_register_metadata_dialects",
    ]
    at = lines.index("throwaway: srs-throwaway-plugin 0.0.1")
    assert lines[at + 1] == (
        "    hooks: srs_classify_call, srs_configure, srs_register_storage_backends, "
        "srs_session_started"
    )
    assert lines[-1] == "typo: disabled"


def test_list_plugins_json(installed_plugin: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SRS_DISABLE_PLUGINS", "typo")
    parser = argparse.ArgumentParser()
    configure_list_parser(parser)
    parser.add_argument("--config")
    out = io.StringIO()
    assert list_plugins(parser.parse_args(["--json"]), out=out) == 0
    payload = json.loads(out.getvalue())
    entry = next(p for p in payload["plugins"] if p["name"] == "throwaway")
    assert entry["distribution"] == "srs-throwaway-plugin" and entry["builtin"] is False
    assert payload["disabled"] == ["typo"]


def test_list_plugins_reports_a_broken_plugin(
    installed_plugin: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SRS_DISABLE_PLUGINS", raising=False)
    assert list_plugins(argparse.Namespace(config=None), out=io.StringIO()) == 1
    assert "implements unknown hook 'srs_sesion_started'" in capsys.readouterr().err


def test_list_plugins_reads_disabled_from_the_config_file(
    tmp_path: Path, installed_plugin: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SRS_DISABLE_PLUGINS", raising=False)
    config = tmp_path / "srs.toml"
    config.write_text('[plugins]\ndisabled = ["typo", "throwaway"]\n')
    out = io.StringIO()
    assert list_plugins(argparse.Namespace(config=config), out=out) == 0
    assert "throwaway: disabled" in out.getvalue().splitlines()


def test_list_plugins_config_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.toml"
    assert list_plugins(argparse.Namespace(config=missing), out=io.StringIO()) == 2
    assert capsys.readouterr().err.startswith(
        f"srs: config error: {missing}: cannot read config file"
    )


def test_add_plugin_commands_builds_runnable_subcommands() -> None:
    class Export:
        @hookimpl
        def srs_register_cli_commands(self, registry: CliCommandRegistry) -> None:
            def configure(parser: argparse.ArgumentParser) -> None:
                parser.add_argument("--since", required=True)

            def run(args: argparse.Namespace) -> int:
                return 0 if args.since == "2026-01-01" else 4

            registry.add("export", help="export recordings", run=run, configure=configure)

    manager = PluginManager()
    manager.register(Export(), "export")
    parser = argparse.ArgumentParser(prog="srs")
    sub = parser.add_subparsers()
    assert add_plugin_commands(sub, manager) == ["export"]
    args = parser.parse_args(["export", "--since", "2026-01-01"])
    assert args.func(args) == 0
    args = parser.parse_args(["export", "--since", "2025"])
    assert args.func(args) == 4


def test_add_plugin_commands_survives_a_broken_plugin(
    installed_plugin: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SRS_DISABLE_PLUGINS", raising=False)
    sub = argparse.ArgumentParser().add_subparsers()
    assert add_plugin_commands(sub) == []
    assert capsys.readouterr().err.startswith("srs: plugin commands unavailable: plugin 'typo'")
