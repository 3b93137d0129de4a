"""Repeater chains: exact delivery-time and state distributions with cut-offs, and a cut-off optimizer.

Model (Li, Coopmans & Elkouss, npj Quantum Inf. 7, 2021; arXiv:2005.06174), generalised to
Bell-diagonal states and Pauli memories:

* **Time** is discrete, one step per elementary link attempt. An elementary link on segment
  ``i`` is delivered at step ``t >= 1`` with probability ``p_gen[i] (1 - p_gen[i])**(t - 1)``.
* **Schedule** (:class:`qnet.Schedule`): a tree of operations over the segments, each combining two
  pairs made *independently* by its subtrees, both started at the same time: a swap joins two
  adjacent links, a distillation joins two pairs over the same span. Nested levels such as
  ``("distill", "swap", "swap")`` are one way to write it (a chain of ``n`` segments needs
  ``ceil(log2 n)`` swap levels; a swap level splits a span as ``ceil(w/2) + floor(w/2)`` and a
  single segment passes it unchanged); La Corte et al.'s tokens (``s_i``, ``d_i``) another.
* **Waiting** pair: the pair delivered first waits for the other one. Its state decays while it
  waits; a pair's state is not decohered after the last level (the delivered state is the state
  at delivery). In the Werner model the Werner parameter decays as ``exp(-dt / t_coh)``; with
  Pauli memories, the Walsh–Hadamard component ``s`` of the pair's Bell-diagonal state decays as
  ``exp(-c_s dt)`` with ``c = [0, ηx, ηz, ηy]``-rates of both end nodes added
  (``c_1 = 2(γy+γz)``, ``c_2 = 2(γx+γy)``, ``c_3 = 2(γx+γz)`` per node, see ``qnet.channels``).
* **Cut-offs** are checked when the second pair arrives (or as soon as the first pair times
  out), per operation: ``"memory_time"`` (the pairs pass when ``|tA - tB| <= cutoff``; otherwise both
  are discarded at ``min(tA, tB) + cutoff`` and both regenerated), ``"fidelity"`` (the earlier
  pair is discarded once its fidelity after waiting would drop below ``cutoff``; a pair
  delivered below ``cutoff`` is discarded at once; as in Li et al. the check uses the mean state
  delivered at that time step) and ``"run_time"`` (both pairs must be ready by ``cutoff`` steps
  after the attempt started, otherwise both are discarded at ``cutoff``).
* **Operations** take no time. A swap succeeds with probability ``p_swap`` and outputs the
  Z2×Z2 convolution of the inputs (:doc:`/conventions`); a distillation succeeds with the
  state-dependent probability of the purification engine (``qnet.purify``); the Werner model
  uses BBPSSW with a Werner output, which is Li et al.'s ``p = (1 + wA wB)/2``,
  ``w' = (wA + wB + 4 wA wB) / (6 p)``. After a failure, or a failed cut-off, both inputs are
  regenerated from scratch.

Distributions are computed with joins in O(T) per level (memory-time and run-time cut-offs;
O(T²) for fidelity cut-offs) and the renewal (geometric) sums as power-series inverses by FFT
(linear convolutions only, so nothing wraps around). Values below ``t_trunc`` do not depend on the
truncation; the mass delivered at or after ``t_trunc`` is reported as ``truncation_error``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from . import _validation as _v
from ._kernels import codes, lazy
from .channels import bds_from_wht, pauli_rate_array, wht
from .circuits import circuit
from .errors import InfeasibleError, NeverDeliversError, TruncationError
from .measures import BDS_MEASURES
from .noise import OperationNoise, scalar_noise
from .results import MonteCarloResult, Result
from .schedules import Schedule, children, nested_segments, postorder, span, validate_levels
from .states import werner_rows

_k = lazy("chains")
_mc = lazy("montecarlo")

__all__ = [
    "CUT_TYPES",
    "ChainDelivery",
    "RepeaterChain",
    "ChainTree",
    "chain_delivery",
    "werner_memory_rates",
    "optimize_cutoff",
    "CutoffOptimum",
    "MAX_T_TRUNC",
    "MAX_CHAIN_BYTES",
    "MAX_SAMPLES",
]

#: Longest time window (steps) of an exact chain distribution.
MAX_T_TRUNC = 2**22
#: Largest memory an exact chain evaluation may need (estimated before any work), in bytes.
MAX_CHAIN_BYTES = 4 * 2**30

#: Most samples one Monte Carlo run returns (each holds a time and a state: 40 bytes).
MAX_SAMPLES = 10**8
#: Largest number of elementary links one delivery may use before the Monte Carlo gives up.
MAX_LINKS_PER_DELIVERY = 10**8

#: Cut-off types.
CUT_TYPES: tuple[str, ...] = ("memory_time", "fidelity", "run_time")
_NO_CUT = 2**40  # a memory-time cut-off that never triggers

_SWAP_D = np.zeros((4, 4, 4))
for _s in range(4):
    _SWAP_D[_s, _s, _s] = 1.0
_TWIRL = np.zeros((4, 4))
_TWIRL[0, 0] = 1.0
_TWIRL[1:, 1:] = 1.0 / 3.0


# ---------------------------------------------------------------- results
@dataclass(frozen=True, repr=False)
class ChainDelivery(Result):
    """Delivery-time distribution and delivered states of a repeater chain.

    Attributes
    ----------
    pmf : numpy.ndarray, shape (t_trunc,)
        ``pmf[t]`` = probability that the end-to-end pair is delivered at time step ``t``
        (``pmf[0] = 0``). Sums to ``1 - truncation_error``.
    state : numpy.ndarray, shape (t_trunc, 4)
        Bell-diagonal state ``[Φ+, Φ−, Ψ+, Ψ−]`` delivered at step ``t`` (mean over the histories
        that deliver at ``t``); NaN where ``pmf[t] <= 1e-10 * max(pmf)``, where FFT round-off
        would dominate the ratio.
    mean_time : float
        Mean delivery time in steps, over the computed window (``sum t pmf / sum pmf``).
    mean_state : numpy.ndarray, shape (4,)
        Delivered state averaged over the delivery time.
    mean_fidelity : float
        ``mean_state[0]``.
    key_rate : float
        Asymptotic BB84 secret-key rate per time step, ``r(mean_state) / mean_time`` with
        ``r = max(0, 1 - h(e_x) - h(e_z))`` (base-2 entropies; Li et al.'s figure of merit).
    coverage, truncation_error : float
        ``sum(pmf)`` and ``1 - sum(pmf)`` (probability delivered at or after ``t_trunc``).
    schedule, cutoff, cut_type : the schedule and cut-offs that were evaluated.
    problem : str
        Identity of the :class:`RepeaterChain` evaluated (:attr:`RepeaterChain.identity`).
    time_step : float or None
        Seconds per time step when the chain came from a network (:func:`qnet.path_delivery`), else None; then
        :attr:`mean_time_s` and :attr:`key_rate_hz` give the results in seconds.
    joint : numpy.ndarray, shape (t_trunc, 4)
        Raw ``pmf[t] * wht(state[t])`` (Walsh–Hadamard components of the delivered state times the
        delivery probability, before clipping); the input of a further level.
    """

    pmf: np.ndarray
    state: np.ndarray
    mean_time: float
    mean_state: np.ndarray
    mean_fidelity: float
    key_rate: float
    coverage: float
    truncation_error: float
    schedule: Schedule | None = None
    cutoff: tuple = ()
    cut_type: str = "memory_time"
    problem: str = ""
    joint: np.ndarray = field(default=None, repr=False)
    time_step: float | None = None

    def _seconds(self) -> float:
        if self.time_step is None:
            raise ValueError("this delivery is in time steps only (it did not come from a network with a time step); "
                             "multiply by your attempt duration")
        return self.time_step

    @property
    def mean_time_s(self) -> float:
        """Mean delivery time in seconds (chains built from a network)."""
        return self.mean_time * self._seconds()

    @property
    def key_rate_hz(self) -> float:
        """Secret-key bits per second (chains built from a network)."""
        return self.key_rate / self._seconds()

    @property
    def t_trunc(self) -> int:
        """Length of the time window."""
        return int(self.pmf.shape[0])

    @property
    def cdf(self) -> np.ndarray:
        """Cumulative delivery probability."""
        return np.cumsum(self.pmf)

    @property
    def werner(self) -> np.ndarray:
        """Werner parameter ``(4F - 1)/3`` of the state delivered at each step (NaN where undefined)."""
        return (4.0 * self.state[:, 0] - 1.0) / 3.0

    @property
    def fidelity(self) -> np.ndarray:
        """Fidelity of the state delivered at each step."""
        return self.state[:, 0]

    @property
    def key_rate_per_pair(self) -> float:
        """BB84 secret-key rate per time step counting each pair's own key fraction: ``E[r(state_t)] / mean_time``
        (the average over delivery times of the per-pair fractions; :attr:`key_rate` is Li et al.'s and La Corte et
        al.'s convention, the fraction of the average delivered state). ``r = max(0, 1 - h(e_x) - h(e_z))`` is convex
        in the state (``h`` is concave, the error rates linear), so by Jensen ``key_rate_per_pair >= key_rate``.

        Steps whose state is not resolved (``pmf`` below ``1e-10`` of its maximum) count with key fraction 0.
        """
        ok = ~np.isnan(self.state[:, 0])
        frac = BDS_MEASURES["bb84_key_fraction"](self.state[ok])
        return float(np.dot(self.pmf[ok], frac) / self.coverage) / self.mean_time


# ---------------------------------------------------------------- validation helpers
def validate_schedule(schedule: Any, name: str = "schedule") -> Schedule | tuple[str, ...]:
    """A :class:`qnet.Schedule`, or nested levels validated as a tuple of ``"swap"``/``"distill"`` (their segment
    count is decided by the per-segment parameters; errors name the parameter ``name``)."""
    return schedule if isinstance(schedule, Schedule) else validate_levels(schedule, name)


def _segments(schedule: Schedule | tuple, sizes: dict[str, int]) -> Schedule:
    """The chain's Schedule from ``schedule`` and the lengths of the per-segment parameters (``name -> size``, 0 for
    a single value), which must agree with it and with each other."""
    given = {name: size for name, size in sizes.items() if size}
    if len(set(given.values())) > 1:
        raise ValueError(f"{', '.join(f'{k} has {v}' for k, v in given.items())} values: give one value per segment, "
                         f"the same number for each")
    if isinstance(schedule, Schedule):
        for name, size in given.items():
            if size != schedule.n_segments:
                raise ValueError(f"{name} has {size} values but the schedule has {schedule.n_segments} segments")
        return schedule
    name, n = next(iter(given.items()), ("the chain", None))
    return Schedule.from_levels(schedule, nested_segments(schedule, n, f"{name} (one value per segment)"))


def _per_segment(value: Any, name: str, checker: Callable) -> np.ndarray:
    """A checked parameter: one value (0-d) or one per segment (1-d, non-empty)."""
    arr = checker(value, name)
    if arr.ndim > 1 or (arr.ndim == 1 and arr.size == 0):
        raise ValueError(f"{name} must be a number or a 1-D array with one value per segment, got shape {arr.shape}")
    return arr


def _cutoffs(cutoff: Any, cut_type: str, n_slots: int, slot: str = "level") -> tuple:
    """One cut-off per slot of the schedule (``slot``: levels of a nested schedule, tokens of a sequence)."""
    _v.option(cut_type, "cut_type", CUT_TYPES)
    if cutoff is None:
        return (None,) * n_slots
    if isinstance(cutoff, (str, bytes)):
        raise TypeError(f"cutoff must be a number, a sequence of numbers (one per level or token) or None, got "
                        f"{cutoff!r}")
    if isinstance(cutoff, Sequence) or (isinstance(cutoff, np.ndarray) and cutoff.ndim == 1):
        values = list(cutoff)
        if len(values) != n_slots:
            raise ValueError(f"cutoff has {len(values)} values but the schedule has {n_slots} {slot}s; give one per "
                             f"{slot}")
    else:
        values = [cutoff] * n_slots
    out = []
    for i, c in enumerate(values):
        name = f"cutoff[{i}]"
        if c is None:
            out.append(None)
            continue
        if cut_type == "fidelity":
            out.append(float(_v.probability(c, name)))
            continue
        arr = _v.nonnegative(c, name)
        if arr.ndim != 0 or float(arr) != math.floor(float(arr)):
            raise ValueError(f"{name} must be a whole number of time steps for cut_type={cut_type!r}, got {c!r}")
        if cut_type == "run_time" and float(arr) < 1:
            raise ValueError(f"{name} must be >= 1 time step for cut_type='run_time', got {c!r}")
        out.append(int(arr))
    return tuple(out)


def validate_n_samples(n: Any) -> int:
    """A number of Monte Carlo samples in ``[2, MAX_SAMPLES]`` (engine tier)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"n_samples must be an integer, got {type(n).__name__} {n!r}")
    if n < 2:
        raise ValueError(f"n_samples must be >= 2 (confidence intervals need two samples), got {n}")
    if n > MAX_SAMPLES:
        raise ValueError(f"n_samples must be <= MAX_SAMPLES = {MAX_SAMPLES} (40 bytes each), got {n}; merge runs "
                         "with different seeds for more")
    return int(n)


