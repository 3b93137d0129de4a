"""Multi-round schedules, improvement analysis and the SeQUeNCe cross-check of qnet.purification."""

from __future__ import annotations

import numpy as np
import pytest

import qnet
from qnet.purification import BASELINES, FIGURES_OF_MERIT
from qnet._distil import bds_purify

RNG = np.random.default_rng(7)


def dejmps_map(l, m):
    """DEJMPS (PRL 77, 2818) map written out in qnet's slot order [Φ+, Φ−, Ψ+, Ψ−] (rotated frame)."""
    A, B, C, D = l[0], l[3], l[2], l[1]
    a, b, c, d = m[0], m[3], m[2], m[1]
    N = (A + B) * (a + b) + (C + D) * (c + d)
    return np.array([A * a + B * b, A * b + B * a, C * c + D * d, C * d + D * c]) / N, N


# ---------------------------------------------------------------- recurrence / pumping / schedules
def test_recurrence_matches_hand_loop():
    lam = np.array([0.8, 0.05, 0.1, 0.05])
    ref, p_all, cost = lam, 1.0, 1.0
    for _ in range(3):
        ref, p = dejmps_map(ref, ref)
        p_all, cost = p_all**2 * p, 2 * cost / p
    r = qnet.recurrence(lam, 3, "dejmps")
    assert np.abs(r.state - ref).max() <= 1e-14
    assert abs(r.p_success - p_all) <= 1e-14 and abs(r.raw_pairs - cost) <= 1e-12
    assert (r.pairs_in, r.steps) == (8, 7)


def test_recurrence_werner_doctest_value_independently():
    ref = qnet.werner(0.8)
    for _ in range(3):
        ref, _ = dejmps_map(ref, ref)
    assert round(ref[0], 4) == 0.988  # the value quoted in the recurrence docstring


def test_recurrence_per_round_protocols():
    lam = RNG.dirichlet(np.ones(4))
    r = qnet.recurrence(lam, 2, ["cnot", "hadamard"])
    a, pa = qnet.purify(lam, lam, "cnot")
    b, pb = qnet.purify(a, a, "hadamard")
    assert np.abs(r.state - b).max() <= 1e-15 and abs(r.p_success - pa**2 * pb) <= 1e-15


def test_pumping_matches_hand_loop():
    lam, fresh = np.array([0.85, 0.05, 0.06, 0.04]), np.array([0.9, 0.02, 0.05, 0.03])
    ref, p_all, cost = lam, 1.0, 1.0
    for _ in range(4):
        ref, p = dejmps_map(ref, fresh)
        p_all, cost = p_all * p, (cost + 1) / p
    r = qnet.pumping(lam, 4, "dejmps", fresh=fresh)
    assert np.abs(r.state - ref).max() <= 1e-14
    assert abs(r.p_success - p_all) <= 1e-14 and abs(r.raw_pairs - cost) <= 1e-12
    assert (r.pairs_in, r.steps) == (5, 4)


def test_schedule_tree_mixing_variants():
    w1, w2, w3 = RNG.dirichlet(np.ones(4) * 3, 3)
    tree = qnet.Step(qnet.Step(w1, w2, "dejmps"), w3, "mixed_zx")
    r = qnet.purify_schedule(tree, gate_fidelity=0.98, measurement_error=0.01)
    a, pa = qnet.purify(w1, w2, "dejmps", gate_fidelity=0.98, measurement_error=0.01)
    b, pb = qnet.purify(a, w3, "mixed_zx", gate_fidelity=0.98, measurement_error=0.01)
    assert np.abs(r.state - b).max() <= 1e-15
    assert abs(r.p_success - pa * pb) <= 1e-15
    assert abs(r.raw_pairs - (2 / pa + 1) / pb) <= 1e-12
    assert (r.pairs_in, r.steps) == (3, 2)


