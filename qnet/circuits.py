"""Distillation circuits of k >= 2 pairs: one definition, three exact readings.

A :class:`Circuit` is a list of bilateral operations on ``k`` Bell pairs: local Cliffords, two-qubit Clifford gates
between pairs, Werner twirls, and coincidence measurements that herald success. From that one definition qnet
derives

* its **Bell-diagonal transfer map** (:meth:`Circuit.transfer`), by Pauli-frame propagation: a bilateral Clifford
  maps a product of Bell states to a product of Bell states, so on Bell-diagonal inputs the circuit acts on the
  joint distribution of the pairs' Pauli errors, exactly. The map is multilinear in the ``k`` inputs and is applied
  to batches by a compiled kernel;
* its **density-matrix circuit** (:meth:`Circuit.apply` on density matrices): the gates as unitaries on the
  ``2k``-qubit state, each node's gate noise as a depolarizing channel and its measurement errors as flipped
  outcomes;
* its **acceptance probability**, the trace of the unnormalised output in either reading.

Conventions
-----------
* **Pairs** are numbered from 0; pair 0 is the kept pair, the one left when every other pair is measured. Pair
  ``j``'s qubits are ``A_j`` (node A) and ``B_j`` (node B).
* **Bilateral operations.** An operation named by a unitary ``U`` applies ``U`` at node A and ``U*`` at node B,
  which leaves ``|Φ+⟩`` on every pair unchanged; an error ``E`` on a pair (``(E ⊗ I)|Φ+⟩``, Bell slots
  ``[Φ+, Φ−, Ψ+, Ψ−]`` = errors ``[I, Z, X, Y]``) becomes ``U E U†``. For real gates (CNOT, CZ, ``XCZ``) this is the
  same gate at both nodes, as in QuantumSavory.jl's CircuitZoo.
* **Gates** ``"PCQ"`` for ``P, Q`` in X, Y, Z: controlled-``Q`` on the second pair, controlled by the ``P``-basis
  value of the first (``"ZCX"`` is the CNOT, alias ``"CNOT"``; ``"ZCZ"`` the CZ, alias ``"CZ"``; ``"XCZ"`` the
  CNOT with control and target exchanged). Local Cliffords: ``"h"`` (Hadamard, X ↔ Z) and ``"rx"`` (``Rx(π/2)``,
  Z ↔ Y). ``"twirl"`` depolarizes a pair to Werner form (the ``U ⊗ U*`` twirl of BBPSSW).
* **Measurements.** Measuring pair ``j`` in basis ``P`` measures ``P`` at node A and ``P*`` at node B; the check
  passes when the two reported outcomes agree, which they do on ``|Φ+⟩``: on a Bell-diagonal pair, when its error
  commutes with ``P``.
* **Noise** (the model of :mod:`qnet.noise`): after each two-qubit gate, each node's two qubits are depolarized
  with its gate fidelity; each reported outcome is flipped with the node's measurement error. Local Cliffords and
  twirls are ideal. On Bell-diagonal inputs the map depends on the two nodes' noise only through ``F = f_A f_B`` and
  the parity-flip probability ``q_A (1 − q_B) + (1 − q_A) q_B``.
* **Steps.** A circuit may be a sequence of steps, each a circuit on the pair kept so far and fresh pairs (the
  Expedient and Stringent protocols): the arity is ``1 + Σ (k_i − 1)``, the inputs are the kept pair then each
  step's fresh pairs in order, and success means every check of every step passes (single shot, no restarts).

Examples
--------
>>> import qnet
>>> ds = qnet.circuit("double_selection")
>>> ds.arity
3
>>> out, p = ds.apply(qnet.werner(0.9), qnet.werner(0.9), qnet.werner(0.9))
>>> round(float(out[0]), 6), round(float(p), 6)
(0.956522, 0.763259)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from . import _validation as _v
from ._kernels import kernel_rows, lazy, map_rows
from .noise import OperationNoise, resolve
from .results import Heralded
from .channels import wht
from .states import bds_to_dm

_k = lazy("circuits")

__all__ = ["Circuit", "CIRCUITS", "circuit", "GATES", "LOCAL_CLIFFORDS", "MEASUREMENT_BASES", "MAX_STEP_PAIRS"]

#: Pairs alive at once in one step: the Bell-diagonal map of a step of k pairs has 4^(k+1) entries and is built from a
#: 4^k x 4^k propagation (k = 5: 8 MB), the density-matrix circuit holds 4^(2k) entries per state.
MAX_STEP_PAIRS = 5
#: Largest density-matrix work, in complex entries (states x 4^(2k)), before a ValueError instead of an allocation.
MAX_DM_ENTRIES = 2**27

_I = np.eye(2, dtype=np.complex128)
_X = np.array([[0, 1], [1, 0]], dtype=np.complex128)
_Y = np.array([[0, -1j], [1j, 0]], dtype=np.complex128)
_Z = np.diag([1.0, -1.0]).astype(np.complex128)
#: Pauli matrices by error index ``2 x + z``: I, Z, X, Y (the Bell slots Φ+, Φ−, Ψ+, Ψ−).
_PAULIS = (_I, _Z, _X, _Y)
_BY_LETTER = {"X": _X, "Y": _Y, "Z": _Z}


def _controlled(p: str, q: str) -> np.ndarray:
    """The two-qubit unitary ``"PCQ"``: ``Q`` on the second qubit when the first is in the ``-1`` eigenspace of P."""
    P, Q = _BY_LETTER[p], _BY_LETTER[q]
    return np.kron((_I + P) / 2, _I) + np.kron((_I - P) / 2, Q)


#: Two-qubit bilateral gates by name (``"PCQ"``, and the aliases ``"CNOT"`` and ``"CZ"``).
GATES: dict[str, np.ndarray] = {f"{p}C{q}": _controlled(p, q) for p in "XYZ" for q in "XYZ"}
GATES["CNOT"], GATES["CZ"] = GATES["ZCX"], GATES["ZCZ"]

#: Local bilateral Cliffords by name.
LOCAL_CLIFFORDS: dict[str, np.ndarray] = {
    "h": np.array([[1, 1], [1, -1]], dtype=np.complex128) / np.sqrt(2),
    "rx": np.array([[1, -1j], [-1j, 1]], dtype=np.complex128) / np.sqrt(2),
}

#: Measurement bases of a coincidence check.
MEASUREMENT_BASES = ("X", "Y", "Z")


def frame_permutation(U: np.ndarray) -> np.ndarray:
    """Engine tier (not in ``__all__``): ``perm[e]`` = the Pauli error index of ``U P_e U†`` (up to phase), over ``n`` qubits (index base 4, first
    qubit most significant)."""
    n = U.shape[0].bit_length() - 1
    paulis = [functools.reduce(np.kron, (_PAULIS[(e >> (2 * (n - 1 - i))) & 3] for i in range(n)), np.eye(1))
              for e in range(4**n)]
    perm = np.empty(4**n, dtype=np.int64)
    for e, P in enumerate(paulis):
        image = U @ P @ U.conj().T
        overlaps = [abs(np.trace(Q.conj().T @ image)) / 2**n for Q in paulis]
        perm[e] = int(np.argmax(overlaps))
        if not np.isclose(overlaps[perm[e]], 1.0, atol=1e-12):  # pragma: no cover - the tables hold Cliffords
            raise ValueError("not a Clifford operation")
    return perm


def _commute(e: int, f: int) -> bool:
    """Whether the single-qubit Paulis with error indices ``e`` and ``f`` (``2x + z``) commute."""
    return ((e >> 1) * (f & 1) + (e & 1) * (f >> 1)) % 2 == 0


_PERM = {name: frame_permutation(U) for name, U in {**GATES, **LOCAL_CLIFFORDS}.items()}
#: Per measurement basis, which pair errors pass its coincidence check (those commuting with the measured Pauli).
_PASSES = {b: np.array([_commute(e, {"X": 2, "Y": 3, "Z": 1}[b]) for e in range(4)]) for b in MEASUREMENT_BASES}


def passes_check(basis: str) -> np.ndarray:
    """Which pair errors (index ``2x + z``) pass a coincidence check in ``basis`` (engine tier, not in ``__all__``)."""
    return _PASSES[basis].copy()
#: The Clifford rotating X -> Y -> Z -> X (by 2π/3 about (1, 1, 1)): with the four Paulis, the twelve bilateral
#: unitaries whose average is the Werner twirl of a pair.
_CYCLE = 0.5 * (_I - 1j * (_X + _Y + _Z))
_TWIRL_UNITARIES = tuple(P @ C for P in _PAULIS for C in (_I, _CYCLE, _CYCLE @ _CYCLE))

_KINDS = {"local": 3, "twirl": 2, "gate": 4, "measure": 3}


def _check_op(op: Any, index: int) -> tuple:
    """One operation as a validated tuple (see :class:`Circuit`)."""
    where = f"ops[{index}]"
    if not isinstance(op, (tuple, list)) or not op or op[0] not in _KINDS:
        raise ValueError(f"{where} must be a tuple starting with one of {sorted(_KINDS)}, got {op!r}")
    op = tuple(op)
    if len(op) != _KINDS[op[0]]:
        forms = {"local": "('local', pair, name)", "twirl": "('twirl', pair)", "gate": "('gate', name, first, second)",
                 "measure": "('measure', pair, basis)"}
        raise ValueError(f"{where} must have the form {forms[op[0]]}, got {op!r}")
    pairs = op[2:] if op[0] == "gate" else op[1:2]
    for pair in pairs:
        if isinstance(pair, (bool, np.bool_)) or not isinstance(pair, (int, np.integer)) or pair < 0:
            raise ValueError(f"{where}: pair indices must be integers >= 0, got {pair!r} in {op!r}")
    if op[0] == "local":
        _v.option(op[2], f"{where} local Clifford", LOCAL_CLIFFORDS)
    elif op[0] == "gate":
        _v.option(op[1], f"{where} gate", GATES)
        if op[2] == op[3]:
            raise ValueError(f"{where}: a gate acts on two different pairs, got {op!r}")
    elif op[0] == "measure":
        _v.option(op[2], f"{where} measurement basis", MEASUREMENT_BASES)
    return (op[0],) + tuple(int(x) if isinstance(x, (int, np.integer)) else x for x in op[1:])


def _check_step(ops: Any) -> tuple[tuple, ...]:
    """The operations of one step, validated: pair 0 kept, every other pair measured once and untouched after."""
    if isinstance(ops, (str, bytes)) or not isinstance(ops, Sequence) or not ops:
        raise ValueError(f"ops must be a non-empty sequence of operations, got {ops!r}")
    ops = tuple(_check_op(op, i) for i, op in enumerate(ops))
    pairs = {p for op in ops for p in (op[2:] if op[0] == "gate" else op[1:2])}
    k = max(pairs) + 1
    if k < 2 or k > MAX_STEP_PAIRS:
        raise ValueError(f"a step acts on 2 to {MAX_STEP_PAIRS} pairs (MAX_STEP_PAIRS), got pairs 0..{k - 1}")
    measured: set[int] = set()
    for i, op in enumerate(ops):
        used = op[2:] if op[0] == "gate" else op[1:2]
        gone = measured.intersection(used)
        if gone:
            raise ValueError(f"ops[{i}] {op!r} acts on pair {min(gone)}, which was measured before")
        if op[0] == "measure":
            if op[1] == 0:
                raise ValueError(f"ops[{i}] measures pair 0, the kept pair; measure the others")
            measured.add(op[1])
    missing = sorted(set(range(1, k)) - measured)
    if missing:
        raise ValueError(f"every pair but the kept pair 0 must be measured; pairs {missing} are not")
    return ops


@functools.lru_cache(maxsize=1024)
def _step_map(ops: tuple, k: int, F: float, e: float) -> np.ndarray:
    """The Bell-diagonal map of one step by Pauli-frame propagation, ``M[c, s]``: the unnormalised weight of output
    slot ``s`` for the input error configuration ``c`` (pair 0's error most significant, base 4), with the gate
    noise ``F`` (product of the nodes' fidelities) and parity-flip probability ``e``. Read-only, cached."""
    P = np.eye(4**k).reshape((4,) * k + (4**k,))  # joint error distribution of the alive pairs, per input config
    alive = list(range(k))
    for op in ops:
        if op[0] == "twirl":
            Pm = np.moveaxis(P, alive.index(op[1]), 0)
            rest = (Pm[1] + Pm[2] + Pm[3]) / 3.0
            P = np.moveaxis(np.stack([Pm[0], rest, rest, rest]), 0, alive.index(op[1]))
        elif op[0] == "local":  # error e becomes perm[e]
            P = np.take(P, np.argsort(_PERM[op[2]]), axis=alive.index(op[1]))
        elif op[0] == "gate":
            axes = (alive.index(op[2]), alive.index(op[3]))
            Pm = np.moveaxis(P, axes, (0, 1))
            flat = Pm.reshape(16, -1)
            new = flat[np.argsort(_PERM[op[1]])]
            if F < 1.0:  # each node's two qubits depolarized: the two pairs' errors uniform, with weight 1 - F
                new = F * new + (1.0 - F) / 16.0 * flat.sum(axis=0)
            P = np.moveaxis(new.reshape(Pm.shape), (0, 1), axes)
        else:  # measure: agreeing reports keep the configurations that pass, flipped parity those that fail
            Pm = np.moveaxis(P, alive.index(op[1]), 0)
            ok = _PASSES[op[2]]
            P = (1.0 - e) * Pm[ok].sum(axis=0) + e * Pm[~ok].sum(axis=0)
            alive.remove(op[1])
    M = np.ascontiguousarray(P.reshape(4, 4**k).T)
    M[np.abs(M) < 1e-17] = 0.0
    M.flags.writeable = False
    return M


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


# ---------------------------------------------------------------- circuits
def _noise_arrays(noise: Any, noise_b: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(f_A, q_A, f_B, q_B)`` as float arrays; node B's noise is node A's unless given."""
    a = resolve(noise)
    b = a if noise_b is None else resolve(noise_b, name="noise_b")
    return tuple(np.asarray(x, dtype=np.float64) for x in (a.gate_fidelity, a.measurement_error,
                                                            b.gate_fidelity, b.measurement_error))


@dataclass(frozen=True, init=False)
class Circuit:
    """A distillation circuit of ``k >= 2`` Bell pairs, kept pair first (see the module docstring).

    Parameters
    ----------
    ops : sequence of tuples
        The operations in order: ``("local", pair, name)`` (a name of :data:`LOCAL_CLIFFORDS`), ``("twirl", pair)``,
        ``("gate", name, first, second)`` (a name of :data:`GATES`; ``first`` is the control), ``("measure", pair,
        basis)`` (a basis of :data:`MEASUREMENT_BASES`). Pairs are numbered from 0; pair 0 is kept and every other
        pair is measured once, after its last gate.
    name : str
        How results and errors name the circuit.

    Attributes
    ----------
    name : str
    steps : tuple of tuples
        The validated operations of each step (one step unless built by :meth:`sequence`).
    arity : int
        Number of input pairs, ``1 + Σ (k_i − 1)`` over the steps.

    Examples
    --------
    >>> import qnet
    >>> c = qnet.Circuit([("gate", "CNOT", 0, 1), ("measure", 1, "Z")], name="cnot")
    >>> out, p = c.apply([0.9, 0.1, 0, 0], [0.8, 0, 0.2, 0])     # the same as qnet.purify(..., "cnot")
    >>> out.round(4), round(float(p), 4)
    (array([0.9, 0.1, 0. , 0. ]), 0.8)
    >>> qnet.Circuit([("gate", "CNOT", 0, 1)])
    Traceback (most recent call last):
    ...
    ValueError: every pair but the kept pair 0 must be measured; pairs [1] are not
    """

    name: str
    steps: tuple[tuple[tuple, ...], ...]
    arity: int

    def __init__(self, ops: Sequence[tuple], *, name: str = "custom") -> None:
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {type(name).__name__} {name!r}")
        self._set(name, (_check_step(ops),))

    def _set(self, name: str, steps: tuple[tuple[tuple, ...], ...]) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "arity", 1 + sum(_step_arity(s) - 1 for s in steps))

    @classmethod
    def sequence(cls, circuits: Sequence["Circuit"], *, name: str) -> "Circuit":
        """The circuits run one after the other on the kept pair, each with fresh pairs of its own.

        Examples
        --------
        >>> import qnet
        >>> twice = qnet.Circuit.sequence([qnet.circuit("dejmps")] * 2, name="dejmps_pumping")
        >>> twice.arity
        3
        """
        if isinstance(circuits, Circuit) or not isinstance(circuits, Sequence) or not circuits:
            raise ValueError(f"circuits must be a non-empty sequence of qnet.Circuit, got {circuits!r}")
        for i, c in enumerate(circuits):
            if not isinstance(c, Circuit):
                raise TypeError(f"circuits[{i}] must be a qnet.Circuit, got {type(c).__name__} {c!r}")
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {type(name).__name__} {name!r}")
        new = cls.__new__(cls)
        new._set(name, tuple(s for c in circuits for s in c.steps))
        return new

    def __repr__(self) -> str:
        return f"Circuit({self.name!r}, arity={self.arity}, steps={len(self.steps)})"

    def transfer(self, noise: OperationNoise | None = None, noise_b: OperationNoise | None = None) -> np.ndarray:
        """The exact Bell-diagonal map of a one-step circuit: ``T[s, c_0, ..., c_{k-1}]``, the unnormalised output
        slot ``s`` for inputs in Bell states ``c_j``; multilinear, so ``out = Σ T[s, c] Π_j λ_j[c_j]`` and the
        success probability is the sum over ``s``.

        Examples
        --------
        >>> import qnet
        >>> T = qnet.circuit("cnot").transfer()
        >>> T.shape, float(T.sum(axis=0)[0, 0])      # two Φ+ pairs always pass
        ((4, 4, 4), 1.0)
        """
        if len(self.steps) != 1:
            raise ValueError(f"{self.name} has {len(self.steps)} steps; transfer() maps one step (see .steps)")
        F, e = circuit_noise(noise, noise_b)
        k = self.arity
        return np.array(_step_map(self.steps[0], k, F, e).T.reshape((4,) * (k + 1)))

    def apply(self, *pairs: Any, noise: OperationNoise | None = None, noise_b: OperationNoise | None = None,
              form: str = "auto") -> Heralded:
        """Run the circuit on ``arity`` pairs, kept pair first.

        Parameters
        ----------
        *pairs : array_like or qutip.Qobj
            Bell-diagonal states ``(..., 4)`` or density matrices ``(..., 4, 4)``; batch axes broadcast. If any is a
            density matrix, all are read as density matrices and the explicit circuit is run.
        noise, noise_b : OperationNoise, optional
            Node A's operation noise (both nodes' unless ``noise_b`` is given); arrays broadcast with the batch.
        form : {"auto", "bds", "dm"}
            How to read the inputs (see :func:`qnet.to_bds`).

        Returns
        -------
        Heralded
            The kept pair conditioned on every check passing, and the probability that they all pass.

        Raises
        ------
        ValueError
            Wrong number of pairs, invalid states or noise, or a success probability of 0.
        """
        out, p = self._run(*self._read(pairs, noise, noise_b, form))
        zero = p <= 0.0
        if zero.any():
            where = f" at batch index {tuple(int(i) for i in np.argwhere(zero)[0])}" if p.ndim else ""
            raise ValueError(f"{self.name} fails with certainty (success probability 0){where}; no output state exists")
        return Heralded(out, p)

    def acceptance(self, *pairs: Any, noise: OperationNoise | None = None, noise_b: OperationNoise | None = None,
                   form: str = "auto") -> np.ndarray:
        """The probability that every check passes, shape ``batch`` (0 allowed; see :meth:`apply`).

        Examples
        --------
        >>> import qnet
        >>> float(qnet.circuit("cnot").acceptance([0, 0, 1, 0], [1, 0, 0, 0]))   # X on the kept pair: detected
        0.0
        """
        return self._run(*self._read(pairs, noise, noise_b, form))[1]

    def _read(self, pairs: tuple, noise: Any, noise_b: Any, form: str) -> tuple:
        if len(pairs) != self.arity:
            raise ValueError(f"{self.name} takes {self.arity} pairs (kept pair first), got {len(pairs)}")
        # large float64 Bell-diagonal arrays are checked by the compiled kernel while it reads them (one pass)
        deferred = all(_v.bds_deferrable(x, form) for x in pairs)
        read = [("bds", x) if deferred else _v.state(x, f"pairs[{i}]", form) for i, x in enumerate(pairs)]
        kind = "dm" if any(k == "dm" for k, _ in read) else "bds"
        states = [bds_to_dm(x) if kind == "dm" and k == "bds" else x for k, x in read]
        noise4 = _noise_arrays(noise, noise_b)
        core = 1 if kind == "bds" else 2
        arrays = {f"pairs[{i}]": x for i, x in enumerate(states)}
        arrays.update(zip(("gate_fidelity", "measurement_error", "gate_fidelity_b", "measurement_error_b"), noise4))
        batch = _v.broadcast(arrays, core={f"pairs[{i}]": core for i in range(len(states))})
        n = int(np.prod(batch))
        if kind == "dm":
            big = max(_step_arity(s) for s in self.steps)
            if n * 16**big > MAX_DM_ENTRIES:
                raise ValueError(f"{self.name} on {n} density matrices holds {n * 16**big:.3g} complex entries at "
                                 f"once, above MAX_DM_ENTRIES = {MAX_DM_ENTRIES}; use Bell-diagonal inputs or fewer")
        return kind, states, batch, noise4, deferred

    def raw_pairs(self, *pairs: Any, noise: OperationNoise | None = None, noise_b: OperationNoise | None = None,
                  form: str = "auto", restarts: bool = True) -> np.ndarray:
        """Expected raw pairs consumed per output pair, shape ``batch`` (``inf`` where the circuit never succeeds).

        Without restarts every attempt consumes all ``arity`` pairs: ``arity / p_success``. With ``restarts`` (the
        way Nickerson et al. run Expedient and Stringent) an attempt stops at the first step that fails, and a
        step's *preparation* (its operations before the first gate on the kept pair, when they purify one auxiliary
        pair) is repeated with fresh pairs until it passes, without losing the kept pair; a failure after that
        starts the whole circuit again. The output state is the same either way (every check passes); a failed
        attempt is charged all the pairs of the part that failed.

        Examples
        --------
        >>> import qnet
        >>> c = qnet.circuit("stringent")
        >>> pairs = [qnet.werner(0.9)] * c.arity
        >>> round(float(c.raw_pairs(*pairs, restarts=False)), 1), round(float(c.raw_pairs(*pairs)), 1)
        (50.7, 22.7)
        """
        kind, states, batch, noise4, deferred = self._read(pairs, noise, noise_b, form)
        if not isinstance(restarts, (bool, np.bool_)):
            raise TypeError(f"restarts must be True or False, got {type(restarts).__name__} {restarts!r}")
        with np.errstate(divide="ignore", invalid="ignore"):
            if not restarts:
                return np.where(p := _execute(self.steps, kind, states, batch, noise4, deferred)[1], self.arity / p,
                                np.inf)
            kept, cost, reach, used = states[0], 1.0, 1.0, 1
            for ops in self.steps:
                k = _step_arity(ops)
                fresh = states[used:used + k - 1]
                used += k - 1
                kept, p_step = _execute((ops,), kind, [kept] + fresh, batch, noise4, deferred)
                prep = _preparation(ops)
                p_prep, a = 1.0, 0
                if prep is not None:
                    prep_ops, inputs = prep
                    p_prep = _execute((prep_ops,), kind, [fresh[j - 1] for j in inputs], batch, noise4, deferred)[1]
                    a = len(inputs)
                cost = cost + reach * (a / p_prep + (k - 1 - a))
                reach = reach * np.where(p_step > 0, p_step / p_prep, 0.0)
            return np.where(reach > 0, cost / reach, np.inf)

    def _run(self, kind: str, states: list, batch: tuple, noise4: tuple,
             deferred: bool) -> tuple[np.ndarray, np.ndarray]:
        return _execute(self.steps, kind, states, batch, noise4, deferred)


def _execute(steps: tuple, kind: str, states: list, batch: tuple, noise4: tuple,
             deferred: bool) -> tuple[np.ndarray, np.ndarray]:
    """Run ``steps`` on inputs read by :meth:`Circuit._read`: the normalised output and the success probability."""
    core = (4,) if kind == "bds" else (4, 4)
    dtype = np.float64 if kind == "bds" else np.complex128
    rows = [kernel_rows(x, batch, core, dtype=dtype) for x in states]
    n = int(np.prod(batch))
    if kind == "bds":
        kept, p, ok = _bds_run(steps, tuple(rows), noise4, batch, check=deferred)
        if not ok:  # a deferred check failed: the validator raises its message
            for i, x in enumerate(states):
                _v.state(x, f"pairs[{i}]", "bds")
        return kept.reshape(batch + core), p.reshape(batch)
    fa, qa, fb, qb = (kernel_rows(x, batch) for x in noise4)
    kept, p, used = rows[0], np.ones(n), 1
    for ops in steps:
        k = _step_arity(ops)
        fresh = rows[used:used + k - 1]
        used += k - 1
        raw = _dm_step([np.asarray(kept)] + [np.asarray(x) for x in fresh], ops, fa, qa, fb, qb)
        p_step = np.einsum("nii->n", raw).real
        kept = raw / np.where(p_step > 0, p_step, 1.0)[:, None, None]
        kept[p_step <= 0] = 0.0
        p = p * p_step
    return kept.reshape(batch + core), p.reshape(batch)


def _preparation(ops: tuple) -> tuple[tuple, list[int]] | None:
    """A step's preparation: its operations before the first one on the kept pair, when they measure pairs and
    leave one auxiliary pair, renumbered as a circuit keeping that pair; and the step's pairs it takes, survivor
    first. None when there is no such part."""
    first = next(i for i, op in enumerate(ops) if 0 in (op[2:] if op[0] == "gate" else op[1:2]))
    prep = ops[:first]
    measured = sorted(op[1] for op in prep if op[0] == "measure")
    touched = {p for op in prep for p in (op[2:] if op[0] == "gate" else op[1:2])}
    survivors = sorted(touched - set(measured))
    if not measured or len(survivors) != 1:
        return None
    inputs = survivors + measured
    index = {pair: i for i, pair in enumerate(inputs)}
    renumbered = tuple(op[:2] + tuple(index[p] for p in op[2:]) if op[0] == "gate" else (op[0], index[op[1]]) + op[2:]
                       for op in prep)
    return renumbered, inputs


def _step_arity(ops: tuple) -> int:
    return 1 + max(p for op in ops for p in (op[2:] if op[0] == "gate" else op[1:2]))


def circuit_noise(noise: Any, noise_b: Any, name: str = "noise") -> tuple[float, float]:
    """``(F, e)`` of single-number noise: the product of the two nodes' gate fidelities and the probability that a
    check's reported parity is flipped (engine tier, not in ``__all__``)."""
    fa, qa, fb, qb = _noise_arrays(noise, noise_b)
    if max(np.ndim(x) for x in (fa, qa, fb, qb)):
        raise ValueError(f"{name} must hold single numbers here, got arrays")
    return float(fa * fb), float(qa * (1 - qb) + (1 - qa) * qb)


def _components(M: np.ndarray, k: int) -> np.ndarray:
    """A step map ``M[c, s]`` on Walsh–Hadamard components: ``W[t, c_0, ..., c_{k-1}]`` with ``ô[t] = Σ_c W[t, c]
    Π_j λ̂_j[c_j]`` (``λ̂ = wht(λ)``)."""
    W = M.T.reshape((4,) * (k + 1))
    for axis in range(k + 1):
        W = np.moveaxis(wht(np.moveaxis(W, axis, -1)), -1, axis) / (1.0 if axis == 0 else 4.0)
    return W


@functools.lru_cache(maxsize=1024)
def _terms(steps: tuple, F: float, e: float) -> tuple[np.ndarray, ...]:
    """The circuit as sums of products of Walsh–Hadamard components, for the kernel (see its docstring): per term its
    coefficient, component of the kept pair and flat index of each fresh pair's component, sorted by step and output
    component; where each (step, output component) starts.

    On components, each output component of a step is a sum of ``2^m`` products (``m`` checks; noise only scales
    them): the terms are the non-zero entries of the ideal step's map, which are exact multiples of ``2^-m``, read
    from the map with this noise (entries outside them cancel exactly and are not summed)."""
    arity = 1 + sum(_step_arity(ops) - 1 for ops in steps)
    slots = max(_step_arity(ops) for ops in steps) - 1
    coef, idx0, flat, first = [], [], [], [0]
    used = 1
    for ops in steps:
        k = _step_arity(ops)
        support = np.abs(_components(_step_map(ops, k, 1.0, 0.0), k)) > 1e-9
        W = _components(_step_map(ops, k, F, e), k)
        for term in np.argwhere(support):  # in order of output component
            coef.append(W[tuple(term)])
            idx0.append(term[1])
            flat.append([4 * (used + j) + c for j, c in enumerate(term[2:])] + [4 * arity] * (slots - k + 1))
        first += list(first[-1] + np.cumsum(support.reshape(4, -1).sum(axis=1)))
        used += k - 1
    tables = (np.array(coef), np.array(idx0, dtype=np.int64),
              np.array(flat, dtype=np.int64).reshape(-1, slots), np.array(first, dtype=np.int64))
    for t in tables:
        t.flags.writeable = False
    return tables


def _bds_run(steps: tuple, rows: tuple[np.ndarray, ...], noise4: tuple, batch: tuple,
             check: bool) -> tuple[np.ndarray, np.ndarray, bool]:
    """Every step on Bell-diagonal rows (one ``(n, 4)`` array per input pair): the normalised output ``(n, 4)``, the
    success probability (rows that fail with certainty are zeros) and whether the kernel's checks of the inputs
    passed (``check``: the inputs were not validated before). Rows with the same noise share one set of terms."""
    n = rows[0].shape[0]
    fa, qa, fb, qb = noise4
    F, e = fa * fb, qa * (1 - qb) + (1 - qa) * qb
    out, p = np.empty((n, 4)), np.empty(n)
    tol = (_v.NEG_ATOL, _v.TRACE_ATOL) if check else (-1.0, 0.0)
    if F.ndim == 0 and e.ndim == 0:
        ok = map_rows(_k.component_rows, n, (rows, *_terms(steps, float(F), float(e)), out, p, *tol), (0, 5, 6))
        return out, p, all(ok)
    noise = np.stack([kernel_rows(F, batch), kernel_rows(e, batch)], axis=-1)
    values, inverse = np.unique(noise, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    ok = True
    for g, (Fg, eg) in enumerate(values):
        where = np.flatnonzero(inverse == g)
        o, q = np.empty((where.size, 4)), np.empty(where.size)
        ok &= _k.component_rows(tuple(r[where] for r in rows), *_terms(steps, float(Fg), float(eg)), o, q, *tol)
        out[where], p[where] = o, q
    return out, p, ok


# ---------------------------------------------------------------- the library
_LOCAL_FOR = {"z": None, "y": "rx", "x": "h"}  # the pre-rotation that leaves this error undetected by a Z check


def _recurrence(kept: str, sacrificed: str, twirl: bool = False) -> list[tuple]:
    """The two-pair CNOT recurrence leaving ``kept``/``sacrificed`` errors undetected (``qnet.purify``'s variants)."""
    ops: list[tuple] = [("twirl", 0), ("twirl", 1)] if twirl else []
    ops += [("local", j, _LOCAL_FOR[a]) for j, a in ((0, kept), (1, sacrificed)) if _LOCAL_FOR[a]]
    return ops + [("gate", "CNOT", 0, 1), ("measure", 1, "Z")]


def _stringent_head(gate: str) -> Circuit:
    """Nickerson et al.'s head: the kept pair checked through a pair that a third pair checks first."""
    return Circuit([("gate", gate, 0, 1), ("gate", "CZ", 1, 2), ("measure", 1, "X"), ("measure", 2, "X")],
                   name=f"stringent_head_{gate}")


def _stringent_body(gate: str, expedient: bool) -> Circuit:
    """Nickerson et al.'s body: an auxiliary pair purified twice (three times for Stringent) around its use."""
    ops = [("gate", "XCZ", 1, 2), ("measure", 2, "X"), ("gate", "CZ", 1, 3), ("measure", 3, "X"),
           ("gate", gate, 0, 1)]
    if not expedient:
        ops += [("gate", "CZ", 1, 4), ("measure", 4, "X")]
    return Circuit(ops + [("measure", 1, "X")], name=f"{'expedient' if expedient else 'stringent'}_body_{gate}")


def _library() -> dict[str, Circuit]:
    from_purify = {"cnot": ("z", "z"), "dejmps": ("y", "y"), "hadamard": ("x", "x")}
    from_purify.update({f"mixed_{a}{b}": (a, b) for a in "zxy" for b in "zxy" if a != b})
    lib = {name: Circuit(_recurrence(*ab), name=name) for name, ab in from_purify.items()}
    lib["bbpssw"] = Circuit(_recurrence("z", "z", twirl=True), name="bbpssw")
    # Fujii and Yamamoto's double selection as QuantumSavory.jl's Purify3to1(:X, :Z)
    lib["double_selection"] = Circuit([("gate", "CNOT", 1, 0), ("gate", "XCZ", 2, 1), ("measure", 1, "X"),
                                       ("measure", 2, "Z")], name="double_selection")
    head_z, head_x = _stringent_head("CZ"), _stringent_head("XCZ")
    lib["expedient"] = Circuit.sequence([head_z, head_x, _stringent_body("CZ", True), _stringent_body("CZ", True)],
                                        name="expedient")
    lib["stringent"] = Circuit.sequence([head_z, head_x, _stringent_body("CZ", False), _stringent_body("XCZ", False)],
                                        name="stringent")
    return lib


#: Every named circuit: the two-pair variants of :data:`qnet.PROTOCOLS` (same names and outputs as
#: :func:`qnet.purify`), ``"double_selection"`` (3 pairs), ``"expedient"`` (11) and ``"stringent"`` (13).
CIRCUITS: dict[str, Circuit] = _library()


def circuit(name: str) -> Circuit:
    """The named distillation circuit of :data:`CIRCUITS`.

    Examples
    --------
    >>> import qnet
    >>> [qnet.circuit(n).arity for n in ("dejmps", "double_selection", "expedient", "stringent")]
    [2, 3, 11, 13]
    """
    return CIRCUITS[_v.option(name, "name", CIRCUITS)]
