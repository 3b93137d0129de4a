"""The event-driven network simulator against independent paths: the exact chain model, closed forms, the timing
module, a Markov chain solved here, and itself under any number of workers.

Tolerances: Monte Carlo quantities within 5 standard errors of the exact value, distributions by a chi-square
test at p > 1e-4 (the seeds are fixed, so a pass is reproducible); deterministic quantities to 1e-12.
"""

from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import json
import math

import networkx as nx
import numpy as np
import pytest
from scipy import stats

import qnet
from qnet.errors import NetworkError

FIBRE = 2.0e5  # km/s


def line(n_segments, *, p=0.3, w0=0.97, memory=(0.001, 0.002, 0.01), n_memories=8, p_swap=1.0, length=10.0,
         time_step=1.0):
    """A chain of plain p_gen links; one attempt per ``time_step`` seconds (1 s: integer event times, exact)."""
    G = nx.path_graph(n_segments + 1)
    nx.set_node_attributes(G, memory, "memory")
    nx.set_node_attributes(G, n_memories, "n_memories")
    for u, v in G.edges:
        G.edges[u, v].update(length=length, p_gen=p, w0=w0)
    G.graph.update(time_step=time_step, p_swap=p_swap)
    return G


def chi2_pvalue(times, pmf):
    """Chi-square p-value of integer delivery times against an exact pmf (bins merged to >= 5 expected)."""
    counts = np.bincount(times, minlength=pmf.size)[: pmf.size]
    assert counts.sum() == times.size, "a delivery time beyond the exact window"
    obs, exp, o, e = [], [], 0, 0.0
    for c, q in zip(counts, pmf * times.size):
        o, e = o + c, e + q
        if e >= 5:
            obs.append(o)
            exp.append(e)
            o, e = 0, 0.0
    obs[-1] += o
    exp[-1] += e
    exp = np.array(exp) * sum(obs) / sum(exp)
    return stats.chisquare(obs, exp).pvalue


NAMED = qnet.Schedule(["d0:cnot", "d1", "s0", "s1", "s2"], n_nodes=5)
CASES = {
    "swap-only": ({}, {}, ("swap", "swap"), None),
    "p_swap": ({"p_swap": 0.7}, {}, ("swap", "swap"), None),
    "memory cut-off": ({}, {"cutoff": qnet.Cutoff.memory_time(5.0)}, ("swap", "swap"), (5, "memory_time")),
    "run-time cut-off": ({"p_swap": 0.8}, {"cutoff": qnet.Cutoff.run_time(12.0)}, ("swap", "swap"),
                         (12, "run_time")),
    # one named variant in both engines: "auto" chooses per operation in the simulator, per chain in the exact engine
    "distillation": ({}, {"purification": qnet.Purification.immediate(1, "dejmps")}, ("distill", "swap", "swap"),
                     None),
    "schedule": ({"p_swap": 0.9}, {"swapping": qnet.Swapping.by_schedule(qnet.Schedule(["s0", "s1", "d3", "s2"],
                                                                                       n_nodes=5)),
                                   "purification": qnet.Purification(protocol="dejmps")},
                 qnet.Schedule(["s0", "s1", "d3", "s2"], n_nodes=5), None),
    # a circuit named per distillation: d0 runs the plain CNOT, d1 the policy's DEJMPS, in both engines
    "named circuits": ({"p_swap": 0.9}, {"swapping": qnet.Swapping.by_schedule(NAMED),
                                         "purification": qnet.Purification(protocol="dejmps")}, NAMED, None),
    # a circuit of three pairs (double selection) on every link, then swaps: three copies of each link at once
    "double selection": ({}, {"schedule": ("double_selection", "swap", "swap")}, ("double_selection", "swap", "swap"),
                         None),
    "double selection, memory cut-off": ({"p_swap": 0.9}, {"schedule": ("double_selection", "swap", "swap"),
                                                           "cutoff": qnet.Cutoff.memory_time(5.0)},
                                         ("double_selection", "swap", "swap"), (5, "memory_time")),
}


@pytest.mark.parametrize("case", CASES)
def test_no_delay_matches_the_exact_chain(case):
    """(a) No classical delay, enough memories, one request: delivery-time distribution (chi-square) and mean
    fidelity equal the exact path_delivery."""
    graph_kw, sim_kw, schedule, cut = CASES[case]
    G = line(4, **graph_kw)
    res = qnet.simulate_network(G, [(0, 4)], n_deliveries=20_000, seed=3, classical_delay=False, **sim_kw)
    r = res.requests[0]
    T = np.rint(r.times).astype(np.int64)
    np.testing.assert_array_equal(r.times, T)  # attempts of 1 s: event times are exact integers
    ex = qnet.path_delivery(G, [0, 1, 2, 3, 4], schedule=schedule, cutoff=None if cut is None else cut[0],
                            cut_type="memory_time" if cut is None else cut[1], t_trunc=4000, protocol="dejmps")
    assert chi2_pvalue(T, ex.pmf) > 1e-4
    se_t = r.times.std(ddof=1) / math.sqrt(r.n)
    se_f = r.fidelities.std(ddof=1) / math.sqrt(r.n)
    assert abs(r.mean_time - ex.mean_time) < 5 * se_t
    assert abs(r.mean_fidelity - ex.mean_fidelity) < 5 * se_f
    assert r.path == (0, 1, 2, 3, 4)


def pauli_idle(lam, rates, t):
    """Both qubits of a Bell-diagonal pair through the Pauli channel of ``rates`` for ``t`` (physics.md §2),
    written out with the error probabilities and the XOR convolution."""
    gx, gy, gz = rates
    ex, ey, ez = math.exp(-2 * (gy + gz) * t), math.exp(-2 * (gx + gz) * t), math.exp(-2 * (gx + gy) * t)
    q = np.array([1 + ex + ey + ez, 1 - ex - ey + ez, 1 + ex - ey - ez, 1 - ex + ey - ez]) / 4  # [I, Z, X, Y]
    for _ in range(2):
        lam = np.array([sum(lam[j] * q[j ^ k] for j in range(4)) for k in range(4)])
    return lam


