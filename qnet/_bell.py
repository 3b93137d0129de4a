"""Engine tier of Bell-diagonal states (unvalidated; shared by every module, not part of the public API).

The Bell basis and its conversions to density matrices and Pauli vectors, the Walsh–Hadamard (WHT) frame in which
Pauli channels act as products (``components = wht(λ)``; a memory multiplies components 1, 2, 3 by
``ηx, ηz, ηy``), and the closed forms of every figure of merit on ``(..., 4)`` arrays. The public functions of
:mod:`qnet.states`, :mod:`qnet.channels` and :mod:`qnet.measures` validate their input once and call these.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ._kernels import kernel_rows, map_rows

_S = 1.0 / np.sqrt(2.0)

#: Bell vectors as rows, in qnet's order, in the computational basis ``|00>, |01>, |10>, |11>``.
BELL_VECTORS = np.array(
    [
        [_S, 0.0, 0.0, _S],  # Φ+
        [_S, 0.0, 0.0, -_S],  # Φ−
        [0.0, _S, _S, 0.0],  # Ψ+
        [0.0, _S, -_S, 0.0],  # Ψ−
    ]
)


BELL_VECTORS.setflags(write=False)
# Projectors |B_k><B_k|, shape (4, 4, 4).
_BELL_PROJECTORS = np.einsum("ki,kj->kij", BELL_VECTORS, BELL_VECTORS)


def werner_rows(F: np.ndarray) -> np.ndarray:
    """``[F, (1-F)/3, (1-F)/3, (1-F)/3]`` of validated fidelities: the one Werner constructor (:func:`qnet.werner`
    validates and calls it)."""
    rest = (1.0 - F) / 3.0
    return np.stack([F, rest, rest, rest], axis=-1)


def bds_to_dm(lam: np.ndarray) -> np.ndarray:
    """Unvalidated BDS -> density matrix (internal)."""
    return np.einsum("...k,kij->...ij", lam, _BELL_PROJECTORS).astype(np.complex128)


def dm_to_bds(rho: np.ndarray) -> np.ndarray:
    """Unvalidated Bell-basis diagonal of density matrices (internal)."""
    return np.einsum("ki,...ij,kj->...k", BELL_VECTORS, rho, BELL_VECTORS).real


#: The single-qubit Paulis ``I, X, Y, Z``; ``PAULI_PRODUCTS[4 P + Q] = P ⊗ Q`` (qubit A first), the basis of a
#: pair's Pauli coefficients ``r`` with ``ρ = ¼ Σ r[4 P + Q] P ⊗ Q`` (``r[0] = Tr ρ``).
PAULIS = np.array([[[1, 0], [0, 1]], [[0, 1], [1, 0]], [[0, -1j], [1j, 0]], [[1, 0], [0, -1]]], dtype=np.complex128)
PAULI_PRODUCTS = np.einsum("pij,qkl->pqikjl", PAULIS, PAULIS).reshape(16, 4, 4)
PAULIS.setflags(write=False)
PAULI_PRODUCTS.setflags(write=False)
#: The same Paulis by error index ``2 x + z``: ``I, Z, X, Y`` (the Bell slots Φ+, Φ−, Ψ+, Ψ−).
PAULIS_BY_ERROR = PAULIS[[0, 3, 1, 2]]
PAULIS_BY_ERROR.setflags(write=False)
#: The same Paulis by letter.
PAULI_BY_LETTER = dict(zip("IXYZ", PAULIS))


def dm_to_pauli(rho: np.ndarray) -> np.ndarray:
    """Unvalidated density matrices ``(..., 4, 4)`` -> Pauli coefficients ``(..., 16)``, ``r = Tr(ρ P ⊗ Q)``."""
    return np.einsum("kji,...ij->...k", PAULI_PRODUCTS, rho).real


def pauli_to_dm(r: np.ndarray) -> np.ndarray:
    """Unvalidated Pauli coefficients ``(..., 16)`` -> density matrices ``(..., 4, 4)``."""
    return np.einsum("...k,kij->...ij", np.asarray(r, dtype=np.float64), PAULI_PRODUCTS) / 4.0


def transfer_eta(rates: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Pauli-transfer eigenvalues (ηx, ηy, ηz), shape broadcast + (3,) (unvalidated, for
    :func:`pauli_transfer_eigenvalues`)."""
    # Rates and times are finite and >= 0; each product is distributed (γy t + γz t rather than
    # (γy + γz) t) so that huge rates at t = 0 give 0, not inf * 0 = NaN; overflow to inf gives η = 0.
    with np.errstate(over="ignore"):
        rt = rates * np.asarray(t)[..., None]
        gx, gy, gz = rt[..., 0], rt[..., 1], rt[..., 2]
        return np.exp(-2.0 * np.stack([gy + gz, gx + gz, gx + gy], axis=-1))


# ---------------------------------------------------------------- BDS kernels (unvalidated)
def wht(x: np.ndarray) -> np.ndarray:
    """4-point Walsh–Hadamard transform over the last axis (unnormalised, self-inverse up to 1/4)."""
    a, b, c, d = x[..., 0], x[..., 1], x[..., 2], x[..., 3]
    s0, s1, d0, d1 = a + b, c + d, a - b, c - d
    return np.stack([s0 + s1, d0 + d1, s0 - s1, d0 - d1], axis=-1)


def bds_from_wht(components: np.ndarray) -> np.ndarray:
    """Bell-diagonal coefficients from Walsh–Hadamard components ``(..., 4)``, negatives from round-off clipped
    and each row renormalised."""
    lam = np.maximum(0.25 * wht(components), 0.0)
    return lam / lam.sum(axis=-1, keepdims=True)


