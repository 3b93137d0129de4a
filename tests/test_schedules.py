"""Arbitrary repeater schedules (qnet.Schedule): construction, validation, and exact delivery distributions.

Independent paths: closed forms (the slowest of the links when nothing fails, Werner parameters multiplying),
mirror symmetry of the chain, the direct O(T^2) reference evaluation, and the event-level Monte Carlo.
"""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qnet
import qnet.chains._exact as C

INF = float("inf")


# ---------------------------------------------------------------- construction
def test_la_corte_example_is_the_nested_schedule():
    # the example: after s0, s2 on 5 nodes the links 0-2 and 2-4 are addressed d1 and d3
    seq = qnet.Schedule.from_sequence(("s0", "s2", "d1", "d3", "s1"), n_nodes=5)
    nested = qnet.Schedule.from_levels(("swap", "distill", "swap"))
    assert seq.same_tree(nested) and seq.n_segments == 4 and seq.n_operations == 5
    a = qnet.chain_delivery(seq, 0.4, 0.8, 0.97, 60.0, cutoff=12, t_trunc=3000)
    b = qnet.chain_delivery(nested, 0.4, 0.8, 0.97, 60.0, cutoff=12, t_trunc=3000)
    c = qnet.chain_delivery(("swap", "distill", "swap"), 0.4, 0.8, 0.97, 60.0, cutoff=12, t_trunc=3000)
    np.testing.assert_array_equal(a.pmf, c.pmf)
    np.testing.assert_array_equal(b.pmf, c.pmf)


def test_nested_levels_give_tokens_that_rebuild_the_same_tree():
    for levels in [("swap",), ("distill", "swap", "swap"), ("swap", "distill", "swap", "distill"), ("swap",) * 3]:
        s = qnet.Schedule.from_levels(levels)
        assert qnet.Schedule.from_sequence(s.tokens, s.n_nodes).same_tree(s)


def test_schedule_prints_as_a_tree_and_serializes():
    s = qnet.Schedule(["d0", "s0"], n_nodes=3)
    assert str(s).splitlines() == ["swap at node 1 [0-2]", "├── distill [0-1]", "│   └── link 0 [0-1]",
                                   "└── link 1 [1-2]"]
    assert s.to_dict() == {"n_nodes": 3, "tokens": ["d0", "s0"]}
    assert eval(repr(s), {"Schedule": qnet.Schedule}) == s


@pytest.mark.parametrize("tokens, n_nodes, error, match", [
    (["s0", "x1"], 4, ValueError, r"tokens\[1\] = 'x1' is not a token"),
    (["s0", "s0", "s1"], 4, ValueError, "s0 appears twice"),
    (["s0", "d0", "s1"], 4, ValueError, "d0 after s0"),
    (["s2", "s0"], 4, ValueError, r"index 2 out of range; with n_nodes=4, s_i takes i in 0..1"),
    (["d3", "s0", "s1"], 4, ValueError, r"index 3 out of range; with n_nodes=4, d_i takes i in 0..2"),
    (["s0"], 4, ValueError, "never swap at s1"),
    (["s0"], 1, ValueError, "n_nodes must be an integer in"),
    ("s0", 3, TypeError, "tokens must be a sequence"),
    (["s0"], 2.5, TypeError, "n_nodes must be an integer"),
])
def test_bad_sequences_are_refused_with_the_rule_they_break(tokens, n_nodes, error, match):
    with pytest.raises(error, match=match):
        qnet.Schedule.from_sequence(tokens, n_nodes)


def test_tokens_need_the_node_count():
    with pytest.raises(TypeError, match="needs n_nodes"):
        qnet.Schedule(["s0"])
    assert qnet.Schedule(()).n_segments == 1 == qnet.Schedule((), n_nodes=2).n_segments  # a single link


def test_single_link_chains_search_their_distillation_rounds():
    chain = qnet.RepeaterChain.werner((), 0.5, 0.9, 0.95, 100.0)
    res = qnet.search_schedules(chain, max_rounds=1, t_trunc=500)
    assert res.n_evaluated == 2 and res.best.tokens == ()  # a distilled link is slower than it is better here
    distilled = qnet.chain_delivery(qnet.Schedule(["d0"], n_nodes=2), 0.5, 0.9, 0.95, 100.0, t_trunc=500)
    assert dict(res.ranking)[("d0",)] == pytest.approx(distilled.key_rate, rel=1e-15)


