"""Network purification: when to purify, with how many memories, and what classical latency costs.

A metropolitan grid of 4 x 4 nodes, neighbours ``--spacing`` km of fibre apart, every link a single-click
heralding scheme (``qnet.SingleClick``, bright-state population ``--bright-state``, detector efficiency 0.8:
fidelity about 0.965 with X/Y errors, success probability about 0.06 per attempt, attempt = the heralding round
trip), every memory dephasing with
``T2 = --t2`` (Pauli rate ``1 / (2 T2)``). Three user pairs are served at once on their shortest paths
(corner to corner both ways, and across the second row), sharing every node's memories, with a memory
cut-off of ``--cutoff`` ms. ``qnet.simulate_network`` runs the event-driven simulation (classical messages at
fibre speed, or instantaneous) for each purification policy of the elementary links (one round of
``--protocol``; the default ``auto`` runs, per distillation, the variant that gives the highest output fidelity
for the two pairs at hand: the plain CNOT circuit on fresh single-click pairs, whose X and Y errors it detects,
where DEJMPS would gain nothing):

  none        no purification;
  immediate   distil as soon as both pairs of a link are known at both ends;
  deferred    distil just in time, when the pair is needed by its swap;
  optimal     per link, immediate or deferred as qnet's timing module decides (fidelity x success probability
              at consumption, ``qnet.PurificationTimeline.optimal_time``). Its model consumes the pair one mean
              link time after the second herald: the wait for a swap partner elsewhere in the network is not in
              it, so it may choose "immediate" where the verdict map shows that deferring wins.

  (a) fidelity_vs_throughput  mean delivered fidelity against throughput of every request, per policy, with
                              and without classical delay (most memories).
  (b) memories                throughput of the three requests together against the memories per node.
  (c) latency                 median and 90th-percentile delivery time per policy (classical delay on).
  (d) verdict_map             does purifying at once or just in time give the higher fidelity, across memory
                              T2 and grid spacing (the other parameters as given; most memories, delay on)?
                              The answer at the chosen point is not general: the map shows where it holds.
  (e) platforms               memories that relax (T1) as well as dephase (T2), with the values measured on
                              real platforms (``qnet/data/memory_platforms.csv``, each with its source; the
                              ``--platform`` option picks them) and the limit case T1 = T2/2 at the study's
                              ``--t2``: immediate, deferred and optimal-time purification simulated with the
                              density matrices (amplitude damping, ``qnet.T1T2Memory``) and with the memories'
                              Pauli twirl (what a Bell-diagonal simulator assumes), same seed, same events;
                              how far the twirl misleads is the paired difference of the delivered fidelities.

Data: network_purification.csv (one row per policy, memory count, delay setting and request, with 95 %
confidence intervals), verdict_map.csv (immediate against deferred per T2 and spacing), platforms.csv (per
platform and policy: the fidelities with T1/T2 memories and with their twirl, and their paired difference) and
network_purification.json with every parameter, the qnet version and the headline
numbers.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

import qnet

from . import _common

NAME = "network_purification"
GRID = 4
REQUESTS = (((0, 0), (3, 3)), ((0, 3), (3, 0)), ((1, 0), (1, 3)))
POLICIES = ("none", "immediate", "deferred", "optimal")
MEMORIES = (6, 8, 16)
QUICK_MEMORIES = (6, 16)
#: The (T2 in ms, spacing in km) grid of the verdict map, and its quick version.
VERDICT_T2_MS = (30.0, 100.0, 300.0, 1000.0)
VERDICT_SPACING_KM = (6.0, 12.0, 25.0)
QUICK_VERDICT_T2_MS = (30.0, 1000.0)
QUICK_VERDICT_SPACING_KM = (12.0,)
FIGURES = {
    "fidelity_vs_throughput": ("(a) Mean delivered fidelity against throughput of three concurrent requests on a "
                               "4 x 4 metropolitan grid, per purification policy, with and without classical "
                               "delay.", ["network_purification.csv"]),
    "memories": ("(b) Throughput of the three requests together against the memories per node, per policy.",
                 ["network_purification.csv"]),
    "latency": ("(c) Median and 90th-percentile delivery time of every request per policy (classical delay on).",
                ["network_purification.csv"]),
    "verdict_map": ("(d) Mean fidelity of immediate minus deferred purification across memory T2 and grid spacing: "
                    "which timing wins depends on the memories and the links.", ["verdict_map.csv"]),
    "platforms": ("(e) Mean delivered fidelity with T1/T2 memories (density matrices) and with their Pauli twirl, per "
                  "purification policy, for the platforms of qnet/data/memory_platforms.csv (NV ensemble at 77 K: "
                  "T1 = 1.2 s, T2 = 0.6 s, Bar-Gill et al., Nat. Commun. 4, 1743 (2013); SiV at 100 mK: T1 = 1 s, "
                  "T2 = 13 ms, Sukachev et al., PRL 119, 223602 (2017)) and the limit T1 = T2/2; the numbers are the "
                  "paired differences.", ["platforms.csv"]),
}
#: Measured memory platforms (T1, T2 in seconds, each with its source).
PLATFORMS_FILE = Path(__file__).resolve().parents[1] / "data" / "memory_platforms.csv"
#: The limit case of panel (e): the strongest relaxation a memory of the study's T2 can have.
LIMIT = "limit T1 = T2/2"


def platforms() -> dict:
    """The measured platforms: name -> the record of ``memory_platforms.csv`` (T1, T2 in seconds)."""
    with open(PLATFORMS_FILE, newline="", encoding="utf-8") as fh:
        return {row["platform"]: {**row, "T1_s": float(row["T1_s"]), "T2_s": float(row["T2_s"])}
                for row in csv.DictReader(fh)}


def build_parser():
    p = _common.parser(NAME, __doc__)
    p.add_argument("--spacing", type=_common.number(float, 0, 200, low_open=True), default=12.0,
                   help="fibre length between grid neighbours in km (default: %(default)s)")
    p.add_argument("--bright-state", type=_common.number(float, 0, 0.5, low_open=True), default=0.05,
                   help="single-click bright-state population (default: %(default)s)")
    p.add_argument("--t2", type=_common.number(float, 0, low_open=True), default=100.0,
                   help="memory dephasing time T2 in ms (default: %(default)s)")
    p.add_argument("--cutoff", type=_common.number(float, 0, low_open=True), default=20.0,
                   help="memory cut-off in ms (default: %(default)s)")
    p.add_argument("--deliveries", type=_common.number(int, 10, 10**7), default=20000,
                   help="pairs delivered per request and setting (default: %(default)s; --quick: 300)")
    p.add_argument("--protocol", choices=qnet.PROTOCOL_OPTIONS, default="auto",
                   help="purification variant of every distillation (default: %(default)s, the best per operation)")
    p.add_argument("--seed", type=_common.number(int, 0, 2**63 - 1), default=1,
                   help="seed of every simulation (default: %(default)s)")
    p.add_argument("--platform", action="append", choices=sorted(platforms()) + [LIMIT], default=None,
                   help="memory platform of panel (e), repeatable (default: every one of "
                        "qnet/data/memory_platforms.csv and the limit T1 = T2/2)")
    return p


def network(args, n_memories: int, *, t2_ms: float | None = None, spacing_km: float | None = None,
            memory=None):
    """The grid with its links and memories (``t2_ms``, ``spacing_km`` and ``memory`` replace the options')."""
    link = lambda km: qnet.SingleClick(qnet.FibreChannel(km), bright_state=args.bright_state,  # noqa: E731
                                       detector_efficiency=0.8)
    t2 = args.t2 if t2_ms is None else t2_ms
    if memory is None:
        memory = (0.0, 0.0, 1.0 / (2.0 * t2 * 1e-3))
    return qnet.grid_network(GRID, GRID, args.spacing if spacing_km is None else spacing_km,
                             memory=memory, n_memories=n_memories, link=link)


def platform_memories(args) -> dict:
    """Panel (e)'s memories: name -> T1T2Memory (the chosen platforms, then the limit case at ``--t2``)."""
    known = platforms()
    names = args.platform or [*known, LIMIT]
    t2 = args.t2 * 1e-3
    return {name: qnet.T1T2Memory(t2 / 2, t2) if name == LIMIT else
            qnet.T1T2Memory(known[name]["T1_s"], known[name]["T2_s"]) for name in dict.fromkeys(names)}


def compare_platforms(args) -> dict:
    """Per platform and policy (most memories, classical delay on): the delivered fidelity with T1/T2 memories and
    with their Pauli twirl (same seed), and the paired difference with its 95 % half-width."""
    n = 300 if args.quick else min(args.deliveries, 5000)
    most = max(QUICK_MEMORIES if args.quick else MEMORIES)
    cols: dict = {k: [] for k in ("platform", "T1_s", "T2_s", "policy", "fidelity_t1t2", "fidelity_twirl",
                                  "difference", "difference_halfwidth", "same_events", "deferred_links_t1t2",
                                  "deferred_links_twirl")}
    for name, mem in platform_memories(args).items():
        for pol in ("immediate", "deferred", "optimal"):
            res = {}
            for kind, memory in (("t1t2", mem), ("twirl", mem.pauli_twirl())):
                res[kind] = qnet.simulate_network(network(args, most, memory=memory), list(REQUESTS), n_deliveries=n,
                                                  seed=args.seed, purification=policy(pol, args.protocol),
                                                  cutoff=qnet.Cutoff.memory_time(args.cutoff * 1e-3))
            exact, twirl = res["t1t2"], res["twirl"]
            same = all(np.array_equal(a.completed_at, b.completed_at) for a, b in zip(exact.requests, twirl.requests))
            fa = np.concatenate([r.fidelities for r in exact.requests])
            fb = np.concatenate([r.fidelities for r in twirl.requests])
            # paired when both saw the same events (the same pairs, differently decohered), else independent
            d = fa - fb if same else None
            half = 1.96 * (d.std(ddof=1) / np.sqrt(d.size) if same else
                           np.hypot(fa.std(ddof=1) / np.sqrt(fa.size), fb.std(ddof=1) / np.sqrt(fb.size)))
            for k, v in (("platform", name), ("T1_s", mem.T1), ("T2_s", mem.T2), ("policy", pol),
                         ("fidelity_t1t2", float(fa.mean())), ("fidelity_twirl", float(fb.mean())),
                         ("difference", float(fa.mean() - fb.mean())), ("difference_halfwidth", float(half)),
                         ("same_events", same), ("deferred_links_t1t2", len(exact.deferred_links)),
                         ("deferred_links_twirl", len(twirl.deferred_links))):
                cols[k].append(v)
    return {"rows": cols, "deliveries": n, "memories": most}


def _fidelity_with_halfwidth(res) -> tuple[float, float]:
    """Mean fidelity of the requests and its 95 % half-width (the requests' intervals combined as independent)."""
    reqs = res.requests
    half = [(r.mean_fidelity_ci[1] - r.mean_fidelity_ci[0]) / 2.0 for r in reqs]
    return float(np.mean([r.mean_fidelity for r in reqs])), float(np.sqrt(np.sum(np.square(half))) / len(reqs))


def verdict_map(args) -> dict:
    """Immediate against deferred purification over the (T2, spacing) grid, most memories, classical delay on."""
    t2s = QUICK_VERDICT_T2_MS if args.quick else VERDICT_T2_MS
    spacings = QUICK_VERDICT_SPACING_KM if args.quick else VERDICT_SPACING_KM
    n = 300 if args.quick else min(args.deliveries, 5000)
    most = max(QUICK_MEMORIES if args.quick else MEMORIES)
    cols: dict = {k: [] for k in ("t2_ms", "spacing_km", "fidelity_immediate", "halfwidth_immediate",
                                  "fidelity_deferred", "halfwidth_deferred", "difference", "verdict")}
    for t2 in t2s:
        for km in spacings:
            fid = {}
            for pol in ("immediate", "deferred"):
                res = qnet.simulate_network(network(args, most, t2_ms=t2, spacing_km=km), list(REQUESTS),
                                            n_deliveries=n, seed=args.seed, purification=policy(pol, args.protocol),
                                            cutoff=qnet.Cutoff.memory_time(args.cutoff * 1e-3))
                fid[pol] = _fidelity_with_halfwidth(res)
            diff = fid["immediate"][0] - fid["deferred"][0]
            verdict = "tie" if abs(diff) <= fid["immediate"][1] + fid["deferred"][1] else \
                "immediate" if diff > 0 else "deferred"
            for k, v in (("t2_ms", t2), ("spacing_km", km), ("fidelity_immediate", fid["immediate"][0]),
                         ("halfwidth_immediate", fid["immediate"][1]), ("fidelity_deferred", fid["deferred"][0]),
                         ("halfwidth_deferred", fid["deferred"][1]), ("difference", diff), ("verdict", verdict)):
                cols[k].append(v)
    return {"rows": cols, "t2_ms": list(t2s), "spacing_km": list(spacings), "deliveries": n, "memories": most}


def policy(name: str, protocol: str) -> qnet.Purification:
    if name == "none":
        return qnet.Purification.none()
    return {"immediate": qnet.Purification.immediate, "deferred": qnet.Purification.deferred,
            "optimal": qnet.Purification.optimal_time}[name](1, protocol)


def collect(args) -> dict:
    """Every (policy, memories, delay) simulation, flattened into one row per request."""
    memories = QUICK_MEMORIES if args.quick else MEMORIES
    n = 300 if args.quick else args.deliveries
    settings = [(pol, m, delay) for pol in POLICIES for m in memories for delay in (True, False)]
    cols: dict = {k: [] for k in ("policy", "n_memories", "classical_delay", "request", "source", "target", "hops",
                                  "deliveries", "throughput_hz", "throughput_lo_hz", "throughput_hi_hz",
                                  "mean_fidelity", "fidelity_lo", "fidelity_hi", "latency_p50_ms", "latency_p90_ms",
                                  "failed_operations", "discarded", "deferred_links")}
    for pol, m, delay in _common.progress(settings, total=len(settings), desc=NAME, enabled=not args.no_progress):
        res = qnet.simulate_network(network(args, m), list(REQUESTS), n_deliveries=n, seed=args.seed,
                                    classical_delay=delay, purification=policy(pol, args.protocol),
                                    cutoff=qnet.Cutoff.memory_time(args.cutoff * 1e-3))
        for i, r in enumerate(res.requests):
            lo_t, hi_t = r.mean_time_ci
            lo_f, hi_f = r.mean_fidelity_ci
            p50, p90 = r.latency_percentiles([50, 90])
            row = {"policy": pol, "n_memories": m, "classical_delay": delay, "request": i, "source": str(r.source),
                   "target": str(r.target), "hops": len(r.path) - 1, "deliveries": r.n,
                   # one instance per request: throughput is the inverse mean delivery time
                   "throughput_hz": r.throughput_hz, "throughput_lo_hz": 1.0 / hi_t, "throughput_hi_hz": 1.0 / lo_t,
                   "mean_fidelity": r.mean_fidelity, "fidelity_lo": lo_f, "fidelity_hi": hi_f,
                   "latency_p50_ms": p50 * 1e3, "latency_p90_ms": p90 * 1e3,
                   "failed_operations": r.failed_operations, "discarded": r.discarded,
                   "deferred_links": len(res.deferred_links)}
            for k, v in row.items():
                cols[k].append(v)
    return {"rows": cols, "memories": memories, "deliveries": n, "protocol": args.protocol}


def _select(rows: dict, **where) -> np.ndarray:
    keep = np.ones(len(rows["policy"]), bool)
    for k, v in where.items():
        keep &= np.array([x == v for x in rows[k]])
    return np.flatnonzero(keep)


def figures(data: dict, out: Path) -> list[str]:
    """The three panels (PNG + PDF)."""
    import matplotlib.pyplot as plt

    rows = data["rows"]
    most = max(data["memories"])
    colours = {p: f"C{i}" for i, p in enumerate(POLICIES)}
    markers = ["o", "s", "^"]
    labels = _labels(rows)
    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    for pol in POLICIES[::-1]:  # "optimal" first and larger, so that a policy it equals stays visible on top
        size = 10 if pol == "optimal" else 6
        for delay, fill in ((True, True), (False, False)):
            for i in _select(rows, policy=pol, n_memories=most, classical_delay=delay):
                r = rows["request"][i]
                ax.errorbar(rows["throughput_hz"][i], rows["mean_fidelity"][i],
                            yerr=[[rows["mean_fidelity"][i] - rows["fidelity_lo"][i]],
                                  [rows["fidelity_hi"][i] - rows["mean_fidelity"][i]]],
                            fmt=markers[r], color=colours[pol], mfc=colours[pol] if fill else "white", ms=size,
                            lw=0.8)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colours[p], label=labels[p]) for p in POLICIES]  # colour: policy
    # one meaning per glyph: the marker's shape is the request, its fill the delay setting (shown on a square)
    handles += [plt.Line2D([], [], color="0.3", marker=m, ls="", mfc="0.3",
                           label=f"request {i}: {REQUESTS[i][0]} to {REQUESTS[i][1]}") for i, m in enumerate(markers)]
    handles += [plt.Line2D([], [], color="0.3", marker="D", ls="", ms=5, label="filled: classical delay"),
                plt.Line2D([], [], color="0.3", marker="D", ls="", ms=5, mfc="white", label="open: no delay")]
    ax.legend(handles=handles, fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.13))
    ax.set_xscale("log")
    ax.set_xlabel("throughput (pairs/s)")
    ax.set_ylabel("mean delivered fidelity (95 % CI)")
    ax.set_title(f"(a) 4 x 4 grid, three concurrent requests, {most} memories per node, protocol "
                 f"{data['protocol']}", loc="left", fontsize=10)
    fig.tight_layout()
    stems = [_save(fig, out, "fidelity_vs_throughput")]

    fig, ax = plt.subplots(figsize=(5.6, 4.8))
    for pol in POLICIES[::-1]:
        for delay, ls in ((True, "-"), (False, ":")):
            total = [sum(rows["throughput_hz"][i] for i in _select(rows, policy=pol, n_memories=m,
                                                                   classical_delay=delay))
                     for m in data["memories"]]
            ax.plot(data["memories"], total, ls, marker="o", color=colours[pol], ms=9 if pol == "optimal" else 5,
                    mfc="white" if pol == "optimal" else colours[pol],
                    label=labels[pol] + ("" if delay else " (no delay)"))
    ax.set_xscale("log", base=2)
    ax.set_xticks(data["memories"], [str(m) for m in data["memories"]])
    ax.set_xlabel("memories per node")
    ax.set_ylabel("total throughput (pairs/s)")
    ax.set_title("(b) throughput of the three requests together", loc="left", fontsize=10)
    h, lab = ax.get_legend_handles_labels()
    ax.legend(h[::-1], lab[::-1], fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.16))
    fig.tight_layout()
    stems.append(_save(fig, out, "memories"))

    fig, ax = plt.subplots(figsize=(6.0, 3.6))
    width = 0.8 / len(POLICIES)
    for k, pol in enumerate(POLICIES):
        idx = _select(rows, policy=pol, n_memories=most, classical_delay=True)
        x = np.array([rows["request"][i] for i in idx]) + (k - 1.5) * width
        ax.bar(x, [rows["latency_p90_ms"][i] for i in idx], width, color=colours[pol], alpha=0.35)
        ax.bar(x, [rows["latency_p50_ms"][i] for i in idx], width, color=colours[pol], label=pol)
    ax.set_xticks(range(len(REQUESTS)), [f"{a} to {b}" for a, b in REQUESTS], fontsize=8)
    ax.set_ylabel("delivery time (ms)")
    ax.set_ylim(0, 1.3 * max(rows["latency_p90_ms"][i] for i in _select(rows, n_memories=most, classical_delay=True)))
    ax.set_title(f"(c) median (dark) and 90th percentile (light) delivery time,\nclassical delay on, {most} memories",
                 loc="left", fontsize=10)
    ax.legend(fontsize=7, ncol=4, loc="upper left")
    fig.tight_layout()
    stems.append(_save(fig, out, "latency"))

    vm = data["verdict"]
    t2s, kms = vm["t2_ms"], vm["spacing_km"]
    diff = np.array(vm["rows"]["difference"]).reshape(len(t2s), len(kms)).T
    verdicts = np.array(vm["rows"]["verdict"]).reshape(len(t2s), len(kms)).T
    fig, ax = plt.subplots(figsize=(5.6, 3.4))
    lim = max(1e-3, float(np.abs(diff).max()))
    im = ax.imshow(diff, cmap="RdBu", vmin=-lim, vmax=lim, origin="lower", aspect="auto")
    for i in range(len(kms)):
        for j in range(len(t2s)):
            ax.text(j, i, f"{diff[i, j]:+.3f}\n{verdicts[i, j]}", ha="center", va="center", fontsize=7,
                    color="white" if abs(diff[i, j]) > 0.6 * lim else "black")
    ax.set_xticks(range(len(t2s)), [f"{t:g}" for t in t2s])
    ax.set_yticks(range(len(kms)), [f"{k:g}" for k in kms])
    ax.set_xlabel("memory dephasing time T2 (ms)")
    ax.set_ylabel("grid spacing (km)")
    fig.colorbar(im, ax=ax, label="fidelity: immediate - deferred")
    ax.set_title(f"(d) which timing wins ({vm['memories']} memories, classical delay, protocol {data['protocol']})",
                 loc="left", fontsize=9)
    fig.tight_layout()
    stems.append(_save(fig, out, "verdict_map"))
    stems.append(_platform_figure(data["platforms"], out))
    return stems


