"""Tutorial: your first network simulation.

A ring of eight nodes, 15 km of fibre between neighbours, single-click heralded links and memories that
dephase with T2 = 100 ms. We serve one user pair with qnet.simulate_network, check the simulation against
the exact chain model of its path (without classical delay the two must agree), switch the classical delay
on to see what waiting for heralds and swap outcomes costs, and then serve two pairs at once on shared
memories.

Run:  python docs/tutorials/first_network_simulation.py [OUTPUT_FOLDER]
(or set QNET_TUTORIAL_OUT; QNET_TUTORIAL_QUICK=1 delivers fewer pairs).
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
N = 3000 if os.environ.get("QNET_TUTORIAL_QUICK") == "1" else 30000

# --- 1. The network: a networkx graph with qnet's attributes ---------------------------------
link = lambda km: qnet.SingleClick(qnet.FibreChannel(km), bright_state=0.05, detector_efficiency=0.8)  # noqa: E731
G = qnet.ring_network(8, 15.0, memory=qnet.PauliMemory.dephasing(1 / (2 * 0.1)), n_memories=4, link=link)
tau = link(15.0).attempt_duration()
print(f"links: p = {link(15.0).success_probability():.4f} per attempt of {tau * 1e6:.0f} us, "
      f"F = {link(15.0).state()[0]:.4f}")

# --- 2. One request, no classical delay: the exact chain model of its path --------------------
sync = qnet.simulate_network(G, [(0, 4)], n_deliveries=N, seed=1, classical_delay=False).requests[0]
exact = qnet.path_delivery(G, list(sync.path), t_trunc=3000)
print(f"path {sync.path}: simulated mean time {sync.mean_time * 1e3:.3f} ms "
      f"(95 % CI {sync.mean_time_ci[0] * 1e3:.3f}-{sync.mean_time_ci[1] * 1e3:.3f}), exact {exact.mean_time * tau * 1e3:.3f} ms")
print(f"  mean fidelity {sync.mean_fidelity:.4f} (CI {sync.mean_fidelity_ci[0]:.4f}-{sync.mean_fidelity_ci[1]:.4f}), "
      f"exact {exact.mean_fidelity:.4f}")

# --- 3. The same request with heralds and swap outcomes travelling at fibre speed -------------
late = qnet.simulate_network(G, [(0, 4)], n_deliveries=N, seed=1).requests[0]
print(f"with classical delay: {late.mean_time * 1e3:.3f} ms, F = {late.mean_fidelity:.4f}")

# --- 4. Two requests at once, competing for the memories of the nodes they share ---------------
both = qnet.simulate_network(G, [(0, 4), (2, 6)], n_deliveries=N, seed=1, cutoff=qnet.Cutoff.memory_time(5e-3))
for r in both.requests:
    print(f"{r.source} -> {r.target} on {r.path}: {r.throughput_hz:.0f} pairs/s, F = {r.mean_fidelity:.4f}, "
          f"{r.discarded} cut-offs")
print("memory use:", {n: round(u, 2) for n, u in both.utilisation.items()})

# --- 5. Plot --------------------------------------------------------------------------------
fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8))
steps = np.arange(exact.pmf.size)
bins = np.arange(0.5, 120.5, 2.0)
a.hist(sync.times / tau, bins=bins, density=True, alpha=0.4, label="simulated, no classical delay")
a.hist(late.times / tau, bins=bins, density=True, histtype="step", lw=1.5, label="simulated, classical delay")
a.plot(steps[:120], exact.pmf[:120], "k.", ms=3, label="exact chain model")
a.set_xlabel("delivery time (link attempts)")
a.set_ylabel("probability per attempt")
a.set_title("(a) one request, 0 to 4", loc="left", fontsize=10)
a.legend(fontsize=8)
for r, colour in zip(both.requests, ("C0", "C3")):
    b.hist(r.fidelities, bins=40, density=True, histtype="step", color=colour, lw=1.5,
           label=f"{r.source} to {r.target}: {r.throughput_hz:.0f} pairs/s")
b.hist(late.fidelities, bins=40, density=True, color="0.7", label="0 to 4 alone, no cut-off")
b.set_xlabel("delivered fidelity")
b.set_ylabel("density")
b.set_title("(b) two requests sharing memories", loc="left", fontsize=10)
b.legend(fontsize=8)
fig.tight_layout()
OUT.mkdir(parents=True, exist_ok=True)
path = OUT / "first_network_simulation.png"
fig.savefig(path, dpi=150)
print("wrote", path)