def test_cutoffs_per_token():
    s = qnet.Schedule(["s0", "s1"], n_nodes=4)
    with pytest.raises(ValueError, match="cutoff has 3 values but the schedule has 2 tokens; give one per token"):
        qnet.chain_delivery(s, 0.5, 0.9, 0.98, 50.0, cutoff=(1, 2, 3))
    with pytest.raises(ValueError, match="p_gen has 2 values but the schedule has 3 segments"):
        qnet.chain_delivery(s, [0.5, 0.5], 0.9, 0.98, 50.0)


# ---------------------------------------------------------------- closed forms and symmetry
@pytest.mark.parametrize("tokens", [("s0", "s1", "s2"), ("s2", "s1", "s0"), ("s1", "s0", "s2"), ("s0", "s2", "s1")])
def test_no_failures_no_decay_delivers_when_the_last_link_arrives(tokens):
    # p_swap = 1, no cut-offs, no decoherence: any order delivers at the maximum of the four geometric link
    # times, and the Werner parameters multiply
    p = 0.5
    r = qnet.chain_delivery(qnet.Schedule(tokens, n_nodes=5), p, 1.0, 0.9, INF, t_trunc=400, tol=1e-12)
    t = np.arange(400)
    cdf = (1 - (1 - p) ** t) ** 4
    np.testing.assert_allclose(r.pmf[1:], np.diff(cdf), rtol=0, atol=1e-14)
    assert r.mean_fidelity == pytest.approx((1 + 3 * 0.9**4) / 4, abs=1e-13)


def test_mirror_image_schedule_on_the_mirror_chain_is_the_same():
    p_gen, w0 = [0.3, 0.6, 0.45, 0.8], [0.97, 0.99, 0.95, 0.98]
    left = qnet.Schedule(("d1", "s0", "s2", "s1", "d3"), n_nodes=5)
    right = qnet.Schedule(("d2", "s2", "s0", "s1", "d3"), n_nodes=5)  # the same tree read from the other end
    a = qnet.chain_delivery(left, p_gen, 0.7, w0, 40.0, cutoff=9, t_trunc=4000)
    b = qnet.chain_delivery(right, p_gen[::-1], 0.7, w0[::-1], 40.0, cutoff=9, t_trunc=4000)
    np.testing.assert_allclose(a.pmf, b.pmf, rtol=0, atol=1e-15)
    # states are ratios J/pmf: where the pmf is tiny the FFT's absolute round-off (~1e-17) is magnified; the
    # tolerance of the fast-versus-direct property test
    ok = a.pmf > 1e-5
    np.testing.assert_allclose(a.state[ok], b.state[ok], rtol=0, atol=1e-10)


def test_swap_order_matters_when_swaps_fail():
    # with p_swap < 1 the order decides what a failure throws away: the exact distributions differ
    a = qnet.chain_delivery(qnet.Schedule(("s0", "s1", "s2"), 5), 0.5, 0.5, 0.98, 50.0, t_trunc=6000)
    b = qnet.chain_delivery(qnet.Schedule(("s0", "s2", "s1"), 5), 0.5, 0.5, 0.98, 50.0, t_trunc=6000)
    assert abs(a.mean_time - b.mean_time) > 0.1


# ---------------------------------------------------------------- random schedules: fast = direct, exact = Monte Carlo
@st.composite
def _sequences(draw):
    n_nodes = draw(st.integers(2, 6))
    order = draw(st.permutations(range(n_nodes - 2)))
    tokens, alive = [], set(range(n_nodes - 1))
    for i in order:
        for j in sorted(alive):
            if draw(st.integers(0, 5)) == 0:
                tokens.append(f"d{j}")
        tokens.append(f"s{i}")
        alive.discard(i)
    if draw(st.booleans()):
        tokens.append(f"d{n_nodes - 2}")
    return qnet.Schedule(tokens, n_nodes=n_nodes)


@settings(max_examples=40, deadline=None)
@given(schedule=_sequences(), data=st.data())
def test_random_schedules_fast_path_equals_reference(schedule, data):
    n = schedule.n_segments
    p_gen = data.draw(st.lists(st.floats(0.2, 0.95), min_size=n, max_size=n))
    cut_type = data.draw(st.sampled_from(["memory_time", "run_time", None]))
    cutoff = None if cut_type is None else data.draw(st.integers(2, 12)) if cut_type == "memory_time" \
        else data.draw(st.integers(8, 40))
    if data.draw(st.booleans()):
        chain = qnet.RepeaterChain.werner(schedule, p_gen, data.draw(st.floats(0.5, 1.0)), 0.97, 30.0, cutoff,
                                          cut_type or "memory_time")
    else:
        chain = qnet.RepeaterChain(schedule, p_gen, data.draw(st.floats(0.5, 1.0)), [0.9, 0.05, 0.03, 0.02],
                                   [0.002, 0.001, 0.01], cutoff, cut_type or "memory_time",
                                   protocol=data.draw(st.sampled_from(["dejmps", "cnot", "bbpssw"])))
    m = chain._model
    T = 160
    try:
        fast = C._result(C._evaluate(m, T), m, None)
    except ValueError as exc:
        with pytest.raises(type(exc), match="never delivers"):
            C._reference_delivery(m, T)
        return
    ref = C._reference_delivery(m, T)
    assert abs(fast.coverage - ref.coverage) <= 1e-10
    np.testing.assert_allclose(fast.pmf, ref.pmf, rtol=0, atol=1e-13)
    ok = ref.pmf > 1e-5
    np.testing.assert_allclose(fast.state[ok], ref.state[ok], rtol=0, atol=1e-10)


