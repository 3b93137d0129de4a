"""Memory channels against QuTiP: mesolve for continuous-time channels, explicit Kraus sums, DM path for BDS."""

from __future__ import annotations

import numpy as np
import pytest
import qutip
from conftest import (
    BELL_KETS,
    EXACT,
    KET0,
    KET1,
    MESOLVE_TOL,
    PAULIS_SLOT,
    SIGMA_MINUS,
    assert_valid_bds,
    assert_valid_dm,
    bds_dm_reference,
    bds_states,
    bell_diagonal_of,
    convolve_loop,
    density_matrices,
    kraus_apply,
    mesolve_final,
    pauli_c_ops,
    random_dm,
    rate_triples,
    t1t2_c_ops,
    time_values,
)
from hypothesis import given
from hypothesis import strategies as st

import qnet
from qnet import _bell
from qnet import channels

PHI_PLUS_DM = qutip.ket2dm(BELL_KETS[0]).full()


def pauli_kraus_qutip(probs) -> list[qutip.Qobj]:
    """sqrt(p_k) P_k with QuTiP Paulis in slot order [I, Z, X, Y]."""
    return [np.sqrt(p) * P for p, P in zip(probs, PAULIS_SLOT)]


# ---------------------------------------------------------------- memory records and rates
def test_pauli_memory_constructors():
    np.testing.assert_allclose(qnet.PauliMemory.depolarizing(0.3).rates, [0.1, 0.1, 0.1], atol=EXACT)
    np.testing.assert_array_equal(qnet.PauliMemory.dephasing(2.0).rates, [0.0, 0.0, 2.0])
    np.testing.assert_array_equal(qnet.PauliMemory.bit_flip(2.0).rates, [2.0, 0.0, 0.0])
    np.testing.assert_allclose(qnet.PauliMemory.from_pattern(2.0, (0.2, 0.3, 0.5)).rates, [0.4, 0.6, 1.0])
    m = qnet.PauliMemory(1, np.float32(0.5), 0)
    assert isinstance(m.gx, float) and m.rates.dtype == np.float64


def test_rates_helpers():
    np.testing.assert_allclose(qnet.pauli_rates(3.0, (0.2, 0.3, 0.5)), [0.6, 0.9, 1.5], atol=EXACT)
    np.testing.assert_allclose(qnet.depolarizing_rates(3.0), [1.0, 1.0, 1.0], atol=EXACT)
    np.testing.assert_array_equal(qnet.dephasing_rates(3.0), [0.0, 0.0, 3.0])
    np.testing.assert_array_equal(qnet.bit_flip_rates(3.0), [3.0, 0.0, 0.0])
    out = qnet.pauli_rates(np.array([1.0, 2.0]), (0.0, 0.0, 1.0))
    assert out.shape == (2, 3)
    out = qnet.pauli_rates(np.array([1.0, 2.0])[:, None], np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1.0]]))
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out[1, 2], [0, 0, 2.0])


def test_t1t2_memory_accepts_limits():
    assert qnet.T1T2Memory(1.0, 2.0).T2 == 2.0  # T2 = 2 T1: no pure dephasing
    assert qnet.T1T2Memory(float("inf"), 3.0).T1 == float("inf")  # pure dephasing
    assert qnet.T1T2Memory(float("inf"), float("inf")).T2 == float("inf")  # ideal memory


# ---------------------------------------------------------------- Pauli probabilities and transfer eigenvalues
@pytest.mark.parametrize("rates", [(0.3, 0.5, 0.7), (0.0, 0.0, 1.0), (1.0, 0.0, 0.0), (0.0, 2.0, 0.0), (0.2, 0.2, 0.2)])
@pytest.mark.parametrize("t", [0.0, 0.37, 2.5])
def test_pauli_probabilities_against_mesolve_choi(rates, t):
    # Choi state: evolve |Phi+> with the Lindbladian on qubit A only; its Bell diagonal is [pI, pZ, pX, pY].
    rho = mesolve_final(PHI_PLUS_DM, pauli_c_ops(rates, "A"), t)
    np.testing.assert_allclose(qnet.pauli_probabilities(rates, t), bell_diagonal_of(rho), atol=MESOLVE_TOL)


