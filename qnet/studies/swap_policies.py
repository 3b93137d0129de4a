"""Swap policies: how much faster than swap-asap the optimal decision rule of a repeater chain is, and how much of that survives classical delays.

The slot model of Iñesta, Vardoyan, Scavuzzo and Wehner (npj Quantum Inf. 9, 46, 2023; physics.md §12) solved
exactly with ``qnet.optimal_swap_policy``: n nodes, one memory per side of each node, links made with ``p_gen``
per slot, swaps succeeding with ``p_swap``, links discarded at the cut-off. Times in slots (one link attempt).

  (a) advantage        the expected delivery time of the optimal policy and of the nested rule against swap-asap,
                       across ``p_swap`` for 4 and 5 nodes, cut-offs 2 and 5 and ``p_gen`` 0.5 and 0.9 (exact).
  (b) network_delays   the rules run in qnet's network simulator (``Swapping.by_policy``) on a 5-node chain with
                       p_gen 0.9, p_swap 0.5 and cut-offs 2 (the case of the authors' notebook) and 5, against the
                       signal time of one segment in slots (1: attempts limited by heralding from a midpoint; 0:
                       the slot model). The optimal and nested rules decide on the chain's state as each node has
                       heard of it (``knowledge="latest"``; the optimal rule also on the last whole state,
                       ``"snapshot"``); swap-asap needs only the node's own memories. Mean over ``--deliveries``
                       deliveries with 95 % intervals; at zero delay the exact means of the solver are marked.
                       Checked beyond the figure (not rerun here): at p_swap 0.3 and cut-off 5, the optimal rule's
                       41 % gain at zero delay shrinks to about 6 % at half and at one slot per segment (68 against
                       72 and 77 against 82 slots, +-3.5), and to none with cut-off 2.

Links are perfect and memories noiseless: the study is about time. Data: advantage.csv (every solve),
network_delays.csv (every simulation) and swap_policies.json with every parameter and the headline results.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import qnet

from . import _common

NAME = "swap_policies"
FIGURES = {
    "advantage": ("(a) Expected delivery time of the optimal policy and of the nested rule relative to swap-asap "
                  "(exact, slot model).", ["advantage.csv"]),
    "network_delays": ("(b) The rules in the network simulator, against the signal time of one segment: the optimal "
                       "policy needs the chain's state and loses its advantage to the delays (at p_swap 0.5; at 0.3, "
                       "a 41 % gain shrinks to about 6 %).", ["network_delays.csv"]),
}
NETWORK_CASE = {"n_nodes": 5, "p_gen": 0.9, "p_swap": 0.5}
NETWORK_CUTOFFS = (2, 5)
#: (rule, knowledge) pairs run in the network.
VARIANTS = (("optimal", "latest"), ("swap_asap", "latest"), ("nested", "latest"), ("optimal", "snapshot"))
SEGMENT_KM = 10.0


def build_parser():
    p = _common.parser(NAME, __doc__)
    p.add_argument("--deliveries", type=_common.number(int, 10, 10**6), default=2000,
                   help="deliveries per network simulation (default: %(default)s; --quick: 200)")
    p.add_argument("--seed", type=_common.number(int, 0, 2**63 - 1), default=2023,
                   help="seed of the network simulations (default: %(default)s)")
    return p


def _grid(quick: bool) -> dict:
    return {"n_nodes": (4,) if quick else (4, 5), "cutoff": (2, 5), "p_gen": (0.5, 0.9),
            "p_swap": tuple(np.round(np.linspace(0.3, 1.0, 4 if quick else 8), 4))}


def advantage(args) -> dict:
    """Every solve of the grid: the three rules' exact expected delivery times."""
    g = _grid(args.quick)
    points = [(n, c, pg, ps) for n in g["n_nodes"] for c in g["cutoff"] for pg in g["p_gen"] for ps in g["p_swap"]]
    cols: dict = {k: [] for k in ("n_nodes", "cutoff", "p_gen", "p_swap", "n_states", "optimal", "swap_asap",
                                  "nested", "optimal_gain", "nested_gain")}
    for n, c, pg, ps in _common.progress(points, desc=f"{NAME} (a)", enabled=not args.no_progress):
        r = qnet.optimal_swap_policy(n, pg, ps, c)
        asap = r.mean_time_of("swap_asap")
        for key, value in (("n_nodes", n), ("cutoff", c), ("p_gen", pg), ("p_swap", ps), ("n_states", r.n_states),
                           ("optimal", r.mean_time), ("swap_asap", asap), ("nested", r.mean_time_of("nested")),
                           ("optimal_gain", 1 - r.mean_time / asap), ("nested_gain", 1 - r.mean_time_of("nested") / asap)):
            cols[key].append(value)
    return cols


