"""Swap-as-soon-as-possible Monte Carlo of linear chains (numba): :func:`simulate_swap_asap`.

Links are not grouped into levels: every step each segment with two free memories attempts a link and every node
that holds two links swaps at once. The Monte Carlo of the nested protocols of :mod:`qnet.chains` (the
independent check of its exact distributions) is :meth:`qnet.RepeaterChain.simulate`, with the function tier
:func:`qnet.simulate_chain`. Results carry 95 % confidence intervals and merge with ``+`` (same model, different
seeds).
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from . import _validation as _v
from ._kernels import lazy
from .results import MonteCarloResult
from .limits import MAX_STEPS, MAX_SWAP_LEVELS
from ._bell import bds_from_wht, component_rates, wht
from ._arguments import pauli_rate_array

_k = lazy("montecarlo")

__all__ = ["simulate_swap_asap"]


def simulate_swap_asap(
    p_gen: Any,
    p_swap: float,
    link_state: Any,
    memory: Any,
    cutoff: int | None = None,
    *,
    n_segments: int | None = None,
    n_samples: int = 100_000,
    seed: int = 0,
    max_steps: int = 10**8,
) -> MonteCarloResult:
    """Time-stepped Monte Carlo of swap-as-soon-as-possible on a linear chain (any number of segments).

    Unlike the nested protocols of :func:`qnet.chain_delivery`, links are not grouped in levels:
    every step each segment with two free memories attempts a link, and every node that holds
    two links swaps at once. A link is discarded when its older qubit has been stored more than
    ``cutoff`` steps. A sample ends at the first end-to-end pair; the chain then restarts empty.
    For two segments this is exactly the model of ``chain_delivery(("swap",), ...)`` with a
    memory-time cut-off; without cut-offs and with ``p_swap = 1`` the delivery time is the
    maximum of the segments' geometric times.

    Parameters
    ----------
    p_gen : float or array_like
        Link success probability per step, one value or one per segment, in (0, 1].
    p_swap : float
        Swap success probability in (0, 1]; a failed swap loses both links.
    link_state : array_like, shape (4,) or (n, 4)
        Bell-diagonal state of a fresh link.
    memory : array_like, shape (3,) or (n + 1, 3), or PauliMemory
        Pauli rates per step of each node's memories.
    cutoff : int, optional
        Memory-time cut-off in steps (``None``: no cut-off).
    n_segments : int, optional
        Number of segments when every argument is given once.
    n_samples : int
        Number of delivered pairs.
    seed : int, numpy.random.Generator, SeedSequence or None
        Seed (qnet's one seed rule); equal seeds give equal samples.
    max_steps : int
        Guard against runs that never deliver (``ValueError`` when a sample needs more steps).

    Examples
    --------
    >>> import qnet
    >>> mc = qnet.simulate_swap_asap(0.5, 1.0, qnet.werner(1.0), [0, 0, 0], n_segments=3, n_samples=20000, seed=3)
    >>> lo, hi = mc.mean_time_ci                # E[max of 3 Geometric(1/2)] = 22/7
    >>> bool(lo < 22 / 7 < hi)
    True
    """
    p = _v.probability(p_gen, "p_gen", zero_ok=False)
    if n_segments is not None:
        n_segments = _v.integer(n_segments, "n_segments", 1, 2**MAX_SWAP_LEVELS)
    lam = _v.bds(link_state, "link_state")
    rates = pauli_rate_array(memory, "memory")
    for name, arr, most in (("p_gen", p, 1), ("link_state", lam, 2), ("memory", rates, 2)):
        if arr.ndim > most:
            raise ValueError(f"{name} must be one value or one per segment{' (node)' if name == 'memory' else ''} "
                             f"(at most {most} axis{'es' if most > 1 else ''}), got shape {arr.shape}")
    sizes = {a.shape[0] for a in (p,) if a.ndim == 1} | {a.shape[0] for a in (lam,) if a.ndim == 2} \
        | {a.shape[0] - 1 for a in (rates,) if a.ndim == 2}
    if n_segments is not None:
        sizes.add(int(n_segments))
    if len(sizes) > 1:
        raise ValueError(f"p_gen, link_state, memory and n_segments describe different chain lengths: {sorted(sizes)}")
    n = sizes.pop() if sizes else 1
    p = np.broadcast_to(p, (n,)).astype(float)
    lam = np.broadcast_to(lam, (n, 4))
    rates = np.broadcast_to(rates, (n + 1, 3))
    ps = _v.scalar(_v.probability, p_swap, "p_swap", zero_ok=False)
    if cutoff is None:
        tau = 2**62
    else:
        c = _v.nonnegative(cutoff, "cutoff")
        if c.ndim != 0 or float(c) != int(c):
            raise ValueError(f"cutoff must be a whole number of steps, got {cutoff!r}")
        tau = int(c)
    max_steps = _v.integer(max_steps, "max_steps", 1, MAX_STEPS)
    n_samples, seed = _v.n_samples(n_samples), _v.seed_int(seed)
    # A sample ends within max_steps only if every segment succeeds at least once (probability <= max_steps * p)
    # and, with swaps, one of at most (n - 1) * max_steps swap attempts succeeds: refuse hopeless runs at once.
    reach = min(1.0, max_steps * float(p.min()), (n - 1) * max_steps * ps if n > 1 else 1.0)
    if reach < 1e-9:
        raise ValueError(f"a sample ends within max_steps={max_steps} steps with probability <= {reach:.3g}: the chain "
                         f"(almost) never delivers with these parameters (p_gen, p_swap)")
    times = np.empty(n_samples, dtype=np.int64)
    states = np.empty((n_samples, 4))
    n_links = _k.swap_asap(n_samples, np.ascontiguousarray(p), np.ascontiguousarray(wht(np.asarray(lam))),
                           np.ascontiguousarray(component_rates(np.asarray(rates))), ps, tau, seed, int(max_steps),
                           times, states)
    if n_links < 0:
        raise ValueError(f"a sample needed more than max_steps={max_steps} steps; the chain (almost) never delivers "
                         f"with these parameters (p_gen, p_swap, cutoff too short?)")
    out = bds_from_wht(states)
    problem = hashlib.sha256(b"".join(np.ascontiguousarray(a, dtype=np.float64).tobytes()
                                      for a in (p, lam, rates, [ps, tau]))).hexdigest()[:16]
    return MonteCarloResult(times, out, int(n_links), (seed,), f"swap-asap:{n}:{problem}")
