"""Benchmarks of issue 3 (purification engine): batched BDS purification of 10^6 pairs, the single-state
16x16 circuit against QuTiP's operator path, and the noisy paths against the noiseless ones."""

from __future__ import annotations

import numpy as np
import qutip

import qnet
from harness import Case
from qnet._distil import bds_purify, dm_purify, dm_purify_single
from qnet._bell import bds_to_dm

N = 1_000_000


def _pairs():
    rng = np.random.default_rng(3)
    return rng.dirichlet(np.ones(4), size=N), rng.dirichlet(np.ones(4), size=N)


def _numpy_cnot(lam, mu, f=1.0, q=0.0):
    """Reference: the noisy CNOT closed form in plain vectorized numpy (agreeing/disagreeing parity terms)."""
    F, e = f * f, 2 * q * (1 - q)
    l0, l1, l2, l3 = lam.T
    m0, m1, m2, m3 = mu.T
    agree = np.stack([l0 * m0 + l1 * m1, l0 * m1 + l1 * m0, l2 * m2 + l3 * m3, l2 * m3 + l3 * m2], -1)
    differ = np.stack([l0 * m2 + l1 * m3, l0 * m3 + l1 * m2, l2 * m0 + l3 * m1, l2 * m1 + l3 * m0], -1)
    out = F * ((1 - e) * agree + e * differ) + (1 - F) / 8
    p = out.sum(-1)
    return out / p[:, None], p


def _numpy_dejmps(lam, mu, f=1.0, q=0.0):
    return _numpy_cnot(lam[:, [0, 3, 2, 1]], mu[:, [0, 3, 2, 1]], f, q)


def _single():
    rng = np.random.default_rng(5)
    g = rng.normal(size=(2, 4, 4)) + 1j * rng.normal(size=(2, 4, 4))
    rho = g @ np.conj(np.swapaxes(g, -1, -2))
    rho /= np.trace(rho, axis1=-2, axis2=-1)[:, None, None]
    return np.ascontiguousarray(rho[0]), np.ascontiguousarray(rho[1])


def _qutip_ops():
    p0, p1, X, I = qutip.basis(2, 0).proj(), qutip.basis(2, 1).proj(), qutip.sigmax(), qutip.qeye(2)

    def op(d):
        return qutip.tensor([d.get(i, I) for i in range(4)])

    g = (op({0: p0}) + op({0: p1, 2: X})) * (op({1: p0}) + op({1: p1, 3: X}))
    keep = [op({2: qutip.basis(2, m).proj(), 3: qutip.basis(2, m).proj()}) for m in (0, 1)]
    return g, keep


_G, _KEEP = _qutip_ops()


def _qutip_circuit(r1, r2):
    """Reference: QuTiP operator path (tensor, bilateral CNOT, projectors, partial trace), operators prebuilt."""
    dims = [[2, 2], [2, 2]]
    rho = qutip.tensor(qutip.Qobj(r1, dims=dims), qutip.Qobj(r2, dims=dims))
    rho = _G * rho * _G.dag()
    out = sum(qutip.ptrace(k * rho * k, [0, 1]) for k in _KEEP)
    p = out.tr()
    return out / p, p


def _qutip_noisy(r1, r2, f=0.9):
    dims = [[2, 2], [2, 2]]
    rho = qutip.tensor(qutip.Qobj(r1, dims=dims), qutip.Qobj(r2, dims=dims))
    rho = _G * rho * _G.dag()
    for node in ([0, 2], [1, 3]):
        rest = [i for i in range(4) if i not in node]
        mixed = qutip.tensor(qutip.ptrace(rho, rest), qutip.qeye([2, 2]) / 4)
        order = rest + node
        rho = f * rho + (1 - f) * mixed.permute([order.index(i) for i in range(4)])
    out = sum(qutip.ptrace(k * rho * k, [0, 1]) for k in _KEEP)
    p = out.tr()
    return out / p, p


CALLS = 1000


