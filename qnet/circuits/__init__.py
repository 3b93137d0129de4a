"""Distillation circuits of k >= 2 pairs: one definition, three exact readings.

A :class:`Circuit` is a list of bilateral operations on ``k`` Bell pairs: local Cliffords, two-qubit Clifford gates
between pairs, Werner twirls, and coincidence measurements that herald success. From that one definition qnet
derives

* its **Bell-diagonal transfer map** (:meth:`Circuit.transfer`), by Pauli-frame propagation: a bilateral Clifford
  maps a product of Bell states to a product of Bell states, so on Bell-diagonal inputs the circuit acts on the
  joint distribution of the pairs' Pauli errors, exactly. The map is multilinear in the ``k`` inputs and is applied
  to batches by a compiled kernel;
* its **density-matrix circuit** (:meth:`Circuit.apply` on density matrices): the gates as unitaries on the
  ``2k``-qubit state, each node's gate noise as a depolarizing channel and its measurement errors as flipped
  outcomes;
* its **acceptance probability**, the trace of the unnormalised output in either reading.

Conventions
-----------
* **Pairs** are numbered from 0; pair 0 is the kept pair, the one left when every other pair is measured. Pair
  ``j``'s qubits are ``A_j`` (node A) and ``B_j`` (node B).
* **Bilateral operations.** An operation named by a unitary ``U`` applies ``U`` at node A and ``U*`` at node B,
  which leaves ``|Φ+⟩`` on every pair unchanged; an error ``E`` on a pair (``(E ⊗ I)|Φ+⟩``, Bell slots
  ``[Φ+, Φ−, Ψ+, Ψ−]`` = errors ``[I, Z, X, Y]``) becomes ``U E U†``. For real gates (CNOT, CZ, ``XCZ``) this is the
  same gate at both nodes, as in QuantumSavory.jl's CircuitZoo.
* **Gates** ``"PCQ"`` for ``P, Q`` in X, Y, Z: controlled-``Q`` on the second pair, controlled by the ``P``-basis
  value of the first (``"ZCX"`` is the CNOT, alias ``"CNOT"``; ``"ZCZ"`` the CZ, alias ``"CZ"``; ``"XCZ"`` the
  CNOT with control and target exchanged). Local Cliffords: ``"h"`` (Hadamard, X ↔ Z) and ``"rx"`` (``Rx(π/2)``,
  Z ↔ Y). ``"twirl"`` depolarizes a pair to Werner form (the ``U ⊗ U*`` twirl of BBPSSW).
* **Measurements.** Measuring pair ``j`` in basis ``P`` measures ``P`` at node A and ``P*`` at node B; the check
  passes when the two reported outcomes agree, which they do on ``|Φ+⟩``: on a Bell-diagonal pair, when its error
  commutes with ``P``.
* **Noise** (the model of :mod:`qnet.noise`): after each two-qubit gate, each node's two qubits are depolarized
  with its gate fidelity; each reported outcome is flipped with the node's measurement error. Local Cliffords and
  twirls are ideal. On Bell-diagonal inputs the map depends on the two nodes' noise only through ``F = f_A f_B`` and
  the parity-flip probability ``q_A (1 − q_B) + (1 − q_A) q_B``.
* **Steps.** A circuit may be a sequence of steps, each a circuit on the pair kept so far and fresh pairs (the
  Expedient and Stringent protocols): the arity is ``1 + Σ (k_i − 1)``, the inputs are the kept pair then each
  step's fresh pairs in order, and success means every check of every step passes (single shot, no restarts).

Examples
--------
>>> import qnet
>>> ds = qnet.circuit("double_selection")
>>> ds.arity
3
>>> out, p = ds.apply(qnet.werner(0.9), qnet.werner(0.9), qnet.werner(0.9))
>>> round(float(out[0]), 6), round(float(p), 6)
(0.956522, 0.763259)

Layout: :mod:`~qnet.circuits.definition` (:class:`Circuit` and the named circuits), :mod:`~qnet.circuits.gates`
(what circuits are written with), :mod:`~qnet.circuits.search` (:func:`search_circuits`), and the engine tier
in ``_frame`` (the Bell-diagonal reading) and ``_dm`` (the density-matrix reading).
"""

from .definition import CIRCUITS, DISTILL_CIRCUITS, WIDE_CIRCUITS, Circuit, circuit
from .gates import GATES, LOCAL_CLIFFORDS, MEASUREMENT_BASES
from .search import CIRCUIT_SEARCH_METHODS, SEARCH_GATES, CircuitSearch, SearchedCircuit, search_circuits

__all__ = ["Circuit", "CIRCUITS", "DISTILL_CIRCUITS", "WIDE_CIRCUITS", "circuit", "GATES", "LOCAL_CLIFFORDS",
           "MEASUREMENT_BASES", "search_circuits", "CircuitSearch", "SearchedCircuit", "CIRCUIT_SEARCH_METHODS",
           "SEARCH_GATES"]
