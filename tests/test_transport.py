"""SipTransport over real sockets on 127.0.0.1 (ephemeral ports): UDP, TCP, TLS."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from srs.sip.message import (
    SipParseError,
    SipRequest,
    SipResponse,
    StreamFramer,
    make_response,
    parse_message,
)
from srs.transport import (
    SIP_UDP_RCVBUF,
    Address,
    Received,
    SipTransport,
    make_client_ssl_context,
    make_server_ssl_context,
)

T = TypeVar("T")
HOST = "127.0.0.1"


def invite(n: int = 1, transport: str = "UDP", *, content_length: bool = True) -> bytes:
    body = b"v=0\r\n"
    lines = [
        "INVITE sip:srs@127.0.0.1 SIP/2.0",
        f"Via: SIP/2.0/{transport} 127.0.0.1:5999;branch=z9hG4bK-{n}",
        "From: <sip:src@127.0.0.1>;tag=s1",
        "To: <sip:srs@127.0.0.1>",
        f"Call-ID: call-{n}@127.0.0.1",
        f"CSeq: {n} INVITE",
        "Content-Type: application/sdp",
    ]
    if content_length:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def run(coro_fn: Callable[[], Awaitable[T]], timeout: float = 10.0) -> T:
    async def main() -> T:
        return await asyncio.wait_for(coro_fn(), timeout)

    return asyncio.run(main())


class Recorder:
    """on_message callback that stores events and can answer from inside the callback."""

    def __init__(self, transport_ref: list[SipTransport] | None = None, answer: int | None = None):
        self.events: list[tuple[Received, Address, float]] = []
        self.arrived = asyncio.Event()
        self.transport_ref = transport_ref
        self.answer = answer

    def __call__(self, event: Received, source: Address, now: float) -> None:
        self.events.append((event, source, now))
        self.arrived.set()
        if self.answer is None or self.transport_ref is None:
            return
        transport = self.transport_ref[0]
        if isinstance(event, SipRequest):
            response = make_response(event, self.answer, to_tag="srs")
            transport.send(response.serialize(), source)
        elif isinstance(event, SipParseError) and event.partial is not None:
            response = make_response(event.partial, event.status, event.reason)
            transport.send(response.serialize(), source)

    async def wait_for(self, count: int) -> None:
        while len(self.events) < count:
            self.arrived.clear()
            await self.arrived.wait()


async def read_messages(reader: asyncio.StreamReader, count: int) -> list[Any]:
    framer = StreamFramer()
    out: list[Any] = []
    while len(out) < count:
        data = await reader.read(65536)
        if not data:
            break
        out.extend(framer.feed(data))
    return out


# --------------------------------------------------------------------------- UDP


def test_udp_roundtrip_and_parse_errors() -> None:
    async def main() -> None:
        ref: list[SipTransport] = []
        rec = Recorder(ref, answer=200)
        transport = SipTransport(rec, max_message_size=4000)
        ref.append(transport)
        local = await transport.listen_udp(HOST, 0)
        assert local.transport == "udp" and local.port > 0
        sock = transport._udp[0].transport.get_extra_info("socket")  # type: ignore[union-attr]
        # a burst of INVITEs queues: the kernel doubles the size asked for (as root,
        # SO_RCVBUFFORCE; otherwise capped at rmem_max, which this check tolerates)
        rcvbuf = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        with open("/proc/sys/net/core/rmem_max") as f:
            assert rcvbuf >= min(SIP_UDP_RCVBUF, int(f.read()))

        loop = asyncio.get_running_loop()
        replies: asyncio.Queue[bytes] = asyncio.Queue()

        class Client(asyncio.DatagramProtocol):
            def datagram_received(self, data: bytes, addr: Any) -> None:
                replies.put_nowait(data)

        client, _ = await loop.create_datagram_endpoint(Client, remote_addr=(HOST, local.port))
        client_port = client.get_extra_info("sockname")[1]
        client.sendto(b"\r\n\r\n")  # keep-alive: ignored
        client.sendto(invite(1))
        reply = parse_message(await asyncio.wait_for(replies.get(), 5))
        assert isinstance(reply, SipResponse)
        assert (reply.status, reply.call_id, reply.to.tag) == (200, "call-1@127.0.0.1", "srs")

        client.sendto(b"NOT SIP AT ALL\r\n\r\n")
        client.sendto(b"x" * 5000)
        await rec.wait_for(3)
        event, source, now = rec.events[0]
        assert isinstance(event, SipRequest)
        assert source == Address("udp", HOST, client_port, None)
        assert now > 0
        errors = [e for e, _, _ in rec.events[1:]]
        assert [(e.message, e.status) for e in errors if isinstance(e, SipParseError)] == [
            ("Malformed request line 'NOT SIP AT ALL'", 400),
            ("Message of 5000 bytes exceeds limit of 4000 bytes", 513),
        ]
        client.close()
        await transport.close()

    run(main)


# --------------------------------------------------------------------------- TCP


def test_tcp_several_messages_per_write_and_byte_by_byte() -> None:
    async def main() -> None:
        ref: list[SipTransport] = []
        rec = Recorder(ref, answer=180)
        transport = SipTransport(rec)
        ref.append(transport)
        local = await transport.listen_tcp(HOST, 0)
        reader, writer = await asyncio.open_connection(HOST, local.port)
        writer.write(invite(1, "TCP") + invite(2, "TCP") + invite(3, "TCP"))
        await writer.drain()
        responses = await read_messages(reader, 3)
        assert [r.call_id for r in responses] == [f"call-{n}@127.0.0.1" for n in (1, 2, 3)]
        assert all(r.status == 180 for r in responses)

        data = b"\r\n\r\n" + invite(4, "TCP")
        for i in range(len(data)):
            writer.write(data[i : i + 1])
            await writer.drain()
        pong = await reader.readexactly(2)
        assert pong == b"\r\n"  # RFC 5626 pong for the double-CRLF ping
        (last,) = await read_messages(reader, 1)
        assert last.call_id == "call-4@127.0.0.1"

        sources = {source for _, source, _ in rec.events}
        assert len(sources) == 1
        (source,) = sources
        assert source.transport == "tcp" and source.connection_id is not None
        assert source.port == writer.get_extra_info("sockname")[1]
        assert transport.connections == {source.connection_id: source}
        writer.close()
        await writer.wait_closed()
        await transport.close()

    run(main)


def test_tcp_framing_error_is_reported_answered_and_closes() -> None:
    async def main() -> None:
        ref: list[SipTransport] = []
        rec = Recorder(ref, answer=200)
        transport = SipTransport(rec)
        ref.append(transport)
        local = await transport.listen_tcp(HOST, 0)
        reader, writer = await asyncio.open_connection(HOST, local.port)
        writer.write(invite(1, "TCP", content_length=False))
        await writer.drain()
        (answer,) = await read_messages(reader, 1)
        assert (answer.status, answer.reason) == (400, "Bad Request")
        assert await reader.read() == b""  # then the connection is closed
        (event, _, _) = rec.events[0]
        assert isinstance(event, SipParseError)
        assert event.message == "Missing Content-Length header on stream transport"
        await asyncio.sleep(0.05)
        assert transport.connections == {}
        writer.close()
        await transport.close()

    run(main)


def test_tcp_size_limit() -> None:
    async def main() -> None:
        rec = Recorder()
        transport = SipTransport(rec, max_message_size=2000)
        local = await transport.listen_tcp(HOST, 0)
        reader, writer = await asyncio.open_connection(HOST, local.port)
        big = invite(1, "TCP").replace(b"Content-Length: 5", b"Content-Length: 5000")
        writer.write(big)
        await writer.drain()
        assert await reader.read() == b""
        (event, _, _) = rec.events[0]
        assert isinstance(event, SipParseError)
        assert (event.message, event.status) == (
            "Content-Length 5000 exceeds limit of 2000 bytes",
            413,
        )
        writer.close()
        await transport.close()

    run(main)


def test_response_after_connection_dropped_opens_new_connection() -> None:
    async def main() -> None:
        server_rec = Recorder()
        server = SipTransport(server_rec)
        server_addr = await server.listen_tcp(HOST, 0)
        client_rec = Recorder()
        client = SipTransport(client_rec)
        client_addr = await client.listen_tcp(HOST, 0)

        used = await client.send_async(invite(1, "TCP"), Address("tcp", HOST, server_addr.port))
        assert used.connection_id is not None and used.port == server_addr.port
        await server_rec.wait_for(1)
        request, source, _ = server_rec.events[0]
        assert isinstance(request, SipRequest)
        assert source.connection_id is not None

        # answering on the live connection reuses it
        server.send(make_response(request, 100).serialize(), source)
        await client_rec.wait_for(1)
        assert client_rec.events[0][1].connection_id == used.connection_id

        server.close_connection(source.connection_id)
        await asyncio.sleep(0.05)
        assert source.connection_id not in server.connections

        # stale connection id: a new connection to the Via sent-by of the client
        stale = Address("tcp", HOST, client_addr.port, source.connection_id)
        final = make_response(request, 200, to_tag="x").serialize()
        again = await server.send_async(final, stale)
        assert again.connection_id != source.connection_id
        await client_rec.wait_for(2)
        response, via_conn, _ = client_rec.events[1]
        assert isinstance(response, SipResponse) and response.status == 200
        assert via_conn.connection_id != used.connection_id

        with pytest.raises(ConnectionError):
            await server.send_async(final, Address("tcp", HOST, 1, None))
        await client.close()
        await server.close()

    run(main)


def test_idle_connections_are_closed() -> None:
    async def main() -> None:
        clock = [1000.0]
        rec = Recorder()
        transport = SipTransport(rec, idle_timeout=30.0, clock=lambda: clock[0])
        local = await transport.listen_tcp(HOST, 0)
        reader, writer = await asyncio.open_connection(HOST, local.port)
        writer.write(invite(1, "TCP"))
        await rec.wait_for(1)
        (cid,) = transport.connections
        assert transport.close_idle(1029.0) == []
        clock[0] = 1031.0
        assert transport.close_idle(1031.0) == [cid]
        assert await reader.read() == b""
        writer.close()
        await transport.close()

        # and the background sweeper does it by itself
        real = SipTransport(Recorder(), idle_timeout=0.2)
        local = await real.listen_tcp(HOST, 0)
        reader, writer = await asyncio.open_connection(HOST, local.port)
        assert await asyncio.wait_for(reader.read(), 3) == b""
        writer.close()
        await real.close()

    run(main)


# --------------------------------------------------------------------------- TLS


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _issue(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: str,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
    san_ip: str | None = None,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if san_ip is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(san_ip))]),
            critical=False,
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey) -> None:
    path.with_suffix(".crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    path.with_suffix(".key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A throw-away CA, a server certificate for 127.0.0.1 and a client certificate."""
    d = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _issue("srs test CA", ca_key, "srs test CA", ca_key, ca=True)
    _write(d / "ca", ca, ca_key)
    for name, ip in (("server", HOST), ("client", None)):
        key = ec.generate_private_key(ec.SECP256R1())
        _write(d / name, _issue(name, key, "srs test CA", ca_key, ca=False, san_ip=ip), key)
    return d


