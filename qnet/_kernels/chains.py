"""Kernels of the exact repeater-chain recursion (``qnet.chains``).

Arrays are "joint" arrays ``J[t, s] = Pr(T = t) * lam_hat_s(t)``: the delivery
probability at time step ``t`` times the Walsh–Hadamard component ``s`` of the
state delivered at ``t`` (``lam_hat_0 = 1``, so ``J[:, 0]`` is the pmf). A
waiting pair's component ``s`` decays as ``exp(-c[s] * dt)`` (``c[0] = 0``).
``D[k, i, j]`` is the bilinear map of an operation on the components of two
input pairs: ``p * out_hat_k = sum_ij D[k, i, j] a_hat_i b_hat_j``.

Cut-off codes: 0 memory time (``|tA - tB| <= cutoff`` passes, a failure is
known at ``min(tA, tB) + cutoff``), 1 fidelity (the earlier pair is dropped as
soon as its fidelity would fall below ``cutoff``), 2 run time (both pairs by
``cutoff`` or both dropped at ``cutoff``). No validation happens here.
"""

from __future__ import annotations

import numpy as np

from . import jit
from .channels import wht4
from .codes import FIDELITY, MEMORY_TIME, RUN_TIME  # noqa: F401


@jit
def _window_sums(f, c, tau, out):
    """``out[t] = sum_{s = max(0, t - tau)}^{t - 1} f[s] exp(-c (t - s))`` for every t (``out[0]`` is left as it
    is: 0 in a zeroed array)."""
    T = f.shape[0]
    e1 = np.exp(-c)
    etail = np.exp(-c * (tau + 1.0)) if tau < T else 0.0
    r = 0.0
    for t in range(1, T):
        r = e1 * (r + f[t - 1])
        if tau < T and t - 1 - tau >= 0:
            r -= f[t - 1 - tau] * etail
        out[t] = r


@jit
def series_inverse_head(G, k):
    """First ``k`` terms of the power series ``1 / (1 - G)`` by the direct recursion (O(k^2))."""
    a0 = 1.0 - G[0]
    b = np.zeros(k)
    b[0] = 1.0 / a0
    for t in range(1, k):
        acc = 0.0
        for s in range(1, t + 1):
            acc += G[s] * b[t - s]
        b[t] = acc / a0
    return b


@jit
def exponential_sums(f, G, s):
    """``(sum_t |f[t]| e^(s t), sum_t |G[t]| e^(s t))`` in one pass, the exponential exact every 64 steps and a
    running product between (relative error below 70 ulp)."""
    r = np.exp(s)
    e = 1.0
    sf = 0.0
    sg = 0.0
    for t in range(f.shape[0]):
        if t % 64 == 0:
            e = np.exp(s * t)
        sf += abs(f[t]) * e
        sg += abs(G[t]) * e
        e *= r
    return sf, sg


@jit
def _neumaier(total, comp, x):
    """One step of Neumaier's compensated sum: ``(total, compensation)`` after adding ``x``."""
    s = total + x
    if abs(total) >= abs(x):
        comp += (total - s) + x
    else:
        comp += (x - s) + total
    return s, comp


@jit
def delivered(J, floor):
    """The delivery pmf (``max(J[t, 0], 0)``, ``pmf[0] = 0``), the Bell-diagonal state delivered at each step where
    ``pmf[t] > floor * max(pmf)`` (NaN elsewhere; ``bds_from_wht`` of ``J[t] / pmf[t]``, row by row with the same
    arithmetic), the sum of ``J`` over those steps, and the compensated sums ``Σ pmf`` and ``Σ t pmf``."""
    T = J.shape[0]
    pmf = np.zeros(T)
    top = 0.0
    for t in range(1, T):
        pmf[t] = max(J[t, 0], 0.0)
        top = max(top, pmf[t])
    state = np.full((T, 4), np.nan)
    tot = np.zeros(4)
    mass = 0.0
    mass_c = 0.0
    moment = 0.0
    moment_c = 0.0
    lam = np.zeros(4)
    for t in range(1, T):
        p = pmf[t]
        mass, mass_c = _neumaier(mass, mass_c, p)
        moment, moment_c = _neumaier(moment, moment_c, t * p)
        if p > floor * top:
            h = wht4(J[t, 0] / p, J[t, 1] / p, J[t, 2] / p, J[t, 3] / p)
            for k in range(4):
                lam[k] = max(0.25 * h[k], 0.0)
            norm = lam[0] + lam[1] + lam[2] + lam[3]
            for k in range(4):
                state[t, k] = lam[k] / norm
                tot[k] += J[t, k]
    return pmf, state, tot, mass + mass_c, moment + moment_c


