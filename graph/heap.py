"""The cyclic garbage collector around bulk loads.

Building a snapshot allocates millions of container objects (reply lists, row dicts,
model items) that all stay alive; each allocation burst triggers collections that walk
the growing young generations for nothing. Measured at 50,000 features: the 148,132
dependency rows took 0.59 s to read and parse with the collector on, 0.16 s with it
paused (bench/README.md, "Start to ready"). Reference counting still frees everything
that dies meanwhile; only cycles wait until the pause ends.

Start-up freezes what it loaded before the collector resumes (api/app.py, settle_heap).
A snapshot reloaded later (another process wrote) is not frozen: the first collection
after the pause walks it once, where without the pause many collections would have
walked it while it grew.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_resume = False  # whether the collector was enabled when the first pause began


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic collection inside; nests, and overlapping pauses (threads, tasks) end
    when the last one does, leaving the collector as the first one found it."""
    global _pauses, _resume
    with _lock:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()
