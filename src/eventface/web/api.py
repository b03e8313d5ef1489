"""The photographer's JSON API, compatible with the original system's auto-sync and task endpoints.

Every route needs the owner's session or personal API token; another photographer's event is a
404, as if it did not exist.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Query, Request
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt

from eventface.db.repositories import EventSummary
from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import Event, EventVisibility, IndexProgress, Photo, TaskStatus
from eventface.errors import NotFoundError
from eventface.services import events as event_service
from eventface.services import guest_access, ingest, photo_removal, sync
from eventface.web import photo_files
from eventface.web.auth import ApiUser
from eventface.web.context import Context, Transaction, WebContext
from eventface.web.openapi import PHOTOGRAPHER_AUTH, errors, file_answer
from eventface.web.params import Id

router = APIRouter(
    prefix="/api", tags=["photographer"], dependencies=PHOTOGRAPHER_AUTH, responses=errors(401, 403)
)

MAX_FAILURES_LISTED = 100


def _minutes(value: float) -> int | float:
    # 5, not 5.0, as the original system answered
    return int(value) if value == int(value) else value


class AutoSyncRequest(BaseModel):
    # strict: `true` is not a number of minutes (lax pydantic took it for 1)
    interval_minutes: StrictInt | StrictFloat | None = Field(
        None,
        description="0.5-60 minutes (fractional down to 0.5 = 30 s); default AUTO_SYNC_INTERVAL",
        # the service checks the range (its message names it): the schema only says so
        json_schema_extra={"minimum": 0.5, "maximum": 60},
    )


class MessageOut(BaseModel):
    message: str


class AutoSyncEnabledOut(MessageOut):
    interval_minutes: int | float


class AutoSyncStatusOut(BaseModel):
    enabled: bool
    running: bool
    interval_minutes: int | float | None
    last_sync_at: datetime | None
    next_sync_at: datetime | None
    last_error: str | None
    photos_total: int
    faces_total: int
    source: str = Field(description="local_folder or google_drive")
    reconnect_needed: bool = Field(description="the event's Google account must be connected again")
    push_notifications: bool = Field(description="Drive notifies this server of changes; polling goes on")


class FailureOut(BaseModel):
    photo_id: int
    name: str
    error: str | None


class TaskOut(BaseModel):
    task_id: str
    event_id: int
    status: str
    done: int
    total: int
    failed: int
    faces: int
    percent: float
    started_at: datetime | None
    finished_at: datetime | None
    error: str | None
    failures: list[FailureOut] = []


class EventIn(BaseModel):
    # exactly one source: `folder` or `drive_folder` (the other absent or null)
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["folder"],
                    "properties": {"folder": {"type": "string"}, "drive_folder": {"type": "null"}},
                },
                {
                    "required": ["drive_folder"],
                    "properties": {"drive_folder": {"type": "string"}, "folder": {"type": "null"}},
                },
            ]
        }
    )

    name: str
    folder: str | None = Field(
        None, min_length=1, description="a folder on the server; subfolders are included"
    )
    drive_folder: str | None = Field(
        None, min_length=1, description="instead of `folder`: a Google Drive folder link or id"
    )
    google_account: str | None = Field(
        None, description="which connected Google account reads `drive_folder`, if you have several"
    )
    date: dt.date | None = None
    # off by default: API clients of the original system index when they choose (the web form starts at once)
    index: bool = Field(False, description="true: start indexing the new event at once")


class EventOut(BaseModel):
    id: int
    name: str
    slug: str
    date: dt.date | None
    guest_url: str
    source: str
    photos: int
    faces: int
    pending: int
    failed: int
    engine: str
    created_at: datetime
    visibility: EventVisibility = Field(
        description="private: guests see only the photos their search found; "
        "gallery: anyone with the guest link may also browse all indexed photos"
    )


class EventPatch(BaseModel):
    visibility: EventVisibility | None = None


class PhotoOut(BaseModel):
    id: int
    name: str
    status: str
    faces: int
    error: str | None
    thumbnail_url: str
    hidden: bool = Field(False, description="hidden from guests by the photographer")


class PhotoPatch(BaseModel):
    hidden: StrictBool = Field(
        description="true: guests never get this photo (search, gallery, downloads, cover)"
    )


class ProgressOut(BaseModel):
    """The event page's live numbers: the event's totals, and its latest index run (None: never indexed)."""

    photos: int
    faces: int
    pending: int
    failed: int
    task: TaskOut | None


def task_out(task: IndexProgress, failures: list[FailureOut] | None = None) -> TaskOut:
    return TaskOut(
        task_id=task.task_id,
        event_id=task.event_id,
        status=task.status.value,
        done=task.done,
        total=task.total,
        failed=task.failed,
        faces=task.faces,
        percent=task.percent,
        started_at=task.started_at,
        finished_at=task.finished_at,
        error=task.error,
        failures=failures or [],
    )


def event_out(context: WebContext, request: Request, uow: UnitOfWork, event_id: int) -> EventOut:
    return summary_out(context, request, uow.events.summary(event_id))


def summary_out(context: WebContext, request: Request, summary: EventSummary) -> EventOut:
    e = summary.event
    return EventOut(
        id=e.id,
        name=e.name,
        slug=e.slug,
        date=e.event_date,
        guest_url=context.guest_url(request, e.slug),
        source=e.source_uri,
        photos=summary.photos,
        faces=summary.faces,
        pending=summary.pending,
        failed=summary.failed,
        engine=e.engine,
        created_at=e.created_at,
        visibility=e.visibility,
    )


def owned(uow: UnitOfWork, user_id: int, event_id: int) -> Event:
    return event_service.owned_event(uow, user_id, event_id)


def start_indexing(context: WebContext, uow: UnitOfWork, event: Event) -> tuple[IndexProgress, bool]:
    """The event's index run: the one already queued or running, else a new one. True if new.

    Commits the request's unit of work: a new run is in the database before its job is enqueued
    (the worker may start it at once, on another connection); it is answered as it was queued."""
    latest = uow.tasks.latest(event.id)
    if latest is not None and latest.status in {TaskStatus.QUEUED, TaskStatus.RUNNING}:
        return latest, False
    task = ingest.create_task(uow, str(event.id))
    uow.commit()
    context.tasks.index_event(task.task_id)
    return task, True


def latest_task(uow: UnitOfWork, event_id: int) -> TaskOut | None:
    task = uow.tasks.latest(event_id)
    if task is None:
        return None
    failed = uow.photos.failed(event_id)[:MAX_FAILURES_LISTED]
    return task_out(task, [FailureOut(photo_id=p.id, name=p.name, error=p.error) for p in failed])


MAX_PHOTO_OFFSET = 10_000_000  # far past any event's photos


@router.get("/events", response_model=list[EventOut])
def list_events(request: Request, context: Context, user: ApiUser, uow: Transaction) -> list[EventOut]:
    summaries = event_service.list_events(uow, owner_id=user.id)
    return [summary_out(context, request, s) for s in summaries]


@router.post("/events", response_model=EventOut, status_code=201, responses=errors(400, 404, 422, 503))
def create_event(
    body: EventIn, request: Request, context: Context, user: ApiUser, uow: Transaction
) -> EventOut:
    if (body.folder is None) == (body.drive_folder is None):
        raise HTTPException(422, "give either folder or drive_folder")
    engine = context.settings.face_engine.value
    if body.drive_folder is not None:
        uow.commit()  # no transaction stays open while Drive answers...
        plan = event_service.plan_drive_event(
            context.runtime.google,
            body.name,
            body.drive_folder,
            owner_id=user.id,
            account_email=body.google_account,
        )  # ...and the event is saved in the next one
        event = event_service.add_drive_event(uow, plan, engine, owner_id=user.id, event_date=body.date)
    else:
        settings = context.settings
        policy = event_service.FolderPolicy.within(settings.data_dir, settings.photo_root_dirs)
        event = event_service.create_event(
            uow,
            body.name,
            body.folder or "",
            engine,
            policy=policy,
            owner_id=user.id,
            event_date=body.date,
        )
    created = event_out(context, request, uow, event.id)
    if body.index:
        start_indexing(context, uow, event)
    return created


@router.get("/event/{event_id}", response_model=EventOut, responses=errors(404))
def get_event(event_id: Id, request: Request, context: Context, user: ApiUser, uow: Transaction) -> EventOut:
    owned(uow, user.id, event_id)
    return event_out(context, request, uow, event_id)


@router.patch("/event/{event_id}", response_model=EventOut, responses=errors(400, 404, 422))
def update_event(
    event_id: Id, body: EventPatch, request: Request, context: Context, user: ApiUser, uow: Transaction
) -> EventOut:
    """Changes what guests with the event's link may see (`visibility`)."""
    owned(uow, user.id, event_id)
    if body.visibility is not None:
        guest_access.set_visibility(uow, user.id, event_id, body.visibility)
    return event_out(context, request, uow, event_id)


