"""Compiled discrete-event loop of the network simulator (``qnet.events``; private, unvalidated, never raises).

Every request instance is a protocol tree laid out in post-order, so the subtree of node ``g`` is the index
range ``[S_I[g, LO], g]``. Leaves are elementary links (a geometric number of attempts of fixed duration
between two memory pools), inner nodes are swaps or distillations whose two inputs must be ready. States are
Walsh–Hadamard vectors (component 0 = 1) that decay as ``exp(-c dt)`` with the per-second rates ``c`` of the
pair's two end nodes. Memory slots are counted per pool (one pool per node, or per node and neighbour).

Events are rows of one float64 heap ``(time, priority, sequence, kind, target, version)``; ordering is by
time, then priority (state changes before cut-offs, so a pair that arrives exactly at a deadline is kept,
as in the chain model), then insertion. An event whose target's version changed since it was scheduled is
stale and skipped.
"""

from __future__ import annotations

import numpy as np

from . import jit

LINK, SWAP, DISTILL = 0, 1, 2
NO_CUT, MEMORY_TIME, RUN_TIME = -1, 0, 2

# static integer fields of a tree node
KIND, CHA, CHB, PARENT, REQ, INST, POOLA, POOLB, LO, CUT, DIDX = range(11)
N_SI = 11
# static float fields
P, TAU, EMIT, OUTD, DFA, DFB, CUTV, C0, HAT0, MINF = 0, 1, 2, 3, 4, 5, 6, 7, 11, 15
N_SF = 16
# dynamic status of a tree node
EMPTY, WAITING, ATTEMPTING, READY, USED, PENDING_OK, PENDING_FAIL, RETIRED = range(8)
# event kinds
EV_LINK, EV_OP, EV_FREE, EV_CUT, EV_RUN = range(5)
# request ordering
FIFO, ROUND_ROBIN, PRIORITY = 0, 1, 2
# return codes
DONE, STALLED, TOO_MANY_EVENTS = 0, 1, 2


@jit
def _before(H, i, j):
    if H[i, 0] != H[j, 0]:
        return H[i, 0] < H[j, 0]
    if H[i, 1] != H[j, 1]:
        return H[i, 1] < H[j, 1]
    return H[i, 2] < H[j, 2]


@jit
def _push(H, n, t, pri, seq, kind, target, ver):
    """Insert an event; returns the heap (a larger copy when full)."""
    if n == H.shape[0]:
        H2 = np.empty((2 * n, 6))
        H2[:n] = H
        H = H2
    H[n, 0] = t
    H[n, 1] = pri
    H[n, 2] = seq
    H[n, 3] = kind
    H[n, 4] = target
    H[n, 5] = ver
    i = n
    while i > 0:
        up = (i - 1) // 2
        if _before(H, i, up):
            for k in range(6):
                H[i, k], H[up, k] = H[up, k], H[i, k]
            i = up
        else:
            break
    return H


@jit
def _pop(H, n, row):
    """Remove the first event into ``row``; ``n`` is the size before the call."""
    for k in range(6):
        row[k] = H[0, k]
    n -= 1
    if n > 0:
        for k in range(6):
            H[0, k] = H[n, k]
        i = 0
        while True:
            a = 2 * i + 1
            if a >= n:
                break
            b = a + 1
            c = b if (b < n and _before(H, b, a)) else a
            if _before(H, c, i):
                for k in range(6):
                    H[i, k], H[c, k] = H[c, k], H[i, k]
                i = c
            else:
                break


@jit
def _account(pool, t, cap, free, busy, last):
    """Add the slot-seconds used in ``pool`` since its last change."""
    busy[pool] += (cap[pool] - free[pool]) * (t - last[pool])
    last[pool] = t


@jit
def _idle(SF, DF, g, t):
    """Decay node ``g``'s stored state from its reference time to ``t``."""
    dt = t - DF[g, 0]
    if dt > 0.0:
        for k in range(1, 4):
            DF[g, 3 + k] *= np.exp(-SF[g, C0 + k] * dt)
    DF[g, 0] = t


@jit
def _fidelity(DF, g):
    return 0.25 * (DF[g, 3] + DF[g, 4] + DF[g, 5] + DF[g, 6])


