"""The Bell-diagonal reading of a circuit (engine tier): Pauli-frame propagation of the joint error distribution,
the map on Walsh–Hadamard components as sums of products, and the batched evaluation by the compiled kernel."""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .. import _validation as _v
from .._kernels import kernel_rows, lazy, map_rows
from .gates import GATES, LOCAL_CLIFFORDS, MEASUREMENT_BASES
from ._steps import _step_arity
from .._bell import PAULIS_BY_ERROR as _PAULIS, wht
from .._arguments import resolve

_k = lazy("circuits")

__all__: list[str] = []


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


def _noise_arrays(noise: Any, noise_b: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(f_A, q_A, f_B, q_B)`` as float arrays; node B's noise is node A's unless given."""
    a = resolve(noise)
    b = a if noise_b is None else resolve(noise_b, name="noise_b")
    return tuple(np.asarray(x, dtype=np.float64) for x in (a.gate_fidelity, a.measurement_error,
                                                            b.gate_fidelity, b.measurement_error))


def noise_scalars(noise: Any, noise_b: Any, name: str = "noise") -> tuple[float, float, float, float]:
    """``(f_A, q_A, f_B, q_B)`` of single-number noise (engine tier, not in ``__all__``)."""
    values = _noise_arrays(noise, noise_b)
    if max(np.ndim(x) for x in values):
        raise ValueError(f"{name} must hold single numbers here, got arrays")
    return tuple(float(x) for x in values)


def circuit_noise(noise: Any, noise_b: Any, name: str = "noise") -> tuple[float, float]:
    """``(F, e)`` of single-number noise: the product of the two nodes' gate fidelities and the probability that a
    check's reported parity is flipped (engine tier, not in ``__all__``)."""
    fa, qa, fb, qb = noise_scalars(noise, noise_b, name)
    return fa * fb, qa * (1 - qb) + (1 - qa) * qb


def _components(M: np.ndarray, k: int) -> np.ndarray:
    """A step map ``M[c, s]`` on Walsh–Hadamard components: ``W[t, c_0, ..., c_{k-1}]`` with ``ô[t] = Σ_c W[t, c]
    Π_j λ̂_j[c_j]`` (``λ̂ = wht(λ)``)."""
    W = M.T.reshape((4,) * (k + 1))
    for axis in range(k + 1):
        W = np.moveaxis(wht(np.moveaxis(W, axis, -1)), -1, axis) / (1.0 if axis == 0 else 4.0)
    return W


@functools.lru_cache(maxsize=1024)
def component_map(ops: tuple, k: int, F: float, e: float) -> np.ndarray:
    """A step's map on Walsh–Hadamard components with its structural zeros exact (engine tier): each output
    component is a sum of ``2^m`` products (``m`` checks; noise only scales them), the non-zero entries of the
    ideal step's map, which are exact multiples of ``2^-m``; the other entries cancel exactly and are set to 0.
    Read-only, cached."""
    support = np.abs(_components(_step_map(ops, k, 1.0, 0.0), k)) > 1e-9
    W = np.where(support, _components(_step_map(ops, k, F, e), k), 0.0)
    W.flags.writeable = False
    return W


@functools.lru_cache(maxsize=1024)
def _terms(steps: tuple, F: float, e: float) -> tuple[np.ndarray, ...]:
    """The circuit as sums of products of Walsh–Hadamard components, for the kernel (see its docstring): per term its
    coefficient, component of the kept pair and flat index of each fresh pair's component, sorted by step and output
    component; where each (step, output component) starts.

    The terms are the non-zero entries of each step's :func:`component_map`."""
    arity = 1 + sum(_step_arity(ops) - 1 for ops in steps)
    slots = max(_step_arity(ops) for ops in steps) - 1
    coef, idx0, flat, first = [], [], [], [0]
    used = 1
    for ops in steps:
        k = _step_arity(ops)
        W = component_map(ops, k, F, e)
        support = W != 0.0
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
