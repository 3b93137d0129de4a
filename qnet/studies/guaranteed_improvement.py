"""Where does a successful purification of two different pairs improve on using a pair alone?

Universal improvement is impossible (Zang, Chen, Chitambar, Suchara, Zhong, arXiv:2407.21760): no
bilocal Clifford recurrence beats its better input for all input pairs. This study maps where each
variant of qnet's CNOT recurrence family (``qnet.PROTOCOLS``) does improve, for every figure of merit
(plain and weighted by the success probability) and every baseline of ``qnet.purification_gain``
(the worse, the better, the fresher input alone, the kept or the sacrificed one alone, and no
purification at all):

  random            >= 10^6 uniformly random pairs of different Bell-diagonal states per variant
  random_entangled  the same, conditioned on both fidelities > 1/2
  werner            Werner pairs, (F1, F2) on a grid over [1/2, 1]^2
  dephasing         [F, 1-F, 0, 0] pairs (Z errors only), (F1, F2) grid
  bit_flip          [F, 0, 1-F, 0] pairs (X errors only), (F1, F2) grid
  zx_mixture        two-parameter family [F, (1-F) r, (1-F)(1-r), 0] per pair, (F1, r1, F2, r2) grid

Outputs (in --out): improvement_table.csv (one row per family, variant, figure, baseline: fractions
improved / equal (|gain| <= 1e-12: ties such as F = 1/2 or F = 1 on a grid) / worse, "never worse"
(the headline: no pair got worse), the strict "improved everywhere" beside it, worst gain found and its
inputs),
regions.csv (gain over the (F1, F2) plane per family, one column per variant and panel; improvement
means gain > 1e-12), figures region_<figure>_<baseline>.png/.pdf
(improvement regions in the (F1, F2) plane per family for cnot, dejmps, hadamard and bbpssw; --quick
draws cnot and dejmps only) and fraction_improved.png/.pdf, and
guaranteed_improvement.json with every parameter and the headline numbers. The fresher pair is the
sacrificed one (pair 2, heralded later). Yields and key fractions (``qnet.RATE_MEASURES``) count as
max(0, value) for the output and both inputs, plain and weighted: below 0 a pair delivers nothing, so a
negative yield made less negative (or multiplied by p < 1) is a tie at 0, not an improvement.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

import qnet
from qnet.measures import fom_sign
from qnet._arguments import floor_rates
from qnet._bell import BDS_MEASURES
from qnet.purification import BASELINES, PROTOCOLS
from qnet._distil import GAIN_ATOL, baseline_values, bds_purify

from . import _common

NAME = "guaranteed_improvement"

#: Figures of merit of the study (names of qnet.BDS_MEASURES); each also weighted by p_success.
MEASURES = (
    "fidelity",
    "concurrence",
    "negativity",
    "log_negativity",
    "entanglement_of_formation",
    "relative_entropy_of_entanglement",
    "hashing_yield",
    "bb84_key_fraction",
    "six_state_key_fraction",
)
MEASURE_COLUMNS = tuple((m, w) for m in MEASURES for w in (False, True))  # columns of fraction_improved
PLANE_FAMILIES = ("werner", "dephasing", "bit_flip")
REGION_PANELS = (("fidelity", False, "better"), ("fidelity", False, "worse"), ("log_negativity", True, "fresher"))


#: The figures: caption and the data files behind them (regions.csv is regenerated, not committed: 18 MB).
FIGURES = {
    "region_fidelity_worse": ("Fidelity gain of a successful purification over the worse input, on the "
                              "(F1, F2) plane of three families (rows) for four variants (columns); titles give the "
                              "shares improved / equal / worse.", ["improvement_table.csv"]),
    "region_fidelity_better": ("The same against the better input: improvement is the exception (Werner pairs: "
                               "only near F1 = F2).", ["improvement_table.csv"]),
    "region_weighted_log_negativity_fresher": ("Log-negativity times the success probability against the fresher "
                                               "(sacrificed) pair.", ["improvement_table.csv"]),
    "fraction_improved": ("Share of random entangled input pairs (both F > 1/2) that improve, per variant (rows), "
                          "figure of merit (columns) and baseline (panels).", ["improvement_table.csv"]),
}


def build_parser():
    p = _common.parser(NAME, __doc__)
    p.add_argument("--samples", type=_common.number(int, 1, 10**8), default=1_000_000,
                   help="random input pairs per variant and random ensemble (default: %(default)s; --quick: 10000)")
    p.add_argument("--chunk", type=_common.number(int, 1, 10**7), default=250_000,
                   help="pairs evaluated per vectorized batch (default: %(default)s)")
    p.add_argument("--grid", type=_common.number(int, 2, 2001), default=101,
                   help="points per axis of the (F1, F2) families (default: %(default)s; --quick: 21)")
    p.add_argument("--grid4", type=_common.number(int, 2, 101), default=21,
                   help="points per axis of the four-parameter zx_mixture grid (default: %(default)s; --quick: 7)")
    p.add_argument("--gate-fidelity", type=_common.number(float, 0, 1), default=1.0, help="gate fidelity at each node (default: %(default)s)")
    p.add_argument("--measurement-error", type=_common.number(float, 0, 1), default=0.0,
                   help="measurement bit-flip probability at each node (default: %(default)s)")
    p.add_argument("--seed", type=_common.number(int, 0, 2**32 - 1), default=2024, help="seed of the random ensembles (default: %(default)s)")
    return p


# ---------------------------------------------------------------- input families
def _plane(n: int) -> tuple[np.ndarray, np.ndarray]:
    f = np.linspace(0.5, 1.0, n)
    F1, F2 = np.meshgrid(f, f, indexing="ij")
    return F1.ravel(), F2.ravel()


def family_states(name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Kept and sacrificed BDS arrays (m, 4) of a structured family on its grid."""
    if name in PLANE_FAMILIES:
        F1, F2 = _plane(n)

        def make(F):
            z = np.zeros_like(F)
            if name == "werner":
                return qnet.werner(F)
            if name == "dephasing":
                return np.stack([F, 1 - F, z, z], -1)
            return np.stack([F, z, 1 - F, z], -1)

        return make(F1), make(F2)
    if name == "zx_mixture":
        f = np.linspace(0.5, 1.0, n)
        r = np.linspace(0.0, 1.0, n)
        F1, R1, F2, R2 = (a.ravel() for a in np.meshgrid(f, r, f, r, indexing="ij"))

        def make(F, R):
            return np.stack([F, (1 - F) * R, (1 - F) * (1 - R), np.zeros_like(F)], -1)

        return make(F1, R1), make(F2, R2)
    raise ValueError(f"unknown family {name!r}")


