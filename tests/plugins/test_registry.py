"""The registries handed to contribution hooks (srs.plugins.registry)."""

from __future__ import annotations

import argparse

import pytest

from srs.plugins.registry import (
    ApiRouteRegistry,
    CliCommandRegistry,
    RegistryError,
    StorageBackendRegistry,
)


def test_register_get_names_owner() -> None:
    registry = StorageBackendRegistry()
    registry.register("s3", lambda config: "s3", plugin="srs-s3")
    registry.register("local", lambda config: "local")
    assert registry.names() == ["local", "s3"] and list(registry) == ["local", "s3"]
    assert registry.get("s3")({}) == "s3"
    assert registry.owner("s3") == "srs-s3" and registry.owner("local") is None
    assert "s3" in registry and "gcs" not in registry and len(registry) == 2


def test_duplicate_names_the_first_owner() -> None:
    registry = StorageBackendRegistry()
    registry.register("s3", lambda config: None, plugin="srs-s3")
    with pytest.raises(RegistryError) as caught:
        registry.register("s3", lambda config: None, plugin="other")
    assert str(caught.value) == "storage backend 's3' is already registered by plugin 'srs-s3'"


def test_unknown_name_lists_what_exists() -> None:
    registry = StorageBackendRegistry()
    with pytest.raises(RegistryError) as empty:
        registry.get("s3")
    assert str(empty.value) == "unknown storage backend 's3' (registered: none)"
    registry.register("local", lambda config: None)
    registry.register("gcs", lambda config: None)
    with pytest.raises(RegistryError) as caught:
        registry.get("s3")
    assert str(caught.value) == "unknown storage backend 's3' (registered: gcs, local)"


@pytest.mark.parametrize("name", ["", "S3", "1st", "a b", "x/y"])
def test_invalid_names(name: str) -> None:
    with pytest.raises(RegistryError, match=r"^invalid storage backend name "):
        StorageBackendRegistry().register(name, lambda config: None)


def test_api_routes_keep_order_and_refuse_the_same_handler_twice() -> None:
    def first() -> None: ...
    def second() -> None: ...

    registry = ApiRouteRegistry()
    registry.add(first, plugin="p")
    registry.add(second)
    assert registry.route_handlers() == [first, second] and len(registry) == 2
    assert registry.owners() == [(first, "p"), (second, None)]
    with pytest.raises(RegistryError, match=r"is already registered$"):
        registry.add(first)


def test_cli_command_registry() -> None:
    registry = CliCommandRegistry()

    def run(args: argparse.Namespace) -> int:
        return 3

    command = registry.add("export-all", help="export", run=run, plugin="p")
    assert registry.commands() == [command]
    parser = argparse.ArgumentParser()
    command.configure(parser)  # the default adds no argument
    assert vars(parser.parse_args([])) == {}
    with pytest.raises(
        RegistryError, match=r"^cli command 'export-all' is already registered by plugin 'p'$"
    ):
        registry.add("export-all", help="again", run=run)
