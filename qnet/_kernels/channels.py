"""Numba kernels of the Bell-diagonal memory path (private; no validation, no exceptions).

All kernels work on rows of 2-D arrays (batch flattened by the caller, who
also broadcasts with ``np.broadcast_to``). A Bell-diagonal row ``λ`` is
transformed with the 4-point Walsh–Hadamard transform, its components
``s = 1, 2, 3`` are multiplied by ``f[0], f[1], f[2]`` and it is transformed
back; the arithmetic is written in the same order as the numpy reference
``0.25 * wht(wht(λ) * [1, f0, f1, f2])`` so both give the same bits.
"""

from __future__ import annotations

import numpy as np

from . import jit


@jit
def idle_exponents(ra, ta, rb, tb, out):  # pragma: no cover - compiled
    """Exponents of the WHT factors ``[ηx, ηz, ηy]`` of idling both qubits, per row (``exp`` is applied by numpy).

    ``ra``, ``rb``: rates (n, 3) ``(γx, γy, γz)``; ``ta``, ``tb``: times (n,); an input of one row serves every
    row. On each qubit ``ηx = exp(−2(γy+γz)t)``, ``ηy = exp(−2(γx+γz)t)``, ``ηz = exp(−2(γx+γy)t)``; the
    exponents of A and B are added. Each ``γ_i t`` is formed first, so huge finite rates at ``t = 0`` give 0
    (never ``inf * 0``) and overflow gives ``-inf`` (η = 0).
    """
    n = out.shape[0]
    sra = 1 if ra.shape[0] > 1 else 0
    sta = 1 if ta.shape[0] > 1 else 0
    srb = 1 if rb.shape[0] > 1 else 0
    stb = 1 if tb.shape[0] > 1 else 0
    for i in range(n):
        t_a = ta[i * sta]
        t_b = tb[i * stb]
        xa = ra[i * sra, 0] * t_a
        ya = ra[i * sra, 1] * t_a
        za = ra[i * sra, 2] * t_a
        xb = rb[i * srb, 0] * t_b
        yb = rb[i * srb, 1] * t_b
        zb = rb[i * srb, 2] * t_b
        out[i, 0] = -2.0 * ((ya + za) + (yb + zb))
        out[i, 1] = -2.0 * ((xa + ya) + (xb + yb))
        out[i, 2] = -2.0 * ((xa + za) + (xb + zb))
    return out


@jit(inline="always")
def wht4(a, b, c, d):  # pragma: no cover - compiled
    """Unnormalised 4-point Walsh–Hadamard transform (the order of qnet._bell.wht)."""
    s0 = a + b
    s1 = c + d
    d0 = a - b
    d1 = c - d
    return s0 + s1, d0 + d1, s0 - s1, d0 - d1


@jit(inline="always")
def _scale_row(a, b, c, d, f, j, out, i):  # pragma: no cover - compiled
    """Row ``i`` of ``out`` = ``max(0, ¼ WHT(WHT([a, b, c, d]) * [1, f[j, 0], f[j, 1], f[j, 2]]))``."""
    h0, h1, h2, h3 = wht4(a, b, c, d)
    r0, r1, r2, r3 = wht4(h0, h1 * f[j, 0], h2 * f[j, 1], h3 * f[j, 2])
    out[i, 0] = max(0.25 * r0, 0.0)
    out[i, 1] = max(0.25 * r1, 0.0)
    out[i, 2] = max(0.25 * r2, 0.0)
    out[i, 3] = max(0.25 * r3, 0.0)


@jit
def bds_scale_wht(lam, f, out):  # pragma: no cover - compiled
    """``out[i] = max(0, ¼ WHT(WHT(lam[i]) * [1, f[i,0], f[i,1], f[i,2]]))`` for every row; ``lam`` or ``f`` of
    one row serves every row."""
    sl = 1 if lam.shape[0] > 1 else 0
    sf = 1 if f.shape[0] > 1 else 0
    for i in range(out.shape[0]):
        j = i * sl
        _scale_row(lam[j, 0], lam[j, 1], lam[j, 2], lam[j, 3], f, i * sf, out, i)
    return out


@jit
def bds_scale_wht_checked(lam, f, out, neg_atol, trace_atol):  # pragma: no cover - compiled
    """:func:`bds_scale_wht` fused with the checks of ``qnet._validation.bds``, in one pass over ``lam``.

    Entries in ``[-neg_atol, 0)`` are used as 0 (the validator's clipping). Returns False when any
    row is non-finite, has an entry below ``-neg_atol`` or a (clipped) sum off 1 by more than
    ``trace_atol``; the caller then validates with numpy to raise the error, and ``out`` is garbage.
    """
    ok = True
    sl = 1 if lam.shape[0] > 1 else 0
    sf = 1 if f.shape[0] > 1 else 0
    for i in range(out.shape[0]):
        j = i * sl
        a0 = lam[j, 0]
        b0 = lam[j, 1]
        c0 = lam[j, 2]
        d0 = lam[j, 3]
        ok &= (a0 >= -neg_atol) & (b0 >= -neg_atol) & (c0 >= -neg_atol) & (d0 >= -neg_atol)
        ok &= (a0 < np.inf) & (b0 < np.inf) & (c0 < np.inf) & (d0 < np.inf)
        a = max(a0, 0.0)
        b = max(b0, 0.0)
        c = max(c0, 0.0)
        d = max(d0, 0.0)
        ok &= abs(((a + b) + c) + d - 1.0) <= trace_atol
        _scale_row(a, b, c, d, f, i * sf, out, i)
    return ok
