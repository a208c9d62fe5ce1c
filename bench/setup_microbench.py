"""CPU per SIPREC call setup in the sans-IO core, without sockets, disk or database.

Feeds the bench's own INVITE and ACK (``bench/siprec-load.xml``, SIPp keywords filled in)
through ``parse_message`` → ``SipEndpoint`` → ``Recorder`` (SDP offer/answer, RFC 7865
metadata, snapshot) and reports µs per call for the whole path and for its parts, next to
a baseline measured in the same run: ``parse_message`` of the same INVITE alone.  The
end-to-end bench (``bench/run.py``) adds what this leaves out (capture sockets and spool
files, ``session.json``, SQLite).

    .venv/bin/python bench/setup_microbench.py [--calls 2000] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import re
import time
from collections.abc import Callable
from pathlib import Path

from srs.metadata.parse import parse_metadata
from srs.sdp.description import SessionDescription
from srs.session.recording import Recorder, RecorderConfig
from srs.sip.endpoint import EndpointConfig, SipEndpoint
from srs.sip.message import SipRequest, parse_message
from srs.sip.multipart import parse_multipart
from srs.testing import FakePorts
from srs.transport import Address

SCENARIO = Path(__file__).with_name("siprec-load.xml")
SOURCE = Address("udp", "127.0.0.2", 5062)


def _messages() -> tuple[str, str]:
    """The scenario's INVITE and ACK templates (first and second ``<send>``)."""
    sends = re.findall(r"<send[^>]*>\s*<!\[CDATA\[(.*?)\]\]>", SCENARIO.read_text(), re.S)
    return sends[0], sends[1]


def _fill(template: str, n: int, to_tag: str = "") -> bytes:
    """SIPp's keyword substitution for call ``n`` (the subset the scenario uses)."""
    lines = [line.strip() for line in template.strip("\n").splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    text = "\r\n".join(lines)
    head, _, body = text.partition("\r\n\r\n")
    values = {
        "remote_ip": "127.0.0.1",
        "remote_port": "5060",
        "local_ip": "127.0.0.2",
        "local_port": "5062",
        "transport": "UDP",
        "branch": f"z9hG4bK-{n}-1",
        "pid": "42",
        "call_number": str(n),
        "call_id": f"{n}-42@127.0.0.2",
        "local_ip_type": "4",
        "media_ip_type": "4",
        "media_ip": "127.0.0.2",
        "media_port": "6000",
        "media_port+2": "6002",
        "next_url": "sip:srs@127.0.0.1:5060",
        "last_To:": f"To: <sip:srs@127.0.0.1:5060>;tag={to_tag}",
        "routes": "",
    }
    fill = lambda s: re.sub(r"\[([^\]]+)\]", lambda m: values.get(m.group(1), m.group(0)), s)  # noqa: E731
    body_bytes = fill(body).encode() + (b"\r\n" if body else b"")
    head = fill(head).replace("[len]", str(len(body_bytes)))
    head = "\r\n".join(line for line in head.split("\r\n") if line)
    return head.encode() + b"\r\n\r\n" + body_bytes


def _setup_calls(calls: int) -> Callable[[], None]:
    invite_t, ack_t = _messages()
    invites = [_fill(invite_t, n) for n in range(calls)]

    def run() -> None:
        ports = FakePorts(limit=2 * calls + 4)
        recorder = Recorder(ports, config=RecorderConfig(media_address="127.0.0.1"))
        endpoint = SipEndpoint(EndpointConfig(), recorder)
        now = 1000.0
        for n, data in enumerate(invites):
            endpoint.receive(parse_message(data), SOURCE, now)
            tag = ""
            for out in endpoint.take_outgoing():
                match = re.search(rb"^To:.*;tag=([^;\r\n]+)", out.data, re.M)
                if out.data.startswith(b"SIP/2.0 200") and match:
                    tag = match.group(1).decode()
            assert tag, "no 200 OK"
            endpoint.receive(parse_message(_fill(ack_t, n, tag)), SOURCE, now + 0.001)
            endpoint.take_outgoing()
            recorder.take_events()
            now += 0.005

    return run


def _per_call(fn: Callable[[], None], calls: int, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--profile", action="store_true", help="cProfile the setup path")
    args = parser.parse_args()
    calls = args.calls
    invite_t, _ = _messages()
    invite = _fill(invite_t, 1)
    message = parse_message(invite)
    assert isinstance(message, SipRequest)
    parts = parse_multipart(message.headers.get("Content-Type") or "", message.body)
    sdp = next(p.body for p in parts if b"v=0" in p.body)
    xml = next(p.body for p in parts if b"<recording" in p.body)

    setup = _setup_calls(calls)
    rows = [
        (
            "parse_message(INVITE) (baseline)",
            _per_call(lambda: [parse_message(invite) for _ in range(calls)], calls),
        ),
        (
            "SessionDescription.parse",
            _per_call(lambda: [SessionDescription.parse(sdp) for _ in range(calls)], calls),
        ),
        ("parse_metadata", _per_call(lambda: [parse_metadata(xml) for _ in range(calls)], calls)),
        ("INVITE + ACK through SipEndpoint + Recorder", _per_call(setup, calls)),
    ]
    base = rows[0][1]
    print(f"{'path':48} {'µs/call':>9} {'× baseline':>11}")
    for name, us in rows:
        print(f"{name:48} {us:9.1f} {us / base:11.2f}")
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(setup)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profile).sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
