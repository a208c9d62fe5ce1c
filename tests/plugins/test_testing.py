"""The plugin authors' kit (srs.testing): a real server on free ports, SIPp against it."""

from __future__ import annotations

import socket
import ssl
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from srs import testing
from srs.testing import (
    SrsServer,
    SrsServerError,
    free_port,
    free_port_range,
    make_pki,
    send_siprec_call,
    srs_server,  # noqa: F401  (fixture)
    srs_user_add,
    start_srs_server,
    write_config,
)

HEALTH = "/api/v1/health"
SCENARIOS = Path(__file__).resolve().parents[2] / "sipp-scenarios"


def test_free_ports_are_bindable() -> None:
    port = free_port()
    low, high = free_port_range(10)
    assert 0 < port < 65536 and low % 2 == 0 and high - low == 9


def test_write_config(tmp_path: Path) -> None:
    path = write_config(
        tmp_path / "c.toml",
        {
            "sip": {"udp_port": 5070, "host": "127.0.0.1"},
            "plugins": {"disabled": ["a"], "trace": True},
        },
    )
    assert path.read_text() == (
        '[sip]\nudp_port = 5070\nhost = "127.0.0.1"\n\n[plugins]\ndisabled = ["a"]\ntrace = true\n'
    )


def test_a_server_that_exits_fails_loudly_with_its_log(tmp_path: Path) -> None:
    fake = [sys.executable, "-c", "import sys; print('no server here'); sys.exit(3)"]
    with pytest.raises(SrsServerError) as caught:
        start_srs_server(tmp_path, command=fake, timeout=10)
    message = str(caught.value)
    assert message.startswith("srs serve exited with code 3 before listening")
    assert message.endswith("log:\nno server here")


@pytest.mark.sipp
def test_real_server_answers_options_and_a_call(srs_server: SrsServer) -> None:  # noqa: F811
    assert srs_server.alive()
    config = srs_server.config_path.read_text()
    assert f"udp_port = {srs_server.sip_port}" in config
    ping = send_siprec_call(srs_server, SCENARIOS / "uac-options-ping.xml")
    assert ping.returncode == 0, ping.describe()
    call = send_siprec_call(srs_server, "uac", extra_args=["-d", "500"])
    assert call.returncode == 0, call.describe()
    with urllib.request.urlopen(srs_server.http_url + HEALTH, timeout=5) as response:
        assert response.status == 200
    assert srs_server.data_dir.is_dir()


def test_free_port_range_scans_past_ports_in_use(monkeypatch: pytest.MonkeyPatch) -> None:
    low, high = free_port_range(40)
    monkeypatch.setattr(testing, "_handed_out", set())  # hand the block out again
    busy = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(low, high + 1)]
    try:
        for port, sock in zip(range(low, high + 1), busy, strict=True):
            if not low + 20 <= port < low + 30:
                sock.bind(("127.0.0.1", port))
        assert free_port_range(10, low, high + 1) == (low + 20, low + 29)
        with pytest.raises(SrsServerError, match=f"no block of 12 free UDP ports in {low}-"):
            free_port_range(12, low, high + 1)
    finally:
        for sock in busy:
            sock.close()


def test_make_pki_signs_a_certificate_for_the_host(tmp_path: Path) -> None:
    ca, cert, key = make_pki(tmp_path / "pki", "127.0.0.1")
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(ca))
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port)) as raw:
            accepted, _ = listener.accept()
            with accepted:
                wrapped = server.wrap_socket(
                    accepted, server_side=True, do_handshake_on_connect=False
                )
                tls = client.wrap_socket(
                    raw, server_hostname="127.0.0.1", do_handshake_on_connect=False
                )
                tls.setblocking(False)
                wrapped.setblocking(False)
                for _ in range(100):  # drive both handshakes in one thread
                    done = 0
                    for side in (tls, wrapped):
                        try:
                            side.do_handshake()
                            done += 1
                        except ssl.SSLWantReadError:
                            pass
                    if done == 2:
                        break
                    time.sleep(0.01)
                assert tls.getpeercert()["subjectAltName"] == (("IP Address", "127.0.0.1"),)


def test_srs_user_add_failure_names_the_command(tmp_path: Path) -> None:
    missing = tmp_path / "missing.toml"
    with pytest.raises(SrsServerError) as caught:
        srs_user_add(missing, "someone", api_key="k")
    assert "user add --config " + str(missing) in str(caught.value)
