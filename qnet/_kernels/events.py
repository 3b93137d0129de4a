"""Compiled discrete-event loop of the network simulator (``qnet.events``; private, unvalidated, never raises).

Every request instance is a protocol tree laid out in post-order, so the subtree of node ``g`` is the index
range ``[S_I[g, LO], g]`` and its last input is ``g - 1``, each earlier input ending just before the next one's
subtree. Leaves are elementary links (a geometric number of attempts of fixed duration between two memory pools),
inner nodes are swaps (two inputs) or distillations (``SI[g, ARITY]`` inputs, the kept pair first) whose inputs
must all be ready. Memory slots are counted per pool (one pool per node, or per node and neighbour).

A pair's state is the row's last ``ns`` numbers of ``DF``: in the Bell-diagonal mode (``ns = 4``) its Walsh–Hadamard
components, which decay as ``exp(-c dt)`` with the per-second rates ``c`` of its two end nodes; in the
density-matrix mode (``ns = 16``) its Pauli coefficients (:mod:`.pairs`), each qubit relaxing in its own node's
memory. There a swap's outcome is drawn (from a generator apart from numpy's, so that every other draw is the
Bell-diagonal mode's) and its Pauli correction is applied to one end of the new pair, the one whose node uses it
next (B before a distillation or a delivery), when the outcome arrives there (``FT``, ``FC``).

Events are rows of one heap (:mod:`.heap`); ordering is by time, then priority (state changes before cut-offs,
so a pair that arrives exactly at a deadline is kept, as in the chain model), then insertion. An event whose
target's version changed since it was scheduled is stale and skipped.
"""

from __future__ import annotations

import numpy as np

from . import jit
from .codes import (  # noqa: F401
    ARITY, ATTEMPTING, C0, CHA, CHB, CUT, CUTV, DEFER, DFA, DFB, DIDX, DISTILL, DONE, EMIT, EMPTY, EV_CUT, EV_FREE,
    EV_LINK, EV_OP, EV_RUN, FEND, FIDELITY, FIFO, HAT0, INST, KIND, LINK, LO, LOGQ, MEMORY_TIME, MINF, NDIST,
    NO_CUT, N_SF, N_SI, OUTD, P, PARENT, PENDING_FAIL, PENDING_OK, POOLA, POOLB, PRIORITY, PUMPED, PUMPS, READY,
    REQ, RETIRED, ROUND_ROBIN, RUN_TIME, ST, STALLED, SWAP, SWF, TARGET, TAU, TOO_MANY_EVENTS, USED, WAITING
)
from .heap import pop, push
from .montecarlo import best_bilinear, better, bilinear
from .pairs import bell_measure, fidelity, fidelity_wait, fresh_pauli, relax_pair, store_pauli, uniform


AUTO_TIE_ATOL = 1e-12  # qnet.purification.AUTO_TIE_ATOL (tested equal)
# Typed constants: an int literal passed to a jitted function types it as Literal[int], and numba compiles one
# specialization per literal value; these keep one (int64) signature per helper.
_ZERO = np.int64(0)
_ONE = np.int64(1)
_NONE = np.int64(-1)  # a priority-1 event sorts after every priority-0 event of the same time


# The context: (SI, SF, Dtab, DI, DF, pool, pptr, pleaf, prio, cfg, stats, scratch, candidates), and for operations
# also wctx = (wide, kin, kids, rng) (apart: every argument of a call is copied, and most calls need only ctx)
#   DI[g] = (status, version, dispatch mark)
#   DF[g] = (tref, tready, wait_since, pumps done, pending frame time, pending frame code, state[ns])
#   pool[p] = (capacity, free, slot-seconds used, time of last change)
#   cfg = (order, last request served, dispatch stamp)
#   wide = (first, out_c, coef, idx): the terms of the circuits of more than two pairs (in the density-matrix mode
#          of every distillation), map m's from first[m]
#   kin[j] = state of input j and kids[j] = its node, for the operation being performed (kin[-1]: scratch)
#   rng = the state of the swap outcomes' generator

@jit(inline="always")
def _account(ctx, p, t):
    pool = ctx[5]
    pool[p, 2] += (pool[p, 0] - pool[p, 1]) * (t - pool[p, 3])
    pool[p, 3] = t


