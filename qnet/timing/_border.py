"""The optimal-time border (engine tier): where the optimal purification time leaves the interval's ends, by
vectorized bisection on the phase-flip share."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validation as _v
from ..measures import FigureOfMerit
from ._optimal import _optimal_time
from ._timeline import _prepare


__all__ = ["BORDER_RULES"]

#: Definitions of the optimal-time border (see :func:`optimal_time_border`).
BORDER_RULES = ("midpoint", "leaves_t1")


def _border(timeline: Any, gamma: np.ndarray, ratio: Any, fom: FigureOfMerit, rule: str, xtol: Any,
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
