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
  and edges without a link model have no duration of their own. The builders set it (by default
  to the heralding round trip over the longest edge). Memory rates are converted to per-step
  rates with it.

Several node pairs are served in parallel on their own paths with dedicated memories (a node
serving ``k`` paths needs enough ``n_memories``; links on a shared edge are multiplexed), so the
pairs are independent and each one is a repeater chain of :mod:`qnet.chains`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Callable

import networkx as nx
import numpy as np

from . import _validation as _v
from .chains import ChainDelivery, RepeaterChain, validate_n_samples, validate_schedule, validate_t_trunc
from .channels import PauliMemory, T1T2Memory
from .errors import NetworkError
from .links import FIBRE_LIGHT_SPEED_KM_S
from .noise import IDEAL, OperationNoise, scalar_noise
from .purification import PROTOCOL_OPTIONS
from .results import MonteCarloResult, Result
from .states import werner as _werner_state

__all__ = [
    "validate_network",
    "grid_network",
    "ring_network",
    "random_geometric_network",
    "chain_network",
    "path_parameters",
    "path_delivery",
    "select_path",
    "PathChoice",
    "PairService",
    "serve_pairs",
    "PATH_CRITERIA",
    "MAX_NETWORK_NODES",
]

#: Path-selection criteria.
PATH_CRITERIA: tuple[str, ...] = ("shortest", "fidelity", "rate")
#: Most nodes a network builder makes.
MAX_NETWORK_NODES = 100_000


# ---------------------------------------------------------------- validation
def node_rates(memory: Any, node: Any) -> np.ndarray | None:
    """Pauli rates (1/s) of a node's ``memory`` attribute, None for a T1T2Memory (engine tier, not in ``__all__``)."""
    if isinstance(memory, PauliMemory):
        return memory.rates
    if isinstance(memory, T1T2Memory):
        return None
    try:
        arr = _v.nonnegative(memory, f"memory of node {node!r}")
    except TypeError as exc:
        raise NetworkError(f"node {node!r}: memory must be a PauliMemory, T1T2Memory or rates (gx, gy, gz); {exc}") \
            from None
    if arr.shape != (3,):
        raise NetworkError(f"node {node!r}: memory rates must be (gx, gy, gz), got shape {arr.shape}")
    return arr


def pauli_rates(G: nx.Graph, nodes: Iterable[Any]) -> list[np.ndarray]:
    """Pauli rates (1/s) of the memories of ``nodes``; a T1T2Memory is refused (engine tier, not in ``__all__``)."""
    out = []
    for n in nodes:
        r = node_rates(G.nodes[n]["memory"], n)
        if r is None:
            raise NetworkError(f"node {n!r} has a T1T2Memory: amplitude damping leaves the Bell-diagonal family of "
                               f"the chain model and the network simulator; give Pauli rates (e.g. its Pauli twirl)")
        out.append(np.asarray(r, dtype=float))
    return out


#: Longest link attempt (s): far beyond any experiment, and simulated times of many attempts stay finite.
MAX_SECONDS = 1e100
#: Most memory slots a node may hold (far beyond any device; bounds the simulator's integer counters).
MAX_MEMORIES = 10**9


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


# ---------------------------------------------------------------- builders
def _decorate(G: nx.Graph, memory: Any, n_memories: int, link: Callable[[float], Any] | None, p_gen: Any,
              w0: Any, noise: Any, time_step: Any, lengths: str) -> nx.Graph:
    """Validate the builders' shared keywords, then set every node's, edge's and the graph's attributes."""
    n_memories = _v.integer(n_memories, "n_memories", 1)
    if link is not None and not callable(link):
        raise TypeError(f"link must be a function of the edge length (km) returning a qnet.links scheme, got "
                        f"{type(link).__name__}")
    p_gen = _v.scalar(_v.probability, p_gen, "p_gen", zero_ok=False)
    w0 = _v.scalar(_v.probability, w0, "w0")
    noise = scalar_noise(noise)
    if time_step is not None:
        time_step = _v.scalar(_v.positive, time_step, "time_step")
    for n in G.nodes:
        G.nodes[n].update(memory=memory, n_memories=n_memories, noise=noise)
    longest = 0.0
    for u, v in G.edges:
        d = G.edges[u, v]
        longest = max(longest, float(d["length"]))
        if link is not None:
            d["link"] = link(float(d["length"]))
        else:
            d["p_gen"] = p_gen
            d["w0"] = w0
    if link is None:
        if time_step is None:
            if longest <= 0:
                raise ValueError(f"time_step (seconds per link attempt) is needed: with {lengths} no edge has a "
                                 f"length from which to take the heralding round trip")
            time_step = 2.0 * longest / FIBRE_LIGHT_SPEED_KM_S
            if time_step > MAX_SECONDS:
                raise ValueError(f"{lengths} makes one link attempt (the heralding round trip) last {time_step:g} s, "
                                 f"more than MAX_SECONDS = {MAX_SECONDS:g}")
        G.graph["time_step"] = time_step
    return validate_network(G)


