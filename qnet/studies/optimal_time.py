"""When should two pairs that decohered differently be purified?  (qnet's main study)

Setting (Zang et al., arXiv:2505.02286): link 1 is heralded at 0, link 2 at t1, the pair is consumed at
t2; the plain bilateral-CNOT recurrence EPP runs at t in [t1, t2]; every memory is a continuous-time
Pauli channel with total rate gamma and error pattern (a, b, c) = (gx, gy, gz)/gamma. Times are in
units of 1/gamma. The study writes five figures, each as PNG and PDF with its data (CSV) and a JSON
of every parameter:

  (a) optimal_time_simplex   optimal EPP time over the (a, b) simplex, with the transition border
  (b) gain_simplex           fidelity gain of purifying at the optimal time over the fresher pair alone
  (c) delta_t_plane          t* - t1 over the (t1, t2) plane, depolarizing memory, log-negativity x p_succ
  (d) border_vs_F0           border location c* versus F0: numerical against the short-time formula
  (e) generation_policies    expected fidelity versus link success probability for four policies,
                             exact sums with Monte Carlo points

Finished panels are cached in the output folder (keyed by their parameters), so an interrupted run
resumes where it stopped; --fresh recomputes everything.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

import qnet

from . import _common

NAME = "optimal_time"


#: The figures in panel order: caption (what it shows, how to read it) and the data files behind it.
FIGURES = {
    "optimal_time_simplex": ("(a) Optimal EPP time t* over the memory's error pattern (a, b, c) on the simplex, "
                             "Werner inputs, plain CNOT, fidelity at consumption. Purify early (t* = t1) near pure "
                             "dephasing (c = 1), late (t* = t2) elsewhere; the black line is the numerical border, "
                             "the dashed line the short-time formula.", ["optimal_time_simplex.csv", "border_curve.csv"]),
    "gain_simplex": ("(b) What purifying at t* adds over the fresher pair alone, same simplex, on a diverging "
                     "colour scale centred at 0 (red: purifying helps; blue, where any, the fresher pair alone is "
                     "better).", ["gain_simplex.csv"]),
    "delta_t_plane": ("(c) t* - t1 over the (t1, t2) plane for depolarizing memories and log-negativity times the "
                      "success probability. Grey hatching: purifying loses to the fresher pair there, so its "
                      "optimal time is of no use.", ["delta_t_plane.csv"]),
    "border_vs_F0": ("(d) Where the optimal time jumps from t2 to t1, as the phase-flip share c, versus the input "
                     "fidelity: numerical borders on three lines of the simplex against the short-time formula.",
                     ["border_vs_F0.csv"]),
    "generation_policies": ("(e) Link 2 generated probabilistically: expected delivered fidelity (failed "
                            "purification counts 0, left) and fidelity given delivery (right) of four policies "
                            "versus the success probability per attempt; lines exact, points Monte Carlo (2 sigma). "
                            "Where the optimal policy purifies at t1, its dashed line lies on the solid 'purify at "
                            "t1' line.",
                            ["generation_policies.csv", "generation_policies_mc.csv"]),
}


#: The study's terms in words (printed after a run).
TERMS = {
    "t1, t2": "link 2 is heralded at t1 after link 1; the purified pair is consumed at t2 (units of 1/gamma)",
    "t*": "the purification time in [t1, t2] that gives the best figure of merit at consumption",
    "simplex": "every memory error pattern (a, b, c) = (gamma_x, gamma_y, gamma_z) / gamma with a + b + c = 1",
    "border": "the line on the simplex where t* jumps from t2 (purify late) to t1 (purify at once)",
    "c*": "the short-time formula for the border's phase-flip share c (docs: derivations)",
}


def build_parser():
    p = _common.parser(NAME, __doc__)
    p.add_argument("--F0", type=_common.number(float, 0.25, 1.0, low_open=True), default=0.95, help="fidelity of both Werner links at heralding (default: %(default)s)")
    p.add_argument("--t1", type=_common.number(float, 0), default=0.01, help="heralding time of link 2, units of 1/gamma (default: %(default)s)")
    p.add_argument("--t2", type=_common.number(float, 0, low_open=True), default=0.1, help="consumption time, units of 1/gamma (default: %(default)s)")
    p.add_argument("--resolution", type=_common.number(int, 5, 2001), default=101,
                   help="points per axis of the simplex and (t1, t2) maps (default: %(default)s; --quick: 21)")
    p.add_argument("--tau", type=_common.number(float, 0, low_open=True), default=0.002,
                   help="duration of one link attempt for panel (e), units of 1/gamma (default: %(default)s)")
    p.add_argument("--shots", type=_common.number(int, 2, 10**8), default=20000,
                   help="Monte Carlo shots per policy and success probability in panel (e) (default: %(default)s)")
    p.add_argument("--seed", type=_common.number(int, 0, 2**32 - 1), default=2025, help="seed of the Monte Carlo (default: %(default)s)")
    p.add_argument("--protocol", choices=qnet.PROTOCOLS, default="cnot",
                   help="purification variant (default: %(default)s; panel (e) has Monte Carlo points for cnot only)")
    p.add_argument("--fom", choices=qnet.FIGURES_OF_MERIT, default="fidelity",
                   help="figure of merit of panels (a), (b) and (d), optimized in its own direction "
                        "(fidelity_witness: lower is better) (default: %(default)s)")
    p.add_argument("--memory", type=memory_pattern, default="depolarizing",
                   help="memory error pattern of panels (c) and (e): dephasing, bit_flip, depolarizing, or "
                        "relative rates 'a,b,c' (default: %(default)s)")
    p.add_argument("--border-rule", choices=qnet.BORDER_RULES, default="midpoint",
                   help="border of panels (a) and (d): 'midpoint' (t* crosses (t1+t2)/2, qnet's definition) or "
                        "'leaves_t1' (t* first leaves t1 by 1e-3 of the interval, as the paper draws it) "
                        "(default: %(default)s)")
    p.add_argument("--fresh", action="store_true", help="ignore cached panels in the output folder and recompute")
    return p


BORDER_DEFINITIONS = {
    "midpoint": "c where t* crosses (t1+t2)/2 along a/(a+b) = const (qnet's definition)",
    "leaves_t1": "largest c where t* leaves t1 by 1e-3 of the interval along a/(a+b) = const (the paper's rule)",
}
MEMORY_PATTERNS = {"dephasing": (0.0, 0.0, 1.0), "bit_flip": (1.0, 0.0, 0.0), "depolarizing": (1 / 3, 1 / 3, 1 / 3)}


def memory_pattern(text: str) -> str:
    """argparse type of ``--memory``: a named pattern, or relative rates ``a,b,c`` (>= 0, not all 0)."""
    import argparse

    if text in MEMORY_PATTERNS:
        return text
    try:
        a, b, c = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is neither one of {', '.join(MEMORY_PATTERNS)} nor 'a,b,c'") \
            from None
    if min(a, b, c) < 0 or not np.isfinite([a, b, c]).all() or a + b + c <= 0:
        raise argparse.ArgumentTypeError(f"rates {text!r} must be finite, >= 0 and not all 0")
    return text


def _pattern(memory: str) -> np.ndarray:
    raw = np.array(MEMORY_PATTERNS[memory] if memory in MEMORY_PATTERNS else [float(x) for x in memory.split(",")])
    return raw / raw.sum()


# ---------------------------------------------------------------- computing panels
def simplex_grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Points (a, b) with a, b >= 0, a + b <= 1 on an n x n lattice (flattened)."""
    a, b = np.meshgrid(np.linspace(0, 1, n), np.linspace(0, 1, n), indexing="ij")
    keep = a + b <= 1 + 1e-12
    return a[keep], b[keep]


