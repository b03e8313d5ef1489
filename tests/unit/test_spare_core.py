"""The second core is lent to a scan only while no other scan runs in the process."""

from __future__ import annotations

import threading

from eventface.matching.spare_core import SpareCore


def test_a_scan_alone_is_lent_the_helper_and_one_beside_it_is_not() -> None:
    core = SpareCore(cores=2)
    with core.scanning() as first:
        assert first is not None
        with core.scanning() as beside:
            assert beside is None  # two scans already use two cores
    with core.scanning() as later:
        assert later is not None  # both ended: the helper is free again


def test_a_scan_that_starts_while_the_lent_one_runs_scans_alone_even_after_it_ended() -> None:
    core = SpareCore(cores=2)
    started, finish = threading.Event(), threading.Event()
    seen: list[object] = []

    def other_scan() -> None:
        with core.scanning() as helper:
            seen.append(helper)
            started.set()
            assert finish.wait(10)

    with core.scanning() as lent:
        assert lent is not None
        thread = threading.Thread(target=other_scan)
        thread.start()
        assert started.wait(10)
    with core.scanning() as meanwhile:
        assert meanwhile is None  # the other scan still runs
    finish.set()
    thread.join(10)
    assert seen == [None]


def test_the_helper_runs_work_on_another_thread() -> None:
    core = SpareCore(cores=2)
    with core.scanning() as helper:
        assert helper is not None
        assert helper.submit(threading.get_ident).result(10) != threading.get_ident()


def test_one_core_is_never_lent() -> None:
    core = SpareCore(cores=1)
    with core.scanning() as helper:
        assert helper is None