@router.delete("/event/{event_id}", response_model=MessageOut, responses=errors(404))
def delete_event(event_id: Id, context: Context, user: ApiUser, uow: Transaction) -> MessageOut:
    owned(uow, user.id, event_id)
    rt = context.runtime
    event_service.delete_event(uow, rt.index, str(event_id), rt.caches)
    return MessageOut(message="Event deleted")


@router.get("/event/{event_id}/photos", response_model=list[PhotoOut], responses=errors(404, 422))
def list_photos(
    event_id: Id,
    user: ApiUser,
    uow: Transaction,
    # bounded: an offset past SQLite's 64-bit integers was a 500 (OverflowError), not a 422
    offset: Annotated[int, Query(le=MAX_PHOTO_OFFSET)] = 0,
    limit: int = 100,
) -> list[PhotoOut]:
    event = owned(uow, user.id, event_id)
    photos = uow.photos.in_event(event_id, limit=max(1, min(limit, 1000)), offset=max(0, offset))
    return [
        PhotoOut(
            id=p.id,
            name=p.name,
            status=p.status.value,
            faces=p.face_count,
            error=p.error,
            thumbnail_url=f"/api/event/{event.id}/photos/{p.id}/thumb",
            hidden=p.hidden,
        )
        for p in photos
    ]


