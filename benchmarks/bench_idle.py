"""Memory decoherence: ``qnet.idle`` on 10^6 Bell-diagonal states and on one density matrix.

References, timed in the same run:

* BDS: plain numpy written from physics.md §1–2 without qnet: explicit Pauli
  probabilities per qubit, then the two Z2×Z2 convolutions as a loop over the
  16 index pairs ``(λ*q)[k] = Σ_j λ[j] q[j ^ k]``.
* density matrix: ``qutip.mesolve`` with the Lindblad operators of the memory,
  and QuTiP Kraus operators turned into a superoperator and applied.

Each ``setup`` checks that qnet and the reference agree before anything is timed.
"""

from __future__ import annotations

import numpy as np
import qutip
from harness import Case

import qnet

N = 1_000_000
RATES_A = np.array([0.1, 0.2, 0.3])
RATES_B = np.array([0.05, 0.0, 0.4])
T_A, T_B = 0.5, 0.3
MESOLVE_OPTIONS = {"atol": 1e-13, "rtol": 1e-12, "nsteps": 100_000}


# ---------------------------------------------------------------- plain-numpy reference for BDS
def numpy_pauli_probabilities(rates: np.ndarray, t) -> np.ndarray:
    """[pI, pZ, pX, pY] of the continuous-time Pauli channel (physics.md §2), shape t.shape + (4,)."""
    gx, gy, gz = rates
    t = np.asarray(t, dtype=float)
    ex = np.exp(-2 * (gy + gz) * t)
    ey = np.exp(-2 * (gx + gz) * t)
    ez = np.exp(-2 * (gx + gy) * t)
    return np.stack([(1 + ex + ey + ez) / 4, (1 - ex - ey + ez) / 4, (1 + ex - ey - ez) / 4, (1 - ex + ey - ez) / 4],
                    axis=-1)


def numpy_convolve(lam: np.ndarray, q: np.ndarray) -> np.ndarray:
    """(λ*q)[k] = Σ_j λ[j] q[j ^ k] by a loop over the 16 index pairs (vectorised over the batch)."""
    out = np.zeros(np.broadcast_shapes(lam.shape, q.shape))
    for k in range(4):
        for j in range(4):
            out[..., k] += lam[..., j] * q[..., j ^ k]
    return out


def numpy_idle(lam, rates_a, t_a, rates_b, t_b):
    return numpy_convolve(numpy_convolve(lam, numpy_pauli_probabilities(rates_a, t_a)),
                          numpy_pauli_probabilities(rates_b, t_b))


def qnet_idle(lam, rates_a, t_a, rates_b, t_b):
    return qnet.idle(lam, rates_a, t_a, rates_b=rates_b, t_b=t_b)


def _agree(a, b, atol, what):
    err = float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
    if not err <= atol:
        raise AssertionError(f"{what}: qnet and reference differ by {err:g} (> {atol:g})")


def setup_bds_scalar_t():
    lam = np.random.default_rng(1).dirichlet(np.ones(4), size=N)
    args = (lam, RATES_A, T_A, RATES_B, T_B)
    _agree(qnet_idle(lam[:1000], *args[1:]), numpy_idle(lam[:1000], *args[1:]), 1e-15, "idle BDS")
    return args


def setup_bds_array_t():
    rng = np.random.default_rng(2)
    lam = rng.dirichlet(np.ones(4), size=N)
    t = rng.uniform(0.0, 2.0, size=N)
    args = (lam, RATES_A, t, RATES_B, 0.5 * t)
    _agree(qnet_idle(lam[:1000], RATES_A, t[:1000], RATES_B, 0.5 * t[:1000]),
           numpy_idle(lam[:1000], RATES_A, t[:1000], RATES_B, 0.5 * t[:1000]), 1e-15, "idle BDS, t per state")
    return args


