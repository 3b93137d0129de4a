"""What the paper claims and what qnet certifies: conditions for guaranteed improvement, and where t* sits.

Zang et al., "Entanglement Purification in Quantum Networks: Guaranteed Improvement and Optimal Time",
arXiv:2505.02286 (2025), claim (i) that a *successful* CNOT-based recurrence purification improves the
fidelity and entanglement measures over baselines that depend on the inputs, under conditions on the
inputs (universal improvement is impossible: Zang, Chen, Chitambar, Suchara, Zhong, arXiv:2407.21760),
and (ii) that the optimal purification time is robust for typical memory error models. This study makes
both checkable.

Part 1, certificates. For a protocol whose undetected single-pair error is ``u`` (``qnet.UNDETECTED``:
Z for cnot, Y for dejmps, X for hadamard), the conditioned family ``C(k)`` holds the pairs of
Bell-diagonal states with both fidelities above 1/2 and each pair's undetected error weight at most
``k (1 - F)``. ``C(k)`` grows with ``k``, so for each (protocol, figure of merit, baseline) the largest
``k`` without a counterexample is found by bisection: at each ``k``, random pairs of ``C(k)`` are
searched and the worst ones refined with scipy's L-BFGS-B (gain minimised over the family's
parameters). The counterexample just above the certified ``k`` is kept at full precision; at the
certified ``k`` a fresh sample is split into improved / equal (|gain| <= tolerance) / worse.
"No counterexample found" is a search result, not a proof.

Part 2, the optimal-time map. Werner inputs of fidelity F0 heralded at 0 and t1, consumed at t2, for
the canonical memories (dephasing, depolarizing, bit flip: Pauli rate 1; amplitude damping T1 = 1,
T2 = 2 on the density-matrix path; times in units of 1/gamma or T1): where the optimal EPP time t* sits
(at t1, at t2, or inside), over F0 and t2 at fixed t1, and whether purifying beats the fresher pair.

Outputs (in --out): certificates.csv and certificates.png/.pdf (certified k per protocol, figure and
baseline), counterexamples.json (full precision), optimal_time_map.csv and optimal_time_map.png/.pdf,
certified_claims.json (every parameter and the headline numbers).
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

import qnet
from qnet.measures import fom_sign
from qnet._bell import BDS_MEASURES
from qnet.purification import UNDETECTED
from qnet._distil import baseline_values, bds_purify

from . import _common

NAME = "certified_claims"
#: The documentation page that reads this study's results (linked from the gallery).
DOCS_PAGE = "claims"
PAPER = "Zang et al., arXiv:2505.02286 (2025)"
NO_GO = "Zang, Chen, Chitambar, Suchara, Zhong, arXiv:2407.21760"

#: Protocols certified (those with one undetected error type per pair).
PROTOCOLS = ("cnot", "dejmps", "hadamard")
#: Figures of merit of the claim (all better when higher).
FOMS = ("fidelity", "concurrence", "log_negativity")
#: Baselines: the worse input, the mean of the inputs ("none": both pairs used as they are), the better one.
BASELINES = ("worse", "none", "better")
BASELINE_LABELS = {"worse": "worse input", "none": "mean of the inputs", "better": "better input"}
#: A gain within this of zero is a tie ("equal"), not an improvement nor a counterexample.
TIE_TOL = 1e-12
#: For identical pairs with F -> 1/2 and undetected weight k (1 - F), cnot's dF'/dF at F = 1/2 is
#: 2 (1 - k) / (1 + k^2) (derived in the docs), below 1 (a loss against the worse input) for k > sqrt(2) - 1.
SQRT2_MINUS_1 = float(np.sqrt(2.0) - 1.0)
_SLOT = {"z": 1, "x": 2, "y": 3}  # Bell slot of a single-pair Pauli error on |Phi+> (docs: conventions)
_MIN_EXCESS = 1e-9  # smallest 2 (F - 1/2) searched: C(k) holds fidelities strictly above 1/2

MEMORIES = ("dephasing", "depolarizing", "bit_flip", "amplitude_damping")
LOCATIONS = ("start", "interior", "end")


#: The figures in panel order: caption and the data files behind it.
FIGURES = {
    "certificates": ("Largest k (undetected error weight <= k (1 - F) for both pairs, F > 1/2) for which no "
                     "counterexample to improvement was found, per protocol, figure of merit and baseline. Against the "
                     "worse input the search meets the first-order boundary sqrt(2) - 1; against the mean of the "
                     "inputs 1/3 (Werner inputs); against the better input only k = 0.",
                     ["certificates.csv", "counterexamples.json"]),
    "optimal_time_map": ("Where t* sits for Werner inputs over (F0, t2) at t1 = 0.01, for four memory types; "
                         "hatched where purifying loses to the fresher pair.", ["optimal_time_map.csv"]),
}


def build_parser():
    p = _common.parser(NAME, __doc__)
    p.add_argument("--samples", type=_common.number(int, 10, 10**8), default=200_000,
                   help="random pairs of C(k) searched at each k (default: %(default)s; --quick: 5000)")
    p.add_argument("--starts", type=_common.number(int, 1, 1000), default=8,
                   help="worst samples refined by L-BFGS-B at each k (default: %(default)s; --quick: 3)")
    p.add_argument("--bisections", type=_common.number(int, 1, 40), default=12,
                   help="bisection steps over k (resolution 2**-steps; default: %(default)s; --quick: 6)")
    p.add_argument("--grid", type=_common.number(int, 3, 1001), default=61,
                   help="points per axis of the optimal-time map (default: %(default)s; --quick: 13)")
    p.add_argument("--t1", type=_common.number(float, 0, 0.5, high_open=True), default=0.01, help="heralding time of link 2 in the map (default: %(default)s)")
    p.add_argument("--k", type=_common.number(float, 0, 1), default=None,
                   help="also split a sample of C(k) at this k into improved / equal / worse for every row "
                        "(e.g. 1/3 = 0.3333 for Werner-like undetected weights)")
    p.add_argument("--seed", type=_common.number(int, 0, 2**32 - 1), default=2505, help="seed of the searches (default: %(default)s)")
    return p


# ---------------------------------------------------------------- part 1: certificates
def conditioned_pairs(x: np.ndarray, k: float, protocol: str) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of C(k) from parameters ``x`` in ``[0, 1]^6`` (per pair: fidelity, undetected share, split).

    ``F = (1 + x0) / 2`` with ``x0 >= 1e-9`` (C(k) asks for F > 1/2), undetected weight ``min(k, 1) x1 (1 - F)``,
    the rest of ``1 - F`` split ``x2 : 1 - x2`` between the two detected errors. Every state of C(k) with
    ``F >= 1/2 + 5e-10`` has such parameters.
    """
    states = []
    for j, error in enumerate(UNDETECTED[protocol]):
        F = 0.5 + 0.5 * np.maximum(x[..., 3 * j], _MIN_EXCESS)
        rest = 1.0 - F
        undetected = min(k, 1.0) * x[..., 3 * j + 1] * rest
        detected = [s for s in (1, 2, 3) if s != _SLOT[error]]
        lam = np.zeros(x.shape[:-1] + (4,))
        lam[..., 0] = F
        lam[..., _SLOT[error]] = undetected
        lam[..., detected[0]] = (rest - undetected) * x[..., 3 * j + 2]
        lam[..., detected[1]] = (rest - undetected) * (1.0 - x[..., 3 * j + 2])
        states.append(lam)
    return states[0], states[1]


