"""Defects found in review (issue 11): each item reproduced as it was reported, then fixed.

Items with a home elsewhere are tested there: the chain fast path (test_chains), figure-of-merit
directions (test_fom_direction), certain failure in the timeline (test_timing), the SPDC four-fold
probability (test_spdc).
"""

from __future__ import annotations

import numpy as np
import pytest

import qnet


# ---------------------------------------------------------------- item 4: swap_chain of no links
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


# ---------------------------------------------------------------- item 5: totals that leave float64
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


# ---------------------------------------------------------------- item 7: merging Monte Carlo runs of one problem only
def test_monte_carlo_runs_of_different_chains_do_not_merge():
    one = qnet.simulate_chain(("swap",), 0.5, 0.9, 0.95, 50.0, n_samples=50, seed=1)
    two = qnet.simulate_chain(("swap", "swap"), 0.5, 0.9, 0.95, 50.0, n_samples=50, seed=2)
    with pytest.raises(ValueError, match="different problems"):
        one + two
    other_cut = qnet.simulate_chain(("swap",), 0.5, 0.9, 0.95, 50.0, cutoff=3, n_samples=50, seed=3)
    with pytest.raises(ValueError, match="different problems"):
        one + other_cut
    asap = qnet.simulate_swap_asap(0.5, 0.9, qnet.werner(0.95), [0, 0, 0], n_segments=2, n_samples=50, seed=4)
    with pytest.raises(ValueError, match="different problems"):
        one + asap
    same = qnet.simulate_chain(("swap",), 0.5, 0.9, 0.95, 50.0, n_samples=50, seed=5)
    merged = one + same
    assert merged.n == 100 and merged.problem == one.problem and merged.seeds == (1, 5)


# ---------------------------------------------------------------- item 13: exceptions of the right type
@pytest.mark.parametrize("max_steps, exc", [(10**30, ValueError), (float("inf"), TypeError), (0, ValueError),
                                            (True, TypeError), ("100000000", TypeError)])
def test_swap_asap_max_steps(max_steps, exc):
    with pytest.raises(exc, match="max_steps"):
        qnet.simulate_swap_asap(0.5, 1.0, qnet.werner(0.9), [0, 0, 0], n_segments=2, n_samples=10, max_steps=max_steps)


@pytest.mark.parametrize("t_max, exc", [(2**64, ValueError), (0, ValueError), (2.5, TypeError), (True, TypeError)])
def test_monte_carlo_pmf_length(t_max, exc):
    mc = qnet.simulate_chain(("swap",), 0.5, 1.0, 1.0, float("inf"), n_samples=10, seed=1)
    with pytest.raises(exc, match="t_max"):
        mc.pmf(t_max)


# ---------------------------------------------------------------- item 9: generation policies
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


# ---------------------------------------------------------------- item 10: optimize_cutoff
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


# ---------------------------------------------------------------- item 11: sizes refused before allocating
@pytest.mark.parametrize("call, match", [
    (lambda: qnet.chain_delivery(("swap",), 0.5, 0.9, 0.98, 400.0, t_trunc=10**12), "MAX_T_TRUNC"),
    (lambda: qnet.chain_delivery(("swap",) * 40, 0.5, 0.9, 0.98, 400.0), "MAX_SWAP_LEVELS"),
    (lambda: qnet.chain_delivery(("distill",) * 100, 0.5, 0.9, 0.98, 400.0), "MAX_LEVELS"),
    (lambda: qnet.chain_delivery(("swap",) * 12, np.linspace(0.1, 0.9, 2**12), 0.9, 0.98, 400.0, t_trunc=2**16),
     "MAX_CHAIN_BYTES"),
    (lambda: qnet.recurrence(qnet.werner(0.8), 10**12), "MAX_ROUNDS"),
    (lambda: qnet.simulate_chain(("swap",), 0.5, 0.9, 0.98, 400.0, n_samples=10**12), "n_samples"),
])
def test_absurd_sizes_are_refused_at_once(call, match):
    import time

    start = time.perf_counter()
    with pytest.raises(ValueError, match=match):
        call()
    assert time.perf_counter() - start < 2.0


def test_hopeless_window_is_reported_without_trying_huge_windows():
    # p_gen = 1e-9: the slowest link alone needs ~1.4e10 steps to be there with probability 1 - 1e-6;
    # this once took 1.8 GB and 10 s to find out
    import time

    start = time.perf_counter()
    with pytest.raises(qnet.TruncationError, match="MAX_T_TRUNC") as info:
        qnet.chain_delivery(("distill", "swap"), 1e-9, 0.9, 0.98, 400.0, (40, 80), t_trunc=3000)
    assert info.value.sufficient_t_trunc is None
    assert time.perf_counter() - start < 2.0


# ---------------------------------------------------------------- item 14: networks
import networkx as nx  # noqa: E402

from qnet.network import NetworkError  # noqa: E402


def _ring(**kw):
    return qnet.ring_network(6, 10.0, p_gen=0.3, w0=0.99, **kw)


