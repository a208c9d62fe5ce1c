"""Normalising who a participant is: AORs, display names and phone numbers.

SRCs leak SIP syntax into metadata (AORs without a scheme, ``name;lang=en-US;id=22``,
``"Name" <sip:…>;tag=…`` header copies).  These helpers turn such text into comparable
values and always let the caller keep the original next to the normalised one.
"""

from __future__ import annotations

import re

_SCHEMES = ("sip:", "sips:", "tel:", "urn:", "http:", "https:", "mailto:")
_NAME_PARAM = re.compile(r"^(?P<name>[^;]*?)\s*(?P<params>(?:;[A-Za-z][\w.-]*(?:=[^;]*)?)+)$")
_NUMBER = re.compile(r"^\+?[0-9][0-9\-. ()]{1,30}$")
_NAME_ADDR = re.compile(r'^\s*(?:"(?P<q>(?:[^"\\]|\\.)*)"|(?P<t>[^<"]*?))\s*<(?P<uri>[^>]*)>')


def normalise_aor(aor: str | None) -> str | None:
    """``user@host`` → ``sip:user@host``; strips whitespace and angle brackets."""
    if aor is None:
        return None
    text = aor.strip().strip("<>").strip()
    if not text:
        return None
    if text.lower().startswith(_SCHEMES):
        scheme, _, rest = text.partition(":")
        return f"{scheme.lower()}:{rest}"
    return "sip:" + text


def split_name(name: str | None) -> tuple[str | None, dict[str, str]]:
    """Trim a display name and split off leaked URI parameters (``x;lang=en;id=2``).

    A name that is only whitespace becomes ``None`` (Sonus sends ``" "``).
    """
    if name is None:
        return None, {}
    text = " ".join(name.split())
    params: dict[str, str] = {}
    looks_like_uri = "<" in text or text.lower().startswith(_SCHEMES)
    match = None if looks_like_uri else _NAME_PARAM.match(text)
    if match is not None and match.group("name"):
        text = match.group("name").strip()
        for item in match.group("params").split(";")[1:]:
            key, _, value = item.partition("=")
            params[key.strip()] = value.strip()
    return (text or None), params


def uri_user(uri: str | None) -> str | None:
    """The user part of a SIP/tel URI (``sip:+1555@h;user=phone`` → ``+1555``)."""
    if not uri:
        return None
    text = uri.strip().strip("<>")
    if ":" in text and text.split(":", 1)[0].lower() in ("sip", "sips", "tel"):
        text = text.split(":", 1)[1]
    user = (
        text.split("@", 1)[0] if "@" in text else (text if uri.lower().startswith("tel:") else "")
    )
    user = user.split(";", 1)[0]
    return user or None


def phone_number(value: str | None) -> str | None:
    """A dialable number from a URI user part or a bare string, else ``None``.

    Visual separators are removed; a leading ``+`` is kept (E.164 compared as text).
    """
    if not value:
        return None
    text = value.strip()
    user = uri_user(text) if (":" in text or "@" in text) else text
    if user is None or not _NUMBER.match(user):
        return None
    digits = re.sub(r"[\-. ()]", "", user)
    return digits if len(digits.lstrip("+")) >= 2 else None


def parse_name_addr(value: str) -> tuple[str | None, str | None]:
    """``"Name" <sip:u@h>;tag=x`` → (``Name``, ``sip:u@h``); a bare URI gives (None, uri)."""
    match = _NAME_ADDR.match(value)
    if match is None:
        uri = value.strip().split(";", 1)[0].strip()
        return None, (uri or None)
    display = match.group("q") if match.group("q") is not None else match.group("t")
    display = display.replace('\\"', '"').strip() if display else None
    return (display or None), (match.group("uri").strip() or None)
