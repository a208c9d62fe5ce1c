"""``srs plugins`` and the sub-commands plugins contribute to ``srs``.

srs/cli.py owns the parser; it calls ``add_plugin_commands(subparsers)`` while building it
and ``list_plugins(args)`` for ``srs plugins``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TextIO

from srs.plugins.manager import PluginError, PluginManager, get_plugin_manager


def configure_list_parser(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``srs plugins`` (optional: ``list_plugins`` also works without them)."""
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")


def _load_config(args: argparse.Namespace) -> object:
    """The validated config (``--config``, else ``$SRS_CONFIG``, else defaults)."""
    from srs.config import load_config

    path = getattr(args, "config", None) or os.environ.get("SRS_CONFIG") or None
    return load_config(Path(path) if path else None, os.environ)


def list_plugins(args: argparse.Namespace, *, out: TextIO | None = None) -> int:
    """Print every installed plugin: name, distribution, version, implemented hooks.

    Returns the exit code: 0; 1 when a plugin cannot be loaded; 2 for a config error.
    """
    stream = out or sys.stdout
    from srs.config import ConfigError

    try:
        config = _load_config(args)
    except ConfigError as exc:
        print(f"srs: config error: {exc}", file=sys.stderr)
        return 2
    try:
        manager = get_plugin_manager(config)
    except PluginError as exc:
        print(f"srs plugins: {exc}", file=sys.stderr)
        return 1
    infos = manager.plugins()
    if getattr(args, "json", False):
        payload = {"plugins": [info.to_json() for info in infos], "disabled": manager.skipped}
        json.dump(payload, stream, indent=2)
        stream.write("\n")
        return 0
    for info in infos:
        origin = f"{info.distribution or 'unknown distribution'} {info.version or ''}".rstrip()
        kind = " (built-in)" if info.builtin else ""
        stream.write(f"{info.name}{kind}: {origin}\n")
        stream.write(f"    hooks: {', '.join(info.hooks) or '(none)'}\n")
    if not infos:
        stream.write("no plugins\n")
    for name in manager.skipped:
        stream.write(f"{name}: disabled\n")
    return 0


def add_plugin_commands(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    manager: PluginManager | None = None,
) -> list[str]:
    """Add the sub-commands from ``srs_register_cli_commands``; returns their names.

    Each sub-parser gets ``func=<command.run>`` as default, so the caller dispatches with
    ``args.func(args)``.  A plugin that fails to load is reported on stderr and skipped,
    so that ``srs --help`` still works; ``srs serve`` fails on it loudly.
    """
    if manager is None:
        try:
            manager = get_plugin_manager()
        except PluginError as exc:
            print(f"srs: plugin commands unavailable: {exc}", file=sys.stderr)
            return []
    added: list[str] = []
    for command in manager.cli_commands().commands():
        parser = subparsers.add_parser(command.name, help=command.help, description=command.help)
        command.configure(parser)
        parser.set_defaults(func=command.run)
        added.append(command.name)
    return added