@jit
def join_window(JA, JB, cA, cB, tau, D, pairs):
    """Pass part of a memory-time (window ``tau``) join, O(T) per component pair.

    Returns ``(out, passed)``: ``out[t, k] = sum_ij D[k, i, j] J_ij(t)`` and
    ``passed[t] = J_00(t)`` (probability that the cut-off passes at ``t``).
    ``pairs`` lists the (i, j) with a non-zero ``D[:, i, j]``.
    """
    T = JA.shape[0]
    out = np.zeros((T, 4))
    RA = np.zeros((4, T))
    RB = np.zeros((4, T))
    needA = np.zeros(4, dtype=np.bool_)
    needB = np.zeros(4, dtype=np.bool_)
    for n in range(pairs.shape[0]):
        needA[pairs[n, 0]] = True
        needB[pairs[n, 1]] = True
    needA[0] = True
    needB[0] = True
    for i in range(4):  # into the rows of RA, RB (a row assignment RA[i] = ... would compile numba's shape errors)
        if needA[i]:
            _window_sums(JA[:, i], cA[i], tau, RA[i])
        if needB[i]:
            _window_sums(JB[:, i], cB[i], tau, RB[i])
    passed = np.zeros(T)
    for t in range(1, T):
        passed[t] = JA[t, 0] * JB[t, 0] + JB[t, 0] * RA[0, t] + JA[t, 0] * RB[0, t]
    for n in range(pairs.shape[0]):
        i = pairs[n, 0]
        j = pairs[n, 1]
        for t in range(1, T):
            v = JA[t, i] * JB[t, j] + JB[t, j] * RA[i, t] + JA[t, i] * RB[j, t]
            for k in range(4):
                out[t, k] += D[k, i, j] * v
    return out, passed


@jit
def fail_window(pA, pB, tau):
    """Failure-time pmf of a memory-time cut-off: one pair at ``m``, the other later than ``m + tau``."""
    T = pA.shape[0]
    fail = np.zeros(T)
    if tau >= T:
        return fail
    cA = np.cumsum(pA)
    cB = np.cumsum(pB)
    for m in range(1, T - tau):
        x = m + tau
        sA = max(0.0, 1.0 - cA[x])
        sB = max(0.0, 1.0 - cB[x])
        fail[x] += pA[m] * sB + pB[m] * sA
    return fail


@jit
def allowed_wait(J, c, fcut, tmax):
    """Longest wait keeping fidelity >= ``fcut`` for the mean state delivered at each t (-1: already below)."""
    T = J.shape[0]
    W = np.full(T, -1, dtype=np.int64)
    for t in range(T):
        p = J[t, 0]
        if p <= 0.0:
            continue
        a1 = J[t, 1] / p
        a2 = J[t, 2] / p
        a3 = J[t, 3] / p
        d = 0
        while d <= tmax:
            f = 0.25 * (1.0 + a1 * np.exp(-c[1] * d) + a2 * np.exp(-c[2] * d) + a3 * np.exp(-c[3] * d))
            if f < fcut:
                break
            d += 1
        W[t] = d - 1
    return W


