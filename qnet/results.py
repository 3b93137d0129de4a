"""What every result type of qnet shares: a short ``repr`` and a JSON-able ``to_dict()``.

Results are frozen dataclasses; their arrays (delivery-time distributions of thousands of steps, batches
of states) are shown in ``repr`` by shape only, and ``to_dict()`` gives plain JSON data (lists, numbers,
strings; non-finite floats by name), e.g. to save a result next to a figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from . import _validation as _v
from .limits import MAX_PMF_LENGTH
from ._bell import BDS_MEASURES
from ._records import jsonable

__all__ = ["Result", "Heralded", "MonteCarloResult"]


def _short(value: Any) -> str:
    if isinstance(value, Result):
        return repr(value)
    if isinstance(value, np.ndarray):
        if value.size <= 4:
            return np.array2string(value, precision=6, separator=", ")
        return f"<array {value.shape} {value.dtype}>"
    if isinstance(value, (float, np.floating)):
        return f"{float(value):.6g}"
    if isinstance(value, (list, tuple, dict)) and len(value) > 6:
        return f"<{type(value).__name__} of {len(value)}>"
    return repr(value)


class Result:
    """Base of qnet's frozen result dataclasses: a short ``repr`` (arrays by shape) and ``to_dict()``.

    Examples
    --------
    >>> import qnet
    >>> r = qnet.chain_delivery(("swap",), 0.5, 1.0, 0.9, 100.0, t_trunc=2000)
    >>> len(repr(r)) < 400, isinstance(r, qnet.Result)
    (True, True)
    >>> import json
    >>> sorted(json.loads(json.dumps(r.to_dict())))[:3]
    ['coverage', 'cut_type', 'cutoff']
    """

    __slots__ = ()

    def to_dict(self) -> dict:
        """The result as plain JSON data (arrays as lists, non-finite floats by name)."""
        return jsonable(self)

    def __repr__(self) -> str:
        fields = getattr(self, "__dataclass_fields__", {})
        shown = [f"{k}={_short(getattr(self, k))}" for k, f in fields.items() if f.repr]
        return f"{type(self).__name__}({', '.join(shown)})"


class Heralded(NamedTuple):
    """What a heralded two-pair operation returns (:func:`qnet.purify`, :func:`qnet.swap`, :func:`qnet.swap_chain`).

    A named tuple, so ``state, p = qnet.purify(...)`` unpacks it.

    Attributes
    ----------
    state : numpy.ndarray
        The output pair, conditioned on success: Bell-diagonal ``batch + (4,)`` (float64) or a density
        matrix ``batch + (4, 4)`` (complex128).
    p_success : numpy.ndarray
        Success probability of the operation, float64 of shape ``batch`` (0-d for single states).

    Examples
    --------
    >>> import qnet
    >>> out = qnet.swap(qnet.werner(0.9), qnet.werner(0.9), bsm="linear_optics")
    >>> out.state.shape, float(out.p_success)
    ((4,), 0.5)
    """

    state: np.ndarray
    p_success: np.ndarray

    def to_dict(self) -> dict:
        """The result as plain JSON data."""
        return jsonable(self._asdict())


_Z95 = 1.959963984540054  # two-sided 95 % normal quantile


@dataclass(frozen=True, repr=False)
class MonteCarloResult(Result):
    """Samples of delivered pairs.

    Attributes
    ----------
    times : numpy.ndarray of int64, shape (n,)
        Delivery time step of each sample.
    states : numpy.ndarray, shape (n, 4)
        Delivered Bell-diagonal state of each sample.
    n_links : int
        Number of elementary links generated (heralded) in the run.
    seeds : tuple of int
        Seeds of the runs merged into this result.
    problem : str
        Identity of the simulated problem (the simulator and every parameter that decides its
        samples); runs merge with ``+`` only when it is the same.
    """

    times: np.ndarray
    states: np.ndarray
    n_links: int
    seeds: tuple = ()
    problem: str = ""

    def __add__(self, other: "MonteCarloResult") -> "MonteCarloResult":
        if not isinstance(other, MonteCarloResult):
            return NotImplemented
        if self.problem != other.problem:
            raise ValueError(f"cannot merge runs of different problems ({self.problem!r} and {other.problem!r}): "
                             "their samples come from different distributions")
        shared = {s for s in self.seeds if s is not None} & {s for s in other.seeds if s is not None}
        if shared:
            raise ValueError(f"cannot merge runs that share seeds {sorted(shared)}: their samples are identical, "
                             "and merging them would shrink the confidence intervals falsely")
        return MonteCarloResult(np.concatenate([self.times, other.times]), np.concatenate([self.states, other.states]),
                                self.n_links + other.n_links, self.seeds + other.seeds, self.problem)

    @property
    def n(self) -> int:
        return int(self.times.size)

    @property
    def mean_time(self) -> float:
        return float(self.times.mean())

    @property
    def mean_time_ci(self) -> tuple[float, float]:
        """95 % normal confidence interval of the mean delivery time."""
        h = _Z95 * float(self.times.std(ddof=1)) / float(np.sqrt(self.n))
        return self.mean_time - h, self.mean_time + h

    @property
    def mean_state(self) -> np.ndarray:
        return self.states.mean(axis=0)

    @property
    def mean_fidelity(self) -> float:
        return float(self.states[:, 0].mean())

    @property
    def mean_fidelity_ci(self) -> tuple[float, float]:
        """95 % normal confidence interval of the mean delivered fidelity."""
        h = _Z95 * float(self.states[:, 0].std(ddof=1)) / float(np.sqrt(self.n))
        return self.mean_fidelity - h, self.mean_fidelity + h

    @property
    def key_rate(self) -> float:
        """Plug-in estimate of the BB84 key rate per step, ``r(mean_state) / mean_time``."""
        return float(BDS_MEASURES["bb84_key_fraction"](self.mean_state)) / self.mean_time

    def pmf(self, t_max: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Histogram ``pmf[t]`` for ``t < t_max`` with 95 % Wilson score bounds ``(pmf, low, high)``.

        ``t_max`` is an integer in ``[1, MAX_PMF_LENGTH]``.
        """
        t_max = _v.integer(t_max, "t_max", 1, MAX_PMF_LENGTH)
        n = self.n
        z2 = _Z95**2

        def wilson(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            centre = (q + z2 / (2 * n)) / (1 + z2 / n)
            half = _Z95 * np.sqrt(q * (1 - q) / n + z2 / (4 * n * n)) / (1 + z2 / n)
            return np.maximum(centre - half, 0.0), np.minimum(centre + half, 1.0)

        # the bounds of the (usually many) empty bins are one pair of numbers: computed once, so the memory is the
        # three outputs, not a dozen temporaries of the window's length
        times = self.times[self.times < t_max]
        seen, counts = np.unique(times, return_counts=True)
        p = np.zeros(t_max)
        p[seen] = counts / n
        lo0, hi0 = wilson(np.zeros(1))
        low, high = np.full(t_max, lo0[0]), np.full(t_max, hi0[0])
        low[seen], high[seen] = wilson(p[seen])
        return p, low, high
