"""Loading plugins: built-ins first, then setuptools entry points of group ``srs``.

Switches (environment, or the ``[plugins]`` table of the config file):

* ``SRS_DISABLE_PLUGINS=name1,name2`` / ``plugins.disabled = ["name1"]``: never load these
  (entry-point name, distribution name, or built-in module path / its last component).
* ``SRS_TRACE_PLUGINS=1`` / ``plugins.trace = true``: log every hook call and its result to
  the ``srs.plugins`` logger.

``check_pending()`` runs after loading, so that a hook implementation whose name matches no
specification (a typo such as ``srs_sesion_started``) stops the server with a message naming
the plugin and the nearest real hook, instead of being silently never called.
"""

from __future__ import annotations

import difflib
import importlib
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from types import ModuleType
from typing import Any

import pluggy

import srs
from srs.plugins import PROJECT_NAME, spec
from srs.plugins.registry import (
    ApiRouteRegistry,
    ChannelDriverRegistry,
    CliCommandRegistry,
    StorageBackendRegistry,
)

log = logging.getLogger("srs.plugins")

ENTRY_POINT_GROUP = "srs"
DISABLE_ENV = "SRS_DISABLE_PLUGINS"
TRACE_ENV = "SRS_TRACE_PLUGINS"

DEFAULT_PLUGINS: tuple[str, ...] = ("srs.plugins.builtin.metadata_dialects",)
"""Built-in features registered as plugins, so that the core uses the third-party doors."""

_TRUE = frozenset({"1", "true", "yes", "on"})


class PluginError(Exception):
    """A plugin cannot be loaded or implements a hook wrongly; the message names both."""


@dataclass(frozen=True)
class PluginInfo:
    """What ``srs plugins`` shows for one registered plugin."""

    name: str
    distribution: str | None
    version: str | None
    hooks: tuple[str, ...]
    builtin: bool
    module: str | None

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "hooks": list(self.hooks),
            "builtin": self.builtin,
            "module": self.module,
        }


@dataclass(frozen=True)
class _Origin:
    distribution: str | None
    version: str | None
    builtin: bool


def _split_names(value: object) -> set[str]:
    """``"a, b"`` or ``["a", "b"]`` → ``{"a", "b"}``."""
    if value is None:
        return set()
    items: Iterable[object] = value.split(",") if isinstance(value, str) else value  # type: ignore[assignment]
    return {str(item).strip() for item in items if str(item).strip()}


def _plugin_settings(config: object) -> Mapping[str, Any]:
    """The ``[plugins]`` table of a mapping config, or the ``plugins`` attribute of an object."""
    if config is None:
        return {}
    table = (
        config.get("plugins") if isinstance(config, Mapping) else getattr(config, "plugins", None)
    )
    if table is None:
        return {}
    if isinstance(table, Mapping):
        return table
    return {key: getattr(table, key) for key in ("disabled", "trace") if hasattr(table, key)}


