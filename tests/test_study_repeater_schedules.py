"""Study ``python -m qnet.studies.repeater_schedules``: quick run, data against the API, --help, bad options."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest

import qnet
from qnet.studies import repeater_schedules as study

from conftest import assert_figures, run_quick_study


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    return run_quick_study(study, tmp_path_factory)


def test_writes_figures_and_data(quick):
    out, res = quick
    assert_figures(out, study)
    meta = json.loads((out / "repeater_schedules.json").read_text())
    assert meta["parameters"]["max_rounds"] == 0 and meta["parameters"]["lengths_km"] == [5.0, 30.0, 10.0, 20.0]
    assert "environment" in meta and meta["best"]["symmetric"]["n_schedules"] == 5


def test_balanced_order_wins_on_the_symmetric_chain(quick):
    # La Corte et al.: on equal segments the balanced swap order is best
    _, res = quick
    assert res["best"]["symmetric"]["tokens"] == ["s0", "s2", "s1"]


def test_csv_matches_the_api(quick):
    out, _ = quick
    with open(out / "heterogeneous_chain.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 5
    p_gen = [0.5 * 10 ** (-0.02 * length) for length in study.LENGTHS_KM]
    for row in rows:
        r = qnet.chain_delivery(qnet.Schedule(row["tokens"].split(), n_nodes=5), p_gen, 0.85,
                                list(study.W0_HETEROGENEOUS), 2000.0, t_trunc=6000)
        assert float(row["key_rate"]) == pytest.approx(r.key_rate, rel=1e-12)


@pytest.mark.parametrize("option", [["--max-rounds", "3"], ["--p-swap", "0"], ["--t-trunc", "5"]])
def test_bad_options_are_one_line_and_exit_2(option, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "qnet.studies.repeater_schedules", *option, "--out", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    assert option[0] in proc.stderr
