"""Two real ``srs serve`` nodes behind one real Kamailio dispatcher (the scale-out
deployment of docs/kamailio.md), and the lookups a test makes on it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kamailio_proxy import KamailioProxy, start_kamailio

from srs.testing import SrsServer, start_srs_server

NODE_CONFIG: dict[str, dict[str, Any]] = {"logging": {"level": "DEBUG"}}


def start_node(workdir: Path) -> SrsServer:
    """A node with an admin API key for its HTTP API (``srs user add ... --api-key``)."""
    return start_srs_server(workdir, config=NODE_CONFIG, api_key=True)


@dataclass
class Cluster:
    nodes: list[SrsServer]
    proxy: KamailioProxy

    def recording(self, node: SrsServer, call_id: str) -> dict[str, Any] | None:
        """The node's recording of ``call_id`` (detail view), or None if it has none."""
        items = node.find_recordings(call_id=call_id)
        if not items:
            return None
        assert len(items) == 1, f"{len(items)} recordings of {call_id} on :{node.sip_port}"
        detail: dict[str, Any] = node.get_json(f"/api/v1/recordings/{items[0]['id']}")
        return detail

    def wait_recording(self, node: SrsServer, call_id: str) -> dict[str, Any]:
        """Recordings appear once finalized, shortly after the BYE."""
        return node.wait_recording(call_id, timeout=30.0)

    def node_by_port(self, port: int) -> SrsServer:
        for node in self.nodes:
            if node.sip_port == port:
                return node
        raise AssertionError(f"no srs node listens on SIP port {port}")

    def diagnostics(self) -> str:
        """Kamailio's and every node's log tail, for assertion messages."""
        parts = [f"--- kamailio (port {self.proxy.port}) ---\n{self.proxy.log_tail(80)}"]
        for node in self.nodes:
            parts.append(f"--- srs :{node.sip_port} ---\n{node.log_report(40)}")
        return "\n".join(parts)


@contextlib.contextmanager
def running_cluster(
    workdir: Path, *, ping_interval: int, fr_timer_ms: int = 3000
) -> Iterator[Cluster]:
    """Start two nodes (in parallel: each takes ~1.5 s) and Kamailio; stop all at exit."""
    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(start_node, workdir / f"srs-{n}") for n in (1, 2)]
    nodes = [f.result() for f in futures if f.exception() is None]
    failed = [f.exception() for f in futures if f.exception() is not None]
    if failed:
        for node in nodes:
            node.stop()
        raise failed[0]  # type: ignore[misc]
    try:
        proxy = start_kamailio(
            workdir / "kamailio",
            [(node.host, node.sip_port) for node in nodes],
            ping_interval=ping_interval,
            fr_timer_ms=fr_timer_ms,
        )
        try:
            yield Cluster(nodes, proxy)
        finally:
            proxy.stop()
    finally:
        for node in nodes:
            node.stop()