@pytest.mark.parametrize("tokens, n_nodes, cutoff", [
    (("s1", "d0", "s0", "d2"), 4, 6),
    (("d0", "d0", "s0"), 3, (4, 7, 9)),
    (("s2", "s0", "d1", "s1"), 5, 8),
])
def test_schedules_agree_with_the_monte_carlo(tokens, n_nodes, cutoff):
    chain = qnet.RepeaterChain(qnet.Schedule(tokens, n_nodes), [0.5, 0.35, 0.6, 0.45][:n_nodes - 1], 0.85,
                               [0.95, 0.02, 0.02, 0.01], [0.001, 0.0005, 0.004], cutoff)
    exact = chain.delivery(4000)
    mc = chain.simulate(100_000, seed=4)
    for value, (lo, hi) in ((exact.mean_time, mc.mean_time_ci), (exact.mean_fidelity, mc.mean_fidelity_ci)):
        assert lo - 1e-12 <= value <= hi + 1e-12, (value, lo, hi)


def test_every_order_of_three_swaps_is_a_valid_schedule():
    for order in itertools.permutations(range(3)):
        s = qnet.Schedule([f"s{i}" for i in order], n_nodes=5)
        assert s.n_operations == 3 and s.n_segments == 4


# ---------------------------------------------------------------- La Corte et al.'s published numbers
#: Secret-key rates (BB84 key fraction of the average delivered Werner state per mean delivery time, no cut-offs)
#: from the brute-force run of La Corte, Li, Coopmans, Elkouss et al.'s public code: repository
#: LorenzoLaCorte/repeater-cut-off-optimization, file asymmetric/swap_sequences/correct_swap/
#: results_bf_tcoh40000_pgen0.02_pswap0.85_w00.99_nodes5_maxdists1/output.txt (commit dccf473e).
LA_CORTE_5_NODES = {
    ("s0", "s2", "s1"): 0.004806193761283744,
    ("s2", "s1", "s0"): 0.004509004018635672,
    ("s0", "s1", "s2"): 0.004509004018635295,
    ("s0", "d2", "s2", "s1"): 0.004436881237791502,
    ("d3", "s0", "s2", "s1"): 0.004436881237791474,
    ("s2", "s1", "d0", "s0"): 0.00433664820802232,
    ("d0", "d1", "s0", "s2", "s1"): 0.004203670964097686,
    ("s0", "s2", "d3", "s1"): 0.004179694825342548,
    ("d0", "s2", "s1", "d0", "s0"): 0.004013983593941048,
    ("s0", "s2", "s1", "d3"): 0.0037586890138635695,
}


@pytest.mark.parametrize("tokens", list(LA_CORTE_5_NODES), ids=["-".join(t) for t in LA_CORTE_5_NODES])
def test_la_corte_published_key_rates(tokens):
    r = qnet.chain_delivery(qnet.Schedule.from_sequence(tokens, n_nodes=5), p_gen=0.02, p_swap=0.85, w0=0.99,
                            t_coh=40000.0, t_trunc=20000)
    assert r.key_rate == pytest.approx(LA_CORTE_5_NODES[tokens], rel=1e-9)


# ---------------------------------------------------------------- protocol search
def test_exhaustive_search_finds_la_corte_optimum():
    # without distillation, 5 nodes have 5 swap trees; the best is La Corte et al.'s brute-force optimum
    chain = qnet.RepeaterChain.werner(("swap", "swap"), 0.02, 0.85, 0.99, 40000.0)
    res = qnet.search_schedules(chain, max_rounds=0, t_trunc=20000)
    assert res.n_evaluated == 5 and res.best.same_tree(qnet.Schedule(("s0", "s2", "s1"), n_nodes=5))
    assert res.value == pytest.approx(LA_CORTE_5_NODES[("s0", "s2", "s1")], rel=1e-9)
    values = dict(res.ranking)
    assert values[("s0", "s1", "s2")] == pytest.approx(LA_CORTE_5_NODES[("s0", "s1", "s2")], rel=1e-9)


