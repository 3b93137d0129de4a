"""The main study runs end to end in --quick mode, writes every figure and its data, and resumes from its cache."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import numpy as np
import pytest

import qnet
from qnet.studies import optimal_time

FIGURES = ("optimal_time_simplex", "gain_simplex", "delta_t_plane", "border_vs_F0", "generation_policies")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("optimal_time")
    summary = optimal_time.main(["--quick", "--out", str(out), "--no-progress"])
    return out, summary


def test_writes_every_figure_and_its_data(quick_run):
    out, summary = quick_run
    for stem in FIGURES:
        for ext in ("png", "pdf"):
            path = out / f"{stem}.{ext}"
            assert path.exists() and path.stat().st_size > 1000, path
        assert (out / f"{stem}.csv").exists()
    meta = json.loads((out / "optimal_time.json").read_text())
    assert meta["environment"]["qnet"] == qnet.__version__
    assert meta["parameters"]["F0"] == 0.95 and meta["parameters"]["t1"] == 0.01 and meta["parameters"]["t2"] == 0.1
    assert set(meta["panels"]) == {"a", "b", "c", "d", "e"}
    assert summary["results"]["border_c_short_time"] == pytest.approx(float(qnet.border_short_time(0.95)))


def test_simplex_csv_holds_the_api_results(quick_run):
    out, _ = quick_run
    with open(out / "optimal_time_simplex.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {"a", "b", "c", "t_opt", "value", "no_epp_value", "gain", "location"} <= set(rows[0])
    w = qnet.werner(0.95)
    for row in rows[:: max(1, len(rows) // 7)]:
        pattern = np.array([float(row["a"]), float(row["b"]), float(row["c"])])
        res = qnet.optimal_purification_time(w, w, qnet.pauli_rates(1.0, pattern / pattern.sum()), 0.01, 0.1)
        assert float(row["t_opt"]) == pytest.approx(res.t, abs=1e-12)
        assert row["location"] == res.location


def test_second_run_resumes_from_cache(quick_run, monkeypatch):
    out, first = quick_run

    def fail(*args, **kwargs):
        raise AssertionError("a cached panel was recomputed")

    for name in ("panel_simplex", "panel_plane", "panel_border", "panel_policies"):
        monkeypatch.setattr(optimal_time, name, fail)
    again = optimal_time.main(["--quick", "--out", str(out), "--no-progress"])
    assert again["results"] == first["results"]


def test_help_documents_every_option():
    res = subprocess.run([sys.executable, "-m", "qnet.studies.optimal_time", "--help"], capture_output=True,
                         text=True, check=True)
    for option in ("--out", "--quick", "--F0", "--t1", "--t2", "--resolution", "--tau", "--shots", "--seed",
                   "--fresh", "--no-progress"):
        assert option in res.stdout


def test_rejects_bad_times(tmp_path, capsys):
    with pytest.raises(SystemExit) as info:
        optimal_time.main(["--quick", "--out", str(tmp_path), "--t1", "0.2", "--t2", "0.1"])
    assert info.value.code == 2 and "argument --t1: must be < --t2" in capsys.readouterr().err


def test_cache_key_covers_every_argument_and_the_version(tmp_path, monkeypatch):
    calls = []

    def panel(F0, n_mc):
        calls.append(n_mc)
        return {"x": np.array([F0 * n_mc])}

    optimal_time.cached(tmp_path, "p", {"F0": 0.9, "n_mc": 4}, panel, False)
    optimal_time.cached(tmp_path, "p", {"F0": 0.9, "n_mc": 8}, panel, False)   # n_mc was not in the key
    assert optimal_time.cached(tmp_path, "p", {"F0": 0.9, "n_mc": 8}, panel, False)[1] is True
    monkeypatch.setattr(qnet, "__version__", "99.0")
    assert optimal_time.cached(tmp_path, "p", {"F0": 0.9, "n_mc": 8}, panel, False)[1] is False
    assert calls == [4, 8, 8]


def test_protocol_fom_memory_and_border_rule_options(tmp_path):
    # every option reaches the numbers: the witness optimum is the fidelity optimum read in the other direction
    res = optimal_time.main(["--quick", "--no-progress", "--out", str(tmp_path), "--protocol", "dejmps", "--fom",
                             "fidelity_witness", "--memory", "0.2,0.3,0.5", "--border-rule", "leaves_t1"])
    p = res["parameters"]
    assert (p["protocol"], p["fom"], p["fom_direction"], p["border_rule"]) == ("dejmps", "fidelity_witness",
                                                                              "minimize", "leaves_t1")
    assert p["memory_pattern"] == pytest.approx([0.2, 0.3, 0.5])
    assert res["panels"]["e"]["monte_carlo"] is False      # the Monte Carlo models plain CNOT only
    with open(tmp_path / "optimal_time_simplex.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    w = qnet.werner(0.95)
    for row in rows[:: max(1, len(rows) // 5)]:
        pattern = np.array([float(row["a"]), float(row["b"]), float(row["c"])])
        ref = qnet.optimal_purification_time(w, w, qnet.pauli_rates(1.0, pattern / pattern.sum()), 0.01, 0.1,
                                             protocol="dejmps")
        assert float(row["t_opt"]) == pytest.approx(ref.t, abs=1e-12)
        assert float(row["value"]) == pytest.approx(0.5 - ref.value, abs=1e-12)


def test_the_main_job_speaks_to_a_newcomer(tmp_path, capsys):
    """After its headline the main job names each figure with what it answers, says its terms in words, and says
    which panels came from the cache."""
    optimal_time.main(["--quick", "--no-progress", "--out", str(tmp_path)])
    first = capsys.readouterr().out
    for stem in optimal_time.FIGURES:
        assert f"  {stem}.png: (" in first
    for term in ("t*", "simplex", "border", "c*"):
        assert f"  {term}: " in first
    assert "from the cache" not in first
    optimal_time.main(["--quick", "--no-progress", "--out", str(tmp_path)])
    assert "from the cache of an earlier run with the same parameters and code: simplex, plane, border, policies" \
        in capsys.readouterr().out
