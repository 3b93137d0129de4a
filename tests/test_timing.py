"""Timing model and optimal purification time: checked against QuTiP circuits, brute force and Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest
import qutip
from conftest import (
    EXACT,
    I2,
    KET0,
    KET1,
    MESOLVE_TOL,
    SX,
    bds_dm_reference,
    bell_diagonal_of,
    mesolve_final,
    pauli_c_ops,
    qobj,
    random_dm,
    t1t2_c_ops,
)
from hypothesis import given
from hypothesis import strategies as st
from scipy.optimize import minimize_scalar

import qnet

W95 = qnet.werner(0.95)
DEPOL = qnet.depolarizing_rates(1.0)


# ---------------------------------------------------------------- independent reference: QuTiP circuit
def _cnot4(control: int, target: int) -> qutip.Qobj:
    p0, p1 = qutip.ket2dm(KET0), qutip.ket2dm(KET1)
    ops0, ops1 = [I2] * 4, [I2] * 4
    ops0[control] = p0
    ops1[control], ops1[target] = p1, SX
    return qutip.tensor(*ops0) + qutip.tensor(*ops1)


def qutip_cnot_purify(rho1: np.ndarray, rho2: np.ndarray) -> tuple[np.ndarray, float]:
    """Bilateral CNOT (pair 1 controls), Z measurement of pair 2, keep on agreement. Qubits A1 B1 A2 B2."""
    state = qutip.tensor(qobj(rho1), qobj(rho2))
    u = _cnot4(1, 3) * _cnot4(0, 2)
    state = u * state * u.dag()
    p0, p1 = qutip.ket2dm(KET0), qutip.ket2dm(KET1)
    keep = qutip.tensor(I2, I2, p0, p0) + qutip.tensor(I2, I2, p1, p1)
    state = keep * state * keep
    p = state.tr().real
    return (state.ptrace([0, 1]) / p).full(), p


def reference_timeline(rho1, rho2, c_ops1, c_ops2, t1, t2, t):
    """Idle (mesolve), purify (QuTiP circuit), idle the output (mesolve)."""
    a = mesolve_final(rho1, c_ops1, t)
    b = mesolve_final(rho2, c_ops2, t - t1)
    out, p = qutip_cnot_purify(a, b)
    return mesolve_final(out, c_ops1, t2 - t), p


def pair_ops(rates):
    return pauli_c_ops(rates, "A") + pauli_c_ops(rates, "B")


CASES = [
    # (first, second, rates, rates_second, t1, t2, t)
    (W95, W95, DEPOL, None, 0.01, 0.1, 0.05),
    ([0.8, 0.1, 0.06, 0.04], [0.9, 0.02, 0.05, 0.03], [0.3, 0.1, 0.6], None, 0.2, 1.0, 0.7),
    ([0.7, 0.05, 0.2, 0.05], [0.85, 0.1, 0.0, 0.05], [0.0, 0.0, 1.0], [1.0, 0.2, 0.0], 0.0, 0.5, 0.0),
    ([0.6, 0.2, 0.1, 0.1], W95, [2.0, 0.0, 0.0], [0.1, 0.1, 0.1], 0.3, 0.3, 0.3),
]


@pytest.mark.parametrize("first, second, rates, rates_second, t1, t2, t", CASES)
def test_timeline_matches_qutip_circuit(first, second, rates, rates_second, t1, t2, t):
    state, p = qnet.purification_timeline(first, second, rates, t1, t2, t, memory_second=rates_second)
    r2 = rates if rates_second is None else rates_second
    ref, p_ref = reference_timeline(bds_dm_reference(np.asarray(first)), bds_dm_reference(np.asarray(second)),
                                    pair_ops(rates), pair_ops(r2), t1, t2, t)
    np.testing.assert_allclose(state, bell_diagonal_of(ref), rtol=0, atol=MESOLVE_TOL)
    assert p == pytest.approx(p_ref, abs=MESOLVE_TOL)


def test_timeline_density_matrix_path_equals_bds_path():
    lam, mu = np.array([0.8, 0.1, 0.06, 0.04]), np.array([0.9, 0.02, 0.05, 0.03])
    rates, t = np.array([0.3, 0.1, 0.6]), np.array([0.2, 0.5, 1.0])
    bds, p = qnet.purification_timeline(lam, mu, rates, 0.2, 1.0, t, protocol="dejmps")
    dm, p_dm = qnet.purification_timeline(qnet.to_density_matrix(lam), qnet.to_density_matrix(mu), rates, 0.2, 1.0, t,
                                          protocol="dejmps")
    np.testing.assert_allclose(qnet.to_bds(dm), bds, rtol=0, atol=EXACT)
    np.testing.assert_allclose(p_dm, p, rtol=0, atol=EXACT)


def test_timeline_t1t2_memory_matches_mesolve():
    rng = np.random.default_rng(7)
    rho1, rho2 = random_dm(rng), random_dm(rng)
    mem = qnet.T1T2Memory(T1=2.0, T2=1.5)
    t1, t2, t = 0.2, 0.9, 0.5
    out, p = qnet.purification_timeline(rho1, rho2, mem, t1, t2, t)
    ops = t1t2_c_ops(2.0, 1.5, "A") + t1t2_c_ops(2.0, 1.5, "B")
    ref, p_ref = reference_timeline(rho1, rho2, ops, ops, t1, t2, t)
    np.testing.assert_allclose(out, ref, rtol=0, atol=MESOLVE_TOL)
    assert p == pytest.approx(p_ref, abs=MESOLVE_TOL)


def test_timeline_value_weighted_is_value_times_success():
    t = np.linspace(0.01, 0.1, 5)
    state, p = qnet.purification_timeline(W95, W95, DEPOL, 0.01, 0.1, t)
    v = qnet.timeline_value(W95, W95, DEPOL, 0.01, 0.1, t, fom="concurrence", weighted=True)
    np.testing.assert_allclose(v, qnet.concurrence(state) * p, rtol=0, atol=EXACT)


# ---------------------------------------------------------------- optimal time vs brute force
def _brute_force(first, second, rates, t1, t2, fom, weighted, n=4001):
    t = np.linspace(t1, t2, n)
    v = qnet.timeline_value(first, second, rates, t1, t2, t, fom=fom, weighted=weighted)
    return t, v


OPT_CASES = [
    # interior optimum (transition region along a = b), fidelity
    (W95, W95, qnet.pauli_rates(1.0, [0.27, 0.27, 0.46]), 0.01, 0.1, "fidelity", False),
    # interior optimum for log-negativity x success probability (panel c of the study)
    (W95, W95, DEPOL, 0.0, 0.4, "log_negativity", True),
    # endpoints
    (W95, W95, DEPOL, 0.01, 0.1, "fidelity", False),
    (W95, W95, qnet.dephasing_rates(1.0), 0.01, 0.1, "fidelity", False),
    # non-identical inputs, other figures of merit
    ([0.8, 0.1, 0.06, 0.04], [0.9, 0.02, 0.05, 0.03], [0.3, 0.1, 0.6], 0.2, 1.0, "concurrence", True),
    ([0.7, 0.05, 0.2, 0.05], [0.85, 0.1, 0.0, 0.05], [1.0, 0.2, 0.1], 0.0, 0.7, "entanglement_of_formation", False),
    (qnet.werner(0.8), qnet.werner(0.9), qnet.pauli_rates(1.0, [0.1, 0.3, 0.6]), 0.05, 0.6, "hashing_yield", True),
]


@pytest.mark.parametrize("first, second, rates, t1, t2, fom, weighted", OPT_CASES)
def test_optimal_time_matches_brute_force(first, second, rates, t1, t2, fom, weighted):
    res = qnet.optimal_purification_time(first, second, rates, t1, t2, fom=fom, weighted=weighted)
    t, v = _brute_force(first, second, rates, t1, t2, fom, weighted)
    k = int(np.argmax(v))
    # The optimizer is never beaten by a 4001-point grid (beyond rounding).
    assert res.value >= v.max() - 1e-13
    if k in (0, len(t) - 1):
        assert res.t == t[k] and res.location == ("start" if k == 0 else "end")
    else:
        # Independent refinement of the brute-force maximum with scipy's bounded Brent search.
        ref = minimize_scalar(
            lambda x: -float(qnet.timeline_value(first, second, rates, t1, t2, x, fom=fom, weighted=weighted)),
            bounds=(t[k - 1], t[k + 1]), method="bounded", options={"xatol": 1e-12},
        )
        assert res.location == "interior"
        assert abs(res.t - ref.x) < 1e-6
        assert res.value == pytest.approx(-ref.fun, abs=1e-13)


def test_optimal_time_interior_case_really_is_interior():
    res = qnet.optimal_purification_time(W95, W95, qnet.pauli_rates(1.0, [0.27, 0.27, 0.46]), 0.01, 0.1)
    assert res.location == "interior"
    assert res.value > max(res.start_value, res.end_value) + 1e-9


def test_optimal_time_broadcasts_like_elementwise_calls():
    F = np.array([0.8, 0.9, 0.97])[:, None]
    patterns = np.array([[0.0, 0.0, 1.0], [1 / 3, 1 / 3, 1 / 3], [0.6, 0.3, 0.1], [0.27, 0.27, 0.46]])
    rates = qnet.pauli_rates(1.0, patterns)  # (4, 3)
    res = qnet.optimal_purification_time(qnet.werner(F), qnet.werner(0.95), rates, 0.01, 0.1)
    assert np.shape(res.t) == (3, 4)
    for i in range(3):
        for j in range(4):
            one = qnet.optimal_purification_time(qnet.werner(F[i, 0]), W95, rates[j], 0.01, 0.1)
            assert res.t[i, j] == pytest.approx(one.t, abs=1e-12)
            assert res.value[i, j] == pytest.approx(one.value, abs=1e-14)
            assert res.location[i, j] == one.location


def test_no_epp_baseline_is_fresher_pair_idled():
    mu = np.array([0.9, 0.02, 0.05, 0.03])
    res = qnet.optimal_purification_time(W95, mu, DEPOL, 0.03, 0.2, fom="negativity")
    assert res.no_epp_value == pytest.approx(qnet.negativity(qnet.idle(mu, DEPOL, 0.17)), abs=EXACT)
    assert res.gain == pytest.approx(res.value - res.no_epp_value, abs=0)
    assert res.worth_purifying == (res.gain > 0)


def test_degenerate_interval_returns_t1():
    res = qnet.optimal_purification_time(W95, W95, DEPOL, 0.05, 0.05)
    assert res.t == 0.05 and res.location == "start"


@given(
    F1=st.floats(0.55, 1.0), F2=st.floats(0.55, 1.0), a=st.floats(0, 1), b=st.floats(0, 1),
    t1=st.floats(0.0, 0.5), span=st.floats(0.0, 1.0), probe=st.floats(0, 1),
)
def test_optimal_value_dominates_any_time(F1, F2, a, b, t1, span, probe):
    pattern = np.array([a, b * (1 - a), (1 - a) * (1 - b)])
    rates = qnet.pauli_rates(1.0, pattern / pattern.sum())
    res = qnet.optimal_purification_time(qnet.werner(F1), qnet.werner(F2), rates, t1, t1 + span)
    t = t1 + probe * span
    assert t1 <= res.t <= t1 + span
    assert res.value >= float(qnet.timeline_value(qnet.werner(F1), qnet.werner(F2), rates, t1, t1 + span, t)) - 1e-13
    assert np.isfinite(res.value) and np.isfinite(res.p_success)


def test_optimal_time_density_matrix_inputs_with_t1t2_memory():
    rng = np.random.default_rng(3)
    rho1 = 0.9 * qnet.to_density_matrix(W95) + 0.1 * random_dm(rng)
    mem = qnet.T1T2Memory(T1=5.0, T2=2.0)
    res = qnet.optimal_purification_time(rho1, rho1, mem, 0.05, 0.5, grid=5)
    t = np.linspace(0.05, 0.5, 201)
    v = qnet.timeline_value(rho1, rho1, mem, 0.05, 0.5, t)
    assert res.value >= v.max() - 1e-12


# ---------------------------------------------------------------- probabilistic generation
@pytest.mark.parametrize("deadline_from", ["first", "second"])
def test_generation_policies_agree_with_monte_carlo(deadline_from):
    first, second = qnet.werner(0.9), np.array([0.93, 0.03, 0.02, 0.02])
    rates = np.array([0.2, 0.3, 0.5])
    exact = qnet.compare_generation_policies(first, second, rates, 0.15, 0.01, 0.08, deadline_from=deadline_from)
    mc = qnet.simulate_generation_policies(first, second, rates, 0.15, 0.01, 0.08, deadline_from=deadline_from,
                                           shots=40_000, seed=11)
    for policy in qnet.POLICIES:
        assert abs(exact.expected_value[policy] - mc[policy]["mean"]) < 5 * mc[policy]["stderr"] + 1e-12
        assert abs(exact.success_probability[policy] - mc[policy]["success"]) < 5 * mc[policy]["success_stderr"] + 1e-9


def test_generation_policies_equal_explicit_sum():
    """Direct loop over arrival times, with the single-link fallback when link 2 misses the deadline."""
    p, tau, T = 0.3, 0.02, 0.1
    res = qnet.compare_generation_policies(W95, W95, DEPOL, p, tau, T)
    expected = {"immediate": 0.0, "deadline": 0.0}
    success = {"immediate": 0.0, "deadline": 0.0}
    for k in range(1, 6):  # t1 = 0.02, ..., 0.10 <= T
        prob = p * (1 - p) ** (k - 1)
        for policy, t in (("immediate", k * tau), ("deadline", T)):
            state, ps = qnet.purification_timeline(W95, W95, DEPOL, k * tau, T, t)
            expected[policy] += prob * ps * qnet.fidelity(state)
            success[policy] += prob * ps
    alone = (1 - p) ** 5 * qnet.fidelity(qnet.idle(W95, DEPOL, T))
    for policy in expected:
        assert res.expected_value[policy] == pytest.approx(expected[policy] + alone, abs=1e-14)
        assert res.success_probability[policy] == pytest.approx(success[policy] + (1 - p) ** 5, abs=1e-14)
    assert res.truncation_error == 0 and res.n_terms == 5


def test_generation_truncation_bound_holds():
    coarse = qnet.compare_generation_policies(W95, W95, DEPOL, 0.05, 0.01, 0.05, deadline_from="second", tol=1e-4)
    fine = qnet.compare_generation_policies(W95, W95, DEPOL, 0.05, 0.01, 0.05, deadline_from="second", tol=1e-13)
    assert coarse.truncation_error <= 1e-4 and fine.truncation_error <= 1e-13
    for policy in qnet.POLICIES:
        assert abs(coarse.expected_value[policy] - fine.expected_value[policy]) <= coarse.truncation_error


def test_optimal_policy_is_best_in_expectation():
    res = qnet.compare_generation_policies(W95, W95, DEPOL, 0.2, 0.01, 0.2, deadline_from="second")
    for policy in ("immediate", "deadline"):
        assert res.expected_value["optimal"] >= res.expected_value[policy] - 1e-13


# ---------------------------------------------------------------- optimal-time border
def test_border_short_time_is_the_small_time_limit():
    F0 = np.array([0.8, 0.9, 0.95, 0.99])
    analytic = qnet.border_short_time(F0)
    errors = []
    for scale in (1e-3, 1e-4):
        numeric = qnet.optimal_time_border(F0, 0.1 * scale, scale, ratio=0.5, xtol=1e-10)
        errors.append(np.max(np.abs(numeric - analytic)))
    assert errors[1] < 1e-4
    assert errors[1] < errors[0] / 5  # first-order convergence in gamma * t2


def test_border_separates_start_and_end():
    """Just below c* the optimum is the end, just above it the start (small times)."""
    F0, cstar = 0.9, float(qnet.border_short_time(0.9))
    for c, where in ((cstar - 0.02, "end"), (cstar + 0.02, "start")):
        rates = qnet.pauli_rates(1.0, [0.5 * (1 - c), 0.5 * (1 - c), c])
        w = qnet.werner(F0)
        assert qnet.optimal_purification_time(w, w, rates, 1e-4, 1e-3).location == where


def test_border_closed_form_values():
    # w = 1 (F0 = 1): c* = (3 + 2 - 1)/(5 + 2 + 1) = 1/2; w = 0.6 (F0 = 0.7): (1.08+1.2-1)/(1.8+1.2+1) = 0.32.
    np.testing.assert_allclose(qnet.border_short_time([1.0, 0.7]), [0.5, 0.32], rtol=0, atol=1e-15)


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"t1": 0.2, "t2": 0.1}, "t2 must be >= t1"),
        ({"t1": -0.1}, "t1 must be >= 0"),
        ({"memory": [-1.0, 0.0, 0.0]}, "memory must be >= 0"),
        ({"memory": [1.0, 0.0]}, "memory must have last axis of length 3"),
        ({"fom": "purity"}, "unknown fom 'purity'; valid values are 'fidelity'"),
        ({"protocol": "magic"}, "unknown protocol 'magic'"),
        ({"weighted": "yes"}, "weighted must be True or False"),
        ({"grid": 2}, "grid must be an integer >= 3"),
        ({"rtol": 0.0}, "rtol must lie in"),
        ({"first": [0.5, 0.5, 0.5, 0.5]}, "first coefficients must sum to 1"),
        ({"memory": qnet.T1T2Memory(1.0, 1.0)}, "leaves the Bell-diagonal family"),
        ({"t2": np.array([0.2, 0.3]), "first": np.tile(W95, (3, 1))}, "batch shapes do not broadcast"),
    ],
)
def test_optimal_time_bad_input(kwargs, match):
    args = {"first": W95, "second": W95, "memory": DEPOL, "t1": 0.01, "t2": 0.1}
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        qnet.optimal_purification_time(**args)


def test_pattern_off_simplex_is_rejected():
    with pytest.raises(ValueError, match="pattern"):
        qnet.pauli_rates(1.0, [0.5, 0.5, 0.5])


def test_timeline_time_outside_interval():
    with pytest.raises(ValueError, match=r"t must lie in \[t1, t2\]"):
        qnet.purification_timeline(W95, W95, DEPOL, 0.1, 0.2, 0.05)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"p": 0.0}, r"p must lie in \(0.0, 1.0\]"),
        ({"p": 1.5}, r"p must lie in \(0.0, 1.0\]"),
        ({"tau": 0.0}, "tau must be > 0"),
        ({"deadline": -1.0}, "deadline must be >= 0"),
        ({"deadline_from": "third"}, "unknown deadline_from"),
        ({"p": 1e-9, "deadline_from": "second"}, "too small"),
    ],
)
def test_generation_bad_input(kwargs, match):
    args = {"first": W95, "second": W95, "memory": DEPOL, "p": 0.2, "tau": 0.01, "deadline": 0.1}
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        qnet.compare_generation_policies(**args)


def test_simulation_bad_shots():
    with pytest.raises(ValueError, match="shots must be a positive integer"):
        qnet.simulate_generation_policies(W95, W95, DEPOL, 0.2, 0.01, 0.1, shots=0)


def test_border_bad_F0():
    with pytest.raises(ValueError, match="F0 must lie in"):
        qnet.border_short_time(1.2)


# ---------------------------------------------------------------- certain failure: one rule everywhere
@pytest.mark.parametrize("form", ["bds", "dm"])
def test_certain_failure_raises_like_purify(form):
    # Psi- kept with Phi+ sacrificed: the parities never agree (p = 0), and without memory noise they stay so.
    kept, sac = np.array([0.0, 0.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0, 0.0])
    if form == "dm":
        kept, sac = qnet.to_density_matrix(kept), qnet.to_density_matrix(sac)
    with pytest.raises(ValueError, match="fails with certainty"):
        qnet.purify(kept, sac)
    for call in (
        lambda: qnet.purification_timeline(kept, sac, [0, 0, 0], 0, 1, 0.5),
        lambda: qnet.timeline_value(kept, sac, [0, 0, 0], 0, 1, 0.5),
        lambda: qnet.optimal_purification_time(kept, sac, [0, 0, 0], 0, 1),
    ):
        with pytest.raises(ValueError, match=r"fails with certainty \(success probability 0\)"):
            call()
    # weighted, a certain failure delivers nothing: the figure times p is exactly 0, never NaN
    assert qnet.timeline_value(kept, sac, [0, 0, 0], 0, 1, [0.0, 0.5, 1.0], weighted=True).tolist() == [0, 0, 0]
    res = qnet.optimal_purification_time(kept, sac, [0, 0, 0], 0, 1, weighted=True)
    assert res.value == 0.0 and res.p_success == 0.0


# ---------------------------------------------------------------- one-ulp boundaries (issue 17)
def test_one_ulp_tie_is_an_endpoint_not_interior():
    w = qnet.werner(np.linspace(0.55, 1, 10)[6])
    t2 = np.linspace(0, 0.5, 11)[7]
    res = qnet.optimal_purification_time(w, w, qnet.bit_flip_rates(1.0), 0.1, t2)
    assert res.location == "end" and res.t == t2       # was 'interior' at t2 - 5.6e-17
    assert res.value == res.end_value


def test_times_a_few_ulps_outside_the_interval_are_clipped():
    w = qnet.werner(0.9)
    t1, t2 = 0.0005, 0.005
    t = t1 + 1.0 * (t2 - t1)
    assert t > t2                                        # one ulp above: once a ValueError
    v = qnet.timeline_value(w, w, qnet.depolarizing_rates(1.0), t1, t2, t)
    assert v == qnet.timeline_value(w, w, qnet.depolarizing_rates(1.0), t1, t2, t2)
    below = np.nextafter(np.nextafter(t1, 0), 0)         # two ulps below t1
    assert qnet.timeline_value(w, w, qnet.depolarizing_rates(1.0), t1, t2, below) == \
        qnet.timeline_value(w, w, qnet.depolarizing_rates(1.0), t1, t2, t1)
    with pytest.raises(ValueError, match=r"t must lie in \[t1, t2\]"):
        qnet.timeline_value(w, w, qnet.depolarizing_rates(1.0), t1, t2, t2 * (1 + 1e-12))


@pytest.mark.parametrize("baseline", qnet.BASELINES)
@pytest.mark.parametrize("weighted", [False, True])
def test_optimal_time_baselines(baseline, weighted):
    # the baseline is computed here from the public idle and measures, independently of the optimizer
    first, second, rates, t1, t2 = qnet.werner(0.9), qnet.werner(0.95), DEPOL, 0.02, 0.12
    res = qnet.optimal_purification_time(first, second, rates, t1, t2, fom="concurrence", weighted=weighted,
                                         baseline=baseline)
    older = float(qnet.concurrence(qnet.idle(first, rates, t2)))
    fresher = float(qnet.concurrence(qnet.idle(second, rates, t2 - t1)))
    expect = {"worse": min(older, fresher), "better": max(older, fresher), "fresher": fresher, "kept": older,
              "sacrificed": fresher, "none": older + fresher if weighted else (older + fresher) / 2}[baseline]
    assert res.baseline == baseline and res.baseline_value == pytest.approx(expect, abs=1e-14)
    assert res.gain == pytest.approx(res.value - expect, abs=1e-14)
    assert res.no_epp_value == pytest.approx(fresher, abs=1e-14)


def test_border_rule_leaves_t1_is_where_t_star_starts_to_move():
    # the paper's rule: coming from dephasing (t* = t1), the c at which t* first leaves t1 by leave_tol
    w, t1, t2, tol = qnet.werner(0.95), 0.01, 0.1, 1e-3
    c_paper = qnet.optimal_time_border(0.95, t1, t2, ratio=0.5, rule="leaves_t1", leave_tol=tol)
    c_mid = qnet.optimal_time_border(0.95, t1, t2, ratio=0.5)
    assert c_paper > c_mid + 0.01   # on a = b, t* moves continuously: it starts to move well before half-way

    def t_star(c):
        return qnet.optimal_purification_time(w, w, qnet.pauli_rates(1.0, [(1 - c) / 2, (1 - c) / 2, c]), t1, t2).t

    assert t_star(c_paper + 1e-6) <= t1 + tol * (t2 - t1) < t_star(c_paper - 1e-6)
    with pytest.raises(ValueError, match="unknown rule"):
        qnet.optimal_time_border(0.95, t1, t2, rule="first")


def test_mixed_state_forms_are_promoted_to_density_matrices_as_in_purify():
    # a Bell-diagonal first pair with a density-matrix second pair (once a TypeError): both become density
    # matrices, and the result equals the all-Bell-diagonal timeline
    w, rho = qnet.werner(0.9), qnet.to_density_matrix(qnet.werner(0.8))
    state, p = qnet.purification_timeline(w, rho, DEPOL, 0.01, 0.1, [0.02, 0.05])
    ref, p_ref = qnet.purification_timeline(w, qnet.werner(0.8), DEPOL, 0.01, 0.1, [0.02, 0.05])
    assert state.shape == (2, 4, 4)
    np.testing.assert_allclose(qnet.to_bds(state), ref, atol=1e-12)
    np.testing.assert_allclose(p, p_ref, atol=1e-12)
    a = qnet.optimal_purification_time(rho, w, DEPOL, 0.01, 0.1)
    b = qnet.optimal_purification_time(qnet.werner(0.8), w, DEPOL, 0.01, 0.1)
    assert a.location == b.location and a.value == pytest.approx(b.value, abs=1e-12)


# ---------------------------------------------------------------- item 9 of the review: generation policies
W9 = qnet.werner(0.9)


@pytest.mark.parametrize("kw, match", [
    ({"protocol": "bogus"}, "protocol"),
    ({"gate_fidelity": 7}, "gate_fidelity"),
    ({"measurement_error": -0.1}, "measurement_error"),
])
def test_policy_arguments_checked_without_generation_times(kw, match):
    # tau > deadline: no link-2 attempt ends by the deadline, yet bad arguments must still be refused
    with pytest.raises(ValueError, match=match):
        qnet.compare_generation_policies(W9, W9, [1, 1, 1], 0.5, 1.0, 0.5, **kw)


@pytest.mark.parametrize("tau, deadline", [(0.01, 1e6), (1e-300, 1.0)])
def test_long_deadlines_are_truncated_with_a_bound(tau, deadline):
    # once 1e8-term arrays (killed for memory) or a bare "Maximum allowed size exceeded"
    res = qnet.compare_generation_policies(W9, W9, [1, 1, 1], 0.5, tau, deadline)
    assert res.n_terms < 100 and res.truncation_error <= 1e-12
    exact = qnet.compare_generation_policies(W9, W9, [1, 1, 1], 0.5, tau, deadline, tol=1e-3)
    for policy in qnet.POLICIES:
        assert abs(res.expected_value[policy] - exact.expected_value[policy]) <= exact.truncation_error


def test_truncated_first_deadline_sum_matches_the_full_sum():
    # deadline after link 1: the full sum has 200 terms; the truncated one must agree within its bound
    full = qnet.compare_generation_policies(W9, W9, [1, 0.5, 0.2], 0.05, 0.01, 2.0, tol=1e-3)
    assert full.truncation_error <= 1e-3 and full.n_terms < 200
    ref = qnet.compare_generation_policies(W9, W9, [1, 0.5, 0.2], 0.05, 0.01, 2.0, tol=1e-12)
    assert ref.n_terms == 200 and ref.truncation_error == 0.0
    for policy in qnet.POLICIES:
        assert abs(full.expected_value[policy] - ref.expected_value[policy]) <= full.truncation_error


def test_tiny_p_is_refused_before_allocating():
    with pytest.raises(ValueError, match="MAX_GENERATION_TERMS"):
        qnet.compare_generation_policies(W9, W9, [1, 1, 1], 1e-12, 0.01, 1e9)


# ---------------------------------------------------------------- a circuit of more than two pairs
def test_timeline_runs_a_three_pair_circuit_on_pairs_of_different_ages():
    """protocol="double_selection": link 1 (heralded at 0) is purified at t with two copies of link 2 (heralded at
    t1); the value at t is the composition of idle and Circuit.apply written out, on Bell-diagonal states and on
    density matrices (1e-13), and the optimal time is found by the same machinery as for two pairs."""
    w, rates, noise = qnet.werner(0.95), qnet.dephasing_rates(1.0), qnet.OperationNoise(0.99, 0.01)
    tl = qnet.PurificationTimeline(w, w, rates, 0.02, 0.1, protocol="double_selection", noise=noise)
    for t in (0.02, 0.05, 0.1):
        a, b = qnet.idle(w, rates, t), qnet.idle(w, rates, t - 0.02)
        out, p = qnet.circuit("double_selection").apply(a, b, b, noise=noise)
        want = float(qnet.fidelity(qnet.idle(out, rates, 0.1 - t)))
        assert float(tl.value(t, "fidelity")) == pytest.approx(want, abs=1e-13)
    dm = qnet.PurificationTimeline(qnet.to_density_matrix(w), qnet.to_density_matrix(w), rates, 0.02, 0.1,
                                   protocol="double_selection", noise=noise)
    best, best_dm = tl.optimal_time("fidelity"), dm.optimal_time("fidelity")
    assert best.value == pytest.approx(best_dm.value, abs=1e-13) and best.t == pytest.approx(best_dm.t, abs=1e-9)
    with pytest.raises(ValueError, match="protocol"):
        qnet.PurificationTimeline(w, w, rates, 0.02, 0.1, protocol="stringent")
