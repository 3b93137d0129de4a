"""The exact delivery-time and state distributions of a chain model (engine tier): joins in O(T) per level and
renewal sums by FFT, the truncation checks, and the straightforward O(T^2) reference path."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _validation as _v
from .._kernels import codes, lazy
from ..errors import NeverDeliversError, TruncationError
from ._model import _NO_CUT, _Model, _check_size, _pairs, _tol
from .results import ChainDelivery
from ..limits import MAX_T_TRUNC
from .._bell import BDS_MEASURES, bds_from_wht
from .._distil import distill_terms

_k = lazy("chains")

__all__: list[str] = []


def _elementary(p: float, hat: np.ndarray, T: int) -> np.ndarray:
    t = np.arange(T)
    pmf = np.zeros(T)
    pmf[1:] = p * np.exp((t[1:] - 1) * np.log1p(-p)) if p < 1 else (t[1:] == 1).astype(float)
    return pmf[:, None] * hat[None, :]


def _fft_conv(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """First ``n`` entries of the linear convolution of each row of ``a`` with the row of ``b`` (no wrap-around)."""
    from scipy import fft as sfft

    N = sfft.next_fast_len(a.shape[1] + b.shape[1] - 1, real=True)
    return sfft.irfft(sfft.rfft(a, N) * sfft.rfft(b, N), N)[:, :n]


_HEAD = 256  # terms of the renewal kernel computed by direct recursion before Newton's doublings


def _renewal_kernel(G: np.ndarray) -> np.ndarray:
    """``sum_n G^{*n}`` on ``[0, T)``: the power-series inverse of ``1 - G`` modulo ``x^T`` (``G[0] = 0``).

    The first ``_HEAD`` terms come from the direct recursion; then Newton's iteration doubles the
    number of exact terms per step, ``b <- b - b (a b - 1)``. Both products of a step from ``k`` to
    ``k2 <= 2k`` terms are cyclic convolutions of length ``k2`` sharing the transform of ``b`` (middle
    products): ``a b`` has ``k2 + k - 1`` terms and its wrap-around lands below ``k``, where the step
    reads nothing, and the correction needs only ``k2 - k`` terms of a product of ``k`` and ``k2 - k``
    terms, which do not wrap. A single cyclic FFT division ``1 / (1 - FFT(G))`` would not be exact: the
    series has no end, and its mass beyond the FFT length wraps around into the window (the mass
    delivered after ``2 t_trunc``, ~1e-6 for Li et al.'s example with cut-offs).
    """
    from scipy import fft as sfft

    T = G.shape[0]
    a = -G
    a[0] += 1.0
    k = min(T, _HEAD)
    b = _k.series_inverse_head(np.ascontiguousarray(G, dtype=np.float64), k)
    while k < T:
        k2 = min(2 * k, T)
        b_hat = sfft.rfft(b, k2)
        high = sfft.irfft(sfft.rfft(a[:k2]) * b_hat, k2)[k:]      # a b = 1 + x^k * high  (mod x^k2)
        b = np.concatenate([b, -sfft.irfft(sfft.rfft(high, k2) * b_hat, k2)[: k2 - k]])
        k = k2
    return b


#: Mass the single cyclic transform may wrap into the window (absolute; distributions have mass <= 1).
_WRAP_MASS = 1e-17
#: The single cyclic transform is used when its length is at most this many windows (it then costs less than
#: the Newton inverse and the linear convolution, measured: 5 transforms of length N against about 9 of 2T).
_CYCLIC_MAX_WINDOWS = 3.0


def _cyclic_length(first0: np.ndarray, G: np.ndarray) -> int | None:
    """A transform length ``N`` whose wrap-around puts at most :data:`_WRAP_MASS` into the window, or None.

    The series ``R = first * sum_n G^{*n}`` (of the windowed inputs, all non-negative in component 0, which bounds
    the other components) has ``sum_{t >= N} |R[t]| <= z^{-N} F(z) / (1 - G(z))`` for any ``z > 1`` with
    ``G(z) < 1`` (Chernoff), where ``F`` and ``G`` are the generating functions of the absolute values of the
    windowed arrays (rounding leaves entries of either sign): finite sums, so the bound is rigorous (the sums are
    inflated by far more than their rounding error). It is minimised over ``ln z`` on a grid of halvings.
    """
    T = G.shape[0]
    s = min(700.0, 40.0 * T) / T
    best = None
    for _ in range(12):
        f, g = _k.exponential_sums(first0, G, s)
        g *= 1.0 + 1e-9
        if g < 1.0:
            if f <= 0.0:
                return T
            n = (math.log(f * (1.0 + 1e-9)) - math.log1p(-g) - math.log(_WRAP_MASS)) / s
            if best is not None and n > best:
                break  # past the minimum over ln z (the bound is convex in it)
            best = n
        s *= 0.5
    if best is None or best > _CYCLIC_MAX_WINDOWS * T:
        return None
    return max(T, int(math.ceil(best)))


def _equal_components(J: np.ndarray) -> bool:
    """Whether components 1, 2 and 3 of ``J`` are equal at every step (the joint arrays of Werner pairs)."""
    return np.array_equal(J[:, 1], J[:, 2]) and np.array_equal(J[:, 1], J[:, 3])


def _renewal_fft(first: np.ndarray, G: np.ndarray) -> np.ndarray:
    """``sum_n first * G^{*n}`` on ``[0, T)`` by FFT, exact up to round-off.

    One cyclic transform of a length whose wrap-around is bounded below :data:`_WRAP_MASS`
    (:func:`_cyclic_length`) where that length is short enough; else the Newton inverse of
    :func:`_renewal_kernel` and a linear convolution. Components 1..3 that are equal (Werner states) are
    transformed once.
    """
    from scipy import fft as sfft

    T = G.shape[0]
    cols = [0, 1] if _equal_components(first) else [0, 1, 2, 3]
    N = _cyclic_length(first[:, 0], G)
    rows = np.empty((len(cols) + (N is not None), T))  # the columns as contiguous rows, and G below them
    rows[: len(cols)] = first[:, cols].T
    if N is not None:
        N = sfft.next_fast_len(N, real=True)
        rows[-1] = G
        X = sfft.rfft(rows, N)  # one call: the rows share the plan
        den = X[-1]
        np.subtract(1.0, den, out=den)
        X = X[:-1]
        X /= den
        res = sfft.irfft(X, N)[:, :T]
    else:
        res = _fft_conv(rows, _renewal_kernel(G)[None, :], T)
    out = np.empty((T, 4))
    out[:, : len(cols)] = res.T
    if len(cols) == 2:
        out[:, 2] = out[:, 1]
        out[:, 3] = out[:, 1]
    return out


def _renewal_direct(first: np.ndarray, G: np.ndarray) -> np.ndarray:
    """The same sum term by term with direct convolutions (reference path)."""
    T = G.shape[0]
    acc = first.copy()
    term = first.copy()
    for _ in range(T):
        term = np.stack([np.convolve(term[:, s], G)[:T] for s in range(4)], axis=1)
        if not np.any(term):
            break
        acc += term
        if np.abs(term).sum() < 1e-300:
            break
    return acc


def _cut(model: _Model, slot: int) -> tuple[str, float]:
    """``(cut-off type, value)`` of an operation slot; no cut-off is a memory-time one that never triggers."""
    cut = model.cutoffs[slot]
    return (model.cut_type, cut) if cut is not None else ("memory_time", _NO_CUT)


def _level(model: _Model, op: str, slot: int, span_a: tuple, JA: np.ndarray, JB: np.ndarray, cA: np.ndarray,
           cB: np.ndarray, direct: bool) -> np.ndarray:
    """Joint delivery distribution of one operation (``"swap"`` or ``"distill"``, cut-off slot ``slot``) from those of
    its two inputs, waiting pairs decaying at rates ``cA``, ``cB``."""
    T = JA.shape[0]
    D = model.swap_map(sum(span_a)) if op == "swap" else model.distill_map(*span_a, slot)
    if D.ndim > 3:  # a circuit of more than two pairs: its copies of one input
        return _level_copies(model, slot, D, JA, cA, direct)
    cut_type, cut = _cut(model, slot)
    if direct or cut_type == "fidelity":
        value = float(cut)
        out, passed, fail = _k.join_direct(JA, JB, cA, cB, D, codes.CUT_CODES[cut_type], value)
    elif cut_type == "memory_time":
        tau = int(min(cut, _NO_CUT))
        out, passed = _join_window(JA, JB, cA, cB, tau, D)
        fail = _k.fail_window(JA[:, 0].copy(), JB[:, 0].copy(), tau)
    else:  # run time
        rt = int(cut)
        A, B = JA.copy(), JB.copy()
        A[rt + 1:] = 0.0
        B[rt + 1:] = 0.0
        out, passed = _join_window(A, B, cA, cB, _NO_CUT, D)
        fail = np.zeros(T)
        if rt < T:
            fail[rt] = max(0.0, 1.0 - JA[: rt + 1, 0].sum() * JB[: rt + 1, 0].sum())
    if op == "swap":
        return _renew(model, slot, op, model.p_swap * out, fail + (1.0 - model.p_swap) * passed, direct)
    return _renew(model, slot, op, out, fail + passed - out[:, 0], direct)


def _werner(J: np.ndarray, c: np.ndarray) -> bool:
    """Whether components 1, 2 and 3 of every delivered state, and their decay rates, are equal (Werner pairs)."""
    return c[1] == c[2] == c[3] and _equal_components(J)


_WERNER_SWAP_PAIRS = np.array([[0, 0], [1, 1]], dtype=np.int64)


def _join_window(JA: np.ndarray, JB: np.ndarray, cA: np.ndarray, cB: np.ndarray, tau: int,
                 D: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`join_window <qnet._kernels.chains.join_window>`; a swap of Werner pairs by a node that scales
    components 1, 2 and 3 alike (ideal, or depolarizing without measurement errors) computes component 1 once for
    the three equal ones (the same arithmetic, so the same bits)."""
    diag = np.einsum("sss->s", D)
    alike = np.count_nonzero(D) == np.count_nonzero(diag) and diag[1] == diag[2] == diag[3]  # a swap's map
    if alike and _werner(JA, cA) and _werner(JB, cB):
        out, passed = _k.join_window(JA, JB, cA, cB, tau, D, _WERNER_SWAP_PAIRS)
        out[:, 2] = out[:, 1]
        out[:, 3] = out[:, 1]
        return out, passed
    return _k.join_window(JA, JB, cA, cB, tau, D, _pairs(D))


def _level_copies(model: _Model, slot: int, D: np.ndarray, J: np.ndarray, c: np.ndarray, direct: bool) -> np.ndarray:
    """Joint delivery distribution of a distillation of ``k = D.ndim - 1`` pairs, each from an independent copy of
    the input ``J`` (memory-time or run-time cut-offs, or none; the chain refuses fidelity cut-offs for them)."""
    T, k = J.shape[0], D.ndim - 1
    out_c, idx, coef = distill_terms(D)
    cut_type, cut = _cut(model, slot)
    if direct:
        out, passed, fail = _k.join_direct_k(J, c, out_c, coef, idx, codes.CUT_CODES[cut_type], float(cut))
    elif cut_type == "memory_time":
        tau = int(min(cut, _NO_CUT))
        out, passed = _k.join_window_k(J, c, tau, out_c, coef, idx)
        fail = _k.fail_window_k(J[:, 0].copy(), tau, k)
    else:  # run time: every copy by the cut-off, or all dropped at it
        rt = int(cut)
        A = J.copy()
        A[rt + 1:] = 0.0
        out, passed = _k.join_window_k(A, c, _NO_CUT, out_c, coef, idx)
        fail = np.zeros(T)
        if rt < T:
            fail[rt] = max(0.0, 1.0 - J[: rt + 1, 0].sum() ** k)
    return _renew(model, slot, "distill", out, fail + passed - out[:, 0], direct)


def _renew(model: _Model, slot: int, op: str, first: np.ndarray, G: np.ndarray, direct: bool) -> np.ndarray:
    """The operation repeated until it delivers: ``first`` delivered by one attempt, ``G`` the pmf of a failed
    attempt's end (renewal sum), or a NeverDeliversError naming the cause."""
    if 1.0 - G.sum() < 1e-12 and first[:, 0].sum() < 1e-12:
        cause = f"the cut-off {model.cut_type}={model.cutoffs[slot]!r}" if model.cutoffs[slot] is not None \
            else f"p_swap={model.p_swap!r}" if op == "swap" else "the distillation"
        raise NeverDeliversError(
            f"the chain never delivers: every attempt at {model.schedule.slot_name} {slot} ({op}) fails, because of "
            f"{cause}; relax the cut-off or improve the links (p_gen, w0, p_swap)"
        )
    return _renewal_direct(first, G) if direct else _renewal_fft(first, G)


def _evaluate(model: _Model, T: int, direct: bool = False) -> np.ndarray:
    """Joint delivery distribution ``J[t, s]`` of the whole chain (the fast path, or the direct one)."""
    return model.fold(
        lambda start: _elementary(float(model.p_gen[start]), model.link_hat[start], T),
        lambda op, slot, a, b, JA, JB: _level(model, op, slot, a, JA, JB, model.link_c(*a), model.link_c(*b), direct))


def _suggest_t_trunc(pmf: np.ndarray, tol: float) -> int:
    """Estimate the window needed for ``1 - sum(pmf) <= tol`` from the geometric tail of the survival function."""
    T = pmf.size
    surv = 1.0 - np.cumsum(pmf)
    lo = T // 2
    seg = surv[lo:]
    ok = seg > 1e-300
    if ok.sum() >= 4 and seg[ok][-1] < seg[ok][0]:
        x = np.arange(lo, T)[ok]
        slope = np.polyfit(x, np.log(seg[ok]), 1)[0]
        if slope < 0:
            need = T - 1 + (math.log(tol) - math.log(seg[ok][-1])) / slope
            return int(min(2**40, max(math.ceil(1.25 * need), 2 * T)))
    return 4 * T


# The state delivered at step t is J[t] / pmf[t]; FFT round-off in J is ~1e-16 * max(pmf), so the state is
# reported only where pmf[t] > _STATE_FLOOR * max(pmf) (relative error below ~1e-6 there) and NaN elsewhere.
_STATE_FLOOR = 1e-10


def _missing(J: np.ndarray) -> float:
    return max(0.0, 1.0 - float(np.maximum(J[1:, 0], 0.0).sum()))


def _window_lower_bound(model: _Model, tol: float) -> float:
    """Steps any window covering ``1 - tol`` needs: the slowest segment alone has no link after ``t`` steps
    with probability ``(1 - p_min)**t``, and the chain cannot deliver before it has one."""
    p_min = float(model.p_gen.min())
    return 1.0 if p_min >= 1.0 else math.log(tol) / math.log1p(-p_min)


def _check_truncation(J: np.ndarray, model: _Model, tol: float | None) -> None:
    """Raise when the window misses more than ``tol``; the message gives a window verified to suffice."""
    if tol is None or _missing(J) <= tol:
        return
    T = J.shape[0]
    trunc = _missing(J)
    pmf = np.maximum(J[:, 0], 0.0)
    advice, sufficient = f"t_trunc > MAX_T_TRUNC = {MAX_T_TRUNC} would be needed", None
    lower = _window_lower_bound(model, tol)
    T2 = T
    for _ in range(8 if lower <= MAX_T_TRUNC else 0):
        guess = _suggest_t_trunc(pmf, tol) if T2 == T else max(2 * T2, _suggest_t_trunc(pmf, tol))
        T2 = int(min(MAX_T_TRUNC, max(guess, math.ceil(lower))))
        try:
            _check_size(model, T2)
        except ValueError:
            advice = f"a window of {T2} steps would be needed, more than MAX_CHAIN_BYTES allows"
            break
        J2 = _evaluate(model, T2)
        if _missing(J2) <= tol:
            advice, sufficient = f"t_trunc >= {T2} would suffice (checked)", T2
            break
        pmf = np.maximum(J2[:, 0], 0.0)
        if T2 >= MAX_T_TRUNC:
            break
    raise TruncationError(
        f"t_trunc={T} covers only {1 - trunc:.12g} of the delivery-time distribution (missing {trunc:.3g} > "
        f"tol={tol:g}); {advice}, or pass a larger tol",
        sufficient,
    )


def _result(J: np.ndarray, model: _Model, tol: float | None) -> ChainDelivery:
    _check_truncation(J, model, tol)
    pmf, state, tot, coverage, moment = _k.delivered(np.ascontiguousarray(J, dtype=np.float64), _STATE_FLOOR)
    if coverage <= 0.0:
        raise TruncationError(
            f"t_trunc={J.shape[0]} holds no delivery at all (slow links, strict cut-offs or a small p_swap): the chain "
            f"never delivers within the window; a larger t_trunc is needed", None)
    mean_state = bds_from_wht(tot / tot[0])
    mean_time = moment / coverage
    frac = float(BDS_MEASURES["bb84_key_fraction"](mean_state))
    return ChainDelivery(
        pmf=pmf, state=state, mean_time=mean_time, mean_state=mean_state, mean_fidelity=float(mean_state[0]),
        key_rate=frac / mean_time, coverage=coverage, truncation_error=max(0.0, 1.0 - coverage),
        schedule=model.schedule, cutoff=model.cutoffs, cut_type=model.cut_type, problem=model.identity(), joint=J,
    )


def _deliver(model: _Model, t_trunc: Any, tol: Any) -> ChainDelivery:
    """Validated window and tolerance, size check, evaluation and result of a chain model."""
    T = _v.t_trunc(t_trunc)
    tol = _tol(tol)
    _check_size(model, T)
    return _result(_evaluate(model, T), model, tol)


def _reference_delivery(model: _Model, t_trunc: int) -> ChainDelivery:
    """Slow straightforward path (O(T²) joins over all arrival-time pairs, renewal sums term by term)."""
    return _result(_evaluate(model, t_trunc, direct=True), model, None)