def random_pairs(rng: np.random.Generator, m: int, entangled: bool) -> tuple[np.ndarray, np.ndarray]:
    """``m`` pairs of uniformly random (Dirichlet(1,1,1,1)) BDS; optionally both with fidelity > 1/2."""

    def draw(k):
        if not entangled:
            return rng.dirichlet(np.ones(4), k)
        out = np.empty((0, 4))
        while len(out) < k:  # acceptance 1/8
            x = rng.dirichlet(np.ones(4), 9 * (k - len(out)) + 16)
            out = np.concatenate([out, x[x[:, 0] > 0.5]])
        return out[:k]

    return draw(m), draw(m)


# ---------------------------------------------------------------- accumulation
class Tally:
    """Running counts, worst case and its inputs for every (protocol, figure, baseline)."""

    def __init__(self) -> None:
        self.rows: dict[tuple, dict] = {}

    def add(self, protocol: str, lam: np.ndarray, mu: np.ndarray, out: np.ndarray, p: np.ndarray,
            m_in: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        ok = p > 0
        lam, mu, out, p = lam[ok], mu[ok], out[ok], p[ok]
        for meas in MEASURES:
            m_out = floor_rates(meas, BDS_MEASURES[meas](out))
            sign = fom_sign(meas)
            mk, ms = m_in[meas][0][ok], m_in[meas][1][ok]
            for weighted in (False, True):
                value = m_out * p if weighted else m_out
                for base in BASELINES:
                    gain = sign * (value - baseline_values(mk, ms, base, "sacrificed", weighted, sign))
                    key = (protocol, meas, weighted, base)
                    row = self.rows.setdefault(key, {"n": 0, "improved": 0, "worse": 0, "worst_gain": np.inf,
                                                     "worst_kept": None, "worst_sacrificed": None, "zero_p": 0})
                    row["n"] += gain.size
                    row["improved"] += int(np.count_nonzero(gain > GAIN_ATOL))
                    row["worse"] += int(np.count_nonzero(gain < -GAIN_ATOL))
                    if gain.size:
                        i = int(np.argmin(gain))
                        if gain[i] < row["worst_gain"]:
                            row["worst_gain"] = float(gain[i])
                            row["worst_kept"] = lam[i].copy()
                            row["worst_sacrificed"] = mu[i].copy()
        for meas in MEASURES:
            for weighted in (False, True):
                for base in BASELINES:
                    self.rows[(protocol, meas, weighted, base)]["zero_p"] += int(np.count_nonzero(~ok))


def evaluate(tally: Tally, lam: np.ndarray, mu: np.ndarray, f: float, q: float) -> None:
    m_in = {meas: (floor_rates(meas, BDS_MEASURES[meas](lam)), floor_rates(meas, BDS_MEASURES[meas](mu)))
            for meas in MEASURES}
    for protocol in PROTOCOLS:
        out, p = bds_purify(lam, mu, protocol, f, q)
        tally.add(protocol, lam, mu, out, p, m_in)


def _fmt_state(x) -> str:
    return "" if x is None else " ".join(f"{v:.6g}" for v in x)


# ---------------------------------------------------------------- figures
def plot_regions(out: Path, regions: dict, n: int, shown: tuple[str, ...] = ("cnot", "dejmps", "hadamard", "bbpssw")
                 ) -> list[str]:
    import matplotlib.pyplot as plt
    from matplotlib.colors import TwoSlopeNorm

    stems = []
    ext = [0.5, 1.0, 0.5, 1.0]
    for meas, weighted, base in REGION_PANELS:
        size = (2.6 * len(shown) + 1.2, 2.5 * len(PLANE_FAMILIES))
        fig, axes = plt.subplots(len(PLANE_FAMILIES), len(shown), figsize=size, sharex=True, sharey=True)
        fig.subplots_adjust(left=0.08, right=0.86, bottom=0.08, top=0.88, wspace=0.08, hspace=0.3)
        label = f"{'p x ' if weighted else ''}{meas.replace('_', ' ')}"
        gains = {(fam, proto): regions[(fam, proto, meas, weighted, base)].reshape(n, n)
                 for fam in PLANE_FAMILIES for proto in shown}
        # each sign on its own scale: gains of a few 0.01 stay visible next to losses of 0.5
        low = min(min(float(g.min()) for g in gains.values()), -1e-9)
        high = max(max(float(g.max()) for g in gains.values()), 1e-9)
        norm = TwoSlopeNorm(0.0, low, high)
        axis = np.linspace(0.5, 1, n)
        for i, fam in enumerate(PLANE_FAMILIES):
            for j, proto in enumerate(shown):
                gain = gains[(fam, proto)]
                ax = axes[i, j]
                im = ax.imshow(gain.T, origin="lower", extent=ext, cmap="RdBu", norm=norm, aspect="equal",
                               interpolation="nearest")
                if gain.min() < GAIN_ATOL < gain.max():
                    ax.contour(axis, axis, gain.T, levels=[GAIN_ATOL], colors="k", linewidths=0.8)
                up, down = float(np.mean(gain > GAIN_ATOL)), float(np.mean(gain < -GAIN_ATOL))
                ax.set_title(f"{fam.replace('_', ' ')}, {proto}: {100 * up:.0f}% / {100 * (1 - up - down):.0f}% / "
                             f"{100 * down:.0f}%", fontsize=7)
                if i == len(PLANE_FAMILIES) - 1:
                    ax.set_xlabel("F1 (kept)")
                if j == 0:
                    ax.set_ylabel("F2 (sacrificed)")
        cax = fig.add_axes([0.89, 0.15, 0.02, 0.65])
        cb = fig.colorbar(im, cax=cax, label="gain (gains and losses on separate scales)")
        cb.set_ticks(np.concatenate([np.linspace(low, 0, 4)[:-1], np.linspace(0, high, 5)]))
        cb.ax.yaxis.set_major_formatter("{x:.2g}")
        fig.suptitle(f"gain in {label} over the {base} input\n(blue: improvement, black line: gain = 0; titles: "
                     f"share of the plane improved / equal (|gain| <= {GAIN_ATOL:g}, e.g. F = 1/2 or 1) / worse)",
                     fontsize=9)
        stem = f"region_{'weighted_' if weighted else ''}{meas}_{base}"
        _common.save_figure(fig, out, stem)
        stems.append(stem)
    return stems


READABLE = {"log_negativity": "log-negativity", "entanglement_of_formation": "ent. of formation",
            "relative_entropy_of_entanglement": "rel. entropy of ent.", "bb84_key_fraction": "BB84 key fraction",
            "six_state_key_fraction": "six-state key fraction"}


def plot_fractions(out: Path, table: list[dict], family: str) -> str:
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(12.5, 9.5), sharey=True)  # smaller canvas: larger type in print
    fig.subplots_adjust(left=0.07, right=0.9, bottom=0.2, top=0.93, wspace=0.05, hspace=1.0)
    fig_labels = [f"{'p × ' if w else ''}{READABLE.get(m, m.replace('_', ' '))}" for m, w in MEASURE_COLUMNS]
    for ax, base in zip(axes.ravel(), BASELINES):
        grid = np.zeros((len(PROTOCOLS), len(MEASURE_COLUMNS)))
        for r in table:
            if r["family"] == family and r["baseline"] == base:
                col = MEASURE_COLUMNS.index((r["measure"], r["weighted"]))
                grid[PROTOCOLS.index(r["protocol"]), col] = r["fraction_improved"]
        im = ax.imshow(grid, vmin=0, vmax=1, cmap="viridis", aspect="auto")
        ax.set_xticks(range(len(MEASURE_COLUMNS)), fig_labels, rotation=90, fontsize=8)
        ax.set_yticks(range(len(PROTOCOLS)), PROTOCOLS, fontsize=8)
        ax.set_title(f"baseline: {base}", fontsize=9)
    fig.colorbar(im, cax=fig.add_axes([0.92, 0.25, 0.015, 0.6]), label="fraction of input pairs improved")
    fig.suptitle(f"fraction of pairs improved, {family.replace('_', ' ')} ensemble (ties count as not improved; "
                 "see fraction_equal in the table)", fontsize=11)
    stem = "fraction_improved"
    _common.save_figure(fig, out, stem)
    return stem


