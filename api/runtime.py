"""What the app opens at start-up and its requests share: the store and the service."""

from __future__ import annotations

from dataclasses import dataclass

from api.service import PortfolioService
from api.watch import Watcher
from graph.store import Store


class NotReady(RuntimeError):
    """A request arrived before the lifespan opened the store (or after it closed it)."""


@dataclass(slots=True)
class Runtime:
    store: Store | None = None
    service: PortfolioService | None = None
    watcher: Watcher | None = None  # one per process: feeds every subscription

    def require_service(self) -> PortfolioService:
        if self.service is None:
            raise NotReady("the graph store is not open")
        return self.service
