"""A deterministic port allocator for offer/answer tests."""

from __future__ import annotations


class FakePorts:
    """Even ports from ``start``; ``limit`` pairs at most; double release is a test failure."""

    def __init__(self, start: int = 30000, limit: int = 100) -> None:
        self.free = [start + 2 * i for i in range(limit)]
        self.held: set[int] = set()

    def allocate(self) -> int | None:
        if not self.free:
            return None
        port = self.free.pop(0)
        self.held.add(port)
        return port

    def release(self, port: int) -> None:
        assert port in self.held, f"release of a port not held: {port}"
        self.held.remove(port)
        self.free.append(port)


def zero_key(length: int) -> bytes:
    return bytes(range(length))
