"""The fuzz target runs clean over the corpus and over generated SDP-ish input."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from hypothesis import given, settings
from hypothesis import strategies as st

FUZZ = Path(__file__).resolve().parents[2] / "fuzz" / "fuzz_sdp.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_sdp", FUZZ)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fuzz_sdp = _load()


def test_replays_the_corpus(capsys: object) -> None:
    assert fuzz_sdp.main(["fuzz_sdp.py", "--standalone"]) == 0


line = st.one_of(
    st.sampled_from(
        [
            "v=0",
            "c=IN IP4 10.0.0.1",
            "c=IN IP6 ::1",
            "a=sendonly",
            "a=inactive",
            "a=recvonly",
            "a=label:1",
            "a=label:1",
            "a=rtpmap:0 PCMU/8000",
            "a=rtpmap:96 opus/48000/2",
            "a=rtpmap:101 telephone-event/8000",
            "a=rtpmap:13 CN/8000",
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz",
            "a=crypto:2 AEAD_AES_256_GCM inline:AAAA",
            "a=rtcp:9",
        ]
    ),
    st.builds(
        "m={} {} {} {}".format,
        st.sampled_from(["audio", "video", "image", "x"]),
        st.sampled_from(["0", "4000", "65536", "-1"]),
        st.sampled_from(["RTP/AVP", "RTP/SAVP", "RTP/SAVPF", "udptl", ""]),
        st.lists(st.sampled_from(["0", "8", "9", "13", "96", "101", "127", "t38"])).map(" ".join),
    ),
)


@settings(max_examples=200)
@given(st.lists(line, max_size=25).map(lambda ls: "\n".join(ls).encode()))
def test_generated_offers(data: bytes) -> None:
    fuzz_sdp.TestOneInput(data)
