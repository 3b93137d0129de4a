"""Memory channels: Pauli channels, continuous-time Pauli decoherence, amplitude damping and T1/T2.

Conventions (see the docs' conventions page):

* A single-qubit Pauli channel is a probability vector ``[pI, pZ, pX, pY]`` (BDS slot order, index ``2*x + z``).
* A continuous-time Pauli memory has rates ``(γx, γy, γz)`` in the Lindbladian
  ``L(ρ) = Σ_i γ_i (σ_i ρ σ_i − ρ)``. Over an idle time ``t`` its Pauli-transfer
  eigenvalues are ``ηx = exp(−2(γy+γz)t)``, ``ηy = exp(−2(γx+γz)t)``,
  ``ηz = exp(−2(γx+γy)t)``.
* On a Bell-diagonal state a Pauli channel on either qubit is a Z2×Z2
  convolution; in the Walsh–Hadamard domain it multiplies the components
  ``s = 0, 1, 2, 3`` by ``[1, ηx, ηz, ηy]``. qnet's BDS path uses exactly that
  closed form (no matrix exponentials).
* Amplitude damping relaxes towards ``|0⟩`` (Kraus ``|0⟩⟨1|``); T1/T2 memories
  need ``T2 <= 2*T1``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _validation as _v
from ._kernels import kernel_rows, map_rows
from ._bell import bds_apply_eta, scale_args, transfer_eta, wht
from .memories import T1T2Memory
from ._arguments import pauli_rate_array

__all__ = [
    "pauli_transfer_eigenvalues",
    "pauli_probabilities",
    "depolarizing_probabilities",
    "dephasing_probabilities",
    "bit_flip_probabilities",
    "pauli_channel",
    "amplitude_damping",
    "t1t2_channel",
    "idle",
]

QUBITS = ("both", "A", "B")


def pauli_transfer_eigenvalues(rates: Any, t: Any) -> np.ndarray:
    """Pauli-transfer eigenvalues ``(ηx, ηy, ηz)`` of a Pauli memory after idling for ``t``.

    Examples
    --------
    >>> import qnet
    >>> qnet.pauli_transfer_eigenvalues([0.0, 0.0, 0.5], 1.0).round(6)
    array([0.367879, 0.367879, 1.      ])
    """
    rates = pauli_rate_array(rates)
    t = _v.nonnegative(t, "t")
    _v.broadcast({"rates": rates, "t": t}, core={"rates": 1})
    return transfer_eta(rates, t)


def _probs_from_eta(eta: np.ndarray) -> np.ndarray:
    ex, ey, ez = eta[..., 0], eta[..., 1], eta[..., 2]
    return 0.25 * np.stack([1 + ex + ey + ez, 1 - ex - ey + ez, 1 + ex - ey - ez, 1 - ex + ey - ez], axis=-1)


def pauli_probabilities(rates: Any, t: Any) -> np.ndarray:
    """Error probabilities ``[pI, pZ, pX, pY]`` of a continuous-time Pauli memory after ``t``.

    Parameters
    ----------
    rates : array_like, shape (..., 3), or PauliMemory
        ``(γx, γy, γz)``, each >= 0.
    t : float or array_like
        Idle time(s), >= 0, same unit as ``1/rates``.

    Returns
    -------
    numpy.ndarray
        Shape ``broadcast(rates[..., 0], t) + (4,)``, in BDS slot order.

    Examples
    --------
    >>> import qnet
    >>> qnet.pauli_probabilities([0.0, 0.0, 1.0], [0.0, 100.0]).round(6)
    array([[1. , 0. , 0. , 0. ],
           [0.5, 0.5, 0. , 0. ]])
    """
    return np.clip(_probs_from_eta(pauli_transfer_eigenvalues(rates, t)), 0.0, 1.0)


def depolarizing_probabilities(p: Any) -> np.ndarray:
    """``[1 − 3p/4, p/4, p/4, p/4]``: the channel ``ρ → (1−p) ρ + p I/2`` with ``p`` in [0, 4/3].

    Examples
    --------
    >>> import qnet
    >>> qnet.depolarizing_probabilities(0.4)   # [1 - 0.3, 0.1, 0.1, 0.1]
    array([0.7, 0.1, 0.1, 0.1])
    """
    p = _v.in_interval(p, "p", 0.0, 4.0 / 3.0)
    q = p / 4.0
    return np.stack([1.0 - 3.0 * q, q, q, q], axis=-1)


def dephasing_probabilities(p: Any) -> np.ndarray:
    """``[1 − p, p, 0, 0]``: a Z error with probability ``p`` in [0, 1].

    Examples
    --------
    >>> import qnet
    >>> qnet.dephasing_probabilities(0.1)
    array([0.9, 0.1, 0. , 0. ])
    """
    p = _v.probability(p, "p")
    z = np.zeros_like(p)
    return np.stack([1.0 - p, p, z, z], axis=-1)


def bit_flip_probabilities(p: Any) -> np.ndarray:
    """``[1 − p, 0, p, 0]``: an X error with probability ``p`` in [0, 1].

    Examples
    --------
    >>> import qnet
    >>> qnet.bit_flip_probabilities(0.1)
    array([0.9, 0. , 0.1, 0. ])
    """
    p = _v.probability(p, "p")
    z = np.zeros_like(p)
    return np.stack([1.0 - p, z, p, z], axis=-1)


def _pauli_probs(probs: Any, name: str = "probs") -> np.ndarray:
    """Pauli error probabilities ``(..., 4)``: same rules as a BDS (>= 0, summing to 1), own messages."""
    arr = _v.real_array(probs, name)
    if arr.ndim == 0 or arr.shape[-1] != 4:
        raise ValueError(
            f"{name} must be Pauli error probabilities [pI, pZ, pX, pY] (last axis of length 4), got shape {arr.shape}"
        )
    neg = arr < -_v.NEG_ATOL
    if neg.any():
        raise ValueError(f"{name} must be >= 0, got {_v.first_bad(arr, neg)}")
    total = np.maximum(arr, 0.0).sum(axis=-1)
    off = np.abs(total - 1.0) > _v.TRACE_ATOL
    if off.any():
        raise ValueError(f"{name} must sum to 1 (tolerance {_v.TRACE_ATOL:g}), got sum {_v.first_bad(total, off)}")
    return _v.bds(arr, name)


def _idle_factors(rates_a: np.ndarray, t_a: np.ndarray, rates_b: np.ndarray, t_b: np.ndarray) -> np.ndarray:
    """WHT factors ``[ηx, ηz, ηy]`` (product over both qubits), shape broadcast(rates, t batch) + (3,).

    The exponents of A and B are added before one ``exp`` (within a few ulp of the product of the two
    exponentials). Exponents come from a compiled loop, ``exp`` from numpy (vectorised, several times
    faster than a scalar ``exp`` in numba).
    """
    from ._kernels.channels import idle_exponents

    fbatch = np.broadcast_shapes(rates_a.shape[:-1], t_a.shape, rates_b.shape[:-1], t_b.shape)
    expo = np.empty(fbatch + (3,))
    rows = expo.reshape(-1, 3)
    n = rows.shape[0]
    inputs = tuple(kernel_rows(x, fbatch, core, share=True) for x, core in
                   ((rates_a, (3,)), (t_a, ()), (rates_b, (3,)), (t_b, ())))
    map_rows(idle_exponents, n, inputs + (rows,), (0, 1, 2, 3, 4))
    map_rows(_exp_in_place, n, (rows,), (0,))
    return expo


def _exp_in_place(x: np.ndarray) -> None:
    np.exp(x, out=x)


def _bds_apply_eta_checked(lam: np.ndarray, factors: np.ndarray) -> tuple[np.ndarray, bool]:
    """:func:`bds_apply_eta` on a not yet validated float64 array, validating it in the same pass.

    Returns ``(out, ok)``; when ``ok`` is False the input breaks a rule of ``_validation.bds``.
    """
    from ._kernels.channels import bds_scale_wht_checked

    out, args = scale_args(lam, factors)
    ok = map_rows(bds_scale_wht_checked, args[2].shape[0], args + (_v.NEG_ATOL, _v.TRACE_ATOL), (0, 1, 2))
    return out, all(ok)


def convolve(lam: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Z2×Z2 convolution ``(λ*q)[k] = Σ_j λ[j] q[j ^ k]`` over the last axis (unvalidated)."""
    return np.maximum(0.25 * wht(wht(lam) * wht(q)), 0.0)


