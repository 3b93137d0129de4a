"""Numba kernels of the two-to-one recurrence purification (private, unvalidated, never raise).

Bell-diagonal kernel
    Rows of ``lam``/``mu`` (n, 4) are relabelled by the pre-rotation of each pair (code 0: none,
    1: Z<->Y, 2: Z<->X), optionally twirled to Werner form, sent through the noisy bilateral
    CNOT + Z measurements and post-selected on agreeing reported outcomes; the output is
    relabelled by ``code_out``.

Density-matrix kernel
    The explicit 4-qubit circuit on the 16x16 joint matrix, qubit order (A1, B1, A2, B2):
    bilateral CNOT (A1 -> A2, B1 -> B2), two-qubit depolarizing noise on each node's qubit pair,
    noisy Z measurement of A2 and B2, post-selection on agreeing outcomes, partial trace. The CNOTs
    are a permutation of the 16 basis states, so the kernel evaluates exactly the elements of the
    16x16 matrix that the measurement and partial trace keep (64 of them, plus two 8-element partial
    traces for the depolarizing terms) instead of storing all 256.
"""

from __future__ import annotations

import numpy as np

from . import jit
from .validation import checked_row


@jit(inline="always")
def _swap(code, v1, v2, v3):
    """Relabel the error slots (Z, X, Y) = (v1, v2, v3): code 0 none, 1 Z<->Y, 2 Z<->X."""
    if code == 1:
        return v3, v2, v1
    if code == 2:
        return v2, v1, v3
    return v1, v2, v3


@jit(inline="always")
def _bds_row(lam, mu, i, f, e, code_kept, code_sac, code_out, twirl, out, p, neg_atol, trace_atol):
    """One row of the BDS purification (see :func:`bds_purify_scalar`); returns whether its inputs pass."""
    ok_l, l0, l1, l2, l3 = checked_row(lam, i, neg_atol, trace_atol)
    ok_m, m0, m1, m2, m3 = checked_row(mu, i, neg_atol, trace_atol)
    if twirl:
        l1 = l2 = l3 = (1.0 - l0) / 3.0
        m1 = m2 = m3 = (1.0 - m0) / 3.0
    else:
        l1, l2, l3 = _swap(code_kept, l1, l2, l3)
        m1, m2, m3 = _swap(code_sac, m1, m2, m3)
    a = f * (1.0 - e)
    d = f * e
    c = 0.125 * (1.0 - f)
    # agreeing-parity (weight a) and disagreeing-parity (weight d) numerators per output slot
    o0 = a * (l0 * m0 + l1 * m1) + d * (l0 * m2 + l1 * m3) + c
    o1 = a * (l0 * m1 + l1 * m0) + d * (l0 * m3 + l1 * m2) + c
    o2 = a * (l2 * m2 + l3 * m3) + d * (l2 * m0 + l3 * m1) + c
    o3 = a * (l2 * m3 + l3 * m2) + d * (l2 * m1 + l3 * m0) + c
    s = o0 + o1 + o2 + o3
    p[i] = s
    inv = 1.0 / s if s > 0.0 else 0.0
    o1, o2, o3 = _swap(code_out, o1 * inv, o2 * inv, o3 * inv)
    out[i, 0] = o0 * inv
    out[i, 1] = o1
    out[i, 2] = o2
    out[i, 3] = o3
    return ok_l & ok_m


@jit
def bds_purify_scalar(lam, mu, f, e, code_kept, code_sac, code_out, twirl, out, p, neg_atol, trace_atol):
    """BDS purification of ``n`` row pairs ``(n, 4)`` with the same noise for every row, fused with the checks of
    ``qnet._validation.bds`` on both inputs (one pass over each).

    ``f`` is the product of the two nodes' gate fidelities and ``e`` the probability that the
    parity of the two reported outcomes is flipped. Rows with ``p == 0`` get ``out = 0``.
    ``code_*`` name the relabelling of the kept pair, the sacrificed pair and the output
    (0 none, 1 Z<->Y, 2 Z<->X; all are self-inverse). Input entries in ``[-neg_atol, 0)`` are used as 0.
    Returns False when an input row is non-finite, below ``-neg_atol`` or off unit sum by more than
    ``trace_atol`` (a validating caller then raises; ``out`` is garbage). ``neg_atol < 0``: inputs already
    validated, no checks.
    """
    ok = True
    for i in range(lam.shape[0]):
        ok &= _bds_row(lam, mu, i, f, e, code_kept, code_sac, code_out, twirl, out, p, neg_atol, trace_atol)
    return ok