def network_delays(args) -> tuple[dict, dict]:
    """The rules in the network simulator, for each cut-off of :data:`NETWORK_CUTOFFS` and each signal time per
    segment (in slots); the optimal rule also with ``knowledge="snapshot"`` (NaN where it never delivers)."""
    case = NETWORK_CASE
    delays = (0.0, 1.0) if args.quick else (0.0, 0.5, 1.0, 1.5)
    n = 200 if args.quick else args.deliveries
    cols: dict = {k: [] for k in ("cutoff", "variant", "delay_per_segment_slots", "slot_s", "mean_slots", "ci_low",
                                  "ci_high", "deliveries", "exact_slot_model", "note")}
    signal_s = SEGMENT_KM / qnet.FIBRE_LIGHT_SPEED_KM_S
    solved = {c: qnet.optimal_swap_policy(case["n_nodes"], case["p_gen"], case["p_swap"], c) for c in NETWORK_CUTOFFS}
    jobs = [(c, v, d) for c in NETWORK_CUTOFFS for d in delays for v in VARIANTS]
    for c, (rule, knowledge), d in _common.progress(jobs, desc=f"{NAME} (b)", enabled=not args.no_progress):
        slot = signal_s / d if d > 0 else signal_s
        G = qnet.chain_network([SEGMENT_KM] * (case["n_nodes"] - 1), p_gen=case["p_gen"], fidelity=1.0,
                               time_step=slot, n_memories=2)
        r = solved[c]
        note, mean, half = "", float("nan"), float("nan")
        try:
            res = qnet.simulate_network(G, [(0, case["n_nodes"] - 1)], n_deliveries=n, seed=args.seed,
                                        classical_delay=d > 0, swapping=qnet.Swapping.by_policy(r, rule, knowledge))
            # in slots, counted as the slot model counts (the final swap's slot): seconds / slot + 1
            low, high = (x / slot + 1 for x in res.requests[0].mean_time_ci)
            mean, half = (low + high) / 2, (high - low) / 2
        except qnet.NetworkError as exc:
            if knowledge != "snapshot":
                raise
            note = "never delivers: " + str(exc).split(":")[0]
        for key, value in (("cutoff", c), ("variant", f"{rule} ({knowledge})"), ("delay_per_segment_slots", d),
                           ("slot_s", slot), ("mean_slots", mean), ("ci_low", mean - half),
                           ("ci_high", mean + half), ("deliveries", n),
                           ("exact_slot_model", r.mean_time if rule == "optimal" else r.mean_time_of(rule)),
                           ("note", note)):
            cols[key].append(value)
    return cols, solved


def figures(grid: dict, net: dict, out: Path) -> list[str]:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9.0, 4.4), sharey=True)
    styles = {(4, 2): ("C0", "-"), (4, 5): ("C0", "--"), (5, 2): ("C3", "-"), (5, 5): ("C3", "--")}
    markers = {0.5: "o", 0.9: "s"}
    ps = np.array(grid["p_swap"])
    for ax, key, title in ((axes[0], "optimal_gain", "optimal policy"), (axes[1], "nested_gain", "nested rule")):
        for (n, c), (colour, line) in styles.items():
            for pg, marker in markers.items():
                idx = [i for i in range(len(ps)) if grid["n_nodes"][i] == n and grid["cutoff"][i] == c
                       and grid["p_gen"][i] == pg]
                if not idx:
                    continue
                ax.plot(ps[idx], 100 * np.array(grid[key])[idx], color=colour, ls=line, marker=marker, ms=4,
                        label=f"{n} nodes, cut-off {c}, $p_{{gen}}$ = {pg}")
        ax.axhline(0.0, color="k", lw=0.6)
        ax.set_xlabel("swap success probability $p_{swap}$")
        ax.set_title(f"{title} vs swap-asap", fontsize=10)
    axes[0].set_ylabel("time saved over swap-asap (%)")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, fontsize=7, loc="lower center", ncol=4, frameon=False)
    fig.tight_layout(rect=(0, 0.12, 1, 1))
    _common.save_figure(fig, out, "advantage")

    fig, axes = plt.subplots(2, len(NETWORK_CUTOFFS), figsize=(9.5, 7.0), sharex=True, sharey="row",
                             gridspec_kw={"height_ratios": [3, 2]})
    colours = {"optimal (latest)": "C3", "swap_asap (latest)": "C0", "nested (latest)": "C2",
               "optimal (snapshot)": "C3"}
    for col, c in enumerate(NETWORK_CUTOFFS):
        ax, rel = axes[0, col], axes[1, col]
        series = {}
        for variant in colours:
            idx = [i for i, (x, v) in enumerate(zip(net["cutoff"], net["variant"])) if x == c and v == variant]
            series[variant] = (np.array(net["delay_per_segment_slots"])[idx], np.array(net["mean_slots"])[idx],
                               np.array(net["ci_high"])[idx] - np.array(net["mean_slots"])[idx],
                               net["exact_slot_model"][idx[0]])
        base_d, base_m, base_h, base_exact = series["swap_asap (latest)"]
        for variant, (d, m, h, exact) in series.items():
            snapshot = "snapshot" in variant
            style = dict(color=colours[variant], marker="o", ms=4, capsize=2, ls=":" if snapshot else "-",
                         mfc="none" if snapshot else colours[variant])
            ax.errorbar(d, m, yerr=h, label=variant.replace("_", "-"), **style)
            never = d[np.isnan(m)]
            if never.size:
                ax.text(never.min(), 0.03, f"optimal (snapshot) never\ndelivers from {never.min():g} slot on",
                        transform=ax.get_xaxis_transform(), fontsize=7, color=colours[variant],
                        ha="left" if never.min() < 1 else "right")
            if snapshot:
                continue
            ax.plot([0.0], [exact], marker="x", ms=9, color=colours[variant], ls="none")
            if variant != "swap_asap (latest)":
                ratio = m / base_m
                rel.errorbar(d, ratio, yerr=ratio * np.hypot(h / m, base_h / base_m), **style)
                rel.plot([0.0], [exact / base_exact], marker="x", ms=9, color=colours[variant], ls="none")
        rel.axhline(1.0, color="C0", lw=0.8)
        for a in (ax, rel):
            a.axvline(1.0, color="0.5", lw=0.6, ls=":")
        rel.set_xlabel("signal time of one segment (slots)")
        ax.set_title(f"cut-off {c} slots", fontsize=10)
    axes[0, 0].set_ylabel("mean delivery time (slots; x: exact slot model)")
    axes[1, 0].set_ylabel("relative to swap-asap")
    axes[0, -1].legend(fontsize=7, loc="upper left")
    k = NETWORK_CASE
    fig.suptitle(f"{k['n_nodes']} nodes, $p_{{gen}}$ = {k['p_gen']}, $p_{{swap}}$ = {k['p_swap']}, {SEGMENT_KM:g} km "
                 f"segments (dotted line at 1: attempts heralded from a midpoint)", fontsize=9)
    fig.tight_layout()
    _common.save_figure(fig, out, "network_delays")
    return list(FIGURES)