def test_schedule_batched_and_density_matrix_leaves():
    w = qnet.werner([0.9, 0.8])
    rho = qnet.to_density_matrix(qnet.werner(0.85))
    r = qnet.purify_schedule(qnet.Step(w, rho, "cnot"))
    assert r.state.shape == (2, 4, 4) and r.p_success.shape == (2,)
    ref, p = qnet.purify(w, qnet.werner(0.85), "cnot")
    assert np.abs(qnet.to_bds(r.state) - ref).max() <= 1e-12


def _simulate_recurrence_cost(p_levels, rng, deliveries):
    """Monte Carlo: raw pairs used to deliver pairs of a 2-level recurrence, failures restart the subtree."""

    def make(level):
        if level == 0:
            return 1
        while True:
            used = make(level - 1) + make(level - 1)
            if rng.random() < p_levels[level - 1]:
                return used
            # both pairs lost: the pairs used count, rebuild
            total_lost.append(used)

    total = 0
    for _ in range(deliveries):
        total_lost = []
        total += make(len(p_levels)) + sum(total_lost)
    return total / deliveries


def test_raw_pairs_against_monte_carlo():
    lam = np.array([0.7, 0.1, 0.12, 0.08])
    r = qnet.recurrence(lam, 2, "dejmps")
    _, p1 = qnet.purify(lam, lam, "dejmps")
    out1, _ = qnet.purify(lam, lam, "dejmps")
    _, p2 = qnet.purify(out1, out1, "dejmps")
    rng = np.random.default_rng(3)
    n = 20000
    mc = _simulate_recurrence_cost([float(p1), float(p2)], rng, n)
    # the per-delivery cost has a standard deviation of a few pairs; 20000 deliveries -> SE < 0.05
    assert abs(mc - r.raw_pairs) < 0.1


def test_rounds_must_be_positive_integer():
    with pytest.raises(ValueError, match="rounds must be >= 1"):
        qnet.recurrence(qnet.werner(0.9), 0)


def test_rounds_type():
    with pytest.raises(TypeError, match="rounds must be an integer"):
        qnet.pumping(qnet.werner(0.9), 1.5)


def test_per_round_protocol_count():
    with pytest.raises(ValueError, match="one name per round"):
        qnet.recurrence(qnet.werner(0.9), 3, ["dejmps", "cnot"])


def test_step_unknown_protocol():
    with pytest.raises(ValueError, match="valid values are"):
        qnet.Step(qnet.werner(0.9), qnet.werner(0.9), "bogus")


def test_schedule_step_with_zero_probability():
    with pytest.raises(ValueError, match="success probability 0"):
        qnet.purify_schedule(qnet.Step([0, 0, 1, 0], [1, 0, 0, 0], "cnot"))


# ---------------------------------------------------------------- improvement analysis
def test_gain_baselines_by_hand():
    kept, sac = np.array([0.9, 0.05, 0.03, 0.02]), np.array([0.7, 0.1, 0.1, 0.1])
    out, p = qnet.purify(kept, sac, "cnot")
    F = out[0]
    expect = {"worse": 0.7, "better": 0.9, "fresher": 0.7, "kept": 0.9, "sacrificed": 0.7, "none": 0.8}
    for base in BASELINES:
        g = qnet.purification_gain(kept, sac, "cnot", fom="fidelity", baseline=base)
        assert abs(g.baseline_value - expect[base]) <= 1e-15
        assert abs(g.gain - (F - expect[base])) <= 1e-15
        assert bool(g.improves) == (F - expect[base] > 1e-12)
    g = qnet.purification_gain(kept, sac, "cnot", fom="fidelity", baseline="fresher", fresher="kept")
    assert abs(g.baseline_value - 0.9) <= 1e-15
    g = qnet.purification_gain(kept, sac, "cnot", fom="fidelity", baseline="none", weighted=True)
    assert abs(g.value - p * F) <= 1e-15 and abs(g.baseline_value - 1.6) <= 1e-15


def test_gain_weighted_log_negativity():
    kept, sac = qnet.werner(0.95), qnet.werner(0.9)
    out, p = qnet.purify(kept, sac, "dejmps")
    g = qnet.purification_gain(kept, sac, "dejmps", fom="log_negativity", baseline="fresher", weighted=True)
    assert abs(g.value - p * np.log2(2 * out.max())) <= 1e-14
    assert abs(g.baseline_value - np.log2(1.8)) <= 1e-14


