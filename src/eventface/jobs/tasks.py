"""Thin Huey tasks: each takes an id, re-reads the state, calls services, and logs why it skipped.

Tasks are registered on a queue built from explicit Settings (`register_tasks`), never at import.
Each task commits through the runtime's own transactions; the runtime is built once per process,
on first use, so face models load once and not per job. Beside the tasks, `register_tasks` builds
(but does not start) the two threads the worker runs: the auto-sync scheduler (jobs/scheduler.py)
and the watcher of auto-synced local folders (services/folder_watch.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Protocol

import redis
from huey import Huey, crontab

from eventface.domain.models import Event, SourceKind, SyncTrigger
from eventface.errors import MailError, NotFoundError, ReconnectNeededError, SourceUnavailableError
from eventface.faces.pool import ProcessPoolAnalyzer
from eventface.jobs.leader import AlwaysLeader, Leadership, RedisLeadership
from eventface.jobs.scheduler import MAX_SLEEP_S, Schedule, SyncScheduler
from eventface.mail.smtp import Mail
from eventface.runtime import Runtime, build_runtime
from eventface.secret_box import SecretBox
from eventface.secret_key import encryption_key, secret_key
from eventface.services import drive_push, ingest, mail_caps, notifications, sync
from eventface.services.folder_watch import FolderWatcher
from eventface.services.ingest import Analyzer, IndexReport
from eventface.services.mail_caps import MailCaps
from eventface.settings import Settings
from eventface.sources.drive import DriveClient

log = logging.getLogger(__name__)

# a mail server that is down for a while (a restart, a network blip) still gets the message
MAIL_RETRIES = 6
MAIL_RETRY_DELAY_S = 60

# the indexing processes outlive a sync by this long: during a live event the next photo arrives
# before then, and finds the models loaded (starting them took ~15 s of a 20 s sync on 2 cores)
WARM_POOL_S = 10 * 60.0

# at most this many jobs share one indexing run on a Redis queue (each claims photo after photo
# until none is left, so more jobs than worker threads only end at once); issue 15
MAX_SHARED_JOBS = 64

ShareRun = Callable[[str, int], None]  # (task id, photos left for others): enqueues helper jobs


class QueuedTask(Protocol):
    """A Huey task: calling it enqueues (or, with `huey.immediate`, runs) and returns a Result."""

    def __call__(self, *args: Any) -> Any: ...

    def call_local(self, *args: Any) -> Any: ...

    def schedule(self, args: tuple[Any, ...] = (), *, delay: float) -> Any: ...


@dataclass
class RuntimeHolder:
    """The worker's runtime, built on first use from the settings the queue was built with, and
    its analyzers, one per engine, kept: a pool of indexing processes stays warm between syncs."""

    settings: Settings
    build: Callable[[Settings], Runtime] = build_runtime
    analysis_processes: bool = False  # analyse in worker processes even with EVENTFACE_WORKERS=1
    _runtime: Runtime | None = None
    _analyzers: dict[str, Analyzer] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def get(self) -> Runtime:
        with self._lock:
            if self._runtime is None:
                self._runtime = self.build(self.settings)
            return self._runtime

    def analyzer(self, engine: str) -> Analyzer:
        runtime = self.get()
        with self._lock:
            if engine not in self._analyzers:
                analyzer = runtime.analyzer(engine, processes=self.analysis_processes)
                if isinstance(analyzer, ProcessPoolAnalyzer):
                    analyzer.keep_warm_s = WARM_POOL_S
                self._analyzers[engine] = analyzer
            return self._analyzers[engine]

    def close(self) -> None:
        with self._lock:
            for analyzer in self._analyzers.values():
                if isinstance(analyzer, ProcessPoolAnalyzer):
                    analyzer.close()
            self._analyzers.clear()
            if self._runtime is not None:
                self._runtime.close()
                self._runtime = None


@dataclass(frozen=True)
class Tasks:
    index_event: QueuedTask  # (task_id) -> IndexReport
    sync_event: QueuedTask  # (event_id, trigger) -> "synced", or why it skipped or failed
    enqueue_due_syncs: QueuedTask  # () -> ids of the events it enqueued a sync for
    maintain_channels: QueuedTask  # () -> Drive push channels opened, renewed, stopped
    periodic_channels: QueuedTask  # periodic: maintain_channels every minute
    runtime: RuntimeHolder
    scheduler: SyncScheduler  # started by the worker (jobs/worker.py)
    watcher: FolderWatcher  # started by the worker: only the process that runs syncs watches
    send_mail: QueuedTask  # (to, subject, text, html, language[, headers]) -> "sent", retried while it fails
    notify: QueuedTask  # () -> new photos of subscribed guests matched, their digests mailed
    periodic_notify: QueuedTask  # periodic: notify every minute (digests fall due, subscriptions expire)
    # scale-out (issue 15): work spread per photo across workers
    continue_index: QueuedTask  # (task_id) -> IndexReport: joins a running index task
    recover_indexing: QueuedTask  # () -> ids of tasks whose workers all died, resumed
    periodic_recovery: QueuedTask  # periodic: recover_indexing every minute


def index_event(
    rt: Runtime,
    task_id: str,
    analyzers: Callable[[str], Analyzer] | None = None,
    share: ShareRun | None = None,
    client: DriveClient | None = None,
) -> IndexReport:
    """Runs an index task created by `ingest.create_task`; safe to run twice (a rerun is a no-op).

    `analyzers` gives the analyzer for an engine name (the worker's kept ones); the runtime's own
    otherwise. `share` enqueues jobs that index photos of the run beside this one; `client`, the
    Drive client of the event's account when a pass over that account already has one open."""
    return _on_source(rt, task_id, analyzers, partial(ingest.run_indexing, share=share), client)


def continue_index(
    rt: Runtime, task_id: str, analyzers: Callable[[str], Analyzer] | None = None
) -> IndexReport:
    """Indexes photos of a running task beside its other jobs, until none is left to claim."""
    return _on_source(rt, task_id, analyzers, ingest.continue_indexing)


def _on_source(
    rt: Runtime,
    task_id: str,
    analyzers: Callable[[str], Analyzer] | None,
    run: Callable[..., IndexReport],
    client: DriveClient | None = None,
) -> IndexReport:
    """`run` (ingest's run_indexing or continue_indexing) on the task's event's source, with the
    runtime's index, renditions and lease."""
    with rt.transactions() as uow:
        event = uow.events.get(uow.tasks.get(task_id).event_id)
    with rt.source(event, client) as source:
        return run(
            rt.transactions,
            task_id,
            source,
            (analyzers or rt.analyzer)(event.engine),
            rt.engine_info(event.engine),
            rt.index,
            caches=rt.caches,
            lease=rt.lease,
        )


def stalled_tasks(rt: Runtime) -> list[str]:
    """Running index tasks whose every worker died, now this caller's to resume."""
    with rt.transactions() as uow:
        return ingest.stalled_tasks(uow, datetime.now(UTC), rt.lease)


@dataclass(frozen=True)
class SyncOutcome:
    status: str  # "synced", "skipped" or "failed"
    reason: str | None = None  # why it skipped or failed
    report: IndexReport | None = None
    # Google refused the grant: a pass on a shared client raises it through the client, which
    # marks the account (services/google_accounts.py)
    refusal: ReconnectNeededError | None = field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        return self.status if self.reason is None else f"{self.status}: {self.reason}"


def sync_event(
    rt: Runtime,
    event_id: int,
    trigger: SyncTrigger = SyncTrigger.SCHEDULE,
    *,
    when_due: bool = True,
    analyzers: Callable[[str], Analyzer] | None = None,
    share: ShareRun | None = None,
) -> SyncOutcome:
    """One sync of an event under its lease. A failure is recorded on the event, not raised.

    `when_due=False` (someone asked for this sync) takes the lease whatever the schedule says.
    """
    run_id = _claim_sync(rt, event_id, trigger, when_due=when_due)
    if isinstance(run_id, SyncOutcome):
        return run_id
    return _run_claimed_sync(rt, event_id, run_id, trigger, analyzers, share)


def _claim_sync(rt: Runtime, event_id: int, trigger: SyncTrigger, *, when_due: bool) -> int | SyncOutcome:
    """The sync run's id once the event's lease is taken, or why it was not."""
    now = datetime.now(UTC)
    with rt.transactions() as uow:
        claimed = sync.claim_sync(uow, event_id, now, when_due=when_due)
        run_id = uow.sync_runs.start(event_id, trigger, now) if claimed else None
    if run_id is not None:
        return run_id
    with rt.transactions() as uow:
        reason = sync.skip_reason(uow, event_id, now)
    log.info(
        "sync skipped", extra={"fields": {"event": event_id, "trigger": trigger.value, "reason": reason}}
    )
    return SyncOutcome("skipped", reason)


def _run_claimed_sync(
    rt: Runtime,
    event_id: int,
    run_id: int,
    trigger: SyncTrigger,
    analyzers: Callable[[str], Analyzer] | None,
    share: ShareRun | None,
    client: DriveClient | None = None,
) -> SyncOutcome:
    log.info("sync started", extra={"fields": {"event": event_id, "trigger": trigger.value}})
    error: str | None = "interrupted"
    report: IndexReport | None = None
    refusal: ReconnectNeededError | None = None
    try:
        with rt.transactions() as uow:
            task = ingest.create_task(uow, str(event_id))
        report = index_event(rt, task.task_id, analyzers, share, client)
        error = None
        _log_sync(event_id, report)
    except ReconnectNeededError as exc:  # the account is marked; its events wait for a reconnect
        error, refusal = f"reconnect needed: {exc}", exc
        log.warning("sync failed", extra={"fields": {"event": event_id, "reason": error}})
    except Exception as exc:  # the top of a job: record it on the event and let the next sync retry
        error = str(exc) or type(exc).__name__
        log.warning("sync failed", extra={"fields": {"event": event_id, "reason": error}}, exc_info=True)
    finally:
        finished = datetime.now(UTC)
        with rt.transactions() as uow:
            sync.finish_sync(uow, event_id, finished, error)
            sync.record_run(uow, event_id, run_id, finished, report.sync if report else None, error)
    if error is None:
        return SyncOutcome("synced", report=report)
    return SyncOutcome("failed", error, report, refusal)


def sync_account_events(
    rt: Runtime,
    event_id: int,
    trigger: SyncTrigger = SyncTrigger.SCHEDULE,
    *,
    analyzers: Callable[[str], Analyzer] | None = None,
    share: ShareRun | None = None,
) -> SyncOutcome:
    """The sync of a Drive event, and with it its account's other auto-synced events that are due
    within half their interval, on one Drive client (issue 15).

    Drive's changes feed is per account: the client answers a page token it was asked before from
    memory, so the events of one account, synced together (and so sharing a page token from the
    second pass on), cost one `changes.list` per pass, not one each. Synced early, an event's next
    sync moves onto this one's grid: the account's events stay together. Anything but a Drive
    event is synced alone, as `sync_event` does.
    """
    try:
        with rt.transactions() as uow:
            event: Event | None = uow.events.get(event_id)
    except NotFoundError:
        event = None  # sync_event says so in its log
    account_id = event.google_account_id if event is not None else None
    if event is None or event.source_kind is not SourceKind.GOOGLE_DRIVE or account_id is None:
        return sync_event(rt, event_id, trigger, analyzers=analyzers, share=share)
    run_id = _claim_sync(rt, event_id, trigger, when_due=True)
    if isinstance(run_id, SyncOutcome):
        return run_id
    with rt.transactions() as uow:
        due_soon = sync.account_events_due_soon(uow, account_id, datetime.now(UTC))
    # their leases now, before any is synced: other workers' jobs for them skip instead of
    # opening clients of their own
    companions = [
        (other, claimed)
        for other in due_soon
        if other != event_id
        and not isinstance(claimed := _claim_sync(rt, other, trigger, when_due=False), SyncOutcome)
    ]
    outcome = SyncOutcome("failed", "interrupted")
    try:
        with ExitStack() as stack:
            try:
                client: DriveClient | None = stack.enter_context(rt.google.client(account_id))
            except (ReconnectNeededError, SourceUnavailableError):  # each sync records it as usual
                client = None
            if client is not None:
                client.remember_changes()
            outcome = _run_claimed_sync(rt, event_id, run_id, trigger, analyzers, share, client)
            others = [_run_claimed_sync(rt, e, r, trigger, analyzers, share, client) for e, r in companions]
            refusal = next((o.refusal for o in (outcome, *others) if o.refusal is not None), None)
            if refusal is not None and client is not None:
                raise refusal
    except ReconnectNeededError:
        pass  # recorded on each event; the account is marked by the client it left
    return outcome


def _log_sync(event_id: int, report: IndexReport) -> None:
    result = report.sync
    fields: dict[str, object] = {
        "event": event_id,
        "added": result.added,
        "changed": result.changed,
        "removed": result.removed,
        "faces": report.faces,
        "failed": len(report.failed),
        "full_rescan": result.full_rescan,
    }
    if result.added or result.changed:
        log.info(
            "sync found new photos",
            extra={"fields": {"event": event_id, "new": result.added + result.changed}},
        )
    elif not result.removed:
        log.info("sync found no new photos", extra={"fields": {"event": event_id}})
    log.info("sync completed", extra={"fields": fields})


def leadership(settings: Settings) -> Leadership:
    """With several workers on a Redis queue, one leads the scheduler; alone, this one does."""
    if settings.queue_url is None:
        return AlwaysLeader()
    # the lease outlives the scheduler's longest sleep, so a leader keeps it between its looks
    return RedisLeadership(redis.Redis.from_url(settings.queue_url), ttl_s=2 * MAX_SLEEP_S + 10)


def register_tasks(
    huey: Huey,
    settings: Settings,
    build: Callable[[Settings], Runtime] = build_runtime,
    digest_mails: DigestMails | None = None,
    *,
    analysis_processes: bool = False,
) -> Tasks:
    """Registers eventface's tasks on `huey`; they build their runtime from `settings` when first run.

    `digest_mails` writes the new-photo emails (the web shell's templates and translations); a
    process without it matches and purges subscriptions but leaves digests to one that has it.
    `analysis_processes`: photos are analysed in worker processes even with EVENTFACE_WORKERS=1
    (then one), as `eventface worker` asks (Runtime.analyzer).
    """
    holder = RuntimeHolder(settings, build, analysis_processes)
    queued_mail, queued_notify, periodic_notify = _mail_tasks(huey, holder, digest_mails)

    def read_schedule(now: datetime) -> Schedule:
        with holder.get().transactions() as uow:
            return Schedule(sync.due_syncs(uow, now), sync.next_sync_after(uow, now))

    def enqueue_sync(event_id: int, trigger: SyncTrigger) -> None:
        queued_sync(event_id, trigger.value)

    scheduler = SyncScheduler(read_schedule, enqueue_sync, leadership=leadership(settings))

    watcher = _folder_watcher(holder, scheduler)

    def share_run(task_id: str, others: int) -> None:
        for _ in range(min(others, MAX_SHARED_JOBS)):
            queued_continue(task_id)

    # on the embedded queue one process indexes, on its own pool of processes; on Redis, every
    # worker that is free joins the run (issue 15)
    share = share_run if settings.queue_url else None

    def index_event_task(task_id: str) -> IndexReport:
        try:
            return index_event(holder.get(), task_id, holder.analyzer, share)
        finally:
            queued_notify()  # subscribed guests hear of their new photos now, not at the next minute

    def continue_index_task(task_id: str) -> IndexReport:
        try:
            return continue_index(holder.get(), task_id, holder.analyzer)
        finally:
            queued_notify()

    def recover_indexing_task() -> list[str]:
        resumed = stalled_tasks(holder.get())
        for task_id in resumed:
            log.info("resuming an index task whose workers died", extra={"fields": {"task_id": task_id}})
            queued_continue(task_id)
        return resumed

    def sync_event_task(event_id: int, trigger: str = SyncTrigger.SCHEDULE.value) -> str:
        try:
            outcome = sync_account_events(
                holder.get(), event_id, SyncTrigger(trigger), analyzers=holder.analyzer, share=share
            )
            return str(outcome)
        finally:
            scheduler.wake()  # the event's next sync time moved
            queued_notify()

    def maintain_channels_task() -> str:
        watcher.refresh()  # run after auto-sync is turned off too: its folder need not be watched
        if not scheduler.leadership.held():  # every worker's periodic pass enqueues this task
            return "not the leading worker"
        rt = holder.get()
        report = drive_push.maintain_channels(rt.google, rt.settings.public_base_url, datetime.now(UTC))
        return f"opened {report.opened}, stopped {report.stopped}, failed {report.failed}"

    def enqueue_due_syncs() -> list[int]:
        # auto-sync was enabled (or a process started): a local folder may want watching too
        watcher.refresh()
        return scheduler.run_pass()

    queued_index: QueuedTask = huey.task(name="index_event")(index_event_task)
    queued_continue: QueuedTask = huey.task(name="index_photos")(continue_index_task)
    queued_recovery: QueuedTask = huey.task(name="recover_indexing")(recover_indexing_task)
    periodic_recovery: QueuedTask = huey.periodic_task(crontab(), name="recover_indexing_periodic")(
        recover_indexing_task
    )
    queued_sync: QueuedTask = huey.task(name="sync_event")(sync_event_task)
    queued_enqueue: QueuedTask = huey.task(name="enqueue_due_syncs")(enqueue_due_syncs)
    queued_channels: QueuedTask = huey.task(name="maintain_channels")(maintain_channels_task)

    periodic: QueuedTask = huey.periodic_task(crontab(), name="maintain_channels_periodic")(
        maintain_channels_task
    )

    return Tasks(
        queued_index,
        queued_sync,
        queued_enqueue,
        queued_channels,
        periodic,
        holder,
        scheduler,
        watcher,
        queued_mail,
        queued_notify,
        periodic_notify,
        queued_continue,
        queued_recovery,
        periodic_recovery,
    )


def _folder_watcher(holder: RuntimeHolder, scheduler: SyncScheduler) -> FolderWatcher:
    """Watches the auto-synced local folders; a change asks the scheduler for their syncs now."""

    def watched_folders() -> dict[int, Path]:
        with holder.get().transactions() as uow:
            return sync.watched_folders(uow)

    def folders_changed(event_ids: set[int]) -> None:
        with holder.get().transactions() as uow:
            sync.sync_soon(uow, event_ids, datetime.now(UTC))
        scheduler.request(event_ids, SyncTrigger.WATCH)

    return FolderWatcher(watched_folders, folders_changed)


def _mail_tasks(
    huey: Huey, holder: RuntimeHolder, digest_mails: DigestMails | None
) -> tuple[QueuedTask, QueuedTask, QueuedTask]:
    """send_mail (retried while it fails), and the email notifications (services/notifications.py):
    notify_subscribers, queued after every index run, and its periodic pass every minute."""

    def send_mail_task(
        to: str, subject: str, text: str, html: str, language: str, headers: tuple[tuple[str, str], ...] = ()
    ) -> str:
        return send_mail(holder.get(), Mail(to, subject, text, html, language, headers))

    queued_mail: QueuedTask = huey.task(
        name="send_mail", retries=MAIL_RETRIES, retry_delay=MAIL_RETRY_DELAY_S
    )(send_mail_task)

    def notify_task() -> str:
        return notify_subscribers(holder.get(), digest_sender(digest_mails, queued_mail))

    queued_notify: QueuedTask = huey.task(name="notify_subscribers")(notify_task)
    periodic_notify: QueuedTask = huey.periodic_task(crontab(), name="notify_subscribers_periodic")(
        notify_task
    )
    return queued_mail, queued_notify, periodic_notify


class DigestMails(Protocol):
    """Writes a digest's email (web/notify_pages.py: templates, the subscriber's language)."""

    def digest(self, digest: notifications.Digest) -> Mail: ...


def digest_sender(
    mails: DigestMails | None, send_mail: QueuedTask
) -> Callable[[notifications.Digest], None] | None:
    """Queues each digest's email (retried like any mail); None when this process cannot write them."""
    if mails is None:
        return None

    def send(digest: notifications.Digest) -> None:
        mail = mails.digest(digest)
        send_mail(mail.to, mail.subject, mail.text, mail.html, mail.language, mail.headers)

    return send


def notify_subscribers(
    rt: Runtime, mail: Callable[[notifications.Digest], None] | None, now: datetime | None = None
) -> str:
    """Matches new photos against confirmed subscriptions, mails the digests due (`mail`, after
    their claim is committed: a digest is sent at most once), and deletes expired subscriptions."""
    now = now or datetime.now(UTC)
    box = notify_box(rt)
    with rt.transactions() as uow:
        notifications.purge(uow, now)
        mail_caps.prune(uow, now)  # the ledger of every kind of capped mail, password resets too
    if rt.mailer is None:
        return "no mail server"
    with rt.transactions() as uow:
        found = notifications.match_new_photos(uow, box, lambda name: match_rule(rt, name), now)
    if mail is None:
        return f"matched {found} photos; digests left to a process that writes them"
    digest_every = timedelta(minutes=rt.settings.notify_digest_minutes)
    with rt.transactions() as uow:
        digests = notifications.take_due_digests(uow, notify_links(rt.settings), digest_every, now)
    for digest in digests:
        mail(digest)
    return f"matched {found} photos, sent {len(digests)} digests"


def match_rule(rt: Runtime, engine_name: str) -> notifications.MatchRule:
    engine = rt.face_engine(engine_name)  # ranks with its metric: its models stay unloaded here
    limits = rt.search_limits(engine)
    return notifications.MatchRule(engine.metric, limits.tolerance, limits.min_face_px, limits.min_sharpness)


def notify_links(settings: Settings) -> notifications.NotifyLinks:
    return notifications.NotifyLinks(secret_key(settings))


def notify_keys(rt: Runtime) -> notifications.Keys:
    return notifications.Keys(notify_links(rt.settings), MailCaps(secret_key(rt.settings)), notify_box(rt))


def notify_box(rt: Runtime) -> SecretBox:
    """Seals guests' face embeddings. The runtime made the encryption key when it was built, so
    the key file is read here, never made (hence no grants to carry over)."""
    key = encryption_key(rt.settings, lambda: False)
    return SecretBox(key, label=notifications.EMBEDDINGS_LABEL)


def send_mail(rt: Runtime, mail: Mail) -> str:
    """Sends one message; raises (so the queue retries) while the failure may pass."""
    if rt.mailer is None:
        log.warning("mail not sent: no SMTP_URL is set")
        return "no mail server"
    try:
        rt.mailer.send(mail)
    except MailError as exc:
        # the reason, never the address: who gets mail from this server is nobody's business
        log.warning("mail not sent", extra={"fields": {"reason": str(exc), "retry": not exc.permanent}})
        if exc.permanent:
            return "refused"
        raise
    return "sent"