def gain(kept: np.ndarray, sacrificed: np.ndarray, protocol: str, fom: str, baseline: str) -> np.ndarray:
    """Gain of a successful purification over the baseline, in the figure's direction (BDS closed forms)."""
    out, _ = bds_purify(kept, sacrificed, protocol, 1.0, 0.0)
    fn, sign = BDS_MEASURES[fom], fom_sign(fom)
    return sign * (fn(out) - baseline_values(fn(kept), fn(sacrificed), baseline, "sacrificed", False, sign))


def _candidates(rng: np.random.Generator, samples: int) -> np.ndarray:
    """Parameters of C(k) to search: uniform, with half the coordinates snapped to the faces of the cube (the
    extreme splits and maximal undetected weights), and with both fidelities just above 1/2 (log-uniform down
    to 1e-7), where first-order violations are tiny (for cnot against the worse input they start at
    k = sqrt(2) - 1, see the docs)."""
    x = rng.random((samples, 6))
    third = samples // 3
    x[:third] = np.where(rng.random((third, 6)) < 0.5, np.round(x[:third]), x[:third])
    near = 10.0 ** (-7.0 * rng.random((third, 1)))
    x[third:2 * third, [0, 3]] = near * np.where(rng.random((third, 2)) < 0.5, 1.0, rng.random((third, 2)))
    x[third:2 * third, [1, 4]] = 1.0
    return x


#: Finite-difference step of the refinement's gradient (the square root of the float64 epsilon, as scipy's).
_FD_STEP = float(np.sqrt(np.finfo(float).eps))


