"""Network policies: what each request asks for and how the nodes act on it (swap order, purification, cut-offs,
the order in which waiting links get memory slots). Plain validated records; :func:`qnet.simulate_network` compiles
them into its protocol trees.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .. import _validation as _v
from .model import PATH_CRITERIA
from ..schedules import Schedule
from ..swap_policies import SWAP_POLICIES, SwapPolicyResult
from ..limits import MAX_IN_FLIGHT, MAX_PUMPS
from .._distil import DISTILLATION_OPTIONS

__all__ = ["Request", "Swapping", "Purification", "Cutoff", "RequestOrder"]


# ---------------------------------------------------------------- policies
#: What a node following a swap policy decides on (:meth:`Swapping.by_policy`).
KNOWLEDGE: tuple[str, ...] = ("latest", "snapshot")


@dataclass(frozen=True)
class Swapping:
    """Swap policy: ``Swapping.asap()`` (nested levels, every swap as soon as its node knows both inputs),
    ``Swapping.by_schedule(schedule)`` (any :class:`qnet.Schedule`, or nested levels, for every request) or
    ``Swapping.by_policy(result)`` (the decision table of :func:`qnet.optimal_swap_policy`, followed slot by slot
    on one request's path with each node deciding on what it knows: :mod:`qnet.networks._swap_control`).

    Examples
    --------
    >>> import qnet
    >>> qnet.Swapping.asap()
    Swapping(schedule=None, policy=None, rule='optimal', knowledge='latest')
    >>> qnet.Swapping.by_schedule(qnet.Schedule(["s0", "s2", "s1"], n_nodes=5)).schedule.tokens
    ('s0', 's2', 's1')
    >>> qnet.Swapping(qnet.Schedule.from_levels(("distill", "swap"))).schedule.n_segments
    2
    """

    schedule: Schedule | None = None
    policy: SwapPolicyResult | None = None
    rule: str = "optimal"
    knowledge: str = "latest"

    def __post_init__(self) -> None:
        if self.schedule is not None and not isinstance(self.schedule, Schedule):
            raise TypeError(f"schedule must be a qnet.Schedule or None (swap as soon as possible), got "
                            f"{type(self.schedule).__name__}")
        if self.policy is not None and not isinstance(self.policy, SwapPolicyResult):
            raise TypeError(f"policy must be the result of qnet.optimal_swap_policy or None, got "
                            f"{type(self.policy).__name__}")
        if self.policy is not None and self.schedule is not None:
            raise TypeError("give a schedule or a swap policy, not both")
        _v.option(self.rule, "rule", ("optimal",) + SWAP_POLICIES)
        _v.option(self.knowledge, "knowledge", KNOWLEDGE)

    @classmethod
    def asap(cls) -> "Swapping":
        """Swap as soon as possible: ``ceil(log2 n)`` nested swap levels over ``n`` segments."""
        return cls(None)

    @classmethod
    def by_policy(cls, result: SwapPolicyResult, rule: str = "optimal", knowledge: str = "latest") -> "Swapping":
        """Follow ``result``'s optimal decision table (:func:`qnet.optimal_swap_policy`), or one of its fixed rules
        (``"swap_asap"``, ``"nested"``), slot by slot on the request's path, with ``result``'s cut-off. Each node
        decides on everything it has heard (``knowledge="latest"``) or on the last whole state that has reached
        it (``"snapshot"``); :mod:`qnet.networks._swap_control`."""
        return cls(None, result, rule, knowledge)

    @classmethod
    def by_schedule(cls, schedule: Any) -> "Swapping":
        """Follow ``schedule`` (a :class:`qnet.Schedule` over the path's nodes, or nested levels)."""
        if isinstance(schedule, Schedule):
            return cls(schedule)
        if isinstance(schedule, (str, bytes)) or not isinstance(schedule, Sequence):
            raise TypeError(f"schedule must be a qnet.Schedule or nested levels (a tuple of 'swap'/'distill'), got "
                            f"{type(schedule).__name__}")
        return cls(Schedule.from_levels(tuple(schedule)))


@dataclass(frozen=True)
class Purification:
    """Purification policy of the elementary links: ``rounds`` nested distillations of every link with
    ``protocol`` and the operation noise of the link's two nodes (each end its own), done

    * ``timing="immediate"``: at the first opportunity (both pairs known at both ends);
    * ``timing="deferred"``: just in time, when the parent operation's other input is ready (the pairs wait
      unpurified; the distillation's outcome exchange then delays the parent);
    * ``timing="optimal"``: per link, immediately or just in time, whichever qnet's timing module finds
      better (:meth:`qnet.PurificationTimeline.optimal_time` of the fidelity at consumption times the success
      probability, which prices the restart a failed distillation costs) for the link's state, memories and
      noise, with link 2 heralded after the mean gap between two links' heralds,
      ``tau 2 (1 - p) / (p (2 - p))``, and the pair consumed one mean link time ``tau / p`` later. The
      choices are in :attr:`NetworkSimulation.deferred_links`.

    ``protocol`` is a name of :data:`qnet.PROTOCOLS` or ``"auto"`` (the default): each distillation runs the
    variant that gives the highest output fidelity for the two states at hand, with the rule of
    :func:`qnet.choose_protocol` (the nodes know their link model and the pairs' ages, hence the states). For
    ``timing="optimal"`` the timing module is asked about the variant ``"auto"`` picks for two fresh links.
    ``protocol`` may also be a circuit of more than two pairs (``"double_selection"``): each distillation then
    consumes that many links, with every timing and with pumping (each round with fresh sacrificed pairs).

    :meth:`pumping` distils every link repeatedly with fresh pairs until its fidelity reaches ``target`` or
    ``max_pumps`` distillations succeeded (entanglement pumping; each round at the first opportunity).

    With ``min_fidelity > 0`` a distillation happens only when every input has at least that fidelity;
    otherwise the best pair goes on and the others are discarded. ``min_fidelity`` also applies to the
    distillations of a schedule (which run immediately).

    Examples
    --------
    >>> import qnet
    >>> qnet.Purification.immediate(2).rounds
    2
    >>> qnet.Purification.above_threshold(0.8).min_fidelity
    0.8
    >>> qnet.Purification.optimal_time().timing
    'optimal'
    >>> qnet.Purification.pumping(0.95, max_pumps=3).target
    0.95
    >>> qnet.Purification(rounds=2, protocol="bbpssw", timing="deferred").rounds
    2
    >>> qnet.Purification.immediate(0)
    Traceback (most recent call last):
    ...
    ValueError: rounds must be >= 1 for a purification policy (Purification.none() has none), got 0
    """

    rounds: int = 0
    protocol: str = "auto"
    min_fidelity: float = 0.0
    timing: str = "immediate"
    target: float = 0.0
    max_pumps: int = 1

    def __post_init__(self) -> None:
        object.__setattr__(self, "rounds", _v.integer(self.rounds, "rounds", 0, 16))
        _v.option(self.protocol, "protocol", DISTILLATION_OPTIONS)
        _v.scalar(_v.probability, self.min_fidelity, "min_fidelity")
        _v.option(self.timing, "timing", TIMINGS)
        _v.scalar(_v.probability, self.target, "target")
        object.__setattr__(self, "max_pumps", _v.integer(self.max_pumps, "max_pumps", 1, MAX_PUMPS))
        if self.target > 0 and not 0.5 < self.target < 1.0:
            raise ValueError(f"target must be 0 (no pumping) or a fidelity in (0.5, 1) (purification needs an "
                             f"entangled pair and never reaches 1), got {self.target!r}")
        if self.target > 0 and (self.rounds != 1 or self.timing != "immediate"):
            raise ValueError(f"pumping to a target (target={self.target!r}) takes rounds=1 and timing='immediate', "
                             f"got rounds={self.rounds!r}, timing={self.timing!r}")

    @classmethod
    def none(cls) -> "Purification":
        """No purification of the elementary links."""
        return cls(0)

    @classmethod
    def immediate(cls, rounds: int = 1, protocol: str = "auto") -> "Purification":
        """``rounds`` distillations of every link, each as soon as both its pairs are known at both ends."""
        return cls(_rounds(rounds), protocol)

    @classmethod
    def deferred(cls, rounds: int = 1, protocol: str = "auto") -> "Purification":
        """``rounds`` distillations of every link, each just in time (when its output is needed)."""
        return cls(_rounds(rounds), protocol, 0.0, "deferred")

    @classmethod
    def optimal_time(cls, rounds: int = 1, protocol: str = "auto") -> "Purification":
        """``rounds`` distillations of every link, immediately or just in time as the timing module decides."""
        return cls(_rounds(rounds), protocol, 0.0, "optimal")

    @classmethod
    def pumping(cls, target: float, max_pumps: int = 4, protocol: str = "auto") -> "Purification":
        """Entanglement pumping: distil every link with fresh pairs, one after another, until its fidelity reaches
        ``target`` (in (0.5, 1)) or ``max_pumps`` distillations succeeded; a failure restarts the link."""
        t = _v.scalar(_v.probability, target, "target")
        if not 0.5 < t < 1.0:
            raise ValueError(f"target must be a fidelity in (0.5, 1) (purification needs an entangled pair and never "
                             f"reaches 1), got {target!r}")
        return cls(1, protocol, 0.0, "immediate", t, _v.integer(max_pumps, "max_pumps", 1, MAX_PUMPS))

    @classmethod
    def above_threshold(cls, min_fidelity: float, rounds: int = 1, protocol: str = "auto") -> "Purification":
        """As :meth:`immediate`, but a distillation happens only when both inputs have fidelity >= ``min_fidelity``
        (in (0.25, 1]); otherwise the better pair goes on and the other is discarded."""
        f = _v.scalar(_v.probability, min_fidelity, "min_fidelity")
        if f <= 0.25:
            raise ValueError(f"min_fidelity must be in (0.25, 1] (every state has fidelity >= 0 and a threshold at or "
                             f"below 1/4 is none), got {min_fidelity!r}")
        return cls(_rounds(rounds), protocol, f)


TIMINGS: tuple[str, ...] = ("immediate", "deferred", "optimal")


def _rounds(rounds: Any) -> int:
    rounds = _v.integer(rounds, "rounds", 0, 16)
    if rounds < 1:
        raise ValueError(f"rounds must be >= 1 for a purification policy (Purification.none() has none), got {rounds}")
    return rounds


@dataclass(frozen=True)
class Cutoff:
    """Cut-off of every operation: ``Cutoff.memory_time(s)`` discards both inputs of an operation when one has
    waited ``s`` seconds for the other (then both sub-protocols restart); ``Cutoff.run_time(s)`` restarts an
    operation's sub-protocols when its inputs are not both ready ``s`` seconds after they started;
    ``Cutoff.fidelity(f)`` discards both inputs when the waiting one's own fidelity falls below ``f`` (its state
    is known to the simulator; the exact chain engine's ``cut_type="fidelity"`` decides on the mean state
    delivered at each time, the same rule for elementary links). ``seconds`` holds ``f`` for a fidelity cut-off.

    Examples
    --------
    >>> import qnet
    >>> qnet.Cutoff.memory_time(2e-3)
    Cutoff(kind='memory_time', seconds=0.002)
    >>> qnet.Cutoff("run_time", 0.5).seconds
    0.5
    """

    kind: str
    seconds: float

    def __post_init__(self) -> None:
        _v.option(self.kind, "kind", ("memory_time", "run_time", "fidelity"))
        if self.kind == "fidelity":
            _v.scalar(_v.probability, self.seconds, "fidelity")
        else:
            _v.scalar(_v.positive, self.seconds, "seconds")

    @classmethod
    def memory_time(cls, seconds: float) -> "Cutoff":
        """Discard both inputs when one has waited ``seconds`` (> 0) for the other."""
        return cls("memory_time", float(_v.scalar(_v.positive, seconds, "seconds")))

    @classmethod
    def fidelity(cls, threshold: float) -> "Cutoff":
        """Discard both inputs when the waiting one's fidelity falls below ``threshold`` (in [0, 1])."""
        return cls("fidelity", float(_v.scalar(_v.probability, threshold, "threshold")))

    @classmethod
    def run_time(cls, seconds: float) -> "Cutoff":
        """Restart an operation's inputs when they are not both ready ``seconds`` (> 0) after they started."""
        return cls("run_time", float(_v.scalar(_v.positive, seconds, "seconds")))


@dataclass(frozen=True)
class RequestOrder:
    """Which waiting link gets a freed memory slot: ``fifo()`` (longest waiting first), ``round_robin()``
    (requests in turn at each pool) or ``priority()`` (lowest :attr:`Request.priority` first, then FIFO).

    Examples
    --------
    >>> import qnet
    >>> qnet.RequestOrder.round_robin().name
    'round_robin'
    >>> qnet.RequestOrder("priority")
    RequestOrder(name='priority')
    """

    name: str = "fifo"

    def __post_init__(self) -> None:
        _v.option(self.name, "name", ("fifo", "round_robin", "priority"))

    @classmethod
    def fifo(cls) -> "RequestOrder":
        """Longest-waiting link first."""
        return cls("fifo")

    @classmethod
    def round_robin(cls) -> "RequestOrder":
        """Requests take turns at every memory pool."""
        return cls("round_robin")

    @classmethod
    def priority(cls) -> "RequestOrder":
        """Lowest ``Request.priority`` first, FIFO among equals."""
        return cls("priority")


@dataclass(frozen=True)
class Request:
    """A user pair to serve: ``source``, ``target``, and optionally its ``path`` (else chosen by
    :func:`qnet.select_path` with ``criterion``), its ``priority`` (for :meth:`RequestOrder.priority`) and
    ``in_flight``, how many deliveries it works on at once (independent protocol instances).

    Examples
    --------
    >>> import qnet
    >>> qnet.Request(0, 3, priority=1).criterion
    'shortest'
    """

    source: Any
    target: Any
    path: tuple | None = None
    criterion: str = "shortest"
    priority: int = 0
    in_flight: int = 1

    def __post_init__(self) -> None:
        _v.option(self.criterion, "criterion", PATH_CRITERIA)
        object.__setattr__(self, "priority", _v.integer(self.priority, "priority", -2**31, 2**31))
        object.__setattr__(self, "in_flight", _v.integer(self.in_flight, "in_flight", 1, MAX_IN_FLIGHT))
        if self.path is not None:
            if isinstance(self.path, (str, bytes)) or not isinstance(self.path, Sequence):
                raise TypeError(f"path must be a sequence of nodes, got {type(self.path).__name__}")
            object.__setattr__(self, "path", tuple(self.path))