def test_pauli_transfer_eigenvalues_against_mesolve():
    # eta_i is the decay factor of <sigma_i> under the single-qubit Lindbladian (physics.md §2).
    rates = (0.3, 0.5, 0.7)
    t = 0.8
    for i, s in enumerate((qutip.sigmax(), qutip.sigmay(), qutip.sigmaz())):
        rho0 = (qutip.qeye(2) + s) / 2  # <sigma_i> = 1
        c_ops = [np.sqrt(g) * op for g, op in zip(rates, (qutip.sigmax(), qutip.sigmay(), qutip.sigmaz()))]
        res = qutip.mesolve(qutip.qzero(2), rho0, [0.0, t], c_ops, e_ops=[s],
                            options={"atol": 1e-13, "rtol": 1e-12, "nsteps": 100_000})
        assert qnet.pauli_transfer_eigenvalues(rates, t)[i] == pytest.approx(res.expect[0][-1], abs=MESOLVE_TOL)


def test_pauli_probabilities_closed_forms():
    # Depolarizing gamma/3 each: eta = exp(-4 gamma t / 3) for all three, pI = (1 + 3 eta)/4, others (1 - eta)/4.
    g, t = 1.2, 0.7
    eta = np.exp(-4 * g * t / 3)
    np.testing.assert_allclose(
        qnet.pauli_probabilities(qnet.depolarizing_rates(g), t), [(1 + 3 * eta) / 4] + [(1 - eta) / 4] * 3, atol=EXACT
    )
    # Dephasing gz: eta_x = eta_y = exp(-2 gz t), eta_z = 1 -> pI = (1 + e)/2, pZ = (1 - e)/2.
    e = np.exp(-2 * g * t)
    np.testing.assert_allclose(qnet.pauli_probabilities((0, 0, g), t), [(1 + e) / 2, (1 - e) / 2, 0, 0], atol=EXACT)
    # t = 0: identity; t -> infinity with all rates > 0: completely depolarizing.
    np.testing.assert_array_equal(qnet.pauli_probabilities((0.1, 0.2, 0.3), 0.0), [1, 0, 0, 0])
    np.testing.assert_allclose(qnet.pauli_probabilities((0.1, 0.2, 0.3), 1e4), [0.25] * 4, atol=EXACT)


def test_pauli_probabilities_broadcast():
    rates = np.array([[0.1, 0.2, 0.3], [0.0, 0.0, 1.0]])  # (2, 3)
    t = np.array([[0.0], [1.0], [2.0]])  # (3, 1)
    out = qnet.pauli_probabilities(rates, t)
    assert out.shape == (3, 2, 4)
    for i in range(3):
        for j in range(2):
            np.testing.assert_allclose(out[i, j], qnet.pauli_probabilities(rates[j], t[i, 0]), atol=0)
    # PauliMemory is accepted wherever rates are.
    np.testing.assert_array_equal(qnet.pauli_probabilities(qnet.PauliMemory(0.1, 0.2, 0.3), 1.0),
                                  qnet.pauli_probabilities([0.1, 0.2, 0.3], 1.0))


@given(rate_triples, time_values)
def test_pauli_probabilities_valid(rates, t):
    p = qnet.pauli_probabilities(rates, t)
    assert_valid_bds(p)