def validate_t_trunc(t_trunc: Any) -> int:
    if isinstance(t_trunc, bool) or not isinstance(t_trunc, (int, np.integer)):
        raise TypeError(f"t_trunc must be an integer number of time steps, got {type(t_trunc).__name__} {t_trunc!r}")
    if t_trunc < 2:
        raise ValueError(f"t_trunc must be >= 2, got {t_trunc}")
    if t_trunc > MAX_T_TRUNC:
        raise ValueError(f"t_trunc must be <= MAX_T_TRUNC = 2**22 = {MAX_T_TRUNC} steps, got {t_trunc}")
    return int(t_trunc)


def _tol(tol: Any) -> float | None:
    if tol is None:
        return None
    return _v.scalar(_v.in_interval, tol, "tol", 0.0, 1.0, low_open=True)


def _distinct_nodes(model: _Model) -> int:
    """Number of distinct levels the recursion stores (memoised by content), counted without any arrays."""
    count = [0]

    def combine(*_: Any) -> None:
        count[0] += 1

    model.fold(lambda start: None, combine)
    return count[0]


def _check_size(model: _Model, T: int) -> None:
    """Refuse, before any work, an evaluation whose stored arrays and FFT buffers would exceed MAX_CHAIN_BYTES."""
    need = (_distinct_nodes(model) + 16) * T * 4 * 8
    if need > MAX_CHAIN_BYTES:
        raise ValueError(
            f"this chain at t_trunc={T} needs about {need / 2**30:.1f} GiB (more than MAX_CHAIN_BYTES = "
            f"{MAX_CHAIN_BYTES / 2**30:g} GiB); use a smaller t_trunc or fewer distinct segments"
        )


# ---------------------------------------------------------------- the model
def werner_memory_rates(t_coh: Any) -> np.ndarray:
    """Depolarizing Pauli rates ``(γ, γ, γ)`` per node for which a stored pair's Werner parameter decays as ``exp(-t/t_coh)``.

    Both qubits decohere, each with transfer eigenvalue ``exp(-4γt)``, so ``γ = 1/(8 t_coh)``.

    Examples
    --------
    >>> import qnet
    >>> qnet.werner_memory_rates(10.0)
    array([0.0125, 0.0125, 0.0125])
    """
    t = _v.positive(t_coh, "t_coh")
    return np.full(np.shape(t) + (3,), 1.0)[...] / (8.0 * np.asarray(t)[..., None])


def component_rates(node_rates: np.ndarray) -> np.ndarray:
    """Per-node WHT decay rates ``[0, 2(γy+γz), 2(γx+γy), 2(γx+γz)]`` (components s = 1, 2, 3 ↔ ηx, ηz, ηy).

    Rates are clipped at 1e300 per step, which decoheres a pair completely in any time > 0: sums of larger rates
    would overflow to inf, and inf times a zero wait is NaN."""
    node_rates = np.minimum(node_rates, 1e300)
    gx, gy, gz = node_rates[..., 0], node_rates[..., 1], node_rates[..., 2]
    return np.stack([np.zeros_like(gx), 2 * (gy + gz), 2 * (gx + gy), 2 * (gx + gz)], axis=-1)


def _bilinear_to_wht(C: np.ndarray) -> np.ndarray:
    """``D[k, i, j]`` acting on WHT components from ``C[k, a, b]`` acting on Bell coefficients: the transform on the
    output axis, its inverse (``wht / 4``) on both input axes."""
    def on_axis(x: np.ndarray, axis: int) -> np.ndarray:
        return np.moveaxis(wht(np.moveaxis(x, axis, -1)), -1, axis)

    return on_axis(on_axis(on_axis(C, 0), 1), 2) / 16.0


def distill_tensor(protocol: str, gate_fidelity: float, measurement_error: float, twirl: bool, *,
                   gate_fidelity_b: float | None = None, measurement_error_b: float | None = None) -> np.ndarray:
    """Bilinear map ``D[k, i, j]`` of a two-pair distillation circuit on Walsh–Hadamard components (component 0 of
    the output is the success probability): the circuit's exact Bell-diagonal map (:meth:`qnet.Circuit.transfer`)
    moved to components; node B's noise is node A's unless given. Engine tier, not in ``__all__``."""
    node_a = OperationNoise(gate_fidelity, measurement_error)
    node_b = OperationNoise(gate_fidelity if gate_fidelity_b is None else gate_fidelity_b,
                            measurement_error if measurement_error_b is None else measurement_error_b)
    D = _bilinear_to_wht(circuit(protocol).transfer(node_a, node_b))  # transfer: [k, a, b] on Bell coefficients
    if twirl:
        D = np.einsum("kq,qij->kij", _TWIRL, D)
    D[np.abs(D) < 1e-15] = 0.0
    return D