def test_single_link_with_heralding_delay_has_closed_forms():
    """(b) One link, herald after one attempt duration: mean delivery time tau/p, and every pair is the link
    state after tau of decoherence at both ends (the qubits wait for their herald)."""
    rates = (20.0, 50.0, 400.0)
    G = line(1, p=0.2, w0=0.9, memory=rates, time_step=1e-4)
    res = qnet.simulate_network(G, [(0, 1)], n_deliveries=40_000, seed=5)
    r = res.requests[0]
    expected = pauli_idle(qnet.werner((1 + 3 * 0.9) / 4), rates, 1e-4)
    # event times are absolute float64 seconds, so an age t - (t - tau) carries one ulp of t (4e-16 s at 2 s,
    # the end of this run): times rate ~ 1e-13 in the state
    np.testing.assert_allclose(r.states[:100], np.broadcast_to(expected, (100, 4)), rtol=0, atol=1e-14)
    np.testing.assert_allclose(r.states, np.broadcast_to(expected, r.states.shape), rtol=0, atol=1e-12)
    assert abs(r.mean_time - 1e-4 / 0.2) < 5 * r.times.std(ddof=1) / math.sqrt(r.n)
    # geometric number of attempts, exactly
    k = np.rint(r.times / 1e-4).astype(np.int64)
    np.testing.assert_allclose(r.times, k * 1e-4, rtol=0, atol=1e-14)  # differences of absolute times (ulps)
    pmf = np.zeros(200)
    pmf[1:] = 0.2 * 0.8 ** np.arange(199)
    assert chi2_pvalue(k, pmf) > 1e-4
    # without the delay the pair is fresh
    fresh = qnet.simulate_network(G, [(0, 1)], n_deliveries=100, seed=5, classical_delay=False).requests[0]
    np.testing.assert_allclose(fresh.states, np.broadcast_to(qnet.werner((1 + 3 * 0.9) / 4), (100, 4)), atol=1e-15)


def test_purification_with_a_round_trip_is_the_timing_module_at_shifted_times():
    """(c) One distillation over a 30 km link: every kept pair is PurificationTimeline's state with link 1
    emitted at 0, link 2 emitted t1 = |k1 - k2| tau later, the EPP when the later herald arrives and the
    consumption one fibre delay later (the outcome exchange); the t1 frequencies are those of two geometric
    attempt counts."""
    rates = (30.0, 10.0, 200.0)
    tau, length, p = 2e-4, 30.0, 0.4
    G = line(1, p=p, w0=0.93, memory=rates, time_step=tau, length=length, n_memories=2)
    res = qnet.simulate_network(G, [(0, 1)], n_deliveries=20_000, seed=11,
                                purification=qnet.Purification.immediate(1, "dejmps"))
    r = res.requests[0]
    d = length / FIBRE
    link = qnet.werner((1 + 3 * 0.93) / 4)
    deltas = np.arange(40)
    tl = qnet.PurificationTimeline(link, link, np.array(rates), deltas * tau, (deltas + 1) * tau + d,
                                   protocol="dejmps")
    kept = tl.state((deltas + 1) * tau)
    table = kept.state  # (40, 4)
    dist = np.abs(r.states[:, None, :] - table[None, :, :]).max(axis=2)
    which = dist.argmin(axis=1)
    assert dist.min(axis=1).max() < 1e-12
    # |k1 - k2| of two independent Geometric(p): P(0) = p / (2 - p), P(D) = 2 p (1-p)^D / (2 - p); a failed
    # round restarts both links, so a kept pair's t1 is drawn with weight P(D) p_success(D)
    pmf = np.where(deltas == 0, p / (2 - p), 2 * p * (1 - p) ** deltas / (2 - p)) * kept.p_success
    assert chi2_pvalue(which, pmf / pmf.sum()) > 1e-4


def markov_throughput(p1, p2, p_swap, c):
    """Deliveries per step of A-B-C with one slot per link end, swap at B, memory cut-off ``c`` steps (both links
    restart when one has waited c steps in vain), solved as a Markov chain on (which link waits, its age)."""
    states = ["idle"] + [("AB", a) for a in range(c)] + [("BC", a) for a in range(c)]
    index = {s: i for i, s in enumerate(states)}
    P = np.zeros((len(states), len(states)))
    deliver = np.zeros(len(states))
    i0 = index["idle"]
    P[i0, i0] += (1 - p1) * (1 - p2) + p1 * p2  # nothing, or both: swap, then both restart
    deliver[i0] = p1 * p2 * p_swap
    P[i0, index[("AB", 0)]] += p1 * (1 - p2)
    P[i0, index[("BC", 0)]] += p2 * (1 - p1)
    for link, q in (("AB", p2), ("BC", p1)):  # q: the other link's success probability per step
        for a in range(c):
            i = index[(link, a)]
            deliver[i] = q * p_swap
            P[i, i0] += q  # the other arrives at age a + 1 <= c: swap
            # no arrival: one step older, or at age c the cut-off restarts both
            P[i, index[(link, a + 1)] if a + 1 < c else i0] += 1 - q
    w, v = np.linalg.eig(P.T)
    pi = np.real(v[:, np.argmin(np.abs(w - 1))])
    pi /= pi.sum()
    return float(pi @ deliver)


