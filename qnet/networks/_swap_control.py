"""A solved swap policy run on a network path: the slot model's decisions taken on what each node knows.

:func:`qnet.simulate_network` with ``swapping=Swapping.by_policy(result)`` (``result`` from
:func:`qnet.optimal_swap_policy`) serves one request on a path of ``result.n_nodes`` nodes slot by slot, as the
slot model (physics.md §12), with the network's physics and its classical delays:

* **Slots.** One slot is the longest link-attempt duration on the path (or ``G.graph["time_step"]``); every
  segment whose two facing memories are free attempts once per slot with its own success probability and
  link state (the path's links need not be homogeneous; the table is followed as it is). A link is known at
  both ends when the slot ends; it decoheres from its emission (the slot's start) in its end nodes' Pauli
  memories.
* **Decisions on delayed knowledge.** The table maps a global state (every link and its age) to the nodes
  that swap; decisions are taken at slot boundaries, and news travels along the path at the signal speed
  (rounded up to whole slots). With ``knowledge="latest"`` (the default) node ``i`` looks the table up for
  everything it has heard: a link is in its view once its herald (from the nearer end) or the news of the
  swaps that made it (from the farthest) has reached ``i``, until the news of the swap that consumed it does;
  ages are counted on without news, and links beyond the cut-off dropped. A view that is not a state of the
  table (links in transit overlap) falls back to swap-asap on the view. With ``knowledge="snapshot"`` node
  ``i`` waits for the whole state of a slot (``lag_i`` slots: its largest signal time) and acts on it only if
  it still holds the two links it held then. Swap-asap needs only the node's own memories. Swaps are ideal
  Bell measurements, each succeeding with the table's ``p_swap``; a run of adjacent swaps succeeds only if all
  do (the slot model's rule).
* **Messages.** A swapping node frees its memories at once. The end nodes of a failed run learn of it after
  the signal time from the farthest swapping node, and their memories stay busy until then. A delivered pair
  is known when the last swap outcome reaches both end nodes; it decoheres meanwhile.
* **Cut-offs** are the table's: a link is discarded when its age (slots, as the table counts it: the largest
  input age, or the summed age of a fidelity-aware table) reaches the cut-off.
* Every delivery starts from an empty path; ``times`` run from that start to the moment both ends know the
  pair. With ``classical_delay=False`` the run is the slot model itself: the slot model counts the slot whose
  swaps deliver, which starts when the pair exists, so ``times / slot + 1`` has the mean
  :attr:`SwapPolicyResult.mean_time` (two nodes: ``times / slot``).
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np

from .deliveries import NetworkSimulation, RequestDeliveries
from ._trajectories import run_trajectories, split_trajectories
from ..errors import NetworkError
from .model import path_parameters, select_path
from .policies import Cutoff, Purification, Swapping
from ..swap_policies import SwapPolicyResult
from ..swapping import BellMeasurement
from ..limits import MAX_SLOTS_PER_DELIVERY
from .._bell import bds_from_wht, transfer_eta, wht
from .._records import content_hash
from .._swap_rules import fixed_rule, swap_runs
from ._graph import node_noise, signal_times

__all__: list[str] = []


class _Path:
    """The path's physics in slot units: success probabilities, fresh states, memory rates per slot, delays."""

    def __init__(self, G: nx.Graph, path: tuple, policy: SwapPolicyResult, rule: str, knowledge: str,
                 classical_delay: bool):
        par = path_parameters(G, list(path))
        self.n = len(path)
        self.slot = float(par["time_step"])
        self.p_gen = par["p_gen"]
        self.fresh = wht(par["link_state"])  # links are kept as their Walsh-Hadamard components
        self.rates = par["memory"]  # per slot, one row per node
        # each node's swap: its Bell measurement with its own noise scales the components
        self.swap_factors = [BellMeasurement(node_noise(G, node)).component_factors() for node in path]
        x = signal_times(G, path) if classical_delay else np.zeros(self.n)
        self.signal = np.abs(x[:, None] - x[None, :])  # seconds between any two nodes
        self.lags = np.ceil(self.signal / self.slot - 1e-12).astype(np.int64)  # whole slots between two nodes
        self.lag = self.lags.max(axis=1)  # slots until a node has heard from every node
        self.lag_rows = self.lags.tolist()
        self._decay: dict = {}
        self._lags_to: dict = {}
        self.rule, self.knowledge = rule, knowledge
        self.table = policy.policy
        self._fixed = None  # the fixed rule's function, made where it runs (closures do not pickle)
        expected = policy.mean_time if rule == "optimal" else policy.mean_time_of(rule)
        self.max_slots = int(min(MAX_SLOTS_PER_DELIVERY, max(10**4, 1000 * expected)))
        self.p_swap = policy.p_swap
        self.summed = policy.age_limit is not None
        self.combine = sum if self.summed else max  # a merged link's age, as the table counts it
        self.limit = policy.age_limit if self.summed else policy.cutoff

    def decide(self, key: tuple):
        """The nodes that swap in the global state ``key``, by the table or the fixed rule."""
        if self.rule == "optimal":
            return self.table.get(key, ())
        if self._fixed is None:
            self._fixed = fixed_rule(self.rule, self.n)
        return self._fixed(key)

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_fixed": None}

    def lags_to(self, nodes: tuple, pick) -> list:
        """Per node, the ``pick`` (min or max) of its lags to ``nodes`` (memoised: few distinct sets occur)."""
        key = (nodes, pick)
        if key not in self._lags_to:
            self._lags_to[key] = [pick(row[s] for s in nodes) for row in self.lag_rows]
        return self._lags_to[key]

    def decay(self, node: int, slots: float) -> np.ndarray:
        """Pauli-transfer factors ``[1, ηx, ηz, ηy]`` of a qubit waiting ``slots`` in ``node``'s memory: the
        factors of the Walsh-Hadamard components of a Bell-diagonal state (:func:`qnet.idle`'s closed form;
        memoised, waits are mostly whole slots)."""
        key = (node, slots)
        if key not in self._decay:
            eta = transfer_eta(self.rates[node], slots)
            self._decay[key] = np.array([1.0, eta[0], eta[2], eta[1]])
        return self._decay[key]

    def stored(self, link: list, now: int) -> np.ndarray:
        """A link's Walsh-Hadamard components at slot time ``now``: its recorded ones after the wait in both end
        memories."""
        dt = float(now - link[5])
        return link[3] * self.decay(link[0], dt) * self.decay(link[1], dt)


