"""The guaranteed-improvement study runs in --quick mode, writes its figures and data, and agrees with the API."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

import qnet
from qnet.studies import guaranteed_improvement as gi

FIGURES = ("region_fidelity_better", "region_fidelity_worse", "region_weighted_log_negativity_fresher",
           "fraction_improved")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("guaranteed_improvement")
    summary = gi.main(["--quick", "--out", str(out), "--no-progress"])
    with open(out / "improvement_table.csv", newline="") as fh:
        table = list(csv.DictReader(fh))
    return out, summary, table


def _row(table, family, protocol, measure, weighted, baseline):
    return next(r for r in table if (r["family"], r["protocol"], r["measure"], r["weighted"], r["baseline"])
                == (family, protocol, measure, str(weighted), baseline))


def test_writes_figures_data_and_parameters(quick_run):
    out, summary, table = quick_run
    for stem in FIGURES:
        for ext in ("png", "pdf"):
            assert (out / f"{stem}.{ext}").stat().st_size > 1000
    meta = json.loads((out / "guaranteed_improvement.json").read_text())
    assert meta["environment"]["qnet"] == qnet.__version__
    assert meta["parameters"]["samples"] == 10_000 and meta["parameters"]["quick"] is True
    assert set(meta["parameters"]["protocols"]) == set(qnet.PROTOCOLS)
    # one row per family x variant x figure (plain and weighted) x baseline
    assert len(table) == 6 * len(qnet.PROTOCOLS) * 2 * len(gi.MEASURES) * len(qnet.BASELINES)
    assert (out / "regions.csv").exists()
    listed = {r for r in meta["improved_everywhere"]}
    expected = {"/".join([r["family"], r["protocol"], ("weighted_" if r["weighted"] == "True" else "") + r["measure"],
                          r["baseline"]]) for r in table if r["improved_everywhere"] == "True"}
    assert listed == expected


def test_random_ensembles_have_the_requested_size(quick_run):
    _, _, table = quick_run
    r = _row(table, "random", "cnot", "fidelity", False, "better")
    assert int(r["n"]) + int(r["zero_probability_pairs"]) == 10_000


def test_worst_case_reproduced_by_purification_gain(quick_run):
    _, _, table = quick_run
    for fam, proto, meas, weighted, base in [("random", "dejmps", "fidelity", False, "better"),
                                             ("random_entangled", "bbpssw", "log_negativity", True, "fresher"),
                                             ("werner", "cnot", "concurrence", False, "worse")]:
        r = _row(table, fam, proto, meas, weighted, base)
        kept = np.array(r["worst_kept"].split(), float)
        sac = np.array(r["worst_sacrificed"].split(), float)
        kept, sac = kept / kept.sum(), sac / sac.sum()  # the CSV stores 6 significant digits
        g = qnet.purification_gain(kept, sac, proto, fom=meas, baseline=base, weighted=weighted)
        assert abs(float(g.gain) - float(r["worst_gain"])) < 1e-4


def test_structured_families_match_physics(quick_run):
    _, _, table = quick_run
    # Z-only errors are invisible to the plain CNOT: never better than the better input ...
    r = _row(table, "dephasing", "cnot", "fidelity", False, "better")
    assert float(r["fraction_improved"]) == 0.0
    # ... while DEJMPS (Z detected) never does worse than the better input on that family
    # (F' = F1 F2 / (F1 F2 + (1-F1)(1-F2)) >= max(F1, F2) for F1, F2 >= 1/2, by hand).
    r = _row(table, "dephasing", "dejmps", "fidelity", False, "better")
    assert r["never_worse"] == "True" and float(r["fraction_improved"]) > 0.5
    # no variant improves on the better input for every random pair (arXiv:2407.21760)
    for proto in qnet.PROTOCOLS:
        assert _row(table, "random", proto, "fidelity", False, "better")["improved_everywhere"] == "False"


def test_fraction_matches_direct_count_on_the_werner_plane(quick_run):
    _, _, table = quick_run
    lam, mu = gi.family_states("werner", 21)
    g = qnet.purification_gain(lam, mu, "bbpssw", fom="fidelity", baseline="worse")
    r = _row(table, "werner", "bbpssw", "fidelity", False, "worse")
    assert float(r["fraction_improved"]) == pytest.approx(g.improves.mean(), abs=1e-15)


def test_help_runs():
    res = subprocess.run([sys.executable, "-m", "qnet.studies.guaranteed_improvement", "--help"],
                         capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and "--quick" in res.stdout and "--samples" in res.stdout


def test_rejects_bad_gate_fidelity(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        gi.main(["--quick", "--out", str(tmp_path), "--no-progress", "--gate-fidelity", "1.5"])
    assert info.value.code == 2 and "argument --gate-fidelity: must be <= 1" in capsys.readouterr().err


def test_regions_csv_matches_api(quick_run):
    out, _, _ = quick_run
    with open(out / "regions.csv", newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["family"] == "dephasing"]
    assert len(rows) == 21 * 21
    r = rows[100]
    F1, F2 = float(r["F1"]), float(r["F2"])
    kept, sac = np.array([F1, 1 - F1, 0, 0]), np.array([F2, 1 - F2, 0, 0])
    g = qnet.purification_gain(kept, sac, "dejmps", fom="log_negativity", baseline="fresher", weighted=True)
    assert abs(float(g.gain) - float(r["gain_dejmps_weighted_log_negativity_vs_fresher"])) <= 1e-12
    # hand check: DEJMPS on Z-only inputs gives F' = F1 F2 / (F1 F2 + (1-F1)(1-F2))
    Fp = F1 * F2 / (F1 * F2 + (1 - F1) * (1 - F2))
    assert abs(float(r["gain_dejmps_fidelity_vs_better"]) - (Fp - max(F1, F2))) <= 1e-12


def test_ties_are_reported_apart_from_improvements(quick_run):
    # every row splits into improved / equal / worse; on the Werner grid, pairs with F = 1/2 or F = 1 tie
    # (gain 0): they count as "equal", so "never worse" holds where the strict flag does not
    _, summary, table = quick_run
    for r in table:
        total = sum(float(r[f"fraction_{key}"]) for key in ("improved", "equal", "worse"))
        assert total == pytest.approx(1.0, abs=1e-12)
        assert (r["never_worse"] == "True") == (float(r["fraction_worse"]) == 0.0)
    lam, mu = gi.family_states("werner", 21)
    g = qnet.purification_gain(lam, mu, "bbpssw", fom="fidelity", baseline="worse")
    r = _row(table, "werner", "bbpssw", "fidelity", False, "worse")
    assert float(r["fraction_equal"]) == pytest.approx(np.mean(np.abs(g.gain) <= gi.GAIN_ATOL), abs=1e-15)
    assert float(r["fraction_equal"]) > 0 and r["never_worse"] == "True" and r["improved_everywhere"] == "False"
    assert summary["headline"]["werner/bbpssw/fidelity/worse"]["never_worse"] is True
