"""Event-level Monte Carlo of nested repeater protocols (:meth:`qnet.RepeaterChain.simulate`), and the swap-asap
chain of :func:`qnet.simulate_swap_asap`.

The protocol is a tree of nodes: ``kind`` 0 = elementary link (geometric number of attempts),
1 = swap, 2 = distillation. Node ``n`` combines a pair from ``ch_a[n]`` and one from
``ch_b[n]`` (sampled one after the other, both counted from the start of the attempt).
States are Walsh–Hadamard vectors (component 0 = 1); a waiting pair's component ``s``
decays as ``exp(-c[s] dt)``. The recursion runs on an explicit stack (no recursion in numba).
No validation, no exceptions.
"""

from __future__ import annotations

import numpy as np

from . import jit

from .codes import DISTILL, ELEMENTARY, FIDELITY, MEMORY_TIME, NO_CUT, RUN_TIME, SWAP  # noqa: F401


@jit(inline="always")
def bilinear(D, a, b, out):
    """``out[k] = sum_ij D[k, i, j] a[i] b[j]`` normalised by its component 0, which is returned (the success
    probability of a distillation on Walsh–Hadamard components)."""
    for k in range(4):
        v = 0.0
        for i in range(4):
            for j in range(4):
                v += D[k, i, j] * a[i] * b[j]
        out[k] = v
    p = out[0]
    for k in range(4):
        out[k] /= p
    return p


@jit(inline="always")
def better(f, p, best_f, best_p, atol):
    """``qnet.choose_protocol``'s rule for ``protocol="auto"``: a later variant with output fidelity ``f`` and
    success probability ``p`` replaces the current choice only when ``f`` is higher by more than ``atol``, or equal
    within it and ``p`` higher by more than it."""
    return f > best_f + atol or (f >= best_f - atol and p > best_p + atol)


@jit(inline="always")
def best_bilinear(Dtab, first, count, atol, a, b, out):
    """The distillation ``Dtab[first + c]`` (``c < count``) that ``protocol="auto"`` picks for inputs ``a``, ``b``
    (Walsh–Hadamard components), applied as :func:`bilinear`: a later map replaces the current choice only when
    its output fidelity is higher by more than ``atol``, or equal within it and its success probability higher
    by more than it (``qnet.choose_protocol``'s rule). Returns the success probability (0 when no map succeeds)."""
    best_f = -1.0
    best_p = 0.0
    for c in range(first, first + count):
        v0 = 0.0
        v1 = 0.0
        v2 = 0.0
        v3 = 0.0
        for i in range(4):
            for j in range(4):
                ab = a[i] * b[j]
                v0 += Dtab[c, 0, i, j] * ab
                v1 += Dtab[c, 1, i, j] * ab
                v2 += Dtab[c, 2, i, j] * ab
                v3 += Dtab[c, 3, i, j] * ab
        if v0 <= 0.0:
            continue
        f = 0.25 * (1.0 + (v1 + v2 + v3) / v0)
        if better(f, v0, best_f, best_p, atol):
            best_f = f
            best_p = v0
            out[0] = 1.0
            out[1] = v1 / v0
            out[2] = v2 / v0
            out[3] = v3 / v0
    return best_p


@jit
def _fid(s, c, d):
    return 0.25 * (1.0 + s[1] * np.exp(-c[1] * d) + s[2] * np.exp(-c[2] * d) + s[3] * np.exp(-c[3] * d))


@jit(inline="always")
def _copies(cur, k, tin, sin, c, cut_code, cut_val, first, out_c, coef, idx, out):
    """The distillation of ``k`` copies at node ``cur``: ``(passed the cut-off, failure time, time of the last copy,
    success probability)``; on a pass ``out`` holds the normalised output (components decayed by each copy's
    wait)."""
    tmin = tin[cur, 0]
    tmax = tin[cur, 0]
    for slot in range(1, k):
        tmin = min(tmin, tin[cur, slot])
        tmax = max(tmax, tin[cur, slot])
    code = cut_code[cur]
    if code == MEMORY_TIME and tmax - tmin > int(cut_val[cur]):
        return False, tmin + int(cut_val[cur]), tmax, 0.0
    if code == RUN_TIME and tmax > int(cut_val[cur]):
        return False, int(cut_val[cur]), tmax, 0.0
    for o in range(4):
        out[o] = 0.0
    for j in range(first[cur], first[cur + 1]):
        v = coef[j]
        for slot in range(k):
            i = idx[j, slot]
            v *= sin[cur, slot, i] * np.exp(-c[cur, i] * (tmax - tin[cur, slot]))
        out[out_c[j]] += v
    p = out[0]
    for o in range(4):
        out[o] /= p
    return True, 0, tmax, p


