"""``/recordings``: search, one recording, and its media file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream

from api.errors import BadRequestError, NotFoundError
from api.recordings.media import media_type, parse_range, read_chunks
from api.recordings.schemas import RecordingDetail, RecordingPage
from api.recordings.services import recording_detail, recording_summary
from srs.storage import RecordingFilter, Repository
from srs.storage.columns import to_datetime

MAX_LIMIT = 500


class RecordingController(Controller):
    path = "/recordings"
    tags = ["recordings"]

    @get("/", operation_id="ListRecordings", sync_to_thread=True)
    def list_recordings(
        self,
        repository: NamedDependency[Repository],
        caller: Annotated[
            str | None, QueryParameter(description="Substring of the caller's number, name or AOR")
        ] = None,
        callee: Annotated[
            str | None, QueryParameter(description="Substring of the callee's number, name or AOR")
        ] = None,
        call_id: Annotated[str | None, QueryParameter(description="Exact SIP Call-ID")] = None,
        vendor_id: Annotated[
            str | None, QueryParameter(description="Exact vendor call id (UCID, Cisco GUID, …)")
        ] = None,
        started_from: Annotated[
            datetime | None,
            QueryParameter(name="from", description="Started at or after (ISO 8601)"),
        ] = None,
        started_to: Annotated[
            datetime | None, QueryParameter(name="to", description="Started before (ISO 8601)")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> RecordingPage:
        """Search finalized recordings, newest first."""
        begin, end = to_datetime(started_from), to_datetime(started_to)
        if begin is not None and end is not None and end < begin:
            raise BadRequestError("to: must not be earlier than 'from'", field="to")
        criteria = RecordingFilter(caller, callee, vendor_id, call_id, begin, end)
        rows = repository.list_recordings(
            limit,
            offset,
            caller=caller,
            callee=callee,
            vendor_id=vendor_id,
            call_id=call_id,
            started_from=begin,
            started_to=end,
        )
        return RecordingPage(
            items=[recording_summary(r) for r in rows],
            total=repository.count_recordings(criteria),
            limit=limit,
            offset=offset,
        )

    @get("/{recording_id:str}", operation_id="GetRecording", sync_to_thread=True)
    def get_recording(
        self, recording_id: FromPath[str], repository: NamedDependency[Repository]
    ) -> RecordingDetail:
        """One recording with participants, streams, metadata versions and vendor ids."""
        record = repository.get_recording(recording_id)
        if record is None:
            raise NotFoundError(f"recording {recording_id!r} not found", field="recording_id")
        return recording_detail(record)

    @get(
        "/{recording_id:str}/media",
        operation_id="GetRecordingMedia",
        sync_to_thread=True,
    )
    def get_media(
        self,
        request: Request[Any, Any, Any],
        recording_id: FromPath[str],
        repository: NamedDependency[Repository],
        file: Annotated[
            int, QueryParameter(ge=0, description="File index (layout 'separate')")
        ] = 0,
    ) -> Stream:
        """The recording's audio; honours ``Range: bytes=…`` (206/416) for seeking."""
        record = repository.get_recording(recording_id)
        if record is None:
            raise NotFoundError(f"recording {recording_id!r} not found", field="recording_id")
        files = [f for f in record.recording.files if isinstance(f, dict)]
        if file >= max(len(files), 1):
            raise NotFoundError(f"recording {recording_id!r} has no file {file}", field="file")
        entry = files[file] if files else {"path": record.recording.path}
        path = Path(str(entry.get("path") or record.recording.path))
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise NotFoundError(
                f"media file of recording {recording_id!r} is missing", field="file"
            ) from exc
        headers = {
            "Accept-Ranges": "bytes",
            "Content-Disposition": f'attachment; filename="{path.name}"',
        }
        sha = entry.get("sha256")
        if isinstance(sha, str) and sha:
            headers["ETag"] = f'"{sha}"'
        wanted = parse_range(request.headers.get("range"), size)
        if_range = request.headers.get("if-range")
        if wanted is not None and if_range and if_range != headers.get("ETag"):
            wanted = None  # the client's copy is stale: send the whole file
        status, first, length = 200, 0, size
        if wanted is not None:
            status, first, length = 206, wanted.first, wanted.length
            headers["Content-Range"] = wanted.content_range(size)
        headers["Content-Length"] = str(length)
        return Stream(
            read_chunks(path, first, length),
            status_code=status,
            headers=headers,
            media_type=media_type(str(entry.get("format") or record.recording.format), path),
        )
