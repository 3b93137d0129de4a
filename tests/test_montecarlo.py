"""Monte Carlo (qnet.montecarlo) against the exact distributions of qnet.chains.

The seeds are fixed, so these tests are deterministic. Agreement is required within 4 standard
errors (the reported 95 % intervals widened by 4/1.96), for the mean delivery time, the mean
fidelity and the probability of the most likely delivery times.
"""

from __future__ import annotations

import numpy as np
import pytest

import qnet

WIDEN = 4.0 / 1.959963984540054


def _inside(value, ci):
    lo, hi = ci
    mid, half = (lo + hi) / 2, (hi - lo) / 2 * WIDEN
    return abs(value - mid) <= half


def _compare(exact, mc, n_bins=5):
    assert _inside(exact.mean_time, mc.mean_time_ci), (exact.mean_time, mc.mean_time_ci)
    assert _inside(exact.mean_fidelity, mc.mean_fidelity_ci), (exact.mean_fidelity, mc.mean_fidelity_ci)
    p, lo, hi = mc.pmf(exact.t_trunc)
    for t in np.argsort(exact.pmf)[::-1][:n_bins]:
        assert _inside(exact.pmf[t], (lo[t], hi[t])), (t, exact.pmf[t], lo[t], hi[t])


@pytest.mark.parametrize(
    "args, kw",
    [
        ((("distill", "swap", "distill", "swap"), 0.5, 0.8, 0.98, 30.0), dict(cutoff=(3, 6, 10, 14))),
        ((("swap", "swap", "swap"), [0.5, 0.4, 0.3, 0.6, 0.5, 0.5, 0.2, 0.9], 0.8, 0.98, 30.0), dict(cutoff=5)),
        ((("swap", "swap"), [0.5, 0.3, 0.4], 0.9, [0.99, 0.97, 0.98], 40.0), dict(cutoff=(4, 9))),
        ((("distill", "swap"), 0.5, 0.8, 0.99, 50.0), dict(cutoff=(5, 10), cut_type="run_time")),
        ((("distill",), 0.5, 0.8, 0.99, 50.0), dict(cutoff=0.97, cut_type="fidelity")),
        ((("swap",), 0.3, 0.6, 0.99, 20.0), dict(cutoff=0.9, cut_type="fidelity")),
    ],
    ids=["mixed-memory", "8-seg-asymmetric", "3-seg", "run-time", "fidelity-distill", "fidelity-swap"],
)
def test_werner_chain_agrees_with_exact(args, kw):
    exact = qnet.chain_delivery(*args, **kw, t_trunc=3000)
    mc = qnet.simulate_chain(*args, **kw, n_samples=100_000, seed=11)
    _compare(exact, mc)


def test_bds_chain_agrees_with_exact():
    args = (("distill", "swap", "swap"), 0.4, 0.9)
    kw = dict(link_state=[0.93, 0.03, 0.025, 0.015], memory=[0.001, 0.0005, 0.004], cutoff=(6, 12, 20),
              protocol="dejmps")
    exact = qnet.chain_delivery(*args, **kw, t_trunc=3000)
    mc = qnet.simulate_chain(*args, **kw, n_samples=100_000, seed=5)
    _compare(exact, mc)
    # each Bell coefficient of the mean state, not only the fidelity
    sd = mc.states.std(axis=0, ddof=1) / np.sqrt(mc.n)
    assert np.all(np.abs(exact.mean_state - mc.mean_state) <= 4 * sd + 1e-15)


def test_seed_reproducible_and_merge():
    a = qnet.simulate_chain(("swap",), 0.4, 0.8, 0.95, 10.0, cutoff=3, n_samples=1000, seed=7)
    b = qnet.simulate_chain(("swap",), 0.4, 0.8, 0.95, 10.0, cutoff=3, n_samples=1000, seed=7)
    c = qnet.simulate_chain(("swap",), 0.4, 0.8, 0.95, 10.0, cutoff=3, n_samples=1000, seed=8)
    np.testing.assert_array_equal(a.times, b.times)
    np.testing.assert_array_equal(a.states, b.states)
    assert not np.array_equal(a.times, c.times)
    m = a + c
    assert m.n == 2000 and m.seeds == (7, 8) and m.n_links == a.n_links + c.n_links
    with pytest.raises(ValueError, match=r"share seeds \[7\]"):
        a + b  # the same samples twice would narrow the confidence intervals falsely


def test_link_count_without_cutoff():
    # With p_swap = 1 and no cut-off one delivery of a 4-segment swap chain uses exactly 4 links.
    mc = qnet.simulate_chain(("swap", "swap"), 0.3, 1.0, 1.0, float("inf"), n_samples=500, seed=1)
    assert mc.n_links == 4 * 500
    assert np.allclose(mc.states[:, 0], 1.0)


def test_bad_n_samples():
    with pytest.raises(ValueError, match="n_samples"):
        qnet.simulate_chain(("swap",), 0.4, 0.8, 0.95, 10.0, n_samples=1)