@pytest.mark.parametrize("p1, p2, p_swap, c", [(0.3, 0.2, 0.8, 4), (0.1, 0.5, 1.0, 2), (0.25, 0.25, 0.6, 7)])
def test_contention_three_node_chain_matches_a_markov_chain(p1, p2, p_swap, c):
    """(d) A-B-C, one memory slot per link end (B's two split between its neighbours): a link cannot retry while
    its pair waits, so the throughput is the Markov chain's."""
    G = line(2, n_memories=1, p_swap=p_swap)
    G.nodes[1]["n_memories"] = 2
    G.edges[0, 1]["p_gen"], G.edges[1, 2]["p_gen"] = p1, p2
    res = qnet.simulate_network(G, [(0, 2)], n_deliveries=30_000, seed=2, classical_delay=False,
                                allocation="per_neighbour", cutoff=qnet.Cutoff.memory_time(float(c)))
    r = res.requests[0]
    rate = markov_throughput(p1, p2, p_swap, c)
    se = r.times.std(ddof=1) / math.sqrt(r.n)
    assert abs(r.mean_time - 1 / rate) < 5 * se
    assert r.throughput_hz == pytest.approx(r.n / r.times.sum(), rel=1e-12)  # one instance: back-to-back cycles
    # every slot of A is busy except between a discard/delivery and the next attempt (none: they restart at once)
    assert res.utilisation[0] == pytest.approx(1.0, abs=1e-12)


def test_two_requests_share_one_slot_in_the_requested_order():
    """Requests A-B and B-C compete for B's only slot: FIFO and round-robin alternate (throughput
    1 / (tau/p1 + tau/p2) each); priority serves request 0 to the end first."""
    G = line(2, n_memories=1)
    G.edges[0, 1]["p_gen"], G.edges[1, 2]["p_gen"] = 0.5, 0.2
    for order in (qnet.RequestOrder.fifo(), qnet.RequestOrder.round_robin()):
        res = qnet.simulate_network(G, [(0, 1), (1, 2)], n_deliveries=5000, seed=4, classical_delay=False, order=order)
        a, b = res.requests
        # strict alternation: request 1's k-th delivery lies between request 0's k-th and (k+1)-th
        assert np.all(a.completed_at < b.completed_at)
        assert np.all(b.completed_at[:-1] < a.completed_at[1:])
        cycle = b.completed_at[-1] / b.n
        assert abs(cycle - (1 / 0.5 + 1 / 0.2)) < 5 * math.sqrt((1 - 0.5) / 0.25 + (1 - 0.2) / 0.04) / math.sqrt(b.n)
    res = qnet.simulate_network(G, [qnet.Request(0, 1, priority=1), qnet.Request(1, 2, priority=0)],
                                n_deliveries=300, seed=4, classical_delay=False, order=qnet.RequestOrder.priority())
    a, b = res.requests
    assert b.completed_at[-1] < a.completed_at[0] or b.completed_at[-1] < a.completed_at[1]  # one may be in flight


@pytest.mark.parametrize("make", [None, lambda: ThreadPoolExecutor(2), lambda: ProcessPoolExecutor(2)])
def test_same_seed_same_numbers_any_worker_count(make):
    """(e) Trajectories are seeded from the seed alone and merged in order."""
    G = qnet.ring_network(6, 15.0, p_gen=0.3, w0=0.97, memory=(1.0, 1.0, 30.0), n_memories=3)
    kw = dict(n_deliveries=3000, seed=9, trajectories=4, cutoff=qnet.Cutoff.memory_time(2e-3))
    ref = qnet.simulate_network(G, [(0, 3), (1, 4), (5, 2)], **kw)
    if make is None:
        again = qnet.simulate_network(G, [(0, 3), (1, 4), (5, 2)], **kw)
    else:
        with make() as ex:
            again = qnet.simulate_network(G, [(0, 3), (1, 4), (5, 2)], executor=ex, **kw)
    for x, y in zip(ref.requests, again.requests):
        np.testing.assert_array_equal(x.times, y.times)
        np.testing.assert_array_equal(x.states, y.states)
    assert (ref.events, ref.problem, ref.seeds) == (again.events, again.problem, again.seeds)
    other = qnet.simulate_network(G, [(0, 3), (1, 4), (5, 2)], **{**kw, "seed": 10})
    assert not np.array_equal(other.requests[0].times, ref.requests[0].times)
    assert other.problem == ref.problem


def test_classical_delay_costs_time_and_fidelity():
    """With the same attempts (same seed, same draws), waiting for messages only delays deliveries and lets the
    memories decohere: every delivery is later and worse than without delays, pair by pair."""
    G = line(4, p=0.3, memory=(0.0, 0.0, 0.05), length=50.0, time_step=1e-3)
    on = qnet.simulate_network(G, [(0, 4)], n_deliveries=2000, seed=1).requests[0]
    off = qnet.simulate_network(G, [(0, 4)], n_deliveries=2000, seed=1, classical_delay=False).requests[0]
    assert np.all(on.times > off.times)
    assert np.all(on.fidelities < off.fidelities)
    # (one instance: each cycle draws its four attempt counts at its start, then three swap outcomes, in both
    # runs). The last swap's news travels at least half the chain, 100 km, from the middle node
    assert np.all(on.times - off.times >= 100.0 / FIBRE - 1e-12)


def test_threshold_purification_keeps_the_better_pair():
    """Below the threshold no distillation happens: every delivered pair is a single link (no success
    probability, no failed operations)."""
    G = line(1, p=0.5, w0=0.7, memory=(0.0, 0.0, 0.0), n_memories=2)
    res = qnet.simulate_network(G, [(0, 1)], n_deliveries=500, seed=0, classical_delay=False,
                                purification=qnet.Purification.above_threshold(0.9))
    r = res.requests[0]
    np.testing.assert_allclose(r.states, np.broadcast_to(qnet.werner((1 + 3 * 0.7) / 4), r.states.shape), atol=1e-15)
    assert r.failed_operations == 0
    above = qnet.simulate_network(G, [(0, 1)], n_deliveries=500, seed=0, classical_delay=False,
                                  purification=qnet.Purification.above_threshold(0.7)).requests[0]
    assert above.mean_fidelity > r.mean_fidelity