def bds_apply_eta(lam: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """Multiply the WHT components s=1,2,3 of ``lam`` by ``factors[..., 0:3]`` = [ηx, ηz, ηy]-ordered products.

    Compiled kernel; same arithmetic (and bits) as ``max(0, ¼ wht(wht(lam) * [1, *factors]))``.
    """
    from ._kernels.channels import bds_scale_wht

    out, args = scale_args(lam, factors)
    map_rows(bds_scale_wht, args[2].shape[0], args, (0, 1, 2))
    return out


def scale_args(lam: Any, factors: Any) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The output of a WHT scaling and the kernel's arrays ``(lam rows, factor rows, output rows)``; a state or a
    factor row shared by the whole batch is passed once."""
    lam = np.asarray(lam, dtype=np.float64)
    factors = np.asarray(factors, dtype=np.float64)
    batch = np.broadcast_shapes(lam.shape[:-1], factors.shape[:-1])
    out = np.empty(batch + (4,))
    return out, (kernel_rows(lam, batch, (4,), share=True), kernel_rows(factors, batch, (3,), share=True),
                 out.reshape(-1, 4))


def bds_idle(lam: np.ndarray, eta_a: np.ndarray, eta_b: np.ndarray) -> np.ndarray:
    """Idle both qubits of BDS ``lam`` with transfer eigenvalues ``eta_a``, ``eta_b`` (each (..., 3) = ηx, ηy, ηz)."""
    prod = eta_a * eta_b
    return bds_apply_eta(lam, prod[..., [0, 2, 1]])


def component_rates(node_rates: np.ndarray) -> np.ndarray:
    """Per-node WHT decay rates ``[0, 2(γy+γz), 2(γx+γy), 2(γx+γz)]`` (components s = 1, 2, 3 ↔ ηx, ηz, ηy).

    Rates are clipped at 1e300 per step, which decoheres a pair completely in any time > 0: sums of larger rates
    would overflow to inf, and inf times a zero wait is NaN."""
    node_rates = np.minimum(node_rates, 1e300)
    gx, gy, gz = node_rates[..., 0], node_rates[..., 1], node_rates[..., 2]
    return np.stack([np.zeros_like(gx), 2 * (gy + gz), 2 * (gx + gy), 2 * (gx + gz)], axis=-1)


def xlog2x(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0)


def h2(p: np.ndarray) -> np.ndarray:
    return -xlog2x(p) - xlog2x(1.0 - p)


def shannon(lam: np.ndarray) -> np.ndarray:
    return -xlog2x(lam).sum(axis=-1)


# ---------------------------------------------------------------- BDS closed forms (unvalidated)
def lmax(lam):
    return lam.max(axis=-1)


def bds_fidelity(lam):
    return lam[..., 0]


def bds_concurrence(lam):
    return np.maximum(0.0, 2.0 * lmax(lam) - 1.0)


def bds_negativity(lam):
    return np.maximum(0.0, lmax(lam) - 0.5)


def bds_log_negativity(lam):
    return np.maximum(0.0, np.log2(np.maximum(2.0 * lmax(lam), 1.0)))


def eof_from_concurrence(c):
    return h2(0.5 + 0.5 * np.sqrt(np.clip(1.0 - c * c, 0.0, 1.0)))


def bds_eof(lam):
    return eof_from_concurrence(bds_concurrence(lam))


def bds_ree(lam):
    m = lmax(lam)
    return np.where(m >= 0.5, 1.0 - h2(m), 0.0)


def bds_hashing(lam):
    return 1.0 - shannon(lam)


def bds_correlations(lam):
    """Diagonal of the correlation matrix T = (⟨XX⟩, ⟨YY⟩, ⟨ZZ⟩) of a BDS."""
    l0, l1, l2, l3 = lam[..., 0], lam[..., 1], lam[..., 2], lam[..., 3]
    return np.stack([l0 - l1 + l2 - l3, -l0 + l1 + l2 - l3, l0 + l1 - l2 - l3], axis=-1)


def chsh_from_squares(m):
    m = np.sort(m, axis=-1)
    return 2.0 * np.sqrt(np.maximum(m[..., -1] + m[..., -2], 0.0))


def bds_chsh(lam):
    return chsh_from_squares(bds_correlations(lam) ** 2)


def bds_witness(lam):
    return 0.5 - lam[..., 0]


def qber(lam):
    """(e_x, e_z): error rates in the X and Z bases (Z errors flip X outcomes, X errors flip Z outcomes)."""
    return lam[..., 1] + lam[..., 3], lam[..., 2] + lam[..., 3]


def bds_bb84(lam):
    ex, ez = qber(lam)
    return np.maximum(0.0, 1.0 - h2(ex) - h2(ez))


def bds_six_state(lam):
    return np.maximum(0.0, 1.0 - shannon(lam))


#: Unvalidated BDS closed forms by name, for internal vectorized paths.
BDS_MEASURES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "fidelity": bds_fidelity,
    "concurrence": bds_concurrence,
    "negativity": bds_negativity,
    "log_negativity": bds_log_negativity,
    "entanglement_of_formation": bds_eof,
    "relative_entropy_of_entanglement": bds_ree,
    "hashing_yield": bds_hashing,
    "chsh_max": bds_chsh,
    "fidelity_witness": bds_witness,
    "bb84_key_fraction": bds_bb84,
    "six_state_key_fraction": bds_six_state,
}