def test_probability_shorthands_against_kraus(rng):
    rho = random_dm(rng)
    r = qutip.Qobj(rho, dims=[[2, 2], [2, 2]])
    # depolarizing: rho -> (1-p) rho + p (I/2 ⊗ Tr_A rho) on qubit A.
    p = 0.3
    ref = (1 - p) * rho + p * qutip.tensor(qutip.qeye(2) / 2, r.ptrace(1)).full()
    np.testing.assert_allclose(qnet.pauli_channel(rho, qnet.depolarizing_probabilities(p)), ref, atol=EXACT)
    # p = 1 is complete depolarization (uniform Paulis); p = 4/3 (edge of the CPTP range) leaves no identity.
    np.testing.assert_allclose(qnet.depolarizing_probabilities(1.0), [0.25] * 4, atol=EXACT)
    np.testing.assert_allclose(qnet.depolarizing_probabilities(4 / 3), [0, 1 / 3, 1 / 3, 1 / 3], atol=EXACT)
    # dephasing: Z with probability p; bit flip: X with probability p.
    Z = qutip.tensor(qutip.sigmaz(), qutip.qeye(2))
    X = qutip.tensor(qutip.sigmax(), qutip.qeye(2))
    np.testing.assert_allclose(qnet.pauli_channel(rho, qnet.dephasing_probabilities(p)),
                               ((1 - p) * r + p * Z * r * Z).full(), atol=EXACT)
    np.testing.assert_allclose(qnet.pauli_channel(rho, qnet.bit_flip_probabilities(p)),
                               ((1 - p) * r + p * X * r * X).full(), atol=EXACT)
    assert qnet.dephasing_probabilities(np.array([0.1, 0.2])).shape == (2, 4)


# ---------------------------------------------------------------- Pauli channels: Kraus sums and BDS convolution
@given(density_matrices(), bds_states(), st.sampled_from(["A", "B", "both"]))
def test_pauli_channel_dm_against_qutip_kraus(rho, probs, qubit):
    kraus = pauli_kraus_qutip(probs)
    ref = rho
    for which in ("A", "B") if qubit == "both" else (qubit,):
        ref = kraus_apply(ref, kraus, which)
    out = qnet.pauli_channel(rho, probs, qubit)
    np.testing.assert_allclose(out, ref, atol=EXACT)
    assert_valid_dm(out)


@given(bds_states(), bds_states(), st.sampled_from(["A", "B", "both"]))
def test_pauli_channel_bds_against_dm_path_and_loop(lam, probs, qubit):
    out = qnet.pauli_channel(lam, probs, qubit)
    rho = qnet.pauli_channel(bds_dm_reference(lam), probs, qubit, form="dm")
    np.testing.assert_allclose(out, bell_diagonal_of(rho), atol=EXACT)
    loop = convolve_loop(lam, probs)
    if qubit == "both":
        loop = convolve_loop(loop, probs)
    np.testing.assert_allclose(out, loop, atol=EXACT)
    assert_valid_bds(out)


def test_pauli_channel_on_qubit_a_equals_on_b_for_bds(rng):
    lam = rng.dirichlet(np.ones(4), size=5)
    q = rng.dirichlet(np.ones(4), size=5)
    np.testing.assert_array_equal(qnet.pauli_channel(lam, q, "A"), qnet.pauli_channel(lam, q, "B"))


def test_pauli_channel_qubits_differ_on_dm():
    # |01><01| with X on A -> |11><11|, X on B -> |00><00|: the qubit option matters for density matrices.
    rho = np.zeros((4, 4))
    rho[1, 1] = 1.0
    x = [0.0, 0.0, 1.0, 0.0]
    assert qnet.pauli_channel(rho, x, "A")[3, 3] == pytest.approx(1.0)
    assert qnet.pauli_channel(rho, x, "B")[0, 0] == pytest.approx(1.0)


def test_pauli_channel_batch_broadcast(rng):
    lam = rng.dirichlet(np.ones(4), size=(3, 1))
    q = rng.dirichlet(np.ones(4), size=(2,))
    out = qnet.pauli_channel(lam, q, "both")
    assert out.shape == (3, 2, 4)
    for i in range(3):
        for j in range(2):
            np.testing.assert_allclose(out[i, j], convolve_loop(convolve_loop(lam[i, 0], q[j]), q[j]), atol=EXACT)
    rhos = np.stack([random_dm(rng) for _ in range(3)])
    out = qnet.pauli_channel(rhos, q[:, None, :], "A")
    assert out.shape == (2, 3, 4, 4)
    np.testing.assert_allclose(out[1, 2], kraus_apply(rhos[2], pauli_kraus_qutip(q[1]), "A"), atol=EXACT)


