"""Loading, disabling, tracing and validating plugins (srs.plugins.manager)."""

from __future__ import annotations

import logging
import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from srs.plugins import hookimpl
from srs.plugins.manager import (
    DEFAULT_PLUGINS,
    PluginError,
    PluginManager,
    get_plugin_manager,
)
from srs.plugins.registry import StorageBackendRegistry
from srs.sip.headers import Headers
from srs.sip.message import SipRequest

ONLY_GOOD = {"SRS_DISABLE_PLUGINS": "typo"}


def invite(*headers: tuple[str, str]) -> SipRequest:
    base = [("Call-ID", "abc@h"), ("From", "<sip:a@h>;tag=1"), ("To", "<sip:b@h>")]
    return SipRequest("INVITE", "sip:b@h", Headers([*base, *headers]))


def test_installed_distribution_is_loaded_and_its_hooks_called(installed_plugin: Path) -> None:
    manager = get_plugin_manager(environ=ONLY_GOOD)
    info = {p.name: p for p in manager.plugins()}["throwaway"]
    assert (info.distribution, info.version, info.builtin) == (
        "srs-throwaway-plugin",
        "0.0.1",
        False,
    )
    assert info.hooks == (
        "srs_classify_call",
        "srs_configure",
        "srs_register_storage_backends",
        "srs_session_started",
    )
    module = sys.modules["throwaway_plugin"]
    assert module.__file__ is not None and Path(module.__file__).parent == installed_plugin
    manager.configure({"x": 1})
    manager.hook.srs_session_started(snapshot={"recording_id": "rec-1"})
    result = manager.hook.srs_classify_call(request=invite(), now=12.5)
    assert result.group_id == "throwaway-group"
    assert module.CALLS == [("configure", {"x": 1}), ("started", "rec-1"), ("classify", 12.5)]
    assert manager.storage_backends().get("throwaway")({}) == "throwaway-backend"


def test_without_the_distribution_on_the_path_it_is_absent() -> None:
    names = {p.name for p in get_plugin_manager(environ={}).plugins()}
    assert "throwaway" not in names
    assert set(DEFAULT_PLUGINS) <= names


def test_misspelt_hook_fails_loudly_naming_plugin_and_hook(installed_plugin: Path) -> None:
    with pytest.raises(PluginError) as caught:
        get_plugin_manager(environ={})
    assert str(caught.value) == (
        "plugin 'typo' implements unknown hook 'srs_sesion_started'; "
        "did you mean 'srs_session_started'? (the hooks are listed in docs/plugin_hooks.md)"
    )


@pytest.mark.parametrize(
    ("environ", "config", "absent"),
    [
        ({"SRS_DISABLE_PLUGINS": "typo, throwaway"}, None, {"typo", "throwaway"}),
        ({"SRS_DISABLE_PLUGINS": "srs-throwaway-plugin"}, None, {"typo", "throwaway"}),
        ({}, {"plugins": {"disabled": ["typo", "throwaway"]}}, {"typo", "throwaway"}),
        (
            {"SRS_DISABLE_PLUGINS": "typo,metadata_dialects"},
            types.SimpleNamespace(plugins=types.SimpleNamespace(disabled=("throwaway",))),
            {"typo", "throwaway", "srs.plugins.builtin.metadata_dialects"},
        ),
    ],
)
def test_disable_switch(
    installed_plugin: Path, environ: dict[str, str], config: object, absent: set[str]
) -> None:
    manager = get_plugin_manager(config, environ=environ)
    names = {p.name for p in manager.plugins()}
    assert not (names & absent)
    assert absent <= set(manager.skipped)


def test_disabled_plugin_is_not_even_imported(installed_plugin: Path) -> None:
    get_plugin_manager(environ={"SRS_DISABLE_PLUGINS": "typo,throwaway"})
    assert "throwaway_plugin" not in sys.modules