class _Snapshots:
    """``knowledge="snapshot"``: node ``i`` acts on the whole state of slot ``k - lag[i]`` (once the farthest
    node's report has arrived), and only if it still holds the two links it held then."""

    def __init__(self, P: _Path):
        self.P = P
        self.history: list[tuple[dict, tuple]] = []

    def decide(self, k: int, held: dict, ordered: list) -> set:
        P = self.P
        self.history.append((held, tuple((link[0], link[1], link[2]) for link in ordered)))
        out = set()
        for i, now in held.items():
            seen = k - P.lag[i]
            if seen >= 1 and self.history[seen - 1][0].get(i) == now and i in P.decide(self.history[seen - 1][1]):
                out.add(i)
        return out

    def made(self, link: list, k: int, sources: tuple, merged: bool) -> None:
        pass

    def consumed(self, link: list, k: int, by: list) -> None:
        pass


class _Latest:
    """``knowledge="latest"``: node ``i`` acts on everything it has heard by slot ``k``. A link is in its view from
    the moment its herald (the nearer end) or the news of the swaps that made it (the farthest of them) reaches
    ``i``, until the news of the swap that consumed it does; ages are counted on (and links beyond the cut-off
    dropped) without news. A view that is not a state of the table (links in transit overlap) falls back to
    swap-asap on the view."""

    def __init__(self, P: _Path):
        self.P = P
        self.records: dict[int, list] = {}  # id -> [first, last, first slot present, age then, known at, gone at]
        self.asap = fixed_rule("swap_asap", P.n)  # the fallback for views outside the table

    def made(self, link: list, k: int, sources: tuple, merged: bool) -> None:
        # a merged link is known when the farthest swap's news arrives; an elementary one with the nearer herald
        if merged:
            known = [k + max(1, v) for v in self.P.lags_to(sources, max)]
        else:
            known = [k + 1 + v for v in self.P.lags_to(sources, min)]
        self.records[link[4]] = [link[0], link[1], k + 1, link[2] + (1 if merged and self.P.limit else 0), known,
                                 None]

    def consumed(self, link: list, k: int, by: list) -> None:
        rec = self.records.get(link[4])
        if rec is not None:
            rec[5] = [k + v for v in self.P.lags_to(tuple(by), min)]

    def view(self, i: int, k: int) -> tuple:
        limit = self.P.limit
        out = []
        for a, b, first, age, known, gone in self.records.values():
            now = 0 if limit is None else age + k - first
            if known[i] <= k and (gone is None or gone[i] > k) and (limit is None or now <= limit):
                out.append((a, b, now))
        return tuple(sorted(out))

    def decide(self, k: int, held: dict, ordered: list) -> set:
        P = self.P
        limit = P.limit
        for key, rec in list(self.records.items()):  # forget what every node knows to be gone
            if (rec[5] is not None and max(rec[5]) <= k) or (limit is not None and rec[3] + k - rec[2] > limit):
                del self.records[key]
        out = set()
        for i in held:
            view = self.view(i, k)
            known = P.rule != "optimal" or view in P.table
            if i in (P.decide(view) if known else self.asap(view)):
                out.add(i)
        return out


