"""Entanglement swapping: closed forms against an explicit 4-qubit QuTiP circuit (independent path)."""

import numpy as np
import pytest
import qutip

import qnet

TOL = 1e-10
RNG = np.random.default_rng(7)


def random_bds(n=None):
    x = RNG.dirichlet(np.ones(4), size=n)
    return x


def random_dm(n=None):
    shape = () if n is None else (n,)
    out = []
    for _ in range(int(np.prod(shape))):
        out.append(qutip.rand_dm(4, distribution="ginibre", seed=int(RNG.integers(1 << 30))).full())
    return np.array(out).reshape(shape + (4, 4))


# ---------------------------------------------------------------- independent QuTiP circuit
_PAULI = [qutip.qeye(2), qutip.sigmaz(), qutip.sigmax(), qutip.sigmay()]
_BELL = [qutip.Qobj(v.reshape(4, 1), dims=[[2, 2], [1, 1]]) for v in qnet.BELL_VECTORS]


def qutip_swap(rho_l, rho_r, p=0.0, q=0.0, accept=(0, 1, 2, 3)):
    """Build rho_AB ⊗ rho_CD in QuTiP, depolarize BC, project BC on Bell states, report with flips, correct D."""
    L = qutip.Qobj(rho_l, dims=[[2, 2], [2, 2]])
    R = qutip.Qobj(rho_r, dims=[[2, 2], [2, 2]])
    full = qutip.tensor(L, R)  # qubits A, B, C, D
    # two-qubit depolarizing channel on B, C: average over all 16 two-qubit Paulis with weight p/16
    depol = 0 * full
    for i in range(4):
        for j in range(4):
            op = qutip.tensor(qutip.qeye(2), _PAULI[i], _PAULI[j], qutip.qeye(2))
            depol += op * full * op.dag()
    full = (1 - p) * full + p / 16 * depol
    bits_q = [(1 - q) ** 2, q * (1 - q), q * (1 - q), q * q]
    out = 0 * qutip.tensor(qutip.qeye(2), qutip.qeye(2))
    out.dims = [[2, 2], [2, 2]]
    for k in range(4):  # true outcome
        proj = qutip.tensor(qutip.qeye(2), _BELL[k] * _BELL[k].dag(), qutip.qeye(2))
        post = (proj * full * proj).ptrace([0, 3])
        for m in accept:  # reported outcome
            w = bits_q[k ^ m]
            corr = qutip.tensor(qutip.qeye(2), _PAULI[m])
            out = out + w * (corr * post * corr.dag())
    prob = out.tr().real
    return out.full() / prob, prob


# ---------------------------------------------------------------- ideal closed form
def test_ideal_bds_swap_is_convolution():
    lam, mu = random_bds(), random_bds()
    expected = np.array([sum(lam[j] * mu[j ^ k] for j in range(4)) for k in range(4)])  # physics.md §4
    assert np.allclose(qnet.swap(lam, mu).state, expected, atol=TOL, rtol=0)


def test_werner_swap_formula():
    # Werner inputs: F' = F1 F2 + (1 - F1)(1 - F2)/3 (textbook, Briegel et al. 1998)
    F1, F2 = 0.93, 0.81
    out = qnet.swap(qnet.werner(F1), qnet.werner(F2)).state
    assert abs(out[0] - (F1 * F2 + (1 - F1) * (1 - F2) / 3)) < TOL


@pytest.mark.parametrize("p,q", [(0.0, 0.0), (0.07, 0.0), (0.0, 0.03), (0.2, 0.1)])
def test_bds_closed_form_matches_qutip_circuit(p, q):
    lam, mu = random_bds(), random_bds()
    ref, prob = qutip_swap(qnet.to_density_matrix(lam), qnet.to_density_matrix(mu), p, q)
    got = qnet.swap(lam, mu, gate_fidelity=1 - p, measurement_error=q).state
    assert abs(prob - 1) < TOL
    assert np.abs(qnet.to_density_matrix(got) - ref).max() < TOL


@pytest.mark.parametrize("p,q", [(0.0, 0.0), (0.15, 0.05)])
def test_linear_optics_bds_matches_qutip(p, q):
    lam, mu = random_bds(), random_bds()
    ref, prob = qutip_swap(qnet.to_density_matrix(lam), qnet.to_density_matrix(mu), p, q, accept=(2, 3))
    got, gp = qnet.swap(lam, mu, gate_fidelity=1 - p, measurement_error=q, bsm="linear_optics")
    assert abs(prob - 0.5) < TOL and abs(gp - 0.5) < TOL
    assert np.abs(qnet.to_density_matrix(got) - ref).max() < TOL


