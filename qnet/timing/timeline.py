"""The timing problem object :class:`PurificationTimeline` (and :class:`LinkGeneration`) and its function tier:
:func:`purification_timeline`, :func:`timeline_value`, :func:`optimal_purification_time`,
:func:`compare_generation_policies`, :func:`simulate_generation_policies`, :func:`border_short_time`,
:func:`optimal_time_border`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validation as _v
from ..measures import FigureOfMerit
from ..noise import OperationNoise
from ..circuits import WIDE_CIRCUITS
from ..results import Heralded
from ._border import _border
from ._generation import _compare_policies, _simulate_policies
from ._optimal import _optimal_time
from ._timeline import DEADLINES, _ULPS, _memories, _prepare, _states, _Timeline, _times
from .results import OptimalTime, PolicyComparison
from .._bell import werner_rows
from .._records import content_hash
from .._arguments import as_figure_of_merit, resolve
from ..memories import T1T2Memory
from .._distil import PROTOCOLS

__all__ = ["PurificationTimeline", "LinkGeneration", "purification_timeline", "timeline_value",
           "optimal_purification_time", "compare_generation_policies", "simulate_generation_policies",
           "border_short_time", "optimal_time_border"]


@dataclass(frozen=True)
class LinkGeneration:
    """Probabilistic generation of the second pair (for :meth:`PurificationTimeline.compare_policies`).

    Link 2 is attempted in rounds of duration ``tau``, each succeeding with probability ``p``, so it is
    heralded at ``t1 = K tau`` with ``K`` geometric on ``{1, 2, ...}``. The pair is consumed ``deadline``
    after link 1 (``deadline_from="first"``; if link 2 has not arrived by then, link 1 is delivered alone)
    or after link 2 (``deadline_from="second"``). Times in the unit of the memories' ``1/γ``.

    Examples
    --------
    >>> import qnet
    >>> qnet.LinkGeneration(p=0.2, tau=0.01, deadline=0.1)
    LinkGeneration(p=0.2, tau=0.01, deadline=0.1, deadline_from='first')
    """

    p: float
    tau: float
    deadline: float
    deadline_from: str = "first"

    def __post_init__(self) -> None:
        object.__setattr__(self, "p", float(_v.scalar(_v.probability, self.p, "p", zero_ok=False)))
        object.__setattr__(self, "tau", float(_v.scalar(_v.positive, self.tau, "tau")))
        object.__setattr__(self, "deadline", float(_v.scalar(_v.nonnegative, self.deadline, "deadline")))
        _v.option(self.deadline_from, "deadline_from", DEADLINES)


class PurificationTimeline:
    """One timing problem, validated once and immutable: two pairs, their heralding and consumption times,
    memories, purification protocol, operation noise and (optionally) the generation model of link 2.

    Link 1 is heralded at time 0 in state ``first`` and kept (the CNOT controls); link 2 at ``t1`` in
    state ``second`` and sacrificed; the pair is consumed at ``t2 >= t1``; the purification (EPP) runs at
    ``t`` in ``[t1, t2]`` (the module docstring states the model).

    Parameters
    ----------
    first, second : array_like or qutip.Qobj
        Bell-diagonal states ``(..., 4)`` or density matrices ``(..., 4, 4)``; a Bell-diagonal pair next
        to a density matrix is promoted to a density matrix. Batch axes broadcast with everything else.
    memory : array_like (..., 3), PauliMemory or T1T2Memory
        Memory of link 1's qubits and of the output (of link 2's too, unless ``memory_second``); Pauli rates
        ``(γx, γy, γz)`` in the inverse time unit of ``t1``, ``t2``.
    t1, t2 : float or array_like, optional
        Heralding time of link 2 and consumption time, ``0 <= t1 <= t2``. Needed by every method but the
        generation-policy ones.
    protocol : str
        Purification variant, a name of :data:`qnet.PROTOCOLS`, or a circuit of ``k > 2`` pairs of
        :data:`qnet.CIRCUITS` (``"double_selection"``), which purifies link 1 with ``k - 1`` copies of link 2
        (all heralded at ``t1``, idling in link 2's memories).
    memory_second : optional
        Memory of link 2's qubits, if different.
    noise : OperationNoise, optional
        Operation noise of the EPP (default ideal).
    generation : LinkGeneration, optional
        Random heralding time of link 2, for :meth:`compare_policies` and :meth:`simulate_policies`
        (single Bell-diagonal states and single memories).
    form : {"auto", "bds", "dm"}
        How to read ``first`` and ``second``.

    Examples
    --------
    >>> import qnet
    >>> w = qnet.werner(0.95)
    >>> tl = qnet.PurificationTimeline(w, w, qnet.depolarizing_rates(1.0), 0.01, 0.1)
    >>> float(tl.value(0.1).round(4))
    0.8318
    >>> res = tl.optimal_time()
    >>> res.location, round(float(res.gain), 4)
    ('end', 0.0311)
    """

    __slots__ = ("_kind", "_lam", "_mu", "_mem1", "_mem2", "_t", "_protocol", "_noise", "_generation", "_identity")

    def __init__(self, first: Any, second: Any, memory: Any, t1: Any = None, t2: Any = None, *,
                 protocol: str = "cnot", memory_second: Any = None, noise: OperationNoise | None = None,
                 generation: LinkGeneration | None = None, form: str = "auto") -> None:
        kind, lam, mu = _states(first, second, form)
        mem1, mem2 = _memories(memory, memory_second, kind)
        _v.option(protocol, "protocol", PROTOCOLS + WIDE_CIRCUITS)
        noise = resolve(noise)
        if (t1 is None) != (t2 is None):
            raise ValueError("give both t1 and t2 (heralding time of link 2 and consumption time), or neither")
        times = None if t1 is None else _times(t1, t2)
        if generation is not None:
            if not isinstance(generation, LinkGeneration):
                raise TypeError(f"generation must be a qnet.LinkGeneration or None, got {type(generation).__name__}")
            if kind != "bds" or lam.ndim != 1 or mu.ndim != 1:
                raise ValueError("with a generation model, first and second must be single Bell-diagonal states "
                                 f"(shape (4,)), got {lam.shape} and {mu.shape}")
            for name, mem in (("memory", mem1), ("memory_second", mem2)):
                if np.ndim(mem) != 1:
                    raise ValueError(f"with a generation model, {name} must be a single set of rates (shape (3,)), "
                                     f"got shape {np.shape(mem)}")
            if not noise.is_scalar:
                raise ValueError(f"with a generation model, noise must hold single numbers, got {noise!r}")
        if times is None and generation is None:
            raise ValueError("give t1 and t2, or a generation model (generation=qnet.LinkGeneration(...))")
        tl = None if times is None else _prepare(kind, lam, mu, mem1, mem2, *times, protocol, noise)
        values = (kind, lam, mu, mem1, mem2, tl, protocol, noise, generation)
        for slot, value in zip(self.__slots__, values):
            object.__setattr__(self, slot, value)
        object.__setattr__(self, "_identity", content_hash(
            "purification-timeline", kind, lam, mu, mem1, mem2, *(times or (None, None)), protocol, noise.gate_fidelity,
            noise.measurement_error, generation))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a PurificationTimeline is immutable; build a new one ({name!r})")

    def __repr__(self) -> str:
        times = "" if self._t is None else f", batch shape {self._t.shape}"
        gen = "" if self._generation is None else f", generation={self._generation!r}"
        return (f"PurificationTimeline({'Bell-diagonal' if self._kind == 'bds' else 'density matrix'}{times}, "
                f"protocol={self._protocol!r}, noise={self._noise!r}{gen}, identity={self._identity!r})")

    @property
    def identity(self) -> str:
        """Hash (16 hex digits) of everything that decides this timeline's results."""
        return self._identity

    @property
    def protocol(self) -> str:
        """The purification variant."""
        return self._protocol

    @property
    def noise(self) -> OperationNoise:
        """Operation noise of the EPP."""
        return self._noise

    @property
    def generation(self) -> LinkGeneration | None:
        """Generation model of link 2 (``None``: fixed heralding time ``t1``)."""
        return self._generation

    def _timeline(self) -> _Timeline:
        if self._t is None:
            raise ValueError("this timeline has no fixed t1 and t2 (only a generation model); build it with t1 and "
                             "t2 to evaluate purification times")
        return self._t

    def _at(self, t: Any) -> tuple[_Timeline, np.ndarray]:
        """The broadcast timeline and validated EPP times ``t`` (checked to lie in [t1, t2])."""
        t = _v.nonnegative(t, "t")
        tl = self._timeline()
        try:
            shape = np.broadcast_shapes(tl.shape, t.shape)
        except ValueError:
            shape = None
        if shape != tl.shape:  # t adds batch axes, or does not broadcast (then the message names every shape)
            tl = _prepare(self._kind, self._lam, self._mu, self._mem1, self._mem2, tl.t1, tl.t2, self._protocol,
                          self._noise, extra={"t": t})
        t = np.broadcast_to(t, tl.shape)
        # times a few ulps outside [t1, t2] (e.g. t1 + 1.0 * (t2 - t1) rounding above t2) are the endpoints
        slack = _ULPS * np.finfo(np.float64).eps * np.maximum(np.abs(tl.t1), np.abs(tl.t2))
        t = np.where((t < tl.t1) & (t >= tl.t1 - slack), tl.t1,
                     np.where((t > tl.t2) & (t <= tl.t2 + slack), tl.t2, t))
        outside = (t < tl.t1) | (t > tl.t2)
        if outside.any():
            idx = tuple(np.argwhere(outside)[0])
            raise ValueError(f"t must lie in [t1, t2], got t={t[idx]!r} with t1={tl.t1[idx]!r}, t2={tl.t2[idx]!r}")
        return tl, t

    def state(self, t: Any) -> Heralded:
        """State delivered at ``t2`` when the EPP runs at ``t`` (in ``[t1, t2]``; broadcasts), and the EPP's
        success probability.

        Times within a few ulps outside the interval (rounding in ``t1 + x * (t2 - t1)``) are clipped onto it.

        Examples
        --------
        >>> import qnet
        >>> w = qnet.werner(0.95)
        >>> tl = qnet.PurificationTimeline(w, w, qnet.depolarizing_rates(1.0), 0.01, 0.1)
        >>> qnet.fidelity(tl.state([0.01, 0.1]).state).round(4)
        array([0.807 , 0.8318])
        """
        tl, t = self._at(t)
        return Heralded(*tl.run_successful(t))

    def value(self, t: Any, fom: str | FigureOfMerit = "fidelity", weighted: bool | None = None) -> np.ndarray:
        """Figure of merit at ``t2`` of the pair purified at ``t`` (times the success probability if weighted).

        Examples
        --------
        >>> import numpy as np, qnet
        >>> w = qnet.werner(0.95)
        >>> tl = qnet.PurificationTimeline(w, w, qnet.depolarizing_rates(1.0), 0.01, 0.1)
        >>> tl.value(np.linspace(0.01, 0.1, 4)).round(4)
        array([0.807 , 0.8178, 0.826 , 0.8318])
        """
        fom = as_figure_of_merit(fom, weighted)
        tl, t = self._at(t)
        return tl.value(t, fom)[0]

    def optimal_time(self, fom: str | FigureOfMerit = "fidelity", weighted: bool | None = None, *, grid: int = 9,
                     rtol: float = 1e-10, baseline: str = "fresher") -> "OptimalTime":
        """The EPP time in ``[t1, t2]`` that optimizes the figure of merit at consumption
        (see :func:`optimal_purification_time` for the search and the baselines).

        Examples
        --------
        >>> import qnet
        >>> w = qnet.werner(0.95)
        >>> qnet.PurificationTimeline(w, w, qnet.dephasing_rates(1.0), 0.01, 0.1).optimal_time().location
        'start'
        """
        return _optimal_time(self._timeline(), as_figure_of_merit(fom, weighted), grid, rtol, baseline, self.identity)

    def border(self, ratio: Any = 0.5, fom: str | FigureOfMerit = "fidelity", weighted: bool | None = None, *,
               rule: str = "midpoint", xtol: float = 1e-9, leave_tol: float = 1e-3) -> Any:
        """Where the optimal time switches between ``t1`` and ``t2`` as the memory's error pattern varies.

        Keeps this timeline's states, times, protocol and noise and the memory's total rate
        ``γ = γx + γy + γz``, and moves along the line of the pattern simplex with ``γx / (γx + γy) = ratio``:
        returns the phase-flip share ``c = γz / γ`` at which ``t*`` crosses mid-interval (``rule="midpoint"``)
        or leaves ``t1`` (``rule="leaves_t1"``), NaN where it does not (see :func:`optimal_time_border`).
        Needs Pauli memories, the same for both pairs.

        Examples
        --------
        >>> import qnet
        >>> w = qnet.werner(0.95)
        >>> tl = qnet.PurificationTimeline(w, w, qnet.depolarizing_rates(1.0), 0.01, 0.1)
        >>> round(float(tl.border(ratio=0.0)), 2)
        0.48
        """
        tl = self._timeline()
        if isinstance(tl.mem1, T1T2Memory) or self._mem2 is not self._mem1 and not np.array_equal(tl.mem1, tl.mem2):
            raise ValueError("border needs Pauli memories, the same for both pairs")
        return _border(self, np.sum(tl.mem1, axis=-1), ratio, as_figure_of_merit(fom, weighted), rule, xtol,
                       leave_tol)

    def compare_policies(self, fom: str | FigureOfMerit = "fidelity", *, tol: float = 1e-12) -> "PolicyComparison":
        """Expected figure of merit of each purification-time policy under the generation model
        (see :func:`compare_generation_policies`).

        Examples
        --------
        >>> import qnet
        >>> w = qnet.werner(0.95)
        >>> gen = qnet.LinkGeneration(p=0.2, tau=0.01, deadline=0.1)
        >>> qnet.PurificationTimeline(w, w, qnet.depolarizing_rates(1.0), generation=gen).compare_policies().best
        'none'
        """
        return _compare_policies(self, as_figure_of_merit(fom, False),
                                 float(_v.scalar(_v.in_interval, tol, "tol", 0.0, 1e-3, low_open=True)))

    def simulate_policies(self, shots: int = 100_000, seed: Any = 0) -> dict[str, dict[str, float]]:
        """Monte Carlo of :meth:`compare_policies` for the plain CNOT protocol, ideal operations and the fidelity
        (see :func:`simulate_generation_policies`)."""
        return _simulate_policies(self, shots, seed)

    def _generated(self) -> LinkGeneration:
        if self._generation is None:
            raise ValueError("this timeline has no generation model; build it with generation=qnet.LinkGeneration(...)")
        return self._generation


def purification_timeline(
    first: Any,
    second: Any,
    memory: Any,
    t1: Any,
    t2: Any,
    t: Any,
    *,
    protocol: str = "cnot",
    memory_second: Any = None,
    noise: OperationNoise | None = None,
    form: str = "auto",
    gate_fidelity: Any = None,
    measurement_error: Any = None,
) -> Heralded:
    """State delivered at ``t2`` when the EPP runs at time ``t``, and the EPP's success probability.

    The function tier of :meth:`PurificationTimeline.state`.

    Parameters
    ----------
    first, second : array_like or qutip.Qobj
        States of link 1 (heralded at 0, kept) and link 2 (heralded at ``t1``, sacrificed):
        BDS ``(..., 4)`` or density matrices ``(..., 4, 4)``.
    memory : array_like (..., 3), PauliMemory or T1T2Memory
        Memory of every qubit (of link 1 and the output; of link 2 too unless ``memory_second``).
    t1, t2 : float or array_like
        Heralding time of link 2 and consumption time, ``0 <= t1 <= t2``.
    t : float or array_like
        EPP time(s) in ``[t1, t2]``; arrays broadcast against the other batch axes. Times within a
        few ulps outside the interval (rounding in ``t1 + x * (t2 - t1)``) are clipped onto it.
    protocol : str
        Any name of :data:`qnet.PROTOCOLS`.
    memory_second : optional
        Memory of link 2's qubits, if different.
    noise : OperationNoise, optional
        Operation noise of the EPP (``gate_fidelity``/``measurement_error`` are its shortcuts).
    form : {"auto", "bds", "dm"}
        How to read ``first`` and ``second``.

    Returns
    -------
    Heralded
        The delivered state at ``t2`` (BDS or density matrix), batch shape the broadcast of every
        argument's batch shape, and the EPP's success probability.

    Examples
    --------
    >>> import qnet
    >>> w = qnet.werner(0.95)
    >>> state, p = qnet.purification_timeline(w, w, qnet.depolarizing_rates(1.0), 0.01, 0.1, [0.01, 0.1])
    >>> qnet.fidelity(state).round(4)
    array([0.807 , 0.8318])
    """
    return PurificationTimeline(first, second, memory, t1, t2, protocol=protocol, memory_second=memory_second,
                                noise=resolve(noise, gate_fidelity, measurement_error), form=form).state(t)


@_v.keyword_options("fom", "weighted")
def timeline_value(
    first: Any,
    second: Any,
    memory: Any,
    t1: Any,
    t2: Any,
    t: Any,
    *,
    fom: str | FigureOfMerit = "fidelity",
    weighted: bool | None = None,
    protocol: str = "cnot",
    memory_second: Any = None,
    noise: OperationNoise | None = None,
    form: str = "auto",
    gate_fidelity: Any = None,
    measurement_error: Any = None,
) -> np.ndarray:
    """Figure of merit at ``t2`` of the pair purified at ``t`` (times the success probability if ``weighted``).

    The function tier of :meth:`PurificationTimeline.value`: the arguments of :func:`purification_timeline`
    plus ``fom`` (a :class:`qnet.FigureOfMerit` or a name of :data:`qnet.FIGURES_OF_MERIT`) and ``weighted``
    (overrides the figure's own); returns an array of the broadcast batch shape.

    Examples
    --------
    >>> import numpy as np, qnet
    >>> w = qnet.werner(0.95)
    >>> t = np.linspace(0.01, 0.1, 4)
    >>> qnet.timeline_value(w, w, qnet.depolarizing_rates(1.0), 0.01, 0.1, t).round(4)
    array([0.807 , 0.8178, 0.826 , 0.8318])
    """
    fom = as_figure_of_merit(fom, weighted)
    return PurificationTimeline(first, second, memory, t1, t2, protocol=protocol, memory_second=memory_second,
                                noise=resolve(noise, gate_fidelity, measurement_error), form=form).value(t, fom)


@_v.keyword_options("fom", "weighted", "protocol")
def optimal_purification_time(
    first: Any,
    second: Any,
    memory: Any,
    t1: Any,
    t2: Any,
    *,
    fom: str | FigureOfMerit = "fidelity",
    weighted: bool | None = None,
    protocol: str = "cnot",
    memory_second: Any = None,
    noise: OperationNoise | None = None,
    grid: int = 9,
    rtol: float = 1e-10,
    form: str = "auto",
    baseline: str = "fresher",
    gate_fidelity: Any = None,
    measurement_error: Any = None,
) -> OptimalTime:
    """Find the EPP time in ``[t1, t2]`` that optimizes the figure of merit at consumption.

    The best value is the highest, or the lowest for a figure that is better when lower
    (:data:`qnet.FOM_DIRECTION`, e.g. ``fidelity_witness``).

    The search evaluates the (smooth) figure of merit on ``grid`` equally spaced times including both
    endpoints, then refines the best grid point by a vectorized golden-section search on its two
    neighbouring intervals until the bracket is below ``rtol * (t2 - t1)``; the endpoints are kept
    as candidates, so an optimum at ``t1`` or ``t2`` is returned exactly. Every argument broadcasts:
    one call solves a whole parameter grid.

    Parameters
    ----------
    first, second : array_like or qutip.Qobj
        States of link 1 (heralded at 0) and link 2 (heralded at ``t1``), BDS or density matrices.
    memory : array_like (..., 3), PauliMemory or T1T2Memory
        Memory rates ``(γx, γy, γz)`` of every memory, in the inverse time unit of ``t1`` and ``t2``.
    t1, t2 : float or array_like
        Heralding time of link 2 and consumption time (``0 <= t1 <= t2``).
    fom : str or FigureOfMerit
        Figure of merit: a :class:`qnet.FigureOfMerit`, or a name of :data:`qnet.FIGURES_OF_MERIT`.
    weighted : bool, optional
        Multiply the figure of merit by the EPP success probability (default: the figure's own
        ``weighted``, False for a name).
    protocol : str
        Purification protocol, one of :data:`qnet.PROTOCOLS`.
    memory_second, noise, form, gate_fidelity, measurement_error
        As in :func:`purification_timeline`.
    grid : int
        Number of initial grid points (>= 3). Raise it for figures of merit with several local maxima.
    rtol : float
        Final bracket width relative to ``t2 - t1`` (in (0, 1e-3]).
    baseline : str
        What purifying is compared with at ``t2`` (``gain``, ``worth_purifying``), one of
        :data:`qnet.BASELINES`: ``"fresher"`` or ``"sacrificed"`` (link 2 alone, idled from ``t1``;
        the default), ``"kept"`` (the older link 1 alone, idled from 0), ``"better"`` / ``"worse"``
        of the two, or ``"none"`` (both pairs used as they are: their mean, or their sum when
        ``weighted``), as in :func:`qnet.purification_gain`.

    Returns
    -------
    OptimalTime
        Scalars for scalar input, arrays of the broadcast batch shape otherwise.

    Raises
    ------
    ValueError
        ``t2 < t1``, negative times or rates, unknown ``fom`` or ``protocol``, invalid states.

    Examples
    --------
    Depolarizing memories, Werner pairs: purify just before consumption.

    >>> import qnet
    >>> w = qnet.werner(0.95)
    >>> res = qnet.optimal_purification_time(w, w, qnet.depolarizing_rates(1.0), t1=0.01, t2=0.1)
    >>> res.location, round(float(res.t), 6), round(float(res.gain), 4)
    ('end', 0.1, 0.0311)

    Pure dephasing: purify as soon as the second pair exists.

    >>> qnet.optimal_purification_time(w, w, qnet.dephasing_rates(1.0), 0.01, 0.1).location
    'start'
    """
    timeline = PurificationTimeline(first, second, memory, t1, t2, protocol=protocol, memory_second=memory_second,
                                    noise=resolve(noise, gate_fidelity, measurement_error), form=form)
    return timeline.optimal_time(fom, weighted, grid=grid, rtol=rtol, baseline=baseline)


def compare_generation_policies(
    first: Any,
    second: Any,
    memory: Any,
    p: float,
    tau: float,
    deadline: float,
    *,
    deadline_from: str = "first",
    fom: str | FigureOfMerit = "fidelity",
    protocol: str = "cnot",
    memory_second: Any = None,
    noise: OperationNoise | None = None,
    tol: float = 1e-12,
    gate_fidelity: Any = None,
    measurement_error: Any = None,
) -> PolicyComparison:
    """Expected figure of merit of each purification-time policy when link 2 arrives after a random delay.

    The function tier of :meth:`PurificationTimeline.compare_policies` with
    ``generation=LinkGeneration(p, tau, deadline, deadline_from)``. Link 1 exists at time 0. Link 2 is
    attempted in rounds of duration ``tau``, each succeeding with probability ``p``, so it is heralded at
    ``t1 = K * tau`` with ``K`` geometric on ``{1, 2, ...}``. The pair is consumed ``deadline`` after
    link 1 (``deadline_from="first"``; if link 2 has not arrived by then, link 1 is delivered alone) or
    after link 2 (``deadline_from="second"``). Policies (:data:`POLICIES`): ``"immediate"`` purifies at
    ``t1``, ``"deadline"`` at consumption, ``"optimal"`` at the time optimizing (success probability ×
    figure of merit) for each ``t1``, and ``"none"`` delivers link 2 alone. The expectation is an exact
    sum over ``K``: finite for ``deadline_from="first"``, truncated with an error bound below ``tol``
    otherwise.

    Parameters
    ----------
    first, second : array_like
        Bell-diagonal states of link 1 and link 2 at heralding.
    memory : array_like (3,)
        Memory rates ``(γx, γy, γz)`` (and ``memory_second`` for link 2's memories, if different).
    p : float
        Success probability per attempt, in (0, 1].
    tau : float
        Attempt duration (> 0), same time unit as ``deadline`` and ``1/γ``.
    deadline : float
        Time from link 1 (or link 2) to consumption, >= 0.
    deadline_from : {"first", "second"}
    fom, protocol, noise, gate_fidelity, measurement_error
        As in :func:`optimal_purification_time`.
    tol : float
        Bound on the truncation error, in (0, 1e-3].

    Returns
    -------
    PolicyComparison

    Examples
    --------
    >>> import qnet
    >>> w = qnet.werner(0.95)
    >>> res = qnet.compare_generation_policies(w, w, qnet.depolarizing_rates(1.0), p=0.2, tau=0.01, deadline=0.1)
    >>> res.best
    'none'
    """
    generation = LinkGeneration(p, tau, deadline, deadline_from)
    timeline = PurificationTimeline(first, second, memory, protocol=protocol, memory_second=memory_second,
                                    noise=resolve(noise, gate_fidelity, measurement_error), generation=generation,
                                    form="bds")
    return timeline.compare_policies(fom, tol=tol)


def simulate_generation_policies(
    first: Any,
    second: Any,
    memory: Any,
    p: float,
    tau: float,
    deadline: float,
    *,
    deadline_from: str = "first",
    shots: int = 100_000,
    seed: Any = 0,
    memory_second: Any = None,
) -> dict[str, dict[str, float]]:
    """Monte Carlo of :func:`compare_generation_policies` for the plain CNOT protocol and the fidelity.

    An event-level simulation independent of the closed forms: the Bell index of each link is drawn
    from its state, the memories apply Pauli jumps as Poisson processes with rates ``(γx, γy, γz)``
    on each qubit, the EPP acts on the Pauli frame (bilateral CNOT: the control's bit flip reaches
    the target, the target's phase flip reaches the control; kept when the targets agree), and a shot
    scores 1 when the delivered pair is ``Φ+``. The ``"optimal"`` policy uses the purification times
    of :func:`optimal_purification_time` (weighted fidelity) for each arrival time.

    Returns
    -------
    dict
        Per policy: ``mean`` (expected fidelity counting failures as 0), ``stderr`` (its standard
        error), ``success`` (fraction of delivered pairs) and ``success_stderr``.

    Examples
    --------
    >>> import qnet
    >>> w = qnet.werner(0.95)
    >>> mc = qnet.simulate_generation_policies(w, w, qnet.depolarizing_rates(1.0), 0.2, 0.01, 0.1, shots=2000, seed=1)
    >>> sorted(mc)
    ['deadline', 'immediate', 'none', 'optimal']
    """
    generation = LinkGeneration(p, tau, deadline, deadline_from)
    return PurificationTimeline(first, second, memory, memory_second=memory_second, generation=generation,
                                form="bds").simulate_policies(shots, seed)


# ---------------------------------------------------------------- the optimal-time transition
def border_short_time(F0: Any) -> np.ndarray:
    """Leading-order (short-time) location of the optimal-time transition on the memory-pattern simplex.

    For two Werner pairs of fidelity ``F0``, the plain CNOT protocol, the fidelity, and every memory
    with rates ``γ (a, b, c)``, the derivative of the delivered fidelity with respect to the EPP time
    is, to first order in ``γ t2``, proportional to ``2 w (1 + 2w)(1 − c) − (1 + w²)(1 + c)`` with
    ``w = (4 F0 − 1)/3``. It changes sign at

    ``c* = (3 w² + 2 w − 1) / (5 w² + 2 w + 1)``,

    independent of ``a : b``, ``t1`` and ``t2``: purify immediately when the phase-flip share
    ``c > c*``, just before consumption when ``c < c*``. The derivation is in the docs
    (``docs/derivations/optimal_time_border``).

    Examples
    --------
    >>> import qnet
    >>> round(float(qnet.border_short_time(1.0)), 12)
    0.5
    >>> round(float(qnet.border_short_time(0.95)), 6)
    0.481846
    """
    F0 = _v.in_interval(F0, "F0", 0.25, 1.0)
    w = (4.0 * F0 - 1.0) / 3.0
    return (3.0 * w * w + 2.0 * w - 1.0) / (5.0 * w * w + 2.0 * w + 1.0)


def optimal_time_border(
    F0: Any,
    t1: float,
    t2: float,
    *,
    ratio: Any = 0.5,
    gamma: float = 1.0,
    fom: str = "fidelity",
    weighted: bool | None = None,
    protocol: str = "cnot",
    xtol: float = 1e-9,
    rule: str = "midpoint",
    leave_tol: float = 1e-3,
) -> np.ndarray:
    """Numerical location of the optimal-time transition: the phase-flip share ``c`` where ``t*`` crosses mid-interval.

    Along the line of the simplex with ``a / (a + b) = ratio`` (``a = ratio (1 − c)``,
    ``b = (1 − ratio)(1 − c)``), for Werner inputs of fidelity ``F0`` heralded at 0 and ``t1``,
    consumption at ``t2`` and total memory rate ``gamma``, returns the ``c`` in [0, 1] at which the
    optimal EPP time passes ``(t1 + t2)/2`` (a jump from ``t2`` to ``t1`` where the transition is
    sharp), found by vectorized bisection to ``xtol``. Where ``t*`` does not cross mid-interval on
    the line, the result is NaN, marking "no transition on this line".

    ``rule="leaves_t1"`` locates instead the border as Zang et al. (arXiv:2505.02286) draw it: the
    largest ``c`` (coming from pure dephasing, where ``t* = t1``) at which ``t*`` leaves ``t1`` by more
    than ``leave_tol`` of the interval, ``t* > t1 + leave_tol (t2 − t1)``. Where ``t*`` jumps, both
    rules give the same border; where it moves continuously, ``"leaves_t1"`` marks where it starts
    to move and ``"midpoint"`` where it is half-way.

    Examples
    --------
    >>> import qnet
    >>> c = qnet.optimal_time_border(0.95, 0.01, 0.1, ratio=0.0)
    >>> abs(float(c) - float(qnet.border_short_time(0.95))) < 0.01
    True
    >>> float(qnet.optimal_time_border(0.95, 0.01, 0.1, ratio=0.0, rule="leaves_t1")) >= float(c)
    True
    """
    F0 = _v.in_interval(F0, "F0", 0.25, 1.0)
    gamma = _v.positive(gamma, "gamma")
    shape = _v.broadcast({"F0": F0, "gamma": gamma})
    lam = np.broadcast_to(werner_rows(F0), shape + (4,))
    timeline = PurificationTimeline(lam, lam, np.zeros(shape + (3,)), t1, t2, protocol=protocol, form="bds")
    return _border(timeline, np.broadcast_to(gamma, shape), ratio, as_figure_of_merit(fom, weighted), rule, xtol,
                   leave_tol)
