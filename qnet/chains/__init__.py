"""Repeater chains: exact delivery-time and state distributions with cut-offs, and a cut-off optimizer.

Model (Li, Coopmans & Elkouss, npj Quantum Inf. 7, 2021; arXiv:2005.06174), generalised to
Bell-diagonal states and Pauli memories:

* **Time** is discrete, one step per elementary link attempt. An elementary link on segment
  ``i`` is delivered at step ``t >= 1`` with probability ``p_gen[i] (1 - p_gen[i])**(t - 1)``.
* **Schedule** (:class:`qnet.Schedule`): a tree of operations over the segments, each combining two
  pairs made *independently* by its subtrees, both started at the same time: a swap joins two
  adjacent links, a distillation joins two pairs over the same span. Nested levels such as
  ``("distill", "swap", "swap")`` are one way to write it (a chain of ``n`` segments needs
  ``ceil(log2 n)`` swap levels; a swap level splits a span as ``ceil(w/2) + floor(w/2)`` and a
  single segment passes it unchanged); La Corte et al.'s tokens (``s_i``, ``d_i``) another.
* **Waiting** pair: the pair delivered first waits for the other one. Its state decays while it
  waits; a pair's state is not decohered after the last level (the delivered state is the state
  at delivery). In the Werner model the Werner parameter decays as ``exp(-dt / t_coh)``; with
  Pauli memories, the Walsh–Hadamard component ``s`` of the pair's Bell-diagonal state decays as
  ``exp(-c_s dt)`` with ``c = [0, ηx, ηz, ηy]``-rates of both end nodes added
  (``c_1 = 2(γy+γz)``, ``c_2 = 2(γx+γy)``, ``c_3 = 2(γx+γz)`` per node, see ``qnet.channels``).
* **Cut-offs** are checked when the second pair arrives (or as soon as the first pair times
  out), per operation: ``"memory_time"`` (the pairs pass when ``|tA - tB| <= cutoff``; otherwise both
  are discarded at ``min(tA, tB) + cutoff`` and both regenerated), ``"fidelity"`` (the earlier
  pair is discarded once its fidelity after waiting would drop below ``cutoff``; a pair
  delivered below ``cutoff`` is discarded at once; as in Li et al. the check uses the mean state
  delivered at that time step) and ``"run_time"`` (both pairs must be ready by ``cutoff`` steps
  after the attempt started, otherwise both are discarded at ``cutoff``).
* **Operations** take no time. A swap succeeds with probability ``p_swap`` and outputs the
  Z2×Z2 convolution of the inputs (:doc:`/conventions`); a distillation succeeds with the
  state-dependent probability of the purification engine (``qnet.purify``); the Werner model
  uses BBPSSW with a Werner output, which is Li et al.'s ``p = (1 + wA wB)/2``,
  ``w' = (wA + wB + 4 wA wB) / (6 p)``. After a failure, or a failed cut-off, both inputs are
  regenerated from scratch.

Distributions are computed with joins in O(T) per level (memory-time and run-time cut-offs;
O(T²) for fidelity cut-offs) and the renewal (geometric) sums as power-series inverses by FFT
(linear convolutions only, so nothing wraps around). Values below ``t_trunc`` do not depend on the
truncation; the mass delivered at or after ``t_trunc`` is reported as ``truncation_error``.

Layout: :mod:`~qnet.chains.problem` (the problem object and the function tier), :mod:`~qnet.chains.results`,
and the engine tier in ``_model`` (the model), ``_exact`` (the distributions) and ``_optimize`` (the cut-off
optimizer).
"""

from ._model import CUT_TYPES, werner_memory_rates
from .problem import ChainTree, RepeaterChain, chain_delivery, optimize_cutoff, simulate_chain
from .results import ChainDelivery, CutoffOptimum

__all__ = ["CUT_TYPES", "ChainDelivery", "RepeaterChain", "ChainTree", "chain_delivery", "werner_memory_rates",
           "optimize_cutoff", "CutoffOptimum", "simulate_chain"]
