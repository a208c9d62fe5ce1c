"""The one decoder contract every codec family implements, and the registry of them.

Finalize looks decoders up by the lower-case encoding name of ``a=rtpmap`` (``pcmu``,
``g722``, ``opus`` ...) in ``REGISTRY`` instead of branching on names, so a plugin can add
a codec with ``register_decoder``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from numpy.typing import NDArray

Samples = NDArray[np.int16]


class CodecError(ValueError):
    """A payload the decoder cannot make sense of, or an unknown encoding."""


@dataclass(frozen=True)
class CodecParams:
    """What the ``params`` spool event says about one payload type."""

    encoding: str
    clock_rate: int
    channels: int = 1
    fmtp: str | None = None

    def fmtp_values(self) -> dict[str, str]:
        """``a=fmtp`` parameters as a dict (``"octet-align=1; mode-set=7"``)."""
        values: dict[str, str] = {}
        for item in (self.fmtp or "").split(";"):
            name, _, value = item.strip().partition("=")
            if name:
                values[name.strip().lower()] = value.strip()
        return values


class Decoder(Protocol):
    """Turns RTP payloads of one payload type into mono PCM16 at ``sample_rate``.

    ``audio`` is False for payloads that carry no sound of their own (comfort noise,
    telephone-event): their ``decode`` returns an empty array and the timeline leaves
    silence where they sit.  ``clock_rate`` is the RTP timestamp clock, which may differ
    from ``sample_rate`` (G.722: 8000 vs 16000, RFC 3551 §4.5.2).  ``batchable`` promises
    that decoding concatenated payloads equals concatenating their decodings (stateless
    codecs such as G.711), so finalize may decode a whole stream in one call.
    """

    encoding: str
    sample_rate: int
    clock_rate: int
    audio: bool
    batchable: bool

    def decode(self, payload: bytes) -> Samples: ...

    def samples_per_packet(self, payload: bytes) -> int:
        """How many samples (at ``sample_rate``) ``decode(payload)`` yields."""
        ...

    def conceal(self, samples: int) -> Samples:
        """Fill for ``samples`` lost samples: silence of exactly that length."""
        ...


DecoderFactory = Callable[[CodecParams], Decoder]

REGISTRY: dict[str, DecoderFactory] = {}


def register_decoder(encoding: str, factory: DecoderFactory) -> None:
    """Make ``create_decoder`` build ``factory(params)`` for ``encoding`` (any case)."""
    REGISTRY[encoding.lower()] = factory


def create_decoder(params: CodecParams) -> Decoder:
    factory = REGISTRY.get(params.encoding.lower())
    if factory is None:
        known = ", ".join(sorted(REGISTRY))
        raise CodecError(f"no decoder for encoding {params.encoding!r} (known: {known})")
    return factory(params)


def silence(samples: int) -> Samples:
    return np.zeros(max(0, samples), dtype=np.int16)


class SilentDecoder:
    """Comfort noise (RFC 3389) and telephone-event (RFC 4733): no audio of their own."""

    audio = False
    batchable = False

    def __init__(self, params: CodecParams) -> None:
        self.encoding = params.encoding.lower()
        self.clock_rate = params.clock_rate
        self.sample_rate = params.clock_rate

    def decode(self, payload: bytes) -> Samples:
        return silence(0)

    def samples_per_packet(self, payload: bytes) -> int:
        return 0

    def conceal(self, samples: int) -> Samples:
        return silence(samples)