def test_internal_convolve_and_wht():
    rng = np.random.default_rng(3)
    lam, q = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(4))
    np.testing.assert_allclose(channels.convolve(lam, q), convolve_loop(lam, q), atol=EXACT)
    # WHT matrix: H ⊗ H (unnormalised) with index k = 2x + z; self-inverse up to 1/4.
    Hm = np.kron([[1, 1], [1, -1]], [[1, 1], [1, -1]])
    np.testing.assert_allclose(_bell.wht(lam), Hm @ lam, atol=EXACT)
    np.testing.assert_allclose(_bell.wht(_bell.wht(lam)) / 4, lam, atol=EXACT)


# ---------------------------------------------------------------- continuous-time Pauli memory vs mesolve
@pytest.mark.parametrize(
    "rates_a,rates_b,t_a,t_b",
    [
        ((0.3, 0.5, 0.7), None, 0.9, None),
        ((0.0, 0.0, 1.0), (1.0, 0.0, 0.0), 0.4, 1.3),
        ((0.2, 0.1, 0.0), (0.0, 0.6, 0.05), 2.0, 0.0),
        ((0.1, 0.1, 0.1), (0.4, 0.4, 0.4), 3.0, 0.25),
    ],
)
def test_idle_pauli_dm_against_mesolve(rng, rates_a, rates_b, t_a, t_b):
    rho = random_dm(rng)
    rb = rates_a if rates_b is None else rates_b
    tb = t_a if t_b is None else t_b
    # The channels on A and B commute: evolve A for t_a, then B for t_b.
    ref = mesolve_final(mesolve_final(rho, pauli_c_ops(rates_a, "A"), t_a), pauli_c_ops(rb, "B"), tb)
    out = qnet.idle(rho, np.array(rates_a), t_a, rates_b=None if rates_b is None else np.array(rates_b), t_b=t_b)
    np.testing.assert_allclose(out, ref, atol=MESOLVE_TOL)
    # The same pair idled in one run with both qubits' operators (equal times only).
    if t_b is None:
        both = mesolve_final(rho, pauli_c_ops(rates_a, "A") + pauli_c_ops(rb, "B"), t_a)
        np.testing.assert_allclose(out, both, atol=MESOLVE_TOL)


@pytest.mark.parametrize(
    "rates_a,rates_b,t_a,t_b",
    [
        ((0.3, 0.5, 0.7), None, 0.9, None),
        ((0.0, 0.0, 1.0), (1.0, 0.0, 0.0), 0.4, 1.3),
        ((0.05, 0.0, 0.2), (0.0, 0.6, 0.05), 2.0, 0.0),
    ],
)
def test_idle_pauli_bds_against_mesolve(rng, rates_a, rates_b, t_a, t_b):
    lam = rng.dirichlet(np.ones(4))
    rb = rates_a if rates_b is None else rates_b
    tb = t_a if t_b is None else t_b
    ref = mesolve_final(mesolve_final(bds_dm_reference(lam), pauli_c_ops(rates_a, "A"), t_a), pauli_c_ops(rb, "B"), tb)
    out = qnet.idle(lam, qnet.PauliMemory(*rates_a), t_a, rates_b=None if rates_b is None else qnet.PauliMemory(*rb),
                    t_b=t_b)
    np.testing.assert_allclose(out, bell_diagonal_of(ref), atol=MESOLVE_TOL)
    # Pauli memories keep a BDS Bell-diagonal: the off-diagonal Bell elements stay zero.
    np.testing.assert_allclose(ref, bds_dm_reference(bell_diagonal_of(ref)), atol=MESOLVE_TOL)