def worst_case(k: float, protocol: str, fom: str, baseline: str, rng: np.random.Generator, samples: int,
               starts: int) -> tuple[float, np.ndarray]:
    """Lowest gain found in C(k): the worst of ``samples`` candidate pairs, each of the ``starts`` worst refined."""
    from scipy.optimize import minimize

    def g(x):
        return gain(*conditioned_pairs(x, k, protocol), protocol, fom, baseline)

    def g_and_gradient(y):
        """The gain and its forward-difference gradient from one batch of 7 points (steps inside the cube)."""
        h = _FD_STEP * np.where(y + _FD_STEP <= 1.0, 1.0, -1.0)
        values = g(np.vstack([y, y + np.diag(h)]))
        return float(values[0]), (values[1:] - values[0]) / h

    x = _candidates(rng, samples)
    values = g(x)
    order = np.argsort(values)[:starts]
    best, best_x = float(values[order[0]]), x[order[0]]
    for i in order:
        res = minimize(g_and_gradient, x[i], jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * 6)
        if res.fun < best:
            best, best_x = float(res.fun), res.x
    return best, best_x


def certify(protocol: str, fom: str, baseline: str, rng: np.random.Generator, samples: int, starts: int,
            bisections: int) -> dict:
    """Largest k without a counterexample (bisection on [0, 1]) and the counterexample just above it.

    C(k) grows with k, so a counterexample at k is one at every larger k: the bracket [lo, hi] keeps the
    largest k searched without one and the smallest with one. The result is checked with a fresh sample at
    lo (twice the size); a counterexample there moves hi down and the bisection goes on below it.
    """
    args = (protocol, fom, baseline, rng, samples, starts)
    g, x = worst_case(1.0, *args)
    if g >= -TIE_TOL:
        return {"k_certified": 1.0, "k_counterexample": None, "gain": g, "x": None}
    cert = {"k_counterexample": 1.0, "gain": g, "x": x}
    lo, hi = 0.0, 1.0
    for _ in range(4):  # bisection, then re-bisection below a counterexample the check finds
        for _ in range(bisections):
            mid = 0.5 * (lo + hi)
            g, x = worst_case(mid, *args)
            if g < -TIE_TOL:
                hi, cert = mid, {"k_counterexample": mid, "gain": g, "x": x}
            else:
                lo = mid
        g, x = worst_case(lo, protocol, fom, baseline, rng, 2 * samples, 2 * starts)
        if g >= -TIE_TOL:
            return {"k_certified": lo, **cert}
        hi, cert, lo = lo, {"k_counterexample": lo, "gain": g, "x": x}, 0.0
    return {"k_certified": None, **cert}


def tie_split(k: float, protocol: str, fom: str, baseline: str, rng: np.random.Generator, samples: int) -> dict:
    """Shares of a fresh C(k) sample that improve, tie (|gain| <= TIE_TOL) and get worse."""
    g = gain(*conditioned_pairs(_candidates(rng, samples), k, protocol), protocol, fom, baseline)
    improved, worse = int(np.count_nonzero(g > TIE_TOL)), int(np.count_nonzero(g < -TIE_TOL))
    return {"improved": improved / g.size, "equal": (g.size - improved - worse) / g.size, "worse": worse / g.size,
            "never_worse": worse == 0, "improved_everywhere": improved == g.size}


def certificates(args, rng: np.random.Generator) -> tuple[list[dict], list[dict]]:
    """One row per (protocol, figure, baseline) and the stored counterexamples."""
    rows, counterexamples = [], []
    jobs = [(p, f, b) for p in PROTOCOLS for f in FOMS for b in BASELINES]
    for protocol, fom, baseline in _common.progress(jobs, desc="certificates", enabled=not args.no_progress):
        cert = certify(protocol, fom, baseline, rng, args.samples, args.starts, args.bisections)
        k = cert["k_certified"]
        split = tie_split(k, protocol, fom, baseline, rng, args.samples) if k is not None else {}
        claim = (f"a successful {protocol} purification improves {fom} over the {BASELINE_LABELS[baseline]} "
                 f"for both fidelities > 1/2 and undetected ({'/'.join(UNDETECTED[protocol])}) error <= k (1 - F)")
        row = {"protocol": protocol, "fom": fom, "baseline": baseline, "claim": claim, "source": PAPER,
               "k_certified": k, "k_counterexample": cert["k_counterexample"], "worst_gain": cert["gain"],
               **{f"share_{key}": split.get(key) for key in ("improved", "equal", "worse")},
               "never_worse": split.get("never_worse"), "improved_everywhere": split.get("improved_everywhere")}
        if args.k is not None:
            at_k = tie_split(args.k, protocol, fom, baseline, rng, args.samples)
            row.update({f"at_k_{key}": at_k[key] for key in ("improved", "equal", "worse", "never_worse")})
        rows.append(row)
        if cert["x"] is not None:
            kept, sac = conditioned_pairs(np.asarray(cert["x"])[None], cert["k_counterexample"], protocol)
            counterexamples.append({"protocol": protocol, "fom": fom, "baseline": baseline,
                                    "k": cert["k_counterexample"], "kept": [repr(float(v)) for v in kept[0]],
                                    "sacrificed": [repr(float(v)) for v in sac[0]], "gain": repr(cert["gain"])})
    return rows, counterexamples