def panel_simplex(F0: float, t1: float, t2: float, n: int, protocol: str = "cnot", fom: str = "fidelity",
                  border_rule: str = "midpoint") -> dict:
    a, b = simplex_grid(n)
    c = np.clip(1.0 - a - b, 0.0, 1.0)
    rates = qnet.pauli_rates(1.0, np.stack([a, b, np.maximum(c, 0)], -1) / (a + b + c)[:, None])
    w = qnet.werner(F0)
    res = qnet.optimal_purification_time(w, w, rates, t1, t2, fom=fom, protocol=protocol)
    ratios = np.linspace(0.0, 1.0, 41)
    c_border = qnet.optimal_time_border(np.full(ratios.shape, F0), t1, t2, ratio=ratios, fom=fom, protocol=protocol,
                                        rule=border_rule)
    return {
        "a": a, "b": b, "c": c, "t_opt": res.t, "value": res.value, "no_epp_value": res.no_epp_value,
        "gain": res.gain, "location": res.location,
        "border_ratio": ratios, "border_c": c_border,
        "border_a": ratios * (1 - c_border), "border_b": (1 - ratios) * (1 - c_border),
        "border_c_analytic": float(qnet.border_short_time(F0)),
    }


def panel_plane(F0: float, n: int, protocol: str = "cnot", memory: str = "depolarizing", t1_max: float = 0.1,
                t2_max: float = 0.4) -> dict:
    t1, t2 = np.meshgrid(np.linspace(0, t1_max, n), np.linspace(0, t2_max, n), indexing="ij")
    keep = t2 >= t1
    t1, t2 = t1[keep], t2[keep]
    w = qnet.werner(F0)
    res = qnet.optimal_purification_time(w, w, qnet.pauli_rates(1.0, _pattern(memory)), t1, t2,
                                         fom="log_negativity", weighted=True, protocol=protocol)
    return {"t1": t1, "t2": t2, "t_opt": res.t, "delta_t": res.t - t1, "value": res.value,
            "no_epp_value": res.no_epp_value, "location": res.location}