@jit(inline="always")
def _idle(ctx, g, t):
    """Decay node ``g``'s stored state from its reference time to ``t``."""
    SF, DF = ctx[1], ctx[4]
    if DF.shape[1] == ST + 4:
        dt = t - DF[g, 0]
        if dt > 0.0:
            for k in range(1, 4):
                DF[g, ST + k] *= np.exp(-SF[g, C0 + k] * dt)
    else:
        relax_pair(SF, DF, g, t, DF[g, ST:], True)
    DF[g, 0] = t


@jit(inline="always")
def _prefer(ctx, g, h):
    """Whether waiting link ``g`` gets slots before ``h``."""
    SI, DF, prio, cfg = ctx[0], ctx[4], ctx[8], ctx[9]
    rg = SI[g, REQ]
    rh = SI[h, REQ]
    if cfg[0] == PRIORITY and prio[rg] != prio[rh]:
        return prio[rg] < prio[rh]
    if cfg[0] == ROUND_ROBIN and rg != rh:
        last = cfg[1]
        big = 1 << 40  # requests after the last one served come first, cyclically
        dg = rg - last if rg > last else rg - last + big
        dh = rh - last if rh > last else rh - last + big
        return dg < dh
    if DF[g, 2] != DF[h, 2]:
        return DF[g, 2] < DF[h, 2]
    return g < h


@jit
def _start(ctx, g, t, H, n, seq):
    """Give link ``g`` a slot at each end and draw its attempts until success."""
    SI, SF, DI, pool, cfg, stats = ctx[0], ctx[1], ctx[3], ctx[5], ctx[9], ctx[10]
    pa = SI[g, POOLA]
    pb = SI[g, POOLB]
    _account(ctx, pa, t)
    _account(ctx, pb, t)
    pool[pa, 1] -= 1
    pool[pb, 1] -= 1
    cfg[1] = SI[g, REQ]
    # attempts until success: Geometric(p) by inversion, SF[g, LOGQ] = log(1 - p) (0 when p = 1)
    k = 1.0
    if SF[g, LOGQ] < 0.0:
        k += np.floor(np.log(1.0 - np.random.random()) / SF[g, LOGQ])
    stats[SI[g, REQ], 1] += int(k)
    DI[g, 0] = ATTEMPTING
    return push(H, n, seq, t + k * SF[g, TAU], 0.0, EV_LINK, g, DI[g, 1])


@jit(inline="always")
def _eligible(ctx, g):
    SI, DI, pool = ctx[0], ctx[3], ctx[5]
    return DI[g, 0] == WAITING and pool[SI[g, POOLA], 1] > 0 and pool[SI[g, POOLB], 1] > 0


@jit
def _dispatch(ctx, n_pools, t, H, n, seq):
    """Give free slots of the pools ``scratch[:n_pools]`` to waiting links, one at a time, always to the link that
    comes first in the request order among all links waiting at any of these pools whose two pools are free.

    FIFO and priority orders do not change as links start, so the candidates are sorted once and started in
    that order while they stay eligible (a start only takes slots); round-robin re-ranks after every start."""
    DI, pool, pptr, pleaf, cfg, scratch, cand = ctx[3], ctx[5], ctx[6], ctx[7], ctx[9], ctx[11], ctx[12]
    cfg[2] += 1
    m = _ZERO
    for i in range(n_pools):
        p = scratch[i]
        if pool[p, 1] <= 0:
            continue
        for j in range(pptr[p], pptr[p + 1]):
            g = pleaf[j]
            if DI[g, 2] != cfg[2] and _eligible(ctx, g):
                DI[g, 2] = cfg[2]
                cand[m] = g
                m += 1
    if cfg[0] == ROUND_ROBIN:
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
def _free(ctx, p, t):
    _account(ctx, p, t)
    ctx[5][p, 1] += 1


@jit
def _free_at(ctx, p, when, t, H, n, seq):
    """Free one slot of pool ``p`` at ``when`` (now if ``when <= t``, else by an event) and dispatch it (a call,
    not inlined: its six call sites in :func:`_operate` would each be typed and compiled again)."""
    if when <= t:
        _free(ctx, p, t)
        ctx[11][0] = p
        return _dispatch(ctx, _ONE, t, H, n, seq)
    return push(H, n, seq, when, 0.0, EV_FREE, p, _ZERO)


