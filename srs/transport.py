"""The thin asyncio layer that owns SIP sockets (RFC 3261 §18).

Everything protocol-shaped lives in sans-IO code (``srs.sip.message`` frames and parses);
this module only moves bytes: UDP datagrams, TCP and TLS streams kept in a table by
integer connection id, and the clock reading handed to the callback as ``now``.

Responses must go back on the connection the request came in on while it is open
(§18.2.2); when it has gone, or for requests we originate, ``send`` opens a new one to
``host:port`` and reuses it for later messages to the same peer.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from srs.media.ports import set_rcvbuf
from srs.sip.message import SipMessage, SipParseError, StreamFramer, parse_message

log = logging.getLogger(__name__)

STREAM_TRANSPORTS = frozenset({"tcp", "tls"})
SIP_UDP_RCVBUF = 4 << 20  # ~2,000 queued INVITEs of 2 KB


@dataclass(frozen=True)
class Address:
    """Where a message came from or goes to; ``connection_id`` pins a TCP/TLS connection."""

    transport: str  # "udp" | "tcp" | "tls"
    host: str
    port: int
    connection_id: int | None = None


Received = SipMessage | SipParseError
OnMessage = Callable[[Received, Address, float], None]


def make_server_ssl_context(
    certfile: str | Path,
    keyfile: str | Path,
    *,
    cafile: str | Path | None = None,
    verify_client: bool = False,
) -> ssl.SSLContext:
    """TLS 1.2+ server context; with ``verify_client`` a client certificate signed by
    ``cafile`` is required (mutual TLS, as SBCs recording over SIPS expect)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(str(certfile), str(keyfile))
    if cafile is not None:
        ctx.load_verify_locations(cafile=str(cafile))
    if verify_client:
        if cafile is None:
            raise ValueError("verify_client needs a CA file to check client certificates")
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def make_client_ssl_context(
    *,
    cafile: str | Path | None = None,
    certfile: str | Path | None = None,
    keyfile: str | Path | None = None,
    check_hostname: bool = False,
) -> ssl.SSLContext:
    """TLS 1.2+ client context for connections we open.  SIP peers are usually addressed by
    IP, so the chain is verified but host names only when asked."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = check_hostname
    ctx.verify_mode = ssl.CERT_REQUIRED
    if cafile is not None:
        ctx.load_verify_locations(cafile=str(cafile))
    else:
        ctx.load_default_certs()
    if certfile is not None:
        ctx.load_cert_chain(str(certfile), str(keyfile) if keyfile else None)
    return ctx


def _host_port(sockaddr: tuple[object, ...] | None) -> tuple[str, int]:
    if not sockaddr:
        return "", 0
    return str(sockaddr[0]), int(str(sockaddr[1]))


class _Connection(asyncio.Protocol):
    """One TCP/TLS connection: frames the stream and reports each message."""

    def __init__(self, owner: SipTransport, kind: str, conn_id: int) -> None:
        self.owner = owner
        self.kind = kind
        self.id = conn_id
        self.framer = StreamFramer(
            max_header_size=owner.max_header_size, max_body_size=owner.max_message_size
        )
        self.transport: asyncio.Transport | None = None
        self.address = Address(kind, "", 0, conn_id)
        self.last_activity = owner.now()
        self.pending: list[bytes] = []  # written before the outgoing connect finished
        self.closed = False
        self.peer_keys: set[tuple[str, str, int]] = set()
        self.connect_task: asyncio.Task[None] | None = None
        self.connect_error: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)
        self.transport = transport
        host, port = _host_port(transport.get_extra_info("peername"))
        self.address = Address(self.kind, host, port, self.id)
        self.owner._register(self)
        for data in self.pending:
            transport.write(data)
        self.pending.clear()

    def data_received(self, data: bytes) -> None:
        now = self.owner.now()
        self.last_activity = now
        pings = self.framer.pings
        for event in self.framer.feed(data):
            self.owner._deliver(event, self.address, now)
        if self.framer.pings != pings and self.transport is not None:
            self.transport.write(b"\r\n" * (self.framer.pings - pings))  # RFC 5626 pong
        if self.framer.broken:
            self.close()

    def write(self, data: bytes) -> None:
        self.last_activity = self.owner.now()
        if self.transport is None:
            self.pending.append(data)
        else:
            self.transport.write(data)

    def close(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.close()
        self.closed = True

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.owner._unregister(self)


class _Datagrams(asyncio.DatagramProtocol):
    def __init__(self, owner: SipTransport) -> None:
        self.owner = owner
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        if not data.strip(b"\r\n"):
            return  # CRLF keep-alive
        host, port = _host_port(addr)
        now = self.owner.now()
        event: Received
        try:
            event = parse_message(data, max_size=self.owner.max_message_size)
        except SipParseError as exc:
            event = exc
        self.owner._deliver(event, Address("udp", host, port, None), now)

    def error_received(self, exc: Exception) -> None:
        log.debug("UDP error: %s", exc)  # ICMP unreachable for an earlier sendto


class SipTransport:
    """UDP, TCP and TLS listeners plus outgoing connections, reporting to ``on_message``.

    ``on_message(message_or_error, source, now)`` is called synchronously for every parsed
    message and every ``SipParseError``.  After a framing error the connection is closed
    right after the callback returns; a 400 sent from inside the callback still goes out.
    """

    def __init__(
        self,
        on_message: OnMessage,
        *,
        idle_timeout: float = 600.0,
        max_message_size: int = 65535,
        max_header_size: int = 16384,
        connect_timeout: float = 10.0,
        client_ssl_context: ssl.SSLContext | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.on_message = on_message
        self.idle_timeout = idle_timeout
        self.max_message_size = max_message_size
        self.max_header_size = max_header_size
        self.connect_timeout = connect_timeout
        self.client_ssl_context = client_ssl_context
        self._clock = clock
        self._ids = itertools.count(1)
        self._connections: dict[int, _Connection] = {}
        self._by_peer: dict[tuple[str, str, int], _Connection] = {}
        self._udp: list[_Datagrams] = []
        self._servers: list[asyncio.Server] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self.local: dict[str, list[Address]] = {"udp": [], "tcp": [], "tls": []}

    # ----------------------------------------------------------------- clock & callback

    def now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    def _deliver(self, event: Received, source: Address, now: float) -> None:
        try:
            self.on_message(event, source, now)
        except Exception:
            log.exception("on_message failed for a message from %s", source)

    # ----------------------------------------------------------------- listeners

    async def listen_udp(self, host: str, port: int) -> Address:
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        _, protocol = await loop.create_datagram_endpoint(
            lambda: _Datagrams(self), local_addr=(host, port), family=family
        )
        assert protocol.transport is not None
        sock = protocol.transport.get_extra_info("socket")
        if sock is not None:
            # a burst of INVITEs (an SBC failing over to us, a bench) must queue, not drop:
            # each drop is a 500 ms retransmission for that call
            set_rcvbuf(sock, SIP_UDP_RCVBUF)
        self._udp.append(protocol)
        bound = Address("udp", *_host_port(protocol.transport.get_extra_info("sockname")))
        self.local["udp"].append(bound)
        self._start_sweeper()
        return bound

    async def listen_tcp(self, host: str, port: int) -> Address:
        return await self._listen_stream("tcp", host, port, None)

    async def listen_tls(self, host: str, port: int, ssl_context: ssl.SSLContext) -> Address:
        return await self._listen_stream("tls", host, port, ssl_context)

    async def _listen_stream(
        self, kind: str, host: str, port: int, ctx: ssl.SSLContext | None
    ) -> Address:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: _Connection(self, kind, next(self._ids)),
            host,
            port,
            ssl=ctx,
            ssl_handshake_timeout=self.connect_timeout if ctx else None,
            reuse_address=True,
        )
        self._servers.append(server)
        bound = Address(kind, *_host_port(server.sockets[0].getsockname()))
        self.local[kind].append(bound)
        self._start_sweeper()
        return bound

    # ----------------------------------------------------------------- connections

    def _register(self, conn: _Connection) -> None:
        self._connections[conn.id] = conn
        a = conn.address
        self._add_peer(conn, (a.transport, a.host, a.port))

    def _add_peer(self, conn: _Connection, key: tuple[str, str, int]) -> None:
        conn.peer_keys.add(key)
        self._by_peer[key] = conn

    def _unregister(self, conn: _Connection) -> None:
        self._connections.pop(conn.id, None)
        for key in conn.peer_keys:
            if self._by_peer.get(key) is conn:
                del self._by_peer[key]
        conn.peer_keys.clear()

    @property
    def connections(self) -> dict[int, Address]:
        """Open TCP/TLS connections by id."""
        return {cid: conn.address for cid, conn in self._connections.items()}

    def close_connection(self, connection_id: int) -> None:
        conn = self._connections.get(connection_id)
        if conn is not None:
            conn.close()

    def close_idle(self, now: float) -> list[int]:
        """Close connections silent for ``idle_timeout``; returns their ids."""
        idle = [c for c in self._connections.values() if now - c.last_activity >= self.idle_timeout]
        for conn in idle:
            conn.close()
        return [c.id for c in idle]

    def _start_sweeper(self) -> None:
        if self._sweeper is None:
            self._sweeper = asyncio.get_running_loop().create_task(self._sweep())

    async def _sweep(self) -> None:
        interval = max(0.05, min(self.idle_timeout / 4, 5.0))
        while True:
            await asyncio.sleep(interval)
            self.close_idle(self.now())

    # ----------------------------------------------------------------- sending

    def send(self, data: bytes, dest: Address) -> None:
        """Send without waiting: UDP ``sendto``, or a write on the stream connection
        (``dest.connection_id`` if still open, else any open one to the peer, else a new one
        opened in the background with ``data`` queued behind the handshake)."""
        if dest.transport == "udp":
            self._sendto(data, dest)
            return
        conn = self._stream_for(dest)
        if conn is None:
            conn = self._open(dest)
        conn.write(data)

    async def send_async(self, data: bytes, dest: Address) -> Address:
        """Like ``send`` but waits for an outgoing connection to be established; returns
        the address actually used (with its connection id)."""
        if dest.transport == "udp":
            self._sendto(data, dest)
            return dest
        conn = self._stream_for(dest)
        if conn is None:
            conn = self._open(dest)
        conn.write(data)
        if conn.transport is None:
            await self._wait_connected(conn)
        return conn.address

    def _sendto(self, data: bytes, dest: Address) -> None:
        v6 = ":" in dest.host
        for proto in self._udp:
            transport = proto.transport
            if transport is None or transport.is_closing():
                continue
            sock = transport.get_extra_info("socket")
            if sock is not None and (sock.family == socket.AF_INET6) == v6:
                transport.sendto(data, (dest.host, dest.port))
                return
        raise RuntimeError(f"no UDP listener for {dest.host}")

    def _stream_for(self, dest: Address) -> _Connection | None:
        if dest.connection_id is not None:
            conn = self._connections.get(dest.connection_id)
            if conn is not None and not conn.closed:
                return conn
        conn = self._by_peer.get((dest.transport, dest.host, dest.port))
        if conn is not None and not conn.closed:
            return conn
        return None

    def _open(self, dest: Address) -> _Connection:
        if dest.transport not in STREAM_TRANSPORTS:
            raise ValueError(f"unsupported transport {dest.transport!r}")
        conn = _Connection(self, dest.transport, next(self._ids))
        conn.address = Address(dest.transport, dest.host, dest.port, conn.id)
        # visible for reuse at once, so a burst of sends shares one connection
        self._add_peer(conn, (dest.transport, dest.host, dest.port))
        task = asyncio.get_running_loop().create_task(self._connect(conn, dest))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        conn.connect_task = task
        return conn

    async def _connect(self, conn: _Connection, dest: Address) -> None:
        loop = asyncio.get_running_loop()
        ctx: ssl.SSLContext | None = None
        if dest.transport == "tls":
            ctx = self.client_ssl_context or make_client_ssl_context()
        try:
            await asyncio.wait_for(
                loop.create_connection(
                    lambda: conn,
                    dest.host,
                    dest.port,
                    ssl=ctx,
                    server_hostname=dest.host if ctx else None,
                ),
                self.connect_timeout,
            )
        except (OSError, TimeoutError) as exc:  # ssl.SSLError is an OSError
            log.warning(
                "cannot connect to %s:%s over %s: %s", dest.host, dest.port, dest.transport, exc
            )
            conn.closed = True
            conn.pending.clear()
            conn.connect_error = exc
            self._unregister(conn)

    async def _wait_connected(self, conn: _Connection) -> None:
        if conn.connect_task is not None:
            await asyncio.shield(conn.connect_task)
        if conn.connect_error is not None:
            dest = conn.address
            raise ConnectionError(
                f"cannot connect to {dest.host}:{dest.port} over {dest.transport}: "
                f"{conn.connect_error}"
            ) from conn.connect_error

    # ----------------------------------------------------------------- shutdown

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        for server in self._servers:
            server.close()
        for conn in list(self._connections.values()):
            conn.close()
        for proto in self._udp:
            if proto.transport is not None:
                proto.transport.close()
        for task in list(self._tasks):
            task.cancel()
        for server in self._servers:
            await server.wait_closed()
        self._servers.clear()
        self._udp.clear()
        await asyncio.sleep(0)
