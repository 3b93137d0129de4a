"""protocol="auto": the variant chosen by the physics, one stated rule, checked against every variant run one by one."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

import qnet
from qnet.purification import AUTO_TIE_ATOL, PROTOCOLS

SINGLE_CLICK = np.array([0.9646, 0.0, 0.0177, 0.0177])  # the state of qnet's SingleClick link (X and Y errors)


def xor_swap(a, b):
    """Ideal swap of two Bell-diagonal states: the Z2 x Z2 convolution, written out (physics.md §4)."""
    return np.array([sum(a[j] * b[j ^ k] for j in range(4)) for k in range(4)])


def by_rule(kept, sacrificed, **kw):
    """The rule of choose_protocol, applied to one pair by running every variant on its own through purify."""
    best = None
    for name in PROTOCOLS:
        out, p = qnet.purify(kept, sacrificed, name, **kw)
        f = float(out[0]) if np.ndim(out) == 1 else float(np.real(qnet.fidelity(out)))
        if best is None or f > best[1] + AUTO_TIE_ATOL or (f >= best[1] - AUTO_TIE_ATOL and p > best[2] + AUTO_TIE_ATOL):
            best = (name, f, float(p), out)
    return best


def test_single_click_state_gets_the_plain_circuit():
    """DEJMPS does nothing for the single-click state (0.9646 -> 0.9643); "auto" gives the CNOT result exactly."""
    auto = qnet.purify(SINGLE_CLICK, SINGLE_CLICK, "auto")
    cnot = qnet.purify(SINGLE_CLICK, SINGLE_CLICK, "cnot")
    dejmps = qnet.purify(SINGLE_CLICK, SINGLE_CLICK, "dejmps")
    np.testing.assert_array_equal(auto.state, cnot.state)
    assert float(auto.p_success) == float(cnot.p_success)
    assert float(cnot.state[0]) > 0.998 and float(dejmps.state[0]) < float(SINGLE_CLICK[0])
    assert qnet.choose_protocol(SINGLE_CLICK, SINGLE_CLICK) == "cnot"


@pytest.mark.parametrize("seed", range(3))
def test_auto_is_never_below_the_best_variant_of_a_row(seed):
    rng = np.random.default_rng(seed)
    kept = rng.dirichlet(np.ones(4) * 0.5, size=200)
    sac = rng.dirichlet(np.ones(4) * 0.5, size=200)
    kept[:50, 0] += 2.0  # some rows with a good fidelity, where the variants differ most
    kept /= kept.sum(axis=1, keepdims=True)
    noise = qnet.OperationNoise(0.98, 0.01)
    auto = qnet.purify(kept, sac, "auto", noise=noise)
    names = qnet.choose_protocol(kept, sac, noise=noise)
    for i in range(kept.shape[0]):
        name, f, p, out = by_rule(kept[i], sac[i], noise=noise)
        assert names[i] == name
        best = max(float(qnet.purify(kept[i], sac[i], v, noise=noise).state[0]) for v in PROTOCOLS)
        assert auto.state[i, 0] >= best - AUTO_TIE_ATOL
        np.testing.assert_allclose(auto.state[i], out, rtol=0, atol=1e-15)
        np.testing.assert_allclose(auto.p_success[i], p, rtol=0, atol=1e-15)


def test_ties_go_to_the_earlier_variant():
    """Werner inputs: every variant gives the same output fidelity and success probability; the rule picks cnot."""
    w = qnet.werner([0.6, 0.75, 0.9])
    assert list(qnet.choose_protocol(w, qnet.werner(0.8))) == ["cnot"] * 3
    fids = [float(qnet.purify(w[2], w[2], v).state[0]) for v in PROTOCOLS]
    assert max(fids) - min(fids) < 1e-15


def test_density_matrices_choose_as_bell_diagonal_states():
    rng = np.random.default_rng(7)
    kept, sac = rng.dirichlet(np.ones(4), size=20), rng.dirichlet(np.ones(4), size=20)
    bds = qnet.purify(kept, sac, "auto")
    dm = qnet.purify(qnet.to_density_matrix(kept), qnet.to_density_matrix(sac), "auto")
    np.testing.assert_allclose(qnet.to_bds(dm.state), bds.state, atol=1e-12)
    np.testing.assert_allclose(dm.p_success, bds.p_success, atol=1e-12)


def test_recurrence_and_pumping_default_to_auto_round_by_round():
    """Werner input: round 1 ties (cnot), its output carries Z errors, which round 2 detects with DEJMPS."""
    w = qnet.werner(0.8)
    r = qnet.recurrence(w, 2)
    explicit = qnet.recurrence(w, 2, ("cnot", "dejmps"))
    np.testing.assert_array_equal(r.state, explicit.state)
    assert float(r.state[0]) > float(qnet.recurrence(w, 2, "cnot").state[0])
    pumped = qnet.pumping(SINGLE_CLICK, 2)
    assert float(pumped.state[0]) >= float(qnet.pumping(SINGLE_CLICK, 2, "dejmps").state[0])
    assert float(pumped.state[0]) == float(qnet.pumping(SINGLE_CLICK, 2, "cnot").state[0])


def ideal_run_fidelity(root, link, name):
    """A nested schedule's ideal run (fresh links, no waiting) with one variant, by purify and an explicit swap."""
    if root == ():
        return link
    sub = ideal_run_fidelity(root[:-1], link, name)
    if root[-1] == "swap":
        return xor_swap(sub, sub)
    return qnet.purify(sub, sub, name).state