@jit
def _clear(ctx, lo, g, t, retire, H, n, seq):
    """Free every slot the nodes ``lo..g`` (a subtree is ``SI[g, LO]..g``) hold at ``t``; leaves then wait for slots
    anew (or retire), operations wait for their inputs and restart their run-time clocks. Returns the pools to
    dispatch in ``scratch``."""
    SI, SF, DI, DF, scratch = ctx[0], ctx[1], ctx[3], ctx[4], ctx[11]
    m = _ZERO
    for x in range(lo, g + 1):
        s = DI[x, 0]
        if s == ATTEMPTING or s == READY or s == PENDING_OK:
            _free(ctx, SI[x, POOLA], t)
            _free(ctx, SI[x, POOLB], t)
        DI[x, 1] += 1
        if retire != 0:
            DI[x, 0] = RETIRED
        elif SI[x, KIND] == LINK:
            DI[x, 0] = WAITING
            DF[x, 2] = t
        else:
            DI[x, 0] = EMPTY
            DF[x, PUMPED] = 0.0
            if SI[x, CUT] == RUN_TIME:
                H, n, seq = push(H, n, seq, t + SF[x, CUTV], 1.0, EV_RUN, x, DI[x, 1])
        if SI[x, KIND] == LINK:
            scratch[m] = SI[x, POOLA]
            scratch[m + 1] = SI[x, POOLB]
            m += 2
    return H, n, seq, m


@jit
def _reset(ctx, g, t, H, n, seq):
    """Restart the subtree of ``g`` (see :func:`_clear`) and hand out the slots it freed."""
    H, n, seq, m = _clear(ctx, ctx[0][g, LO], g, t, _ZERO, H, n, seq)
    return _dispatch(ctx, m, t, H, n, seq)


@jit(inline="always")
def _inputs(SI, kids, p):
    """Write the inputs of operation ``p`` in layout order to ``kids``; returns their number."""
    c = p - 1
    k = SI[p, ARITY]
    for j in range(k - 1, -1, -1):
        kids[j] = c
        c = SI[c, LO] - 1
    return k


@jit
def _restart_inputs(ctx, wctx, p, t, H, n, seq):
    """Discard every input of operation ``p`` and restart their sub-protocols (a failure or a cut-off): the
    inputs' subtrees are reset one after the other in layout order (their slots handed out in turn), then ``p``
    itself."""
    kids = wctx[2]  # a reset does not touch it
    for j in range(_inputs(ctx[0], kids, p)):
        H, n, seq = _reset(ctx, kids[j], t, H, n, seq)
    H, n, seq, _ = _clear(ctx, p, p, t, _ZERO, H, n, seq)
    return H, n, seq


@jit(inline="always")
def _outcome(ctx, p, t, top, skip, psucc, o, fc, ft, H, n, seq):
    """Operation ``p``, performed at ``top`` with output ``o`` (its pending frame ``fc`` at ``ft``) and success
    probability ``psucc``, draws its outcome and schedules it; True when it is known at once (see
    :func:`_operate`)."""
    SI, SF, DI, DF = ctx[0], ctx[1], ctx[3], ctx[4]
    DF[p, 0] = top
    if o.shape[0] == 4:
        for k in range(4):
            DF[p, ST + k] = o[k]
    else:
        store_pauli(DF, p, o, fc, ft)
    ok = skip or np.random.random() < psucc
    if not ok:
        DI[p, 0] = PENDING_FAIL
        # each end of the output frees its slot when the failure reaches it
        H, n, seq = _free_at(ctx, SI[p, POOLA], top + SF[p, DFA], t, H, n, seq)
        H, n, seq = _free_at(ctx, SI[p, POOLB], top + SF[p, DFB], t, H, n, seq)
    else:
        DI[p, 0] = PENDING_OK
    tdone = top + (0.0 if skip else SF[p, OUTD])
    if ok and tdone <= t and SF[p, TARGET] == 0.0:
        DI[p, 0] = READY
        DF[p, 1] = t
        return H, n, seq, True
    H, n, seq = push(H, n, seq, tdone, 0.0, EV_OP, p, DI[p, 1])
    return H, n, seq, False


