"""States: Bell ordering, BDS <-> density matrix, twirls, QuTiP interop (independent paths via QuTiP)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import qutip
from conftest import (
    BELL_KETS,
    EXACT,
    PAULIS_SLOT,
    I2,
    assert_valid_bds,
    assert_valid_dm,
    bds_dm_reference,
    bds_states,
    bell_diagonal_of,
    density_matrices,
    qobj,
    random_dm,
)
from hypothesis import given

import qnet


# ---------------------------------------------------------------- Bell ordering and the Pauli-index convention
def test_bell_vectors_match_qutip_bell_states():
    # QuTiP: bell_state("00") = Phi+, "01" = Phi-, "10" = Psi+, "11" = Psi- (qutip.core.states docs).
    for k, label in enumerate(("00", "01", "10", "11")):
        np.testing.assert_allclose(qnet.BELL_VECTORS[k], qutip.bell_state(label).full().ravel(), atol=EXACT)


def test_bell_vectors_orthonormal():
    np.testing.assert_allclose(qnet.BELL_VECTORS @ qnet.BELL_VECTORS.T, np.eye(4), atol=EXACT)


def test_slot_k_is_pauli_error_on_one_qubit_of_phi_plus():
    # physics.md §1: slot k = 2x + z is (P_k ⊗ I)|Phi+> with P = [I, Z, X, Y], up to a global phase.
    for k, P in enumerate(PAULIS_SLOT):
        ket = (qutip.tensor(P, I2) * BELL_KETS[0]).full().ravel()
        overlap = np.abs(np.vdot(qnet.BELL_VECTORS[k], ket))
        assert overlap == pytest.approx(1.0, abs=EXACT)
        assert 2 * (k >> 1) + (k & 1) == k  # x = k >> 1 (bit flip), z = k & 1 (phase flip)


def test_pauli_on_one_qubit_xors_bell_index():
    # Applying Pauli j to qubit A of Bell state k gives Bell state j ^ k (group structure, physics.md §1).
    for k, j in itertools.product(range(4), repeat=2):
        ket = (qutip.tensor(PAULIS_SLOT[j], I2) * BELL_KETS[k]).full().ravel()
        assert np.abs(np.vdot(qnet.BELL_VECTORS[j ^ k], ket)) == pytest.approx(1.0, abs=EXACT)


def test_bell_labels_order():
    assert qnet.BELL_LABELS == ("Phi+", "Phi-", "Psi+", "Psi-")


@pytest.mark.parametrize("k,label", list(enumerate(("Phi+", "Phi-", "Psi+", "Psi-"))))
def test_bell_state(k, label):
    expected = np.zeros(4)
    expected[k] = 1.0
    np.testing.assert_array_equal(qnet.bell_state(label), expected)
    np.testing.assert_allclose(
        qnet.to_density_matrix(qnet.bell_state(label)), qutip.ket2dm(BELL_KETS[k]).full(), atol=EXACT
    )


# ---------------------------------------------------------------- werner / bell_diagonal
def test_werner_values():
    # Definition (physics.md §1): [F, (1-F)/3, (1-F)/3, (1-F)/3].
    np.testing.assert_allclose(qnet.werner(0.7), [0.7, 0.1, 0.1, 0.1], atol=EXACT)
    np.testing.assert_array_equal(qnet.werner(1.0), [1.0, 0.0, 0.0, 0.0])
    np.testing.assert_allclose(qnet.werner(0.25), [0.25] * 4, atol=EXACT)


def test_werner_batch_shape():
    F = np.linspace(0, 1, 6).reshape(2, 3)
    lam = qnet.werner(F)
    assert lam.shape == (2, 3, 4)
    np.testing.assert_array_equal(lam[..., 0], F)
    assert_valid_bds(lam)


def test_werner_is_depolarized_phi_plus():
    # Independent form: Werner(F) = p |Phi+><Phi+| + (1-p) I/4 with p = (4F-1)/3.
    for F in (0.25, 0.5, 0.8, 1.0):
        p = (4 * F - 1) / 3
        rho = p * qutip.ket2dm(BELL_KETS[0]).full() + (1 - p) * np.eye(4) / 4
        np.testing.assert_allclose(qnet.to_density_matrix(qnet.werner(F)), rho, atol=EXACT)


def test_bell_diagonal_returns_copy():
    c = np.array([0.4, 0.3, 0.2, 0.1])
    lam = qnet.bell_diagonal(c)
    np.testing.assert_array_equal(lam, c)
    lam[0] = 0.0
    assert c[0] == 0.4
    assert lam.dtype == np.float64


def test_bell_diagonal_accepts_lists_and_ints():
    np.testing.assert_array_equal(qnet.bell_diagonal([0, 1, 0, 0]), [0.0, 1.0, 0.0, 0.0])


def test_bell_diagonal_clips_rounding_noise():
    # Entries above -1e-12 are rounding noise (qnet._validation.NEG_ATOL) and become 0.
    lam = qnet.bell_diagonal([1.0 + 5e-13, -5e-13, 0.0, 0.0])
    assert (lam >= 0).all()


def test_bell_diagonal_sum_tolerance():
    # Sums within qnet._validation.TRACE_ATOL = 1e-9 of 1 are accepted as given; beyond it they are rejected.
    lam = qnet.bell_diagonal([0.7 + 5e-10, 0.1, 0.1, 0.1])
    assert lam[0] == 0.7 + 5e-10
    with pytest.raises(ValueError, match="coeffs coefficients must sum to 1"):
        qnet.bell_diagonal([0.7 + 5e-9, 0.1, 0.1, 0.1])


def test_bell_diagonal_large_batch_uses_same_rules():
    # Large float64 arrays take the compiled validation path; results must be identical.
    rng = np.random.default_rng(1)
    lam = rng.dirichlet(np.ones(4), size=5000)
    lam[7] = [0.5, -1e-13, 0.3, 0.2 + 1e-13]  # rounding noise: clipped to 0
    out = qnet.bell_diagonal(lam)
    assert out[7, 1] == 0.0
    np.testing.assert_array_equal(out, np.maximum(lam, 0.0))


# ---------------------------------------------------------------- BDS <-> density matrix
@given(bds_states())
def test_to_density_matrix_matches_qutip_projectors(lam):
    np.testing.assert_allclose(qnet.to_density_matrix(lam), bds_dm_reference(lam), atol=EXACT)


@given(bds_states())
def test_to_density_matrix_is_valid_state(lam):
    assert_valid_dm(qnet.to_density_matrix(lam))


@given(bds_states())
def test_bds_roundtrip(lam):
    np.testing.assert_allclose(qnet.to_bds(qnet.to_density_matrix(lam)), lam, rtol=0, atol=1e-15)


def test_to_density_matrix_batch(rng):
    lam = rng.dirichlet(np.ones(4), size=(3, 2))
    rho = qnet.to_density_matrix(lam)
    assert rho.shape == (3, 2, 4, 4)
    assert rho.dtype == np.complex128
    for idx in np.ndindex(3, 2):
        np.testing.assert_allclose(rho[idx], bds_dm_reference(lam[idx]), atol=EXACT)


@given(density_matrices())
def test_to_bds_is_bell_basis_diagonal(rho):
    np.testing.assert_allclose(qnet.to_bds(rho), bell_diagonal_of(rho), atol=EXACT)


@given(density_matrices())
def test_to_bds_is_valid_state(rho):
    assert_valid_bds(qnet.to_bds(rho))


def _pauli_twirl_reference(rho: np.ndarray) -> np.ndarray:
    """(1/4) Σ_P (P⊗P*) ρ (P⊗P*)† with QuTiP Paulis: the bilateral twirl that makes a state Bell-diagonal."""
    r = qobj(rho)
    out = 0
    for P in PAULIS_SLOT:
        U = qutip.tensor(P, P.conj())
        out = out + U * r * U.dag()
    return (out / 4).full()


@given(density_matrices())
def test_to_bds_equals_explicit_pauli_twirl(rho):
    twirled = _pauli_twirl_reference(rho)
    # The twirled matrix is the Bell-diagonal state given by to_bds.
    np.testing.assert_allclose(twirled, bds_dm_reference(qnet.to_bds(rho)), atol=EXACT)
    assert qnet.twirl is qnet.to_bds


def test_to_bds_batch_and_fidelity_preserved(rng):
    rhos = np.stack([random_dm(rng) for _ in range(6)]).reshape(2, 3, 4, 4)
    lam = qnet.to_bds(rhos)
    assert lam.shape == (2, 3, 4)
    phi = qnet.BELL_VECTORS[0]
    np.testing.assert_allclose(lam[..., 0], np.einsum("i,...ij,j->...", phi, rhos, phi).real, atol=EXACT)


def test_to_bds_accepts_real_matrix():
    rho = np.diag([0.5, 0.0, 0.0, 0.5])
    # |00><00|/2 + |11><11|/2 = (Phi+ + Phi-)/2.
    np.testing.assert_allclose(qnet.to_bds(rho), [0.5, 0.5, 0.0, 0.0], atol=EXACT)


# ---------------------------------------------------------------- Werner twirl
def _single_qubit_cliffords() -> list[np.ndarray]:
    """The 24 single-qubit Cliffords (mod phase), generated from H and S by closure."""
    H = np.array([[1, 1], [1, -1]]) / np.sqrt(2)
    S = np.diag([1, 1j])
    group = [np.eye(2, dtype=complex)]

    def key(U):
        # canonical phase: make the first non-zero entry real positive
        flat = U.ravel()
        i = np.flatnonzero(np.abs(flat) > 1e-9)[0]
        V = U * np.conj(flat[i]) / abs(flat[i])
        return tuple(np.round(V.ravel(), 6))

    seen = {key(group[0])}
    frontier = list(group)
    while frontier:
        new = []
        for U in frontier:
            for G in (H, S):
                V = G @ U
                if key(V) not in seen:
                    seen.add(key(V))
                    new.append(V)
        group += new
        frontier = new
    return group


def test_werner_twirl_equals_clifford_twirl(rng):
    # The Clifford group is a unitary 2-design, so averaging (C⊗C*) ρ (C⊗C*)† over it is the U⊗U* twirl.
    cliffords = _single_qubit_cliffords()
    assert len(cliffords) == 24
    for lam in (rng.dirichlet(np.ones(4)), np.array([0.8, 0.2, 0.0, 0.0]), np.array([0.0, 0.0, 0.0, 1.0])):
        rho = bds_dm_reference(lam)
        avg = sum(np.kron(C, C.conj()) @ rho @ np.kron(C, C.conj()).conj().T for C in cliffords) / 24
        np.testing.assert_allclose(qnet.to_density_matrix(qnet.werner_twirl(lam)), avg, atol=EXACT)


@given(bds_states())
def test_werner_twirl_keeps_fidelity(lam):
    out = qnet.werner_twirl(lam)
    assert_valid_bds(out)
    assert out[0] == lam[0]
    np.testing.assert_allclose(out[1:], (1 - lam[0]) / 3, atol=EXACT)


# ---------------------------------------------------------------- QuTiP interop
def test_to_qobj_from_bds_and_dm(rng):
    lam = rng.dirichlet(np.ones(4))
    q = qnet.to_qobj(lam)
    assert isinstance(q, qutip.Qobj)
    assert q.dims == [[2, 2], [2, 2]]
    np.testing.assert_allclose(q.full(), bds_dm_reference(lam), atol=EXACT)
    rho = random_dm(rng)
    np.testing.assert_allclose(qnet.to_qobj(rho).full(), rho, atol=EXACT)


def test_to_qobj_batch_gives_nested_lists():
    out = qnet.to_qobj(qnet.werner(np.array([[0.5, 0.6, 0.7], [0.8, 0.9, 1.0]])))
    assert isinstance(out, list) and len(out) == 2 and all(len(row) == 3 for row in out)
    assert qutip.fidelity(out[1][2], qutip.ket2dm(BELL_KETS[0])) == pytest.approx(1.0, abs=1e-7)
    assert qutip.expect(out[0][1], BELL_KETS[0]) == pytest.approx(0.6, abs=EXACT)


def test_to_qobj_form_option():
    # A (4, 4) array of four Bell-diagonal rows each summing to 1 is also a valid density matrix: J/4.
    J = np.full((4, 4), 0.25)
    assert isinstance(qnet.to_qobj(J, form="dm"), qutip.Qobj)
    assert len(qnet.to_qobj(J, form="bds")) == 4


def test_from_qobj_roundtrip(rng):
    rho = random_dm(rng)
    np.testing.assert_allclose(qnet.from_qobj(qobj(rho)), rho, atol=EXACT)
    np.testing.assert_allclose(qnet.from_qobj(qnet.to_qobj(rho)), rho, atol=EXACT)


def test_from_qobj_ket():
    ket = BELL_KETS[3]
    np.testing.assert_allclose(qnet.to_bds(qnet.from_qobj(ket)), [0, 0, 0, 1], atol=EXACT)


def test_qobj_accepted_by_state_functions():
    q = qutip.ket2dm(BELL_KETS[2])
    np.testing.assert_allclose(qnet.to_bds(q), [0, 0, 1, 0], atol=EXACT)
    assert qnet.fidelity(q) == pytest.approx(0.0, abs=EXACT)


def test_import_qnet_imports_neither_qutip_nor_matplotlib_nor_scipy_optimize():
    # QuTiP is recognised by the module of a value's type and imported only when a Qobj is passed in
    import subprocess
    import sys

    code = ("import sys, qnet; qnet.purify(qnet.werner(0.9), qnet.werner(0.8)); "
            "print(sorted(m for m in ('qutip', 'matplotlib', 'scipy.optimize') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
