"""Compiled discrete-event loop of the network simulator (``qnet.networks.simulator``; private, unvalidated, never
raises).

Every request instance is a protocol tree laid out in post-order, so the subtree of node ``g`` is the index
range ``[S_I[g, LO], g]`` and its last input is ``g - 1``, each earlier input ending just before the next one's
subtree. Leaves are elementary links (a geometric number of attempts of fixed duration between two memory pools),
inner nodes are swaps (two inputs) or distillations (``SI[g, ARITY]`` inputs, the kept pair first) whose inputs
must all be ready. Memory slots are counted per pool (one pool per node, or per node and neighbour: :mod:`.slots`).

A pair's state is the row's last ``ns`` numbers of ``DF``: in the Bell-diagonal mode (``ns = 4``) its Walsh–Hadamard
components, which decay as ``exp(-c dt)`` with the per-second rates ``c`` of its two end nodes; in the
density-matrix mode (``ns = 16``) its Pauli coefficients (:mod:`.pairs`), each qubit relaxing in its own node's
memory. There a swap's outcome is drawn (from a generator apart from numpy's, so that every other draw is the
Bell-diagonal mode's) and its Pauli correction is applied to one end of the new pair, the one whose node uses it
next (B before a distillation or a delivery), when the outcome arrives there (``FT``, ``FC``).

The mode is chosen when the kernel is compiled, not as it runs: ``dm`` is ``None`` in the Bell-diagonal mode and the
swap outcomes' generator in the density-matrix mode, and every helper that differs by mode takes it and branches on
``dm is None``, a test numba settles before typing (it prunes the other branch). So each mode compiles only its own
code: the Bell-diagonal kernel none of :mod:`.pairs`' density-matrix functions, the density-matrix one none of the
Bell-diagonal maps.

Events are rows of one heap (:mod:`.heap`); ordering is by time, then priority (state changes before cut-offs,
so a pair that arrives exactly at a deadline is kept, as in the chain model), then insertion. An event whose
target's version changed since it was scheduled is stale and skipped.
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from . import ONE, ZERO, jit
from .codes import (
    ARITY, ATTEMPTING, C0, CAPACITY, CHA, CHB, CUT, CUTV, DEFER, DELIVERED, DFA, DFB, DIDX, DISCARDS, DISTILL, DONE,
    EMIT, EMPTY, EV_CUT, EV_FREE, EV_LINK, EV_OP, EV_RUN, FAILURES, FEND, FIDELITY, FREE, HAT0, INST, KIND, LINK, LO,
    MEMORY_TIME, MINF, NDIST, OUTD, P, PARENT, PENDING_FAIL, PENDING_OK, POOLA, POOLB, PUMPED, PUMPS, READY, REQ,
    RETIRED, RUN_TIME, SLOT_SECONDS, ST, STALLED, STATUS, SWAP, SWF, TARGET, TAU, TOO_MANY_EVENTS, TREADY, TREF, USED,
    VERSION, WAITING, WAITING_SINCE
)
from .heap import KIND_COLUMN, TARGET_COLUMN, TIME_COLUMN, VERSION_COLUMN, pop, push
from .montecarlo import best_bilinear, better, bilinear
from .pairs import bell_measure, fidelity, fidelity_wait, fresh_pauli, relax_pair, store_pauli, uniform
from .slots import account, dispatch, free_at, free_slot


AUTO_TIE_ATOL = 1e-12  # qnet.purification.AUTO_TIE_ATOL (tested equal)

# The run's state, named (numba types a namedtuple's fields statically, as a tuple's):
#   SI, SF: static integer and float fields of every tree node, DI, DF: dynamic ones (columns: .codes), Dtab: the
#   two-pair distillation maps; pool[p]: a memory pool's fields, pool_ptr/pool_leaf: the links waiting at each
#   pool (CSR); prio: each request's priority; cfg: ORDER, LAST_SERVED, STAMP; stats: counts per request;
#   scratch, cand: pools to dispatch and candidate links.
_Ctx = namedtuple("_Ctx", "SI SF Dtab DI DF pool pool_ptr pool_leaf prio cfg stats scratch cand")
# What operations need besides (apart: every argument of a call is copied, and most calls need only the context):
#   wide = (first, out_c, coef, idx): the terms of the circuits of more than two pairs (in the density-matrix mode
#   of every distillation), map m's from first[m]; kin[j] = state of input j and kids[j] = its node, for the
#   operation being performed (kin[-1]: scratch).
_Work = namedtuple("_Work", "wide kin kids")
# The outputs and what deliveries need: per request and delivery the waiting time, time and state; each instance's
# start of its attempt cycle, its root and request; each request's number of deliveries.
_Out = namedtuple("_Out", "wait time state start inst_root inst_req target")


@jit(inline="always")
def _idle(ctx, dm, g, t):
    """Decay node ``g``'s stored state from its reference time to ``t``."""
    SF, DF = ctx.SF, ctx.DF
    if dm is None:
        dt = t - DF[g, TREF]
        if dt > 0.0:
            for k in range(1, 4):
                DF[g, ST + k] *= np.exp(-SF[g, C0 + k] * dt)
    else:
        relax_pair(SF, DF, g, t, DF[g, ST:], True)
    DF[g, TREF] = t


