"""Every figure of merit through every optimizer and comparison, in its own direction.

The direction of each figure is written here from its definition (the fidelity witness ``1/2 - F``
is negative for the states it certifies, so lower is better), not read from qnet, and every
optimizer is checked against a brute-force grid searched in that direction.
"""

from __future__ import annotations

import numpy as np
import pytest

import qnet

LOWER_IS_BETTER = {"fidelity_witness"}
FOMS = list(qnet.MEASURES)
W = qnet.werner(0.95)
DEPOL = qnet.depolarizing_rates(1.0)
PATTERN = qnet.pauli_rates(1.0, [0.2, 0.3, 0.5])


def _sign(fom):
    return -1.0 if fom in LOWER_IS_BETTER else 1.0


def test_directions_are_declared_for_every_figure():
    assert set(qnet.FOM_DIRECTION) == set(qnet.MEASURES)
    for fom in FOMS:
        assert qnet.fom_sign(fom) == _sign(fom)
        assert qnet.FOM_DIRECTION[fom] == ("minimize" if fom in LOWER_IS_BETTER else "maximize")


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("fom", FOMS)
def test_optimal_time_is_best_in_the_figures_direction(fom, weighted):
    first, second, t1, t2 = W, qnet.werner(0.9), 0.01, 0.3
    res = qnet.optimal_purification_time(first, second, PATTERN, t1, t2, fom=fom, weighted=weighted)
    grid = np.linspace(t1, t2, 2001)
    v = qnet.timeline_value(first, second, PATTERN, t1, t2, grid, fom=fom, weighted=weighted)
    s = _sign(fom)
    assert s * res.value >= (s * v).max() - 1e-13
    assert res.value == pytest.approx(
        float(qnet.timeline_value(first, second, PATTERN, t1, t2, res.t, fom=fom, weighted=weighted)), abs=1e-15)
    assert res.gain == pytest.approx(s * (res.value - res.no_epp_value), abs=0)
    assert res.worth_purifying == (s * (res.value - res.no_epp_value) > 0)


def test_witness_optimum_is_the_fidelity_optimum():
    # W = 1/2 - F: the best witness is at the best fidelity (depolarizing memory: purify at the end).
    for rates in (DEPOL, qnet.dephasing_rates(1.0), PATTERN):
        f = qnet.optimal_purification_time(W, W, rates, 0.01, 0.1)
        w = qnet.optimal_purification_time(W, W, rates, 0.01, 0.1, fom="fidelity_witness")
        assert (w.t, w.location) == (f.t, f.location)
        assert w.value == pytest.approx(0.5 - f.value, abs=1e-15)
        assert w.gain == pytest.approx(f.gain, abs=1e-15)
    assert qnet.optimal_purification_time(W, W, DEPOL, 0.01, 0.1, fom="fidelity_witness").location == "end"


def test_witness_optimum_density_matrix_path():
    rho = qnet.to_density_matrix(W)
    f = qnet.optimal_purification_time(rho, rho, DEPOL, 0.01, 0.1)
    w = qnet.optimal_purification_time(rho, rho, DEPOL, 0.01, 0.1, fom="fidelity_witness")
    assert w.t == f.t and w.location == "end"


@pytest.mark.parametrize("baseline", qnet.BASELINES)
@pytest.mark.parametrize("weighted", [False, True])
def test_witness_gain_agrees_with_fidelity_verdict(baseline, weighted):
    kept = qnet.werner(np.array([0.9, 0.6, 0.8, 0.55]))
    sac = qnet.werner(np.array([0.8, 0.8, 0.8, 0.95]))
    f = qnet.purification_gain(kept, sac, "dejmps", fom="fidelity", baseline=baseline)
    w = qnet.purification_gain(kept, sac, "dejmps", fom="fidelity_witness", baseline=baseline)
    np.testing.assert_array_equal(w.improves, f.improves)
    np.testing.assert_allclose(w.gain, f.gain, atol=1e-15)
    if weighted:
        # p (1/2 - F) against the inputs: recomputed here by hand in the witness' direction
        g = qnet.purification_gain(kept, sac, "dejmps", fom="fidelity_witness", baseline=baseline, weighted=True)
        wk, ws = 0.5 - kept[:, 0], 0.5 - sac[:, 0]
        base = {"worse": np.maximum(wk, ws), "better": np.minimum(wk, ws), "fresher": ws, "kept": wk,
                "sacrificed": ws, "none": wk + ws}[baseline]
        np.testing.assert_allclose(g.gain, base - g.p_success * (0.5 - g.state[:, 0]), atol=1e-15)


@pytest.mark.parametrize("fom", FOMS)
def test_policy_comparison_optimal_is_best_in_direction(fom):
    res = qnet.compare_generation_policies(W, W, PATTERN, 0.3, 0.01, 0.2, deadline_from="second", fom=fom)
    s = _sign(fom)
    for policy in ("immediate", "deadline"):
        assert s * res.expected_value["optimal"] >= s * res.expected_value[policy] - 1e-13
    assert s * res.expected_value[res.best] == max(s * v for v in res.expected_value.values())


@pytest.mark.parametrize("fom", ["fidelity", "fidelity_witness"])
def test_border_follows_the_direction(fom):
    # the witness and the fidelity have the same optimal times, so the same border
    a = qnet.optimal_time_border(0.95, 0.01, 0.1, ratio=0.5, fom="fidelity")
    b = qnet.optimal_time_border(0.95, 0.01, 0.1, ratio=0.5, fom=fom)
    assert a == b


@pytest.mark.parametrize("fom", FOMS)
def test_border_sides_agree_with_a_brute_force_search_in_the_figures_direction(fom):
    # Along a = b (ratio 0.5), t* jumps from t2 (depolarizing side) to t1 (dephasing side) at the border c*.
    # On each side, a 2001-point search for the best time in the figure's own direction must agree.
    t1, t2 = 0.01, 0.1
    border = qnet.optimal_time_border(0.95, t1, t2, ratio=0.5, fom=fom)
    if np.isnan(border):
        pytest.skip(f"no transition on this line for {fom}")
    grid = np.linspace(t1, t2, 2001)
    for c, late in ((border - 0.02, True), (border + 0.02, False)):
        rates = qnet.pauli_rates(1.0, [(1 - c) / 2, (1 - c) / 2, c])
        v = qnet.timeline_value(W, W, rates, t1, t2, grid, fom=fom)
        t_best = grid[int(np.argmax(_sign(fom) * v))]
        assert (t_best > (t1 + t2) / 2) == late
