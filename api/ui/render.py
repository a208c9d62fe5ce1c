"""Jinja2 rendering for the UI: one autoescaping environment and the page headers.

The environment is the UI's own (not Litestar's ``TemplateConfig``) so the API app needs
no template settings and the pages can be rendered in tests without an app.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import MediaType, Response

TEMPLATES = Path(__file__).with_name("templates")
STATIC = Path(__file__).with_name("static")
STATIC_PATH = "/ui/static"

#: Pages of the logged-in UI: same-origin scripts only, never framed (clickjacking).
PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; media-src 'self'; "
        "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}
#: The embed page is meant to sit in other sites' iframes: no X-Frame-Options, any
#: ancestor; the link's signature stays out of ``Referer``.
EMBED_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; media-src 'self'; "
        "style-src 'self' 'unsafe-inline'; frame-ancestors *"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
}


def when(value: datetime | None) -> str:
    """A UTC timestamp to the second, as the pages show times."""
    if value is None:
        return ""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M:%S")


def clock(seconds: float | None) -> str:
    """``h:mm:ss`` or ``m:ss``."""
    if seconds is None or seconds < 0:
        return ""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["clock"] = clock
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(static=STATIC_PATH, **context)


def page(
    template: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response[str]:
    """An HTML response with the UI's security headers (``PAGE_HEADERS`` by default)."""
    return Response(
        render(template, **context),
        status_code=status,
        media_type=MediaType.HTML,
        headers=PAGE_HEADERS if headers is None else headers,
    )