@pytest.mark.parametrize("measure", FIGURES_OF_MERIT)
def test_gain_uses_public_measures(measure):
    kept, sac = RNG.dirichlet(np.ones(4), 5), RNG.dirichlet(np.ones(4), 5)
    g = qnet.purification_gain(kept, sac, "hadamard", fom=measure, baseline="better")
    out, _ = qnet.purify(kept, sac, "hadamard")
    def fn(x):  # rates (yields, key fractions) count as max(0, value): below 0 a pair delivers nothing
        v = qnet.MEASURES[measure](x)
        return np.maximum(v, 0.0) if measure in qnet.RATE_MEASURES else v

    assert np.abs(g.value - fn(out)).max() <= 1e-12
    better = np.minimum if measure == "fidelity_witness" else np.maximum  # the witness is better when lower
    assert np.abs(g.baseline_value - better(fn(kept), fn(sac))).max() <= 1e-12


def test_gain_density_matrix_inputs():
    kept = qnet.to_density_matrix(qnet.werner(0.9))
    g = qnet.purification_gain(kept, qnet.werner(0.8), "cnot", fom="concurrence", baseline="worse")
    out, _ = qnet.purify(qnet.werner(0.9), qnet.werner(0.8), "cnot")
    assert abs(g.value - (2 * out.max() - 1)) <= 1e-10 and abs(g.baseline_value - 0.6) <= 1e-10


def test_no_universal_improvement_found_for_each_variant():
    # Zang et al. arXiv:2407.21760: no bilocal Clifford protocol beats the better input for all inputs.
    lam, mu = RNG.dirichlet(np.ones(4), 20000), RNG.dirichlet(np.ones(4), 20000)
    for protocol in qnet.PROTOCOLS:
        out, p = bds_purify(lam, mu, protocol)
        ok = p > 0
        assert (out[ok, 0] < np.maximum(lam[ok, 0], mu[ok, 0])).any()


def test_gain_unknown_fom():
    with pytest.raises(ValueError, match="unknown fom 'fid'"):
        qnet.purification_gain(qnet.werner(0.9), qnet.werner(0.9), fom="fid")


def test_gain_unknown_baseline():
    with pytest.raises(ValueError, match="valid values are 'worse', 'better', 'fresher'"):
        qnet.purification_gain(qnet.werner(0.9), qnet.werner(0.9), baseline="best")


def test_gain_bad_fresher():
    with pytest.raises(ValueError, match="unknown fresher"):
        qnet.purification_gain(qnet.werner(0.9), qnet.werner(0.9), fresher="newer")


def test_gain_weighted_not_bool():
    with pytest.raises(TypeError, match="weighted must be True or False"):
        qnet.purification_gain(qnet.werner(0.9), qnet.werner(0.9), weighted=1)


