"""Tutorial: a stored pair decoheres in different quantum memories.

A Bell-diagonal pair of fidelity 0.95 (mostly phase errors) is stored in two memories (one per qubit). We
compare Pauli memories with the same total rate gamma but different error
patterns (a, b, c), a pair whose two qubits sit in different memories, and a
T1/T2 memory (which needs the density-matrix path), and plot fidelity and
log-negativity against time.

Run:  python docs/tutorials/memory_decoherence.py [OUTPUT_FOLDER]
(or set QNET_TUTORIAL_OUT; QNET_TUTORIAL_QUICK=1 uses fewer time points).
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

# --- 1. The state and the time grid ---------------------------------------------------------
# Slots [Φ+, Φ−, Ψ+, Ψ−] = Pauli errors [I, Z, X, Y]: this pair mostly carries Z errors.
lam0 = qnet.bell_diagonal([0.95, 0.03, 0.01, 0.01])
gamma = 1.0  # total Pauli rate; times are in units of 1/gamma
t = np.linspace(0.0, 1.5, 16 if QUICK else 151)

# --- 2. Pauli memories: the same total rate, different error patterns (a, b, c) --------------
patterns = {
    "depolarizing (1/3, 1/3, 1/3)": (1 / 3, 1 / 3, 1 / 3),
    "dephasing (0, 0, 1)": (0.0, 0.0, 1.0),
    "bit flip (1, 0, 0)": (1.0, 0.0, 0.0),
}
curves = {}
for label, pattern in patterns.items():
    rates = qnet.pauli_rates(gamma, pattern)
    # One call for the whole time grid: the result has shape t.shape + (4,).
    curves[label] = qnet.idle(lam0, rates, t)

# Qubit A in a dephasing memory, qubit B in a depolarizing one.
curves["A dephasing, B depolarizing"] = qnet.idle(
    lam0, qnet.dephasing_rates(gamma), t, rates_b=qnet.depolarizing_rates(gamma)
)

# --- 3. The same Pauli memory on the density-matrix path agrees with the BDS closed form ------
rho0 = qnet.to_density_matrix(lam0)
rho_t = qnet.idle(rho0, qnet.depolarizing_rates(gamma), t)  # shape t.shape + (4, 4)
gap = np.max(np.abs(qnet.to_bds(rho_t) - curves["depolarizing (1/3, 1/3, 1/3)"]))
print(f"BDS closed form vs density-matrix Kraus path: max difference {gap:.1e}")
assert gap < 1e-12

# --- 4. A T1/T2 memory leaves the Bell-diagonal family: use density matrices -------------------
memory = qnet.T1T2Memory(T1=2.0, T2=1.0)
rho_t1t2 = qnet.idle(rho0, memory, t)
print("T1/T2 memory at the last time: Bell-basis diagonal", qnet.to_bds(rho_t1t2[-1]).round(4))

# --- 5. Figures of merit, vectorised over the time axis --------------------------------------
fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
for label, lam in curves.items():
    axes[0].plot(t, qnet.fidelity(lam), label=label)
    axes[1].plot(t, qnet.log_negativity(lam), label=label)
axes[0].plot(t, qnet.fidelity(rho_t1t2), "k--", label="T1/T2 memory (T1 = 2, T2 = 1)")
axes[1].plot(t, qnet.log_negativity(rho_t1t2), "k--", label="T1/T2 memory (T1 = 2, T2 = 1)")
# Closed form for a depolarizing memory on both qubits: F(t) = 1/4 + (F0 - 1/4) exp(-8 gamma t / 3).
axes[0].plot(t[::5], 0.25 + (0.95 - 0.25) * np.exp(-8 * gamma * t[::5] / 3), "o", ms=4, mfc="none",
             color="C0", label="closed form, depolarizing")
axes[0].set(xlabel="idle time  γt", ylabel="fidelity  ⟨Φ+|ρ|Φ+⟩", title="Fidelity")
axes[1].set(xlabel="idle time  γt", ylabel="log-negativity (ebits)", title="Log-negativity")
axes[0].legend(fontsize=8)
for ax in axes:
    ax.grid(alpha=0.3)

OUT.mkdir(parents=True, exist_ok=True)
path = OUT / "memory_decoherence.png"
fig.savefig(path, dpi=120)
plt.close(fig)
print(f"figure written to {path}")