def main(argv: list[str] | None = None) -> dict:
    args = _common.parse_args(build_parser(), argv)
    _common.use_agg()
    out = _common.prepare_output(args.out)
    grid = advantage(args)
    net, solved = network_delays(args)
    _common.write_csv(out / "advantage.csv", grid)
    _common.write_csv(out / "network_delays.csv", net)
    stems = figures(grid, net, out)
    best = int(np.argmax(grid["optimal_gain"]))

    def mean(variant: str, c: int, d: float) -> float:
        return next(m for v, x, dd, m in zip(net["variant"], net["cutoff"], net["delay_per_segment_slots"],
                                             net["mean_slots"]) if v == variant and x == c and dd == d)

    table = {f"cutoff {c}": {f"delay {d:g}": {v: mean(v, c, d) for v in sorted(set(net["variant"]))}
                             for d in sorted(set(net["delay_per_segment_slots"]))} for c in NETWORK_CUTOFFS}
    c0 = NETWORK_CUTOFFS[0]
    summary = {
        "study": NAME,
        "parameters": {"grid": {k: list(v) for k, v in _grid(args.quick).items()}, "network_case": NETWORK_CASE,
                       "network_cutoffs": list(NETWORK_CUTOFFS), "segment_km": SEGMENT_KM,
                       "deliveries": 200 if args.quick else args.deliveries, "seed": args.seed,
                       "links": "perfect (fidelity 1)", "memories": "noiseless",
                       "time_unit": "slot (one link attempt)", "quick": args.quick},
        "largest_gain": {k: grid[k][best] for k in ("n_nodes", "cutoff", "p_gen", "p_swap", "optimal", "swap_asap",
                                                    "optimal_gain")},
        "network_case_exact": {f"cutoff {c}": {"optimal": r.mean_time, **r.policy_times, "n_states": r.n_states}
                               for c, r in solved.items()},
        "network_mean_slots": table,
        "figures": stems,
    }
    _common.write_json(out / f"{NAME}.json", summary)
    r0 = solved[c0]
    at_bound = grid["p_swap"][best] == min(grid["p_swap"])
    _common.report(out, [
        f"largest gain of the optimal policy over swap-asap: {100 * grid['optimal_gain'][best]:.1f} % "
        f"({grid['n_nodes'][best]} nodes, cut-off {grid['cutoff'][best]}, p_gen {grid['p_gen'][best]}, p_swap "
        f"{grid['p_swap'][best]}" + (", the grid's smallest: the gain grows as swaps fail more)" if at_bound else ")"),
        f"network, cut-off {c0}, no delay: optimal {mean('optimal (latest)', c0, 0.0):.2f}, swap-asap "
        f"{mean('swap_asap (latest)', c0, 0.0):.2f} slots (exact {r0.mean_time:.2f}, "
        f"{r0.policy_times['swap_asap']:.2f})",
        f"one slot of signal per segment: optimal {mean('optimal (latest)', c0, 1.0):.2f}, swap-asap "
        f"{mean('swap_asap (latest)', c0, 1.0):.2f} slots",
    ], figures=FIGURES)
    return summary


if __name__ == "__main__":
    _common.run(main, NAME)
