"""Independent trajectories of a network simulation (engine tier of :mod:`qnet.networks`): deliveries and seeds per
trajectory, and running them on an optional :class:`concurrent.futures.Executor`."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

import numpy as np

__all__: list[str] = []


def split_trajectories(n_deliveries: int, trajectories: int, seed: int) -> tuple[np.ndarray, list[int]]:
    """Deliveries per trajectory (as equal as possible, the first ones one more) and each trajectory's seed,
    spawned from ``seed``: the numbers do not depend on how trajectories are spread over workers (engine tier)."""
    shares = np.full(trajectories, n_deliveries // trajectories)
    shares[: n_deliveries % trajectories] += 1
    return shares, [int(s) for s in np.random.SeedSequence(seed).generate_state(trajectories)]


def run_trajectories(fn: Callable[..., Any], jobs: list[tuple], executor: Executor | None) -> list:
    """``fn(*job)`` for every job, in order, on ``executor`` when one is given (engine tier)."""
    return list(executor.map(fn, *zip(*jobs))) if executor is not None else [fn(*job) for job in jobs]
