"""Every optimizer in qnet against a brute-force scan on random instances, flat zero plateaus and optima at a bound.

An optimizer that returns zero as an optimum while positive values exist, or a point that a plain scan beats,
fails here. (The optimal-time search has its fixed cases in ``test_timing.py``; the border's sides are checked
by brute force in ``test_fom_direction.py``; the heuristic schedule search against the exhaustive one in
``test_schedules.py``.)
"""

from __future__ import annotations

import numpy as np
import pytest

import qnet


def brute_cutoffs(args, kw, cuts, t_trunc, tol):
    """Key rate of every uniform cut-off in ``cuts``, scored as the optimizer scores (0 beyond ``tol``)."""
    values = []
    for c in cuts:
        try:
            r = qnet.chain_delivery(*args, **kw, cutoff=int(c), t_trunc=t_trunc, tol=None)
        except qnet.NeverDeliversError:
            values.append(0.0)
            continue
        values.append(r.key_rate if r.truncation_error <= tol else 0.0)
    return np.array(values)


def random_chains(n, seed=2026):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        levels = ("swap",) * int(rng.integers(1, 3))
        p_gen = float(rng.uniform(0.05, 0.5))
        p_swap = float(rng.uniform(0.4, 1.0))
        w0 = float(rng.uniform(0.93, 0.999))
        t_coh = float(rng.uniform(10.0, 400.0))
        yield levels, p_gen, p_swap, w0, t_coh


@pytest.mark.parametrize("case", list(random_chains(6)))
def test_cutoff_optimizer_matches_a_scan_of_every_integer(case):
    t_trunc, tol = 1500, 1e-4
    best_scan = brute_cutoffs(case, {}, range(1, 121), t_trunc, tol)
    if best_scan.max() <= 0:
        with pytest.raises(qnet.InfeasibleError):
            qnet.optimize_cutoff(*case, t_trunc=t_trunc, tol=tol, bounds=(1, 120))
        return
    res = qnet.optimize_cutoff(*case, t_trunc=t_trunc, tol=tol, bounds=(1, 120))
    assert res.value == pytest.approx(best_scan.max(), rel=1e-12)
    assert res.value > 0 and res.cutoff[0] == 1 + int(np.argmax(best_scan))  # ties: the smaller cut-off
    assert res.at_bound == (res.cutoff[0] in (1, 120))


def test_a_flat_zero_plateau_does_not_hide_the_optimum():
    """The reproducer of the review: key only for cut-offs 5-189 out of a window of 20000 steps; before, the
    optimizer returned 4913 steps with key rate 0."""
    args = (("swap",), 0.01, 0.5, 0.98, 300.0)
    res = qnet.optimize_cutoff(*args, t_trunc=20000)
    scan = brute_cutoffs(args, {}, range(1, 301), 20000, 1e-4)
    assert res.value > 0 and res.value == pytest.approx(scan.max(), rel=1e-12)
    assert res.cutoff == (1 + int(np.argmax(scan)),) == (39,)
    assert not res.at_bound


def test_an_optimum_at_the_upper_bound_is_flagged():
    args = (("swap",), 0.3, 0.9, 0.99, 200.0)  # long coherence: larger cut-offs keep paying off up to 4
    res = qnet.optimize_cutoff(*args, t_trunc=800, bounds=(1, 4))
    scan = brute_cutoffs(args, {}, range(1, 5), 800, 1e-4)
    assert res.cutoff == (4,) and int(np.argmax(scan)) == 3 and res.at_bound


def test_no_key_anywhere_is_an_error_not_an_optimum():
    with pytest.raises(qnet.InfeasibleError, match="no cut-off in bounds .* gives a positive objective"):
        qnet.optimize_cutoff(("swap", "swap"), 0.2, 0.5, 0.7, 50.0, t_trunc=1000)


def test_per_level_cutoffs_are_never_worse_than_the_best_uniform_one():
    args = (("swap", "swap"), 0.2, 0.7, 0.98, 80.0)
    uni = qnet.optimize_cutoff(*args, t_trunc=1500, bounds=(1, 80))
    per = qnet.optimize_cutoff(*args, t_trunc=1500, bounds=(1, 80), per_level=True, maxiter=5)
    assert per.value >= uni.value
    grid = [(a, b) for a in range(2, 40, 3) for b in range(2, 60, 4)]
    coarse = max(qnet.chain_delivery(*args, cutoff=c, t_trunc=1500, tol=None).key_rate for c in grid)
    assert per.value >= coarse * (1 - 1e-12)


