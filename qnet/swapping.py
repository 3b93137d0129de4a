"""Entanglement swapping: two pairs in, one pair out, and swapping along a chain of links.

Setting. Pair 1 is shared by nodes A and B, pair 2 by C and D, with B and C in
the same node. A Bell-state measurement (BSM) on B and C projects A and D onto
a Bell state; D then applies the Pauli correction that maps the reported
outcome back to ``|Φ+⟩``. In qnet's slot order ``[Φ+, Φ−, Ψ+, Ψ−]`` = Pauli
errors ``[I, Z, X, Y]`` the outcome ``k`` is corrected by the Pauli ``k`` on D.

Noise model (the same in the closed form and in the circuit):

* ``gate_fidelity`` ``f`` (``p = 1 − f``): before the measurement, the two measured qubits are
  replaced by the maximally mixed state with probability ``p``
  (two-qubit depolarizing channel ``ρ → (1−p) ρ + p tr_BC(ρ) ⊗ I/4``, as for a
  noisy CNOT in Briegel, Dür, Cirac, Zoller, PRL 81, 5932 (1998); the same
  channel and parameter as :func:`qnet.purify`'s ``gate_fidelity``).
* ``measurement_error`` ``q``: each of the two classical outcome bits (the bit-flip bit
  ``x`` and the phase bit ``z`` of ``k = 2x + z``) is reported flipped
  independently with probability ``q``; a flipped bit leaves the corresponding
  Pauli error on the output.
* ``bsm="linear_optics"``: a beam splitter and polarization-resolving detectors
  identify only ``Ψ+`` and ``Ψ−`` (reported outcomes 2 and 3). Other reported
  outcomes are failures. For Bell-diagonal inputs the measured pair is
  maximally mixed, so the success probability is exactly 1/2 and the heralded
  state equals that of the complete BSM (Calsamiglia & Lütkenhaus, Appl. Phys.
  B 72, 67 (2001): 1/2 is the maximum for linear optics without ancillas).

For Bell-diagonal inputs λ, μ the result is the closed form
``λ' = (1−p) (λ*μ*Q) + p/4`` with ``*`` the Z2×Z2 convolution and
``Q = [(1−q)², q(1−q), q(1−q), q²]``; for density matrices a numba kernel runs
the explicit circuit (projection, outcome reporting, correction).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _validation as _v
from ._kernels import DM_PARALLEL_MIN_ROWS, kernel_rows, lazy, map_rows, readonly
from .noise import IDEAL, OperationNoise
from .results import Heralded
from ._bell import bds_to_dm, wht
from ._arguments import resolve

_k = lazy("swapping")

__all__ = ["BSM_TYPES", "BellMeasurement", "swap", "swap_chain", "bsm_error_probabilities"]

#: Bell-state measurements: a complete (deterministic) BSM, or the linear-optics one (Ψ± only).
BSM_TYPES = ("full", "linear_optics")

_ACCEPT = {"full": np.ones(4), "linear_optics": np.array([0.0, 0.0, 1.0, 1.0])}


def bsm_error_probabilities(measurement_error: Any) -> np.ndarray:
    """Pauli error ``[pI, pZ, pX, pY]`` left on the output by misreported BSM outcome bits.

    Each of the two outcome bits is flipped independently with probability
    ``measurement_error``; a flipped phase bit leaves Z, a flipped bit-flip bit X, both Y.

    Examples
    --------
    >>> import qnet
    >>> qnet.bsm_error_probabilities(0.1)
    array([0.81, 0.09, 0.09, 0.01])
    """
    q = _v.probability(measurement_error, "measurement_error")
    return np.stack([(1 - q) ** 2, q * (1 - q), q * (1 - q), q * q], axis=-1)


def _check_common(noise: OperationNoise, bsm: str) -> tuple[np.ndarray, np.ndarray]:
    """(depolarizing probability p = 1 - gate_fidelity, Pauli error of misreported outcomes)."""
    _v.option(bsm, "bsm", BSM_TYPES)
    p = 1.0 - np.asarray(noise.gate_fidelity)
    Q = bsm_error_probabilities(noise.measurement_error)
    return p, Q


def _bds_swap(lam: np.ndarray, mu: np.ndarray, p: np.ndarray, Q: np.ndarray, shape: tuple,
              check: bool) -> tuple[np.ndarray, bool]:
    """Closed form on the rows (numba kernel), with the values of ``lam`` and ``mu`` checked in the same pass if
    ``check`` (inputs not validated yet); returns ``(out, ok)``, ``ok`` False when they break a rule of
    ``_validation.bds`` (then ``out`` is garbage). Every input goes to the kernel as read-only C-contiguous rows
    (one compiled version)."""
    n = int(np.prod(shape)) if shape else 1
    out = np.empty((n, 4))
    q_hat = readonly(wht(kernel_rows(Q, shape, (4,), share=True)))
    tol = (_v.NEG_ATOL, _v.TRACE_ATOL) if check else (np.inf, np.inf)  # infinite tolerances: nothing to fail
    ok = map_rows(_k.swap_bds_kernel, n, (kernel_rows(lam, shape, (4,)), kernel_rows(mu, shape, (4,)), q_hat,
                                       kernel_rows(p, shape, share=True), out, *tol), (0, 1, 2, 3, 4))
    return out.reshape(shape + (4,)), all(ok)


def swap(
    left: Any,
    right: Any,
    *,
    noise: OperationNoise | None = None,
    bsm: str = "full",
    form: str = "auto",
    gate_fidelity: Any = None,
    measurement_error: Any = None,
) -> Heralded:
    """Swap two pairs (A,B) and (C,D) into one pair (A,D) by a Bell measurement on B and C.

    Parameters
    ----------
    left, right : array_like or qutip.Qobj
        BDS ``(..., 4)`` or density matrices ``(..., 4, 4)`` (qubit order (A, B) and
        (C, D)); batch axes broadcast. If either is a density matrix the circuit
        path is used and a density matrix is returned.
    noise : OperationNoise, optional
        Noise of the Bell measurement: with probability ``1 − gate_fidelity`` the two measured
        qubits are fully depolarized; each outcome bit is misreported with probability
        ``measurement_error``. Array parameters broadcast with the batch. Default: ideal.
    bsm : {"full", "linear_optics"}
        Complete BSM, or linear optics (identifies Ψ+ and Ψ− only; success 1/2 on BDS inputs).
    form : {"auto", "bds", "dm"}
        How to read ``left`` and ``right``.
    gate_fidelity, measurement_error : float or array_like, optional
        Shortcuts for ``noise=OperationNoise(gate_fidelity, measurement_error)``.

    Returns
    -------
    Heralded
        ``(state, p_success)``, as :func:`qnet.purify`: the heralded, corrected state of (A, D)
        (float BDS ``(..., 4)`` or complex density matrix ``(..., 4, 4)``) and the BSM's success
        probability of shape ``(...)``.

    Raises
    ------
    ValueError
        Invalid states, probabilities outside [0, 1], unknown ``bsm``, batch shapes that do not broadcast.

    Examples
    --------
    >>> import qnet
    >>> qnet.swap(qnet.werner(0.9), qnet.werner(0.9)).state.round(6)   # Werner: F' = F1 F2 + (1-F1)(1-F2)/3
    array([0.813333, 0.062222, 0.062222, 0.062222])
    >>> state, p = qnet.swap(qnet.werner(0.9), qnet.werner(0.9), bsm="linear_optics")
    >>> float(p)
    0.5
    """
    # Large float64 BDS arrays are checked inside the compiled swap (one pass over memory); their shapes and
    # every other argument are checked here first.
    deferred = _v.bds_deferrable(left, form) and _v.bds_deferrable(right, form)
    kl, L = ("bds", left) if deferred else _v.state(left, "left", form)
    kr, R = ("bds", right) if deferred else _v.state(right, "right", form)
    p, Q = _check_common(resolve(noise, gate_fidelity, measurement_error), bsm)
    core = {"left": 1 if kl == "bds" else 2, "right": 1 if kr == "bds" else 2, "measurement_error": 1}
    shape = _v.broadcast({"left": L, "right": R, "gate_fidelity": p, "measurement_error": Q}, core=core)
    if kl == "bds" and kr == "bds":
        out, ok = _bds_swap(L, R, p, Q, shape, check=deferred)
        if not ok:  # only a deferred check can fail: the validators raise their messages
            _, L = _v.state(left, "left", form)
            _, R = _v.state(right, "right", form)
            out, _ = _bds_swap(L, R, p, Q, shape, check=False)  # pragma: no cover - a sum at the tolerance
        return Heralded(out, np.full(out.shape[:-1], 0.5 if bsm == "linear_optics" else 1.0))
    if kl == "bds":
        L = bds_to_dm(L)
    if kr == "bds":
        R = bds_to_dm(R)
    Lb, Rb = (kernel_rows(x, shape, (4, 4), dtype=np.complex128) for x in (L, R))
    pb, Qb = kernel_rows(p, shape), kernel_rows(Q, shape, (4,))
    out = np.empty_like(Lb)
    prob = np.empty(Lb.shape[0])
    map_rows(_k.swap_dm_kernel, Lb.shape[0], (Lb, Rb, pb, Qb, _ACCEPT[bsm], out, prob), (0, 1, 2, 3, 5, 6),
             min_rows=DM_PARALLEL_MIN_ROWS)
    return Heralded(out.reshape(shape + (4, 4)), prob.reshape(shape))


@dataclass(frozen=True)
class BellMeasurement:
    """The swap as an operation object: a Bell-state measurement with its node's noise, read as :func:`swap` (any
    state) or as its map on Walsh–Hadamard components (what the chain engines swap with).

    Parameters
    ----------
    noise : OperationNoise, optional
        The swapping node's noise (single numbers); default ideal.
    bsm : {"full", "linear_optics"}

    Examples
    --------
    >>> import qnet
    >>> m = qnet.BellMeasurement(qnet.OperationNoise(0.99, 0.01))
    >>> out, p = m.apply(qnet.werner(0.9), qnet.werner(0.9))
    >>> round(float(out[0]), 6), float(p)
    (0.792902, 1.0)
    >>> m.components()[:, 1, 1].round(6)   # component 1 of the output: a1 b1 (1 - p_dep) (1 - 2q)
    array([0.    , 0.9702, 0.    , 0.    ])
    """

    noise: OperationNoise | None = None
    bsm: str = "full"

    def __post_init__(self) -> None:
        if self.noise is None:
            object.__setattr__(self, "noise", IDEAL)
        if not isinstance(self.noise, OperationNoise) or not self.noise.is_scalar:
            raise TypeError(f"noise must be a qnet.OperationNoise of single numbers, got {self.noise!r}")
        _v.option(self.bsm, "bsm", BSM_TYPES)

    def apply(self, left: Any, right: Any, *, form: str = "auto") -> Heralded:
        """:func:`swap` with this measurement's noise and type."""
        return swap(left, right, noise=self.noise, bsm=self.bsm, form=form)

    def components(self) -> np.ndarray:
        """The map ``D[o, i, j]`` on Walsh–Hadamard components of Bell-diagonal inputs: ``p ô = Σ D[o, i, j] â_i
        b̂_j``, diagonal (a swap convolves the error distributions, a product of components): ``D[0, 0, 0]`` is the
        success probability and ``D[s, s, s] = p (1 − p_dep) Q̂_s`` for the depolarizing probability ``p_dep`` and
        the misreported-outcome error ``Q``."""
        p_dep, Q = _check_common(self.noise, self.bsm)
        accept = 0.5 if self.bsm == "linear_optics" else 1.0
        D = np.zeros((4, 4, 4))
        D[0, 0, 0] = accept
        q_hat = wht(Q)
        for s in range(1, 4):
            D[s, s, s] = accept * (1.0 - float(p_dep)) * float(q_hat[s])
        return D

    def component_factors(self) -> np.ndarray:
        """The factor of each Walsh–Hadamard component of a successful swap's output: ``ô_s = f_s â_s b̂_s``
        (``f_0 = 1``; the diagonal of :meth:`components` over the success probability).

        Examples
        --------
        >>> import qnet
        >>> qnet.BellMeasurement(qnet.OperationNoise(0.99, 0.01)).component_factors().round(6)
        array([1.      , 0.9702  , 0.9702  , 0.950796])
        """
        D = self.components()
        return np.einsum("sss->s", D) / D[0, 0, 0]


