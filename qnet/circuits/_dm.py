"""The density-matrix readings of a circuit (engine tier): the explicit circuit (the gates as unitaries on all ``2k``
qubits, each node's gate noise as depolarizing channels, measurement errors as flipped reports), and the same
circuit as a map on Pauli coefficients, carried string by string through the operations' Pauli-transfer matrices
(:func:`pauli_map`; the tests compare the two)."""

from __future__ import annotations

import functools

import numpy as np

from .gates import GATES, LOCAL_CLIFFORDS
from .._bell import PAULI_BY_LETTER, PAULIS, PAULIS_BY_ERROR

__all__: list[str] = []

_I, _X, _Y, _Z = PAULIS
#: The Clifford rotating X -> Y -> Z -> X (by 2π/3 about (1, 1, 1)): with the four Paulis, the twelve bilateral
#: unitaries whose average is the Werner twirl of a pair.
_CYCLE = 0.5 * (_I - 1j * (_X + _Y + _Z))
_TWIRL_UNITARIES = tuple(P @ C for P in PAULIS_BY_ERROR for C in (_I, _CYCLE, _CYCLE @ _CYCLE))


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
    P = PAULI_BY_LETTER[basis]
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


def _ptm(channel, r: int) -> np.ndarray:
    """Pauli-transfer matrix ``R[a, b] = Tr(P_a channel(P_b)) / 2^r`` of a channel on ``r`` qubits (Pauli strings in
    ``I, X, Y, Z`` order, first qubit most significant)."""
    strings = PAULIS
    for _ in range(r - 1):
        d = 2 * strings.shape[1]
        strings = np.einsum("aij,bkl->abikjl", strings, PAULIS).reshape(len(strings) * 4, d, d)
    out = np.array([channel(P) for P in strings])
    R = np.einsum("aji,bij->ab", strings, out).real / 2**r
    R[np.abs(R) < 1e-14] = 0.0
    return R


@functools.lru_cache(maxsize=64)
def _op_ptm(kind: str, name: str) -> np.ndarray:
    """The transfer matrix of a bilateral operation on one pair's or two pairs' qubits (A qubits first, then B)."""
    if kind == "local":
        U = LOCAL_CLIFFORDS[name]
        return _ptm(lambda P: np.kron(U, U.conj()) @ P @ np.kron(U, U.conj()).conj().T, 2)
    if kind == "twirl":
        return _ptm(lambda P: sum(np.kron(U, U.conj()) @ P @ np.kron(U, U.conj()).conj().T
                                  for U in _TWIRL_UNITARIES) / 12.0, 2)
    U = np.kron(GATES[name], GATES[name].conj())  # qubits (A_c, A_t, B_c, B_t)
    return _ptm(lambda P: U @ P @ U.conj().T, 4)


@functools.lru_cache(maxsize=256)
def pauli_map(ops: tuple, k: int, fa: float, qa: float, fb: float, qb: float) -> np.ndarray:
    """A step's multilinear map on Pauli coefficients (``qnet.states.PAULI_PRODUCTS``): ``D[o, i_0, ..., i_{k-1}]``
    with ``p r_out[o] = Σ D[o, i] Π_j r_j[i_j]`` (``D[0]`` gives the success probability), the density-matrix step of
    :func:`_dm_step` read in the Pauli basis: each input Pauli string is carried through the operations' transfer
    matrices (a bilateral Clifford maps it to one string, a twirl to a few, each node's depolarizing noise scales the
    strings acting on its gate's qubits by its fidelity), and a check on pair ``j`` in basis ``B`` keeps
    ``(r[I I ...] + c s r[B B ...]) / 2`` of the other qubits, ``c`` the bias of the reported agreement and ``s`` the
    sign of ``B ⊗ B*``. Read-only, cached."""
    labels = [(j, side) for j in range(k) for side in "AB"]
    terms: dict = {}  # (input indices, string of the qubits still alive) -> coefficient
    for idx in np.ndindex(*(16,) * k):
        string = tuple(d for i in idx for d in (i // 4, i % 4))
        terms[(idx, string)] = 1.0
    for op in ops:
        at = {label: n for n, label in enumerate(labels)}
        if op[0] == "measure":
            a, b = at[op[1], "A"], at[op[1], "B"]
            basis = "XYZ".index(op[2]) + 1
            same = (1 - qa) * (1 - qb) + qa * qb
            weight = (2 * same - 1) * (-1.0 if op[2] == "Y" else 1.0)
            new: dict = {}
            for (idx, string), coef in terms.items():
                pair = (string[a], string[b])
                if pair != (0, 0) and pair != (basis, basis):
                    continue
                rest = tuple(d for n, d in enumerate(string) if n not in (a, b))
                key = (idx, rest)
                new[key] = new.get(key, 0.0) + coef * (0.5 if pair == (0, 0) else 0.5 * weight)
            terms = new
            labels = [label for label in labels if label[0] != op[1]]
            continue
        if op[0] == "gate":
            qs = [at[op[2], "A"], at[op[3], "A"], at[op[2], "B"], at[op[3], "B"]]
            R = _op_ptm("gate", op[1])
        else:
            qs = [at[op[1], "A"], at[op[1], "B"]]
            R = _op_ptm(op[0], op[2] if op[0] == "local" else "")
        new = {}
        for (idx, string), coef in terms.items():
            col = 0
            for q in qs:
                col = 4 * col + string[q]
            for row in np.flatnonzero(R[:, col]):
                digits = [(row >> (2 * (len(qs) - 1 - n))) & 3 for n in range(len(qs))]
                out = list(string)
                for q, d in zip(qs, digits):
                    out[q] = d
                value = coef * R[row, col]
                if op[0] == "gate":  # each node's depolarizing noise on its two qubits of the gate
                    value *= (fa if digits[0] or digits[1] else 1.0) * (fb if digits[2] or digits[3] else 1.0)
                key = (idx, tuple(out))
                new[key] = new.get(key, 0.0) + value
        terms = new
    D = np.zeros((16,) * (k + 1))
    for (idx, string), coef in terms.items():
        D[(4 * string[0] + string[1],) + idx] += coef
    D[np.abs(D) < 1e-15] = 0.0
    D.flags.writeable = False
    return D