@given(bds_states(), rate_triples, rate_triples, time_values, time_values)
def test_idle_bds_against_dm_path(lam, ra, rb, ta, tb):
    out = qnet.idle(lam, ra, ta, rates_b=rb, t_b=tb)
    assert_valid_bds(out)
    ref = qnet.idle(bds_dm_reference(lam), ra, ta, rates_b=rb, t_b=tb, form="dm")
    np.testing.assert_allclose(out, bell_diagonal_of(ref), atol=EXACT)
    # the same round trip through qnet's own conversions
    rho = qnet.idle(qnet.to_density_matrix(lam), ra, ta, rates_b=rb, t_b=tb, form="dm")
    np.testing.assert_allclose(out, qnet.to_bds(rho), atol=EXACT)
    # Explicit reference: Pauli probabilities per qubit, two loop convolutions.
    loop = convolve_loop(convolve_loop(lam, qnet.pauli_probabilities(ra, ta)), qnet.pauli_probabilities(rb, tb))
    np.testing.assert_allclose(out, loop, atol=EXACT)


@given(density_matrices(), rate_triples, time_values)
def test_idle_dm_stays_valid(rho, rates, t):
    out = qnet.idle(rho, rates, t)
    assert_valid_dm(out, atol=1e-12)


def test_idle_extremes():
    lam = np.array([0.7, 0.1, 0.15, 0.05])
    # rates 0 or t = 0: identity.
    np.testing.assert_allclose(qnet.idle(lam, [0.0, 0.0, 0.0], 5.0), lam, rtol=0, atol=1e-15)
    np.testing.assert_allclose(qnet.idle(lam, [0.3, 0.2, 0.1], 0.0), lam, atol=1e-15)
    # t -> infinity with every Pauli present: maximally mixed.
    np.testing.assert_allclose(qnet.idle(lam, [0.3, 0.2, 0.1], 1e6), [0.25] * 4, atol=EXACT)
    # pure dephasing forever on both qubits: two Z channels with p = 1/2 mix Phi+ <-> Phi-, Psi+ <-> Psi-.
    np.testing.assert_allclose(qnet.idle(lam, [0.0, 0.0, 1.0], 1e6), [0.4, 0.4, 0.1, 0.1], atol=EXACT)
    # huge rates with t = 0 or huge t with rates = 0: no NaN from 0 * large.
    np.testing.assert_allclose(qnet.idle(lam, [1e300, 1e300, 1e300], 0.0), lam, atol=1e-15)
    np.testing.assert_allclose(qnet.idle(lam, [1e300, 1e300, 1e300], 1e300), [0.25] * 4, atol=EXACT)
    np.testing.assert_allclose(qnet.idle(lam, [0.0, 0.0, 0.0], 1e300), lam, rtol=0, atol=1e-15)
    # the Werner family is preserved by depolarizing memory: F' = 1/4 + (F - 1/4) eta^2.
    F, g, t = 0.9, 0.6, 0.8
    eta = np.exp(-4 * g * t / 3)
    np.testing.assert_allclose(qnet.idle(qnet.werner(F), qnet.depolarizing_rates(g), t),
                               qnet.werner(0.25 + (F - 0.25) * eta**2), atol=EXACT)


def test_idle_broadcast_over_times_and_states(rng):
    lam = rng.dirichlet(np.ones(4), size=3)  # (3, 4)
    t = np.linspace(0, 2, 5)[:, None]  # (5, 1)
    rates = np.array([0.1, 0.3, 0.2])
    out = qnet.idle(lam, rates, t, t_b=0.5)
    assert out.shape == (5, 3, 4)
    for i in range(5):
        for j in range(3):
            ref = qnet.idle(bds_dm_reference(lam[j]), rates, t[i, 0], t_b=0.5, form="dm")
            np.testing.assert_allclose(out[i, j], bell_diagonal_of(ref), atol=EXACT)
    # per-state rates (3, 3) broadcast with the states
    r3 = rng.uniform(0, 1, size=(3, 3))
    out = qnet.idle(lam, r3, 0.7)
    for j in range(3):
        np.testing.assert_allclose(out[j], qnet.idle(lam[j], r3[j], 0.7), atol=0)
    # density-matrix batch with an array of times
    rhos = np.stack([random_dm(rng) for _ in range(2)])
    out = qnet.idle(rhos, rates, np.array([[0.1], [0.2], [0.3]]))
    assert out.shape == (3, 2, 4, 4)
    np.testing.assert_allclose(out[2, 1], qnet.idle(rhos[1], rates, 0.3), atol=EXACT)