def test_results_export():
    G = qnet.ring_network(5, 10.0, p_gen=0.4, w0=0.95)
    res = qnet.simulate_network(G, [(0, 2), (3, 1)], n_deliveries=50, seed=2)
    data = json.loads(json.dumps(res.to_dict()))
    assert len(data["requests"][1]["times"]) == 50
    assert len(repr(res)) < 2000
    r = res.requests[0]
    lo, hi = r.mean_fidelity_ci
    assert lo <= r.mean_fidelity <= hi
    assert np.all(np.diff(r.latency_percentiles([10, 50, 90])) >= 0)
    assert set(res.utilisation) == set(G.nodes)


# ---------------------------------------------------------------- bad input, before any event runs
def bad(G, requests, match, **kw):
    with pytest.raises((NetworkError, ValueError, TypeError), match=match):
        qnet.simulate_network(G, requests, n_deliveries=10, **kw)


def test_bad_graphs_and_requests():
    G = line(3)
    del G.edges[1, 2]["length"]
    bad(G, [(0, 3)], "edge \\(1, 2\\) has no 'length'")
    G = line(3)
    del G.nodes[2]["memory"]
    bad(G, [(0, 3)], "node 2 has no 'memory'")
    G = line(3)
    bad(G, [(0, 7)], "node 7 .* is not in the network")
    G.add_node(9, memory=(0, 0, 0))
    bad(G, [(0, 9)], "not connected")
    bad(G, [], "non-empty list")
    bad(G, [(0, 1, 2)], "requests\\[0\\]")
    bad(line(3), [qnet.Request(0, 3, path=(0, 2, 3))], "\\(0, 2\\) is not an edge")
    bad(line(3), [qnet.Request(0, 3, path=(0, 1, 2))], "does not join 0 and 3")


def test_bad_memories_and_times():
    G = line(3, n_memories=0)
    bad(G, [(0, 3)], "n_memories must be an integer in \\[1, MAX_MEMORIES")
    G = line(3, n_memories=1)
    bad(G, [(0, 3)], "node 1 has n_memories=1 but requests\\[0\\] holds up to 2")
    G = line(3, n_memories=2)
    bad(G, [(0, 3)], "needs 2 per neighbour", allocation="per_neighbour",
        purification=qnet.Purification.immediate(1))
    G = line(3)
    G.nodes[1]["swap_time"] = -1e-6
    bad(G, [(0, 3)], "swap_time of node 1")
    G = line(3)
    G.nodes[1]["memory"] = qnet.T1T2Memory(1.0, 1.0)
    bad(G, [(0, 3)], "form='bds' but a node on the requests' paths has a T1T2Memory", form="bds")


def test_bad_policies():
    G = line(3)
    with pytest.raises(ValueError, match="n_deliveries"):
        qnet.simulate_network(G, [(0, 3)], n_deliveries=0)
    bad(G, [(0, 3)], "classical_delay must be True or False", classical_delay="yes")
    bad(G, [(0, 3)], "cutoff must be a qnet.Cutoff", cutoff=5.0)
    bad(G, [(0, 3)], "allocation", allocation="private")
    bad(G, [(0, 3)], "the schedule spans 4 segments but the path \\[0, 1, 2, 3\\] has 3",
        swapping=qnet.Swapping.by_schedule(qnet.Schedule(["s0", "s1", "s2"], n_nodes=5)))
    with pytest.raises(ValueError, match="seconds"):
        qnet.Cutoff.memory_time(-1.0)
    with pytest.raises(ValueError, match="protocol"):
        qnet.Purification.immediate(1, "magic")
    with pytest.raises(ValueError, match="min_fidelity must be in \\(0.25, 1\\]"):
        qnet.Purification.above_threshold(0.2)
    with pytest.raises(ValueError, match="name"):
        qnet.RequestOrder("lifo")
    with pytest.raises(ValueError, match="in_flight"):
        qnet.Request(0, 1, in_flight=0)
    bad(G, [(0, 3)], "executor must be", executor=object())


def test_a_deadlock_is_reported_not_hung():
    """Two requests 0-2 through node 1 (two slots) taking turns: the first link of one and the second link of
    the other take node 1's slots, and each waits forever for its other link; the simulator says so."""
    G = line(2, n_memories=2)
    with pytest.raises(NetworkError, match="stalled at t = [0-9.]+ s: every memory a waiting link needs is held"):
        qnet.simulate_network(G, [(0, 2), (0, 2)], n_deliveries=10, order=qnet.RequestOrder.round_robin())
    # a cut-off frees them
    res = qnet.simulate_network(G, [(0, 2), (0, 2)], n_deliveries=10, order=qnet.RequestOrder.round_robin(),
                                cutoff=qnet.Cutoff.memory_time(3.0))
    assert all(r.n == 10 and r.discarded > 0 for r in res.requests)


def test_deferred_distillation_waits_until_needed():
    """Without memory noise and delays, deferring a link distillation changes nothing but its moment: the
    delivered fidelity is the immediate policy's; with dephasing memories the deferred pairs are older when
    distilled, so they fail more often (more failed operations) and the deliveries come later."""
    G = line(4, p=0.3, memory=(0.0, 0.0, 0.0))
    kw = dict(n_deliveries=20_000, seed=6, classical_delay=False)
    now = qnet.simulate_network(G, [(0, 4)], purification=qnet.Purification.immediate(), **kw).requests[0]
    late = qnet.simulate_network(G, [(0, 4)], purification=qnet.Purification.deferred(), **kw).requests[0]
    np.testing.assert_allclose(late.fidelities.max(), now.fidelities.max(), rtol=1e-12)
    assert abs(late.mean_fidelity - now.mean_fidelity) <= 5 * math.hypot(*(r.fidelities.std() / math.sqrt(r.n)
                                                                          for r in (now, late)))
    G = line(4, p=0.3, memory=(0.0, 0.0, 30.0), time_step=1e-3)
    now = qnet.simulate_network(G, [(0, 4)], purification=qnet.Purification.immediate(), **kw).requests[0]
    late = qnet.simulate_network(G, [(0, 4)], purification=qnet.Purification.deferred(), **kw).requests[0]
    assert late.failed_operations / late.n > now.failed_operations / now.n
    assert late.mean_time > now.mean_time


