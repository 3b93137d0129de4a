"""The event simulator's queue: one float64 heap of rows ``(time, priority * 2**50 + sequence, kind, target,
version)``, ordered by time, then priority, then insertion (compiled; private, unvalidated)."""

from __future__ import annotations

import numpy as np

from . import jit

_PRI = float(2**50)
#: The columns of an event's row.
TIME_COLUMN, KEY_COLUMN, KIND_COLUMN, TARGET_COLUMN, VERSION_COLUMN = range(5)


@jit(inline="always")
def _before(H, i, j):
    """Event order: time, then priority, then insertion (column 1 holds ``priority * 2**50 + sequence``)."""
    return H[i, 0] < H[j, 0] or (H[i, 0] == H[j, 0] and H[i, 1] < H[j, 1])


@jit
def push(H, n, seq, t, pri, kind, target, ver):
    """Insert an event; returns the heap (a larger copy when full), its size and the next sequence number."""
    if n == H.shape[0]:
        H2 = np.empty((2 * n, 5))
        for i in range(n):  # a loop, not H2[:n] = H: a slice assignment compiles numba's shape-error formatting (~5 s)
            for k in range(5):
                H2[i, k] = H[i, k]
        H = H2
    key = pri * _PRI + seq
    i = n
    while i > 0:  # move parents down into the hole until the new event's place is found
        up = (i - 1) // 2
        if H[up, 0] < t or (H[up, 0] == t and H[up, 1] < key):
            break
        for k in range(5):
            H[i, k] = H[up, k]
        i = up
    H[i, 0] = t
    H[i, 1] = key
    H[i, 2] = kind
    H[i, 3] = target
    H[i, 4] = ver
    return H, n + 1, seq + 1.0


@jit(inline="always")
def pop(H, n, row):
    """Remove the first event into ``row``; ``n`` is the size before the call."""
    for k in range(5):
        row[k] = H[0, k]
    n -= 1
    if n == 0:
        return
    # sift the last event down from the root's hole
    i = 0
    while True:
        c = 2 * i + 1
        if c >= n:
            break
        if c + 1 < n and _before(H, c + 1, c):
            c += 1
        if H[n, 0] < H[c, 0] or (H[n, 0] == H[c, 0] and H[n, 1] < H[c, 1]):
            break
        for k in range(5):
            H[i, k] = H[c, k]
        i = c
    for k in range(5):
        H[i, k] = H[n, k]