@jit(inline="always")
def _terms(first, out_c, coef, idx, m, kin, k, o):
    """Map ``m`` of the term tables on the inputs ``kin[:k]`` into ``o``, normalised; returns the success
    probability (0: ``o`` not normalised)."""
    for q in range(o.shape[0]):
        o[q] = 0.0
    for j in range(first[m], first[m + 1]):
        v = coef[j]
        for s in range(k):
            v *= kin[s, idx[j, s]]
        o[out_c[j]] += v
    psucc = o[0]
    if psucc > 0.0:
        for q in range(o.shape[0]):
            o[q] /= psucc
    return psucc


@jit
def _distil_terms(ctx, wctx, p, t, H, n, seq, o):
    """:func:`_operate` for a distillation by term tables (more than two pairs, or any in the density-matrix mode):
    its inputs (decayed to the end of its duration, marked used) through the circuit's terms into ``o`` (for
    ``protocol="auto"`` the variant of :func:`qnet.choose_protocol`'s rule); below the policy's threshold (some
    input's fidelity under ``MINF``) the best input goes on unchanged. The sacrificed pairs' slots are freed when
    they are measured."""
    SI, SF, DI, DF = ctx[0], ctx[1], ctx[3], ctx[4]
    wide, kin, kids = wctx[0], wctx[1], wctx[2]
    first, out_c, coef, idx = wide
    ns = o.shape[0]
    k = _inputs(SI, kids, p)
    top = t + SF[p, TAU]
    best = _ZERO
    low = False
    for j in range(k):
        c = kids[j]
        _idle(ctx, c, top)
        DI[c, 0] = USED
        for q in range(ns):
            kin[j, q] = DF[c, ST + q]
        if fidelity(kin[j]) < SF[p, MINF]:
            low = True
        if fidelity(kin[j]) > fidelity(kin[best]):
            best = j
    psucc = 1.0
    if low:
        for q in range(ns):
            o[q] = kin[best, q]
    elif SI[p, NDIST] == 1:
        psucc = _terms(first, out_c, coef, idx, SI[p, DIDX], kin, k, o)
    else:  # protocol="auto", as best_bilinear
        trial = kin[kin.shape[0] - 1]
        best_f = -1.0
        psucc = 0.0
        for m in range(SI[p, DIDX], SI[p, DIDX] + SI[p, NDIST]):
            pm = _terms(first, out_c, coef, idx, m, kin, k, trial)
            if pm <= 0.0:
                continue
            f = fidelity(trial)
            if better(f, pm, best_f, psucc, AUTO_TIE_ATOL):
                best_f = f
                psucc = pm
                for q in range(ns):
                    o[q] = trial[q]
    for j in range(1, k):  # both ends measure each sacrificed pair's qubits
        c = kids[j]
        H, n, seq = _free_at(ctx, SI[c, POOLA], top, t, H, n, seq)
        H, n, seq = _free_at(ctx, SI[c, POOLB], top, t, H, n, seq)
    return _outcome(ctx, p, t, top, low, psucc, o, -1.0, 0.0, H, n, seq)


@jit(inline="always")
def _consume_two(ctx, p, top):
    """The two inputs of operation ``p``, decayed to ``top`` (when it is performed) and marked used."""
    SI, DI = ctx[0], ctx[3]
    ca = SI[p, CHA]
    cb = SI[p, CHB]
    _idle(ctx, ca, top)
    _idle(ctx, cb, top)
    DI[ca, 0] = USED
    DI[cb, 0] = USED
    return ca, cb


@jit
def _swap_dm(ctx, wctx, p, t, H, n, seq, o):
    """:func:`_operate` for a swap in the density-matrix mode: the outcome is drawn, and its correction is pending at
    the end that uses the pair next until the outcome arrives there."""
    SI, SF, DF = ctx[0], ctx[1], ctx[4]
    top = t + SF[p, TAU]
    ca, cb = _consume_two(ctx, p, top)
    k = bell_measure(DF[ca, ST:], DF[cb, ST:], SF[p, SWF:SWF + 4], uniform(wctx[3]), o)
    fc, ft = -1.0, 0.0
    if k > 0:
        fc, ft = float(k + 4 * SI[p, FEND]), top + SF[p, DFB if SI[p, FEND] == 1 else DFA]
    # the swapping node measures its two qubits
    H, n, seq = _free_at(ctx, SI[ca, POOLB], top, t, H, n, seq)
    H, n, seq = _free_at(ctx, SI[cb, POOLA], top, t, H, n, seq)
    return _outcome(ctx, p, t, top, False, SF[p, P], o, fc, ft, H, n, seq)


