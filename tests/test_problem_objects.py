"""The object tier of the redesign: OperationNoise, FigureOfMerit, PurificationTimeline, Heralded results.

Each object is checked against the function tier it replaces (exactly: the same kernels must give the same
bits) and, where the object adds something (custom figures of merit, node-B noise), against an independent
path: the density-matrix circuit, or the mirror-image figure of merit.
"""

import json

import networkx as nx
import numpy as np
import pytest

import qnet

W95 = qnet.werner(0.95)
DEPOL = qnet.depolarizing_rates(1.0)
RATES = qnet.pauli_rates(1.0, (0.2, 0.3, 0.5))


# ---------------------------------------------------------------- OperationNoise
def test_noise_equals_its_shortcuts_in_purify_and_swap():
    rng = np.random.default_rng(1)
    lam, mu = rng.dirichlet(np.ones(4), size=5), rng.dirichlet(np.ones(4), size=5)
    noise = qnet.OperationNoise(0.97, 0.02)
    for protocol in qnet.PROTOCOLS:
        a = qnet.purify(lam, mu, protocol, noise=noise)
        b = qnet.purify(lam, mu, protocol, gate_fidelity=0.97, measurement_error=0.02)
        np.testing.assert_array_equal(a.state, b.state)
        np.testing.assert_array_equal(a.p_success, b.p_success)
    np.testing.assert_array_equal(qnet.swap(lam, mu, noise=noise).state,
                                  qnet.swap(lam, mu, gate_fidelity=0.97, measurement_error=0.02).state)


def test_node_b_noise_matches_the_density_matrix_circuit():
    # closed form (BDS) vs the explicit 4-qubit circuit, with different noise at the two nodes
    lam, mu = qnet.werner(0.9), np.array([0.8, 0.1, 0.06, 0.04])
    a_noise, b_noise = qnet.OperationNoise(0.97, 0.02), qnet.OperationNoise(0.93, 0.05)
    bds = qnet.purify(lam, mu, "dejmps", noise=a_noise, noise_b=b_noise)
    dm = qnet.purify(qnet.to_density_matrix(lam), qnet.to_density_matrix(mu), "dejmps", noise=a_noise,
                     noise_b=b_noise)
    np.testing.assert_allclose(qnet.to_bds(dm.state), bds.state, rtol=0, atol=1e-13)
    np.testing.assert_allclose(dm.p_success, bds.p_success, rtol=0, atol=1e-13)


def test_noise_given_twice_is_refused():
    with pytest.raises(TypeError, match="give the operation noise once"):
        qnet.purify(W95, W95, noise=qnet.OperationNoise(0.9), gate_fidelity=0.9)
    with pytest.raises(TypeError, match="noise must be a qnet.OperationNoise"):
        qnet.swap(W95, W95, noise=0.9)


