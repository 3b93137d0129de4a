"""Event-driven network simulation: classical latency, finite shared memories, concurrent requests.

:func:`simulate_network` serves several user pairs at once on a network of :mod:`qnet.networks.model` (its graph
conventions, plus the optional node attributes ``swap_time`` and ``distill_time``, seconds). Each request runs
a protocol tree (a :class:`qnet.Schedule` along its path, swap as soon as possible by default) in continuous
time, and every resource is shared:

* **Memories.** A node's ``n_memories`` slots form one pool shared by every link at the node
  (``allocation="shared"``), or are split evenly between its neighbours (``"per_neighbour"``). A link asks
  for one slot at each end; it holds them from its first attempt (the qubit is stored at emission) until the
  node learns that the pair was consumed, failed or was discarded. Waiting links get freed slots in the order
  of the :class:`RequestOrder` policy.
* **Links.** Attempts of fixed duration (the edge's ``link.attempt_duration()``, or ``G.graph["time_step"]``
  for plain ``p_gen`` edges), each succeeding with the link's probability; the pair decoheres from the
  emission of the successful attempt and is known at both ends when its herald arrives, one attempt duration
  later.
* **Classical messages** travel along the path at the speed of each edge's channel (a ``link``'s
  ``channel.speed_km_s``: light in fibre, 2e5 km/s, for plain edges and fibre, c in free space). A swap's outcome
  reaches each end of the new pair after the signal delay from the swapping node; the next operation on that
  pair starts only when the node performing it knows it. A distillation exchanges its outcomes over the
  pair's span before the kept pair is known good. Qubits decohere during every wait (Pauli memories of the
  nodes, per second). After a failed operation its sub-protocols restart when its outcome arrives; a cut-off
  (decided on the nodes' clocks) discards both inputs of the operation at once and restarts them, as in the
  chain model of :mod:`qnet.chains`.
* ``classical_delay=False`` makes every message and herald instantaneous: with one request, one instance and
  enough memories the simulation is then the synchronous chain model of :func:`qnet.path_delivery`, in
  seconds instead of time steps.

Policies are objects: :class:`Swapping` (as soon as possible along the nested levels, or any schedule),
:class:`Purification` (none, at the first opportunity, just in time, at the timing module's choice, pumping to
a target, only above a fidelity threshold), :class:`Cutoff` (memory time or run time, in seconds) and
:class:`RequestOrder` (FIFO, round-robin, priority).

The event loop is compiled (numba, ``qnet._kernels.events``); independent trajectories run on a
``concurrent.futures.Executor`` with seeds spawned from ``seed``, so the numbers do not depend on the
number of workers.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np

from .. import _validation as _v
from .._kernels import codes, lazy
from ..circuits import CIRCUITS, circuit
from ..states import to_density_matrix
from ..errors import NetworkError
from .model import path_parameters, select_path, validate_network
from .deliveries import NetworkSimulation, RequestDeliveries
from ._trajectories import run_trajectories, split_trajectories
from .policies import Cutoff, Purification, Request, RequestOrder, Swapping
from ..purification import choose_protocol
from ..schedules import Schedule
from ..swapping import BellMeasurement
from ._swap_control import compile_policy, run_policy
from ..timing import PurificationTimeline
from ..limits import MAX_EVENTS, MAX_NETWORK_BYTES, MAX_SAMPLES, MAX_TREE_NODES
from .._bell import bds_from_wht, component_rates, dm_to_bds, pauli_to_dm, wht
from .._records import content_hash
from .._distil import DISTILLATION_OPTIONS, PROTOCOLS, distill_tensor, distill_terms
from .._tree import link_copies, postorder, span
from ._graph import (edge_link, memory_need, memory_rates, needs_density_matrices, node_noise, relaxation,
                     shortest_path, signal_times, worst_noise)

_k = lazy("events")

__all__ = ["NetworkProblem", "simulate_network", "EVENTS_PER_DELIVERY"]

#: Events per requested delivery a trajectory may use by default (a 16-node chain needs about 50).
EVENTS_PER_DELIVERY = 10_000
#: Bytes per delivered pair, peak: the kernel's rows (time, completion, four components), their merge and the
#: Bell-basis states of the result (184 measured with tracemalloc for 4e5 deliveries of one request).
_BYTES_PER_DELIVERY = 192
ALLOCATIONS: tuple[str, ...] = ("shared", "per_neighbour")


_ORDER_CODE = {"fifo": codes.FIFO, "round_robin": codes.ROUND_ROBIN, "priority": codes.PRIORITY}


@dataclass
class _Tree:
    """Static arrays of every protocol-tree node (all requests and instances), as the kernel reads them."""

    SI: list = field(default_factory=list)
    SF: list = field(default_factory=list)
    roots: list = field(default_factory=list)
    reqs: list = field(default_factory=list)


def _node_seconds(G: nx.Graph, n: Any, name: str) -> float:
    value = G.nodes[n].get(name, 0.0)
    try:
        return _v.scalar(_v.nonnegative, value, f"{name} of node {n!r}")
    except (TypeError, ValueError) as exc:
        raise NetworkError(str(exc)) from None


_POLICY_ROUND = -1  # the slot of the distillations a Purification policy adds (a schedule's slots are >= 0)


def _with_rounds(root: tuple, rounds: int) -> tuple:
    """``root`` with ``rounds`` nested distillations of every elementary link (iterative, any depth)."""
    built: dict[int, tuple] = {}
    for node in postorder(root):
        if node[0] == "link":
            new = node
            for _ in range(rounds):
                new = ("distill", new, _POLICY_ROUND)
        elif node[0] == "distill":
            new = ("distill", built[id(node[1])], node[2])
        else:
            new = ("swap", built[id(node[1])], built[id(node[2])], node[3])
        built[id(node)] = new
    return built[id(root)]


class _Scenario:
    """Everything the kernel needs, built and validated once from the graph, requests and policies."""

    def __init__(self, G, requests, swapping, purification, cutoff, allocation, classical_delay, form):
        self.G = G
        self.delay = classical_delay
        self.allocation = allocation
        self.pools: dict = {}
        self.pool_nodes: list = []
        self.pool_cap: list = []
        self.tree = _Tree()
        self.D: list = [np.zeros((4, 4, 4))]
        self.D_index: dict = {}
        self.wide: list = []  # the maps of circuits of more than two pairs, by index
        self.cut = (codes.NO_CUT, 0.0) if cutoff is None else (codes.CUT_CODES[cutoff.kind], cutoff.seconds)
        if cutoff is not None and cutoff.kind == "fidelity" and purification.timing != "immediate":
            raise ValueError(f"a fidelity cut-off needs the state of every waiting pair, and purification timing "
                             f"{purification.timing!r} leaves pairs waiting unpurified; use timing='immediate' or a "
                             f"memory-time cut-off")
        self.purification = purification
        self.decisions: dict = {}  # link -> deferred (the optimal-time policy's choice)
        self.circuits: list = []  # per request, the circuit its schedule names at each cut-off slot
        self.deferred: set = set()
        self.paths = []
        roots = []
        for i, req in enumerate(requests):
            self.paths.append(self._path(i, req))
            roots.append(self._protocol(i, req, self.paths[-1], swapping))
        damped = needs_density_matrices(G, {n for path in self.paths for n in path})
        if form == "bds" and damped:
            raise NetworkError("form='bds' but a node on the requests' paths has a T1T2Memory, which leaves the "
                               "Bell-diagonal family; use form='auto' (density matrices) or give its .pauli_twirl()")
        self.form = "dm" if form == "dm" or damped else "bds"
        for i, (req, path, root) in enumerate(zip(requests, self.paths, roots)):
            self._check_memories(i, path, root)
            self._layout(i, path, root, req.in_flight)

    # -- paths and protocols
    def _path(self, i: int, req: Request) -> tuple:
        if req.path is not None:
            path_parameters(self.G, list(req.path))  # checks the path and its attributes
            if (req.path[0], req.path[-1]) != (req.source, req.target):
                raise NetworkError(f"requests[{i}]: path {list(req.path)!r} does not join {req.source!r} and "
                                   f"{req.target!r}")
            return req.path
        if req.criterion == "shortest":  # select_path's rule, without evaluating the chain
            return shortest_path(self.G, req.source, req.target)
        return select_path(self.G, req.source, req.target, req.criterion).path

    def _protocol(self, i: int, req: Request, path: tuple, swapping: Swapping) -> tuple:
        n = len(path) - 1
        if swapping.schedule is None:
            schedule = Schedule.from_levels(("swap",) * (0 if n == 1 else math.ceil(math.log2(n))), n)
        else:
            schedule = swapping.schedule
            if schedule.levels is not None and schedule.n_segments != n:
                # nested levels describe every path with as many swap levels (3 hops: ("swap", "swap"))
                try:
                    schedule = Schedule.from_levels(schedule.levels, n)
                except ValueError as exc:
                    raise NetworkError(f"requests[{i}]: the schedule's levels {schedule.levels} do not fit the path "
                                       f"{list(path)!r} of {n} segments: {exc}") from None
            if schedule.n_segments != n:
                raise NetworkError(f"requests[{i}]: the schedule spans {schedule.n_segments} segments but the path "
                                   f"{list(path)!r} has {n}")
        self.circuits.append(schedule.circuits)
        return _with_rounds(schedule.root, self.purification.rounds)

    def _arity(self, r: int, node: tuple) -> int:
        """Pairs a distillation node of request ``r`` consumes: those of its schedule's circuit, else of the
        policy's protocol ("auto" chooses among two-pair variants)."""
        name = (None if node[2] == _POLICY_ROUND else self.circuits[r][node[2]]) or self.purification.protocol
        return 2 if name == "auto" else CIRCUITS[name].arity

    def _check_memories(self, i: int, path: tuple, root: tuple) -> None:
        """A protocol needs as many slots per side at a node at once as the copies of one link it holds (the product
        of the distillations' pairs on a path to a leaf), or it can never deliver."""
        copies = link_copies(root, lambda node: self._arity(i, node))
        for k, (node, need) in enumerate(memory_need(path, copies).items()):
            have = self.G.nodes[node].get("n_memories", 2)
            if self.allocation == "per_neighbour":
                per, side = have // self.G.degree[node], need // (1 if k in (0, len(path) - 1) else 2)
                if per < side:
                    raise NetworkError(f"node {node!r} splits n_memories={have} between {self.G.degree[node]} "
                                       f"neighbours ({per} each) but requests[{i}] needs {side} per neighbour there")
            elif have < need:
                raise NetworkError(f"node {node!r} has n_memories={have} but requests[{i}] holds up to "
                                   f"{need} qubits there at once; it could never deliver")

    def _pool(self, node: Any, neighbour: Any) -> int:
        key = node if self.allocation == "shared" else (node, neighbour)
        if key not in self.pools:
            cap = int(self.G.nodes[node].get("n_memories", 2))
            if self.allocation == "per_neighbour":
                cap //= self.G.degree[node]
            self.pools[key] = len(self.pool_cap)
            self.pool_cap.append(cap)
            self.pool_nodes.append(node)
        return self.pools[key]

    def _distill_index(self, u: Any, v: Any, protocol: str) -> int:
        """The distillation maps of ``protocol`` (every variant for "auto") for a pair whose ends are nodes ``u``
        and ``v``: each end's own operation noise. Two-pair maps index ``D``, a circuit of more than two pairs
        (and, in the density-matrix mode, every map: on Pauli coefficients) ``wide``."""
        a, b = node_noise(self.G, u), node_noise(self.G, v)
        key = (protocol, a.gate_fidelity, a.measurement_error, b.gate_fidelity, b.measurement_error)
        if key not in self.D_index:
            names = PROTOCOLS if protocol == "auto" else (protocol,)
            if self.form == "dm":
                maps = [circuit(name).pauli_map(a, b) for name in names]
            else:
                maps = [distill_tensor(name, a.gate_fidelity, a.measurement_error, False,
                                       gate_fidelity_b=b.gate_fidelity, measurement_error_b=b.measurement_error)
                        for name in names]
            table = self.wide if maps[0].ndim > 3 or self.form == "dm" else self.D
            self.D_index[key] = len(table)
            table += maps
        return self.D_index[key]

    def _defer(self, path: tuple, a: int, b: int) -> bool:
        """Whether the policy's distillations of the link ``path[a]``-``path[b]`` wait until their output is needed."""
        timing = self.purification.timing
        if timing != "optimal":
            return timing == "deferred"
        key = (path[a], path[b])
        if key not in self.decisions:
            p, state, dur = edge_link(self.G, *key)
            tau = float(self.G.graph["time_step"]) if dur is None else dur
            gap = tau * 2.0 * (1.0 - p) / (p * (2.0 - p))
            noise = worst_noise(self.G, key)  # the timing module takes one noise, as path_parameters
            protocol = self.purification.protocol
            if protocol == "auto":  # the variant auto would run on two fresh links
                protocol = choose_protocol(state, state, noise=noise)
            memories = [self.G.nodes[n]["memory"] for n in key]
            if needs_density_matrices(self.G, key):  # the timing module's density-matrix path, one memory per link
                if memories[0] != memories[1]:
                    raise NetworkError(f"timing='optimal' asks the timing module about link {key!r}, whose nodes have "
                                       f"different memories ({memories[0]!r}, {memories[1]!r}); it takes one T1/T2 "
                                       f"memory per link")
                memory, state = memories[0], to_density_matrix(state)
            else:
                rates = memory_rates(self.G, key)
                memory = (rates[0] + rates[1]) / 2.0
            timeline = PurificationTimeline(state, state, memory, gap, gap + tau / p, protocol=protocol, noise=noise)
            self.decisions[key] = bool(timeline.optimal_time(weighted=True).location == "end")
        return self.decisions[key]

    # -- tree layout
    def _layout(self, r: int, path: tuple, root: tuple, copies: int) -> None:
        """Lay out ``copies`` instances of request ``r``'s protocol tree ``root`` along ``path``."""
        G = self.G
        cum = signal_times(G, path)  # from path[0] to every node
        if self.form == "dm":  # each end's own relaxation (the Walsh–Hadamard rates are the other mode's)
            rates, bloch = [np.zeros(4)] * len(path), relaxation(G, path)
        else:
            rates = [component_rates(r) for r in memory_rates(G, path)]
        swap_factors = [BellMeasurement(node_noise(G, n)).component_factors() for n in path]  # each node's swaps
        tree = self.tree

        def delay(i: int, j: int) -> float:
            return abs(cum[j] - cum[i]) if self.delay else 0.0

        def end_pools(a: int, b: int) -> tuple[int, int]:
            return self._pool(path[a], path[a + 1]), self._pool(path[b], path[b - 1])

        def inputs(node: tuple) -> list[tuple[tuple, int | None]]:
            """The inputs of a node in layout order, each with the path index of the node that uses it."""
            if node[0] == "swap":
                x = sum(span(node[1]))  # the swapping node
                return [(node[1], x), (node[2], x)]
            return [] if node[0] == "link" else [(node[1], None)] * self._arity(r, node)  # distill: its copies

        def walk(root: tuple, need: int | None) -> int:
            """Lay out ``root`` (post-order, iterative at any depth); ``need`` is the path index of the node that
            uses its output (None: both ends); returns its index."""
            stack = [(root, need, len(tree.SI), [])]  # node, its user, first index of its subtree, inputs laid out
            while True:
                node, user, lo, done = stack[-1]
                todo = inputs(node)
                if len(done) < len(todo):
                    stack.append((*todo[len(done)], len(tree.SI), []))
                    continue
                stack.pop()
                g = lay(node, user, lo, done)
                if not stack:
                    return g
                stack[-1][3].append(g)

        def lay(node: tuple, need: int | None, lo: int, kids: list[int]) -> int:
            """Append one node whose inputs are laid out at ``kids``; ``lo`` is its subtree's first index."""
            start, width = span(node)
            a, b = start, start + width
            si = np.zeros(codes.N_SI, dtype=np.int64)
            sf = np.zeros(codes.N_SF)
            si[[codes.REQ, codes.INST, codes.LO, codes.PARENT]] = r, inst, lo, -1
            si[[codes.CUT, codes.PUMPS]] = self.cut[0], 1
            si[codes.POOLA], si[codes.POOLB] = end_pools(a, b)
            sf[codes.C0:codes.C0 + 4] = rates[a] + rates[b]  # decay of a stored pair: its two end nodes
            if self.form == "dm":
                sf[codes.MA:codes.MA + 4], sf[codes.MB:codes.MB + 4] = bloch[a], bloch[b]
            sf[codes.HAT0] = 1.0
            sf[codes.CUTV] = self.cut[1]
            if node[0] == "link":
                p, state, dur = edge_link(G, path[a], path[b])
                tau = float(G.graph["time_step"]) if dur is None else dur
                si[[codes.KIND, codes.CUT]] = codes.LINK, codes.NO_CUT
                sf[[codes.P, codes.TAU, codes.EMIT]] = p, tau, tau if self.delay else 0.0
                sf[codes.LOGQ] = math.log1p(-p) if p < 1 else 0.0
                sf[codes.HAT0:codes.HAT0 + 4] = wht(np.asarray(state, float))
            elif node[0] == "swap":
                x = sum(span(node[1]))  # the swapping node
                si[[codes.KIND, codes.CHA, codes.CHB, codes.ARITY]] = codes.SWAP, kids[0], kids[1], 2
                si[codes.FEND] = 0 if need == a else 1  # the end that corrects: the one used next, else B
                sf[[codes.P, codes.TAU]] = float(G.graph.get("p_swap", 1.0)), _node_seconds(G, path[x], "swap_time")
                sf[[codes.DFA, codes.DFB]] = delay(x, a), delay(x, b)
                sf[codes.OUTD] = max(delay(x, a), delay(x, b)) if need is None else delay(x, need)
                sf[codes.SWF:codes.SWF + 4] = swap_factors[x]
            else:
                policy = node[2] == _POLICY_ROUND
                pump = policy and self.purification.target > 0
                defer = policy and self._defer(path, a, b)
                if defer:
                    self.deferred.add((path[a], path[b]))
                named = None if policy else self.circuits[r][node[2]]  # the schedule's circuit at this slot
                protocol = named or self.purification.protocol
                si[[codes.KIND, codes.CHA, codes.CHB, codes.ARITY]] = codes.DISTILL, kids[0], kids[-1], len(kids)
                si[[codes.DIDX, codes.DEFER, codes.NDIST]] = (self._distill_index(path[a], path[b], protocol), defer,
                                                              len(PROTOCOLS) if protocol == "auto" else 1)
                si[codes.PUMPS] = self.purification.max_pumps if pump else 1
                sf[codes.TAU] = max(_node_seconds(G, path[x], "distill_time") for x in (a, b))
                sf[[codes.OUTD, codes.DFA, codes.DFB]] = delay(a, b)  # the outcome exchange over the pair's span
                sf[codes.MINF] = self.purification.min_fidelity
                sf[codes.TARGET] = self.purification.target if pump else 0.0
            g = len(tree.SI)
            for k in kids:
                tree.SI[k][codes.PARENT] = g
            tree.SI.append(si)
            tree.SF.append(sf)
            if len(tree.SI) > MAX_TREE_NODES:
                raise ValueError(f"the requests' protocol trees need more than MAX_TREE_NODES = {MAX_TREE_NODES} "
                                 f"nodes; fewer instances in flight or shallower schedules")
            return g

        for _ in range(copies):
            inst = len(tree.roots)  # read by walk
            tree.roots.append(walk(root, None))
            tree.reqs.append(r)

    def arrays(self) -> dict:
        SI = np.array(self.tree.SI, dtype=np.int64).reshape(-1, codes.N_SI)
        SF = np.array(self.tree.SF, dtype=np.float64).reshape(-1, codes.N_SF)
        leaves = [[] for _ in self.pool_cap]
        for g in np.flatnonzero(SI[:, codes.KIND] == codes.LINK):
            leaves[SI[g, codes.POOLA]].append(g)
            leaves[SI[g, codes.POOLB]].append(g)
        ptr = np.concatenate([[0], np.cumsum([len(x) for x in leaves])]).astype(np.int64)
        leaf = np.array([g for x in leaves for g in x], dtype=np.int64)
        k_max = max([D.ndim - 1 for D in self.wide] + [2])
        terms = [(np.zeros(0, np.int64), np.zeros((0, k_max), np.int64), np.zeros(0))]
        terms += [distill_terms(D, k_max) for D in self.wide]
        first = np.cumsum([0] + [x[0].size for x in terms[1:]]).astype(np.int64)
        out_c, idx, coef = (np.concatenate(x) for x in zip(*terms))
        return {"SI": SI, "SF": SF, "Dtab": np.array(self.D), "wide": (first, out_c, coef, idx),
                "state_size": 16 if self.form == "dm" else 4,
                "inst_root": np.array(self.tree.roots, np.int64),
                "inst_req": np.array(self.tree.reqs, np.int64), "pool_cap": np.array(self.pool_cap, np.int64),
                "pool_ptr": ptr, "pool_leaf": leaf}


