"""Benchmarks of issue 5: batched BDS swapping of 10^6 pairs; the SPDC model on a 100-point pump scan."""

from __future__ import annotations

import numpy as np

import qnet
from harness import Case


def _pairs():
    rng = np.random.default_rng(1)
    return rng.dirichlet(np.ones(4), size=1_000_000), rng.dirichlet(np.ones(4), size=1_000_000)


def _loop_swap(lam, mu):
    """Reference: the convolution written out index by index in plain numpy (no Walsh-Hadamard transform)."""
    out = np.zeros_like(lam)
    for k in range(4):
        for j in range(4):
            out[:, k] += lam[:, j] * mu[:, j ^ k]
    return out


def _dm_pairs():
    lam, mu = _pairs()
    return qnet.to_density_matrix(lam[:10_000]), qnet.to_density_matrix(mu[:10_000])


def _dm_reference(rl, rr):
    """Reference: the 16x16 circuit with numpy einsum (projection on each Bell state, Pauli correction)."""
    bell = qnet.BELL_VECTORS
    paulis = np.array([[[1, 0], [0, 1]], [[1, 0], [0, -1]], [[0, 1], [1, 0]], [[0, -1j], [1j, 0]]])
    L = rl.reshape(-1, 2, 2, 2, 2)
    R = rr.reshape(-1, 2, 2, 2, 2)
    out = 0
    for k in range(4):
        v = bell[k].reshape(2, 2)
        post = np.einsum("bc,nabxy,ncdzw,yz->nadxw", v, L, R, v)
        P = paulis[k]
        out = out + np.einsum("de,naexf,gf->nadxg", P, post, P.conj())
    return out.reshape(-1, 4, 4)


def _scan_setup():
    model = qnet.SPDCSwapping(0.1, 0.1, 0.1, 0.1, mode_overlap=0.87, channel_loss_db=32.0,
                              remote_dark_count_probability=2.5e-6)
    return model, np.geomspace(1e-3, 0.3, 100)


def _scan_reference(model, mu):
    """Reference: the same model evaluated point by point (no batching)."""
    return [model.evaluate(m) for m in mu]


CASES = [
    Case("swap BDS, 1e6 pairs", _pairs, lambda a, b: qnet.swap(a, b, form="bds").state, reference=_loop_swap,
         reference_name="numpy index loop", target_s=0.5,
         note="input validation included; closed-form convolution in a numba kernel"),
    Case("swap density matrices, 1e4 pairs", _dm_pairs, lambda a, b: qnet.swap(a, b, form="dm").state,
         reference=_dm_reference, reference_name="numpy einsum circuit", note="numba kernel"),
    Case("SPDC swapping model, 100-point pump scan", _scan_setup, lambda m, mu: m.evaluate(mu),
         reference=_scan_reference, reference_name="point-by-point loop", target_s=1.0,
         note="exact Gaussian model, 3 bases x 8 patterns"),
]
