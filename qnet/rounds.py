"""Multi-round purification schedules: a tree of two-pair steps, symmetric recurrence and entanglement pumping.

Every two-pair step is one :func:`qnet.purify` call, so each accepts the protocols of :data:`qnet.PROTOCOLS` and
``"auto"`` (the variant chosen per step and per row by :func:`qnet.choose_protocol`). :func:`recurrence` and
:func:`pumping` also take the circuits of more than two pairs of :data:`qnet.CIRCUITS` (one step each, such as
``"double_selection"``): a recurrence round then distils ``k`` outputs of the previous round, a pumping round
the pumped pair with ``k - 1`` fresh pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from . import _validation as _v
from .circuits import CIRCUITS, WIDE_CIRCUITS
from .noise import OperationNoise
from .purification import purify
from .results import Result
from .limits import MAX_ROUNDS
from ._arguments import resolve
from ._distil import DISTILLATION_OPTIONS, PROTOCOL_OPTIONS

__all__ = ["Step", "ScheduleResult", "purify_schedule", "recurrence", "pumping"]


@dataclass(frozen=True)
class Step:
    """One purification step of a schedule: ``kept`` and ``sacrificed`` are input states or sub-steps.

    A schedule is a binary tree: leaves are raw pairs (BDS arrays or density matrices, batched
    alike), inner nodes are :class:`Step` objects naming the protocol used there, so rounds may
    mix variants.

    Examples
    --------
    >>> import qnet
    >>> w = qnet.werner(0.8)
    >>> tree = qnet.Step(qnet.Step(w, w, "dejmps"), qnet.Step(w, w, "dejmps"), "dejmps")
    >>> qnet.purify_schedule(tree).pairs_in
    4
    """

    kept: Any
    sacrificed: Any
    protocol: str = "cnot"

    def __post_init__(self) -> None:
        _v.option(self.protocol, "protocol", PROTOCOL_OPTIONS)
        for name in ("kept", "sacrificed"):
            child = getattr(self, name)
            if not isinstance(child, Step):
                _v.state_like(child, name)


@dataclass(frozen=True, repr=False)
class ScheduleResult(Result):
    """Outcome of a multi-round purification schedule (arrays of the batch shape).

    Attributes
    ----------
    state : numpy.ndarray
        Output state, BDS ``batch + (4,)`` or density matrix ``batch + (4, 4)``, given success.
    p_success : numpy.ndarray
        Probability that one attempt with all ``pairs_in`` raw pairs present delivers a pair
        (the product of every step's success probability).
    raw_pairs : numpy.ndarray
        Expected number of raw pairs consumed per delivered pair when a failed step discards its
        two pairs and both are rebuilt from scratch: ``c(leaf) = 1``,
        ``c(step) = (c(kept) + c(sacrificed)) / p(step)``.
    pairs_in : int
        Raw pairs used by one attempt (number of leaves).
    steps : int
        Number of purification steps.
    """

    state: np.ndarray
    p_success: np.ndarray
    raw_pairs: np.ndarray
    pairs_in: int
    steps: int


ScheduleNode = Union[Step, Any]


def purify_schedule(
    schedule: ScheduleNode,
    *,
    noise: OperationNoise | None = None,
    gate_fidelity: Any = None,
    measurement_error: Any = None,
    form: str = "auto",
    rotate_back: bool = False,
) -> ScheduleResult:
    """Run a user-given tree of purification steps (see :class:`Step`).

    Every step uses the operation noise given here (``noise``, or its shortcut keywords, as in :func:`purify`).
    A bare state (no :class:`Step`) is a schedule with zero steps.

    Returns
    -------
    ScheduleResult
        Output state, overall success probability and expected raw pairs per delivered pair.

    Raises
    ------
    ValueError
        As :func:`purify`, for any step (a step that cannot succeed names its inputs).

    Examples
    --------
    >>> import qnet
    >>> w = qnet.werner(0.75)
    >>> r = qnet.purify_schedule(qnet.Step(w, w, "bbpssw"))
    >>> round(float(r.state[0]), 6), round(float(r.raw_pairs), 6)   # 2 / p with p = 13/18
    (0.788462, 2.769231)
    """

    noise = resolve(noise, gate_fidelity, measurement_error)

    # children before parents without recursion (any depth); a subtree used twice (Step(a, a)) is computed once
    done: dict[int, tuple] = {}
    stack: list = [(schedule, False)]
    while stack:
        node, expanded = stack.pop()
        if id(node) in done:
            continue
        if not isinstance(node, Step):
            done[id(node)] = (_v.state(node, "schedule leaf", form)[1], np.float64(1.0), np.float64(1.0), 1, 0)
        elif not expanded:
            stack += [(node, True), (node.sacrificed, False), (node.kept, False)]
        else:
            k_state, k_p, k_cost, k_n, k_s = done[id(node.kept)]
            s_state, s_p, s_cost, s_n, s_s = done[id(node.sacrificed)]
            out, p = purify(k_state, s_state, node.protocol, noise=noise, form=form, rotate_back=rotate_back)
            done[id(node)] = (out, k_p * s_p * p, (k_cost + s_cost) / p, k_n + s_n, k_s + s_s + 1)
    state, p, cost, n, steps = done[id(schedule)]
    return ScheduleResult(state, np.asarray(p, dtype=np.float64), np.asarray(cost, dtype=np.float64), n, steps)


def _round(name: str, kept: Any, other: Any, noise: OperationNoise, form: str, rotate_back: bool) -> tuple:
    """One round: ``(state, p, k)``, the kept pair purified with ``k - 1`` pairs in state ``other``."""
    if name in WIDE_CIRCUITS:
        c = CIRCUITS[name]
        out, p = c.apply(kept, *[other] * (c.arity - 1), noise=noise, form=form)
        return out, p, c.arity
    out, p = purify(kept, other, name, noise=noise, form=form, rotate_back=rotate_back)
    return out, p, 2


def _per_round(protocol: str | Sequence[str], rounds: int) -> list[str]:
    if isinstance(rounds, bool) or not isinstance(rounds, (int, np.integer)):
        raise TypeError(f"rounds must be an integer >= 1, got {type(rounds).__name__} {rounds!r}")
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1, got {rounds}")
    if rounds > MAX_ROUNDS:
        raise ValueError(f"rounds must be <= MAX_ROUNDS = {MAX_ROUNDS}, got {rounds}")
    if isinstance(protocol, str):
        _v.option(protocol, "protocol", DISTILLATION_OPTIONS)
        return [protocol] * int(rounds)
    if not isinstance(protocol, Sequence):
        raise TypeError(f"protocol must be a name from PROTOCOLS or 'auto', or a sequence of names (one per round), got "
                        f"{type(protocol).__name__} {protocol!r}")
    names = list(protocol)
    if len(names) != rounds:
        raise ValueError(f"protocol must be one name or one name per round ({rounds}), got {len(names)} names")
    for i, name in enumerate(names):
        _v.option(name, f"protocol[{i}]", DISTILLATION_OPTIONS)
    return names


def _check_totals(p_all: np.ndarray, cost: np.ndarray, k: int) -> None:
    """Raise once the success probability or the raw-pair cost of a schedule leaves the float64 range."""
    if np.any(p_all < np.finfo(np.float64).tiny) or not np.all(np.isfinite(cost)):
        raise ValueError(
            f"after {k} rounds the success probability of one attempt ({float(np.min(p_all)):.3g}) or the raw pairs "
            f"per delivered pair ({float(np.max(cost)):.3g}) leaves the float64 range; ask for fewer rounds"
        )


def recurrence(
    state: Any,
    rounds: int,
    protocol: str | Sequence[str] = "auto",
    *,
    noise: OperationNoise | None = None,
    gate_fidelity: Any = None,
    measurement_error: Any = None,
    form: str = "auto",
    rotate_back: bool = False,
) -> ScheduleResult:
    """Symmetric recurrence: ``2**rounds`` copies of ``state`` purified pairwise, round by round.

    Each round purifies two identical outputs of the previous round. ``protocol`` is one name or
    a sequence with one name per round (``"auto"``, the default, picks in each round the variant that gives
    the highest output fidelity, :func:`qnet.choose_protocol`). For non-identical inputs build the tree with
    :class:`Step` and use :func:`purify_schedule`.

    Returns
    -------
    ScheduleResult
        ``p_success = Π_k p_k^(2^(rounds-k))``; ``raw_pairs = c_n`` with ``c_0 = 1``,
        ``c_k = 2 c_(k-1) / p_k`` (``k`` in place of 2 for a round with a circuit of ``k`` pairs).

    Examples
    --------
    >>> import qnet
    >>> r = qnet.recurrence(qnet.werner(0.8), 3, "dejmps")
    >>> round(float(r.state[0]), 4), r.pairs_in
    (0.988, 8)
    """
    names = _per_round(protocol, rounds)
    noise = resolve(noise, gate_fidelity, measurement_error)
    _, cur = _v.state(state, "state", form)
    p_all = np.float64(1.0)
    cost = np.float64(1.0)
    pairs, steps = 1, 0
    for k, name in enumerate(names, start=1):
        cur, p, m = _round(name, cur, cur, noise, form, rotate_back)
        with np.errstate(over="ignore", under="ignore"):  # leaving the range is caught just below
            p_all = p_all**m * p
            cost = m * cost / p
        _check_totals(p_all, cost, k)
        pairs, steps = m * pairs, m * steps + 1
    return ScheduleResult(cur, np.asarray(p_all), np.asarray(cost), pairs, steps)


def pumping(
    state: Any,
    rounds: int,
    protocol: str | Sequence[str] = "auto",
    *,
    fresh: Any = None,
    noise: OperationNoise | None = None,
    gate_fidelity: Any = None,
    measurement_error: Any = None,
    form: str = "auto",
    rotate_back: bool = False,
) -> ScheduleResult:
    """Entanglement pumping: the pumped pair (kept) is purified with a fresh pair each round.

    Parameters
    ----------
    state : array_like
        The first pair (batched like :func:`purify`).
    rounds : int
        Number of pumping rounds (``rounds + 1`` raw pairs per attempt).
    protocol : str or sequence of str
        One name, or one per round: a name of :data:`qnet.PROTOCOLS`, or ``"auto"`` (default: the variant
        that gives the pumped pair the highest fidelity in each round, :func:`qnet.choose_protocol`), or a
        circuit of more than two pairs of :data:`qnet.CIRCUITS` (``"double_selection"``), which takes ``k - 1``
        fresh pairs per round.
    fresh : array_like, optional
        State of the fresh (sacrificed) pairs; defaults to ``state``.

    Returns
    -------
    ScheduleResult
        ``p_success = Π_k p_k``; ``raw_pairs = c_n`` with ``c_0 = 1``, ``c_k = (c_(k-1) + m_k - 1) / p_k`` for
        a round of ``m_k`` pairs (a failure loses the pumped pair, which is rebuilt from scratch).

    Examples
    --------
    >>> import qnet
    >>> r = qnet.pumping(qnet.werner(0.9), 2, "dejmps")
    >>> r.pairs_in, r.steps
    (3, 2)
    >>> qnet.pumping(qnet.werner(0.9), 2, "double_selection").pairs_in
    5
    """
    names = _per_round(protocol, rounds)
    noise = resolve(noise, gate_fidelity, measurement_error)
    _, cur = _v.state(state, "state", form)
    _, fr = _v.state(cur if fresh is None else fresh, "fresh", form)
    p_all = np.float64(1.0)
    cost = np.float64(1.0)
    pairs = 1
    for k, name in enumerate(names, start=1):
        cur, p, m = _round(name, cur, fr, noise, form, rotate_back)
        with np.errstate(over="ignore", under="ignore"):  # leaving the range is caught just below
            p_all = p_all * p
            cost = (cost + m - 1) / p
        _check_totals(p_all, cost, k)
        pairs += m - 1
    return ScheduleResult(cur, np.asarray(p_all), np.asarray(cost), pairs, len(names))