# ---------------------------------------------------------------- main
def collect(args, families: list[str], rng: np.random.Generator) -> tuple[dict, dict]:
    """Evaluate every input family (random chunks, then the planes): the tallies per family and the gain maps."""
    f, q = args.gate_fidelity, args.measurement_error
    jobs = []
    for fam in families[:2]:
        done = 0
        while done < args.samples:
            jobs.append((fam, min(args.chunk, args.samples - done)))
            done += jobs[-1][1]
    jobs += [(fam, None) for fam in families[2:]]
    tallies = {fam: Tally() for fam in families}
    regions: dict[tuple, np.ndarray] = {}
    for fam, size in _common.progress(jobs, desc="input chunks", enabled=not args.no_progress):
        if size is not None:
            lam, mu = random_pairs(rng, size, fam == "random_entangled")
        else:
            lam, mu = family_states(fam, args.grid4 if fam == "zx_mixture" else args.grid)
        evaluate(tallies[fam], lam, mu, f, q)
        if fam in PLANE_FAMILIES:
            for proto in PROTOCOLS:
                o, p = bds_purify(lam, mu, proto, f, q)
                for meas, weighted, base in REGION_PANELS:
                    sign = fom_sign(meas)

                    def fn(x, meas=meas):
                        return floor_rates(meas, BDS_MEASURES[meas](x))

                    value = fn(o) * p if weighted else fn(o)
                    regions[(fam, proto, meas, weighted, base)] = sign * (value - baseline_values(
                        fn(lam), fn(mu), base, "sacrificed", weighted, sign))
    return tallies, regions


