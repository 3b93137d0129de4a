"""Repeater schedules: which order of swaps, and which distillations, serve a 5-node chain best.

Every distinct schedule of a 5-node (4-segment) chain with up to ``--max-rounds`` distillation rounds on every
link (elementary links, swap outputs and the end-to-end pair; 640 schedules for one round) is evaluated exactly
with ``qnet.search_schedules`` (exhaustive over trees, so token orders on disjoint links count once). Time is in
steps of one link attempt; the figure of merit is the BB84 secret-key rate of the average delivered state per
mean delivery time (Li et al.'s and La Corte et al.'s convention; ``qnet.ChainDelivery.key_rate``). No cut-offs.

  (a) symmetric_chain      equal segments, Werner model: the secret-key rate of the five swap orders and of the
                           best schedule with distillation. The balanced order (s0, s2, s1) wins, as La Corte et
                           al. report.
  (b) heterogeneous_chain  segments of 5, 30, 10 and 20 km (p_gen = p0 * 10^(-0.02 L), fibre at 0.2 dB/km) with
                           sources of different Werner parameters: the ten best schedules.
  (c) werner_vs_dephasing  the same heterogeneous chain, every schedule: Werner links with depolarizing memories
                           and BBPSSW (x) against the same links as Bell-diagonal states with dephasing-only
                           memories of the same total rate and DEJMPS (y); Spearman rank correlation in the title.

Data: one CSV per panel with every schedule (tokens, tree, key rate, mean time, mean fidelity) and
repeater_schedules.json with every parameter, the qnet version and the headline results.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import qnet
from qnet._ranking import TIE_RTOL, tied

from . import _common

NAME = "repeater_schedules"
LENGTHS_KM = (5.0, 30.0, 10.0, 20.0)
W0_HETEROGENEOUS = (0.99, 0.97, 0.995, 0.98)
FIGURES = {
    "symmetric_chain": ("(a) Equal segments (Werner model): the secret-key rate of the five swap orders of a 5-node "
                        "chain and of the best schedule with distillation; the balanced order wins.",
                        ["symmetric_chain.csv"]),
    "heterogeneous_chain": ("(b) Segments of 5, 30, 10 and 20 km with sources of different quality: the ten best "
                            "schedules (balanced, asymmetric, with distillation).", ["heterogeneous_chain.csv"]),
    "werner_vs_dephasing": ("(c) Every schedule of the heterogeneous chain: Werner links and depolarizing memories "
                            "(BBPSSW) against dephasing-only memories of the same total rate (DEJMPS).",
                            ["werner_vs_dephasing.csv"]),
}


def build_parser():
    p = _common.parser(NAME, __doc__)
    p.add_argument("--p0", type=_common.number(float, 0, 1, low_open=True), default=0.5,
                   help="link success probability at zero length (default: %(default)s)")
    p.add_argument("--p-gen", type=_common.number(float, 0, 1, low_open=True), default=0.1,
                   help="link success probability of the symmetric chain (default: %(default)s)")
    p.add_argument("--p-swap", type=_common.number(float, 0, 1, low_open=True), default=0.85,
                   help="swap success probability (default: %(default)s)")
    p.add_argument("--w0", type=_common.number(float, 0, 1, low_open=True), default=0.99,
                   help="Werner parameter of the symmetric chain's links (default: %(default)s)")
    p.add_argument("--t-coh", type=_common.number(float, 0, low_open=True), default=2000.0,
                   help="memory coherence time in link-attempt steps (default: %(default)s)")
    p.add_argument("--max-rounds", type=_common.number(int, 0, 2), default=1,
                   help="most distillation rounds per link (default: %(default)s; --quick: 0)")
    p.add_argument("--t-trunc", type=_common.number(int, 100, 2**20), default=6000,
                   help="time window of every exact evaluation, in steps (default: %(default)s)")
    return p


def _rows(search: qnet.ScheduleSearch) -> dict:
    """Every evaluated schedule of a search with its key rate, mean time and mean fidelity."""
    cols: dict = {"tokens": [], "tree": [], "key_rate": [], "mean_time": [], "mean_fidelity": []}
    n_nodes = search.best.n_nodes
    for tokens, value, mean_time, mean_fidelity in search.table:
        cols["tokens"].append(" ".join(tokens))
        cols["tree"].append(str(qnet.Schedule(tokens, n_nodes=n_nodes)).replace("\n", " / "))
        cols["key_rate"].append(value)
        cols["mean_time"].append(mean_time)
        cols["mean_fidelity"].append(mean_fidelity)
    return cols


def collect(args) -> dict:
    """The three searches (every schedule ranked) and their chains."""
    rounds = 0 if args.quick else args.max_rounds
    every = 10_000  # keep every schedule in the ranking
    symmetric = qnet.RepeaterChain.werner(("swap", "swap"), args.p_gen, args.p_swap, args.w0, args.t_coh)
    p_het = [args.p0 * 10 ** (-0.02 * length) for length in LENGTHS_KM]
    werner = qnet.RepeaterChain.werner(("swap", "swap"), p_het, args.p_swap, list(W0_HETEROGENEOUS), args.t_coh)
    rates = qnet.werner_memory_rates(args.t_coh)
    states = qnet.werner((1 + 3 * np.array(W0_HETEROGENEOUS)) / 4)
    dephasing = qnet.RepeaterChain(("swap", "swap"), p_het, args.p_swap, states, [0.0, 0.0, float(rates.sum())],
                                   protocol="dejmps")
    chains = {"symmetric": symmetric, "werner": werner, "dephasing": dephasing}
    out = {}
    for name, chain in _common.progress(chains.items(), total=3, desc=NAME, enabled=not args.no_progress):
        search = qnet.search_schedules(chain, max_rounds=rounds, t_trunc=args.t_trunc, tol=1e-4, top=every)
        out[name] = {"search": search, "rows": _rows(search)}
    out["p_gen_heterogeneous"] = p_het
    return out


def _is_swap_only(tokens: str) -> bool:
    return "d" not in tokens


def best_with_distillation(rows: dict) -> list[int]:
    """Rows of the best schedules with a distillation: the first one and every one tied with it (to TIE_RTOL)."""
    idx = [i for i, t in enumerate(rows["tokens"]) if not _is_swap_only(t)]
    if not idx:
        return []
    return [i for i in idx if tied(rows["key_rate"][i], rows["key_rate"][idx[0]])]


def _tie_mark(rows: dict, i: int, shown: list[int]) -> str:
    """" (tie)" when another shown bar has the same value to TIE_RTOL."""
    return "  (tie)" if any(j != i and tied(rows["key_rate"][i], rows["key_rate"][j]) for j in shown) else ""


def figures(data: dict, out: Path) -> list[str]:
    """The three panels (PNG + PDF)."""
    import matplotlib.pyplot as plt

    sym = data["symmetric"]["rows"]
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    shown = [i for i, t in enumerate(sym["tokens"]) if _is_swap_only(t)]
    tied_d = best_with_distillation(sym)
    best_d = tied_d[0] if tied_d else None
    shown += [best_d] if best_d is not None else []
    note = "  (best with distillation" + (f"; tie with {len(tied_d) - 1} more)" if len(tied_d) > 1 else ")")
    labels = [sym["tokens"][i] + (note if i == best_d else "") + _tie_mark(sym, i, shown) for i in shown]
    ax.barh(range(len(shown)), [sym["key_rate"][i] for i in shown],
            color=["C2" if i == best_d else "C0" for i in shown])
    ax.set_yticks(range(len(shown)), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("secret-key rate (bits per link-attempt step)")
    ax.set_title("(a) symmetric 5-node chain, Werner model", loc="left", fontsize=10)
    fig.tight_layout()
    stems = [_save(fig, out, "symmetric_chain")]

    het = data["werner"]["rows"]
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    top = list(range(min(10, len(het["tokens"]))))
    colours = ["C0" if _is_swap_only(het["tokens"][i]) else "C2" for i in top]
    ax.barh(top, [het["key_rate"][i] for i in top], color=colours)
    ax.set_yticks(top, [het["tokens"][i] + _tie_mark(het, i, top) for i in top], fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("secret-key rate (bits per link-attempt step)")
    shown_best = f"the {len(top)} best of {len(het['tokens'])} schedules" if len(top) < len(het["tokens"]) else \
        f"all {len(top)} schedules"
    ax.set_title(f"(b) segments of 5, 30, 10, 20 km: {shown_best}", loc="left", fontsize=10)
    ax.legend(handles=[plt.Rectangle((0, 0), 1, 1, color="C0"), plt.Rectangle((0, 0), 1, 1, color="C2")],
              labels=["swaps only", "with distillation"], loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2,
              fontsize=8)
    fig.tight_layout()
    stems.append(_save(fig, out, "heterogeneous_chain"))

    x, y, rho = _paired(data)
    fig, ax = plt.subplots(figsize=(5.2, 4.6))
    ax.scatter(x, y, s=10, color="0.5", label="every schedule")
    ax.scatter(x[np.argmax(x)], y[np.argmax(x)], s=60, marker="s", facecolor="none", edgecolor="C0",
               label="best, Werner model")
    ax.scatter(x[np.argmax(y)], y[np.argmax(y)], s=80, marker="o", facecolor="none", edgecolor="C3",
               label="best, dephasing memories")
    lim = [0.0, 1.05 * max(x.max(), y.max())]
    ax.plot(lim, lim, "k:", lw=0.8)
    ax.set_xlim(lim)
    ax.set_ylim(lim)
    ax.set_xlabel("key rate, Werner links, depolarizing memories, BBPSSW")
    ax.set_ylabel("key rate, dephasing-only memories, DEJMPS")
    ax.set_title(f"(c) the same chain, two noise models (Spearman ρ = {rho:.2f})", loc="left", fontsize=10)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    stems.append(_save(fig, out, "werner_vs_dephasing"))
    return stems


def _save(fig, out: Path, stem: str) -> str:
    _common.save_figure(fig, out, stem)
    return stem


def _paired(data: dict) -> tuple[np.ndarray, np.ndarray, float]:
    """Key rates of every schedule under both noise models, aligned by schedule, and their rank correlation."""
    from scipy.stats import spearmanr

    dep = dict(zip(data["dephasing"]["rows"]["tokens"], data["dephasing"]["rows"]["key_rate"]))
    tokens = data["werner"]["rows"]["tokens"]
    x = np.array(data["werner"]["rows"]["key_rate"])
    y = np.array([dep[t] for t in tokens])
    return x, y, float(spearmanr(x, y).statistic) if len(x) > 2 else float("nan")


def main(argv: list[str] | None = None) -> dict:
    args = _common.parse_args(build_parser(), argv)
    _common.use_agg()
    out = _common.prepare_output(args.out)
    data = collect(args)
    for name, csv_name in (("symmetric", "symmetric_chain"), ("werner", "heterogeneous_chain")):
        _common.write_csv(out / f"{csv_name}.csv", data[name]["rows"])
    x, y, rho = _paired(data)
    _common.write_csv(out / "werner_vs_dephasing.csv", {"tokens": data["werner"]["rows"]["tokens"],
                                                         "key_rate_werner": x, "key_rate_dephasing": y})
    stems = figures(data, out)
    best = {name: {"tokens": list(data[name]["search"].best.tokens), "key_rate": data[name]["search"].value,
                   "n_schedules": data[name]["search"].n_evaluated,
                   "tied_with": [" ".join(t) for t in data[name]["search"].ties[1:]]}
            for name in ("symmetric", "werner", "dephasing")}
    sym = data["symmetric"]["rows"]
    best_distillation = [sym["tokens"][i] for i in best_with_distillation(sym)]
    summary = {
        "study": NAME,
        "parameters": {"p_gen_symmetric": args.p_gen, "w0_symmetric": args.w0, "p_swap": args.p_swap,
                       "t_coh_steps": args.t_coh, "max_rounds": 0 if args.quick else args.max_rounds,
                       "t_trunc": args.t_trunc, "lengths_km": list(LENGTHS_KM), "p0": args.p0,
                       "p_gen_heterogeneous": data["p_gen_heterogeneous"], "w0_heterogeneous": list(W0_HETEROGENEOUS),
                       "dephasing_rates_per_step": [0.0, 0.0, float(qnet.werner_memory_rates(args.t_coh).sum())],
                       "key_rate_convention": "BB84 key fraction of the average delivered state per mean time",
                       "cutoff": None, "quick": args.quick},
        "best": best,
        "best_with_distillation_symmetric": {"tied_schedules": best_distillation,
                                             "key_rate": sym["key_rate"][best_with_distillation(sym)[0]]
                                             if best_distillation else None},
        "tie_rtol": TIE_RTOL,
        "spearman_werner_vs_dephasing": rho,
        "figures": stems,
    }
    _common.write_json(out / f"{NAME}.json", summary)
    def named(name: str) -> str:
        ties = best[name]["tied_with"]
        return " ".join(best[name]["tokens"]) + (f" (a tie with {', '.join(ties)})" if ties else "")

    _common.report(out, [
        f"symmetric chain: best of {best['symmetric']['n_schedules']} schedules {named('symmetric')}"
        f" (key rate {best['symmetric']['key_rate']:.4g} per step)",
        f"heterogeneous chain, Werner model: best {named('werner')} ({best['werner']['key_rate']:.4g})",
        f"dephasing memories, DEJMPS: best {named('dephasing')} ({best['dephasing']['key_rate']:.4g});"
        f" rank correlation with the Werner model {rho:.2f}",
    ])
    return summary


if __name__ == "__main__":
    _common.run(main, NAME)
