"""Tutorial: search for a better distillation circuit of three pairs.

Three Werner pairs of fidelity F are distilled into one by noisy nodes (gate fidelity 0.99, measurement error
0.01). Two rounds of DEJMPS pumping and Fujii-Yamamoto double selection both use three raw pairs; is there a
better three-pair circuit? qnet.search_circuits tries every circuit of up to three controlled-Pauli gates and
every choice of checks, exactly, and ranks them.

Run:  python docs/tutorials/circuit_search.py [OUTPUT_FOLDER]
(or set QNET_TUTORIAL_OUT; QNET_TUTORIAL_QUICK=1 uses fewer points).
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
noise = qnet.OperationNoise(gate_fidelity=0.99, measurement_error=0.01)

# 1. Two pairs: the search rediscovers DEJMPS when a Y error (Ψ−) is the rarest.
lam = [0.85, 0.07, 0.05, 0.03]
two = qnet.search_circuits([lam, lam], depth=1)
dejmps = qnet.purify(lam, lam, "dejmps")
print(f"best two-pair circuit: F = {two.best.fidelity:.6f}, p = {two.best.p_success:.6f} "
      f"(DEJMPS: {float(dejmps.state[0]):.6f}, {float(dejmps.p_success):.6f}); {two.tied} equivalent circuits tie")

# 2. Three pairs, against pumping and double selection, over the input fidelity.
F = np.linspace(0.6, 0.95, 5 if QUICK else 15)
rows = {"best searched circuit": [], "DEJMPS pumping (2 rounds)": [], "double selection": []}
for f in F:
    w = qnet.werner(f)
    found = qnet.search_circuits([w] * 3, noise=noise, depth=2 if QUICK else 3)
    pumped = qnet.pumping(w, 2, "dejmps", noise=noise)  # two rounds, three raw pairs
    double = qnet.circuit("double_selection").apply(w, w, w, noise=noise)
    rows["best searched circuit"].append((found.best.fidelity, found.best.p_success))
    rows["DEJMPS pumping (2 rounds)"].append((float(pumped.state[0]), float(pumped.p_success)))
    rows["double selection"].append((float(double.state[0]), float(double.p_success)))
    # the search's figures are those of the circuit it returns, run through Circuit.apply
    out, p = found.best.circuit.apply(w, w, w, noise=noise)
    assert abs(float(out[0]) - found.best.fidelity) < 1e-12
    print(f"F = {f:.3f}: searched {found.best.fidelity:.5f} (p {found.best.p_success:.3f}, {found.tied} ties), "
          f"pumping {rows['DEJMPS pumping (2 rounds)'][-1][0]:.5f}, double selection {rows['double selection'][-1][0]:.5f}")

fig, (ax_f, ax_p) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
for i, (label, values) in enumerate(rows.items()):
    fid, p = np.array(values).T
    ax_f.plot(F, fid - F, color=f"C{i}", marker="o", ms=3, label=label)
    ax_p.plot(F, p, color=f"C{i}", marker="o", ms=3, label=label)
ax_f.set(xlabel="input fidelity F (three Werner pairs)", ylabel="output fidelity − F",
         title="three raw pairs, f = 0.99, q = 0.01")
ax_p.set(xlabel="input fidelity F", ylabel="success probability", title="probability that every check passes")
for ax in (ax_f, ax_p):
    ax.grid(alpha=0.3)
ax_f.axhline(0, color="k", lw=0.8)
ax_f.legend()
OUT.mkdir(parents=True, exist_ok=True)
fig.savefig(OUT / "circuit_search.png", dpi=150)
print(f"wrote {OUT / 'circuit_search.png'}")
