"""Engine tier of distillation (unvalidated; shared by every module, not part of the public API).

The two-pair variants' tables (which error each leaves undetected, what ``protocol=`` accepts), their batched maps
on Bell-diagonal states and density matrices (the kernels of :mod:`qnet._kernels.purification`), the map of any
distillation circuit on Walsh–Hadamard components in the form the chain and network engines consume, and the
baselines a distilled pair is judged against. :func:`qnet.purify`, :class:`qnet.Circuit`, the timing module and
every engine read distillation from here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _validation as _v
from ._bell import bds_to_dm, werner_rows
from ._kernels import DM_PARALLEL_MIN_ROWS, kernel_rows, lazy, map_rows
from .circuits import WIDE_CIRCUITS, circuit
from .noise import OperationNoise

_k = lazy("purification")


_SYMMETRIC = {"cnot": ("z", "z"), "dejmps": ("y", "y"), "hadamard": ("x", "x")}


_MIXED = {f"mixed_{a}{b}": (a, b) for a in "zxy" for b in "zxy" if a != b}


#: Valid protocol names.
PROTOCOLS: tuple[str, ...] = ("cnot", "dejmps", "hadamard", "bbpssw") + tuple(sorted(_MIXED))


#: What ``protocol=`` accepts wherever qnet runs a two-pair purification: a variant, or ``"auto"`` (the variant
#: :func:`choose_protocol` picks for the pairs at hand).
PROTOCOL_OPTIONS: tuple[str, ...] = PROTOCOLS + ("auto",)


#: What ``protocol=`` accepts where a distillation may consume more than two pairs (chains, networks, pumping and
#: recurrence rounds): a two-pair option, or a circuit of more than two pairs.
DISTILLATION_OPTIONS: tuple[str, ...] = PROTOCOL_OPTIONS + WIDE_CIRCUITS


#: Undetected single-pair error of each protocol, as (on kept pair, on sacrificed pair); ``None`` for bbpssw.
UNDETECTED: dict[str, tuple[str, str] | None] = {**_SYMMETRIC, "bbpssw": None, **_MIXED}


# Relabelling code of each letter's rotation for the kernels (all self-inverse):
# 0 none, 1 Rx(π/2) ⊗ Rx(−π/2): Z ↔ Y (slots 1 ↔ 3), 2 H ⊗ H: X ↔ Z (slots 1 ↔ 2).
_CODE = {"z": 0, "y": 1, "x": 2}


def _plan(protocol: str, rotate_back: bool) -> tuple[int, int, int, bool]:
    """Relabelling codes (kept, sacrificed, output) and the twirl flag of a protocol (unvalidated)."""
    if protocol == "bbpssw":
        return 0, 0, 0, True
    a, b = UNDETECTED[protocol]
    return _CODE[a], _CODE[b], (_CODE[a] if rotate_back else 0), False


_PLAN_NO_BACK = {name: _plan(name, False) for name in PROTOCOLS}


def _node_noise(gate_fidelity: Any, measurement_error: Any, gate_fidelity_b: Any,
                measurement_error_b: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Float arrays ``(f_A, q_A, f_B, q_B)`` of the two nodes' noise (node B's default to node A's)."""
    fa = np.asarray(gate_fidelity, dtype=np.float64)
    qa = np.asarray(measurement_error, dtype=np.float64)
    fb = fa if gate_fidelity_b is None else np.asarray(gate_fidelity_b, dtype=np.float64)
    qb = qa if measurement_error_b is None else np.asarray(measurement_error_b, dtype=np.float64)
    return fa, qa, fb, qb


