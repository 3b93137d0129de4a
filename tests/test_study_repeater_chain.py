"""Study ``python -m qnet.studies.repeater_chain``: quick run, data against the API, resume, --help."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import qnet
from qnet.studies import repeater_chain as study


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("rc")
    res = study.main(["--quick", "--out", str(out), "--no-progress"])
    return out, res


def test_writes_figures_and_data(quick):
    out, res = quick
    for stem in ("key_per_use_vs_distance", "key_rate_vs_distance", "fidelity_vs_distance"):
        for ext in ("png", "pdf"):
            assert (out / f"{stem}.{ext}").stat().st_size > 1000
    meta = json.loads((out / "repeater_chain.json").read_text())
    assert meta["parameters"]["p_swap"] == 0.9 and meta["parameters"]["segments"] == [1, 2, 4]
    assert "environment" in meta


def test_csv_matches_api(quick):
    out, _ = quick
    with open(out / "repeater_chain.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 2 * (1 + 3 + 3)
    row = next(r for r in rows if r["segments"] == "4" and r["variant"] == "swap" and r["distance_km"] == "150.0")
    link = qnet.MidpointSource(qnet.FibreChannel(150.0 / 4), source_fidelity=0.99, coupling_efficiency=0.9)
    F = link.fidelity()
    r = qnet.chain_delivery(("swap", "swap"), link.success_probability(), 0.9, (4 * F - 1) / 3,
                            1.0 / link.attempt_duration(), t_trunc=20000)
    assert float(row["mean_time"]) == pytest.approx(r.mean_time, rel=1e-9)
    assert float(row["fidelity"]) == pytest.approx(r.mean_fidelity, rel=1e-12)
    assert float(row["key_bits_per_s"]) == pytest.approx(r.key_rate / link.attempt_duration(), rel=1e-9)
    direct = next(r for r in rows if r["segments"] == "1" and r["distance_km"] == "50.0")
    eta = qnet.fibre_transmissivity(50.0)
    assert float(direct["plob_bits_per_use"]) == pytest.approx(-np.log2(1 - eta), rel=1e-12)
    assert float(direct["mean_time"]) == pytest.approx(1 / (0.81 * eta), rel=1e-12)  # geometric, p = 0.9^2 eta


def test_optimized_not_worse_than_no_cutoff(quick):
    _, res = quick
    for n in (2, 4):
        for d in (50.0, 150.0):
            get = lambda v: next(r for r in res["rows"] if r["segments"] == n and r["variant"] == v  # noqa: E731
                                 and r["distance_km"] == d)["key_per_step"]
            assert get("optimized") >= get("swap") * (1 - 1e-3)


def test_resume_computes_nothing(quick, monkeypatch):
    out, res = quick
    (points,) = out.glob("points-*.jsonl")   # named by the work's identity
    lines = points.read_text().count("\n")

    def boom(*args, **kw):
        raise AssertionError("a finished point was recomputed")

    # what the points compute with (replacing the point function itself would be other work, refused)
    monkeypatch.setattr(study, "_delivery", boom)
    monkeypatch.setattr(study.qnet, "optimize_cutoff", boom)
    again = study.main(["--quick", "--out", str(out), "--no-progress"])
    assert points.read_text().count("\n") == lines
    assert again["rows"] == res["rows"]


def test_help(capsys):
    with pytest.raises(SystemExit) as info:
        study.main(["--help"])
    assert info.value.code == 0
    assert "PLOB" in capsys.readouterr().out
