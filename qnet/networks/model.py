"""Quantum networks as networkx graphs: attributes, up-front validation, path selection, serving node pairs.

Graph conventions
-----------------
* **Nodes** carry ``memory`` (a :class:`qnet.PauliMemory` or Pauli rates ``(γx, γy, γz)`` in
  1/s; ``T1T2Memory`` is accepted by the validator but cannot enter the Bell-diagonal chain
  model), ``n_memories`` (int >= 1, default 2) and ``noise`` (a :class:`qnet.OperationNoise`,
  default ideal; used by distillation steps).
* **Edges** carry ``length`` (km, >= 0) and a link: either ``link``, a heralding scheme from
  :mod:`qnet.links` (``success_probability()``, ``state()``, ``attempt_duration()``), or the
  plain attributes ``p_gen`` (success probability per attempt, in (0, 1]) and ``w0`` (Werner
  parameter) or ``state`` (Bell-diagonal ``[Φ+, Φ−, Ψ+, Ψ−]``).
* **Edge length** is the one source of truth for distance: a ``link`` whose channel has another
  length is refused.
* **Graph** attributes: ``p_swap`` (swap success probability in (0, 1], default 1) and
  ``time_step`` (seconds per link attempt, > 0), which plain-``p_gen`` edges need: the chain
  model is synchronous, one time step is the longest attempt duration of the links on a path,
  and edges without a link model have no duration of their own. The builders of
  :mod:`qnet.networks.topologies` set it (by default to the heralding round trip over the longest edge).
  Memory rates are converted to per-step rates with it.

Several node pairs are served in parallel on their own paths with dedicated memories (a node
serving ``k`` paths needs enough ``n_memories``; links on a shared edge are multiplexed), so the
pairs are independent and each one is a repeater chain of :mod:`qnet.chains`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from .. import _validation as _v
from ..chains import ChainDelivery, RepeaterChain
from ..circuits import CIRCUITS
from ..errors import NetworkError
from ..results import MonteCarloResult, Result
from ..limits import MAX_MEMORIES, MAX_SECONDS
from .._arguments import scalar_noise
from .._distil import DISTILLATION_OPTIONS
from ..schedules import Schedule
from .._tree import validate_levels
from ._graph import edge_link, memory_need, memory_rates, node_noise, node_rates, shortest_path, worst_noise

__all__ = [
    "validate_network",
    "path_parameters",
    "path_delivery",
    "select_path",
    "PathChoice",
    "PairService",
    "serve_pairs",
    "PATH_CRITERIA",
]

#: Path-selection criteria.
PATH_CRITERIA: tuple[str, ...] = ("shortest", "fidelity", "rate")


def _check_node(G: nx.Graph, n: Any) -> None:
    d = G.nodes[n]
    if "memory" not in d:
        raise NetworkError(f"node {n!r} has no 'memory' attribute (PauliMemory, T1T2Memory or Pauli rates in 1/s)")
    node_rates(d["memory"], n)
    k = d.get("n_memories", 2)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_MEMORIES:
        raise NetworkError(f"node {n!r}: n_memories must be an integer in [1, MAX_MEMORIES = {MAX_MEMORIES}], got "
                           f"{k!r}")
    for name in ("swap_time", "distill_time"):
        if name in d:
            try:
                _v.scalar(_v.nonnegative, d[name], f"{name} of node {n!r} (seconds)")
            except (TypeError, ValueError) as exc:
                raise NetworkError(str(exc)) from None
    for name in ("gate_fidelity", "measurement_fidelity", "measurement_error"):
        if name in d:
            raise NetworkError(f"node {n!r} has a {name!r} attribute; a node's operation noise is its 'noise' "
                               f"attribute, a qnet.OperationNoise(gate_fidelity, measurement_error)")
    if "noise" in d:
        if d["noise"] is None:
            raise NetworkError(f"node {n!r}: noise is None; give a qnet.OperationNoise (qnet.IDEAL for ideal "
                               f"operations) or leave the attribute out")
        try:
            scalar_noise(d["noise"], f"the noise of node {n!r}")
        except (TypeError, ValueError) as exc:
            raise NetworkError(str(exc)) from None


def _check_edge(G: nx.Graph, u: Any, v: Any) -> None:
    d = G.edges[u, v]
    if "length" not in d:
        raise NetworkError(f"edge ({u!r}, {v!r}) has no 'length' attribute (km)")
    try:
        _v.scalar(_v.nonnegative, d["length"], f"length of edge ({u!r}, {v!r})")
    except (TypeError, ValueError) as exc:
        raise NetworkError(str(exc)) from None
    if "link" in d:
        link = d["link"]
        if not all(hasattr(link, m) for m in ("success_probability", "state", "attempt_duration")):
            raise NetworkError(f"edge ({u!r}, {v!r}): link must be a heralding scheme from qnet.links, got "
                               f"{type(link).__name__}")
        if link.success_probability() <= 0:
            raise NetworkError(f"edge ({u!r}, {v!r}): the link never succeeds (success probability 0)")
        if not 0 < link.attempt_duration() <= MAX_SECONDS:
            raise NetworkError(f"edge ({u!r}, {v!r}): a link attempt must take a time in (0, {MAX_SECONDS:g}] s, got "
                               f"{link.attempt_duration()!r} s (zero would deliver infinitely fast)")
        channel_km = getattr(getattr(link, "channel", None), "length_km", None)
        if channel_km is not None and not math.isclose(channel_km, float(d["length"]), rel_tol=1e-9, abs_tol=1e-12):
            raise NetworkError(f"edge ({u!r}, {v!r}): length {float(d['length'])!r} km but its link's channel is "
                               f"{channel_km!r} km long; the edge length is the one source of truth, make them equal")
        return
    if "p_gen" not in d:
        raise NetworkError(f"edge ({u!r}, {v!r}) has neither a 'link' (qnet.links scheme) nor 'p_gen'")
    if "w0" not in d and "state" not in d:
        raise NetworkError(f"edge ({u!r}, {v!r}) needs 'w0' (Werner parameter) or 'state' (Bell-diagonal) with p_gen")
    try:
        _v.scalar(_v.probability, d["p_gen"], f"p_gen of edge ({u!r}, {v!r})", zero_ok=False)
        if "state" in d:
            if _v.bds(d["state"], f"state of edge ({u!r}, {v!r})").shape != (4,):
                raise NetworkError(f"edge ({u!r}, {v!r}): state must be one Bell-diagonal state of shape (4,)")
        else:
            _v.scalar(_v.probability, d["w0"], f"w0 of edge ({u!r}, {v!r})")
    except (TypeError, ValueError) as exc:
        raise NetworkError(str(exc)) from None


def _check_graph(G: Any) -> None:
    """An undirected networkx graph whose graph-level attributes (``p_swap``, ``time_step``) are valid."""
    if not isinstance(G, nx.Graph) or G.is_directed() or G.is_multigraph():
        raise NetworkError(f"a network must be an undirected networkx Graph (one edge per node pair; a link's "
                           f"parallel channels are one edge), got {type(G).__name__}")
    try:
        if "p_swap" in G.graph:
            _v.scalar(_v.probability, G.graph["p_swap"], "G.graph['p_swap']", zero_ok=False)
        if "time_step" in G.graph:
            step = _v.scalar(_v.positive, G.graph["time_step"], "G.graph['time_step'] (seconds per link attempt)")
            if step > MAX_SECONDS:
                raise ValueError(f"G.graph['time_step'] must be at most {MAX_SECONDS:g} s (simulated times must stay "
                                 f"finite), got {step!r}")
    except (TypeError, ValueError) as exc:
        raise NetworkError(str(exc)) from None


def _check_endpoint(G: nx.Graph, x: Any, what: str) -> None:
    """A node of ``G``: hashable, present, and no bool standing in for the integer node 0 or 1."""
    try:
        present = x in G
    except TypeError:
        raise NetworkError(f"node {x!r} {what} is unhashable ({type(x).__name__}), so not a node of the network") \
            from None
    if isinstance(x, (bool, np.bool_)) and not any(isinstance(n, (bool, np.bool_)) for n in G.nodes):
        raise NetworkError(f"node {x!r} {what} is a bool, but the network's nodes are not booleans")
    if not present:
        raise NetworkError(f"node {x!r} {what} is not in the network")


def validate_network(G: nx.Graph, pairs: Iterable[tuple[Any, Any]] = ()) -> nx.Graph:
    """Check a network graph (and optional node pairs to serve) before any computation.

    Raises
    ------
    NetworkError
        Not an undirected networkx graph, self-loops, missing or out-of-range node, edge or graph
        attributes, negative lengths, a link whose channel length differs from its edge's length,
        unknown endpoints or endpoints that are not connected.

    Examples
    --------
    >>> import networkx as nx, qnet
    >>> G = nx.path_graph(3)
    >>> nx.set_node_attributes(G, qnet.PauliMemory.depolarizing(10.0), "memory")
    >>> for u, v in G.edges:
    ...     G.edges[u, v].update(p_gen=0.1, w0=0.95)
    >>> qnet.validate_network(G)
    Traceback (most recent call last):
    ...
    qnet.errors.NetworkError: edge (0, 1) has no 'length' attribute (km)
    >>> nx.set_edge_attributes(G, 10.0, "length")
    >>> qnet.validate_network(G, [(0, 2)]) is G
    True
    """
    _check_graph(G)
    if G.number_of_nodes() == 0:
        raise NetworkError("the network has no nodes")
    loops = list(nx.selfloop_edges(G))
    if loops:
        raise NetworkError(f"self-loops are not links: edge {loops[0]!r}")
    for n in G.nodes:
        _check_node(G, n)
    for u, v in G.edges:
        _check_edge(G, u, v)
    if isinstance(pairs, (str, bytes)) or not isinstance(pairs, Iterable):
        raise NetworkError(f"pairs must be a list of (source, target) node pairs, got {pairs!r}")
    for i, pair in enumerate(pairs):
        if not isinstance(pair, (tuple, list)) or len(pair) != 2:
            raise NetworkError(f"pairs[{i}] must be a node pair (source, target), got {pair!r}")
        for role, x in zip(("source", "target"), pair):
            _check_endpoint(G, x, f"of pair {pair!r} (the {role} of pairs[{i}])")
        a, b = pair
        if a == b:
            raise NetworkError(f"pairs[{i}] = {pair!r} has the same node at both ends")
        if not nx.has_path(G, a, b):
            raise NetworkError(f"pairs[{i}]: nodes {a!r} and {b!r} are not connected (different components)")
    return G


def path_parameters(G: nx.Graph, path: Sequence[Any]) -> dict[str, Any]:
    """Chain parameters of a path: ``p_gen`` (n,), ``link_state`` (n, 4), ``memory`` (Pauli rates per step,
    (n+1, 3)), ``time_step`` (s), ``noise`` (an :class:`qnet.OperationNoise`, the worst node's gate fidelity
    and measurement error on the path), ``node_noise`` (each node's own, in path order), ``length`` (km).

    Examples
    --------
    >>> import qnet
    >>> G = qnet.ring_network(5, 20.0, p_gen=0.2, w0=0.9)
    >>> par = qnet.path_parameters(G, [0, 1, 2])
    >>> par["p_gen"].tolist(), par["length"]
    ([0.2, 0.2], 40.0)
    """
    _check_graph(G)
    _check_path(G, path, attributes=True)
    return _path_parameters(G, path)


def _check_path(G: nx.Graph, path: Any, *, attributes: bool) -> None:
    """A sequence of distinct nodes joined by edges; with ``attributes`` also the path's node and edge attributes
    (skipped where ``validate_network`` has checked the whole graph already)."""
    if isinstance(path, (str, bytes)) or not isinstance(path, Sequence):
        raise NetworkError(f"a path must be a sequence of nodes, got {path!r}")
    if len(path) < 2:
        raise NetworkError(f"a path needs at least two nodes, got {list(path)!r}")
    for i, n in enumerate(path):
        _check_endpoint(G, n, f"at path[{i}]")
        if attributes:
            _check_node(G, n)
    if len(set(path)) != len(path):
        raise NetworkError(f"a path visits every node once, got {list(path)!r}")
    for u, v in zip(path[:-1], path[1:]):
        if not G.has_edge(u, v):
            raise NetworkError(f"({u!r}, {v!r}) is not an edge of the network")
        if attributes:
            _check_edge(G, u, v)


def _path_parameters(G: nx.Graph, path: Sequence[Any]) -> dict[str, Any]:
    """:func:`path_parameters` of a path already checked (unvalidated)."""
    links = [edge_link(G, u, v) for u, v in zip(path[:-1], path[1:])]
    durations = [d for _, _, d in links if d is not None]
    if durations:
        time_step = max(durations)
    elif "time_step" in G.graph:
        time_step = float(G.graph["time_step"])
    else:
        raise NetworkError("the path's edges have plain p_gen and no attempt duration: set G.graph['time_step'] "
                           "(seconds per link attempt)")
    rates = [r * time_step for r in memory_rates(G, path)]
    noise = worst_noise(G, path)
    return {
        "p_gen": np.array([p for p, _, _ in links]),
        "link_state": np.array([s for _, s, _ in links]),
        "memory": np.array(rates),
        "time_step": time_step,
        "noise": noise,
        "node_noise": [node_noise(G, n) for n in path],
        "length": float(sum(G.edges[u, v]["length"] for u, v in zip(path[:-1], path[1:]))),
    }


def _options(schedule: Any, protocol: Any) -> None:
    """The chain options of the path functions: a schedule (or None for swap-asap) and a purification variant."""
    if schedule is not None and not isinstance(schedule, Schedule):
        validate_levels(schedule)
    _v.option(protocol, "protocol", DISTILLATION_OPTIONS)


def _swap_asap(n: int) -> tuple[str, ...]:
    return ("swap",) * (0 if n == 1 else math.ceil(math.log2(n)))


def _path_chain(G, path, schedule, cutoff, cut_type, protocol) -> tuple[RepeaterChain, dict]:
    par = _path_parameters(G, path)  # the callers validated the graph and the path
    schedule = _swap_asap(len(path) - 1) if schedule is None else schedule
    chain = RepeaterChain(schedule, par["p_gen"], G.graph.get("p_swap", 1.0), par["link_state"], par["memory"],
                          cutoff, cut_type, protocol=protocol, noise=par["node_noise"])
    return chain, par


@_v.keyword_options("cutoff", "cut_type", "t_trunc")
def path_delivery(G: nx.Graph, path: Sequence[Any], schedule: Sequence[str] | None = None, *, cutoff: Any = None,
                  cut_type: str = "memory_time", t_trunc: int = 4000, protocol: str = "auto",
                  tol: float | None = 1e-6) -> ChainDelivery:
    """Exact delivery distribution of the repeater chain along ``path`` (swap-asap nesting by default).

    Parameters
    ----------
    G : networkx.Graph
        The network (conventions of :mod:`qnet.networks.model`); validated first.
    path : sequence of nodes
        The chain's nodes in order, each node once; consecutive nodes must share an edge.
    schedule : tuple of str, optional
        Levels of the nested chain (as in :func:`qnet.chain_delivery`); default: swap as soon as
        possible, ``ceil(log2 n)`` swap levels for ``n`` segments.
    cutoff, cut_type, t_trunc, tol
        As in :func:`qnet.chain_delivery` (``t_trunc`` in time steps of the path).
    protocol : str
        Purification variant of the ``"distill"`` levels: a name of :data:`qnet.PROTOCOLS`, or ``"auto"``
        (default; the rule of :class:`qnet.RepeaterChain`).

    Returns
    -------
    ChainDelivery
        Per time step of ``path_parameters(G, path)["time_step"]`` seconds. The swap success
        probability is ``G.graph.get("p_swap", 1.0)``; each distillation has the gate and measurement
        noise of its pair's two end nodes, as in :func:`qnet.simulate_network`.

    Examples
    --------
    >>> import qnet
    >>> G = qnet.ring_network(6, 10.0, p_gen=0.3, w0=0.99)
    >>> r = qnet.path_delivery(G, [0, 1, 2, 3], t_trunc=500)
    >>> round(r.mean_fidelity, 6)   # no memory noise: Werner parameters multiply, F = (1 + 3 * 0.99**3) / 4
    0.977724
    >>> r.mean_time_s == r.mean_time * G.graph["time_step"]   # in seconds as well as in steps
    True
    """
    _options(schedule, protocol)
    validate_network(G)
    _check_path(G, path, attributes=False)  # attributes: checked with the whole graph just above
    chain, par = _path_chain(G, path, schedule, cutoff, cut_type, protocol)
    return dataclasses.replace(chain.delivery(t_trunc, tol=tol), time_step=float(par["time_step"]))


@dataclass(frozen=True, repr=False)
class PathChoice(Result):
    """A selected path, its chain delivery, and the rate (pairs/s) and mean fidelity it gives."""

    path: tuple
    delivery: ChainDelivery
    rate_hz: float
    fidelity: float
    length_km: float
    time_step: float


def select_path(G: nx.Graph, source: Any, target: Any, criterion: str = "shortest", *,
                schedule: Sequence[str] | None = None, cutoff: Any = None, cut_type: str = "memory_time",
                t_trunc: int = 4000, candidates: int = 8, protocol: str = "auto") -> PathChoice:
    """Choose the path between two nodes: ``"shortest"`` (total length), or the highest expected
    ``"fidelity"`` or ``"rate"`` among the ``candidates`` shortest simple paths, each evaluated
    exactly as a repeater chain (:func:`path_delivery`).

    Examples
    --------
    >>> import qnet
    >>> G = qnet.ring_network(6, 10.0, p_gen=0.3, w0=0.99)
    >>> G.edges[0, 1]["w0"] = 0.5              # a bad link on the short way round
    >>> qnet.select_path(G, 0, 2).path
    (0, 1, 2)
    >>> qnet.select_path(G, 0, 2, "fidelity", t_trunc=800).path
    (0, 5, 4, 3, 2)
    """
    _v.option(criterion, "criterion", PATH_CRITERIA)
    _options(schedule, protocol)
    _check_graph(G)
    _check_endpoint(G, source, "given as source")
    _check_endpoint(G, target, "given as target")
    if source == target:
        raise NetworkError(f"source and target are the same node {source!r}")
    validate_network(G, [(source, target)])
    candidates = _v.integer(candidates, "candidates", 1, 10_000)
    T = _v.t_trunc(t_trunc)
    if criterion == "shortest":
        paths = [shortest_path(G, source, target)]
    else:
        paths = []
        for p in nx.shortest_simple_paths(G, source, target, weight="length"):
            paths.append(p)
            if len(paths) >= candidates:
                break
    best = None
    errors = []
    for p in paths:
        try:
            chain, par = _path_chain(G, p, schedule, cutoff, cut_type, protocol)
            r = chain.delivery(T, tol=1e-3)
        except ValueError as exc:  # the schedule does not fit this path, it needs a longer window or never delivers
            errors.append(f"{p}: {exc}")
            continue
        choice = PathChoice(tuple(p), r, 1.0 / (r.mean_time * par["time_step"]), r.mean_fidelity, par["length"],
                            par["time_step"])
        score = choice.rate_hz if criterion == "rate" else choice.fidelity
        if best is None or (criterion != "shortest" and score > best[0]):
            best = (score, choice)
    if best is None:
        raise NetworkError(f"no candidate path between {source!r} and {target!r} could be evaluated: "
                           + "; ".join(errors))
    return best[1]


@dataclass(frozen=True, repr=False)
class PairService(Result):
    """A node pair served on its path: exact delivery, Monte Carlo samples and the rate in pairs/s."""

    pair: tuple
    choice: PathChoice
    mc: MonteCarloResult

    @property
    def rate_hz(self) -> float:
        return self.choice.rate_hz

    @property
    def mc_rate_hz(self) -> float:
        return 1.0 / (self.mc.mean_time * self.choice.time_step)


def serve_pairs(G: nx.Graph, pairs: Sequence[tuple[Any, Any]], criterion: str = "shortest", *,
                schedule: Sequence[str] | None = None, cutoff: Any = None, cut_type: str = "memory_time",
                t_trunc: int = 4000, n_samples: int = 20_000, seed: Any = 0,
                protocol: str = "auto") -> list[PairService]:
    """Serve several node pairs at once, each on its selected path with dedicated memories.

    Checks that every node has enough memories for all the paths through it (an end node holds
    one qubit per path, an inner node two, times the copies of a link one delivery holds,
    :meth:`qnet.Schedule.copies`), then runs
    the exact chain model and the Monte Carlo (seeds spawned from ``seed``) for each pair.

    Examples
    --------
    >>> import qnet
    >>> G = qnet.grid_network(3, 3, 20.0, p_gen=0.2, w0=0.98, memory=(0.0, 0.0, 0.01))
    >>> out = qnet.serve_pairs(G, [((0, 0), (2, 2)), ((0, 2), (2, 0))], n_samples=2000, t_trunc=2000)
    >>> [len(s.choice.path) - 1 for s in out]
    [4, 4]
    """
    validate_network(G, pairs)
    n_samples = _v.n_samples(n_samples)
    seed = _v.seed_int(seed)
    choices = [select_path(G, a, b, criterion, schedule=schedule, cutoff=cutoff, cut_type=cut_type,
                           t_trunc=t_trunc, protocol=protocol) for a, b in pairs]
    chains = [_path_chain(G, list(c.path), schedule, cutoff, cut_type, protocol)[0] for c in choices]
    need: dict = {}
    for c, chain in zip(choices, chains):
        arity = CIRCUITS[chain.protocol].arity if chain.protocol in CIRCUITS else 2
        for n, k in memory_need(c.path, chain.schedule.copies(arity)).items():
            need[n] = need.get(n, 0) + k
    for n, k in need.items():
        have = G.nodes[n].get("n_memories", 2)
        if k > have:
            raise NetworkError(f"node {n!r} needs {k} memories for the requested pairs but has n_memories={have}")
    seeds = np.random.SeedSequence(seed).generate_state(len(choices))
    out = []
    for (a, b), c, chain, s in zip(pairs, choices, chains, seeds):
        out.append(PairService((a, b), c, chain.simulate(n_samples, int(s))))
    return out