def test_idle_large_batch_matches_numpy_reference(rng):
    # Compiled kernel vs the plain numpy closed form (exp per qubit, WHT, scale, inverse WHT).
    lam = rng.dirichlet(np.ones(4), size=20_000)
    t = rng.uniform(0, 3, size=20_000)
    ra, rb = np.array([0.2, 0.5, 0.1]), np.array([0.0, 0.3, 0.9])
    eta = _bell.transfer_eta(ra, t) * _bell.transfer_eta(rb, 0.5 * t)
    hat = _bell.wht(lam) * np.concatenate([np.ones((20_000, 1)), eta[:, [0, 2, 1]]], axis=1)
    ref = np.maximum(0.25 * _bell.wht(hat), 0.0)
    out = qnet.idle(lam, ra, t, rates_b=rb, t_b=0.5 * t)
    np.testing.assert_allclose(out, ref, rtol=0, atol=1e-15)
    # bds_idle with given eigenvalues is bit-identical to the numpy form.
    np.testing.assert_array_equal(_bell.bds_idle(lam, _bell.transfer_eta(ra, t), _bell.transfer_eta(rb, 0.5 * t)),
                                  np.maximum(0.25 * _bell.wht(
                                      _bell.wht(lam) * np.concatenate(
                                          [np.ones((20_000, 1)), (_bell.transfer_eta(ra, t) * _bell.transfer_eta(rb, 0.5 * t))
                                           [:, [0, 2, 1]]], axis=1)), 0.0))


def test_idle_non_contiguous_input(rng):
    lam = rng.dirichlet(np.ones(4), size=(6000, 2))[:, 1, :]  # strided view
    assert not lam.flags.c_contiguous
    out = qnet.idle(lam, [0.1, 0.2, 0.3], 0.4)
    np.testing.assert_array_equal(out, qnet.idle(np.ascontiguousarray(lam), [0.1, 0.2, 0.3], 0.4))


# ---------------------------------------------------------------- amplitude damping and T1/T2
def amp_damp_kraus_qutip(gamma: float) -> list[qutip.Qobj]:
    K0 = KET0 * KET0.dag() + np.sqrt(1 - gamma) * KET1 * KET1.dag()
    K1 = np.sqrt(gamma) * SIGMA_MINUS
    return [K0, K1]


@pytest.mark.parametrize("gamma", [0.0, 0.3, 1.0])
@pytest.mark.parametrize("qubit", ["A", "B", "both"])
def test_amplitude_damping_against_qutip_kraus(rng, gamma, qubit):
    rho = random_dm(rng)
    ref = rho
    for which in ("A", "B") if qubit == "both" else (qubit,):
        ref = kraus_apply(ref, amp_damp_kraus_qutip(gamma), which)
    out = qnet.amplitude_damping(rho, gamma, qubit)
    np.testing.assert_allclose(out, ref, atol=EXACT)
    assert_valid_dm(out)


@given(density_matrices(), st.one_of(st.sampled_from([0.0, 1.0]), st.floats(0.0, 1.0)),
       st.sampled_from(["A", "B", "both"]))
def test_amplitude_damping_stays_valid(rho, gamma, qubit):
    assert_valid_dm(qnet.amplitude_damping(rho, gamma, qubit))


def test_amplitude_damping_batch(rng):
    rho = random_dm(rng)
    gammas = np.array([0.0, 0.5, 1.0])
    out = qnet.amplitude_damping(rho, gammas, "both")
    assert out.shape == (3, 4, 4)
    # gamma = 1 on both qubits: everything decays to |00>.
    np.testing.assert_allclose(out[2], np.diag([1.0, 0, 0, 0]), atol=EXACT)
    np.testing.assert_allclose(out[0], rho, atol=EXACT)