def _platform_figure(pf: dict, out: Path) -> str:
    """Panel (e): fidelity with T1/T2 memories and with their twirl, per platform and policy."""
    import matplotlib.pyplot as plt

    rows = pf["rows"]
    names = list(dict.fromkeys(rows["platform"]))
    fig, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 3.8), squeeze=False)
    for ax, name in zip(axes[0], names):
        idx = [i for i in range(len(rows["platform"])) if rows["platform"][i] == name]
        x = np.arange(len(idx))
        ax.bar(x - 0.2, [rows["fidelity_t1t2"][i] for i in idx], 0.4, color="C0", label="T1/T2 (density matrices)")
        ax.bar(x + 0.2, [rows["fidelity_twirl"][i] for i in idx], 0.4, color="C1", label="Pauli twirl")
        lo = min(min(rows["fidelity_t1t2"][i], rows["fidelity_twirl"][i]) for i in idx)
        hi = max(max(rows["fidelity_t1t2"][i], rows["fidelity_twirl"][i]) for i in idx)
        ax.set_ylim(lo - 0.02, hi + 0.02)
        for xi, i in zip(x, idx):
            ax.text(xi, hi + 0.005, f"{rows['difference'][i]:+.1e}\n±{rows['difference_halfwidth'][i]:.0e}",
                    ha="center", va="bottom", fontsize=6.5)
        ax.set_xticks(x, [rows["policy"][i] for i in idx], fontsize=8)
        ax.set_title(f"{name}\nT1 = {rows['T1_s'][idx[0]]:g} s, T2 = {rows['T2_s'][idx[0]]:g} s", fontsize=8.5)
    axes[0][0].set_ylabel(f"mean delivered fidelity ({pf['memories']} memories, delay on)")
    axes[0][0].legend(fontsize=7, loc="lower left")
    fig.suptitle("(e) amplitude damping against its Pauli twirl (numbers: T1/T2 minus twirl, 95 % half-width)",
                 fontsize=9, x=0.01, ha="left")
    fig.tight_layout()
    return _save(fig, out, "platforms")