# ---------------------------------------------------------------- one density matrix vs QuTiP
def _random_dm(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    g = rng.normal(size=(4, 4)) + 1j * rng.normal(size=(4, 4))
    rho = g @ g.conj().T
    return rho / np.trace(rho).real


def _on(op, qubit):
    return qutip.tensor(op, qutip.qeye(2)) if qubit == "A" else qutip.tensor(qutip.qeye(2), op)


_SIG = (qutip.sigmax(), qutip.sigmay(), qutip.sigmaz())
_SLOT_PAULIS = (qutip.qeye(2), qutip.sigmaz(), qutip.sigmax(), qutip.sigmay())
_SIGMA_MINUS = qutip.basis(2, 0) * qutip.basis(2, 1).dag()


def mesolve_pauli(rho_q, rates, t):
    c_ops = [np.sqrt(g) * _on(s, q) for q in ("A", "B") for g, s in zip(rates, _SIG) if g > 0]
    return qutip.mesolve(qutip.qzero([2, 2]), rho_q, [0.0, t], c_ops, options=MESOLVE_OPTIONS).states[-1]


def kraus_super_pauli(rho_q, rates, t):
    """QuTiP path without a solver: Kraus operators -> superoperator -> applied to the vectorised state."""
    p = numpy_pauli_probabilities(rates, t)
    kraus = [np.sqrt(pk) * qutip.tensor(Pa, qutip.qeye(2)) for pk, Pa in zip(p, _SLOT_PAULIS)]
    kraus_b = [np.sqrt(pk) * qutip.tensor(qutip.qeye(2), Pb) for pk, Pb in zip(p, _SLOT_PAULIS)]
    S = qutip.kraus_to_super(kraus_b) * qutip.kraus_to_super(kraus)
    return qutip.vector_to_operator(S * qutip.operator_to_vector(rho_q))


def qnet_dm_pauli(rho, rho_q, rates, t):
    return qnet.idle(rho, rates, t)


def setup_dm_pauli_mesolve():
    rho = _random_dm(3)
    rho_q = qutip.Qobj(rho, dims=[[2, 2], [2, 2]])
    _agree(qnet.idle(rho, RATES_A, T_A), mesolve_pauli(rho_q, RATES_A, T_A).full(), 1e-10, "idle DM vs mesolve")
    return rho, rho_q, RATES_A, T_A


def setup_dm_pauli_super():
    rho = _random_dm(4)
    rho_q = qutip.Qobj(rho, dims=[[2, 2], [2, 2]])
    _agree(qnet.idle(rho, RATES_A, T_A), kraus_super_pauli(rho_q, RATES_A, T_A).full(), 1e-13, "idle DM vs superop")
    return rho, rho_q, RATES_A, T_A


TIMES = np.linspace(0.0, 3.0, 10_000)


def mesolve_pauli_times(rho_q, rates, times):
    c_ops = [np.sqrt(g) * _on(s, q) for q in ("A", "B") for g, s in zip(rates, _SIG) if g > 0]
    return qutip.mesolve(qutip.qzero([2, 2]), rho_q, times, c_ops, options=MESOLVE_OPTIONS).states


def setup_dm_pauli_times():
    rho = _random_dm(6)
    rho_q = qutip.Qobj(rho, dims=[[2, 2], [2, 2]])
    ref = mesolve_pauli_times(rho_q, RATES_A, TIMES)
    out = qnet.idle(rho, RATES_A, TIMES)
    _agree(out[::997], np.stack([ref[i].full() for i in range(0, len(TIMES), 997)]), 1e-10, "idle DM over times")
    return rho, rho_q, RATES_A, TIMES


T1T2 = qnet.T1T2Memory(2.0, 1.5)


def mesolve_t1t2(rho_q, mem, t):
    gphi = 1.0 / mem.T2 - 0.5 / mem.T1
    c_ops = []
    for q in ("A", "B"):
        c_ops += [np.sqrt(1.0 / mem.T1) * _on(_SIGMA_MINUS, q), np.sqrt(gphi / 2) * _on(qutip.sigmaz(), q)]
    return qutip.mesolve(qutip.qzero([2, 2]), rho_q, [0.0, t], c_ops, options=MESOLVE_OPTIONS).states[-1]


def qnet_dm_t1t2(rho, rho_q, mem, t):
    return qnet.idle(rho, mem, t)


def setup_dm_t1t2():
    rho = _random_dm(5)
    rho_q = qutip.Qobj(rho, dims=[[2, 2], [2, 2]])
    _agree(qnet.idle(rho, T1T2, T_A), mesolve_t1t2(rho_q, T1T2, T_A).full(), 1e-10, "idle T1/T2 vs mesolve")
    return rho, rho_q, T1T2, T_A


CASES = [
    Case(
        "idle, 10^6 BDS, per-qubit rates and times",
        setup_bds_scalar_t,
        qnet_idle,
        reference=numpy_idle,
        reference_name="numpy: Pauli probabilities + 2 explicit convolutions",
        target_s=20e-3,
        repeat=21,
        warmup=3,
        note="state (10^6, 4), rates (3,) per qubit, scalar t_a, t_b; validation included; "
             "results agree with the reference to 1e-15.",
    ),
    Case(
        "idle, 10^6 BDS, one time per state",
        setup_bds_array_t,
        qnet_idle,
        reference=numpy_idle,
        reference_name="numpy: Pauli probabilities + 2 explicit convolutions",
        repeat=9,
        note="t of shape (10^6,) (t_b = t/2): 3 exponentials per state.",
    ),
    Case(
        "idle, one 4x4 density matrix (Pauli memory)",
        setup_dm_pauli_mesolve,
        qnet_dm_pauli,
        reference=lambda rho, rho_q, rates, t: mesolve_pauli(rho_q, rates, t),
        reference_name="qutip.mesolve (atol 1e-13, rtol 1e-12)",
        repeat=51,
        reference_repeat=11,
        note="agreement with mesolve <= 1e-10.",
    ),
    Case(
        "idle, one 4x4 density matrix (Pauli memory), Kraus",
        setup_dm_pauli_super,
        qnet_dm_pauli,
        reference=lambda rho, rho_q, rates, t: kraus_super_pauli(rho_q, rates, t),
        reference_name="QuTiP Kraus -> kraus_to_super, applied",
        repeat=51,
        reference_repeat=21,
    ),
    Case(
        "idle, one 4x4 density matrix at 10^4 times (Pauli memory)",
        setup_dm_pauli_times,
        qnet_dm_pauli,
        reference=lambda rho, rho_q, rates, t: mesolve_pauli_times(rho_q, rates, t),
        reference_name="qutip.mesolve with the 10^4 times as tlist",
        repeat=11,
        reference_repeat=3,
        note="t of shape (10^4,): output (10^4, 4, 4); agreement with mesolve <= 1e-10.",
    ),
    Case(
        "idle, one 4x4 density matrix (T1/T2 memory)",
        setup_dm_t1t2,
        qnet_dm_t1t2,
        reference=lambda rho, rho_q, mem, t: mesolve_t1t2(rho_q, mem, t),
        reference_name="qutip.mesolve (atol 1e-13, rtol 1e-12)",
        repeat=51,
        reference_repeat=11,
    ),
]
