"""Auto-sync: a persisted per-event schedule, and the lease that keeps one sync per event at a time.

The schedule lives in the events table, so it survives a restart (the original system's
limitation 1); the worker's scheduler (jobs/scheduler.py) asks `due_events`, enqueues one sync
job per event, and sleeps until `next_sync_after`. Syncs start one interval apart (start to
start), so "every 30 s" means every 30 s whatever a sync takes. The sync itself is an indexing run
(services/ingest.py): for a local folder, rescan and diff; a watched folder
(services/folder_watch.py) and a Drive push make an event due at once (`sync_soon`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from eventface.db.repositories import AutoSyncState
from eventface.db.unit_of_work import UnitOfWork
from eventface.domain.models import AccountStatus
from eventface.errors import InvalidInputError, NotFoundError
from eventface.services.ingest import SyncResult

MIN_INTERVAL_MINUTES = 0.5  # the original system's 30 s safety floor
MAX_INTERVAL_MINUTES = 60.0
# a lease older than this belongs to a worker that died mid-sync; the event may be synced again
SYNC_LEASE = timedelta(hours=1)
KEPT_RUNS = 50  # per event, for the activity list


@dataclass(frozen=True)
class AutoSyncStatus:
    enabled: bool
    running: bool  # a sync of this event is in progress right now
    interval_minutes: float | None
    last_sync_at: datetime | None  # the last successful sync
    next_sync_at: datetime | None
    last_error: str | None  # why the last sync failed; None after a success
    photos_total: int
    faces_total: int
    source: str  # "local_folder" or "google_drive"
    reconnect_needed: bool  # a Drive event whose Google account must be connected again
    push_notifications: bool  # Drive tells us about changes (a channel is open); polling goes on


def validate_interval(minutes: float) -> float:
    if not math.isfinite(minutes) or not MIN_INTERVAL_MINUTES <= minutes <= MAX_INTERVAL_MINUTES:
        raise InvalidInputError(
            f"interval_minutes must be between {MIN_INTERVAL_MINUTES:g} (30 seconds) and "
            f"{MAX_INTERVAL_MINUTES:g} minutes, got {minutes:g}"
        )
    return minutes


def enable_auto_sync(
    uow: UnitOfWork,
    ref: str,
    interval_minutes: float | None,
    default_minutes: float,
    now: datetime | None = None,
) -> float:
    """Turns auto-sync on with the given interval (or the default); the first sync is due at once.

    Returns the interval in minutes. Raises `InvalidInputError` outside 0.5-60 minutes.
    """
    minutes = validate_interval(default_minutes if interval_minutes is None else interval_minutes)
    event = uow.events.find(ref)
    uow.events.set_auto_sync(
        event.id, enabled=True, interval_s=minutes * 60, next_sync_at=now or datetime.now(UTC)
    )
    return minutes


def disable_auto_sync(uow: UnitOfWork, ref: str) -> None:
    """Turns auto-sync off; a sync already running finishes, no new one starts."""
    event = uow.events.find(ref)
    uow.events.set_auto_sync(event.id, enabled=False, interval_s=None, next_sync_at=None)


def auto_sync_status(uow: UnitOfWork, ref: str) -> AutoSyncStatus:
    event = uow.events.find(ref)
    state = uow.events.auto_sync(event.id)
    summary = uow.events.summary(event.id)
    account_state = uow.events.google_account_state(event.id)
    channel = (
        uow.google_accounts.channel(event.google_account_id) if event.google_account_id is not None else None
    )
    return AutoSyncStatus(
        enabled=state.enabled,
        running=state.running_since is not None,
        interval_minutes=None if state.interval_s is None else state.interval_s / 60,
        last_sync_at=state.last_sync_at,
        next_sync_at=state.next_sync_at,
        last_error=state.last_error,
        photos_total=summary.photos,
        faces_total=summary.faces,
        source=event.source_kind.value,
        reconnect_needed=account_state is AccountStatus.RECONNECT_NEEDED,
        push_notifications=channel is not None and state.enabled,
    )


def due_events(uow: UnitOfWork, now: datetime) -> list[int]:
    """Ids of enabled events whose next sync is due and that no live sync holds."""
    return [event_id for event_id, _ in due_syncs(uow, now)]


def due_syncs(uow: UnitOfWork, now: datetime) -> list[tuple[int, datetime]]:
    """(id, the time it fell due) of the events `due_events` names, earliest first."""
    return uow.events.due_for_sync(now, stale_before=now - SYNC_LEASE)


def claim_sync(uow: UnitOfWork, event_id: int, now: datetime, *, when_due: bool = True) -> bool:
    """Takes the event's sync lease if it is enabled, due and free (or, without `when_due`, only
    free); false for every other caller."""
    return uow.events.claim_sync(event_id, now, stale_before=now - SYNC_LEASE, when_due=when_due)


def finish_sync(uow: UnitOfWork, event_id: int, now: datetime, error: str | None) -> None:
    """Releases the lease and schedules the next sync on the interval's grid; a sync asked for
    while this one ran stays due."""
    state = uow.events.auto_sync(event_id)
    uow.events.finish_sync(event_id, now, error, next_sync_at(state, now))


def next_sync_at(state: AutoSyncState, finished: datetime) -> datetime | None:
    """One interval after the time the finished sync fell due, so that "every 30 s" does not drift
    by each sync's duration or the queue's delay; a slot missed (a sync longer than the interval, a
    server that was down) is skipped, not made up by a second sync straight after."""
    if not state.enabled or not state.interval_s:
        return None  # a sync someone asked for on a disabled event schedules nothing
    interval = timedelta(seconds=state.interval_s)
    started = state.running_since or finished
    fell_due = (
        state.next_sync_at if state.next_sync_at is not None and state.next_sync_at <= started else started
    )
    missed = max(0, math.floor((finished - fell_due) / interval))
    return fell_due + (missed + 1) * interval


def next_sync_after(uow: UnitOfWork, now: datetime) -> datetime | None:
    """When the next enabled event falls due after `now`: the scheduler sleeps until then."""
    return uow.events.next_sync_after(now)


def sync_soon(uow: UnitOfWork, event_ids: Iterable[int], now: datetime) -> None:
    """Makes the enabled ones among `event_ids` due now (their source reported a change)."""
    uow.events.sync_now(list(event_ids), now)


def watched_folders(uow: UnitOfWork) -> dict[int, Path]:
    """The folder of every local-folder event with auto-sync on, by event id."""
    return {event_id: Path(uri) for event_id, uri in uow.events.auto_synced_folders()}


def record_run(
    uow: UnitOfWork, event_id: int, run_id: int, now: datetime, result: SyncResult | None, error: str | None
) -> None:
    """Closes the sync's entry in the event's activity list, keeping the list short."""
    if result is None:
        uow.sync_runs.finish(run_id, now, error=error)
    else:
        uow.sync_runs.finish(
            run_id,
            now,
            added=result.added,
            changed=result.changed,
            removed=result.removed,
            full_rescan=result.full_rescan,
            error=error,
        )
    uow.sync_runs.prune(event_id, keep=KEPT_RUNS)


def account_events_due_soon(uow: UnitOfWork, account_id: int, now: datetime) -> list[int]:
    """The Google account's auto-synced events that are free and due within half their interval:
    synced in one pass with the account's due one, they share its Drive changes call (issue 15)."""
    soon = []
    for event in uow.events.of_google_account(account_id, auto_sync_only=True):
        state = uow.events.auto_sync(event.id)
        if state.running_since is not None or state.next_sync_at is None or not state.interval_s:
            continue
        if state.next_sync_at - timedelta(seconds=state.interval_s / 2) <= now:
            soon.append(event.id)
    return soon


def skip_reason(uow: UnitOfWork, event_id: int, now: datetime) -> str:
    """Why `claim_sync` refused the event, for the job's log."""
    try:
        state = uow.events.auto_sync(event_id)
    except NotFoundError:
        return "the event no longer exists"
    if not state.enabled:
        return "auto-sync is disabled"
    if state.running_since is not None:
        return f"another sync has been running since {state.running_since.isoformat()}"
    account = uow.events.google_account_state(event_id)
    if account is not None and account is not AccountStatus.CONNECTED:
        return "its Google account must be reconnected"
    if state.next_sync_at is None or state.next_sync_at > now:
        return "not due yet"
    return "another worker claimed it first"
