"""Search for distillation circuits: which bilateral Clifford gates and checks make the best circuit of k pairs.

The searched circuits of ``k`` pairs apply ``depth`` two-pair gates, each a gate of ``gates`` on an ordered pair of
pairs, then measure every pair but the kept pair 0, each in a basis of ``bases``. Gates that act identically on
the pairs' Pauli errors (``XCZ`` on ``(a, b)`` is ``CNOT`` on ``(b, a)``; ``CZ`` is symmetric) are counted once.

For given Bell-diagonal inputs (one per pair, possibly different) and operation noise, every circuit's output is
exact: the joint distribution of the pairs' Pauli errors is pushed through the gates (each gate a permutation of
it, its noise a mixing over the two pairs it acts on) and the checks select the output. ``method="exhaustive"``
enumerates every circuit up to ``depth`` gates, all gate sequences of one length at once; ``"evolution"`` searches
circuits of exactly ``depth`` gates with scipy's differential evolution on integer variables (deterministic for a
seed), for spaces too large to enumerate.

Examples
--------
>>> import qnet
>>> lam = [0.85, 0.07, 0.05, 0.03]                    # Ψ− (a Y error) is the rarest error
>>> found = qnet.search_circuits([lam, lam], depth=1)
>>> best = found.best
>>> round(best.fidelity, 6), round(best.p_success, 4), found.tied  # DEJMPS, in two frames
(0.917089, 0.7888, 2)
>>> out, p = qnet.purify(lam, lam, "dejmps")
>>> round(float(out[0]), 6), round(float(p), 4)
(0.917089, 0.7888)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .. import _validation as _v
from .definition import Circuit
from ._frame import _PASSES, _PERM, circuit_noise
from .gates import GATES, MEASUREMENT_BASES
from ..measures import FigureOfMerit
from ..noise import OperationNoise
from ..results import Result
from ..limits import MAX_SEARCH_ENTRIES, MAX_SEARCH_PAIRS
from .._arguments import as_figure_of_merit

__all__ = ["search_circuits", "CircuitSearch", "SearchedCircuit", "CIRCUIT_SEARCH_METHODS", "SEARCH_GATES"]

#: How :func:`search_circuits` searches.
CIRCUIT_SEARCH_METHODS = ("auto", "exhaustive", "evolution")
#: The default gate set: every controlled-Pauli gate (``PCQ``; distinct up to the order of the pairs).
SEARCH_GATES: tuple[str, ...] = tuple(f"{p}C{q}" for p in "XYZ" for q in "XYZ")


@dataclass(frozen=True, repr=False)
class SearchedCircuit(Result):
    """One circuit found by :func:`search_circuits`, with its figures for the searched inputs."""

    circuit: Circuit
    value: float
    fidelity: float
    p_success: float
    gates: int


@dataclass(frozen=True, repr=False)
class CircuitSearch(Result):
    """The ranked circuits of a search, best first.

    Attributes
    ----------
    ranked : list of SearchedCircuit
        The ``top`` best circuits by the figure of merit (ties: fewer gates, then higher success probability).
    best : SearchedCircuit
        ``ranked[0]``.
    tied : int
        How many searched circuits reach the best value within 1e-12 (equivalent circuits, e.g. the same
        circuit in another frame, tie; the search reports them instead of choosing silently).
    evaluated : int
        Circuits whose figure of merit was computed.
    method, fom, depth, arity : the search's settings.
    """

    ranked: list[SearchedCircuit]
    tied: int
    evaluated: int
    method: str
    fom: str
    depth: int
    arity: int
    best: SearchedCircuit = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "best", self.ranked[0])


# ---------------------------------------------------------------- the search space
@dataclass(frozen=True)
class _Space:
    """Distinct gate placements on k pairs with their permutations of the joint error index, and the checks."""

    k: int
    items: list[tuple[str, int, int]]
    perms: np.ndarray  # (items, 4^k): error configuration c becomes perms[g, c]
    weights: np.ndarray  # (basis combos, 4^k): probability that every check passes, per configuration
    combos: list[tuple[str, ...]]


def _space(k: int, gates: tuple[str, ...], bases: tuple[str, ...], e: float) -> _Space:
    configs = np.arange(4**k)
    digits = [(configs >> (2 * (k - 1 - j))) & 3 for j in range(k)]  # pair j's error, pair 0 most significant
    items, perms, seen = [], [], set()
    for name in gates:
        pair_perm = _PERM[name]
        for a, b in itertools.permutations(range(k), 2):
            new = pair_perm[digits[a] * 4 + digits[b]]
            moved = list(digits)
            moved[a], moved[b] = new // 4, new % 4
            perm = sum(d << (2 * (k - 1 - j)) for j, d in enumerate(moved))
            key = perm.tobytes()
            if key not in seen:
                seen.add(key)
                items.append((name, a, b))
                perms.append(perm)
    combos = list(itertools.product(bases, repeat=k - 1))
    weights = np.ones((len(combos), 4**k))
    for i, combo in enumerate(combos):
        for j, basis in enumerate(combo, start=1):
            weights[i] *= np.where(_PASSES[basis][digits[j]], 1.0 - e, e)
    return _Space(k, items, np.array(perms), weights, combos)


def _gate(dist: np.ndarray, space: _Space, g: int, F: float) -> np.ndarray:
    """Distributions ``(..., 4^k)`` after gate placement ``g`` and its noise (the two pairs' errors made uniform with
    weight ``1 − F``)."""
    new = np.empty_like(dist)
    new[..., space.perms[g]] = dist
    if F < 1.0:
        _, a, b = space.items[g]
        shape = dist.shape[:-1] + (4,) * space.k
        marginal = new.reshape(shape).sum(axis=(dist.ndim - 1 + a, dist.ndim - 1 + b), keepdims=True) / 16.0
        new = F * new + (1.0 - F) * np.broadcast_to(marginal, shape).reshape(new.shape)
    return new


def _outputs(dist: np.ndarray, space: _Space) -> np.ndarray:
    """Unnormalised kept-pair states ``(..., combos, 4)`` of distributions ``(..., 4^k)`` for every basis combo."""
    kept = (np.arange(4**space.k) >> (2 * (space.k - 1))) & 3
    onehot = np.eye(4)[kept]  # (4^k, 4)
    return np.einsum("...c,mc,cs->...ms", dist, space.weights, onehot)


def _values(raw: np.ndarray, fom: FigureOfMerit, min_success: float) -> tuple[np.ndarray, ...]:
    """Figure of merit in its direction (``-inf`` below ``min_success``), fidelity and success probability."""
    p = raw.sum(axis=-1)
    ok = p > max(min_success, 0.0)
    out = raw / np.where(ok, p, 1.0)[..., None]
    out[~ok] = [1.0, 0.0, 0.0, 0.0]  # any valid state; these rows are ranked out below
    value = fom(out) * (p if fom.weighted else 1.0) * fom.sign
    return np.where(ok, value, -np.inf), out[..., 0], p


def _circuit(space: _Space, sequence: Sequence[int], combo: tuple[str, ...], name: str) -> Circuit:
    ops = [("gate",) + space.items[g] for g in sequence]
    return Circuit(ops + [("measure", j, b) for j, b in enumerate(combo, start=1)], name=name)


# ---------------------------------------------------------------- the public function
def search_circuits(
    pairs: Sequence[Any],
    *,
    noise: OperationNoise | None = None,
    noise_b: OperationNoise | None = None,
    fom: Any = "fidelity",
    depth: int = 3,
    gates: Sequence[str] = SEARCH_GATES,
    bases: Sequence[str] = MEASUREMENT_BASES,
    min_success: float = 0.0,
    method: str = "auto",
    top: int = 10,
    seed: Any = None,
    maxiter: int = 200,
) -> CircuitSearch:
    """The best distillation circuits of ``len(pairs)`` pairs for these inputs and this noise.

    Parameters
    ----------
    pairs : sequence of array_like
        One Bell-diagonal state ``(4,)`` per pair, the kept pair first (2 to :data:`qnet.limits.MAX_SEARCH_PAIRS`
        pairs).
    noise, noise_b : OperationNoise, optional
        Operation noise of node A (both nodes' unless ``noise_b`` is given); single numbers.
    fom : str or FigureOfMerit
        What to maximise (in the figure's direction); ``weighted=True`` multiplies it by the success probability.
    depth : int
        Gates per circuit: at most ``depth`` (exhaustive), exactly ``depth`` (evolution).
    gates : sequence of str
        Two-pair gates to place (names of :data:`qnet.GATES`).
    bases : sequence of str
        Measurement bases of the checks.
    min_success : float
        Circuits succeeding with probability at most this are not ranked.
    method : {"auto", "exhaustive", "evolution"}
        ``"auto"``: exhaustive when the space fits :data:`qnet.limits.MAX_SEARCH_ENTRIES`, else evolution.
    top : int
        How many circuits to return.
    seed : int, optional
        Seed of the evolution (the exhaustive search is deterministic).
    maxiter : int
        Generations of the evolution.

    Returns
    -------
    CircuitSearch

    Raises
    ------
    ValueError
        Bad inputs, an exhaustive search above :data:`qnet.limits.MAX_SEARCH_ENTRIES`, or no circuit above
        ``min_success``.

    Examples
    --------
    >>> import qnet
    >>> found = qnet.search_circuits([qnet.werner(0.8)] * 3, noise=qnet.OperationNoise(0.99, 0.01))
    >>> found.method, found.evaluated, found.best.gates
    ('exhaustive', 183951, 2)
    >>> round(found.best.fidelity, 6), round(found.best.p_success, 6)
    (0.876418, 0.551035)
    >>> out, p = found.best.circuit.apply(*[qnet.werner(0.8)] * 3, noise=qnet.OperationNoise(0.99, 0.01))
    >>> round(float(out[0]), 6)
    0.876418
    """
    states = _check_pairs(pairs)
    k = len(states)
    F, e = circuit_noise(noise, noise_b)
    fom = as_figure_of_merit(fom)
    depth = _v.integer(depth, "depth", 1, 12)
    gates = _names(gates, "gates", GATES)
    bases = _names(bases, "bases", MEASUREMENT_BASES)
    min_success = _v.scalar(_v.in_interval, min_success, "min_success", 0.0, 1.0, high_open=True)
    _v.option(method, "method", CIRCUIT_SEARCH_METHODS)
    top = _v.integer(top, "top", 1, 10**4)
    maxiter = _v.integer(maxiter, "maxiter", 1, 10**5)
    space = _space(k, gates, bases, e)
    joint = states[0]
    for lam in states[1:]:
        joint = np.multiply.outer(joint, lam).ravel()
    size = sum(len(space.items) ** d for d in range(1, depth + 1)) * 4**k
    if method == "auto":
        method = "exhaustive" if size <= MAX_SEARCH_ENTRIES else "evolution"
    if method == "exhaustive":
        if size > MAX_SEARCH_ENTRIES:
            raise ValueError(f"an exhaustive search of {k} pairs to depth {depth} holds {size:.3g} floats, above "
                             f"MAX_SEARCH_ENTRIES = {MAX_SEARCH_ENTRIES}; lower depth or use method='evolution'")
        found = _exhaustive(space, joint, F, depth, fom, min_success, top)
    else:
        found = _evolve(space, joint, F, depth, fom, min_success, top, _v.seed_int(seed), maxiter)
    ranked, tied, evaluated = found
    if not ranked:
        raise ValueError(f"no searched circuit succeeds with probability above min_success = {min_success}")
    return CircuitSearch(ranked, tied, evaluated, method, fom.name, depth, k)


def _check_pairs(pairs: Any) -> list[np.ndarray]:
    if isinstance(pairs, (str, bytes, np.ndarray)) or not isinstance(pairs, Sequence):
        raise TypeError(f"pairs must be a sequence of Bell-diagonal states, one per pair, got {type(pairs).__name__}")
    if not 2 <= len(pairs) <= MAX_SEARCH_PAIRS:
        raise ValueError(f"pairs must hold 2 to {MAX_SEARCH_PAIRS} states (MAX_SEARCH_PAIRS), got {len(pairs)}")
    states = [_v.bds(x, f"pairs[{i}]") for i, x in enumerate(pairs)]
    for i, lam in enumerate(states):
        if lam.shape != (4,):
            raise ValueError(f"pairs[{i}] must be one Bell-diagonal state of shape (4,), got shape {lam.shape}")
    return states


def _names(values: Any, name: str, allowed: Any) -> tuple[str, ...]:
    if isinstance(values, str) or not isinstance(values, Sequence) or not values:
        raise ValueError(f"{name} must be a non-empty sequence of names, got {values!r}")
    return tuple(dict.fromkeys(_v.option(x, name, allowed) for x in values))


def _rank(space: _Space, candidates: list[tuple[float, float, float, tuple, tuple]], top: int,
          best_value: float) -> tuple[list[SearchedCircuit], int]:
    """Sort ``(value, fidelity, p, sequence, combo)`` candidates (value in the figure's direction) and build the top
    circuits; the number of candidates within 1e-12 of the best."""
    candidates.sort(key=lambda c: (-c[0], len(c[3]), -c[2]))
    ranked = [SearchedCircuit(_circuit(space, seq, combo, f"searched_{i}"), float(v), float(f), float(p), len(seq))
              for i, (v, f, p, seq, combo) in enumerate(candidates[:top])]
    return ranked, sum(1 for c in candidates if c[0] >= best_value - 1e-12)


def _exhaustive(space: _Space, joint: np.ndarray, F: float, depth: int, fom: FigureOfMerit, min_success: float,
                top: int) -> tuple[list[SearchedCircuit], int, int]:
    G = len(space.items)
    dists = joint[None, :]
    sequences = np.zeros((1, 0), dtype=np.int64)
    candidates, values = [], []
    for level in range(1, depth + 1):
        dists = np.stack([_gate(dists, space, g, F) for g in range(G)], axis=1).reshape(-1, 4**space.k)
        sequences = np.concatenate([np.repeat(sequences, G, axis=0),
                                    np.tile(np.arange(G), len(sequences))[:, None]], axis=1)
        value, fid, p = _values(_outputs(dists, space), fom, min_success)
        flat = value.ravel()
        values.append(flat)
        pf = p.ravel()
        cut = -np.partition(-flat, min(top, flat.size - 1))[min(top, flat.size - 1)]
        near = np.flatnonzero(flat >= cut - 1e-12)  # the best of this length and all tied with them
        for i in near[np.lexsort((-pf[near], -flat[near]))][:top + 1]:  # ties: higher success probability
            if np.isfinite(flat[i]):
                s, m = divmod(int(i), len(space.combos))
                candidates.append((flat[i], fid.ravel()[i], p.ravel()[i], tuple(sequences[s]), space.combos[m]))
    every = np.concatenate(values)
    ranked, _ = _rank(space, candidates, top, float(every.max()))
    return ranked, int(np.sum(every >= every.max() - 1e-12)), every.size


def _evolve(space: _Space, joint: np.ndarray, F: float, depth: int, fom: FigureOfMerit, min_success: float,
            top: int, seed: int, maxiter: int) -> tuple[list[SearchedCircuit], int, int]:
    from scipy.optimize import differential_evolution

    G, M = len(space.items), len(space.combos)
    seen: dict[tuple, tuple[float, float, float]] = {}

    def evaluate(x: np.ndarray) -> float:
        key = tuple(int(v) for v in np.minimum(np.floor(x), [G - 1] * depth + [M - 1]))
        if key not in seen:
            dist = joint
            for g in key[:depth]:
                dist = _gate(dist, space, g, F)
            raw = _outputs(dist, space)[key[depth]]
            value, fid, p = _values(raw, fom, min_success)
            seen[key] = (float(value), float(fid), float(p))
        value = seen[key][0]
        return -value if np.isfinite(value) else 1e300

    bounds = [(0, G - 1)] * depth + [(0, M - 1)]
    differential_evolution(evaluate, bounds, integrality=[True] * (depth + 1), seed=seed, maxiter=maxiter,
                           polish=False, tol=0.0, updating="deferred")
    candidates = [(v, f, p, key[:depth], space.combos[key[depth]]) for key, (v, f, p) in seen.items()
                  if np.isfinite(v)]
    best = max((c[0] for c in candidates), default=-np.inf)
    ranked, tied = _rank(space, candidates, top, best)
    return ranked, tied, len(seen)