def improvement_table(tallies: dict, families: list[str]) -> list[dict]:
    """One row per (family, protocol, measure, weighting, baseline): improved / equal / worse shares and the worst case."""
    table = []
    for fam in families:
        for (proto, meas, weighted, base), r in tallies[fam].rows.items():
            n = r["n"]
            table.append({
                "family": fam, "protocol": proto, "measure": meas, "weighted": weighted, "baseline": base,
                "n": n, "fraction_improved": r["improved"] / n if n else float("nan"),
                "fraction_equal": (n - r["improved"] - r["worse"]) / n if n else float("nan"),
                "fraction_worse": r["worse"] / n if n else float("nan"),
                "never_worse": bool(n and r["worse"] == 0),
                "improved_everywhere": bool(n and r["improved"] == n),
                "worst_gain": r["worst_gain"], "worst_kept": _fmt_state(r["worst_kept"]),
                "worst_sacrificed": _fmt_state(r["worst_sacrificed"]), "zero_probability_pairs": r["zero_p"],
            })
    return table


def write_regions(path: Path, regions: dict, n: int) -> None:
    """Wide CSV of the gain maps: one row per (family, F1, F2), one gain column per variant and panel."""
    F1, F2 = _plane(n)
    cols = {"family": [fam for fam in PLANE_FAMILIES for _ in F1],
            "F1": np.tile(F1, len(PLANE_FAMILIES)), "F2": np.tile(F2, len(PLANE_FAMILIES))}
    for proto in PROTOCOLS:
        for meas, weighted, base in REGION_PANELS:
            key = f"gain_{proto}_{'weighted_' if weighted else ''}{meas}_vs_{base}"
            cols[key] = np.concatenate([regions[(fam, proto, meas, weighted, base)] for fam in PLANE_FAMILIES])
    _common.write_csv(path, cols)