def panel_border(t1: float, t2: float, n: int, protocol: str = "cnot", fom: str = "fidelity",
                 border_rule: str = "midpoint") -> dict:
    F0 = np.linspace(0.8, 1.0, n)
    out = {"F0": F0, "analytic": qnet.border_short_time(F0)}
    for label, ratio in (("numerical_a_eq_b", 0.5), ("numerical_a_0", 0.0), ("numerical_b_0", 1.0)):
        out[label] = qnet.optimal_time_border(F0, t1, t2, ratio=ratio, fom=fom, protocol=protocol, rule=border_rule)
    return out


def panel_policies(F0: float, t2: float, tau: float, n: int, shots: int, seed: int, n_mc: int,
                   protocol: str = "cnot", memory: str = "depolarizing") -> dict:
    p = np.geomspace(0.01, 1.0, n)
    w = qnet.werner(F0)
    rates = qnet.pauli_rates(1.0, _pattern(memory))
    out = {"p": p}
    for policy in qnet.POLICIES:
        out[f"{policy}_expected"] = np.empty(n)
        out[f"{policy}_success"] = np.empty(n)
    for i, pi in enumerate(p):
        res = qnet.compare_generation_policies(w, w, rates, pi, tau, t2, protocol=protocol)
        for policy in qnet.POLICIES:
            out[f"{policy}_expected"][i] = res.expected_value[policy]
            out[f"{policy}_success"][i] = res.success_probability[policy]
    n_mc = n_mc if protocol == "cnot" else 0  # the Monte Carlo models the plain CNOT protocol only
    p_mc = np.geomspace(0.02, 1.0, n_mc)
    out["mc_p"] = p_mc
    for policy in qnet.POLICIES:
        out[f"mc_{policy}_mean"] = np.empty(n_mc)
        out[f"mc_{policy}_stderr"] = np.empty(n_mc)
    for i, pi in enumerate(p_mc):
        mc = qnet.simulate_generation_policies(w, w, rates, pi, tau, t2, shots=shots, seed=seed + i)
        for policy in qnet.POLICIES:
            out[f"mc_{policy}_mean"][i] = mc[policy]["mean"]
            out[f"mc_{policy}_stderr"][i] = mc[policy]["stderr"]
    return out


# ---------------------------------------------------------------- caching (resume)
def _key(params: dict) -> str:
    """Identity of a panel's data: every argument of its function, the qnet version and the fingerprint of qnet's
    source (other code never reuses a panel)."""
    return qnet.point_key({**params, "qnet_version": qnet.__version__,
                           "qnet_source": qnet.code_fingerprint()["source"]})


