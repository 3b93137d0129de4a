"""Every result type: a short repr (arrays by shape, never thousands of rows) and a JSON-able to_dict()."""

from __future__ import annotations

import json

import numpy as np
import pytest

import qnet

W = qnet.werner(0.9)


def _results():
    chain = qnet.RepeaterChain.werner(("swap",), 0.5, 0.9, 0.95, 50.0)
    G = qnet.ring_network(5, 10.0, p_gen=0.4, w0=0.99)
    yield qnet.chain_delivery(("swap",), 0.5, 1.0, 0.9, 100.0, t_trunc=4000)
    yield chain.optimize_cutoff(t_trunc=400, bounds=(1, 20), maxiter=2)
    yield chain.simulate(3000, seed=1)
    yield qnet.optimal_purification_time(qnet.werner(np.linspace(0.6, 0.99, 500)), W, qnet.depolarizing_rates(1.0),
                                         0.01, 0.1)
    yield qnet.compare_generation_policies(W, W, qnet.depolarizing_rates(1.0), 0.3, 0.01, 0.1)
    yield qnet.purification_gain(qnet.werner(np.linspace(0.6, 0.99, 500)), W)
    yield qnet.recurrence(W, 2)
    yield qnet.SPDCSwapping().evaluate(np.linspace(0.001, 0.1, 200))
    yield qnet.select_path(G, 0, 2)
    yield qnet.serve_pairs(G, [(0, 2)], n_samples=200, t_trunc=400)[0]


@pytest.mark.parametrize("result", list(_results()), ids=lambda r: type(r).__name__)
def test_short_repr_and_json(result):
    assert isinstance(result, qnet.Result)
    text = repr(result)
    assert len(text) < 1200 and "\n" not in text, text[:200]
    data = json.loads(json.dumps(result.to_dict()))
    assert set(data) == set(result.__dataclass_fields__)


def test_every_public_result_type_is_a_result():
    for name in ("ChainDelivery", "CutoffOptimum", "MonteCarloResult", "OptimalTime", "PolicyComparison", "Gain",
                 "ScheduleResult", "SPDCSwappingResult", "SweepResult", "PathChoice", "PairService"):
        assert issubclass(getattr(qnet, name), qnet.Result), name