def _pick(table: list[dict], fam: str, proto: str, meas: str, weighted: bool, base: str) -> dict:
    return next(r for r in table if (r["family"], r["protocol"], r["measure"], r["weighted"], r["baseline"])
                == (fam, proto, meas, weighted, base))


def summarize(args, table: list[dict], families: list[str], stems: list[str], runtime_s: float) -> dict:
    """The study's JSON summary: every parameter, the figures and files, and the headline numbers."""
    def label(r: dict) -> str:
        return "/".join([r["family"], r["protocol"], ("weighted_" if r["weighted"] else "") + r["measure"],
                         r["baseline"]])

    headline = {
        f"{fam}/{proto}/fidelity/{base}": {k: _pick(table, fam, proto, "fidelity", False, base)[k]
                                             for k in ("never_worse", "fraction_improved", "fraction_equal",
                                                       "fraction_worse", "improved_everywhere", "worst_gain")}
        for fam in families for proto in ("cnot", "dejmps", "bbpssw") for base in ("worse", "better")
    }
    return {
        "parameters": {
            "samples": args.samples, "chunk": args.chunk, "grid": args.grid, "grid4": args.grid4,
            "gate_fidelity": args.gate_fidelity, "measurement_error": args.measurement_error, "seed": args.seed,
            "quick": args.quick, "protocols": list(PROTOCOLS), "measures": list(MEASURES),
            "baselines": list(BASELINES), "families": families, "fresher": "sacrificed", "gain_atol": GAIN_ATOL,
            "random_distribution": "Dirichlet(1, 1, 1, 1), i.e. uniform on the BDS simplex",
        },
        "figures": stems,
        "files": ["improvement_table.csv", "regions.csv"],
        "headline": headline,
        # where improvement was guaranteed in the data: every sampled or grid pair improved
        "improved_everywhere": [label(r) for r in table if r["improved_everywhere"]],
        "never_worse": [label(r) for r in table if r["never_worse"]],
        "runtime_s": runtime_s,
    }


def main(argv=None) -> dict:
    args = _common.parse_args(build_parser(), argv)
    if args.quick:
        args.samples = min(args.samples, 10_000)
        args.grid = min(args.grid, 21)
        args.grid4 = min(args.grid4, 7)
    _common.use_agg()
    out = _common.prepare_output(args.out)
    started = time.perf_counter()
    families = ["random", "random_entangled", *PLANE_FAMILIES, "zx_mixture"]
    tallies, regions = collect(args, families, np.random.default_rng(args.seed))
    table = improvement_table(tallies, families)
    _common.write_csv(out / "improvement_table.csv", {k: [row[k] for row in table] for k in table[0]})
    write_regions(out / "regions.csv", regions, args.grid)
    shown = ("cnot", "dejmps") if args.quick else ("cnot", "dejmps", "hadamard", "bbpssw")
    stems = plot_regions(out, regions, args.grid, shown) + [plot_fractions(out, table, "random_entangled")]
    summary = summarize(args, table, families, stems, time.perf_counter() - started)
    _common.write_json(out / f"{NAME}.json", summary)
    lines = []
    for proto in ("cnot", "dejmps", "bbpssw"):
        r = _pick(table, "random_entangled", proto, "fidelity", False, "worse")
        lines.append(f"{proto}, fidelity vs the worse input, random pairs with F > 1/2: "
                     f"{100 * r['fraction_improved']:.1f}% improved, {100 * r['fraction_equal']:.1f}% equal, "
                     f"{100 * r['fraction_worse']:.1f}% worse")
    _common.report(out, lines)
    return summary


if __name__ == "__main__":
    _common.run(main, NAME)
