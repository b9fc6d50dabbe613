"""Answers of queries kept per portfolio version: (document, variables, roles, version).

A query's answer depends only on what it asks, who asks (roles decide what is
allowed) and the portfolio version, so an answer computed once can be sent
again until the version moves; the ETag names exactly that, so a client that
still holds it gets 304 Not Modified. Entries of older versions are dropped
as soon as a newer version is seen: the cache follows the version, never a
timer, which also keeps API replicas consistent with each other.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

MAX_ENTRIES = 512
MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class CacheKey:
    """What an answer depends on; `media_type` because the body's shape does too."""

    version: int
    digest: str

    @property
    def etag(self) -> str:
        return f'"v{self.version}-{self.digest}"'


def cache_key(version: int, query: str, variables: Mapping[str, Any] | None,
              operation_name: str | None, roles: Iterable[str], media_type: str) -> CacheKey:
    text = json.dumps([query, variables or {}, operation_name, sorted(roles), media_type],
                      sort_keys=True, separators=(",", ":"), default=str)
    return CacheKey(version, hashlib.blake2b(text.encode(), digest_size=12).hexdigest())


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """True when an If-None-Match header names `etag` (or is `*`); weak tags compare too."""
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags


class ResponseCache:
    """Encoded answers of the newest version seen, least recently used dropped first."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._entries: OrderedDict[CacheKey, bytes] = OrderedDict()
        self._bytes = 0
        self._version = -1

    def get(self, key: CacheKey) -> bytes | None:
        body = self._entries.get(key)
        if body is not None:
            self._entries.move_to_end(key)
        return body

    def put(self, key: CacheKey, body: bytes) -> None:
        if key.version < self._version or len(body) > self.max_bytes:
            return
        if key.version > self._version:
            self._entries.clear()
            self._bytes, self._version = 0, key.version
        old = self._entries.pop(key, None)
        self._bytes -= 0 if old is None else len(old)
        self._entries[key] = body
        self._bytes += len(body)
        while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self._bytes -= len(dropped)

    def __len__(self) -> int:
        return len(self._entries)
