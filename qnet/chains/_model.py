"""The exact chain engine's model (engine tier): validation of a chain's parameters, the model the engines read
(links, decay rates, operations, cut-offs) and the distillation maps from the operation library."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .. import _validation as _v
from ..circuits import WIDE_CIRCUITS, circuit
from ..noise import OperationNoise
from ..schedules import Schedule
from ..purification import AUTO_TIE_ATOL
from ..swapping import BellMeasurement, swap
from ..limits import MAX_CHAIN_BYTES
from .._bell import component_rates, werner_rows, wht
from .._records import content_hash
from .._arguments import pauli_rate_array, scalar_noise
from .._distil import DISTILLATION_OPTIONS, PROTOCOLS, bds_purify, distill_tensor
from .._tree import children, nested_segments, postorder, span, validate_levels

__all__ = ["CUT_TYPES", "werner_memory_rates"]


#: Cut-off types.
CUT_TYPES: tuple[str, ...] = ("memory_time", "fidelity", "run_time")
_NO_CUT = 2**40  # a memory-time cut-off that never triggers

_SWAP_D = BellMeasurement().components()  # the ideal swap (a node without noise; the Werner model's)


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
    """Depolarizing Pauli rates ``(γ, γ, γ)`` per node for which a stored pair's Werner parameter decays as
    ``exp(-t/t_coh)``.

    Both qubits decohere, each with transfer eigenvalue ``exp(-4γt)``, so ``γ = 1/(8 t_coh)``.

    Examples
    --------
    >>> import qnet
    >>> qnet.werner_memory_rates(10.0)
    array([0.0125, 0.0125, 0.0125])
    """
    t = _v.positive(t_coh, "t_coh")
    return np.full(np.shape(t) + (3,), 1.0)[...] / (8.0 * np.asarray(t)[..., None])


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


@functools.lru_cache(maxsize=256)
def _swap_tensor(gate_fidelity: float, measurement_error: float) -> np.ndarray:
    """The map of a swap by a node of this noise (:meth:`qnet.BellMeasurement.components`), read-only."""
    D = BellMeasurement(OperationNoise(gate_fidelity, measurement_error)).components()
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
    ops: tuple | None = None   # (gate_fidelity, measurement_error, twirl) of the general model (None: Werner model)

    def node_ops(self, node: int) -> tuple[float, float]:
        """``(gate_fidelity, measurement_error)`` of ``node`` (ideal in the Werner model)."""
        if self.ops is None:
            return 1.0, 0.0
        return self.node_noise[0][node] if self.node_noise is not None else self.ops[:2]

    def swap_map(self, node: int) -> np.ndarray:
        """The map of the swap at ``node``: a Bell measurement with that node's own noise."""
        return _swap_tensor(*self.node_ops(node))

    def distill_map(self, start: int, width: int, slot: int) -> np.ndarray:
        """The distillation map of a pair spanning nodes ``start`` and ``start + width`` at cut-off slot ``slot``:
        the circuit the schedule names there (else the chain's protocol), with each end's own noise."""
        name = self.schedule.circuits[slot]
        if name is None or name == self.protocol:
            if self.node_noise is None:  # every node alike: the chain's map
                return self.D_distill
            name = self.protocol
        (fa, qa), (fb, qb) = self.node_ops(start), self.node_ops(start + width)
        return _node_distill_tensor(name, fa, qa, fb, qb, self.ops[2])

    @property
    def n(self) -> int:
        return int(self.p_gen.size)

    def link_c(self, start: int, width: int) -> np.ndarray:
        return self.node_c[start] + self.node_c[start + width]

    def identity(self) -> str:
        """Hash of everything that decides the model's results (16 hex digits of SHA-256, by
        :func:`qnet._records.content_hash`, the one identity scheme of qnet's problems and results)."""
        return content_hash("repeater-chain", self.schedule.to_dict(), self.schedule.n_slots, self.p_swap,
                            list(self.cutoffs), self.cut_type, self.p_gen, self.link_hat, self.node_c,
                            "none" if self.D_distill is None else self.D_distill, self.protocol, self.node_noise,
                            self.ops)

    def fold(self, link: Callable[[int], Any], combine: Callable[[str, int, tuple, tuple, Any, Any], Any]) -> Any:
        """The one walk of the schedule's tree, bottom-up and once per distinct sub-chain and elementary link
        (memoised by content): ``link(start)`` gives an elementary link's value (equal segments share it),
        ``combine(op, slot, span_a, span_b, a, b)`` the value of an operation (``"swap"`` or ``"distill"``, its
        cut-off slot) joining inputs of spans ``(start, width)``; a distillation's inputs are the same value.
        Iterative (any depth); content keys are flat (a sub-chain's key names its inputs by number), so hashing them
        never recurses either."""
        numbers: dict = {}  # content key -> number of the distinct sub-chain (or elementary link)
        number_of: dict = {}  # id of a tree node -> its number
        memo: dict = {}  # number -> value
        for t in postorder(self.schedule.root):
            if t[0] == "link":
                key = ("link", self.p_gen[t[1]].tobytes(), self.link_hat[t[1]].tobytes())
            else:
                # everything a sub-chain's result depends on: its inputs, its operation and cut-off, the decay
                # rates at the ends of every pair that waits inside it, and the noise of the nodes that perform it
                ends = [self.node_c[x].tobytes() for c in children(t) for a, w in (span(c),) for x in (a, a + w)]
                if t[0] == "distill":  # its circuit and its two end nodes' noise
                    ends += [self.schedule.circuits[t[-1]], self.node_ops(span(t)[0]), self.node_ops(sum(span(t)))]
                else:  # the swapping node's noise
                    ends.append(self.node_ops(sum(span(t[1]))))
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
    if any(schedule.circuits):
        names = ", ".join(sorted(set(filter(None, schedule.circuits))))
        raise ValueError(f"schedule names distillation circuits ({names}); "
                         "the Werner model distils with BBPSSW only: give link_state= and memory= (the general model)")
    link_hat = np.stack([np.ones(n), w, w, w], axis=1)
    cuts = _cutoffs(cutoff, cut_type, schedule.n_slots, schedule.slot_name)
    return _Model(schedule, p, link_hat, node_c, ps, cuts, cut_type, _werner_distill_tensor())


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
    schedule = validate_schedule(schedule)
    _v.option(purification, "protocol", DISTILLATION_OPTIONS)
    p = _per_segment(p_gen, "p_gen", lambda v, nm: _v.probability(v, nm, zero_ok=False))
    ps = _v.scalar(_v.probability, p_swap, "p_swap", zero_ok=False)
    lam = _v.bds(link_state, "link_state")
    if lam.ndim not in (1, 2) or lam.shape[0] == 0:
        raise ValueError(f"link_state must have shape (4,) or (n, 4) for n segments, got {lam.shape}")
    schedule = _segments(schedule, {"p_gen": p.size if p.ndim else 0,
                                    "link_state": lam.shape[0] if lam.ndim == 2 else 0})
    n = schedule.n_segments
    p, lam = np.broadcast_to(p, (n,)).astype(np.float64), np.broadcast_to(lam, (n, 4))
    rates = pauli_rate_array(memory_rates, "memory")
    if rates.ndim == 1:
        rates = np.broadcast_to(rates, (n + 1, 3))
    if rates.shape != (n + 1, 3):
        raise ValueError(f"memory must have shape (3,) or ({n + 1}, 3) for {n + 1} nodes, got {rates.shape}")
    twirl = _v.flag(twirl, "twirl")
    cuts = _cutoffs(cutoff, cut_type, schedule.n_slots, schedule.slot_name)
    for slot, cut in enumerate(cuts):
        name = schedule.circuits[slot] or purification
        if name in WIDE_CIRCUITS and cut_type == "fidelity" and cut is not None:
            raise ValueError(f"{schedule.slot_name} {slot} distils with {name!r}, {circuit(name).arity} pairs, for "
                             "which the chain engines join memory-time and run-time cut-offs (or none), not fidelity "
                             "cut-offs")
    per_node = tuple((float(z.gate_fidelity), float(z.measurement_error)) for z in _node_noises(noise, n + 1))
    f, q = per_node[0]
    node_noise = None if len(set(per_node)) == 1 else (per_node, twirl)
    model = _Model(schedule, p, wht(np.ascontiguousarray(lam)), component_rates(rates), ps, cuts, cut_type, None,
                   purification, (f, q, twirl) if purification == "auto" else None, node_noise, (f, q, twirl))
    return _with_schedule(model, schedule, cuts) if purification == "auto" else \
        dataclasses.replace(model, D_distill=distill_tensor(purification, f, q, twirl))