# ---------------------------------------------------------------- density-matrix kernels (unvalidated)
def _embed(op: np.ndarray, qubit: str) -> np.ndarray:
    """Embed single-qubit operators (..., 2, 2) on qubit A or B of a pair -> (..., 4, 4)."""
    eye = np.eye(2)
    if qubit == "A":
        return np.einsum("...ij,kl->...ikjl", op, eye).reshape(op.shape[:-2] + (4, 4))
    return np.einsum("ij,...kl->...ikjl", eye, op).reshape(op.shape[:-2] + (4, 4))


def dm_kraus(rho: np.ndarray, kraus: np.ndarray, qubit: str) -> np.ndarray:
    """Apply single-qubit Kraus operators ``kraus`` (..., m, 2, 2) on ``qubit`` of ``rho`` (..., 4, 4)."""
    K = _embed(kraus, qubit)  # (..., m, 4, 4)
    out = K @ rho[..., None, :, :] @ np.conj(np.swapaxes(K, -1, -2))
    return out.sum(axis=-3)


def dm_block_channel(rho: np.ndarray, c: tuple, qubit: str) -> np.ndarray:
    """Apply a single-qubit channel given by how it mixes the 2x2 blocks ``R_ab`` of ``rho`` over ``qubit``.

    With ``rho = Σ_ab |a⟩⟨b| ⊗ R_ab`` (qubit ``"A"``; the mirror image for ``"B"``)::

        R00' = c0 R00 + c1 R11     R01' = c4 R01 + c5 R10
        R11' = c2 R00 + c3 R11     R10' = c6 R01 + c7 R10

    ``c`` holds 8 real arrays broadcasting against the batch of ``rho`` (unvalidated). This covers
    every Pauli channel (``c = (pI+pZ, pX+pY, pX+pY, pI+pZ, pI−pZ, pX−pY, pX−pY, pI−pZ)``),
    amplitude damping and T1/T2 decay, with elementwise arithmetic only.
    """
    r = rho.reshape(rho.shape[:-2] + (2, 2, 2, 2))
    if qubit == "A":
        def blk(x, a, b):
            return x[..., a, :, b, :]
    else:
        def blk(x, a, b):
            return x[..., :, a, :, b]
    c = [np.asarray(ci, dtype=np.float64)[..., None, None] for ci in c]
    b00, b01, b10, b11 = blk(r, 0, 0), blk(r, 0, 1), blk(r, 1, 0), blk(r, 1, 1)
    batch = np.broadcast_shapes(rho.shape[:-2], *(ci.shape[:-2] for ci in c))
    out = np.empty(batch + (2, 2, 2, 2), dtype=np.complex128)
    blk(out, 0, 0)[...] = c[0] * b00 + c[1] * b11
    blk(out, 1, 1)[...] = c[2] * b00 + c[3] * b11
    blk(out, 0, 1)[...] = c[4] * b01 + c[5] * b10
    blk(out, 1, 0)[...] = c[6] * b01 + c[7] * b10
    return out.reshape(batch + (4, 4))


