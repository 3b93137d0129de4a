"""The gates, local Cliffords and checks a distillation circuit is written with, how each acts on the pairs' Pauli
errors, and the validation of a circuit's operations."""

from __future__ import annotations

import functools
from typing import Any, Sequence

import numpy as np

from .. import _validation as _v
from ..limits import MAX_STEP_PAIRS

__all__ = ["GATES", "LOCAL_CLIFFORDS", "MEASUREMENT_BASES"]


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


def _frame_permutation(U: np.ndarray) -> np.ndarray:
    """``perm[e]`` = the Pauli error index of ``U P_e U†`` (up to phase), over ``n`` qubits (index base 4, first
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


_PERM = {name: _frame_permutation(U) for name, U in {**GATES, **LOCAL_CLIFFORDS}.items()}
#: Per measurement basis, which pair errors pass its coincidence check (those commuting with the measured Pauli).
_PASSES = {b: np.array([_commute(e, {"X": 2, "Y": 3, "Z": 1}[b]) for e in range(4)]) for b in MEASUREMENT_BASES}

#: The Clifford rotating X -> Y -> Z -> X (by 2π/3 about (1, 1, 1)): with the four Paulis, the twelve bilateral
#: unitaries whose average is the Werner twirl of a pair.
_CYCLE = 0.5 * (_I - 1j * (_X + _Y + _Z))
_TWIRL_UNITARIES = tuple(P @ C for P in _PAULIS for C in (_I, _CYCLE, _CYCLE @ _CYCLE))

_KINDS = {"local": 3, "twirl": 2, "gate": 4, "measure": 3}


def _pairs_of(op: tuple) -> tuple:
    """The pairs an operation acts on: both of a gate, the one of any other operation."""
    return op[2:] if op[0] == "gate" else op[1:2]


def _check_op(op: Any, index: int) -> tuple:
    """One operation as a validated tuple (see :class:`Circuit`)."""
    where = f"ops[{index}]"
    if not isinstance(op, (tuple, list)) or not op or not isinstance(op[0], str) or op[0] not in _KINDS:
        raise ValueError(f"{where} must be a tuple starting with one of {sorted(_KINDS)}, got {op!r}")
    op = tuple(op)
    if len(op) != _KINDS[op[0]]:
        forms = {"local": "('local', pair, name)", "twirl": "('twirl', pair)", "gate": "('gate', name, first, second)",
                 "measure": "('measure', pair, basis)"}
        raise ValueError(f"{where} must have the form {forms[op[0]]}, got {op!r}")
    for pair in _pairs_of(op):
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
    pairs = {p for op in ops for p in _pairs_of(op)}
    k = max(pairs) + 1
    if k < 2 or k > MAX_STEP_PAIRS:
        raise ValueError(f"a step acts on 2 to {MAX_STEP_PAIRS} pairs (MAX_STEP_PAIRS), got pairs 0..{k - 1}")
    measured: set[int] = set()
    for i, op in enumerate(ops):
        gone = measured.intersection(_pairs_of(op))
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


def _step_arity(ops: tuple) -> int:
    return 1 + max(p for op in ops for p in _pairs_of(op))