@pytest.mark.parametrize(
    ("environ", "config"),
    [({"SRS_TRACE_PLUGINS": "1", **ONLY_GOOD}, None), (ONLY_GOOD, {"plugins": {"trace": True}})],
)
def test_trace_switch_logs_hook_calls(
    installed_plugin: Path,
    caplog: pytest.LogCaptureFixture,
    environ: dict[str, str],
    config: object,
) -> None:
    manager = get_plugin_manager(config, environ=environ)
    with caplog.at_level(logging.INFO, logger="srs.plugins"):
        caplog.clear()  # loading may already have logged (when an earlier test set INFO)
        manager.hook.srs_session_started(snapshot={"recording_id": "rec-7"})
    lines = [r.getMessage() for r in caplog.records if r.name == "srs.plugins"]
    assert len(lines) == 2
    assert lines[0].startswith("hook srs_session_started(snapshot={'recording_id': 'rec-7'}) -> [")
    assert re.search(r" -> \[(.*, )?throwaway(, .*)?\]$", lines[0]), lines[0]
    assert lines[1] == "hook srs_session_started returned []"


def test_no_trace_by_default(installed_plugin: Path, caplog: pytest.LogCaptureFixture) -> None:
    manager = get_plugin_manager(environ=ONLY_GOOD)
    with caplog.at_level(logging.INFO, logger="srs.plugins"):
        caplog.clear()
        manager.hook.srs_session_started(snapshot={"recording_id": "rec-7"})
    assert [r for r in caplog.records if r.name == "srs.plugins"] == []


def test_trace_logs_exceptions(caplog: pytest.LogCaptureFixture) -> None:
    class Broken:
        @hookimpl
        def srs_tick(self, now: float) -> None:
            raise RuntimeError("boom")

    manager = PluginManager(trace=True)
    manager.register(Broken(), "broken")
    with caplog.at_level(logging.INFO, logger="srs.plugins"), pytest.raises(RuntimeError):
        manager.hook.srs_tick(now=1.0)
    assert caplog.records[-1].getMessage() == "hook srs_tick raised RuntimeError('boom')"


def test_hookimpl_with_argument_not_in_spec_is_rejected_with_plugin_name() -> None:
    class Wrong:
        @hookimpl
        def srs_tick(self, now: float, when: float) -> None:
            pass

    with pytest.raises(PluginError) as caught:
        PluginManager().register(Wrong(), "wrong")
    assert str(caught.value) == (
        "plugin 'wrong' is invalid: Plugin 'wrong' for hook 'srs_tick'; "
        "hookimpl definition: srs_tick(now: 'float', when: 'float') -> 'None'; "
        "Argument(s) {'when'} are declared in the hookimpl but can not be found in the hookspec"
    )


def test_two_plugins_with_one_name() -> None:
    manager = PluginManager()
    manager.register(types.SimpleNamespace(), "same", distribution="a")
    with pytest.raises(
        PluginError, match=r"^two plugins are named 'same' \(the second from distribution b\)$"
    ):
        manager.register(types.SimpleNamespace(), "same", distribution="b")


def test_unloadable_entry_point_names_plugin_and_distribution(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = tmp_path / "srs_broken-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: srs-broken\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[srs]\nbroken = srs_no_such_module_here\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(PluginError) as caught:
        get_plugin_manager(environ={})
    assert str(caught.value) == (
        "cannot load plugin 'broken' (srs_no_such_module_here) from distribution srs-broken 1.0: "
        "ModuleNotFoundError: No module named 'srs_no_such_module_here'"
    )


def test_builtin_metadata_dialects_register_through_the_hook() -> None:
    from srs.metadata.dialect import DialectRegistry

    manager = get_plugin_manager(environ={}, entry_points=False)
    registry = DialectRegistry()
    manager.hook.srs_register_metadata_dialects(registry=registry)
    assert {"rfc7865", "draft"} <= set(registry.names())
    disabled = get_plugin_manager(
        environ={"SRS_DISABLE_PLUGINS": "metadata_dialects"}, entry_points=False
    )
    empty = DialectRegistry()
    disabled.hook.srs_register_metadata_dialects(registry=empty)
    assert empty.names() == []


def test_contribution_registries_are_fresh_each_call() -> None:
    class Contributes:
        @hookimpl
        def srs_register_storage_backends(self, registry: StorageBackendRegistry) -> None:
            registry.register("mem", lambda config: config)

    manager = PluginManager()
    manager.register(Contributes(), "contributes")
    first: Any = manager.storage_backends()
    assert first.names() == ["mem"] and manager.storage_backends() is not first