@jit(inline="always")
def _pair(cur, ta, tb, cA, cB, cut_code, cut_val, swap, p_swap, D, a, b, out):
    """The operation of a node with two inputs (a swap, or a two-pair distillation) that arrived at ``ta`` and
    ``tb`` in states ``a`` and ``b``: ``(passed the cut-off, failure time, time of the later input, success
    probability)``; on a pass ``out`` holds the output (the earlier input decayed by its wait)."""
    ok = True
    tf = 0
    code = cut_code[cur]
    if code == MEMORY_TIME:
        tau = int(cut_val[cur])
        if abs(ta - tb) > tau:
            ok = False
            tf = min(ta, tb) + tau
    elif code == RUN_TIME:
        rt = int(cut_val[cur])
        if ta > rt or tb > rt:
            ok = False
            tf = rt
    elif code == FIDELITY:
        fc = cut_val[cur]
        if ta == tb:
            if _fid(a, cA[cur], 0.0) < fc or _fid(b, cB[cur], 0.0) < fc:
                ok = False
                tf = ta
        else:
            if ta < tb:
                te = ta
                tl = tb
                fe0 = _fid(a, cA[cur], 0.0)
                fl0 = _fid(b, cB[cur], 0.0)
            else:
                te = tb
                tl = ta
                fe0 = _fid(b, cB[cur], 0.0)
                fl0 = _fid(a, cA[cur], 0.0)
            if fe0 < fc:
                ok = False
                tf = te
            else:
                d = 1
                while d <= tl - te:
                    f = _fid(a, cA[cur], float(d)) if ta < tb else _fid(b, cB[cur], float(d))
                    if f < fc:
                        break
                    d += 1
                if d <= tl - te:
                    ok = False
                    tf = te + d - 1
                elif fl0 < fc:
                    ok = False
                    tf = tl
    if not ok:
        return False, tf, 0, 0.0
    dt = abs(ta - tb)
    if ta < tb:
        for k in range(4):
            a[k] *= np.exp(-cA[cur, k] * dt)
    elif tb < ta:
        for k in range(4):
            b[k] *= np.exp(-cB[cur, k] * dt)
    if swap:  # the map of a swap is diagonal: its node's noise scales each component
        psucc = p_swap
        for k in range(4):
            out[k] = a[k] * b[k] * D[cur, k, k, k]
    else:
        psucc = bilinear(D[cur], a, b, out)
    return True, 0, max(ta, tb), psucc


@jit
def sample_tree(n_samples, root, kind, ch_a, ch_b, p_gen, link_hat, cA, cB, cut_code, cut_val, p_swap, D, seed,
                times, states, max_links, arity, first, out_c, coef, idx):
    """Fill ``times[n]`` and ``states[n, 4]`` (WHT) with delivered pairs; return the number of links generated,
    or -1 when one delivery needed more than ``max_links`` links (a chain that (almost) never delivers).

    A node of ``arity[n] > 2`` is a distillation of that many copies of its input ``ch_a[n]`` (memory-time or
    run-time cut-off over all copies); its map is the terms ``first[n] <= j < first[n + 1]``: output component
    ``out_c[j]`` gains ``coef[j] Π_slot s_slot[idx[j, slot]]``."""
    np.random.seed(seed)
    N = kind.shape[0]
    phase = np.zeros(N, dtype=np.int64)
    acc = np.zeros(N, dtype=np.int64)
    tA = np.zeros(N, dtype=np.int64)  # a two-input node's first input: arrival (from its attempt) and state
    sA = np.zeros((N, 4))
    K = max(2, int(arity.max()))
    tin = np.zeros((N, K), dtype=np.int64)  # the inputs of a node of k copies
    sin = np.zeros((N, K, 4))
    stack = np.zeros(N + 2, dtype=np.int64)
    ret_s = np.zeros(4)
    a = np.zeros(4)
    b = np.zeros(4)
    out = np.zeros(4)
    n_links = 0
    for smp in range(n_samples):
        start_links = n_links
        sp = 0
        stack[0] = root
        cur = root
        enter = True
        ret_t = 0
        while True:
            if enter:
                if kind[cur] == ELEMENTARY:
                    ret_t = np.random.geometric(p_gen[cur])
                    for k in range(4):
                        ret_s[k] = link_hat[cur, k]
                    n_links += 1
                    if n_links - start_links > max_links:
                        return -1
                    enter = False
                    sp -= 1
                    if sp < 0:
                        break
                    cur = stack[sp]
                else:
                    acc[cur] = 0
                    phase[cur] = 0
                    sp += 1
                    cur = ch_a[cur]
                    stack[sp] = cur
                continue
            # a child returned (ret_t, ret_s) into node cur
            if arity[cur] == 2:  # the common node: its first input kept aside, the second used where it is
                if phase[cur] == 0:
                    tA[cur] = ret_t
                    for k in range(4):
                        sA[cur, k] = ret_s[k]
                    phase[cur] = 1
                    sp += 1
                    cur = ch_b[cur]
                    stack[sp] = cur
                    enter = True
                    continue
                for k in range(4):
                    a[k] = sA[cur, k]
                    b[k] = ret_s[k]
                ok, tf, tm, psucc = _pair(cur, tA[cur], ret_t, cA, cB, cut_code, cut_val, kind[cur] == SWAP, p_swap,
                                          D, a, b, out)
            else:  # k copies of one input
                tin[cur, phase[cur]] = ret_t
                for k in range(4):
                    sin[cur, phase[cur], k] = ret_s[k]
                phase[cur] += 1
                if phase[cur] < arity[cur]:
                    sp += 1
                    cur = ch_a[cur]
                    stack[sp] = cur
                    enter = True
                    continue
                ok, tf, tm, psucc = _copies(cur, arity[cur], tin, sin, cA, cut_code, cut_val, first, out_c, coef, idx,
                                            out)
            if ok and np.random.random() < psucc:
                ret_t = acc[cur] + tm
                for k in range(4):
                    ret_s[k] = out[k]
                sp -= 1
                if sp < 0:
                    break
                cur = stack[sp]
                continue
            acc[cur] += tm if ok else tf  # a failed operation, or a cut-off: the inputs start again
            phase[cur] = 0
            sp += 1
            cur = ch_a[cur]
            stack[sp] = cur
            enter = True
        times[smp] = ret_t
        for k in range(4):
            states[smp, k] = ret_s[k]
    return n_links


