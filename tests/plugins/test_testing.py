"""The plugin authors' kit (srs.testing): a real server on free ports, SIPp against it."""

from __future__ import annotations

import sys
import urllib.request
from pathlib import Path

import pytest

from srs.testing import (
    SrsServer,
    SrsServerError,
    free_port,
    free_port_range,
    send_siprec_call,
    srs_server,  # noqa: F401  (fixture)
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