@jit
def _clear(ctx, lo, g, t, retire, H, n, seq):
    """Free every slot the nodes ``lo..g`` (a subtree is ``SI[g, LO]..g``) hold at ``t``; leaves then wait for slots
    anew (or retire), operations wait for their inputs and restart their run-time clocks. Returns the pools to
    dispatch in ``scratch``."""
    SI, SF, DI, DF, scratch = ctx.SI, ctx.SF, ctx.DI, ctx.DF, ctx.scratch
    m = ZERO
    for x in range(lo, g + 1):
        s = DI[x, STATUS]
        if s == ATTEMPTING or s == READY or s == PENDING_OK:
            free_slot(ctx, SI[x, POOLA], t)
            free_slot(ctx, SI[x, POOLB], t)
        DI[x, VERSION] += 1
        if retire != 0:
            DI[x, STATUS] = RETIRED
        elif SI[x, KIND] == LINK:
            DI[x, STATUS] = WAITING
            DF[x, WAITING_SINCE] = t
        else:
            DI[x, STATUS] = EMPTY
            DF[x, PUMPED] = 0.0
            if SI[x, CUT] == RUN_TIME:
                H, n, seq = push(H, n, seq, t + SF[x, CUTV], 1.0, EV_RUN, x, DI[x, VERSION])
        if SI[x, KIND] == LINK:
            scratch[m] = SI[x, POOLA]
            scratch[m + 1] = SI[x, POOLB]
            m += 2
    return H, n, seq, m


@jit
def _reset(ctx, g, t, retire, H, n, seq):
    """Restart the subtree of ``g`` (see :func:`_clear`), or retire it (``retire`` != 0), and hand out the slots it
    freed."""
    H, n, seq, m = _clear(ctx, ctx.SI[g, LO], g, t, retire, H, n, seq)
    return dispatch(ctx, m, t, H, n, seq)


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
    kids = wctx.kids  # a reset does not touch it
    for j in range(_inputs(ctx.SI, kids, p)):
        H, n, seq = _reset(ctx, kids[j], t, ZERO, H, n, seq)
    H, n, seq, _ = _clear(ctx, p, p, t, ZERO, H, n, seq)
    return H, n, seq


