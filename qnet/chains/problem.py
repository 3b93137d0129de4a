"""The repeater-chain problem object :class:`RepeaterChain`, its flattened tree :class:`ChainTree`, and the
function tier (:func:`chain_delivery`, :func:`optimize_cutoff`, and the Monte Carlo's :func:`simulate_chain`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .. import _validation as _v
from .._kernels import codes, lazy
from ..noise import OperationNoise
from ..results import MonteCarloResult
from ..schedules import Schedule
from ._exact import _deliver
from ._model import (CUT_TYPES, _bds_model, _cutoffs, _Model, _segments, _werner_model, _with_schedule,
                     validate_schedule)
from ._optimize import optimize
from .results import ChainDelivery, CutoffOptimum
from ..limits import MAX_LINKS_PER_DELIVERY
from .._bell import bds_from_wht
from .._distil import distill_terms

_mc = lazy("montecarlo")

__all__ = ["RepeaterChain", "ChainTree", "chain_delivery", "optimize_cutoff", "simulate_chain"]


@_v.keyword_options("cutoff", "cut_type", "t_trunc")
def chain_delivery(
    schedule: Sequence[str],
    p_gen: Any,
    p_swap: float,
    w0: Any = None,
    t_coh: float | None = None,
    *,
    cutoff: Any = None,
    cut_type: str = "memory_time",
    t_trunc: int = 1000,
    link_state: Any = None,
    memory: Any = None,
    protocol: str | None = None,
    twirl: bool | None = None,
    noise: OperationNoise | None = None,
    tol: float | None = 1e-6,
) -> ChainDelivery:
    """Exact delivery-time distribution and delivered states of a nested repeater chain.

    The function tier of :meth:`RepeaterChain.delivery`. Two models, one function: the Werner model of
    Li, Coopmans & Elkouss (``w0`` and ``t_coh``: Werner links, depolarizing memories, BBPSSW with a
    Werner output, ideal operations) or the general one (``link_state=`` and ``memory=``: Bell-diagonal
    links, Pauli memories per node, any purification ``protocol``, ``twirl`` and operation ``noise``).

    Parameters
    ----------
    schedule : Schedule or tuple of str
        A :class:`qnet.Schedule` (any order of swaps and distillations, e.g.
        ``qnet.Schedule.from_sequence(("s0", "s2", "s1"), n_nodes=5)``), or nested levels from the
        elementary links upwards, each ``"swap"`` or ``"distill"``: ``("swap", "swap")`` is
        swap-as-soon-as-possible on 4 segments, ``("distill", "swap")`` distils each segment once and
        then swaps, ``()`` is a single link.
    p_gen : float or array_like
        Link success probability per attempt, in (0, 1]; one value, or one per segment
        (asymmetric chain; ``ceil(log2 n)`` swap levels for ``n`` segments).
    p_swap : float
        Swap success probability in (0, 1].
    w0 : float or array_like, optional
        Werner model: Werner parameter of a fresh link, in [0, 1] (fidelity ``(1 + 3 w0)/4``); one or
        per segment.
    t_coh : float, optional
        Werner model: coherence time in steps; a waiting pair's Werner parameter decays as
        ``exp(-dt/t_coh)`` (``float("inf")``: no decoherence).
    cutoff : None, number or sequence
        Cut-off per operation slot: one value for all, or one per level of a nested schedule or per token of a
        sequence (``None`` = no cut-off there).
    cut_type : {"memory_time", "fidelity", "run_time"}
        Whole time steps for ``memory_time`` (allowed ``|tA - tB|``) and ``run_time``; a
        fidelity threshold in [0, 1] for ``fidelity`` (Li et al.'s Werner threshold
        ``w_cut`` is ``(4 F_cut - 1)/3``).
    t_trunc : int
        Length of the computed time window (steps ``0 .. t_trunc - 1``).
    link_state : array_like, shape (4,) or (n, 4), optional
        General model: Bell-diagonal state ``[Φ+, Φ−, Ψ+, Ψ−]`` of a fresh link, one for all segments
        or one per segment.
    memory : array_like, shape (3,) or (n + 1, 3), or PauliMemory, optional
        General model: Pauli rates ``(γx, γy, γz)`` per time step of every node's memory (one for all
        nodes, or one per node ``0..n``). A stored pair decoheres at both its end nodes.
    protocol : str, optional
        General model: purification variant of the distillations, a name of :data:`qnet.PROTOCOLS` or ``"auto"``
        (default; the rule of :class:`RepeaterChain`).
    twirl : bool, optional
        General model: twirl every distilled pair to Werner form (default False; with ``"bbpssw"`` and
        depolarizing memories this is exactly the Werner model).
    noise : OperationNoise, optional
        General model: operation noise of every node (default ideal): of its distillation circuits and of its
        swaps' Bell measurements (:class:`qnet.BellMeasurement`).
    tol : float or None
        Largest accepted missing probability ``1 - sum(pmf)``; above it a ``TruncationError`` says which
        ``t_trunc`` would suffice. ``None`` disables the check.

    Returns
    -------
    ChainDelivery
        ``pmf``, ``state`` (``(t_trunc, 4)``), ``werner``, ``mean_time``, ``mean_fidelity``,
        ``key_rate`` (per step), ``truncation_error``.

    Raises
    ------
    ValueError, TypeError
        Probabilities outside (0, 1], unknown schedule steps, a chain length that does not match
        the swap levels, bad cut-offs, both models or neither, or a ``t_trunc`` too small for ``tol``.

    Examples
    --------
    >>> import qnet
    >>> r = qnet.chain_delivery(("swap",), p_gen=0.5, p_swap=1.0, w0=1.0, t_coh=float("inf"), t_trunc=200)
    >>> round(r.mean_time, 6)   # E[max of two Geometric(1/2)] = 2 + 2 - 4/3
    2.666667
    >>> r = qnet.chain_delivery(("distill", "swap", "swap"), 0.1, 0.5, 0.98, 400.0, cutoff=(40, 80, 160),
    ...                         t_trunc=20000)
    >>> r.pmf.shape, r.state.shape, r.truncation_error < 1e-6
    ((20000,), (20000, 4), True)
    >>> r = qnet.chain_delivery(("distill", "swap"), 0.2, 0.9, link_state=[0.9, 0.05, 0.03, 0.02],
    ...                         memory=qnet.PauliMemory.dephasing(1e-3), cutoff=30, t_trunc=3000)
    >>> round(float(r.state[r.pmf.argmax()].sum()), 12)
    1.0
    """
    chain = _chain_of(schedule, p_gen, p_swap, w0, t_coh, cutoff, cut_type, link_state, memory, protocol, twirl, noise)
    return chain.delivery(t_trunc, tol=tol)


def _chain_of(schedule, p_gen, p_swap, w0, t_coh, cutoff, cut_type, link_state, memory, protocol, twirl,
              noise) -> "RepeaterChain":
    """The RepeaterChain of the function tier's chain calls: the Werner model from ``w0, t_coh``, the general one
    from ``link_state, memory``, never both."""
    werner = w0 is not None or t_coh is not None
    general = link_state is not None or memory is not None
    if werner == general:
        raise TypeError("give either the Werner model (w0 and t_coh) or the general model (link_state= and memory=)"
                        + (", not both" if werner else ""))
    if werner:
        for name, value in (("w0", w0), ("t_coh", t_coh)):
            if value is None:
                raise TypeError(f"the Werner model needs {name} (give w0 and t_coh)")
        extra = [name for name, value in (("protocol", protocol), ("twirl", twirl), ("noise", noise))
                 if value is not None]
        if extra:
            raise TypeError(f"{', '.join(extra)} belong(s) to the general model; the Werner model fixes BBPSSW with a "
                            "Werner output and ideal operations (give link_state=qnet.werner(F) and "
                            "memory=qnet.werner_memory_rates(t_coh) instead of w0 and t_coh)")
        return RepeaterChain.werner(schedule, p_gen, p_swap, w0, t_coh, cutoff, cut_type)
    for name, value in (("link_state", link_state), ("memory", memory)):
        if value is None:
            raise TypeError(f"the general model needs {name}= (give link_state= and memory=)")
    return RepeaterChain(schedule, p_gen, p_swap, link_state, memory, cutoff, cut_type,
                         protocol="auto" if protocol is None else protocol, twirl=False if twirl is None else twirl,
                         noise=noise)


# ---------------------------------------------------------------- the problem object
@dataclass(frozen=True)
class ChainTree:
    """A chain's protocol tree flattened for a simulation engine: one node per distinct sub-chain.

    ``kind[i]`` is elementary link, swap or distillation (codes of ``qnet._kernels.montecarlo``);
    ``child_a``/``child_b`` index the inputs (-1 for a link); ``p_gen`` and ``link_hat`` (Walsh–Hadamard
    components of the fresh state) describe a link; ``decay_a``/``decay_b`` are the per-step decay rates
    of a waiting input's components; ``cut_code``/``cut_value`` its cut-off (-1: none); ``operation[i]`` is
    the bilinear map of operation node ``i`` (a distillation's with its two nodes' noise, a swap's diagonal with its
    node's; zeros for links); ``root`` the top
    node. ``arity[i]`` is how many inputs node ``i`` takes (2, or ``k`` copies of ``child_a`` for a distillation
    circuit of ``k`` pairs, whose map is ``terms``: per node the first term, then each term's output component,
    coefficient and input component per copy, as the chain engines' ``Circuit.components`` entries).
    """

    root: int
    kind: np.ndarray
    child_a: np.ndarray
    child_b: np.ndarray
    p_gen: np.ndarray
    link_hat: np.ndarray
    decay_a: np.ndarray
    decay_b: np.ndarray
    cut_code: np.ndarray
    cut_value: np.ndarray
    p_swap: float
    operation: np.ndarray
    arity: np.ndarray
    terms: tuple


class RepeaterChain:
    """A repeater-chain problem, validated once and immutable: segments, memories, schedule, cut-offs, operations.

    Parameters
    ----------
    schedule : Schedule or tuple of str
        A :class:`qnet.Schedule`, or nested levels from the elementary links up (see :func:`chain_delivery`).
    p_gen : float or array_like
        Success probability per attempt, one for all segments or one per segment.
    p_swap : float
        Swap success probability, in (0, 1].
    link_state : array_like, shape (4,) or (n, 4)
        Bell-diagonal state of a fresh link, one for all segments or one per segment.
    memory : array_like, shape (3,) or (n + 1, 3), or PauliMemory
        Pauli rates per time step of every node's memories (one for all nodes or one per node).
    cutoff, cut_type
        Cut-offs per level and their type, as in :func:`chain_delivery`.
    protocol : str
        Purification variant of the distillations: a name of :data:`qnet.PROTOCOLS`, or ``"auto"`` (default):
        the variant whose ideal run of the schedule (fresh links, no waiting, no failures, the chain's operation
        noise) delivers the highest fidelity, one variant for the whole schedule, decided again by
        :meth:`with_schedule`; ties go to the first in :data:`qnet.PROTOCOLS`. :attr:`protocol` says which.
    twirl : bool
        Twirl every distilled pair to Werner form.
    noise : OperationNoise or sequence of OperationNoise, optional
        Operation noise (single numbers; default ideal): one for every node, or one per node (``n_segments + 1``).
        Each distillation runs with the noise of its pair's two end nodes, each swap's Bell measurement with its
        swapping node's (:class:`qnet.BellMeasurement`; before 0.2 swaps were ideal).

    :meth:`werner` builds the Werner model of Li, Coopmans & Elkouss (``p_gen, p_swap, w0, t_coh``),
    the same type. ``identity`` is a hash of everything that decides the results.

    Examples
    --------
    >>> import qnet
    >>> chain = qnet.RepeaterChain(("distill", "swap"), 0.2, 0.9, [0.9, 0.05, 0.03, 0.02],
    ...                            qnet.PauliMemory.dephasing(1e-3), cutoff=30)
    >>> chain.n_segments, round(chain.delivery(3000).mean_time, 3)
    (2, 13.185)
    >>> werner = qnet.RepeaterChain.werner(("swap",), 0.5, 1.0, 1.0, float("inf"))
    >>> round(werner.delivery(200, tol=None).mean_time, 6)   # E[max of two Geometric(1/2)]
    2.666667
    """

    __slots__ = ("_model", "_model_kind")

    def __init__(self, schedule: Sequence[str], p_gen: Any, p_swap: float, link_state: Any, memory: Any,
                 cutoff: Any = None, cut_type: str = "memory_time", *, protocol: str = "auto", twirl: bool = False,
                 noise: OperationNoise | Sequence[OperationNoise] | None = None) -> None:
        model = _bds_model(schedule, p_gen, p_swap, link_state, memory, cutoff, cut_type, protocol, twirl, noise)
        object.__setattr__(self, "_model", model)
        object.__setattr__(self, "_model_kind", "bell-diagonal")

    @classmethod
    def werner(cls, schedule: Sequence[str], p_gen: Any, p_swap: float, w0: Any, t_coh: float, cutoff: Any = None,
               cut_type: str = "memory_time") -> "RepeaterChain":
        """The Werner model (Li, Coopmans & Elkouss): Werner parameter ``w0`` of fresh links, decay ``exp(-t/t_coh)``
        of a waiting pair, BBPSSW with a Werner output; parameters as in :func:`chain_delivery`.

        Examples
        --------
        >>> import qnet
        >>> qnet.RepeaterChain.werner(("swap", "swap"), 0.1, 0.5, 0.98, 400.0, cutoff=(16, 31)).n_segments
        4
        """
        return cls._from_model(_werner_model(schedule, p_gen, p_swap, w0, t_coh, cutoff, cut_type), "werner")

    @classmethod
    def _from_model(cls, model: "_Model", kind: str) -> "RepeaterChain":
        chain = object.__new__(cls)
        object.__setattr__(chain, "_model", model)
        object.__setattr__(chain, "_model_kind", kind)
        return chain

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a RepeaterChain is immutable; use with_cutoff() or build a new one ({name!r})")

    def __repr__(self) -> str:
        return (f"RepeaterChain({self._model_kind}, schedule={self.schedule!r}, segments={self.n_segments}, "
                f"cutoff={self.cutoff}, cut_type={self.cut_type!r}, identity={self.identity!r})")

    @property
    def schedule(self) -> Schedule:
        """The chain's schedule (its ``levels`` for a nested one)."""
        return self._model.schedule

    @property
    def n_segments(self) -> int:
        """Number of elementary links."""
        return self._model.n

    @property
    def p_gen(self) -> np.ndarray:
        """Success probability per attempt of every segment."""
        return self._model.p_gen.copy()

    @property
    def p_swap(self) -> float:
        """Swap success probability."""
        return self._model.p_swap

    @property
    def protocol(self) -> str:
        """The distillation variant the chain runs (``"auto"`` resolved; ``"bbpssw"`` with a Werner twirl in the
        Werner model).

        Examples
        --------
        >>> import qnet
        >>> qnet.RepeaterChain(("distill", "distill"), 0.2, 0.9, qnet.werner(0.9), [0, 0, 1e-3]).protocol
        'dejmps'
        """
        return self._model.protocol

    @property
    def cutoff(self) -> tuple:
        """Cut-off of every level (``None``: none)."""
        return self._model.cutoffs

    @property
    def cut_type(self) -> str:
        """Type of the cut-offs."""
        return self._model.cut_type

    @property
    def identity(self) -> str:
        """Hash (16 hex digits) of everything that decides this chain's results."""
        return self._model.identity()

    def with_cutoff(self, cutoff: Any, cut_type: str | None = None) -> "RepeaterChain":
        """The same chain with other cut-offs (validated as in :func:`chain_delivery`).

        Examples
        --------
        >>> import qnet
        >>> chain = qnet.RepeaterChain.werner(("swap",), 0.3, 0.9, 0.98, 100.0)
        >>> chain.with_cutoff(5).cutoff
        (5,)
        """
        cut_type = self.cut_type if cut_type is None else cut_type
        cuts = _cutoffs(cutoff, cut_type, self.schedule.n_slots, self.schedule.slot_name)
        m = self._model
        return self._from_model(dataclasses.replace(m, cutoffs=cuts, cut_type=cut_type), self._model_kind)

    def with_schedule(self, schedule: Any) -> "RepeaterChain":
        """The same segments, memories and operations under another schedule over as many segments; the cut-off
        must be one value for every operation (or none), which the new schedule's operations all get.

        Examples
        --------
        >>> import qnet
        >>> chain = qnet.RepeaterChain.werner(("swap", "swap"), 0.3, 0.9, 0.98, 100.0, cutoff=8)
        >>> chain.with_schedule(qnet.Schedule(["s1", "d0", "s0", "s2"], n_nodes=5)).cutoff
        (8, 8, 8, 8)
        """
        m = self._model
        schedule = _segments(validate_schedule(schedule), {"the chain's segments": m.n})
        if len(set(m.cutoffs)) > 1:
            raise ValueError(f"the chain's cut-offs {m.cutoffs} differ between {m.schedule.slot_name}s; with another "
                             f"schedule give the cut-offs anew (build the chain again)")
        cuts = _cutoffs(m.cutoffs[0] if m.cutoffs else None, m.cut_type, schedule.n_slots, schedule.slot_name)
        return self._from_model(_with_schedule(m, schedule, cuts), self._model_kind)

    def delivery(self, t_trunc: int = 1000, *, tol: float | None = 1e-6) -> ChainDelivery:
        """Exact delivery-time distribution and delivered states (see :func:`chain_delivery`).

        Examples
        --------
        >>> import qnet
        >>> qnet.RepeaterChain.werner(("swap",), 0.5, 1.0, 1.0, float("inf")).delivery(300).pmf.shape
        (300,)
        """
        return _deliver(self._model, t_trunc, tol)

    def optimize_cutoff(self, *, cut_type: str = "memory_time", per_level: bool = False,
                        bounds: tuple[float, float] | None = None,
                        objective: str | Callable[[ChainDelivery], float] = "key_rate", t_trunc: int = 2000,
                        tol: float = 1e-4, seed: int = 0, maxiter: int = 30) -> "CutoffOptimum":
        """Best cut-offs for this chain (see :func:`optimize_cutoff`; the chain's own cut-offs are replaced).

        Examples
        --------
        >>> import qnet
        >>> chain = qnet.RepeaterChain.werner(("swap", "swap"), 0.3, 0.6, 0.995, 60.0)
        >>> chain.optimize_cutoff(t_trunc=800, bounds=(1, 60), maxiter=10).cutoff
        (4, 4)
        """
        _v.option(cut_type, "cut_type", CUT_TYPES)
        return optimize(self._model, cut_type, per_level, bounds, objective, t_trunc, tol, seed, maxiter)

    def simulate(self, n_samples: int = 100_000, seed: Any = 0) -> MonteCarloResult:
        """Monte Carlo of this chain: ``n_samples`` delivered pairs, each an independent history (an event-level
        simulation, independent of the exact recursion of :meth:`delivery`).

        Every elementary link is drawn as a geometric number of attempts, and every swap, distillation and cut-off
        decision per event with the actual state of the pairs involved: a fidelity cut-off acts on the sampled
        state, where the exact engine, like Li et al., uses the mean state delivered at that time step (the two
        agree on one level and for time cut-offs).

        Parameters
        ----------
        n_samples : int
            Number of delivered end-to-end pairs, in [2, MAX_SAMPLES].
        seed : int, numpy.random.Generator, SeedSequence or None
            Seed of numba's generator (qnet's one seed rule); equal seeds give equal samples.

        Returns
        -------
        MonteCarloResult
            With ``problem`` naming this chain's identity.

        Examples
        --------
        >>> import qnet
        >>> mc = qnet.RepeaterChain.werner(("swap",), 0.5, 1.0, 1.0, float("inf")).simulate(20000, seed=1)
        >>> lo, hi = mc.mean_time_ci
        >>> bool(lo < 8 / 3 < hi)
        True
        """
        n_samples, seed = _v.n_samples(n_samples), _v.seed_int(seed)
        tree = self.tree()
        # every swap attempt uses two links, so a delivery within MAX_LINKS_PER_DELIVERY links needs one of at most
        # MAX_LINKS_PER_DELIVERY / 2 attempts to succeed: refuse a hopeless run at once
        if self.n_segments > 1 and tree.p_swap * MAX_LINKS_PER_DELIVERY / 2 < 1e-9:
            raise ValueError(f"p_swap={tree.p_swap!r}: one delivery within {MAX_LINKS_PER_DELIVERY} elementary links "
                             f"has probability <= {tree.p_swap * MAX_LINKS_PER_DELIVERY / 2:.3g}; the chain (almost) "
                             f"never delivers with these parameters")
        times = np.empty(n_samples, dtype=np.int64)
        states = np.empty((n_samples, 4))
        n_links = _mc.sample_tree(n_samples, tree.root, tree.kind, tree.child_a, tree.child_b, tree.p_gen,
                                  tree.link_hat, tree.decay_a, tree.decay_b, tree.cut_code, tree.cut_value,
                                  tree.p_swap, tree.operation, seed, times, states, MAX_LINKS_PER_DELIVERY,
                                  tree.arity, *tree.terms)
        if n_links < 0:
            raise ValueError(f"one delivery needed more than {MAX_LINKS_PER_DELIVERY} elementary links: the chain "
                             f"(almost) never delivers with these parameters (p_gen, p_swap, cut-offs too strict?)")
        return MonteCarloResult(times, bds_from_wht(states), int(n_links), (seed,), f"nested-chain:{self.identity}")

    def tree(self) -> ChainTree:
        """The protocol tree flattened for a simulation engine (:class:`ChainTree`).

        Examples
        --------
        >>> import qnet
        >>> tree = qnet.RepeaterChain.werner(("swap", "swap"), 0.5, 1.0, 0.9, 10.0).tree()
        >>> len(tree.kind)   # one link, one swap of two links, one swap of two spans: equal spans share nodes
        3
        """
        return _flatten(self._model)


def _flatten(model: "_Model") -> ChainTree:
    """Flatten the protocol tree of a chain model (one node per distinct sub-chain, like the exact recursion)."""
    rows: list[tuple] = []

    def new(kind, a=-1, b=-1, p=0.0, hat=None, ca=None, cb=None, code=-1, value=0.0) -> int:
        zero = np.zeros(4)
        rows.append((kind, a, b, p, zero if hat is None else hat, zero if ca is None else ca,
                     zero if cb is None else cb, code, value))
        return len(rows) - 1

    def link(start: int) -> int:
        return new(codes.ELEMENTARY, p=float(model.p_gen[start]), hat=model.link_hat[start])

    maps: dict = {}  # operation node -> its map (a swap's: its node's Bell measurement)

    def combine(op: str, slot: int, a: tuple, b: tuple, ia: int, ib: int) -> int:
        cut = model.cutoffs[slot]
        g = new(codes.SWAP if op == "swap" else codes.DISTILL, ia, ib, ca=model.link_c(*a),
                cb=model.link_c(*b), code=-1 if cut is None else codes.CUT_CODES[model.cut_type],
                value=0.0 if cut is None else float(cut))
        maps[g] = model.distill_map(*a, slot) if op == "distill" else model.swap_map(sum(a))
        return g

    root = model.fold(link, combine)
    cols = list(zip(*rows))

    def arr(i, dtype=np.float64):
        return np.ascontiguousarray(np.array(cols[i], dtype=dtype))

    operation = np.zeros((len(rows), 4, 4, 4))
    arity = np.full(len(rows), 2, dtype=np.int64)
    k_max = max([D.ndim - 1 for D in maps.values()] + [2])
    parts = [(np.zeros(0, np.int64), np.zeros((0, k_max), np.int64), np.zeros(0))]
    first = [0]
    for g in range(len(rows)):
        D = maps.get(g)
        if D is not None and D.ndim == 3:
            operation[g] = D
        elif D is not None:  # a circuit of more than two pairs: its non-zero entries as terms
            arity[g] = D.ndim - 1
            parts.append(distill_terms(D, k_max))
        first.append(first[-1] + (parts[-1][0].size if D is not None and D.ndim > 3 else 0))
    out_c, idx, coef = (np.concatenate(x) for x in zip(*parts))
    terms = (np.array(first, dtype=np.int64), out_c, coef, idx)
    return ChainTree(root, arr(0, np.int64), arr(1, np.int64), arr(2, np.int64), arr(3), arr(4).reshape(-1, 4),
                     arr(5).reshape(-1, 4), arr(6).reshape(-1, 4), arr(7, np.int64), arr(8), float(model.p_swap),
                     operation, arity, terms)


def optimize_cutoff(
    schedule: Sequence[str],
    p_gen: Any,
    p_swap: float,
    w0: Any = None,
    t_coh: float | None = None,
    *,
    link_state: Any = None,
    memory: Any = None,
    protocol: str | None = None,
    twirl: bool | None = None,
    noise: OperationNoise | None = None,
    cut_type: str = "memory_time",
    per_level: bool = False,
    bounds: tuple[float, float] | None = None,
    objective: str | Callable[[ChainDelivery], float] = "key_rate",
    t_trunc: int = 2000,
    tol: float = 1e-4,
    seed: int = 0,
    maxiter: int = 30,
) -> CutoffOptimum:
    """Maximise a figure of merit per time over uniform or per-level cut-offs.

    The function tier of :meth:`RepeaterChain.optimize_cutoff`. Brackets before it refines: a scan of
    ``SCAN_POINTS`` (32) uniform cut-offs over the whole interval (integers spaced geometrically for time
    cut-offs, evenly for fidelity thresholds), then a search inside the bracket of the best scan point
    (golden section on the integers, or scipy's bounded scalar minimiser), then, with ``per_level``,
    ``scipy.optimize.differential_evolution`` seeded with the best uniform cut-off (fixed ``seed``: repeated
    calls give the same answer). The result is the best of every candidate evaluated (ties: the smaller
    cut-off). Candidates whose distribution is not covered by ``t_trunc`` within ``tol`` score 0; when no
    candidate scores above 0 an :class:`qnet.InfeasibleError` says so (a zero is never reported as an optimum),
    and ``at_bound`` flags an optimum on a bound of the interval.

    Parameters
    ----------
    schedule, p_gen, p_swap, w0, t_coh, link_state, memory, protocol, twirl, noise, cut_type, t_trunc
        As in :func:`chain_delivery` (the Werner model or the general one).
    per_level : bool
        One cut-off per level (True) or one for all levels.
    bounds : (low, high), optional
        Search interval (default ``(1, t_trunc // 2)`` steps, or ``(0.25, 1)`` for fidelity).
    objective : "key_rate" | "rate_fidelity" | callable
        ``key_rate`` (BB84 key per step), ``rate_fidelity`` (mean fidelity / mean time) or any
        function of a :class:`ChainDelivery`.
    seed, maxiter : int
        Seed and iteration budget of the differential evolution (``per_level`` only).

    Raises
    ------
    InfeasibleError
        No cut-off in ``bounds`` gives a positive objective (the chain delivers, but e.g. without key).
    NeverDeliversError
        No cut-off in ``bounds`` delivers within ``t_trunc`` and ``tol``.

    Examples
    --------
    >>> import qnet
    >>> args = (("swap", "swap"), 0.3, 0.6, 0.995, 60.0)
    >>> best = qnet.optimize_cutoff(*args, t_trunc=800, bounds=(1, 60), maxiter=10)
    >>> best.cutoff, round(best.value, 6)
    ((4, 4), 0.015013)
    >>> round(qnet.chain_delivery(*args, t_trunc=800).key_rate, 6)   # no cut-off
    0.0051
    >>> general = dict(link_state=[0.99, 0.006, 0.002, 0.002], memory=[0, 0, 2e-3])
    >>> best = qnet.optimize_cutoff(("swap", "swap"), 0.3, 0.6, **general, t_trunc=800, bounds=(1, 60), maxiter=5)
    >>> best.value >= qnet.chain_delivery(("swap", "swap"), 0.3, 0.6, **general, t_trunc=800).key_rate
    True
    """
    _v.option(cut_type, "cut_type", CUT_TYPES)
    chain = _chain_of(schedule, p_gen, p_swap, w0, t_coh, None, cut_type, link_state, memory, protocol, twirl, noise)
    return chain.optimize_cutoff(cut_type=cut_type, per_level=per_level, bounds=bounds, objective=objective,
                                 t_trunc=t_trunc, tol=tol, seed=seed, maxiter=maxiter)


@_v.keyword_options("cutoff", "cut_type")
def simulate_chain(
    schedule: Sequence[str],
    p_gen: Any,
    p_swap: float,
    w0: Any = None,
    t_coh: float | None = None,
    *,
    cutoff: Any = None,
    cut_type: str = "memory_time",
    link_state: Any = None,
    memory: Any = None,
    protocol: str | None = None,
    twirl: bool | None = None,
    noise: OperationNoise | None = None,
    n_samples: int = 100_000,
    seed: Any = 0,
) -> MonteCarloResult:
    """Monte Carlo of the chain model of :func:`qnet.chain_delivery` (same parameters, either model).

    The function tier of :meth:`RepeaterChain.simulate`.

    Parameters
    ----------
    schedule, p_gen, p_swap, w0, t_coh, cutoff, cut_type, link_state, memory, protocol, twirl, noise
        As in :func:`qnet.chain_delivery`.
    n_samples : int
        Number of delivered end-to-end pairs to sample.
    seed : int, numpy.random.Generator, SeedSequence or None
        Seed of numba's generator (qnet's one seed rule); equal seeds give equal samples.

    Returns
    -------
    MonteCarloResult

    Examples
    --------
    >>> import qnet
    >>> mc = qnet.simulate_chain(("swap",), 0.5, 1.0, 1.0, float("inf"), n_samples=20000, seed=1)
    >>> lo, hi = mc.mean_time_ci
    >>> bool(lo < 8 / 3 < hi)
    True
    >>> mc = qnet.simulate_chain(("distill",), 0.3, 1.0, link_state=[0.9, 0.05, 0.03, 0.02],
    ...                          memory=[0.0, 0.0, 0.01], n_samples=1000, seed=2)
    >>> mc.states.shape, mc.n_links >= 2000
    ((1000, 4), True)
    """
    chain = _chain_of(schedule, p_gen, p_swap, w0, t_coh, cutoff, cut_type, link_state, memory, protocol, twirl, noise)
    return chain.simulate(n_samples, seed)
