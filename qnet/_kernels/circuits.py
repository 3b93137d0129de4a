"""Numba kernel of a distillation circuit on Bell-diagonal rows (private, unvalidated, never raises)."""

from __future__ import annotations

import numpy as np

from . import jit
from .channels import wht4
from .validation import checked_row

_BLOCK = 256  # rows processed together


@jit
def component_rows(xs, coef, idx0, flat, first, out, p, neg_atol, trace_atol):
    """Rows ``i`` of the Bell-diagonal inputs ``xs`` (a tuple of ``(n, 4)`` arrays, one per input pair) through the
    circuit's steps on Walsh–Hadamard components, a block of rows at a time.

    Component ``c`` of step ``s``'s output is the sum over the terms ``first[4 s + c] <= j < first[4 s + c + 1]``
    of ``coef[j] k̂[idx0[j]] Π_slot ĥ[flat[j, slot]]``, where ``k̂`` holds the components of the pair kept so far and
    ``ĥ`` those of every input pair, pair ``q``'s component ``c`` at ``4 q + c``, then a 1 (the index of unused
    slots). The output is renormalised after each step (its component 0 is the step's success probability);
    ``out[i]`` is the final Bell-diagonal state, negatives from round-off set to 0, and ``p[i]`` the product of the
    steps' probabilities (rows with ``p[i] == 0`` get ``out[i] = 0``). Inputs are read through
    :func:`checked_row`; returns False when one fails its checks (``neg_atol < 0``: no checks).
    """
    arity = len(xs)
    slots = flat.shape[1]
    n = out.shape[0]
    # a block of rows at a time, components major, so that the loops over rows vectorize
    h = np.empty((4 * arity + 1, _BLOCK))  # every input pair's components, then a row of 1 for unused slots
    h[4 * arity, :] = 1.0
    kept = np.empty((4, _BLOCK))
    o = np.empty((4, _BLOCK))
    prob = np.empty(_BLOCK)
    tmp = np.empty(_BLOCK)
    ok = True
    for lo in range(0, n, _BLOCK):
        m = min(_BLOCK, n - lo)
        for j in range(arity):
            x = xs[j]
            for r in range(m):
                good, a, b, c, d = checked_row(x, lo + r, neg_atol, trace_atol)
                ok &= good
                h[4 * j, r], h[4 * j + 1, r], h[4 * j + 2, r], h[4 * j + 3, r] = wht4(a, b, c, d)
        for c in range(4):
            for r in range(m):
                kept[c, r] = h[c, r]
        for r in range(m):
            prob[r] = 1.0
        for s in range((first.shape[0] - 1) // 4):
            for c in range(4):
                for r in range(m):
                    o[c, r] = 0.0
                for j in range(first[4 * s + c], first[4 * s + c + 1]):
                    w, k0, f1 = coef[j], idx0[j], flat[j, 0]
                    if slots == 1:
                        for r in range(m):
                            o[c, r] += w * kept[k0, r] * h[f1, r]
                    elif slots == 2:
                        f2 = flat[j, 1]
                        for r in range(m):
                            o[c, r] += w * kept[k0, r] * h[f1, r] * h[f2, r]
                    else:
                        for r in range(m):
                            tmp[r] = w * kept[k0, r] * h[f1, r]
                        for slot in range(1, slots):
                            f = flat[j, slot]
                            for r in range(m):
                                tmp[r] *= h[f, r]
                        for r in range(m):
                            o[c, r] += tmp[r]
            for r in range(m):
                ps = o[0, r]
                prob[r] *= ps
                inv = 1.0 / ps if ps > 0.0 else 0.0
                for c in range(4):
                    kept[c, r] = o[c, r] * inv
        for r in range(m):
            i = lo + r
            p[i] = prob[r]
            if prob[r] > 0.0:
                r0, r1, r2, r3 = wht4(kept[0, r], kept[1, r], kept[2, r], kept[3, r])
                out[i, 0] = max(0.25 * r0, 0.0)
                out[i, 1] = max(0.25 * r1, 0.0)
                out[i, 2] = max(0.25 * r2, 0.0)
                out[i, 3] = max(0.25 * r3, 0.0)
            else:
                out[i, 0] = out[i, 1] = out[i, 2] = out[i, 3] = 0.0
    return ok
