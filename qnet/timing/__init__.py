"""When to purify: the timing model, the optimal purification time and probabilistic link generation.

The model (Zang et al., arXiv:2505.02286, and the docs' timing page):

* link 1 is heralded at time 0 in state ``first``; link 2 at ``t1`` in state ``second``;
* the pair is consumed at ``t2 >= t1``; the purification (EPP) runs at ``t`` in ``[t1, t2]``;
* before the EPP, both qubits of link 1 idle for ``t`` and both qubits of link 2 for ``t - t1``;
  the output (kept in link 1's memories) idles for ``t2 - t``;
* the figure of merit is evaluated at ``t2``; "weighted" multiplies it by the EPP's success probability.

Link 1 is the kept pair (the CNOT controls) and link 2 is sacrificed; for the plain CNOT protocol the
output does not depend on that choice. Memories are continuous-time Pauli channels with rates
``(γx, γy, γz)`` (the same time unit as ``t1``, ``t2``); density-matrix inputs may also use
:class:`qnet.T1T2Memory`.

Layout: :mod:`~qnet.timing.timeline` (the problem object and the function tier), :mod:`~qnet.timing.results`,
and the engine tier in ``_timeline`` (the model), ``_optimal`` (the optimal time), ``_generation``
(probabilistic generation) and ``_border`` (the optimal-time border).
"""

from ._border import BORDER_RULES
from ._timeline import POLICIES
from .results import OptimalTime, PolicyComparison
from .timeline import (LinkGeneration, PurificationTimeline, border_short_time, compare_generation_policies,
                       optimal_purification_time, optimal_time_border, purification_timeline,
                       simulate_generation_policies, timeline_value)

__all__ = ["PurificationTimeline", "LinkGeneration", "purification_timeline", "timeline_value", "OptimalTime",
           "optimal_purification_time", "POLICIES", "PolicyComparison", "compare_generation_policies",
           "simulate_generation_policies", "BORDER_RULES", "border_short_time", "optimal_time_border"]
