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
from .measures import BDS_MEASURES, MEASURES, fom_sign
from .purification import BASELINES, FIGURES_OF_MERIT, PROTOCOLS, baseline_values, bds_purify, dm_purify
from .results import Result
from .states import bds_to_dm

__all__ = [
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

# |figure of merit| <= 2*sqrt(2) < 3 for every entry of FIGURES_OF_MERIT (CHSH is the largest).
_FOM_BOUND = 3.0


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


def _memories(rates: Any, rates_second: Any, kind: str) -> tuple[Any, Any]:
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

    mem1 = one(rates, "rates")
    mem2 = mem1 if rates_second is None else one(rates_second, "rates_second")
    return mem1, mem2


def _fom(fom: str, weighted: bool) -> str:
    _v.option(fom, "fom", FIGURES_OF_MERIT)
    if not isinstance(weighted, (bool, np.bool_)):
        raise TypeError(f"weighted must be True or False, got {weighted!r}")
    return fom


# ---------------------------------------------------------------- the timeline
def _prepare(first, second, rates, rates_second, t1, t2, protocol, gate_fidelity, measurement_error, form,
             extra=None):
    """Validate the timeline's inputs; return them broadcast to one batch shape (views, no copies)."""
    kind1, lam = _v.state(first, "first", form)
    kind2, mu = _v.state(second, "second", form)
    kind = kind1 if kind1 == kind2 else "dm"  # one promotion rule, as in purify: mixed forms become density matrices
    if kind1 != kind2:
        lam = bds_to_dm(lam) if kind1 == "bds" else lam
        mu = bds_to_dm(mu) if kind2 == "bds" else mu
    t1, t2 = _times(t1, t2)
    mem1, mem2 = _memories(rates, rates_second, kind)
    _v.option(protocol, "protocol", PROTOCOLS)
    gate_fidelity = _v.probability(gate_fidelity, "gate_fidelity")
    measurement_error = _v.probability(measurement_error, "measurement_error")
    core = 1 if kind == "bds" else 2
    parts = {"first": lam, "second": mu, "t1": t1, "t2": t2, "gate_fidelity": gate_fidelity,
             "measurement_error": measurement_error, **(extra or {})}
    cores = {"first": core, "second": core}
    for name, mem in (("rates", mem1), ("rates_second", mem2)):
        if not isinstance(mem, T1T2Memory):
            parts[name] = mem
            cores[name] = 1
    shape = _v.broadcast(parts, core=cores)

    def fit(a, c=0):
        return a if isinstance(a, T1T2Memory) else np.broadcast_to(a, shape + np.shape(a)[np.ndim(a) - c:])

    return _Timeline(kind, shape, fit(lam, core), fit(mu, core), fit(mem1, 1), fit(mem2, 1), fit(t1), fit(t2),
                     protocol, fit(gate_fidelity), fit(measurement_error))


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

    def value(self, t: np.ndarray, fom: str, weighted: bool) -> tuple[np.ndarray, np.ndarray]:
        """(figure of merit, success probability) at EPP times ``t``.

        Weighted, a certain failure (``p = 0``) counts as 0; unweighted it has no value and raises.
        """
        state, p = self.run(t) if weighted else self.run_successful(t)
        val = BDS_MEASURES[fom](state) if self.kind == "bds" else np.asarray(MEASURES[fom](state, form="dm"))
        return (val * p if weighted else val), p

    def _alone(self, state: np.ndarray, memory: Any, wait: np.ndarray, fom: str) -> np.ndarray:
        if self.kind == "bds":
            eta = transfer_eta(memory, wait)
            return BDS_MEASURES[fom](bds_idle(state, eta, eta))
        return np.asarray(MEASURES[fom](idle(state, memory, wait, form="dm"), form="dm"))

    def baseline(self, fom: str) -> np.ndarray:
        """Figure of merit of link 2 alone, idled from t1 to t2 (no purification)."""
        return self._alone(self.mu, self.mem2, self.t2 - self.t1, fom)

    def older(self, fom: str) -> np.ndarray:
        """Figure of merit of link 1 alone, idled from 0 to t2."""
        return self._alone(self.lam, self.mem1, self.t2, fom)


def purification_timeline(
    first: Any,
    second: Any,
    rates: Any,
    t1: Any,
    t2: Any,
    t: Any,
    *,
    protocol: str = "cnot",
    rates_second: Any = None,
    gate_fidelity: Any = 1.0,
    measurement_error: Any = 0.0,
    form: str = "auto",
) -> tuple[np.ndarray, np.ndarray]:
    """State delivered at ``t2`` when the EPP runs at time ``t``, and the EPP's success probability.

    Parameters
    ----------
    first, second : array_like or qutip.Qobj
        States of link 1 (heralded at 0, kept) and link 2 (heralded at ``t1``, sacrificed):
        BDS ``(..., 4)`` or density matrices ``(..., 4, 4)`` (both of the same form).
    rates : array_like (..., 3), PauliMemory or T1T2Memory
        Memory of every qubit (of link 1 and the output; of link 2 too unless ``rates_second``).
    t1, t2 : float or array_like
        Heralding time of link 2 and consumption time, ``0 <= t1 <= t2``.
    t : float or array_like
        EPP time(s) in ``[t1, t2]``; arrays broadcast against the other batch axes. Times within a
        few ulps outside the interval (rounding in ``t1 + x * (t2 - t1)``) are clipped onto it.
    protocol : str
        Any name of :data:`qnet.PROTOCOLS`.
    rates_second : optional
        Memory of link 2's qubits, if different.
    gate_fidelity, measurement_error : float or array_like
        Operation noise of the EPP (see :func:`qnet.purify`).
    form : {"auto", "bds", "dm"}
        How to read ``first`` and ``second``.

    Returns
    -------
    state : numpy.ndarray
        The delivered state at ``t2`` (BDS or density matrix, like the inputs), batch shape the
        broadcast of every argument's batch shape.
    p_success : numpy.ndarray
        Success probability of the EPP.

    Examples
    --------
    >>> import qnet
    >>> w = qnet.werner(0.95)
    >>> state, p = qnet.purification_timeline(w, w, qnet.depolarizing_rates(1.0), 0.01, 0.1, [0.01, 0.1])
    >>> qnet.fidelity(state).round(4)
    array([0.807 , 0.8318])
    """
    tl, t = _timeline_at(first, second, rates, t1, t2, t, protocol, rates_second, gate_fidelity, measurement_error,
                         form)
    return tl.run_successful(t)


_ULPS = 4  # EPP times this many ulps outside [t1, t2] are clipped onto the interval


def _timeline_at(first, second, rates, t1, t2, t, protocol, rates_second, gate_fidelity, measurement_error, form):
    """Validated timeline and EPP times ``t`` (broadcast, checked to lie in [t1, t2])."""
    t = _v.nonnegative(t, "t")
    tl = _prepare(first, second, rates, rates_second, t1, t2, protocol, gate_fidelity, measurement_error, form,
                  extra={"t": t})
    t = np.broadcast_to(t, tl.shape)
    # times a few ulps outside [t1, t2] (e.g. t1 + 1.0 * (t2 - t1) rounding above t2) are the endpoints
    slack = _ULPS * np.finfo(np.float64).eps * np.maximum(np.abs(tl.t1), np.abs(tl.t2))
    t = np.where((t < tl.t1) & (t >= tl.t1 - slack), tl.t1, np.where((t > tl.t2) & (t <= tl.t2 + slack), tl.t2, t))
    outside = (t < tl.t1) | (t > tl.t2)
    if outside.any():
        idx = tuple(np.argwhere(outside)[0])
        raise ValueError(f"t must lie in [t1, t2], got t={t[idx]!r} with t1={tl.t1[idx]!r}, t2={tl.t2[idx]!r}")
    return tl, t


def timeline_value(
    first: Any,
    second: Any,
    rates: Any,
    t1: Any,
    t2: Any,
    t: Any,
    fom: str = "fidelity",
    weighted: bool = False,
    *,
    protocol: str = "cnot",
    rates_second: Any = None,
    gate_fidelity: Any = 1.0,
    measurement_error: Any = 0.0,
    form: str = "auto",
) -> np.ndarray:
    """Figure of merit at ``t2`` of the pair purified at ``t`` (times the success probability if ``weighted``).

    Takes the arguments of :func:`purification_timeline` plus ``fom`` (a name of
    :data:`qnet.FIGURES_OF_MERIT`) and ``weighted``; returns an array of the broadcast batch shape.

    Examples
    --------
    >>> import numpy as np, qnet
    >>> w = qnet.werner(0.95)
    >>> t = np.linspace(0.01, 0.1, 4)
    >>> qnet.timeline_value(w, w, qnet.depolarizing_rates(1.0), 0.01, 0.1, t).round(4)
    array([0.807 , 0.8178, 0.826 , 0.8318])
    """
    fom = _fom(fom, weighted)
    tl, t = _timeline_at(first, second, rates, t1, t2, t, protocol, rates_second, gate_fidelity, measurement_error,
                         form)
    return tl.value(t, fom, bool(weighted))[0]


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

    @property
    def gain(self):
        """What purifying at the optimal time adds over the baseline, in the figure's direction:
        ``value - baseline_value`` (``baseline_value - value`` for a figure that is better when lower)."""
        base = self.no_epp_value if self.baseline_value is None else self.baseline_value
        return fom_sign(self.fom) * (self.value - base)

    @property
    def worth_purifying(self):
        """True where purifying at the optimal time beats the baseline."""
        return self.gain > 0


_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


def optimal_purification_time(
    first: Any,
    second: Any,
    rates: Any,
    t1: Any,
    t2: Any,
    fom: str = "fidelity",
    weighted: bool = False,
    protocol: str = "cnot",
    *,
    rates_second: Any = None,
    gate_fidelity: Any = 1.0,
    measurement_error: Any = 0.0,
    grid: int = 9,
    rtol: float = 1e-10,
    form: str = "auto",
    baseline: str = "fresher",
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
    rates : array_like (..., 3), PauliMemory or T1T2Memory
        Memory rates ``(γx, γy, γz)`` of every memory, in the time unit of ``t1`` and ``t2``.
    t1, t2 : float or array_like
        Heralding time of link 2 and consumption time (``0 <= t1 <= t2``).
    fom : str
        Figure of merit, one of :data:`qnet.FIGURES_OF_MERIT`.
    weighted : bool
        Multiply the figure of merit by the EPP success probability.
    protocol : str
        Purification protocol, one of :data:`qnet.PROTOCOLS`.
    rates_second, gate_fidelity, measurement_error, form
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
    fom = _fom(fom, weighted)
    weighted = bool(weighted)
    _v.option(baseline, "baseline", BASELINES)
    grid = _v.integer(grid, "grid")
    if grid < 3:
        raise ValueError(f"grid must be an integer >= 3, got {grid}")
    if grid > MAX_GRID:
        raise ValueError(f"grid must be <= MAX_GRID = {MAX_GRID}, got {grid}")
    rtol = float(_v.in_interval(rtol, "rtol", 0.0, 1e-3, low_open=True))
    tl = _prepare(first, second, rates, rates_second, t1, t2, protocol, gate_fidelity, measurement_error, form)
    t1, t2, shape = tl.t1, tl.t2, tl.shape
    span = t2 - t1

    sign = fom_sign(fom)  # search the maximum of sign * value: the best value in the figure's direction

    def f(t):
        return sign * tl.value(t, fom, weighted)[0]

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
    v_opt, p_opt = (np.take_along_axis(a, pick[None], 0)[0] for a in (cand_v, tl.value(cand_t, fom, weighted)[1]))
    location = np.where(t_opt == t1, "start", np.where(t_opt == t2, "end", "interior"))

    def out(a):
        a = np.asarray(a)
        return a.item() if a.ndim == 0 else a

    fresher = tl.baseline(fom)
    base = fresher if baseline in ("fresher", "sacrificed") else \
        baseline_values(tl.older(fom), fresher, baseline, "sacrificed", weighted, sign)
    return OptimalTime(
        t=out(t_opt), value=out(sign * v_opt), no_epp_value=out(fresher), start_value=out(sign * cand_v[0]),
        end_value=out(sign * cand_v[1]), p_success=out(p_opt), location=out(location), fom=fom, weighted=weighted,
        baseline=baseline, baseline_value=out(base),
    )


# ---------------------------------------------------------------- probabilistic generation
DEADLINES = ("first", "second")


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
    """

    expected_value: dict
    success_probability: dict
    truncation_error: float
    n_terms: int
    fom: str = "fidelity"

    @property
    def best(self) -> str:
        """The policy with the best expected value in the figure's direction (:data:`qnet.FOM_DIRECTION`)."""
        sign = fom_sign(self.fom)
        return max(self.expected_value, key=lambda k: sign * self.expected_value[k])

    @property
    def conditional_value(self) -> dict:
        """Per policy, the expected figure of merit given that a pair is delivered."""
        return {k: self.expected_value[k] / self.success_probability[k] for k in self.expected_value}


#: Most shots of :func:`simulate_generation_policies` (a few arrays of this length are allocated).
MAX_SHOTS = 10**8
#: Most link-2 arrival times a generation-policy comparison sums over.
MAX_GENERATION_TERMS = 10**6


def _generation_schedule(p: float, tau: float, deadline: float, deadline_from: str, tol: float):
    """Arrival times ``t1_k``, probabilities, consumption times, P(no second link) and the truncation bound.

    Arrivals later than the first ``K`` attempts, whose total probability ``(1 - p)**K`` times the largest
    figure of merit is below ``tol``, are left out of the sum and counted in the bound.
    """
    k_tol = 1 if p == 1.0 else max(1, int(np.ceil(np.log(tol / _FOM_BOUND) / np.log1p(-p))))
    if deadline_from == "first":
        k_all = int(min(np.floor(deadline / tau * (1 + 1e-12)), 2.0**62))  # attempts that end by the deadline
        kmax = min(k_all, k_tol)
        p_none = (1.0 - p) ** k_all
        bound = _FOM_BOUND * ((1.0 - p) ** kmax - p_none) if kmax < k_all else 0.0
    else:
        kmax = k_tol
        p_none, bound = 0.0, _FOM_BOUND * (1.0 - p) ** kmax
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
    rates: Any,
    p: float,
    tau: float,
    deadline: float,
    *,
    deadline_from: str = "first",
    fom: str = "fidelity",
    protocol: str = "cnot",
    rates_second: Any = None,
    gate_fidelity: float = 1.0,
    measurement_error: float = 0.0,
    tol: float = 1e-12,
) -> PolicyComparison:
    """Expected figure of merit of each purification-time policy when link 2 arrives after a random delay.

    Link 1 exists at time 0. Link 2 is attempted in rounds of duration ``tau``, each succeeding with
    probability ``p``, so it is heralded at ``t1 = K * tau`` with ``K`` geometric on ``{1, 2, ...}``.
    The pair is consumed ``deadline`` after link 1 (``deadline_from="first"``; if link 2 has not
    arrived by then, link 1 is delivered alone) or after link 2 (``deadline_from="second"``).
    Policies (:data:`POLICIES`): ``"immediate"`` purifies at ``t1``, ``"deadline"`` at consumption,
    ``"optimal"`` at the time optimizing (success probability × figure of merit) for each ``t1``, and
    ``"none"`` delivers link 2 alone. The expectation is an exact sum over ``K``: finite for
    ``deadline_from="first"``, truncated with an error bound below ``tol`` otherwise.

    Parameters
    ----------
    first, second : array_like
        Bell-diagonal states of link 1 and link 2 at heralding.
    rates : array_like (3,)
        Memory rates ``(γx, γy, γz)`` (and ``rates_second`` for link 2's memories, if different).
    p : float
        Success probability per attempt, in (0, 1].
    tau : float
        Attempt duration (> 0), same time unit as ``deadline`` and ``1/rates``.
    deadline : float
        Time from link 1 (or link 2) to consumption, >= 0.
    deadline_from : {"first", "second"}
    fom, protocol, gate_fidelity, measurement_error
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
    lam = _v.bds(first, "first")
    mu = _v.bds(second, "second")
    if lam.ndim != 1 or mu.ndim != 1:
        raise ValueError(f"first and second must be single Bell-diagonal states (shape (4,)), got {lam.shape}, {mu.shape}")
    p = float(_v.scalar(_v.probability, p, "p", zero_ok=False))
    tau = float(_v.scalar(_v.positive, tau, "tau"))
    deadline = float(_v.scalar(_v.nonnegative, deadline, "deadline"))
    _v.option(deadline_from, "deadline_from", DEADLINES)
    fom = _fom(fom, False)
    tol = float(_v.scalar(_v.in_interval, tol, "tol", 0.0, 1e-3, low_open=True))
    _v.option(protocol, "protocol", PROTOCOLS)
    _v.scalar(_v.probability, gate_fidelity, "gate_fidelity")
    _v.scalar(_v.probability, measurement_error, "measurement_error")
    mem1, mem2 = _memories(rates, rates_second, "bds")
    if np.ndim(mem1) != 1 or np.ndim(mem2) != 1:
        raise ValueError("rates must be a single set of rates (shape (3,)) here")
    t1, t2, prob, p_none, bound = _generation_schedule(p, tau, deadline, deadline_from, tol)
    kw = dict(protocol=protocol, rates_second=rates_second, gate_fidelity=gate_fidelity,
              measurement_error=measurement_error, form="bds")
    eta = transfer_eta(mem1, np.float64(deadline))
    alone = float(BDS_MEASURES[fom](bds_idle(lam, eta, eta))) if p_none > 0 else 0.0
    values, success = {}, {}
    if t1.size:
        opt = optimal_purification_time(lam, mu, rates, t1, t2, fom=fom, weighted=True, **kw)
        times = {"immediate": t1, "deadline": t2, "optimal": np.asarray(opt.t)}
        tl = _prepare(lam, mu, rates, rates_second, t1, t2, protocol, gate_fidelity, measurement_error, "bds")
        for name, t in times.items():
            v, ps = tl.value(t, fom, True)
            values[name] = float(prob @ v)
            success[name] = float(prob @ ps)
        values["none"] = float(prob @ np.asarray(opt.no_epp_value))
        success["none"] = float(prob.sum())
    else:
        values = dict.fromkeys(POLICIES, 0.0)
        success = dict.fromkeys(POLICIES, 0.0)
    values = {k: values[k] + p_none * alone for k in POLICIES}
    success = {k: success[k] + p_none for k in POLICIES}
    return PolicyComparison(values, success, bound, int(t1.size), fom)


def simulate_generation_policies(
    first: Any,
    second: Any,
    rates: Any,
    p: float,
    tau: float,
    deadline: float,
    *,
    deadline_from: str = "first",
    shots: int = 100_000,
    seed: int | None = 0,
    rates_second: Any = None,
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
    from ._kernels.timing import simulate_policy

    lam = _v.bds(first, "first")
    mu = _v.bds(second, "second")
    p = _v.scalar(_v.probability, p, "p", zero_ok=False)
    tau = _v.scalar(_v.positive, tau, "tau")
    deadline = _v.scalar(_v.nonnegative, deadline, "deadline")
    _v.option(deadline_from, "deadline_from", DEADLINES)
    shots = _v.integer(shots, "shots")
    if not 1 <= shots <= MAX_SHOTS:
        raise ValueError(f"shots must be a positive integer <= MAX_SHOTS = {MAX_SHOTS}, got {shots}")
    mem1, mem2 = _memories(rates, rates_second, "bds")
    rng = np.random.default_rng(_v.seed_int(seed))
    k = rng.geometric(p, size=shots)
    t1 = k * tau
    if deadline_from == "first":
        has_second = t1 <= deadline * (1 + 1e-12)
        t2 = np.full(shots, deadline)
    else:
        has_second = np.ones(shots, dtype=bool)
        t2 = t1 + deadline
    t1 = np.where(has_second, t1, deadline)
    uniq, inverse = np.unique(k[has_second], return_inverse=True)
    t_opt = np.array(t2)
    if uniq.size:
        t2u = np.full(uniq.shape, deadline) if deadline_from == "first" else uniq * tau + deadline
        opt = optimal_purification_time(lam, mu, rates, uniq * tau, t2u, fom="fidelity", weighted=True,
                                        rates_second=rates_second)
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
    weighted: bool = False,
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
    ratio = _v.in_interval(ratio, "ratio", 0.0, 1.0)
    t1, t2 = _times(t1, t2)
    gamma = _v.positive(gamma, "gamma")
    xtol = _v.scalar(_v.in_interval, xtol, "xtol", 1e-15, 0.1)  # c lies in [0, 1]: below 1e-15 is round-off
    _v.option(rule, "rule", BORDER_RULES)
    leave_tol = _v.scalar(_v.in_interval, leave_tol, "leave_tol", 0.0, 0.5, low_open=True)
    shape = _v.broadcast({"F0": F0, "ratio": ratio, "t1": t1, "t2": t2, "gamma": gamma})
    mid = 0.5 * (t1 + t2) if rule == "midpoint" else t1 + leave_tol * (t2 - t1)
    lam = np.broadcast_to(_werner_rows(F0), shape + (4,))

    def late(c):
        pattern = np.stack([ratio * (1 - c), (1 - ratio) * (1 - c), c], axis=-1)
        res = optimal_purification_time(lam, lam, gamma[..., None] * pattern, t1, t2, fom, weighted, protocol)
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


def _werner_rows(F: np.ndarray) -> np.ndarray:
    rest = (1.0 - F) / 3.0
    return np.stack([F, rest, rest, rest], axis=-1)
