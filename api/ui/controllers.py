"""The web UI's pages: login, live board, recording search, player, embeddable player.

Pages are rendered on the server with the same access rules as the API (tenant, agent
scope, soft delete: :func:`api.recordings.access.visible_recording` and the catalog
search); the small scripts in ``static/`` only poll the sessions API, move the playhead
and create share links.  ``/embed/{id}`` is opened by a signed link, without a login.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Response, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import File, Redirect
from litestar.types import ControllerRouterHandler

from api.auth.access import ANNOTATE, CONTROL, Principal, agent_scope, allowed, tenant_scope
from api.errors import ApiError, NotFoundError
from api.media.access import shared_recording
from api.media.signing import signer_for
from api.recordings.access import visible_recording
from api.state import AppState
from api.ui.auth import LOGIN_PATH, LoginRequired, login_redirect, safe_next, ui_principal
from api.ui.render import EMBED_HEADERS, STATIC, STATIC_PATH, page
from api.ui.views import CHANNEL_FORMATS, DOWNLOAD_FORMATS, player_view, search_row
from srs.storage.catalog import RecordingSearch

PAGE_SIZE = 50
LIVE_INTERVAL_MS = 1000  # polling period when the event feed is unavailable
LIVE_COUNTERS_MS = 3000  # packet counters: not feed events, refreshed from the list
LIVE_LINGER_MS = 4000  # an ended call stays on the board (marked ended) this long
API_PREFIX = "/api/v1"
TextParam = Annotated[str | None, QueryParameter()]


def parse_time(text: str | None, name: str) -> datetime | None:
    """A form's ``datetime-local`` value (no zone: UTC) or full ISO 8601."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{name}: not a date and time: {text!r}") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def parse_tags(text: str | None) -> tuple[str, ...]:
    return tuple(t.strip() for t in (text or "").split(",") if t.strip())


