"""The ``srs`` command: ``serve``, ``check-config``, ``plugins``, ``version``.

Heavy imports (the server, plugins) happen inside the sub-commands, so ``srs version``
and ``srs check-config`` work even when an optional part is broken or missing.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from srs import __version__
from srs.config import Config, ConfigError, load_config, to_toml

CONFIG_ENV = "SRS_CONFIG"
EXIT_CONFIG = 2


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``srs`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], Any] | None = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return EXIT_CONFIG
    result = func(args)
    return int(result) if isinstance(result, int) else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="srs", description="SIP/SIPREC session recording server (RFC 7866)."
    )
    parser.add_argument("--version", action="version", version=f"srs {__version__}")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the recording server")
    _add_config_option(serve)
    serve.set_defaults(func=cmd_serve)

    check = sub.add_parser("check-config", help="validate and print the effective configuration")
    _add_config_option(check)
    check.set_defaults(func=cmd_check_config)

    plugins = sub.add_parser("plugins", help="list installed plugins and their hooks")
    _add_config_option(plugins)
    plugins.set_defaults(func=cmd_plugins)

    version = sub.add_parser("version", help="print the version")
    version.set_defaults(func=cmd_version)

    from srs.user_command import add_user_commands

    add_user_commands(sub, _add_config_option, load)
    _add_plugin_commands(sub)
    return parser


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        "-c",
        type=Path,
        default=None,
        metavar="PATH",
        help=f"TOML configuration file (default: ${CONFIG_ENV}, else built-in defaults)",
    )


def _add_plugin_commands(sub: Any) -> None:
    """Let plugins contribute sub-commands through ``srs.plugins.cli``, when present."""
    try:
        module = importlib.import_module("srs.plugins.cli")
    except ImportError:
        return
    add = getattr(module, "add_plugin_commands", None)
    if callable(add):
        add(sub)


def load(args: argparse.Namespace) -> Config | None:
    """Load the configuration, printing ``srs: config error: …`` on failure."""
    path: Path | None = getattr(args, "config", None)
    if path is None and os.environ.get(CONFIG_ENV):
        path = Path(os.environ[CONFIG_ENV])
    try:
        return load_config(path, os.environ)
    except ConfigError as exc:
        print(f"srs: config error: {exc}", file=sys.stderr)
        return None


def cmd_serve(args: argparse.Namespace) -> int:
    config = load(args)
    if config is None:
        return EXIT_CONFIG
    from srs.logging import setup_logging

    setup_logging(config.logging)
    try:
        server = importlib.import_module("srs.server")
    except ImportError as exc:
        print(f"srs: cannot start the server: {exc}", file=sys.stderr)
        return 1
    try:
        result = server.serve(config)
        if inspect.isawaitable(result):
            asyncio.run(_await(result))
    except KeyboardInterrupt:
        return 130
    return 0


async def _await(awaitable: Any) -> Any:
    return await awaitable


def cmd_check_config(args: argparse.Namespace) -> int:
    config = load(args)
    if config is None:
        return EXIT_CONFIG
    sys.stdout.write(to_toml(config))
    return 0


def cmd_plugins(args: argparse.Namespace) -> int:
    try:
        module = importlib.import_module("srs.plugins.cli")
    except ImportError as exc:
        print(f"srs: plugin support is not available (srs.plugins.cli: {exc})", file=sys.stderr)
        return 1
    list_plugins = getattr(module, "list_plugins", None)
    if not callable(list_plugins):
        print(
            "srs: plugin support is not available (no srs.plugins.cli.list_plugins)",
            file=sys.stderr,
        )
        return 1
    result = list_plugins(args)
    return int(result) if isinstance(result, int) else 0


def cmd_version(args: argparse.Namespace) -> int:
    print(f"srs {__version__}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
