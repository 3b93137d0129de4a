"""Repeater chains that distil with a circuit of more than two pairs (k copies of the sub-chain per distillation):
the windowed k-way join against the straightforward O(T^k) enumeration, the exact distributions against a sampling
of the process that applies the circuit with qnet.Circuit.apply, and against the chain Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest

import qnet
from qnet.chains._exact import _evaluate

NOISE = qnet.OperationNoise(0.99, 0.01)
MEMORY = [0.0, 0.001, 0.004]


@pytest.mark.parametrize("schedule, cutoff, cut_type", [
    (("distill",), None, "memory_time"),
    (("distill",), 4, "memory_time"),
    (("distill",), 6, "run_time"),
    (("swap", "distill"), 8, "memory_time"),
    (("distill", "swap"), None, "memory_time"),
])
def test_k_way_join_equals_enumeration(schedule, cutoff, cut_type):
    """Joint delivery arrays of the fast path (windowed sums, O(T 2^k) per term) and of the direct path (every
    triple of arrival times, renewal sums term by term) agree to 1e-13 (the FFT renewal sums round at 4e-14)."""
    chain = qnet.RepeaterChain(schedule, 0.3, 0.8, qnet.werner(0.9), MEMORY, cutoff=cutoff, cut_type=cut_type,
                               protocol="double_selection", noise=NOISE)
    fast = _evaluate(chain._model, 90)
    direct = _evaluate(chain._model, 90, direct=True)
    np.testing.assert_allclose(fast, direct, rtol=0, atol=1e-13)


def _sample_one_level(rng, n, p, lam, tau, circuit, noise):
    """Deliveries of one segment distilled by ``circuit`` from k independent links: each attempt draws k
    geometric link times; if they spread over more than ``tau`` all are dropped when the first has waited
    ``tau``; otherwise each link idles until the last arrives and the circuit runs (Circuit.apply), succeeding
    with its probability; a failure starts again. Returns delivery times and states."""
    k = circuit.arity
    times = np.zeros(n, dtype=np.int64)
    states = np.zeros((n, 4))
    todo = np.arange(n)
    while todo.size:
        t = rng.geometric(p, size=(todo.size, k))
        lo, hi = t.min(axis=1), t.max(axis=1)
        cut = hi - lo > tau
        times[todo[cut]] += lo[cut] + tau
        run, tr = todo[~cut], t[~cut]
        waited = [qnet.idle(lam, MEMORY, (tr.max(axis=1) - tr[:, j]).astype(float)) for j in range(k)]
        out, ps = circuit.apply(*waited, noise=noise)
        ok = rng.random(run.size) < ps
        times[run] += tr.max(axis=1)
        states[run[ok]] = out[ok]
        todo = np.concatenate([todo[cut], run[~ok]])
    return times, states


def _agrees_with(exact, times, states, per_bin):
    """Sampled deliveries against an exact distribution: chi-square on the delivery times, bins of about ``per_bin``
    expected deliveries (those expecting more than 5 counted), p > 1e-3; mean fidelity within 5 standard errors."""
    from scipy import stats

    n = times.size
    counts = np.bincount(times, minlength=exact.pmf.size)[:exact.pmf.size]
    expected = n * exact.pmf
    edges = np.flatnonzero(np.diff(np.floor(np.cumsum(expected) / per_bin))) + 1
    obs = np.array([c.sum() for c in np.split(counts, edges)])
    exp = np.array([e.sum() for e in np.split(expected, edges)])
    keep = exp > 5
    chi2 = float(np.sum((obs[keep] - exp[keep]) ** 2 / exp[keep]))
    assert stats.chi2.sf(chi2, keep.sum() - 1) > 1e-3, chi2
    fid = states[:, 0]
    assert abs(fid.mean() - exact.mean_fidelity) < 5 * fid.std() / np.sqrt(n)


def test_exact_distribution_against_sampling_of_the_process():
    """One segment distilled by double selection with a memory cut-off of 4 steps: the exact delivery-time pmf
    against 200 000 sampled deliveries (chi-square, p > 1e-3) and the mean fidelity within 5 standard errors."""
    p, tau, n = 0.3, 4, 200_000
    lam = qnet.werner(0.9)
    chain = qnet.RepeaterChain(("distill",), p, 1.0, lam, MEMORY, cutoff=tau, protocol="double_selection",
                               noise=NOISE)
    times, states = _sample_one_level(np.random.default_rng(5), n, p, lam, tau, qnet.circuit("double_selection"),
                                      NOISE)
    _agrees_with(chain.delivery(t_trunc=4000), times, states, per_bin=200)


@pytest.mark.parametrize("schedule, cutoff, cut_type", [(("distill", "swap"), 6, "memory_time"),
                                                         (("swap", "distill"), 12, "run_time")])
def test_chain_monte_carlo_against_the_exact_engine(schedule, cutoff, cut_type):
    """The chain Monte Carlo (event by event, three copies per distillation) against the exact distribution:
    chi-square on the delivery times (p > 1e-3) and the mean fidelity within 5 standard errors."""
    chain = qnet.RepeaterChain(schedule, 0.4, 0.8, qnet.werner(0.93), MEMORY, cutoff=cutoff, cut_type=cut_type,
                               protocol="double_selection", noise=NOISE)
    mc = chain.simulate(100_000, seed=11)
    _agrees_with(chain.delivery(t_trunc=6000), mc.times, mc.states, per_bin=150)


def test_double_selection_chain_is_refused_where_it_is_not_modelled():
    chain = qnet.RepeaterChain(("distill",), 0.3, 0.8, qnet.werner(0.9), MEMORY, protocol="double_selection")
    with pytest.raises(ValueError, match="not fidelity cut-offs"):
        qnet.RepeaterChain(("distill",), 0.3, 0.8, qnet.werner(0.9), MEMORY, cutoff=0.8, cut_type="fidelity",
                           protocol="double_selection")
    with pytest.raises(ValueError, match="protocol"):
        qnet.RepeaterChain(("distill",), 0.3, 0.8, qnet.werner(0.9), MEMORY, protocol="stringent")
    assert chain.protocol == "double_selection" and chain.tree().arity.max() == 3


# ---------------------------------------------------------------- circuits named per distillation in a schedule
def test_schedules_name_a_circuit_per_distillation():
    s = qnet.Schedule(("distill", "double_selection", "swap"))
    assert s.circuits == (None, "double_selection", None) and s.copies() == 6 and s.copies(3) == 9
    assert s.tokens == ("d0", "d0:double_selection", "d1", "d1:double_selection", "s0")
    assert "distill (double_selection) [0-1]" in str(s)
    t = qnet.Schedule(["d0:double_selection", "d1", "s0"], n_nodes=3)
    assert t.circuits == ("double_selection", None, None) and t.to_dict()["tokens"][0] == "d0:double_selection"
    assert t != qnet.Schedule(["d0", "d1", "s0"], n_nodes=3)
    assert not t.same_tree(qnet.Schedule(["d0", "d1", "s0"], n_nodes=3))
    assert qnet.Schedule(("dejmps", "swap")).same_tree(qnet.Schedule(["d0:dejmps", "d1:dejmps", "s0"], n_nodes=3))
    with pytest.raises(ValueError, match="only a distillation names a circuit"):
        qnet.Schedule(["s0:dejmps"], n_nodes=3)
    with pytest.raises(ValueError, match="only a distillation names a circuit"):
        qnet.Schedule(["d0:stringent", "s0"], n_nodes=3)  # four steps: not one distillation of copies
    with pytest.raises(ValueError, match="unknown schedule step 'triple'"):
        qnet.Schedule(("triple", "swap"))


def test_a_named_circuit_is_the_chain_protocol_there():
    """A level named double_selection gives, bit for bit, the chain whose protocol is double selection; tokens that
    mix circuits agree between the fast and the direct path and with the chain Monte Carlo."""
    lam = qnet.werner(0.93)
    named = qnet.RepeaterChain(("double_selection", "swap"), 0.4, 0.8, lam, MEMORY, cutoff=6, protocol="dejmps",
                               noise=NOISE).delivery(t_trunc=3000)
    whole = qnet.RepeaterChain(("distill", "swap"), 0.4, 0.8, lam, MEMORY, cutoff=6, protocol="double_selection",
                               noise=NOISE).delivery(t_trunc=3000)
    np.testing.assert_array_equal(named.pmf, whole.pmf)
    mixed = qnet.RepeaterChain(qnet.Schedule(["d0:double_selection", "d1", "s0"], n_nodes=3), 0.4, 0.8, lam, MEMORY,
                               cutoff=6, protocol="dejmps", noise=NOISE)
    np.testing.assert_allclose(_evaluate(mixed._model, 100), _evaluate(mixed._model, 100, direct=True), atol=1e-13)
    mc = mixed.simulate(60_000, seed=4)
    _agrees_with(mixed.delivery(t_trunc=3000), mc.times, mc.states, per_bin=150)


def test_named_circuits_are_refused_where_they_are_not_modelled():
    with pytest.raises(ValueError, match="Werner model distils with BBPSSW"):
        qnet.RepeaterChain.werner(("double_selection", "swap"), 0.4, 0.8, 0.93, 100.0)
    with pytest.raises(ValueError, match="level 0 distils with 'double_selection'"):
        qnet.RepeaterChain(("double_selection", "swap"), 0.4, 0.8, qnet.werner(0.93), MEMORY, cutoff=0.8,
                           cut_type="fidelity")
