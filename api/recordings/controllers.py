"""``/recordings``: search, one recording, and its media file."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream

from api.audit.services import audit
from api.auth.access import (
    DELETE,
    HOLD,
    PLAYBACK,
    READ,
    Principal,
    agent_scope,
    allowed,
    require,
    tenant_scope,
)
from api.control.controllers import update_annotation
from api.control.schemas import AnnotationIn, AnnotationOut
from api.control.services import annotation_out, catalog_error
from api.errors import BadRequestError, NotFoundError
from api.recordings.access import visible_recording
from api.recordings.media import media_type, parse_range, read_chunks
from api.recordings.schemas import HoldIn, RecordingDetail, RecordingPage
from api.recordings.services import recording_detail, recording_summary
from api.state import AppState
from srs.storage.catalog import SORT_KEYS, CatalogError, RecordingSearch
from srs.storage.columns import to_datetime

MAX_LIMIT = 500


class RecordingController(Controller):
    path = "/recordings"
    tags = ["recordings"]

    @get("/", operation_id="ListRecordings", sync_to_thread=True)
    def list_recordings(
        self,
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        caller: Annotated[
            str | None, QueryParameter(description="Substring of the caller's number, name or AOR")
        ] = None,
        callee: Annotated[
            str | None, QueryParameter(description="Substring of the callee's number, name or AOR")
        ] = None,
        participant: Annotated[
            str | None, QueryParameter(description="Number, name or AOR of any participant")
        ] = None,
        participant_match: Annotated[
            Literal["contains", "equals"], QueryParameter(description="How 'participant' matches")
        ] = "contains",
        direction: Annotated[
            Literal["inbound", "outbound", "internal"] | None, QueryParameter()
        ] = None,
        min_duration: Annotated[float | None, QueryParameter(ge=0, description="Seconds")] = None,
        max_duration: Annotated[float | None, QueryParameter(ge=0, description="Seconds")] = None,
        call_id: Annotated[str | None, QueryParameter(description="Exact SIP Call-ID")] = None,
        vendor_id: Annotated[
            str | None, QueryParameter(description="Exact vendor call id (UCID, Cisco GUID, …)")
        ] = None,
        tag: Annotated[
            list[str] | None, QueryParameter(description="Tag (repeat: all must match)")
        ] = None,
        notes: Annotated[str | None, QueryParameter(description="Substring of the notes")] = None,
        agent: Annotated[
            str | None, QueryParameter(description="Agent id (exact) or name (substring)")
        ] = None,
        client_id: Annotated[str | None, QueryParameter()] = None,
        campaign_id: Annotated[str | None, QueryParameter()] = None,
        channels: Annotated[
            int | None, QueryParameter(ge=1, le=64, description="Audio channels of the file")
        ] = None,
        tenant: Annotated[
            str | None, QueryParameter(description="Tenant id (system admins only)")
        ] = None,
        min_completeness: Annotated[float | None, QueryParameter(ge=0, le=1)] = None,
        max_completeness: Annotated[float | None, QueryParameter(ge=0, le=1)] = None,
        min_flag: Annotated[int | None, QueryParameter(ge=0, le=10)] = None,
        legal_hold: Annotated[bool | None, QueryParameter()] = None,
        deleted: Annotated[
            bool, QueryParameter(description="Soft-deleted recordings instead (admins)")
        ] = False,
        started_from: Annotated[
            datetime | None,
            QueryParameter(name="from", description="Started at or after (ISO 8601)"),
        ] = None,
        started_to: Annotated[
            datetime | None, QueryParameter(name="to", description="Started before (ISO 8601)")
        ] = None,
        sort: Annotated[
            str,
            QueryParameter(
                description=f"One of {', '.join(SORT_KEYS)}; prefix '-' for descending",
                pattern=r"^[-+]?(" + "|".join(SORT_KEYS) + ")$",
            ),
        ] = "-started_at",
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 50,
        offset: Annotated[int, QueryParameter(ge=0)] = 0,
    ) -> RecordingPage:
        """Search recordings (only the caller's tenant; agents only their own)."""
        require(principal, READ)
        begin, end = to_datetime(started_from), to_datetime(started_to)
        if begin is not None and end is not None and end < begin:
            raise BadRequestError("to: must not be earlier than 'from'", field="to")
        scope = tenant_scope(principal)
        if scope is not None and tenant is not None and tenant != scope:
            raise BadRequestError("tenant: you may only search your own tenant", field="tenant")
        if deleted:
            require(principal, DELETE)
        criteria = RecordingSearch(
            tenant_id=scope or tenant,
            agent_scope=agent_scope(principal),
            caller=caller,
            callee=callee,
            participant=participant,
            participant_match=participant_match,
            direction=direction,
            min_duration=min_duration,
            max_duration=max_duration,
            vendor_id=vendor_id,
            call_id=call_id,
            tags=tuple(t.lower() for t in tag or ()),
            notes=notes,
            agent=agent,
            client_id=client_id,
            campaign_id=campaign_id,
            channels=channels,
            min_completeness=min_completeness,
            max_completeness=max_completeness,
            min_flag=min_flag,
            legal_hold=legal_hold,
            deleted=deleted,
            started_from=begin,
            started_to=end,
            sort=sort,
        )
        try:
            rows, total = app_state.catalog.search(criteria, limit, offset)
        except CatalogError as exc:
            raise BadRequestError(str(exc), field=exc.field) from exc
        return RecordingPage(
            items=[recording_summary(e.recording, e.annotation) for e in rows],
            total=total,
            limit=limit,
            offset=offset,
        )

    @get("/{recording_id:str}", operation_id="GetRecording", sync_to_thread=True)
    def get_recording(
        self,
        recording_id: FromPath[str],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        deleted: Annotated[
            bool, QueryParameter(description="Also when soft-deleted (admins)")
        ] = False,
    ) -> RecordingDetail:
        """One recording with participants, streams, metadata timeline, DTMF, quality
        figures, vendor ids and annotation."""
        record, annotation = visible_recording(
            app_state, principal, recording_id, include_deleted=deleted
        )
        return recording_detail(record, annotation)

    @patch("/{recording_id:str}", operation_id="AnnotateRecording", sync_to_thread=True)
    def annotate(
        self,
        recording_id: FromPath[str],
        data: JSONBody[AnnotationIn],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
    ) -> AnnotationOut:
        """Update notes, tags, flag (0-10) and call-centre fields."""
        visible_recording(app_state, principal, recording_id)
        tenant = app_state.catalog.tenant_of_session(recording_id)
        return update_annotation(
            app_state, principal, request, "recording", recording_id, tenant, data
        )

    @delete("/{recording_id:str}", operation_id="DeleteRecording", sync_to_thread=True)
    def delete_recording(
        self,
        recording_id: FromPath[str],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
    ) -> None:
        """Soft delete (purged after the retention grace); 409 under legal hold or
        before ``retain_until``."""
        self._guarded(app_state, principal, request, recording_id, DELETE, "delete")
        try:
            app_state.catalog.soft_delete(recording_id, principal.username, datetime.now(UTC))
        except CatalogError as exc:
            self._audit(app_state, principal, request, recording_id, "delete", "failed", str(exc))
            raise catalog_error(exc) from exc
        self._audit(app_state, principal, request, recording_id, "delete")

    @post(
        "/{recording_id:str}/restore",
        operation_id="RestoreRecording",
        sync_to_thread=True,
        status_code=200,
    )
    def restore(
        self,
        recording_id: FromPath[str],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
    ) -> AnnotationOut:
        """Undo a soft delete (before it is purged)."""
        self._guarded(app_state, principal, request, recording_id, DELETE, "restore", True)
        try:
            row = app_state.catalog.restore(recording_id)
        except CatalogError as exc:
            raise catalog_error(exc) from exc
        self._audit(app_state, principal, request, recording_id, "restore")
        return annotation_out(recording_id, row)

    @put("/{recording_id:str}/hold", operation_id="SetLegalHold", sync_to_thread=True)
    def hold(
        self,
        recording_id: FromPath[str],
        data: JSONBody[HoldIn],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        request: Request[Any, Any, Any],
    ) -> AnnotationOut:
        """Place or lift a legal hold (a held recording cannot be deleted or purged)."""
        self._guarded(app_state, principal, request, recording_id, HOLD, "hold", True)
        row = app_state.catalog.set_hold(
            recording_id, data.hold, data.reason, to_datetime(data.retain_until)
        )
        self._audit(
            app_state,
            principal,
            request,
            recording_id,
            "hold" if data.hold else "release",
            detail=data.reason,
        )
        return annotation_out(recording_id, row)

    @staticmethod
    def _guarded(
        app_state: AppState,
        principal: Principal,
        request: Request[Any, Any, Any],
        recording_id: str,
        permission: str,
        action: str,
        include_deleted: bool = False,
    ) -> None:
        visible_recording(app_state, principal, recording_id, include_deleted=include_deleted)
        if not allowed(principal, permission):
            RecordingController._audit(
                app_state, principal, request, recording_id, action, "denied"
            )
            require(principal, permission)

    @staticmethod
    def _audit(
        app_state: AppState,
        principal: Principal,
        request: Request[Any, Any, Any],
        recording_id: str,
        action: str,
        outcome: str = "ok",
        detail: str | None = None,
    ) -> None:
        audit(
            app_state,
            principal,
            action,
            "recording",
            recording_id,
            tenant_id=app_state.catalog.tenant_of_session(recording_id),
            outcome=outcome,
            detail={"reason": detail} if detail else None,
            connection=request,
        )

    @get(
        "/{recording_id:str}/media",
        operation_id="GetRecordingMedia",
        sync_to_thread=True,
    )
    def get_media(
        self,
        request: Request[Any, Any, Any],
        recording_id: FromPath[str],
        app_state: NamedDependency[AppState],
        principal: NamedDependency[Principal],
        file: Annotated[
            int, QueryParameter(ge=0, description="File index (layout 'separate')")
        ] = 0,
    ) -> Stream:
        """The recording's audio; honours ``Range: bytes=…`` (206/416) for seeking.
        Audited as a download (a ranged request as playback)."""
        record, _ = visible_recording(app_state, principal, recording_id)
        if not allowed(principal, PLAYBACK):
            self._audit(app_state, principal, request, recording_id, "download", "denied")
            require(principal, PLAYBACK)
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
        self._audit(
            app_state,
            principal,
            request,
            recording_id,
            "playback" if request.headers.get("range") else "download",
            detail=f"file {file}",
        )
        return Stream(
            read_chunks(path, first, length),
            status_code=status,
            headers=headers,
            media_type=media_type(str(entry.get("format") or record.recording.format), path),
        )