@jit
def simulate(SI, SF, Dtab, inst_root, inst_lo, inst_req, pool_cap, pool_ptr, pool_leaf, req_target, req_prio,
             order, seed, max_events, out_wait, out_time, out_state, stats_req, pool_busy):
    """Run until every request has ``req_target[r]`` deliveries.

    Outputs: ``out_wait[r, k]`` time from the start of the instance's attempt cycle to delivery, ``out_time``
    the absolute delivery time, ``out_state[r, k]`` the delivered state (WHT); ``stats_req[r]`` = (deliveries,
    link attempts, operation failures, cut-off discards); ``pool_busy[p]`` slot-seconds used. Returns
    ``(code, events, end time)``.
    """
    np.random.seed(seed)
    M = SI.shape[0]
    n_inst = inst_root.shape[0]
    n_pool = pool_cap.shape[0]
    n_req = req_target.shape[0]
    DI = np.zeros((M, 2), dtype=np.int64)  # status, version
    DF = np.zeros((M, 8))  # tref, tready, wait_since, state[4] (WHT), rounds
    free = pool_cap.copy()
    last = np.zeros(n_pool)
    rr = np.full(n_pool, -1, dtype=np.int64)
    inst_start = np.zeros(n_inst)
    H = np.empty((4 * M + 64, 6))
    n = 0
    seq = 0.0
    row = np.empty(6)
    a = np.empty(4)
    b = np.empty(4)
    o = np.empty(4)
    pending = 0
    for r in range(n_req):
        if req_target[r] > 0:
            pending += 1
    for g in range(M):
        DI[g, 0] = WAITING if SI[g, KIND] == LINK else EMPTY
    # start: every run-time cut-off clock, then every leaf asks for its slots (in index order)
    for g in range(M):
        if SI[g, KIND] != LINK and SI[g, CUT] == RUN_TIME:
            H = _push(H, n, SF[g, CUTV], 1.0, seq, EV_RUN, g, DI[g, 1])
            n += 1
            seq += 1.0
    events = 0
    t = 0.0
    # ready queue of nodes whose output became known (processed right away, in order)
    todo = np.empty(M, dtype=np.int64)
    for pl in range(n_pool):
        H, n, seq = _dispatch(pl, t, SI, SF, DI, DF, free, last, pool_cap, pool_busy, pool_ptr, pool_leaf, rr,
                              req_prio, order, H, n, seq, stats_req)
    while pending > 0:
        if n == 0:
            return STALLED, events, t
        if events >= max_events:
            return TOO_MANY_EVENTS, events, t
        _pop(H, n, row)
        n -= 1
        t = row[0]
        kind = int(row[3])
        g = int(row[4])
        ver = int(row[5])
        if kind == EV_FREE:
            events += 1
            _account(g, t, pool_cap, free, pool_busy, last)
            free[g] += 1
            H, n, seq = _dispatch(g, t, SI, SF, DI, DF, free, last, pool_cap, pool_busy, pool_ptr, pool_leaf, rr,
                                  req_prio, order, H, n, seq, stats_req)
            continue
        if DI[g, 1] != ver:
            continue  # stale
        events += 1
        nt = 0
        if kind == EV_LINK:
            if DI[g, 0] != ATTEMPTING:
                continue
            DI[g, 0] = READY
            DF[g, 0] = t - SF[g, EMIT]
            DF[g, 1] = t
            for k in range(4):
                DF[g, 3 + k] = SF[g, HAT0 + k]
            todo[nt] = g
            nt += 1
        elif kind == EV_OP:
            if DI[g, 0] == PENDING_OK:
                DI[g, 0] = READY
                DF[g, 1] = t
                todo[nt] = g
                nt += 1
            elif DI[g, 0] == PENDING_FAIL:
                stats_req[SI[g, REQ], 2] += 1
                H, n, seq = _reset(SI[g, CHA], t, SI, SF, DI, DF, free, last, pool_cap, pool_busy, pool_ptr,
                                   pool_leaf, rr, req_prio, order, H, n, seq, stats_req)
                H, n, seq = _reset(SI[g, CHB], t, SI, SF, DI, DF, free, last, pool_cap, pool_busy, pool_ptr,
                                   pool_leaf, rr, req_prio, order, H, n, seq, stats_req)
                DI[g, 0] = EMPTY
                DI[g, 1] += 1
                if SI[g, CUT] == RUN_TIME:
                    H = _push(H, n, t + SF[g, CUTV], 1.0, seq, EV_RUN, g, DI[g, 1])
                    n += 1
                    seq += 1.0
            if nt == 0:
                continue
        elif kind == EV_CUT:
            # memory-time cut-off: g is a ready input still waiting for its sibling; both inputs restart
            p = SI[g, PARENT]
            if DI[g, 0] != READY or DI[p, 0] != EMPTY:
                continue
            stats_req[SI[g, REQ], 3] += 1
            H, n, seq = _restart_op(p, t, SI, SF, DI, DF, free, last, pool_cap, pool_busy, pool_ptr, pool_leaf, rr,
                                    req_prio, order, H, n, seq, stats_req)
            continue
        elif kind == EV_RUN:
            if DI[g, 0] != EMPTY:
                continue
            stats_req[SI[g, REQ], 3] += 1
            H, n, seq = _restart_op(g, t, SI, SF, DI, DF, free, last, pool_cap, pool_busy, pool_ptr, pool_leaf, rr,
                                    req_prio, order, H, n, seq, stats_req)
            continue
        # propagate readiness upwards
        i = 0
        while i < nt:
            c = todo[i]
            i += 1
            p = SI[c, PARENT]
            if p < 0:
                # the instance's root: a delivery
                inst = SI[c, INST]
                r = SI[c, REQ]
                _idle(SF, DF, c, t)
                k = stats_req[r, 0]
                if k < req_target[r]:
                    out_wait[r, k] = t - inst_start[inst]
                    out_time[r, k] = t
                    for q in range(4):
                        out_state[r, k, q] = DF[c, 3 + q]
                    stats_req[r, 0] = k + 1
                    if k + 1 == req_target[r]:
                        pending -= 1
                inst_start[inst] = t
                retire = stats_req[r, 0] >= req_target[r]
                if retire:
                    for j in range(n_inst):
                        if inst_req[j] == r:
                            H, n, seq = _retire(inst_root[j], t, SI, SF, DI, DF, free, last, pool_cap, pool_busy,
                                                pool_ptr, pool_leaf, rr, req_prio, order, H, n, seq, stats_req)
                else:
                    H, n, seq = _reset(c, t, SI, SF, DI, DF, free, last, pool_cap, pool_busy, pool_ptr,
                                       pool_leaf, rr, req_prio, order, H, n, seq, stats_req)
                continue
            s = SI[p, CHB] if SI[p, CHA] == c else SI[p, CHA]
            if DI[s, 0] != READY:
                if SI[p, CUT] == MEMORY_TIME:
                    H = _push(H, n, t + SF[p, CUTV], 1.0, seq, EV_CUT, c, DI[c, 1])
                    n += 1
                    seq += 1.0
                continue
            # both inputs ready: operate now
            H, n, seq, nt = _operate(p, t, SI, SF, Dtab, DI, DF, free, last, pool_cap, pool_busy, pool_ptr,
                                     pool_leaf, rr, req_prio, order, H, n, seq, stats_req, a, b, o, todo, nt)
    for pl in range(n_pool):
        _account(pl, t, pool_cap, free, pool_busy, last)
    return DONE, events, t


