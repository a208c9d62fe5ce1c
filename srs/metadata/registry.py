"""Where dialects come from: the built-ins, and vendor dialects when installed.

The server builds its registry from the plugin manager (``registry_from_plugins``, which
honours ``SRS_DISABLE_PLUGINS``) and installs it with ``set_default_registry``.  Code that
parses without a server (tests, tools) gets built-ins plus ``srs_vendor_dialects`` if
installed: ``load_vendor_dialects`` imports those modules and calls their hook directly.
"""

from __future__ import annotations

import importlib
from typing import Any

from srs.metadata.dialect import DialectRegistry
from srs.metadata.dialects import DraftDialect, Rfc7865Dialect

VENDOR_PACKAGE = "srs_vendor_dialects"


def default_registry() -> DialectRegistry:
    """A new registry with the built-in dialects only (``rfc7865``, ``draft``)."""
    registry = DialectRegistry()
    registry.register(Rfc7865Dialect())
    registry.register(DraftDialect())
    return registry


def load_vendor_dialects(registry: DialectRegistry) -> list[str]:
    """Register every vendor dialect module of ``srs_vendor_dialects``; returns module names."""
    try:
        package = importlib.import_module(VENDOR_PACKAGE)
    except ImportError:
        return []
    loaded: list[str] = []
    for module_name in getattr(package, "MODULES", ()):
        module = importlib.import_module(f"{VENDOR_PACKAGE}.{module_name}")
        hook = getattr(module, "srs_register_metadata_dialects", None)
        if hook is not None:
            hook(registry=registry)
            loaded.append(module_name)
    return loaded


def registry_from_plugins(manager: Any) -> DialectRegistry:
    """Ask every plugin (built-ins included) through ``srs_register_metadata_dialects``."""
    registry = DialectRegistry()
    manager.hook.srs_register_metadata_dialects(registry=registry)
    return registry


_default: DialectRegistry | None = None


def set_default_registry(registry: DialectRegistry | None) -> None:
    """Install the registry ``parse_metadata`` uses when none is passed (None = rebuild)."""
    global _default
    _default = registry


def process_registry() -> DialectRegistry:
    """The registry ``parse_metadata`` uses by default (built once, on first use)."""
    global _default
    if _default is None:
        registry = default_registry()
        load_vendor_dialects(registry)
        _default = registry
    return _default