def swap_chain(
    links: Any,
    *,
    noise: OperationNoise | None = None,
    bsm: str = "full",
    form: str = "auto",
    gate_fidelity: Any = None,
    measurement_error: Any = None,
) -> Heralded:
    """Swap a chain of ``n`` links into one end-to-end pair (``n − 1`` Bell measurements).

    Parameters
    ----------
    links : array_like
        BDS ``(..., n, 4)`` or density matrices ``(..., n, 4, 4)``; axis ``-2``
        (BDS) or ``-3`` (density matrices) runs along the chain, from the left end.
        Every repeater node uses the same BSM noise.
    noise, bsm, form, gate_fidelity, measurement_error
        As in :func:`swap`.

    Returns
    -------
    Heralded
        End-to-end state and the probability that all ``n − 1`` measurements succeed. For BDS the closed form is one
        product in the Walsh–Hadamard domain: ``ŵ'_s = Π_i λ̂_i,s · ((1−p) Q̂_s)^(n−1)`` for ``s ≠ 0``.

    Examples
    --------
    >>> import numpy as np, qnet
    >>> lam, p = qnet.swap_chain(np.stack([qnet.werner(0.95)] * 4))
    >>> round(float(lam[0]), 6)   # Werner parameters w = (4F-1)/3 multiply: F = (1 + 3 w^4)/4
    0.819126
    """
    kind, arr = _v.state(links, "links", form)
    noise = resolve(noise, gate_fidelity, measurement_error)
    p, Q = _check_common(noise, bsm)
    core = 3 if kind == "dm" else 2
    if arr.ndim < core:
        raise ValueError(f"links must have a chain axis: shape (..., n, {'4, 4' if kind == 'dm' else '4'}), "
                         f"got {arr.shape}")
    if arr.shape[-core] == 0:
        raise ValueError(f"links must hold at least one link along the chain axis (axis {-core}), got shape "
                         f"{arr.shape}")
    if kind == "dm":
        rho = arr
        n = rho.shape[-3]
        state, prob = rho[..., 0, :, :], None
        for i in range(1, n):
            state, pi = swap(state, rho[..., i, :, :], noise=noise, bsm=bsm, form="dm")
            prob = pi if prob is None else prob * pi
        if prob is None:
            prob = np.ones(state.shape[:-2])
        return Heralded(state, prob)
    lam = arr
    n = lam.shape[-2]
    _v.broadcast({"links": lam, "gate_fidelity": p, "measurement_error": Q},
                 core={"links": 2, "measurement_error": 1})
    hat = np.prod(wht(lam), axis=-2)
    step = (1.0 - p)[..., None] * wht(Q)
    hat = hat * step ** (n - 1)
    hat[..., 0] = 1.0
    out = np.maximum(0.25 * wht(hat), 0.0)
    return Heralded(out, np.full(out.shape[:-1], (0.5 if bsm == "linear_optics" else 1.0) ** (n - 1)))
