"""Swap rules on the links of a linear chain (engine tier, shared by the swap-policy optimizer of
:mod:`qnet.swap_policies` and the network simulator's swap control, not part of the public API).

A configuration is a sorted tuple of links ``(first node, last node, age)``; a rule maps it to the set of nodes
that swap now.
"""

from __future__ import annotations

from typing import Any


def swappable(state: tuple) -> tuple[int, ...]:
    """Nodes holding two links (one on each side)."""
    ends = {b for _, b, _ in state}
    return tuple(a for a, _, _ in state if a in ends)


def swap_runs(links: Any, action: Any) -> list[list]:
    """The links in runs joined by the swapping nodes of ``action`` (each run becomes one link if all its swaps
    succeed); ``links`` are sequences ``(first node, last node, ...)`` sorted by first node. Links nested inside
    another (regenerated between swapped nodes) do not interrupt a run around them."""
    starting = {link[0]: link for link in links}
    ending = {link[1] for link in links}
    runs = []
    for link in links:
        if link[0] in action and link[0] in ending:
            continue  # continues a run that starts further left
        run = [link]
        while run[-1][1] in action and run[-1][1] in starting:
            run.append(starting[run[-1][1]])
        runs.append(run)
    return runs


def fixed_rule(name: str, n: int):
    """A fixed policy as a function of the state: every swappable node swaps (``swap_asap``); or, in the state where
    every elementary link exists, only the first nesting level's nodes (odd nodes) swap, otherwise as swap-asap
    (``nested``). Engine tier."""
    if name == "swap_asap":
        return lambda state: frozenset(swappable(state))
    elementary = {(i, i + 1) for i in range(n - 1)}

    def nested(state: tuple) -> frozenset:
        if {(a, b) for a, b, _ in state} == elementary:
            return frozenset(x for x in swappable(state) if x % 2 == 1)
        return frozenset(swappable(state))

    return nested