def _pauli_blocks(probs: np.ndarray) -> tuple:
    """Block coefficients of the Pauli channel ``[pI, pZ, pX, pY]`` (see :func:`dm_block_channel`)."""
    pI, pZ, pX, pY = probs[..., 0], probs[..., 1], probs[..., 2], probs[..., 3]
    keep, flip, coh, coh_flip = pI + pZ, pX + pY, pI - pZ, pX - pY
    return keep, flip, flip, keep, coh, coh_flip, coh_flip, coh


def _eta_blocks(eta: np.ndarray) -> tuple:
    """Block coefficients of the Pauli channel with transfer eigenvalues ``(ηx, ηy, ηz)``."""
    ex, ey, ez = eta[..., 0], eta[..., 1], eta[..., 2]
    keep, flip, coh, coh_flip = 0.5 * (1.0 + ez), 0.5 * (1.0 - ez), 0.5 * (ex + ey), 0.5 * (ex - ey)
    return keep, flip, flip, keep, coh, coh_flip, coh_flip, coh


def _amplitude_damping_blocks(decay: np.ndarray, survive: np.ndarray, coherence: np.ndarray) -> tuple:
    """Block coefficients of decay towards |0⟩: populations ``R11 → survive R11`` (``decay = 1 − survive``
    moves to ``R00``), coherences multiplied by ``coherence``."""
    zero = np.zeros_like(decay)
    return np.ones_like(decay), decay, zero, survive, coherence, zero, zero, coherence


