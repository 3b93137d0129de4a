"""Tutorial: find the best order of swaps and distillations on an uneven repeater chain.

Four segments of 10, 40, 15 and 25 km (link success probability 0.5 * 10^(-0.02 L) per attempt, Werner
pairs of different quality) and memories with a coherence time of 2000 attempts. We write schedules in
La Corte et al.'s notation, compare the nested swap-as-soon-as-possible schedule with every other
distinct schedule (qnet.search_schedules), check the winner's exact distribution against the event-level
Monte Carlo, and plot both delivery-time distributions.

Run:  python docs/tutorials/repeater_schedules.py [OUTPUT_FOLDER]
(or set QNET_TUTORIAL_OUT; QNET_TUTORIAL_QUICK=1 searches swap orders only).
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
T = 6000

# --- 1. The chain: one long segment, sources of different quality ----------------------------
lengths = np.array([10.0, 40.0, 15.0, 25.0])
p_gen = 0.5 * 10 ** (-0.02 * lengths)
chain = qnet.RepeaterChain.werner(("swap", "swap"), p_gen, 0.85, [0.99, 0.97, 0.995, 0.98], 2000.0)
nested = chain.delivery(T)
print("nested schedule:", chain.schedule.tokens, f"key rate {nested.key_rate:.5f} per attempt")

# --- 2. Every distinct schedule (trees, so token orders on disjoint links count once) -------
found = qnet.search_schedules(chain, max_rounds=0 if QUICK else 1, t_trunc=T, top=8)
print(f"{found.n_evaluated} schedules; best {found.best.tokens}, key rate {found.value:.5f}")
print(found.best)

# --- 3. The winner's exact distribution against the Monte Carlo ------------------------------
best = chain.with_schedule(found.best)
mc = best.simulate(5_000 if QUICK else 50_000, seed=7)
lo, hi = mc.mean_time_ci
print(f"mean delivery time: exact {found.delivery.mean_time:.2f}, Monte Carlo 95% CI {lo:.2f}-{hi:.2f}")

# --- 4. Figure: the ranking and the two delivery-time distributions -------------------------
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
labels = [" ".join(tokens) for tokens, _ in found.ranking]
ax1.barh(range(len(labels)), [value for _, value in found.ranking],
         color=["C2" if "d" in label else "C0" for label in labels])
ax1.set_yticks(range(len(labels)), labels, fontsize=8)
ax1.invert_yaxis()
ax1.set_xlabel("secret-key rate (bits per link attempt)")
ax1.set_title("(a) the best schedules (green: with distillation)", loc="left", fontsize=10)
t = np.arange(T)
ax2.semilogy(t, nested.pmf, "C0", label=f"nested {' '.join(chain.schedule.tokens)}")
ax2.semilogy(t, found.delivery.pmf, "C3--", label=f"best {' '.join(found.best.tokens)}")
p_mc, _, _ = mc.pmf(T)
ax2.semilogy(t[p_mc > 0], p_mc[p_mc > 0], ".", color="C3", ms=2, alpha=0.4, label="best, Monte Carlo")
ax2.set_xlim(0, 200)
ax2.set_ylim(1e-5, None)
ax2.set_xlabel("delivery time (link attempts)")
ax2.set_ylabel("probability")
ax2.set_title("(b) delivery-time distributions", loc="left", fontsize=10)
ax2.legend(fontsize=8)

OUT.mkdir(parents=True, exist_ok=True)
path = OUT / "repeater_schedules.png"
fig.savefig(path, dpi=120)
plt.close(fig)
print(f"figure written to {path}")