def test_optimal_timing_follows_the_timing_module():
    """The optimal-time policy defers a link's distillation exactly when PurificationTimeline.optimal_time
    (fidelity times success probability) puts the EPP at the end."""
    tau, p = 1e-3, 0.3
    gap = tau * 2 * (1 - p) / (p * (2 - p))
    seen = set()
    for w0, memory, protocol in ((0.95, (0.0, 0.0, 30.0), "auto"), (0.8, (0.0, 300.0, 0.0), "dejmps")):
        G = line(2, p=p, w0=w0, memory=memory, time_step=tau)
        res = qnet.simulate_network(G, [(0, 2)], n_deliveries=50, seed=0,
                                    purification=qnet.Purification.optimal_time(protocol=protocol))
        link = qnet.werner((1 + 3 * w0) / 4)
        if protocol == "auto":  # the variant "auto" runs on two fresh links
            protocol = qnet.choose_protocol(link, link)
        where = qnet.PurificationTimeline(link, link, np.array(memory), gap, gap + tau / p,
                                          protocol=protocol).optimal_time(weighted=True).location
        assert res.deferred_links == (((0, 1), (1, 2)) if where == "end" else ())
        seen.add(where)
    assert seen == {"start", "end"}  # both choices exercised


def test_pumping_reaches_its_target_with_the_purify_fidelities():
    """No memory noise, no delay, fresh identical links: every delivered pair is the k-fold pumped state of
    qnet.purify (kept pair pumped with fresh links), k the first level at or above the target or the limit."""
    w0, target, limit = 0.8, 0.93, 5
    G = line(1, p=0.4, w0=w0, memory=(0.0, 0.0, 0.0), n_memories=2)
    res = qnet.simulate_network(G, [(0, 1)], n_deliveries=2000, seed=3, classical_delay=False,
                                purification=qnet.Purification.pumping(target, max_pumps=limit))
    link = qnet.werner((1 + 3 * w0) / 4)
    pumped, levels = link, []
    for _ in range(limit):
        pumped = qnet.purify(pumped, link, "dejmps").state
        levels.append(pumped)
        if pumped[0] >= target:
            break
    assert 1 < len(levels) < limit  # the target is reached after a few pumps, before the limit
    r = res.requests[0]
    np.testing.assert_allclose(r.states, np.broadcast_to(levels[-1], r.states.shape), atol=1e-12)
    short = qnet.simulate_network(G, [(0, 1)], n_deliveries=200, seed=3, classical_delay=False,
                                  purification=qnet.Purification.pumping(0.999, max_pumps=2)).requests[0]
    np.testing.assert_allclose(short.states, np.broadcast_to(levels[1], short.states.shape), atol=1e-12)
    with pytest.raises(ValueError, match="target must be a fidelity in \\(0.5, 1\\)"):
        qnet.Purification.pumping(0.4)
    with pytest.raises(ValueError, match="pumping to a target .* takes rounds=1"):
        qnet.Purification(rounds=2, target=0.9)


def test_a_livelock_is_reported_in_seconds():
    """Three crossing requests with deferred distillations and too few memories: cut-offs discard nearly every
    attempt. The default event budget (EVENTS_PER_DELIVERY per pair) stops it with a clear error."""
    link = lambda km: qnet.SingleClick(qnet.FibreChannel(km), bright_state=0.1, detector_efficiency=0.8)  # noqa: E731
    G = qnet.grid_network(4, 4, 12.0, memory=(0.0, 0.0, 25.0), n_memories=4, link=link)
    requests = [((0, 0), (3, 3)), ((0, 3), (3, 0)), ((1, 0), (1, 3))]
    with pytest.raises(NetworkError, match="needed more than max_events = 10000000 events"):
        qnet.simulate_network(G, requests, n_deliveries=300, seed=1, purification=qnet.Purification.deferred(),
                              cutoff=qnet.Cutoff.memory_time(0.02))


@pytest.mark.parametrize("channel, speed", [(qnet.FreeSpaceChannel(length_km=30.0, loss_db=0.0), 299_792.458),
                                            (qnet.FibreChannel(30.0, attenuation_db_per_km=0.0), FIBRE)])
def test_link_schemes_and_signal_speed_give_the_closed_form(channel, speed):
    """Two lossless 30 km midpoint-source links (success probability 1) and a swap at the middle node: every
    delivery takes one attempt (the scheme's attempt_duration) plus the swap outcome's travel to the far end at
    the channel's speed, and every pair is the scheme's state idled for the attempt on both links, swapped, then
    idled while the outcome travels."""
    rates = (5.0, 10.0, 300.0)
    link = qnet.MidpointSource(channel)
    assert link.success_probability() == 1.0
    G = nx.path_graph(3)
    nx.set_node_attributes(G, rates, "memory")
    for u, v in G.edges:
        G.edges[u, v].update(length=30.0, link=link)
    r = qnet.simulate_network(G, [(0, 2)], n_deliveries=50, seed=0).requests[0]
    tau, travel = link.attempt_duration(), 30.0 / speed
    np.testing.assert_allclose(r.times, tau + travel, rtol=1e-12)
    pair = pauli_idle(np.asarray(link.state(), float), rates, tau)
    swapped = np.array([sum(pair[j] * pair[j ^ k] for j in range(4)) for k in range(4)])
    expected = pauli_idle(swapped, rates, travel)
    np.testing.assert_allclose(r.states, np.broadcast_to(expected, r.states.shape), rtol=0, atol=1e-13)