def test_amplitude_damping_is_t1_decay_against_mesolve(rng):
    # Amplitude damping with gamma = 1 - exp(-t/T1) is the Lindblad decay sqrt(1/T1) sigma_minus for time t.
    rho = random_dm(rng)
    T1, t = 2.0, 0.7
    ref = mesolve_final(rho, [np.sqrt(1 / T1) * qutip.tensor(SIGMA_MINUS, qutip.qeye(2))], t)
    np.testing.assert_allclose(qnet.amplitude_damping(rho, 1 - np.exp(-t / T1), "A"), ref, atol=MESOLVE_TOL)


@pytest.mark.parametrize("T1,T2", [(2.0, 1.0), (1.0, 2.0), (float("inf"), 0.8), (0.5, 0.3)])
@pytest.mark.parametrize("qubit", ["A", "B", "both"])
def test_t1t2_channel_against_mesolve(rng, T1, T2, qubit):
    rho = random_dm(rng)
    t = 0.6
    c_ops = []
    for which in ("A", "B") if qubit == "both" else (qubit,):
        c_ops += t1t2_c_ops(T1, T2, which)
    ref = mesolve_final(rho, c_ops, t)
    out = qnet.t1t2_channel(rho, qnet.T1T2Memory(T1, T2), t, qubit)
    np.testing.assert_allclose(out, ref, atol=MESOLVE_TOL)
    assert_valid_dm(out)


def test_t1t2_closed_form_populations_and_coherences():
    # |+> ⊗ |1>: <1|rho_A|1> decays as exp(-t/T1), the A coherence as exp(-t/T2) (textbook Bloch equations).
    plus = (KET0 + KET1).unit()
    rho = qutip.ket2dm(qutip.tensor(plus, KET1)).full()
    T1, T2, t = 3.0, 1.5, 0.9
    out = qnet.t1t2_channel(rho, qnet.T1T2Memory(T1, T2), t, "A")
    rho_a = qutip.Qobj(out, dims=[[2, 2], [2, 2]]).ptrace(0).full()
    assert rho_a[1, 1].real == pytest.approx(0.5 * np.exp(-t / T1), abs=EXACT)
    assert abs(rho_a[0, 1]) == pytest.approx(0.5 * np.exp(-t / T2), abs=EXACT)


def test_t1t2_broadcast_times(rng):
    rho = random_dm(rng)
    mem = qnet.T1T2Memory(1.0, 0.7)
    t = np.array([0.0, 0.5, 1.0])
    out = qnet.t1t2_channel(rho, mem, t, "both")
    assert out.shape == (3, 4, 4)
    np.testing.assert_allclose(out[0], rho, atol=EXACT)
    np.testing.assert_allclose(out[2], qnet.t1t2_channel(rho, mem, 1.0, "both"), atol=EXACT)


@pytest.mark.parametrize("t_b", [None, 0.3])
def test_idle_t1t2_dm_against_mesolve(rng, t_b):
    rho = random_dm(rng)
    mem = qnet.T1T2Memory(1.5, 1.2)
    t = 0.8
    tb = t if t_b is None else t_b
    ref = mesolve_final(mesolve_final(rho, t1t2_c_ops(1.5, 1.2, "A"), t), t1t2_c_ops(1.5, 1.2, "B"), tb)
    np.testing.assert_allclose(qnet.idle(rho, mem, t, t_b=t_b), ref, atol=MESOLVE_TOL)


def test_idle_mixed_memories_against_mesolve(rng):
    # Qubit A in a T1/T2 memory, qubit B in a Pauli memory, different idle times.
    rho = random_dm(rng)
    mem_a = qnet.T1T2Memory(2.0, 1.0)
    rates_b = (0.1, 0.0, 0.4)
    ref = mesolve_final(mesolve_final(rho, t1t2_c_ops(2.0, 1.0, "A"), 0.5), pauli_c_ops(rates_b, "B"), 1.1)
    out = qnet.idle(rho, mem_a, 0.5, rates_b=qnet.PauliMemory(*rates_b), t_b=1.1)
    np.testing.assert_allclose(out, ref, atol=MESOLVE_TOL)
    out2 = qnet.idle(rho, rates_b, 1.1, rates_b=mem_a, t_b=0.5)
    ref2 = mesolve_final(mesolve_final(rho, pauli_c_ops(rates_b, "A"), 1.1), t1t2_c_ops(2.0, 1.0, "B"), 0.5)
    np.testing.assert_allclose(out2, ref2, atol=MESOLVE_TOL)