def test_bad_seed():
    with pytest.raises(ValueError, match="seed"):
        qnet.simulate_chain(("swap",), 0.4, 0.8, 0.95, 10.0, seed=-1)


def test_bad_probability_in_mc():
    with pytest.raises(ValueError, match="p_swap"):
        qnet.simulate_chain(("swap",), 0.4, 1.2, 0.95, 10.0)


# ---------------------------------------------------------------- time-stepped swap-as-soon-as-possible
def test_swap_asap_two_segments_is_the_one_level_model():
    # With two segments, discarding the waiting link after `cutoff` steps and regenerating it is Li et al.'s
    # one-level memory cut-off (the other link's attempts are memoryless), so the exact model applies.
    exact = qnet.chain_delivery(("swap",), 0.3, 0.7, 0.95, 20.0, cutoff=4, t_trunc=2000)
    mc = qnet.simulate_swap_asap(0.3, 0.7, qnet.werner((1 + 3 * 0.95) / 4), qnet.werner_memory_rates(20.0), cutoff=4,
                                 n_segments=2, n_samples=100_000, seed=1)
    _compare(exact, mc)


def test_swap_asap_without_cutoff_is_max_of_geometrics():
    # p_swap = 1 and no cut-off: links are never lost, so delivery happens when the last segment first succeeds:
    # P(T <= t) = prod_s (1 - q_s^t).
    p = np.array([0.5, 0.3, 0.6, 0.4, 0.45])
    mc = qnet.simulate_swap_asap(p, 1.0, qnet.werner(0.97), [0.0, 0.0, 0.0], n_samples=100_000, seed=2)
    t = np.arange(0, 60)
    cdf = np.prod(1 - (1 - p[:, None]) ** t[None, :], axis=0)
    pmf = np.diff(cdf, prepend=0.0)
    emp, lo, hi = mc.pmf(60)
    top = np.argsort(pmf)[::-1][:8]
    half = (hi - lo) / 2 * WIDEN
    assert np.all(np.abs(pmf[top] - (lo + hi)[top] / 2) <= half[top])
    # without memory noise the delivered state is the Z2xZ2 convolution of the five link states
    lam = qnet.werner(0.97)
    expect = lam
    for _ in range(4):
        expect = qnet.channels.convolve(expect, lam)
    np.testing.assert_allclose(mc.states, np.broadcast_to(expect, mc.states.shape), atol=1e-14)


def test_swap_asap_length_mismatch():
    with pytest.raises(ValueError, match="different chain lengths"):
        qnet.simulate_swap_asap([0.5, 0.5], 1.0, qnet.werner(0.9), np.zeros((5, 3)))


def test_swap_asap_fractional_cutoff():
    with pytest.raises(ValueError, match="whole number"):
        qnet.simulate_swap_asap(0.5, 1.0, qnet.werner(0.9), [0, 0, 0], cutoff=1.5)


def test_mc_chain_that_never_delivers(monkeypatch):
    monkeypatch.setattr(qnet.chains.problem, "MAX_LINKS_PER_DELIVERY", 10_000)
    with pytest.raises(ValueError, match="never delivers"):
        qnet.simulate_chain(("swap", "swap"), 0.5, 1.0, 0.625, 4.0, cutoff=0.6, cut_type="fidelity", n_samples=10)


def test_one_seed_rule_for_every_random_function():
    # an int, a Generator or a SeedSequence (an int is drawn from it), or None; the run records the int used
    rng = np.random.default_rng(7)
    a = qnet.simulate_chain(("swap",), 0.4, 0.8, 0.95, 10.0, n_samples=50, seed=rng)
    b = qnet.simulate_chain(("swap",), 0.4, 0.8, 0.95, 10.0, n_samples=50, seed=a.seeds[0])
    np.testing.assert_array_equal(a.times, b.times)
    assert a.seeds[0] == int(np.random.default_rng(7).integers(2**32))
    ss = np.random.SeedSequence(3)
    c = qnet.simulate_swap_asap(0.5, 1.0, qnet.werner(0.9), [0, 0, 0], n_segments=2, n_samples=20, seed=ss)
    assert c.seeds == (int(np.random.SeedSequence(3).generate_state(1)[0]),)
    assert 0 <= qnet.simulate_chain(("swap",), 0.4, 0.8, 0.95, 10.0, n_samples=5, seed=None).seeds[0] < 2**32
    g1 = qnet.random_geometric_network(20, 0.4, 100.0, seed=np.random.default_rng(1))
    g2 = qnet.random_geometric_network(20, 0.4, 100.0, seed=int(np.random.default_rng(1).integers(2**32)))
    assert sorted(g1.edges) == sorted(g2.edges)
    with pytest.raises(TypeError, match="seed"):
        qnet.simulate_chain(("swap",), 0.4, 0.8, 0.95, 10.0, n_samples=5, seed=1.5)


# ---------------------------------------------------------------- item 7 of the review: one problem per merge
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


# ---------------------------------------------------------------- item 13 of the review: exceptions of the right type
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
