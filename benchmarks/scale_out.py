"""Scale-out (issue 15): one `eventface worker` process vs two, on PostgreSQL + Redis.

    python benchmarks/scale_out.py [--photos 240] [--runs 1 2 2p] [--workers-env 1] [--threads N]
                                   [--max-load 1.5] [--load-wait-s 600] [--before-src DIR] [--limit N]

Starts a throwaway PostgreSQL and Redis (tests/harness/services.py), and for each run, on a
fresh database, a fresh Redis database and a fresh data dir: `eventface db upgrade`, a
local-folder event over the Western dev event's photos (`--photos 240`: seed 1 with 240
photos, built on first use), then the workers, then `eventface index EVENT --enqueue`, until
the task is done (`eventface tasks show TASK --json` gives the final progress). Runs:

- `1`: one `eventface worker` process;
- `2`: two `eventface worker` processes (as on two machines);
- `2p`: one `eventface worker --processes 2` (two processes on one machine, the first of them
  also runs the scheduler).

`EVENTFACE_WORKERS` (`--workers-env`, 1 by default: deploy.md's setting for worker machines)
sizes each worker process's indexing: its analysis processes (one with 1, the default in deploy.md).

Reported per run: photos/s over the steady part (first photo indexed to last, from the photos'
`indexed_at`) and end to end (workers started -> task done, start-up and model loading
included); CPU seconds per photo of all worker processes and their children (psutil, summed
over the process trees; steady part interpolated between samples), and of PostgreSQL and
Redis; how many cores' worth the workers kept busy; peak RSS per process (VmHWM); the load
average before, during (mean of 1-minute samples) and after. Each run is checked: every photo
indexed exactly once (PostgreSQL: photo statuses, face rows per photo, no duplicated face).

`--runs 1 2 1 2 1` also gives each run of 2 against the mean of the one-worker runs around it
(`ratio_to_ones_around_steady`): the host's speed drifts between runs.

`--before-src DIR` also runs each with another checkout's src/ (`git archive main src | tar -x
-C DIR/..`), just before this one's, under the same load.

On a shared machine the wall-clock ratio moves with the other load; `cpu_ratio` is what the
ratio would be on idle cores if each worker kept one core busy: workers x (CPU per photo of
one worker / CPU per photo of this run).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil
from sqlalchemy import create_engine, func, select

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the throwaway servers
from tests.harness.services import PostgresServer, RedisServer, throwaway_postgres, throwaway_redis

from eventface.db.tables import FaceRow, IndexTaskRow, PhotoRow
from events import dev_event

EVENTFACE = str(Path(sys.executable).parent / "eventface")
POLL_S = 0.5
DONE_DEADLINE_S = 3600
STOP_DEADLINE_S = 30
LOAD_POLL_S = 15


@dataclass
class Family:
    """CPU seconds and peak RSS of some processes and all their descendants, from samples."""

    roots: list[int]
    cpu: dict[int, float] = field(default_factory=dict)  # pid -> last seen (self + waited children)
    peak_kb: dict[int, int] = field(default_factory=dict)  # pid -> VmHWM
    names: dict[int, str] = field(default_factory=dict)
    demand: dict[int, float] = field(default_factory=dict)  # pid -> seconds run or runnable (its threads)
    own: dict[int, float] = field(default_factory=dict)  # root pid -> its own CPU, not its children's

    def sample(self) -> float:
        for pid in self.roots:
            with suppress(psutil.NoSuchProcess):
                root = psutil.Process(pid)
                for p in [root, *root.children(recursive=True)]:
                    with suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                        t = p.cpu_times()
                        self.cpu[p.pid] = t.user + t.system + t.children_user + t.children_system
                        if p.pid == pid:
                            self.own[pid] = t.user + t.system
                        self.peak_kb[p.pid] = max(self.peak_kb.get(p.pid, 0), _vm_hwm_kb(p.pid))
                        self.names.setdefault(p.pid, " ".join(p.cmdline()[1:3])[-60:])
                        self.demand[p.pid] = _run_or_runnable_s(p.pid)
        return sum(self.cpu.values())

    def demanded(self) -> float:
        return sum(self.demand.values())

    def roots_own(self) -> float:
        """The worker processes' own CPU: claims, reading files, storing results (the analysis
        runs in their children), what two workers on two cores add to each photo's analysis."""
        return sum(self.own.values())