@jit
def _operate(ctx, wctx, p, t, H, n, seq, a, b, o):
    """Every input of operation ``p`` is known at ``t``: perform it (after its duration) and schedule its outcome.
    Returns True when the outcome is known at once (a success without delay)."""
    SI, SF, Dtab, DF = ctx[0], ctx[1], ctx[2], ctx[4]
    if o.shape[0] == 16 and SI[p, KIND] == SWAP:
        return _swap_dm(ctx, wctx, p, t, H, n, seq, o)
    if o.shape[0] == 16 or SI[p, ARITY] > 2:
        return _distil_terms(ctx, wctx, p, t, H, n, seq, o)
    top = t + SF[p, TAU]
    skip = False
    ca, cb = _consume_two(ctx, p, top)
    for k in range(4):
        a[k] = DF[ca, ST + k]
        b[k] = DF[cb, ST + k]
    if SI[p, KIND] == SWAP:
        psucc = SF[p, P]
        for k in range(4):
            o[k] = a[k] * b[k] * SF[p, SWF + k]  # its node's noise scales each component
        # the swapping node measures its two qubits
        H, n, seq = _free_at(ctx, SI[ca, POOLB], top, t, H, n, seq)
        H, n, seq = _free_at(ctx, SI[cb, POOLA], top, t, H, n, seq)
    else:
        fa = fidelity(a)
        fb = fidelity(b)
        if fa < SF[p, MINF] or fb < SF[p, MINF]:
            skip = True  # below the policy's threshold: the better pair goes on, the other is discarded
            psucc = 1.0
            for k in range(4):
                o[k] = b[k] if fb > fa else a[k]
        else:
            if SI[p, NDIST] == 1:
                psucc = bilinear(Dtab[SI[p, DIDX]], a, b, o)
            else:  # protocol="auto": the variant with the best output for these two states
                psucc = best_bilinear(Dtab, SI[p, DIDX], SI[p, NDIST], AUTO_TIE_ATOL, a, b, o)
        # both ends measure the sacrificed pair's qubits
        H, n, seq = _free_at(ctx, SI[cb, POOLA], top, t, H, n, seq)
        H, n, seq = _free_at(ctx, SI[cb, POOLB], top, t, H, n, seq)
    return _outcome(ctx, p, t, top, skip, psucc, o, -1.0, 0.0, H, n, seq)


@jit(inline="always")
def _pump_again(ctx, g, t):
    """Whether pumping node ``g``'s new output (known at ``t``) is still below its target with rounds left."""
    SI, SF, DF = ctx[0], ctx[1], ctx[4]
    if SF[g, TARGET] == 0.0 or DF[g, PUMPED] + 1.0 >= SI[g, PUMPS]:
        return False
    _idle(ctx, g, t)
    return fidelity(DF[g, ST:]) < SF[g, TARGET]


@jit(inline="always")
def _ripe(ctx, g):
    """Whether ``g`` is a deferred distillation (not the root) whose inputs are all ready and that waits to be
    needed: it runs when the other inputs of its parent are ready."""
    SI, DI = ctx[0], ctx[3]
    if not (SI[g, KIND] == DISTILL and SI[g, DEFER] == 1 and SI[g, PARENT] >= 0 and DI[g, 0] == EMPTY):
        return False
    x = g - 1
    while x >= SI[g, LO]:
        if DI[x, 0] != READY:
            return False
        x = SI[x, LO] - 1
    return True


@jit(inline="always")
def _others(ctx, p, c):
    """How the inputs of operation ``p`` other than ``c`` stand: 0 all ready; 1 each ready or ripe (some deferred
    distillations to run now); 2 some still on their way."""
    SI, DI = ctx[0], ctx[3]
    state = 0
    x = p - 1
    while x >= SI[p, LO]:
        if x != c and DI[x, 0] != READY:
            if not _ripe(ctx, x):
                return 2
            state = 1
        x = SI[x, LO] - 1
    return state