def _labels(rows: dict) -> dict:
    """Legend label of every policy; the optimal-time policy's says which choice it made."""
    deferred = {rows["deferred_links"][i] for i in _select(rows, policy="optimal")}
    labels = {p: p for p in POLICIES}
    if deferred == {0}:
        labels["optimal"] = "optimal (chose immediate on every link)"
    return labels


def _save(fig, out: Path, stem: str) -> str:
    _common.save_figure(fig, out, stem)
    return stem


def headline(data: dict) -> dict:
    """Per policy (most memories, classical delay on): mean fidelity of the requests (with its 95 % interval from
    the requests' own intervals, combined as independent) and their total throughput; which policies coincide."""
    rows = data["rows"]
    most = max(data["memories"])
    out: dict = {}
    for pol in POLICIES:
        idx = _select(rows, policy=pol, n_memories=most, classical_delay=True)
        half = [(rows["fidelity_hi"][i] - rows["fidelity_lo"][i]) / 2.0 for i in idx]
        out[pol] = {"mean_fidelity": float(np.mean([rows["mean_fidelity"][i] for i in idx])),
                    "mean_fidelity_halfwidth": float(np.sqrt(np.sum(np.square(half))) / len(idx)),
                    "total_throughput_hz": float(sum(rows["throughput_hz"][i] for i in idx))}
    optimal = _select(rows, policy="optimal")
    deferred = {rows["deferred_links"][i] for i in optimal}
    out["optimal_coincides_with"] = "immediate" if deferred == {0} else None
    out["optimal_deferred_links"] = sorted(deferred)
    return out


