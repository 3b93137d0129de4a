"""Network builders: graphs with every node and edge attribute the simulators read (memories, slots, operation
noise, links), as chains, rings, grids and random geometric graphs. Each returns a graph that
:func:`qnet.validate_network` accepts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import networkx as nx
import numpy as np

from .. import _validation as _v
from ..links import FIBRE_LIGHT_SPEED_KM_S
from .model import validate_network
from ..noise import OperationNoise
from ..limits import MAX_NETWORK_NODES, MAX_SECONDS
from .._arguments import scalar_noise

__all__ = ["grid_network", "ring_network", "random_geometric_network", "chain_network"]


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