def cached(out: Path, name: str, params: dict, compute, fresh: bool) -> tuple[dict, bool]:
    """Panel ``name`` from ``out/.cache`` when computed with the same ``params``, else ``compute(**params)``, stored.

    ``params`` are all the arguments of ``compute``, so the cache key cannot miss one.
    Returns ``(data, from_cache)``.
    """
    cache = out / ".cache" / f"{name}-{_key(params)}.npz"
    if cache.exists() and not fresh:
        with np.load(cache, allow_pickle=False) as data:
            return {k: (data[k].item() if data[k].ndim == 0 else data[k]) for k in data.files}, True
    data = compute(**params)
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(cache.stem + ".tmp.npz")
    np.savez(tmp, **{k: np.asarray(v) for k, v in data.items()})
    tmp.replace(cache)
    return data, False


# ---------------------------------------------------------------- figures
def _style():
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.size": 9, "axes.labelsize": 9, "legend.fontsize": 8, "figure.dpi": 100,
                         "savefig.dpi": 200, "axes.spines.top": False, "axes.spines.right": False})
    return plt


def _simplex_axes(ax):
    ax.plot([0, 1, 0, 0], [0, 0, 1, 0], color="0.3", lw=0.8)
    ax.set_xlim(-0.02, 1.02)
    ax.set_ylim(-0.02, 1.02)
    ax.set_aspect("equal")
    ax.set_xlabel(r"bit-flip share $a = \gamma_x/\gamma$")
    ax.set_ylabel(r"bit-and-phase-flip share $b = \gamma_y/\gamma$")


def _analytic_applies(fom: str, protocol: str) -> bool:
    """The short-time border formula is derived for the fidelity after a plain CNOT (docs: derivations)."""
    return fom == "fidelity" and protocol == "cnot"


def _border_lines(ax, d, fom="fidelity", protocol="cnot"):
    ok = np.isfinite(d["border_c"])
    if ok.any():
        ax.plot(d["border_a"][ok], d["border_b"][ok], color="k", lw=1.6, label="border (numerical)")
    if _analytic_applies(fom, protocol):
        cstar = d["border_c_analytic"]
        ax.plot([0, 1 - cstar], [1 - cstar, 0], color="C1", lw=1.2, ls="--", label=r"short-time border $c = c^*$")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper right", frameon=False)


def readable(fom: str) -> str:
    """A figure of merit's name as a reader writes it (log_negativity -> log-negativity)."""
    return {"log_negativity": "log-negativity", "chsh_max": "CHSH value", "bb84_key_fraction": "BB84 key fraction",
            "six_state_key_fraction": "six-state key fraction"}.get(fom, fom.replace("_", " "))


def figure_simplex_time(d, t1, t2, F0, out, fom="fidelity", protocol="cnot"):
    plt = _style()
    import matplotlib.tri as mtri

    fig, ax = plt.subplots(figsize=(4.2, 3.6))
    tri = mtri.Triangulation(d["a"], d["b"])
    pad = 1e-9 * (t2 - t1)
    levels = np.linspace(t1 - pad, t2 + pad, 19)
    cs = ax.tricontourf(tri, d["t_opt"], levels=levels, cmap="viridis")
    cb = fig.colorbar(cs, ax=ax, ticks=np.linspace(t1, t2, 5), format="%.3g")
    cb.set_label(r"optimal EPP time $t^*$ [$1/\gamma$]")
    _border_lines(ax, d, fom, protocol)
    _simplex_axes(ax)
    ax.set_title(rf"{protocol}, {readable(fom)}: $F_0={F0}$, $t_1={t1}/\gamma$, $t_2={t2}/\gamma$", fontsize=8, pad=10)
    return _common.save_figure(fig, out, "optimal_time_simplex")


def figure_simplex_gain(d, t1, t2, F0, out, fom="fidelity", protocol="cnot"):
    plt = _style()
    import matplotlib.tri as mtri
    from matplotlib.colors import TwoSlopeNorm

    fig, ax = plt.subplots(figsize=(4.2, 3.6))
    tri = mtri.Triangulation(d["a"], d["b"])
    g = d["gain"]
    lo, hi = min(g.min(), -1e-6), max(g.max(), 1e-6)
    cs = ax.tricontourf(tri, g, levels=21, cmap="RdBu_r", norm=TwoSlopeNorm(0.0, lo, hi))
    if lo < 0 < hi:
        ax.tricontour(tri, g, levels=[0.0], colors="k", linewidths=0.8, linestyles=":")
    cb = fig.colorbar(cs, ax=ax)
    cb.set_label(r"$F(t^*) - F_{\mathrm{no\,EPP}}$ at $t_2$" if fom == "fidelity" else
                 f"gain in {readable(fom)} at $t_2$ (> 0: better)")
    _border_lines(ax, d, fom, protocol)
    _simplex_axes(ax)
    ax.set_title(rf"{protocol}: {readable(fom)} gain over the fresher pair, $F_0={F0}$", fontsize=8, pad=12)
    return _common.save_figure(fig, out, "gain_simplex")


