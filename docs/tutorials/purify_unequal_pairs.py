"""Tutorial: purify two pairs that decohered for different times.

Two Werner pairs of fidelity 0.95 were heralded at different times. When the
second one appears, the first has already waited for a time dt in its memories.
Is a round of recurrence purification better than simply using the fresher pair,
and which protocol should be used? The answer depends on the memory's error
pattern, so we compare a dephasing and a depolarizing memory.

Run:  python docs/tutorials/purify_unequal_pairs.py [OUTPUT_FOLDER]
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

F0 = 0.95
fresh = qnet.werner(F0)  # the pair heralded just now
dt = np.linspace(0.0, 0.4, 9 if QUICK else 81)  # how long the older pair has waited, units of 1/gamma
memories = {"dephasing memory (0, 0, 1)": qnet.dephasing_rates(1.0),
            "depolarizing memory (1/3, 1/3, 1/3)": qnet.depolarizing_rates(1.0)}
protocols = {"cnot": "plain CNOT (Z undetected)", "dejmps": "DEJMPS (Y undetected)", "bbpssw": "BBPSSW (Werner twirl)"}

fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True, constrained_layout=True)
for ax, (title, rates) in zip(axes, memories.items()):
    old = qnet.idle(fresh, rates, dt)  # one aged state per dt: shape (len(dt), 4)
    # Baseline: the fresher pair alone.
    ax.axhline(F0, color="k", lw=1, label="fresher pair alone")
    ax.plot(dt, qnet.fidelity(old), color="0.6", ls=":", label="older pair alone")
    for i, (protocol, label) in enumerate(protocols.items()):
        # The fresher pair is kept (CNOT control), the older one is sacrificed; `fresh` broadcasts
        # against the batch of aged states, so one call covers every dt.
        out, p = qnet.purify(fresh, old, protocol)
        ax.plot(dt, qnet.fidelity(out), color=f"C{i}", label=label)
        ax.plot(dt, p, color=f"C{i}", ls="--", lw=1)
        better = qnet.fidelity(out) > F0
        if better.any():
            print(f"{title:38s} {protocol:7s}: beats the fresher pair up to dt = {dt[better].max():.3f}/gamma on the grid")
        else:
            print(f"{title:38s} {protocol:7s}: never beats the fresher pair")
    ax.set(title=title, xlabel="age of the older pair  γ·Δt")
    ax.grid(alpha=0.3)
axes[0].set_ylabel("output fidelity (solid), success probability (dashed)")
axes[0].legend(fontsize=8, loc="lower left")

# Consistency check: the plain CNOT round has the closed form of the conventions page.
lam, mu = fresh, qnet.idle(fresh, qnet.dephasing_rates(1.0), 0.2)
N = (lam[0] + lam[1]) * (mu[0] + mu[1]) + (lam[2] + lam[3]) * (mu[2] + mu[3])
closed = np.array([lam[0] * mu[0] + lam[1] * mu[1], lam[0] * mu[1] + lam[1] * mu[0],
                   lam[2] * mu[2] + lam[3] * mu[3], lam[2] * mu[3] + lam[3] * mu[2]]) / N
out, p = qnet.purify(lam, mu, "cnot")
assert np.allclose(out, closed, atol=1e-14) and abs(p - N) < 1e-14

OUT.mkdir(parents=True, exist_ok=True)
path = OUT / "purify_unequal_pairs.png"
fig.savefig(path, dpi=120)
plt.close(fig)
print(f"figure written to {path}")