@router.patch("/event/{event_id}/photos/{photo_id}", response_model=MessageOut, responses=errors(404, 422))
def update_photo(event_id: Id, photo_id: Id, body: PhotoPatch, user: ApiUser, uow: Transaction) -> MessageOut:
    """Hides the photo from guests (`{"hidden": true}`), or shows it again."""
    photo_removal.set_hidden(uow, user.id, event_id, photo_id, hidden=body.hidden)
    return MessageOut(message="Photo hidden from guests" if body.hidden else "Photo shown to guests")


@router.get("/event/{event_id}/progress", response_model=ProgressOut, responses=errors(404))
def event_progress(event_id: Id, user: ApiUser, uow: Transaction) -> ProgressOut:
    """The event's totals and its latest index run, never a 404 for an event not indexed yet."""
    owned(uow, user.id, event_id)
    summary = uow.events.summary(event_id)
    return ProgressOut(
        photos=summary.photos,
        faces=summary.faces,
        pending=summary.pending,
        failed=summary.failed,
        task=latest_task(uow, event_id),
    )


_THUMBNAIL = {**file_answer("A JPEG", "image/jpeg"), **errors(404, 503)}


# The photographer's own photos, by id, with the session or API token: any photo still at the
# source (pending ones too), re-encoded as a JPEG, never the file as it is. Guests use their links.
@router.get("/event/{event_id}/photos/{photo_id}/thumb", response_class=FileResponse, responses=_THUMBNAIL)
def photo_thumbnail(
    event_id: Id, photo_id: Id, context: Context, user: ApiUser, uow: Transaction
) -> FileResponse:
    event, photo = _owned_photo(uow, user.id, event_id, photo_id)
    return photo_files.cached_image(context, context.runtime.thumbnails, event, photo)