def test_each_operation_uses_the_noise_of_its_own_nodes():
    """The event simulator distilled every link with the worst node's noise on the whole path, and swapped ideally.
    Deterministic links (p_gen = 1), no memory decay, p_swap = 1 and three nodes of different gate and measurement
    noise: every delivered pair is swap(purify(link, link, noise of 0, noise_b of 1), purify(link, link, noise of 1,
    noise_b of 2), noise of 1) to 1e-12, and neither the worst-node composition nor the one with an ideal swap."""
    G = qnet.chain_network([5.0, 5.0], p_gen=1.0, fidelity=0.9, n_memories=4)
    noise = [qnet.OperationNoise(0.99, 0.01), qnet.OperationNoise(0.9, 0.0), qnet.OperationNoise(0.995, 0.04)]
    for n, z in enumerate(noise):
        G.nodes[n]["noise"] = z
    res = qnet.simulate_network(G, [(0, 2)], n_deliveries=20, seed=3, classical_delay=False,
                                purification=qnet.Purification(rounds=1, protocol="cnot"))
    lam = qnet.werner(0.9)
    left, _ = qnet.purify(lam, lam, "cnot", noise=noise[0], noise_b=noise[1])
    right, _ = qnet.purify(lam, lam, "cnot", noise=noise[1], noise_b=noise[2])
    expected = qnet.swap(left, right, noise=noise[1]).state
    worst = qnet.OperationNoise(0.9, 0.04)
    old = qnet.swap(*(qnet.purify(lam, lam, "cnot", noise=worst)[0] for _ in range(2))).state
    states = res.requests[0].states
    assert len(states) == 20
    np.testing.assert_allclose(states, np.broadcast_to(expected, states.shape), rtol=0, atol=1e-12)
    assert np.abs(expected - old).max() > 1e-3  # the rules differ here: the test has teeth
    assert np.abs(expected - qnet.swap(left, right).state).max() > 1e-2


def test_heterogeneous_node_noise_the_event_simulator_equals_the_exact_engine():
    """Nodes of different gate and measurement noise, links distilled once then swapped, no classical delay: the
    event simulator's delivery-time distribution (chi-square) and mean fidelity equal the exact path_delivery, both
    distilling each pair with its two nodes' own noise; the Monte Carlo of the same chain agrees as well. With the
    worst node's noise everywhere (the old rule) the exact fidelity is more than 10 standard errors lower."""
    G = line(4)
    noise = [qnet.OperationNoise(0.99, 0.01), qnet.OperationNoise(0.93, 0.0), qnet.OperationNoise(1.0, 0.03),
             qnet.OperationNoise(0.97, 0.0), qnet.OperationNoise(0.995, 0.005)]
    for n, z in enumerate(noise):
        G.nodes[n]["noise"] = z
    res = qnet.simulate_network(G, [(0, 4)], n_deliveries=20_000, seed=5, classical_delay=False,
                                purification=qnet.Purification.immediate(1, "dejmps"))
    r = res.requests[0]
    T = np.rint(r.times).astype(np.int64)
    ex = qnet.path_delivery(G, [0, 1, 2, 3, 4], schedule=("distill", "swap", "swap"), t_trunc=4000, protocol="dejmps")
    assert chi2_pvalue(T, ex.pmf) > 1e-4
    se_f = r.fidelities.std(ddof=1) / math.sqrt(r.n)
    assert abs(r.mean_fidelity - ex.mean_fidelity) < 5 * se_f
    par = qnet.path_parameters(G, [0, 1, 2, 3, 4])
    chain = qnet.RepeaterChain(("distill", "swap", "swap"), par["p_gen"], 1.0, par["link_state"], par["memory"],
                               protocol="dejmps", noise=par["node_noise"])
    mc = chain.simulate(20_000, seed=2)
    assert abs(mc.mean_fidelity - ex.mean_fidelity) < 5 * mc.states[:, 0].std(ddof=1) / math.sqrt(mc.n)
    worst = qnet.RepeaterChain(("distill", "swap", "swap"), par["p_gen"], 1.0, par["link_state"], par["memory"],
                               protocol="dejmps", noise=par["noise"]).delivery(4000)
    assert ex.mean_fidelity - worst.mean_fidelity > 10 * se_f


def test_circuit_of_three_pairs_fidelity_cut_off_is_the_memory_time_of_its_crossing():
    """Fresh links of one fidelity decaying alike cross a fidelity threshold at one age: with a double selection of
    three links as the only operation, Cutoff.fidelity(F(4.5 s)) is Cutoff.memory_time(4.5) event for event (same
    seed: the same events, so the same states and delivery times up to the crossing's bisection, 1e-12 relative per
    cut-off; no event falls near the crossing, attempts take 1 s)."""
    G = line(1, p=0.3, w0=0.97, memory=(0.002, 0.002, 0.01))
    f = float(qnet.fidelity(pauli_idle(qnet.werner((1 + 3 * 0.97) / 4), (0.002, 0.002, 0.01), 4.5)))
    kw = {"n_deliveries": 3000, "seed": 11, "classical_delay": False, "schedule": ("double_selection",)}
    by_f = qnet.simulate_network(G, [(0, 1)], cutoff=qnet.Cutoff.fidelity(f), **kw).requests[0]
    by_t = qnet.simulate_network(G, [(0, 1)], cutoff=qnet.Cutoff.memory_time(4.5), **kw).requests[0]
    np.testing.assert_allclose(by_f.times, by_t.times, rtol=0, atol=1e-9)
    np.testing.assert_allclose(by_f.states, by_t.states, rtol=0, atol=1e-15)
    assert by_f.discarded == by_t.discarded > 100


