"""Reproducers of the independent fuzz (issue "nothing crashes, nothing is lost, nothing silent"), one per defect
fixed, each failing on the code before its fix."""

from __future__ import annotations

import functools
import json
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor

import networkx as nx
import numpy as np
import pytest

import qnet
from qnet.errors import SweepFileWarning


def square(x):
    return {"y": x * x}


# ---------------------------------------------------------------- sweeps: identity and corrupt files
def test_a_partial_binding_a_graph_resumes_in_another_process(tmp_path):
    """work_key fell back to repr(), which holds an address and changed every process: the second run refused
    its own file. Two processes now give the same key, and the second run reuses every point."""
    script = (
        "import functools, qnet, sys\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "def point(x, G):\n"
        "    return {'n': G.number_of_nodes() * x}\n"
        "f = functools.partial(point, G=qnet.ring_network(4, 10.0))\n"
        "with ThreadPoolExecutor(1) as ex:\n"
        "    r = qnet.sweep(f, [{'x': 1}, {'x': 2}], sys.argv[1], executor=ex, progress=False)\n"
        "print(qnet.work_key(f), r.computed, r.reused)\n"
    )
    path = str(tmp_path / "s.jsonl")
    runs = [subprocess.run([sys.executable, "-c", script, path], capture_output=True, text=True, check=True).stdout
            for _ in range(2)]
    (k1, c1, u1), (k2, c2, u2) = (r.split() for r in runs)
    assert k1 == k2 and (c1, u1) == ("2", "0") and (c2, u2) == ("0", "2")


def test_values_without_a_stable_identity_are_refused_by_name():
    class Opaque:
        pass

    def point(x, thing):
        return x

    with pytest.raises(TypeError, match="cannot recognise Opaque .* identity="):
        qnet.work_key(functools.partial(point, thing=Opaque()))
    g1, g2 = nx.path_graph(3), nx.path_graph(3)
    g2.nodes[1]["noise"] = 0.1
    assert qnet.work_key(functools.partial(point, thing=g1)) != qnet.work_key(functools.partial(point, thing=g2))
    rng = functools.partial(point, thing=np.random.default_rng(5))
    assert qnet.work_key(rng) == qnet.work_key(functools.partial(point, thing=np.random.default_rng(5)))


@pytest.mark.parametrize("line", [b'{"key": [1], "result": 2}', b"[" * 100_000 + b"]" * 100_000,
                                  b'{"key": "k", "result": ' + b"9" * 5000 + b"}"],
                         ids=["unhashable key", "deeply nested", "huge integer"])
def test_a_corrupt_line_is_skipped_with_a_warning(tmp_path, line):
    path = tmp_path / "s.jsonl"
    with ThreadPoolExecutor(1) as ex:
        qnet.sweep(square, [{"x": 2}], path, executor=ex, progress=False)
        with open(path, "ab") as fh:
            fh.write(line + b"\n")
        with pytest.warns(SweepFileWarning, match="skipped 1 unreadable line"):
            records = qnet.load_sweep(path)
        assert len(records) == 1
        with pytest.warns(SweepFileWarning):
            r = qnet.sweep(square, [{"x": 2}, {"x": 3}], path, executor=ex, progress=False)
    assert r.results == [{"y": 4}, {"y": 9}] and r.reused == 1


def test_a_final_record_without_its_newline_is_kept_on_disk(tmp_path):
    path = tmp_path / "s.jsonl"
    with ThreadPoolExecutor(1) as ex:
        qnet.sweep(square, [{"x": 2}], path, executor=ex, progress=False)
        path.write_bytes(path.read_bytes().rstrip(b"\n"))  # the record is whole, only its newline is missing
        r = qnet.sweep(square, [{"x": 2}, {"x": 3}], path, executor=ex, progress=False)
        assert r.reused == 1
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert len(qnet.load_sweep(path)) == 2


