"""Memory pools of the event simulator (``qnet._kernels.events``): slots held and freed, the slot-seconds they are
held, and which waiting link gets free slots first (round-robin or priority order of the requests); a link
that gets its two slots starts its attempts (compiled; private, unvalidated, never raises).

The functions take the event loop's context (``events._Ctx``) and its queue ``H, n, seq`` (:mod:`.heap`).
"""

from __future__ import annotations

import numpy as np

from . import ONE, ZERO, jit
from .codes import (
    ATTEMPTING, ATTEMPTS, CAPACITY, EV_FREE, EV_LINK, FREE, LAST_SERVED, LOGQ, MARK, ORDER, POOLA, POOLB, PRIORITY,
    REQ, ROUND_ROBIN, SINCE, SLOT_SECONDS, STAMP, STATUS, TAU, VERSION, WAITING, WAITING_SINCE
)
from .heap import push

_NONE = np.int64(-1)  # no link (typed, as ZERO)


@jit(inline="always")
def account(ctx, p, t):
    """Add pool ``p``'s slot-seconds held since its last change, up to ``t``."""
    pool = ctx.pool
    pool[p, SLOT_SECONDS] += (pool[p, CAPACITY] - pool[p, FREE]) * (t - pool[p, SINCE])
    pool[p, SINCE] = t


@jit(inline="always")
def _prefer(ctx, g, h):
    """Whether waiting link ``g`` gets slots before ``h``."""
    SI, DF, prio, cfg = ctx.SI, ctx.DF, ctx.prio, ctx.cfg
    rg = SI[g, REQ]
    rh = SI[h, REQ]
    if cfg[ORDER] == PRIORITY and prio[rg] != prio[rh]:
        return prio[rg] < prio[rh]
    if cfg[ORDER] == ROUND_ROBIN and rg != rh:
        last = cfg[LAST_SERVED]
        big = 1 << 40  # requests after the last one served come first, cyclically
        dg = rg - last if rg > last else rg - last + big
        dh = rh - last if rh > last else rh - last + big
        return dg < dh
    if DF[g, WAITING_SINCE] != DF[h, WAITING_SINCE]:
        return DF[g, WAITING_SINCE] < DF[h, WAITING_SINCE]
    return g < h


@jit
def _start(ctx, g, t, H, n, seq):
    """Give link ``g`` a slot at each end and draw its attempts until success."""
    SI, SF, DI, pool, cfg, stats = ctx.SI, ctx.SF, ctx.DI, ctx.pool, ctx.cfg, ctx.stats
    pa = SI[g, POOLA]
    pb = SI[g, POOLB]
    account(ctx, pa, t)
    account(ctx, pb, t)
    pool[pa, FREE] -= 1
    pool[pb, FREE] -= 1
    cfg[LAST_SERVED] = SI[g, REQ]
    # attempts until success: Geometric(p) by inversion, SF[g, LOGQ] = log(1 - p) (0 when p = 1)
    k = 1.0
    if SF[g, LOGQ] < 0.0:
        k += np.floor(np.log(1.0 - np.random.random()) / SF[g, LOGQ])
    stats[SI[g, REQ], ATTEMPTS] += int(k)
    DI[g, STATUS] = ATTEMPTING
    return push(H, n, seq, t + k * SF[g, TAU], 0.0, EV_LINK, g, DI[g, VERSION])


@jit(inline="always")
def _eligible(ctx, g):
    SI, DI, pool = ctx.SI, ctx.DI, ctx.pool
    return DI[g, STATUS] == WAITING and pool[SI[g, POOLA], FREE] > 0 and pool[SI[g, POOLB], FREE] > 0


@jit
def dispatch(ctx, n_pools, t, H, n, seq):
    """Give free slots of the pools ``scratch[:n_pools]`` to waiting links, one at a time, always to the link that
    comes first in the request order among all links waiting at any of these pools whose two pools are free.

    FIFO and priority orders do not change as links start, so the candidates are sorted once and started in
    that order while they stay eligible (a start only takes slots); round-robin re-ranks after every start."""
    DI, pool, pptr, pleaf, cfg, cand = ctx.DI, ctx.pool, ctx.pool_ptr, ctx.pool_leaf, ctx.cfg, ctx.cand
    scratch = ctx.scratch
    cfg[STAMP] += 1
    m = ZERO
    for i in range(n_pools):
        p = scratch[i]
        if pool[p, FREE] <= 0:
            continue
        for j in range(pptr[p], pptr[p + 1]):
            g = pleaf[j]
            if DI[g, MARK] != cfg[STAMP] and _eligible(ctx, g):
                DI[g, MARK] = cfg[STAMP]
                cand[m] = g
                m += 1
    if cfg[ORDER] == ROUND_ROBIN:
        while True:
            best = _NONE
            for i in range(m):
                g = cand[i]
                if _eligible(ctx, g) and (best < 0 or _prefer(ctx, g, best)):
                    best = g
            if best < 0:
                return H, n, seq
            H, n, seq = _start(ctx, best, t, H, n, seq)
    for i in range(1, m):  # insertion sort: few candidates
        g = cand[i]
        j = i - 1
        while j >= 0 and _prefer(ctx, g, cand[j]):
            cand[j + 1] = cand[j]
            j -= 1
        cand[j + 1] = g
    for i in range(m):
        if _eligible(ctx, cand[i]):
            H, n, seq = _start(ctx, cand[i], t, H, n, seq)
    return H, n, seq


@jit(inline="always")
def free_slot(ctx, p, t):
    """Pool ``p`` gets one slot back at ``t`` (not handed out: see :func:`free_at`)."""
    account(ctx, p, t)
    ctx.pool[p, FREE] += 1


@jit
def free_at(ctx, p, when, t, H, n, seq):
    """Free one slot of pool ``p`` at ``when`` (now if ``when <= t``, else by an event) and dispatch it (a call,
    not inlined: the operations of the event loop call it from a dozen places, each typed and compiled again)."""
    if when <= t:
        free_slot(ctx, p, t)
        ctx.scratch[0] = p
        return dispatch(ctx, ONE, t, H, n, seq)
    return push(H, n, seq, when, 0.0, EV_FREE, p, ZERO)
