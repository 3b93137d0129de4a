"""Event-level Monte Carlo of nested repeater protocols (``qnet.montecarlo``).

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

ELEMENTARY, SWAP, DISTILL = 0, 1, 2
NO_CUT, MEMORY_TIME, FIDELITY, RUN_TIME = -1, 0, 1, 2


@jit
def _fid(s, c, d):
    return 0.25 * (1.0 + s[1] * np.exp(-c[1] * d) + s[2] * np.exp(-c[2] * d) + s[3] * np.exp(-c[3] * d))


@jit
def sample_tree(n_samples, root, kind, ch_a, ch_b, p_gen, link_hat, cA, cB, cut_code, cut_val, p_swap, D, seed,
                times, states):
    """Fill ``times[n]`` and ``states[n, 4]`` (WHT) with delivered pairs; return the number of links generated."""
    np.random.seed(seed)
    N = kind.shape[0]
    phase = np.zeros(N, dtype=np.int64)
    acc = np.zeros(N, dtype=np.int64)
    tA = np.zeros(N, dtype=np.int64)
    sA = np.zeros((N, 4))
    stack = np.zeros(N + 2, dtype=np.int64)
    ret_s = np.zeros(4)
    a = np.zeros(4)
    b = np.zeros(4)
    out = np.zeros(4)
    n_links = 0
    for smp in range(n_samples):
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
            ta = tA[cur]
            tb = ret_t
            for k in range(4):
                a[k] = sA[cur, k]
                b[k] = ret_s[k]
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
                            f = _fid(a, cA[cur], d) if ta < tb else _fid(b, cB[cur], d)
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
                acc[cur] += tf
                phase[cur] = 0
                sp += 1
                cur = ch_a[cur]
                stack[sp] = cur
                enter = True
                continue
            dt = abs(ta - tb)
            if ta < tb:
                for k in range(4):
                    a[k] *= np.exp(-cA[cur, k] * dt)
            elif tb < ta:
                for k in range(4):
                    b[k] *= np.exp(-cB[cur, k] * dt)
            if kind[cur] == SWAP:
                psucc = p_swap
                for k in range(4):
                    out[k] = a[k] * b[k]
            else:
                for k in range(4):
                    v = 0.0
                    for i in range(4):
                        for j in range(4):
                            v += D[k, i, j] * a[i] * b[j]
                    out[k] = v
                psucc = out[0]
                for k in range(4):
                    out[k] /= psucc
            tm = max(ta, tb)
            if np.random.random() < psucc:
                ret_t = acc[cur] + tm
                for k in range(4):
                    ret_s[k] = out[k]
                sp -= 1
                if sp < 0:
                    break
                cur = stack[sp]
            else:
                acc[cur] += tm
                phase[cur] = 0
                sp += 1
                cur = ch_a[cur]
                stack[sp] = cur
                enter = True
        times[smp] = ret_t
        for k in range(4):
            states[smp, k] = ret_s[k]
    return n_links
