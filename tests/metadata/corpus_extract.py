"""Test helper: pull SIP messages and metadata parts out of every corpus file shape.

Corpus files are whole messages, bodies without headers, doc excerpts without boundary
lines, SIPp scenarios with messages in CDATA, header fragments and bare XML (see
tests/fixtures/corpus/INDEX.md).  Multipart bodies are split with
``srs.sip.multipart.parse_multipart``; everything else here is deliberately tolerant.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from srs.sip.multipart import parse_multipart

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpus"

_START_LINE = re.compile(r"^(?:[A-Z]+ \S+ SIP/2\.0|SIP/2\.0 \d{3}\b)")
_HEADER = re.compile(r"^\s*([A-Za-z][\w.!%*+`'~-]*)\s*:(.*)$")
_SIPP_KEYWORD = re.compile(r"\[[a-z_]+(?: [^\]]*)?\]")


@dataclass
class Message:
    start_line: str | None
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for n, v in self.headers if n.lower() == name.lower()), None)


@dataclass
class Extracted:
    name: str
    messages: list[Message] = field(default_factory=list)
    metadata: list[tuple[str | None, bytes]] = field(default_factory=list)


def _headers(lines: list[str]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for line in lines:
        match = _HEADER.match(line)
        if match is None and pairs:  # folded (or pasted-wrapped) continuation
            name, value = pairs[-1]
            pairs[-1] = (name, f"{value}\n{line}")
        elif match is not None:
            pairs.append((match.group(1), match.group(2).strip()))
    return pairs


def _split_message(text: str) -> Message:
    lines = text.splitlines(keepends=True)
    start = lines[0].strip() if lines and _START_LINE.match(lines[0].strip()) else None
    index = 1 if start else 0
    head: list[str] = []
    while index < len(lines) and lines[index].strip():
        head.append(lines[index].rstrip("\r\n"))
        index += 1
    body = "".join(lines[index + 1 :])
    return Message(start, _headers(head), body.encode("utf-8"))


def _metadata_parts(content_type: str | None, body: bytes) -> list[tuple[str | None, bytes]]:
    if not body.strip():
        return []
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if "rs-metadata" in media:
        return [(content_type, body)]
    if media and not media.startswith("multipart/"):
        return []
    found = []
    for part in parse_multipart(content_type or "multipart/mixed", body):
        part_type = part.headers.get("Content-Type")
        disposition = part.content_disposition or ""
        if "rs-metadata" in (part_type or "").lower() or disposition == "recording-session":
            found.append((part_type, part.body))
    return found


def _sipp_messages(raw: bytes) -> list[str]:
    root = etree.fromstring(raw)
    texts = []
    for send in root.iter("send"):
        cdata = (send.text or "").strip("\n")
        text = textwrap.dedent(_SIPP_KEYWORD.sub("0", cdata)).strip("\n") + "\n"
        texts.append(text)
    return texts


def extract(path: Path) -> Extracted:
    raw = path.read_bytes()
    result = Extracted(path.name)
    text = raw.decode("utf-8", errors="replace")
    stripped = text.lstrip()
    if path.suffix == ".xml" and b"<scenario" in raw:
        for message_text in _sipp_messages(raw):
            message = _split_message(message_text)
            result.messages.append(message)
            result.metadata += _metadata_parts(message.header("Content-Type"), message.body)
    elif stripped.startswith("<"):
        result.metadata.append((None, raw))
    elif _START_LINE.match(stripped):
        message = _split_message(stripped)
        result.messages.append(message)
        result.metadata += _metadata_parts(message.header("Content-Type"), message.body)
    elif stripped.lower().startswith("content-type:") or stripped.startswith("--"):
        result.metadata += _metadata_parts(None, raw)
    else:  # a header fragment
        result.messages.append(Message(None, _headers(text.splitlines()), b""))
    return result


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.name != "INDEX.md")
