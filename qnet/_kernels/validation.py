"""Numba kernels of the input checks (private; they only report, the callers raise)."""

from __future__ import annotations

import numpy as np

from . import jit


@jit(inline="always")
def checked_row(x, i, neg_atol, trace_atol):
    """Row ``i`` of ``x`` with entries in ``[-neg_atol, 0)`` used as 0, and whether it passes the checks of
    ``qnet._validation.bds`` (finite, >= -neg_atol, unit sum within trace_atol); ``neg_atol < 0`` reads the row
    as it is (already validated)."""
    a, b, c, d = x[i, 0], x[i, 1], x[i, 2], x[i, 3]
    if neg_atol < 0.0:
        return True, a, b, c, d
    # x >= -neg_atol is False for NaN and -inf; the sum catches +inf
    ok = (a >= -neg_atol) & (b >= -neg_atol) & (c >= -neg_atol) & (d >= -neg_atol) & (a + b + c + d < np.inf)
    a, b, c, d = max(a, 0.0), max(b, 0.0), max(c, 0.0), max(d, 0.0)
    return ok & (abs(((a + b) + c) + d - 1.0) <= trace_atol), a, b, c, d


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


@jit
def dm_check(rho, herm, herm_atol, trace_atol):  # pragma: no cover - compiled
    """Scan density matrices ``rho`` (n, 4, 4) and write their Hermitian parts into ``herm``; return the first bad
    row or -1.

    A row is bad when an entry is non-finite, ``max |rho - rho^dagger| > herm_atol``, ``|Tr rho - 1| >
    trace_atol``, or the Hermitian part has an eigenvalue below ``-herm_atol``. The last test is an LDL^dagger
    factorisation of ``herm + herm_atol I``, whose pivots are all positive exactly when that matrix is positive
    definite (backward stable: it agrees with an eigenvalue test to within rounding at the threshold); a caller
    re-checks bad rows with numpy to build the message.
    """
    work = np.empty((4, 4), dtype=np.complex128)
    for i in range(rho.shape[0]):
        r = rho[i]
        h = herm[i]
        err = 0.0
        trace = 0.0
        for a in range(4):
            for b in range(4):
                x = r[a, b]
                if not (abs(x.real) < np.inf and abs(x.imag) < np.inf):  # also catches NaN
                    return i
                y = np.conj(r[b, a])
                err = max(err, abs(x - y))
                h[a, b] = 0.5 * (x + y)
                work[a, b] = h[a, b]
            trace += r[a, a].real
            work[a, a] += herm_atol
        if not (err <= herm_atol and abs(trace - 1.0) <= trace_atol):
            return i
        for k in range(4):  # LDL^dagger in place, lower triangle
            d = work[k, k].real
            if not d > 0.0:
                return i
            for m in range(k + 1, 4):
                lm = work[m, k] / d
                for j in range(k + 1, m + 1):
                    work[m, j] -= lm * np.conj(work[j, k])
    return -1