def test_circuit_of_three_pairs_below_the_threshold_passes_the_best_input_on():
    """Purification.above_threshold with a schedule's double selection: when an input is below the threshold the
    best of the three goes on undistilled (a fresh link's state, no failed operation); above it every delivery is
    distilled (the ideal double selection's output on three fresh Werner links, computed by Circuit.apply)."""
    G = line(1, p=0.5, w0=0.7, memory=(0.0, 0.0, 0.0), n_memories=3)
    kw = {"n_deliveries": 400, "seed": 0, "classical_delay": False, "schedule": ("double_selection",)}
    fresh = qnet.werner((1 + 3 * 0.7) / 4)
    below = qnet.simulate_network(G, [(0, 1)], purification=qnet.Purification(min_fidelity=0.9), **kw)
    r = below.requests[0]
    np.testing.assert_allclose(r.states, np.broadcast_to(fresh, r.states.shape), rtol=0, atol=1e-15)
    assert r.failed_operations == 0
    above = qnet.simulate_network(G, [(0, 1)], purification=qnet.Purification(min_fidelity=0.7), **kw).requests[0]
    out = qnet.circuit("double_selection").apply(fresh, fresh, fresh)
    np.testing.assert_allclose(above.states, np.broadcast_to(out.state, above.states.shape), rtol=0, atol=1e-12)
    assert above.failed_operations > 0


def test_circuit_of_three_pairs_needs_three_copies_of_memory():
    """Double selection on the links of two segments holds three links per side at once: the middle node needs six
    slots (five is refused before any event), an end node three."""
    G = line(2, n_memories=5)
    with pytest.raises(NetworkError, match="n_memories=5 but requests\\[0\\] holds up to 6"):
        qnet.simulate_network(G, [(0, 2)], n_deliveries=10, schedule=("double_selection", "swap"))
    G.nodes[1]["n_memories"] = 6
    G.nodes[0]["n_memories"] = G.nodes[2]["n_memories"] = 3
    r = qnet.simulate_network(G, [(0, 2)], n_deliveries=10, schedule=("double_selection", "swap")).requests[0]
    assert r.n == 10


def test_policy_of_three_pairs_is_the_schedule_that_names_it_on_the_links():
    """Purification.immediate(1, "double_selection") distils every link with three copies: the same protocol tree,
    hence the same numbers bit for bit, as the schedule that names double selection on the links (checked against
    the exact chain in test_no_delay_matches_the_exact_chain)."""
    G = line(4)
    kw = {"n_deliveries": 5000, "seed": 3, "classical_delay": False}
    policy = qnet.simulate_network(G, [(0, 4)], purification=qnet.Purification.immediate(1, "double_selection"),
                                   **kw).requests[0]
    named = qnet.simulate_network(G, [(0, 4)], schedule=("double_selection", "swap", "swap"), **kw).requests[0]
    np.testing.assert_array_equal(policy.times, named.times)
    np.testing.assert_array_equal(policy.states, named.states)


def test_deferred_policy_of_three_pairs_waits_until_needed():
    """As for two pairs: without memory noise deferring double selection changes no delivered state (every one is
    the ideal circuit on three fresh links); with dephasing memories the deferred pairs fail more often and the
    deliveries come later."""
    G = line(4, p=0.3, memory=(0.0, 0.0, 0.0))
    kw = dict(n_deliveries=5000, seed=6, classical_delay=False)
    fresh = qnet.werner((1 + 3 * 0.97) / 4)
    swapped = qnet.circuit("double_selection").apply(fresh, fresh, fresh).state
    for _ in range(2):  # two rounds of ideal swaps of equal Bell-diagonal pairs: the XOR convolution
        swapped = np.array([sum(swapped[j] * swapped[j ^ k] for j in range(4)) for k in range(4)])
    for timing in ("immediate", "deferred"):
        r = qnet.simulate_network(G, [(0, 4)], purification=qnet.Purification(1, "double_selection", timing=timing),
                                  **kw).requests[0]
        np.testing.assert_allclose(r.states, np.broadcast_to(swapped, r.states.shape), rtol=0, atol=1e-12)
    G = line(4, p=0.3, memory=(0.0, 0.0, 30.0), time_step=1e-3)
    now, late = (qnet.simulate_network(G, [(0, 4)], purification=qnet.Purification(1, "double_selection",
                                                                                    timing=timing), **kw).requests[0]
                 for timing in ("immediate", "deferred"))
    assert late.failed_operations / late.n > now.failed_operations / now.n
    assert late.mean_time > now.mean_time


def test_pumping_with_three_pairs_gives_the_circuit_applied_in_turn():
    """Pumping with double selection: each round the kept pair meets two fresh links; every delivered state is the
    circuit applied in turn (Circuit.apply) until the target or the limit, to 1e-12. (Unlike DEJMPS pumping it is
    not monotone: from Werner 0.85 links it peaks at 0.9308 after two rounds and falls to 0.9262 after three.)"""
    w0, target, limit = 0.8, 0.93, 5
    G = line(1, p=0.4, w0=w0, memory=(0.0, 0.0, 0.0), n_memories=3)
    res = qnet.simulate_network(G, [(0, 1)], n_deliveries=2000, seed=3, classical_delay=False,
                                purification=qnet.Purification.pumping(target, limit, "double_selection"))
    link = qnet.werner((1 + 3 * w0) / 4)
    pumped, levels = link, 0
    while pumped[0] < target:
        pumped = qnet.circuit("double_selection").apply(pumped, link, link).state
        levels += 1
    assert 1 < levels < limit
    r = res.requests[0]
    np.testing.assert_allclose(r.states, np.broadcast_to(pumped, r.states.shape), rtol=0, atol=1e-12)
    assert r.failed_operations > 0
    capped = qnet.simulate_network(G, [(0, 1)], n_deliveries=200, seed=3, classical_delay=False,
                                   purification=qnet.Purification.pumping(0.99, 3, "double_selection")).requests[0]
    third = qnet.circuit("double_selection").apply(pumped, link, link).state
    assert third[0] < pumped[0]
    np.testing.assert_allclose(capped.states, np.broadcast_to(third, capped.states.shape), rtol=0, atol=1e-12)


