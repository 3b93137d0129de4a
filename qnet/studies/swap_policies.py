"""Swap policies: how much faster than swap-asap the optimal decision rule of a repeater chain is, and how much of that survives classical delays.

The slot model of Iñesta, Vardoyan, Scavuzzo and Wehner (npj Quantum Inf. 9, 46, 2023; physics.md §12) solved
exactly with ``qnet.optimal_swap_policy``: n nodes, one memory per side of each node, links made with ``p_gen``
per slot, swaps succeeding with ``p_swap``, links discarded at the cut-off. Times in slots (one link attempt).

  (a) advantage        the expected delivery time of the optimal policy and of the nested rule against swap-asap,
                       across ``p_swap`` for 4 and 5 nodes, cut-offs 2 and 5 and ``p_gen`` 0.5 and 0.9 (exact).
  (b) network_delays   the three rules run in qnet's network simulator (``Swapping.by_policy``) on a 5-node chain
                       with p_gen 0.9, p_swap 0.5, cut-off 2 (the case of the authors' notebook), against the
                       signal time of one segment in slots (1: attempts limited by heralding from a midpoint; 0:
                       the slot model). The optimal and nested rules decide on the whole chain's state, which a
                       node knows only after the farthest node's signal time; swap-asap needs only the node's own
                       memories. Mean over ``--deliveries`` deliveries with 95 % intervals; at zero delay the exact
                       means of panel (a)'s solver are marked.

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
    "network_delays": ("(b) The three rules in the network simulator, against the signal time of one segment: the "
                       "optimal policy needs global knowledge and loses its advantage to the delays.",
                       ["network_delays.csv"]),
}
RULES = ("optimal", "swap_asap", "nested")
NETWORK_CASE = {"n_nodes": 5, "p_gen": 0.9, "p_swap": 0.5, "cutoff": 2}
SEGMENT_KM = 10.0


def build_parser():
    p = _common.parser(NAME, __doc__)
    p.add_argument("--deliveries", type=_common.number(int, 10, 10**6), default=1500,
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


def network_delays(args) -> tuple[dict, qnet.SwapPolicyResult]:
    """The three rules in the network simulator, for each signal time per segment (in slots)."""
    case = NETWORK_CASE
    r = qnet.optimal_swap_policy(case["n_nodes"], case["p_gen"], case["p_swap"], case["cutoff"])
    delays = (0.0, 0.25, 0.5, 1.0) if args.quick else (0.0, 0.25, 0.5, 0.75, 1.0, 1.5)
    n = 200 if args.quick else args.deliveries
    cols: dict = {k: [] for k in ("rule", "delay_per_segment_slots", "slot_s", "mean_slots", "ci_low", "ci_high",
                                  "deliveries", "exact_slot_model")}
    signal_s = SEGMENT_KM / qnet.FIBRE_LIGHT_SPEED_KM_S
    jobs = [(rule, d) for d in delays for rule in RULES]
    for rule, d in _common.progress(jobs, desc=f"{NAME} (b)", enabled=not args.no_progress):
        slot = signal_s / d if d > 0 else signal_s
        G = qnet.chain_network([SEGMENT_KM] * (case["n_nodes"] - 1), p_gen=case["p_gen"], fidelity=1.0,
                               time_step=slot, n_memories=2)
        res = qnet.simulate_network(G, [(0, case["n_nodes"] - 1)], n_deliveries=n, seed=args.seed,
                                    classical_delay=d > 0, swapping=qnet.Swapping.by_policy(r, rule))
        slots = res.requests[0].times / slot + 1  # counted as the slot model counts (the final swap's slot)
        half = 1.959963984540054 * slots.std(ddof=1) / np.sqrt(slots.size)
        for key, value in (("rule", rule), ("delay_per_segment_slots", d), ("slot_s", slot),
                           ("mean_slots", slots.mean()), ("ci_low", slots.mean() - half),
                           ("ci_high", slots.mean() + half), ("deliveries", n),
                           ("exact_slot_model", r.mean_time if rule == "optimal" else r.mean_time_of(rule))):
            cols[key].append(value)
    return cols, r


def figures(grid: dict, net: dict, out: Path) -> list[str]:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.8), sharey=True)
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
    axes[1].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    _common.save_figure(fig, out, "advantage")

    fig, ax = plt.subplots(figsize=(6.0, 4.0))
    colours = {"optimal": "C3", "swap_asap": "C0", "nested": "C2"}
    for rule in RULES:
        idx = [i for i, x in enumerate(net["rule"]) if x == rule]
        d = np.array(net["delay_per_segment_slots"])[idx]
        m = np.array(net["mean_slots"])[idx]
        err = np.array([m - np.array(net["ci_low"])[idx], np.array(net["ci_high"])[idx] - m])
        ax.errorbar(d, m, yerr=err, color=colours[rule], marker="o", ms=4, capsize=2, label=rule.replace("_", "-"))
        ax.plot([0.0], [net["exact_slot_model"][idx[0]]], marker="x", ms=9, color=colours[rule], ls="none")
    ax.axvline(1.0, color="0.5", lw=0.6, ls=":")
    ax.text(1.02, ax.get_ylim()[0], "heralding-limited\nattempts", fontsize=7, va="bottom", color="0.4")
    ax.set_xlabel("signal time of one segment (slots)")
    ax.set_ylabel("mean delivery time (slots)")
    c = NETWORK_CASE
    ax.set_title(f"{c['n_nodes']} nodes, $p_{{gen}}$ = {c['p_gen']}, $p_{{swap}}$ = {c['p_swap']}, cut-off "
                 f"{c['cutoff']}; x: exact slot model", fontsize=9)
    ax.legend(fontsize=8)
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

    def mean(rule: str, d: float) -> float:
        return next(m for r, x, m in zip(net["rule"], net["delay_per_segment_slots"], net["mean_slots"])
                    if r == rule and x == d)

    at_zero = {rule: mean(rule, 0.0) for rule in RULES}
    at_one = {rule: mean(rule, 1.0) for rule in RULES}
    summary = {
        "study": NAME,
        "parameters": {"grid": {k: list(v) for k, v in _grid(args.quick).items()}, "network_case": NETWORK_CASE,
                       "segment_km": SEGMENT_KM, "deliveries": 200 if args.quick else args.deliveries,
                       "seed": args.seed, "links": "perfect (fidelity 1)", "memories": "noiseless",
                       "time_unit": "slot (one link attempt)", "quick": args.quick},
        "largest_gain": {k: grid[k][best] for k in ("n_nodes", "cutoff", "p_gen", "p_swap", "optimal", "swap_asap",
                                                    "optimal_gain")},
        "network_case_exact": {"optimal": solved.mean_time, **solved.policy_times, "n_states": solved.n_states},
        "network_mean_slots_no_delay": at_zero,
        "network_mean_slots_delay_one_slot": at_one,
        "figures": stems,
    }
    _common.write_json(out / f"{NAME}.json", summary)
    _common.report(out, [
        f"largest gain of the optimal policy over swap-asap: {100 * grid['optimal_gain'][best]:.1f} % "
        f"({grid['n_nodes'][best]} nodes, cut-off {grid['cutoff'][best]}, p_gen {grid['p_gen'][best]}, "
        f"p_swap {grid['p_swap'][best]})",
        f"network, no delay: optimal {at_zero['optimal']:.2f}, swap-asap {at_zero['swap_asap']:.2f}, nested "
        f"{at_zero['nested']:.2f} slots (exact {solved.mean_time:.2f}, {solved.policy_times['swap_asap']:.2f}, "
        f"{solved.policy_times['nested']:.2f})",
        f"one slot of signal per segment: optimal {at_one['optimal']:.2f}, swap-asap {at_one['swap_asap']:.2f}, "
        f"nested {at_one['nested']:.2f} slots",
    ], figures=FIGURES)
    return summary


if __name__ == "__main__":
    _common.run(main, NAME)