@jit
def swap_asap(n_samples, p_gen, link_hat, node_c, p_swap, tau, seed, max_steps, times, states):
    """Time-stepped swap-as-soon-as-possible on a chain of ``n = p_gen.size`` segments.

    Every step: links whose older qubit has been stored more than ``tau`` steps are discarded;
    every segment whose two memories are free attempts a link; every node holding a left and a
    right link swaps at once (success ``p_swap``, otherwise both links are lost), repeatedly
    within the step. The first end-to-end link ends a sample (its time and WHT state are
    stored) and the chain restarts empty. Links are stored at their left node ``i``:
    ``right[i]`` = right end (-1: none), ``born[i, 0/1]`` = creation step of the left/right
    qubit, ``upd[i]`` = step of the last state update. Returns the number of links generated,
    or -1 if a sample exceeded ``max_steps``.
    """
    np.random.seed(seed)
    n = p_gen.shape[0]
    right = np.full(n + 1, -1, dtype=np.int64)
    left = np.full(n + 1, -1, dtype=np.int64)
    born = np.zeros((n + 1, 2), dtype=np.int64)
    upd = np.zeros(n + 1, dtype=np.int64)
    st = np.zeros((n + 1, 4))
    n_links = 0
    for smp in range(n_samples):
        right[:] = -1
        left[:] = -1
        t = 0
        done = False
        while not done:
            t += 1
            if t > max_steps:
                return -1
            # cut-off on the older qubit of every link
            for i in range(n):
                j = right[i]
                if j >= 0 and t - min(born[i, 0], born[i, 1]) > tau:
                    right[i] = -1
                    left[j] = -1
            # generation on every segment with free memories
            for s in range(n):
                if right[s] < 0 and left[s + 1] < 0 and np.random.random() < p_gen[s]:
                    right[s] = s + 1
                    left[s + 1] = s
                    born[s, 0] = t
                    born[s, 1] = t
                    upd[s] = t
                    for k in range(4):
                        st[s, k] = link_hat[s, k]
                    n_links += 1
            # swaps wherever a node holds two links
            changed = True
            while changed:
                changed = False
                for m in range(1, n):
                    i = left[m]
                    j = right[m]
                    if i < 0 or j < 0:
                        continue
                    changed = True
                    right[i] = -1
                    left[m] = -1
                    right[m] = -1
                    left[j] = -1
                    if np.random.random() < p_swap:
                        for k in range(4):
                            a = st[i, k] * np.exp(-(node_c[i, k] + node_c[m, k]) * (t - upd[i]))
                            b = st[m, k] * np.exp(-(node_c[m, k] + node_c[j, k]) * (t - upd[m]))
                            st[i, k] = a * b
                        upd[i] = t
                        born[i, 1] = born[m, 1]
                        right[i] = j
                        left[j] = i
            if right[0] == n:
                times[smp] = t
                for k in range(4):
                    states[smp, k] = st[0, k] * np.exp(-(node_c[0, k] + node_c[n, k]) * (t - upd[0]))
                done = True
    return n_links
