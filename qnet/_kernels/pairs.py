"""A pair's general two-qubit state in compiled code: its Pauli coefficients (``qnet.states.PAULI_PRODUCTS``).

``r[4 P + Q] = Tr(ρ P ⊗ Q)`` with ``P`` on qubit A, ``Q`` on qubit B, in the order ``I, X, Y, Z``; ``r[0] = 1``.
A memory acts on one qubit as Bloch relaxation: the X, Y and Z components decay at their rates and Z relaxes
towards ``z_inf`` (a Pauli memory: rates ``2(γy+γz), 2(γx+γz), 2(γx+γy)`` and ``z_inf = 0``; a T1/T2 memory:
``1/T2, 1/T2, 1/T1`` and ``z_inf = 1``, relaxation towards ``|0⟩``), exactly, for any time. The stored pairs of the
network simulator (rows of its ``DF`` table, the state from column ``ST``) in either mode: their decay, fidelity and
fidelity cut-off, and in the density-matrix mode their fresh state, Bell measurement and pending correction. No
validation, no exceptions.
"""

from __future__ import annotations

import numpy as np

from . import jit
from .codes import C0, FC, FT, HAT0, MA, MB, ST, TREF

XX, YY, ZZ = 5, 10, 15
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


@jit(inline="always")
def pauli_fidelity(r):
    """``⟨Φ+|ρ|Φ+⟩`` of Pauli coefficients."""
    return 0.25 * (r[0] + r[XX] - r[YY] + r[ZZ])


@jit(inline="always")
def _sign(k, p):
    """+1 if Paulis ``k`` and ``p`` commute, else -1."""
    return 1.0 if k == 0 or p == 0 or k == p else -1.0


@jit(inline="always")
def _relax_qubit(r, mem, m, dt, s, o):
    """One qubit of ``r`` through its memory ``mem[m:m+4]`` for ``dt``; its Pauli index has stride ``s`` in ``r``,
    the other qubit's stride ``o``."""
    ex, ey, ez = np.exp(-mem[m] * dt), np.exp(-mem[m + 1] * dt), np.exp(-mem[m + 2] * dt)
    zr = mem[m + 3] * (1.0 - ez)
    for q in range(4):
        r[s + o * q] *= ex
        r[2 * s + o * q] *= ey
        r[3 * s + o * q] = ez * r[3 * s + o * q] + zr * r[o * q]


@jit
def relax(r, mem, a, b, dt):
    """Both qubits of ``r`` through their memories for ``dt``: qubit A's ``(rate X, rate Y, rate Z, z_inf)`` at
    ``mem[a:a+4]``, qubit B's at ``mem[b:b+4]``."""
    if dt <= 0.0:
        return
    _relax_qubit(r, mem, a, dt, 4, 1)
    _relax_qubit(r, mem, b, dt, 1, 4)


@jit(inline="always")
def frame(r, k, end):
    """Apply Pauli ``k`` to qubit A (``end`` 0) or B (``end`` 1) of ``r``."""
    for p in range(4):
        for q in range(4):
            r[4 * p + q] *= _sign(k, q if end == 1 else p)


@jit(inline="always")
def _bell_sign(k, m):
    """``⟨β_k| P_m ⊗ P_m |β_k⟩`` for the Bell state ``β_k = (I ⊗ σ_k)|Φ+⟩``: -1 for Y, times the commutation sign."""
    return (-1.0 if m == 2 else 1.0) * _sign(k, m)


@jit
def bell_measure(r1, r2, w, u, out):
    """Bell measurement of qubit B of pair ``r1`` and qubit A of pair ``r2`` by a node whose noise scales each
    Walsh–Hadamard component by ``w`` (all 1: ideal): reported outcome ``k`` (the Bell state ``(I ⊗ σ_k)|Φ+⟩``)
    drawn with the uniform number ``u``; ``out`` is the pair of the outer qubits before its correction ``σ_k``.
    Returns ``k``. Depolarizing the two measured qubits scales their correlators ``P_m ⊗ P_m`` (m ≠ 0), and a
    misreported outcome (an error ``e`` drawn independently of it) sums the outcomes' states with weights whose
    character sum scales the same correlators: both are ``w``'s factors, so the noisy measurement is the ideal one
    with each term ``m`` of the contraction scaled."""
    f = (w[0], w[1], w[3], w[2])  # the factors in Pauli order I, X, Y, Z (``w``: components 1, X, Z, Y)
    c = 0.0
    k = 3
    for j in range(3):
        pj = 0.0
        for m in range(4):
            pj += r1[m] * r2[4 * m] * _bell_sign(j, m) * f[m]
        c += 0.25 * pj
        if u < c:
            k = j
            break
    norm = 0.0
    for m in range(4):
        norm += r1[m] * r2[4 * m] * _bell_sign(k, m) * f[m]
    for p in range(4):
        for q in range(4):
            v = 0.0
            for m in range(4):
                v += r1[4 * p + m] * r2[4 * m + q] * _bell_sign(k, m) * f[m]
            out[4 * p + q] = v / norm
    return k


