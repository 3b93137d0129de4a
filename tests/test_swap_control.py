"""A solved swap policy followed in the network (qnet.Swapping.by_policy): the slot model itself without classical
delays (times against the solver's exact means, states against qnet.swap and qnet.idle), and with delays the
decisions wait for the knowledge they need (physics.md §10, §12)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import qnet

SLOT = 1e-4


def chain(n, p_gen, *, fidelity=0.98, memory=(0.0, 0.0, 1.0), length=10.0, n_memories=4):
    return qnet.chain_network([length] * (n - 1), p_gen=p_gen, fidelity=fidelity, memory=memory, time_step=SLOT,
                              n_memories=n_memories)


@pytest.mark.parametrize("rule", ["optimal", "swap_asap", "nested"])
def test_without_delays_every_rule_is_the_slot_model(rule):
    r = qnet.optimal_swap_policy(4, 0.5, 0.8, 3)
    res = qnet.simulate_network(chain(4, 0.5), [(0, 3)], n_deliveries=3000, seed=11, classical_delay=False,
                                swapping=qnet.Swapping.by_policy(r, rule))
    slots = res.requests[0].times / SLOT + 1  # the slot model counts the slot whose swaps deliver
    exact = r.mean_time if rule == "optimal" else r.mean_time_of(rule)
    se = slots.std(ddof=1) / math.sqrt(slots.size)
    assert abs(slots.mean() - exact) < 4.5 * se, (slots.mean(), exact, se)
    assert np.allclose(slots, np.round(slots), rtol=0, atol=1e-9)  # whole slots


def test_two_nodes_count_the_generation_slot():
    r = qnet.optimal_swap_policy(2, 0.25, 1.0, None)
    res = qnet.simulate_network(chain(2, 0.25), [(0, 1)], n_deliveries=4000, seed=3,
                                swapping=qnet.Swapping.by_policy(r))
    t = res.requests[0].times / SLOT
    assert abs(t.mean() - r.mean_time) < 4.5 * t.std(ddof=1) / math.sqrt(t.size)


@pytest.mark.parametrize("delay,knowledge,noise", [(False, "latest", None), (True, "latest", None),
                                                   (True, "snapshot", None),
                                                   (True, "latest", qnet.OperationNoise(0.95, 0.02))])
def test_deterministic_links_give_the_closed_form_time_and_state(delay, knowledge, noise):
    """p_gen = p_swap = 1 on three nodes: both links are made in slot 1 and heralded at its end. The middle node
    knows its own links at once ("latest"), or waits for the whole state of slot 2 to reach it ("snapshot": its
    lag, the farther neighbour's signal time in whole slots); each end learns the outcome one segment's signal
    time later. The state is qnet.swap of the two links after their waits (with the middle node's noise), each end
    then waiting for the message (qnet.idle)."""
    lengths = [12.0, 31.0]
    G = qnet.chain_network(lengths, p_gen=1.0, fidelity=0.97, memory=(0.3, 0.5, 4.0), time_step=SLOT)
    G.nodes[1]["memory"] = (1.0, 0.2, 9.0)
    if noise is not None:
        G.nodes[1]["noise"] = noise
    r = qnet.optimal_swap_policy(3, 1.0, 1.0, None)
    res = qnet.simulate_network(G, [(0, 2)], n_deliveries=3, seed=1, classical_delay=delay,
                                swapping=qnet.Swapping.by_policy(r, knowledge=knowledge))
    signal = [x / 2e5 for x in lengths] if delay else [0.0, 0.0]
    lag = math.ceil(max(signal) / SLOT) if knowledge == "snapshot" else 0
    swap_at = (1 + lag) * SLOT  # slot 2 + lag starts then
    fresh = qnet.werner(0.97)
    mem = [qnet.PauliMemory(0.3, 0.5, 4.0), qnet.PauliMemory(1.0, 0.2, 9.0), qnet.PauliMemory(0.3, 0.5, 4.0)]
    left = qnet.idle(fresh, mem[0], swap_at, rates_b=mem[1])
    right = qnet.idle(fresh, mem[1], swap_at, rates_b=mem[2])
    out = qnet.idle(qnet.swap(left, right, noise=noise).state, mem[0], signal[0], rates_b=mem[2], t_b=signal[1])
    d = res.requests[0]
    assert np.allclose(d.times, swap_at + max(signal), rtol=1e-12, atol=0)
    assert np.allclose(d.states, out, rtol=0, atol=1e-12)


def test_with_delays_decisions_on_old_news_cost_time():
    """Swap-asap needs only a node's own memories; the optimal rule needs the chain's state. Deciding on the last
    whole state that has reached a node ("snapshot") waits for it; deciding on everything heard so far ("latest")
    waits less. Without delays both are the slot model (same numbers)."""
    r = qnet.optimal_swap_policy(4, 0.5, 0.8, 5)
    G = chain(4, 0.5, length=20.0)  # 100 us per segment: the middle nodes hear from every node 2 slots late
    out = {}
    for rule, knowledge in (("optimal", "latest"), ("optimal", "snapshot"), ("swap_asap", "latest")):
        for delay in (False, True):
            res = qnet.simulate_network(G, [(0, 3)], n_deliveries=1500, seed=5, classical_delay=delay,
                                        swapping=qnet.Swapping.by_policy(r, rule, knowledge))
            out[rule, knowledge, delay] = res.requests[0].times / SLOT
    assert np.array_equal(out["optimal", "latest", False], out["optimal", "snapshot", False])
    mean = {key: t.mean() for key, t in out.items()}
    assert mean["optimal", "snapshot", True] > mean["optimal", "latest", True] + 2.0
    assert mean["optimal", "latest", True] > mean["optimal", "latest", False] + 1.0
    assert mean["swap_asap", "latest", True] < mean["optimal", "snapshot", True]


def test_a_fidelity_aware_table_delivers_its_minimum_fidelity():
    """The table's links and memories are the network's (per slot; a link is heralded one slot after its
    emission, which is the table's link_state): every delivered pair has at least the table's min_fidelity."""
    memory = qnet.PauliMemory.depolarizing(0.01)
    heralded = qnet.idle(qnet.werner(0.97), memory, 1.0)
    r = qnet.optimal_swap_policy(4, 0.5, 0.9, None, min_fidelity=0.8, link_state=heralded, memory=memory)
    G = chain(4, 0.5, fidelity=0.97, memory=qnet.PauliMemory(*(memory.rates / SLOT)))
    res = qnet.simulate_network(G, [(0, 3)], n_deliveries=2000, seed=2, classical_delay=False,
                                swapping=qnet.Swapping.by_policy(r))
    slots = res.requests[0].times / SLOT + 1
    assert res.requests[0].fidelities.min() >= 0.8 - 1e-12
    assert abs(slots.mean() - r.mean_time) < 4.5 * slots.std(ddof=1) / math.sqrt(slots.size)


def test_bad_uses_are_refused():
    r = qnet.optimal_swap_policy(4, 0.5, 0.8, 3)
    G = chain(5, 0.5)
    by = qnet.Swapping.by_policy(r)
    with pytest.raises(qnet.NetworkError, match="solved for 4 nodes"):
        qnet.simulate_network(G, [(0, 4)], n_deliveries=5, swapping=by)
    with pytest.raises(ValueError, match="one request"):
        qnet.simulate_network(G, [(0, 3), (1, 4)], n_deliveries=5, swapping=by)
    with pytest.raises(ValueError, match="own cut-off"):
        qnet.simulate_network(G, [(0, 3)], n_deliveries=5, swapping=by, cutoff=qnet.Cutoff.memory_time(1e-3))
    with pytest.raises(ValueError, match="rule"):
        qnet.Swapping.by_policy(r, "greedy")
    with pytest.raises(ValueError, match="knowledge"):
        qnet.Swapping.by_policy(r, knowledge="oracle")
    with pytest.raises(TypeError, match="optimal_swap_policy"):
        qnet.Swapping(policy={"a": 1})
    with pytest.raises(qnet.NetworkError, match="can never swap at node 1: it learns the chain's state 4 slots late"):
        qnet.simulate_network(chain(4, 0.5, length=40.0), [(0, 3)], n_deliveries=5,  # 2 slots a segment
                              swapping=qnet.Swapping.by_policy(r, knowledge="snapshot"))
    with pytest.raises(qnet.NetworkError, match="needs 2 memories"):
        qnet.simulate_network(chain(4, 0.5, n_memories=1), [(0, 3)], n_deliveries=5, swapping=by)


@pytest.mark.parametrize("rule", ["optimal", "nested"])
def test_same_seed_same_numbers_any_worker_count(rule):
    from concurrent.futures import ProcessPoolExecutor

    r = qnet.optimal_swap_policy(4, 0.5, 0.8, 3)
    kw = dict(n_deliveries=300, seed=9, trajectories=3, swapping=qnet.Swapping.by_policy(r, rule))
    a = qnet.simulate_network(chain(4, 0.5), [(0, 3)], **kw)
    with ProcessPoolExecutor(2) as ex:  # the path, its table and rule go to other processes
        b = qnet.simulate_network(chain(4, 0.5), [(0, 3)], executor=ex, **kw)
    assert np.array_equal(a.requests[0].times, b.requests[0].times)
    assert np.array_equal(a.requests[0].states, b.requests[0].states)
