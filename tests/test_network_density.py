"""The network simulator's density-matrix mode against independent paths: its own Bell-diagonal mode (Pauli
memories), QuTiP (``mesolve`` for every wait, explicit Bell-measurement operators and partial traces), and the
density-matrix circuits of the operation library with the timing module.

Tolerances: 1e-12 between the two modes; 1e-10 against ``qutip.mesolve`` (atol 1e-13, rtol 1e-12) and against the
density-matrix circuits.
"""

import math

import networkx as nx
import numpy as np
import pytest
import qutip
from conftest import BELL_KETS, MESOLVE_TOL, SX, SY, SZ, I2, mesolve_final, t1t2_c_ops

import qnet
from qnet.errors import NetworkError

FIBRE = 2.0e5  # km/s


def chain(lengths, memories, *, p=0.3, w0=0.95, time_step=1.0, n_memories=8):
    """A chain of plain p_gen links with one memory per node."""
    G = nx.path_graph(len(lengths) + 1)
    for n, memory in enumerate(memories):
        G.nodes[n].update(memory=memory, n_memories=n_memories)
    for (u, v), km in zip(G.edges, lengths):
        G.edges[u, v].update(length=km, p_gen=p, w0=w0)
    G.graph.update(time_step=time_step, p_swap=1.0)
    return G


POLICIES = {
    "swaps": {},
    "auto distillation, noisy nodes": {"purification": qnet.Purification.immediate(1)},
    "double selection": {"schedule": ("double_selection", "swap", "swap")},
    "memory cut-off": {"cutoff": qnet.Cutoff.memory_time(4.0)},
    "fidelity cut-off": {"cutoff": qnet.Cutoff.fidelity(0.85)},
    "pumping": {"purification": qnet.Purification.pumping(0.97, 3, "dejmps")},
}


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("delay", [False, True])
def test_with_pauli_memories_the_two_modes_agree(policy, delay):
    """Pauli memories keep pairs Bell-diagonal: form="dm" draws every swap outcome from a stream of its own, so the
    same seed gives the same events (delivery times equal exactly) and the same states to round-off."""
    G = chain([10.0] * 4, [(0.01, 0.02, 0.03)] * 5)
    for n in G.nodes:  # two kinds of node, alternating: each link's ends differ (and the maps are built twice)
        G.nodes[n]["noise"] = qnet.OperationNoise(0.98, 0.01) if n % 2 else qnet.OperationNoise(0.995, 0.004)
    kw = {"n_deliveries": 1500, "seed": 3, "classical_delay": delay, **POLICIES[policy]}
    bds = qnet.simulate_network(G, [(0, 4)], **kw)
    dm = qnet.simulate_network(G, [(0, 4)], form="dm", **kw)
    assert (bds.form, dm.form) == ("bds", "dm")
    a, b = bds.requests[0], dm.requests[0]
    np.testing.assert_array_equal(a.times, b.times)
    np.testing.assert_allclose(b.states, a.states, rtol=0, atol=1e-12)
    np.testing.assert_allclose(b.density_matrices, a.density_matrices, rtol=0, atol=1e-12)
    assert a.pauli is None and b.pauli.shape == (1500, 16)


def werner_dm(w0):
    return qnet.to_density_matrix(qnet.werner((1 + 3 * w0) / 4))


def test_one_link_with_heralding_delay_is_mesolve():
    """One link between nodes of different T1/T2 memories, heralded one attempt after the emission: every delivered
    pair is the Werner link evolved by both nodes' Lindbladians for one attempt duration (T1T2Memory selects the
    density-matrix mode by itself)."""
    mem = [qnet.T1T2Memory(2e-4, 1.5e-4), qnet.T1T2Memory(5e-4, 2e-4)]
    G = chain([20.0], mem, p=0.4, w0=0.97, time_step=1e-4)
    res = qnet.simulate_network(G, [(0, 1)], n_deliveries=50, seed=2)
    assert res.form == "dm"
    c_ops = t1t2_c_ops(2e-4, 1.5e-4, "A") + t1t2_c_ops(5e-4, 2e-4, "B")
    expected = mesolve_final(werner_dm(0.97), c_ops, 1e-4)
    got = res.requests[0].density_matrices
    np.testing.assert_allclose(got, np.broadcast_to(expected, got.shape), rtol=0, atol=MESOLVE_TOL)
    assert qnet.fidelity(expected) < qnet.fidelity(werner_dm(0.97)) - 0.1  # the wait matters


def _corrections():
    """For each Bell outcome on the middle qubits (QuTiP's Bell kets), the Pauli on the far qubit that turns the
    outer pair of two ideal pairs back into Φ+ (found by trying all four)."""
    phi = qutip.ket2dm(BELL_KETS[0])
    out = []
    for b in BELL_KETS:
        proj = qutip.tensor(I2, qutip.ket2dm(b), I2)
        outer = (proj * qutip.tensor(phi, phi) * proj).ptrace([0, 3]).unit()
        fits = [P for P in (I2, SX, SY, SZ)
                if abs(qutip.expect(qutip.tensor(I2, P) * outer * qutip.tensor(I2, P), BELL_KETS[0]) - 1) < 1e-12]
        out.append(fits[0])
    return out