# ---------------------------------------------------------------- running
def _run(arrays: dict, targets: np.ndarray, prio: np.ndarray, order: int, seed: int, max_events: int) -> tuple:
    """One trajectory (a module-level function, so that an executor can ship it to a worker)."""
    R = targets.size
    width = int(targets.max())
    wait = np.zeros((R, width))
    at = np.zeros((R, width))
    states = np.zeros((R, width, arrays["state_size"]))
    stats = np.zeros((R, 4), dtype=np.int64)
    busy = np.zeros(arrays["pool_cap"].size)
    code, events, end = _k.simulate(arrays["SI"], arrays["SF"], arrays["Dtab"], arrays["wide"], arrays["inst_root"],
                                    arrays["inst_req"], arrays["pool_cap"], arrays["pool_ptr"],
                                    arrays["pool_leaf"], targets, prio, order, seed, max_events, wait, at, states,
                                    stats, busy, None if arrays["state_size"] == 4 else np.zeros(1, np.uint64))
    return int(code), int(events), float(end), wait, at, states, stats, busy


def _requests(requests: Any) -> list[Request]:
    if isinstance(requests, (str, bytes)) or not isinstance(requests, Sequence) or len(requests) == 0:
        raise NetworkError(f"requests must be a non-empty list of (source, target) pairs or qnet.Request, got "
                           f"{requests!r}")
    out = []
    for i, r in enumerate(requests):
        if isinstance(r, Request):
            out.append(r)
        elif isinstance(r, (tuple, list)) and len(r) == 2:
            out.append(Request(r[0], r[1]))
        else:
            raise NetworkError(f"requests[{i}] must be a (source, target) pair or a qnet.Request, got {r!r}")
    return out