@pytest.mark.parametrize("edit, match", [
    (lambda G: G.edges[0, 1].update(length=float("nan")), "length of edge"),
    (lambda G: G.edges[0, 1].update(state=[0.5] * 4), "state of edge"),
    (lambda G: G.nodes[1].update(gate_fidelity=2), "node 1 has a 'gate_fidelity' attribute"),
    (lambda G: G.nodes[1].update(noise=0.9), "the noise of node 1 must be a qnet.OperationNoise"),
    (lambda G: G.graph.update(p_swap=2), r"G.graph\['p_swap'\]"),
    (lambda G: G.graph.update(p_swap=float("nan")), r"G.graph\['p_swap'\]"),
    (lambda G: G.graph.update(p_swap="0.5"), r"G.graph\['p_swap'\]"),
    (lambda G: G.graph.update(time_step=-1.0), r"G.graph\['time_step'\]"),
])
def test_path_parameters_and_validation_see_every_attribute(edit, match):
    G = _ring()
    edit(G)
    with pytest.raises(NetworkError, match=match):
        qnet.path_parameters(G, [0, 1, 2])
    with pytest.raises(NetworkError, match=match):
        qnet.validate_network(G)


def test_path_from_a_node_to_itself_is_refused():
    with pytest.raises(NetworkError, match="visits every node once"):
        qnet.path_delivery(_ring(), [0, 1, 0])


def test_unordered_protocol_is_refused():
    with pytest.raises(TypeError, match="schedule must be a tuple"):
        qnet.select_path(_ring(), 0, 2, "fidelity", schedule={"swap", "distill"})


def test_edge_length_is_the_one_source_of_truth():
    G = qnet.ring_network(4, 25.0, link=lambda L: qnet.MidpointSource(qnet.FibreChannel(L)))
    qnet.validate_network(G)
    G.edges[0, 1]["link"] = qnet.MidpointSource(qnet.FibreChannel(30.0))  # 25 km edge, 30 km channel
    with pytest.raises(NetworkError, match="length 25.0 km but its link's channel is 30.0 km"):
        qnet.validate_network(G)


def test_plain_links_have_an_explicit_time_step():
    # once a silent 1 s step; now the heralding round trip over the longest edge, or the caller's value
    G = qnet.ring_network(4, 20.0)
    assert G.graph["time_step"] == pytest.approx(2 * 20.0 / 2e5, rel=1e-15)
    assert qnet.path_parameters(G, [0, 1])["time_step"] == G.graph["time_step"]
    assert qnet.ring_network(4, 20.0, time_step=1e-3).graph["time_step"] == 1e-3
    H = nx.path_graph(3)
    nx.set_node_attributes(H, qnet.PauliMemory.dephasing(1.0), "memory")
    nx.set_edge_attributes(H, {e: {"length": 5.0, "p_gen": 0.2, "w0": 0.9} for e in H.edges})
    with pytest.raises(NetworkError, match=r"set G.graph\['time_step'\]"):
        qnet.path_parameters(H, [0, 1, 2])
    with pytest.raises(ValueError, match="time_step"):
        qnet.ring_network(4, 0.0)


@pytest.mark.parametrize("radius", [-0.1, float("nan"), 0.0, 2.0])
def test_random_geometric_radius(radius):
    with pytest.raises(ValueError, match="radius"):
        qnet.random_geometric_network(10, radius, 100.0)


# ---------------------------------------------------------------- items 11-13: builders and paths
@pytest.mark.parametrize("call, exc, match", [
    (lambda: qnet.grid_network("3", 4, 25.0), TypeError, "rows"),
    (lambda: qnet.grid_network(3, 4, "25"), TypeError, "spacing_km"),
    (lambda: qnet.grid_network(3, 4, 25.0, p_gen="0.5"), TypeError, "p_gen"),
    (lambda: qnet.grid_network(3, 4, 25.0, w0="0.9"), TypeError, "w0"),
    (lambda: qnet.grid_network(10**5, 4, 25.0), ValueError, "MAX_NETWORK_NODES"),
    (lambda: qnet.ring_network(10**8, 10.0), ValueError, "n"),
    (lambda: qnet.ring_network(-1, 10.0), ValueError, "n must be an integer"),
    (lambda: qnet.ring_network(2, 10.0), ValueError, "n must be >= 3"),
    (lambda: qnet.ring_network(4, 10.0, n_memories=True), TypeError, "n_memories"),
    (lambda: qnet.path_parameters(None, [0, 1]), NetworkError, "undirected networkx Graph"),
    (lambda: qnet.path_parameters(nx.path_graph(3), [0, 1]), NetworkError, "memory"),
    (lambda: qnet.FibreChannel(100.0).split(0), ValueError, "parts"),
    (lambda: qnet.FibreChannel(100.0).split(2.5), TypeError, "parts"),
    (lambda: qnet.FibreChannel(100.0).split(float("inf")), TypeError, "parts"),
])
def test_builders_and_paths_refuse_bad_input(call, exc, match):
    import time

    start = time.perf_counter()
    with pytest.raises(exc, match=match):
        call()
    assert time.perf_counter() - start < 2.0


# ---------------------------------------------------------------- item 15: free text in CSV files
def test_csv_text_cannot_start_a_formula(tmp_path):
    import csv

    from qnet.studies import _common

    path = _common.write_csv(tmp_path / "t.csv", {"source": ["=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "text"],
                                                  "value": [-1.5, 2.0, -3.0, 4.0, 5.0]})
    _common.publish()  # outputs are staged until the study publishes them
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert [r[0] for r in rows[1:]] == ["'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "text"]
    assert [float(r[1]) for r in rows[1:]] == [-1.5, 2.0, -3.0, 4.0, 5.0]   # numbers stay numbers