@given(density_matrices(), st.floats(1e-3, 1e3), st.floats(0.0, 1.0), time_values)
def test_t1t2_stays_valid(rho, T1, frac, t):
    T2 = max(2 * T1 * frac, 1e-6)
    out = qnet.idle(rho, qnet.T1T2Memory(T1, T2), t)
    assert_valid_dm(out, atol=1e-12)


def test_idle_large_batch_validated_in_kernel_matches_small_path():
    # Arrays of >= 4096 entries are validated inside the compiled kernel; rows must come out bit-identical to
    # the same rows idled through the ordinary validation (small arrays), including clipped rounding noise.
    rng = np.random.default_rng(11)
    lam = rng.dirichlet(np.ones(4), size=3000)
    lam[5] = [0.5, -1e-13, 0.3, 0.2 + 1e-13]
    big = qnet.idle(lam, [0.1, 0.2, 0.3], 0.4, rates_b=[0.0, 0.5, 0.1], t_b=0.2)
    for sl in (slice(0, 100), slice(2900, 3000)):
        small = qnet.idle(lam[sl], [0.1, 0.2, 0.3], 0.4, rates_b=[0.0, 0.5, 0.1], t_b=0.2)
        np.testing.assert_array_equal(big[sl], small)
    assert_valid_bds(big)
    # broadcasting the state against times still validates and matches
    t = np.array([[0.0], [1.0]])
    out = qnet.idle(lam, [0.1, 0.2, 0.3], t)
    assert out.shape == (2, 3000, 4)
    np.testing.assert_array_equal(out[1, :50], qnet.idle(lam[:50], [0.1, 0.2, 0.3], 1.0))
    # a large (..., 4, 4) real batch is not guessed: form="bds" reads it as Bell-diagonal rows
    lam44 = rng.dirichlet(np.ones(4), size=(300, 4))
    np.testing.assert_array_equal(qnet.idle(lam44, [0.1, 0.2, 0.3], 0.4, form="bds")[7],
                                  qnet.idle(lam44[7], [0.1, 0.2, 0.3], 0.4))


def test_internal_dm_kraus_and_block_channel_against_qutip(rng):
    # dm_kraus (general Kraus helper) and dm_block_channel (the fast path of the public channels) agree with
    # QuTiP Kraus sums on both qubits, for a Pauli channel and for amplitude damping.
    rho = random_dm(rng)
    p = rng.dirichlet(np.ones(4))
    gamma = 0.35
    for qubit in ("A", "B"):
        ref = kraus_apply(rho, pauli_kraus_qutip(p), qubit)
        K = np.stack([k.full() for k in pauli_kraus_qutip(p)])
        np.testing.assert_allclose(channels.dm_kraus(rho, K, qubit), ref, atol=EXACT)
        np.testing.assert_allclose(channels.dm_block_channel(rho, channels._pauli_blocks(p), qubit), ref, atol=EXACT)
        ref = kraus_apply(rho, amp_damp_kraus_qutip(gamma), qubit)
        c = channels._amplitude_damping_blocks(np.array(gamma), np.array(1 - gamma), np.sqrt(np.array(1 - gamma)))
        np.testing.assert_allclose(channels.dm_block_channel(rho, c, qubit), ref, atol=EXACT)


def test_pauli_channel_large_batch_against_loop(rng):
    # Large batches take the compiled validation and kernel paths; spot-check rows against the explicit loop.
    lam = rng.dirichlet(np.ones(4), size=5000)
    q = rng.dirichlet(np.ones(4), size=5000)
    out = qnet.pauli_channel(lam, q, "both")
    for i in (0, 1234, 4999):
        np.testing.assert_allclose(out[i], convolve_loop(convolve_loop(lam[i], q[i]), q[i]), atol=EXACT)
    assert_valid_bds(out)