def test_tls_roundtrip(pki: Path) -> None:
    async def main() -> None:
        ref: list[SipTransport] = []
        server_rec = Recorder(ref, answer=200)
        server = SipTransport(server_rec)
        ref.append(server)
        ctx = make_server_ssl_context(pki / "server.crt", pki / "server.key")
        assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2
        local = await server.listen_tls(HOST, 0, ctx)

        client_rec = Recorder()
        client = SipTransport(
            client_rec,
            client_ssl_context=make_client_ssl_context(cafile=pki / "ca.crt", check_hostname=True),
        )
        used = await client.send_async(
            invite(1, "TLS") + invite(2, "TLS"), Address("tls", HOST, local.port)
        )
        await client_rec.wait_for(2)
        assert [e.status for e, _, _ in client_rec.events] == [200, 200]  # type: ignore[union-attr]
        assert {s for _, s, _ in client_rec.events} == {used}
        assert [s.transport for _, s, _ in server_rec.events] == ["tls", "tls"]
        await client.close()
        await server.close()

    run(main)


def test_tls_client_certificate_required(pki: Path) -> None:
    async def main() -> None:
        rec = Recorder()
        server = SipTransport(rec)
        ctx = make_server_ssl_context(
            pki / "server.crt", pki / "server.key", cafile=pki / "ca.crt", verify_client=True
        )
        local = await server.listen_tls(HOST, 0, ctx)

        anonymous = make_client_ssl_context(cafile=pki / "ca.crt")
        refused = False
        try:
            reader, writer = await asyncio.open_connection(HOST, local.port, ssl=anonymous)
            writer.write(invite(1, "TLS"))
            await writer.drain()
            refused = await reader.read() == b""
            writer.close()
        except (ssl.SSLError, ConnectionError):
            refused = True
        assert refused
        assert rec.events == []

        with_cert = make_client_ssl_context(
            cafile=pki / "ca.crt", certfile=pki / "client.crt", keyfile=pki / "client.key"
        )
        reader, writer = await asyncio.open_connection(HOST, local.port, ssl=with_cert)
        writer.write(invite(2, "TLS"))
        await writer.drain()
        await rec.wait_for(1)
        assert isinstance(rec.events[0][0], SipRequest)
        writer.close()
        await server.close()

    run(main)


def test_server_context_needs_ca_to_verify_clients(pki: Path) -> None:
    with pytest.raises(ValueError, match="verify_client needs a CA file"):
        make_server_ssl_context(pki / "server.crt", pki / "server.key", verify_client=True)
