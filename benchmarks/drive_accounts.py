"""Many auto-synced Drive events on few Google accounts: Drive calls per minute (issue 15).

    python benchmarks/drive_accounts.py [--events 1000] [--accounts 50] [--minutes 3] [--new-photos 20]

The product's own jobs (tasks registered on Huey in immediate mode, the real scheduler pass, the
real sync and ingest services, SQLite) read the fake Drive (tests/fakes/drive.py) through the real
google-api-python-client; faces come from the fake colour-square engine. Every event has its own
Drive folder with one photo and auto-sync every minute; the events are spread evenly over the
accounts (every account's grant reaches the one fake, which counts every request it answers).

After a first pass (each event's full listing), each round adds `--new-photos` photos to random
events' folders, moves every event's next sync one interval earlier (as if an interval had
passed: the events fall due in the order and groups the schedule holds), and runs the
scheduler's pass, whose syncs run in turn. A round is one interval of the schedule: with every
event auto-syncing every minute (the product's default is 2), it is a minute, and the Drive
requests per round are the requests per minute. The schedule's interval is an hour (the longest)
so that the real time a round takes on this machine (minutes, for 1 000 events) does not make
events due again within it; only the simulated time counts. Run the same file against another
checkout (PYTHONPATH=<checkout>/src, the file copied into its benchmarks/) for a before/after.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the fake Drive and engine
from sqlalchemy import func, select, update
from tests.fakes.drive import FakeDrive, RecordedRequest
from tests.fakes.photos import jpeg_with_squares
from tests.harness.drive import authorized_user_info
from tests.integration.fake_indexing import build_with_fake_engine

from eventface.db.tables import EventRow, SyncRunRow
from eventface.jobs.queue import make_huey
from eventface.jobs.tasks import Tasks, register_tasks
from eventface.services import accounts, events, google_accounts, sync
from eventface.settings import Settings

API = "/drive/v3/"
# the schedule's interval: a round stands for one interval of a 1-minute schedule (see above)
INTERVAL_MINUTES = 60.0


def kind(request: RecordedRequest) -> str | None:
    """The Drive API method a request called; None for OAuth token refreshes."""
    if not request.path.startswith(API):
        return None
    path = request.path[len(API) :]
    if path == "changes":
        return "changes.list"
    if path == "changes/startPageToken":
        return "changes.getStartPageToken"
    if path == "files":
        return "files.list"
    if path.startswith("files/"):
        return "files.get (download)" if request.query.get("alt") == "media" else "files.get"
    return path


def photo(colour: str) -> bytes:
    return jpeg_with_squares([(colour, (40, 40), 60)], size=(160, 120))


def set_up(drive: FakeDrive, tasks: Tasks, n_events: int, n_accounts: int) -> list[tuple[int, str]]:
    """(event id, Drive folder id) of `n_events` auto-synced Drive events over `n_accounts` accounts."""
    rt = tasks.runtime.get()
    with rt.transactions() as uow:
        owner = accounts.create_user(uow, "agency@example.com", "a long enough password")
        emails = [f"studio{n}@gmail.example" for n in range(n_accounts)]
        for email in emails:
            google_accounts.save_grant(uow, rt.google.box, owner.id, email, authorized_user_info(drive))
    made = []
    for n in range(n_events):
        folder = drive.add_folder(f"event {n}")
        drive.add_photo(folder, "first.jpg", photo("red"))
        link = f"https://drive.google.com/drive/folders/{folder}"
        email = emails[n % n_accounts]
        event = events.create_drive_event(
            rt.google, f"Event {n}", link, "fake", owner_id=owner.id, account_email=email
        )
        with rt.transactions() as uow:
            sync.enable_auto_sync(uow, str(event.id), INTERVAL_MINUTES, INTERVAL_MINUTES)
        made.append((event.id, folder))
    return made


def an_interval_passes(tasks: Tasks) -> None:
    """Every event's next sync an interval (and a second) earlier: what is due now is what an
    interval would bring. The second: the scheduler enqueues an event once per due time, and a
    shift of exactly one interval would give it back the due time it had a round ago."""
    with tasks.runtime.get().transactions() as uow:
        rows = uow.session.execute(select(EventRow.id, EventRow.next_sync_at)).all()
        for event_id, next_at in rows:
            if next_at is not None:
                uow.session.execute(
                    update(EventRow)
                    .where(EventRow.id == event_id)
                    .values(next_sync_at=next_at - timedelta(minutes=INTERVAL_MINUTES, seconds=1))
                )


def sync_runs(tasks: Tasks) -> int:
    with tasks.runtime.get().transactions() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(SyncRunRow)) or 0)


def run(n_events: int, n_accounts: int, minutes: int, new_photos: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as tmp, FakeDrive(seed=seed) as drive:
        settings = Settings(data_dir=Path(tmp) / "data", drive_api_url=drive.api_endpoint, workers=1)
        huey = make_huey(settings)
        huey.immediate = True
        tasks = register_tasks(huey, settings, build=build_with_fake_engine)
        try:
            made = set_up(drive, tasks, n_events, n_accounts)
            drive.clear_requests()
            started = time.monotonic()
            first = len(tasks.enqueue_due_syncs().get())
            first_s = time.monotonic() - started
            first_calls = Counter(k for r in drive.requests if (k := kind(r)))
            per_minute: list[Counter[str]] = []
            seconds: list[float] = []
            syncs: list[int] = []
            for _ in range(minutes):
                drive.clear_requests()
                for _ in range(new_photos):
                    _, folder = rng.choice(made)
                    drive.add_photo(folder, f"new-{rng.getrandbits(32):08x}.jpg", photo("blue"))
                an_interval_passes(tasks)
                started, runs_before = time.monotonic(), sync_runs(tasks)
                tasks.enqueue_due_syncs().get()
                seconds.append(time.monotonic() - started)
                syncs.append(sync_runs(tasks) - runs_before)
                per_minute.append(Counter(k for r in drive.requests if (k := kind(r))))
            with tasks.runtime.get().transactions() as uow:
                errors = sum(1 for e, _ in made if uow.events.auto_sync(e).last_error is not None)
                indexed = sum(uow.events.summary(e).photos for e, _ in made)
        finally:
            tasks.runtime.close()
    kinds = sorted({k for c in per_minute for k in c})
    return {
        "events": n_events,
        "accounts": n_accounts,
        "minutes": minutes,
        "new_photos_per_minute": new_photos,
        "first_pass": {"syncs_enqueued": first, "seconds": round(first_s, 1), "calls": dict(first_calls)},
        "calls_per_minute": {k: statistics.mean(c[k] for c in per_minute) for k in kinds},
        "total_calls_per_minute": statistics.mean(sum(c.values()) for c in per_minute),
        "syncs_per_minute": statistics.mean(syncs),
        "seconds_per_minute_pass": round(statistics.mean(seconds), 1),
        "events_with_errors": errors,
        "photos": indexed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--minutes", type=int, default=3, help="rounds: minutes of a 1-minute schedule")
    parser.add_argument("--new-photos", type=int, default=20)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    result = run(args.events, args.accounts, args.minutes, args.new_photos, args.seed)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