def test_duplicate_keys_with_different_results_are_reported(tmp_path):
    path = tmp_path / "s.jsonl"
    with ThreadPoolExecutor(1) as ex:
        qnet.sweep(square, [{"x": 2}], path, executor=ex, progress=False)
    rec = json.loads(path.read_text().splitlines()[0])
    rec["result"] = {"y": 5}
    with open(path, "a") as fh:
        fh.write(json.dumps(rec) + "\n")
    with pytest.warns(SweepFileWarning, match="repeat an earlier key with another result"):
        assert qnet.load_sweep(path)[rec["key"]]["result"] == {"y": 5}


# ---------------------------------------------------------------- networks: graphs and attributes
def plain_line(n=2):
    G = nx.path_graph(n + 1)
    nx.set_node_attributes(G, (0.0, 0.0, 1.0), "memory")
    for u, v in G.edges:
        G.edges[u, v].update(length=10.0, p_gen=0.5, w0=0.95)
    G.graph["time_step"] = 1e-4
    return G


def test_a_multigraph_is_refused_up_front():
    G = nx.MultiGraph(plain_line())
    with pytest.raises(qnet.NetworkError, match="one edge per node pair"):
        qnet.simulate_network(G, [(0, 2)], n_deliveries=10)


@pytest.mark.parametrize("attr,value,match", [
    ("noise", None, "noise is None"),
    ("swap_time", float("nan"), "swap_time of node"),
    ("swap_time", -1.0, "swap_time of node"),
    ("distill_time", "1 ms", "distill_time of node"),
    ("distill_time", True, "distill_time of node"),
    ("n_memories", 2**63, "MAX_MEMORIES"),
])
def test_node_attributes_are_checked_by_validate_network(attr, value, match):
    G = plain_line()
    G.nodes[1][attr] = value
    with pytest.raises(qnet.NetworkError, match=match):
        qnet.validate_network(G)


def test_a_missing_time_step_is_named():
    G = plain_line()
    del G.graph["time_step"]
    with pytest.raises(qnet.NetworkError, match=r"G.graph\['time_step'\]"):
        qnet.simulate_network(G, [(0, 2)], n_deliveries=10)