@jit
def join_direct(JA, JB, cA, cB, D, cut_type, cutoff):
    """Straightforward O(T^2) join over all pairs of arrival times, for every cut-off type.

    Returns ``(out, passed, fail)`` as :func:`join_window` plus the failure-time pmf.
    Pairs arriving at or after ``T`` are accounted for through the missing mass
    ``1 - sum(p)`` where they decide an event before ``T``.
    """
    T = JA.shape[0]
    out = np.zeros((T, 4))
    passed = np.zeros(T)
    fail = np.zeros(T)
    pA = JA[:, 0]
    pB = JB[:, 0]
    beyondA = max(0.0, 1.0 - np.sum(pA))
    beyondB = max(0.0, 1.0 - np.sum(pB))
    tau = 0
    rt = 0
    WA = np.zeros(T, dtype=np.int64)
    WB = np.zeros(T, dtype=np.int64)
    if cut_type == MEMORY_TIME:
        tau = int(min(cutoff, 4.0 * T))
    elif cut_type == RUN_TIME:
        rt = int(min(cutoff, 4.0 * T))
    else:
        WA = allowed_wait(JA, cA, cutoff, T)
        WB = allowed_wait(JB, cB, cutoff, T)
    a = np.zeros(4)
    b = np.zeros(4)
    for t1 in range(1, T):
        if pA[t1] == 0.0:
            continue
        for t2 in range(1, T):
            if pB[t2] == 0.0:
                continue
            w = pA[t1] * pB[t2]
            ok = True
            tf = 0
            if cut_type == MEMORY_TIME:
                if abs(t1 - t2) > tau:
                    ok = False
                    tf = min(t1, t2) + tau
            elif cut_type == RUN_TIME:
                if t1 > rt or t2 > rt:
                    ok = False
                    tf = rt
            else:
                if t1 <= t2:
                    te, tl, We, Wl_ok = t1, t2, WA[t1], WB[t2] >= 0
                else:
                    te, tl, We, Wl_ok = t2, t1, WB[t2], WA[t1] >= 0
                if t1 == t2:
                    if WA[t1] < 0 or WB[t2] < 0:
                        ok = False
                        tf = t1
                elif We < 0:
                    ok = False
                    tf = te
                elif te + We < tl:
                    ok = False
                    tf = te + We
                elif not Wl_ok:
                    ok = False
                    tf = tl
            if not ok:
                if tf < T:
                    fail[tf] += w
                continue
            t = max(t1, t2)
            dt = abs(t1 - t2)
            for s in range(4):
                a[s] = JA[t1, s]
                b[s] = JB[t2, s]
                if t1 < t2:
                    a[s] *= np.exp(-cA[s] * dt)
                elif t2 < t1:
                    b[s] *= np.exp(-cB[s] * dt)
            passed[t] += w
            for k in range(4):
                acc = 0.0
                for i in range(4):
                    for j in range(4):
                        acc += D[k, i, j] * a[i] * b[j]
                out[t, k] += acc
    # one pair arrives at or after T
    if cut_type == RUN_TIME:
        if rt < T:
            for t1 in range(1, T):
                fail[rt] += pA[t1] * beyondB + pB[t1] * beyondA
            fail[rt] += beyondA * beyondB
    else:
        for t1 in range(1, T):
            for side in range(2):
                p = pA[t1] if side == 0 else pB[t1]
                other = beyondB if side == 0 else beyondA
                if p == 0.0 or other == 0.0:
                    continue
                if cut_type == MEMORY_TIME:
                    if T - t1 > tau:
                        fail[t1 + tau] += p * other
                else:
                    We = WA[t1] if side == 0 else WB[t1]
                    if We < 0:
                        fail[t1] += p * other
                    elif t1 + We < T:
                        fail[t1 + We] += p * other
    return out, passed, fail