def _deliver_once(P: _Path, rng: np.random.Generator, stats: np.ndarray) -> tuple[float, np.ndarray]:
    """Run from an empty path until a pair is delivered: (seconds until both ends know it, its state)."""
    n = P.n
    links: dict[int, list] = {}  # by first node: [first, last, age, state, id, time of state (slots)]
    busy_until = np.zeros((n, 2), dtype=np.int64)  # slot from which a memory (left 0, right 1) is free again
    knowing = _Latest(P) if P.knowledge == "latest" else _Snapshots(P)
    next_id = 0
    for k in range(1, P.max_slots + 1):
        ordered = sorted(links.values(), key=lambda link: link[0])
        ends = {link[1]: link for link in ordered}
        held = {link[0]: (ends[link[0]][4], link[4]) for link in ordered if link[0] in ends}
        # (1) swaps decided on what each node knows; swap-asap needs only the node's own memories
        swapping = set(held) if P.rule == "swap_asap" else knowing.decide(k, held, ordered)
        links = {}
        for run in swap_runs(ordered, swapping):
            if len(run) == 1:
                links[run[0][0]] = run[0]
                continue
            a, b = run[0][0], run[-1][1]
            inner = [link[0] for link in run[1:]]
            for link in run:
                knowing.consumed(link, k, [x for x in (link[0], link[1]) if x in inner])
            ok = all(rng.random() < P.p_swap for _ in inner)
            age = P.combine(link[2] for link in run)
            if not ok or (P.limit is not None and age > P.limit):
                stats[2 if not ok else 3] += 1
                for end, side in ((a, 1), (b, 0)):  # the run's ends learn of it from the farthest swap
                    busy_until[end, side] = k + max(P.lag_rows[end][s] for s in inner)
                continue
            now = k - 1  # the slot's start, in slots
            state = P.stored(run[0], now)
            for link in run[1:]:  # a swap at the link's left end multiplies the components, scaled by its noise
                state = state * P.stored(link, now) * P.swap_factors[link[0]]
            if a == 0 and b == n - 1:
                wait_a = max(P.signal[s, a] for s in inner)
                wait_b = max(P.signal[s, b] for s in inner)
                state = state * P.decay(a, wait_a / P.slot) * P.decay(b, wait_b / P.slot)
                return now * P.slot + max(wait_a, wait_b), bds_from_wht(state)
            links[a] = [a, b, age, state, next_id, now]
            knowing.made(links[a], k, tuple(inner), True)
            next_id += 1
        # (2) cut-offs, (3) ageing (decoherence is applied when a link is used: P.stored)
        for a in list(links):
            link = links[a]
            if P.limit is not None and link[2] >= P.limit:
                stats[3] += 1
                del links[a]
                continue
            link[2] = 0 if P.limit is None else link[2] + 1
        # (4) generation where both facing memories are free (and not waiting for news of a failure)
        right = set(links)
        left = {link[1] for link in links.values()}
        for i in range(n - 1):
            if i in right or i + 1 in left or busy_until[i, 1] > k or busy_until[i + 1, 0] > k:
                continue
            stats[1] += 1
            if rng.random() < P.p_gen[i]:  # emitted at the slot's start, known at its end
                if n == 2:
                    return k * P.slot, bds_from_wht(P.fresh[0] * P.decay(0, 1.0) * P.decay(1, 1.0))
                links[i] = [i, i + 1, 0, P.fresh[i], next_id, k - 1]
                knowing.made(links[i], k, (i, i + 1), False)
                next_id += 1
        stats[0] += 1
        for link in links.values():
            stats[4 + link[0]] += 1
            stats[4 + link[1]] += 1
    raise NetworkError(f"no delivery within {P.max_slots} slots, 1000 times the slot model's expected time: rule "
                       f"{P.rule!r} (almost) never delivers on this path with these delays")


