"""Study ``python -m qnet.studies.swap_policies``: quick run, data against the API."""

from __future__ import annotations

import csv
import json
import math

import pytest

import qnet
from qnet.studies import swap_policies as study

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
    meta = json.loads((out / "swap_policies.json").read_text())
    assert meta["parameters"]["quick"] and meta["parameters"]["network_cutoffs"] == [2, 5]
    assert "environment" in meta and meta["network_case_exact"]["cutoff 2"]["n_states"] == 396


def test_advantage_rows_are_the_solver(quick):
    out, _ = quick
    table = rows(out / "advantage.csv")
    assert len(table) == 16
    for row in table[::5]:
        r = qnet.optimal_swap_policy(int(row["n_nodes"]), float(row["p_gen"]), float(row["p_swap"]),
                                     int(row["cutoff"]))
        assert float(row["optimal"]) == pytest.approx(r.mean_time, rel=1e-12)
        assert float(row["nested_gain"]) == pytest.approx(1 - r.mean_time_of("nested") / r.mean_time_of("swap_asap"),
                                                          rel=1e-12)


def test_network_rows_are_the_simulator(quick):
    out, _ = quick
    table = rows(out / "network_delays.csv")
    row = next(x for x in table if x["variant"] == "optimal (latest)" and float(x["delay_per_segment_slots"]) == 1.0
               and x["cutoff"] == "5")
    r = qnet.optimal_swap_policy(5, 0.9, 0.5, 5)
    slot = float(row["slot_s"])
    G = qnet.chain_network([study.SEGMENT_KM] * 4, p_gen=0.9, fidelity=1.0, time_step=slot, n_memories=2)
    res = qnet.simulate_network(G, [(0, 4)], n_deliveries=200, seed=2023, swapping=qnet.Swapping.by_policy(r))
    assert float(row["mean_slots"]) == pytest.approx(res.requests[0].times.mean() / slot + 1, rel=1e-12)
    never = [x for x in table if x["note"]]
    assert never and all(x["variant"] == "optimal (snapshot)" and math.isnan(float(x["mean_slots"])) for x in never)