def test_optimal_timing_of_three_pairs_follows_the_timing_module():
    """The optimal-time policy with double selection asks the timing module about three pairs: on these links it
    purifies at once (a scan of Werner links 0.6-0.99 and Pauli memories of one axis, 3-3000 /s, found no case
    where the timing module defers double selection), and the simulator does so."""
    tau, p = 1e-3, 0.3
    gap = tau * 2 * (1 - p) / (p * (2 - p))
    for w0, memory in ((0.95, (0.0, 0.0, 30.0)), (0.8, (0.0, 300.0, 0.0))):
        G = line(2, p=p, w0=w0, memory=memory, time_step=tau, n_memories=12)
        res = qnet.simulate_network(G, [(0, 2)], n_deliveries=50, seed=0,
                                    purification=qnet.Purification.optimal_time(protocol="double_selection"))
        link = qnet.werner((1 + 3 * w0) / 4)
        where = qnet.PurificationTimeline(link, link, np.array(memory), gap, gap + tau / p,
                                          protocol="double_selection").optimal_time(weighted=True).location
        assert where == "start" and res.deferred_links == ()


def test_per_node_noise_is_validated():
    chain = (("swap",), 0.5, 1.0, qnet.werner(0.9), (0.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="one OperationNoise per node"):
        qnet.RepeaterChain(*chain, noise=[qnet.IDEAL] * 2)
    with pytest.raises(TypeError, match="noise"):
        qnet.RepeaterChain(*chain, noise="ideal")
    same = qnet.RepeaterChain(*chain, noise=[qnet.OperationNoise(0.9, 0.01)] * 3)
    assert same.identity == qnet.RepeaterChain(*chain, noise=qnet.OperationNoise(0.9, 0.01)).identity


def test_fidelity_cut_off_equals_the_exact_engine_on_elementary_links():
    """Cutoff.fidelity: a waiting link is discarded (with its sibling's sub-protocol restarted) when its own
    fidelity falls below the threshold. On a two-segment chain the waiting pairs are elementary links, whose
    fidelity at each wait is what the exact engine's cut_type="fidelity" uses. The simulator cuts at the crossing
    itself, the exact engine (time in steps) after the last whole step above the threshold: with the threshold just
    below the fidelity after one step (the crossing 4e-8 s after it) both cut after one step, and the
    delivery-time distribution (chi-square) and mean fidelity agree; the cut-off is active (the uncut chain
    delivers worse)."""
    G = line(2, p=0.2, w0=0.97, memory=(0.002, 0.002, 0.01))
    f = float(qnet.fidelity(qnet.idle(qnet.werner((1 + 3 * 0.97) / 4), (0.002, 0.002, 0.01), 1.0))) - 1e-9
    res = qnet.simulate_network(G, [(0, 2)], n_deliveries=20_000, seed=7, classical_delay=False,
                                cutoff=qnet.Cutoff.fidelity(f))
    r = res.requests[0]
    T = np.rint(r.times).astype(np.int64)
    ex = qnet.path_delivery(G, [0, 1, 2], cutoff=f, cut_type="fidelity", t_trunc=4000)
    assert chi2_pvalue(T, ex.pmf) > 1e-4
    se_f = r.fidelities.std(ddof=1) / math.sqrt(r.n)
    assert abs(r.mean_fidelity - ex.mean_fidelity) < 5 * se_f
    uncut = qnet.path_delivery(G, [0, 1, 2], t_trunc=4000)
    assert ex.mean_time > uncut.mean_time + 1 and ex.mean_fidelity > uncut.mean_fidelity + 20 * se_f
    np.testing.assert_allclose(r.times, T, rtol=0, atol=1e-4)  # each restart 4e-8 s after a step
    with pytest.raises(ValueError, match="threshold"):
        qnet.Cutoff.fidelity(1.5)
    with pytest.raises(ValueError, match="timing='immediate'"):
        qnet.simulate_network(G, [(0, 2)], n_deliveries=10, cutoff=qnet.Cutoff.fidelity(f),
                              purification=qnet.Purification(rounds=1, timing="deferred"))


def test_protocol_option_takes_every_circuit_the_purification_policy_takes():
    """``simulate_network(protocol=...)`` accepts what :class:`qnet.Purification` accepts (a circuit of three pairs
    included) and is that policy's protocol: the same seed gives the same deliveries and states; a name neither
    takes is refused by both. Without memory decay every delivered pair is the three-pair circuit on fresh links."""
    G = line(1, p=0.4, w0=0.9, memory=(0.0, 0.0, 0.0), n_memories=6)
    spelled = qnet.simulate_network(G, [(0, 1)], n_deliveries=100, seed=5, protocol="double_selection",
                                    purification=qnet.Purification.immediate())
    policy = qnet.simulate_network(G, [(0, 1)], n_deliveries=100, seed=5,
                                   purification=qnet.Purification.immediate(protocol="double_selection"))
    a, b = spelled.requests[0], policy.requests[0]
    assert a.states.shape == (100, 4) and np.array_equal(a.times, b.times) and np.array_equal(a.states, b.states)
    three = qnet.circuit("double_selection").apply(*(qnet.werner((1 + 3 * 0.9) / 4),) * 3).state
    np.testing.assert_allclose(a.states, np.broadcast_to(three, a.states.shape), rtol=0, atol=1e-12)
    for call in (lambda: qnet.simulate_network(G, [(0, 1)], n_deliveries=1, protocol="triple"),
                 lambda: qnet.Purification.immediate(protocol="triple")):
        with pytest.raises(ValueError, match="protocol"):
            call()
