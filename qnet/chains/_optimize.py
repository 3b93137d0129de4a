"""The cut-off optimizer of a chain model (engine tier of :func:`qnet.optimize_cutoff`): a bracketing scan, golden
section on the integers, differential evolution for cut-offs per level; ties within ``TIE_RTOL`` are ties."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any, Callable

import numpy as np

from .. import _validation as _v
from ..errors import InfeasibleError, NeverDeliversError, TruncationError
from ._exact import _evaluate, _result
from ._model import _Model, _check_size, _cutoffs, _tol
from .results import CutoffOptimum
from .._ranking import tied

__all__: list[str] = []


#: Points of the bracketing scan of :func:`optimize_cutoff` (geometric for time cut-offs, linear for fidelity).
SCAN_POINTS = 32


def _bounds(bounds: Any, cut_type: str, T: int) -> tuple[float, float]:
    """Search interval of the cut-off: a (low, high) pair inside the values the cut-off type allows."""
    if bounds is None:
        return (0.25, 1.0) if cut_type == "fidelity" else (1.0, float(max(2, T // 2)))
    if isinstance(bounds, (str, bytes)) or not isinstance(bounds, (Sequence, np.ndarray)) or len(bounds) != 2:
        raise ValueError(f"bounds must be a pair (low, high), got {bounds!r}")
    lo, hi = (_v.scalar(_v.real_array, b, f"bounds[{i}]") for i, b in enumerate(bounds))
    if not lo < hi:
        raise ValueError(f"bounds must satisfy low < high, got {bounds!r}")
    if cut_type == "fidelity" and not 0.0 <= lo < hi <= 1.0:
        raise ValueError(f"bounds of a fidelity cut-off must lie in [0, 1], got {bounds!r}")
    if cut_type != "fidelity" and lo < (1.0 if cut_type == "run_time" else 0.0):
        raise ValueError(f"bounds of a {cut_type} cut-off must be >= {1 if cut_type == 'run_time' else 0} steps, "
                         f"got {bounds!r}")
    return lo, hi


def _scan_grid(lo: float, hi: float, integer: bool, n: int = SCAN_POINTS) -> np.ndarray:
    """The bracketing scan's cut-offs in ``[lo, hi]``: integers spaced geometrically (every integer where the grid
    is denser), or ``n`` evenly spaced thresholds; both ends included."""
    if not integer:
        return np.linspace(lo, hi, n)
    lo_i, hi_i = math.ceil(lo), math.floor(hi)
    if hi_i - lo_i + 1 <= n:
        return np.arange(lo_i, hi_i + 1, dtype=float)
    return np.unique(np.concatenate([[lo_i], np.round(np.geomspace(max(lo_i, 1), hi_i, n)), [hi_i]]))


def _refine_integer(f: Callable[[int], float], a: int, b: int) -> None:
    """Golden-section search for the largest ``f`` on the integers of ``[a, b]``, ending
    with every integer of the last bracket of at most 8 evaluated; ``f`` keeps its own record of the best."""
    while b - a > 8:
        x1 = b - int(round((b - a) * 0.6180339887498949))
        x2 = a + int(round((b - a) * 0.6180339887498949))
        if x1 >= x2:
            break
        f1, f2 = f(x1), f(x2)
        if f1 >= f2 or tied(f1, f2):  # a tie keeps the smaller cut-offs, whatever the round-off
            b = x2
        else:
            a = x1
    for x in range(a, b + 1):
        f(x)


def optimize(model: _Model, cut_type: str, per_level: bool, bounds, objective, t_trunc, tol, seed,
             maxiter) -> CutoffOptimum:
    from scipy.optimize import differential_evolution, minimize_scalar

    schedule = model.schedule
    T = _v.t_trunc(t_trunc)
    if tol is None:
        raise TypeError("tol must be a number in (0, 1]: candidates whose window misses more than tol score 0")
    tol = _tol(tol)
    per_level = _v.flag(per_level, "per_level")
    seed = _v.seed_int(seed)
    maxiter = _v.integer(maxiter, "maxiter", 1, 10**6)
    if callable(objective):
        fom = objective
    else:
        _v.option(objective, "objective", ("key_rate", "rate_fidelity"))
        fom = (lambda r: r.key_rate) if objective == "key_rate" else (lambda r: r.mean_fidelity / r.mean_time)
    lo, hi = _bounds(bounds, cut_type, T)
    _check_size(model, T)
    dim = schedule.n_slots if per_level else 1
    integer = cut_type != "fidelity"
    cache: dict = {}
    uncovered: set = set()

    def cut_of(x: Any) -> tuple:
        vals = [int(round(v)) if integer else float(v) for v in np.atleast_1d(x)]
        return tuple(vals) if len(vals) > 1 else (vals[0],) * schedule.n_slots

    def value(c: tuple) -> float:
        if c not in cache:
            m = dataclasses.replace(model, cutoffs=_cutoffs(c, cut_type, schedule.n_slots, schedule.slot_name),
                                    cut_type=cut_type)
            try:
                r = _result(_evaluate(m, T), m, None)
            except NeverDeliversError:  # a genuinely infeasible candidate: no delivery ever
                cache[c] = (0.0, None)
            except TruncationError:  # no delivery within the window
                cache[c] = (0.0, None)
                uncovered.add(c)
            else:
                ok = r.truncation_error <= tol
                if not ok:
                    uncovered.add(c)
                cache[c] = (_objective_value(fom(r), c) if ok else 0.0, r if ok else None)
        return cache[c][0]

    # 1. bracket: a scan of uniform cut-offs over the whole interval (a flat zero region cannot hide the optimum)
    grid = _scan_grid(lo, hi, integer)
    scan = tuple((float(g), value(cut_of(g))) for g in grid)
    top = max(v for _, v in scan)
    i = next(k for k, (_, v) in enumerate(scan) if v == top or tied(v, top))  # the smallest of tied maxima
    if scan[i][1] > 0.0:
        # 2. refine the uniform cut-off inside the bracket of the best scan point
        a, b = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
        if integer:
            _refine_integer(lambda x: value(cut_of(x)), int(a), int(b))
        elif b > a:
            minimize_scalar(lambda x: -value(cut_of(x)), bounds=(a, b), method="bounded", options={"xatol": 1e-7})
        # 3. per level: differential evolution seeded with the best uniform cut-off
        if dim > 1:
            best_uniform = max((c for c in cache if len(set(c)) == 1), key=lambda c: cache[c][0])
            differential_evolution(lambda x: -value(cut_of(x)), [(lo, hi)] * dim, seed=seed, maxiter=maxiter,
                                   polish=False, tol=1e-8, integrality=[integer] * dim, updating="immediate",
                                   x0=np.array(best_uniform, dtype=float))
    feasible = {c: v for c, v in cache.items() if v[1] is not None}
    if not feasible:
        raise NeverDeliversError(
            f"no cut-off in bounds ({lo:g}, {hi:g}) of the {len(cache)} evaluated delivers within t_trunc={T} "
            f"and tol={tol:g}: the chain never delivers or the window is too short"
        )
    top = max(v for v, _ in feasible.values())
    best = min((c for c, (v, _) in feasible.items() if v == top or tied(v, top)),
               key=lambda c: (sum(abs(x) for x in c), c))  # ties within TIE_RTOL: the smaller cut-off
    if feasible[best][0] <= 0.0:
        raise InfeasibleError(
            f"no cut-off in bounds ({lo:g}, {hi:g}) gives a positive objective: all {len(cache)} evaluated (a scan of "
            f"{grid.size} uniform cut-offs, then its refinement) score 0" +
            (f"; {len(uncovered)} of them were not covered by t_trunc={T} within tol={tol:g} (a longer window may "
             f"find a positive optimum among them)" if uncovered else
             "; the chain delivers, but without key (or with a non-positive figure of merit) at every one; widen "
             "bounds or improve the chain (fresher links, longer coherence, higher p_swap)"),
            uncovered=tuple(sorted(uncovered)))
    val, delivery = feasible[best]
    at_bound = any(x in (lo, hi) or (integer and x in (math.ceil(lo), math.floor(hi))) for x in best)
    return CutoffOptimum(cutoff=best, value=val, delivery=delivery, n_evaluations=len(cache), at_bound=at_bound,
                         scan=scan, uncovered=tuple(sorted(uncovered)))


def _objective_value(v: Any, cutoff: tuple) -> float:
    """A user objective's value, checked before it steers the search: a finite real number."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise TypeError(f"the objective must return a real number, got {type(v).__name__} {v!r} at cut-off "
                        f"{cutoff}") from None
    if not math.isfinite(x):
        raise ValueError(f"the objective returned {x!r} at cut-off {cutoff}; it must be finite")
    return x