@jit
def _free_at(pool, t, now, SI, SF, DI, DF, free, last, cap, busy, pptr, pleaf, rr, prio, order, H, n, seq, stats):
    """Free one slot of ``pool`` at time ``t`` (now when ``t <= now``, else by an event)."""
    if t <= now:
        _account(pool, now, cap, free, busy, last)
        free[pool] += 1
        return _dispatch(pool, now, SI, SF, DI, DF, free, last, cap, busy, pptr, pleaf, rr, prio, order, H, n, seq,
                         stats)
    H = _push(H, n, t, 0.0, seq, EV_FREE, pool, 0)
    return H, n + 1, seq + 1.0


@jit
def _operate(p, t, SI, SF, Dtab, DI, DF, free, last, cap, busy, pptr, pleaf, rr, prio, order, H, n, seq, stats,
             a, b, o, todo, nt):
    """Both inputs of operation ``p`` are ready at ``t``: perform it (after its duration) and schedule its outcome."""
    ca = SI[p, CHA]
    cb = SI[p, CHB]
    top = t + SF[p, TAU]
    _idle(SF, DF, ca, top)
    _idle(SF, DF, cb, top)
    DI[ca, 0] = USED
    DI[cb, 0] = USED
    for k in range(4):
        a[k] = DF[ca, 3 + k]
        b[k] = DF[cb, 3 + k]
    kind = SI[p, KIND]
    skip = False
    if kind == SWAP:
        psucc = SF[p, P]
        for k in range(4):
            o[k] = a[k] * b[k]
        # the swapping node's two qubits are measured
        H, n, seq = _free_at(SI[ca, POOLB], top, t, SI, SF, DI, DF, free, last, cap, busy, pptr, pleaf, rr, prio,
                             order, H, n, seq, stats)
        H, n, seq = _free_at(SI[cb, POOLA], top, t, SI, SF, DI, DF, free, last, cap, busy, pptr, pleaf, rr, prio,
                             order, H, n, seq, stats)
    else:
        fa = 0.25 * (a[0] + a[1] + a[2] + a[3])
        fb = 0.25 * (b[0] + b[1] + b[2] + b[3])
        if fa < SF[p, MINF] or fb < SF[p, MINF]:
            # below the policy's threshold: keep the better pair, discard the other
            skip = True
            psucc = 1.0
            if fb > fa:
                for k in range(4):
                    o[k] = b[k]
            else:
                for k in range(4):
                    o[k] = a[k]
        else:
            D = Dtab[SI[p, DIDX]]
            for k in range(4):
                v = 0.0
                for i in range(4):
                    for j in range(4):
                        v += D[k, i, j] * a[i] * b[j]
                o[k] = v
            psucc = o[0]
            for k in range(4):
                o[k] /= psucc
        # the sacrificed (or discarded) pair's qubits are measured at both ends
        H, n, seq = _free_at(SI[cb, POOLA], top, t, SI, SF, DI, DF, free, last, cap, busy, pptr, pleaf, rr, prio,
                             order, H, n, seq, stats)
        H, n, seq = _free_at(SI[cb, POOLB], top, t, SI, SF, DI, DF, free, last, cap, busy, pptr, pleaf, rr, prio,
                             order, H, n, seq, stats)
    DF[p, 0] = top
    for k in range(4):
        DF[p, 3 + k] = o[k]
    ok = skip or np.random.random() < psucc
    if ok:
        DI[p, 0] = PENDING_OK
    else:
        DI[p, 0] = PENDING_FAIL
        # the output's ends learn of the failure and free their slots
        H, n, seq = _free_at(SI[p, POOLA], top + SF[p, DFA], t, SI, SF, DI, DF, free, last, cap, busy, pptr, pleaf,
                             rr, prio, order, H, n, seq, stats)
        H, n, seq = _free_at(SI[p, POOLB], top + SF[p, DFB], t, SI, SF, DI, DF, free, last, cap, busy, pptr, pleaf,
                             rr, prio, order, H, n, seq, stats)
    tdone = top + (0.0 if skip else SF[p, OUTD])
    if ok and tdone <= t:
        DI[p, 0] = READY
        DF[p, 1] = t
        todo[nt] = p
        nt += 1
    else:
        H = _push(H, n, tdone, 0.0, seq, EV_OP, p, DI[p, 1])
        n += 1
        seq += 1.0
    return H, n, seq, nt