@pytest.mark.parametrize("kwargs, match", [
    ({"gate_fidelity": 1.2}, r"gate_fidelity must lie in \[0.0, 1.0\], got 1.2$"),
    ({"measurement_error": -0.1}, "measurement_error must lie in"),
    ({"gate_fidelity": "high"}, "gate_fidelity"),
])
def test_noise_validates_on_construction(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        qnet.OperationNoise(**kwargs)


def test_noise_is_frozen_and_compares_by_value():
    noise = qnet.OperationNoise(0.99, 0.01)
    with pytest.raises(AttributeError):
        noise.gate_fidelity = 0.5
    assert noise == qnet.OperationNoise(0.99, 0.01) and noise != qnet.OperationNoise(0.99, 0.02)
    assert qnet.IDEAL.is_ideal and not noise.is_ideal
    batch = qnet.OperationNoise(np.array([0.9, 1.0]))
    assert not batch.is_scalar and batch.gate_fidelity.flags.writeable is False


# ---------------------------------------------------------------- Heralded
def test_swap_and_purify_return_the_same_kind_of_result():
    a = qnet.purify(W95, W95)
    b = qnet.swap(W95, W95)
    assert type(a) is type(b) is qnet.Heralded
    state, p = b
    assert state is b.state and p is b.p_success
    assert json.loads(json.dumps(b.to_dict()))["p_success"] == 1.0


# ---------------------------------------------------------------- FigureOfMerit
def test_named_figure_of_merit_equals_the_string_shortcut():
    for name in qnet.FIGURES_OF_MERIT:
        a = qnet.optimal_purification_time(W95, W95, RATES, 0.01, 0.1, fom=name)
        b = qnet.optimal_purification_time(W95, W95, RATES, 0.01, 0.1, fom=qnet.FigureOfMerit.named(name))
        assert (a.t, a.value, a.gain, a.direction) == (b.t, b.value, b.gain, b.direction)


def test_a_custom_figure_is_optimized_in_its_direction():
    # the infidelity, minimized, must give the fidelity's optimum: the same time and the same gain
    infidelity = qnet.FigureOfMerit("infidelity", lambda lam: 1.0 - lam[..., 0], "minimize", (0.0, 1.0))
    t1 = np.array([0.0, 0.02, 0.05])
    for rates in (DEPOL, qnet.dephasing_rates(1.0), RATES):
        fid = qnet.optimal_purification_time(W95, qnet.werner(0.9), rates, t1, 0.1)
        inf = qnet.optimal_purification_time(W95, qnet.werner(0.9), rates, t1, 0.1, fom=infidelity)
        np.testing.assert_array_equal(inf.t, fid.t)
        np.testing.assert_allclose(inf.value, 1.0 - fid.value, rtol=0, atol=1e-15)
        np.testing.assert_allclose(inf.gain, fid.gain, rtol=0, atol=1e-15)
        assert inf.fom == "infidelity" and inf.direction == "minimize"


def test_weighted_figure_equals_the_weighted_flag():
    fom = qnet.FigureOfMerit.named("log_negativity", weighted=True)
    a = qnet.optimal_purification_time(W95, W95, RATES, 0.01, 0.1, fom=fom)
    b = qnet.optimal_purification_time(W95, W95, RATES, 0.01, 0.1, fom="log_negativity", weighted=True)
    assert (a.t, a.value, a.weighted) == (b.t, b.value, True)


def test_custom_figure_without_density_matrix_form_refuses_density_matrices():
    fom = qnet.FigureOfMerit("f", lambda lam: lam[..., 0])
    with pytest.raises(ValueError, match="has no dm_function"):
        qnet.timeline_value(qnet.to_density_matrix(W95), W95, DEPOL, 0.01, 0.1, 0.05, fom=fom)


@pytest.mark.parametrize("args, match", [
    (("", lambda x: x), "name must be a non-empty string"),
    (("f", 3), "function must be callable"),
    (("f", lambda x: x, "up"), "unknown direction 'up'"),
    (("f", lambda x: x, "maximize", (1.0, 0.0)), "bounds must satisfy low < high"),
])
def test_figure_of_merit_validates(args, match):
    with pytest.raises((ValueError, TypeError), match=match):
        qnet.FigureOfMerit(*args)


def test_gain_of_a_generation_comparison_uses_a_custom_direction():
    infidelity = qnet.FigureOfMerit("infidelity", lambda lam: 1.0 - lam[..., 0], "minimize", (0.0, 1.0))
    fid = qnet.compare_generation_policies(W95, W95, DEPOL, 0.2, 0.01, 0.1)
    inf = qnet.compare_generation_policies(W95, W95, DEPOL, 0.2, 0.01, 0.1, fom=infidelity)
    # weighted infidelity counts a failure as 0 (a perfect score), so compare the delivered pairs only
    assert set(inf.expected_value) == set(fid.expected_value)
    assert inf.direction == "minimize"
    assert inf.best == min(inf.expected_value, key=inf.expected_value.get)


# ---------------------------------------------------------------- PurificationTimeline
def test_timeline_methods_equal_the_function_tier():
    t1, t2 = np.array([0.0, 0.01, 0.04]), 0.1
    tl = qnet.PurificationTimeline(W95, qnet.werner(0.9), RATES, t1, t2, protocol="dejmps",
                                   noise=qnet.OperationNoise(0.99, 0.01))
    kw = dict(protocol="dejmps", gate_fidelity=0.99, measurement_error=0.01)
    t = t1 + 0.3 * (t2 - t1)
    a, b = tl.state(t), qnet.purification_timeline(W95, qnet.werner(0.9), RATES, t1, t2, t, **kw)
    np.testing.assert_array_equal(a.state, b.state)
    np.testing.assert_array_equal(tl.value(t, "concurrence"),
                                  qnet.timeline_value(W95, qnet.werner(0.9), RATES, t1, t2, t, fom="concurrence", **kw))
    o1 = tl.optimal_time("fidelity", True)
    o2 = qnet.optimal_purification_time(W95, qnet.werner(0.9), RATES, t1, t2, fom="fidelity", weighted=True, **kw)
    np.testing.assert_array_equal(o1.t, o2.t)
    assert o1.problem == tl.identity == o2.problem


def test_timeline_border_equals_the_function():
    for ratio in (0.0, 0.5):
        tl = qnet.PurificationTimeline(W95, W95, qnet.pauli_rates(2.0, (0.3, 0.3, 0.4)), 0.01, 0.1)
        assert tl.border(ratio=ratio) == pytest.approx(
            qnet.optimal_time_border(0.95, 0.01, 0.1, ratio=ratio, gamma=2.0), abs=1e-12)


def test_timeline_policies_equal_the_function_and_the_monte_carlo():
    gen = qnet.LinkGeneration(p=0.3, tau=0.01, deadline=0.1)
    tl = qnet.PurificationTimeline(W95, W95, DEPOL, generation=gen)
    a = tl.compare_policies()
    b = qnet.compare_generation_policies(W95, W95, DEPOL, 0.3, 0.01, 0.1)
    assert a.expected_value == b.expected_value and a.problem == tl.identity
    mc = tl.simulate_policies(shots=40_000, seed=3)
    for name, value in a.expected_value.items():
        assert abs(mc[name]["mean"] - value) < 5 * mc[name]["stderr"]


def test_timeline_identity_is_the_content():
    a = qnet.PurificationTimeline(W95, W95, DEPOL, 0.01, 0.1)
    assert a.identity == qnet.PurificationTimeline(W95.copy(), W95, qnet.depolarizing_rates(1.0), 0.01, 0.1).identity
    assert a.identity != qnet.PurificationTimeline(W95, W95, DEPOL, 0.01, 0.2).identity
    assert a.identity != qnet.PurificationTimeline(W95, W95, DEPOL, 0.01, 0.1, protocol="dejmps").identity
    with pytest.raises(AttributeError, match="immutable"):
        a.protocol = "dejmps"


@pytest.mark.parametrize("kwargs, match", [
    ({"t1": 0.01}, "give both t1 and t2"),
    ({}, "give t1 and t2, or a generation model"),
    ({"generation": 3}, "generation must be a qnet.LinkGeneration"),
])
def test_timeline_construction_errors(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        qnet.PurificationTimeline(W95, W95, DEPOL, **kwargs)


def test_timeline_without_times_or_generation_says_what_is_missing():
    gen = qnet.PurificationTimeline(W95, W95, DEPOL, generation=qnet.LinkGeneration(0.2, 0.01, 0.1))
    with pytest.raises(ValueError, match="no fixed t1 and t2"):
        gen.optimal_time()
    fixed = qnet.PurificationTimeline(W95, W95, DEPOL, 0.01, 0.1)
    with pytest.raises(ValueError, match="no generation model"):
        fixed.compare_policies()
    with pytest.raises(ValueError, match="plain CNOT protocol with ideal operations"):
        qnet.PurificationTimeline(W95, W95, DEPOL, protocol="dejmps", generation=gen.generation).simulate_policies(10)


# ---------------------------------------------------------------- chains and networks: one function per question
def test_one_chain_function_serves_both_models():
    # Werner links, depolarizing memories, BBPSSW with twirl: the general model is the Werner model
    a = qnet.chain_delivery(("distill", "swap"), 0.4, 0.7, 0.96, 30.0, cutoff=(4, 8), t_trunc=1500)
    b = qnet.chain_delivery(("distill", "swap"), 0.4, 0.7, link_state=qnet.werner((1 + 3 * 0.96) / 4),
                            memory=qnet.werner_memory_rates(30.0), cutoff=(4, 8), t_trunc=1500, protocol="bbpssw",
                            twirl=True)
    np.testing.assert_allclose(a.pmf, b.pmf, rtol=0, atol=1e-14)


@pytest.mark.parametrize("kwargs, match", [
    ({"w0": 0.9, "t_coh": 10.0, "link_state": W95, "memory": DEPOL}, "not both"),
    ({}, "give either the Werner model"),
    ({"w0": 0.9}, "the Werner model needs t_coh"),
    ({"link_state": W95}, "the general model needs memory="),
    ({"w0": 0.9, "t_coh": 10.0, "protocol": "dejmps"}, "protocol belong"),
    ({"link_state": W95, "memory": DEPOL, "noise": qnet.OperationNoise(np.array([0.9, 0.8]))}, "single numbers"),
])
def test_chain_model_choice_is_explicit(kwargs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        qnet.chain_delivery(("distill",), 0.5, 1.0, **kwargs)


def test_network_nodes_carry_operation_noise():
    G = qnet.ring_network(5, 10.0, p_gen=0.3, w0=0.99, memory=(0.0, 0.0, 5.0),
                          noise=qnet.OperationNoise(0.99, 0.01))
    G.nodes[2]["noise"] = qnet.OperationNoise(0.97, 0.0)
    par = qnet.path_parameters(G, [1, 2, 3])
    assert par["noise"] == qnet.OperationNoise(0.97, 0.01)  # the worst node, parameter by parameter
    r = qnet.path_delivery(G, [1, 2, 3], ("distill", "swap"), t_trunc=3000, protocol="dejmps")
    direct = qnet.chain_delivery(("distill", "swap"), par["p_gen"], 1.0, link_state=par["link_state"],
                                 memory=par["memory"], t_trunc=3000, protocol="dejmps", noise=par["node_noise"])
    np.testing.assert_array_equal(r.pmf, direct.pmf)  # each distillation with its own two nodes' noise
    assert par["node_noise"] == [qnet.OperationNoise(0.99, 0.01), qnet.OperationNoise(0.97, 0.0),
                                 qnet.OperationNoise(0.99, 0.01)]
    worst = qnet.chain_delivery(("distill", "swap"), par["p_gen"], 1.0, link_state=par["link_state"],
                                memory=par["memory"], t_trunc=3000, protocol="dejmps", noise=par["noise"])
    assert r.mean_fidelity > worst.mean_fidelity + 1e-4  # the worst node's noise everywhere was too pessimistic
    ideal = qnet.chain_delivery(("distill", "swap"), par["p_gen"], 1.0, link_state=par["link_state"],
                                memory=par["memory"], t_trunc=3000, protocol="dejmps")
    assert r.mean_fidelity < ideal.mean_fidelity - 1e-3  # the noise is really applied


def test_results_carry_the_identity_of_their_problem():
    chain = qnet.RepeaterChain.werner(("swap", "swap"), 0.3, 0.6, 0.995, 60.0, cutoff=(5, 9))
    r = chain.delivery(800)
    assert r.problem == chain.identity and r.schedule.levels == ("swap", "swap")
    assert chain.with_cutoff((5, 10)).delivery(800).problem != r.problem
    best = chain.optimize_cutoff(t_trunc=800, bounds=(1, 40), maxiter=4)
    assert best.delivery.problem == chain.with_cutoff(best.cutoff).identity
    mc = chain.simulate(2000, seed=1)
    assert chain.identity in mc.problem
    with pytest.raises(ValueError):
        mc + chain.with_cutoff((5, 10)).simulate(2000, seed=2)


# ---------------------------------------------------------------- the network problem object
def test_network_problem_is_simulate_network_validated_once():
    """NetworkProblem(...).simulate gives simulate_network's numbers bit for bit; the problem keeps a frozen copy
    of the graph (changing the caller's graph changes nothing), and its identity is the simulations' problem."""
    G = qnet.ring_network(6, 10.0, p_gen=0.3, w0=0.98, memory=(0.0, 0.0, 5.0))
    kwargs = dict(purification=qnet.Purification.immediate(), cutoff=qnet.Cutoff.memory_time(2e-3))
    problem = qnet.NetworkProblem(G, [(0, 3), (1, 4)], **kwargs)
    ref = qnet.simulate_network(G, [(0, 3), (1, 4)], n_deliveries=300, seed=5, trajectories=2, **kwargs)
    G.edges[0, 1]["p_gen"] = 0.9  # the caller's graph changes afterwards
    got = problem.simulate(300, seed=5, trajectories=2)
    for a, b in zip(got.requests, ref.requests):
        np.testing.assert_array_equal(a.times, b.times)
        np.testing.assert_array_equal(a.states, b.states)
    assert got.problem == ref.problem == problem.identity
    assert qnet.NetworkProblem(qnet.ring_network(6, 10.0, p_gen=0.3, w0=0.98, memory=(0.0, 0.0, 5.0)),
                               [(0, 3), (1, 4)], **kwargs).identity == problem.identity
    with pytest.raises(nx.NetworkXError):
        problem.graph.add_edge(0, 3)
    with pytest.raises(ValueError, match="n_deliveries"):
        problem.simulate(0)


def test_network_problem_with_a_swap_policy():
    r = qnet.optimal_swap_policy(4, 0.9, 0.5, 3)
    G = qnet.chain_network([10.0] * 3, p_gen=0.9, fidelity=1.0, time_step=1e-4, n_memories=2)
    problem = qnet.NetworkProblem(G, [(0, 3)], swapping=qnet.Swapping.by_policy(r))
    a = problem.simulate(100, seed=3)
    b = qnet.simulate_network(G, [(0, 3)], n_deliveries=100, seed=3, swapping=qnet.Swapping.by_policy(r))
    np.testing.assert_array_equal(a.requests[0].times, b.requests[0].times)
    assert problem.paths == ((0, 1, 2, 3),) and a.problem == problem.identity