@jit
def _run_ripe(ctx, wctx, p, c, t, H, n, seq, a, b, o, todo, nt):
    """Perform the ripe inputs of ``p`` other than ``c``; those whose output is known at once join ``todo``."""
    SI = ctx[0]
    x = p - 1
    while x >= SI[p, LO]:
        if x != c and _ripe(ctx, x):
            H, n, seq, now = _operate(ctx, wctx, x, t, H, n, seq, a, b, o)
            if now:
                todo[nt] = x
                nt += 1
        x = SI[x, LO] - 1
    return H, n, seq, nt


@jit
def simulate(SI, SF, Dtab, wide, inst_root, inst_req, pool_cap, pool_ptr, pool_leaf, req_target, req_prio, order, seed,
             max_events, out_wait, out_time, out_state, stats, pool_busy):
    """Run until every request has ``req_target[r]`` deliveries.

    ``Dtab[m]`` is a two-pair distillation's map on Walsh–Hadamard components; ``wide`` the term tables (see the
    context above). Outputs: ``out_wait[r, k]`` time from the start of the instance's attempt cycle to delivery,
    ``out_time`` the absolute delivery time, ``out_state[r, k]`` the delivered state (its last axis, 4 or 16,
    chooses the mode); ``stats[r]`` = (deliveries, link attempts, operation failures, cut-off discards);
    ``pool_busy[p]`` slot-seconds used. Returns ``(code, events, end time)``.
    """
    np.random.seed(seed)
    ns = out_state.shape[2]
    M = SI.shape[0]
    n_inst = inst_root.shape[0]
    n_pool = pool_cap.shape[0]
    DI = np.zeros((M, 3), dtype=np.int64)
    DF = np.zeros((M, ST + ns))
    pool = np.zeros((n_pool, 4))
    for p in range(n_pool):
        pool[p, 0] = pool_cap[p]
        pool[p, 1] = pool_cap[p]
    cfg = np.array([order, -1, 0], dtype=np.int64)
    scratch = np.empty(max(2 * M, n_pool), dtype=np.int64)
    k_max = max(2, wide[3].shape[1])
    ctx = (SI, SF, Dtab, DI, DF, pool, pool_ptr, pool_leaf, req_prio, cfg, stats, scratch, np.empty(M, dtype=np.int64))
    rng = np.array([seed], dtype=np.uint64)
    rng[0] ^= np.uint64(0x5DEECE66D)  # a stream of its own, not numpy's seeding
    wctx = (wide, np.empty((k_max + 1, ns)), np.empty(k_max, dtype=np.int64), rng)
    inst_start = np.zeros(n_inst)
    H = np.empty((4 * M + 64, 5))
    n = _ZERO
    seq = 0.0
    row = np.empty(5)
    a = np.empty(ns)
    b = np.empty(ns)
    o = np.empty(ns)
    todo = np.empty(M + 1, dtype=np.int64)
    pending = 0
    for r in range(req_target.shape[0]):
        if req_target[r] > 0:
            pending += 1
    for g in range(M):
        if SI[g, KIND] == LINK:
            DI[g, 0] = WAITING
        else:
            DI[g, 0] = EMPTY
            if SI[g, CUT] == RUN_TIME:
                H, n, seq = push(H, n, seq, SF[g, CUTV], 1.0, EV_RUN, g, _ZERO)
    for p in range(n_pool):
        scratch[p] = p
    t = 0.0
    H, n, seq = _dispatch(ctx, n_pool, t, H, n, seq)
    events = 0
    while pending > 0:
        if n == 0:
            return STALLED, events, t
        if events >= max_events:
            return TOO_MANY_EVENTS, events, t
        pop(H, n, row)
        n -= 1
        t = row[0]
        kind = row[2]
        g = int(row[3])
        if kind == EV_FREE:
            events += 1
            H, n, seq = _free_at(ctx, g, t, t, H, n, seq)
            continue
        if DI[g, 1] != int(row[4]):
            continue  # stale: its target was reset since
        events += 1
        nt = 0
        if kind == EV_LINK:
            DI[g, 0] = READY
            DF[g, 0] = t - SF[g, EMIT]  # the qubits decohere from the emission of the successful attempt
            DF[g, 1] = t
            if ns == 16:
                fresh_pauli(SF, DF, g)
            else:
                for k in range(4):
                    DF[g, ST + k] = SF[g, HAT0 + k]
            todo[0] = g
            nt = 1
        elif kind == EV_OP:
            if DI[g, 0] == PENDING_OK and _pump_again(ctx, g, t):
                # pumping: the output is the kept input again, and fresh sacrificial pairs are made
                ca = SI[g, CHA]
                for k in range(DF.shape[1]):  # reference time, frame and state
                    DF[ca, k] = DF[g, k]
                DI[ca, 0] = READY
                DF[ca, 1] = t
                DF[g, PUMPED] += 1.0
                DI[g, 0] = EMPTY
                DI[g, 1] += 1
                for j in range(1, _inputs(SI, wctx[2], g)):
                    H, n, seq = _reset(ctx, wctx[2][j], t, H, n, seq)
                todo[0] = ca
                nt = 1
            elif DI[g, 0] == PENDING_OK:
                DI[g, 0] = READY
                DF[g, 1] = t
                todo[0] = g
                nt = 1
            else:
                stats[SI[g, REQ], 2] += 1
                H, n, seq = _restart_inputs(ctx, wctx, g, t, H, n, seq)
        elif kind == EV_CUT:
            # memory-time or fidelity cut-off: g is a ready input still waiting for another; every input restarts
            if ((DI[g, 0] == READY or _ripe(ctx, g)) and DI[SI[g, PARENT], 0] == EMPTY
                    and _others(ctx, SI[g, PARENT], g) == 2):
                stats[SI[g, REQ], 3] += 1
                H, n, seq = _restart_inputs(ctx, wctx, SI[g, PARENT], t, H, n, seq)
        elif kind == EV_RUN:
            if DI[g, 0] == EMPTY:
                stats[SI[g, REQ], 3] += 1
                H, n, seq = _restart_inputs(ctx, wctx, g, t, H, n, seq)
        # propagate readiness upwards
        i = 0
        while i < nt:
            c = todo[i]
            i += 1
            p = SI[c, PARENT]
            if p >= 0:
                state = _others(ctx, p, c)
                if state != 0:
                    if SI[p, CUT] == MEMORY_TIME:
                        H, n, seq = push(H, n, seq, t + SF[p, CUTV], 1.0, EV_CUT, c, DI[c, 1])
                    elif SI[p, CUT] == FIDELITY:  # discarded when its own fidelity falls below the threshold
                        w = fidelity_wait(SF, DF, c, t, SF[p, CUTV], o)
                        if w < np.inf:
                            H, n, seq = push(H, n, seq, t + w, 1.0, EV_CUT, c, DI[c, 1])
                    if state == 1:  # deferred distillations whose outputs are needed now
                        H, n, seq, nt = _run_ripe(ctx, wctx, p, c, t, H, n, seq, a, b, o, todo, nt)
                    continue
                if _ripe(ctx, p):  # deferred until its parent's other inputs are ready (or ripe too)
                    q = SI[p, PARENT]
                    state = _others(ctx, q, p)
                    if state == 2:
                        if SI[q, CUT] == MEMORY_TIME:  # the waiting pairs count as ready for the cut-off
                            H, n, seq = push(H, n, seq, t + SF[q, CUTV], 1.0, EV_CUT, p, DI[p, 1])
                        continue
                    if state == 1:
                        H, n, seq, nt = _run_ripe(ctx, wctx, q, p, t, H, n, seq, a, b, o, todo, nt)
                H, n, seq, now = _operate(ctx, wctx, p, t, H, n, seq, a, b, o)
                if now:
                    todo[nt] = p
                    nt += 1
                continue
            # the instance's root: a delivery
            inst = SI[c, INST]
            r = SI[c, REQ]
            _idle(ctx, c, t)
            k = stats[r, 0]
            out_wait[r, k] = t - inst_start[inst]
            out_time[r, k] = t
            for q in range(ns):
                out_state[r, k, q] = DF[c, ST + q]
            stats[r, 0] = k + 1
            inst_start[inst] = t
            if k + 1 < req_target[r]:
                H, n, seq = _reset(ctx, c, t, H, n, seq)
                continue
            pending -= 1
            for j in range(n_inst):  # the request is served: its instances free everything and stop
                if inst_req[j] == r:
                    H, n, seq, m = _clear(ctx, SI[inst_root[j], LO], inst_root[j], t, _ONE, H, n, seq)
                    H, n, seq = _dispatch(ctx, m, t, H, n, seq)
    for p in range(n_pool):
        _account(ctx, p, t)
        pool_busy[p] = pool[p, 2]
    return DONE, events, t