@jit(inline="always")
def _outcome(ctx, dm, p, t, top, skip, psucc, o, fc, ft, H, n, seq):
    """Operation ``p``, performed at ``top`` with output ``o`` (its pending frame ``fc`` at ``ft``) and success
    probability ``psucc``, draws its outcome and schedules it; True when it is known at once (see
    :func:`_operate`)."""
    SI, SF, DI, DF = ctx.SI, ctx.SF, ctx.DI, ctx.DF
    DF[p, TREF] = top
    if dm is None:
        for k in range(4):
            DF[p, ST + k] = o[k]
    else:
        store_pauli(DF, p, o, fc, ft)
    ok = skip or np.random.random() < psucc
    if not ok:
        DI[p, STATUS] = PENDING_FAIL
        # each end of the output frees its slot when the failure reaches it
        H, n, seq = free_at(ctx, SI[p, POOLA], top + SF[p, DFA], t, H, n, seq)
        H, n, seq = free_at(ctx, SI[p, POOLB], top + SF[p, DFB], t, H, n, seq)
    else:
        DI[p, STATUS] = PENDING_OK
    tdone = top + (0.0 if skip else SF[p, OUTD])
    if ok and tdone <= t and SF[p, TARGET] == 0.0:
        DI[p, STATUS] = READY
        DF[p, TREADY] = t
        return H, n, seq, True
    H, n, seq = push(H, n, seq, tdone, 0.0, EV_OP, p, DI[p, VERSION])
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
def _distil_terms(ctx, wctx, dm, p, t, H, n, seq, o):
    """:func:`_operate` for a distillation by term tables (more than two pairs, or any in the density-matrix mode):
    its inputs (decayed to the end of its duration, marked used) through the circuit's terms into ``o`` (for
    ``protocol="auto"`` the variant of :func:`qnet.choose_protocol`'s rule); below the policy's threshold (some
    input's fidelity under ``MINF``) the best input goes on unchanged. The sacrificed pairs' slots are freed when
    they are measured."""
    SI, SF, DI, DF = ctx.SI, ctx.SF, ctx.DI, ctx.DF
    wide, kin, kids = wctx.wide, wctx.kin, wctx.kids
    first, out_c, coef, idx = wide
    ns = o.shape[0]
    k = _inputs(SI, kids, p)
    top = t + SF[p, TAU]
    best = ZERO
    low = False
    for j in range(k):
        c = kids[j]
        _idle(ctx, dm, c, top)
        DI[c, STATUS] = USED
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
        H, n, seq = free_at(ctx, SI[c, POOLA], top, t, H, n, seq)
        H, n, seq = free_at(ctx, SI[c, POOLB], top, t, H, n, seq)
    return _outcome(ctx, dm, p, t, top, low, psucc, o, -1.0, 0.0, H, n, seq)


@jit(inline="always")
def _consume_two(ctx, dm, p, top):
    """The two inputs of operation ``p``, decayed to ``top`` (when it is performed) and marked used."""
    SI, DI = ctx.SI, ctx.DI
    ca = SI[p, CHA]
    cb = SI[p, CHB]
    _idle(ctx, dm, ca, top)
    _idle(ctx, dm, cb, top)
    DI[ca, STATUS] = USED
    DI[cb, STATUS] = USED
    return ca, cb


@jit
def _swap_dm(ctx, dm, p, t, H, n, seq, o):
    """:func:`_operate` for a swap in the density-matrix mode: the outcome is drawn, and its correction is pending at
    the end that uses the pair next until the outcome arrives there."""
    SI, SF, DF = ctx.SI, ctx.SF, ctx.DF
    top = t + SF[p, TAU]
    ca, cb = _consume_two(ctx, dm, p, top)
    k = bell_measure(DF[ca, ST:], DF[cb, ST:], SF[p, SWF:SWF + 4], uniform(dm), o)
    fc, ft = -1.0, 0.0
    if k > 0:
        fc, ft = float(k + 4 * SI[p, FEND]), top + SF[p, DFB if SI[p, FEND] == 1 else DFA]
    # the swapping node measures its two qubits
    H, n, seq = free_at(ctx, SI[ca, POOLB], top, t, H, n, seq)
    H, n, seq = free_at(ctx, SI[cb, POOLA], top, t, H, n, seq)
    return _outcome(ctx, dm, p, t, top, False, SF[p, P], o, fc, ft, H, n, seq)


@jit
def _operate(ctx, wctx, dm, p, t, H, n, seq, a, b, o):
    """Every input of operation ``p`` is known at ``t``: perform it (after its duration) and schedule its outcome.
    Returns True when the outcome is known at once (a success without delay)."""
    SI, SF, Dtab, DF = ctx.SI, ctx.SF, ctx.Dtab, ctx.DF
    if dm is not None:
        if SI[p, KIND] == SWAP:
            return _swap_dm(ctx, dm, p, t, H, n, seq, o)
        return _distil_terms(ctx, wctx, dm, p, t, H, n, seq, o)
    if SI[p, ARITY] > 2:
        return _distil_terms(ctx, wctx, dm, p, t, H, n, seq, o)
    top = t + SF[p, TAU]
    skip = False
    ca, cb = _consume_two(ctx, dm, p, top)
    for k in range(4):
        a[k] = DF[ca, ST + k]
        b[k] = DF[cb, ST + k]
    if SI[p, KIND] == SWAP:
        psucc = SF[p, P]
        for k in range(4):
            o[k] = a[k] * b[k] * SF[p, SWF + k]  # its node's noise scales each component
        # the swapping node measures its two qubits
        H, n, seq = free_at(ctx, SI[ca, POOLB], top, t, H, n, seq)
        H, n, seq = free_at(ctx, SI[cb, POOLA], top, t, H, n, seq)
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
        H, n, seq = free_at(ctx, SI[cb, POOLA], top, t, H, n, seq)
        H, n, seq = free_at(ctx, SI[cb, POOLB], top, t, H, n, seq)
    return _outcome(ctx, dm, p, t, top, skip, psucc, o, -1.0, 0.0, H, n, seq)


