"""A circuit's steps (engine tier): the operations of a step validated, the pairs each touches, a step's arity."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import _validation as _v
from ..limits import MAX_STEP_PAIRS
from .gates import GATES, LOCAL_CLIFFORDS, MEASUREMENT_BASES

__all__: list[str] = []


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