def _clip(value: object, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class PluginManager:
    """srs's wrapper around ``pluggy.PluginManager``: load, block, trace, validate, list."""

    def __init__(self, *, disabled: Iterable[str] = (), trace: bool = False) -> None:
        self.pm = pluggy.PluginManager(PROJECT_NAME)
        self.pm.add_hookspecs(spec)
        self.disabled: frozenset[str] = frozenset(disabled)
        self.skipped: list[str] = []  # names that were disabled and therefore not loaded
        self._origins: dict[str, _Origin] = {}
        self._undo_trace: Any = None
        if trace:
            self.enable_tracing()

    @property
    def hook(self) -> pluggy.HookRelay:
        """``pm.hook.srs_<name>(**kwargs)`` calls every implementation."""
        return self.pm.hook

    # -- loading ------------------------------------------------------------------------

    def is_disabled(self, *names: str | None) -> bool:
        return any(name is not None and name in self.disabled for name in names)

    def register(
        self,
        plugin: object,
        name: str | None = None,
        *,
        distribution: str | None = None,
        version: str | None = None,
        builtin: bool = False,
    ) -> str | None:
        """Register one plugin object or module; ``None`` when it is disabled."""
        module_name = getattr(plugin, "__name__", None)
        plugin_name = name or module_name or repr(plugin)
        short = module_name.rsplit(".", 1)[-1] if builtin and module_name else None
        if self.is_disabled(plugin_name, distribution, short):
            log.info("plugin %s disabled", plugin_name)
            self.skipped.append(plugin_name)
            return None
        if self.pm.get_plugin(plugin_name) is not None:
            if self.pm.get_plugin(plugin_name) is plugin:
                return plugin_name
            raise PluginError(
                f"two plugins are named {plugin_name!r} "
                f"(the second from distribution {distribution or 'unknown'})"
            )
        try:
            self.pm.register(plugin, name=plugin_name)
        except pluggy.PluginValidationError as exc:
            detail = "; ".join(line.strip() for line in str(exc).splitlines() if line.strip())
            raise PluginError(f"plugin {plugin_name!r} is invalid: {detail}") from exc
        self._origins[plugin_name] = _Origin(distribution, version, builtin)
        return plugin_name

    def load_default_plugins(self, modules: Sequence[str] = DEFAULT_PLUGINS) -> None:
        """Import and register the built-in plugin modules."""
        for path in modules:
            if self.is_disabled(path, path.rsplit(".", 1)[-1]):
                log.info("built-in plugin %s disabled", path)
                self.skipped.append(path)
                continue
            module = importlib.import_module(path)
            self.register(module, path, distribution="srs", version=srs.__version__, builtin=True)

    def load_entry_points(self, group: str = ENTRY_POINT_GROUP) -> None:
        """Register every entry point of ``group`` from the installed distributions."""
        seen: set[str] = set()
        for dist in metadata.distributions():
            dist_name = dist.metadata["Name"] or "unknown"
            if dist_name in seen:  # the same distribution twice on sys.path: first wins
                continue
            eps = [ep for ep in dist.entry_points if ep.group == group]
            if not eps:
                continue
            seen.add(dist_name)
            for ep in eps:
                if self.is_disabled(ep.name, dist_name):
                    log.info("plugin %s (%s) disabled", ep.name, dist_name)
                    self.skipped.append(ep.name)
                    continue
                try:
                    plugin = ep.load()
                except Exception as exc:
                    raise PluginError(
                        f"cannot load plugin {ep.name!r} ({ep.value}) from distribution "
                        f"{dist_name} {dist.version}: {type(exc).__name__}: {exc}"
                    ) from exc
                self.register(plugin, ep.name, distribution=dist_name, version=dist.version)

    def check_pending(self) -> None:
        """Fail when a plugin implements a hook that no specification declares."""
        known = sorted(name for name in dir(spec) if name.startswith("srs_"))
        problems: list[str] = []
        for hook_name, caller in sorted(vars(self.pm.hook).items()):
            if not isinstance(caller, pluggy.HookCaller) or caller.has_spec():
                continue
            for impl in caller.get_hookimpls():
                if impl.optionalhook:
                    continue
                close = difflib.get_close_matches(hook_name, known, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                problems.append(
                    f"plugin {impl.plugin_name!r} implements unknown hook {hook_name!r}{hint}"
                )
        if problems:
            raise PluginError(
                "; ".join(problems) + " (the hooks are listed in docs/plugin_hooks.md)"
            )

    # -- tracing ------------------------------------------------------------------------

    def enable_tracing(self) -> None:
        """Log each hook call (arguments, implementations) and its result or exception."""
        if self._undo_trace is not None:
            return

        def before(
            hook_name: str, impls: Sequence[pluggy.HookImpl], kwargs: Mapping[str, Any]
        ) -> None:
            args = ", ".join(f"{key}={_clip(value)}" for key, value in kwargs.items())
            names = ", ".join(impl.plugin_name for impl in impls) or "no plugin"
            log.info("hook %s(%s) -> [%s]", hook_name, args, names)

        def after(
            outcome: pluggy.Result[Any],
            hook_name: str,
            impls: Sequence[pluggy.HookImpl],
            kwargs: Mapping[str, Any],
        ) -> None:
            if outcome.exception is not None:
                log.info("hook %s raised %s", hook_name, _clip(outcome.exception))
            else:
                log.info("hook %s returned %s", hook_name, _clip(outcome.get_result()))

        self._undo_trace = self.pm.add_hookcall_monitoring(before, after)

    # -- introspection ------------------------------------------------------------------

    def plugins(self) -> list[PluginInfo]:
        """Every registered plugin, built-ins first, then by name."""
        out: list[PluginInfo] = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:
                continue
            origin = self._origins.get(name, _Origin(None, None, False))
            callers = self.pm.get_hookcallers(plugin) or []
            out.append(
                PluginInfo(
                    name=name,
                    distribution=origin.distribution,
                    version=origin.version,
                    hooks=tuple(sorted(caller.name for caller in callers)),
                    builtin=origin.builtin,
                    module=plugin.__name__
                    if isinstance(plugin, ModuleType)
                    else type(plugin).__module__,
                )
            )
        out.sort(key=lambda info: (not info.builtin, info.name))
        return out

    # -- calling contribution hooks -----------------------------------------------------

    def configure(self, config: object) -> None:
        """Call ``srs_configure`` (once, at start)."""
        self.hook.srs_configure(config=config)

    def storage_backends(self) -> StorageBackendRegistry:
        registry = StorageBackendRegistry()
        self.hook.srs_register_storage_backends(registry=registry)
        return registry

    def channel_drivers(self) -> ChannelDriverRegistry:
        registry = ChannelDriverRegistry()
        self.hook.srs_register_channel_drivers(registry=registry)
        return registry

    def api_routes(self) -> ApiRouteRegistry:
        registry = ApiRouteRegistry()
        self.hook.srs_register_api_routes(registry=registry)
        return registry

    def cli_commands(self) -> CliCommandRegistry:
        registry = CliCommandRegistry()
        self.hook.srs_register_cli_commands(registry=registry)
        return registry


def get_plugin_manager(
    config: object = None,
    *,
    environ: Mapping[str, str] | None = None,
    entry_points: bool = True,
    default_plugins: Sequence[str] = DEFAULT_PLUGINS,
) -> PluginManager:
    """Build a manager with built-ins and installed plugins, validated.

    ``config`` (a mapping of TOML tables, or an object with a ``plugins`` attribute) supplies
    ``plugins.disabled`` and ``plugins.trace``; the environment adds to both.  This does not
    call ``srs_configure``: the server calls ``manager.configure(config)`` when it starts.
    """
    env = os.environ if environ is None else environ
    settings = _plugin_settings(config)
    disabled = _split_names(settings.get("disabled")) | _split_names(env.get(DISABLE_ENV))
    trace = bool(settings.get("trace", False)) or env.get(TRACE_ENV, "").strip().lower() in _TRUE
    manager = PluginManager(disabled=disabled, trace=trace)
    manager.load_default_plugins(default_plugins)
    if entry_points:
        manager.load_entry_points()
    manager.check_pending()
    return manager