@functools.cache
def _werner_distill_tensor() -> np.ndarray:
    """The Werner model's distillation map (ideal twirled BBPSSW), computed once per process (read-only)."""
    D = distill_tensor("bbpssw", 1.0, 0.0, True)
    D.flags.writeable = False
    return D


@functools.lru_cache(maxsize=256)
def _node_distill_tensor(protocol: str, fa: float, qa: float, fb: float, qb: float, twirl: bool) -> np.ndarray:
    """:func:`distill_tensor` with node A's and node B's own noise, computed once per process (read-only)."""
    D = distill_tensor(protocol, fa, qa, twirl, gate_fidelity_b=fb, measurement_error_b=qb)
    D.flags.writeable = False
    return D


def _pairs(D: np.ndarray) -> np.ndarray:
    nz = np.argwhere(np.abs(D).max(axis=0) > 0)
    return nz.astype(np.int64).reshape(-1, 2)


@dataclass
class _Model:
    schedule: Schedule
    p_gen: np.ndarray          # (n,)
    link_hat: np.ndarray       # (n, 4) WHT of each segment's link state
    node_c: np.ndarray         # (n + 1, 4) per-node WHT decay rates
    p_swap: float
    cutoffs: tuple             # one per cut-off slot of the schedule
    cut_type: str
    D_distill: np.ndarray | None
    protocol: str = "bbpssw"   # the distillation variant D_distill encodes
    auto: tuple | None = None  # (gate_fidelity, measurement_error, twirl) when protocol="auto" was asked for
    node_noise: tuple | None = None  # ((gate_fidelity, measurement_error) per node, twirl) when nodes differ

    def end_noise(self, start: int, width: int) -> tuple | None:
        """``(gate_fidelity, measurement_error)`` of the two end nodes of a pair spanning nodes ``start`` and
        ``start + width``, or None when every node has the same noise."""
        if self.node_noise is None:
            return None
        per_node = self.node_noise[0]
        return per_node[start], per_node[start + width]

    def distill_map(self, start: int, width: int) -> np.ndarray:
        """The distillation map of a pair spanning nodes ``start`` and ``start + width``: each end's own noise."""
        ends = self.end_noise(start, width)
        if ends is None:
            return self.D_distill
        return _node_distill_tensor(self.protocol, *ends[0], *ends[1], self.node_noise[1])

    @property
    def n(self) -> int:
        return int(self.p_gen.size)

    def link_c(self, start: int, width: int) -> np.ndarray:
        return self.node_c[start] + self.node_c[start + width]

    def identity(self) -> str:
        """Hash of everything that decides the model's results (16 hex digits of SHA-256)."""
        h = hashlib.sha256(repr((self.schedule.to_dict(), self.schedule.n_slots, self.p_swap, self.cutoffs,
                                 self.cut_type)).encode())  # the schedule by its tokens: no recursion over the tree
        for a in (self.p_gen, self.link_hat, self.node_c, self.D_distill):
            h.update(b"|" if a is None else np.ascontiguousarray(a, dtype=np.float64).tobytes() + repr(a.shape).encode())
        if self.node_noise is not None:
            h.update(repr((self.protocol, self.node_noise)).encode())
        return h.hexdigest()[:16]

    def fold(self, link: Callable[[int], Any], combine: Callable[[str, int, tuple, tuple, Any, Any], Any]) -> Any:
        """The one walk of the schedule's tree, bottom-up and once per distinct sub-chain and elementary link
        (memoised by content): ``link(start)`` gives an elementary link's value (equal segments share it),
        ``combine(op, slot, span_a, span_b, a, b)`` the value of an operation (``"swap"`` or ``"distill"``, its
        cut-off slot) joining inputs of spans ``(start, width)``; a distillation's two inputs are the same value. Iterative (any depth); content keys are flat (a sub-chain's
        key names its inputs by number), so hashing them never recurses either."""
        numbers: dict = {}  # content key -> number of the distinct sub-chain (or elementary link)
        number_of: dict = {}  # id of a tree node -> its number
        memo: dict = {}  # number -> value
        for t in postorder(self.schedule.root):
            if t[0] == "link":
                key = ("link", self.p_gen[t[1]].tobytes(), self.link_hat[t[1]].tobytes())
            else:
                # everything a sub-chain's result depends on: its inputs, its operation and cut-off, the decay
                # rates at the ends of every pair that waits inside it, and a distillation's own two nodes' noise
                ends = [self.node_c[x].tobytes() for c in children(t) for a, w in (span(c),) for x in (a, a + w)]
                if t[0] == "distill" and self.node_noise is not None:
                    ends += self.end_noise(*span(t))
                key = (t[0], self.cutoffs[t[-1]], *(number_of[id(c)] for c in children(t)), *ends)
            number = numbers.setdefault(key, len(numbers))
            number_of[id(t)] = number
            if number in memo:
                continue
            if t[0] == "link":  # equal segments share one value
                memo[number] = link(t[1])
                continue
            span_a = span(t[1])
            a = memo[number_of[id(t[1])]]
            if t[0] == "distill":
                memo[number] = combine("distill", t[-1], span_a, span_a, a, a)
            else:
                memo[number] = combine("swap", t[-1], span_a, span(t[2]), a, memo[number_of[id(t[2])]])
        return memo[number_of[id(self.schedule.root)]]


def _elementary(p: float, hat: np.ndarray, T: int) -> np.ndarray:
    t = np.arange(T)
    pmf = np.zeros(T)
    pmf[1:] = p * np.exp((t[1:] - 1) * np.log1p(-p)) if p < 1 else (t[1:] == 1).astype(float)
    return pmf[:, None] * hat[None, :]


