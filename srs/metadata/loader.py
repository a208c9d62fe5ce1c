"""Turning metadata bytes into an lxml tree, tolerating what real SRCs and docs send.

A strict parse is tried first.  When the bytes are not well-formed XML, targeted fixes for
defects seen in the wild are applied (raw ``<sip:…>`` in text, unquoted attribute values,
start tags that do not match their end tag, fragments without one root) and the strict
parse is retried; as a last resort lxml's recovering parser is used.  Every step leaves an
exact message in ``errors`` so that operators can see what was wrong with the SRC's XML.
Entities and DTDs are never resolved (no XXE, no network).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

FRAGMENT_ROOT = "srs-fragment"

_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_DECL_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")
_CDATA = re.compile(r"(<!\[CDATA\[.*?\]\]>)", re.DOTALL)
_RAW_URI = re.compile(r"<((?:sips?|tel|urn|https?):[^<>\s]*)>", re.IGNORECASE)
_START_TAG = re.compile(r"<([A-Za-z_][\w.:-]*)(\s[^<>]*?)?(/?)>")
_UNQUOTED = re.compile(r"(\s[A-Za-z_][\w.:-]*)\s*=\s*([^\s\"'>/][^\s>]*?)(?=\s|/?$)")
_MISMATCH = re.compile(r"Opening and ending tag mismatch: (\S+) line (\d+) and (\S+)")
_MAX_TAG_FIXES = 8
_POSITION_SUFFIX = re.compile(r", line \d+, column \d+$")


@dataclass
class LoadedXml:
    """The outcome of loading: a root element (or None) and what it took to get it."""

    root: etree._Element | None
    well_formed: bool
    recovered: bool
    errors: list[str] = field(default_factory=list)
    fragment: bool = False


def _parser(recover: bool) -> etree.XMLParser:
    return etree.XMLParser(
        recover=recover,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_blank_text=False,
    )


def _syntax_error(exc: etree.XMLSyntaxError) -> str:
    # exc.error_log accumulates across parses in one thread; exc.msg is this parse's error.
    message = _POSITION_SUFFIX.sub("", str(exc.msg))
    line, column = exc.position if exc.position else (exc.lineno, 0)
    return f"line {line}, column {column}: {message}"


def _strict(text: str) -> tuple[etree._Element | None, str | None]:
    try:
        return etree.fromstring(text.encode("utf-8"), _parser(False)), None
    except etree.XMLSyntaxError as exc:
        return None, _syntax_error(exc)
    except (ValueError, etree.LxmlError) as exc:  # e.g. NUL bytes
        return None, str(exc)


def decode(raw: bytes) -> str:
    """Decode using the XML declaration's encoding (UTF-8 by default), never failing."""
    encoding = "utf-8"
    match = _DECL_ENCODING.match(raw[:200])
    if match is not None:
        encoding = match.group(1).decode("ascii")
    try:
        return raw.decode(encoding, errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


def _outside_cdata(text: str, fix: re.Pattern[str], repl: str) -> tuple[str, list[str]]:
    found: list[str] = []
    parts = _CDATA.split(text)
    for index in range(0, len(parts), 2):

        def record(match: re.Match[str]) -> str:
            found.append(match.group(0))
            return match.expand(repl)

        parts[index] = fix.sub(record, parts[index])
    return "".join(parts), found


def _escape_raw_uris(text: str) -> tuple[str, list[str]]:
    fixed, found = _outside_cdata(text, _RAW_URI, r"&lt;\1&gt;")
    return fixed, [f"escaped raw markup in text: {item}" for item in found]


def _quote_attributes(text: str) -> tuple[str, list[str]]:
    messages: list[str] = []

    def fix_tag(match: re.Match[str]) -> str:
        attrs = match.group(2)
        if not attrs:
            return match.group(0)

        def quote(attr: re.Match[str]) -> str:
            messages.append(f"quoted attribute value:{attr.group(1)}={attr.group(2)}")
            return f'{attr.group(1)}="{attr.group(2)}"'

        fixed = _UNQUOTED.sub(quote, attrs)
        return f"<{match.group(1)}{fixed}{match.group(3)}>"

    parts = _CDATA.split(text)
    for index in range(0, len(parts), 2):
        parts[index] = _START_TAG.sub(fix_tag, parts[index])
    return "".join(parts), messages


def _rename_mismatched(text: str, error: str) -> tuple[str, str | None]:
    """Rename a start tag to its end tag's name when both sit on the same line."""
    match = _MISMATCH.search(error)
    if match is None:
        return text, None
    opened, line_no, closed = match.group(1), int(match.group(2)), match.group(3)
    lines = text.split("\n")
    if not 0 < line_no <= len(lines):
        return text, None
    line = lines[line_no - 1]
    start = re.compile(rf"<{re.escape(opened)}(?=[\s/>])")
    if f"</{closed}>" not in line or start.search(line) is None:
        return text, None
    lines[line_no - 1] = start.sub(f"<{closed}", line, count=1)
    return "\n".join(lines), f"renamed start tag <{opened}> to <{closed}> to match its end tag"


def _wrap_fragment(text: str) -> str:
    return f"<{FRAGMENT_ROOT}>{text}</{FRAGMENT_ROOT}>"


def load_xml(raw: bytes) -> LoadedXml:
    """Parse metadata bytes; never raises."""
    text = decode(raw).lstrip("\ufeff")
    # Blank out the declaration (lxml refuses one in a str) keeping line/column numbers.
    body = _DECL.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, count=1)
    if not body.strip():
        return LoadedXml(None, False, False, ["empty metadata body"])
    root, error = _strict(body)
    if root is not None:
        return LoadedXml(root, True, False)
    errors = [f"not well-formed: {error}"]

    fixed = body
    for fix in (_escape_raw_uris, _quote_attributes):
        fixed, messages = fix(fixed)
        errors.extend(messages)
    fragment = False
    for _ in range(_MAX_TAG_FIXES):
        root, error = _strict(_wrap_fragment(fixed) if fragment else fixed)
        if root is not None:
            break
        assert error is not None
        if not fragment and ("Extra content at the end" in error or "Document is empty" in error):
            if fixed.lstrip().startswith("<"):
                fragment = True
                errors.append(f"wrapped fragment in <{FRAGMENT_ROOT}>: no single root element")
                continue
        candidate, message = _rename_mismatched(fixed, error)
        if message is None:
            break
        fixed = candidate
        errors.append(message)
    if root is not None:
        return LoadedXml(root, False, True, errors, fragment)

    source = _wrap_fragment(fixed) if fragment else fixed
    try:
        root = etree.fromstring(source.encode("utf-8"), _parser(True))
    except etree.XMLSyntaxError as exc:
        errors.append(f"recovering parser failed: {_syntax_error(exc)}")
        return LoadedXml(None, False, False, errors, fragment)
    except (ValueError, etree.LxmlError) as exc:
        errors.append(f"recovering parser failed: {exc}")
        return LoadedXml(None, False, False, errors, fragment)
    if root is None:
        errors.append("recovering parser found no element")
        return LoadedXml(None, False, False, errors, fragment)
    errors.append("used lxml recovering parser; some content may be lost")
    return LoadedXml(root, False, True, errors, fragment)