@pytest.mark.parametrize("bsm,accept", [("full", (0, 1, 2, 3)), ("linear_optics", (2, 3))])
def test_dm_kernel_matches_qutip_on_general_states(bsm, accept):
    rl, rr = random_dm(3), random_dm(3)
    p, q = np.array([0.0, 0.1, 0.3]), np.array([0.0, 0.02, 0.2])
    got, prob = qnet.swap(rl, rr, gate_fidelity=1 - p, measurement_error=q, bsm=bsm)
    assert got.shape == (3, 4, 4) and prob.shape == (3,)
    for i in range(3):
        ref, rp = qutip_swap(rl[i], rr[i], p[i], q[i], accept=accept)
        assert abs(prob[i] - rp) < TOL
        assert np.abs(got[i] - ref).max() < TOL


def test_linear_optics_probability_depends_on_non_bds_input():
    # |01><01| ⊗ |01><01|: B=1, C=0 -> BC in span{Psi+, Psi-}: linear-optics BSM always succeeds
    ket = np.zeros((4, 4)); ket[1, 1] = 1.0
    _, prob = qnet.swap(ket, ket, bsm="linear_optics", form="dm")
    assert abs(prob - 1.0) < TOL


def test_dm_and_bds_paths_agree_batched():
    lam, mu = random_bds(5), random_bds(5)
    a = qnet.swap(lam, mu, gate_fidelity=1 - 0.05, measurement_error=0.01).state
    b = qnet.swap(qnet.to_density_matrix(lam), mu, gate_fidelity=1 - 0.05, measurement_error=0.01).state
    assert np.abs(qnet.to_density_matrix(a) - b).max() < TOL


def test_broadcasting_batch_shapes():
    lam = random_bds((2, 1))
    mu = random_bds(3)
    assert qnet.swap(lam, mu).state.shape == (2, 3, 4)
    assert qnet.swap(lam, mu, gate_fidelity=1 - np.array([0.0, 0.1, 0.2])).state.shape == (2, 3, 4)


# ---------------------------------------------------------------- chains
def test_chain_equals_repeated_swaps():
    links = random_bds(5)
    seq = links[0]
    for i in range(1, 5):
        seq = qnet.swap(seq, links[i], gate_fidelity=1 - 0.02, measurement_error=0.01).state
    chain, prob = qnet.swap_chain(links, gate_fidelity=1 - 0.02, measurement_error=0.01, bsm="linear_optics")
    assert np.abs(chain - seq).max() < TOL
    assert abs(prob - 0.5**4) < TOL


def test_chain_werner_parameter_multiplies():
    # Werner parameters w = (4F - 1)/3 multiply under ideal swapping (independent closed form)
    F = np.array([0.99, 0.9, 0.95])
    w = (4 * F - 1) / 3
    out = qnet.swap_chain(qnet.werner(F)).state
    assert abs(out[0] - (1 + 3 * np.prod(w)) / 4) < TOL


def test_chain_density_matrices_match_qutip():
    rhos = random_dm(3)
    got = qnet.swap_chain(rhos, gate_fidelity=1 - 0.1).state
    ref, _ = qutip_swap(rhos[0], rhos[1], 0.1)
    ref, _ = qutip_swap(ref, rhos[2], 0.1)
    assert np.abs(got - ref).max() < TOL


def test_single_link_chain_is_identity():
    lam = random_bds(1)
    assert np.abs(qnet.swap_chain(lam).state - lam[0]).max() < TOL


# ---------------------------------------------------------------- bad input
def test_gate_fidelity_out_of_range():
    with pytest.raises(ValueError, match="gate_fidelity"):
        qnet.swap(qnet.werner(0.9), qnet.werner(0.9), gate_fidelity=1.5)


def test_measurement_error_negative():
    with pytest.raises(ValueError, match="measurement_error"):
        qnet.swap(qnet.werner(0.9), qnet.werner(0.9), measurement_error=-0.1)


def test_unknown_bsm():
    with pytest.raises(ValueError, match="bsm"):
        qnet.swap(qnet.werner(0.9), qnet.werner(0.9), bsm="photonic")


def test_invalid_state():
    with pytest.raises(ValueError, match="left"):
        qnet.swap([0.5, 0.5, 0.5, 0.5], qnet.werner(0.9))


def test_mismatched_batch_shapes():
    with pytest.raises(ValueError, match="broadcast"):
        qnet.swap(random_bds(2), random_bds(3))


def test_chain_without_chain_axis():
    with pytest.raises(ValueError, match="chain axis"):
        qnet.swap_chain(qnet.werner(0.9))