def summary_lines(head: dict, most: int, verdicts: dict | None = None) -> list[str]:
    """The first two lines the study prints: fidelity and throughput per policy, then what they show (and, with the
    verdict map's counts, how far the comparison of immediate and deferred purification carries)."""
    def same(a: str, b: str) -> bool:
        return abs(head[a]["mean_fidelity"] - head[b]["mean_fidelity"]) <= (head[a]["mean_fidelity_halfwidth"]
                                                                           + head[b]["mean_fidelity_halfwidth"])

    fid = ", ".join(f"{p} {head[p]['mean_fidelity']:.3f}" for p in POLICIES)
    thr = ", ".join(f"{p} {head[p]['total_throughput_hz']:.0f}" for p in POLICIES)
    best = max(("immediate", "deferred"), key=lambda p: head[p]["mean_fidelity"])
    other = "deferred" if best == "immediate" else "immediate"
    verdict = (f"{best} and {other} purification tie in fidelity (95 % intervals overlap)" if same(best, other) else
               f"{best} purification gives the higher fidelity ({head[best]['mean_fidelity']:.3f} vs "
               f"{head[other]['mean_fidelity']:.3f})")
    verdict += f"; purifying raises the fidelity from {head['none']['mean_fidelity']:.3f}"
    if head["optimal_coincides_with"]:
        verdict += f"; optimal chose {head['optimal_coincides_with']} on every link (the same policy)"
    if verdicts:
        verdict += ("; across T2 x spacing (verdict_map): " +
                    ", ".join(f"{k} {v}" for k, v in verdicts.items() if v) + " of " + str(sum(verdicts.values())))
    return [f"mean fidelity (classical delay, {most} memories per node): {fid}; total throughput (pairs/s): {thr}",
            verdict]


