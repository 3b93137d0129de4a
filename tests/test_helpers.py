"""What a researcher reaches for: memories from coherence times, the Pauli twirl of a T1/T2 memory, a chain builder,
links by fidelity. Each checked by an independent path (QuTiP, the explicit Pauli-channel formula, the graph)."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
import qutip

import qnet

SX, SY, SZ = qutip.sigmax(), qutip.sigmay(), qutip.sigmaz()
PAULIS = (qutip.qeye(2), SX, SY, SZ)


def t1t2_mesolve(rho: qutip.Qobj, T1: float, T2: float, t: float) -> qutip.Qobj:
    """One qubit in a T1/T2 memory: decay to |0> at 1/T1 and pure dephasing making coherences decay as exp(-t/T2)."""
    sm = qutip.basis(2, 0) * qutip.basis(2, 1).dag()
    c_ops = []
    if math.isfinite(T1):
        c_ops.append(math.sqrt(1 / T1) * sm)
    gphi = 1 / T2 - (0 if math.isinf(T1) else 1 / (2 * T1))
    if gphi > 0:
        c_ops.append(math.sqrt(gphi / 2) * SZ)
    res = qutip.mesolve(qutip.qzero(2), rho, [0.0, t], c_ops, options={"atol": 1e-13, "rtol": 1e-12})
    return res.states[-1]


def twirled(rho: qutip.Qobj, T1: float, T2: float, t: float) -> np.ndarray:
    """The Pauli twirl of the T1/T2 channel, done explicitly: (1/4) sum_P P E(P rho P) P."""
    return sum((P * t1t2_mesolve(P * rho * P, T1, T2, t) * P).full() for P in PAULIS) / 4


def pauli_channel(rho: np.ndarray, rates: np.ndarray, t: float) -> np.ndarray:
    """The Pauli memory's channel written out with the error probabilities of physics.md §2."""
    gx, gy, gz = rates
    ex, ey, ez = (math.exp(-2 * (gy + gz) * t), math.exp(-2 * (gx + gz) * t), math.exp(-2 * (gx + gy) * t))
    probs = [(1 + ex + ey + ez) / 4, (1 + ex - ey - ez) / 4, (1 - ex + ey - ez) / 4, (1 - ex - ey + ez) / 4]
    return sum(p * P.full() @ rho @ P.full() for p, P in zip(probs, PAULIS))


@pytest.mark.parametrize("T1,T2", [(1.0, 0.5), (2.0, 4.0), (float("inf"), 0.3), (0.7, 0.1)])
def test_pauli_twirl_of_a_t1t2_memory_matches_qutip(T1, T2):
    rng = np.random.default_rng(3)
    memory = qnet.T1T2Memory(T1, T2).pauli_twirl()
    for t in (0.05, 0.4, 1.3):
        a = rng.normal(size=(2, 2)) + 1j * rng.normal(size=(2, 2))
        rho = a @ a.conj().T
        rho /= np.trace(rho)
        ref = twirled(qutip.Qobj(rho), T1, T2, t)
        np.testing.assert_allclose(pauli_channel(rho, memory.rates, t), ref, rtol=0, atol=1e-10)


def test_pauli_twirl_keeps_the_bell_diagonal_action_on_both_qubits():
    """For Bell-diagonal pairs the twirled memory and the density-matrix T1/T2 path agree on the fidelity's decay
    of the coherence terms: exp(-t/T2) per qubit, exactly."""
    memory = qnet.T1T2Memory(2.0, 1.0)
    rho = qnet.to_density_matrix(qnet.bell_state("Phi+"))
    for t in (0.1, 0.5):
        dm = qnet.t1t2_channel(rho, memory, t, qubit="both")
        bds = qnet.idle(qnet.bell_state("Phi+"), memory.pauli_twirl(), t)
        assert abs(dm[0, 3] - (bds[0] - bds[1]) / 2) < 1e-12  # <00|rho|11>: coherence exp(-2t/T2)/2 in both


def test_from_t2_is_the_dephasing_twirl():
    assert qnet.PauliMemory.from_t2(0.1) == qnet.T1T2Memory(float("inf"), 0.1).pauli_twirl()
    rho = np.array([[0.5, 0.5], [0.5, 0.5]])
    out = pauli_channel(rho, qnet.PauliMemory.from_t2(0.1).rates, 0.1)
    assert out[0, 1] == pytest.approx(0.5 * math.exp(-1.0), abs=1e-14)
    with pytest.raises(ValueError, match="T2 must be > 0"):
        qnet.PauliMemory.from_t2(0.0)


def test_chain_network_builds_an_uneven_chain():
    G = qnet.chain_network([5.0, 30.0, 10.0, 20.0], fidelity=0.97, p_gen=0.3, time_step=1e-4)
    assert list(G.nodes) == [0, 1, 2, 3, 4] and nx.is_isomorphic(G, nx.path_graph(5))
    assert [G.edges[i, i + 1]["length"] for i in range(4)] == [5.0, 30.0, 10.0, 20.0]
    assert G.edges[0, 1]["w0"] == pytest.approx((4 * 0.97 - 1) / 3, abs=1e-15)
    par = qnet.path_parameters(G, [0, 1, 2, 3, 4])
    assert par["length"] == 65.0 and np.allclose(par["link_state"][:, 0], 0.97)
    with pytest.raises(TypeError, match="by w0 or by fidelity, not both"):
        qnet.chain_network([1.0], w0=0.9, fidelity=0.9)
    with pytest.raises(ValueError, match="non-empty"):
        qnet.chain_network([])
    with pytest.raises(ValueError, match="fidelity of a Werner state"):
        qnet.ring_network(4, 1.0, fidelity=0.2)


def test_one_spelling_of_schedule_and_protocol_across_the_engines():
    """path_delivery, chain_delivery and simulate_network all take schedule= and protocol=; without classical delay
    and with enough memories the simulator agrees with the exact path result (mean fidelity within 5 sigma)."""
    G = qnet.chain_network([10.0] * 4, fidelity=0.97, p_gen=0.3, memory=(0.0, 0.0, 0.5), n_memories=8,
                           time_step=1.0)
    schedule = qnet.Schedule(["s0", "s2", "d1", "s1"], n_nodes=5)
    exact = qnet.path_delivery(G, [0, 1, 2, 3, 4], schedule=schedule, protocol="dejmps", t_trunc=4000)
    sim = qnet.simulate_network(G, [(0, 4)], n_deliveries=20_000, seed=5, classical_delay=False, schedule=schedule,
                                protocol="dejmps").requests[0]
    se = sim.fidelities.std(ddof=1) / math.sqrt(sim.n)
    assert abs(sim.mean_fidelity - exact.mean_fidelity) < 5 * se
    assert exact.mean_time_s == pytest.approx(exact.mean_time * 1.0) and exact.key_rate_hz == exact.key_rate
    with pytest.raises(TypeError, match="give the schedule once"):
        qnet.simulate_network(G, [(0, 4)], n_deliveries=10, schedule=schedule,
                              swapping=qnet.Swapping.by_schedule(schedule))
    with pytest.raises(ValueError, match="differs from the purification policy's protocol"):
        qnet.simulate_network(G, [(0, 4)], n_deliveries=10, protocol="cnot",
                              purification=qnet.Purification.immediate(1, "dejmps"))
    with pytest.raises(ValueError, match="in time steps only"):
        qnet.chain_delivery(("swap",), 0.5, 1.0, 0.9, 100.0, t_trunc=200).mean_time_s
