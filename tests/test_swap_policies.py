"""Optimal swap policies (slot model of Iñesta et al.) against closed forms, qnet's exact chain engine, and an
independent Monte Carlo of the same slot model written from its definition (physics.md §12)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import qnet


def join(links, swapping, merge, p_swap, rng):
    """Swap at every node of ``swapping``: links (a, x, v) and (x, b, w) become (a, b, merge(v, w)); a link made
    by swaps survives only if all of them succeeded."""
    work = [[a, b, v, True] for a, b, v in links]
    for x in sorted(swapping):
        left = next(link for link in work if link[1] == x)
        right = next(link for link in work if link[0] == x)
        work.remove(left)
        work.remove(right)
        ok = left[3] and right[3] and rng.random() < p_swap
        work.append([left[0], right[1], merge(left[2], right[2]), ok])
    return [tuple(link[:3]) for link in work if link[3]]


def monte_carlo(n, p_gen, p_swap, cutoff, decide, runs, seed):
    """Delivery times of the slot model, slot by slot with random numbers; ``decide(links)`` gives the swapping
    nodes, ``links`` a sorted tuple of (first node, last node, age)."""
    rng = np.random.default_rng(seed)
    times = np.empty(runs)
    for r in range(runs):
        links: list = []
        slot = 0
        while True:
            slot += 1
            swapping = decide(tuple(sorted(links)))
            # (1) swaps, one node at a time: the links ending and starting at a swapping node become one, kept only
            # if every swap that made it succeeded
            links = join(links, swapping, lambda left, right: max(left, right), p_swap, rng)
            if any(a == 0 and b == n - 1 for a, b, _ in links):
                break
            # (2) cut-offs (3) ageing
            if cutoff is not None:
                links = [(a, b, age + 1) for a, b, age in links if age < cutoff]
            # (4) generation where both facing memories are free
            starts = {a for a, _, _ in links}
            ends = {b for _, b, _ in links}
            for i in range(n - 1):
                if i not in starts and i + 1 not in ends and rng.random() < p_gen:
                    links.append((i, i + 1, 0))
            if any(a == 0 and b == n - 1 for a, b, _ in links):
                break
        times[r] = slot
    return times


def swap_asap(links):
    ends = {b for _, b, _ in links}
    return {a for a, _, _ in links if a in ends}


def test_one_segment_is_geometric():
    assert qnet.optimal_swap_policy(2, 0.25, 1.0, None).mean_time == pytest.approx(4.0, abs=1e-12)


@pytest.mark.parametrize("p_gen,p_swap", [(0.5, 1.0), (0.3, 0.7), (0.1, 0.5)])
def test_three_nodes_without_cutoff_match_the_closed_form_and_the_chain_engine(p_gen, p_swap):
    """Slot model = chain engine + 1 (the swap happens in the slot after the last link), and both equal
    E[max of two geometric times] / p_swap (+ 1)."""
    r = qnet.optimal_swap_policy(3, p_gen, p_swap, None)
    e_max = 2 / p_gen - 1 / (1 - (1 - p_gen) ** 2)
    assert r.mean_time == pytest.approx(e_max / p_swap + 1, rel=1e-12)
    exact = qnet.chain_delivery(("swap",), p_gen, p_swap, 1.0, float("inf"), t_trunc=20000)
    assert r.mean_time == pytest.approx(exact.mean_time + 1, rel=1e-9)
    assert r.mean_time_of("swap_asap") == pytest.approx(r.mean_time, rel=1e-12)  # nothing better to do


@pytest.mark.parametrize("n,p_gen,p_swap,cutoff", [(4, 0.5, 0.8, 3), (5, 0.6, 0.9, 2), (4, 0.3, 1.0, None)])
def test_every_policy_against_an_independent_monte_carlo(n, p_gen, p_swap, cutoff):
    r = qnet.optimal_swap_policy(n, p_gen, p_swap, cutoff)
    elementary = {(i, i + 1) for i in range(n - 1)}

    def nested(links):
        if {(a, b) for a, b, _ in links} == elementary:
            return {x for x in swap_asap(links) if x % 2 == 1}
        return swap_asap(links)

    def optimal(links):
        return set(r.policy.get(tuple(sorted(links)), ()))

    for seed, decide, exact in ((1, swap_asap, r.mean_time_of("swap_asap")), (2, nested, r.mean_time_of("nested")),
                                (3, optimal, r.mean_time)):
        t = monte_carlo(n, p_gen, p_swap, cutoff, decide, 6000, seed=seed)
        se = t.std(ddof=1) / math.sqrt(t.size)
        assert abs(t.mean() - exact) < 4.5 * se, (decide.__name__, t.mean(), exact, se)
    assert r.mean_time <= min(r.policy_times.values()) + 1e-12


def test_the_optimal_policy_beats_swap_asap_with_cutoffs():
    r = qnet.optimal_swap_policy(5, 0.9, 0.5, 2)
    assert r.mean_time < 0.95 * r.mean_time_of("swap_asap")
    # the decision table is readable: states of links (first, last, age) -> nodes that swap
    state, nodes = next(iter(r.policy.items()))
    assert all(len(link) == 3 for link in state) and all(isinstance(x, int) for x in nodes)


@pytest.mark.parametrize("p_swap,swap_asap,nested", [(1.0, 1.3887703070084898, 2.0710744648559687),
                                                     (0.5, 9.346904215852948, 8.343780862127756)])
def test_published_values_of_the_authors_code(p_swap, swap_asap, nested):
    """Iñesta et al.'s repository (AlvaroGI/optimal-homogeneous-chain, experiment_swapasap-vs-nested.ipynb,
    printed outputs): 5 nodes, p = 0.9, cut-off 2, values of their policy evaluation run to a tolerance of 1e-7.
    Their count leaves out one slot (the first generation slot): theirs = ours - 1."""
    r = qnet.optimal_swap_policy(5, 0.9, p_swap, 2)
    assert r.mean_time_of("swap_asap") - 1 == pytest.approx(swap_asap, rel=1e-6)
    assert r.mean_time_of("nested") - 1 == pytest.approx(nested, rel=1e-6)


def test_sizes_beyond_the_state_limit_are_refused_with_the_estimate():
    with pytest.raises(ValueError, match=r"can reach up to \d+ states, more than MAX_POLICY_STATES"):
        qnet.optimal_swap_policy(8, 0.5, 0.9, 10)
    with pytest.raises(ValueError, match="policy"):
        qnet.optimal_swap_policy(3, 0.5, 0.9, 2).mean_time_of("greedy")


def xor_convolve(a, b):
    """Bell-diagonal coefficients [Φ+, Φ−, Ψ+, Ψ−] are Pauli frames I, Z, X, XZ; an ideal swap, or a Pauli error
    on one qubit, adds frames: c[i ^ j] += a[i] b[j]."""
    out = np.zeros(4)
    for i in range(4):
        for j in range(4):
            out[i ^ j] += a[i] * b[j]
    return out


def wait(state, rates, t):
    """Both qubits in Pauli memories for ``t``: independent X, Y, Z flip processes, each flipped an odd number of
    times with probability (1 - exp(-2 g t)) / 2; frames X = 2, Y = 3, Z = 1."""
    for _ in range(2):
        for frame, g in zip((2, 3, 1), rates):
            q = (1 - math.exp(-2 * g * t)) / 2
            flip = np.zeros(4)
            flip[0], flip[frame] = 1 - q, q
            state = xor_convolve(state, flip)
    return state


def monte_carlo_states(n, p_gen, p_swap, fresh, rates, acceptable, decide, runs, seed):
    """The fidelity-aware slot model with every link's Bell-diagonal state carried explicitly (frames added at
    each swap and wait, written here from the definitions): a link is discarded when even completing it with
    fresh links now would not give an ``acceptable`` pair, or would not after one more slot. Links also carry their
    summed age, only to look decisions up. Returns the delivery times and fidelities."""
    rng = np.random.default_rng(seed)

    def hopeless(state, a, b, slots):
        for _ in range(n - 1 - (b - a)):
            state = xor_convolve(state, fresh)
        return not acceptable(wait(state, rates, slots))

    times, fids, states = np.empty(runs), np.empty(runs), []
    for r in range(runs):
        links: list = []  # (a, b, summed age, state)
        slot = 0
        delivered = None
        while delivered is None:
            slot += 1
            swapping = decide(tuple(sorted((a, b, age) for a, b, age, _ in links)))
            joined = join([(a, b, (age, state)) for a, b, age, state in links], swapping,
                          lambda u, v: (u[0] + v[0], xor_convolve(u[1], v[1])), p_swap, rng)
            new = [(a, b, age, state) for a, b, (age, state) in joined
                   if not hopeless(state, a, b, 0)]
            done = [x for x in new if x[0] == 0 and x[1] == n - 1]
            if done:
                delivered = done[0][3]
                break
            links = [(a, b, age + 1, wait(s, rates, 1.0)) for a, b, age, s in new if not hopeless(s, a, b, 1)]
            starts, ends = {x[0] for x in links}, {x[1] for x in links}
            for i in range(n - 1):
                if i not in starts and i + 1 not in ends and rng.random() < p_gen:
                    links.append((i, i + 1, 0, fresh))
        times[r], fids[r] = slot, delivered[0]
        states.append(delivered)
    return times, fids, np.array(states)


def test_fidelity_aware_policies_against_a_monte_carlo_of_explicit_states():
    """Bell-diagonal links in Pauli memories: a link's state is fixed by its span and summed age (the solver's
    state), checked against states carried through every swap and wait."""
    fresh = np.array([0.93, 0.04, 0.02, 0.01])
    memory = qnet.PauliMemory(0.002, 0.004, 0.02)
    r = qnet.optimal_swap_policy(4, 0.5, 0.9, None, min_fidelity=0.7, link_state=fresh, memory=memory)
    chain = xor_convolve(xor_convolve(fresh, fresh), fresh)
    limit = max(a for a in range(50) if wait(chain, memory.rates, a)[0] >= 0.7)
    assert r.age_limit == limit == 3 and r.min_fidelity == 0.7 and r.cutoff is None
    assert r.mean_time < r.mean_time_of("swap_asap") - 0.05  # waiting pays when old links cannot be delivered

    def optimal(links):
        return set(r.policy.get(links, ()))

    for seed, decide, exact in ((4, swap_asap, r.mean_time_of("swap_asap")), (5, optimal, r.mean_time)):
        t, f, _ = monte_carlo_states(4, 0.5, 0.9, fresh, memory.rates, lambda s: s[0] >= 0.7, decide, 2500, seed)
        se = t.std(ddof=1) / math.sqrt(t.size)
        assert abs(t.mean() - exact) < 4.5 * se, (decide.__name__, t.mean(), exact, se)
        assert f.min() >= 0.7


def test_fidelity_aware_limits_and_errors():
    # noiseless memories: ages do not matter, the time-only process without cut-off
    plain = qnet.optimal_swap_policy(4, 0.4, 0.8, None)
    r = qnet.optimal_swap_policy(4, 0.4, 0.8, None, min_fidelity=0.8, link_state=0.95)
    assert r.age_limit is None and r.mean_time == pytest.approx(plain.mean_time, rel=1e-12)
    # Werner links in depolarising memories: the limit from the closed form w = w0^3 exp(-4 g A) (F = (1 + 3w)/4)
    g = 0.01
    w0, wmin = (4 * 0.97 - 1) / 3, (4 * 0.8 - 1) / 3
    r = qnet.optimal_swap_policy(4, 0.4, 0.8, None, min_fidelity=0.8, link_state=0.97,
                                 memory=qnet.PauliMemory.depolarizing(g))
    rates = qnet.PauliMemory.depolarizing(g).rates
    decay = math.exp(-2 * (rates[1] + rates[2])) ** 2  # Werner factor per slot: transfer eigenvalue, both qubits
    assert r.age_limit == math.floor(math.log(wmin / w0 ** 3) / math.log(decay))
    with pytest.raises(ValueError, match="out of reach"):
        qnet.optimal_swap_policy(6, 0.4, 0.8, None, min_fidelity=0.9, link_state=0.95)
    with pytest.raises(ValueError, match="cutoff=None"):
        qnet.optimal_swap_policy(4, 0.4, 0.8, 3, min_fidelity=0.8, link_state=0.95)
    with pytest.raises(ValueError, match="link_state"):
        qnet.optimal_swap_policy(4, 0.4, 0.8, None, min_fidelity=0.8, link_state=[0.5, 0.5])


@pytest.mark.parametrize("n,p_gen,p_swap,cutoff", [(3, 0.4, 0.7, 2), (4, 0.5, 0.8, 3), (4, 0.9, 0.5, 2)])
def test_optimal_and_swap_asap_against_value_iteration_from_the_definition(n, p_gen, p_swap, cutoff):
    """Value iteration over every outcome, written from the slot model's definition in conftest (no shared code,
    another algorithm): the optimal and swap-asap expected times to 1e-9."""
    from conftest import slot_model_by_value_iteration

    optimal, asap = slot_model_by_value_iteration(n, p_gen, p_swap, cutoff)
    r = qnet.optimal_swap_policy(n, p_gen, p_swap, cutoff)
    assert r.mean_time == pytest.approx(optimal, rel=1e-9)
    assert r.mean_time_of("swap_asap") == pytest.approx(asap, rel=1e-9)


def bb84(state):
    """1 - h(e_x) - h(e_z), floored at 0, with e_x = Φ− + Ψ− and e_z = Ψ+ + Ψ− (written here)."""
    def h(p):
        return 0.0 if p <= 0 or p >= 1 else -p * math.log2(p) - (1 - p) * math.log2(1 - p)
    return max(0.0, 1 - h(state[1] + state[3]) - h(state[2] + state[3]))


def test_key_rate_policies_against_a_monte_carlo_of_explicit_states():
    """objective='key_rate': the secret key per slot (BB84 fraction of each delivered pair over the mean slots
    per delivery) of the returned policy and of swap-asap, against the Monte Carlo carrying every link's state
    (links that could no longer give a positive key discarded); the optimum beats every fixed rule."""
    memory = qnet.PauliMemory.depolarizing(0.01)
    fresh = qnet.werner(0.99)
    r = qnet.optimal_swap_policy(4, 0.5, 0.6, None, objective="key_rate", link_state=0.99, memory=memory)
    chain = xor_convolve(xor_convolve(fresh, fresh), fresh)
    assert r.age_limit == max(a for a in range(200) if bb84(wait(chain, memory.rates, a)) > 0)
    assert r.key_rate >= max(r.policy_key_rates.values()) * (1 - 1e-12)

    def optimal(links):
        return set(r.policy.get(links, ()))

    for seed, decide, exact in ((6, swap_asap, r.key_rate_of("swap_asap")), (7, optimal, r.key_rate)):
        t, _, states = monte_carlo_states(4, 0.5, 0.6, fresh, memory.rates, lambda s: bb84(s) > 0, decide, 2500,
                                          seed)
        keys = np.array([bb84(s) for s in states])
        # the ratio of means, its standard error by the delta method
        rate = keys.mean() / t.mean()
        se = rate * math.sqrt(keys.var(ddof=1) / keys.mean() ** 2 / keys.size + t.var(ddof=1) / t.mean() ** 2 / t.size)
        assert abs(rate - exact) < 4.5 * se, (decide.__name__, rate, exact, se)


def test_key_rate_objective_refusals():
    r = qnet.optimal_swap_policy(3, 0.5, 0.9, None)
    with pytest.raises(ValueError, match="objective='key_rate'"):
        r.key_rate_of("swap_asap")
    with pytest.raises(ValueError, match="objective"):
        qnet.optimal_swap_policy(3, 0.5, 0.9, None, objective="fidelity")
    with pytest.raises(ValueError, match="a positive key is out of reach"):
        qnet.optimal_swap_policy(5, 0.5, 0.9, None, objective="key_rate", link_state=0.9)