@jit(inline="always")
def _pump_again(ctx, dm, g, t):
    """Whether pumping node ``g``'s new output (known at ``t``) is still below its target with rounds left."""
    SI, SF, DF = ctx.SI, ctx.SF, ctx.DF
    if SF[g, TARGET] == 0.0 or DF[g, PUMPED] + 1.0 >= SI[g, PUMPS]:
        return False
    _idle(ctx, dm, g, t)
    return fidelity(DF[g, ST:]) < SF[g, TARGET]


@jit(inline="always")
def _ripe(ctx, g):
    """Whether ``g`` is a deferred distillation (not the root) whose inputs are all ready and that waits to be
    needed: it runs when the other inputs of its parent are ready."""
    SI, DI = ctx.SI, ctx.DI
    if not (SI[g, KIND] == DISTILL and SI[g, DEFER] == 1 and SI[g, PARENT] >= 0 and DI[g, STATUS] == EMPTY):
        return False
    x = g - 1
    while x >= SI[g, LO]:
        if DI[x, STATUS] != READY:
            return False
        x = SI[x, LO] - 1
    return True


@jit(inline="always")
def _others(ctx, p, c):
    """How the inputs of operation ``p`` other than ``c`` stand: 0 all ready; 1 each ready or ripe (some deferred
    distillations to run now); 2 some still on their way."""
    SI, DI = ctx.SI, ctx.DI
    state = 0
    x = p - 1
    while x >= SI[p, LO]:
        if x != c and DI[x, STATUS] != READY:
            if not _ripe(ctx, x):
                return 2
            state = 1
        x = SI[x, LO] - 1
    return state


@jit
def _run_ripe(ctx, wctx, dm, p, c, t, H, n, seq, a, b, o, todo, nt):
    """Perform the ripe inputs of ``p`` other than ``c``; those whose output is known at once join ``todo``."""
    SI = ctx.SI
    x = p - 1
    while x >= SI[p, LO]:
        if x != c and _ripe(ctx, x):
            H, n, seq, now = _operate(ctx, wctx, dm, x, t, H, n, seq, a, b, o)
            if now:
                todo[nt] = x
                nt += 1
        x = SI[x, LO] - 1
    return H, n, seq, nt


# ---------------------------------------------------------------- one handler per event kind
@jit(inline="always")
def _ready(ctx, g, t, todo):
    """Node ``g``'s pair is ready at ``t``: it starts the list of nodes whose readiness moves up. Returns 1."""
    ctx.DI[g, STATUS] = READY
    ctx.DF[g, TREADY] = t
    todo[0] = g
    return 1


@jit(inline="always")
def _on_link(ctx, dm, g, t, todo):
    """``EV_LINK``: link ``g``'s attempt succeeded; its fresh pair is ready. Returns how many nodes became ready."""
    SF, DF = ctx.SF, ctx.DF
    DF[g, TREF] = t - SF[g, EMIT]  # the qubits decohere from the emission of the successful attempt
    if dm is None:
        for k in range(4):
            DF[g, ST + k] = SF[g, HAT0 + k]
    else:
        fresh_pauli(SF, DF, g)
    return _ready(ctx, g, t, todo)


@jit(inline="always")
def _on_outcome(ctx, wctx, dm, g, t, H, n, seq, todo):
    """``EV_OP``: operation ``g``'s outcome is known where its output is used. A success makes the output ready (or,
    pumping below its target, the kept input again with fresh sacrificial pairs); a failure restarts every input.
    The loop hands a success without a pumping target to :func:`_ready` directly (the common case; through this
    handler it cost about 10 % of the loop's speed)."""
    SI, DI, DF, stats = ctx.SI, ctx.DI, ctx.DF, ctx.stats
    if DI[g, STATUS] == PENDING_OK and _pump_again(ctx, dm, g, t):
        ca = SI[g, CHA]
        for k in range(DF.shape[1]):  # reference time, frame and state
            DF[ca, k] = DF[g, k]
        DF[g, PUMPED] += 1.0
        DI[g, STATUS] = EMPTY
        DI[g, VERSION] += 1
        kids = wctx.kids
        for j in range(1, _inputs(SI, kids, g)):
            H, n, seq = _reset(ctx, kids[j], t, ZERO, H, n, seq)
        return H, n, seq, _ready(ctx, ca, t, todo)
    if DI[g, STATUS] == PENDING_OK:
        return H, n, seq, _ready(ctx, g, t, todo)
    stats[SI[g, REQ], FAILURES] += 1
    H, n, seq = _restart_inputs(ctx, wctx, g, t, H, n, seq)
    return H, n, seq, 0