@router.get("/event/{event_id}/photos/{photo_id}/preview", response_class=FileResponse, responses=_THUMBNAIL)
def photo_preview(
    event_id: Id, photo_id: Id, context: Context, user: ApiUser, uow: Transaction
) -> FileResponse:
    event, photo = _owned_photo(uow, user.id, event_id, photo_id)
    return photo_files.cached_image(context, context.runtime.previews, event, photo)


def _owned_photo(uow: UnitOfWork, user_id: int, event_id: int, photo_id: int) -> tuple[Event, Photo]:
    """The photo, the unit of work committed: its file is read (or a thumbnail made) with no
    transaction open."""
    event = owned(uow, user_id, event_id)
    photo = uow.photos.in_event_by_id(event.id, photo_id)
    uow.commit()
    return event, photo


@router.post(
    "/event/{event_id}/index",
    response_model=TaskOut,
    status_code=202,
    responses={200: {"model": TaskOut, "description": "The run already going"}, **errors(404)},
)
def index_event(event_id: Id, context: Context, user: ApiUser, uow: Transaction) -> JSONResponse:
    """Starts indexing (new, changed and removed photos); returns the run already going if there
    is one. A new run is answered as it was queued: follow it with `GET /api/task/{task_id}`."""
    task, new = start_indexing(context, uow, owned(uow, user.id, event_id))
    return JSONResponse(task_out(task).model_dump(mode="json"), status_code=202 if new else 200)


@router.get("/event/{event_id}/task", response_model=TaskOut, responses=errors(404))
def event_task(event_id: Id, user: ApiUser, uow: Transaction) -> TaskOut:
    owned(uow, user.id, event_id)
    task = latest_task(uow, event_id)
    if task is None:
        raise HTTPException(404, "this event has not been indexed yet")
    return task


@router.get("/task/{task_id}", response_model=TaskOut, responses=errors(404))
def get_task(task_id: str, user: ApiUser, uow: Transaction) -> TaskOut:
    try:
        task = uow.tasks.get(task_id)
    except NotFoundError:
        task = None
    if task is None:
        raise HTTPException(404, f"no task {task_id}")
    owned(uow, user.id, task.event_id)
    return task_out(task)


@router.post(
    "/event/{event_id}/auto-sync/enable", response_model=AutoSyncEnabledOut, responses=errors(400, 404, 422)
)
def enable_auto_sync(
    event_id: Id,
    context: Context,
    user: ApiUser,
    uow: Transaction,
    body: Annotated[AutoSyncRequest | None, Body()] = None,
) -> AutoSyncEnabledOut:
    owned(uow, user.id, event_id)
    minutes = sync.enable_auto_sync(
        uow,
        str(event_id),
        body.interval_minutes if body else None,
        context.settings.auto_sync_interval,
    )
    uow.commit()  # before the jobs below read it
    # the first sync is due now: ask the scheduler at once instead of waiting for its next pass
    context.tasks.enqueue_due_syncs()
    context.tasks.maintain_channels()  # a Drive account may now want push notifications
    return AutoSyncEnabledOut(message="Auto-sync enabled", interval_minutes=_minutes(minutes))


@router.post("/event/{event_id}/auto-sync/disable", response_model=MessageOut, responses=errors(404))
def disable_auto_sync(event_id: Id, context: Context, user: ApiUser, uow: Transaction) -> MessageOut:
    owned(uow, user.id, event_id)
    sync.disable_auto_sync(uow, str(event_id))
    uow.commit()  # before the job below reads it
    context.tasks.maintain_channels()  # its account may no longer need a push channel
    return MessageOut(message="Auto-sync disabled")


@router.get("/event/{event_id}/auto-sync/status", response_model=AutoSyncStatusOut, responses=errors(404))
def auto_sync_status(event_id: Id, user: ApiUser, uow: Transaction) -> AutoSyncStatusOut:
    owned(uow, user.id, event_id)
    status = sync.auto_sync_status(uow, str(event_id))
    fields = vars(status) | {
        "interval_minutes": None if status.interval_minutes is None else _minutes(status.interval_minutes)
    }
    return AutoSyncStatusOut(**fields)