def _werner_parameter(w0: Any, fidelity: Any) -> float:
    """The builders' Werner parameter, from ``w0`` or from ``fidelity`` (one of them; default 0.98)."""
    if w0 is not None and fidelity is not None:
        raise TypeError("give the links' Werner state by w0 or by fidelity, not both")
    if fidelity is None:
        return 0.98 if w0 is None else w0
    f = _v.scalar(_v.probability, fidelity, "fidelity")
    if f < 0.25:
        raise ValueError(f"fidelity of a Werner state must be in [0.25, 1], got {fidelity!r}")
    return (4.0 * f - 1.0) / 3.0


def _size(value: Any, name: str) -> int:
    return _v.integer(value, name, 1, MAX_NETWORK_NODES)


_BUILDER_KEYWORDS = """memory : PauliMemory or array_like (3,)
        Memory of every node (Pauli rates in 1/s).
    n_memories : int
        Memory slots per node (>= 1).
    link : callable, optional
        ``link(length_km)`` builds each edge's heralding scheme from :mod:`qnet.links` (e.g.
        ``lambda L: qnet.MidpointSource(qnet.FibreChannel(L))``); it sets the attempt duration.
    p_gen : float
        Without ``link``: success probability per attempt, in (0, 1].
    w0, fidelity : float, optional
        Without ``link``: the Werner state of every edge, by its Werner parameter ``w0`` or by its fidelity
        ``(1 + 3 w0) / 4`` (give one; default ``w0 = 0.98``).
    noise : OperationNoise, optional
        Operation noise of every node (default ideal).
    time_step : float, optional
        Without ``link``: seconds per link attempt (> 0). Default: the heralding round trip over the
        longest edge, ``2 L / (2e5 km/s)``."""


def grid_network(rows: int, cols: int, spacing_km: float, *, memory: Any = (0.0, 0.0, 0.0), n_memories: int = 4,
                 link: Callable[[float], Any] | None = None, p_gen: float = 0.1, w0: float | None = None,
                 fidelity: float | None = None, noise: OperationNoise | None = None,
                 time_step: float | None = None) -> nx.Graph:
    """Square grid of ``rows × cols`` nodes ``(i, j)``, neighbours ``spacing_km`` apart.

    Parameters
    ----------
    rows, cols : int
        Grid size (``rows * cols <= MAX_NETWORK_NODES``).
    spacing_km : float
        Length of every edge (>= 0).
    {keywords}

    Examples
    --------
    >>> import qnet
    >>> G = qnet.grid_network(3, 4, 25.0)
    >>> G.number_of_nodes(), G.number_of_edges(), G.edges[(0, 0), (0, 1)]["length"]
    (12, 17, 25.0)
    >>> G.graph["time_step"]   # heralding round trip over 25 km of fibre
    0.00025
    """
    rows, cols = _size(rows, "rows"), _size(cols, "cols")
    if rows * cols > MAX_NETWORK_NODES:
        raise ValueError(f"rows * cols = {rows * cols} nodes exceeds MAX_NETWORK_NODES = {MAX_NETWORK_NODES}")
    spacing_km = _v.scalar(_v.nonnegative, spacing_km, "spacing_km")
    G = nx.grid_2d_graph(rows, cols)
    nx.set_edge_attributes(G, spacing_km, "length")
    return _decorate(G, memory, n_memories, link, p_gen, _werner_parameter(w0, fidelity), noise, time_step,
                     f"spacing_km={spacing_km!r}")


def ring_network(n: int, spacing_km: float, *, memory: Any = (0.0, 0.0, 0.0), n_memories: int = 4,
                 link: Callable[[float], Any] | None = None, p_gen: float = 0.1, w0: float | None = None,
                 fidelity: float | None = None, noise: OperationNoise | None = None,
                 time_step: float | None = None) -> nx.Graph:
    """Ring of ``n`` nodes ``0..n-1`` (``3 <= n <= MAX_NETWORK_NODES``), neighbours ``spacing_km`` apart.

    Parameters
    ----------
    n : int
        Number of nodes.
    spacing_km : float
        Length of every edge (>= 0).
    {keywords}

    Examples
    --------
    >>> import qnet
    >>> qnet.ring_network(6, 10.0).number_of_edges()
    6
    """
    n = _size(n, "n")
    if n < 3:
        raise ValueError(f"n must be >= 3 for a ring (fewer nodes make a line or a self-loop), got {n}")
    spacing_km = _v.scalar(_v.nonnegative, spacing_km, "spacing_km")
    G = nx.cycle_graph(n)
    nx.set_edge_attributes(G, spacing_km, "length")
    return _decorate(G, memory, n_memories, link, p_gen, _werner_parameter(w0, fidelity), noise, time_step,
                     f"spacing_km={spacing_km!r}")


