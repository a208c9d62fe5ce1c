"""The hook implementations of srs_cisco_bib.plugin, driven through srs's plugin manager."""

from __future__ import annotations

import logging
import types
from collections.abc import Iterator
from typing import Any

import pytest
from bib_corpus import FAR_105, FAR_115, NEAR_105, NEAR_115, request
from srs_cisco_bib import plugin

from srs.metadata.facts import CallFacts
from srs.plugins.classification import CallClassification
from srs.plugins.manager import PluginManager, get_plugin_manager
from srs.sip.headers import Headers
from srs.sip.message import SipRequest


@pytest.fixture
def manager() -> Iterator[PluginManager]:
    pm = PluginManager()
    pm.register(plugin, "cisco_bib")
    pm.check_pending()
    pm.configure({"plugins": {"cisco_bib": {"wait": 1.5, "chain_window": 20}}})
    yield pm
    pm.configure({})


def classify(pm: PluginManager, name: str, now: float) -> CallClassification:
    result = pm.hook.srs_classify_call(request=request(name), now=now)
    assert isinstance(result, CallClassification)
    return result


def snapshot(recording_id: str, group_id: str) -> dict[str, Any]:
    return {"recording_id": recording_id, "group": {"id": group_id}}


def enrich(pm: PluginManager, snap: dict[str, Any]) -> CallFacts:
    facts = CallFacts()
    pm.hook.srs_enrich_call_facts(facts=facts, snapshot=snap)
    return facts


@pytest.mark.parametrize(("near", "far"), [(NEAR_105, FAR_105), (NEAR_115, FAR_115)])
@pytest.mark.parametrize("near_first", [True, False])
def test_forks_become_one_stereo_group(
    manager: PluginManager, near: str, far: str, near_first: bool
) -> None:
    first, second = (near, far) if near_first else (far, near)
    a = classify(manager, first, now=100.0)
    b = classify(manager, second, now=100.4)
    by_leg = {c.leg: c for c in (a, b)}
    assert by_leg["nearend"].channel == 0 and by_leg["farend"].channel == 1
    assert a.group_id == b.group_id and a.logical_call_id == b.logical_call_id == a.group_id
    for c in (a, b):
        assert (c.channels, c.expected_legs, c.wait, c.segment, c.plugin) == (
            2,
            2,
            1.5,
            0,
            "cisco_bib",
        )
    assert b.facts["cisco_bib.nearend_number"] == ("9110001" if near == NEAR_105 else "1001")
    assert b.facts["cisco_bib.farend_number"] == ("9110006" if near == NEAR_105 else "1000")


def test_facts_of_a_paired_cucm105_call(manager: PluginManager) -> None:
    group = classify(manager, NEAR_105, now=1.0).group_id
    classify(manager, FAR_105, now=1.1)
    snap = snapshot("rec-1", group)
    manager.hook.srs_session_started(snapshot=snap)
    assert enrich(manager, snap).attributes == {
        "cisco_bib.refci": "38960750",
        "cisco_bib.farend_refci": "38960749",
        "cisco_bib.nearend_cluster": "glenscucm10-5",
        "cisco_bib.nearend_device": "SEP001795BDD16B",
        "cisco_bib.nearend_number": "9110001",
        "cisco_bib.farend_cluster": "glenscucm10-5",
        "cisco_bib.farend_device": "SEP0018195AA209",
        "cisco_bib.farend_number": "9110006",
        "cisco_bib.call_id": group,
        "cisco_bib.segment": "0",
        "cisco_bib.legs": "farend,nearend",
        "cisco_bib.lone_leg": "false",
        "cisco_bib.partner_late": "false",
    }


def test_lone_leg_after_wait_is_flagged(
    manager: PluginManager, caplog: pytest.LogCaptureFixture
) -> None:
    group = classify(manager, FAR_115, now=10.0).group_id
    snap = snapshot("rec-2", group)
    manager.hook.srs_session_started(snapshot=snap)
    manager.hook.srs_tick(now=11.0)
    assert enrich(manager, snap).attributes["cisco_bib.partner_late"] == "false"
    with caplog.at_level(logging.WARNING, logger="srs_cisco_bib"):
        manager.hook.srs_tick(now=11.5)
    assert caplog.records[-1].getMessage() == (
        f"cisco_bib: farend fork of group {group} got no partner within 1.5 s; recording it alone"
    )
    facts = enrich(manager, snap).attributes
    assert (facts["cisco_bib.lone_leg"], facts["cisco_bib.legs"]) == ("true", "farend")


def test_segment_after_session_end_continues_the_call(manager: PluginManager) -> None:
    first = classify(manager, NEAR_115, now=0.0)
    classify(manager, FAR_115, now=0.1)
    # The final snapshot may lack the group: the plugin remembers it from session start.
    manager.hook.srs_session_started(snapshot=snapshot("rec-3", first.group_id))
    manager.hook.srs_tick(now=30.0)
    manager.hook.srs_session_ended(snapshot={"recording_id": "rec-3"}, reason="bye")
    manager.hook.srs_tick(now=45.0)
    again = classify(manager, NEAR_115, now=45.0)
    assert again.group_id != first.group_id
    assert (again.call_id, again.segment) == (first.group_id, 1)
    manager.hook.srs_tick(now=100.0)  # window passed: the old group is forgotten
    assert plugin.state.pairer.group(first.group_id) is None


def test_ordinary_and_broken_invites_are_not_classified(
    manager: PluginManager, caplog: pytest.LogCaptureFixture
) -> None:
    plain = SipRequest(
        "INVITE", "sip:b@h", Headers([("From", "<sip:a@h>;tag=1"), ("Call-ID", "c1")])
    )
    assert manager.hook.srs_classify_call(request=plain, now=0.0) is None
    broken = SipRequest(
        "INVITE", "sip:b@h", Headers([("From", "<sip:a@h;x-nearend>;tag=1"), ("Call-ID", "c2")])
    )
    with caplog.at_level(logging.WARNING, logger="srs_cisco_bib"):
        assert manager.hook.srs_classify_call(request=broken, now=0.0) is None
    assert caplog.records[-1].getMessage() == (
        "cisco_bib: not pairing this INVITE: BIB fork without x-refci in From: '<sip:a@h;x-nearend>;tag=1'"
    )


def test_unrelated_session_gets_no_facts(manager: PluginManager) -> None:
    assert enrich(manager, {"recording_id": "rec-x"}).attributes == {}


def test_settings_from_a_config_object() -> None:
    config = types.SimpleNamespace(
        plugins=types.SimpleNamespace(settings={"cisco_bib": {"wait": 4}})
    )
    plugin.srs_configure(config)  # type: ignore[arg-type]
    assert plugin.state.pairer.wait == 4.0 and plugin.state.pairer.chain_window == 30.0
    plugin.srs_configure(types.SimpleNamespace(plugins=types.SimpleNamespace(disabled=())))  # type: ignore[arg-type]
    assert plugin.state.pairer.wait == plugin.DEFAULT_WAIT


def test_installed_entry_point_is_found() -> None:
    """Needs ``pip install -e plugins/cisco-bib``: the distribution registers entry point
    ``cisco_bib`` in group ``srs``."""
    infos = {info.name: info for info in get_plugin_manager(environ={}).plugins()}
    info = infos["cisco_bib"]
    assert (info.distribution, info.module) == ("srs-cisco-bib", "srs_cisco_bib.plugin")
    assert {"srs_classify_call", "srs_tick", "srs_enrich_call_facts", "srs_session_ended"} <= set(
        info.hooks
    )