def test_network_csv_escapes_node_labels(tmp_path):
    G = nx.relabel_nodes(plain_line(), {0: "=HYPERLINK(\"x\")", 1: "b", 2: "@c"})
    res = qnet.simulate_network(G, [("=HYPERLINK(\"x\")", "@c")], n_deliveries=5, seed=1)
    import csv

    with open(res.to_csv(tmp_path / "d.csv"), newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[1][1] == "'=HYPERLINK(\"x\")" and rows[1][2] == "'@c"


# ---------------------------------------------------------------- studies: the write probe
def test_the_write_probe_does_not_follow_a_planted_link(tmp_path):
    """A link named like the old probe, pointing at a file of someone else's, is left alone (the probe truncated
    its target)."""
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    (out / ".qnet-write-test").symlink_to(victim)
    from qnet.studies import _common

    parser = _common.parser("x", "x")
    _common.parse_args(parser, ["--out", str(out)])
    assert victim.read_text() == "precious"


# ---------------------------------------------------------------- searches: memory bounded by one candidate
def test_a_schedule_search_keeps_summaries_not_distributions():
    """640 candidates at t_trunc = 4000 held every ChainDelivery (about 0.3 MB each, 200 MB here; tens of GB at the
    sizes MAX_ENUMERATED accepts). Now the search's peak memory is that of a few evaluations."""
    import tracemalloc

    chain = qnet.RepeaterChain.werner(("swap", "swap"), 0.3, 0.9, 0.98, 500.0)
    tracemalloc.start()
    try:
        res = qnet.search_schedules(chain, max_rounds=1, t_trunc=4000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert res.n_evaluated == 640 and res.delivery.pmf.shape == (4000,)
    assert peak < 40e6, f"peak {peak / 1e6:.0f} MB"


# ---------------------------------------------------------------- study command lines: one line, exit code 2
SCAN_HEADER = "two_fold_rate_khz,visibility,source\n"
BAD_SCANS = {
    "empty": b"",
    "binary": bytes(range(128, 256)),
    "header only": SCAN_HEADER.encode(),
    "non-numeric": (SCAN_HEADER + "abc,0.5,text\n15,0.8,text\n30,0.7,text\n").encode(),
    "nan": (SCAN_HEADER + "nan,0.5,text\n15,0.8,text\n30,0.7,text\n").encode(),
    "negative": (SCAN_HEADER + "-5,0.5,text\n15,0.8,text\n30,0.7,text\n").encode(),
    "wrong columns": b"a,b,c\n1,2,3\n",
}


def one_line_exit_2(capsys, main, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    err = capsys.readouterr().err.strip()
    assert info.value.code == 2 and len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


@pytest.mark.parametrize("case", BAD_SCANS)
def test_a_bad_scan_file_is_one_line(case, tmp_path, capsys):
    from qnet.studies import swapping_143km

    data = tmp_path / "scan.csv"
    data.write_bytes(BAD_SCANS[case])
    err = one_line_exit_2(capsys, swapping_143km.main, ["--data", str(data), "--quick", "--out", str(tmp_path)])
    assert "--data" in err


@pytest.mark.parametrize("study,argv,match", [
    ("optimal_time", ["--seed", "4294967296"], "--seed: must be <= 4294967295"),
    ("certified_claims", ["--seed", "4294967296"], "--seed"),
    ("guaranteed_improvement", ["--seed", "4294967296"], "--seed"),
    ("swapping_143km", ["--operating-point", "1e12"], "more than one pair per pulse"),
    ("repeater_chain", ["--distances", "1e300"], "--distances: must be <= 20037.5"),
])
def test_out_of_range_options_are_one_line(study, argv, match, tmp_path, capsys):
    import importlib

    module = importlib.import_module(f"qnet.studies.{study}")
    assert match in one_line_exit_2(capsys, module.main, [*argv, "--quick", "--out", str(tmp_path)])


@pytest.mark.parametrize("error", [qnet.NeverDeliversError("the chain never delivers"),
                                   qnet.InfeasibleError("no cut-off gives key"),
                                   qnet.NetworkError("one trajectory needed more than max_events")])
def test_a_parameter_set_without_an_answer_is_one_line(error, capsys):
    """E.g. repeater_schedules --p-gen 1e-300 (no schedule delivers) or network_purification --cutoff 1e-300 (no
    request ever delivers): the library's own error, said in one line by every study's command line."""
    from qnet.studies import _common

    def main():
        raise error

    with pytest.raises(SystemExit) as info:
        _common.run(main, "repeater_schedules")
    err = capsys.readouterr().err.strip()
    assert info.value.code == 2 and err == f"python -m qnet.studies.repeater_schedules: error: {error}"


def test_ctrl_c_is_one_line(capsys):
    from qnet.studies import _common

    def main():
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as info:
        _common.run(main, "optimal_time")
    assert info.value.code == 130
    assert capsys.readouterr().err.strip().startswith("python -m qnet.studies.optimal_time: interrupted")


def test_every_study_runs_through_the_guard():
    import inspect
    from qnet.studies import gallery

    for name in gallery.study_names():
        source = inspect.getsource(__import__(f"qnet.studies.{name}", fromlist=["x"]))
        assert '_common.run(main, NAME)' in source, name


def test_a_distance_where_the_link_underflows_has_no_key():
    from qnet.studies import repeater_chain

    row = repeater_chain.point(20000.0, 1, "direct", 0.99, 0.9, 0.9, 1.0, 15)
    assert row["missing"] == "no_key" and row["key_per_step"] == 0.0


def test_an_interrupted_run_leaves_the_previous_outputs_whole(tmp_path, monkeypatch, capsys):
    """A rerun with other parameters, interrupted after it wrote its CSV, left that CSV beside the old JSON and
    figures (and Ctrl-C near the end truncated PDFs). Outputs are now staged under temporary names and published
    together at the end; an interrupt discards them."""
    from qnet.studies import _common
    from qnet.studies import network_purification as study

    out = tmp_path / "out"
    study.main(["--quick", "--no-progress", "--out", str(out)])
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(study, "figures", interrupted)  # after the CSV is written
    with pytest.raises(SystemExit):
        _common.run(lambda: study.main(["--quick", "--no-progress", "--out", str(out), "--t2", "50"]), study.NAME)
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before  # nothing half-written, nothing of the other run, no temporary files


def test_a_network_simulation_is_priced_before_it_runs():
    """3e7 deliveries on 2 requests ran 240 s and then died in the merge; now the estimate refuses it at once, and
    the estimate bounds the measured peak of a run it accepts."""
    import tracemalloc

    from qnet.networks import simulator as events

    G = qnet.ring_network(4, 10.0, p_gen=0.5, w0=0.95)
    with pytest.raises(ValueError, match=r"needs about .* GiB .* MAX_NETWORK_BYTES"):
        qnet.simulate_network(G, [(0, 2), (1, 3)], n_deliveries=3 * 10**7)
    qnet.simulate_network(G, [(0, 2)], n_deliveries=100, seed=1)  # compiled before measuring
    tracemalloc.start()
    try:
        qnet.simulate_network(G, [(0, 2), (1, 3)], n_deliveries=100_000, seed=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak <= events._BYTES_PER_DELIVERY * 2 * 100_000


# ---------------------------------------------------------------- reduced-precision states
def test_float32_and_complex64_states_are_read_within_their_precision():
    """The 1e-9 sum tolerance is below float32 resolution, so every float32 state was refused. Now such inputs are
    checked within 16 epsilons of their precision, converted and renormalised (the stated rule)."""
    w32 = np.array([0.9, 0.1 / 3, 0.1 / 3, 0.1 / 3], dtype=np.float32)
    ref = w32.astype(np.float64) / w32.astype(np.float64).sum()
    out32, p32 = qnet.purify(w32, w32, "dejmps")
    out64, p64 = qnet.purify(ref, ref, "dejmps")
    np.testing.assert_allclose(out32, out64, rtol=0, atol=1e-15)
    assert float(p32) == pytest.approx(float(p64), abs=1e-15)
    rho = qnet.to_density_matrix(ref).astype(np.complex64)
    out, p = qnet.purify(rho, rho, "dejmps")
    np.testing.assert_allclose(qnet.to_bds(out), out64, atol=1e-6)
    with pytest.raises(ValueError, match="sum to 1 .*float32 precision"):
        qnet.purify(np.array([0.9, 0.05, 0.03, 0.019], dtype=np.float32), w32)


# ---------------------------------------------------------------- deep trees: no recursion over user-sized structures
def test_a_long_sequential_schedule_works_everywhere():
    """RecursionError from about 400 sequential swaps (distill_depth, n_operations, delivery, simulate, ==, str,
    from_tree); from_sequence was quadratic (46 s for 65 537 nodes)."""
    import time

    n = 1200
    tokens = [f"s{i}" for i in range(n - 2)]
    s = qnet.Schedule.from_sequence(tokens, n)
    assert s.n_operations == n - 2 and s.distill_depth == 0 and len(str(s).splitlines()) == 2 * n - 3
    assert s == qnet.Schedule.from_sequence(tokens, n) and hash(s) == hash(qnet.Schedule.from_sequence(tokens, n))
    assert qnet.Schedule.from_tree(s.root) == s and qnet.Schedule.from_tree(s.root).same_tree(s)
    chain = qnet.RepeaterChain(s, 1.0, 1.0, qnet.werner(1.0), [0.0, 0.0, 0.0])
    assert chain.delivery(8, tol=None).mean_time == pytest.approx(1.0, abs=1e-12)  # every link at step 1
    assert chain.simulate(200, seed=1).mean_time == 1.0
    start = time.perf_counter()
    big = qnet.Schedule.from_sequence([f"s{i}" for i in range(2**16 - 1)], 2**16 + 1)
    assert big.n_operations == 2**16 - 1 and time.perf_counter() - start < 5.0


def test_the_event_simulator_lays_out_a_1000_hop_sequential_schedule():
    """The event simulator's tree layout and its added distillation rounds recursed (RecursionError at 1000 hops);
    both walk iteratively now. Perfect links and memories: every delivery is a perfect pair one time step after
    the previous, and the repr stays short (the 1001-node utilisation is summarised)."""
    n = 1000
    G = qnet.chain_network([0.1] * n, p_gen=1.0, fidelity=1.0, n_memories=8)
    s = qnet.Schedule.from_sequence([f"s{i}" for i in range(n - 1)], n + 1)
    for purification in (None, qnet.Purification(rounds=1, protocol="cnot")):
        res = qnet.simulate_network(G, [(0, n)], n_deliveries=2, schedule=s, purification=purification,
                                    protocol="cnot")
        r = res.requests[0]
        assert len(r.times) == 2 and np.allclose(r.states, [1.0, 0.0, 0.0, 0.0], atol=1e-12)
        assert len(repr(res)) < 2000


def test_from_tree_refuses_a_node_with_too_many_inputs():
    with pytest.raises(ValueError, match="swap is .* with an optional integer slot"):
        qnet.Schedule.from_tree(("swap", ("link", 0), ("link", 1), ("link", 2)))
    with pytest.raises(ValueError, match="distill is"):
        qnet.Schedule.from_tree(("distill", ("link", 0), ("link", 0)))


def test_purify_schedule_shares_subtrees_and_does_not_recurse():
    """30 nested Step(a, a) ran past 60 s (every shared subtree evaluated again), 5000 nested steps recursed."""
    import time

    w = qnet.werner(0.99)
    a = qnet.Step(w, w)
    for _ in range(30):
        a = qnet.Step(a, a)
    start = time.perf_counter()
    assert qnet.purify_schedule(a).pairs_in == 2**31 and time.perf_counter() - start < 10
    b = w
    for _ in range(5000):
        b = qnet.Step(b, w)
    r = qnet.purify_schedule(b)
    assert r.steps == 5000 and r.pairs_in == 5001


# ---------------------------------------------------------------- low-severity reproducers
@pytest.mark.parametrize("call,error,match", [
    (lambda: qnet.T1T2Memory(5e-324, 5e-324), ValueError, "decay rate 1/T1 beyond"),
    (lambda: qnet.Schedule.from_levels(("swap", "swap"), n_segments=2.5), TypeError, "integer >= 1, got float 2.5"),
    (lambda: qnet.Schedule.from_levels(("swap", "swap"), n_segments=float("inf")), TypeError, "integer"),
    (lambda: qnet.Schedule.from_sequence(["s\u0661"], 3), ValueError, "is not a token"),
    (lambda: qnet.Schedule.from_sequence(["s0\n"], 3), ValueError, "is not a token"),
    (lambda: qnet.Purification(rounds=1, target=1.0), ValueError, r"target must be 0 .* \(0.5, 1\)"),
    (lambda: qnet.chain_delivery(("swap",), 0.5, 1.0, 0.9, 100.0, cutoff=10**30, t_trunc=100), ValueError,
     r"cutoff\[0\] has an integer beyond 2\*\*63"),
    (lambda: qnet.sweep(square, [{"x": 1}], "/dev/null", progress=False), ValueError, "regular file .*/dev/null"),
    (lambda: qnet.point_key({1: 2, "1": 3}), TypeError, "read the same as text"),
])
def test_low_severity_inputs_are_refused_clearly(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_a_self_referencing_point_is_refused():
    d: dict = {}
    d["a"] = d
    with pytest.raises(TypeError, match="must not contain itself"):
        qnet.point_key(d)
    deep: dict = {}
    for _ in range(5000):
        deep = {"x": deep}
    with pytest.raises(TypeError, match="nested at most"):
        qnet.point_key(deep)


def test_huge_memory_rates_give_fully_decohered_states_not_nan():
    r = qnet.simulate_swap_asap(0.5, 1.0, qnet.werner(0.9), [9e307, 0, 0], n_segments=2, n_samples=50)
    assert np.isfinite(r.states).all()


def test_network_times_stay_finite():
    G = qnet.ring_network(4, 10.0, p_gen=0.5, w0=0.95)
    G.graph["time_step"] = 1.7e308
    with pytest.raises(qnet.NetworkError, match="time_step'\\] must be at most"):
        qnet.simulate_network(G, [(0, 2)], n_deliveries=10)


def test_a_monte_carlo_pmf_at_its_largest_window_stays_small():
    import tracemalloc

    r = qnet.RepeaterChain.werner(("swap",), 0.5, 1.0, 0.9, 100.0).simulate(1000, seed=1)
    small = r.pmf(40)
    tracemalloc.start()
    try:
        big = r.pmf(qnet.limits.MAX_PMF_LENGTH)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    for a, b in zip(small, big):
        np.testing.assert_array_equal(a, b[:40])
    assert peak <= 3.2 * 8 * qnet.limits.MAX_PMF_LENGTH  # the three outputs and a little


def test_an_empty_out_option_is_refused(tmp_path, capsys):
    from qnet.studies import optimal_time

    assert "must name a folder" in one_line_exit_2(capsys, optimal_time.main, ["--out", "", "--quick"])


def test_a_tiny_link_probability_is_a_clear_error_or_a_finite_sum():
    w = qnet.werner(0.9)
    rates = qnet.depolarizing_rates(1.0)
    res = qnet.compare_generation_policies(w, w, rates, 5e-324, 0.01, 0.1)  # deadline from the first link
    assert res.success_probability["none"] == 1.0 and res.truncation_error == 0
    with pytest.raises(ValueError, match="p=5e-324 is too small .* MAX_GENERATION_TERMS"):
        qnet.compare_generation_policies(w, w, rates, 5e-324, 0.01, 0.1, deadline_from="second")


@pytest.mark.parametrize("fn,error,match", [
    (lambda lam: np.full(lam.shape[:-1], np.nan), ValueError, "returned nan; it must be finite"),
    (lambda lam: np.full(lam.shape[:-1], np.inf), ValueError, "must be finite"),
    (lambda lam: lam[..., 0] + 5.0, ValueError, "outside its bounds"),
    (lambda lam: np.full(lam.shape[:-1], "x"), TypeError, "must return real numbers"),
    (lambda lam: np.zeros(7), ValueError, "one value per state"),
])
def test_user_figures_of_merit_are_checked_before_they_steer_an_optimizer(fn, error, match):
    fom = qnet.FigureOfMerit("mine", fn, "maximize", (0.0, 1.0))
    w = qnet.werner(0.9)
    with pytest.raises(error, match=match):
        qnet.optimal_purification_time(w, w, qnet.depolarizing_rates(1.0), 0.1, 0.5, fom=fom)


_SLOW_CALLS: list = []


def _slow(x):
    """A slow point function whose identity does not change while it runs (a closure over a growing list would:
    its contents are part of the work key)."""
    import time

    _SLOW_CALLS.append(x)
    time.sleep(0.05)
    return {"y": x}


def test_two_sweeps_on_one_file_compute_each_point_once(tmp_path):
    """Concurrent sweeps on one file recomputed every point; the second now waits for the first's lock and reuses
    what it saved."""
    import threading

    calls = _SLOW_CALLS
    calls.clear()
    slow = _slow
    path = tmp_path / "s.jsonl"
    points = [{"x": i} for i in range(6)]
    results = []

    def run():
        with ThreadPoolExecutor(2) as ex:
            results.append(qnet.sweep(slow, points, path, executor=ex, progress=False))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SweepFileWarning)  # "another sweep is writing this file; waiting"
        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(calls) == list(range(6))
    assert sorted((r.computed, r.reused) for r in results) == [(0, 6), (6, 0)]


def test_records_take_zero_d_arrays_as_the_functions_do():
    a = np.array
    assert qnet.T1T2Memory(a(10.0), a(5.0)) == qnet.T1T2Memory(10.0, 5.0)
    assert qnet.PauliMemory.dephasing(a(1.0)) == qnet.PauliMemory.dephasing(1.0)
    assert qnet.Purification(rounds=a(1)) == qnet.Purification(rounds=1)
    assert qnet.Request(0, 1, in_flight=a(2)) == qnet.Request(0, 1, in_flight=2)
    with pytest.raises(TypeError, match="rounds must be an integer"):
        qnet.Purification(rounds=a([1]))
    with pytest.raises(TypeError, match="T1 must be a real number"):
        qnet.T1T2Memory(True, 1.0)


def test_nested_levels_describe_a_three_hop_path():
    G = qnet.ring_network(6, 10.0, p_gen=0.5, w0=0.95)
    levels = qnet.simulate_network(G, [(0, 3)], n_deliveries=200, seed=1, classical_delay=False,
                                   swapping=qnet.Swapping.by_schedule(("swap", "swap"))).requests[0]
    asap = qnet.simulate_network(G, [(0, 3)], n_deliveries=200, seed=1, classical_delay=False).requests[0]
    assert levels.path == (0, 1, 2, 3)
    np.testing.assert_array_equal(levels.times, asap.times)  # the same nested levels as swap-asap's default


def test_simulate_swap_asap_names_a_two_dimensional_p_gen():
    with pytest.raises(ValueError, match=r"p_gen must be one value or one per segment .* shape \(2, 2\)"):
        qnet.simulate_swap_asap(np.full((2, 2), 0.5), 1.0, qnet.werner(0.9), [0, 0, 0.01], n_segments=2,
                                n_samples=10)


@pytest.mark.parametrize("argv,match", [
    (["--readme-only", "--root", "FILE"], "is not a folder"),
    (["--readme-only", "--root", "EMPTY"], "holds no study folder"),
    (["nosuch"], "unknown studies"),
])
def test_gallery_errors_are_one_line(argv, match, tmp_path, capsys):
    from qnet.studies import gallery

    (tmp_path / "file").write_text("x")
    (tmp_path / "empty").mkdir()
    argv = [{"FILE": str(tmp_path / "file"), "EMPTY": str(tmp_path / "empty")}.get(a, a) for a in argv]
    assert match in one_line_exit_2(capsys, gallery.main, argv)


def test_a_search_priced_above_its_budget_is_refused_with_the_estimate():
    """search_schedules was bounded in memory only: a search of hours ran. Its first candidates are timed and the
    whole search priced; above max_seconds it stops there, naming the estimate and what to change."""
    chain = qnet.RepeaterChain.werner(("swap", "swap"), 0.3, 0.9, 0.97, 500.0)
    with pytest.raises(ValueError, match=r"about 640 schedules at .* s each \(timed on the first 3\), about .* s, "
                                         r"more than max_seconds=1e-09"):
        qnet.search_schedules(chain, max_rounds=1, t_trunc=500, max_seconds=1e-9)
    with pytest.raises(ValueError, match=r"about 856 schedules"):  # 15 x (3 keys + 7 links) x (3 + 1) + 4 x 64
        qnet.search_schedules(chain, method="heuristic", max_rounds=1, maxiter=3, t_trunc=500, max_seconds=1e-9,
                              joint_cutoff=4)
    with pytest.raises(ValueError, match="max_seconds"):
        qnet.search_schedules(chain, max_seconds=0)
    assert qnet.search_schedules(chain, max_rounds=0, t_trunc=500).n_evaluated == 5  # the 5 swap orders of 4 links


def test_a_search_that_outgrows_its_price_stops_at_the_budget(monkeypatch):
    """The first candidates price a search within its budget, later ones are slower (a clock made here: 1 ms per
    candidate for the first three, then 10 s): the search stops with the time spent instead of running on."""
    from qnet import protocol_search

    ticks = iter(range(10**6))

    def clock():
        k = next(ticks)  # two readings per candidate
        return 0.001 * k if k < 6 else 0.005 + 10.0 * (k - 5)

    monkeypatch.setattr(protocol_search.time, "perf_counter", clock)
    chain = qnet.RepeaterChain.werner(("swap", "swap"), 0.3, 0.9, 0.97, 500.0)
    with pytest.raises(ValueError, match=r"has spent .* s on 4 of about 640 schedules, more than max_seconds=5"):
        qnet.search_schedules(chain, max_rounds=1, t_trunc=500, max_seconds=5.0)
