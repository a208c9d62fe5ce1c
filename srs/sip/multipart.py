"""multipart/mixed bodies (RFC 2046 §5.1) as SIPREC INVITEs carry them (SDP + metadata).

Strict RFC parsing first; when the boundary is missing or is template residue
(``boundary={{boundary}}`` in published samples), parts are recovered by splitting on the
lines that open a new ``Content-Type:`` header block, so the SDP can still be used.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from srs.sip.errors import SipParseError
from srs.sip.headers import Headers, is_token
from srs.sip.message import media_type_params


@dataclass
class BodyPart:
    """One body part: its own headers (Content-Type, Content-Disposition …) and bytes."""

    headers: Headers
    body: bytes

    @property
    def content_type(self) -> str | None:
        """Lower-case media type without parameters, kept raw when mangled."""
        raw = self.headers.get("Content-Type")
        if raw is None:
            return None
        return raw.partition(";")[0].strip().lower()

    @property
    def content_disposition(self) -> str | None:
        """Lower-case disposition type (``session``, ``recording-session``)."""
        raw = self.headers.get("Content-Disposition")
        if raw is None:
            return None
        return raw.partition(";")[0].strip().lower()


def _split_lines(body: bytes) -> list[bytes]:
    """Lines with their terminators kept, so bodies are returned byte-exact."""
    return body.splitlines(keepends=True)


def _strip_eol(line: bytes) -> bytes:
    if line.endswith(b"\r\n"):
        return line[:-2]
    if line.endswith(b"\n") or line.endswith(b"\r"):
        return line[:-1]
    return line


def _header_line(line: bytes) -> tuple[str, str] | None:
    """``Name: value`` → pair, else None (the line is body, not a header)."""
    text = _strip_eol(line).decode("utf-8", "replace")
    name, colon, value = text.partition(":")
    name = name.strip()
    if not colon or not is_token(name):
        return None
    return name, value.strip()


def _parse_part(lines: list[bytes]) -> BodyPart:
    """Headers until a blank line (or the first line that is not a header), then body."""
    pairs: list[tuple[str, str]] = []
    i = 0
    n = len(lines)
    while i < n:
        stripped = _strip_eol(lines[i])
        if not stripped.strip():
            i += 1
            break
        if stripped[:1] in (b" ", b"\t") and pairs:
            name, value = pairs[-1]
            pairs[-1] = (name, f"{value} {stripped.strip().decode('utf-8', 'replace')}")
            i += 1
            continue
        pair = _header_line(lines[i])
        if pair is None:
            break
        pairs.append(pair)
        i += 1
    headers = Headers(pairs)
    return BodyPart(headers, b"".join(lines[i:]))


def _trim_last_eol(lines: list[bytes]) -> list[bytes]:
    """The line break before a delimiter belongs to the delimiter (RFC 2046 §5.1.1)."""
    if lines:
        lines = [*lines[:-1], _strip_eol(lines[-1])]
    return lines


def _split_on_boundary(lines: list[bytes], boundary: bytes) -> list[BodyPart] | None:
    delimiter = b"--" + boundary
    close = delimiter + b"--"
    parts: list[list[bytes]] = []
    current: list[bytes] | None = None
    found = False
    for line in lines:
        stripped = _strip_eol(line).rstrip(b" \t")
        if stripped == delimiter or stripped == close:
            found = True
            if current is not None:
                parts.append(_trim_last_eol(current))
            if stripped == close:
                current = None
                break
            current = []
        elif current is not None:
            current.append(line)
    if not found:
        return None
    if current is not None:  # no close delimiter: keep what we have
        parts.append(current)
    return [_parse_part(p) for p in parts]


def _sniff_boundary(lines: list[bytes]) -> bytes | None:
    """A ``--xyz`` line that recurs is the boundary the Content-Type failed to name."""
    seen: set[bytes] = set()
    for line in lines:
        stripped = _strip_eol(line).rstrip(b" \t")
        if stripped.startswith(b"--") and len(stripped) > 2:
            candidate = stripped[2:]
            if candidate.endswith(b"--"):
                candidate = candidate[:-2]
            if candidate in seen:
                return candidate
            seen.add(candidate)
    return None


def _dedent(lines: list[bytes]) -> list[bytes]:
    """Remove the indentation shared by all non-blank lines (doc excerpts indent parts)."""
    indents = [len(ln) - len(ln.lstrip(b" \t")) for ln in lines if ln.strip()]
    cut = min(indents, default=0)
    if not cut:
        return lines
    return [ln[cut:] if ln.strip() else ln.lstrip(b" \t") for ln in lines]


def _split_on_content_type(lines: list[bytes]) -> list[BodyPart]:
    """Recovery when no delimiter lines exist: each ``Content-Type:`` line that starts a
    header block (first non-blank line, or after a blank line) opens a new part."""
    starts: list[int] = []
    previous_blank = True
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped[:13].lower() == b"content-type:" and previous_blank:
            starts.append(i)
        previous_blank = not stripped
    parts: list[BodyPart] = []
    for k, begin in enumerate(starts):
        end = starts[k + 1] if k + 1 < len(starts) else len(lines)
        chunk = _dedent(lines[begin:end])
        while chunk and not chunk[-1].strip():
            chunk.pop()
        parts.append(_parse_part(chunk))
    return parts


def parse_multipart(content_type_header_value: str, body: bytes) -> list[BodyPart]:
    """Split a multipart body into parts; raises ``SipParseError`` when none can be found."""
    params = media_type_params(content_type_header_value)
    lines = _split_lines(body)
    boundary = params.get("boundary", "")
    parts: list[BodyPart] | None = None
    if boundary:
        parts = _split_on_boundary(lines, boundary.encode("utf-8", "replace"))
    if parts is None:
        sniffed = _sniff_boundary(lines)
        if sniffed is not None:
            parts = _split_on_boundary(lines, sniffed)
    if parts is None:
        parts = _split_on_content_type(lines)
    if not parts:
        raise SipParseError("Multipart body has no parts", 400)
    return parts


def build_multipart(
    parts: Iterable[BodyPart], boundary: str, subtype: str = "mixed"
) -> tuple[str, bytes]:
    """Serialise parts with CRLF delimiters; returns (Content-Type value, body)."""
    chunks: list[bytes] = []
    for part in parts:
        head = "".join(f"{name}: {value}\r\n" for name, value in part.headers.items())
        chunks.append(f"--{boundary}\r\n{head}\r\n".encode() + part.body + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return f"multipart/{subtype};boundary={boundary}", b"".join(chunks)