@pytest.mark.parametrize("noise", [None, qnet.OperationNoise(0.9, 0.05)], ids=["ideal", "noisy node"])
def test_one_swap_with_classical_delays_is_mesolve(noise):
    """Two links of a 30 km and a 10 km segment (p = 1: both heralded after one attempt), swapped at the middle node
    after its swap time; the outcome reaches node 2 after 10 km of fibre, where the correction is applied, and the
    pair is delivered when node 0 knows it too. QuTiP: each pair evolved by its nodes' Lindbladians until the
    Bell measurement, explicit projectors and partial trace, then the outer pair evolved, corrected at the arrival
    at node 2, evolved again. Every delivered pair is one of the outcomes' states (1e-10), and they come with
    their probabilities (within 5 standard errors). With a noisy swapping node, QuTiP first depolarizes the two
    measured qubits (``f ρ + (1 - f) ρ_AD ⊗ I/4``), and the reported outcome is the true one with each of its two
    bits (Ψ vs Φ, the sign) flipped with probability ``q``: each reported outcome's pair is the sum of the true
    outcomes' pairs weighted by that."""
    T = [(2e-4, 1.5e-4), (3e-4, 4e-4), (6e-4, 3e-4)]
    G = chain([30.0, 10.0], [qnet.T1T2Memory(*x) for x in T], p=1.0, w0=0.96, time_step=1e-4)
    G.nodes[1]["swap_time"] = 2e-5
    if noise is not None:
        G.nodes[1]["noise"] = noise
    f, q = (1.0, 0.0) if noise is None else (noise.gate_fidelity, noise.measurement_error)
    n = 4000
    res = qnet.simulate_network(G, [(0, 2)], n_deliveries=n, seed=5)
    top = 1e-4 + 2e-5
    d0, d2 = 30.0 / FIBRE, 10.0 / FIBRE
    rho1 = mesolve_final(werner_dm(0.96), t1t2_c_ops(*T[0], "A") + t1t2_c_ops(*T[1], "B"), top)
    rho2 = mesolve_final(werner_dm(0.96), t1t2_c_ops(*T[1], "A") + t1t2_c_ops(*T[2], "B"), top)
    four = qutip.tensor(qutip.Qobj(rho1, dims=[[2, 2], [2, 2]]), qutip.Qobj(rho2, dims=[[2, 2], [2, 2]]))
    four = f * four + (1 - f) * qutip.tensor(four.ptrace([0, 3]), I2 / 2, I2 / 2).permute([0, 2, 3, 1])
    outer_ops = t1t2_c_ops(*T[0], "A") + t1t2_c_ops(*T[2], "B")
    true = [(qutip.tensor(I2, qutip.ket2dm(b), I2) * four * qutip.tensor(I2, qutip.ket2dm(b), I2)).ptrace([0, 3])
            for b in BELL_KETS]
    candidates, probs = [], []
    for k, P in enumerate(_corrections()):  # k: the reported outcome, bits (Ψ, sign) = (k >> 1, k & 1)
        outer = sum(q ** bin(k ^ j).count("1") * (1 - q) ** (2 - bin(k ^ j).count("1")) * true[j] for j in range(4))
        probs.append(outer.tr().real)
        rho = mesolve_final(outer.unit().full(), outer_ops, d2)
        rho = (qutip.tensor(I2, P) * qutip.Qobj(rho, dims=[[2, 2], [2, 2]]) * qutip.tensor(I2, P)).full()
        candidates.append(mesolve_final(rho, outer_ops, d0 - d2))
    candidates = np.array(candidates)
    r = res.requests[0]
    np.testing.assert_allclose(r.times, top + d0, rtol=1e-12)
    # outcomes whose corrected pairs coincide (those told apart only by a Z-type error at the correcting end) form
    # one class: two classes here, 0.197 apart
    same = np.abs(candidates[:, None] - candidates[None]).max(axis=(2, 3)) < 1e-12
    classes = [np.flatnonzero(row) for row in np.unique(same, axis=0)]
    assert len(classes) == 2
    dist = np.array([np.abs(r.density_matrices - candidates[c[0]]).max(axis=(1, 2)) for c in classes])
    assert dist.min(axis=0).max() < MESOLVE_TOL
    counts = np.bincount(dist.argmin(axis=0), minlength=2)
    probs = np.array([sum(probs[k] for k in c) for c in classes])
    assert np.all(np.abs(counts - n * probs) < 5 * np.sqrt(n * probs * (1 - probs)))