class UiController(Controller):
    """Pages for logged-in users; without a session they redirect to ``/login``."""

    path = "/ui"
    include_in_schema = False
    dependencies = {"viewer": Provide(ui_principal, sync_to_thread=True)}
    exception_handlers = {LoginRequired: login_redirect}

    @get("/", sync_to_thread=False)
    def live(self, viewer: NamedDependency[Principal]) -> Response[str]:
        """The live calls board."""
        return page(
            "live.html",
            page="live",
            viewer=viewer,
            sessions_url=f"{API_PREFIX}/sessions/",
            events_url=f"{API_PREFIX}/sessions/events",
            control_url=f"{API_PREFIX}/sessions/",
            interval_ms=LIVE_INTERVAL_MS,
            counters_ms=LIVE_COUNTERS_MS,
            linger_ms=LIVE_LINGER_MS,
            can_control=allowed(viewer, CONTROL),
        )

    @get("/recordings", sync_to_thread=True)
    def search(
        self,
        viewer: NamedDependency[Principal],
        app_state: NamedDependency[AppState],
        caller: TextParam = None,
        callee: TextParam = None,
        call_id: TextParam = None,
        vendor_id: TextParam = None,
        tags: TextParam = None,
        notes: TextParam = None,
        started_from: Annotated[str | None, QueryParameter(name="from")] = None,
        started_to: Annotated[str | None, QueryParameter(name="to")] = None,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> Response[str]:
        """Recording search with filters, newest first, within what the viewer may see."""
        form = {
            "caller": caller or "",
            "callee": callee or "",
            "call_id": call_id or "",
            "vendor_id": vendor_id or "",
            "tags": tags or "",
            "notes": notes or "",
            "from": started_from or "",
            "to": started_to or "",
        }
        context: dict[str, Any] = {"page": "search", "viewer": viewer, "form": form}
        context.update(rows=[], total=0, offset=offset, error=None, prev_url=None, next_url=None)
        try:
            begin = parse_time(started_from, "From")
            end = parse_time(started_to, "To")
        except ValueError as exc:
            return page("search.html", status=400, **{**context, "error": str(exc)})
        criteria = RecordingSearch(
            tenant_id=tenant_scope(viewer),
            agent_scope=agent_scope(viewer),
            caller=caller or None,
            callee=callee or None,
            call_id=call_id or None,
            vendor_id=vendor_id or None,
            tags=parse_tags(tags),
            notes=notes or None,
            started_from=begin,
            started_to=end,
        )
        entries, total = app_state.catalog.search(criteria, PAGE_SIZE, offset)
        kept = {k: v for k, v in form.items() if v}

        def url(at: int) -> str:
            return "/ui/recordings?" + urlencode({**kept, "offset": at})

        context.update(rows=[search_row(e.recording, e.annotation) for e in entries], total=total)
        if offset > 0:
            context["prev_url"] = url(max(0, offset - PAGE_SIZE))
        if offset + PAGE_SIZE < total:
            context["next_url"] = url(offset + PAGE_SIZE)
        return page("search.html", **context)

    @get("/recordings/{recording_id:str}", sync_to_thread=True)
    def player(
        self,
        recording_id: FromPath[str],
        viewer: NamedDependency[Principal],
        app_state: NamedDependency[AppState],
    ) -> Response[str]:
        """One recording: waveform, audio, channels, DTMF, notes, tags, downloads, share."""
        try:
            record, annotation = visible_recording(app_state, viewer, recording_id)
        except NotFoundError:
            return page(
                "error.html",
                status=404,
                viewer=viewer,
                heading="Recording not found",
                detail=f"There is no recording {recording_id!r}.",
            )
        api = f"{API_PREFIX}/recordings/{recording_id}"
        return page(
            "player.html",
            page="player",
            viewer=viewer,
            view=player_view(record, annotation, media_base=api),
            api=api,
            download_formats=DOWNLOAD_FORMATS,
            channel_formats=CHANNEL_FORMATS,
            can_annotate=allowed(viewer, ANNOTATE),
        )


class EmbedController(Controller):
    """The iframe-friendly player a signed link opens; the signature is the credential."""

    path = "/embed"
    include_in_schema = False

    @get("/{recording_id:str}", sync_to_thread=True)
    def embed(
        self,
        recording_id: FromPath[str],
        app_state: NamedDependency[AppState],
        exp: TextParam = None,
        sig: TextParam = None,
    ) -> Response[str]:
        """Player for one recording, framable anywhere, valid until the link expires."""
        try:
            expires = signer_for(app_state.config).verify(recording_id, exp, sig, app_state.clock())
            record = shared_recording(app_state, recording_id)
        except ApiError as exc:
            return page(
                "error.html",
                status=exc.status,
                headers=EMBED_HEADERS,
                embed=True,
                heading="This link cannot be opened",
                detail=exc.detail,
            )
        query = urlencode({"exp": expires, "sig": sig or ""})
        view = player_view(record, None, media_base=f"/share/{recording_id}", query=query)
        return page("embed.html", headers=EMBED_HEADERS, view=view)


@get(LOGIN_PATH, include_in_schema=False, sync_to_thread=False)
def login(next_page: Annotated[str | None, QueryParameter(name="next")] = None) -> Response[str]:
    """The login form (it posts to ``/api/v1/auth/login``, which sets the cookie)."""
    return page("login.html", page="login", viewer=None, next=safe_next(next_page))


@get("/", include_in_schema=False, sync_to_thread=False)
def root() -> Redirect:
    """The UI's home is the live board."""
    return Redirect("/ui/")


STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".png": "image/png"}


@get(f"{STATIC_PATH}/{{name:str}}", include_in_schema=False, sync_to_thread=True)
def static_file(name: FromPath[str]) -> File:
    """The UI's own CSS and scripts (flat directory: no sub-paths, no traversal)."""
    path = STATIC / name
    if "/" in name or name.startswith(".") or not path.is_file():
        raise NotFoundError(f"no static file {name!r}", field="name")
    return File(
        path,
        filename=name,
        media_type=STATIC_TYPES.get(path.suffix, "application/octet-stream"),
        content_disposition_type="inline",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


UI_ROUTES: list[ControllerRouterHandler] = [UiController, EmbedController, login, root, static_file]
