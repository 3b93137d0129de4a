"""Tutorial: a resumable parameter sweep on a Dask cluster.

Each point of the sweep evaluates one repeater chain (4 segments, 3 linear-optics
swaps, depolarizing memories at 1/s) for a distance and a memory cut-off, and
returns its delivery rate and mean fidelity. qnet.sweep sends the points to any
concurrent.futures executor -- here a Dask cluster -- and appends every finished
point to a JSON-lines file at once, so an interrupted sweep resumes where it
stopped. The figure shows the rate-fidelity trade-off set by the cut-off.

Run:  python docs/tutorials/sweep_dask.py [OUTPUT_FOLDER]
Set QNET_DASK_SCHEDULER=tcp://host:8786 to use a running cluster; otherwise a local
in-process cluster with two workers is started. QNET_TUTORIAL_QUICK=1 uses fewer points.
"""

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import qnet  # noqa: E402

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("QNET_TUTORIAL_OUT", "qnet-results/tutorials"))
QUICK = os.environ.get("QNET_TUTORIAL_QUICK") == "1"


def evaluate(distance_km: float, cutoff_ms: float) -> dict:
    """One sweep point: rate (pairs/s) and mean fidelity of a 4-segment swap chain.

    Defined at module level so that it can be sent to remote workers.
    """
    segment = qnet.DoubleClick(qnet.FibreChannel(distance_km / 4), detector_efficiency=0.9, visibility=0.97,
                               dark_count_probability=1e-6, preparation_time_s=5e-6)
    step = segment.attempt_duration()
    cutoff = max(1, int(cutoff_ms * 1e-3 / step))
    r = qnet.chain_delivery(("swap", "swap"), segment.success_probability(), 0.5, link_state=segment.state(),
                            memory=qnet.depolarizing_rates(1.0 * step), cutoff=cutoff, t_trunc=2**16)
    return {"rate": 1.0 / (r.mean_time * step), "fidelity": r.mean_fidelity, "cutoff_steps": cutoff}


def main() -> None:
    from dask.distributed import Client, LocalCluster

    distances = [100.0, 150.0] if QUICK else [50.0, 100.0, 150.0]
    cutoffs = [2.0, 10.0, 50.0] if QUICK else [2.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0, 30.0, 50.0]
    points = [{"distance_km": d, "cutoff_ms": c} for d in distances for c in cutoffs]

    address = os.environ.get("QNET_DASK_SCHEDULER")
    if address:
        cluster, client = None, Client(address)
    else:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
        client = Client(cluster)
    try:
        OUT.mkdir(parents=True, exist_ok=True)
        store = OUT / "sweep_dask.jsonl"  # delete it to recompute everything
        result = qnet.sweep(evaluate, points, store, executor=client.get_executor(), progress=False)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    print(f"{result.computed} points computed, {result.reused} reused from {store}")

    fig, ax = plt.subplots(figsize=(6.5, 4.5), constrained_layout=True)
    for i, d in enumerate(distances):
        rows = [(p["cutoff_ms"], r) for p, r in zip(result.points, result.results) if p["distance_km"] == d]
        rate = np.array([r["rate"] for _, r in rows])
        fid = np.array([r["fidelity"] for _, r in rows])
        ax.plot(fid, rate, "o-", color=f"C{i}", label=f"{d:.0f} km")
        for (c, _), x, y in zip(rows, fid, rate) if d == distances[-1] else ():  # label one curve
            ax.annotate(f"{c:g} ms", (x, y), textcoords="offset points", xytext=(4, 2), fontsize=7)
    ax.set(yscale="log", xlabel="mean delivered fidelity", ylabel="delivered pairs per second",
           title="4-segment chain: the memory cut-off (labels) trades rate for fidelity")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
    path = OUT / "sweep_dask.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"figure written to {path}")


if __name__ == "__main__":
    main()