@jit(inline="always")
def uniform(state):
    """A uniform number in [0, 1) from the splitmix64 generator whose state is ``state[0]`` (a stream apart from
    numpy's, so that drawing swap outcomes leaves every other draw of a run unchanged)."""
    state[0] += _GOLDEN
    z = state[0]
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    z = z ^ (z >> np.uint64(31))
    return float(z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@jit
def relax_pair(SF, DF, g, t, r, own):
    """Pair ``g``'s Pauli coefficients ``r`` (its own row, ``own``, or a copy) from its reference time to ``t``, its
    pending frame applied when it falls before ``t`` (and then cleared, for its own row)."""
    t0 = DF[g, TREF]
    if DF[g, FC] >= 0.0 and DF[g, FT] <= t:
        relax(r, SF[g], MA, MB, DF[g, FT] - t0)
        frame(r, int(DF[g, FC]) % 4, int(DF[g, FC]) // 4)
        t0 = DF[g, FT]
        if own:
            DF[g, FC] = -1.0
    relax(r, SF[g], MA, MB, t - t0)


@jit(inline="always")
def fidelity(v):
    """Fidelity of a state: Walsh–Hadamard components (4) or Pauli coefficients (16)."""
    if v.shape[0] == 16:
        return pauli_fidelity(v)
    return 0.25 * (v[0] + v[1] + v[2] + v[3])


@jit
def fidelity_at(SF, DF, g, t, buf, dm):
    """Fidelity stored pair ``g`` will have at ``t`` (``buf``: scratch of the state's size; ``dm``: ``None`` in the
    Bell-diagonal mode, a test settled at compile time, see :mod:`.events`)."""
    for k in range(buf.shape[0]):
        buf[k] = DF[g, ST + k]
    if dm is None:
        for k in range(1, 4):
            buf[k] *= np.exp(-SF[g, C0 + k] * (t - DF[g, TREF]))
    else:
        relax_pair(SF, DF, g, t, buf, False)
    return fidelity(buf)


@jit
def fidelity_wait(SF, DF, g, t, fcut, buf, dm):
    """Time from ``t`` until stored pair ``g``'s fidelity first falls below ``fcut``: 0 if it already has, inf if it
    never does. The first crossing on a grid of doublings from 1e-6 of the fastest decay time, refined by bisection
    to 1e-12 relative (exact where the fidelity decreases monotonically, e.g. all Walsh components >= 0)."""
    if fidelity_at(SF, DF, g, t, buf, dm) < fcut:
        return 0.0
    if dm is None:
        cmax = max(SF[g, C0 + 1], SF[g, C0 + 2], SF[g, C0 + 3])
    else:
        cmax = max(SF[g, MA], SF[g, MA + 1], SF[g, MA + 2]) + max(SF[g, MB], SF[g, MB + 1], SF[g, MB + 2])
    if cmax <= 0.0:
        return np.inf
    lo = 0.0
    hi = 1e-6 / cmax
    while fidelity_at(SF, DF, g, t + hi, buf, dm) >= fcut:
        lo = hi
        hi *= 2.0
        if hi * cmax > 1e6:  # every decaying component is gone: the fidelity has reached its limit
            return np.inf
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if mid <= lo or mid >= hi or hi - lo <= 1e-12 * hi:
            break
        if fidelity_at(SF, DF, g, t + mid, buf, dm) >= fcut:
            lo = mid
        else:
            hi = mid
    return hi


@jit
def fresh_pauli(SF, DF, g):
    """Link ``g``'s Bell-diagonal state as Pauli coefficients, no correction pending."""
    DF[g, FC] = -1.0
    for k in range(16):
        DF[g, ST + k] = 0.0
    DF[g, ST] = 1.0
    DF[g, ST + XX] = SF[g, HAT0 + 1]
    DF[g, ST + ZZ] = SF[g, HAT0 + 2]
    DF[g, ST + YY] = -SF[g, HAT0 + 3]


@jit
def store_pauli(DF, p, o, fc, ft):
    """An operation's output in the density-matrix mode, with its pending frame."""
    DF[p, FC] = fc
    DF[p, FT] = ft
    for k in range(16):
        DF[p, ST + k] = o[k]
