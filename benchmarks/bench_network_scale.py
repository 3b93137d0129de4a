"""How the event simulator's cost grows with the network (issue 31): time per event on random geometric networks
of 100 to 1000 nodes with one request per 10 nodes (one process), and the large case: 1000 nodes, 100 concurrent
requests, 10^6 deliveries, on 2 processes (``ProcessPoolExecutor``) against the same run on a Dask
``LocalCluster`` of 2 single-threaded workers (its start included), with identical results. The scaling figure is
written to ``docs/_static/event_scaling.png`` for the benchmark page.
"""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

import qnet
from harness import Case

SIZES = (100, 200, 500, 1000)
PER_REQUEST_SCALING = 300
LARGE = (1000, 100, 10_000)  # nodes, requests, deliveries per request: 10^6 in all
FIGURE = Path(__file__).resolve().parents[1] / "docs" / "_static" / "event_scaling.png"


def _network(n: int):
    """``n`` nodes in a square of side 100 km * sqrt(n / 100) linked within 20 km (the same density at every size),
    one request per 10 nodes between random distinct nodes; memory cut-off 5 ms."""
    G = qnet.random_geometric_network(n, 0.2 * (100 / n) ** 0.5, 100.0 * (n / 100) ** 0.5, seed=3,
                                      memory=(0.0, 0.0, 10.0), n_memories=8, p_gen=0.3, w0=0.98, time_step=1e-4)
    rng = np.random.default_rng(1)
    nodes = sorted(G.nodes)
    requests = []
    while len(requests) < n // 10:
        a, b = rng.choice(len(nodes), 2, replace=False)
        requests.append((nodes[a], nodes[b]))
    return G, requests


def _simulate(G, requests, per_request, executor=None, trajectories=1):
    return qnet.simulate_network(G, requests, n_deliveries=per_request, seed=0, trajectories=trajectories,
                                 executor=executor, cutoff=qnet.Cutoff.memory_time(5e-3))


def _scaling() -> tuple[list, str]:
    rows = []
    for n in SIZES:
        G, requests = _network(n)
        _simulate(G, requests, 10)  # compiled and warm
        t0 = time.perf_counter()
        res = _simulate(G, requests, PER_REQUEST_SCALING)
        dt = time.perf_counter() - t0
        hops = np.mean([len(r.path) - 1 for r in res.requests])
        rows.append((G.number_of_nodes(), len(requests), res.events, dt, hops))
    _figure(rows)
    text = "; ".join(f"{n} nodes, {k} requests: {e / d / 1e6:.2f} M events/s ({d / e * 1e9:.0f} ns/event, "
                     f"{h:.1f} hops)" for n, k, e, d, h in rows)
    return rows, text


def _figure(rows) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r[0] for r in rows]
    fig, ax = plt.subplots(figsize=(5.0, 3.4))
    ax.plot(n, [r[3] / r[2] * 1e9 for r in rows], "o-", color="C0")
    ax.set_xscale("log")
    ax.set_xlabel("network nodes (one request per 10 nodes)")
    ax.set_ylabel("time per event (ns), one core")
    ax.set_ylim(bottom=0)
    ax.set_title("event simulator: cost per event against network size", fontsize=9)
    fig.tight_layout()
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(FIGURE, dpi=150)
    plt.close(fig)


def _large():
    G, requests = _network(LARGE[0])
    return G, requests


def _two_processes(G, requests):
    with ProcessPoolExecutor(2) as pool:
        return _simulate(G, requests, LARGE[2], pool, trajectories=2)


def _dask(G, requests):
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        return _simulate(G, requests, LARGE[2], client.get_executor(), trajectories=2)


def _agreement() -> str:
    G, requests = _large()
    a, b = _two_processes(G, requests), _dask(G, requests)
    same = all(np.array_equal(x.times, y.times) and np.array_equal(x.states, y.states)
               for x, y in zip(a.requests, b.requests))
    n = sum(r.n for r in a.requests)
    return (f"{n} deliveries, {a.events} events; Dask and the process pool give "
            f"{'identical' if same else 'DIFFERENT'} times and states for every request")


_rows, _text = _scaling()
CASES = [
    Case(f"1000-node network, 100 requests, {PER_REQUEST_SCALING} deliveries each, one process (scaling "
         f"{', '.join(map(str, SIZES))} nodes in the note)", lambda: (*_network(SIZES[-1]), PER_REQUEST_SCALING),
         _simulate, repeat=3, note=_text + f"; figure docs/_static/{FIGURE.name}"),
    Case("1000-node network, 100 requests, 1e6 deliveries, 2 processes", _large, _two_processes, reference=_dask,
         reference_name="the same on a Dask LocalCluster, 2 workers (its start included)", repeat=1, warmup=0,
         reference_repeat=1, note=_agreement()),
]