def _t1t2_blocks(T1: float, T2: float, t: np.ndarray) -> tuple:
    """Block coefficients of a T1/T2 memory over ``t``: populations relax as exp(−t/T1), coherences
    decay as exp(−t/T2) = exp(−t/(2 T1)) · exp(−γφ t) with γφ = 1/T2 − 1/(2 T1)."""
    with np.errstate(over="ignore"):  # t / T1 -> inf means complete decay
        survive = np.exp(-t / T1)
        decay = -np.expm1(-t / T1)  # 1 - exp(-t/T1), accurate for small t
        rate_phi = max(1.0 / T2 - 0.5 / T1, 0.0)  # >= 0 since T2 <= 2 T1 (clip rounding)
        coherence = np.exp(-0.5 * t / T1) * np.exp(-t * rate_phi)
    return _amplitude_damping_blocks(decay, survive, coherence)


# ---------------------------------------------------------------- public channels
def pauli_channel(state: Any, probs: Any, qubit: str = "A", *, form: str = "auto") -> np.ndarray:
    """Apply a single-qubit Pauli channel ``[pI, pZ, pX, pY]`` to one or both qubits of a pair.

    Parameters
    ----------
    state : array_like or qutip.Qobj
        BDS ``(..., 4)`` or density matrix ``(..., 4, 4)``.
    probs : array_like, shape (..., 4)
        Pauli error probabilities in slot order, summing to 1.
    qubit : {"A", "B", "both"}
        Which qubit the channel acts on (``"both"``: the same channel on each).
    form : {"auto", "bds", "dm"}
        How to read ``state`` (see :func:`qnet.to_bds` and the docs).

    Returns
    -------
    numpy.ndarray
        Same form as the input. For a BDS a channel on A equals one on B.

    Examples
    --------
    >>> import qnet
    >>> qnet.pauli_channel(qnet.bell_state("Phi+"), qnet.dephasing_probabilities(0.1))
    array([0.9, 0.1, 0. , 0. ])
    """
    kind, arr = _v.state(state, "state", form)
    q = _pauli_probs(probs, "probs")
    _v.option(qubit, "qubit", QUBITS)
    _v.broadcast({"state": arr, "probs": q}, core={"state": 1 if kind == "bds" else 2, "probs": 1})
    if kind == "bds":
        # In the Walsh–Hadamard domain the channel multiplies components s = 1, 2, 3 by wht(q)[s]
        # (twice for "both"); applied by the compiled kernel.
        factors = wht(q)[..., 1:]
        return bds_apply_eta(arr, factors * factors if qubit == "both" else factors)
    c = _pauli_blocks(q)
    for which in ("A", "B") if qubit == "both" else (qubit,):
        arr = dm_block_channel(arr, c, which)
    return arr


def amplitude_damping(rho: Any, gamma: Any, qubit: str = "A") -> np.ndarray:
    """Amplitude-damping channel with decay probability ``gamma`` on one or both qubits of a density matrix.

    Kraus operators ``[[1, 0], [0, √(1−γ)]]`` and ``[[0, √γ], [0, 0]]`` (decay towards ``|0⟩``).

    Examples
    --------
    >>> import qnet
    >>> rho = qnet.amplitude_damping(qnet.to_density_matrix(qnet.bell_state("Phi+")), 1.0, qubit="both")
    >>> round(float(rho[0, 0].real), 12)
    1.0
    """
    rho = _v.density_matrix(rho, "rho")
    gamma = _v.probability(gamma, "gamma")
    _v.option(qubit, "qubit", QUBITS)
    _v.broadcast({"rho": rho, "gamma": gamma}, core={"rho": 2})
    c = _amplitude_damping_blocks(gamma, 1.0 - gamma, np.sqrt(1.0 - gamma))
    for which in ("A", "B") if qubit == "both" else (qubit,):
        rho = dm_block_channel(rho, c, which)
    return rho


def t1t2_channel(rho: Any, memory: T1T2Memory, t: Any, qubit: str = "A") -> np.ndarray:
    """Idle one or both qubits of a density matrix in a T1/T2 memory for time ``t``.

    Populations relax as ``exp(−t/T1)`` towards ``|0⟩``; coherences decay as
    ``exp(−t/T2)``. Equivalent to the Lindbladian with ``√(1/T1) |0⟩⟨1|`` and
    ``√(γφ/2) Z``, ``γφ = 1/T2 − 1/(2 T1)``.

    Examples
    --------
    >>> import qnet
    >>> rho = qnet.to_density_matrix(qnet.bell_state("Phi+"))
    >>> out = qnet.t1t2_channel(rho, qnet.T1T2Memory(1.0, 1.0), 1.0)
    >>> round(float(out[0, 3].real), 6)   # |00><11| coherence: 0.5 * exp(-t/T2)
    0.18394
    """
    rho = _v.density_matrix(rho, "rho")
    if not isinstance(memory, T1T2Memory):
        raise TypeError(f"memory must be a T1T2Memory, got {type(memory).__name__}")
    t = _v.nonnegative(t, "t")
    _v.option(qubit, "qubit", QUBITS)
    _v.broadcast({"rho": rho, "t": t}, core={"rho": 2})
    c = _t1t2_blocks(memory.T1, memory.T2, t)
    for which in ("A", "B") if qubit == "both" else (qubit,):
        rho = dm_block_channel(rho, c, which)
    return rho


