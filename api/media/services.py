"""Which file of a recording to serve, and the derived files (transcodes, waveforms).

Shared by the authenticated routes (``/api/v1/recordings/{id}/…``), the signed-link
routes (``/share/{id}/…``) and the UI, so the three always serve the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from api.errors import BadRequestError, NotFoundError
from api.media import transcode, waveform
from api.media.cache import MediaCache
from api.media.transcode import STORED_FORMATS, TARGETS, Target, TranscodeError
from srs.storage import RecordingRecord

ORIGINAL = "original"
STORED_MEDIA_TYPES = {"wav": "audio/wav", "wav-pcmu": "audio/wav", "wav-pcma": "audio/wav"}
STORED_MEDIA_TYPES["ogg"] = "audio/ogg"


@dataclass(frozen=True)
class SourceFile:
    """One stored file of a recording (several with layout ``separate``)."""

    recording_id: str
    index: int
    path: Path
    format: str  # finalize's name: wav, wav-pcmu, wav-pcma, ogg
    channels: int | None
    sha256: str | None


@dataclass(frozen=True)
class MediaFile:
    """A file ready to send: stored or derived (``etag`` ``None``: no validator known)."""

    path: Path
    media_type: str
    filename: str
    etag: str | None


def source_file(record: RecordingRecord, index: int = 0) -> SourceFile:
    """File ``index`` of the recording; 404 when there is no such file on disk."""
    row = record.recording
    files = [f for f in row.files if isinstance(f, dict)]
    if index >= max(len(files), 1) or index < 0:
        raise NotFoundError(f"recording {row.id!r} has no file {index}", field="file")
    entry = files[index] if files else {}
    path = Path(str(entry.get("path") or row.path))
    if not path.is_file():
        raise NotFoundError(f"media file of recording {row.id!r} is missing", field="file")
    channels = entry.get("channels", row.channels if not files else None)
    sha = entry.get("sha256")
    return SourceFile(
        recording_id=row.id,
        index=index,
        path=path,
        format=str(entry.get("format") or row.format or "wav"),
        channels=channels if isinstance(channels, int) and channels > 0 else None,
        sha256=sha if isinstance(sha, str) and sha else None,
    )


def resolve_target(source: SourceFile, fmt: str | None, channel: int | None) -> Target | None:
    """The target to encode to, ``None`` to send the stored file untouched."""
    name = fmt or ORIGINAL
    if name == ORIGINAL:
        if channel is None:
            return None
        name = STORED_FORMATS.get(source.format, "wav")
    try:
        wanted = transcode.target(name)
    except TranscodeError as exc:
        choices = ", ".join([ORIGINAL, *TARGETS])
        raise BadRequestError(f"format: {exc}; choose one of {choices}", field="format") from exc
    if channel is not None and source.channels is not None and channel >= source.channels:
        raise BadRequestError(
            f"channel: {channel} not in file {source.index} ({source.channels} channels)",
            field="channel",
        )
    return wanted


def _basename(source: SourceFile, channel: int | None) -> str:
    name = source.recording_id if source.index == 0 else f"{source.recording_id}-{source.index}"
    return name if channel is None else f"{name}-ch{channel}"


def media_file(
    cache: MediaCache, source: SourceFile, fmt: str | None, channel: int | None
) -> MediaFile:
    """The stored file, or its transcode (made once, then served from the cache)."""
    wanted = resolve_target(source, fmt, channel)
    if wanted is None:
        suffix = source.path.suffix or ".wav"
        return MediaFile(
            source.path,
            STORED_MEDIA_TYPES.get(source.format, "application/octet-stream"),
            f"{_basename(source, None)}{suffix}",
            f'"{source.sha256}"' if source.sha256 else f'"{source.path.stat().st_mtime_ns}"',
        )
    variant = f"{wanted.name}-{'all' if channel is None else f'ch{channel}'}"
    path = cache.path(source.recording_id, source.path, variant, wanted.extension)

    def make(dest: Path) -> None:
        rate, samples = transcode.decode(source.path)
        try:
            picked = transcode.pick_channel(samples, channel)
        except TranscodeError as exc:
            raise BadRequestError(f"channel: {exc}", field="channel") from exc
        transcode.encode(picked, rate, wanted, dest)

    cache.get_or_make(path, make)
    return MediaFile(
        path,
        wanted.media_type,
        f"{_basename(source, channel)}.{wanted.extension}",
        f'"{path.stem}"',
    )


def waveform_file(cache: MediaCache, source: SourceFile, width: int, height: int) -> MediaFile:
    """The waveform PNG of ``source`` at ``width`` x ``height`` (cached)."""
    if not waveform.MIN_WIDTH <= width <= waveform.MAX_WIDTH:
        raise BadRequestError(
            f"width: {width} outside {waveform.MIN_WIDTH}..{waveform.MAX_WIDTH}", field="width"
        )
    if not waveform.MIN_HEIGHT <= height <= waveform.MAX_HEIGHT:
        raise BadRequestError(
            f"height: {height} outside {waveform.MIN_HEIGHT}..{waveform.MAX_HEIGHT}",
            field="height",
        )
    path = cache.path(source.recording_id, source.path, f"waveform-{width}x{height}", "png")

    def make(dest: Path) -> None:
        _, samples = transcode.decode(source.path)
        cache.write_bytes(dest, waveform.waveform_png(samples, width, height))

    cache.get_or_make(path, make)
    return MediaFile(path, "image/png", f"{_basename(source, None)}-waveform.png", f'"{path.stem}"')