def _trajectory(P: _Path, n: int, seed: int) -> tuple:
    rng = np.random.default_rng(seed)
    stats = np.zeros(4 + P.n, dtype=np.int64)  # slots, attempts, failed runs, discarded links; memory-slots per node
    times = np.empty(n)
    states = np.empty((n, 4))
    for j in range(n):
        times[j], states[j] = _deliver_once(P, rng, stats)
    return times, states, stats


@dataclass(frozen=True)
class CompiledPolicy:
    """A swap-policy problem validated and compiled once (engine tier): the request, its path, the path's slot
    model and the problem's identity."""

    request: Any
    path: tuple
    model: Any  # _Path
    identity: str


def compile_policy(G: nx.Graph, requests: list, swapping: Swapping, purification: Purification,
                   cutoff: Cutoff | None, classical_delay: bool) -> CompiledPolicy:
    """Validate and compile a network problem with ``Swapping.by_policy`` (its other arguments validated by
    :class:`qnet.NetworkProblem`; engine tier)."""
    if len(requests) != 1 or requests[0].in_flight != 1:
        raise ValueError(f"a swap policy serves one request with in_flight=1 (the slot model's chain), got "
                         f"{len(requests)} request(s)" + (f" with in_flight={requests[0].in_flight}"
                                                          if len(requests) == 1 else ""))
    if purification.rounds or cutoff is not None:
        raise ValueError("a swap policy carries its own cut-off and has no purification: give purification=None and "
                         "cutoff=None with Swapping.by_policy")
    request, policy = requests[0], swapping.policy
    path = request.path if request.path is not None else select_path(G, request.source, request.target,
                                                                     request.criterion).path
    path = tuple(path)
    if len(path) != policy.n_nodes:
        raise NetworkError(f"the swap policy was solved for {policy.n_nodes} nodes, but the path {list(path)!r} from "
                           f"{request.source!r} to {request.target!r} has {len(path)}")
    for i, node in enumerate(path):
        need = 1 if i in (0, len(path) - 1) else 2
        if G.nodes[node].get("n_memories", 2) < need:
            raise NetworkError(f"node {node!r} needs {need} memories for the slot model (one per side), has "
                               f"{G.nodes[node].get('n_memories', 2)}")
    P = _Path(G, path, policy, swapping.rule, swapping.knowledge, classical_delay)
    late = [i for i in range(1, len(path) - 1) if P.limit is not None and P.lag[i] > P.limit]
    if swapping.rule != "swap_asap" and swapping.knowledge == "snapshot" and late:
        i = late[0]
        raise NetworkError(f"rule {swapping.rule!r} can never swap at node {path[i]!r}: it learns the chain's state "
                           f"{P.lag[i]} slots late, but links are discarded after {P.limit} slots; a longer cut-off, "
                           f"shorter signal times or swap-asap (local knowledge) can deliver")
    identity = content_hash("swap_policy", swapping.rule, swapping.knowledge, P.slot, P.p_gen, P.fresh, P.rates,
                            P.swap_factors, P.signal, P.p_swap, P.limit, P.summed, bool(classical_delay),
                            sorted((repr(k), v) for k, v in policy.policy.items()))
    return CompiledPolicy(request, path, P, identity)


def run_policy(compiled: CompiledPolicy, G: nx.Graph, *, n_deliveries: int, seed: int, classical_delay: bool,
               trajectories: int, executor: Executor | None) -> NetworkSimulation:
    """Simulate a compiled swap-policy problem (engine tier of :meth:`qnet.NetworkProblem.simulate`)."""
    request, path, P = compiled.request, compiled.path, compiled.model
    shares, seeds = split_trajectories(n_deliveries, trajectories, seed)
    runs = run_trajectories(_trajectory, [(P, int(k), s) for k, s in zip(shares, seeds)], executor)
    times = np.concatenate([r[0] for r in runs])
    states = np.concatenate([r[1] for r in runs])
    stats = sum(r[2] for r in runs)
    total = float(times.sum())
    deliveries = RequestDeliveries(request.source, request.target, path, times, np.cumsum(times), states,
                                   int(stats[1]), int(stats[2]), int(stats[3]), total)
    capacity = np.array([1] + [2] * (len(path) - 2) + [1]) * max(int(stats[0]), 1)
    used = {node: float(stats[4 + i] / capacity[i]) for i, node in enumerate(path)}
    utilisation = {node: used.get(node, 0.0) for node in G.nodes}
    return NetworkSimulation((deliveries,), int(stats[0]), total, utilisation, bool(classical_delay), tuple(seeds),
                             compiled.identity)
