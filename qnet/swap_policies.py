"""Optimal swap decisions in a repeater chain: the slot model of Iñesta, Vardoyan, Scavuzzo and Wehner (npj Quantum
Inf. 9, 46, 2023) solved exactly as a Markov decision process.

The model (physics.md §12): ``n`` nodes, one memory per side of each node, time in slots. In each slot

1. the policy chooses which nodes swap, all at once; each swap succeeds with ``p_swap``; a run of links joined by
   swapping nodes becomes one link only if all its swaps succeed (its age is the largest input age), otherwise all
   its links are lost;
2. links whose age has reached the cut-off are discarded;
3. every age grows by one;
4. every segment with both facing memories free attempts a link (success ``p_gen``, age 0).

The delivery time is the number of the slot in which an end-to-end link exists (after its swaps, or, for two
nodes, after its generation). Policies see every link and its age (global knowledge). The optimal policy
minimises the expected delivery time; policy iteration with exact linear solves finds it, and any policy
(``"swap_asap"``, ``"nested"``) is evaluated the same way.

Conventions against qnet's exact chain engine (Li et al.'s model): without cut-offs, the slot model's delivery
time is the chain engine's plus one (a swap happens in the slot after its last link); with cut-offs they differ,
since here only the link that reached the cut-off is discarded while Li et al. discard both inputs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _validation as _v
from .results import Result

__all__ = ["optimal_swap_policy", "SwapPolicyResult", "SWAP_POLICIES", "MAX_POLICY_STATES"]

#: Policies :meth:`SwapPolicyResult.mean_time_of` evaluates besides the optimal one.
SWAP_POLICIES: tuple[str, ...] = ("swap_asap", "nested")
#: Most states of the decision process (an upper bound is computed before anything is built).
MAX_POLICY_STATES = 200_000
#: Smallest success probability solved: the linear systems stay well conditioned (times below about 1e9 slots).
MIN_PROBABILITY = 1e-9

_DONE = -1  # the absorbing "delivered" state


def _state_bound(n: int, cutoff: int | None) -> int:
    """Upper bound on the number of states: sets of links over non-overlapping node intervals, each with an age."""
    w = 1 if cutoff is None else cutoff + 1
    g = [0] * n
    g[n - 1] = 1
    for i in range(n - 2, -1, -1):
        g[i] = g[i + 1] + sum(w * g[j] for j in range(i + 1, n))
    return g[0]


def _swappable(state: tuple) -> tuple[int, ...]:
    """Nodes holding two links (one on each side)."""
    ends = {b for _, b, _ in state}
    return tuple(a for a, _, _ in state if a in ends)


class _Model:
    """The slot model's transitions, built lazily and memoised: ``(state, action) -> [(probability, next)]``."""

    def __init__(self, n: int, p_gen: float, p_swap: float, cutoff: int | None):
        self.n, self.p_gen, self.p_swap, self.cutoff = n, p_gen, p_swap, cutoff
        self._generation: dict[tuple, list] = {}

    def transitions(self, state: tuple, action: frozenset) -> list[tuple[float, Any]]:
        n = self.n
        links = sorted(state)
        # 1. swaps: runs of links joined by swapping nodes
        runs: list[list[tuple]] = []
        for link in links:
            if runs and runs[-1][-1][1] == link[0] and link[0] in action:
                runs[-1].append(link)
            else:
                runs.append([link])
        outcomes: list[tuple[float, list]] = [(1.0, [])]
        for run in runs:
            k = len(run) - 1
            if k == 0:
                outcomes = [(p, kept + run) for p, kept in outcomes]
                continue
            ok = self.p_swap ** k
            merged = (run[0][0], run[-1][1], max(age for _, _, age in run))
            outcomes = [(p * ok, kept + [merged]) for p, kept in outcomes] + \
                [(p * (1.0 - ok), kept) for p, kept in outcomes if ok < 1.0]
        out: dict[Any, float] = {}
        for p, kept in outcomes:
            if p == 0.0:
                continue
            if any(a == 0 and b == n - 1 for a, b, _ in kept):
                out[_DONE] = out.get(_DONE, 0.0) + p
                continue
            # 2. cut-offs, 3. ageing
            aged = tuple((a, b, 0 if self.cutoff is None else age + 1) for a, b, age in kept
                         if self.cutoff is None or age < self.cutoff)
            # 4. generation on every segment with both facing memories free
            for q, nxt in self._generate(aged):
                done = any(a == 0 and b == n - 1 for a, b, _ in nxt)
                key = _DONE if done else nxt
                out[key] = out.get(key, 0.0) + p * q
        return [(p, nxt) for nxt, p in out.items()]

    def _generate(self, state: tuple) -> list[tuple[float, tuple]]:
        if state not in self._generation:
            right = {a for a, _, _ in state}
            left = {b for _, b, _ in state}
            free = [i for i in range(self.n - 1) if i not in right and i + 1 not in left]
            res = []
            for made in itertools.product((False, True), repeat=len(free)):
                q = 1.0
                for m in made:
                    q *= self.p_gen if m else 1.0 - self.p_gen
                if q == 0.0:
                    continue
                new = tuple(sorted(state + tuple((i, i + 1, 0) for i, m in zip(free, made) if m)))
                res.append((q, new))
            self._generation[state] = res
        return self._generation[state]


