"""Tutorial: choose a path through a quantum network.

A ring of eight nodes 20 km apart, with midpoint-source links (Werner pairs from
the source, detection efficiency 0.8 per side) and dephasing memories, has one
poor link on the short way between nodes 0 and 3. We ask qnet.select_path for
the shortest path, the path with the highest delivered fidelity and the path
with the highest rate, each candidate evaluated exactly as a repeater chain,
then serve two node pairs at once and check the exact rates with the
event-level Monte Carlo.

Run:  python docs/tutorials/network_paths.py [OUTPUT_FOLDER]
(or set QNET_TUTORIAL_OUT; QNET_TUTORIAL_QUICK=1 uses fewer Monte Carlo samples).
"""

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402

import qnet  # noqa: E402

OUT = Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("QNET_TUTORIAL_OUT", "qnet-results/tutorials"))
QUICK = os.environ.get("QNET_TUTORIAL_QUICK") == "1"


def good_link(length_km):
    return qnet.MidpointSource(qnet.FibreChannel(length_km), source_fidelity=0.98, detector_efficiency=0.8)


# --- 1. The network: nodes carry memories, edges carry link models ---------------------------
G = qnet.ring_network(8, 20.0, link=good_link, memory=qnet.PauliMemory.dephasing(5.0), n_memories=4)
G.edges[1, 2]["link"] = qnet.MidpointSource(qnet.FibreChannel(20.0), source_fidelity=0.80,
                                            detector_efficiency=0.8)  # a poor source on the short way
qnet.validate_network(G)  # every attribute is checked before any work

# --- 2. Three criteria for the same node pair -------------------------------------------------
choices = {c: qnet.select_path(G, 0, 3, c, cutoff=20, t_trunc=4000) for c in qnet.PATH_CRITERIA}
for criterion, ch in choices.items():
    print(f"{criterion:9s}: path {ch.path}, {ch.length_km:.0f} km, "
          f"{ch.rate_hz:8.1f} pairs/s, fidelity {ch.fidelity:.4f}")

# --- 3. Serve two pairs at once; Monte Carlo check of the exact rates ------------------------
served = qnet.serve_pairs(G, [(0, 3), (4, 6)], "fidelity", cutoff=20, t_trunc=4000,
                          n_samples=2_000 if QUICK else 20_000, seed=1)
for s in served:
    print(f"pair {s.pair}: path {s.choice.path}, exact {s.rate_hz:.1f}/s, Monte Carlo {s.mc_rate_hz:.1f}/s, "
          f"fidelity {s.choice.fidelity:.4f} (MC 95% CI {s.mc.mean_fidelity_ci[0]:.4f}-{s.mc.mean_fidelity_ci[1]:.4f})")

# --- 4. Draw the chosen paths -----------------------------------------------------------------
pos = nx.circular_layout(G)
fig, axes = plt.subplots(1, 3, figsize=(12, 4.2), constrained_layout=True)
for ax, (criterion, ch) in zip(axes, choices.items()):
    nx.draw_networkx_nodes(G, pos, ax=ax, node_size=300, node_color="0.85")
    nx.draw_networkx_labels(G, pos, ax=ax, font_size=9)
    nx.draw_networkx_edges(G, pos, ax=ax, edge_color="0.7")
    nx.draw_networkx_edges(G, pos, ax=ax, edgelist=list(zip(ch.path, ch.path[1:])), edge_color="C0", width=4)
    nx.draw_networkx_edges(G, pos, ax=ax, edgelist=[(1, 2)], edge_color="C3", style="dashed", width=2)
    ax.set_title(f"{criterion}: {ch.rate_hz:.0f} pairs/s, F = {ch.fidelity:.3f}", fontsize=10)
    ax.set_axis_off()
fig.suptitle("paths from node 0 to node 3 (dashed red: the poor link)")

OUT.mkdir(parents=True, exist_ok=True)
path = OUT / "network_paths.png"
fig.savefig(path, dpi=120)
plt.close(fig)
print(f"figure written to {path}")
