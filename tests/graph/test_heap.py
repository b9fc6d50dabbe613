"""graph/heap.py: the collector is paused inside, and left as it was found after."""

from __future__ import annotations

import gc
import threading

import pytest

from graph.heap import paused_gc


@pytest.fixture(autouse=True)
def _collector_on() -> object:
    gc.enable()
    yield
    gc.enable()


def test_pauses_and_resumes() -> None:
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_nested_pauses_end_with_the_outermost() -> None:
    with paused_gc():
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_collector_off_before_stays_off() -> None:
    gc.disable()
    with paused_gc():
        assert not gc.isenabled()
    assert not gc.isenabled()


def test_an_error_inside_still_resumes() -> None:
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_overlapping_pauses_in_threads_end_with_the_last() -> None:
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with paused_gc():
            entered.set()
            release.wait(5)

    worker = threading.Thread(target=hold)
    worker.start()
    assert entered.wait(5)
    with paused_gc():
        pass
    assert not gc.isenabled()  # the thread's pause is still on
    release.set()
    worker.join(5)
    assert gc.isenabled()