def test_chain_batch_of_bds_chains_is_read_as_bds():
    links = random_bds(12).reshape(3, 4, 4)  # 3 chains of 4 links: rows are BDS, matrices are not Hermitian
    out = qnet.swap_chain(links).state
    assert out.shape == (3, 4)
    for i in range(3):
        assert np.abs(out[i] - qnet.swap_chain(links[i]).state).max() < TOL


# ---------------------------------------------------------------- properties (hypothesis)
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_simplex = st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4).filter(lambda x: sum(x) > 1e-3).map(
    lambda x: np.array(x) / sum(x))


@settings(max_examples=60, deadline=None)
@given(_simplex, _simplex, st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_swap_properties(lam, mu, p, q):
    out = qnet.swap(lam, mu, gate_fidelity=1 - p, measurement_error=q).state
    assert abs(out.sum() - 1) < 1e-12 and (out >= 0).all()
    # symmetric in the two inputs (the convolution is commutative; the noise acts on the output)
    assert np.abs(out - qnet.swap(mu, lam, gate_fidelity=1 - p, measurement_error=q).state).max() < 1e-12
    # swapping with the perfect pair |Φ+> only adds the BSM noise: (1 - p) (λ * Q) + p/4
    ideal = qnet.swap(lam, [1.0, 0.0, 0.0, 0.0], gate_fidelity=1 - p, measurement_error=q).state
    Q = qnet.bsm_error_probabilities(q)
    expected = (1 - p) * np.array([sum(lam[j] * Q[j ^ k] for j in range(4)) for k in range(4)]) + p / 4
    assert np.abs(ideal - expected).max() < 1e-12


@pytest.mark.parametrize("bad, match", [((5, 2, -0.1), "left has negative Bell coefficients: -0.1 at index \\(5, 2\\)"),
                                        ((7, 0, float("nan")), "left must be finite"),
                                        ((3, 1, 0.3), "left coefficients must sum to 1"),
                                        ((9, 3, float("inf")), "left must be finite")])
def test_large_batches_checked_inside_the_kernel_raise_the_validators_messages(bad, match):
    """Batches of >= FAST_CHECK_MIN_SIZE entries are checked in the compiled swap's single pass; a bad entry
    gives the same message as the numpy validator, and valid batches give the explicit convolution."""
    rng = np.random.default_rng(4)
    lam, mu = rng.dirichlet(np.ones(4), size=(2, 5000))
    ref = np.stack([sum(lam[:, j] * mu[:, j ^ k] for j in range(4)) for k in range(4)], axis=-1)
    np.testing.assert_allclose(qnet.swap(lam, mu).state, ref, rtol=0, atol=1e-15)
    i, k, value = bad
    lam[i, k] = value
    with pytest.raises(ValueError, match=match):
        qnet.swap(lam, mu)


# ---------------------------------------------------------------- item 4 of the review: swap_chain of no links
@pytest.mark.parametrize("links, kw", [
    (np.zeros((0, 4)), {}),
    (np.zeros((0, 4)), {"gate_fidelity": 0.9, "measurement_error": 0.05}),  # was [1.028, 0, 0, 0]
    (np.zeros((3, 0, 4)), {}),
    (np.zeros((0, 4, 4), complex), {}),                                     # was an IndexError
    (np.zeros((0, 4, 4)), {"form": "dm"}),
])
def test_swap_chain_refuses_an_empty_chain(links, kw):
    with pytest.raises(ValueError, match="links must hold at least one link"):
        qnet.swap_chain(links, **kw)


def test_swap_chain_of_one_link_is_that_link():
    w = qnet.werner(0.9)
    np.testing.assert_array_equal(qnet.swap_chain(w[None], gate_fidelity=0.9).state, w)


def test_bell_measurement_components_are_the_swap():
    """BellMeasurement.components contracted with the inputs' Walsh-Hadamard components gives swap's output times
    its success probability (1e-15), for noisy full and linear-optics measurements; the chain engines' ideal swap
    map is the ideal measurement's."""
    from qnet._bell import wht
    from qnet.chains._model import _SWAP_D

    rng = np.random.default_rng(4)
    a, b = rng.dirichlet(np.ones(4), 50), rng.dirichlet(np.ones(4), 50)
    for bsm in qnet.BSM_TYPES:
        m = qnet.BellMeasurement(qnet.OperationNoise(0.97, 0.02), bsm)
        out, p = m.apply(a, b)
        got = np.einsum("oij,ni,nj->no", m.components(), wht(a), wht(b))
        np.testing.assert_allclose(got, wht(out) * p[:, None], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(qnet.BellMeasurement().components(), _SWAP_D)
    with pytest.raises(TypeError, match="single numbers"):
        qnet.BellMeasurement(qnet.OperationNoise([0.9, 0.8]))
    with pytest.raises(ValueError, match="bsm"):
        qnet.BellMeasurement(bsm="partial")
