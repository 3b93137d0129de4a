"""Event-level Monte Carlo of the purification timeline in the Pauli frame (plain bilateral CNOT)."""

import numpy as np

from . import jit


@jit
def _jumps(rates, duration):
    """Pauli-frame error (index 2*x + z) from Poisson jump processes of one qubit over ``duration``."""
    err = 0
    if duration <= 0.0:
        return err
    if np.random.poisson(rates[0] * duration) % 2 == 1:
        err ^= 2  # X flips the bit
    if np.random.poisson(rates[1] * duration) % 2 == 1:
        err ^= 3  # Y flips both
    if np.random.poisson(rates[2] * duration) % 2 == 1:
        err ^= 1  # Z flips the phase
    return err


@jit
def _draw(cdf):
    u = np.random.random()
    for k in range(3):
        if u < cdf[k]:
            return k
    return 3


@jit
def simulate_policy(seed, cdf1, cdf2, rates1, rates2, t1, t2, t, has_second, purify):
    """Per shot: (success, delivered pair is Φ+) as uint8 arrays.

    ``cdf1``/``cdf2`` are cumulative Bell distributions of the links at heralding; link 1 idles from 0,
    link 2 from ``t1``; the EPP runs at ``t`` (if ``purify``) and the pair is consumed at ``t2``.
    Shots without a second link deliver link 1 at ``t2``.
    """
    np.random.seed(seed)
    n = t.shape[0]
    success = np.zeros(n, np.uint8)
    good = np.zeros(n, np.uint8)
    for s in range(n):
        i = _draw(cdf1)
        j = _draw(cdf2)
        if not has_second[s]:
            i ^= _jumps(rates1, t2[s]) ^ _jumps(rates1, t2[s])
            success[s] = 1
            good[s] = i == 0
            continue
        if not purify:
            j ^= _jumps(rates2, t2[s] - t1[s]) ^ _jumps(rates2, t2[s] - t1[s])
            success[s] = 1
            good[s] = j == 0
            continue
        i ^= _jumps(rates1, t[s]) ^ _jumps(rates1, t[s])
        j ^= _jumps(rates2, t[s] - t1[s]) ^ _jumps(rates2, t[s] - t1[s])
        if (i >> 1) != (j >> 1):  # the targets' Z outcomes disagree: discard
            continue
        out = (i & 2) | ((i ^ j) & 1)  # control keeps its bit flip and collects the target's phase flip
        out ^= _jumps(rates1, t2[s] - t[s]) ^ _jumps(rates1, t2[s] - t[s])
        success[s] = 1
        good[s] = out == 0
    return success, good
