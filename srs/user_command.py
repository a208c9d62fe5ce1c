"""``srs user add|list``: bootstrap accounts from the shell (the first system admin).

``srs user add --role system-admin --tenant default NAME --api-key bootstrap`` prints a
new API key once; ``--password-stdin`` reads a password for the web UI login.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from srs.config import Config
from srs.storage.accounts import DEFAULT_TENANT, ROLES, AccountError, Accounts
from srs.storage.database import Database

EXIT_FAILED = 1
EXIT_CONFIG = 2


def add_user_commands(
    sub: Any,
    add_config_option: Callable[[argparse.ArgumentParser], None],
    load: Callable[[argparse.Namespace], Config | None],
) -> None:
    """Register ``srs user …`` on the main parser's sub-parsers."""
    user = sub.add_parser("user", help="manage API users (bootstrap the first admin)")
    commands = user.add_subparsers(title="user commands", metavar="ACTION")

    add = commands.add_parser("add", help="create a user (and its tenant when missing)")
    add_config_option(add)
    add.add_argument("name", help="username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--tenant", default=DEFAULT_TENANT, help="tenant id (default: %(default)s)")
    add.add_argument("--agent-id", default=None, help="agent id whose recordings an agent sees")
    add.add_argument("--password-stdin", action="store_true", help="read a password from stdin")
    add.add_argument("--api-key", metavar="KEY_NAME", help="also create an API key and print it")
    add.set_defaults(func=lambda args: cmd_user_add(args, load(args)))

    listing = commands.add_parser("list", help="list users")
    add_config_option(listing)
    listing.set_defaults(func=lambda args: cmd_user_list(load(args)))


def _accounts(config: Config) -> tuple[Database, Accounts]:
    db = Database(config.storage.database_url)
    db.create_all()
    return db, Accounts(db)


def cmd_user_add(args: argparse.Namespace, config: Config | None) -> int:
    if config is None:
        return EXIT_CONFIG
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    db, accounts = _accounts(config)
    try:
        accounts.ensure_tenant(args.tenant)
        user = accounts.create_user(
            args.name, args.role, args.tenant, password=password, agent_id=args.agent_id
        )
        assert user.id is not None
        print(f"user {user.username} (id {user.id}, {user.role}, tenant {user.tenant_id}) created")
        if args.api_key:
            _, key = accounts.create_api_key(user.id, args.api_key)
            print(f"API key (shown once): {key}")
    except AccountError as exc:
        print(f"srs: {exc}", file=sys.stderr)
        return EXIT_FAILED
    finally:
        db.dispose()
    return 0


def cmd_user_list(config: Config | None) -> int:
    if config is None:
        return EXIT_CONFIG
    db, accounts = _accounts(config)
    try:
        for user in accounts.list_users():
            state = " (disabled)" if user.disabled else ""
            print(f"{user.id}\t{user.username}\t{user.role}\t{user.tenant_id}{state}")
    finally:
        db.dispose()
    return 0
