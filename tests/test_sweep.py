"""Resumable sweep runner (qnet.sweep) with thread, process and Dask executors."""

from __future__ import annotations

import json
import threading
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


def fails_on_three(x):
    if x == 3:
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
    with ThreadPoolExecutor(2) as ex:
        r = qnet.sweep(counted, pts, path, executor=ex, progress=False)
    assert _calls == [3]
    assert r.computed == 1 and r.reused == 5
    assert r.results == [i * i for i in range(6)]
    # the record appended after the torn line is readable: a third run computes nothing
    _calls.clear()
    with ThreadPoolExecutor(2) as ex:
        r = qnet.sweep(counted, pts, path, executor=ex, progress=False)
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
