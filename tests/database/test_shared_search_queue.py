"""The search admission queue shared by every web process through a real Redis server (issue 15).

Two queue objects on one Redis stand for two web processes; a real process SIGKILLed while its
search waits shows that a dead process's place lapses.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import pytest
import redis

from eventface.errors import ServerBusyError
from eventface.settings import Settings
from eventface.web.limits import SearchQueue
from eventface.web.shared_search_queue import RedisSearchQueue, search_queue_for
from tests.harness.services import RedisServer

SEARCH_S = 0.5
DEADLINE_S = 20
ROOT = Path(__file__).resolve().parents[2]

# a web process whose second search waits for its one worker, holding a shared place
HOLDER = """
import sys, threading, redis
from eventface.web.shared_search_queue import RedisSearchQueue
queue = RedisSearchQueue(redis.Redis.from_url(sys.argv[1]), 1, 5, lambda: 0.5, ttl_s=1.0)
with queue.claim(), queue.claim():
    print("waiting", flush=True)
    threading.Event().wait()
"""


@pytest.fixture
def url(redis_server: RedisServer) -> str:
    return redis_server.fresh_url()


def queue(url: str, waiting: int = 2, ttl_s: float = 60.0) -> RedisSearchQueue:
    return RedisSearchQueue(redis.Redis.from_url(url), 1, waiting, lambda: SEARCH_S, ttl_s=ttl_s)


def test_searches_waiting_in_any_web_process_count_against_one_cap(url: str) -> None:
    one, two = queue(url), queue(url)
    with ExitStack() as held:
        for process in (one, two):
            held.enter_context(process.claim())  # runs on the process's own worker: not shared
            held.enter_context(process.claim())  # waits: one of the two shared places
        with pytest.raises(ServerBusyError) as busy, one.claim():
            pass
        assert 1.0 <= busy.value.retry_after_s <= 30.0
        assert one.busy == 2  # the refused one left nothing behind
    with one.claim(), one.claim():  # places given back when the searches end
        pass


def test_a_dead_web_process_does_not_hold_a_waiting_place_for_ever(url: str) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "waiting"
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        survivor = queue(url, waiting=1)
        with survivor.claim():  # its worker's search
            with pytest.raises(ServerBusyError), survivor.claim():
                pass  # the dead process's place, until it lapses
            deadline = time.monotonic() + DEADLINE_S
            while True:
                try:
                    with survivor.claim():
                        break
                except ServerBusyError:
                    assert time.monotonic() < deadline, "the dead process's place never lapsed"
                    time.sleep(0.1)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        if holder.stdout:
            holder.stdout.close()


def test_the_queue_is_shared_only_when_the_job_queue_is_redis(url: str, tmp_path: Path) -> None:
    alone = search_queue_for(Settings(data_dir=tmp_path), 2, lambda: SEARCH_S)
    shared = search_queue_for(Settings(data_dir=tmp_path, queue_url=url), 2, lambda: SEARCH_S)
    assert type(alone) is SearchQueue
    assert isinstance(shared, RedisSearchQueue)
