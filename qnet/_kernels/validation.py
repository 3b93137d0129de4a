"""Numba kernels of the input checks (private; they only report, the callers raise)."""

from __future__ import annotations

import numpy as np

from . import jit


@jit
def bds_check(lam, neg_atol, trace_atol):  # pragma: no cover - compiled
    """Scan rows of ``lam`` (n, 4): return ``(first_bad_row or -1, any_small_negative)``.

    A row is bad when an entry is non-finite or below ``-neg_atol`` or when its
    sum is off 1 by more than ``trace_atol``.
    """
    n = lam.shape[0]
    small_neg = False
    for i in range(n):
        s = 0.0
        for k in range(4):
            x = lam[i, k]
            if not (x >= -neg_atol and x < np.inf):  # also catches NaN
                return i, small_neg
            if x < 0.0:
                small_neg = True
            s += max(x, 0.0)  # the sum of the clipped row, as in qnet._validation.bds
        if not abs(s - 1.0) <= trace_atol:
            return i, small_neg
    return -1, small_neg
