"""Store fixtures: a fresh Store over each available (emptied) engine."""

from __future__ import annotations

import pytest

from graph.engines.base import Engine
from graph.store import Store


@pytest.fixture
def store(engine: Engine) -> Store:
    return Store(engine)
