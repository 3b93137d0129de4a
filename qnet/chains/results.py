"""What the exact chain engine returns: :class:`ChainDelivery`, and :class:`CutoffOptimum` for its optimizer."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..results import Result
from ..schedules import Schedule
from .._bell import BDS_MEASURES

__all__ = ["ChainDelivery", "CutoffOptimum"]

# ---------------------------------------------------------------- results

@dataclass(frozen=True, repr=False)
class ChainDelivery(Result):
    """Delivery-time distribution and delivered states of a repeater chain.

    Attributes
    ----------
    pmf : numpy.ndarray, shape (t_trunc,)
        ``pmf[t]`` = probability that the end-to-end pair is delivered at time step ``t``
        (``pmf[0] = 0``). Sums to ``1 - truncation_error``.
    state : numpy.ndarray, shape (t_trunc, 4)
        Bell-diagonal state ``[Φ+, Φ−, Ψ+, Ψ−]`` delivered at step ``t`` (mean over the histories
        that deliver at ``t``); NaN where ``pmf[t] <= 1e-10 * max(pmf)``, where FFT round-off
        would dominate the ratio.
    mean_time : float
        Mean delivery time in steps, over the computed window (``sum t pmf / sum pmf``).
    mean_state : numpy.ndarray, shape (4,)
        Delivered state averaged over the delivery time.
    mean_fidelity : float
        ``mean_state[0]``.
    key_rate : float
        Asymptotic BB84 secret-key rate per time step, ``r(mean_state) / mean_time`` with
        ``r = max(0, 1 - h(e_x) - h(e_z))`` (base-2 entropies; Li et al.'s figure of merit).
    coverage, truncation_error : float
        ``sum(pmf)`` and ``1 - sum(pmf)`` (probability delivered at or after ``t_trunc``).
    schedule, cutoff, cut_type : the schedule and cut-offs that were evaluated.
    problem : str
        Identity of the :class:`RepeaterChain` evaluated (:attr:`RepeaterChain.identity`).
    time_step : float or None
        Seconds per time step when the chain came from a network (:func:`qnet.path_delivery`), else None; then
        :attr:`mean_time_s` and :attr:`key_rate_hz` give the results in seconds.
    joint : numpy.ndarray, shape (t_trunc, 4)
        Raw ``pmf[t] * wht(state[t])`` (Walsh–Hadamard components of the delivered state times the
        delivery probability, before clipping); the input of a further level.
    """

    pmf: np.ndarray
    state: np.ndarray
    mean_time: float
    mean_state: np.ndarray
    mean_fidelity: float
    key_rate: float
    coverage: float
    truncation_error: float
    schedule: Schedule | None = None
    cutoff: tuple = ()
    cut_type: str = "memory_time"
    problem: str = ""
    joint: np.ndarray = field(default=None, repr=False)
    time_step: float | None = None

    def _seconds(self) -> float:
        if self.time_step is None:
            raise ValueError("this delivery is in time steps only (it did not come from a network with a time step); "
                             "multiply by your attempt duration")
        return self.time_step

    @property
    def mean_time_s(self) -> float:
        """Mean delivery time in seconds (chains built from a network)."""
        return self.mean_time * self._seconds()

    @property
    def key_rate_hz(self) -> float:
        """Secret-key bits per second (chains built from a network)."""
        return self.key_rate / self._seconds()

    @property
    def t_trunc(self) -> int:
        """Length of the time window."""
        return int(self.pmf.shape[0])

    @property
    def cdf(self) -> np.ndarray:
        """Cumulative delivery probability."""
        return np.cumsum(self.pmf)

    @property
    def werner(self) -> np.ndarray:
        """Werner parameter ``(4F - 1)/3`` of the state delivered at each step (NaN where undefined)."""
        return (4.0 * self.state[:, 0] - 1.0) / 3.0

    @property
    def fidelity(self) -> np.ndarray:
        """Fidelity of the state delivered at each step."""
        return self.state[:, 0]

    @property
    def key_rate_per_pair(self) -> float:
        """BB84 secret-key rate per time step counting each pair's own key fraction: ``E[r(state_t)] / mean_time``
        (the average over delivery times of the per-pair fractions; :attr:`key_rate` is Li et al.'s and La Corte et
        al.'s convention, the fraction of the average delivered state). ``r = max(0, 1 - h(e_x) - h(e_z))`` is convex
        in the state (``h`` is concave, the error rates linear), so by Jensen ``key_rate_per_pair >= key_rate``.

        Steps whose state is not resolved (``pmf`` below ``1e-10`` of its maximum) count with key fraction 0.
        """
        ok = ~np.isnan(self.state[:, 0])
        frac = BDS_MEASURES["bb84_key_fraction"](self.state[ok])
        return float(np.dot(self.pmf[ok], frac) / self.coverage) / self.mean_time


@dataclass(frozen=True, repr=False)
class CutoffOptimum(Result):
    """Result of :func:`optimize_cutoff`: the best cut-offs, the figure of merit there, and the delivery
    (whose ``problem`` is the identity of the chain with the best cut-offs).

    ``at_bound`` says that a cut-off of the optimum sits on a bound of the search interval (the optimum may lie
    beyond it: widen ``bounds``); ``scan`` holds the uniform cut-offs of the bracketing scan and their values
    (0 where a candidate does not deliver within ``t_trunc`` and ``tol``); ``uncovered`` lists the candidates
    whose distribution the window ``t_trunc`` did not cover within ``tol`` (scored 0: a longer window may find a
    better optimum among them).
    """

    cutoff: tuple
    value: float
    delivery: ChainDelivery
    n_evaluations: int
    at_bound: bool = False
    scan: tuple = ()
    uncovered: tuple = ()