def figure_plane(d, F0, out, memory="depolarizing"):
    plt = _style()
    import matplotlib.tri as mtri

    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    fig, ax = plt.subplots(figsize=(4.2, 3.9))
    tri = mtri.Triangulation(d["t1"], d["t2"])
    top = max(float(np.max(d["delta_t"])), 1e-9)
    levels = MaxNLocator(nbins=14).tick_values(0.0, top)
    levels[0] = -1e-12  # a t* exactly at t1 is inside the first band
    cs = ax.tricontourf(tri, d["delta_t"], levels=levels, cmap="magma")
    cb = fig.colorbar(cs, ax=ax, ticks=MaxNLocator(nbins=6).tick_values(0.0, top))
    cb.set_label(r"$\Delta t^* = t^* - t_1$ [$1/\gamma$]")
    # where purifying at t* does not beat the fresher pair alone, the optimum is of something not worth doing
    loses = (np.asarray(d["value"]) <= np.asarray(d["no_epp_value"])).astype(float)
    ax.tricontourf(tri, loses, levels=[0.5, 1.5], colors="0.75", alpha=0.85, hatches=["///"])
    ax.plot([0, 0.1], [0, 0.1], color="0.4", lw=0.8)
    ax.text(0.072, 0.025, "$t_2 < t_1$:\nno valid\ntimeline", ha="center", va="center", fontsize=7, color="0.35")
    share = float(np.mean(loses))
    ax.legend(handles=[Patch(facecolor="0.75", hatch="///", edgecolor="0.3",
                             label=f"purifying loses to the fresher pair ({share:.0%} of points)")],
              loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=7, frameon=False)
    ax.set_xlabel(r"heralding time of link 2, $t_1$ [$1/\gamma$]")
    ax.set_ylabel(r"consumption time $t_2$ [$1/\gamma$]")
    ax.set_title(rf"{memory.replace('_', ' ')} memory, $E_N \times p_\mathrm{{succ}}$, Werner $F_0={F0}$",
                 fontsize=8)
    return _common.save_figure(fig, out, "delta_t_plane")


