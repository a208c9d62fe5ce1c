"""SIPREC over TLS (this SIPp build has none): a Python ``ssl`` client sends the basic
scenario's INVITE, streams RTP itself, hangs up, and the recording must appear."""

from __future__ import annotations

import os
import re
import socket
import ssl
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from checks import check_participants, check_two_tones
from harness import HOST, SCENARIOS, SrsServer, free_port

from srs.testing_media import tone_flow

pytestmark = pytest.mark.sipp

KEYWORD = re.compile(r"\[[a-z_]+(?:\+\d+)?\]")


class SipTlsClient:
    """Just enough of a UAC: send a request, read messages framed by Content-Length."""

    def __init__(self, port: int, cafile: Path) -> None:
        ctx = ssl.create_default_context(cafile=str(cafile))
        raw = socket.create_connection((HOST, port), timeout=5)
        self.sock = ctx.wrap_socket(raw, server_hostname=HOST)
        self.local_port = self.sock.getsockname()[1]
        self.reader = self.sock.makefile("rb")
        self.sent: list[bytes] = []
        self.received: list[bytes] = []

    def send(self, message: bytes) -> None:
        self.sent.append(message)
        self.sock.sendall(message)

    def read(self) -> tuple[int, dict[str, str], bytes]:
        """One response: status, headers (last value per lower-case name), body."""
        lines: list[str] = []
        while True:
            raw = self.reader.readline()
            assert raw, f"connection closed; so far: {self.transcript()}"
            if raw in (b"\r\n", b"\n"):
                if lines:
                    break
                continue  # keep-alive CRLFs
            lines.append(raw.decode().rstrip("\r\n"))
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = self.reader.read(int(headers.get("content-length", "0")))
        self.received.append(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        parts = lines[0].split(" ", 2)
        assert parts[0] == "SIP/2.0", f"not a response: {lines[0]}"
        return int(parts[1]), headers, body

    def final(self) -> tuple[int, dict[str, str], bytes]:
        while True:
            status, headers, body = self.read()
            if status >= 200:
                return status, headers, body

    def transcript(self) -> str:
        out = [b"--- sent ---\n" + m for m in self.sent]
        out += [b"--- received ---\n" + m for m in self.received]
        return b"\n".join(out).decode(errors="replace")

    def close(self) -> None:
        self.reader.close()
        self.sock.close()


def scenario_message(name: str, values: dict[str, str], index: int = 0) -> bytes:
    """The ``index``-th ``<send>`` of a SIPp scenario with its keywords filled in the way
    SIPp does (lines stripped, CRLF line ends, ``[len]`` = body length)."""
    sends = ET.parse(SCENARIOS / name).getroot().findall("send")
    text = sends[index].text or ""
    lines = [line.strip() for line in text.strip().splitlines()]
    blank = lines.index("") if "" in lines else len(lines)
    head, body_lines = lines[:blank], lines[blank + 1 :]
    body = "".join(line + "\r\n" for line in body_lines)

    def fill(s: str) -> str:
        return KEYWORD.sub(lambda m: values[m.group(0)[1:-1]], s)

    body = fill(body)
    values = {**values, "len": str(len(body.encode()))}
    message = "".join(fill(line) + "\r\n" for line in head) + "\r\n" + body
    assert not KEYWORD.search(message), f"unfilled keyword in {message}"
    return message.encode()


def test_siprec_over_tls(srs_server: SrsServer) -> None:
    server = srs_server
    assert server.tls_ca is not None and server.tls_port is not None
    client = SipTlsClient(server.tls_port, server.tls_ca)
    rtp = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
    try:
        media_port = free_port(tcp=False)
        rtp[0].bind((HOST, media_port))
        rtp[1].bind((HOST, 0))
        tag = uuid.uuid4().hex[:8]
        call_id = f"tls-{tag}@{HOST}"
        via = f"Via: SIP/2.0/TLS {HOST}:{client.local_port};branch=z9hG4bK{{}};rport"
        values = {
            "remote_ip": HOST,
            "remote_port": str(server.tls_port),
            "transport": "TLS",
            "local_ip": HOST,
            "local_port": str(client.local_port),
            "local_ip_type": "4",
            "media_ip": HOST,
            "media_ip_type": "4",
            "media_port": str(media_port),
            "media_port+2": str(rtp[1].getsockname()[1]),
            "branch": f"z9hG4bK-{tag}-1",
            "pid": str(os.getpid()),
            "call_number": "1",
            "call_id": call_id,
        }
        client.send(
            scenario_message("uac-options-ping.xml", {**values, "call_id": "ping-" + call_id})
        )
        status, headers, _ = client.final()
        assert status == 200, client.transcript()
        assert "INVITE" in headers.get("allow", ""), client.transcript()

        client.send(scenario_message("uac-siprec-basic.xml", values))
        status, headers, body = client.final()
        assert status == 200, client.transcript()
        sdp = body.decode()
        assert "a=recvonly" in sdp, client.transcript()
        ports = [int(p) for p in re.findall(r"^m=audio (\d+) ", sdp, re.M)]
        labels = re.findall(r"^a=label:(\S+)", sdp, re.M)
        assert labels == ["1", "2"] and len(ports) == 2 and all(ports), client.transcript()
        target = re.search(r"<([^>]+)>", headers["contact"])
        assert target is not None, client.transcript()
        dialog = (
            f'From: "SBC" <sip:src@{HOST}:{client.local_port}>;tag={os.getpid()}SIPpTag001\r\n'
            f"To: {headers['to']}\r\nCall-ID: {call_id}\r\nMax-Forwards: 70\r\n"
        )
        client.send(
            (
                f"ACK {target.group(1)} SIP/2.0\r\n{via.format(tag + '-ack')}\r\n{dialog}"
                "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"
            ).encode()
        )

        flows = [
            tone_flow("pcmu", freq, 1.0, ssrc=0x2000 + k) for k, freq in enumerate((440, 1000))
        ]
        start = time.monotonic()
        for i in range(len(flows[0].frames)):
            delay = start + flows[0].times[i] - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            for sock, flow, port in zip(rtp, flows, ports, strict=True):
                sock.sendto(flow.frames[i].packet(), (HOST, port))

        client.send(
            (
                f"BYE {target.group(1)} SIP/2.0\r\n{via.format(tag + '-bye')}\r\n{dialog}"
                "CSeq: 2 BYE\r\nContent-Length: 0\r\n\r\n"
            ).encode()
        )
        status, _, _ = client.final()
        assert status == 200, client.transcript()
    finally:
        client.close()
        for sock in rtp:
            sock.close()

    rec = server.wait_recording(call_id)
    check_participants(rec)
    check_two_tones(server, rec, flows[0].end - flows[0].first)
    session = server.get_json(f"/api/v1/sessions/{rec['id']}")
    assert (session["transport"] or "").lower() == "tls", f"stored session: {session}"