def _actions(state: tuple) -> list[frozenset]:
    nodes = _swappable(state)
    return [frozenset(c) for r in range(len(nodes) + 1) for c in itertools.combinations(nodes, r)]


def _rule(name: str, n: int):
    """A fixed policy as a function of the state: every swappable node swaps (``swap_asap``); or, in the state where
    every elementary link exists, only the first nesting level's nodes (odd nodes) swap, otherwise as swap-asap
    (``nested``)."""
    if name == "swap_asap":
        return lambda state: frozenset(_swappable(state))
    elementary = {(i, i + 1) for i in range(n - 1)}

    def nested(state: tuple) -> frozenset:
        if {(a, b) for a, b, _ in state} == elementary:
            return frozenset(x for x in _swappable(state) if x % 2 == 1)
        return frozenset(_swappable(state))

    return nested


@dataclass(frozen=True, repr=False)
class SwapPolicyResult(Result):
    """Result of :func:`optimal_swap_policy`.

    Attributes
    ----------
    mean_time : float
        The optimal expected delivery time, in slots.
    policy : dict
        The optimal decision per state: ``{state: nodes that swap}``, a state being a tuple of links
        ``(first node, last node, age)`` (ages 0 without a cut-off); states where no node can swap are left out.
    n_nodes, p_gen, p_swap, cutoff
        The problem.
    n_states : int
        Number of states of the decision process (reachable from the empty chain).
    policy_times : dict
        Expected delivery time (slots) of every policy of :data:`SWAP_POLICIES`.
    """

    mean_time: float
    policy: dict
    n_nodes: int
    p_gen: float
    p_swap: float
    cutoff: int | None
    n_states: int
    policy_times: dict = field(default_factory=dict)

    def mean_time_of(self, policy: str) -> float:
        """Expected delivery time (slots) of a named policy of :data:`SWAP_POLICIES`, exactly.

        Examples
        --------
        >>> import qnet
        >>> r = qnet.optimal_swap_policy(3, 0.5, 1.0, None)
        >>> r.mean_time_of("swap_asap") == r.mean_time   # three nodes: swapping at once is optimal
        True
        """
        _v.option(policy, "policy", SWAP_POLICIES)
        return self.policy_times[policy]


def _evaluate(states: list, index: dict, trans: dict, choice: list) -> np.ndarray:
    """Expected slots to delivery from every state under the decisions ``choice`` (exact sparse solve)."""
    from scipy.sparse import csr_matrix, identity
    from scipy.sparse.linalg import spsolve

    rows, cols, vals = [], [], []
    for i, s in enumerate(states):
        for p, nxt in trans[(s, choice[i])]:
            if nxt != _DONE:
                rows.append(i)
                cols.append(index[nxt])
                vals.append(p)
    m = len(states)
    P = csr_matrix((vals, (rows, cols)), shape=(m, m))
    return np.atleast_1d(spsolve((identity(m, format="csr") - P).tocsc(), np.ones(m)))


