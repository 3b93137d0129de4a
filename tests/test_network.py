"""Network graphs (qnet.networks): validation, builders, link models, path selection, serving pairs."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

import qnet
from qnet.errors import NetworkError


def _line(n=3, **edge):
    G = nx.path_graph(n)
    G.graph["time_step"] = 1e-4
    nx.set_node_attributes(G, qnet.PauliMemory.dephasing(1.0), "memory")
    attrs = dict(length=10.0, p_gen=0.2, w0=0.95)
    attrs.update(edge)
    for u, v in G.edges:
        G.edges[u, v].update(attrs)
    return G


# ---------------------------------------------------------------- validation (one test per case)
def test_valid_line():
    assert qnet.validate_network(_line(), [(0, 2)]) is not None


def test_directed_graph_rejected():
    with pytest.raises(NetworkError, match="undirected"):
        qnet.validate_network(nx.DiGraph(_line()))


def test_self_loop_rejected():
    G = _line()
    G.add_edge(1, 1, length=1.0, p_gen=0.5, w0=0.9)
    with pytest.raises(NetworkError, match="self-loop"):
        qnet.validate_network(G)


def test_missing_memory():
    G = _line()
    del G.nodes[1]["memory"]
    with pytest.raises(NetworkError, match="node 1 has no 'memory'"):
        qnet.validate_network(G)


def test_bad_memory_rates_shape():
    G = _line()
    G.nodes[0]["memory"] = [0.1, 0.2]
    with pytest.raises(NetworkError, match="shape"):
        qnet.validate_network(G)


def test_missing_length():
    G = _line()
    del G.edges[0, 1]["length"]
    with pytest.raises(NetworkError, match=r"edge \(0, 1\) has no 'length'"):
        qnet.validate_network(G)


def test_negative_length():
    G = _line()
    G.edges[1, 2]["length"] = -3.0
    with pytest.raises(NetworkError, match=r"length of edge \(1, 2\) must be >= 0"):
        qnet.validate_network(G)


def test_missing_link_model():
    G = _line()
    del G.edges[0, 1]["p_gen"]
    with pytest.raises(NetworkError, match="neither a 'link'"):
        qnet.validate_network(G)


def test_missing_link_state():
    G = _line()
    del G.edges[0, 1]["w0"]
    with pytest.raises(NetworkError, match="needs 'w0'"):
        qnet.validate_network(G)


def test_p_gen_out_of_range():
    with pytest.raises(NetworkError, match=r"p_gen of edge \(0, 1\) must lie in \(0.0, 1.0\]"):
        qnet.validate_network(_line(p_gen=0.0))


def test_bad_n_memories():
    G = _line()
    G.nodes[2]["n_memories"] = 0
    with pytest.raises(NetworkError, match="n_memories"):
        qnet.validate_network(G)


def test_bad_gate_fidelity():
    G = _line()
    G.nodes[2]["gate_fidelity"] = 1.3
    with pytest.raises(NetworkError, match="gate_fidelity"):
        qnet.validate_network(G)


def test_disconnected_endpoints():
    G = _line()
    G.add_node(9, memory=(0.0, 0.0, 0.1))
    with pytest.raises(NetworkError, match="not connected"):
        qnet.validate_network(G, [(0, 9)])


def test_unknown_endpoint():
    with pytest.raises(NetworkError, match="node 7 of pair"):
        qnet.validate_network(_line(), [(0, 7)])


def test_pair_same_node():
    with pytest.raises(NetworkError, match="same node"):
        qnet.validate_network(_line(), [(1, 1)])


def test_not_a_link_object():
    G = _line()
    G.edges[0, 1]["link"] = "fibre"
    with pytest.raises(NetworkError, match="heralding scheme"):
        qnet.validate_network(G)


def test_t1t2_memory_on_path():
    G = _line()
    G.nodes[1]["memory"] = qnet.T1T2Memory(1.0, 1.5)
    qnet.validate_network(G)  # a valid node ...
    with pytest.raises(NetworkError, match="T1T2Memory"):
        qnet.path_parameters(G, [0, 1, 2])  # ... that the Bell-diagonal chain model cannot use


def test_path_not_in_graph():
    with pytest.raises(NetworkError, match=r"\(0, 2\) is not an edge"):
        qnet.path_parameters(_line(), [0, 2])


def test_unknown_criterion():
    with pytest.raises(ValueError, match="criterion"):
        qnet.select_path(_line(), 0, 2, "cheapest")


# ---------------------------------------------------------------- builders and link models
def test_builders():
    G = qnet.grid_network(3, 4, 25.0)
    assert G.number_of_nodes() == 12 and G.number_of_edges() == 2 * 3 * 4 - 3 - 4
    R = qnet.ring_network(7, 5.0, p_gen=0.3)
    assert all(d["p_gen"] == 0.3 for _, _, d in R.edges(data=True)) and nx.is_connected(R)
    Q = qnet.random_geometric_network(40, 0.25, 200.0, seed=3)
    assert nx.is_connected(Q)
    for u, v, d in Q.edges(data=True):
        assert d["length"] == pytest.approx(np.hypot(*np.subtract(Q.nodes[u]["pos"], Q.nodes[v]["pos"])), rel=1e-12)


def test_link_model_edges_and_time_step():
    link = lambda L: qnet.MidpointSource(qnet.FibreChannel(L), source_fidelity=0.97)  # noqa: E731
    G = qnet.ring_network(6, 30.0, link=link, memory=qnet.PauliMemory(1.0, 2.0, 30.0))
    G.edges[1, 2]["link"] = link(50.0)
    G.edges[1, 2]["length"] = 50.0
    par = qnet.path_parameters(G, [0, 1, 2])
    l30, l50 = link(30.0), link(50.0)
    np.testing.assert_allclose(par["p_gen"], [l30.success_probability(), l50.success_probability()], rtol=1e-15)
    np.testing.assert_allclose(par["link_state"], [l30.state(), l50.state()], rtol=1e-15)
    assert par["time_step"] == l50.attempt_duration()  # synchronous steps: the slowest link sets the clock
    np.testing.assert_allclose(par["memory"], np.tile([1.0, 2.0, 30.0], (3, 1)) * par["time_step"], rtol=1e-15)


def test_path_delivery_matches_werner_chain():
    # Depolarizing memory of rate g per second and a step of 1 s: t_coh = 1 / (8 g) in the Werner model.
    g = 0.01
    G = _line(5, p_gen=0.3, w0=0.96)
    G.graph["time_step"] = 1.0
    nx.set_node_attributes(G, qnet.PauliMemory.depolarizing(3 * g), "memory")
    r = qnet.path_delivery(G, [0, 1, 2, 3, 4], cutoff=(6, 12), t_trunc=1500)
    w = qnet.chain_delivery(("swap", "swap"), 0.3, 1.0, 0.96, 1 / (8 * g), cutoff=(6, 12), t_trunc=1500)
    np.testing.assert_allclose(r.pmf, w.pmf, atol=1e-14)
    ok = w.pmf > 1e-8
    np.testing.assert_allclose(r.state[ok], w.state[ok], atol=1e-10)


# ---------------------------------------------------------------- path selection
def _weighted_ring():
    G = qnet.ring_network(8, 10.0, p_gen=0.3, w0=0.99, memory=(0.0, 0.0, 0.002))
    G.edges[0, 1]["w0"] = 0.7      # short way round has a poor link
    G.edges[0, 7]["p_gen"] = 0.05  # long way round has a slow link
    return G


def test_shortest_path_by_length():
    G = _weighted_ring()
    G.edges[1, 2]["length"] = 100.0
    assert qnet.select_path(G, 0, 3).path == (0, 7, 6, 5, 4, 3)


@pytest.mark.parametrize("criterion", ["fidelity", "rate"])
def test_best_path_is_best_of_all_simple_paths(criterion):
    G = _weighted_ring()
    best = qnet.select_path(G, 0, 3, criterion, t_trunc=3000)
    # brute force: every simple path, evaluated exactly
    scores = {}
    for p in nx.all_simple_paths(G, 0, 3):
        r = qnet.path_delivery(G, p, t_trunc=3000, tol=1e-3)
        scores[tuple(p)] = r.mean_fidelity if criterion == "fidelity" else 1 / r.mean_time
    assert best.path == max(scores, key=scores.get)
    assert len(scores) == 2 and best.path in scores


# ---------------------------------------------------------------- serving several pairs
def test_serve_pairs_mc_agrees_with_exact():
    G = qnet.grid_network(3, 3, 20.0, p_gen=0.25, w0=0.98, memory=(0.001, 0.001, 0.01), n_memories=6)
    G.graph["p_swap"] = 0.9
    out = qnet.serve_pairs(G, [((0, 0), (2, 2)), ((0, 2), (2, 0)), ((1, 0), (1, 2))], cutoff=8, n_samples=40_000,
                           seed=4, t_trunc=3000)
    widen = 4 / 1.959963984540054
    for s in out:
        lo, hi = s.mc.mean_time_ci
        assert abs(s.choice.delivery.mean_time - (lo + hi) / 2) <= (hi - lo) / 2 * widen
        lo, hi = s.mc.mean_fidelity_ci
        assert abs(s.choice.delivery.mean_fidelity - (lo + hi) / 2) <= (hi - lo) / 2 * widen
        assert s.mc_rate_hz == pytest.approx(s.rate_hz, rel=0.05)
    assert len({s.mc.seeds for s in out}) == 3


def test_serve_pairs_memory_capacity():
    G = qnet.ring_network(4, 10.0, n_memories=1)
    with pytest.raises(NetworkError, match="needs 2 memories"):
        qnet.serve_pairs(G, [(0, 2)], n_samples=100)


def test_pairs_on_random_geometric_graph():
    G = qnet.random_geometric_network(25, 0.35, 100.0, seed=2, p_gen=0.3, w0=0.99, memory=(0.0, 0.0, 0.01),
                                      n_memories=8)
    nodes = sorted(G.nodes)
    pairs = [(a, b) for a, b in itertools.combinations(nodes, 2) if nx.shortest_path_length(G, a, b) in (2, 3)][:2]
    out = qnet.serve_pairs(G, pairs, n_samples=5000, seed=1, t_trunc=2000)
    for s in out:
        assert s.choice.path[0] == s.pair[0] and s.choice.path[-1] == s.pair[1]
        assert s.mc.n == 5000


def test_no_evaluable_path():
    G = _line(3, p_gen=0.001)
    with pytest.raises(NetworkError, match="no candidate path"):
        qnet.select_path(G, 0, 2, "rate", t_trunc=50)


def test_serve_pairs_bad_n_samples():
    with pytest.raises(ValueError, match="n_samples"):
        qnet.serve_pairs(_line(), [(0, 2)], n_samples=1)


def test_paths_that_do_not_fit_the_protocol_are_skipped():
    # On an 8-ring, 0 -> 3 has a 3-segment path (one way) and a 5-segment path (the other); an explicit
    # two-level protocol fits 3 segments (asymmetric nesting) but not 5, which must be skipped, not raised.
    G = _weighted_ring()
    choice = qnet.select_path(G, 0, 3, "fidelity", schedule=("swap", "swap"), t_trunc=3000)
    assert choice.path == (0, 1, 2, 3)


# ---------------------------------------------------------------- item 14 of the review: networks
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


# ---------------------------------------------------------------- items 11-13 of the review: builders and paths
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
