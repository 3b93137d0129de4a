"""Resumable sweep runner (qnet.sweep) with thread, process and Dask executors."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import qnet

_calls: list = []
_lock = threading.Lock()


def chain_point(p_gen, cutoff):
    """A real sweep point: exact mean time and fidelity of a 2-segment chain."""
    r = qnet.chain_delivery(("swap",), p_gen, 0.8, 0.97, 20.0, cutoff=cutoff, t_trunc=500)
    return {"mean_time": r.mean_time, "fidelity": r.mean_fidelity, "pmf_head": r.pmf[:4]}


def counted(x):
    with _lock:
        _calls.append(x)
    return x * x


_transient = {"failing": True}


def fails_on_three(x):
    """Fails at x = 3 while ``_transient["failing"]`` (a transient fault: the same work, resumed)."""
    if x == 3 and _transient["failing"]:
        raise ArithmeticError("boom")
    return counted(x)


POINTS = [{"p_gen": p, "cutoff": c} for p in (0.3, 0.6) for c in (2, 5)]


def test_thread_executor_results_and_order(tmp_path):
    with ThreadPoolExecutor(2) as ex:
        r = qnet.sweep(chain_point, POINTS, tmp_path / "a.jsonl", executor=ex, progress=False)
    for p, res in zip(POINTS, r.results):
        direct = chain_point(**p)
        assert res["mean_time"] == direct["mean_time"]
        assert res["pmf_head"] == direct["pmf_head"].tolist()
    lines = (tmp_path / "a.jsonl").read_text().splitlines()
    assert len(lines) == 4 and {json.loads(s)["key"] for s in lines} == {qnet.point_key(p) for p in POINTS}


def test_resume_after_failure_recomputes_nothing(tmp_path):
    path = tmp_path / "r.jsonl"
    pts = [{"x": i} for i in range(6)]
    _calls.clear()
    with ThreadPoolExecutor(2) as ex:
        with pytest.raises(RuntimeError, match="1 of 6 sweep points failed.*'x': 3.*boom"):
            qnet.sweep(fails_on_three, pts, path, executor=ex, progress=False)
    assert sorted(_calls) == [0, 1, 2, 4, 5]
    # an interrupted write leaves a torn last line: it must be ignored
    with open(path, "a") as fh:
        fh.write('{"key": "dead", "res')
    _calls.clear()
    _transient["failing"] = False
    try:
        with ThreadPoolExecutor(2) as ex:
            r = qnet.sweep(fails_on_three, pts, path, executor=ex, progress=False)
    finally:
        _transient["failing"] = True
    assert _calls == [3]
    assert r.computed == 1 and r.reused == 5
    assert r.results == [i * i for i in range(6)]
    # the record appended after the torn line is readable: a third run computes nothing
    _calls.clear()
    with ThreadPoolExecutor(2) as ex:
        r = qnet.sweep(fails_on_three, pts, path, executor=ex, progress=False)
    assert _calls == [] and r.computed == 0 and r.reused == 6


def set_on_zero(x):
    return {1, 2} if x == 0 else x


def test_unserialisable_result_does_not_lose_other_points(tmp_path):
    path = tmp_path / "u.jsonl"
    pts = [{"x": i} for i in range(5)]
    with ThreadPoolExecutor(2) as ex:
        with pytest.raises(RuntimeError, match="1 of 5 sweep points failed.*'x': 0.*TypeError"):
            qnet.sweep(set_on_zero, pts, path, executor=ex, progress=False)
    assert sorted(rec["point"]["x"] for rec in qnet.load_sweep(path).values()) == [1, 2, 3, 4]


def test_duplicates_computed_once(tmp_path):
    _calls.clear()
    with ThreadPoolExecutor(1) as ex:
        r = qnet.sweep(counted, [{"x": 2}, {"x": 2}], tmp_path / "d.jsonl", executor=ex, progress=False)
    assert _calls == [2] and r.results == [4, 4]


def test_default_process_pool(tmp_path):
    r = qnet.sweep(chain_point, POINTS[:2], tmp_path / "p.jsonl", max_workers=2, progress=False)
    assert r.computed == 2
    assert r.results[0]["mean_time"] == pytest.approx(chain_point(**POINTS[0])["mean_time"], rel=1e-15)


def test_dask_local_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None) as cl:
        with distributed.Client(cl) as client:
            ex = client.get_executor()
            r = qnet.sweep(chain_point, POINTS, tmp_path / "k.jsonl", executor=ex, progress=False)
            again = qnet.sweep(chain_point, POINTS, tmp_path / "k.jsonl", executor=ex, progress=False)
    assert r.computed == 4 and again.computed == 0 and again.reused == 4
    assert again.results == r.results
    assert np.isclose(r.results[3]["mean_time"], chain_point(**POINTS[3])["mean_time"], rtol=1e-15)


def test_point_not_json(tmp_path):
    with pytest.raises(TypeError, match="JSON"):
        qnet.sweep(counted, [{"x": object()}], tmp_path / "x.jsonl", progress=False)


def test_points_given_as_single_dict(tmp_path):
    with pytest.raises(TypeError, match="iterable of dicts"):
        qnet.sweep(counted, {"x": 1}, tmp_path / "x.jsonl", progress=False)


def test_executor_wrong_type(tmp_path):
    with pytest.raises(TypeError, match="Executor"):
        qnet.sweep(counted, [{"x": 1}], tmp_path / "x.jsonl", executor="threads", progress=False)


# ---------------------------------------------------------------- the identity of the work (review item 6)
def square(x):
    return x * x


def cube(x):
    return x * x * x


def power(x, n):
    return x**n


def test_another_function_is_refused_not_answered(tmp_path):
    # sweep(f) then sweep(g) on one file once returned f's results for g
    path = tmp_path / "w.jsonl"
    pts = [{"x": 2}, {"x": 3}]
    with ThreadPoolExecutor(1) as ex:
        assert qnet.sweep(square, pts, path, executor=ex, progress=False).results == [4, 9]
        with pytest.raises(ValueError, match="holds results of other work"):
            qnet.sweep(cube, pts, path, executor=ex, progress=False)
        assert qnet.sweep(cube, pts, tmp_path / "c.jsonl", executor=ex, progress=False).results == [8, 27]


@pytest.mark.parametrize("first, second", [
    (dict(func=functools.partial(power, n=2)), dict(func=functools.partial(power, n=3))),
    (dict(func=square, identity={"n_mc": 100}), dict(func=square, identity={"n_mc": 200})),
    (dict(func=square), dict(func=lambda x: x * x)),
])
def test_fixed_parameters_are_part_of_the_identity(tmp_path, first, second):
    path = tmp_path / "p.jsonl"
    with ThreadPoolExecutor(1) as ex:
        qnet.sweep(points=[{"x": 2}], path=path, executor=ex, progress=False, **first)
        with pytest.raises(ValueError, match="other work"):
            qnet.sweep(points=[{"x": 2}], path=path, executor=ex, progress=False, **second)
        assert qnet.sweep(points=[{"x": 2}], path=path, executor=ex, progress=False, **first).reused == 1


def test_another_qnet_version_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "v.jsonl"
    with ThreadPoolExecutor(1) as ex:
        qnet.sweep(square, [{"x": 2}], path, executor=ex, progress=False)
        monkeypatch.setattr(qnet, "__version__", "99.0")
        with pytest.raises(ValueError, match="other qnet code"):
            qnet.sweep(square, [{"x": 2}], path, executor=ex, progress=False)


def test_other_library_code_is_other_work(tmp_path, monkeypatch):
    """A change of qnet's source (not of the point function) changes the work key: the file is refused, never
    reused; the studies' sweep files are named by the work key and replaced with a message."""
    from qnet.studies import _common

    before = qnet.work_key(square)
    path = _common.sweep_file(tmp_path, "points", square, {})
    path.write_text("")
    monkeypatch.setattr(sys.modules["qnet.sweeps"], "code_fingerprint", lambda: {"source": "0" * 16, "commit": None})
    assert qnet.work_key(square) != before
    new = _common.sweep_file(tmp_path, "points", square, {})
    assert new != path and not path.exists()