def bds_purify(
    lam: np.ndarray,
    mu: np.ndarray,
    protocol: str = "cnot",
    gate_fidelity: Any = 1.0,
    measurement_error: Any = 0.0,
    *,
    rotate_back: bool = False,
    gate_fidelity_b: Any = None,
    measurement_error_b: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Unvalidated, vectorized BDS purification (internal; see :func:`purify` for the public API).

    ``lam``/``mu`` are float arrays ``(..., 4)`` that broadcast; ``gate_fidelity`` and
    ``measurement_error`` are floats or arrays broadcasting with the batch shape (node A, and node B
    unless ``gate_fidelity_b``/``measurement_error_b`` are given). Returns ``(lam_out, p_success)``
    of shapes ``batch + (4,)`` and ``batch``. Rows where the success probability is 0 are returned
    as zeros. Unknown protocol names raise ``KeyError``.
    """
    out, p, _ = bds_purify_checked(lam, mu, protocol, gate_fidelity, measurement_error, rotate_back,
                                   gate_fidelity_b, measurement_error_b, check=False)
    return out, p


def bds_purify_checked(lam, mu, protocol, gate_fidelity, measurement_error, rotate_back, gate_fidelity_b,
                       measurement_error_b, check: bool = True) -> tuple[np.ndarray, np.ndarray, bool]:
    """:func:`bds_purify` with the kernel's one-pass check of ``lam`` and ``mu`` (unless ``check`` is False):
    ``(out, p, ok)``."""
    src_k, src_s, src_o, tw = _plan(protocol, rotate_back)
    lam = np.asarray(lam, dtype=np.float64)
    mu = np.asarray(mu, dtype=np.float64)
    fa, qa, fb, qb = _node_noise(gate_fidelity, measurement_error, gate_fidelity_b, measurement_error_b)
    fid = fa * fb
    err = qa * (1.0 - qb) + (1.0 - qa) * qb  # probability that the reported parity is flipped
    batch = np.broadcast_shapes(lam.shape[:-1], mu.shape[:-1], fid.shape, err.shape)
    n = int(np.prod(batch))
    lam2, mu2 = kernel_rows(lam, batch, (4,)), kernel_rows(mu, batch, (4,))
    out = np.empty((n, 4))
    p = np.empty(n)
    tol = (_v.NEG_ATOL, _v.TRACE_ATOL) if check else (-1.0, 0.0)
    if fid.ndim == 0 and err.ndim == 0:
        ok = map_rows(_k.bds_purify_scalar, n, (lam2, mu2, float(fid), float(err), src_k, src_s, src_o, tw, out, p,
                                                *tol), (0, 1, 8, 9))
    else:
        fid, err = kernel_rows(fid, batch), kernel_rows(err, batch)
        ok = map_rows(_k.bds_purify_rows, n, (lam2, mu2, fid, err, src_k, src_s, src_o, tw, out, p, *tol),
                      (0, 1, 2, 3, 8, 9))
    return out.reshape(batch + (4,)), p.reshape(batch), all(ok)


def dm_purify(
    rho: np.ndarray,
    sigma: np.ndarray,
    protocol: str = "cnot",
    gate_fidelity: Any = 1.0,
    measurement_error: Any = 0.0,
    *,
    rotate_back: bool = False,
    gate_fidelity_b: Any = None,
    measurement_error_b: Any = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Unvalidated density-matrix purification through the explicit 16x16 circuit (internal).

    ``rho``/``sigma`` are complex ``(..., 4, 4)`` arrays that broadcast. ``bbpssw`` first twirls both
    inputs to Werner form (keeping their fidelities). Noise parameters as in :func:`bds_purify`.
    Returns ``(rho_out, p_success)``; rows with ``p_success == 0`` are zero matrices.
    """
    rho = np.asarray(rho, dtype=np.complex128)
    sigma = np.asarray(sigma, dtype=np.complex128)
    if protocol == "bbpssw":
        rho = _werner_dm(rho)
        sigma = _werner_dm(sigma)
    c1, c2, cb, _ = _plan(protocol, rotate_back)
    fa, qa, fb, qb = _node_noise(gate_fidelity, measurement_error, gate_fidelity_b, measurement_error_b)
    batch = np.broadcast_shapes(rho.shape[:-2], sigma.shape[:-2], fa.shape, qa.shape, fb.shape, qb.shape)
    n = int(np.prod(batch))
    r1, r2 = (kernel_rows(x, batch, (4, 4), dtype=np.complex128) for x in (rho, sigma))
    fa, fb, qa, qb = (kernel_rows(x, batch) for x in (fa, fb, qa, qb))
    out = np.empty((n, 4, 4), dtype=np.complex128)
    p = np.empty(n)
    map_rows(_k.dm_purify_rows, n, (r1, r2, c1, c2, cb, fa, fb, qa, qb, out, p), (0, 1, 5, 6, 7, 8, 9, 10),
             min_rows=DM_PARALLEL_MIN_ROWS)
    return out.reshape(batch + (4, 4)), p.reshape(batch)


def dm_purify_single(
    rho: np.ndarray,
    sigma: np.ndarray,
    protocol: str = "cnot",
    gate_fidelity: float = 1.0,
    measurement_error: float = 0.0,
) -> tuple[np.ndarray, float]:
    """Fastest path for one pair of C-contiguous complex 4x4 matrices (internal, unvalidated).

    Returns ``(rho_out, p_success)`` in the frame after the circuit; for ``bbpssw`` the inputs
    must already be in Werner form.
    """
    c1, c2, _, _ = _PLAN_NO_BACK[protocol]
    out = np.empty((4, 4), dtype=np.complex128)
    p = _k.dm_purify_one(rho, sigma, c1, c2, gate_fidelity, gate_fidelity, measurement_error, measurement_error, out)
    return out, p


def _werner_dm(rho: np.ndarray) -> np.ndarray:
    from .states import BELL_VECTORS

    F = np.einsum("i,...ij,j->...", BELL_VECTORS[0], rho, BELL_VECTORS[0]).real
    return bds_to_dm(werner_rows(F))


#: Entries this close are a tie, not an improvement.
GAIN_ATOL = 1e-12


def baseline_values(m_kept: np.ndarray, m_sac: np.ndarray, baseline: str, fresher: str, weighted: bool,
                    sign: float = 1.0) -> np.ndarray:
    """Baseline figure from the inputs' figures (internal, unvalidated; see :func:`purification_gain`).

    ``sign`` is :func:`qnet.fom_sign` of the figure: the worse / better input is judged in its direction.
    """
    if baseline == "worse":
        return sign * np.minimum(sign * m_kept, sign * m_sac)
    if baseline == "better":
        return sign * np.maximum(sign * m_kept, sign * m_sac)
    if baseline == "kept" or (baseline == "fresher" and fresher == "kept"):
        return m_kept
    if baseline in ("sacrificed", "fresher"):
        return m_sac
    # "none": both pairs used as they are
    return m_kept + m_sac if weighted else 0.5 * (m_kept + m_sac)


def distill_tensor(protocol: str, gate_fidelity: float, measurement_error: float, twirl: bool, *,
                   gate_fidelity_b: float | None = None, measurement_error_b: float | None = None) -> np.ndarray:
    """Map ``D[o, i, j, ...]`` of a distillation circuit of ``k`` pairs on Walsh–Hadamard components (one input
    axis per pair; component 0 of the output is the success probability), from the operation library
    (:meth:`qnet.Circuit.components`), the output twirled to Werner form with ``twirl``; node B's noise is node A's
    unless given."""
    node_a = OperationNoise(gate_fidelity, measurement_error)
    node_b = OperationNoise(gate_fidelity if gate_fidelity_b is None else gate_fidelity_b,
                            measurement_error if measurement_error_b is None else measurement_error_b)
    D = circuit(protocol).components(node_a, node_b)
    if twirl:
        D = np.einsum("oq,q...->o...", _TWIRL, D)
    D[np.abs(D) < 1e-15] = 0.0
    return D


#: Twirl of a distillation's output on Walsh–Hadamard components: components 1-3 replaced by their mean.
_TWIRL = np.zeros((4, 4))
_TWIRL[0, 0] = 1.0
_TWIRL[1:, 1:] = 1.0 / 3.0


def distill_terms(D: np.ndarray, width: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The non-zero entries of a distillation map ``D[o, i, j, ...]`` as a sum of products, for the kernels:
    ``(out_c, idx, coef)``, one row per entry, ``out[out_c] += coef * Π_s in_s[idx[s]]``, in order of output
    component; ``idx`` padded with component 0 to ``width`` pairs."""
    terms = np.argwhere(D != 0.0)
    k = D.ndim - 1
    idx = np.zeros((terms.shape[0], max(k, width or k)), dtype=np.int64)
    idx[:, :k] = terms[:, 1:]
    return terms[:, 0].astype(np.int64), idx, np.ascontiguousarray(D[tuple(terms.T)], dtype=np.float64)