@jit
def bds_purify_rows(lam, mu, fid, err, code_kept, code_sac, code_out, twirl, out, p, neg_atol, trace_atol):
    """As :func:`bds_purify_scalar` with per-row noise ``fid[i]``, ``err[i]``."""
    ok = True
    for i in range(lam.shape[0]):
        ok &= _bds_row(lam, mu, i, fid[i], err[i], code_kept, code_sac, code_out, twirl, out, p, neg_atol,
                       trace_atol)
    return ok


def _pair_unitaries() -> np.ndarray:
    """Bilocal pre-rotations U (x) U* of one pair (qubits A, B), by code: 0 identity,
    1 Rx(pi/2) (x) Rx(-pi/2), 2 H (x) H. A global array is a compile-time constant for numba."""
    c = np.sqrt(0.5)
    singles = [np.eye(2), np.array([[c, -1j * c], [-1j * c, c]]), np.array([[c, c], [c, -c]])]
    return np.array([np.kron(u, np.conj(u)) for u in singles], dtype=np.complex128)


_U = _pair_unitaries()


@jit(inline="always")
def _rotate(u, r, out, tmp):
    """out = u r u^dagger for 4x4 matrices, explicit loops; ``tmp`` is scratch."""
    for i in range(4):
        for j in range(4):
            acc = 0.0 + 0.0j
            for k in range(4):
                acc += u[i, k] * r[k, j]
            tmp[i, j] = acc
    for i in range(4):
        for j in range(4):
            acc = 0.0 + 0.0j
            for k in range(4):
                acc += tmp[i, k] * np.conj(u[j, k])
            out[i, j] = acc