def random_geometric_network(n: int, radius: float, size_km: float, *, seed: int = 0, memory: Any = (0.0, 0.0, 0.0),
                             n_memories: int = 4, link: Callable[[float], Any] | None = None, p_gen: float = 0.1,
                             w0: float | None = None, fidelity: float | None = None,
                             noise: OperationNoise | None = None, time_step: float | None = None) -> nx.Graph:
    """Random geometric graph: ``n`` nodes uniform in a ``size_km`` square, linked within ``radius * size_km``.

    Edge lengths are the Euclidean distances; node positions are in ``G.nodes[n]["pos"]`` (km).
    Only the largest connected component is kept.

    Parameters
    ----------
    n : int
        Number of nodes drawn (``<= MAX_NETWORK_NODES``).
    radius : float
        Connection radius as a fraction of ``size_km``, in (0, sqrt(2)].
    size_km : float
        Side of the square (> 0).
    seed : int, numpy.random.Generator, SeedSequence or None
        Seed of the node positions (qnet's one seed rule).
    {keywords}

    Examples
    --------
    >>> import qnet
    >>> G = qnet.random_geometric_network(30, 0.3, 100.0, seed=1)
    >>> all(0 < d["length"] <= 30.0 for _, _, d in G.edges(data=True))
    True
    """
    n = _size(n, "n")
    radius = _v.scalar(_v.in_interval, radius, "radius", 0.0, math.sqrt(2.0), low_open=True)
    size_km = _v.scalar(_v.positive, size_km, "size_km")
    seed = _v.seed_int(seed)
    G = nx.random_geometric_graph(n, radius, seed=seed)
    G = G.subgraph(max(nx.connected_components(G), key=len)).copy()
    for v in G.nodes:
        G.nodes[v]["pos"] = tuple(float(x) * size_km for x in G.nodes[v]["pos"])
    for u, v in G.edges:
        G.edges[u, v]["length"] = float(math.dist(G.nodes[u]["pos"], G.nodes[v]["pos"]))
    return _decorate(G, memory, n_memories, link, p_gen, _werner_parameter(w0, fidelity), noise, time_step,
                     f"radius={radius!r} and size_km={size_km!r}")


def chain_network(lengths_km: Sequence[float], *, memory: Any = (0.0, 0.0, 0.0), n_memories: int = 4,
                  link: Callable[[float], Any] | None = None, p_gen: float = 0.1, w0: float | None = None,
                  fidelity: float | None = None, noise: OperationNoise | None = None,
                  time_step: float | None = None) -> nx.Graph:
    """A repeater chain: nodes ``0..n``, segment ``i`` (nodes ``i`` and ``i + 1``) ``lengths_km[i]`` long; equal or
    uneven segments.

    Parameters
    ----------
    lengths_km : sequence of float
        Length of every segment (>= 0), e.g. ``[5, 30, 10, 20]`` or ``[10.0] * 4``.
    {keywords}

    Examples
    --------
    >>> import qnet
    >>> G = qnet.chain_network([5.0, 30.0, 10.0, 20.0], fidelity=0.97, memory=qnet.PauliMemory.from_t2(0.1))
    >>> G.number_of_nodes(), G.edges[1, 2]["length"], round(G.edges[1, 2]["w0"], 4)
    (5, 30.0, 0.96)
    >>> r = qnet.simulate_network(G, [(0, 4)], n_deliveries=100, seed=1)
    >>> r.requests[0].path
    (0, 1, 2, 3, 4)
    """
    if isinstance(lengths_km, (str, bytes)) or not isinstance(lengths_km, (Sequence, np.ndarray)):
        raise TypeError(f"lengths_km must be a sequence of segment lengths in km, got {type(lengths_km).__name__}")
    lengths = _v.nonnegative(lengths_km, "lengths_km")
    if lengths.ndim != 1 or lengths.size == 0:
        raise ValueError(f"lengths_km must be a non-empty list of segment lengths, got shape {lengths.shape}")
    _size(lengths.size + 1, "the number of nodes (segments + 1)")
    G = nx.path_graph(lengths.size + 1)
    for i, length in enumerate(lengths):
        G.edges[i, i + 1]["length"] = float(length)
    return _decorate(G, memory, n_memories, link, p_gen, _werner_parameter(w0, fidelity), noise, time_step,
                     f"lengths_km={lengths.tolist()!r}")


