"""Numba kernel of the Bell-diagonal map of a distillation circuit step (private, unvalidated, never raises)."""

from __future__ import annotations

import numpy as np

from . import jit


@jit
def frame_rows(x, M, out, p):
    """Rows ``x[i]`` ``(k, 4)`` of Bell-diagonal inputs through the step map ``M`` ``(4^k, 4)``: ``out[i]`` the
    normalised output (zeros where the success probability ``p[i]`` is 0). The product ``λ_0 ⊗ ... ⊗ λ_{k-1}`` is
    built in place, pair 0 most significant, then contracted with ``M``."""
    k = x.shape[1]
    m = M.shape[0]
    v = np.empty(m)
    for i in range(x.shape[0]):
        v[0] = 1.0
        size = 1
        for j in range(k):
            for a in range(size - 1, -1, -1):  # v[4a + b] = v[a] x[j, b], from the top so v[a] is read first
                va = v[a]
                for b in range(4):
                    v[4 * a + b] = va * x[i, j, b]
            size *= 4
        s0 = s1 = s2 = s3 = 0.0
        for c in range(m):
            vc = v[c]
            s0 += M[c, 0] * vc
            s1 += M[c, 1] * vc
            s2 += M[c, 2] * vc
            s3 += M[c, 3] * vc
        s = s0 + s1 + s2 + s3
        p[i] = s
        inv = 1.0 / s if s > 0.0 else 0.0
        out[i, 0] = s0 * inv
        out[i, 1] = s1 * inv
        out[i, 2] = s2 * inv
        out[i, 3] = s3 * inv
