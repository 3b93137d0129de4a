"""Study ``python -m qnet.studies.network_purification``: quick run, data against the API, bad options."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

import qnet
from qnet.studies import network_purification as study

from conftest import assert_figures, run_quick_study


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    return run_quick_study(study, tmp_path_factory)


def test_writes_figures_and_data(quick):
    out, res = quick
    assert_figures(out, study)
    meta = json.loads((out / "network_purification.json").read_text())
    assert meta["parameters"]["memories"] == list(study.QUICK_MEMORIES) and "environment" in meta
    assert set(study.POLICIES) <= set(meta["headline"]) and meta["parameters"]["protocol"] == "auto"


def test_csv_matches_the_api(quick):
    """A row of the CSV is the simulation it names, re-run here (same seed, same numbers)."""
    out, _ = quick
    with open(out / "network_purification.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(study.POLICIES) * len(study.QUICK_MEMORIES) * 2 * len(study.REQUESTS)
    row = next(r for r in rows if r["policy"] == "immediate" and r["n_memories"] == "16"
               and r["classical_delay"] == "True" and r["request"] == "1")
    args = study._common.parse_args(study.build_parser(), ["--quick"])
    res = qnet.simulate_network(study.network(args, 16), list(study.REQUESTS), n_deliveries=300, seed=1,
                                purification=qnet.Purification.immediate(1, "auto"),
                                cutoff=qnet.Cutoff.memory_time(0.02))
    r = res.requests[1]
    assert float(row["mean_fidelity"]) == pytest.approx(r.mean_fidelity, rel=1e-12)
    assert float(row["throughput_hz"]) == pytest.approx(r.throughput_hz, rel=1e-12)


def test_purification_costs_throughput_and_raises_fidelity(quick):
    _, res = quick
    head = res["headline"]
    for policy in ("immediate", "deferred", "optimal"):
        assert head[policy]["mean_fidelity"] > head["none"]["mean_fidelity"] + 0.05
        assert head[policy]["total_throughput_hz"] < head["none"]["total_throughput_hz"]


@pytest.mark.parametrize("option", [["--spacing", "-1"], ["--deliveries", "2"], ["--t2", "0"]])
def test_bad_options_are_one_line_and_exit_2(option, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "qnet.studies.network_purification", *option, "--out",
                           str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert option[0] in proc.stderr