def test_code_fingerprint_hashes_the_package_source():
    fp = qnet.code_fingerprint()
    assert len(fp["source"]) == 16 and int(fp["source"], 16) >= 0
    assert fp["commit"] is None or len(fp["commit"]) == 40


def test_point_key_tells_numbers_from_their_names():
    for value in ("nan", "inf", "-inf"):
        assert qnet.point_key({"x": float(value)}) != qnet.point_key({"x": value})
    assert qnet.point_key({"x": np.float64("nan")}) == qnet.point_key({"x": float("nan")})
    assert qnet.point_key({"x": np.float64(0.5)}) == qnet.point_key({"x": 0.5})


# ---------------------------------------------------------------- files (review item 15)
def test_directory_as_path_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="path must be a file"):
        qnet.sweep(square, [{"x": 1}], tmp_path, progress=False)
    with pytest.raises(ValueError, match="path must be a file"):
        qnet.load_sweep(tmp_path)


def test_a_corrupt_line_is_skipped_and_reported(tmp_path):
    path = tmp_path / "bad.jsonl"
    good = json.dumps({"key": "k1", "point": {"x": 1}, "result": 1})
    path.write_bytes(good.encode() + b"\n" + b'{"key": "k2", "result": "\xff"}\n' + good.replace("k1", "k3").encode()
                     + b"\n")
    with pytest.warns(qnet.SweepFileWarning, match="skipped 1 unreadable line.*line 2"):
        recs = qnet.load_sweep(path)
    assert set(recs) == {"k1", "k3"}


# ---------------------------------------------------------------- workers die with their parent (review item 8)
_ORPHAN_SCRIPT = """
import os, sys, time
import qnet

def slow(x):
    open(os.path.join(sys.argv[1], f"worker-{os.getpid()}"), "w").close()
    time.sleep(120)
    return x

if __name__ == "__main__":
    qnet.sweep(slow, [{"x": 1}, {"x": 2}], os.path.join(sys.argv[1], "s.jsonl"), max_workers=2, progress=False)
"""


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_pool_workers_exit_when_the_sweep_process_is_killed(tmp_path):
    script = tmp_path / "orphan.py"
    script.write_text(_ORPHAN_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)])
    try:
        deadline = time.monotonic() + 120
        while len(list(tmp_path.glob("worker-*"))) < 2:
            assert time.monotonic() < deadline and proc.poll() is None, "the workers never started"
            time.sleep(0.1)
        workers = [int(p.name.split("-")[1]) for p in tmp_path.glob("worker-*")]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 10
        while any(_alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(w) for w in workers), "workers outlived the killed sweep"
    finally:
        if proc.poll() is None:
            proc.kill()
        for w in tmp_path.glob("worker-*"):
            try:
                os.kill(int(w.name.split("-")[1]), signal.SIGKILL)
            except ProcessLookupError:
                pass