def plot_certificates(rows: list[dict], out: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(FOMS), figsize=(3.3 * len(FOMS), 3.1), sharey=True)
    markers = {"worse": "o", "none": "s", "better": "^"}
    for ax, fom in zip(axes, FOMS):
        for j, baseline in enumerate(BASELINES):
            sel = [r for r in rows if r["fom"] == fom and r["baseline"] == baseline]
            xs = np.arange(len(PROTOCOLS)) + (j - 1) * 0.2
            ks = [r["k_certified"] if r["k_certified"] is not None else 0.0 for r in sel]
            ax.plot(xs, ks, ls="none", marker=markers[baseline], ms=6, label=BASELINE_LABELS[baseline])
        ax.axhline(SQRT2_MINUS_1, color="0.4", ls="--", lw=0.8,
                   label="√2 − 1: first-order boundary, worse input" if fom == FOMS[-1] else None)
        ax.axhline(1 / 3, color="0.4", ls=":", lw=0.8, label="1/3: Werner inputs" if fom == FOMS[-1] else None)
        ax.set_xticks(range(len(PROTOCOLS)), PROTOCOLS)
        ax.set_title(fom.replace("_", " "))
        ax.set_ylim(-0.03, 1.05)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("certified k (undetected error <= k (1 - F))")
    axes[-1].legend(fontsize=6.5, loc="upper right")
    fig.suptitle("Largest k without a counterexample (search, not proof); k = 1: any pair with F > 1/2",
                 fontsize=8, y=1.03)
    return _common.save_figure(fig, out, "certificates")


# ---------------------------------------------------------------- part 2: where t* sits
def _memory(name: str):
    if name == "amplitude_damping":
        return qnet.T1T2Memory(T1=1.0, T2=2.0)
    return {"dephasing": qnet.dephasing_rates, "depolarizing": qnet.depolarizing_rates,
            "bit_flip": qnet.bit_flip_rates}[name](1.0)


def optimal_time_map(memory: str, F0: np.ndarray, t1: float, t2: np.ndarray) -> dict:
    """t*, its location and the gain over the fresher pair on the (F0, t2) grid at fixed t1."""
    F, T2 = np.meshgrid(F0, t2, indexing="ij")
    w = qnet.werner(F)
    if memory == "amplitude_damping":
        w = qnet.to_density_matrix(w)
    res = qnet.optimal_purification_time(w, w, _memory(memory), t1, T2, form="dm" if w.ndim > 3 else "bds")
    return {"F0": F, "t2": T2, "t_opt": np.asarray(res.t), "location": np.asarray(res.location),
            "gain": np.asarray(res.gain)}


