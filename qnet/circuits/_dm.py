"""The density-matrix reading of a circuit (engine tier): the gates as unitaries on all ``2k`` qubits, each node's
gate noise as depolarizing channels, measurement errors as flipped reports."""

from __future__ import annotations

import functools

import numpy as np

from ..states import PAULI_PRODUCTS, dm_to_pauli
from .gates import _BY_LETTER, _TWIRL_UNITARIES, GATES, LOCAL_CLIFFORDS

__all__ = ["MAX_DM_ENTRIES"]

#: Largest density-matrix work, in complex entries (states x 4^(2k)), before a ValueError instead of an allocation.
MAX_DM_ENTRIES = 2**27


# ---------------------------------------------------------------- density-matrix circuit
def _on_qubits(rho: np.ndarray, U: np.ndarray, qs: list[int], nq: int) -> np.ndarray:
    """``U ρ U†`` with ``U`` on qubits ``qs`` of ``ρ`` of shape ``(n,) + (2,) * 2 nq``."""
    r = len(qs)
    rows, cols = [1 + q for q in qs], [1 + nq + q for q in qs]
    moved = np.moveaxis(rho, rows, range(-r, 0))
    moved = (moved.reshape(moved.shape[:-r] + (2**r,)) @ U.T).reshape(moved.shape)
    rho = np.moveaxis(moved, range(-r, 0), rows)
    moved = np.moveaxis(rho, cols, range(-r, 0))
    moved = (moved.reshape(moved.shape[:-r] + (2**r,)) @ U.conj().T).reshape(moved.shape)
    return np.moveaxis(moved, range(-r, 0), cols)


def _mixed(rho: np.ndarray, q: int, nq: int) -> np.ndarray:
    """Qubit ``q`` replaced by ``I/2``, the rest unchanged (``I/2 ⊗ Tr_q ρ``)."""
    reduced = np.trace(rho, axis1=1 + q, axis2=1 + nq + q)
    out = np.expand_dims(np.expand_dims(reduced, q + 1), nq + q + 1)
    shape = [1] * rho.ndim
    shape[1 + q], shape[1 + nq + q] = 2, 2
    return out * (np.eye(2) / 2).reshape(shape)


def _depolarize(rho: np.ndarray, f: np.ndarray, qs: list[int], nq: int) -> np.ndarray:
    """``f ρ + (1 − f) I/4 ⊗ Tr_qs ρ`` with a fidelity per state ``f`` of shape ``(n,)``."""
    if np.all(f == 1.0):
        return rho
    mixed = rho
    for q in qs:
        mixed = _mixed(mixed, q, nq)
    w = f.reshape((-1,) + (1,) * (rho.ndim - 1))
    return w * rho + (1.0 - w) * mixed


def _measure(rho: np.ndarray, qa: int, qb: int, basis: str, err_a: np.ndarray, err_b: np.ndarray,
             nq: int) -> np.ndarray:
    """Measure ``basis`` on qubit ``qa`` and its conjugate on ``qb``, keep the agreeing reports, trace both out."""
    P = _BY_LETTER[basis]
    for q, M in ((qa, P), (qb, P.conj())):
        vals, vecs = np.linalg.eigh(M)
        rho = _on_qubits(rho, vecs[:, np.argsort(-vals)].conj().T, [q], nq)  # outcome +1 -> |0>, -1 -> |1>
    n = rho.shape[0]
    same = (1 - err_a) * (1 - err_b) + err_a * err_b
    w = np.stack([same, 1 - same, 1 - same, same], axis=-1).reshape(n, 2, 2)  # [outcome at qa, outcome at qb]
    idx = [slice(None)] * rho.ndim
    out = 0.0
    for a in range(2):
        for b in range(2):
            idx[1 + qa] = idx[1 + nq + qa] = a
            idx[1 + qb] = idx[1 + nq + qb] = b
            out = out + w[:, a, b].reshape((-1,) + (1,) * (rho.ndim - 5)) * rho[tuple(idx)]
    return out


def _dm_step(rhos: list[np.ndarray], ops: tuple, fa: np.ndarray, qa: np.ndarray, fb: np.ndarray,
             qb: np.ndarray) -> np.ndarray:
    """The step on density matrices ``(n, 4, 4)`` (kept first): the unnormalised output ``(n, 4, 4)``."""
    n = rhos[0].shape[0]
    rho = rhos[0]
    for r in rhos[1:]:
        d = rho.shape[1]
        rho = np.einsum("nab,ncd->nacbd", rho, r).reshape(n, 4 * d, 4 * d)
    qubits = [(j, side) for j in range(len(rhos)) for side in "AB"]
    nq = len(qubits)
    rho = rho.reshape((n,) + (2,) * (2 * nq))
    for op in ops:
        at = {label: i for i, label in enumerate(qubits)}
        if op[0] == "local":
            U = LOCAL_CLIFFORDS[op[2]]
            rho = _on_qubits(_on_qubits(rho, U, [at[op[1], "A"]], nq), U.conj(), [at[op[1], "B"]], nq)
        elif op[0] == "twirl":
            qs = [at[op[1], "A"], at[op[1], "B"]]
            rho = sum(_on_qubits(rho, np.kron(U, U.conj()), qs, nq) for U in _TWIRL_UNITARIES) / 12.0
        elif op[0] == "gate":
            U = GATES[op[1]]
            side_a, side_b = [at[op[2], "A"], at[op[3], "A"]], [at[op[2], "B"], at[op[3], "B"]]
            rho = _on_qubits(_on_qubits(rho, U, side_a, nq), U.conj(), side_b, nq)
            rho = _depolarize(_depolarize(rho, fa, side_a, nq), fb, side_b, nq)
        else:
            rho = _measure(rho, at[op[1], "A"], at[op[1], "B"], op[2], qa, qb, nq)
            qubits = [label for label in qubits if label[0] != op[1]]
            nq -= 2
    return rho.reshape(n, 4, 4)


@functools.lru_cache(maxsize=256)
def pauli_map(ops: tuple, k: int, fa: float, qa: float, fb: float, qb: float) -> np.ndarray:
    """A step's multilinear map on Pauli coefficients (``qnet.states.PAULI_PRODUCTS``): ``D[o, i_0, ..., i_{k-1}]``
    with ``p r_out[o] = Σ D[o, i] Π_j r_j[i_j]`` (``D[0]`` gives the success probability), from the density-matrix
    step run on the basis operators ``P ⊗ Q / 4`` (it is linear in each input), one first input at a time; entries
    below 1e-15 in magnitude (round-off where the ideal map is exactly 0) set to 0. Read-only, cached."""
    basis = PAULI_PRODUCTS / 4.0
    rest = np.stack(np.meshgrid(*[np.arange(16)] * (k - 1), indexing="ij"), -1).reshape(-1, k - 1)
    n = rest.shape[0]
    noise = [np.full(n, x) for x in (fa, qa, fb, qb)]
    D = np.empty((16,) * (k + 1))
    for i in range(16):
        rhos = [np.broadcast_to(basis[i], (n, 4, 4))] + [basis[rest[:, j]] for j in range(k - 1)]
        D[(slice(None), i)] = dm_to_pauli(_dm_step(rhos, ops, *noise)).T.reshape((16,) + (16,) * (k - 1))
    D[np.abs(D) < 1e-15] = 0.0
    D.flags.writeable = False
    return D