def figure_border(d, t1, t2, out, rule="midpoint", fom="fidelity", protocol="cnot"):
    plt = _style()
    fig, ax = plt.subplots(figsize=(4.2, 3.2))
    if _analytic_applies(fom, protocol):
        ax.plot(d["F0"], d["analytic"], color="k", lw=1.6, label=r"short-time formula $c^*(F_0)$")
    styles = (("numerical_a_eq_b", "o", "$a=b$"), ("numerical_a_0", "s", "$a=0$"), ("numerical_b_0", "^", "$b=0$"))
    every = max(1, len(d["F0"]) // 20)  # about 20 markers per series
    for key, marker, label in styles:
        if np.isfinite(d[key]).any():
            ax.plot(d["F0"], d[key], ls="-", lw=0.6, marker=marker, ms=3.5, mfc="none", markevery=every,
                    label=f"numerical ({rule.replace('_', ' ')}), {label}")
    if not ax.get_legend_handles_labels()[0]:
        ax.text(0.5, 0.5, f"no transition of t* on these lines\n({protocol}, {readable(fom)})", ha="center",
                va="center", transform=ax.transAxes)
    ax.set_xlabel(r"initial Werner fidelity $F_0$")
    ax.set_ylabel(r"border: phase-flip share $c = \gamma_z/\gamma$")
    ax.set_title(rf"Optimal-time transition, $t_1={t1}/\gamma$, $t_2={t2}/\gamma$", fontsize=8)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(frameon=False)
    return _common.save_figure(fig, out, "border_vs_F0")


def figure_policies(d, F0, t2, tau, out, memory="depolarizing"):
    plt = _style()
    fig, axes = plt.subplots(1, 2, figsize=(7.4, 3.2))
    colors = {"immediate": "C0", "deadline": "C1", "optimal": "C2", "none": "C3"}
    labels = {"immediate": "purify at $t_1$", "deadline": "purify at $t_2$", "optimal": r"purify at $t^*(t_1)$",
              "none": "no purification"}
    for policy in qnet.POLICIES:
        ls = "--" if policy == "optimal" else "-"
        axes[0].plot(d["p"], d[f"{policy}_expected"], color=colors[policy], ls=ls, label=labels[policy])
        if len(d["mc_p"]):
            axes[0].errorbar(d["mc_p"], d[f"mc_{policy}_mean"], yerr=2 * d[f"mc_{policy}_stderr"], fmt="o", ms=3,
                             mfc="none", color=colors[policy], lw=0.8)
        axes[1].plot(d["p"], d[f"{policy}_expected"] / d[f"{policy}_success"], color=colors[policy], ls=ls)
    for ax in axes:
        ax.set_xscale("log")
        ax.set_xlabel("link success probability per attempt $p$")
    axes[0].set_ylabel("expected delivered fidelity\n(failed EPP counts 0)")
    axes[1].set_ylabel("fidelity given delivery")
    if len(d["mc_p"]):
        axes[0].plot([], [], "ko", mfc="none", ms=3, label="Monte Carlo (±2σ)")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=5,
               frameon=False, fontsize=8)  # below the panels: the curves fill both
    fig.suptitle(rf"{memory.replace('_', ' ')} memory, Werner $F_0={F0}$, consumption at $t_2={t2}/\gamma$ after link 1, "
                 rf"attempt time $\tau={tau}/\gamma$", fontsize=8)
    fig.tight_layout()
    return _common.save_figure(fig, out, "generation_policies")


# ---------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> dict:
    parser = build_parser()
    args = _common.parse_args(parser, argv)
    if not args.t1 < args.t2:
        parser.error(f"argument --t1: must be < --t2 = {args.t2}, got {args.t1}")
    _common.use_agg()
    out = _common.prepare_output(args.out)
    n = 21 if args.quick else args.resolution
    shots = min(args.shots, 4000) if args.quick else args.shots
    params = {"F0": args.F0, "t1": args.t1, "t2": args.t2, "resolution": n, "tau": args.tau, "shots": shots,
              "seed": args.seed, "gamma": 1.0, "protocol": args.protocol, "fom": args.fom,
              "fom_direction": qnet.FOM_DIRECTION[args.fom], "memory": args.memory,
              "memory_pattern": _pattern(args.memory).tolist(), "border_rule": args.border_rule,
              "time_unit": "1/gamma"}
    common = {"protocol": args.protocol}
    panels = [
        ("simplex", {"F0": args.F0, "t1": args.t1, "t2": args.t2, "n": n, **common, "fom": args.fom,
                     "border_rule": args.border_rule}, panel_simplex),
        ("plane", {"F0": args.F0, "n": n, **common, "memory": args.memory}, panel_plane),
        ("border", {"t1": args.t1, "t2": args.t2, "n": n, **common, "fom": args.fom,
                    "border_rule": args.border_rule}, panel_border),
        ("policies", {"F0": args.F0, "t2": args.t2, "tau": args.tau, "n": n, "shots": shots, "seed": args.seed,
                      "n_mc": 4 if args.quick else 8, **common, "memory": args.memory}, panel_policies),
    ]
    data, timings = {}, {}
    for name, key, compute in _common.progress(panels, total=len(panels), desc="optimal_time",
                                               enabled=not args.no_progress):
        start = time.perf_counter()
        data[name], from_cache = cached(out, name, key, compute, args.fresh)
        timings[name] = "cached" if from_cache else round(time.perf_counter() - start, 3)
    files = write_outputs(args, data, out)
    summary = summarize(args, params, data["simplex"], timings, files)
    _common.write_json(out / "optimal_time.json", summary)
    res = summary["results"]
    _common.report(out, [
        f"{args.protocol}, {readable(args.fom)}: purifying at t* beats the fresher pair on "
        f"{100 * res['fraction_of_simplex_where_epp_helps']:.0f}% of the simplex (largest gain {res['max_fidelity_gain']:.4f})",
        f"t* at t1 on {100 * res['fraction_start']:.0f}%, at t2 on {100 * res['fraction_end']:.0f}%, inside on "
        f"{100 * res['fraction_interior']:.0f}% of the simplex",
        f"border on a = b ({args.border_rule}): c = {res['border_c_numerical_a_eq_b']:.4f}; short-time formula "
        f"c* = {res['border_c_short_time']:.4f} (CNOT, fidelity)",
    ], figures=FIGURES, terms=TERMS, cached=[name for name, t in timings.items() if t == "cached"])
    return summary


