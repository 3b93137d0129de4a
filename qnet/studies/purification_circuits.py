"""Purification circuits: what more pairs buy, and which circuit a repeater chain should distil with.

Every circuit is exact (Bell-diagonal inputs, Pauli-frame propagation; qnet.circuits) with the same operation noise
at both nodes: gate fidelity ``--gate-fidelity`` (two-qubit depolarizing after each gate) and measurement error
``--measurement-error``.

  (a) circuits  output fidelity and yield (output pairs per raw pair) against the fidelity F of Werner input pairs
                for DEJMPS (2 pairs), two rounds of DEJMPS pumping (3), Fujii-Yamamoto double selection (3), the
                best 3-pair circuit found by the exhaustive search (qnet.search_circuits, depth 3), and Nickerson et
                al.'s Expedient (11) and Stringent (13), single shot; for Expedient and Stringent also the yield
                with restarts of failed preparations (Circuit.raw_pairs).
  (b) noise     output fidelity at F = 0.9 against the gate fidelity (measurement error fixed): where each circuit
                stops improving on its input.
  (c) chain     the exact secret-key rate of a 4-segment chain (p_gen 0.3, p_swap 0.9, dephasing memories,
                memory cut-off 30 steps) against the fidelity of its links, without distillation and distilling
                with DEJMPS or with double selection, on every link or once end to end.

Data: circuits.csv, noise.csv, chain.csv, and purification_circuits.json with every parameter, the headline results
and the chain's best option when the memory, the operation noise and the cut-off are changed.
"""

from __future__ import annotations

import numpy as np

import qnet

from . import _common

NAME = "purification_circuits"
FIGURES = {
    "circuits": ("(a) Output fidelity gain and yield of each circuit against the fidelity of its Werner inputs.",
                 ["circuits.csv"]),
    "noise": ("(b) Output fidelity at F = 0.9 against the gate fidelity: where each circuit stops improving.",
              ["noise.csv"]),
    "chain": ("(c) Secret-key rate of a 4-segment chain against its link fidelity, for each way to distil "
              "(exact).", ["chain.csv"]),
}
#: (label, circuit name or None, rounds of DEJMPS pumping) of panel (a) and (b).
CIRCUITS = (("DEJMPS", "dejmps"), ("DEJMPS pumping, 2 rounds", "pumping"), ("double selection", "double_selection"),
            ("best searched 3-pair circuit", "searched"), ("Expedient", "expedient"), ("Stringent", "stringent"))
#: The chain of panel (c).
CHAIN = {"p_gen": 0.3, "p_swap": 0.9, "memory": (0.0, 0.0, 1e-3), "cutoff": 30, "t_trunc": 30_000}
#: Ways to distil the chain of panel (c): (schedule, protocol).
CHAIN_OPTIONS = {
    "no distillation": (("swap", "swap"), "dejmps"),
    "DEJMPS on every link": (("distill", "swap", "swap"), "dejmps"),
    "double selection on every link": (("distill", "swap", "swap"), "double_selection"),
    "DEJMPS end to end": (("swap", "swap", "distill"), "dejmps"),
    "double selection end to end": (("swap", "swap", "distill"), "double_selection"),
}


def build_parser():
    p = _common.parser(NAME, __doc__)
    p.add_argument("--gate-fidelity", type=_common.number(float, 0.5, 1.0), default=0.99,
                   help="gate fidelity of every node (default: %(default)s)")
    p.add_argument("--measurement-error", type=_common.number(float, 0.0, 0.5), default=0.01,
                   help="probability that a node misreports a measured bit (default: %(default)s)")
    return p


def run_circuit(key: str, F: float, noise: qnet.OperationNoise) -> tuple[float, float, float]:
    """Output fidelity, yield single shot and yield with restarts of one circuit on Werner(F) inputs."""
    w = qnet.werner(F)
    if key == "pumping":
        pumped = qnet.pumping(w, 2, "dejmps", noise=noise)
        p = float(pumped.p_success)
        return float(pumped.state[0]), p / 3, p / 3
    if key == "searched":
        best = qnet.search_circuits([w] * 3, noise=noise).best
        return best.fidelity, best.p_success / 3, best.p_success / 3
    c = qnet.circuit(key)
    out, p = c.apply(*[w] * c.arity, noise=noise)
    return float(out[0]), float(p) / c.arity, 1.0 / float(c.raw_pairs(*[w] * c.arity, noise=noise))


def circuits(args, noise: qnet.OperationNoise) -> dict:
    grid = np.round([0.6, 0.7, 0.8, 0.9, 0.95, 0.99] if args.quick else np.linspace(0.6, 0.99, 40), 4)
    cols: dict = {k: [] for k in ("circuit", "F_in", "F_out", "gain", "yield_single_shot", "yield_with_restarts")}
    jobs = [(label, key, F) for label, key in CIRCUITS for F in grid]
    for label, key, F in _common.progress(jobs, desc=f"{NAME} (a)", enabled=not args.no_progress):
        f_out, y1, y2 = run_circuit(key, float(F), noise)
        for k, v in (("circuit", label), ("F_in", F), ("F_out", f_out), ("gain", f_out - F),
                     ("yield_single_shot", y1), ("yield_with_restarts", y2)):
            cols[k].append(v)
    return cols