@jit
def _restart_op(p, t, SI, SF, DI, DF, free, last, cap, busy, pptr, pleaf, rr, prio, order, H, n, seq, stats):
    """A cut-off of operation ``p`` fired: discard both inputs, restart both sub-protocols and the clock."""
    H, n, seq = _reset(SI[p, CHA], t, SI, SF, DI, DF, free, last, cap, busy, pptr, pleaf, rr, prio, order, H,
                       n, seq, stats)
    H, n, seq = _reset(SI[p, CHB], t, SI, SF, DI, DF, free, last, cap, busy, pptr, pleaf, rr, prio, order, H,
                       n, seq, stats)
    DI[p, 1] += 1
    if SI[p, CUT] == RUN_TIME:
        H = _push(H, n, t + SF[p, CUTV], 1.0, seq, EV_RUN, p, DI[p, 1])
        n += 1
        seq += 1.0
    return H, n, seq


@jit
def _release(x, t, SI, DI, free, last, cap, busy):
    """Free the slots that node ``x``'s pair holds at ``t`` (attempting, ready, or in flight after success)."""
    s = DI[x, 0]
    if s == ATTEMPTING or s == READY or s == PENDING_OK:
        for pool in (SI[x, POOLA], SI[x, POOLB]):
            _account(pool, t, cap, free, busy, last)
            free[pool] += 1
            # dispatching happens once the whole subtree is released (see _reset)


