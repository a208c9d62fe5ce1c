"""srs behind a real Kamailio dispatcher (issue #2 and the scale-out story): SIPREC calls
from SIPp go through Kamailio to two srs nodes, round robin; in-dialog requests (ACK,
re-INVITE, BYE) come back through Kamailio by the Record-Route that srs copied into its
2xx; every call is recorded on the node that took it; a stopped node is failed over and
found dead by OPTIONS pings.

Kamailio and SIPp are real programs (Debian packages kamailio, sip-tester); a missing one
fails the test, never skips it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from kamailio_proxy import Event
from sipp_calls import run_sipp
from srs_cluster import Cluster, running_cluster

from srs.testing import SCENARIOS, SippRun, SrsServer, scenario_copy
from srs.testing_media import call_pcap

pytestmark = pytest.mark.sipp

BASIC = "uac-siprec-basic.xml"
REINVITE = "uac-siprec-reinvite-hold-resume.xml"
PCAP_SECONDS = 2.0  # audio per stream; the scenario itself pauses 3 s before its BYE
_PORT = re.compile(r"^sips?:[^:;]+:(\d+)")


def uri_port(uri: str) -> int:
    match = _PORT.match(uri)
    assert match, f"no port in URI {uri!r}"
    return int(match.group(1))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with running_cluster(tmp_path_factory.mktemp("kamailio-cluster"), ping_interval=1) as c:
        yield c
        dead = [f"srs :{n.sip_port}" for n in c.nodes if not n.alive()]
        dead += ["kamailio"] if c.proxy.exited() else []
        assert not dead, f"died during the tests: {dead}\n{c.diagnostics()}"


@pytest.fixture(scope="module")
def basic_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The basic scenario next to our own 2-flow PCMU pcap (the scenario pauses 3 s)."""
    scenario = scenario_copy(BASIC, tmp_path_factory.mktemp("scenario"))
    call_pcap(
        scenario.with_name("audio.pcap"),
        "pcmu",
        PCAP_SECONDS,
        (440.0, 660.0),
        ssrc=0x5150,
        phase=0.0,
    )
    return scenario


def scenario_participants(scenario: Path) -> set[tuple[str, str]]:
    """(name, AOR) of every participant in the scenario's RFC 7865 metadata."""
    text = scenario.read_text(encoding="iso-8859-1")
    found = re.findall(r'<nameID aor="([^"]+)">\s*<name[^>]*>([^<]+)</name>', text)
    assert found, f"no participants in {scenario}"
    return {(name, aor) for aor, name in found}


def expect_success(run: SippRun, cluster: Cluster) -> None:
    assert run.returncode == 0, f"{run.logs()}\n{cluster.diagnostics()}"


def events_of(cluster: Cluster, kind: str, call_id: str) -> list[Event]:
    return [e for e in cluster.proxy.events(kind) if e.fields.get("ci") == call_id]


def node_that_took(cluster: Cluster, call_id: str) -> SrsServer:
    """The node Kamailio last relayed the initial INVITE to (after any failover)."""
    hops = [
        e
        for e in cluster.proxy.events()
        if e.kind in ("dispatch", "failover") and e.fields.get("ci") == call_id
    ]
    assert hops, f"Kamailio never dispatched {call_id}\n{cluster.diagnostics()}"
    return cluster.node_by_port(uri_port(hops[-1].fields["du"]))


def assert_in_dialog_via_proxy(
    cluster: Cluster, call_id: str, node: SrsServer, expected: list[str]
) -> None:
    """Kamailio loose-routed exactly ``expected`` in-dialog methods of the call, each to
    ``node``'s Contact (so srs's 2xx carried our Record-Route and its own Contact)."""
    seen = events_of(cluster, "in-dialog", call_id)
    assert sorted(e.fields["method"] for e in seen) == sorted(expected), (
        f"{call_id}: in-dialog requests through Kamailio {[e.fields for e in seen]}, "
        f"expected {expected}\n{cluster.diagnostics()}"
    )
    for event in seen:
        assert uri_port(event.fields["ru"]) == node.sip_port, event.fields
    refused = events_of(cluster, "in-dialog-without-route", call_id)
    assert not refused, [e.fields for e in refused]


def assert_rport_filled(cluster: Cluster, call_id: str) -> None:
    """Kamailio's Via carries ``;rport`` (add_local_rport): in srs's responses it must come
    back filled with the source port and ``received`` (RFC 3581 section 4)."""
    replies = events_of(cluster, "reply", call_id)
    assert replies, f"no reply to {call_id} reached Kamailio"
    for reply in replies:
        params = reply.fields["via"].split(";")[1:]
        assert f"rport={cluster.proxy.port}" in params, reply.fields
        assert "received=127.0.0.1" in params, reply.fields


