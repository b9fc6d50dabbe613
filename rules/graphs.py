"""The feature dependency graph as adjacency lists, and its strongly connected components.

An edge A -> B means A depends on B (B must be delivered first). Adjacency
lists follow the order of the dependency set: callers whose output could
depend on visiting order sort what they need.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence


def depends_on(dependencies: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """A -> the items A depends on."""
    out: dict[str, list[str]] = {}
    for a, b in dependencies:
        out.setdefault(a, []).append(b)
    return out


def dependents(dependencies: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """B -> the items that depend on B."""
    return depends_on((b, a) for a, b in dependencies)


def strongly_connected(roots: Iterable[str], edges: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Components reachable from `roots` (iterative Tarjan), each sorted.

    A component comes after every component it has an edge to (reverse
    topological order), which lets callers fold results bottom-up.

    >>> strongly_connected(["a"], {"a": ["b"], "b": ["c", "a"], "c": []})
    [['c'], ['a', 'b']]
    """
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in roots:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(edges.get(root, ())))]
        while work:
            node, targets = work[-1]
            for target in targets:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(edges.get(target, ()))))
                    break
                if target in on_stack and index[target] < low[node]:
                    low[node] = index[target]
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    if low[node] < low[parent]:
                        low[parent] = low[node]
                if low[node] == index[node]:
                    component: list[str] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    component.sort()
                    components.append(component)
    return components


def is_cycle(component: Sequence[str], edges: Mapping[str, Sequence[str]]) -> bool:
    """True for a component of several items, or one item that depends on itself."""
    if len(component) > 1:
        return True
    only = component[0]
    return only in edges.get(only, ())


def reaches(
    source: str,
    target: str,
    forward: Mapping[str, Sequence[str]],
    backward: Mapping[str, Sequence[str]],
) -> bool:
    """True when a path leads from `source` to `target` (`backward` is `forward` reversed).

    Searches from both ends, each step widening the smaller frontier, so a
    search that fails stops as soon as either side runs out.

    >>> edges = {"a": ["b"], "b": ["c"]}
    >>> back = {"b": ["a"], "c": ["b"]}
    >>> reaches("a", "c", edges, back), reaches("c", "a", edges, back)
    (True, False)
    """
    if source == target:
        return True
    ahead, behind = {source}, {target}
    ahead_frontier, behind_frontier = [source], [target]
    while ahead_frontier and behind_frontier:
        if len(ahead_frontier) <= len(behind_frontier):
            ahead_frontier = _step(ahead_frontier, forward, ahead)
            if not behind.isdisjoint(ahead_frontier):
                return True
        else:
            behind_frontier = _step(behind_frontier, backward, behind)
            if not ahead.isdisjoint(behind_frontier):
                return True
    return False


def _step(frontier: list[str], edges: Mapping[str, Sequence[str]], seen: set[str]) -> list[str]:
    """The nodes one edge beyond `frontier` not seen yet (added to `seen`)."""
    out = []
    for node in frontier:
        for target in edges.get(node, ()):
            if target not in seen:
                seen.add(target)
                out.append(target)
    return out
