"""Repeater chains versus distance: key rate and fidelity for 1-16 segments, against PLOB and a direct link.

Model: the exact repeater-chain distributions of ``qnet.chain_delivery`` (Li, Coopmans & Elkouss
model). Each of the ``N`` equal segments of a fibre of total length ``L`` (0.2 dB/km) is a
midpoint-source link (``qnet.MidpointSource``: Werner pairs of fidelity ``--source-fidelity``,
detection efficiency ``--efficiency`` per node); one time step is one attempt, lasting the link's
``attempt_duration()``. Memories are depolarizing, a stored pair's Werner parameter decaying as
``exp(-t / --t-coh)``; swaps succeed with ``--p-swap``. Variants for N = 2, 4, 8, 16:

  swap          swap as soon as possible, no cut-off
  distill+swap  one BBPSSW round on every elementary link first, then swaps
  optimized     swap-only with the memory cut-off that maximises the secret-key rate
                (``qnet.optimize_cutoff`` over cut-offs 1-4096: a scan of uniform cut-offs over
                the whole range, then a golden-section refinement on the integers; the window grows
                until it covers the optimum and its neighbours, skipped where it would exceed 2**16
                steps)

Every point that is not drawn is marked at the bottom of its panel with the reason: "not computed" (the
exact window would exceed its cap) or "no key" (the chain delivers, but the key fraction of its average
state is 0; for "optimized", at every cut-off the optimizer scanned).

N = 1 is the direct link over the whole distance. Figures (PNG + PDF):

  (a) key_per_use_vs_distance   BB84 key bits per channel use (one attempt on every segment)
                                with the PLOB bound -log2(1 - eta_L) of the whole fibre
  (b) key_rate_vs_distance      key bits per second
  (c) fidelity_vs_distance      mean delivered fidelity

The data are collected point by point with ``qnet.sweep`` into ``points-<work key>.jsonl`` in the
output folder (each finished point saved at once), so an interrupted run resumes without recomputing;
the file is named by the identity of the work (``qnet.work_key``: the point function, its fixed
parameters, the qnet version and the fingerprint of qnet's source), so a changed study or qnet code
starts a new file (the old one is removed with a message) instead of reusing results other code computed.
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor

import numpy as np

import qnet

from . import _common

NAME = "repeater_chain"
T_MAX = 2**21
T_OPT_MAX = 2**16


#: The figures in panel order: caption and the data files behind them.
FIGURES = {
    "key_per_use_vs_distance": ("(a) Secret-key bits per channel use versus distance for 1-16 segments, against "
                                "the PLOB bound; points not computed (exact window over its cap, x) or without "
                                "key (triangle) are marked at the bottom. Open circles on a dotted line: the optimized "
                                "cut-off, drawn on top where it equals swap-only.", ["repeater_chain.csv"]),
    "key_rate_vs_distance": ("(b) The same per second (attempt durations of the midpoint-source links).",
                             ["repeater_chain.csv"]),
    "fidelity_vs_distance": ("(c) Mean delivered fidelity versus distance.", ["repeater_chain.csv"]),
}


def build_parser():
    p = _common.parser(NAME, __doc__)
    p.add_argument("--source-fidelity", type=_common.number(float, 0.25, 1, low_open=True), default=0.99, help="fidelity of emitted pairs (default: %(default)s)")
    p.add_argument("--efficiency", type=_common.number(float, 0, 1, low_open=True), default=0.9,
                   help="per-node coupling x detector efficiency (default: %(default)s)")
    p.add_argument("--p-swap", type=_common.number(float, 0, 1, low_open=True), default=0.9, help="swap success probability (default: %(default)s)")
    p.add_argument("--t-coh", type=_common.number(float, 0, low_open=True), default=1.0, help="pair coherence time in seconds (default: %(default)s)")
    p.add_argument("--distances", type=_common.number(float, 0, 20037.5, low_open=True), nargs="+", default=None,
                   help="total distances in km, up to half the Earth's circumference (default: 25 ... 800 km, 11 points; "
                   "--quick: 50, 150)")
    p.add_argument("--segments", type=_common.number(int, 1, 1024), nargs="+", default=None,
                   help="numbers of segments, powers of two (default: 1 2 4 8 16; --quick: 1 2 4)")
    p.add_argument("--workers", type=_common.number(int, 1, 256), default=1, help="parallel workers for the sweep (default: %(default)s)")
    return p


def _link(length_km: float, source_fidelity: float, efficiency: float):
    return qnet.MidpointSource(qnet.FibreChannel(length_km), source_fidelity=source_fidelity,
                               coupling_efficiency=efficiency)


def _delivery(protocol, p, p_swap, w0, t_coh_steps, cutoff=None):
    """Exact delivery with a window grown until the missing mass is below 1e-4 (None beyond T_MAX)."""
    levels = len(protocol)
    T = int(min(T_MAX, max(2000, 30 * (1.5**levels) / p / p_swap**levels)))
    while True:
        try:
            return qnet.chain_delivery(protocol, p, p_swap, w0, t_coh_steps, cutoff=cutoff, t_trunc=T, tol=1e-4)
        except qnet.TruncationError as exc:
            T = exc.sufficient_t_trunc  # None: longer than the largest window qnet will try
            if T is None or T > T_MAX:
                return None


def _optimized(protocol, p, p_swap, w0, t_coh_steps, T, maxiter):
    """The key-optimal cut-off with a window that covers it: the window grows (x4, up to T_OPT_MAX) while the
    optimizer found no key only because candidates were not covered, or while a scanned cut-off next to the
    optimum was not covered. Returns the optimum (the best covered one when the window reached its cap with a
    neighbour still uncovered: its ``uncovered`` says which), "no_key" (every covered cut-off gives no key and none
    was left uncovered) or None (no positive key covered within the cap)."""
    found = None
    while T <= T_OPT_MAX:
        kw = dict(t_trunc=T, tol=1e-4, bounds=(1, 4096), maxiter=maxiter, seed=1)
        try:
            best = qnet.optimize_cutoff(protocol, p, p_swap, w0, t_coh_steps, **kw)
        except qnet.InfeasibleError as exc:
            if not exc.uncovered:
                return "no_key"
        except qnet.NeverDeliversError:  # nothing covered at all
            pass
        else:
            grid = [int(c) for c, _ in best.scan]
            i = grid.index(best.cutoff[0]) if best.cutoff[0] in grid else None
            near = set(grid[max(0, i - 1):i + 2]) if i is not None else {best.cutoff[0]}
            if not near & {c[0] for c in best.uncovered}:
                return best
            found = best
        T *= 4
    return found


def point(distance_km: float, segments: int, variant: str, source_fidelity: float, efficiency: float,
          p_swap: float, t_coh_s: float, optimize_maxiter: int) -> dict:
    """One point of the study (module-level so that a process pool can run it)."""
    link = _link(distance_km / segments, source_fidelity, efficiency)
    p = link.success_probability()
    F = link.fidelity()
    w0 = (4 * F - 1) / 3
    step = link.attempt_duration()
    t_coh_steps = t_coh_s / step
    levels = int(round(math.log2(segments)))
    out = {"p_gen": p, "time_step_s": step, "cutoff": None, "missing": None, "uncovered_cutoffs": 0}
    cap = {"mean_time": None, "fidelity": None, "key_per_step": None, "missing": "window_cap"}
    if p <= 0.0:  # the transmission underflows float64: no link ever, so no key
        return {**out, "mean_time": None, "fidelity": None, "key_per_step": 0.0, "missing": "no_key"}
    if segments == 1:  # direct link: geometric waiting time, state as heralded
        mean_time, fid = 1.0 / p, F
        lam = qnet.werner(F)
    else:
        protocol = ("swap",) * levels if variant != "distill+swap" else ("distill",) + ("swap",) * levels
        if variant == "optimized":
            T = int(max(2000, 30 * (1.5**levels) / p / p_swap**levels))
            best = _optimized(protocol, p, p_swap, w0, t_coh_steps, T, optimize_maxiter)
            if best is None or isinstance(best, str):
                reason = best or "window_cap"
                return {**out, **cap, "key_per_step": 0.0 if reason == "no_key" else None, "missing": reason}
            r = best.delivery
            out["cutoff"] = best.cutoff[0]
            out["uncovered_cutoffs"] = len(best.uncovered)
        else:
            r = _delivery(protocol, p, p_swap, w0, t_coh_steps)
        if r is None:
            return {**out, **cap}
        mean_time, fid, lam = r.mean_time, r.mean_fidelity, r.mean_state
    key = float(qnet._bell.BDS_MEASURES["bb84_key_fraction"](np.asarray(lam))) / mean_time
    return {**out, "mean_time": mean_time, "fidelity": fid, "key_per_step": key,
            "missing": "no_key" if key <= 0 else None}


def collect(args, distances, segments, out) -> list[dict]:
    pts = []
    for n in segments:
        for variant in (["direct"] if n == 1 else ["swap", "distill+swap", "optimized"]):
            for d in distances:
                pts.append({"distance_km": float(d), "segments": int(n), "variant": variant,
                            "source_fidelity": args.source_fidelity, "efficiency": args.efficiency,
                            "p_swap": args.p_swap, "t_coh_s": args.t_coh,
                            "optimize_maxiter": 4 if args.quick else 15})
    executor = ThreadPoolExecutor(1) if args.workers == 1 else None
    identity = {"t_max": T_MAX, "t_opt_max": T_OPT_MAX}
    try:
        res = qnet.sweep(point, pts, _common.sweep_file(out, "points", point, identity), executor=executor,
                         max_workers=args.workers, progress=not args.no_progress, desc=NAME, identity=identity)
    finally:
        if executor is not None:
            executor.shutdown()
    return [{**p, **r} for p, r in zip(pts, res.results)]


def _nan(x):
    return float("nan") if x is None else float(x)


def figures(rows, distances, segments, args, out) -> list:
    import matplotlib.pyplot as plt

    files = []
    L = np.asarray(distances, float)
    eta = qnet.fibre_transmissivity(L)
    styles = {"swap": "-", "distill+swap": "--", "optimized": ":", "direct": "-"}
    # the optimized variant is drawn last, with larger open markers, so that where it equals swap-only (the best
    # cut-off is no cut-off) it stays visible on top of the solid line
    marks = {"swap": dict(marker="o", ms=3), "distill+swap": dict(marker="o", ms=3),
             "optimized": dict(marker="o", ms=5, mfc="none"), "direct": dict(marker="o", ms=3)}
    # viridis without its last sixth: its yellow end is unreadable on white
    colors = {n: plt.cm.viridis(0.82 * i / max(1, len(segments) - 1)) for i, n in enumerate(segments)}

    def series(n, variant, key):
        """x, y, and the distances where the point is missing: not computed (window cap) / zero key."""
        sel = sorted((r for r in rows if r["segments"] == n and r["variant"] == variant), key=lambda r: r["distance_km"])
        x = np.array([r["distance_km"] for r in sel])
        if key == "key_per_use":
            y = np.array([_nan(r["key_per_step"]) for r in sel])
        elif key == "key_rate":
            y = np.array([_nan(r["key_per_step"]) / r["time_step_s"] for r in sel])
        else:
            y = np.array([_nan(r["fidelity"]) for r in sel])
        reason = np.array([r["missing"] or "" for r in sel])
        skipped = reason == "window_cap"
        zero = (reason == "no_key") if key != "fidelity" else np.zeros_like(skipped)
        y[skipped | zero] = np.nan  # not drawn (on the log axes a zero has no place), marked at the bottom instead
        return x, y, x[skipped], x[zero]

    for stem, key, ylabel, log in [
        ("key_per_use_vs_distance", "key_per_use", "secret-key bits per channel use", True),
        ("key_rate_vs_distance", "key_rate", "secret-key bits per second", True),
        ("fidelity_vs_distance", "fidelity", "mean delivered fidelity", False),
    ]:
        fig, ax = plt.subplots(figsize=(8.0, 4.4))
        bottom = ax.get_xaxis_transform()  # x in data, y in axes coordinates
        for n in segments:
            for variant in (["direct"] if n == 1 else ["swap", "distill+swap", "optimized"]):
                x, y, skipped, zero = series(n, variant, key)
                label = "direct link (N = 1)" if n == 1 else f"N = {n}, {variant}"
                ax.plot(x, y, styles[variant], color=colors[n], label=label, zorder=3 if variant == "optimized" else 2,
                        **marks[variant])
                ax.plot(skipped, np.full(skipped.shape, 0.02), "x", color=colors[n], ms=5, transform=bottom,
                        clip_on=False)
                ax.plot(zero, np.full(zero.shape, 0.02), "v", color=colors[n], ms=4, transform=bottom,
                        clip_on=False)
        if key == "key_per_use":
            ax.plot(L, qnet.plob_bound(eta), "k-", lw=2, label="PLOB bound")
        if log:
            ax.set_yscale("log")
        ax.set_xlabel("total distance L (km)")
        ax.set_ylabel(ylabel)
        ax.set_title(f"source fidelity {args.source_fidelity}, detection efficiency {args.efficiency}, "
                     f"swap success {args.p_swap}, memory coherence time {args.t_coh} s", fontsize=8)
        ax.grid(alpha=0.3)
        ax.plot([], [], "kx", ms=5, ls="none", label="not computed (exact window over its cap)")
        if key != "fidelity":
            ax.plot([], [], "kv", ms=4, ls="none", label="no key (key fraction 0; optimized: at every cut-off)")
        ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
        files += _common.save_figure(fig, out, stem)
    return files


def main(argv: list[str] | None = None) -> dict:
    parser = build_parser()
    args = _common.parse_args(parser, argv)
    distances = args.distances or ([50.0, 150.0] if args.quick else list(np.geomspace(25.0, 800.0, 11).round(1)))
    segments = args.segments or ([1, 2, 4] if args.quick else [1, 2, 4, 8, 16])
    if any(n & (n - 1) for n in segments):
        parser.error(f"argument --segments: must be powers of two, got {segments}")
    _common.use_agg()
    out = _common.prepare_output(args.out)
    rows = collect(args, distances, segments, out)
    files = figures(rows, distances, segments, args, out)
    cols = ["distance_km", "segments", "variant", "p_gen", "time_step_s", "mean_time", "fidelity", "key_per_step",
            "cutoff", "uncovered_cutoffs", "missing"]
    table = {c: [(_nan(r[c]) if c in ("mean_time", "fidelity", "key_per_step", "cutoff") else
                  (r[c] or "") if c == "missing" else r[c]) for r in rows] for c in cols}
    table["key_bits_per_s"] = [_nan(r["key_per_step"]) / r["time_step_s"] for r in rows]
    table["plob_bits_per_use"] = [float(qnet.plob_bound(qnet.fibre_transmissivity(r["distance_km"]))) for r in rows]
    files.append(_common.write_csv(out / "repeater_chain.csv", table))
    params = {"source_fidelity": args.source_fidelity, "efficiency": args.efficiency, "p_swap": args.p_swap,
              "t_coh_s": args.t_coh, "distances_km": distances, "segments": segments,
              "attenuation_db_per_km": 0.2, "link": "MidpointSource",
              "cutoff_optimizer": "scan of 32 uniform cut-offs, then golden section on the integers",
              "optimizer_seed": 1, "truncation_tol": 1e-4, "t_trunc_max": T_MAX, "quick": args.quick}
    files.append(_common.write_json(out / "repeater_chain.json", {"parameters": params, "points": rows}))
    longest = max(distances)
    best = max((r for r in rows if r["distance_km"] == longest and r["key_per_step"]),
               key=lambda r: r["key_per_step"] / r["time_step_s"], default=None)
    direct = next((r for r in rows if r["distance_km"] == longest and r["segments"] == 1), None)
    _common.report(out, [
        f"{len(rows)} points: {len(distances)} distances x segments {segments}",
        f"at {longest:g} km the best key rate is {best['key_per_step'] / best['time_step_s']:.3g} bit/s "
        f"({best['segments']} segments, {best['variant']}"
        + (f"; {best['uncovered_cutoffs']} smaller cut-offs need a window beyond the cap" if best['uncovered_cutoffs']
           else "") + ")" if best else f"at {longest:g} km no variant gives key",
        f"direct link at {longest:g} km: {_nan(direct['key_per_step']) / direct['time_step_s']:.3g} bit/s"
        if direct else "no direct link computed",
    ])
    return {"files": [str(f) for f in files], "rows": rows, "parameters": params}


if __name__ == "__main__":
    _common.run(main, NAME)
