"""Numba kernel of the density-matrix entanglement-swapping circuit (private, unvalidated)."""

from __future__ import annotations

import numpy as np

from . import jit
from .channels import wht4

_S = 1.0 / np.sqrt(2.0)
# Bell vectors in qnet's slot order [Φ+, Φ−, Ψ+, Ψ−], basis |00>, |01>, |10>, |11>.
_BELL = np.array(
    [[_S, 0.0, 0.0, _S], [_S, 0.0, 0.0, -_S], [0.0, _S, _S, 0.0], [0.0, _S, -_S, 0.0]], dtype=np.complex128
)
# Single-qubit Paulis in slot order [I, Z, X, Y].
_PAULI = np.array(
    [[[1, 0], [0, 1]], [[1, 0], [0, -1]], [[0, 1], [1, 0]], [[0, -1j], [1j, 0]]], dtype=np.complex128
)


@jit
def swap_dm_kernel(rho_l, rho_r, p_gate, q_report, accept, out, prob):
    """Swap pairs (A,B) and (C,D) by a Bell measurement on (B,C); output pair (A,D) in ``out``.

    rho_l, rho_r : (n, 4, 4) complex, qubit order (A, B) and (C, D).
    p_gate : (n,) probability that the two measured qubits are fully depolarized before the BSM.
    q_report : (n, 4) probability that the reported outcome differs from the true one by XOR e.
    accept : (4,) 1.0 for reported outcomes that herald success, 0.0 otherwise.
    out : (n, 4, 4) normalised output (zeros if the success probability is 0); prob : (n,) success probability.
    """
    bell = _BELL
    pauli = _PAULI
    n = rho_l.shape[0]
    for i in range(n):
        L = rho_l[i]
        R = rho_r[i]
        # reduced states of A and of D (for the depolarized branch)
        rA = np.zeros((2, 2), dtype=np.complex128)
        rD = np.zeros((2, 2), dtype=np.complex128)
        for a in range(2):
            for a2 in range(2):
                for b in range(2):
                    rA[a, a2] += L[2 * a + b, 2 * a2 + b]
                    rD[a, a2] += R[2 * b + a, 2 * b + a2]
        # unnormalised AD states for each true outcome k (before correction)
        M = np.zeros((4, 4, 4), dtype=np.complex128)
        for k in range(4):
            v = bell[k]
            for a in range(2):
                for d in range(2):
                    for a2 in range(2):
                        for d2 in range(2):
                            acc = 0.0 + 0.0j
                            for b in range(2):
                                for c in range(2):
                                    vbc = np.conj(v[2 * b + c])
                                    if vbc == 0:
                                        continue
                                    for b2 in range(2):
                                        for c2 in range(2):
                                            w = v[2 * b2 + c2]
                                            if w == 0:
                                                continue
                                            acc += (
                                                vbc * w * L[2 * a + b, 2 * a2 + b2] * R[2 * c + d, 2 * c2 + d2]
                                            )
                            M[k, 2 * a + d, 2 * a2 + d2] = (1.0 - p_gate[i]) * acc + 0.25 * p_gate[i] * (
                                rA[a, a2] * rD[d, d2]
                            )
        res = np.zeros((4, 4), dtype=np.complex128)
        for m in range(4):  # reported outcome
            if accept[m] == 0.0:
                continue
            S = np.zeros((4, 4), dtype=np.complex128)
            for k in range(4):
                w = q_report[i, k ^ m]
                if w == 0.0:
                    continue
                for r in range(4):
                    for s in range(4):
                        S[r, s] += w * M[k, r, s]
            # correction: Pauli m on D (right factor of the A⊗D product)
            P = pauli[m]
            for a in range(2):
                for d in range(2):
                    for a2 in range(2):
                        for d2 in range(2):
                            acc = 0.0 + 0.0j
                            for e in range(2):
                                for f in range(2):
                                    acc += P[d, e] * S[2 * a + e, 2 * a2 + f] * np.conj(P[d2, f])
                            res[2 * a + d, 2 * a2 + d2] += acc
        tr = 0.0
        for r in range(4):
            tr += res[r, r].real
        prob[i] = tr
        for r in range(4):
            for s in range(4):
                out[i, r, s] = res[r, s] / tr if tr > 0.0 else 0.0


@jit
def swap_bds_kernel(lam, mu, q_hat, p_gate, out, neg_atol, trace_atol):
    """BDS swap of rows, out[i] = (1 − p[i]) (lam[i] * mu[i] * q[i]) + p[i]/4 with * the Z2×Z2 convolution,
    as a product of Walsh–Hadamard transforms, fused with the checks of ``qnet._validation.bds`` on ``lam`` and
    ``mu`` (one pass over each).

    lam, mu : (n, 4); q_hat : (n, 4) or (1, 4), the transform ``WHT(q)`` of the report noise; p_gate : (n,) or
    (1,); out : (n, 4). Rows may be broadcast views (stride 0); a noise array of one row serves every row. Entries of
    ``lam``/``mu`` in ``[-neg_atol, 0)`` are used as 0. Returns False when a row of ``lam`` or ``mu`` is
    non-finite, below ``-neg_atol`` or off unit sum by more than ``trace_atol`` (the caller then validates with
    numpy to raise; ``out`` is garbage). Infinite tolerances check nothing (inputs validated already).
    """
    ok = True
    q_rows = q_hat.shape[0] > 1
    p_rows = p_gate.shape[0] > 1
    for i in range(out.shape[0]):
        jq = i if q_rows else 0
        keep = 1.0 - p_gate[i if p_rows else 0]
        a, b, c, d = lam[i, 0], lam[i, 1], lam[i, 2], lam[i, 3]
        e, f, h, k = mu[i, 0], mu[i, 1], mu[i, 2], mu[i, 3]
        # x >= -neg_atol is False for NaN and -inf; the total catches +inf
        ok &= ((a >= -neg_atol) & (b >= -neg_atol) & (c >= -neg_atol) & (d >= -neg_atol) & (e >= -neg_atol)
               & (f >= -neg_atol) & (h >= -neg_atol) & (k >= -neg_atol) & (a + b + c + d + e + f + h + k < np.inf))
        a, b, c, d = max(a, 0.0), max(b, 0.0), max(c, 0.0), max(d, 0.0)
        e, f, h, k = max(e, 0.0), max(f, 0.0), max(h, 0.0), max(k, 0.0)
        ok &= (abs(((a + b) + c) + d - 1.0) <= trace_atol) & (abs(((e + f) + h) + k - 1.0) <= trace_atol)
        l0, l1, l2, l3 = wht4(a, b, c, d)
        m0, m1, m2, m3 = wht4(e, f, h, k)
        r0, r1, r2, r3 = wht4(keep * (q_hat[jq, 0] * (l0 * m0)) + (1.0 - keep), keep * (q_hat[jq, 1] * (l1 * m1)),
                              keep * (q_hat[jq, 2] * (l2 * m2)), keep * (q_hat[jq, 3] * (l3 * m3)))
        out[i, 0] = max(0.25 * r0, 0.0)
        out[i, 1] = max(0.25 * r1, 0.0)
        out[i, 2] = max(0.25 * r2, 0.0)
        out[i, 3] = max(0.25 * r3, 0.0)
    return ok