def test_heuristic_search_is_deterministic_and_never_beats_the_exhaustive_one():
    chain = qnet.RepeaterChain.werner(("swap", "swap"), 0.3, 0.85, 0.99, 400.0)
    exhaustive = qnet.search_schedules(chain, max_rounds=1, t_trunc=1500)
    a = qnet.search_schedules(chain, max_rounds=1, t_trunc=1500, method="heuristic", maxiter=5, seed=3)
    b = qnet.search_schedules(chain, max_rounds=1, t_trunc=1500, method="heuristic", maxiter=5, seed=3)
    assert a.best == b.best and a.value == b.value and a.ranking == b.ranking
    assert a.value <= exhaustive.value
    assert exhaustive.n_evaluated == 640  # Catalan(3) = 5 brackets x 2**7 round choices on their 7 links


def test_rate_at_fidelity_needs_distillation_when_the_threshold_is_high():
    chain = qnet.RepeaterChain.werner(("swap",), 0.5, 0.9, 0.95, 500.0)
    # swapping alone delivers F = 0.925; one round on each link 0.945 (rate 0.242), both links then the end-to-end
    # pair 0.960 (rate 0.173): the fastest schedule that reaches the threshold wins
    plain = qnet.search_schedules(chain, objective="rate_at_fidelity", fidelity_threshold=0.9, max_rounds=1,
                                  t_trunc=2000)
    strict = qnet.search_schedules(chain, objective="rate_at_fidelity", fidelity_threshold=0.94, max_rounds=1,
                                   t_trunc=2000)
    assert plain.best.tokens == ("s0",) and strict.best.tokens == ("d0", "d1", "s0")
    assert strict.delivery.mean_fidelity >= 0.94 > plain.delivery.mean_fidelity
    assert strict.value == pytest.approx(1 / strict.delivery.mean_time, rel=1e-15)


def test_per_pair_key_rate_matches_the_monte_carlo_and_is_never_below_the_average_state_one():
    chain = qnet.RepeaterChain(qnet.Schedule(("d0", "s0"), 3), 0.5, 0.9, [0.95, 0.03, 0.01, 0.01],
                               [0.0005, 0.0, 0.003], 10)
    exact = chain.delivery(3000)
    assert exact.key_rate_per_pair >= exact.key_rate
    mc = chain.simulate(200_000, seed=8)
    frac = qnet.bb84_key_fraction(mc.states)
    estimate = frac.mean() / mc.mean_time
    stderr = frac.std(ddof=1) / np.sqrt(mc.n) / mc.mean_time + estimate * (mc.mean_time_ci[1] - mc.mean_time) / 1.96 \
        / mc.mean_time
    assert abs(estimate - exact.key_rate_per_pair) < 4 * stderr


@pytest.mark.parametrize("kwargs, error, match", [
    ({"objective": "rate_at_fidelity"}, ValueError, "fidelity_threshold is needed"),
    ({"fidelity_threshold": 0.9}, ValueError, "fidelity_threshold is needed"),
    ({"method": "annealing"}, ValueError, "unknown method"),
    ({"max_rounds": 4}, ValueError, "max_rounds"),
])
def test_search_refuses_bad_options(kwargs, error, match):
    chain = qnet.RepeaterChain.werner(("swap",), 0.5, 0.9, 0.95, 500.0)
    with pytest.raises(error, match=match):
        qnet.search_schedules(chain, **kwargs)


def test_search_refuses_a_space_too_large_to_enumerate():
    chain = qnet.RepeaterChain.werner(("swap",) * 4, 0.5, 0.9, 0.99, 500.0)
    with pytest.raises(ValueError, match="MAX_ENUMERATED"):
        qnet.search_schedules(chain, max_rounds=2)


def test_joint_cutoff_search_improves_on_the_fixed_cutoff_and_matches_the_optimizer():
    chain = qnet.RepeaterChain.werner(("swap", "swap"), 0.3, 0.85, 0.99, 60.0)
    fixed = qnet.search_schedules(chain, max_rounds=0, t_trunc=1500)
    joint = qnet.search_schedules(chain, max_rounds=0, t_trunc=1500, joint_cutoff=2, maxiter=5)
    assert fixed.cutoff == (None, None, None) and joint.value > 1.5 * fixed.value
    alone = chain.with_schedule(joint.best).optimize_cutoff(t_trunc=1500, maxiter=5, tol=1e-4)
    assert (joint.cutoff, joint.value) == (alone.cutoff, alone.value)
    assert joint.delivery.key_rate == joint.value and joint.delivery.cutoff == joint.cutoff