@jit
def _reset(g, t, SI, SF, DI, DF, free, last, cap, busy, pptr, pleaf, rr, prio, order, H, n, seq, stats):
    """Restart the subtree of ``g``: free every slot it holds, leaves ask for slots anew, operations wait.

    Run-time clocks of the subtree's operations restart."""
    lo = SI[g, LO]
    for x in range(lo, g + 1):
        _release(x, t, SI, DI, free, last, cap, busy)
        DI[x, 1] += 1
        if SI[x, KIND] == LINK:
            DI[x, 0] = WAITING
            DF[x, 2] = t
        else:
            DI[x, 0] = EMPTY
            if SI[x, CUT] == RUN_TIME:
                H = _push(H, n, t + SF[x, CUTV], 1.0, seq, EV_RUN, x, DI[x, 1])
                n += 1
                seq += 1.0
    for x in range(lo, g + 1):
        if SI[x, KIND] == LINK:
            for pool in (SI[x, POOLA], SI[x, POOLB]):
                H, n, seq = _dispatch(pool, t, SI, SF, DI, DF, free, last, cap, busy, pptr, pleaf, rr, prio, order,
                                      H, n, seq, stats)
    return H, n, seq


@jit
def _retire(g, t, SI, SF, DI, DF, free, last, cap, busy, pptr, pleaf, rr, prio, order, H, n, seq, stats):
    """The request has all its deliveries: free everything its instance holds and stop it."""
    lo = SI[g, LO]
    for x in range(lo, g + 1):
        _release(x, t, SI, DI, free, last, cap, busy)
        DI[x, 0] = RETIRED
        DI[x, 1] += 1
    for x in range(lo, g + 1):
        if SI[x, KIND] == LINK:
            for pool in (SI[x, POOLA], SI[x, POOLB]):
                H, n, seq = _dispatch(pool, t, SI, SF, DI, DF, free, last, cap, busy, pptr, pleaf, rr, prio, order,
                                      H, n, seq, stats)
    return H, n, seq


@jit
def _try_start(g, t, SI, SF, DI, DF, free, last, cap, busy, H, n, seq, stats):
    """Start link ``g``'s attempts if both its pools have a free slot."""
    pa = SI[g, POOLA]
    pb = SI[g, POOLB]
    if DI[g, 0] != WAITING or free[pa] <= 0 or free[pb] <= 0:
        return H, n, seq
    _account(pa, t, cap, free, busy, last)
    _account(pb, t, cap, free, busy, last)
    free[pa] -= 1
    free[pb] -= 1
    k = np.random.geometric(SF[g, P])
    stats[SI[g, REQ], 1] += k
    DI[g, 0] = ATTEMPTING
    H = _push(H, n, t + k * SF[g, TAU], 0.0, seq, EV_LINK, g, DI[g, 1])
    return H, n + 1, seq + 1.0


@jit
def _dispatch(pool, t, SI, SF, DI, DF, free, last, cap, busy, pptr, pleaf, rr, prio, order, H, n, seq, stats):
    """Give ``pool``'s free slots to waiting links, in the request order (FIFO, round-robin or priority)."""
    while free[pool] > 0:
        best = -1
        for j in range(pptr[pool], pptr[pool + 1]):
            g = pleaf[j]
            if DI[g, 0] != WAITING or free[SI[g, POOLA]] <= 0 or free[SI[g, POOLB]] <= 0:
                continue
            if best < 0 or _prefer(g, best, SI, DF, rr[pool], prio, order):
                best = g
        if best < 0:
            break
        rr[pool] = SI[best, REQ]
        H, n, seq = _try_start(best, t, SI, SF, DI, DF, free, last, cap, busy, H, n, seq, stats)
    return H, n, seq


@jit
def _prefer(g, h, SI, DF, last_req, prio, order):
    """Whether waiting link ``g`` goes before ``h``."""
    rg = SI[g, REQ]
    rh = SI[h, REQ]
    if order == PRIORITY and prio[rg] != prio[rh]:
        return prio[rg] < prio[rh]
    if order == ROUND_ROBIN and rg != rh:
        # distance after the last request served, cyclically
        big = 1 << 40
        dg = rg - last_req if rg > last_req else rg - last_req + big
        dh = rh - last_req if rh > last_req else rh - last_req + big
        return dg < dh
    if DF[g, 2] != DF[h, 2]:
        return DF[g, 2] < DF[h, 2]
    return g < h