def _calls(fn):
    """``CALLS`` sequential single-state calls (timing single microsecond calls one by one is noise-dominated)."""

    def run(a, b):
        for _ in range(CALLS):
            fn(a, b)

    return run


def _dm_batch():
    lam, mu = _pairs()
    rng = np.random.default_rng(9)
    g = rng.normal(size=(2, 10_000, 4, 4)) + 1j * rng.normal(size=(2, 10_000, 4, 4))
    rho = g @ np.conj(np.swapaxes(g, -1, -2))
    rho /= np.trace(rho, axis1=-2, axis2=-1)[..., None, None]
    return rho[0], rho[1]


def _numpy_dm_circuit(r1, r2):
    """Reference: 16x16 circuit in numpy einsum over the batch (permutation matrix, projectors, partial trace)."""
    n = r1.shape[0]
    perm = np.zeros((16, 16))
    for i in range(16):
        a1, b1, a2, b2 = (i >> 3) & 1, (i >> 2) & 1, (i >> 1) & 1, i & 1
        perm[(a1 << 3) | (b1 << 2) | ((a2 ^ a1) << 1) | (b2 ^ b1), i] = 1
    joint = np.einsum("nij,nkl->nikjl", r1, r2).reshape(n, 16, 16)
    joint = perm @ joint @ perm.T
    blocks = joint.reshape(n, 4, 4, 4, 4)
    out = blocks[:, :, 0, :, 0] + blocks[:, :, 3, :, 3]
    p = np.trace(out, axis1=1, axis2=2).real
    return out / p[:, None, None], p


CASES = [
    Case("bds_purify cnot, 1e6 pairs", _pairs, lambda a, b: bds_purify(a, b, "cnot"), reference=_numpy_cnot,
         reference_name="vectorized numpy", target_s=N / 50e6,
         note="internal unvalidated numba kernel; target 50 million pairs/s on one core"),
    Case("bds_purify dejmps noisy (f=0.99, q=0.01), 1e6 pairs", _pairs,
         lambda a, b: bds_purify(a, b, "dejmps", 0.99, 0.01), reference=lambda a, b: _numpy_dejmps(a, b, 0.99, 0.01),
         reference_name="vectorized numpy", target_s=N / 50e6,
         note="noisy path: same kernel, same target as the noiseless one"),
    Case("qnet.purify (validated) dejmps, 1e6 pairs", _pairs, lambda a, b: qnet.purify(a, b, "dejmps"),
         reference=lambda a, b: _numpy_dejmps(a, b), reference_name="vectorized numpy",
         note="public API including input validation of both batches"),
    Case(f"16x16 circuit, one general state, noiseless (x{CALLS} calls)", _single,
         _calls(lambda a, b: dm_purify_single(a, b, "cnot")), reference=_calls(_qutip_circuit),
         reference_name="QuTiP operators", target_s=CALLS * 1e-6,
         note=f"internal single-state path (dm_purify_single), {CALLS} sequential calls: per call = time / {CALLS}; "
              "target 1 µs per call (issue 16; 5 µs before)"),
    Case(f"16x16 circuit, one general state, noisy f=0.9, q=0.02 (x{CALLS} calls)", _single,
         _calls(lambda a, b: dm_purify_single(a, b, "cnot", 0.9, 0.02)),
         reference=_calls(lambda a, b: _qutip_noisy(a, b, 0.9)), reference_name="QuTiP operators",
         target_s=CALLS * 5e-6, note="noisy single-state path; the issue asks for it within 2x of the noiseless one"),
    Case(f"16x16 circuit, one state, dejmps with rotations (x{CALLS} calls)", _single,
         _calls(lambda a, b: dm_purify_single(a, b, "dejmps")), target_s=CALLS * 5e-6,
         note="with the local pre-rotations of both pairs"),
    Case("dm_purify batch, 1e4 general states", _dm_batch, lambda a, b: dm_purify(a, b, "cnot"),
         reference=_numpy_dm_circuit, reference_name="numpy einsum 16x16", note="batched circuit kernel"),
]