def test_distillation_of_pairs_of_different_ages_is_the_timing_module():
    """Two copies of one link (geometric attempts of 1 s, no classical delay) distilled with DEJMPS by noisy nodes
    at the later herald; both nodes in one T1/T2 memory. When the kept pair is the older one, by ``g`` seconds,
    the delivered pair is the timing module's density-matrix path (link 1 at 0, link 2 at g, purified and consumed
    at g); when it is the younger one, the density-matrix circuit on the fresh pair and the older one idled for
    g (qnet.idle). Every delivered pair is one of them (1e-10), both orders and several ages occur."""
    mem = qnet.T1T2Memory(6.0, 4.0)
    noise = qnet.OperationNoise(0.99, 0.01)
    G = chain([10.0], [mem, mem], p=0.35, w0=0.95)
    for v in G.nodes:
        G.nodes[v]["noise"] = noise
    res = qnet.simulate_network(G, [(0, 1)], n_deliveries=400, seed=8, classical_delay=False,
                                purification=qnet.Purification.immediate(1, "dejmps"))
    link = werner_dm(0.95)
    gaps = np.arange(40.0)
    older = [qnet.PurificationTimeline(link, link, mem, g, g, protocol="dejmps", noise=noise).state(g).state
             for g in gaps]
    younger = [qnet.circuit("dejmps").apply(link, qnet.idle(link, mem, g), noise=noise).state for g in gaps]
    candidates = np.array(older + younger)
    got = res.requests[0].density_matrices
    dist = np.abs(got[:, None] - candidates[None]).max(axis=(2, 3))
    assert dist.min(axis=1).max() < 1e-10
    which = dist.argmin(axis=1)
    assert (which < 40).any() and (which > 40).any() and np.unique(which % 40).size > 5


def test_the_mode_is_chosen_and_refused_with_reasons():
    G = chain([10.0, 10.0], [(0.0, 0.0, 0.1), qnet.T1T2Memory(5.0, 3.0), (0.0, 0.0, 0.1)])
    assert qnet.NetworkProblem(G, [(0, 2)]).simulate(5).form == "dm"
    assert qnet.NetworkProblem(G, [(0, 1)], form="dm").simulate(5).form == "dm"
    with pytest.raises(NetworkError, match="form='bds' but a node on the requests' paths has a T1T2Memory"):
        qnet.NetworkProblem(G, [(0, 2)], form="bds")
    with pytest.raises(ValueError, match="unknown form 'density'"):
        qnet.NetworkProblem(G, [(0, 2)], form="density")
    with pytest.raises(NetworkError, match="pauli_twirl"):
        qnet.path_delivery(G, [0, 1, 2])
    twirled = chain([10.0, 10.0], [(0.0, 0.0, 0.1), qnet.T1T2Memory(5.0, 3.0).pauli_twirl(), (0.0, 0.0, 0.1)])
    assert qnet.NetworkProblem(twirled, [(0, 2)]).simulate(5).form == "bds"
    assert math.isfinite(qnet.path_delivery(twirled, [0, 1, 2]).mean_fidelity)


def test_optimal_timing_with_t1t2_memories_follows_the_timing_module():
    """timing="optimal" on links of T1/T2 memories asks the timing module's density-matrix path (the link state as a
    density matrix, the T1/T2 memory, the mean gap between two heralds) and defers exactly when it puts the EPP at
    the end. On Werner links it never does (a scan of w0 0.7-0.97, T1 5 ms-1 s, T2/T1 0.1-2 and four variants found
    only "start"), so the simulator purifies at once; different memories at a link's two ends are refused."""
    tau, p = 1e-3, 0.3
    gap = tau * 2 * (1 - p) / (p * (2 - p))
    for T1, T2, protocol in ((0.05, 0.1, "dejmps"), (0.05, 0.1, "cnot"), (1.0, 0.02, "dejmps"), (0.5, 0.5, "cnot")):
        mem = qnet.T1T2Memory(T1, T2)
        G = chain([10.0, 10.0], [mem] * 3, p=p, w0=0.9, time_step=tau)
        res = qnet.simulate_network(G, [(0, 2)], n_deliveries=20, seed=0,
                                    purification=qnet.Purification.optimal_time(protocol=protocol))
        where = qnet.PurificationTimeline(werner_dm(0.9), werner_dm(0.9), mem, gap, gap + tau / p,
                                          protocol=protocol).optimal_time(weighted=True).location
        assert res.form == "dm" and where == "start" and res.deferred_links == ()
    G = chain([10.0, 10.0], [qnet.T1T2Memory(0.05, 0.1), qnet.T1T2Memory(0.06, 0.1), qnet.T1T2Memory(0.05, 0.1)])
    with pytest.raises(NetworkError, match="different memories"):
        qnet.simulate_network(G, [(0, 2)], n_deliveries=5, purification=qnet.Purification.optimal_time())
