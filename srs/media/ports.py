"""UDP port pairs for RTP/RTCP, bound at answer time.

Binding (not just reserving a number) at allocation means a port taken by another process
is detected before it is put in an SDP answer, and packets that arrive between the 200 OK
and ``StreamOpened`` wait in the socket buffer instead of being lost.

Free ports sit in a deque: ``allocate`` pops from the front and ``release`` appends to the
back, so a just-freed pair is reused last (late packets of the previous call do not leak
into the next one) and ports found busy are rotated to the back instead of re-scanned.
"""

from __future__ import annotations

import errno
import logging
import socket
from collections import deque

log = logging.getLogger(__name__)

DEFAULT_RCVBUF = 1 << 20
_SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", None)


def set_rcvbuf(sock: socket.socket, size: int) -> int:
    """Raise the receive buffer; as root ``SO_RCVBUFFORCE`` bypasses ``rmem_max``.
    Returns the size the kernel reports (it doubles the request for bookkeeping)."""
    if _SO_RCVBUFFORCE is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, size)
            return sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
        except OSError:
            pass
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)


class UdpPortAllocator:
    """Implements ``srs.session.plan.PortAllocator`` with real, bound sockets."""

    def __init__(self, host: str, low: int, high: int, *, rcvbuf: int = DEFAULT_RCVBUF) -> None:
        if not 0 < low <= high <= 65535:
            raise ValueError(f"invalid RTP port range {low}-{high}")
        first = low + (low & 1)
        ports = range(first, high, 2)  # the RTCP port (p + 1) must be <= high too
        if not ports:
            raise ValueError(f"RTP port range {low}-{high} holds no even/odd pair")
        self.host = host
        self.rcvbuf = rcvbuf
        self._family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._free: deque[int] = deque(ports)
        self._capacity = len(ports)
        self._bound: dict[int, tuple[socket.socket, socket.socket]] = {}
        self.busy_skips = 0  # ports found taken by another process

    @property
    def capacity(self) -> int:
        return self._capacity

    @property
    def in_use(self) -> int:
        return len(self._bound)

    def allocate(self) -> int | None:
        """Bind the next free even port and its RTCP neighbour; ``None`` when none is."""
        for _ in range(len(self._free)):
            port = self._free.popleft()
            pair = self._bind_pair(port)
            if pair is None:
                self.busy_skips += 1
                self._free.append(port)
                continue
            self._bound[port] = pair
            return port
        return None

    def release(self, port: int) -> None:
        pair = self._bound.pop(port, None)
        if pair is None:
            return
        for sock in pair:
            sock.close()
        self._free.append(port)

    def take_sockets(self, port: int) -> tuple[socket.socket, socket.socket]:
        """The bound (RTP, RTCP) sockets; they stay owned here until ``release``."""
        try:
            return self._bound[port]
        except KeyError:
            raise KeyError(f"RTP port {port} was not allocated by this allocator") from None

    def close(self) -> None:
        for port in list(self._bound):
            self.release(port)

    def _bind_pair(self, port: int) -> tuple[socket.socket, socket.socket] | None:
        socks: list[socket.socket] = []
        try:
            for p in (port, port + 1):
                sock = socket.socket(self._family, socket.SOCK_DGRAM)
                socks.append(sock)
                sock.setblocking(False)
                set_rcvbuf(sock, self.rcvbuf)
                sock.bind((self.host, p))
        except OSError as exc:
            for sock in socks:
                sock.close()
            if exc.errno not in (errno.EADDRINUSE, errno.EACCES):
                log.warning("cannot bind RTP port %s:%d: %s", self.host, port, exc)
            return None
        return socks[0], socks[1]
