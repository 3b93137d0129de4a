"""Ranking optima with ties (engine tier, shared by every optimizer and search, not part of the public API).

Two values within :data:`TIE_RTOL` (relative) of each other are equal: an optimizer reports the simplest of tied
candidates and a search orders tied candidates by name, so that round-off cannot reorder them between runs.
"""

from __future__ import annotations

from typing import Any, Callable


#: Values within this relative distance of each other are a tie (round-off, not physics): in the rankings of
#: schedule searches and among the cut-offs of an optimization, where the smaller cut-off wins a tie.
TIE_RTOL = 1e-12


def tied(a: float, b: float) -> bool:
    """Whether two values are equal within :data:`TIE_RTOL` (relative)."""
    return abs(a - b) <= TIE_RTOL * max(abs(a), abs(b))


def rank_with_ties(items: list, value: Callable[[Any], float], name: Callable[[Any], Any]) -> list:
    """``items`` best first, where values within ``TIE_RTOL`` of the first of a run of near-equal values count as
    equal and are ordered by ``name`` (so round-off cannot reorder tied candidates between runs)."""
    ordered = sorted(items, key=lambda it: -value(it))
    out: list = []
    group: list = []
    for it in ordered:
        if group and not tied(value(it), value(group[0])):
            out += sorted(group, key=name)
            group = []
        group.append(it)
    return out + sorted(group, key=name)