@jit(inline="always")
def _purify_dm(r1, r2, code1, code2, fa, fb, qa, qb, out, work):
    """One density-matrix purification into ``out`` (normalised 4x4, qubits A1, B1, in the frame after the
    circuit); returns the success probability. ``work`` is scratch of shape (4, 4, 4), reused across rows so
    the loop allocates nothing."""
    if code1 != 0:
        k1 = work[0]
        _rotate(_U[code1], r1, k1, work[2])
    else:
        k1 = r1
    if code2 != 0:
        k2 = work[1]
        _rotate(_U[code2], r2, k2, work[2])
    else:
        k2 = r2
    w_same = (1.0 - qa) * (1.0 - qb) + qa * qb
    w_diff = qa * (1.0 - qb) + (1.0 - qa) * qb
    if fa == 1.0 and fb == 1.0:
        # Noiseless: only the diagonal blocks (a2, b2) = (a2', b2') of the joint state are needed.
        # After the CNOTs, |a1 b1 a2 b2> came from |a1 b1 (a2^a1) (b2^b1)>, so the post-CNOT
        # element <i1, m| rho |j1, m> is k1[i1, j1] * k2[m ^ x(i1), m ^ x(j1)] with x(a1 b1) = a1 b1.
        ptot = 0.0
        for i1 in range(4):
            for j1 in range(4):
                acc = 0.0 + 0.0j
                for m in range(4):
                    w = w_same if (m >> 1) == (m & 1) else w_diff
                    acc += w * k2[m ^ i1, m ^ j1]
                out[i1, j1] = k1[i1, j1] * acc
            ptot += out[i1, i1].real
    else:
        # Noisy gates. The post-CNOT joint state (qubits A1, B1, A2, B2) has elements
        # E((i1, i2), (j1, j2)) = k1[i1, j1] k2[i2 ^ i1, j2 ^ j1]; node noise is
        # E_A E_B = fa fb id + fa (1 - fb) D_B + (1 - fa) fb D_A + (1 - fa)(1 - fb) D_A D_B with
        # D_A(rho) = I/4 (x) Tr_{A1 A2} rho. Only the blocks with equal measured indices on both sides
        # are kept by the measurement, so we need the partial traces
        # sa[b1, b1', b2] = sum_{x, y} E((x b1, y b2), (x b1', y b2)) and
        # sb[a1, a1', a2] = sum_{x, y} E((a1 x, a2 y), (a1' x, a2 y)),
        # stored in work[3] as sa[u, v, z] = work[3, 2u + v, z] and sb[u, v, z] = work[3, 2u + v, 2 + z].
        part = work[3]
        for u in range(2):
            for v in range(2):
                for z in range(2):
                    acc_a = 0.0 + 0.0j
                    acc_b = 0.0 + 0.0j
                    for x in range(2):
                        for y in range(2):
                            i1 = 2 * x + u
                            j1 = 2 * x + v
                            i2 = 2 * y + z
                            acc_a += k1[i1, j1] * k2[i2 ^ i1, i2 ^ j1]
                            i1 = 2 * u + x
                            j1 = 2 * v + x
                            i2 = 2 * z + y
                            acc_b += k1[i1, j1] * k2[i2 ^ i1, i2 ^ j1]
                    part[2 * u + v, z] = acc_a
                    part[2 * u + v, 2 + z] = acc_b
        cf = fa * fb
        ca = 0.25 * (1.0 - fa) * fb
        cb = 0.25 * fa * (1.0 - fb)
        cab = (1.0 - fa) * (1.0 - fb) * (2.0 * w_same + 2.0 * w_diff) / 16.0
        ptot = 0.0
        for i1 in range(4):
            for j1 in range(4):
                acc = 0.0 + 0.0j
                same_a = (i1 >> 1) == (j1 >> 1)
                same_b = (i1 & 1) == (j1 & 1)
                for m in range(4):
                    w = w_same if (m >> 1) == (m & 1) else w_diff
                    v = cf * k1[i1, j1] * k2[m ^ i1, m ^ j1]
                    if same_a:
                        v += ca * part[2 * (i1 & 1) + (j1 & 1), m & 1]
                    if same_b:
                        v += cb * part[2 * (i1 >> 1) + (j1 >> 1), 2 + (m >> 1)]
                    acc += w * v
                if i1 == j1:
                    acc += cab
                out[i1, j1] = acc
            ptot += out[i1, i1].real
    inv = 1.0 / ptot if ptot > 0.0 else 0.0
    for i in range(4):
        for j in range(4):
            out[i, j] = out[i, j] * inv
    return ptot


@jit
def dm_purify_one(r1, r2, code1, code2, fa, fb, qa, qb, out):
    """One density-matrix purification: writes the normalised 4x4 output (qubits A1, B1, in the frame
    after the circuit) into ``out`` and returns the success probability.

    ``r1``/``r2`` are C-contiguous complex 4x4 matrices; ``code1``/``code2`` select the bilocal pre-rotation
    of the kept/sacrificed pair (see :func:`_pair_unitaries`); ``fa``, ``fb`` are the nodes' gate fidelities,
    ``qa``, ``qb`` their measurement flip probabilities.
    """
    work = np.empty((4, 4, 4), dtype=np.complex128)
    return _purify_dm(r1, r2, code1, code2, fa, fb, qa, qb, out, work)


@jit
def dm_purify_rows(r1, r2, code1, code2, code_back, fa, fb, qa, qb, out, p):
    """Batched :func:`dm_purify_one` over rows ``(n, 4, 4)``; ``code_back != 0`` undoes that pre-rotation
    on the output (``u^dagger rho u`` is ``_rotate`` by ``u^dagger``)."""
    ub = np.ascontiguousarray(np.conj(_U[code_back]).T)
    work = np.empty((4, 4, 4), dtype=np.complex128)
    res = np.empty((4, 4), dtype=np.complex128)
    for i in range(r1.shape[0]):
        target = res if code_back != 0 else out[i]
        p[i] = _purify_dm(r1[i], r2[i], code1, code2, fa[i], fb[i], qa[i], qb[i], target, work)
        if code_back != 0:
            _rotate(ub, res, out[i], work[2])
