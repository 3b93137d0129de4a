"""Protocol search: the best repeater schedule for a chain, by exhaustive enumeration or a heuristic optimizer.

Every candidate is a :class:`qnet.Schedule` evaluated exactly (:meth:`qnet.RepeaterChain.delivery`). Schedules that
differ only in the order of tokens on disjoint links are one tree, so the enumeration walks trees, not token
sequences: every way to bracket the segments into swaps, with ``0 .. max_rounds`` distillation rounds on every
link that exists at some point (elementary links, swap outputs and the end-to-end pair).

Figures of merit (:data:`OBJECTIVES`), all per time step of one link attempt:

* ``"key_rate"``: BB84 key fraction of the *average* delivered state per mean delivery time (Li et al.'s and La
  Corte et al.'s convention, :attr:`qnet.ChainDelivery.key_rate`);
* ``"key_rate_per_pair"``: the average of the pairs' own key fractions per mean delivery time
  (:attr:`qnet.ChainDelivery.key_rate_per_pair`, never smaller);
* ``"rate_at_fidelity"``: ``1 / mean_time`` when the mean delivered fidelity reaches ``fidelity_threshold``, else 0.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _validation as _v
from .chains import ChainDelivery, RepeaterChain
from ._ranking import rank_with_ties, tied
from .errors import NeverDeliversError, TruncationError
from .results import Result
from .schedules import Schedule
from .limits import MAX_ENUMERATED, MAX_SEARCH_SECONDS

__all__ = ["OBJECTIVES", "SEARCH_METHODS", "ScheduleSearch", "search_schedules"]

#: Figures of merit of :func:`search_schedules`.
OBJECTIVES = ("key_rate", "key_rate_per_pair", "rate_at_fidelity")
#: Search methods: every tree, or differential evolution over a random-key encoding.
SEARCH_METHODS = ("exhaustive", "heuristic")


class _OverBudget(Exception):
    """A search priced above its time budget (not a ValueError inside the objective, which scipy would wrap)."""


#: Candidates timed before the whole search is priced.
_PRICE_SAMPLE = 3
#: Evaluations one ``optimize_cutoff`` of a joint search costs at most (32-point scan, golden section, spare).
_CUTOFF_EVALUATIONS = 64


@dataclass(frozen=True, repr=False)
class ScheduleSearch(Result):
    """Result of :func:`search_schedules`.

    Attributes
    ----------
    best : Schedule
        The best schedule found.
    value : float
        Its figure of merit (per link-attempt step).
    delivery : ChainDelivery
        Its exact delivery distribution.
    ranking : tuple of (tuple of str, float)
        The evaluated schedules (as tokens) with their values, best first (the ``top`` best).
    table : tuple of (tuple of str, float, float, float)
        The same schedules with their value, mean delivery time (steps) and mean delivered fidelity (NaN where a
        schedule scored 0 without a delivery).
    objective, method : str
        What was maximized, and how.
    n_evaluated : int
        Number of distinct schedules evaluated.
    cutoff : tuple
        The best schedule's cut-off per token (optimized with it when ``joint_cutoff > 0``).
    ties : tuple of tuple of str
        Every schedule of the ranking whose value is within ``TIE_RTOL`` (1e-12, relative) of the best, the best
        first: more than one means the best is a tie, not a winner (ranking: values within ``TIE_RTOL`` of each
        other count as equal and are ordered by their tokens).
    """

    best: Schedule
    value: float
    delivery: ChainDelivery
    ranking: tuple
    objective: str
    method: str
    n_evaluated: int
    cutoff: tuple = ()
    table: tuple = ()
    ties: tuple = ()


def _brackets(first: int, width: int):
    """Every binary tree of swaps over segments ``first .. first + width - 1``."""
    if width == 1:
        yield ("link", first)
        return
    for wa in range(1, width):
        for left in _brackets(first, wa):
            for right in _brackets(first + wa, width - wa):
                yield ("swap", left, right)


def _distilled(node: tuple, max_rounds: int):
    """Every way to add ``0 .. max_rounds`` distillation rounds on each link of the tree ``node``."""
    if node[0] == "link":
        inner = [node]
    else:
        inner = [("swap", a, b) for a in _distilled(node[1], max_rounds) for b in _distilled(node[2], max_rounds)]
    for tree in inner:
        for k in range(max_rounds + 1):
            out = tree
            for _ in range(k):
                out = ("distill", out)
            yield out


def _count(n_segments: int, max_rounds: int) -> int:
    """Number of trees the enumeration visits (Catalan brackets times rounds on each of their 2n - 1 links)."""
    return math.comb(2 * (n_segments - 1), n_segments - 1) // n_segments * (max_rounds + 1) ** (2 * n_segments - 1)


def _decode(x: np.ndarray, n_segments: int, max_rounds: int) -> tuple:
    """A tree from a point of the heuristic's box: ``n - 1`` random keys order the swaps ``s_i`` (their argsort),
    then one integer per link counts its distillation rounds: the ``n`` elementary links, then the ``n - 1`` swap
    outputs in swap order."""
    n_swaps = n_segments - 1
    order = np.argsort(x[:n_swaps], kind="stable")
    rounds = [min(max_rounds, max(0, int(round(v)))) for v in x[n_swaps:]]
    links = {i: _rounds(("link", i), rounds[i]) for i in range(n_segments)}
    for k, i in enumerate(order):
        # address i disappears only through its own swap, and address n - 1 never does: both links exist
        j = min(j for j in links if j > i)
        links[j] = _rounds(("swap", links.pop(i), links[j]), rounds[n_segments + k])
    (root,) = links.values()
    return root


def _rounds(node: tuple, k: int) -> tuple:
    for _ in range(k):
        node = ("distill", node)
    return node


def search_schedules(
    chain: RepeaterChain,
    *,
    objective: str = "key_rate",
    fidelity_threshold: float | None = None,
    method: str = "exhaustive",
    max_rounds: int = 1,
    t_trunc: int = 4000,
    tol: float = 1e-4,
    seed: Any = 0,
    maxiter: int = 30,
    top: int = 10,
    joint_cutoff: int = 0,
    max_seconds: float = MAX_SEARCH_SECONDS,
) -> ScheduleSearch:
    """The schedule that maximizes a figure of merit on ``chain``'s links, memories, operations and cut-off.

    Parameters
    ----------
    chain : RepeaterChain
        The chain whose segments, memories, swap probability, purification protocol, noise and cut-off (one value
        for every operation, or none) every candidate shares; its own schedule only fixes the number of nodes.
    objective : {"key_rate", "key_rate_per_pair", "rate_at_fidelity"}
        See the module docstring (:data:`OBJECTIVES`).
    fidelity_threshold : float, optional
        For ``"rate_at_fidelity"``: the mean delivered fidelity required, in [0, 1].
    method : {"exhaustive", "heuristic"}
        Every tree (at most :data:`qnet.limits.MAX_ENUMERATED`), or ``scipy.optimize.differential_evolution`` over a
        random-key encoding of the swap order and integer rounds per link (deterministic for a given ``seed``).
    max_rounds : int
        Most distillation rounds on one link, in [0, 3].
    t_trunc, tol : int, float
        Window of every exact evaluation; a candidate whose window misses more than ``tol`` scores 0.
    seed, maxiter : int
        Seed and iteration budget of the heuristic.
    top : int
        How many schedules the ranking keeps.
    joint_cutoff : int
        Optimize schedule and cut-off jointly: the best ``joint_cutoff`` schedules found with the chain's cut-off
        each get their best single cut-off (of the chain's ``cut_type``, by :meth:`RepeaterChain.optimize_cutoff`
        with this ``seed`` and ``maxiter``), and the best pair wins. 0 keeps the chain's cut-off.
    max_seconds : float
        Time budget (> 0). The first candidates are timed and the whole search priced from them (every schedule of
        an exhaustive search; population x (maxiter + 1) candidates of the heuristic; 64 evaluations per joint
        cut-off); a search priced above the budget raises ``ValueError`` with the estimate before it goes on, and
        one whose candidates exceed the budget while it runs stops with ``ValueError`` too.

    Returns
    -------
    ScheduleSearch

    Examples
    --------
    >>> import qnet
    >>> chain = qnet.RepeaterChain.werner(("swap",), 0.5, 0.9, 0.95, 500.0)
    >>> res = qnet.search_schedules(chain, objective="rate_at_fidelity", fidelity_threshold=0.94, t_trunc=500)
    >>> res.n_evaluated, res.best.tokens, round(res.value, 4)
    (8, ('d0', 'd1', 's0'), 0.2419)
    """
    if not isinstance(chain, RepeaterChain):
        raise TypeError(f"chain must be a qnet.RepeaterChain, got {type(chain).__name__}")
    _v.option(objective, "objective", OBJECTIVES)
    _v.option(method, "method", SEARCH_METHODS)
    if (objective == "rate_at_fidelity") != (fidelity_threshold is not None):
        raise ValueError("fidelity_threshold is needed by objective='rate_at_fidelity', and only by it")
    threshold = None if fidelity_threshold is None else _v.scalar(_v.probability, fidelity_threshold,
                                                                  "fidelity_threshold")
    max_rounds = _v.integer(max_rounds, "max_rounds", 0, 3)
    T = _v.t_trunc(t_trunc)
    tol = _v.scalar(_v.in_interval, tol, "tol", 0.0, 1.0, low_open=True)
    top = _v.integer(top, "top", 1, MAX_ENUMERATED)
    seed = _v.seed_int(seed)
    maxiter = _v.integer(maxiter, "maxiter", 1, 10**6)
    joint_cutoff = _v.integer(joint_cutoff, "joint_cutoff", 0, MAX_ENUMERATED)
    max_seconds = _v.scalar(_v.positive, max_seconds, "max_seconds")
    if len(set(chain.cutoff)) > 1:
        raise ValueError(f"the chain's cut-off {chain.cutoff} differs between slots; a searched schedule has other "
                         "slots, so give one cut-off for every operation (or none)")
    n = chain.n_segments
    # every candidate keeps a summary (value, mean time, mean fidelity, delivered), never its distribution: the
    # memory of a search does not grow with the number of candidates times the window
    cache: dict = {}
    size = _count(n, max_rounds) if method == "exhaustive" else _heuristic_size(n, max_rounds, maxiter)
    planned = min(size, MAX_ENUMERATED) + joint_cutoff * _CUTOFF_EVALUATIONS
    elapsed = 0.0  # seconds spent on the candidates evaluated so far

    def price() -> None:
        each = elapsed / len(cache)
        if planned * each > max_seconds:
            raise _OverBudget(
                f"this search would evaluate about {planned} schedules at {each:.3g} s each (timed on the first "
                f"{len(cache)}), about {planned * each:.3g} s, more than max_seconds={max_seconds:g}; give a larger "
                f"max_seconds, or a shorter t_trunc, fewer max_rounds, method='heuristic' or a smaller maxiter")

    def score(root: tuple) -> float:
        nonlocal elapsed
        schedule = Schedule.from_tree(root)
        if schedule not in cache:
            start = time.perf_counter()
            candidate = chain.with_schedule(schedule)
            try:
                r = candidate.delivery(T, tol=None)
            except (NeverDeliversError, TruncationError):
                cache[schedule] = (0.0, math.nan, math.nan, False)
            else:
                cache[schedule] = (_value(r, objective, threshold) if r.truncation_error <= tol else 0.0,
                                   r.mean_time, r.mean_fidelity, True)
            elapsed += time.perf_counter() - start
            if len(cache) == min(_PRICE_SAMPLE, size):
                price()
            elif len(cache) > _PRICE_SAMPLE and elapsed > max_seconds:  # later candidates slower than the first
                raise _OverBudget(
                    f"this search has spent {elapsed:.3g} s on {len(cache)} of about {planned} schedules, more than "
                    f"max_seconds={max_seconds:g} (its first {_PRICE_SAMPLE} candidates priced it within); give a "
                    f"larger max_seconds, or a shorter t_trunc, fewer max_rounds or method='heuristic'")
        return cache[schedule][0]

    try:
        if method == "exhaustive":
            if size > MAX_ENUMERATED:
                raise ValueError(f"{n} segments with up to {max_rounds} rounds per link make {size} schedules, more "
                                 f"than MAX_ENUMERATED = {MAX_ENUMERATED}; use method='heuristic' or fewer rounds")
            for bracket in _brackets(0, n):
                for root in _distilled(bracket, max_rounds):
                    score(root)
        else:
            _heuristic(score, n, max_rounds, seed, maxiter)
    except _OverBudget as exc:  # raised in the objective, which scipy would wrap as a RuntimeError
        raise ValueError(str(exc)) from None
    ranked = rank_with_ties(list(cache.items()), lambda kv: kv[1][0], lambda kv: kv[0].tokens)
    best, (value, _, _, delivered) = ranked[0]
    if not delivered or value <= 0.0:
        raise NeverDeliversError(f"no schedule among the {len(cache)} evaluated delivers with a positive {objective} "
                                 f"within t_trunc={T} (tol={tol:g})")
    delivery = chain.with_schedule(best).delivery(T, tol=None)  # the winner's distribution, computed again
    cutoff = delivery.cutoff
    for schedule, _ in ranked[:joint_cutoff]:
        try:
            opt = chain.with_schedule(schedule).optimize_cutoff(
                cut_type=chain.cut_type, t_trunc=T, tol=tol, seed=seed, maxiter=maxiter,
                objective=lambda r: _value(r, objective, threshold))
        except NeverDeliversError:
            continue
        if opt.value > value:
            best, value, delivery, cutoff = schedule, opt.value, opt.delivery, opt.cutoff
    table = tuple((s.tokens, v, mean_time, mean_fidelity) for s, (v, mean_time, mean_fidelity, _) in ranked[:top])
    ties = tuple(s.tokens for s, (v, *_) in ranked[:top] if tied(v, ranked[0][1][0])) if best == ranked[0][0] \
        else (best.tokens,)
    return ScheduleSearch(best, value, delivery, tuple(row[:2] for row in table), objective, method, len(cache), cutoff,
                          table, ties)


def _value(r: ChainDelivery, objective: str, threshold: float | None) -> float:
    if objective == "key_rate":
        return r.key_rate
    if objective == "key_rate_per_pair":
        return r.key_rate_per_pair
    return 1.0 / r.mean_time if r.mean_fidelity >= threshold else 0.0


def _heuristic_size(n: int, max_rounds: int, maxiter: int) -> int:
    """Most candidates :func:`_heuristic` evaluates: scipy's population (15 per parameter) per generation."""
    if max_rounds == 0 and n == 1:
        return 1
    return 15 * ((n - 1) + (2 * n - 1)) * (maxiter + 1)


def _heuristic(score, n: int, max_rounds: int, seed: int, maxiter: int) -> None:
    """Differential evolution over the random-key encoding of :func:`_decode` (every candidate lands in ``score``'s
    cache)."""
    from scipy.optimize import differential_evolution

    keys, links = n - 1, 2 * n - 1
    bounds = [(0.0, 1.0)] * keys + [(0, max_rounds)] * links
    integrality = [False] * keys + [True] * links
    if max_rounds == 0 and keys == 0:  # a single segment without distillation: one schedule
        score(("link", 0))
        return
    differential_evolution(lambda x: -score(_decode(x, n, max_rounds)), bounds, seed=seed, maxiter=maxiter,
                           polish=False, tol=1e-8, integrality=integrality, updating="immediate")
