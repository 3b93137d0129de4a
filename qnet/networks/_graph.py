"""Reading a validated network graph (engine tier of :mod:`qnet.networks`): each node's memory and operation
noise, each edge's link, classical signal times along a path, the path rule, and the memory a protocol holds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx
import numpy as np

from .. import _validation as _v
from .._arguments import scalar_noise
from ..errors import NetworkError
from ..links import FIBRE_LIGHT_SPEED_KM_S
from ..memories import PauliMemory, T1T2Memory
from ..noise import IDEAL, OperationNoise
from ..states import werner as _werner_state

__all__: list[str] = []


def node_rates(memory: Any, node: Any) -> np.ndarray | None:
    """Pauli rates (1/s) of a node's ``memory`` attribute, None for a T1T2Memory."""
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


def memory_rates(G: nx.Graph, nodes: Iterable[Any]) -> list[np.ndarray]:
    """Pauli rates (1/s) of the memories of ``nodes``; a T1T2Memory is refused."""
    out = []
    for n in nodes:
        r = node_rates(G.nodes[n]["memory"], n)
        if r is None:
            raise NetworkError(f"node {n!r} has a T1T2Memory: amplitude damping leaves the Bell-diagonal family of "
                               f"the chain engines; give Pauli rates (its .pauli_twirl()), or simulate the network "
                               f"(simulate_network runs it in its density-matrix mode)")
        out.append(np.asarray(r, dtype=float))
    return out


def node_noise(G: nx.Graph, node: Any) -> OperationNoise:
    """``node``'s operation noise, ideal when it has none."""
    return scalar_noise(G.nodes[node].get("noise", IDEAL))


def worst_noise(G: nx.Graph, nodes: Iterable[Any]) -> OperationNoise:
    """The noisiest of ``nodes``' operation noise, parameter by parameter."""
    noise = IDEAL
    for n in nodes:
        noise = noise.worst(node_noise(G, n))
    return noise


def relaxation(G: nx.Graph, nodes: Iterable[Any]) -> np.ndarray:
    """Each node's memory as Bloch relaxation ``(rate X, rate Y, rate Z, z_inf)`` (1/s): a Pauli memory's
    ``2(γy+γz), 2(γx+γz), 2(γx+γy)`` and 0, a T1/T2 memory's ``1/T2, 1/T2, 1/T1`` and 1 (towards ``|0⟩``), as
    ``qnet._kernels.pairs`` reads them."""
    out = []
    for n in nodes:
        memory = G.nodes[n]["memory"]
        if isinstance(memory, T1T2Memory):
            out.append([1.0 / memory.T2, 1.0 / memory.T2, 1.0 / memory.T1, 1.0])
        else:
            gx, gy, gz = np.minimum(node_rates(memory, n), 1e300)
            out.append([2.0 * (gy + gz), 2.0 * (gx + gz), 2.0 * (gx + gy), 0.0])
    return np.array(out, dtype=float).reshape(-1, 4)


def needs_density_matrices(G: nx.Graph, nodes: Iterable[Any]) -> bool:
    """Whether a memory among ``nodes`` leaves the Bell-diagonal family (a T1/T2 memory)."""
    return any(isinstance(G.nodes[n]["memory"], T1T2Memory) for n in nodes)


# ---------------------------------------------------------------- paths as chains
def edge_link(G: nx.Graph, u: Any, v: Any) -> tuple[float, np.ndarray, float | None]:
    """(success probability, Bell-diagonal state, attempt duration in s or None) of an edge's link."""
    d = G.edges[u, v]
    if "link" in d:
        link = d["link"]
        return float(link.success_probability()), np.asarray(link.state(), float), float(link.attempt_duration())
    state = np.asarray(d["state"], float) if "state" in d else _werner_state((1 + 3 * float(d["w0"])) / 4)
    return float(d["p_gen"]), state, None


def signal_times(G: nx.Graph, path: Sequence[Any]) -> np.ndarray:
    """Classical signal time (s) from ``path[0]`` to each node along the path, every edge at its link's channel
    speed, else light in fibre."""
    hops = []
    for u, v in zip(path[:-1], path[1:]):
        channel = getattr(G.edges[u, v].get("link"), "channel", None)
        hops.append(float(G.edges[u, v]["length"]) / float(getattr(channel, "speed_km_s", FIBRE_LIGHT_SPEED_KM_S)))
    return np.concatenate([[0.0], np.cumsum(hops)])


def shortest_path(G: nx.Graph, source: Any, target: Any) -> tuple:
    """The path of least total length (the rule of ``criterion="shortest"`` everywhere)."""
    return tuple(nx.shortest_path(G, source, target, weight="length"))


def memory_need(path: Sequence[Any], copies: int) -> dict[Any, int]:
    """Memory slots a protocol holds at once at each node of ``path`` (one rule for every engine): an end
    node one qubit, an inner node two (one per side), each times the ``copies`` of one
    elementary link a delivery holds at once (:meth:`qnet.Schedule.copies`: ``2**depth`` for ``depth`` nested
    two-pair distillations)."""
    return {node: copies * (1 if i in (0, len(path) - 1) else 2) for i, node in enumerate(path)}
