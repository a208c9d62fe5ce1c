"""The pieces the Kamailio test relies on to drive and read Kamailio: template rendering,
the dispatcher list, and parsing of the script's log lines (no process started here)."""

from __future__ import annotations

import re

import pytest
from kamailio_proxy import (
    LOG_PREFIX,
    TEMPLATE,
    Event,
    dispatcher_list,
    parse_events,
    render,
)

VALUES = {
    "LISTEN_IP": "127.0.0.1",
    "SIP_PORT": "5099",
    "DISPATCHER_LIST": "/tmp/ds.list",
    "PING_INTERVAL": "1",
    "FR_TIMER_MS": "1500",
    "LOG_PREFIX": LOG_PREFIX,
}


def test_template_renders_completely() -> None:
    cfg = render(TEMPLATE.read_text(), VALUES)
    assert "@@" not in cfg
    assert "listen=udp:127.0.0.1:5099\n" in cfg
    assert "listen=tcp:127.0.0.1:5099\n" in cfg
    assert 'modparam("dispatcher", "list_file", "/tmp/ds.list")' in cfg
    assert 'modparam("tm", "fr_timer", 1500)' in cfg


def test_render_refuses_missing_and_unknown_values() -> None:
    with pytest.raises(KeyError, match=re.escape("no value for placeholder(s) B")):
        render("listen=@@A@@:@@B@@", {"A": "x"})
    with pytest.raises(KeyError, match=re.escape("placeholder(s) not in template: C")):
        render("listen=@@A@@", {"A": "x", "C": "y"})
    assert render("a=@@A@@ b=@@A@@", {"A": "1"}) == "a=1 b=1"


def test_dispatcher_list_has_a_set_per_transport() -> None:
    text = dispatcher_list([("127.0.0.1", 5070), ("127.0.0.1", 5080)])
    rows = [line.split() for line in text.splitlines() if not line.startswith("#")]
    assert rows == [
        ["1", "sip:127.0.0.1:5070", "0", "0"],
        ["1", "sip:127.0.0.1:5080", "0", "0"],
        ["2", "sip:127.0.0.1:5070;transport=tcp", "0", "0"],
        ["2", "sip:127.0.0.1:5080;transport=tcp", "0", "0"],
    ]


def test_parse_events_reads_script_lines_only() -> None:
    log = "\n".join(
        [
            " 1(7179) INFO: <core> [main.c:854]: sig_usr(): signal 15 received",
            f" 1(7179) NOTICE: <script>: {LOG_PREFIX} dispatch method=INVITE ci=a-1@h "
            "proto=udp set=1 du=sip:127.0.0.1:5070",
            f" 2(7180) NOTICE: <script>: {LOG_PREFIX} dst-down ru=sip:127.0.0.1:5080 du=<null>",
            f" 3(7181) WARNING: <script>: {LOG_PREFIX} dst-down free text is no event",
        ]
    )
    assert parse_events(log) == [
        Event(
            "dispatch",
            {
                "method": "INVITE",
                "ci": "a-1@h",
                "proto": "udp",
                "set": "1",
                "du": "sip:127.0.0.1:5070",
            },
        ),
        Event("dst-down", {"ru": "sip:127.0.0.1:5080", "du": "<null>"}),
    ]
