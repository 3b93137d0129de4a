"""The optimal purification time of a timeline (engine tier): a grid over the purification time refined by golden
section, with the baseline comparison."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validation as _v
from ..measures import FigureOfMerit
from ..purification import BASELINES
from ._timeline import _Timeline
from .results import OptimalTime
from ..limits import MAX_GRID
from .._distil import baseline_values

__all__: list[str] = []

_GOLDEN = (np.sqrt(5.0) - 1.0) / 2.0


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