# ---------------------------------------------------------------- k copies of one sub-protocol (a k-pair circuit)
@jit
def join_window_k(J, c, tau, out_c, coef, idx):
    """Pass part of a memory-time join of ``k`` independent copies of one input (``J``, decay rates ``c``), the
    distillation map given as terms: ``out[t, out_c[n]] += coef[n] Π_slot a_slot[idx[n, slot]]`` summed over the
    arrival times of the copies, all within ``tau`` of the last one, at ``t``, each copy's components decayed by
    its wait. ``passed[t]`` is the probability of that event. With ``W = R + J(t)`` the windowed sums up to ``t``
    and ``R`` those up to ``t - 1``, the product over slots of ``W`` minus that of ``R`` is expanded over the
    non-empty sets of slots taking ``J(t)``, so nothing cancels. O(T 2^k) per term."""
    T = J.shape[0]
    k = idx.shape[1]
    R = np.zeros((4, T))
    for i in range(4):
        _window_sums(J[:, i], c[i], tau, R[i])
    out = np.zeros((T, 4))
    passed = np.zeros(T)
    for t in range(1, T):
        for mask in range(1, 1 << k):
            v = 1.0
            for slot in range(k):
                v *= J[t, 0] if (mask >> slot) & 1 else R[0, t]
            passed[t] += v
        for n in range(coef.shape[0]):
            acc = 0.0
            for mask in range(1, 1 << k):
                v = 1.0
                for slot in range(k):
                    i = idx[n, slot]
                    v *= J[t, i] if (mask >> slot) & 1 else R[i, t]
                acc += v
            out[t, out_c[n]] += coef[n] * acc
    return out, passed


@jit
def fail_window_k(p, tau, k):
    """Failure-time pmf of a memory-time cut-off over ``k`` independent copies with pmf ``p``: the first copy at
    ``m``, another later than ``m + tau`` (the failure is known at ``m + tau``). Copies beyond the window count as
    later. Sums of products of non-negative terms: with ``a`` copies at ``m``, the others after ``m`` but not all
    within ``(m, m + tau]``, ``S(m)^n - (C(m+tau) - C(m))^n = S(m + tau) Σ_i S(m)^i (C(m+tau) - C(m))^(n-1-i)``."""
    T = p.shape[0]
    fail = np.zeros(T)
    if tau >= T:
        return fail
    C = np.cumsum(p)
    for m in range(1, T - tau):
        x = m + tau
        s_m = max(0.0, 1.0 - C[m])
        s_x = max(0.0, 1.0 - C[x])
        within = max(0.0, C[x] - C[m])
        total = 0.0
        binom = 1.0
        for a in range(1, k):  # a copies at m, n = k - a after it
            binom = binom * (k - a + 1) / a
            n = k - a
            geo = 0.0
            for i in range(n):
                geo += s_m**i * within ** (n - 1 - i)
            total += binom * p[m] ** a * s_x * geo
        fail[x] += total
    return fail


@jit
def join_direct_k(J, c, out_c, coef, idx, cut_type, cutoff):
    """Straightforward O(T^k) join of ``k`` copies over all their arrival times (memory-time or run-time cut-off,
    or none with ``cutoff`` beyond the window), the reference of :func:`join_window_k` and :func:`fail_window_k`.
    Arrival ``T`` stands for "at or after the window" (probability ``1 - Σ p``)."""
    T = J.shape[0]
    k = idx.shape[1]
    p = np.zeros(T + 1)
    p[:T] = J[:, 0]
    p[T] = max(0.0, 1.0 - np.sum(J[:, 0]))
    out = np.zeros((T, 4))
    passed = np.zeros(T)
    fail = np.zeros(T)
    limit = int(min(cutoff, 4.0 * T))
    ts = np.ones(k, dtype=np.int64)
    while True:
        w = 1.0
        tmin = T
        tmax = 0
        for slot in range(k):
            w *= p[ts[slot]]
            tmin = min(tmin, ts[slot])
            tmax = max(tmax, ts[slot])
        if w > 0.0 and tmin < T:
            ok = True
            tf = 0
            if cut_type == MEMORY_TIME:
                if tmax - tmin > limit:
                    ok = False
                    tf = tmin + limit
            elif tmax > limit:  # run time
                ok = False
                tf = limit
            if not ok:
                if tf < T:
                    fail[tf] += w
            elif tmax < T:
                passed[tmax] += w
                for n in range(coef.shape[0]):
                    v = coef[n]
                    for slot in range(k):
                        i = idx[n, slot]
                        v *= J[ts[slot], i] * np.exp(-c[i] * (tmax - ts[slot]))
                    out[tmax, out_c[n]] += v
        slot = 0  # the next arrival times, odometer-wise over 1..T
        while slot < k and ts[slot] == T:
            ts[slot] = 1
            slot += 1
        if slot == k:
            break
        ts[slot] += 1
    return out, passed, fail