def _auto_protocol(model: _Model) -> str:
    """The variant ``protocol="auto"`` gives a chain's distillations: the one (a single variant for the whole
    schedule) whose ideal run, with fresh links, no waiting, no failures and the nodes' operation noise, delivers
    the highest fidelity; ties (within ``AUTO_TIE_ATOL``) go to the first in :data:`qnet.PROTOCOLS`. Distillations
    whose circuit the schedule names keep it."""
    twirl = model.auto[2]
    lam = 0.25 * wht(model.link_hat)

    def run(name: str) -> float:
        def combine(op, slot, span_a, span_b, a, b):
            if op == "swap":  # by the swapping node, with its own noise
                return swap(a, b, noise=OperationNoise(*model.node_ops(sum(span_a)))).state
            (fa, qa), (fb, qb) = model.node_ops(span_a[0]), model.node_ops(sum(span_a))
            named = model.schedule.circuits[slot]
            if named is None:
                out, p = bds_purify(a, b, name, fa, qa, gate_fidelity_b=fb, measurement_error_b=qb)
            else:  # a distillation whose circuit the schedule names keeps it
                c = circuit(named)
                out, p = c.apply(*[a] * c.arity, noise=OperationNoise(fa, qa), noise_b=OperationNoise(fb, qb))
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