def noise_scan(args) -> dict:
    grid = np.round(np.linspace(0.95, 1.0, 6 if args.quick else 26), 4)
    cols: dict = {k: [] for k in ("circuit", "gate_fidelity", "measurement_error", "F_in", "F_out")}
    jobs = [(label, key, f) for label, key in CIRCUITS for f in grid]
    for label, key, f in _common.progress(jobs, desc=f"{NAME} (b)", enabled=not args.no_progress):
        f_out = run_circuit(key, 0.9, qnet.OperationNoise(float(f), args.measurement_error))[0]
        for k, v in (("circuit", label), ("gate_fidelity", f), ("measurement_error", args.measurement_error),
                     ("F_in", 0.9), ("F_out", f_out)):
            cols[k].append(v)
    return cols


def chain_rates(w0s, noise: qnet.OperationNoise, memory=CHAIN["memory"], cutoff=CHAIN["cutoff"]) -> dict:
    """Exact key rate and mean fidelity of every option of :data:`CHAIN_OPTIONS` at each link fidelity."""
    out: dict = {}
    for name, (schedule, protocol) in CHAIN_OPTIONS.items():
        for w0 in w0s:
            chain = qnet.RepeaterChain(schedule, CHAIN["p_gen"], CHAIN["p_swap"], qnet.werner(float(w0)), list(memory),
                                       cutoff=cutoff, protocol=protocol, noise=noise)
            d = chain.delivery(t_trunc=CHAIN["t_trunc"])
            out[name, float(w0)] = (d.key_rate, d.mean_fidelity, d.mean_time)
    return out


def best_options(rates: dict, w0s) -> list[str]:
    """The option with the highest key rate at each link fidelity; "no key" where none is positive, and the tied
    options joined by " = " (within 1e-12 relative)."""
    best = []
    for w0 in w0s:
        values = {name: rates[name, float(w0)][0] for name in CHAIN_OPTIONS}
        top = max(values.values())
        if top <= 0:
            best.append("no key")
            continue
        best.append(" = ".join(n for n, v in values.items() if v >= top * (1 - 1e-12)))
    return best


def span(best: dict, option: str) -> str:
    """The link fidelities (keys of ``best``) at which ``option`` is best, as "lo-hi" (or "never")."""
    ws = [w for w, b in best.items() if b == option]
    return "never" if not ws else ws[0] if len(ws) == 1 else f"{ws[0]}-{ws[-1]}"


def ranges(best: dict) -> str:
    """``best`` (link fidelity -> best option) as each option with the span of link fidelities where it is best."""
    return ", ".join(f"{option} {span(best, option)}" for option in dict.fromkeys(best.values()))


def chain(args, noise: qnet.OperationNoise) -> tuple[dict, dict]:
    w0s = np.round([0.92, 0.94, 0.96, 0.97, 0.98, 0.995] if args.quick else np.linspace(0.9, 0.995, 20), 4)
    rates = chain_rates(w0s, noise)
    cols: dict = {k: [] for k in ("option", "w0", "key_rate_per_step", "mean_fidelity", "mean_time_steps")}
    for (name, w0), (key, fid, t) in rates.items():
        for k, v in (("option", name), ("w0", w0), ("key_rate_per_step", key), ("mean_fidelity", fid),
                     ("mean_time_steps", t)):
            cols[k].append(v)
    grid = [float(w) for w in w0s]
    checks = {"as run": dict(zip(map(str, grid), best_options(rates, grid)))}
    probe = grid[::3] if args.quick else grid[::2]  # the conclusion, with each default it rests on changed
    for label, kwargs in (("memory dephasing 1e-2 per step", {"memory": (0.0, 0.0, 1e-2)}),
                          ("no cut-off", {"cutoff": None}),
                          ("gate fidelity 0.995, measurement error 0.005",
                           {"noise": qnet.OperationNoise(0.995, 0.005)})):
        rates2 = chain_rates(probe, kwargs.pop("noise", noise), **kwargs)
        checks[label] = dict(zip(map(str, probe), best_options(rates2, probe)))
    return cols, checks


def _series(cols: dict, column: str, value: str, x: str, *ys: str) -> list[np.ndarray]:
    """The rows of ``cols`` whose ``column`` is ``value``: their ``x`` and each ``ys`` column as arrays."""
    idx = [j for j, v in enumerate(cols[column]) if v == value]
    return [np.array(cols[key])[idx] for key in (x, *ys)]