def _fft_conv(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """First ``n`` entries of the linear convolution of ``a`` and ``b`` along axis 0 (no wrap-around)."""
    from scipy import fft as sfft

    N = sfft.next_fast_len(a.shape[0] + b.shape[0] - 1, real=True)
    # columns as contiguous rows: a strided transform along axis 0 costs about twice as much
    at, bt = np.ascontiguousarray(a.T), np.ascontiguousarray(b.T)
    return sfft.irfft(sfft.rfft(at, N) * sfft.rfft(bt, N), N)[:, :n].T


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
    windowed arrays (rounding leaves entries of either sign): finite sums, so the bound is rigorous. It is
    minimised over ``ln z`` on a grid of halvings (one exponential, then square roots).
    """
    T = G.shape[0]
    G, first0 = np.abs(G), np.abs(first0)  # rounding leaves +-1e-17 where the tails are far smaller: bound those too
    t = np.arange(T, dtype=np.float64)
    s = min(700.0, 40.0 * T) / T
    E = np.exp(s * t)
    best = None
    for _ in range(12):
        g = float(G @ E)
        if g < 1.0:
            f = float(first0 @ E)
            if f <= 0.0:
                return T
            n = (math.log(f) - math.log1p(-g) - math.log(_WRAP_MASS)) / s
            if best is not None and n > best:
                break  # past the minimum over ln z (the bound is convex in it)
            best = n
        s *= 0.5
        np.sqrt(E, out=E)
    if best is None or best > _CYCLIC_MAX_WINDOWS * T:
        return None
    return max(T, int(math.ceil(best)))


def _renewal_fft(first: np.ndarray, G: np.ndarray) -> np.ndarray:
    """``sum_n first * G^{*n}`` on ``[0, T)`` by FFT, exact up to round-off.

    One cyclic transform of a length whose wrap-around is bounded below :data:`_WRAP_MASS`
    (:func:`_cyclic_length`) where that length is short enough; else the Newton inverse of
    :func:`_renewal_kernel` and a linear convolution. Components 1..3 that are equal (Werner states) are
    transformed once.
    """
    from scipy import fft as sfft

    T = G.shape[0]
    cols = [0, 1] if (np.array_equal(first[:, 1], first[:, 2]) and np.array_equal(first[:, 1], first[:, 3])) \
        else [0, 1, 2, 3]
    N = _cyclic_length(first[:, 0], G)
    if N is not None:
        N = sfft.next_fast_len(N, real=True)
        F = sfft.rfft(np.ascontiguousarray(first[:, cols].T), N)
        res = sfft.irfft(F / (1.0 - sfft.rfft(G, N)), N)[:, :T].T
    else:
        res = _fft_conv(first[:, cols], _renewal_kernel(G)[:, None], T)
    if len(cols) == 2:
        return np.concatenate([res, res[:, 1:2], res[:, 1:2]], axis=1)
    return res


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


def _level(model: _Model, op: str, slot: int, span_a: tuple, JA: np.ndarray, JB: np.ndarray, cA: np.ndarray,
           cB: np.ndarray, direct: bool) -> np.ndarray:
    """Joint delivery distribution of one operation (``"swap"`` or ``"distill"``, cut-off slot ``slot``) from those of
    its two inputs, waiting pairs decaying at rates ``cA``, ``cB``."""
    T = JA.shape[0]
    D = _SWAP_D if op == "swap" else model.distill_map(*span_a)
    cut = model.cutoffs[slot]
    cut_type = model.cut_type if cut is not None else "memory_time"
    if cut is None:
        cut = _NO_CUT
    if direct or cut_type == "fidelity":
        value = float(cut)
        out, passed, fail = _k.join_direct(JA, JB, cA, cB, D, codes.CUT_CODES[cut_type], value)
    elif cut_type == "memory_time":
        tau = int(min(cut, _NO_CUT))
        out, passed = _k.join_window(JA, JB, cA, cB, tau, D, _pairs(D))
        fail = _k.fail_window(JA[:, 0].copy(), JB[:, 0].copy(), tau)
    else:  # run time
        rt = int(cut)
        A, B = JA.copy(), JB.copy()
        A[rt + 1:] = 0.0
        B[rt + 1:] = 0.0
        out, passed = _k.join_window(A, B, cA, cB, _NO_CUT, D, _pairs(D))
        fail = np.zeros(T)
        if rt < T:
            fail[rt] = max(0.0, 1.0 - JA[: rt + 1, 0].sum() * JB[: rt + 1, 0].sum())
    if op == "swap":
        first = model.p_swap * out
        G = fail + (1.0 - model.p_swap) * passed
    else:
        first = out
        G = fail + passed - out[:, 0]
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
    T = J.shape[0]
    pmf = np.maximum(J[:, 0], 0.0)
    pmf[0] = 0.0
    coverage = float(pmf.sum())
    if coverage <= 0.0:
        raise TruncationError(
            f"t_trunc={T} holds no delivery at all (slow links, strict cut-offs or a small p_swap): the chain never "
            f"delivers within the window; a larger t_trunc is needed", None)
    valid = pmf > _STATE_FLOOR * pmf.max()
    state = np.full((T, 4), np.nan)
    state[valid] = bds_from_wht(J[valid] / pmf[valid, None])
    tot = J[valid].sum(axis=0)
    mean_state = bds_from_wht(tot / tot[0])
    mean_time = float(np.dot(np.arange(T), pmf) / coverage)
    frac = float(BDS_MEASURES["bb84_key_fraction"](mean_state))
    return ChainDelivery(
        pmf=pmf, state=state, mean_time=mean_time, mean_state=mean_state, mean_fidelity=float(mean_state[0]),
        key_rate=frac / mean_time, coverage=coverage, truncation_error=max(0.0, 1.0 - coverage),
        schedule=model.schedule, cutoff=model.cutoffs, cut_type=model.cut_type, problem=model.identity(), joint=J,
    )


def _werner_model(schedule, p_gen, p_swap, w0, t_coh, cutoff, cut_type) -> _Model:
    schedule = validate_schedule(schedule)
    p = _per_segment(p_gen, "p_gen", lambda v, nm: _v.probability(v, nm, zero_ok=False))
    ps = _v.scalar(_v.probability, p_swap, "p_swap", zero_ok=False)
    w = _per_segment(w0, "w0", _v.probability)
    schedule = _segments(schedule, {"p_gen": p.size if p.ndim else 0, "w0": w.size if w.ndim else 0})
    n = schedule.n_segments
    p, w = np.broadcast_to(p, (n,)).astype(np.float64), np.broadcast_to(w, (n,)).astype(np.float64)
    if isinstance(t_coh, (int, float, np.floating, np.integer)) and not isinstance(t_coh, bool) and math.isinf(t_coh) \
            and t_coh > 0:
        node_c = np.zeros((n + 1, 4))
    else:
        tc = _v.scalar(_v.positive, t_coh, "t_coh")
        node_c = np.full((n + 1, 4), 0.5 / tc)
        node_c[:, 0] = 0.0
    link_hat = np.stack([np.ones(n), w, w, w], axis=1)
    cuts = _cutoffs(cutoff, cut_type, schedule.n_slots, schedule.slot_name)
    return _Model(schedule, p, link_hat, node_c, ps, cuts, cut_type, _werner_distill_tensor())


def chain_delivery(
    schedule: Sequence[str],
    p_gen: Any,
    p_swap: float,
    w0: Any = None,
    t_coh: float | None = None,
    cutoff: Any = None,
    cut_type: str = "memory_time",
    t_trunc: int = 1000,
    *,
    link_state: Any = None,
    memory: Any = None,
    protocol: str | None = None,
    twirl: bool | None = None,
    noise: OperationNoise | None = None,
    tol: float | None = 1e-6,
) -> ChainDelivery:
    """Exact delivery-time distribution and delivered states of a nested repeater chain.

    The function tier of :meth:`RepeaterChain.delivery`. Two models, one function: the Werner model of
    Li, Coopmans & Elkouss (``w0`` and ``t_coh``: Werner links, depolarizing memories, BBPSSW with a
    Werner output, ideal operations) or the general one (``link_state=`` and ``memory=``: Bell-diagonal
    links, Pauli memories per node, any purification ``protocol``, ``twirl`` and operation ``noise``).

    Parameters
    ----------
    schedule : Schedule or tuple of str
        A :class:`qnet.Schedule` (any order of swaps and distillations, e.g.
        ``qnet.Schedule.from_sequence(("s0", "s2", "s1"), n_nodes=5)``), or nested levels from the
        elementary links upwards, each ``"swap"`` or ``"distill"``: ``("swap", "swap")`` is
        swap-as-soon-as-possible on 4 segments, ``("distill", "swap")`` distils each segment once and
        then swaps, ``()`` is a single link.
    p_gen : float or array_like
        Link success probability per attempt, in (0, 1]; one value, or one per segment
        (asymmetric chain; ``ceil(log2 n)`` swap levels for ``n`` segments).
    p_swap : float
        Swap success probability in (0, 1].
    w0 : float or array_like, optional
        Werner model: Werner parameter of a fresh link, in [0, 1] (fidelity ``(1 + 3 w0)/4``); one or
        per segment.
    t_coh : float, optional
        Werner model: coherence time in steps; a waiting pair's Werner parameter decays as
        ``exp(-dt/t_coh)`` (``float("inf")``: no decoherence).
    cutoff : None, number or sequence
        Cut-off per operation slot: one value for all, or one per level of a nested schedule or per token of a
        sequence (``None`` = no cut-off there).
    cut_type : {"memory_time", "fidelity", "run_time"}
        Whole time steps for ``memory_time`` (allowed ``|tA - tB|``) and ``run_time``; a
        fidelity threshold in [0, 1] for ``fidelity`` (Li et al.'s Werner threshold
        ``w_cut`` is ``(4 F_cut - 1)/3``).
    t_trunc : int
        Length of the computed time window (steps ``0 .. t_trunc - 1``).
    link_state : array_like, shape (4,) or (n, 4), optional
        General model: Bell-diagonal state ``[Φ+, Φ−, Ψ+, Ψ−]`` of a fresh link, one for all segments
        or one per segment.
    memory : array_like, shape (3,) or (n + 1, 3), or PauliMemory, optional
        General model: Pauli rates ``(γx, γy, γz)`` per time step of every node's memory (one for all
        nodes, or one per node ``0..n``). A stored pair decoheres at both its end nodes.
    protocol : str, optional
        General model: purification variant of the distillations, a name of :data:`qnet.PROTOCOLS` or ``"auto"``
        (default; the rule of :class:`RepeaterChain`).
    twirl : bool, optional
        General model: twirl every distilled pair to Werner form (default False; with ``"bbpssw"`` and
        depolarizing memories this is exactly the Werner model).
    noise : OperationNoise, optional
        General model: operation noise of the distillation circuits (default ideal).
    tol : float or None
        Largest accepted missing probability ``1 - sum(pmf)``; above it a ``TruncationError`` says which
        ``t_trunc`` would suffice. ``None`` disables the check.

    Returns
    -------
    ChainDelivery
        ``pmf``, ``state`` (``(t_trunc, 4)``), ``werner``, ``mean_time``, ``mean_fidelity``,
        ``key_rate`` (per step), ``truncation_error``.

    Raises
    ------
    ValueError, TypeError
        Probabilities outside (0, 1], unknown schedule steps, a chain length that does not match
        the swap levels, bad cut-offs, both models or neither, or a ``t_trunc`` too small for ``tol``.

    Examples
    --------
    >>> import qnet
    >>> r = qnet.chain_delivery(("swap",), p_gen=0.5, p_swap=1.0, w0=1.0, t_coh=float("inf"), t_trunc=200)
    >>> round(r.mean_time, 6)   # E[max of two Geometric(1/2)] = 2 + 2 - 4/3
    2.666667
    >>> r = qnet.chain_delivery(("distill", "swap", "swap"), 0.1, 0.5, 0.98, 400.0, cutoff=(40, 80, 160),
    ...                         t_trunc=20000)
    >>> r.pmf.shape, r.state.shape, r.truncation_error < 1e-6
    ((20000,), (20000, 4), True)
    >>> r = qnet.chain_delivery(("distill", "swap"), 0.2, 0.9, link_state=[0.9, 0.05, 0.03, 0.02],
    ...                         memory=qnet.PauliMemory.dephasing(1e-3), cutoff=30, t_trunc=3000)
    >>> round(float(r.state[r.pmf.argmax()].sum()), 12)
    1.0
    """
    chain = chain_of(schedule, p_gen, p_swap, w0, t_coh, cutoff, cut_type, link_state, memory, protocol, twirl, noise)
    return chain.delivery(t_trunc, tol=tol)


def chain_of(schedule, p_gen, p_swap, w0, t_coh, cutoff, cut_type, link_state, memory, protocol, twirl,
             noise) -> "RepeaterChain":
    """The RepeaterChain of the function tier's chain calls (engine tier, not in ``__all__``): the Werner model
    from ``w0, t_coh``, the general one from ``link_state, memory``, never both."""
    werner = w0 is not None or t_coh is not None
    general = link_state is not None or memory is not None
    if werner == general:
        raise TypeError("give either the Werner model (w0 and t_coh) or the general model (link_state= and memory=)"
                        + (", not both" if werner else ""))
    if werner:
        for name, value in (("w0", w0), ("t_coh", t_coh)):
            if value is None:
                raise TypeError(f"the Werner model needs {name} (give w0 and t_coh)")
        extra = [name for name, value in (("protocol", protocol), ("twirl", twirl), ("noise", noise))
                 if value is not None]
        if extra:
            raise TypeError(f"{', '.join(extra)} belong(s) to the general model; the Werner model fixes BBPSSW with a "
                            "Werner output and ideal operations (give link_state=qnet.werner(F) and "
                            "memory=qnet.werner_memory_rates(t_coh) instead of w0 and t_coh)")
        return RepeaterChain.werner(schedule, p_gen, p_swap, w0, t_coh, cutoff, cut_type)
    for name, value in (("link_state", link_state), ("memory", memory)):
        if value is None:
            raise TypeError(f"the general model needs {name}= (give link_state= and memory=)")
    return RepeaterChain(schedule, p_gen, p_swap, link_state, memory, cutoff, cut_type,
                         protocol="auto" if protocol is None else protocol, twirl=False if twirl is None else twirl,
                         noise=noise)


def _deliver(model: _Model, t_trunc: Any, tol: Any) -> ChainDelivery:
    """Validated window and tolerance, size check, evaluation and result of a chain model."""
    T = validate_t_trunc(t_trunc)
    tol = _tol(tol)
    _check_size(model, T)
    return _result(_evaluate(model, T), model, tol)


def _node_noises(noise: Any, n_nodes: int) -> list[OperationNoise]:
    """``noise`` of a chain: one :class:`OperationNoise` for every node, or a sequence of one per node."""
    if noise is None or isinstance(noise, OperationNoise):
        return [scalar_noise(noise)] * n_nodes
    if isinstance(noise, (str, bytes)) or not isinstance(noise, Sequence):
        raise TypeError(f"noise must be a qnet.OperationNoise or a sequence of one per node, got "
                        f"{type(noise).__name__}")
    if len(noise) != n_nodes:
        raise ValueError(f"noise must give one OperationNoise per node ({n_nodes} for this chain), got {len(noise)}")
    return [scalar_noise(z, f"noise[{i}]") for i, z in enumerate(noise)]


def _bds_model(schedule, p_gen, p_swap, link_state, memory_rates, cutoff, cut_type, purification, twirl,
               noise: Any) -> _Model:
    from .purification import PROTOCOL_OPTIONS

    schedule = validate_schedule(schedule)
    _v.option(purification, "protocol", PROTOCOL_OPTIONS)
    p = _per_segment(p_gen, "p_gen", lambda v, nm: _v.probability(v, nm, zero_ok=False))
    ps = _v.scalar(_v.probability, p_swap, "p_swap", zero_ok=False)
    lam = _v.bds(link_state, "link_state")
    if lam.ndim not in (1, 2) or lam.shape[0] == 0:
        raise ValueError(f"link_state must have shape (4,) or (n, 4) for n segments, got {lam.shape}")
    schedule = _segments(schedule, {"p_gen": p.size if p.ndim else 0, "link_state": lam.shape[0] if lam.ndim == 2 else 0})
    n = schedule.n_segments
    p, lam = np.broadcast_to(p, (n,)).astype(np.float64), np.broadcast_to(lam, (n, 4))
    rates = pauli_rate_array(memory_rates, "memory")
    if rates.ndim == 1:
        rates = np.broadcast_to(rates, (n + 1, 3))
    if rates.shape != (n + 1, 3):
        raise ValueError(f"memory must have shape (3,) or ({n + 1}, 3) for {n + 1} nodes, got {rates.shape}")
    twirl = _v.flag(twirl, "twirl")
    cuts = _cutoffs(cutoff, cut_type, schedule.n_slots, schedule.slot_name)
    per_node = tuple((float(z.gate_fidelity), float(z.measurement_error)) for z in _node_noises(noise, n + 1))
    f, q = per_node[0]
    node_noise = None if len(set(per_node)) == 1 else (per_node, twirl)
    model = _Model(schedule, p, wht(np.ascontiguousarray(lam)), component_rates(rates), ps, cuts, cut_type, None,
                   purification, (f, q, twirl) if purification == "auto" else None, node_noise)
    return _with_schedule(model, schedule, cuts) if purification == "auto" else \
        dataclasses.replace(model, D_distill=distill_tensor(purification, f, q, twirl))


def _auto_protocol(model: _Model) -> str:
    """The variant ``protocol="auto"`` gives a chain's distillations: the one (a single variant for the whole
    schedule) whose ideal run, with fresh links, no waiting, no failures and the nodes' operation noise, delivers
    the highest fidelity; ties (within ``AUTO_TIE_ATOL``) go to the first in :data:`qnet.PROTOCOLS`."""
    from .purification import AUTO_TIE_ATOL, PROTOCOLS, bds_purify

    from .swapping import swap

    f, q, twirl = model.auto
    lam = 0.25 * wht(model.link_hat)

    def run(name: str) -> float:
        def combine(op, slot, span_a, span_b, a, b):
            if op == "swap":  # the chain's swaps are ideal
                return swap(a, b).state
            (fa, qa), (fb, qb) = model.end_noise(*span_a) or ((f, q), (f, q))
            out, p = bds_purify(a, b, name, fa, qa, gate_fidelity_b=fb, measurement_error_b=qb)
            return werner_rows(out[0]) if twirl and p > 0 else out

        return float(model.fold(lambda start: lam[start], combine)[0])

    fid = [run(name) for name in PROTOCOLS]
    best = max(fid)
    return next(name for name, v in zip(PROTOCOLS, fid) if v >= best - AUTO_TIE_ATOL)


def _with_schedule(model: _Model, schedule: Schedule, cuts: tuple) -> _Model:
    """The model under another schedule; ``protocol="auto"`` is decided again for it."""
    m = dataclasses.replace(model, schedule=schedule, cutoffs=cuts)
    if m.auto is None:
        return m
    name = _auto_protocol(m)
    return dataclasses.replace(m, protocol=name, D_distill=distill_tensor(name, *m.auto))


def _reference_delivery(model: _Model, t_trunc: int) -> ChainDelivery:
    """Slow straightforward path (O(T²) joins over all arrival-time pairs, renewal sums term by term)."""
    return _result(_evaluate(model, t_trunc, direct=True), model, None)


# ---------------------------------------------------------------- the problem object
@dataclass(frozen=True)
class ChainTree:
    """A chain's protocol tree flattened for a simulation engine: one node per distinct sub-chain.

    ``kind[i]`` is elementary link, swap or distillation (codes of ``qnet._kernels.montecarlo``);
    ``child_a``/``child_b`` index the inputs (-1 for a link); ``p_gen`` and ``link_hat`` (Walsh–Hadamard
    components of the fresh state) describe a link; ``decay_a``/``decay_b`` are the per-step decay rates
    of a waiting input's components; ``cut_code``/``cut_value`` its cut-off (-1: none); ``operation[i]`` is
    the bilinear map of distillation node ``i`` (its two nodes' noise; zeros for other nodes); ``root`` the top
    node.
    """

    root: int
    kind: np.ndarray
    child_a: np.ndarray
    child_b: np.ndarray
    p_gen: np.ndarray
    link_hat: np.ndarray
    decay_a: np.ndarray
    decay_b: np.ndarray
    cut_code: np.ndarray
    cut_value: np.ndarray
    p_swap: float
    operation: np.ndarray


class RepeaterChain:
    """A repeater-chain problem, validated once and immutable: segments, memories, schedule, cut-offs, operations.

    Parameters
    ----------
    schedule : Schedule or tuple of str
        A :class:`qnet.Schedule`, or nested levels from the elementary links up (see :func:`chain_delivery`).
    p_gen : float or array_like
        Success probability per attempt, one for all segments or one per segment.
    p_swap : float
        Swap success probability, in (0, 1].
    link_state : array_like, shape (4,) or (n, 4)
        Bell-diagonal state of a fresh link, one for all segments or one per segment.
    memory : array_like, shape (3,) or (n + 1, 3), or PauliMemory
        Pauli rates per time step of every node's memories (one for all nodes or one per node).
    cutoff, cut_type
        Cut-offs per level and their type, as in :func:`chain_delivery`.
    protocol : str
        Purification variant of the distillations: a name of :data:`qnet.PROTOCOLS`, or ``"auto"`` (default):
        the variant whose ideal run of the schedule (fresh links, no waiting, no failures, the chain's operation
        noise) delivers the highest fidelity, one variant for the whole schedule, decided again by
        :meth:`with_schedule`; ties go to the first in :data:`qnet.PROTOCOLS`. :attr:`protocol` says which.
    twirl : bool
        Twirl every distilled pair to Werner form.
    noise : OperationNoise or sequence of OperationNoise, optional
        Operation noise of the distillation circuits (single numbers; default ideal): one for every node, or one
        per node (``n_segments + 1``), each distillation then with the noise of its pair's two end nodes.

    :meth:`werner` builds the Werner model of Li, Coopmans & Elkouss (``p_gen, p_swap, w0, t_coh``),
    the same type. ``identity`` is a hash of everything that decides the results.

    Examples
    --------
    >>> import qnet
    >>> chain = qnet.RepeaterChain(("distill", "swap"), 0.2, 0.9, [0.9, 0.05, 0.03, 0.02],
    ...                            qnet.PauliMemory.dephasing(1e-3), cutoff=30)
    >>> chain.n_segments, round(chain.delivery(3000).mean_time, 3)
    (2, 13.185)
    >>> werner = qnet.RepeaterChain.werner(("swap",), 0.5, 1.0, 1.0, float("inf"))
    >>> round(werner.delivery(200, tol=None).mean_time, 6)   # E[max of two Geometric(1/2)]
    2.666667
    """

    __slots__ = ("_model", "_model_kind")

    def __init__(self, schedule: Sequence[str], p_gen: Any, p_swap: float, link_state: Any, memory: Any,
                 cutoff: Any = None, cut_type: str = "memory_time", *, protocol: str = "auto", twirl: bool = False,
                 noise: OperationNoise | Sequence[OperationNoise] | None = None) -> None:
        model = _bds_model(schedule, p_gen, p_swap, link_state, memory, cutoff, cut_type, protocol, twirl, noise)
        object.__setattr__(self, "_model", model)
        object.__setattr__(self, "_model_kind", "bell-diagonal")

    @classmethod
    def werner(cls, schedule: Sequence[str], p_gen: Any, p_swap: float, w0: Any, t_coh: float, cutoff: Any = None,
               cut_type: str = "memory_time") -> "RepeaterChain":
        """The Werner model (Li, Coopmans & Elkouss): Werner parameter ``w0`` of fresh links, decay ``exp(-t/t_coh)``
        of a waiting pair, BBPSSW with a Werner output; parameters as in :func:`chain_delivery`.

        Examples
        --------
        >>> import qnet
        >>> qnet.RepeaterChain.werner(("swap", "swap"), 0.1, 0.5, 0.98, 400.0, cutoff=(16, 31)).n_segments
        4
        """
        return cls._from_model(_werner_model(schedule, p_gen, p_swap, w0, t_coh, cutoff, cut_type), "werner")

    @classmethod
    def _from_model(cls, model: "_Model", kind: str) -> "RepeaterChain":
        chain = object.__new__(cls)
        object.__setattr__(chain, "_model", model)
        object.__setattr__(chain, "_model_kind", kind)
        return chain

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a RepeaterChain is immutable; use with_cutoff() or build a new one ({name!r})")

    def __repr__(self) -> str:
        return (f"RepeaterChain({self._model_kind}, schedule={self.schedule!r}, segments={self.n_segments}, "
                f"cutoff={self.cutoff}, cut_type={self.cut_type!r}, identity={self.identity!r})")

    @property
    def schedule(self) -> Schedule:
        """The chain's schedule (its ``levels`` for a nested one)."""
        return self._model.schedule

    @property
    def n_segments(self) -> int:
        """Number of elementary links."""
        return self._model.n

    @property
    def p_gen(self) -> np.ndarray:
        """Success probability per attempt of every segment."""
        return self._model.p_gen.copy()

    @property
    def p_swap(self) -> float:
        """Swap success probability."""
        return self._model.p_swap

    @property
    def protocol(self) -> str:
        """The distillation variant the chain runs (``"auto"`` resolved; ``"bbpssw"`` with a Werner twirl in the
        Werner model).

        Examples
        --------
        >>> import qnet
        >>> qnet.RepeaterChain(("distill", "distill"), 0.2, 0.9, qnet.werner(0.9), [0, 0, 1e-3]).protocol
        'dejmps'
        """
        return self._model.protocol

    @property
    def cutoff(self) -> tuple:
        """Cut-off of every level (``None``: none)."""
        return self._model.cutoffs

    @property
    def cut_type(self) -> str:
        """Type of the cut-offs."""
        return self._model.cut_type

    @property
    def identity(self) -> str:
        """Hash (16 hex digits) of everything that decides this chain's results."""
        return self._model.identity()

    def with_cutoff(self, cutoff: Any, cut_type: str | None = None) -> "RepeaterChain":
        """The same chain with other cut-offs (validated as in :func:`chain_delivery`).

        Examples
        --------
        >>> import qnet
        >>> chain = qnet.RepeaterChain.werner(("swap",), 0.3, 0.9, 0.98, 100.0)
        >>> chain.with_cutoff(5).cutoff
        (5,)
        """
        cut_type = self.cut_type if cut_type is None else cut_type
        cuts = _cutoffs(cutoff, cut_type, self.schedule.n_slots, self.schedule.slot_name)
        m = self._model
        return self._from_model(dataclasses.replace(m, cutoffs=cuts, cut_type=cut_type), self._model_kind)

    def with_schedule(self, schedule: Any) -> "RepeaterChain":
        """The same segments, memories and operations under another schedule over as many segments; the cut-off
        must be one value for every operation (or none), which the new schedule's operations all get.

        Examples
        --------
        >>> import qnet
        >>> chain = qnet.RepeaterChain.werner(("swap", "swap"), 0.3, 0.9, 0.98, 100.0, cutoff=8)
        >>> chain.with_schedule(qnet.Schedule(["s1", "d0", "s0", "s2"], n_nodes=5)).cutoff
        (8, 8, 8, 8)
        """
        m = self._model
        schedule = _segments(validate_schedule(schedule), {"the chain's segments": m.n})
        if len(set(m.cutoffs)) > 1:
            raise ValueError(f"the chain's cut-offs {m.cutoffs} differ between {m.schedule.slot_name}s; with another "
                             f"schedule give the cut-offs anew (build the chain again)")
        cuts = _cutoffs(m.cutoffs[0] if m.cutoffs else None, m.cut_type, schedule.n_slots, schedule.slot_name)
        return self._from_model(_with_schedule(m, schedule, cuts), self._model_kind)

    def delivery(self, t_trunc: int = 1000, *, tol: float | None = 1e-6) -> ChainDelivery:
        """Exact delivery-time distribution and delivered states (see :func:`chain_delivery`).

        Examples
        --------
        >>> import qnet
        >>> qnet.RepeaterChain.werner(("swap",), 0.5, 1.0, 1.0, float("inf")).delivery(300).pmf.shape
        (300,)
        """
        return _deliver(self._model, t_trunc, tol)

    def optimize_cutoff(self, *, cut_type: str = "memory_time", per_level: bool = False,
                        bounds: tuple[float, float] | None = None,
                        objective: str | Callable[[ChainDelivery], float] = "key_rate", t_trunc: int = 2000,
                        tol: float = 1e-4, seed: int = 0, maxiter: int = 30) -> "CutoffOptimum":
        """Best cut-offs for this chain (see :func:`optimize_cutoff`; the chain's own cut-offs are replaced).

        Examples
        --------
        >>> import qnet
        >>> chain = qnet.RepeaterChain.werner(("swap", "swap"), 0.3, 0.6, 0.995, 60.0)
        >>> chain.optimize_cutoff(t_trunc=800, bounds=(1, 60), maxiter=10).cutoff
        (4, 4)
        """
        _v.option(cut_type, "cut_type", CUT_TYPES)
        return _optimize(self._model, cut_type, per_level, bounds, objective, t_trunc, tol, seed, maxiter)

    def simulate(self, n_samples: int = 100_000, seed: Any = 0) -> MonteCarloResult:
        """Monte Carlo of this chain: ``n_samples`` delivered pairs, each an independent history (an event-level
        simulation, independent of the exact recursion of :meth:`delivery`).

        Parameters
        ----------
        n_samples : int
            Number of delivered end-to-end pairs, in [2, MAX_SAMPLES].
        seed : int, numpy.random.Generator, SeedSequence or None
            Seed of numba's generator (qnet's one seed rule); equal seeds give equal samples.

        Returns
        -------
        MonteCarloResult
            With ``problem`` naming this chain's identity.

        Examples
        --------
        >>> import qnet
        >>> mc = qnet.RepeaterChain.werner(("swap",), 0.5, 1.0, 1.0, float("inf")).simulate(20000, seed=1)
        >>> lo, hi = mc.mean_time_ci
        >>> bool(lo < 8 / 3 < hi)
        True
        """
        n_samples, seed = validate_n_samples(n_samples), _v.seed_int(seed)
        tree = self.tree()
        # every swap attempt uses two links, so a delivery within MAX_LINKS_PER_DELIVERY links needs one of at most
        # MAX_LINKS_PER_DELIVERY / 2 attempts to succeed: refuse a hopeless run at once
        if self.n_segments > 1 and tree.p_swap * MAX_LINKS_PER_DELIVERY / 2 < 1e-9:
            raise ValueError(f"p_swap={tree.p_swap!r}: one delivery within {MAX_LINKS_PER_DELIVERY} elementary links "
                             f"has probability <= {tree.p_swap * MAX_LINKS_PER_DELIVERY / 2:.3g}; the chain (almost) "
                             f"never delivers with these parameters")
        times = np.empty(n_samples, dtype=np.int64)
        states = np.empty((n_samples, 4))
        n_links = _mc.sample_tree(n_samples, tree.root, tree.kind, tree.child_a, tree.child_b, tree.p_gen,
                                  tree.link_hat, tree.decay_a, tree.decay_b, tree.cut_code, tree.cut_value,
                                  tree.p_swap, tree.operation, seed, times, states, MAX_LINKS_PER_DELIVERY)
        if n_links < 0:
            raise ValueError(f"one delivery needed more than {MAX_LINKS_PER_DELIVERY} elementary links: the chain "
                             f"(almost) never delivers with these parameters (p_gen, p_swap, cut-offs too strict?)")
        return MonteCarloResult(times, bds_from_wht(states), int(n_links), (seed,), f"nested-chain:{self.identity}")

    def tree(self) -> ChainTree:
        """The protocol tree flattened for a simulation engine (:class:`ChainTree`).

        Examples
        --------
        >>> import qnet
        >>> tree = qnet.RepeaterChain.werner(("swap", "swap"), 0.5, 1.0, 0.9, 10.0).tree()
        >>> len(tree.kind)   # one link, one swap of two links, one swap of two spans: equal spans share nodes
        3
        """
        return _flatten(self._model)


def _flatten(model: "_Model") -> ChainTree:
    """Flatten the protocol tree of a chain model (one node per distinct sub-chain, like the exact recursion)."""
    rows: list[tuple] = []

    def new(kind, a=-1, b=-1, p=0.0, hat=None, ca=None, cb=None, code=-1, value=0.0) -> int:
        zero = np.zeros(4)
        rows.append((kind, a, b, p, zero if hat is None else hat, zero if ca is None else ca,
                     zero if cb is None else cb, code, value))
        return len(rows) - 1

    def link(start: int) -> int:
        return new(codes.ELEMENTARY, p=float(model.p_gen[start]), hat=model.link_hat[start])

    maps: dict = {}  # node -> its distillation map

    def combine(op: str, slot: int, a: tuple, b: tuple, ia: int, ib: int) -> int:
        cut = model.cutoffs[slot]
        g = new(codes.SWAP if op == "swap" else codes.DISTILL, ia, ib, ca=model.link_c(*a),
                cb=model.link_c(*b), code=-1 if cut is None else codes.CUT_CODES[model.cut_type],
                value=0.0 if cut is None else float(cut))
        if op == "distill":
            maps[g] = model.distill_map(*a)
        return g

    root = model.fold(link, combine)
    cols = list(zip(*rows))

    def arr(i, dtype=np.float64):
        return np.ascontiguousarray(np.array(cols[i], dtype=dtype))

    operation = np.zeros((len(rows), 4, 4, 4))
    for g, D in maps.items():
        operation[g] = D
    return ChainTree(root, arr(0, np.int64), arr(1, np.int64), arr(2, np.int64), arr(3), arr(4).reshape(-1, 4),
                     arr(5).reshape(-1, 4), arr(6).reshape(-1, 4), arr(7, np.int64), arr(8), float(model.p_swap),
                     operation)


# ---------------------------------------------------------------- optimizer
@dataclass(frozen=True, repr=False)
class CutoffOptimum(Result):
    """Result of :func:`optimize_cutoff`: the best cut-offs, the figure of merit there, and the delivery
    (whose ``problem`` is the identity of the chain with the best cut-offs).

    ``at_bound`` says that a cut-off of the optimum sits on a bound of the search interval (the optimum may lie
    beyond it: widen ``bounds``); ``scan`` holds the uniform cut-offs of the bracketing scan and their values
    (0 where a candidate does not deliver within ``t_trunc`` and ``tol``); ``uncovered`` lists the candidates
    whose distribution the window ``t_trunc`` did not cover within ``tol`` (scored 0: a longer window may find a
    better optimum among them).
    """

    cutoff: tuple
    value: float
    delivery: ChainDelivery
    n_evaluations: int
    at_bound: bool = False
    scan: tuple = ()
    uncovered: tuple = ()


#: Points of the bracketing scan of :func:`optimize_cutoff` (geometric for time cut-offs, linear for fidelity).
SCAN_POINTS = 32


def _bounds(bounds: Any, cut_type: str, T: int) -> tuple[float, float]:
    """Search interval of the cut-off: a (low, high) pair inside the values the cut-off type allows."""
    if bounds is None:
        return (0.25, 1.0) if cut_type == "fidelity" else (1.0, float(max(2, T // 2)))
    if isinstance(bounds, (str, bytes)) or not isinstance(bounds, (Sequence, np.ndarray)) or len(bounds) != 2:
        raise ValueError(f"bounds must be a pair (low, high), got {bounds!r}")
    lo, hi = (_v.scalar(_v.real_array, b, f"bounds[{i}]") for i, b in enumerate(bounds))
    if not lo < hi:
        raise ValueError(f"bounds must satisfy low < high, got {bounds!r}")
    if cut_type == "fidelity" and not 0.0 <= lo < hi <= 1.0:
        raise ValueError(f"bounds of a fidelity cut-off must lie in [0, 1], got {bounds!r}")
    if cut_type != "fidelity" and lo < (1.0 if cut_type == "run_time" else 0.0):
        raise ValueError(f"bounds of a {cut_type} cut-off must be >= {1 if cut_type == 'run_time' else 0} steps, "
                         f"got {bounds!r}")
    return lo, hi


def _scan_grid(lo: float, hi: float, integer: bool, n: int = SCAN_POINTS) -> np.ndarray:
    """The bracketing scan's cut-offs in ``[lo, hi]``: integers spaced geometrically (every integer where the grid
    is denser), or ``n`` evenly spaced thresholds; both ends included."""
    if not integer:
        return np.linspace(lo, hi, n)
    lo_i, hi_i = math.ceil(lo), math.floor(hi)
    if hi_i - lo_i + 1 <= n:
        return np.arange(lo_i, hi_i + 1, dtype=float)
    return np.unique(np.concatenate([[lo_i], np.round(np.geomspace(max(lo_i, 1), hi_i, n)), [hi_i]]))


#: Values within this relative distance of each other are a tie (round-off, not physics): in the rankings of
#: schedule searches and among the cut-offs of an optimization, where the smaller cut-off wins a tie.
TIE_RTOL = 1e-12


def tied(a: float, b: float) -> bool:
    """Whether two values are equal within :data:`TIE_RTOL` (relative)."""
    return abs(a - b) <= TIE_RTOL * max(abs(a), abs(b))


def rank_with_ties(items: list, value: Callable[[Any], float], name: Callable[[Any], Any]) -> list:
    """``items`` best first, where values within ``TIE_RTOL`` of the first of a run of near-equal values count as
    equal and are ordered by ``name`` (so round-off cannot reorder tied candidates between runs)."""
    ordered = sorted(items, key=lambda it: -value(it))
    out: list = []
    group: list = []
    for it in ordered:
        if group and not tied(value(it), value(group[0])):
            out += sorted(group, key=name)
            group = []
        group.append(it)
    return out + sorted(group, key=name)


def _refine_integer(f: Callable[[int], float], a: int, b: int) -> None:
    """Golden-section search for the largest ``f`` on the integers of ``[a, b]``, ending
    with every integer of the last bracket of at most 8 evaluated; ``f`` keeps its own record of the best."""
    while b - a > 8:
        x1 = b - int(round((b - a) * 0.6180339887498949))
        x2 = a + int(round((b - a) * 0.6180339887498949))
        if x1 >= x2:
            break
        f1, f2 = f(x1), f(x2)
        if f1 >= f2 or tied(f1, f2):  # a tie keeps the smaller cut-offs, whatever the round-off
            b = x2
        else:
            a = x1
    for x in range(a, b + 1):
        f(x)


def _optimize(model: _Model, cut_type: str, per_level: bool, bounds, objective, t_trunc, tol, seed, maxiter
              ) -> CutoffOptimum:
    from scipy.optimize import differential_evolution, minimize_scalar

    schedule = model.schedule
    T = validate_t_trunc(t_trunc)
    if tol is None:
        raise TypeError("tol must be a number in (0, 1]: candidates whose window misses more than tol score 0")
    tol = _tol(tol)
    per_level = _v.flag(per_level, "per_level")
    seed = _v.seed_int(seed)
    maxiter = _v.integer(maxiter, "maxiter", 1, 10**6)
    if callable(objective):
        fom = objective
    else:
        _v.option(objective, "objective", ("key_rate", "rate_fidelity"))
        fom = (lambda r: r.key_rate) if objective == "key_rate" else (lambda r: r.mean_fidelity / r.mean_time)
    lo, hi = _bounds(bounds, cut_type, T)
    _check_size(model, T)
    dim = schedule.n_slots if per_level else 1
    integer = cut_type != "fidelity"
    cache: dict = {}
    uncovered: set = set()

    def cut_of(x: Any) -> tuple:
        vals = [int(round(v)) if integer else float(v) for v in np.atleast_1d(x)]
        return tuple(vals) if len(vals) > 1 else (vals[0],) * schedule.n_slots

    def value(c: tuple) -> float:
        if c not in cache:
            m = dataclasses.replace(model, cutoffs=_cutoffs(c, cut_type, schedule.n_slots, schedule.slot_name),
                                    cut_type=cut_type)
            try:
                r = _result(_evaluate(m, T), m, None)
            except NeverDeliversError:  # a genuinely infeasible candidate: no delivery ever
                cache[c] = (0.0, None)
            except TruncationError:  # no delivery within the window
                cache[c] = (0.0, None)
                uncovered.add(c)
            else:
                ok = r.truncation_error <= tol
                if not ok:
                    uncovered.add(c)
                cache[c] = (_objective_value(fom(r), c) if ok else 0.0, r if ok else None)
        return cache[c][0]

    # 1. bracket: a scan of uniform cut-offs over the whole interval (a flat zero region cannot hide the optimum)
    grid = _scan_grid(lo, hi, integer)
    scan = tuple((float(g), value(cut_of(g))) for g in grid)
    top = max(v for _, v in scan)
    i = next(k for k, (_, v) in enumerate(scan) if v == top or tied(v, top))  # the smallest of tied maxima
    if scan[i][1] > 0.0:
        # 2. refine the uniform cut-off inside the bracket of the best scan point
        a, b = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]
        if integer:
            _refine_integer(lambda x: value(cut_of(x)), int(a), int(b))
        elif b > a:
            minimize_scalar(lambda x: -value(cut_of(x)), bounds=(a, b), method="bounded", options={"xatol": 1e-7})
        # 3. per level: differential evolution seeded with the best uniform cut-off
        if dim > 1:
            best_uniform = max((c for c in cache if len(set(c)) == 1), key=lambda c: cache[c][0])
            differential_evolution(lambda x: -value(cut_of(x)), [(lo, hi)] * dim, seed=seed, maxiter=maxiter,
                                   polish=False, tol=1e-8, integrality=[integer] * dim, updating="immediate",
                                   x0=np.array(best_uniform, dtype=float))
    feasible = {c: v for c, v in cache.items() if v[1] is not None}
    if not feasible:
        raise NeverDeliversError(
            f"no cut-off in bounds ({lo:g}, {hi:g}) of the {len(cache)} evaluated delivers within t_trunc={T} "
            f"and tol={tol:g}: the chain never delivers or the window is too short"
        )
    top = max(v for v, _ in feasible.values())
    best = min((c for c, (v, _) in feasible.items() if v == top or tied(v, top)),
               key=lambda c: (sum(abs(x) for x in c), c))  # ties within TIE_RTOL: the smaller cut-off
    if feasible[best][0] <= 0.0:
        raise InfeasibleError(
            f"no cut-off in bounds ({lo:g}, {hi:g}) gives a positive objective: all {len(cache)} evaluated (a scan of "
            f"{grid.size} uniform cut-offs, then its refinement) score 0" +
            (f"; {len(uncovered)} of them were not covered by t_trunc={T} within tol={tol:g} (a longer window may "
             f"find a positive optimum among them)" if uncovered else
             "; the chain delivers, but without key (or with a non-positive figure of merit) at every one; widen "
             "bounds or improve the chain (fresher links, longer coherence, higher p_swap)"),
            uncovered=tuple(sorted(uncovered)))
    val, delivery = feasible[best]
    at_bound = any(x in (lo, hi) or (integer and x in (math.ceil(lo), math.floor(hi))) for x in best)
    return CutoffOptimum(cutoff=best, value=val, delivery=delivery, n_evaluations=len(cache), at_bound=at_bound,
                         scan=scan, uncovered=tuple(sorted(uncovered)))


def _objective_value(v: Any, cutoff: tuple) -> float:
    """A user objective's value, checked before it steers the search: a finite real number."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise TypeError(f"the objective must return a real number, got {type(v).__name__} {v!r} at cut-off "
                        f"{cutoff}") from None
    if not math.isfinite(x):
        raise ValueError(f"the objective returned {x!r} at cut-off {cutoff}; it must be finite")
    return x


def optimize_cutoff(
    schedule: Sequence[str],
    p_gen: Any,
    p_swap: float,
    w0: Any = None,
    t_coh: float | None = None,
    *,
    link_state: Any = None,
    memory: Any = None,
    protocol: str | None = None,
    twirl: bool | None = None,
    noise: OperationNoise | None = None,
    cut_type: str = "memory_time",
    per_level: bool = False,
    bounds: tuple[float, float] | None = None,
    objective: str | Callable[[ChainDelivery], float] = "key_rate",
    t_trunc: int = 2000,
    tol: float = 1e-4,
    seed: int = 0,
    maxiter: int = 30,
) -> CutoffOptimum:
    """Maximise a figure of merit per time over uniform or per-level cut-offs.

    The function tier of :meth:`RepeaterChain.optimize_cutoff`. Brackets before it refines: a scan of
    ``SCAN_POINTS`` (32) uniform cut-offs over the whole interval (integers spaced geometrically for time
    cut-offs, evenly for fidelity thresholds), then a search inside the bracket of the best scan point
    (golden section on the integers, or scipy's bounded scalar minimiser), then, with ``per_level``,
    ``scipy.optimize.differential_evolution`` seeded with the best uniform cut-off (fixed ``seed``: repeated
    calls give the same answer). The result is the best of every candidate evaluated (ties: the smaller
    cut-off). Candidates whose distribution is not covered by ``t_trunc`` within ``tol`` score 0; when no
    candidate scores above 0 an :class:`qnet.InfeasibleError` says so (a zero is never reported as an optimum),
    and ``at_bound`` flags an optimum on a bound of the interval.

    Parameters
    ----------
    schedule, p_gen, p_swap, w0, t_coh, link_state, memory, protocol, twirl, noise, cut_type, t_trunc
        As in :func:`chain_delivery` (the Werner model or the general one).
    per_level : bool
        One cut-off per level (True) or one for all levels.
    bounds : (low, high), optional
        Search interval (default ``(1, t_trunc // 2)`` steps, or ``(0.25, 1)`` for fidelity).
    objective : "key_rate" | "rate_fidelity" | callable
        ``key_rate`` (BB84 key per step), ``rate_fidelity`` (mean fidelity / mean time) or any
        function of a :class:`ChainDelivery`.
    seed, maxiter : int
        Seed and iteration budget of the differential evolution (``per_level`` only).

    Raises
    ------
    InfeasibleError
        No cut-off in ``bounds`` gives a positive objective (the chain delivers, but e.g. without key).
    NeverDeliversError
        No cut-off in ``bounds`` delivers within ``t_trunc`` and ``tol``.

    Examples
    --------
    >>> import qnet
    >>> args = (("swap", "swap"), 0.3, 0.6, 0.995, 60.0)
    >>> best = qnet.optimize_cutoff(*args, t_trunc=800, bounds=(1, 60), maxiter=10)
    >>> best.cutoff, round(best.value, 6)
    ((4, 4), 0.015013)
    >>> round(qnet.chain_delivery(*args, t_trunc=800).key_rate, 6)   # no cut-off
    0.0051
    >>> general = dict(link_state=[0.99, 0.006, 0.002, 0.002], memory=[0, 0, 2e-3])
    >>> best = qnet.optimize_cutoff(("swap", "swap"), 0.3, 0.6, **general, t_trunc=800, bounds=(1, 60), maxiter=5)
    >>> best.value >= qnet.chain_delivery(("swap", "swap"), 0.3, 0.6, **general, t_trunc=800).key_rate
    True
    """
    _v.option(cut_type, "cut_type", CUT_TYPES)
    chain = chain_of(schedule, p_gen, p_swap, w0, t_coh, None, cut_type, link_state, memory, protocol, twirl, noise)
    return chain.optimize_cutoff(cut_type=cut_type, per_level=per_level, bounds=bounds, objective=objective,
                                 t_trunc=t_trunc, tol=tol, seed=seed, maxiter=maxiter)