for _builder in (grid_network, ring_network, random_geometric_network, chain_network):
    _builder.__doc__ = _builder.__doc__.replace("{keywords}", _BUILDER_KEYWORDS)


# ---------------------------------------------------------------- paths as chains
def edge_link(G: nx.Graph, u: Any, v: Any) -> tuple[float, np.ndarray, float | None]:
    """(success probability, Bell-diagonal state, attempt duration in s or None) of an edge's link (engine tier)."""
    d = G.edges[u, v]
    if "link" in d:
        link = d["link"]
        return float(link.success_probability()), np.asarray(link.state(), float), float(link.attempt_duration())
    state = np.asarray(d["state"], float) if "state" in d else _werner_state((1 + 3 * float(d["w0"])) / 4)
    return float(d["p_gen"]), state, None


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
    rates = [r * time_step for r in pauli_rates(G, path)]
    noise = IDEAL
    for n in path:
        noise = noise.worst(G.nodes[n].get("noise", IDEAL))
    return {
        "p_gen": np.array([p for p, _, _ in links]),
        "link_state": np.array([s for _, s, _ in links]),
        "memory": np.array(rates),
        "time_step": time_step,
        "noise": noise,
        "node_noise": [G.nodes[n].get("noise", IDEAL) for n in path],
        "length": float(sum(G.edges[u, v]["length"] for u, v in zip(path[:-1], path[1:]))),
    }


def _options(schedule: Any, protocol: Any) -> None:
    """The chain options of the path functions: a schedule (or None for swap-asap) and a purification variant."""
    if schedule is not None:
        validate_schedule(schedule)
    _v.option(protocol, "protocol", PROTOCOL_OPTIONS)


def _swap_asap(n: int) -> tuple[str, ...]:
    return ("swap",) * (0 if n == 1 else math.ceil(math.log2(n)))


def _path_chain(G, path, schedule, cutoff, cut_type, protocol) -> tuple[RepeaterChain, dict]:
    par = _path_parameters(G, path)  # the callers validated the graph and the path
    schedule = _swap_asap(len(path) - 1) if schedule is None else schedule
    chain = RepeaterChain(schedule, par["p_gen"], G.graph.get("p_swap", 1.0), par["link_state"], par["memory"],
                          cutoff, cut_type, protocol=protocol, noise=par["node_noise"])
    return chain, par


def path_delivery(G: nx.Graph, path: Sequence[Any], schedule: Sequence[str] | None = None, cutoff: Any = None,
                  cut_type: str = "memory_time", t_trunc: int = 4000, *, protocol: str = "auto",
                  tol: float | None = 1e-6) -> ChainDelivery:
    """Exact delivery distribution of the repeater chain along ``path`` (swap-asap nesting by default).

    Parameters
    ----------
    G : networkx.Graph
        The network (conventions of :mod:`qnet.network`); validated first.
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
    T = validate_t_trunc(t_trunc)
    if criterion == "shortest":
        paths = [nx.shortest_path(G, source, target, weight="length")]
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
    one qubit per path, an inner node two, times ``2**(number of distill levels)``), then runs
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
    n_samples = validate_n_samples(n_samples)
    seed = _v.seed_int(seed)
    choices = [select_path(G, a, b, criterion, schedule=schedule, cutoff=cutoff, cut_type=cut_type,
                           t_trunc=t_trunc, protocol=protocol) for a, b in pairs]
    chains = [_path_chain(G, list(c.path), schedule, cutoff, cut_type, protocol)[0] for c in choices]
    need: dict = {}
    for c, chain in zip(choices, chains):
        mult = 2 ** chain.schedule.distill_depth
        for i, n in enumerate(c.path):
            need[n] = need.get(n, 0) + mult * (1 if i in (0, len(c.path) - 1) else 2)
    for n, k in need.items():
        have = G.nodes[n].get("n_memories", 2)
        if k > have:
            raise NetworkError(f"node {n!r} needs {k} memories for the requested pairs but has n_memories={have}")
    seeds = np.random.SeedSequence(seed).generate_state(len(choices))
    out = []
    for (a, b), c, chain, s in zip(pairs, choices, chains, seeds):
        out.append(PairService((a, b), c, chain.simulate(n_samples, int(s))))
    return out