def plot_map(maps: dict, t1: float, out: Path) -> list[Path]:
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    colours = ["#1f77b4", "#ffbf00", "#d62728"]
    fig, axes = plt.subplots(1, len(MEMORIES), figsize=(3.2 * len(MEMORIES), 3.2), sharey=True)
    for ax, (memory, m) in zip(axes, maps.items()):
        code = np.select([m["location"] == loc for loc in LOCATIONS], [0, 1, 2])
        extent = (m["F0"].min(), m["F0"].max(), m["t2"].min(), m["t2"].max())
        ax.imshow(code.T, origin="lower", aspect="auto", extent=extent, cmap=ListedColormap(colours), vmin=-0.5,
                  vmax=2.5, interpolation="nearest")
        lose = np.ma.masked_where(m["gain"] > 0, np.ones_like(m["gain"]))
        ax.contourf(m["F0"], m["t2"], lose, levels=[0.5, 1.5], colors="none", hatches=["///"])
        title = memory.replace("_", " ")
        if memory == "amplitude_damping":
            mem = _memory(memory)
            title += rf" ($T_1 = {mem.T1:g}$, $T_2 = {mem.T2:g}$ [$1/\gamma$])"
        ax.set_title(title, fontsize=9)
        ax.set_xlabel(r"input fidelity $F_0$")
    # the consumption time t_2 (lower case, in units of 1/gamma) is not the coherence time T2 of a T1/T2 memory
    axes[0].set_ylabel(rf"consumption time $t_2$ [$1/\gamma$] ($t_1 = {t1:g}/\gamma$)")
    handles = [Patch(color=c, label=f"t* at {'t1' if loc == 'start' else 't2' if loc == 'end' else 'interior'}")
               for c, loc in zip(colours, LOCATIONS)] + [Patch(facecolor="white", hatch="///", edgecolor="k",
                                                               label="purifying loses to the fresher pair")]
    fig.legend(handles=handles, loc="upper center", ncol=4, fontsize=7, bbox_to_anchor=(0.5, -0.02))
    fig.suptitle("Where the optimal purification time sits (Werner inputs, fidelity at consumption)", fontsize=9,
                 y=1.03)
    return _common.save_figure(fig, out, "optimal_time_map")


# ---------------------------------------------------------------- main
def main(argv=None) -> dict:
    args = _common.parse_args(build_parser(), argv)
    if args.quick:
        args.samples, args.starts = min(args.samples, 5000), min(args.starts, 3)
        args.bisections, args.grid = min(args.bisections, 6), min(args.grid, 13)
    _common.use_agg()
    out = _common.prepare_output(args.out)
    started = time.perf_counter()
    rng = np.random.default_rng(args.seed)

    rows, counterexamples = certificates(args, rng)
    _common.write_csv(out / "certificates.csv", {k: [r[k] for r in rows] for k in rows[0]})
    _common.write_json(out / "counterexamples.json", {"counterexamples": counterexamples})
    figures = [p.name for p in plot_certificates(rows, out)]

    F0 = np.linspace(0.55, 1.0, args.grid)
    t2 = args.t1 + (0.5 - args.t1) * np.arange(1, args.grid + 1) / args.grid  # t2 > t1: a real choice of time
    maps = {memory: optimal_time_map(memory, F0, args.t1, t2) for memory in MEMORIES}
    _common.write_csv(out / "optimal_time_map.csv", {
        "memory": [m for m in MEMORIES for _ in range(maps[m]["F0"].size)],
        **{key: np.concatenate([maps[m][key].ravel() for m in MEMORIES]) for key in ("F0", "t2", "t_opt", "gain")},
        "location": np.concatenate([maps[m]["location"].ravel() for m in MEMORIES]),
    })
    figures += [p.name for p in plot_map(maps, args.t1, out)]
    summary = {
        "parameters": {"samples": args.samples, "starts": args.starts, "bisections": args.bisections,
                       "grid": args.grid, "t1": args.t1, "k": args.k, "seed": args.seed, "quick": args.quick,
                       "tie_tolerance": TIE_TOL, "protocols": PROTOCOLS, "foms": FOMS, "baselines": BASELINES,
                       "memories": MEMORIES, "amplitude_damping": {"T1": 1.0, "T2": 2.0}, "sources": [PAPER, NO_GO]},
        "certified_k": {f"{r['protocol']}/{r['fom']}/{r['baseline']}": r["k_certified"] for r in rows},
        "location_shares": {m: {loc: float(np.mean(maps[m]["location"] == loc)) for loc in LOCATIONS}
                            for m in MEMORIES},
        "figures": figures, "files": ["certificates.csv", "counterexamples.json", "optimal_time_map.csv"],
        "runtime_s": time.perf_counter() - started,
    }
    _common.write_json(out / f"{NAME}.json", summary)
    cnot = summary["certified_k"]
    _common.report(out, [
        f"cnot, fidelity: certified k = {cnot['cnot/fidelity/worse']:.4f} against the worse input "
        f"(sqrt(2) - 1 = {SQRT2_MINUS_1:.4f}), {cnot['cnot/fidelity/none']:.4f} against the mean, "
        f"{cnot['cnot/fidelity/better']:.4f} against the better input",
        "t* at t1 everywhere for dephasing; " + ", ".join(
            f"{m}: {100 * summary['location_shares'][m]['interior']:.0f}% interior" for m in MEMORIES[1:]),
        f"counterexamples (full precision): {out / 'counterexamples.json'}",
    ])
    return summary


if __name__ == "__main__":
    _common.run(main, NAME)
