"""``/recordings``: search, one recording, and its media file."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from litestar import Controller, Request, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Stream

from api.auth.access import (
    DELETE,
    HOLD,
    PLAYBACK,
    READ,
    Principal,
    agent_scope,
    require,
)
from api.control.controllers import update_annotation
from api.control.schemas import AnnotationIn, AnnotationOut
from api.control.services import annotation_out
from api.errors import BadRequestError, refused
from api.filters import LimitParam, OffsetParam, TenantParam, tenant_filter, time_window
from api.media.access import fetch_action
from api.media.ranged import file_response
from api.media.services import MediaFile, source_file
from api.recordings.access import audit_recording, guarded_recording, visible_recording
from api.recordings.media import media_type
from api.recordings.schemas import HoldIn, RecordingDetail, RecordingPage
from api.recordings.services import recording_detail, recording_summary
from api.state import AppState
from srs.storage.catalog import SORT_KEYS, CatalogError, RecordingSearch
from srs.storage.columns import to_datetime


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
        tenant: TenantParam = None,
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
        limit: LimitParam = 50,
        offset: OffsetParam = 0,
    ) -> RecordingPage:
        """Search recordings (only the caller's tenant; agents only their own)."""
        require(principal, READ)
        begin, end = time_window(started_from, started_to)
        tenant_id = tenant_filter(principal, tenant, "search")
        if deleted:
            require(principal, DELETE)
        criteria = RecordingSearch(
            tenant_id=tenant_id,
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
        guarded_recording(app_state, principal, request, recording_id, DELETE, "delete")
        try:
            app_state.catalog.soft_delete(recording_id, principal.username, datetime.now(UTC))
        except CatalogError as exc:
            audit_recording(
                app_state,
                principal,
                request,
                recording_id,
                "delete",
                outcome="failed",
                detail={"reason": str(exc)},
            )
            raise refused(exc) from exc
        audit_recording(app_state, principal, request, recording_id, "delete")

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
        guarded_recording(
            app_state, principal, request, recording_id, DELETE, "restore", include_deleted=True
        )
        try:
            row = app_state.catalog.restore(recording_id)
        except CatalogError as exc:
            raise refused(exc) from exc
        audit_recording(app_state, principal, request, recording_id, "restore")
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
        guarded_recording(
            app_state, principal, request, recording_id, HOLD, "hold", include_deleted=True
        )
        row = app_state.catalog.set_hold(
            recording_id, data.hold, data.reason, to_datetime(data.retain_until)
        )
        action = "hold" if data.hold else "release"
        reason = {"reason": data.reason} if data.reason else None
        audit_recording(app_state, principal, request, recording_id, action, detail=reason)
        return annotation_out(recording_id, row)

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
        record = guarded_recording(
            app_state, principal, request, recording_id, PLAYBACK, "download"
        )
        source = source_file(record, file)
        stored = MediaFile(
            source.path,
            media_type(source.format, source.path),
            source.path.name,
            f'"{source.sha256}"' if source.sha256 else None,
        )
        response = file_response(request, stored, attachment=True)
        detail = {"reason": f"file {file}"}
        action = fetch_action(request)
        audit_recording(app_state, principal, request, recording_id, action, detail=detail)
        return response
