"""Numba kernels of the two-to-one recurrence purification (private, unvalidated, never raise).

Bell-diagonal kernel
    Rows of ``lam``/``mu`` (n, 4) are permuted by ``src_kept``/``src_sac`` (slot ``k`` of the
    rotated state is slot ``src[k]`` of the input), optionally twirled to Werner form, sent
    through the noisy bilateral CNOT + Z measurements and post-selected on agreeing reported
    outcomes; the output is permuted by ``src_out``.

Density-matrix kernel
    The explicit 4-qubit circuit on the 16x16 joint matrix, qubit order (A1, B1, A2, B2):
    bilateral CNOT (A1 -> A2, B1 -> B2), two-qubit depolarizing noise on each node's qubit pair,
    noisy Z measurement of A2 and B2, post-selection on agreeing outcomes, partial trace.
"""

from __future__ import annotations

import numpy as np

from . import jit


@jit
def bds_purify_rows(lam, mu, fid, err, src_kept, src_sac, src_out, twirl, out, p):
    """BDS purification of ``n`` row pairs into ``out`` (n, 4) and ``p`` (n,).

    ``fid[i]`` is the product of the two nodes' gate fidelities and ``err[i]`` the probability
    that the two reported outcomes' parity is flipped. Rows with ``p == 0`` get ``out = 0``.
    """
    n = lam.shape[0]
    for i in range(n):
        l0 = lam[i, src_kept[0]]
        l1 = lam[i, src_kept[1]]
        l2 = lam[i, src_kept[2]]
        l3 = lam[i, src_kept[3]]
        m0 = mu[i, src_sac[0]]
        m1 = mu[i, src_sac[1]]
        m2 = mu[i, src_sac[2]]
        m3 = mu[i, src_sac[3]]
        if twirl:
            r = (1.0 - l0) / 3.0
            l1 = r
            l2 = r
            l3 = r
            r = (1.0 - m0) / 3.0
            m1 = r
            m2 = r
            m3 = r
        f = fid[i]
        e = err[i]
        a = f * (1.0 - e)
        d = f * e
        c = 0.125 * (1.0 - f)
        # agreeing parity (A) and disagreeing parity (D) joint weights per output slot
        o0 = a * (l0 * m0 + l1 * m1) + d * (l0 * m2 + l1 * m3) + c
        o1 = a * (l0 * m1 + l1 * m0) + d * (l0 * m3 + l1 * m2) + c
        o2 = a * (l2 * m2 + l3 * m3) + d * (l2 * m0 + l3 * m1) + c
        o3 = a * (l2 * m3 + l3 * m2) + d * (l2 * m1 + l3 * m0) + c
        s = o0 + o1 + o2 + o3
        p[i] = s
        if s > 0.0:
            inv = 1.0 / s
            tmp0 = o0 * inv
            tmp1 = o1 * inv
            tmp2 = o2 * inv
            tmp3 = o3 * inv
        else:
            tmp0 = 0.0
            tmp1 = 0.0
            tmp2 = 0.0
            tmp3 = 0.0
        for k in range(4):
            j = src_out[k]
            if j == 0:
                out[i, k] = tmp0
            elif j == 1:
                out[i, k] = tmp1
            elif j == 2:
                out[i, k] = tmp2
            else:
                out[i, k] = tmp3


@jit
def _depolarize_node(rho, f, q1, q2):
    """In place: rho -> f rho + (1-f) I/4 (x) Tr_{q1,q2} rho on the 16x16 joint matrix.

    Qubit ``q`` has bit ``3 - q`` of the basis index (qubit 0 is the most significant).
    """
    if f == 1.0:
        return
    b1 = 1 << (3 - q1)
    b2 = 1 << (3 - q2)
    mask = b1 | b2
    # reduced matrix on the other two qubits, indexed by the full index with q1, q2 bits cleared
    red = np.zeros((16, 16), dtype=np.complex128)
    for i in range(16):
        for j in range(16):
            if (i & mask) == (j & mask):
                red[i & ~mask, j & ~mask] += rho[i, j]
    g = 0.25 * (1.0 - f)
    for i in range(16):
        for j in range(16):
            v = f * rho[i, j]
            if (i & mask) == (j & mask):
                v += g * red[i & ~mask, j & ~mask]
            rho[i, j] = v


@jit
def dm_purify_one(r1, r2, u1, u2, fa, fb, qa, qb, out):
    """One density-matrix purification: returns the success probability, writes the normalised
    4x4 output (qubits A1, B1, in the frame after the circuit) into ``out``.

    ``u1``/``u2`` are the 4x4 local pre-rotations of the kept/sacrificed pair.
    """
    # pre-rotations on each pair
    k1 = u1 @ r1 @ np.conj(u1.T)
    k2 = u2 @ r2 @ np.conj(u2.T)
    # joint state in qubit order (A1, B1, A2, B2) with the bilateral CNOT applied as a permutation:
    # basis |a1 b1 a2 b2> -> |a1 b1 (a2^a1) (b2^b1)>
    rho = np.empty((16, 16), dtype=np.complex128)
    for i1 in range(4):
        a1 = i1 >> 1
        b1 = i1 & 1
        for i2 in range(4):
            pi = i1 * 4 + (((i2 >> 1) ^ a1) << 1 | ((i2 & 1) ^ b1))
            for j1 in range(4):
                c1 = j1 >> 1
                d1 = j1 & 1
                v = k1[i1, j1]
                for j2 in range(4):
                    pj = j1 * 4 + (((j2 >> 1) ^ c1) << 1 | ((j2 & 1) ^ d1))
                    rho[pi, pj] = v * k2[i2, j2]
    _depolarize_node(rho, fa, 0, 2)
    _depolarize_node(rho, fb, 1, 3)
    # reported outcomes agree: weight per true outcome (a2, b2)
    w_same = (1.0 - qa) * (1.0 - qb) + qa * qb
    w_diff = qa * (1.0 - qb) + (1.0 - qa) * qb
    ptot = 0.0
    for i in range(4):
        for j in range(4):
            acc = 0.0 + 0.0j
            for m in range(4):
                w = w_same if (m >> 1) == (m & 1) else w_diff
                acc += w * rho[i * 4 + m, j * 4 + m]
            out[i, j] = acc
        ptot += out[i, i].real
    if ptot > 0.0:
        for i in range(4):
            for j in range(4):
                out[i, j] = out[i, j] / ptot
    else:
        for i in range(4):
            for j in range(4):
                out[i, j] = 0.0
    return ptot


@jit
def dm_purify_rows(r1, r2, u1, u2, ub, fa, fb, qa, qb, out, p):
    """Batched :func:`dm_purify_one` over rows ``(n, 4, 4)``; ``ub`` (4x4) rotates the output afterwards."""
    n = r1.shape[0]
    tmp = np.empty((4, 4), dtype=np.complex128)
    for i in range(n):
        p[i] = dm_purify_one(r1[i], r2[i], u1, u2, fa[i], fb[i], qa[i], qb[i], tmp)
        out[i] = ub @ tmp @ np.conj(ub.T)
