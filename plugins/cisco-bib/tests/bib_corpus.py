"""Reading the shared SIPREC corpus (tests/fixtures/corpus) for the BIB tests."""

from __future__ import annotations

from pathlib import Path

from srs.sip.message import SipRequest, parse_message

CORPUS = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "corpus"

NEAR_105 = "cisco-doc-200788__cucm10.5-bib-invite1-nearend.txt"
FAR_105 = "cisco-doc-200788__cucm10.5-bib-invite2-farend.txt"
NEAR_115 = "cisco-doc-200788__cucm11.5-bib-invite1-nearend.txt"
FAR_115 = "cisco-doc-200788__cucm11.5-bib-invite2-farend.txt"
NBR_FROM = "cisco-cube-doc__ucm-nbr-from-header-fragment.txt"


def text(name: str) -> str:
    return (CORPUS / name).read_text(encoding="utf-8").replace("\r\n", "\n")


def wire(name: str) -> bytes:
    """The documentation excerpt as it goes on the wire: CRLF, Content-Length recomputed."""
    head, _, body = text(name).partition("\n\n")
    lines = [line for line in head.split("\n") if not line.lower().startswith("content-length:")]
    payload = body.replace("\n", "\r\n").encode()
    lines.append(f"Content-Length: {len(payload)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload


def request(name: str) -> SipRequest:
    message = parse_message(wire(name))
    assert isinstance(message, SipRequest)
    return message


def header_pairs(name: str) -> list[tuple[str, str]]:
    """``(name, value)`` pairs of a header block, folded lines joined (RFC 3261 §7.3.1)."""
    pairs: list[tuple[str, str]] = []
    for line in text(name).split("\n\n", 1)[0].split("\n")[1:]:
        if line[:1] in (" ", "\t") and pairs:
            pairs[-1] = (pairs[-1][0], pairs[-1][1] + " " + line.strip())
        elif ":" in line:
            key, _, value = line.partition(":")
            pairs.append((key.strip(), value.strip()))
    return pairs