def idle(state: Any, rates: Any, t: Any, *, rates_b: Any = None, t_b: Any = None, form: str = "auto") -> np.ndarray:
    """Let both qubits of a stored pair decohere in their memories.

    Parameters
    ----------
    state : array_like or qutip.Qobj
        BDS ``(..., 4)`` or density matrix ``(..., 4, 4)``.
    rates : array_like, shape (..., 3), PauliMemory or T1T2Memory
        Memory of qubit A (and of qubit B unless ``rates_b`` is given):
        Pauli rates ``(γx, γy, γz)`` or a T1/T2 memory (density matrices only).
    t : float or array_like
        Idle time of qubit A (and of B unless ``t_b`` is given), >= 0.
        Arrays broadcast against the batch axes of ``state`` and ``rates``.
    rates_b, t_b : optional
        Memory and idle time of qubit B when they differ from A's.
    form : {"auto", "bds", "dm"}
        How to read ``state``.

    Returns
    -------
    numpy.ndarray
        BDS in, BDS out (closed form in the Walsh–Hadamard domain); density
        matrix in, density matrix out (the Kraus sum, as elementwise block updates). The batch shape is the
        broadcast of the state's, the rates' and the times' batch shapes.

    Raises
    ------
    ValueError
        Negative/NaN rates or times, invalid states, batch shapes that do not
        broadcast, a T1/T2 memory on a Bell-diagonal state.

    Examples
    --------
    >>> import numpy as np, qnet
    >>> lam = qnet.idle(qnet.werner(0.95), qnet.depolarizing_rates(1.0), np.array([0.0, 0.1]))
    >>> lam.shape
    (2, 4)
    >>> float(lam[0, 0])
    0.95
    """
    _v.option(form, "form", _v.STATE_FORMS)
    # Large float64 BDS arrays are validated inside the compiled idle kernel (one pass over memory);
    # their values are checked there, everything else (shape, the other arguments) here first.
    deferred = _v.bds_deferrable(state, form)
    kind, arr = ("bds", state) if deferred else _v.state(state, "state", form)
    t_a = _v.nonnegative(t, "t")
    t_b = t_a if t_b is None else _v.nonnegative(t_b, "t_b")
    mem_a = rates
    mem_b = rates if rates_b is None else rates_b
    t1t2 = [isinstance(m, T1T2Memory) for m in (mem_a, mem_b)]
    if any(t1t2) and kind == "bds":
        which = "rates" if t1t2[0] else "rates_b"
        raise ValueError(
            f"{which} is a T1T2Memory, which leaves the Bell-diagonal family, but state is Bell-diagonal; "
            "pass a density matrix (qnet.to_density_matrix(state))"
        )
    core = 1 if kind == "bds" else 2
    parts = {"state": arr, "t": t_a, "t_b": t_b}
    pauli = {}
    for name, mem, is_t1t2 in (("rates", mem_a, t1t2[0]), ("rates_b", mem_b, t1t2[1])):
        if not is_t1t2:
            pauli[name] = pauli_rate_array(mem, name)
            parts[name] = pauli[name]
    _v.broadcast(parts, core={"state": core, "rates": 1, "rates_b": 1})
    if kind == "bds":
        factors = _idle_factors(pauli["rates"], t_a, pauli["rates_b"], t_b)
        if deferred:
            out, ok = _bds_apply_eta_checked(arr, factors)
            if ok:
                return out
            kind, arr = _v.state(state, "state", form)  # raises the validator's message
        return bds_apply_eta(arr, factors)
    for which, name, mem, tq in (("A", "rates", mem_a, t_a), ("B", "rates_b", mem_b, t_b)):
        if isinstance(mem, T1T2Memory):
            c = _t1t2_blocks(mem.T1, mem.T2, tq)
        else:
            c = _eta_blocks(transfer_eta(pauli[name], tq))
        arr = dm_block_channel(arr, c, which)
    return arr