def test_fidelity_threshold_optimizer_beats_a_dense_grid():
    args = (("swap", "swap"), 0.5, 0.9, 0.98, 30.0)
    res = qnet.optimize_cutoff(*args, cut_type="fidelity", bounds=(0.9, 0.999), t_trunc=600)
    dense = []
    for f in np.linspace(0.9, 0.999, 300):
        try:
            r = qnet.chain_delivery(*args, cutoff=float(f), cut_type="fidelity", t_trunc=600, tol=None)
            dense.append(r.key_rate if r.truncation_error <= 1e-4 else 0.0)
        except qnet.NeverDeliversError:
            dense.append(0.0)
    assert res.value >= max(dense) * (1 - 1e-9)


def test_a_user_objective_that_returns_nan_is_refused():
    with pytest.raises(ValueError, match="objective returned nan"):
        qnet.optimize_cutoff(("swap",), 0.3, 0.9, 0.99, 100.0, t_trunc=400, objective=lambda r: float("nan"))


@pytest.mark.parametrize("seed", range(4))
def test_optimal_time_on_random_instances_is_never_beaten_by_a_grid(seed):
    rng = np.random.default_rng(seed)
    first, second = (rng.dirichlet([8, 1, 1, 1]) for _ in range(2))
    rates = qnet.pauli_rates(1.0, rng.dirichlet([1, 1, 1]))
    t1 = float(rng.uniform(0, 0.3))
    t2 = t1 + float(rng.uniform(0.05, 1.0))
    fom = ["fidelity", "concurrence", "log_negativity", "hashing_yield"][seed]
    res = qnet.optimal_purification_time(first, second, rates, t1, t2, fom=fom, weighted=bool(seed % 2))
    t = np.linspace(t1, t2, 2001)
    v = qnet.timeline_value(first, second, rates, t1, t2, t, fom=fom, weighted=bool(seed % 2))
    assert res.value >= v.max() - 1e-13


def test_optimal_time_says_when_every_time_ties():
    """Separable inputs: log-negativity is 0 at every time; the optimum is a tie, and the result says so."""
    res = qnet.optimal_purification_time(qnet.werner(0.4), qnet.werner(0.45), qnet.depolarizing_rates(1.0),
                                         0.1, 0.5, fom="log_negativity")
    assert res.value == 0.0 and res.tied
    inner = qnet.optimal_purification_time(qnet.werner(0.95), qnet.werner(0.95),
                                           qnet.pauli_rates(1.0, [0.27, 0.27, 0.46]), 0.01, 0.1)
    assert inner.location == "interior" and not inner.tied


def test_certified_claims_worst_case_beats_an_independent_random_search():
    """The counterexample search (sampled candidates, the worst refined by L-BFGS-B) finds a gain at least as low
    as the worst of 20 000 independent uniform candidates."""
    from qnet.studies import certified_claims as study

    args = ("cnot", "fidelity", "worse")
    found, x = study.worst_case(1.0, *args, np.random.default_rng(1), 2000, 4)
    rng = np.random.default_rng(99)
    sample = study.gain(*study.conditioned_pairs(rng.random((20_000, 6)), 1.0, "cnot"), *args)
    assert found <= float(sample.min()) + 1e-12
    assert found == pytest.approx(float(study.gain(*study.conditioned_pairs(x[None], 1.0, "cnot"), *args)[0]),
                                  abs=1e-12)


@pytest.mark.parametrize("seed", range(3))
def test_heuristic_schedule_search_finds_the_exhaustive_optimum_on_small_chains(seed):
    """The differential evolution over random keys against every schedule of 4 segments (no distillation: the
    5 swap orders) on random uneven chains; it reaches the exhaustive best value or one tied with it."""
    rng = np.random.default_rng(seed)
    chain = qnet.RepeaterChain.werner(("swap", "swap"), list(rng.uniform(0.1, 0.6, 4)), float(rng.uniform(0.5, 1)),
                                      list(rng.uniform(0.98, 0.999, 4)), float(rng.uniform(200, 2000)))
    exhaustive = qnet.search_schedules(chain, max_rounds=0, t_trunc=3000)
    heuristic = qnet.search_schedules(chain, max_rounds=0, t_trunc=3000, method="heuristic", maxiter=5, seed=1)
    assert heuristic.value == pytest.approx(exhaustive.value, rel=1e-12)
    assert heuristic.best.tokens in exhaustive.ties