def assert_recorded_on(
    cluster: Cluster, call_id: str, node: SrsServer, scenario: str = BASIC
) -> dict[str, object]:
    recording = cluster.wait_recording(node, call_id)
    parties = {(p["name"], p["aor"]) for p in recording["participants"]}
    assert parties == scenario_participants(SCENARIOS / scenario), recording["participants"]
    for other in cluster.nodes:
        if other is not node and other.alive():
            assert cluster.recording(other, call_id) is None, f"{call_id} also on :{other.sip_port}"
    return recording


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_calls_spread_round_robin_and_recorded_where_taken(
    cluster: Cluster, basic_scenario: Path, transport: str, tmp_path: Path
) -> None:
    run = run_sipp(basic_scenario, cluster.proxy.port, transport, tmp_path / "sipp", calls=2)
    expect_success(run, cluster)

    takers = [node_that_took(cluster, call_id) for call_id in run.call_ids]
    assert {n.sip_port for n in takers} == {n.sip_port for n in cluster.nodes}, (
        "round robin put both calls on one node"
    )
    for call_id, node in zip(run.call_ids, takers, strict=True):
        (dispatch,) = events_of(cluster, "dispatch", call_id)
        assert dispatch.fields["proto"] == transport
        assert dispatch.fields["du"].endswith(";transport=tcp") == (transport == "tcp")
        assert_in_dialog_via_proxy(cluster, call_id, node, ["ACK", "BYE"])
        if transport == "udp":
            assert_rport_filled(cluster, call_id)
        recording = assert_recorded_on(cluster, call_id, node)
        assert float(str(recording["duration"])) >= PCAP_SECONDS - 0.2, recording


@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_reinvite_hold_resume_and_bye_route_back_through_proxy(
    cluster: Cluster, transport: str, tmp_path: Path
) -> None:
    scenario = scenario_copy(REINVITE, tmp_path / "scenario")
    run = run_sipp(
        scenario, cluster.proxy.port, transport, tmp_path / "sipp", calls=2, pause_ms=500
    )
    expect_success(run, cluster)

    for call_id in run.call_ids:
        node = node_that_took(cluster, call_id)
        assert_in_dialog_via_proxy(
            cluster, call_id, node, ["ACK", "INVITE", "ACK", "INVITE", "ACK", "BYE"]
        )
        assert_recorded_on(cluster, call_id, node, REINVITE)


def test_stopped_node_fails_over_to_the_other(tmp_path: Path, basic_scenario: Path) -> None:
    """Pings every 60 s (none during the test): the call round robin gives to the stopped
    node times out at Kamailio (fr_timer 1.5 s), which marks the node down and relays the
    INVITE to the other node with ds_next_dst()."""
    with running_cluster(tmp_path / "cluster", ping_interval=60, fr_timer_ms=1500) as cluster:
        alive, stopped = cluster.nodes
        stopped.stop()
        run = run_sipp(basic_scenario, cluster.proxy.port, "udp", tmp_path / "sipp", calls=2)
        expect_success(run, cluster)

        failed = cluster.proxy.events("node-failed")
        assert [uri_port(e.fields["du"]) for e in failed] == [stopped.sip_port], (
            cluster.diagnostics()
        )
        (failover,) = cluster.proxy.events("failover")
        assert uri_port(failover.fields["du"]) == alive.sip_port
        assert failover.fields["ci"] == failed[0].fields["ci"]
        cluster.proxy.wait_for("dst-down", timeout=1, du=f"sip:127.0.0.1:{stopped.sip_port}")
        for call_id in run.call_ids:
            assert node_that_took(cluster, call_id) is alive
            assert_in_dialog_via_proxy(cluster, call_id, alive, ["ACK", "BYE"])
            assert_recorded_on(cluster, call_id, alive)


def test_options_pings_take_a_stopped_node_out_of_rotation(
    tmp_path: Path, basic_scenario: Path
) -> None:
    """srs answers Kamailio's OPTIONS pings; once a node stops answering, the dispatcher
    marks it down and new calls go only to the live node, without failover."""
    with running_cluster(tmp_path / "cluster", ping_interval=1) as cluster:
        alive, stopped = cluster.nodes
        for node in cluster.nodes:  # srs answers the pings, to Kamailio, over both transports
            for proto in ("udp", "tcp"):
                cluster.proxy.wait_for(
                    "reply", timeout=10, method="OPTIONS", status="200", proto=proto,
                    src=f"127.0.0.1:{node.sip_port}",
                )  # fmt: skip
        stopped.stop()
        cluster.proxy.wait_for("dst-down", timeout=10, ru=f"sip:127.0.0.1:{stopped.sip_port}")
        run = run_sipp(basic_scenario, cluster.proxy.port, "udp", tmp_path / "sipp", calls=2)
        expect_success(run, cluster)

        assert not cluster.proxy.events("node-failed"), cluster.diagnostics()
        for call_id in run.call_ids:
            assert node_that_took(cluster, call_id) is alive
            assert_recorded_on(cluster, call_id, alive)
