"""Registries handed to the contribution hooks (``srs_register_*``).

A plugin adds what it provides once, at start-up; the core then looks things up by name on
its own schedule.  This is why no hook sits on a hot path: the capture loop calls the
objects plugins registered, never the hook machinery (tox ``tox_register_tox_env`` style).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from litestar.types import ControllerRouterHandler

T = TypeVar("T")

_NAME = re.compile(r"^[a-z][a-z0-9_.-]*$")

StorageBackendFactory = Callable[[Mapping[str, Any]], Any]
"""Builds a storage backend from its config table (``[storage]``)."""

ChannelDriverFactory = Callable[[Mapping[str, Any]], Any]
"""Builds a channel driver (a source of calls, e.g. SIPREC over SIP) from its config table."""


class RegistryError(ValueError):
    """A contribution clashes with another one or names nothing registered."""


class NamedRegistry(Generic[T]):
    """Name → value, with the owner kept for error messages.

    Names are lower-case identifiers (``sqlite``, ``s3``, ``cisco-bib``) so that a config
    file can name them without quoting questions.
    """

    kind = "entry"

    def __init__(self) -> None:
        self._items: dict[str, T] = {}
        self._owners: dict[str, str | None] = {}

    def register(self, name: str, value: T, *, plugin: str | None = None) -> None:
        """Add ``value`` under ``name``; a second registration of a name is an error."""
        if not _NAME.match(name):
            raise RegistryError(
                f"invalid {self.kind} name {name!r}: use lower-case letters, digits, '_', '-', '.'"
            )
        if name in self._items:
            owner = self._owners[name]
            by = f" by plugin {owner!r}" if owner else ""
            raise RegistryError(f"{self.kind} {name!r} is already registered{by}")
        self._items[name] = value
        self._owners[name] = plugin

    def get(self, name: str) -> T:
        """The value for ``name``; the error lists what is available."""
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise RegistryError(f"unknown {self.kind} {name!r} (registered: {known})") from None

    def owner(self, name: str) -> str | None:
        """The plugin that registered ``name`` (``None`` when registered without one)."""
        self.get(name)
        return self._owners[name]

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)


class StorageBackendRegistry(NamedRegistry[StorageBackendFactory]):
    """Where recordings and rows are kept; ``[storage] backend = "<name>"`` picks one."""

    kind = "storage backend"


class ChannelDriverRegistry(NamedRegistry[ChannelDriverFactory]):
    """Sources of calls besides the built-in SIP endpoint (each started once by the server)."""

    kind = "channel driver"


class ApiRouteRegistry:
    """Litestar route handlers, controllers or routers that plugins add to the API app."""

    def __init__(self) -> None:
        self._handlers: list[tuple[ControllerRouterHandler, str | None]] = []

    def add(self, handler: ControllerRouterHandler, *, plugin: str | None = None) -> None:
        """Add one handler/controller/router; ``create_app()`` passes them to ``route_handlers``."""
        if any(existing is handler for existing, _ in self._handlers):
            raise RegistryError(f"route handler {handler!r} is already registered")
        self._handlers.append((handler, plugin))

    def route_handlers(self) -> list[ControllerRouterHandler]:
        return [handler for handler, _ in self._handlers]

    def owners(self) -> list[tuple[ControllerRouterHandler, str | None]]:
        return list(self._handlers)

    def __len__(self) -> int:
        return len(self._handlers)


@dataclass(frozen=True)
class CliCommand:
    """One ``srs <name>`` sub-command: ``configure`` adds its arguments, ``run`` returns the
    process exit code."""

    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    plugin: str | None = None


class CliCommandRegistry(NamedRegistry[CliCommand]):
    """``srs`` sub-commands contributed by plugins (added next to ``serve``, ``plugins`` …)."""

    kind = "cli command"

    def add(
        self,
        name: str,
        *,
        help: str,
        run: Callable[[argparse.Namespace], int],
        configure: Callable[[argparse.ArgumentParser], None] | None = None,
        plugin: str | None = None,
    ) -> CliCommand:
        """Register ``srs <name>``; shorthand for ``register(name, CliCommand(...))``."""
        command = CliCommand(name, help, configure or _no_arguments, run, plugin)
        self.register(name, command, plugin=plugin)
        return command

    def commands(self) -> list[CliCommand]:
        return [self.get(name) for name in self.names()]


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    """Default ``configure``: the command takes no arguments of its own."""
