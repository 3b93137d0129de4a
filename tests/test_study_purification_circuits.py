"""Study ``python -m qnet.studies.purification_circuits``: quick run, data against the API."""

from __future__ import annotations

import csv
import json

import pytest

import qnet
from qnet.studies import purification_circuits as study

from conftest import assert_figures, run_quick_study


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    return run_quick_study(study, tmp_path_factory)


def rows(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_writes_figures_and_data(quick):
    out, res = quick
    assert_figures(out, study)
    meta = json.loads((out / "purification_circuits.json").read_text())
    assert meta["parameters"]["quick"] and meta["parameters"]["gate_fidelity"] == 0.99
    assert set(meta["chain_best_option"]) == {"as run", "memory dephasing 1e-2 per step", "no cut-off",
                                              "gate fidelity 0.995, measurement error 0.005"}


def test_circuit_rows_are_the_api(quick):
    out, _ = quick
    noise = qnet.OperationNoise(0.99, 0.01)
    for row in rows(out / "circuits.csv")[::4]:
        F, label = float(row["F_in"]), row["circuit"]
        key = dict(study.CIRCUITS)[label]
        w = qnet.werner(F)
        if key == "pumping":
            first = qnet.purify(w, w, "dejmps", noise=noise)
            want = float(qnet.purify(first.state, w, "dejmps", noise=noise).state[0])
        elif key == "searched":
            want = qnet.search_circuits([w] * 3, noise=noise).best.fidelity
        else:
            c = qnet.circuit(key)
            want = float(c.apply(*[w] * c.arity, noise=noise).state[0])
        assert float(row["F_out"]) == pytest.approx(want, abs=1e-12)
        assert float(row["gain"]) == pytest.approx(want - F, abs=1e-12)


def test_chain_rows_are_the_exact_engine(quick):
    out, _ = quick
    row = next(r for r in rows(out / "chain.csv") if r["option"] == "double selection on every link")
    schedule, protocol = study.CHAIN_OPTIONS[row["option"]]
    chain = qnet.RepeaterChain(schedule, 0.3, 0.9, qnet.werner(float(row["w0"])), [0.0, 0.0, 1e-3], cutoff=30,
                               protocol=protocol, noise=qnet.OperationNoise(0.99, 0.01))
    assert float(row["key_rate_per_step"]) == pytest.approx(chain.delivery(t_trunc=30_000).key_rate, rel=1e-12)


def test_best_option_reports_no_key_and_ties():
    rates = {(name, 0.9): (0.0, 0.5, 10.0) for name in study.CHAIN_OPTIONS}
    assert study.best_options(rates, [0.9]) == ["no key"]
    rates.update({("DEJMPS end to end", 0.9): (1e-3, 0.9, 10.0), ("no distillation", 0.9): (1e-3, 0.9, 10.0)})
    assert study.best_options(rates, [0.9]) == ["no distillation = DEJMPS end to end"]