def _policy(value: Any, cls: type, name: str, default: Any) -> Any:
    if value is None:
        return default
    if not isinstance(value, cls):
        raise TypeError(f"{name} must be a qnet.{cls.__name__}, got {type(value).__name__}")
    return value


class NetworkProblem:
    """A network simulation problem, validated and compiled once and immutable: the network, the requests and the
    policies (the problem object of :func:`simulate_network`, as :class:`qnet.RepeaterChain` is for chains).

    Parameters
    ----------
    G : networkx.Graph
        A network following :mod:`qnet.networks.model`'s conventions, validated and compiled here: changing it
        afterwards changes nothing in the problem.
    requests : sequence of (source, target) or Request
        The user pairs, served at once and competing for memories.
    classical_delay, swapping, purification, cutoff, order, allocation, schedule, protocol
        As in :func:`simulate_network`.

    Attributes
    ----------
    graph : networkx.Graph
        A read-only view of the network.
    requests : tuple of Request
    paths : tuple of tuple
        The path each request is served on.
    identity : str
        Hash of the compiled problem (the ``problem`` of every :class:`qnet.NetworkSimulation` it returns).

    Examples
    --------
    >>> import qnet
    >>> G = qnet.ring_network(6, 10.0, p_gen=0.3, w0=0.98, memory=(0.0, 0.0, 5.0))
    >>> problem = qnet.NetworkProblem(G, [(0, 3), (1, 4)], purification=qnet.Purification.immediate())
    >>> problem.paths
    ((0, 1, 2, 3), (1, 0, 5, 4))
    >>> a, b = problem.simulate(200, seed=7), problem.simulate(200, seed=8)
    >>> a.problem == b.problem == problem.identity
    True
    """

    def __init__(self, G: nx.Graph, requests: Sequence[Any], *, classical_delay: bool = True,
                 swapping: Swapping | None = None, purification: Purification | None = None,
                 cutoff: Cutoff | None = None, order: RequestOrder | None = None, allocation: str = "shared",
                 schedule: Any = None, protocol: str | None = None, form: str = "auto") -> None:
        if not isinstance(classical_delay, (bool, np.bool_)):
            raise TypeError(f"classical_delay must be True or False, got {classical_delay!r}")
        _v.option(allocation, "allocation", ALLOCATIONS)
        _v.option(form, "form", _v.STATE_FORMS)
        if schedule is not None:
            if swapping is not None:
                raise TypeError("give the schedule once: schedule= or swapping=Swapping.by_schedule(...), not both")
            swapping = Swapping.by_schedule(schedule)
        swapping = _policy(swapping, Swapping, "swapping", Swapping.asap())
        purification = _policy(purification, Purification, "purification", Purification.none())
        if protocol is not None:
            _v.option(protocol, "protocol", DISTILLATION_OPTIONS)
            given = purification.protocol
            if given != protocol and given != Purification().protocol:
                raise ValueError(f"protocol={protocol!r} differs from the purification policy's protocol {given!r}; "
                                 f"give it once")
            purification = dataclasses.replace(purification, protocol=protocol)
        cutoff = _policy(cutoff, Cutoff, "cutoff", None)
        order = _policy(order, RequestOrder, "order", RequestOrder.fifo())
        reqs = _requests(requests)
        validate_network(G, [(r.source, r.target) for r in reqs])
        # compiled here: later changes to G do not reach the problem (a copy would reorder neighbours, and with them
        # the choice among equally short paths)
        self._G, self._requests, self._delay, self._order = G, tuple(reqs), bool(classical_delay), order
        if swapping.policy is not None:
            if form == "dm":
                raise ValueError("form='dm': the swap-control policies carry Bell-diagonal pairs (Pauli memories); "
                                 "use form='auto' or a schedule")
            self._policy = compile_policy(G, reqs, swapping, purification, cutoff, bool(classical_delay))
            self._scen, self._arrays = None, None
            self._paths, self._identity = (self._policy.path,), self._policy.identity
            return
        if "time_step" not in G.graph and any("link" not in d for _, _, d in G.edges(data=True)):
            raise NetworkError("the network's plain p_gen links need G.graph['time_step'], the duration of one link "
                               "attempt in seconds (or give every edge a qnet.links scheme as 'link')")
        self._policy = None
        self._scen = _Scenario(G, reqs, swapping, purification, cutoff, allocation, bool(classical_delay), form)
        self._arrays = self._scen.arrays()
        self._prio = np.array([r.priority for r in reqs], dtype=np.int64)
        self._paths = tuple(tuple(p) for p in self._scen.paths)
        self._identity = content_hash(*self._arrays.values(), self._prio, _ORDER_CODE[order.name],
                                      bool(classical_delay))

    def __repr__(self) -> str:
        pairs = [(r.source, r.target) for r in self._requests]
        return f"NetworkProblem({self._G.number_of_nodes()} nodes, requests={pairs}, identity={self._identity!r})"

    @property
    def graph(self) -> nx.Graph:
        """A read-only view of the network the problem was compiled from."""
        return self._G.copy(as_view=True)

    @property
    def requests(self) -> tuple:
        return self._requests

    @property
    def paths(self) -> tuple:
        return self._paths

    @property
    def identity(self) -> str:
        return self._identity

    def simulate(self, n_deliveries: int, *, seed: Any = 0, trajectories: int = 1, executor: Executor | None = None,
                 max_events: int | None = None) -> NetworkSimulation:
        """Serve the requests until each has ``n_deliveries`` pairs (see :func:`simulate_network` for the
        parameters and the result).

        Examples
        --------
        >>> import qnet
        >>> G = qnet.ring_network(6, 10.0, p_gen=0.3, w0=0.98, memory=(0.0, 0.0, 5.0))
        >>> res = qnet.NetworkProblem(G, [(0, 3)]).simulate(100, seed=1)
        >>> res.requests[0].times.shape
        (100,)
        """
        n_deliveries = _v.integer(n_deliveries, "n_deliveries", 1, MAX_SAMPLES)
        seed = _v.seed_int(seed)
        trajectories = _v.integer(trajectories, "trajectories", 1, n_deliveries)
        if max_events is not None:
            max_events = _v.integer(max_events, "max_events", 1, MAX_EVENTS)
        if executor is not None and not isinstance(executor, Executor):
            raise TypeError(f"executor must be a concurrent.futures.Executor, got {type(executor).__name__}")
        n_req = len(self._requests)
        need = _BYTES_PER_DELIVERY * n_deliveries * n_req
        if need > MAX_NETWORK_BYTES:
            raise ValueError(f"n_deliveries={n_deliveries} for {n_req} request(s) needs about {need / 2**30:.1f} GiB "
                             f"for its results, more than MAX_NETWORK_BYTES = {MAX_NETWORK_BYTES / 2**30:.0f} GiB; ask "
                             f"for at most {MAX_NETWORK_BYTES // (_BYTES_PER_DELIVERY * n_req)} deliveries per "
                             f"request, or run it in parts with different seeds")
        if self._policy is not None:
            return run_policy(self._policy, self._G, n_deliveries=n_deliveries, seed=seed,
                              classical_delay=self._delay, trajectories=trajectories, executor=executor)
        if max_events is None:
            max_events = min(MAX_EVENTS, EVENTS_PER_DELIVERY * n_deliveries * n_req // trajectories + 10**6)
        shares, seeds = split_trajectories(n_deliveries, trajectories, seed)
        order = _ORDER_CODE[self._order.name]
        jobs = [(self._arrays, np.full(n_req, k, dtype=np.int64), self._prio, order, s, max_events)
                for k, s in zip(shares, seeds)]
        runs = run_trajectories(_run, jobs, executor)
        return _merge(self._scen, list(self._requests), runs, shares, seeds, self._identity, max_events)


def simulate_network(G: nx.Graph, requests: Sequence[Any], *, n_deliveries: int, seed: Any = 0,
                     classical_delay: bool = True, swapping: Swapping | None = None,
                     purification: Purification | None = None, cutoff: Cutoff | None = None,
                     order: RequestOrder | None = None, allocation: str = "shared", trajectories: int = 1,
                     executor: Executor | None = None, max_events: int | None = None, schedule: Any = None,
                     protocol: str | None = None, form: str = "auto") -> NetworkSimulation:
    """Serve ``requests`` on network ``G`` concurrently, event by event, until each has ``n_deliveries`` pairs.

    Parameters
    ----------
    G : networkx.Graph
        A network following :mod:`qnet.networks.model`'s conventions (validated first); nodes may also carry
        ``swap_time`` and ``distill_time`` (seconds, default 0).
    requests : sequence of (source, target) or Request
        The user pairs, served at once and competing for memories.
    n_deliveries : int
        Pairs to deliver per request (in [1, MAX_SAMPLES]).
    seed : int, numpy.random.Generator, SeedSequence or None
        qnet's one seed rule; trajectory ``j`` uses the ``j``-th seed spawned from it.
    classical_delay : bool
        Heralds and classical messages take their fibre time (default); ``False`` makes them instantaneous.
    swapping, purification, cutoff, order
        Policies (defaults: :meth:`Swapping.asap`, :meth:`Purification.none`, no cut-off, FIFO).
    schedule, protocol : optional
        The spelling of :func:`qnet.path_delivery` and :func:`qnet.chain_delivery`: ``schedule`` (a
        :class:`qnet.Schedule` or nested levels) is ``swapping=Swapping.by_schedule(schedule)``, and ``protocol``
        (a name of :data:`qnet.PROTOCOL_OPTIONS`, or ``"double_selection"``, as :class:`Purification` takes) the
        circuit of every distillation, the schedule's and the purification policy's (give each once: not with
        ``swapping``, and not differing from ``purification``).
    allocation : {"shared", "per_neighbour"}
        One memory pool per node, or ``n_memories // degree`` slots per neighbour.
    form : {"auto", "bds", "dm"}
        How pairs are carried. ``"bds"``: Bell-diagonal states (Pauli memories only; the fast mode). ``"dm"``:
        density matrices, as Pauli coefficients: each qubit relaxes in its own node's memory, a swap's outcome is
        drawn and its Pauli correction applied at the end that uses the pair next when the outcome arrives,
        distillations run the density-matrix circuits with each node's noise, and cut-offs read the true state.
        ``"auto"`` (default): ``"dm"`` when a node on a request's path has a :class:`qnet.T1T2Memory`, else
        ``"bds"``. With Pauli memories both modes give the same delivery times for the same seed, and the same
        states to round-off.
    trajectories : int
        Independent runs from an empty network, each delivering its share of ``n_deliveries``; results are
        merged in trajectory order, so they do not depend on ``executor``.
    executor : concurrent.futures.Executor, optional
        Runs the trajectories (e.g. a ``ProcessPoolExecutor`` or a Dask client's executor); default in turn.
    max_events : int, optional
        Give up (NetworkError) when one trajectory needs more events; default ``EVENTS_PER_DELIVERY`` per
        requested pair (plus a million), at most ``MAX_EVENTS``: a network that livelocks (cut-offs
        discarding every attempt) is reported in seconds instead of running on.

    Returns
    -------
    NetworkSimulation
        ``.requests[i].times`` (s, shape (n,)) and ``.requests[i].states`` (shape (n, 4); in the density-matrix
        mode the Bell-basis diagonal of each pair) hold request ``i``'s deliveries, and
        ``.requests[i].density_matrices`` (shape (n, 4, 4)) the pairs themselves.

    Raises
    ------
    NetworkError
        A bad graph or request (before any event runs), a protocol that cannot fit a node's memories, or a
        simulation that stalls (every memory held by half-built pairs, no cut-off to free them).

    Examples
    --------
    >>> import qnet
    >>> G = qnet.ring_network(6, 10.0, p_gen=0.3, w0=0.98, memory=(0.0, 0.0, 5.0))
    >>> res = qnet.simulate_network(G, [(0, 3), (1, 4)], n_deliveries=200, seed=7)
    >>> [r.states.shape for r in res.requests]
    [(200, 4), (200, 4)]
    >>> 0.8 < res.requests[0].mean_fidelity < 0.95
    True
    """
    return NetworkProblem(G, requests, classical_delay=classical_delay, swapping=swapping, purification=purification,
                          cutoff=cutoff, order=order, allocation=allocation, schedule=schedule,
                          protocol=protocol, form=form).simulate(n_deliveries, seed=seed, trajectories=trajectories,
                                                                 executor=executor, max_events=max_events)


def _merge(scen: _Scenario, reqs: list, runs: list, shares: np.ndarray, seeds: list, problem: str,
           max_events: int) -> NetworkSimulation:
    for code, events, end, *_ in runs:
        if code == codes.STALLED:
            raise NetworkError(f"the simulation stalled at t = {end:.6g} s: every memory a waiting link needs is held "
                               f"by a pair that waits for another (no cut-off frees it); add a Cutoff, memories, or "
                               f"fewer concurrent requests")
        if code == codes.TOO_MANY_EVENTS:
            raise NetworkError(f"one trajectory needed more than max_events = {max_events} events (t = {end:.6g} s); "
                               f"the requests (almost) never deliver with these parameters, or raise max_events")
    out = []
    for i, req in enumerate(reqs):
        times, at, lam = [], [], []
        offset = 0.0
        att = fails = disc = 0
        for (code, events, end, wait, when, states, stats, busy), k in zip(runs, shares):
            times.append(wait[i, :k])
            at.append(when[i, :k] + offset)
            offset += when[i, k - 1]
            lam.append(states[i, :k])
            att += int(stats[i, codes.ATTEMPTS])
            fails += int(stats[i, codes.FAILURES])
            disc += int(stats[i, codes.DISCARDS])
        lam = np.concatenate(lam)
        pauli = lam if scen.form == "dm" else None
        bell = dm_to_bds(pauli_to_dm(pauli)) if scen.form == "dm" else bds_from_wht(lam)
        out.append(RequestDeliveries(req.source, req.target, tuple(scen.paths[i]), np.concatenate(times),
                                     np.concatenate(at), bell, att, fails, disc, offset, pauli))
    duration = float(sum(r[2] for r in runs))
    busy = sum(r[7] for r in runs)
    used = dict.fromkeys(scen.G.nodes, 0.0)
    slots = dict.fromkeys(scen.G.nodes, 0)
    for p, node in enumerate(scen.pool_nodes):
        used[node] += float(busy[p])
        slots[node] += scen.pool_cap[p]
    utilisation = {node: used[node] / (slots[node] * duration) if slots[node] and duration > 0 else 0.0
                   for node in scen.G.nodes}
    return NetworkSimulation(tuple(out), int(sum(r[1] for r in runs)), duration, utilisation,
                             scen.delay, tuple(seeds), problem, tuple(sorted(scen.deferred, key=repr)), scen.form)