@jit(inline="always")
def _on_cutoff(ctx, wctx, g, t, H, n, seq):
    """``EV_CUT``: a memory-time or fidelity cut-off of ready input ``g``; if it still waits for another input,
    every input of its parent restarts."""
    SI, DI, stats = ctx.SI, ctx.DI, ctx.stats
    p = SI[g, PARENT]
    if (DI[g, STATUS] == READY or _ripe(ctx, g)) and DI[p, STATUS] == EMPTY and _others(ctx, p, g) == 2:
        stats[SI[g, REQ], DISCARDS] += 1
        H, n, seq = _restart_inputs(ctx, wctx, p, t, H, n, seq)
    return H, n, seq


@jit(inline="always")
def _on_run_time(ctx, wctx, g, t, H, n, seq):
    """``EV_RUN``: operation ``g``'s run-time cut-off; if it has not been performed yet, its inputs restart."""
    SI, DI, stats = ctx.SI, ctx.DI, ctx.stats
    if DI[g, STATUS] == EMPTY:
        stats[SI[g, REQ], DISCARDS] += 1
        H, n, seq = _restart_inputs(ctx, wctx, g, t, H, n, seq)
    return H, n, seq


@jit(inline="always")
def _deliver(ctx, dm, c, t, H, n, seq, out):
    """Instance root ``c`` is ready: record the delivery, then restart the instance, or, when its request has all
    its deliveries, retire every instance of the request. Returns 1 when the request is now served, else 0."""
    SI, stats = ctx.SI, ctx.stats
    inst = SI[c, INST]
    r = SI[c, REQ]
    _idle(ctx, dm, c, t)
    k = stats[r, DELIVERED]
    out.wait[r, k] = t - out.start[inst]
    out.time[r, k] = t
    for q in range(out.state.shape[2]):
        out.state[r, k, q] = ctx.DF[c, ST + q]
    stats[r, DELIVERED] = k + 1
    out.start[inst] = t
    if k + 1 < out.target[r]:
        H, n, seq = _reset(ctx, c, t, ZERO, H, n, seq)
        return H, n, seq, 0
    roots = out.inst_root
    for j in range(roots.shape[0]):  # the request is served: its instances free everything and stop
        if out.inst_req[j] == r:
            H, n, seq = _reset(ctx, roots[j], t, ONE, H, n, seq)
    return H, n, seq, 1


