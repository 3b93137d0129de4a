"""Tutorial: whether and when to purify two pairs before they are used.

Timeline (Zang et al., arXiv:2505.02286): link 1 is heralded at 0, link 2 at t1,
the pair is consumed at t2, and the purification (plain CNOT round) runs at some
t in [t1, t2]. Before it, both pairs wait; after it, the output waits until t2.
We plot the fidelity delivered at t2 against the purification time t for three
memory error patterns, then locate the optimal time over the whole family of
patterns (a, b, c) with a = b, and compare with the short-time border c*.

Run:  python docs/tutorials/optimal_time.py [OUTPUT_FOLDER]
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

F0, t1, t2 = 0.95, 0.01, 0.1  # times in units of 1/gamma (total memory rate gamma = 1)
w = qnet.werner(F0)
patterns = {"bit flip + Y  (1/2, 1/2, 0)": (0.5, 0.5, 0.0),
            "depolarizing  (1/3, 1/3, 1/3)": (1 / 3, 1 / 3, 1 / 3),
            "dephasing  (0, 0, 1)": (0.0, 0.0, 1.0)}

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)

# --- (a) delivered fidelity versus the purification time ------------------------------------
t = np.linspace(t1, t2, 10 if QUICK else 91)
for i, (label, pattern) in enumerate(patterns.items()):
    rates = qnet.pauli_rates(1.0, pattern)
    value = qnet.timeline_value(w, w, rates, t1, t2, t, fom="fidelity")
    best = qnet.optimal_purification_time(w, w, rates, t1, t2, fom="fidelity")
    ax1.plot(t, value, color=f"C{i}", label=label)
    ax1.plot(best.t, best.value, "o", color=f"C{i}")
    ax1.axhline(best.no_epp_value, color=f"C{i}", ls=":", lw=1)
    verdict = "purify" if best.worth_purifying else "do not purify"
    print(f"{label:32s} t* = {best.t:.4f} ({best.location}), gain over the fresher pair {best.gain:+.4f}: {verdict}")
ax1.set(xlabel="purification time  γt", ylabel="fidelity delivered at t2",
        title=f"F0 = {F0}, t1 = {t1}, t2 = {t2}  (dotted: fresher pair alone)")
ax1.legend(fontsize=8)
ax1.grid(alpha=0.3)

# --- (b) where the optimum lies, over the phase-flip share c (a = b = (1 - c)/2) ------------
c = np.linspace(0.0, 1.0, 21 if QUICK else 201)
pattern = np.stack([(1 - c) / 2, (1 - c) / 2, c], axis=-1)  # a batch of 201 memories, shape (201, 3)
res = qnet.optimal_purification_time(w, w, pattern, t1, t2, fom="fidelity")  # one call for all of them
ax2.plot(c, (res.t - t1) / (t2 - t1), label="optimal time (t* − t1)/(t2 − t1)")
ax2.plot(c, res.gain / np.max(np.abs(res.gain)), label="gain over the fresher pair (scaled)")
c_star = float(qnet.border_short_time(F0))
ax2.axvline(c_star, color="k", ls="--", lw=1, label=f"short-time border c* = {c_star:.3f}")
ax2.axhline(0.0, color="0.5", lw=0.8)
ax2.set(xlabel="phase-flip share c of the memory errors", title="optimal purification time")
ax2.legend(fontsize=8)
ax2.grid(alpha=0.3)

OUT.mkdir(parents=True, exist_ok=True)
path = OUT / "optimal_time.png"
fig.savefig(path, dpi=120)
plt.close(fig)
print(f"figure written to {path}")