@pytest.mark.parametrize("F0", [0.8, 0.9, 0.97])
def test_border_is_where_a_grid_search_moves_t_star(F0):
    """The border root finding against a 2001-point grid of purification times: just below the border c the best
    grid time is late (past the midpoint), just above it early."""
    t1, t2 = 0.01, 0.1
    c = float(qnet.optimal_time_border(F0, t1, t2, ratio=0.5))
    w = qnet.werner(F0)
    grid = np.linspace(t1, t2, 2001)
    for dc, late in ((-0.01, True), (0.01, False)):
        rates = qnet.pauli_rates(1.0, [(1 - c - dc) / 2, (1 - c - dc) / 2, c + dc])
        v = qnet.timeline_value(w, w, rates, t1, t2, grid)
        assert (grid[int(np.argmax(v))] > (t1 + t2) / 2) == late


def test_a_plateau_of_tied_cut_offs_gives_its_smallest_member():
    """Long coherence: every cut-off beyond ~70 steps gives the same key rate within round-off (1e-13), and the
    optimizer used to return whichever its round-off favoured (185 one run, 43 the next for the same 25 km chain of
    the repeater_chain study). Values within TIE_RTOL are a tie now, and the smallest tied cut-off wins."""
    from qnet._ranking import tied

    args = (("swap",), 0.3, 0.9, 0.98, 1e7)
    opt = qnet.optimize_cutoff(*args, t_trunc=3000)
    (c,) = opt.cutoff
    far = qnet.chain_delivery(*args, cutoff=2000, t_trunc=3000).key_rate
    assert tied(opt.value, far) and c < 200
    assert not tied(qnet.chain_delivery(*args, cutoff=c // 2, t_trunc=3000).key_rate, far)


# ---------------------------------------------------------------- item 10 of the review: optimize_cutoff
ARGS10 = (("swap", "swap"), 0.3, 0.6, 0.99, 60.0)


@pytest.mark.parametrize("kw, exc, match", [
    ({"cut_type": "fidelity", "bounds": (1.5, 3)}, ValueError, r"bounds of a fidelity cut-off must lie in \[0, 1\]"),
    ({"bounds": (-5, 10)}, ValueError, "bounds of a memory_time cut-off must be >= 0"),
    ({"cut_type": "run_time", "bounds": (0, 10)}, ValueError, "bounds of a run_time cut-off must be >= 1"),
    ({"bounds": (1,)}, ValueError, r"bounds must be a pair \(low, high\)"),
    ({"bounds": (1, 10, 20)}, ValueError, r"bounds must be a pair \(low, high\)"),
    ({"bounds": ("a", 3)}, TypeError, r"bounds\[0\]"),
    ({"maxiter": -1}, ValueError, "maxiter"),
    ({"maxiter": 2.5}, TypeError, "maxiter"),
    ({"tol": None}, TypeError, "tol"),
    ({"per_level": 1}, TypeError, "per_level"),
    ({"per_level": "False"}, TypeError, "per_level"),
    ({"seed": -1}, ValueError, "seed"),
    ({"t_trunc": 2**64}, ValueError, "t_trunc must be <= MAX_T_TRUNC"),
])
def test_optimize_cutoff_refuses_bad_options_up_front(kw, exc, match):
    with pytest.raises(exc, match=match):
        qnet.optimize_cutoff(*ARGS10, **kw)


def test_optimize_cutoff_propagates_errors_of_the_objective():
    # only a genuinely infeasible candidate (the chain never delivers) scores 0; a bug in the objective surfaces
    def broken(result):
        raise KeyError("a user's bug")

    with pytest.raises(KeyError, match="a user's bug"):
        qnet.optimize_cutoff(*ARGS10, objective=broken, t_trunc=400, maxiter=1)
