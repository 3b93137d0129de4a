"""The certified-claims study: certificates, counterexamples re-verified on density matrices, the map."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import qnet
from qnet.studies import certified_claims as study


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("certified_claims")
    return out, study.main(["--quick", "--out", str(out), "--no-progress"])


def test_outputs_written(quick):
    out, res = quick
    for name in ("certificates.csv", "certificates.png", "certificates.pdf", "counterexamples.json",
                 "optimal_time_map.csv", "optimal_time_map.png", "optimal_time_map.pdf", "certified_claims.json"):
        assert (out / name).stat().st_size > 0, name
    assert res["parameters"]["sources"][0].startswith("Zang et al., arXiv:2505.02286")


def test_counterexamples_are_real_on_the_explicit_circuit(quick):
    # every stored counterexample: in C(k), and worse than its baseline on the 16x16 density-matrix circuit
    out, _ = quick
    stored = json.loads((out / "counterexamples.json").read_text())["counterexamples"]
    assert stored
    for c in stored:
        kept, sac = (np.array([float(v) for v in c[key]]) for key in ("kept", "sacrificed"))
        for lam, error in zip((kept, sac), qnet.UNDETECTED[c["protocol"]]):
            assert lam[0] > 0.5 and lam[study._SLOT[error]] <= c["k"] * (1 - lam[0]) + 1e-15
        rho, sigma = qnet.to_density_matrix(kept), qnet.to_density_matrix(sac)
        out_dm, p = qnet.purify(rho, sigma, c["protocol"], form="dm")
        fn = qnet.MEASURES[c["fom"]]
        m_out, m_k, m_s = (float(fn(x, form="dm")) for x in (out_dm, rho, sigma))
        base = {"worse": min(m_k, m_s), "better": max(m_k, m_s), "none": (m_k + m_s) / 2}[c["baseline"]]
        assert p > 0 and m_out - base < -study.TIE_TOL
        assert m_out - base == pytest.approx(float(c["gain"]), abs=1e-12)


def test_first_order_boundary_is_sqrt2_minus_1():
    # identical pairs F = 1/2 + eps with undetected weight k (1 - F): dF'/dF = 2 (1 - k) / (1 + k^2) at F = 1/2,
    # so cnot loses against the worse input just above k = sqrt(2) - 1 and not just below
    eps = 1e-4
    for k, loses in ((study.SQRT2_MINUS_1 - 0.01, False), (study.SQRT2_MINUS_1 + 0.01, True)):
        x = np.array([[2 * eps, 1.0, 0.5, 2 * eps, 1.0, 0.5]])
        g = study.gain(*study.conditioned_pairs(x, k, "cnot"), "cnot", "fidelity", "worse")[0]
        assert (g < -study.TIE_TOL) == loses
        slope = 2 * (1 - k) / (1 + k**2)
        assert g == pytest.approx((slope - 1) * eps, rel=1e-2)


def test_search_certifies_the_analytic_boundary_and_respects_symmetry():
    rng = np.random.default_rng(3)
    found = {p: study.certify(p, "fidelity", "worse", rng, 20_000, 4, 10) for p in study.PROTOCOLS}
    for protocol, cert in found.items():
        # bracket [k_certified, k_counterexample] of width 2**-10 holds sqrt(2) - 1
        assert cert["k_certified"] <= study.SQRT2_MINUS_1 <= cert["k_counterexample"], protocol
    # cnot, dejmps and hadamard differ by local Clifford relabelling: the same certificate
    assert len({c["k_certified"] for c in found.values()}) == 1


def test_tie_split_is_a_partition(quick):
    out, _ = quick
    import csv

    with open(out / "certificates.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        if r["k_certified"]:
            total = sum(float(r[f"share_{key}"]) for key in ("improved", "equal", "worse"))
            assert total == pytest.approx(1.0, abs=1e-12) and float(r["share_worse"]) == 0.0


def test_map_reproduces_the_depolarizing_interior_optimum():
    # Werner inputs F0 = 0.8, depolarizing memory, t1 = 0.01, t2 = 0.1: t* inside, near 0.069
    m = study.optimal_time_map("depolarizing", np.array([0.7, 0.8]), 0.01, np.array([0.1]))
    assert m["location"].tolist() == [["start"], ["interior"]]
    assert m["t_opt"][1, 0] == pytest.approx(0.0692, abs=5e-4)


def test_map_amplitude_damping_uses_the_density_matrix_path():
    m = study.optimal_time_map("amplitude_damping", np.array([0.9]), 0.01, np.array([0.2]))
    w = qnet.to_density_matrix(qnet.werner(0.9))
    ref = qnet.optimal_purification_time(w, w, qnet.T1T2Memory(1.0, 2.0), 0.01, 0.2)
    assert m["t_opt"][0, 0] == ref.t and m["location"][0, 0] == ref.location


def test_help_and_bad_option(tmp_path, capsys):
    res = subprocess.run([sys.executable, "-m", "qnet.studies.certified_claims", "--help"], capture_output=True,
                         text=True, check=True)
    assert "--samples" in res.stdout and "--bisections" in res.stdout
    with pytest.raises(SystemExit) as info:
        study.main(["--grid", "1", "--out", str(tmp_path)])
    assert info.value.code == 2 and "argument --grid" in capsys.readouterr().err


def test_k_option_splits_every_row_at_that_k(tmp_path):
    # at k = 0.5 > sqrt(2) - 1 the worse-input rows must show losses; at k = 1/3 (Werner-like) none may
    import csv

    study.main(["--quick", "--out", str(tmp_path), "--no-progress", "--k", "0.5"])
    with open(tmp_path / "certificates.csv", encoding="utf-8") as fh:
        rows = {(r["protocol"], r["fom"], r["baseline"]): r for r in csv.DictReader(fh)}
    assert float(rows[("cnot", "fidelity", "worse")]["at_k_worse"]) > 0
    rng = np.random.default_rng(1)
    assert study.tie_split(1 / 3, "cnot", "fidelity", "worse", rng, 20_000)["never_worse"]