def twirl_line(pf: dict) -> str:
    """How far the Pauli twirl misleads: the largest paired difference, where, and whether it is resolved."""
    rows = pf["rows"]
    i = int(np.argmax(np.abs(rows["difference"])))
    resolved = abs(rows["difference"][i]) > rows["difference_halfwidth"][i]
    worst = {}
    for name, d in zip(rows["platform"], rows["difference"]):
        worst[name] = max(worst.get(name, 0.0), abs(d))
    per = "; ".join(f"{name} {d:.1e}" for name, d in worst.items())
    return (f"Pauli twirl of T1/T2 memories, largest error in mean fidelity per platform: {per} (largest: "
            f"{rows['platform'][i]}, {rows['policy'][i]}, {rows['difference'][i]:+.1e} +- "
            f"{rows['difference_halfwidth'][i]:.0e}, {'resolved' if resolved else 'within the noise'})")


def main(argv: list[str] | None = None) -> dict:
    args = _common.parse_args(build_parser(), argv)
    _common.use_agg()
    out = _common.prepare_output(args.out)
    data = collect(args)
    data["verdict"] = verdict_map(args)
    data["platforms"] = compare_platforms(args)
    _common.write_csv(out / f"{NAME}.csv", data["rows"])
    _common.write_csv(out / "verdict_map.csv", data["verdict"]["rows"])
    _common.write_csv(out / "platforms.csv", data["platforms"]["rows"])
    stems = figures(data, out)
    head = headline(data)
    counts = {k: data["verdict"]["rows"]["verdict"].count(k) for k in ("immediate", "deferred", "tie")}
    lines = summary_lines(head, max(data["memories"]), counts) + [twirl_line(data["platforms"])]
    example = qnet.SingleClick(qnet.FibreChannel(args.spacing), bright_state=args.bright_state,
                               detector_efficiency=0.8)
    summary = {
        "study": NAME,
        "parameters": {"grid": [GRID, GRID], "spacing_km": args.spacing, "link": "SingleClick",
                       "bright_state": args.bright_state, "detector_efficiency": 0.8,
                       "link_success_probability": example.success_probability(),
                       "link_state": example.state().tolist(), "attempt_duration_s": example.attempt_duration(),
                       "memory_rates_per_s": [0.0, 0.0, 1.0 / (2.0 * args.t2 * 1e-3)], "t2_ms": args.t2,
                       "cutoff_ms": args.cutoff, "protocol": args.protocol, "rounds": 1,
                       "requests": [[list(a), list(b)] for a, b in REQUESTS], "memories": list(data["memories"]),
                       "deliveries_per_request": data["deliveries"], "seed": args.seed, "quick": args.quick},
        "headline": head,
        "verdict_map": {"t2_ms": data["verdict"]["t2_ms"], "spacing_km": data["verdict"]["spacing_km"],
                        "deliveries_per_request": data["verdict"]["deliveries"], "counts": counts},
        "platforms": {"records": {k: v for k, v in platforms().items() if k in data["platforms"]["rows"]["platform"]},
                      "limit": {"T1_s": args.t2 * 1e-3 / 2, "T2_s": args.t2 * 1e-3},
                      "deliveries_per_request": data["platforms"]["deliveries"]},
        "summary": lines,
        "figures": stems,
    }
    _common.write_json(out / f"{NAME}.json", summary)
    _common.report(out, lines)
    return summary


if __name__ == "__main__":
    _common.run(main, NAME)