def _run_or_runnable_s(pid: int) -> float:
    """Seconds the process's threads ran or waited for a core (schedstat): not asleep on a lock,
    the database, the queue. Over the wall time, the cores it would have kept busy on idle ones."""
    total = 0
    for task in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        with suppress(OSError, ValueError):
            ran, waited, _ = task.read_text().split()
            total += int(ran) + int(waited)
    return total / 1e9


def _vm_hwm_kb(pid: int) -> int:
    with suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def eventface(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([EVENTFACE, *args], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise SystemExit(f"eventface {' '.join(args)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return done.stdout


def wait_for_quiet(max_load: float, wait_s: float) -> float:
    """Waits (up to `wait_s`) for the 1-minute load average to fall below `max_load`."""
    end = time.monotonic() + wait_s
    while os.getloadavg()[0] >= max_load and time.monotonic() < end:
        time.sleep(LOAD_POLL_S)
    return os.getloadavg()[0]


def photo_folder(photos: int, into: Path, limit: int = 0) -> Path:
    """The dev event's photos, hard-linked (a local-folder event reads nothing resolving outside it)."""
    event = dev_event("faces", seed=1, photos=photos)
    folder = into / "photos"
    folder.mkdir()
    for path in sorted(event.photos_dir.glob("*.jpg"))[: limit or None]:
        os.link(path, folder / path.name)
    return folder


@contextmanager
def workers(kind: str, env: dict[str, str], threads: int | None, logs: Path) -> Iterator[list[int]]:
    extra = ["--threads", str(threads)] if threads else []
    argvs = {
        "1": [["worker", *extra]],
        "2": [["worker", *extra], ["worker", *extra]],
        "2p": [["worker", "--processes", "2", *extra]],
    }[kind]
    procs = []
    for i, argv in enumerate(argvs):
        out = (logs / f"worker{i}.out").open("w")
        procs.append(subprocess.Popen([EVENTFACE, *argv], stdout=out, stderr=subprocess.STDOUT, env=env))
    try:
        yield [p.pid for p in procs]
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(STOP_DEADLINE_S)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def check_once(db_url: str, event_id: int, task_id: str) -> dict[str, object]:
    """Every photo indexed exactly once: statuses, face rows per photo, no face stored twice."""
    engine = create_engine(db_url)
    with engine.connect() as c:
        statuses = dict(
            c.execute(
                select(PhotoRow.status, func.count())
                .where(PhotoRow.event_id == event_id)
                .group_by(PhotoRow.status)
            ).all()
        )
        faces = c.scalar(select(func.count()).select_from(FaceRow).where(FaceRow.event_id == event_id))
        claimed = c.scalar(select(func.sum(PhotoRow.face_count)).where(PhotoRow.event_id == event_id))
        duplicated = c.execute(
            select(FaceRow.photo_id)
            .where(FaceRow.event_id == event_id)
            .group_by(FaceRow.photo_id, FaceRow.left, FaceRow.top)
            .having(func.count() > 1)
        ).all()
        task = c.execute(
            select(IndexTaskRow.status, IndexTaskRow.done, IndexTaskRow.total).where(
                IndexTaskRow.id == task_id
            )
        ).one()
        first, last = c.execute(
            select(func.min(PhotoRow.indexed_at), func.max(PhotoRow.indexed_at)).where(
                PhotoRow.event_id == event_id
            )
        ).one()
    engine.dispose()
    photos = sum(statuses.values())
    ok = statuses == {"indexed": photos} and faces == claimed and not duplicated and task[1] == photos
    return {
        "photos": photos,
        "statuses": statuses,
        "face_rows": faces,
        "faces_by_photo_counts": claimed,
        "duplicated_faces": len(duplicated),
        "task": list(task),
        "exactly_once": ok,
        "first_indexed": first,
        "last_indexed": last,
    }


def task_finished(db_url: str, task_id: str) -> bool:
    engine = create_engine(db_url)
    with engine.connect() as c:
        status = c.scalar(select(IndexTaskRow.status).where(IndexTaskRow.id == task_id))
    engine.dispose()
    return status in {"done", "failed", "interrupted"}


def cpu_at(samples: list[tuple[float, ...]], when: float, column: int = 1) -> float:
    """A sampled total (CPU, or run-or-runnable time) at wall time `when`, interpolated."""
    before = max((s for s in samples if s[0] <= when), default=samples[0])
    after = min((s for s in samples if s[0] >= when), default=samples[-1])
    if after[0] == before[0]:
        return before[column]
    return before[column] + (after[column] - before[column]) * (when - before[0]) / (after[0] - before[0])


@dataclass
class Servers:
    postgres: PostgresServer
    redis: RedisServer

    def families(self) -> Family:
        pids = [self.redis.pid] if self.redis.pid else []
        assert self.postgres.data_dir is not None
        pidfile = self.postgres.data_dir / "postmaster.pid"
        with suppress(OSError):  # the data dir belongs to the postgres user
            pids.append(int(pidfile.read_text().splitlines()[0]))
        return Family(pids)


def one_run(
    kind: str, args: argparse.Namespace, servers: Servers, folder: Path, source: Path | None = None
) -> dict[str, object]:
    load_before = wait_for_quiet(args.max_load, args.load_wait_s)
    with tempfile.TemporaryDirectory(prefix="ef-scale-") as tmp:
        db_url = servers.postgres.fresh_database()
        env = {k: v for k, v in os.environ.items() if not k.startswith("EVENTFACE_")}
        env |= {
            "EVENTFACE_DATA_DIR": str(Path(tmp) / "data"),
            "EVENTFACE_DATABASE_URL": db_url,
            "EVENTFACE_QUEUE_URL": servers.redis.fresh_url(),
            "EVENTFACE_WORKERS": str(args.workers_env),
        }
        if source is not None:  # another checkout's src/ imported instead of this one's
            env["PYTHONPATH"] = str(source)
        eventface("db", "upgrade", env=env)
        event_id = int(eventface("events", "create", "scale", "--folder", str(folder), env=env).split()[-1])
        servers_family = servers.families()
        servers_cpu0 = servers_family.sample()
        samples: list[tuple[float, ...]] = []
        loads: list[float] = []
        started = time.time()
        with workers(kind, env, args.threads, Path(tmp)) as pids:
            family = Family(pids)
            task_id = eventface("index", str(event_id), "--enqueue", env=env).strip().splitlines()[-1]
            while not task_finished(db_url, task_id) and time.time() - started < DONE_DEADLINE_S:
                samples.append((time.time(), family.sample(), family.demanded(), family.roots_own()))
                loads.append(os.getloadavg()[0])
                time.sleep(POLL_S)
            ended = time.time()
            samples.append((ended, family.sample(), family.demanded(), family.roots_own()))
            progress = json.loads(eventface("tasks", "show", task_id, "--json", env=env))
            servers_cpu = servers_family.sample() - servers_cpu0
        checked = check_once(db_url, event_id, task_id)
    first, last = checked.pop("first_indexed"), checked.pop("last_indexed")
    assert isinstance(first, datetime) and isinstance(last, datetime)
    photos = int(str(checked["photos"]))
    first_s, last_s = first.astimezone(UTC).timestamp(), last.astimezone(UTC).timestamp()
    steady_s = last_s - first_s
    steady_cpu = cpu_at(samples, last_s) - cpu_at(samples, first_s)
    total_cpu = samples[-1][1]
    # threads of one process sleeping while a sibling runs (the analysis lock) are not counted,
    # so a worker whose analysis never waits on the database or the queue is near 1 here
    demanded = cpu_at(samples, last_s, 2) - cpu_at(samples, first_s, 2)
    own_cpu = cpu_at(samples, last_s, 3) - cpu_at(samples, first_s, 3)
    processes = 1 if kind == "1" else 2
    return {
        "run": kind,
        "code": str(source) if source else "this checkout",
        "worker_processes": processes,
        "at": datetime.fromtimestamp(started, UTC).strftime("%Y-%m-%d %H:%M:%S"),
        "load_before": round(load_before, 2),
        "load_during": round(sum(loads) / len(loads), 2) if loads else None,
        "load_after": round(os.getloadavg()[0], 2),
        "photos": photos,
        "faces": progress.get("faces"),
        "status": progress.get("status"),
        "end_to_end_s": round(ended - started, 1),
        "start_up_s": round(first_s - started, 1),
        "steady_s": round(steady_s, 1),
        "photos_per_s_steady": round((photos - 1) / steady_s, 3),
        "photos_per_s_end_to_end": round(photos / (ended - started), 3),
        "cpu_s_per_photo_steady": round(steady_cpu / (photos - 1), 3),
        "cpu_s_per_photo_all": round(total_cpu / photos, 3),
        "worker_own_cpu_s_per_photo_steady": round(own_cpu / (photos - 1), 4),
        "cores_busy_steady": round(steady_cpu / steady_s, 2),
        "cores_demanded_steady": round(demanded / steady_s, 2),
        "postgres_redis_cpu_s_per_photo": round(servers_cpu / photos, 4),
        "peak_rss_mb": {
            f"{pid} {family.names.get(pid, '')}": round(kb / 1024) for pid, kb in family.peak_kb.items()
        },
        "cpu_s_by_process": {str(pid): round(s, 1) for pid, s in family.cpu.items()},
        **checked,
    }


def bracketed(results: list[dict[str, object]]) -> None:
    """Each run of 2 against the mean of the one-worker runs just before and after it (same code).

    The host's speed drifts by ±15 % within an hour (README, "A worker and its analysis
    process"), so a pair's ratio moves with it; a run between two one-worker runs is compared with
    their mean, which cancels a steady drift. `--runs 1 2 1 2 1` gives two such ratios.
    """

    def steady(run: dict[str, object]) -> float:
        return float(str(run["photos_per_s_steady"]))

    for i, run in enumerate(results):
        if run["run"] == "1":
            continue
        ones = [j for j, r in enumerate(results) if r["run"] == "1" and r["code"] == run["code"]]
        before = [j for j in ones if j < i][-1:]
        after = [j for j in ones if j > i][:1]
        if before and after:
            mean_one = (steady(results[before[0]]) + steady(results[after[0]])) / 2
            run["ratio_to_ones_around_steady"] = round(steady(run) / mean_one, 2)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--photos", type=int, default=240, help="photos of the Western dev event (seed 1)")
    parser.add_argument("--runs", nargs="+", default=["1", "2", "2p"], choices=["1", "2", "2p"])
    parser.add_argument("--workers-env", type=int, default=1, help="EVENTFACE_WORKERS of each worker")
    parser.add_argument("--limit", type=int, default=0, help="the first N photos only (a quick check)")
    parser.add_argument("--threads", type=int, help="eventface worker --threads (the product's default)")
    parser.add_argument("--before-src", type=Path, help="also run each with this src/ dir (e.g. main's)")
    parser.add_argument("--max-load", type=float, default=1.5, help="wait for a 1-min load below this")
    parser.add_argument("--load-wait-s", type=float, default=600)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the servers are stopped on the way out
    results: list[dict[str, object]] = []
    with (
        tempfile.TemporaryDirectory(dir=Path(__file__).parent / "out") as links,
        throwaway_postgres() as postgres,
        throwaway_redis() as redis,
    ):
        folder = photo_folder(args.photos, Path(links), args.limit)
        servers = Servers(postgres, redis)
        for kind in args.runs:
            for source in [args.before_src, None] if args.before_src else [None]:
                results.append(one_run(kind, args, servers, folder, source))
                print(json.dumps(results[-1], default=str), file=sys.stderr, flush=True)
    for r in results:
        one = next((o for o in results if o["run"] == "1" and o["code"] == r["code"]), None)
        if one is not None and r is not one:
            ratio = float(str(r["photos_per_s_steady"])) / float(str(one["photos_per_s_steady"]))
            cpu = float(str(one["cpu_s_per_photo_steady"])) / float(str(r["cpu_s_per_photo_steady"]))
            r["ratio_to_one_worker_steady"] = round(ratio, 2)
            r["ratio_to_one_worker_end_to_end"] = round(
                float(str(r["photos_per_s_end_to_end"])) / float(str(one["photos_per_s_end_to_end"])), 2
            )
            r["cpu_ratio"] = round(int(str(r["worker_processes"])) * cpu, 2)
    bracketed(results)
    print(json.dumps({"settings": vars(args), "runs": results}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
