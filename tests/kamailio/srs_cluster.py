"""Two real ``srs serve`` nodes behind one real Kamailio dispatcher (the scale-out
deployment of docs/kamailio.md), and the lookups a test makes on it."""

from __future__ import annotations

import contextlib
import re
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from kamailio_proxy import KamailioProxy, start_kamailio

from srs.testing import SrsServer, srs_command, start_srs_server

NODE_CONFIG: dict[str, dict[str, Any]] = {
    "media": {"host": "127.0.0.1", "advertised_host": "127.0.0.1"},
    "recording": {"finalize_workers": 1},
    "logging": {"level": "DEBUG"},
}


def create_api_key(node: SrsServer) -> str:
    """An admin API key for the node's HTTP API, made as an operator would
    (``srs user add ... --api-key``)."""
    argv = [*srs_command(), "user", "add", "--config", str(node.config_path), "kamailio-test"]
    argv += ["--role", "system-admin", "--api-key", "kamailio-test"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=60, check=False)
    found = re.search(r"API key \(shown once\): (\S+)", done.stdout)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"{' '.join(argv)} exited {done.returncode}: {done.stdout}{done.stderr}")
    return found.group(1)


def start_node(workdir: Path) -> tuple[SrsServer, str]:
    node = start_srs_server(workdir, config=NODE_CONFIG)
    try:
        return node, create_api_key(node)
    except BaseException:
        node.stop()
        raise


@dataclass
class Cluster:
    nodes: list[SrsServer]
    proxy: KamailioProxy
    api_keys: dict[int, str]  # SIP port -> API key of that node

    def recording(self, node: SrsServer, call_id: str) -> dict[str, Any] | None:
        return recording_for(node, call_id, self.api_keys[node.sip_port])

    def wait_recording(self, node: SrsServer, call_id: str) -> dict[str, Any]:
        return wait_recording(node, call_id, self.api_keys[node.sip_port])

    def node_by_port(self, port: int) -> SrsServer:
        for node in self.nodes:
            if node.sip_port == port:
                return node
        raise AssertionError(f"no srs node listens on SIP port {port}")

    def diagnostics(self) -> str:
        """Kamailio's and every node's log tail, for assertion messages."""
        parts = [f"--- kamailio (port {self.proxy.port}) ---\n{self.proxy.log_tail(80)}"]
        for node in self.nodes:
            parts.append(f"--- srs :{node.sip_port} ---\n{node.log_tail(40)}")
        return "\n".join(parts)


@contextlib.contextmanager
def running_cluster(
    workdir: Path, *, ping_interval: int, fr_timer_ms: int = 3000
) -> Iterator[Cluster]:
    """Start two nodes (in parallel: each takes ~1.5 s) and Kamailio; stop all at exit."""
    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(start_node, workdir / f"srs-{n}") for n in (1, 2)]
    started = [f.result() for f in futures if f.exception() is None]
    nodes = [node for node, _ in started]
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
            yield Cluster(nodes, proxy, {node.sip_port: key for node, key in started})
        finally:
            proxy.stop()
    finally:
        for node in nodes:
            node.stop()


def recording_for(node: SrsServer, call_id: str, api_key: str) -> dict[str, Any] | None:
    """The node's recording of ``call_id`` (detail view), or None if it has none."""
    headers = {"X-API-Key": api_key}
    with httpx.Client(base_url=f"{node.http_url}/api/v1", headers=headers, timeout=5) as client:
        page = client.get("/recordings", params={"call_id": call_id})
        page.raise_for_status()
        items = page.json()["items"]
        if not items:
            return None
        assert len(items) == 1, f"{len(items)} recordings of {call_id} on :{node.sip_port}"
        detail = client.get(f"/recordings/{items[0]['id']}")
        detail.raise_for_status()
        result: dict[str, Any] = detail.json()
        return result


def wait_recording(
    node: SrsServer, call_id: str, api_key: str, timeout: float = 30.0
) -> dict[str, Any]:
    """Recordings appear once finalized, shortly after the BYE: poll for it."""
    deadline = time.monotonic() + timeout
    while True:
        found = recording_for(node, call_id, api_key)
        if found is not None:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(
                f"no recording of {call_id} on srs :{node.sip_port} within {timeout} s; "
                f"log tail:\n{node.log_tail()}"
            )
        time.sleep(0.2)