def write_outputs(args, data: dict, out: Path) -> list[Path]:
    """Every figure (PNG + PDF) and the CSV data behind it; returns the files written."""
    s, pl, bo, po = data["simplex"], data["plane"], data["border"], data["policies"]
    files = []
    files += figure_simplex_time(s, args.t1, args.t2, args.F0, out, args.fom, args.protocol)
    files += figure_simplex_gain(s, args.t1, args.t2, args.F0, out, args.fom, args.protocol)
    files += figure_plane(pl, args.F0, out, args.memory)
    files += figure_border(bo, args.t1, args.t2, out, args.border_rule, args.fom, args.protocol)
    files += figure_policies(po, args.F0, args.t2, args.tau, out, args.memory)
    simplex_cols = ["a", "b", "c", "t_opt", "value", "no_epp_value", "gain", "location"]
    files.append(_common.write_csv(out / "optimal_time_simplex.csv", {k: s[k] for k in simplex_cols}))
    files.append(_common.write_csv(out / "gain_simplex.csv", {k: s[k] for k in ("a", "b", "c", "gain", "value",
                                                                                 "no_epp_value")}))
    files.append(_common.write_csv(out / "border_curve.csv", {k: s[k] for k in ("border_ratio", "border_a",
                                                                                "border_b", "border_c")}))
    files.append(_common.write_csv(out / "delta_t_plane.csv", pl))
    files.append(_common.write_csv(out / "border_vs_F0.csv", bo))
    files.append(_common.write_csv(out / "generation_policies.csv",
                                   {k: v for k, v in po.items() if not k.startswith("mc_")}))
    files.append(_common.write_csv(out / "generation_policies_mc.csv",
                                   {k: v for k, v in po.items() if k.startswith("mc_")}))
    return files


def summarize(args, params: dict, s: dict, timings: dict, files: list[Path]) -> dict:
    """The study's JSON summary: every parameter, what each panel shows, and the headline results."""
    return {
        "study": NAME,
        "parameters": params,
        "panels": {
            "a": {"figure": "optimal_time_simplex", "fom": args.fom, "memory": "Pauli rates gamma*(a, b, c)",
                  "border_rule": args.border_rule},
            "b": {"figure": "gain_simplex", "fom": args.fom, "baseline": "link 2 alone idled from t1 to t2"},
            "c": {"figure": "delta_t_plane", "fom": "log_negativity", "weighted": True, "memory": args.memory,
                  "t1_range": [0, 0.1], "t2_range": [0, 0.4]},
            "d": {"figure": "border_vs_F0", "fom": args.fom, "border_rule": args.border_rule,
                  "definition": BORDER_DEFINITIONS[args.border_rule]},
            "e": {"figure": "generation_policies", "fom": "fidelity", "memory": args.memory, "deadline_from": "first",
                  "failed_epp_counts": 0, "monte_carlo": args.protocol == "cnot"},
        },
        "results": {
            "border_c_short_time": s["border_c_analytic"],
            "border_c_numerical_a_eq_b": float(s["border_c"][len(s["border_c"]) // 2]),
            "max_fidelity_gain": float(np.max(s["gain"])),
            "fraction_of_simplex_where_epp_helps": float(np.mean(s["gain"] > 0)),
            "fraction_start": float(np.mean(s["location"] == "start")),
            "fraction_end": float(np.mean(s["location"] == "end")),
            "fraction_interior": float(np.mean(s["location"] == "interior")),
        },
        "seconds_per_panel": timings,  # "cached": loaded from an earlier run with the same parameters
        "files": sorted(p.name for p in files),
    }


if __name__ == "__main__":
    _common.run(main, NAME)