def optimal_swap_policy(n_nodes: int, p_gen: float, p_swap: float, cutoff: int | None) -> SwapPolicyResult:
    """The swap policy that minimises the expected delivery time of a homogeneous chain, solved exactly.

    Parameters
    ----------
    n_nodes : int
        Nodes of the chain (``n_nodes - 1`` segments), at least 2.
    p_gen, p_swap : float
        Link success probability per slot and swap success probability, in (0, 1].
    cutoff : int or None
        Links whose age reaches ``cutoff`` slots are discarded (``None``: never).

    Returns
    -------
    SwapPolicyResult
        ``.mean_time`` (slots), ``.policy`` (state -> nodes that swap), ``.mean_time_of("swap_asap")`` and
        ``.mean_time_of("nested")``.

    Raises
    ------
    ValueError
        Parameters out of range, or a state space larger than :data:`MAX_POLICY_STATES` (the bound is computed
        before anything is built, and named in the message).

    Examples
    --------
    >>> import qnet
    >>> r = qnet.optimal_swap_policy(2, 0.25, 1.0, None)
    >>> r.mean_time                  # one segment: a geometric number of slots
    4.0
    >>> r = qnet.optimal_swap_policy(4, 0.5, 0.8, 3)
    >>> r.mean_time <= r.mean_time_of("swap_asap")
    True
    """
    n = _v.integer(n_nodes, "n_nodes", 2, 64)
    p_gen = _v.scalar(_v.probability, p_gen, "p_gen", zero_ok=False)
    p_swap = _v.scalar(_v.probability, p_swap, "p_swap", zero_ok=False)
    for name, value in (("p_gen", p_gen), ("p_swap", p_swap)):
        if value < MIN_PROBABILITY:
            raise ValueError(f"{name} must be >= MIN_PROBABILITY = {MIN_PROBABILITY:g} for an exact solve (the expected "
                             f"time grows as 1/{name}), got {value!r}")
    if cutoff is not None:
        cutoff = _v.integer(cutoff, "cutoff", 1, 10**6)
    bound = _state_bound(n, cutoff)
    if bound > MAX_POLICY_STATES:
        raise ValueError(f"{n} nodes with cutoff={cutoff} can reach up to {bound} states, more than "
                         f"MAX_POLICY_STATES = {MAX_POLICY_STATES}; use fewer nodes or a shorter cut-off")
    model = _Model(n, p_gen, p_swap, cutoff)
    # every state reachable from the empty chain under any decisions, and every transition
    states: list = []
    index: dict = {}
    trans: dict = {}
    frontier = [()]
    index[()] = 0
    states.append(())
    while frontier:
        s = frontier.pop()
        for a in _actions(s):
            t = model.transitions(s, a)
            trans[(s, a)] = t
            for _, nxt in t:
                if nxt != _DONE and nxt not in index:
                    index[nxt] = len(states)
                    states.append(nxt)
                    frontier.append(nxt)
    times = {}
    for name in SWAP_POLICIES:
        rule = _rule(name, n)
        times[name] = float(_evaluate(states, index, trans, [rule(s) for s in states])[0])
    # policy iteration from swap-asap: exact evaluation, then the best decision per state, until stable
    choice = [_rule("swap_asap", n)(s) for s in states]
    for _ in range(1000):
        V = _evaluate(states, index, trans, choice)
        changed = False
        for i, s in enumerate(states):
            best, best_value = choice[i], None
            for a in _actions(s):
                value = sum(p * V[index[nxt]] for p, nxt in trans[(s, a)] if nxt != _DONE)
                if best_value is None or value < best_value - 1e-12 * max(1.0, abs(best_value)):
                    best, best_value = a, value
            current = sum(p * V[index[nxt]] for p, nxt in trans[(s, choice[i])] if nxt != _DONE)
            if best != choice[i] and best_value < current - 1e-12 * max(1.0, abs(current)):
                choice[i] = best
                changed = True
        if not changed:
            break
    V = _evaluate(states, index, trans, choice)
    policy = {s: tuple(sorted(choice[i])) for i, s in enumerate(states) if _swappable(s)}
    return SwapPolicyResult(float(V[0]), policy, n, p_gen, p_swap, cutoff, len(states), times)
