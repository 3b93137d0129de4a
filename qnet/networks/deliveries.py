"""What a network simulation delivered: per request the delivery times and states, with their statistics, and the
whole run's counters (the results of :func:`qnet.simulate_network`, whichever engine ran it).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import _validation as _v
from ..results import Result
from .._bell import bds_to_dm, pauli_to_dm
from .._records import csv_text, replacing

__all__ = ["RequestDeliveries", "NetworkSimulation"]

_Z95 = 1.959963984540054


@dataclass(frozen=True, repr=False)
class RequestDeliveries(Result):
    """The deliveries of one request.

    Attributes
    ----------
    source, target, path
        The user pair and the path it was served on.
    times : numpy.ndarray, shape (n,)
        Delivery time of each pair (seconds): from the start of the attempt cycle that made it (the
        previous delivery of its protocol instance, or the start) until both ends know the pair.
    completed_at : numpy.ndarray, shape (n,)
        When each pair was delivered (seconds; trajectories follow one another).
    states : numpy.ndarray, shape (n, 4)
        Delivered Bell-diagonal states ``[Φ+, Φ−, Ψ+, Ψ−]`` at delivery (in the density-matrix mode, the diagonal
        of each pair in the Bell basis: its Pauli twirl, with the same fidelity).
    attempts, failed_operations, discarded
        Link attempts made, swaps or distillations that failed, cut-offs that discarded pairs.
    active_time : float
        Seconds from each trajectory's start to the request's last delivery, summed over trajectories.
    pauli : numpy.ndarray, shape (n, 16), or None
        In the density-matrix mode, each delivered pair's Pauli coefficients ``Tr(ρ P ⊗ Q)`` (``P, Q`` in ``I, X, Y,
        Z``, qubit A first); None in the Bell-diagonal mode. :attr:`density_matrices` reads them.
    """

    source: Any
    target: Any
    path: tuple
    times: np.ndarray
    completed_at: np.ndarray
    states: np.ndarray
    attempts: int
    failed_operations: int
    discarded: int
    active_time: float
    pauli: np.ndarray | None = None

    @property
    def density_matrices(self) -> np.ndarray:
        """Every delivered pair's density matrix, shape (n, 4, 4) (from :attr:`states` in the Bell-diagonal mode)."""
        return bds_to_dm(self.states) if self.pauli is None else pauli_to_dm(self.pauli)

    @property
    def n(self) -> int:
        """Number of deliveries."""
        return int(self.times.size)

    @property
    def fidelities(self) -> np.ndarray:
        """Fidelity of every delivered pair."""
        return self.states[:, 0]

    @property
    def mean_fidelity(self) -> float:
        return float(self.states[:, 0].mean())

    @property
    def mean_time(self) -> float:
        """Mean delivery time (s)."""
        return float(self.times.mean())

    @property
    def mean_fidelity_ci(self) -> tuple[float, float]:
        """95 % normal confidence interval of the mean fidelity."""
        return _ci(self.states[:, 0])

    @property
    def mean_time_ci(self) -> tuple[float, float]:
        """95 % normal confidence interval of the mean delivery time (s)."""
        return _ci(self.times)

    @property
    def throughput_hz(self) -> float:
        """Delivered pairs per second while the request was served."""
        return float(self.n / self.active_time)

    def latency_percentiles(self, q: Sequence[float] = (50, 90, 99)) -> np.ndarray:
        """Percentiles (in %) of the delivery time (s)."""
        q = _v.nonnegative(q, "q")
        if np.any(q > 100):
            raise ValueError(f"percentiles q must be in [0, 100], got {q.tolist()}")
        return np.percentile(self.times, q)


def _ci(x: np.ndarray) -> tuple[float, float]:
    m = float(x.mean())
    h = _Z95 * float(x.std(ddof=1)) / math.sqrt(x.size) if x.size > 1 else math.inf
    return m - h, m + h


@dataclass(frozen=True, repr=False)
class NetworkSimulation(Result):
    """Result of :func:`simulate_network`.

    Attributes
    ----------
    requests : tuple of RequestDeliveries
        One per request, in the order given.
    events : int
        Events processed (link successes, operation outcomes, slot releases, cut-offs).
    duration : float
        Simulated seconds, summed over trajectories.
    utilisation : dict
        Mean fraction of each node's memory slots in use over the simulated time.
    classical_delay : bool
        Whether messages and heralds took time.
    seeds : tuple of int
        Seed of every trajectory.
    problem : str
        Identity of the scenario (network, paths, protocols, policies; not the seed).
    deferred_links : tuple
        Links ``(u, v)`` whose policy distillations wait until their output is needed.
    form : str
        ``"bds"`` or ``"dm"``: how the pairs were carried (see :func:`simulate_network`).
    """

    requests: tuple
    events: int
    duration: float
    utilisation: dict
    classical_delay: bool
    seeds: tuple
    problem: str
    deferred_links: tuple = ()
    form: str = "bds"

    def to_csv(self, path: Any) -> Path:
        """Write one row per delivery (request, source, target, time, completed_at, fidelity, state) to ``path``.

        Examples
        --------
        >>> import qnet, tempfile, pathlib
        >>> G = qnet.ring_network(4, 10.0, p_gen=0.5, w0=0.95)
        >>> res = qnet.simulate_network(G, [(0, 2)], n_deliveries=20, seed=1)
        >>> out = res.to_csv(pathlib.Path(tempfile.mkdtemp()) / "deliveries.csv")
        >>> len(out.read_text().splitlines())
        21
        """
        path = Path(path)
        with replacing(path, "w", newline="") as fh:  # the file whole, or the old one untouched
            w = csv.writer(fh)
            w.writerow(["request", "source", "target", "time_s", "completed_at_s", "fidelity",
                        "phi_plus", "phi_minus", "psi_plus", "psi_minus"])
            for i, r in enumerate(self.requests):
                for t, c, s in zip(r.times, r.completed_at, r.states):
                    w.writerow([i, _label(r.source), _label(r.target), repr(float(t)), repr(float(c)),
                                repr(float(s[0])), *(repr(float(x)) for x in s)])
        return path


def _label(node: Any) -> Any:
    """A node label as a CSV cell: numbers as numbers, anything else as text a spreadsheet cannot run."""
    return node if isinstance(node, (int, float, np.integer, np.floating)) else csv_text(str(node))