# ---------------------------------------------------------------- SeQUeNCe cross-check
def sequence_bds_purification(kept, meas, gate_a, gate_b, meas_fid_a, meas_fid_b, reorder=None, twirled=False):
    """SeQUeNCe's BDS purification formulas, re-derived here from their published expressions.

    Source: sequence-toolbox/SeQUeNCe, sequence/entanglement_management/purification/bbpssw_bds.py
    (BBPSSW_BDS.purification_res, ``is_twirled`` True/False) and .../purification/dejmps_bds.py
    (DEJMPS_BDS.purification_res, inputs reordered with [0, 3, 2, 1]). SeQUeNCe stores BDS in the same
    order as qnet ([Φ+, Φ−, Ψ+, Ψ−]) and uses *measurement fidelities* (probability of a correct
    outcome) where qnet uses error probabilities: meas_fid = 1 - measurement_error. No other
    conversion is needed. BBPSSW_BDS twirls its output too; qnet's "bbpssw" does not, so the
    comparison twirls qnet's output.
    """
    k, m = np.asarray(kept, float), np.asarray(meas, float)
    if twirled:
        k = np.array([k[0], *(3 * [(1 - k[0]) / 3])])
        m = np.array([m[0], *(3 * [(1 - m[0]) / 3])])
    if reorder is not None:
        k, m = k[reorder], m[reorder]
    g = gate_a * gate_b
    same = meas_fid_a * meas_fid_b + (1 - meas_fid_a) * (1 - meas_fid_b)
    opp = meas_fid_a * (1 - meas_fid_b) + (1 - meas_fid_a) * meas_fid_b
    a, b = k[0] + k[1], m[0] + m[1]
    p = 0.5 + g * opp + g * (a * b + (1 - a) * (1 - b)) * (same - opp) - g / 2
    pairs_same = [(0, 0, 1, 1), (0, 1, 1, 0), (2, 2, 3, 3), (2, 3, 3, 2)]
    pairs_opp = [(0, 2, 1, 3), (0, 3, 1, 2), (2, 0, 3, 1), (2, 1, 3, 0)]
    out = np.array([
        g * (same * (k[i] * m[j] + k[u] * m[v]) + opp * (k[i2] * m[j2] + k[u2] * m[v2])) + (1 - g) / 8
        for (i, j, u, v), (i2, j2, u2, v2) in zip(pairs_same, pairs_opp)
    ]) / p
    if twirled:
        out = np.array([out[0], *(3 * [(1 - out[0]) / 3])])
    return out, p


@pytest.mark.parametrize(
    "protocol, reorder, twirled",
    [("cnot", None, False), ("dejmps", [0, 3, 2, 1], False), ("bbpssw", None, True)],
)
def test_sequence_cross_check(protocol, reorder, twirled):
    for _ in range(20):
        lam, mu = RNG.dirichlet(np.ones(4)), RNG.dirichlet(np.ones(4))
        f, q = RNG.uniform(0.8, 1.0), RNG.uniform(0.0, 0.1)
        ref, pref = sequence_bds_purification(lam, mu, f, f, 1 - q, 1 - q, reorder, twirled)
        out, p = qnet.purify(lam, mu, protocol, gate_fidelity=f, measurement_error=q)
        if twirled:
            out = qnet.werner_twirl(out)
        assert abs(p - pref) <= 1e-14
        assert np.abs(out - ref).max() <= 1e-14


def test_sequence_cross_check_unequal_nodes():
    lam, mu = RNG.dirichlet(np.ones(4), 10), RNG.dirichlet(np.ones(4), 10)
    fa, fb, qa, qb = 0.97, 0.9, 0.02, 0.07
    out, p = qnet.purify(lam, mu, "cnot", gate_fidelity=fa, gate_fidelity_b=fb, measurement_error=qa,
                         measurement_error_b=qb)
    for i in range(10):
        ref, pref = sequence_bds_purification(lam[i], mu[i], fa, fb, 1 - qa, 1 - qb)
        assert abs(p[i] - pref) <= 1e-14 and np.abs(out[i] - ref).max() <= 1e-14


# ---------------------------------------------------------------- item 5 of the review: totals that leave float64
@pytest.mark.parametrize("call", [
    lambda: qnet.recurrence(qnet.werner(0.8), 2000),                       # was p_success = 0, raw_pairs = inf
    lambda: qnet.pumping(qnet.werner(0.8), 5000, gate_fidelity=0.9),
    lambda: qnet.recurrence(qnet.bell_state("Phi+"), 1500),               # p = 1, but 2**1500 pairs
])
def test_schedules_refuse_totals_beyond_float64(call):
    with pytest.raises(ValueError, match="leaves the float64 range"):
        call()


def test_schedule_rounds_are_capped_before_any_work():
    with pytest.raises(ValueError, match="rounds must be <= MAX_ROUNDS = 10000"):
        qnet.recurrence(qnet.werner(0.8), 10**12)


def test_schedules_within_range_are_unchanged():
    r = qnet.recurrence(qnet.werner(0.8), 10)
    assert 0 < r.p_success < 1 and np.isfinite(r.raw_pairs)
