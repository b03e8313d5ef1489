"""numpy's BLAS threads: a search's own one-thread limit, and the web server's for good."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]  # no stubs

from eventface.matching import blas_threads


def blas_threads_now() -> set[int]:
    return {info["num_threads"] for info in ThreadpoolController().select(user_api="blas").info()}


@pytest.fixture
def several_blas_threads() -> Iterator[None]:
    if not blas_threads_now() or max(blas_threads_now()) < 2:
        pytest.skip("numpy's BLAS runs one thread here already (one core, or a BLAS without threads)")
    yield
    assert max(blas_threads_now()) >= 2, "a test left BLAS on one thread for the rest of the suite"


def test_a_searchs_limit_is_lifted_when_it_ends(several_blas_threads: None) -> None:
    with blas_threads.one_blas_thread():
        assert blas_threads_now() == {1}
    assert max(blas_threads_now()) >= 2


def test_the_web_servers_limit_outlasts_the_searches_inside_it(several_blas_threads: None) -> None:
    blas_threads.blas_on_one_thread_from_now()
    try:
        assert blas_threads_now() == {1}
        with blas_threads.one_blas_thread():
            pass
        assert blas_threads_now() == {1}  # a search ending does not give BLAS its threads back
    finally:
        blas_threads._one_thread.leave()  # the rest of the test process as it was
