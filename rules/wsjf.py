"""WSJF ordering: score desc (exact), cost of delay desc, job size asc, id asc.

The arithmetic itself lives on `graph.model.Wsjf` (`cost_of_delay`,
`exact_score`, `score` rounded half up); this module only orders by it.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction

from graph.model import Wsjf

PlainKey = tuple[Fraction, int, int, str]


def plain_key(item_id: str, wsjf: Wsjf) -> PlainKey:
    """Sort key of the plain ranking order; a total order since ids are unique.

    >>> def wsjf(ubv, tc, rroe, size):
    ...     return Wsjf(user_business_value=ubv, time_criticality=tc,
    ...                 risk_reduction_opportunity_enablement=rroe, job_size=size)
    >>> a, b = wsjf(13, 8, 5, 8), wsjf(8, 3, 2, 4)
    >>> (a.cost_of_delay, str(a.exact_score), a.score), (b.cost_of_delay, str(b.exact_score))
    ((26, '13/4', 3.25), (13, '13/4'))
    >>> sorted(["B", "A"], key=lambda i: plain_key(i, {"A": a, "B": b}[i]))  # equal score: CoD desc
    ['A', 'B']
    """
    return (-wsjf.exact_score, -wsjf.cost_of_delay, wsjf.job_size, item_id)


def plain_order(items: Iterable[tuple[str, Wsjf]]) -> list[tuple[str, Wsjf]]:
    """`items` sorted by `plain_key`, comparing exact scores once per distinct (CoD, size) pair.

    A pair fixes score, cost of delay and job size, so ranking the few distinct
    pairs and then sorting by (pair rank, id) is the same order, without a
    Fraction per comparison.
    """
    listed = [(item_id, wsjf, (wsjf.cost_of_delay, wsjf.job_size)) for item_id, wsjf in items]
    pairs = sorted({pair for _, _, pair in listed}, key=_pair_key)
    place = {pair: n for n, pair in enumerate(pairs)}
    listed.sort(key=lambda entry: (place[entry[2]], entry[0]))
    return [(item_id, wsjf) for item_id, wsjf, _ in listed]


def _pair_key(pair: tuple[int, int]) -> tuple[Fraction, int, int]:
    cost_of_delay, job_size = pair
    return (-Fraction(cost_of_delay, job_size), -cost_of_delay, job_size)