@pytest.mark.parametrize("levels,link", [(("distill", "distill", "swap"), qnet.werner(0.9)),
                                         (("distill", "swap"), SINGLE_CLICK),
                                         (("swap", "distill"), [0.9, 0.02, 0.05, 0.03])])
def test_chain_auto_is_the_best_ideal_run(levels, link):
    chain = qnet.RepeaterChain(levels, 0.3, 0.9, link, [0.0, 0.0, 1e-3])
    fids = {name: float(ideal_run_fidelity(levels, np.asarray(link, float), name)[0]) for name in PROTOCOLS}
    best = max(fids.values())
    assert chain.protocol == next(n for n in PROTOCOLS if fids[n] >= best - AUTO_TIE_ATOL)
    explicit = qnet.RepeaterChain(levels, 0.3, 0.9, link, [0.0, 0.0, 1e-3], protocol=chain.protocol)
    assert chain.delivery(3000).mean_fidelity == explicit.delivery(3000).mean_fidelity


def test_chain_auto_is_decided_again_for_another_schedule():
    chain = qnet.RepeaterChain(("swap", "swap"), 0.3, 0.9, qnet.werner(0.9), [0.0, 0.0, 1e-3])
    assert chain.protocol == "cnot"  # no distillation: every variant ties
    other = chain.with_schedule(qnet.Schedule.from_levels(("distill", "distill", "swap", "swap"), 4))
    assert other.protocol == "dejmps"


def test_the_network_simulator_chooses_per_operation():
    """Deterministic links (p_gen = 1), no memory noise, no delay: every delivered pair is two rounds of "auto"
    on each link (cnot, then dejmps on the cnot output) and one ideal swap, to 1e-12."""
    G = nx.path_graph(3)
    nx.set_node_attributes(G, (0.0, 0.0, 0.0), "memory")
    nx.set_node_attributes(G, 8, "n_memories")
    G.edges[0, 1].update(length=1.0, p_gen=1.0, state=SINGLE_CLICK)
    G.edges[1, 2].update(length=1.0, p_gen=1.0, state=qnet.werner(0.92))
    G.graph.update(time_step=1.0, p_swap=1.0)
    res = qnet.simulate_network(G, [(0, 2)], n_deliveries=50, seed=2, classical_delay=False,
                                purification=qnet.Purification.immediate(2))
    legs = []
    for link in (SINGLE_CLICK, qnet.werner(0.92)):
        once = qnet.purify(link, link, "auto").state
        legs.append(qnet.purify(once, once, "auto").state)
    expected = xor_swap(*legs)
    np.testing.assert_allclose(res.requests[0].states, np.broadcast_to(expected, (50, 4)), rtol=0, atol=1e-12)
    fixed = qnet.simulate_network(G, [(0, 2)], n_deliveries=50, seed=2, classical_delay=False,
                                  purification=qnet.Purification.immediate(2, "dejmps"))
    assert res.requests[0].mean_fidelity > fixed.requests[0].mean_fidelity


def test_kernel_tie_tolerance_is_the_library_rule():
    from qnet._kernels import events

    assert events.AUTO_TIE_ATOL == AUTO_TIE_ATOL


def test_bad_protocol_lists_auto():
    with pytest.raises(ValueError, match="auto"):
        qnet.purify(SINGLE_CLICK, SINGLE_CLICK, "best")
    with pytest.raises(ValueError, match="auto"):
        qnet.Purification.immediate(1, "best")