def figures(circ: dict, noise: dict, ch: dict, out) -> list[str]:
    import matplotlib.pyplot as plt

    labels = [label for label, _ in CIRCUITS]
    fig, (ax_g, ax_y) = plt.subplots(1, 2, figsize=(10.5, 4.2))
    for i, label in enumerate(labels):
        F, gain, once, restarts = _series(circ, "circuit", label, "F_in", "gain", "yield_single_shot",
                                          "yield_with_restarts")
        ax_g.plot(F, gain, color=f"C{i}", marker="o", ms=3, label=label)
        ax_y.plot(F, once, color=f"C{i}", label=label)
        if label in ("Expedient", "Stringent"):
            ax_y.plot(F, restarts, color=f"C{i}", ls="--", label=f"{label}, with restarts")
    ax_g.axhline(0.0, color="k", lw=0.6)
    ax_g.set(xlabel="input fidelity F (Werner pairs)", ylabel="output fidelity − F")
    ax_y.set(xlabel="input fidelity F", ylabel="output pairs per raw pair", yscale="log")
    ax_g.legend(fontsize=7)
    ax_y.legend(fontsize=7)
    fig.tight_layout()
    _common.save_figure(fig, out, "circuits")

    fig, ax = plt.subplots(figsize=(6.0, 4.2))
    for i, label in enumerate(labels):
        ax.plot(*_series(noise, "circuit", label, "gate_fidelity", "F_out"), color=f"C{i}", label=label)
    ax.axhline(0.9, color="k", lw=0.8, ls=":", label="input fidelity 0.9")
    ax.set(xlabel="gate fidelity of both nodes", ylabel="output fidelity",
           title=f"Werner inputs F = 0.9, measurement error {noise['measurement_error'][0]:g}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    _common.save_figure(fig, out, "noise")

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    for i, name in enumerate(CHAIN_OPTIONS):
        w0, rate = _series(ch, "option", name, "w0", "key_rate_per_step")
        ax.plot(w0, 1e3 * rate, color=f"C{i}", marker="o", ms=3, ls="--" if "end to end" in name else "-", label=name)
    ax.set(xlabel="link fidelity w0 (Werner)", ylabel="secret-key rate (bits per 1000 link attempts)",
           title=f"4 segments, p_gen {CHAIN['p_gen']}, p_swap {CHAIN['p_swap']}, cut-off {CHAIN['cutoff']} steps")
    ax.legend(fontsize=7)
    fig.tight_layout()
    _common.save_figure(fig, out, "chain")
    return list(FIGURES)


def main(argv: list[str] | None = None) -> dict:
    args = _common.parse_args(build_parser(), argv)
    _common.use_agg()
    out = _common.prepare_output(args.out)
    noise = qnet.OperationNoise(args.gate_fidelity, args.measurement_error)
    circ = circuits(args, noise)
    scan = noise_scan(args)
    ch, checks = chain(args, noise)
    for stem, cols in (("circuits", circ), ("noise", scan), ("chain", ch)):
        _common.write_csv(out / f"{stem}.csv", cols)
    stems = figures(circ, scan, ch, out)

    def at(label: str, F: float, key: str) -> float:
        return next(v for c, f, v in zip(circ["circuit"], circ["F_in"], circ[key]) if c == label and f == F)

    F_ref = 0.8
    searched, pumped = at("best searched 3-pair circuit", F_ref, "F_out"), at("DEJMPS pumping, 2 rounds", F_ref,
                                                                               "F_out")
    double = at("double selection", F_ref, "F_out")
    stringent = (at("Stringent", 0.99 if 0.99 in circ["F_in"] else max(circ["F_in"]), "F_out"))
    ds = "double selection on every link"
    summary = {
        "study": NAME,
        "parameters": {"gate_fidelity": args.gate_fidelity, "measurement_error": args.measurement_error,
                       "circuits": dict(CIRCUITS), "chain": {k: list(v) if isinstance(v, tuple) else v
                                                            for k, v in CHAIN.items()},
                       "chain_options": {k: [list(s), p] for k, (s, p) in CHAIN_OPTIONS.items()},
                       "search_depth": 3, "quick": args.quick},
        "three_pairs_at_F": {"F": F_ref, "best_searched": searched, "pumping_2_rounds": pumped,
                             "double_selection": double},
        "stringent_at_highest_F": stringent,
        "chain_best_option": checks,
        "figures": stems,
    }
    _common.write_json(out / f"{NAME}.json", summary)
    changed = {"memory dephasing 1e-2 per step": "with 10x the memory dephasing", "no cut-off": "without cut-off",
               "gate fidelity 0.995, measurement error 0.005": "with gates 0.995/0.005"}
    _common.report(out, [
        f"three Werner pairs at F = {F_ref:g}: best searched circuit {searched:.5f}, double selection {double:.5f}, "
        f"two rounds of DEJMPS pumping {pumped:.5f}",
        f"4-segment chain, best key rate by link fidelity: {ranges(checks['as run'])}",
        "double selection on every link is best at w0 " + "; ".join(
            f"{span(checks[label], ds)} {short}" for label, short in changed.items()),
    ], figures=FIGURES)
    return summary


if __name__ == "__main__":
    _common.run(main, NAME)
