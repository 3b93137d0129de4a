"""What the timing module returns: :class:`OptimalTime` and :class:`PolicyComparison`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..results import Result
from .._distil import GAIN_ATOL

__all__ = ["OptimalTime", "PolicyComparison"]

# ---------------------------------------------------------------- optimal time

@dataclass(frozen=True, repr=False)
class OptimalTime(Result):
    """Result of :func:`optimal_purification_time` (arrays of the broadcast batch shape, or scalars).

    Attributes
    ----------
    t : float or ndarray
        Optimal absolute EPP time in ``[t1, t2]`` (ties resolve to the earliest time).
    value : float or ndarray
        Figure of merit at ``t2`` when purifying at ``t``.
    no_epp_value : float or ndarray
        Baseline without purification: the fresher pair (link 2) alone, idled from ``t1`` to ``t2``.
    start_value, end_value : float or ndarray
        Figure of merit when purifying at ``t1`` and at ``t2``.
    p_success : float or ndarray
        EPP success probability at the optimum.
    location : str or ndarray of str
        ``"start"``, ``"end"`` or ``"interior"``.
    fom : str
        Name of the figure of merit (with ``weighted``).
    weighted : bool
        Whether values include the success probability.
    baseline : str
        What purifying is compared with (see :func:`optimal_purification_time`).
    baseline_value : float or ndarray
        Figure of merit of the baseline at ``t2`` (``no_epp_value`` for the default ``"fresher"``).
    direction : str
        ``"maximize"`` or ``"minimize"``: the figure's direction, in which ``gain`` is taken.
    problem : str
        Identity of the :class:`PurificationTimeline` that produced the result.
    """

    t: Any
    value: Any
    no_epp_value: Any
    start_value: Any
    end_value: Any
    p_success: Any
    location: Any
    fom: str
    weighted: bool
    baseline: str = "fresher"
    baseline_value: Any = None
    direction: str = "maximize"
    problem: str = ""

    @property
    def gain(self):
        """What purifying at the optimal time adds over the baseline, in the figure's direction:
        ``value - baseline_value`` (``baseline_value - value`` for a figure that is better when lower)."""
        base = self.no_epp_value if self.baseline_value is None else self.baseline_value
        return (1.0 if self.direction == "maximize" else -1.0) * (self.value - base)

    @property
    def worth_purifying(self):
        """True where purifying at the optimal time beats the baseline."""
        return self.gain > 0

    @property
    def tied(self):
        """True where the optimum is not unique: an endpoint other than the optimum's own time scores within
        ``GAIN_ATOL`` (1e-12) of it (a flat figure, e.g. zero at every time, ties everywhere; ``t`` is then the
        earliest of the tied candidates).

        Examples
        --------
        >>> import qnet
        >>> qnet.optimal_purification_time(qnet.werner(0.4), qnet.werner(0.45), qnet.depolarizing_rates(1.0), 0.1,
        ...                                0.5, fom="log_negativity").tied   # separable inputs: 0 at every time
        True
        """
        v, loc = np.asarray(self.value), np.asarray(self.location)
        out = (((loc != "start") & (np.abs(np.asarray(self.start_value) - v) <= GAIN_ATOL))
               | ((loc != "end") & (np.abs(np.asarray(self.end_value) - v) <= GAIN_ATOL)))
        return bool(out) if out.ndim == 0 else out


# ---------------------------------------------------------------- probabilistic generation


@dataclass(frozen=True, repr=False)
class PolicyComparison(Result):
    """Expected performance of purification-time policies under probabilistic link generation.

    Attributes
    ----------
    expected_value : dict[str, float]
        Per policy, the expected figure of merit of the delivered pair, counting a failed EPP as 0.
    success_probability : dict[str, float]
        Per policy, the probability that a pair is delivered (1 for ``"none"``).
    truncation_error : float
        Upper bound on the error of every expected value from truncating the geometric sum (0 when the sum is finite).
    n_terms : int
        Number of link-2 arrival times summed over.
    fom : str
        The figure of merit compared.
    direction : str
        ``"maximize"`` or ``"minimize"``: the figure's direction.
    problem : str
        Identity of the :class:`PurificationTimeline` compared.
    """

    expected_value: dict
    success_probability: dict
    truncation_error: float
    n_terms: int
    fom: str = "fidelity"
    direction: str = "maximize"
    problem: str = ""

    @property
    def best(self) -> str:
        """The policy with the best expected value in the figure's direction."""
        sign = 1.0 if self.direction == "maximize" else -1.0
        return max(self.expected_value, key=lambda k: sign * self.expected_value[k])

    @property
    def conditional_value(self) -> dict:
        """Per policy, the expected figure of merit given that a pair is delivered."""
        return {k: self.expected_value[k] / self.success_probability[k] for k in self.expected_value}
