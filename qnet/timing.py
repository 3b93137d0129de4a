"""When to purify: the timing model, the optimal purification time and probabilistic link generation.

The model (Zang et al., arXiv:2505.02286, and the docs' timing page):

* link 1 is heralded at time 0 in state ``first``; link 2 at ``t1`` in state ``second``;
* the pair is consumed at ``t2 >= t1``; the purification (EPP) runs at ``t`` in ``[t1, t2]``;
* before the EPP, both qubits of link 1 idle for ``t`` and both qubits of link 2 for ``t - t1``;
  the output (kept in link 1's memories) idles for ``t2 - t``;
* the figure of merit is evaluated at ``t2``; "weighted" multiplies it by the EPP's success probability.

Link 1 is the kept pair (the CNOT controls) and link 2 is sacrificed; for the plain CNOT protocol the
output does not depend on that choice. Memories are continuous-time Pauli channels with rates
``(γx, γy, γz)`` (the same time unit as ``t1``, ``t2``); density-matrix inputs may also use
:class:`qnet.T1T2Memory`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _validation as _v
from .channels import T1T2Memory, transfer_eta, pauli_rate_array, bds_idle, idle
from .measures import FigureOfMerit, as_figure_of_merit
from .noise import OperationNoise, resolve
from .purification import BASELINES, GAIN_ATOL, PROTOCOLS, baseline_values, bds_purify, dm_purify
from .results import Heralded, Result, content_hash
from .states import bds_to_dm, werner_rows

__all__ = [
    "PurificationTimeline",
    "LinkGeneration",
    "purification_timeline",
    "timeline_value",
    "OptimalTime",
    "optimal_purification_time",
    "POLICIES",
    "PolicyComparison",
    "compare_generation_policies",
    "simulate_generation_policies",
    "MAX_GENERATION_TERMS",
    "MAX_SHOTS",
    "MAX_GRID",
    "BORDER_RULES",
    "border_short_time",
    "optimal_time_border",
]

#: Purification-time policies compared under probabilistic generation.
POLICIES = ("immediate", "deadline", "optimal", "none")

#: Most initial grid points of :func:`optimal_purification_time` (each is evaluated over the whole batch).
MAX_GRID = 10**5

#: When the consumption deadline of a :class:`LinkGeneration` counts from: link 1 or link 2.
DEADLINES = ("first", "second")


# ---------------------------------------------------------------- validation helpers
def _times(t1: Any, t2: Any) -> tuple[np.ndarray, np.ndarray]:
    t1 = _v.nonnegative(t1, "t1")
    t2 = _v.nonnegative(t2, "t2")
    try:
        bad = np.broadcast_to(t2 < t1, np.broadcast_shapes(t1.shape, t2.shape))
    except ValueError:
        raise ValueError(f"t1 (shape {t1.shape}) and t2 (shape {t2.shape}) do not broadcast") from None
    if bad.any():
        idx = tuple(np.argwhere(bad)[0])
        b1, b2 = np.broadcast_arrays(t1, t2)
        raise ValueError(f"t2 must be >= t1 (consumption after the second link), got t1={b1[idx]!r}, t2={b2[idx]!r}")
    return t1, t2


def _memories(memory: Any, memory_second: Any, kind: str) -> tuple[Any, Any]:
    """Validated memories of link 1 (and the output) and of link 2: Pauli rate arrays or T1T2Memory."""

    def one(value, name):
        if isinstance(value, T1T2Memory):
            if kind == "bds":
                raise ValueError(
                    f"{name} is a T1T2Memory, which leaves the Bell-diagonal family; pass density matrices "
                    "(qnet.to_density_matrix) as first and second"
                )
            return value
        return pauli_rate_array(value, name)

    mem1 = one(memory, "memory")
    mem2 = mem1 if memory_second is None else one(memory_second, "memory_second")
    return mem1, mem2


def _states(first: Any, second: Any, form: str) -> tuple[str, np.ndarray, np.ndarray]:
    """The two pairs in one state form: a Bell-diagonal pair next to a density matrix is promoted (as in purify)."""
    kind1, lam = _v.state(first, "first", form)
    kind2, mu = _v.state(second, "second", form)
    if kind1 == kind2:
        return kind1, lam, mu
    return "dm", (bds_to_dm(lam) if kind1 == "bds" else lam), (bds_to_dm(mu) if kind2 == "bds" else mu)


# ---------------------------------------------------------------- the timeline
def _prepare(kind, lam, mu, mem1, mem2, t1, t2, protocol, noise, extra=None) -> "_Timeline":
    """Validated inputs broadcast to one batch shape (views, no copies)."""
    f, q = np.asarray(noise.gate_fidelity), np.asarray(noise.measurement_error)
    core = 1 if kind == "bds" else 2
    parts = {"first": lam, "second": mu, "t1": t1, "t2": t2, "gate_fidelity": f, "measurement_error": q,
             **(extra or {})}
    cores = {"first": core, "second": core}
    for name, mem in (("memory", mem1), ("memory_second", mem2)):
        if not isinstance(mem, T1T2Memory):
            parts[name] = mem
            cores[name] = 1
    shape = _v.broadcast(parts, core=cores)

    def fit(a, c=0):
        return a if isinstance(a, T1T2Memory) else np.broadcast_to(a, shape + np.shape(a)[np.ndim(a) - c:])

    return _Timeline(kind, shape, fit(lam, core), fit(mu, core), fit(mem1, 1), fit(mem2, 1), fit(t1), fit(t2),
                     protocol, fit(f), fit(q))


def _stand_in(out: np.ndarray, p: np.ndarray, mixed: np.ndarray) -> np.ndarray:
    """Where a purification fails with certainty there is no output state: stand in the maximally mixed one
    (a valid state, so idling and the figures of merit stay finite; it is weighted by p = 0 or refused)."""
    failed = p <= 0.0
    return np.where(failed.reshape(failed.shape + (1,) * mixed.ndim), mixed, out) if failed.any() else out


@dataclass(frozen=True)
class _Timeline:
    """Validated, broadcast inputs of the timing model; ``run(t)`` evaluates EPP times ``t`` of shape (n, *shape)."""

    kind: str
    shape: tuple
    lam: np.ndarray
    mu: np.ndarray
    mem1: Any
    mem2: Any
    t1: np.ndarray
    t2: np.ndarray
    protocol: str
    gate_fidelity: np.ndarray
    measurement_error: np.ndarray

    def run(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(state at t2, success probability) for EPP times ``t`` whose trailing axes are the batch shape."""
        lead = (None,) * (t.ndim - len(self.shape))
        t1, t2 = self.t1[lead], self.t2[lead]
        noise = (self.gate_fidelity[lead], self.measurement_error[lead])
        if self.kind == "bds":
            eta1 = transfer_eta(self.mem1[lead], t)
            lam_t = bds_idle(self.lam[lead], eta1, eta1)
            eta2 = transfer_eta(self.mem2[lead], t - t1)
            mu_t = bds_idle(self.mu[lead], eta2, eta2)
            out, p = bds_purify(lam_t, mu_t, self.protocol, *noise)
            out = _stand_in(out, p, np.full(4, 0.25))
            eta3 = transfer_eta(self.mem1[lead], t2 - t)
            return bds_idle(out, eta3, eta3), p
        full = t.shape
        lift = (lambda m: m if isinstance(m, T1T2Memory) else np.broadcast_to(m[lead], full + (3,)))
        rho = idle(np.broadcast_to(self.lam[lead], full + (4, 4)), lift(self.mem1), t, form="dm")
        sig = idle(np.broadcast_to(self.mu[lead], full + (4, 4)), lift(self.mem2), t - t1, form="dm")
        out, p = dm_purify(rho, sig, self.protocol, noise[0], noise[1])
        out = _stand_in(out, p, np.eye(4) / 4.0)
        return idle(out, lift(self.mem1), t2 - t, form="dm"), p

    def run_successful(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`run`, raising where the purification fails with certainty (no output state exists)."""
        state, p = self.run(t)
        failed = p <= 0.0
        if failed.any():
            idx = tuple(int(i) for i in np.argwhere(failed)[0])
            tb = np.broadcast_to(t, p.shape)
            raise ValueError(
                f"the purification at t={float(tb[idx])!r}{f' (batch index {idx})' if idx else ''} fails with "
                f"certainty (success probability 0): the outcomes never agree, so no output state exists; "
                f"weighted=True counts a failure as 0"
            )
        return state, p

    def value(self, t: np.ndarray, fom: FigureOfMerit) -> tuple[np.ndarray, np.ndarray]:
        """(figure of merit, success probability) at EPP times ``t``.

        Weighted, a certain failure (``p = 0``) counts as 0; unweighted it has no value and raises.
        """
        state, p = self.run(t) if fom.weighted else self.run_successful(t)
        val = fom(state, self.kind)
        return (val * p if fom.weighted else val), p

    def _alone(self, state: np.ndarray, memory: Any, wait: np.ndarray, fom: FigureOfMerit) -> np.ndarray:
        if self.kind == "bds":
            eta = transfer_eta(memory, wait)
            return fom(bds_idle(state, eta, eta))
        return fom(idle(state, memory, wait, form="dm"), "dm")

    def baseline(self, fom: FigureOfMerit) -> np.ndarray:
        """Figure of merit of link 2 alone, idled from t1 to t2 (no purification)."""
        return self._alone(self.mu, self.mem2, self.t2 - self.t1, fom)

    def older(self, fom: FigureOfMerit) -> np.ndarray:
        """Figure of merit of link 1 alone, idled from 0 to t2."""
        return self._alone(self.lam, self.mem1, self.t2, fom)


_ULPS = 4  # EPP times this many ulps outside [t1, t2] are clipped onto the interval


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
        Purification variant, a name of :data:`qnet.PROTOCOLS`.
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
        _v.option(protocol, "protocol", PROTOCOLS)
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


def timeline_value(
    first: Any,
    second: Any,
    memory: Any,
    t1: Any,
    t2: Any,
    t: Any,
    fom: str | FigureOfMerit = "fidelity",
    weighted: bool | None = None,
    *,
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


# ---------------------------------------------------------------- optimal time
@dataclass(frozen=True, repr=False)
class OptimalTime(Result):
    """Result of :func:`optimal_purification_time` (arrays of the broadcast batch shape, or scalars).

    Attributes
    ----------
    t : float or ndarray
        Optimal absolute EPP time in ``[t1, t2]`` (ties resolve to the earliest time).
    value : float or ndarray
        Figure of merit at ``t2`` when purifying at ``t``.
    no_epp_value : float or ndarray
        Baseline without purification: the fresher pair (link 2) alone, idled from ``t1`` to ``t2``.
    start_value, end_value : float or ndarray
        Figure of merit when purifying at ``t1`` and at ``t2``.
    p_success : float or ndarray
        EPP success probability at the optimum.
    location : str or ndarray of str
        ``"start"``, ``"end"`` or ``"interior"``.
    fom : str
        Name of the figure of merit (with ``weighted``).
    weighted : bool
        Whether values include the success probability.
    baseline : str
        What purifying is compared with (see :func:`optimal_purification_time`).
    baseline_value : float or ndarray
        Figure of merit of the baseline at ``t2`` (``no_epp_value`` for the default ``"fresher"``).
    direction : str
        ``"maximize"`` or ``"minimize"``: the figure's direction, in which ``gain`` is taken.
    problem : str
        Identity of the :class:`PurificationTimeline` that produced the result.
    """

    t: Any
    value: Any
    no_epp_value: Any
    start_value: Any
    end_value: Any
    p_success: Any
    location: Any
    fom: str
    weighted: bool
    baseline: str = "fresher"
    baseline_value: Any = None
    direction: str = "maximize"
    problem: str = ""

    @property
    def gain(self):
        """What purifying at the optimal time adds over the baseline, in the figure's direction:
        ``value - baseline_value`` (``baseline_value - value`` for a figure that is better when lower)."""
        base = self.no_epp_value if self.baseline_value is None else self.baseline_value
        return (1.0 if self.direction == "maximize" else -1.0) * (self.value - base)

    @property
    def worth_purifying(self):
        """True where purifying at the optimal time beats the baseline."""
        return self.gain > 0

    @property
    def tied(self):
        """True where the optimum is not unique: an endpoint other than the optimum's own time scores within
        ``GAIN_ATOL`` (1e-12) of it (a flat figure, e.g. zero at every time, ties everywhere; ``t`` is then the
        earliest of the tied candidates).

        Examples
        --------
        >>> import qnet
        >>> qnet.optimal_purification_time(qnet.werner(0.4), qnet.werner(0.45), qnet.depolarizing_rates(1.0), 0.1,
        ...                                0.5, fom="log_negativity").tied   # separable inputs: 0 at every time
        True
        """
        v, loc = np.asarray(self.value), np.asarray(self.location)
        out = (((loc != "start") & (np.abs(np.asarray(self.start_value) - v) <= GAIN_ATOL))
               | ((loc != "end") & (np.abs(np.asarray(self.end_value) - v) <= GAIN_ATOL)))
        return bool(out) if out.ndim == 0 else out


_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def optimal_purification_time(
    first: Any,
    second: Any,
    memory: Any,
    t1: Any,
    t2: Any,
    fom: str | FigureOfMerit = "fidelity",
    weighted: bool | None = None,
    protocol: str = "cnot",
    *,
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


def _optimal_time(tl: _Timeline, fom: FigureOfMerit, grid: Any, rtol: Any, baseline: str,
                  problem: str) -> OptimalTime:
    """Grid search and vectorized golden-section refinement of :meth:`PurificationTimeline.optimal_time`."""
    _v.option(baseline, "baseline", BASELINES)
    grid = _v.integer(grid, "grid")
    if grid < 3:
        raise ValueError(f"grid must be an integer >= 3, got {grid}")
    if grid > MAX_GRID:
        raise ValueError(f"grid must be <= MAX_GRID = {MAX_GRID}, got {grid}")
    rtol = float(_v.in_interval(rtol, "rtol", 0.0, 1e-3, low_open=True))
    t1, t2, shape = tl.t1, tl.t2, tl.shape
    span = t2 - t1
    sign = fom.sign  # search the maximum of sign * value: the best value in the figure's direction

    def f(t):
        return sign * tl.value(t, fom)[0]

    # Coarse grid including both endpoints (ties -> earliest point).
    tg = t1 + np.linspace(0.0, 1.0, grid).reshape((grid,) + (1,) * len(shape)) * span
    vg = f(tg)
    best = np.argmax(vg, axis=0)
    lo = np.take_along_axis(tg, np.clip(best - 1, 0, grid - 1)[None], 0)[0]
    hi = np.take_along_axis(tg, np.clip(best + 1, 0, grid - 1)[None], 0)[0]
    # Golden-section search for the maximum on [lo, hi] (vectorized, fixed iteration count).
    n_iter = int(np.ceil(np.log(rtol * (grid - 1) / 2.0) / np.log(_GOLDEN)))
    x1, x2 = hi - _GOLDEN * (hi - lo), lo + _GOLDEN * (hi - lo)
    f1, f2 = f(x1[None])[0], f(x2[None])[0]
    for _ in range(n_iter):
        left = f1 >= f2  # the maximum lies in [lo, x2]
        hi = np.where(left, x2, hi)
        lo = np.where(left, lo, x1)
        x_new = np.where(left, hi - _GOLDEN * (hi - lo), lo + _GOLDEN * (hi - lo))
        f_new = f(x_new[None])[0]
        x1, x2 = np.where(left, x_new, x2), np.where(left, x1, x_new)
        f1, f2 = np.where(left, f_new, f2), np.where(left, f1, f_new)
    t_mid = 0.5 * (lo + hi)
    # Candidates, in order of preference on ties: start, end, best grid point, refined point. Inner candidates
    # within the search's resolution (rtol of the interval) of an endpoint are that endpoint: a time one ulp
    # from t2 is t2, not an interior optimum.
    inner = np.stack([np.take_along_axis(tg, best[None], 0)[0], t_mid])
    near = rtol * span
    inner = np.where(np.abs(inner - t1) <= near, t1, np.where(np.abs(inner - t2) <= near, t2, inner))
    cand_t = np.concatenate([np.stack([t1, t2]), inner])
    cand_v = f(cand_t)
    pick = np.argmax(cand_v, axis=0)
    t_opt = np.take_along_axis(cand_t, pick[None], 0)[0]
    v_opt, p_opt = (np.take_along_axis(a, pick[None], 0)[0] for a in (cand_v, tl.value(cand_t, fom)[1]))
    location = np.where(t_opt == t1, "start", np.where(t_opt == t2, "end", "interior"))

    def out(a):
        a = np.asarray(a)
        return a.item() if a.ndim == 0 else a

    fresher = tl.baseline(fom)
    base = fresher if baseline in ("fresher", "sacrificed") else \
        baseline_values(tl.older(fom), fresher, baseline, "sacrificed", fom.weighted, sign)
    return OptimalTime(
        t=out(t_opt), value=out(sign * v_opt), no_epp_value=out(fresher), start_value=out(sign * cand_v[0]),
        end_value=out(sign * cand_v[1]), p_success=out(p_opt), location=out(location), fom=fom.name,
        weighted=fom.weighted, baseline=baseline, baseline_value=out(base), direction=fom.direction,
        problem=problem,
    )


# ---------------------------------------------------------------- probabilistic generation


@dataclass(frozen=True, repr=False)
class PolicyComparison(Result):
    """Expected performance of purification-time policies under probabilistic link generation.

    Attributes
    ----------
    expected_value : dict[str, float]
        Per policy, the expected figure of merit of the delivered pair, counting a failed EPP as 0.
    success_probability : dict[str, float]
        Per policy, the probability that a pair is delivered (1 for ``"none"``).
    truncation_error : float
        Upper bound on the error of every expected value from truncating the geometric sum (0 when the sum is finite).
    n_terms : int
        Number of link-2 arrival times summed over.
    fom : str
        The figure of merit compared.
    direction : str
        ``"maximize"`` or ``"minimize"``: the figure's direction.
    problem : str
        Identity of the :class:`PurificationTimeline` compared.
    """

    expected_value: dict
    success_probability: dict
    truncation_error: float
    n_terms: int
    fom: str = "fidelity"
    direction: str = "maximize"
    problem: str = ""

    @property
    def best(self) -> str:
        """The policy with the best expected value in the figure's direction."""
        sign = 1.0 if self.direction == "maximize" else -1.0
        return max(self.expected_value, key=lambda k: sign * self.expected_value[k])

    @property
    def conditional_value(self) -> dict:
        """Per policy, the expected figure of merit given that a pair is delivered."""
        return {k: self.expected_value[k] / self.success_probability[k] for k in self.expected_value}


#: Most shots of :func:`simulate_generation_policies` (a few arrays of this length are allocated).
MAX_SHOTS = 10**8
#: Most link-2 arrival times a generation-policy comparison sums over.
MAX_GENERATION_TERMS = 10**6


def _generation_schedule(gen: LinkGeneration, tol: float, fom_bound: float):
    """Arrival times ``t1_k``, probabilities, consumption times, P(no second link) and the truncation bound.

    Arrivals later than the first ``K`` attempts, whose total probability ``(1 - p)**K`` times the largest
    figure of merit ``fom_bound`` is below ``tol``, are left out of the sum and counted in the bound.
    """
    p, tau, deadline, deadline_from = gen.p, gen.tau, gen.deadline, gen.deadline_from
    # attempts needed to push the tail below tol (as a float first: a tiny p needs more than any integer holds)
    with np.errstate(over="ignore", divide="ignore"):
        k_tol = 1.0 if p == 1.0 else max(1.0, float(np.ceil(np.log(tol / fom_bound) / np.log1p(-p))))
    k_tol = int(min(k_tol, 2.0**62))
    if deadline_from == "first":
        k_all = int(min(np.floor(deadline / tau * (1 + 1e-12)), 2.0**62))  # attempts that end by the deadline
        kmax = min(k_all, k_tol)
        p_none = (1.0 - p) ** k_all
        bound = fom_bound * ((1.0 - p) ** kmax - p_none) if kmax < k_all else 0.0
    else:
        kmax = k_tol
        p_none, bound = 0.0, fom_bound * (1.0 - p) ** kmax
    if kmax > MAX_GENERATION_TERMS:
        raise ValueError(
            f"p={p!r} is too small to reach tol={tol!r} with at most MAX_GENERATION_TERMS = {MAX_GENERATION_TERMS} "
            f"link-2 arrival times ({kmax} needed); raise tol or p"
        )
    k = np.arange(1, kmax + 1)
    t2 = np.full(k.shape, float(deadline)) if deadline_from == "first" else k * tau + deadline
    prob = p * (1.0 - p) ** (k - 1.0)
    return k * tau, t2, prob, p_none, bound


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


def _compare_policies(timeline: PurificationTimeline, fom: FigureOfMerit, tol: float) -> PolicyComparison:
    """The exact sum over link-2 arrival times of :meth:`PurificationTimeline.compare_policies`."""
    gen = timeline._generated()
    if not np.isfinite(fom.bound):
        raise ValueError(f"the figure of merit {fom.name!r} has unbounded values (bounds {fom.bounds}); the "
                         "truncated sum over arrival times needs finite bounds")
    lam, mu, mem1, mem2 = timeline._lam, timeline._mu, timeline._mem1, timeline._mem2
    t1, t2, prob, p_none, bound = _generation_schedule(gen, tol, fom.bound)
    eta = transfer_eta(mem1, np.float64(gen.deadline))
    alone = float(fom(bds_idle(lam, eta, eta))) if p_none > 0 else 0.0
    values, success = {}, {}
    if t1.size:
        arrivals = _prepare("bds", lam, mu, mem1, mem2, *_times(t1, t2), timeline.protocol, timeline.noise)
        weighted = as_figure_of_merit(fom, True)
        opt = _optimal_time(arrivals, weighted, 9, 1e-10, "fresher", timeline.identity)
        times = {"immediate": t1, "deadline": t2, "optimal": np.asarray(opt.t)}
        for name, t in times.items():
            v, ps = arrivals.value(t, weighted)
            values[name] = float(prob @ v)
            success[name] = float(prob @ ps)
        values["none"] = float(prob @ np.asarray(opt.no_epp_value))
        success["none"] = float(prob.sum())
    else:
        values = dict.fromkeys(POLICIES, 0.0)
        success = dict.fromkeys(POLICIES, 0.0)
    values = {k: values[k] + p_none * alone for k in POLICIES}
    success = {k: success[k] + p_none for k in POLICIES}
    return PolicyComparison(values, success, bound, int(t1.size), fom.name, fom.direction, timeline.identity)


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


def _simulate_policies(timeline: PurificationTimeline, shots: Any, seed: Any) -> dict[str, dict[str, float]]:
    """The event-level Monte Carlo of :meth:`PurificationTimeline.simulate_policies`."""
    from ._kernels.timing import simulate_policy

    gen = timeline._generated()
    if timeline.protocol != "cnot" or not timeline.noise.is_ideal:
        raise ValueError("the generation-policy Monte Carlo models the plain CNOT protocol with ideal operations, "
                         f"got protocol={timeline.protocol!r}, noise={timeline.noise!r}")
    shots = _v.integer(shots, "shots")
    if not 1 <= shots <= MAX_SHOTS:
        raise ValueError(f"shots must be a positive integer <= MAX_SHOTS = {MAX_SHOTS}, got {shots}")
    lam, mu, mem1, mem2 = timeline._lam, timeline._mu, timeline._mem1, timeline._mem2
    p, tau, deadline = gen.p, gen.tau, gen.deadline
    rng = np.random.default_rng(_v.seed_int(seed))
    k = rng.geometric(p, size=shots)
    t1 = k * tau
    if gen.deadline_from == "first":
        has_second = t1 <= deadline * (1 + 1e-12)
        t2 = np.full(shots, deadline)
    else:
        has_second = np.ones(shots, dtype=bool)
        t2 = t1 + deadline
    t1 = np.where(has_second, t1, deadline)
    uniq, inverse = np.unique(k[has_second], return_inverse=True)
    t_opt = np.array(t2)
    if uniq.size:
        t2u = np.full(uniq.shape, deadline) if gen.deadline_from == "first" else uniq * tau + deadline
        opt = PurificationTimeline(lam, mu, mem1, uniq * tau, t2u, memory_second=mem2).optimal_time(weighted=True)
        t_opt[has_second] = np.asarray(opt.t)[inverse]
    plans = {"immediate": (t1, True), "deadline": (t2, True), "optimal": (t_opt, True), "none": (t2, False)}
    kernel_seed = int(rng.integers(2**31 - 1))
    out = {}
    for name, (t, purify_flag) in plans.items():
        success, good = simulate_policy(
            kernel_seed, np.cumsum(lam), np.cumsum(mu), mem1.astype(np.float64), mem2.astype(np.float64),
            t1.astype(np.float64), t2.astype(np.float64), np.asarray(t, dtype=np.float64), has_second, purify_flag,
        )
        mean, ok = good.mean(), success.mean()
        out[name] = {
            "mean": float(mean),
            "stderr": float(good.std(ddof=1) / np.sqrt(shots)) if shots > 1 else float("inf"),
            "success": float(ok),
            "success_stderr": float(success.std(ddof=1) / np.sqrt(shots)) if shots > 1 else float("inf"),
        }
    return out


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


#: Definitions of the optimal-time border (see :func:`optimal_time_border`).
BORDER_RULES = ("midpoint", "leaves_t1")


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


def _border(timeline: PurificationTimeline, gamma: np.ndarray, ratio: Any, fom: FigureOfMerit, rule: str, xtol: Any,
            leave_tol: Any) -> Any:
    """Vectorized bisection on the phase-flip share of :meth:`PurificationTimeline.border`."""
    ratio = _v.in_interval(ratio, "ratio", 0.0, 1.0)
    xtol = _v.scalar(_v.in_interval, xtol, "xtol", 1e-15, 0.1)  # c lies in [0, 1]: below 1e-15 is round-off
    _v.option(rule, "rule", BORDER_RULES)
    leave_tol = _v.scalar(_v.in_interval, leave_tol, "leave_tol", 0.0, 0.5, low_open=True)
    tl = timeline._timeline()
    shape = _v.broadcast({"timeline": np.empty(tl.shape), "ratio": ratio, "gamma": gamma})
    t1, t2 = tl.t1, tl.t2
    mid = 0.5 * (t1 + t2) if rule == "midpoint" else t1 + leave_tol * (t2 - t1)
    lam, mu = np.broadcast_to(tl.lam, shape + (4,)), np.broadcast_to(tl.mu, shape + (4,))
    gamma = np.broadcast_to(gamma, shape)

    def late(c):
        pattern = np.stack([ratio * (1 - c), (1 - ratio) * (1 - c), c], axis=-1)
        memory = gamma[..., None] * pattern
        at_c = _prepare("bds", lam, mu, memory, memory, t1, t2, timeline.protocol, timeline.noise)
        res = _optimal_time(at_c, fom, 9, 1e-10, "fresher", timeline.identity)
        return np.asarray(res.t) > mid

    lo, hi = np.zeros(shape), np.ones(shape)
    late_lo, late_hi = late(lo), late(hi)
    crossing = late_lo & ~late_hi
    for _ in range(int(np.ceil(np.log2(1.0 / xtol)))):
        c = 0.5 * (lo + hi)
        is_late = late(c)
        lo, hi = np.where(is_late, c, lo), np.where(is_late, hi, c)
    border = np.where(crossing, 0.5 * (lo + hi), np.nan)
    return border.item() if border.ndim == 0 else border



