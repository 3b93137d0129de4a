"""Probabilistic link generation (engine tier): the exact sum over link 2's arrival time and the event-level Monte
Carlo behind :meth:`qnet.PurificationTimeline.compare_policies` and ``simulate_policies``."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validation as _v
from ..measures import FigureOfMerit
from ._optimal import _optimal_time
from ._timeline import POLICIES, _prepare, _times
from .results import PolicyComparison
from ..limits import MAX_GENERATION_TERMS, MAX_SHOTS
from .._bell import bds_idle, transfer_eta
from .._arguments import as_figure_of_merit


__all__ = []


def _generation_schedule(gen: Any, tol: float, fom_bound: float):
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


def _compare_policies(timeline: Any, fom: FigureOfMerit, tol: float) -> PolicyComparison:
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


def _simulate_policies(timeline: Any, shots: Any, seed: Any) -> dict[str, dict[str, float]]:
    """The event-level Monte Carlo of :meth:`PurificationTimeline.simulate_policies`."""
    from .._kernels.timing import simulate_policy

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
        opt = type(timeline)(lam, mu, mem1, uniq * tau, t2u, memory_second=mem2).optimal_time(weighted=True)
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
