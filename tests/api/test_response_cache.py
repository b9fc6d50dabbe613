"""The response cache alone (pure): keys, ETags, version eviction, bounds."""

from __future__ import annotations

from api.response_cache import ResponseCache, cache_key, etag_matches


def test_keys_differ_by_every_input() -> None:
    base = cache_key(3, "{ a }", {"x": 1}, None, ["viewer"], "application/json")
    others = [cache_key(4, "{ a }", {"x": 1}, None, ["viewer"], "application/json"),
              cache_key(3, "{ b }", {"x": 1}, None, ["viewer"], "application/json"),
              cache_key(3, "{ a }", {"x": 2}, None, ["viewer"], "application/json"),
              cache_key(3, "{ a }", {"x": 1}, "Op", ["viewer"], "application/json"),
              cache_key(3, "{ a }", {"x": 1}, None, ["admin"], "application/json"),
              cache_key(3, "{ a }", {"x": 1}, None, ["viewer"],
                        "application/graphql-response+json")]
    assert len({base, *others}) == 7
    assert base == cache_key(3, "{ a }", {"x": 1}, None, ["viewer"], "application/json")
    assert base.etag.startswith('"v3-')


def test_etag_matching() -> None:
    etag = '"v3-abc"'
    assert etag_matches('"v1-x", "v3-abc"', etag) and etag_matches('W/"v3-abc"', etag)
    assert etag_matches("*", etag)
    assert not etag_matches(None, etag) and not etag_matches('"v4-abc"', etag)


def test_a_newer_version_drops_older_answers_and_bounds_hold() -> None:
    cache = ResponseCache(max_entries=2, max_bytes=10)
    old, new = cache_key(1, "q", None, None, [], "m"), cache_key(2, "q", None, None, [], "m")
    cache.put(old, b"old")
    assert cache.get(old) == b"old"
    cache.put(new, b"new")
    assert cache.get(old) is None and cache.get(new) == b"new"
    cache.put(old, b"stale")  # an answer computed on an older view never comes back
    assert cache.get(old) is None
    keys = [cache_key(2, f"q{n}", None, None, [], "m") for n in range(3)]
    for k in keys:
        cache.put(k, b"1234")
    assert len(cache) == 2 and cache.get(keys[0]) is None  # least recently used went first
    cache.put(keys[0], b"12345678901")  # larger than the whole cache: not kept
    assert cache.get(keys[0]) is None
