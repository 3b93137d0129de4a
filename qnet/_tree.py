"""Engine tier of protocol trees (shared by every module, not part of the public API).

A schedule's tree is nested tuples: ``("link", i)`` for elementary link ``i``, ``("swap", left, right, slot)`` and
``("distill", input, ..., slot)``. Every engine walks it with these functions (iteratively, so any depth
works); nested levels are validated here before :class:`qnet.Schedule` or an engine builds a tree from them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .circuits import DISTILL_CIRCUITS
from .limits import MAX_LEVELS, MAX_SWAP_LEVELS


#: Steps of a nested level.
OPERATIONS: tuple[str, ...] = ("swap", "distill")


def span(node: tuple) -> tuple[int, int]:
    """(first segment, number of segments) of a subtree of :attr:`Schedule.root`: its leftmost and
    rightmost links, found by walking down (no recursion, whatever the depth)."""
    left = right = node
    while left[0] != "link":
        left = left[1]
    while right[0] != "link":
        right = right[-2]
    return left[1], right[1] - left[1] + 1


def children(node: tuple) -> tuple:
    """The inputs of a tree node: none for a link, one for a distillation, two for a swap."""
    return () if node[0] == "link" else node[1:-1]


def postorder(root: tuple):
    """Every node of a tree, children before parents (left before right), each distinct subtree object once per
    occurrence; iterative, so any depth works."""
    stack: list = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded or node[0] == "link":
            yield node
            continue
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(children(node)))


def validate_levels(levels: Any, name: str = "schedule") -> tuple[str, ...]:
    """The levels of a nested schedule as a tuple of ``"swap"``, ``"distill"`` or circuit names (errors
    name ``name``)."""
    if isinstance(levels, str) or not isinstance(levels, Sequence):
        raise TypeError(
            f"{name} must be a tuple of steps from {OPERATIONS}, e.g. ('distill', 'swap'), or a qnet.Schedule, "
            f"got {levels!r}"
        )
    if len(levels) > MAX_LEVELS:
        raise ValueError(f"{name} has {len(levels)} levels; at most MAX_LEVELS = {MAX_LEVELS} are allowed")
    if sum(1 for step in levels if step == "swap") > MAX_SWAP_LEVELS:
        raise ValueError(f"{name} has more than MAX_SWAP_LEVELS = {MAX_SWAP_LEVELS} swap levels "
                         f"(2**{MAX_SWAP_LEVELS} segments)")
    for i, step in enumerate(levels):
        if not isinstance(step, str) or step not in OPERATIONS + DISTILL_CIRCUITS:
            raise ValueError(f"unknown schedule step {step!r} at level {i}; valid steps are "
                             f"{', '.join(map(repr, OPERATIONS))} or a distillation circuit "
                             f"({', '.join(map(repr, DISTILL_CIRCUITS))})")
    return tuple(levels)


def nested_segments(levels: tuple[str, ...], n: int | None, name: str = "the chain") -> int:
    """Number of segments of nested ``levels``: ``2**(swap levels)``, or ``n`` when it needs exactly that many
    swap levels (``ceil(log2 n)``); ``name`` says where ``n`` came from."""
    n_swap = levels.count("swap")
    if n is None:
        return 2**n_swap
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise TypeError(f"the number of segments ({name}) must be an integer >= 1, got {type(n).__name__} {n!r}")
    n = int(n)
    need = 0 if n == 1 else math.ceil(math.log2(n))
    if need != n_swap:
        raise ValueError(
            f"a chain of {n} segments needs {need} swap level(s) (ceil(log2 n)), but schedule {levels} has "
            f"{n_swap} (the segments are counted from {name})"
        )
    return n


def link_copies(root: tuple, arity: Callable[[tuple], int]) -> int:
    """Most copies of one elementary link a delivery of ``root`` holds at once: the largest product, over the paths
    from ``root`` to a link, of ``arity(node)`` for each distillation on it (iterative)."""
    k: dict[int, int] = {}
    for node in postorder(root):
        own = arity(node) if node[0] == "distill" else 1
        k[id(node)] = own * max((k[id(c)] for c in children(node)), default=1)
    return k[id(root)]
