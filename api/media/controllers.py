"""Media routes: audio in any format or channel, waveform PNG, and signed share links.

``MediaController`` sits under ``/api/v1`` beside the recordings routes, behind the same
authentication, visibility and ``playback`` permission as ``GetRecordingMedia``;
``SharedMediaController`` (``/share/{id}/…``) is reached without a login and checks the
link's signature instead.  Audio fetches are audited (``playback`` for a ranged request,
``download`` otherwise), link creation as ``share``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream
from litestar.types import ControllerRouterHandler

from api.auth.access import Principal
from api.errors import UnprocessableError
from api.media.access import (
    fetch_action,
    linked_recording,
    playable_recording,
    record_media_access,
)
from api.media.cache import MediaCache
from api.media.ranged import file_response
from api.media.services import media_file, source_file, waveform_file
from api.media.signing import MAX_TTL, MIN_TTL, SignedLink, signer_for
from api.state import AppState

FormatParam = Annotated[
    str | None,
    QueryParameter(
        name="format",
        description="original (default), wav, wav-pcmu, wav-pcma, ogg (Opus) or mp3",
    ),
]
ChannelParam = Annotated[
    int | None, QueryParameter(ge=0, description="Only this channel, as a mono file")
]
FileParam = Annotated[int, QueryParameter(ge=0, description="File index (layout 'separate')")]
WidthParam = Annotated[int, QueryParameter(ge=16, le=4096, description="Image width, pixels")]
HeightParam = Annotated[int, QueryParameter(ge=16, le=2048, description="Image height, pixels")]
ExpParam = Annotated[str | None, QueryParameter(description="Link expiry (Unix seconds)")]
SigParam = Annotated[str | None, QueryParameter(description="Link signature")]

#: Signed links are meant to be opened by anyone holding them, so the signature must not
#: leak onwards through ``Referer`` and the responses must not be cached by proxies.
SHARED_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "private, no-store"}


class LinkRequest(msgspec.Struct):
    """How long the link stays valid."""

    expires_in: int = 3600


class LinkOut(msgspec.Struct):
    recording_id: str
    expires_at: datetime
    audio_url: str
    waveform_url: str
    embed_url: str


def share_urls(link: SignedLink, base: str = "") -> LinkOut:
    """The URLs one signed link opens (``base`` e.g. ``http://host:8080``, or relative)."""
    rid, query = link.recording_id, link.query
    return LinkOut(
        recording_id=rid,
        expires_at=datetime.fromtimestamp(link.expires, UTC),
        audio_url=f"{base}/share/{rid}/audio?{query}",
        waveform_url=f"{base}/share/{rid}/waveform.png?{query}",
        embed_url=f"{base}/embed/{rid}?{query}",
    )


def cache_of(app_state: AppState) -> MediaCache:
    return MediaCache.for_data_dir(app_state.config.storage.data_dir)


class MediaController(Controller):
    path = "/recordings"
    tags = ["media"]

    @get("/{recording_id:str}/audio", operation_id="GetRecordingAudio", sync_to_thread=True)
    def get_audio(
        self,
        request: Request[Any, Any, Any],
        recording_id: FromPath[str],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        fmt: FormatParam = None,
        channel: ChannelParam = None,
        file: FileParam = 0,
        download: Annotated[
            bool, QueryParameter(description="Content-Disposition attachment")
        ] = False,
    ) -> Stream:
        """The recording's audio, stored or transcoded, whole or one channel; honours
        ``Range`` (206/416) so players can seek."""
        action = fetch_action(request)
        record = playable_recording(app_state, principal, request, recording_id, action)
        media = media_file(cache_of(app_state), source_file(record, file), fmt, channel)
        response = file_response(request, media, attachment=download)
        detail = {"file": file, "format": fmt or "original", "channel": channel}
        record_media_access(app_state, principal, request, recording_id, action, detail=detail)
        return response

    @get(
        "/{recording_id:str}/waveform.png",
        operation_id="GetRecordingWaveform",
        sync_to_thread=True,
    )
    def get_waveform(
        self,
        request: Request[Any, Any, Any],
        recording_id: FromPath[str],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        width: WidthParam = 1200,
        height: HeightParam = 160,
        file: FileParam = 0,
    ) -> Stream:
        """A PNG of the recording's waveform, one band per channel (channel 0 on top)."""
        record = playable_recording(app_state, principal, request, recording_id, "waveform")
        media = waveform_file(cache_of(app_state), source_file(record, file), width, height)
        return file_response(request, media, attachment=False)

    @post("/{recording_id:str}/links", operation_id="CreateRecordingLink", sync_to_thread=True)
    def create_link(
        self,
        request: Request[Any, Any, Any],
        recording_id: FromPath[str],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        data: JSONBody[LinkRequest | None] = None,
    ) -> LinkOut:
        """A time-limited signed link to the recording's audio, waveform and embeddable
        player, usable without a login (needs the ``playback`` permission)."""
        playable_recording(app_state, principal, request, recording_id, "share")
        ttl = (data or LinkRequest()).expires_in
        if not MIN_TTL <= ttl <= MAX_TTL:
            raise UnprocessableError(
                f"expires_in: {ttl} outside {MIN_TTL}..{MAX_TTL} seconds", field="expires_in"
            )
        link = signer_for(app_state.config).sign(recording_id, ttl, app_state.clock())
        record_media_access(
            app_state, principal, request, recording_id, "share", detail={"expires": link.expires}
        )
        return share_urls(link, str(request.base_url).rstrip("/"))


class SharedMediaController(Controller):
    """What a signed link opens; no login, the signature is the credential."""

    path = "/share"
    tags = ["media"]
    include_in_schema = True

    @get("/{recording_id:str}/audio", operation_id="GetSharedAudio", sync_to_thread=True)
    def get_audio(
        self,
        request: Request[Any, Any, Any],
        recording_id: FromPath[str],
        app_state: NamedDependency[AppState],
        exp: ExpParam = None,
        sig: SigParam = None,
        fmt: FormatParam = None,
        channel: ChannelParam = None,
        file: FileParam = 0,
        download: Annotated[bool, QueryParameter()] = False,
    ) -> Stream:
        """The audio of a shared recording (same options as ``GetRecordingAudio``)."""
        record, expires = linked_recording(app_state, recording_id, exp, sig)
        media = media_file(cache_of(app_state), source_file(record, file), fmt, channel)
        response = file_response(request, media, attachment=download, extra_headers=SHARED_HEADERS)
        detail = {"via": "signed link", "expires": expires, "format": fmt or "original"}
        record_media_access(
            app_state, None, request, recording_id, fetch_action(request), detail=detail
        )
        return response

    @get("/{recording_id:str}/waveform.png", operation_id="GetSharedWaveform", sync_to_thread=True)
    def get_waveform(
        self,
        request: Request[Any, Any, Any],
        recording_id: FromPath[str],
        app_state: NamedDependency[AppState],
        exp: ExpParam = None,
        sig: SigParam = None,
        width: WidthParam = 1200,
        height: HeightParam = 160,
        file: FileParam = 0,
    ) -> Stream:
        """The waveform PNG of a shared recording."""
        record, _ = linked_recording(app_state, recording_id, exp, sig)
        media = waveform_file(cache_of(app_state), source_file(record, file), width, height)
        return file_response(request, media, attachment=False, extra_headers=SHARED_HEADERS)


MEDIA_API: list[ControllerRouterHandler] = [MediaController]  # under /api/v1, behind the API's auth
MEDIA_PUBLIC: list[ControllerRouterHandler] = [
    SharedMediaController
]  # at the root, signed links only
