"""Tutorial: compare a repeater chain with a direct link.

Two nodes L km apart share entanglement either through one direct double-click
(Barrett-Kok) link, or through a chain of n = 2 or 4 equal segments joined by
entanglement swapping (linear-optics Bell measurements, success 1/2), with
memories that depolarize at 1/s and a memory cut-off of 10 ms. We compare the
delivery rate (pairs per second), the repeaterless PLOB bound and the delivered
fidelity as functions of the distance.

Run:  python docs/tutorials/repeater_vs_direct.py [OUTPUT_FOLDER]
(or set QNET_TUTORIAL_OUT; QNET_TUTORIAL_QUICK=1 uses fewer distances).
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

distances = np.linspace(20.0, 200.0, 4 if QUICK else 19)  # km
GAMMA = 1.0  # memory depolarizing rate, 1/s
CUTOFF_S = 0.01  # a pair may wait at most 10 ms for its partner
P_SWAP = 0.5  # linear-optics Bell-state measurement


def link(length_km: float) -> qnet.DoubleClick:
    """The elementary link: double-click heralding over fibre (0.2 dB/km), realistic hardware."""
    return qnet.DoubleClick(qnet.FibreChannel(length_km), detector_efficiency=0.9, visibility=0.97,
                            dark_count_probability=1e-6, preparation_time_s=5e-6)


def chain(length_km: float, levels: int) -> tuple[float, float]:
    """Rate (pairs/s) and mean delivered fidelity of a swap-only chain of 2**levels segments."""
    segment = link(length_km / 2**levels)
    step = segment.attempt_duration()  # the chain model's time step: one segment attempt, in s
    rates = qnet.depolarizing_rates(GAMMA * step)  # memory rates per time step
    cutoff = max(1, int(CUTOFF_S / step))  # memory-time cut-off, in steps
    for t_trunc in (2**12, 2**14, 2**16, 2**17):  # smallest window that holds the distribution
        try:
            r = qnet.chain_delivery(("swap",) * levels, segment.success_probability(), P_SWAP,
                                    link_state=segment.state(), memory=rates, cutoff=cutoff, t_trunc=t_trunc)
            break
        except ValueError:
            continue
    else:
        raise RuntimeError(f"no time window up to 2**17 steps holds the distribution at {length_km} km")
    return 1.0 / (r.mean_time * step), r.mean_fidelity


direct = [link(L) for L in distances]
rate_direct = np.array([d.rate() for d in direct])
fid_direct = np.array([d.fidelity() for d in direct])
# PLOB: ebits per channel use of the whole fibre, used at the direct link's attempt rate.
plob = np.array([float(qnet.plob_bound(d.channel.transmissivity, repetition_rate=1 / d.attempt_duration()))
                 for d in direct])
chains = {levels: np.array([chain(L, levels) for L in distances]) for levels in (1, 2)}

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
ax1.semilogy(distances, rate_direct, "k-", label="direct link (double click)")
ax1.semilogy(distances, plob, "k:", label="PLOB bound at the direct attempt rate")
ax2.plot(distances, fid_direct, "k-", label="direct link")
for levels, values in chains.items():
    label = f"{2**levels} segments, {2**levels - 1} swap{'s' if levels > 1 else ''}"
    ax1.semilogy(distances, values[:, 0], "o-", ms=3, label=label)
    ax2.plot(distances, values[:, 1], "o-", ms=3, label=label)
ax1.set(xlabel="distance (km)", ylabel="delivered pairs per second", title="Rate")
ax2.set(xlabel="distance (km)", ylabel="mean delivered fidelity", title="Fidelity")
for ax in (ax1, ax2):
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)

for L, rd, (r2, f2), (r4, f4) in zip(distances, rate_direct, chains[1], chains[2]):
    print(f"{L:6.0f} km: direct {rd:10.4g}/s   2 segments {r2:10.4g}/s (F={f2:.3f})   "
          f"4 segments {r4:10.4g}/s (F={f4:.3f})")

OUT.mkdir(parents=True, exist_ok=True)
path = OUT / "repeater_vs_direct.png"
fig.savefig(path, dpi=120)
plt.close(fig)
print(f"figure written to {path}")
