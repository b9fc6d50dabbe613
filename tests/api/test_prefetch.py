"""The request's prefetched view (api/view.py, `_shared`): the read's outcome as a
thread-safe future, which a cancelled waiter may have cancelled first (pure: no engine)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest

from api.view import _shared


async def _slow(value: Any) -> Any:
    await asyncio.sleep(0.02)
    if isinstance(value, Exception):
        raise value
    return value


async def _in_loop(check: Any) -> list[dict[str, Any]]:
    """Run `check` with the loop's exception handler recording what it is given."""
    errors: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    before = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, context: errors.append(context))
    try:
        await check()
        await asyncio.sleep(0.01)  # the done callbacks
    finally:
        loop.set_exception_handler(before)
    return errors


async def test_the_read_s_outcome_reaches_its_waiters() -> None:
    async def check() -> None:
        assert await asyncio.wrap_future(_shared(asyncio.ensure_future(_slow(7)))) == 7
        failing = _shared(asyncio.ensure_future(_slow(RuntimeError("engine down"))))
        with pytest.raises(RuntimeError, match="engine down"):
            await asyncio.wrap_future(failing)
        task = asyncio.ensure_future(_slow(7))
        cancelled = _shared(task)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wrap_future(cancelled)

    assert await _in_loop(check) == []


async def test_a_waiter_cancelled_first_leaves_no_error_behind() -> None:
    """A query past its timeout cancels its wait, and with it the shared future; the read
    then ends and its result has nowhere to go: nothing may be raised in the loop."""
    async def check() -> None:
        task = asyncio.ensure_future(_slow(7))
        shared = _shared(task)
        waiter = asyncio.ensure_future(asyncio.wrap_future(shared))
        await asyncio.sleep(0)
        waiter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await waiter
        await asyncio.sleep(0)
        assert shared.cancelled()
        assert await task == 7

    assert await _in_loop(check) == []