@jit
def simulate(SI, SF, Dtab, wide, inst_root, inst_req, pool_cap, pool_ptr, pool_leaf, req_target, req_prio, order, seed,
             max_events, out_wait, out_time, out_state, stats, pool_busy, dm):
    """Run until every request has ``req_target[r]`` deliveries.

    ``Dtab[m]`` is a two-pair distillation's map on Walsh–Hadamard components; ``wide`` the term tables (see the
    context above). Outputs: ``out_wait[r, k]`` time from the start of the instance's attempt cycle to delivery,
    ``out_time`` the absolute delivery time, ``out_state[r, k]`` the delivered state (4 or 16 numbers);
    ``stats[r]`` = (deliveries, link attempts, operation failures, cut-off discards); ``pool_busy[p]`` slot-seconds
    used. ``dm`` is the mode (module docstring): ``None``, or a one-element uint64 array that becomes the swap
    outcomes' generator, seeded here. Returns ``(code, events, end time)``.
    """
    np.random.seed(seed)
    ns = out_state.shape[2]
    M = SI.shape[0]
    n_pool = pool_cap.shape[0]
    DI = np.zeros((M, 3), dtype=np.int64)
    DF = np.zeros((M, ST + ns))
    pool = np.zeros((n_pool, 4))
    for p in range(n_pool):
        pool[p, CAPACITY] = pool_cap[p]
        pool[p, FREE] = pool_cap[p]
    cfg = np.array([order, -1, 0], dtype=np.int64)  # ORDER, LAST_SERVED, STAMP
    scratch = np.empty(max(2 * M, n_pool), dtype=np.int64)
    k_max = max(2, wide[3].shape[1])
    ctx = _Ctx(SI, SF, Dtab, DI, DF, pool, pool_ptr, pool_leaf, req_prio, cfg, stats, scratch,
               np.empty(M, dtype=np.int64))
    if dm is not None:
        dm[0] = seed
        dm[0] ^= np.uint64(0x5DEECE66D)  # a stream of its own, not numpy's seeding
    wctx = _Work(wide, np.empty((k_max + 1, ns)), np.empty(k_max, dtype=np.int64))
    out = _Out(out_wait, out_time, out_state, np.zeros(inst_root.shape[0]), inst_root, inst_req, req_target)
    H = np.empty((4 * M + 64, 5))
    n = ZERO
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
            DI[g, STATUS] = WAITING
        else:
            DI[g, STATUS] = EMPTY
            if SI[g, CUT] == RUN_TIME:
                H, n, seq = push(H, n, seq, SF[g, CUTV], 1.0, EV_RUN, g, ZERO)
    for p in range(n_pool):
        scratch[p] = p
    t = 0.0
    H, n, seq = dispatch(ctx, n_pool, t, H, n, seq)
    events = 0
    while pending > 0:
        if n == 0:
            return STALLED, events, t
        if events >= max_events:
            return TOO_MANY_EVENTS, events, t
        pop(H, n, row)
        n -= 1
        t = row[TIME_COLUMN]
        kind = row[KIND_COLUMN]
        g = int(row[TARGET_COLUMN])
        if kind == EV_FREE:
            events += 1
            H, n, seq = free_at(ctx, g, t, t, H, n, seq)
            continue
        if DI[g, VERSION] != int(row[VERSION_COLUMN]):
            continue  # stale: its target was reset since
        events += 1
        nt = 0
        if kind == EV_LINK:
            nt = _on_link(ctx, dm, g, t, todo)
        elif kind == EV_OP:
            if DI[g, STATUS] == PENDING_OK and SF[g, TARGET] == 0.0:
                nt = _ready(ctx, g, t, todo)
            else:
                H, n, seq, nt = _on_outcome(ctx, wctx, dm, g, t, H, n, seq, todo)
        elif kind == EV_CUT:
            H, n, seq = _on_cutoff(ctx, wctx, g, t, H, n, seq)
        elif kind == EV_RUN:
            H, n, seq = _on_run_time(ctx, wctx, g, t, H, n, seq)
        i = 0
        while i < nt:
            c = todo[i]
            i += 1
            p = SI[c, PARENT]
            if p < 0:
                H, n, seq, s = _deliver(ctx, dm, c, t, H, n, seq, out)
                pending -= s
                continue
            state = _others(ctx, p, c)
            if state != 0:
                if SI[p, CUT] == MEMORY_TIME:
                    H, n, seq = push(H, n, seq, t + SF[p, CUTV], 1.0, EV_CUT, c, DI[c, VERSION])
                elif SI[p, CUT] == FIDELITY:  # discarded when its own fidelity falls below the threshold
                    w = fidelity_wait(SF, DF, c, t, SF[p, CUTV], o, dm)
                    if w < np.inf:
                        H, n, seq = push(H, n, seq, t + w, 1.0, EV_CUT, c, DI[c, VERSION])
                if state == 1:  # deferred distillations whose outputs are needed now
                    H, n, seq, nt = _run_ripe(ctx, wctx, dm, p, c, t, H, n, seq, a, b, o, todo, nt)
                continue
            if _ripe(ctx, p):  # deferred until its parent's other inputs are ready (or ripe too)
                q = SI[p, PARENT]
                state = _others(ctx, q, p)
                if state == 2:
                    if SI[q, CUT] == MEMORY_TIME:  # the waiting pairs count as ready for the cut-off
                        H, n, seq = push(H, n, seq, t + SF[q, CUTV], 1.0, EV_CUT, p, DI[p, VERSION])
                    continue
                if state == 1:
                    H, n, seq, nt = _run_ripe(ctx, wctx, dm, q, p, t, H, n, seq, a, b, o, todo, nt)
            H, n, seq, now = _operate(ctx, wctx, dm, p, t, H, n, seq, a, b, o)
            if now:
                todo[nt] = p
                nt += 1
    for p in range(n_pool):
        account(ctx, p, t)
        pool_busy[p] = pool[p, SLOT_SECONDS]
    return DONE, events, t
