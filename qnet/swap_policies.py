"""Optimal swap decisions in a repeater chain: the slot model of Iñesta, Vardoyan, Scavuzzo and Wehner (npj Quantum
Inf. 9, 46, 2023) solved exactly as a Markov decision process.

The model (physics.md §12): ``n`` nodes, one memory per side of each node, time in slots. In each slot

1. the policy chooses which nodes swap, all at once; each swap succeeds with ``p_swap``; a run of links joined by
   swapping nodes becomes one link only if all its swaps succeed (its age is the largest input age), otherwise all
   its links are lost;
2. links whose age has reached the cut-off are discarded;
3. every age grows by one;
4. every segment with both facing memories free attempts a link (success ``p_gen``, age 0).

The delivery time is the number of the slot in which an end-to-end link exists (after its swaps, or, for two
nodes, after its generation). Policies see every link and its age (global knowledge). The optimal policy
minimises the expected delivery time; policy iteration finds it, each policy evaluated by a linear solve
(sparse LU, or BiCGSTAB with a certified error bound for large processes), and any policy (``"swap_asap"``,
``"nested"``) is evaluated the same way.

**Fidelity-aware process** (``min_fidelity``): links are Bell-diagonal when made and decohere in Pauli memories;
only pairs of at least ``min_fidelity`` count as delivered. Ideal swaps and Pauli channels on Bell-diagonal pairs
commute (both add Pauli frames), so a link's state is fixed by its span and its *summed* age; the process records
that sum (a merged link's age is the sum of its inputs' ages) and discards a link once the sum exceeds what an
end-to-end pair may have collected. It is exact for any Bell-diagonal link and any Pauli memory shared by all
nodes. It stops being tractable when that limit is long: the states grow as the number of link patterns times
``(limit + 1)`` per link, about 3.6e5 states (two minutes) for 6 nodes and a limit of 10 slots, and
:data:`qnet.limits.MAX_POLICY_STATES` is the bound. Memories that differ between nodes, noisy swaps or a
non-Pauli memory (amplitude damping) break the reduction to one number per link, and with it tractability beyond 3 or 4 nodes.

**Key-rate objective** (``objective="key_rate"``): on the same process, the policy maximising the secret key per
slot, the BB84 key fraction of each delivered pair over the expected slots of a delivery cycle (a renewal
reward). Dinkelbach's iteration finds it: for a rate ``r``, policy iteration minimises ``E[r T - K]``; ``r``
becomes that policy's ``E[K] / E[T]`` until no policy does better.

Conventions against qnet's exact chain engine (Li et al.'s model): without cut-offs, the slot model's delivery
time is the chain engine's plus one (a swap happens in the slot after its last link); with cut-offs they differ,
since here only the link that reached the cut-off is discarded while Li et al. discard both inputs.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _validation as _v
from .channels import idle
from .measures import bb84_key_fraction
from .results import Result
from .states import werner
from .swapping import swap
from .limits import MAX_AGE_LIMIT, MAX_POLICY_STATES
from ._arguments import pauli_rate_array
from ._swap_rules import fixed_rule, swap_runs, swappable

__all__ = ["optimal_swap_policy", "SwapPolicyResult", "SWAP_POLICIES"]

#: What :func:`optimal_swap_policy` optimises.
OBJECTIVES: tuple[str, ...] = ("time", "key_rate")
#: Policies :meth:`SwapPolicyResult.mean_time_of` evaluates besides the optimal one.
SWAP_POLICIES: tuple[str, ...] = ("swap_asap", "nested")
#: Relative accuracy of every expected time (certified, see :meth:`_Process.evaluate`).
SOLVE_RTOL = 1e-11
#: Processes up to this many states are solved by sparse LU; larger ones iteratively with a certificate.
_DIRECT_STATES = 20_000
#: Smallest success probability solved: the linear systems stay well conditioned (times below about 1e9 slots).
MIN_PROBABILITY = 1e-9

_DONE = "delivered"  # first item of the key of a delivery, ``(_DONE, age)``; states are tuples of link tuples


def _is_done(key: Any) -> bool:
    return key[:1] == (_DONE,)


def _state_bound(n: int, cutoff: int | None) -> int:
    """Number of sets of links over the chain that can coexist (non-crossing, at most one link per memory;
    nested links occur: a segment between two nodes that have swapped may be regenerated), each link with any of
    the ages: an upper bound on the states, computed before anything is built."""
    w = 1 if cutoff is None else cutoff + 1
    depth = [1]  # configurations by number of open links, scanning the nodes left to right
    for j in range(n):
        nxt = [0] * (len(depth) + 1)
        for d, c in enumerate(depth):
            for d2 in ({d, d - 1} if d else {d}):  # the innermost open link may end here
                nxt[d2] += c
                if j < n - 1:
                    nxt[d2 + 1] += c * w  # and a new one may start
        depth = nxt
    return depth[0]


class _Model:
    """The slot model in two stages: a decision's swaps lead to a configuration (links after the swaps, the
    cut-offs and the ageing; few outcomes per decision), and a configuration's generation attempts lead to the
    next states. The two stages are two sparse matrices, so every decision's transitions are one product and
    each configuration's generation outcomes are enumerated once.

    ``merge="max"``: a merged link's age is the largest input age (physics.md §12). ``merge="sum"``: it is the sum
    (the link's total memory time, which fixes its state; a merged link beyond ``limit`` is lost at once).
    """

    def __init__(self, n: int, p_gen: float, p_swap: float, limit: int | None, merge: str):
        self.n, self.p_gen, self.p_swap, self.limit = n, p_gen, p_swap, limit
        self.combine = max if merge == "max" else sum

    def swaps(self, state: tuple, action: frozenset) -> list[tuple[Any, float]]:
        """``[(configuration or (_DONE, age), probability)]`` after the swaps of ``action``, the cut-offs and
        ageing."""
        n, limit = self.n, self.limit
        runs = swap_runs(state, action)
        outcomes: list[tuple[float, list]] = [(1.0, [])]
        for run in runs:
            k = len(run) - 1
            if k == 0:
                outcomes = [(p, kept + run) for p, kept in outcomes]
                continue
            ok = self.p_swap ** k
            age = self.combine(a for _, _, a in run)
            merged = [] if limit is not None and age > limit else [(run[0][0], run[-1][1], age)]
            outcomes = [(p * ok, kept + merged) for p, kept in outcomes] + \
                [(p * (1.0 - ok), kept) for p, kept in outcomes if ok < 1.0]
        out: dict[Any, float] = {}
        for p, kept in outcomes:
            if p == 0.0:
                continue
            end = [age for a, b, age in kept if a == 0 and b == n - 1]
            if end:
                key: Any = (_DONE, end[0])
            else:
                key = tuple((a, b, 0 if limit is None else age + 1) for a, b, age in kept
                            if limit is None or age < limit)
            out[key] = out.get(key, 0.0) + p
        return list(out.items())

    def generate(self, config: tuple) -> list[tuple[Any, float]]:
        """``[(next state or (_DONE, 0), probability)]`` of the generation attempts on every segment whose two
        facing memories are free."""
        right = {a for a, _, _ in config}
        left = {b for _, b, _ in config}
        free = [i for i in range(self.n - 1) if i not in right and i + 1 not in left]
        out = []
        for made in itertools.product((False, True), repeat=len(free)):
            q = 1.0
            for m in made:
                q *= self.p_gen if m else 1.0 - self.p_gen
            if q == 0.0:
                continue
            new = tuple(sorted(config + tuple((i, i + 1, 0) for i, m in zip(free, made) if m)))
            out.append(((_DONE, 0) if any(a == 0 and b == self.n - 1 for a, b, _ in new) else new, q))
        return out


def _actions(state: tuple) -> list[frozenset]:
    nodes = swappable(state)
    return [frozenset(c) for r in range(len(nodes) + 1) for c in itertools.combinations(nodes, r)]


@dataclass(frozen=True, repr=False)
class SwapPolicyResult(Result):
    """Result of :func:`optimal_swap_policy`.

    Attributes
    ----------
    mean_time : float
        The optimal expected delivery time, in slots.
    policy : dict
        The optimal decision per state: ``{state: nodes that swap}``, a state being a tuple of links
        ``(first node, last node, age)`` (ages 0 without a cut-off); states where no node can swap are left out.
    n_nodes, p_gen, p_swap, cutoff
        The problem.
    n_states : int
        Number of states of the decision process (reachable from the empty chain).
    policy_times : dict
        Expected delivery time (slots) of every policy of :data:`SWAP_POLICIES`.
    min_fidelity : float or None
        The fidelity every delivered pair has at least (fidelity-aware process), else ``None``.
    age_limit : int or None
        Fidelity-aware process: the most memory time (slots, summed over a link's elementary links) a link may
        have collected; the ages of :attr:`policy`'s states are these sums. ``None`` otherwise.
    objective : str
        ``"time"`` (:attr:`mean_time` is the smallest expected time) or ``"key_rate"`` (:attr:`policy` maximises
        :attr:`key_rate`; :attr:`mean_time` is that policy's expected time).
    key_rate, policy_key_rates
        For ``objective="key_rate"``: the largest secret key per slot (BB84 fraction of each delivered pair over
        the expected slots of a delivery), and that of every policy of :data:`SWAP_POLICIES`.
    """

    mean_time: float
    policy: dict
    n_nodes: int
    p_gen: float
    p_swap: float
    cutoff: int | None
    n_states: int
    policy_times: dict = field(default_factory=dict)
    min_fidelity: float | None = None
    age_limit: int | None = None
    objective: str = "time"
    key_rate: float | None = None
    policy_key_rates: dict = field(default_factory=dict)

    def mean_time_of(self, policy: str) -> float:
        """Expected delivery time (slots) of a named policy of :data:`SWAP_POLICIES`, exactly.

        Examples
        --------
        >>> import qnet
        >>> r = qnet.optimal_swap_policy(3, 0.5, 1.0, None)
        >>> r.mean_time_of("swap_asap") == r.mean_time   # three nodes: swapping at once is optimal
        True
        """
        _v.option(policy, "policy", SWAP_POLICIES)
        return self.policy_times[policy]

    def key_rate_of(self, policy: str) -> float:
        """Secret key per slot of a named policy of :data:`SWAP_POLICIES` (``objective="key_rate"`` only).

        Examples
        --------
        >>> import qnet
        >>> r = qnet.optimal_swap_policy(4, 0.5, 0.6, None, objective="key_rate", link_state=0.99,
        ...                              memory=qnet.PauliMemory.depolarizing(0.01))
        >>> r.key_rate >= r.key_rate_of("swap_asap")
        True
        """
        _v.option(policy, "policy", SWAP_POLICIES)
        if self.key_rate is None:
            raise ValueError("key rates are computed with objective='key_rate'; this result has "
                             f"objective={self.objective!r}")
        return self.policy_key_rates[policy]


class _Process:
    """The decision process reachable from the empty chain, built once: the states, every decision of every state
    (rows of ``A``, state ``i`` owning rows ``first[i]:first[i + 1]``), ``A`` (decision -> configuration, the swap
    stage) and ``G`` (configuration -> state, the generation stage); delivery leaves the process, with the age of
    the delivered pair recorded (``done``: decision rows, ``done_g``: configurations) for rewards."""

    def __init__(self, model: _Model):
        from scipy.sparse import csr_matrix

        states: list = [()]
        index: dict = {(): 0}
        configs: dict = {}
        actions: list = []
        first = [0]
        a_rows: list = []
        a_cols: list = []
        a_vals: list = []
        g_rows: list = []
        g_cols: list = []
        g_vals: list = []
        done: list = []
        done_g: list = []
        i = 0
        while i < len(states):  # states are appended as they are found: a breadth-first search
            s = states[i]
            for action in _actions(s):
                r = len(actions)
                actions.append(action)
                for config, p in model.swaps(s, action):
                    if _is_done(config):
                        done.append((r, config[1], p))
                        continue
                    c = configs.get(config)
                    if c is None:
                        c = configs[config] = len(configs)
                        for nxt, q in model.generate(config):
                            if _is_done(nxt):
                                done_g.append((c, nxt[1], q))
                                continue
                            j = index.get(nxt)
                            if j is None:
                                j = index[nxt] = len(states)
                                states.append(nxt)
                            g_rows.append(c)
                            g_cols.append(j)
                            g_vals.append(q)
                    a_rows.append(r)
                    a_cols.append(c)
                    a_vals.append(p)
            first.append(len(actions))
            i += 1
        self.states, self.actions = states, actions
        self.first = np.asarray(first, dtype=np.int64)
        self.owner = np.repeat(np.arange(len(states)), np.diff(self.first))
        self.A = csr_matrix((a_vals, (a_rows, a_cols)), shape=(len(actions), len(configs)))
        self.G = csr_matrix((g_vals, (g_rows, g_cols)), shape=(len(configs), len(states)))
        self.done, self.done_g = done, done_g

    def reward(self, value: np.ndarray) -> np.ndarray:
        """Expected reward of each decision row, ``value[age]`` for a pair delivered with that age."""
        out = np.zeros(len(self.actions))
        g = np.zeros(self.G.shape[0])
        for c, age, q in self.done_g:
            g[c] += q * value[age]
        for r, age, p in self.done:
            out[r] += p * value[age]
        return out + self.A @ g

    def rows_of(self, rule) -> np.ndarray:
        """The row of the decision ``rule(state)`` of every state."""
        out = np.empty(len(self.states), dtype=np.int64)
        for i, s in enumerate(self.states):
            want = rule(s)
            out[i] = next(r for r in range(self.first[i], self.first[i + 1]) if self.actions[r] == want)
        return out

    def evaluate(self, rows: np.ndarray, guess: np.ndarray | None = None, cost: np.ndarray | None = None,
                 times: np.ndarray | None = None) -> np.ndarray:
        """Expected total cost until delivery from every state under the decisions ``rows`` (``cost`` per decision
        row and slot; default 1: the expected slots): the solution of ``(I - P) V = c``. Large processes use
        BiCGSTAB from ``guess`` and keep its answer only with a certificate, ``|V - V*| <= T |residual|`` with
        ``T`` the largest expected time (``(I - P)^-1`` has row sums the expected times: ``V`` itself for unit
        costs, else ``times`` when the caller has them or a certified solve of those), below :data:`SOLVE_RTOL` of
        ``|V|``; otherwise, and for small processes, a sparse LU solve."""
        from scipy.sparse import identity
        from scipy.sparse.linalg import bicgstab, spsolve

        m = len(self.states)
        M = identity(m, format="csr") - self.A[rows] @ self.G
        b = np.ones(m) if cost is None else cost[rows]
        if m > _DIRECT_STATES:
            V, info = bicgstab(M, b, x0=guess, rtol=1e-14, atol=0.0, maxiter=10 * m)
            if info == 0:
                if cost is None:
                    times = V
                elif times is None:
                    times = self.evaluate(rows)
                T = 1.1 * times.max()  # 1.1: a bound on the bound
                if T * np.abs(M @ V - b).max() <= SOLVE_RTOL * np.abs(V).min():
                    return V
        return np.atleast_1d(spsolve(M.tocsc(), b))

    def solve(self, rows: np.ndarray, cost: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Policy iteration from the decisions ``rows`` minimising the expected total ``cost`` (per decision row
        and slot; default 1: the expected time): the optimal decisions and their values."""
        V = None
        c = np.ones(len(self.actions)) if cost is None else cost
        for _ in range(1000):
            V = self.evaluate(rows, V, cost)
            Q = c + self.A @ (self.G @ V)
            best = np.minimum.reduceat(Q, self.first[:-1])
            current = Q[rows]
            better = best < current - 1e-12 * np.maximum(1.0, np.abs(current))
            if not better.any():
                return rows, V
            # the first decision (fewest swaps) within the tolerance of the best, where it improves
            near = np.flatnonzero(Q <= best[self.owner] + 1e-12 * np.maximum(1.0, np.abs(best[self.owner])))
            owners, at = np.unique(self.owner[near], return_index=True)
            first_best = np.empty_like(rows)
            first_best[owners] = near[at]
            rows = np.where(better, first_best, rows)
        raise RuntimeError("policy iteration did not converge in 1000 steps")  # pragma: no cover - finite MDP


def _link_state(value: Any) -> np.ndarray:
    """A fresh link: a Werner fidelity or Bell-diagonal coefficients."""
    if np.ndim(_v.as_array(value, "link_state")) == 0:
        return werner(_v.scalar(_v.probability, value, "link_state"))
    state = _v.bds(value, "link_state")
    if state.shape != (4,):
        raise ValueError(f"link_state must be a fidelity or one Bell-diagonal state of shape (4,), got shape "
                         f"{state.shape}")
    return state


def _end_to_end(n: int, link_state: np.ndarray) -> np.ndarray:
    """The delivered pair of ``n - 1`` fresh links; with a summed memory time ``A`` it is this pair idled for
    ``A`` slots (ideal swaps of Bell-diagonal pairs commute with Pauli memories)."""
    state = link_state
    for _ in range(n - 2):
        state = swap(state, link_state).state
    return state


def _age_limit(chain: np.ndarray, rates: np.ndarray, acceptable, wanted: str) -> int | None:
    """Largest summed memory time (slots) the end-to-end pair ``chain`` may collect and still be ``acceptable``
    (a test of Bell-diagonal states); ``None`` for memories without noise. Acceptability falls with age."""
    if not acceptable(chain[None])[0]:
        raise ValueError(f"{wanted} is out of reach: the fresh links swapped end to end give "
                         f"{np.round(chain, 6).tolist()} before any memory time")
    if not rates.any():
        return None
    ages = np.arange(MAX_AGE_LIMIT + 2.0)
    below = np.flatnonzero(~acceptable(idle(np.broadcast_to(chain, (ages.size, 4)), rates, ages)))
    if below.size == 0:
        raise ValueError(f"memory rates {rates.tolist()} keep {wanted} for more than MAX_AGE_LIMIT = "
                         f"{MAX_AGE_LIMIT} slots of memory time; the ages would not fit a state space (use "
                         f"memory=None for noiseless memories)")
    return int(below[0]) - 1


def _best_key_rate(process: _Process, reward: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Dinkelbach's iteration for the largest key per slot, E[key] / E[slots] over a delivery cycle: minimise
    E[rate * slots - key] by policy iteration, set the rate to that policy's ratio, until it stops growing."""
    def ratio(rows):
        T = process.evaluate(rows)
        return float(process.evaluate(rows, cost=reward, times=T)[0] / T[0]), float(T[0])

    best = (start, *ratio(start))
    for _ in range(100):
        rows, _ = process.solve(best[0], cost=best[1] - reward)
        new = (rows, *ratio(rows))
        if new[1] <= best[1] * (1.0 + 1e-13):  # no policy beats the rate: it is the largest
            return best
        best = new
    raise RuntimeError("Dinkelbach's iteration did not converge in 100 steps")  # pragma: no cover


def optimal_swap_policy(n_nodes: int, p_gen: float, p_swap: float, cutoff: int | None, *,
                        min_fidelity: float | None = None, link_state: Any = 1.0, memory: Any = None,
                        objective: str = "time") -> SwapPolicyResult:
    """The swap policy that minimises the expected delivery time of a homogeneous chain (or maximises its secret
    key per slot), solved exactly.

    Parameters
    ----------
    n_nodes : int
        Nodes of the chain (``n_nodes - 1`` segments), at least 2.
    p_gen, p_swap : float
        Link success probability per slot and swap success probability, in (0, 1].
    cutoff : int or None
        Links whose age reaches ``cutoff`` slots are discarded (``None``: never).
    min_fidelity : float, optional
        Deliver only pairs of at least this fidelity (the fidelity-aware process; then ``cutoff`` must be
        ``None``). Links are then ``link_state`` when made and decohere in ``memory`` at both ends; swaps are
        ideal. A link's state is fixed by its span and its total memory time (the sum of its elementary links'
        ages: Pauli channels and ideal swaps of Bell-diagonal pairs commute), so a state of the process records
        that sum, and a link whose sum exceeds the most an end-to-end pair may have (:attr:`SwapPolicyResult.
        age_limit`) is discarded.
    link_state : float or array_like, shape (4,)
        A link when it is made (its state at the first decision that can use it): a Werner fidelity or
        Bell-diagonal coefficients ``[Φ+, Φ−, Ψ+, Ψ−]`` (default: perfect). In a network a link is heralded one
        slot after its emission: give the emitted state after one slot in memory (:func:`qnet.idle`).
    memory : PauliMemory or array_like, shape (3,), optional
        Pauli rates per slot of every memory (default: noiseless).
    objective : {"time", "key_rate"}
        Minimise the expected delivery time, or maximise the secret key per slot: the BB84 key fraction of each
        delivered pair (:func:`qnet.bb84_key_fraction`) over the expected slots of a delivery cycle (Dinkelbach's
        iteration of policy iterations). ``"key_rate"`` uses the fidelity-aware process (``cutoff=None``); links
        that can no longer give a positive key are discarded.

    Returns
    -------
    SwapPolicyResult
        ``.mean_time`` (slots), ``.policy`` (state -> nodes that swap), ``.mean_time_of("swap_asap")`` and
        ``.mean_time_of("nested")``.

    Raises
    ------
    ValueError
        Parameters out of range, a ``min_fidelity`` no delivered pair can reach, or a state space larger than
        :data:`qnet.limits.MAX_POLICY_STATES` (the bound is computed before anything is built, and named in the
        message).

    Examples
    --------
    >>> import qnet
    >>> r = qnet.optimal_swap_policy(2, 0.25, 1.0, None)
    >>> r.mean_time                  # one segment: a geometric number of slots
    4.0
    >>> r = qnet.optimal_swap_policy(4, 0.5, 0.8, 3)
    >>> r.mean_time <= r.mean_time_of("swap_asap")
    True
    >>> r = qnet.optimal_swap_policy(3, 0.5, 1.0, None, min_fidelity=0.9, link_state=0.97,
    ...                              memory=qnet.PauliMemory.depolarizing(0.01))
    >>> r.age_limit                  # slots of memory time a delivered pair may have collected
    2
    """
    n = _v.integer(n_nodes, "n_nodes", 2, 64)
    p_gen = _v.scalar(_v.probability, p_gen, "p_gen", zero_ok=False)
    p_swap = _v.scalar(_v.probability, p_swap, "p_swap", zero_ok=False)
    for name, value in (("p_gen", p_gen), ("p_swap", p_swap)):
        if value < MIN_PROBABILITY:
            raise ValueError(f"{name} must be >= MIN_PROBABILITY = {MIN_PROBABILITY:g} for an exact solve (the "
                             f"expected time grows as 1/{name}), got {value!r}")
    if cutoff is not None:
        cutoff = _v.integer(cutoff, "cutoff", 1, 10**6)
    _v.option(objective, "objective", OBJECTIVES)
    limit, merge = cutoff, "max"
    state = _link_state(link_state)
    rates_of_memory = np.zeros(3) if memory is None else pauli_rate_array(memory, "memory")
    if rates_of_memory.shape != (3,):
        raise ValueError(f"memory must be one set of Pauli rates (gx, gy, gz), got shape {rates_of_memory.shape}")
    if min_fidelity is not None:
        min_fidelity = _v.scalar(_v.probability, min_fidelity, "min_fidelity")
    if min_fidelity is not None or objective == "key_rate":
        if cutoff is not None:
            raise ValueError(f"give cutoff=None with min_fidelity or objective='key_rate' (the states set the "
                             f"cut-off), got cutoff={cutoff}")
        floor = -1.0 if min_fidelity is None else min_fidelity
        key = objective == "key_rate"
        wanted = [] if min_fidelity is None else [f"min_fidelity={min_fidelity!r}"]
        if key:
            wanted.append("a positive key")

        def acceptable(x: np.ndarray) -> np.ndarray:
            return (x[:, 0] >= floor) & ((not key) | (bb84_key_fraction(x) > 0))

        chain = _end_to_end(n, state)
        limit = _age_limit(chain, rates_of_memory, acceptable, " and ".join(wanted))
        merge = "sum"
    bound = _state_bound(n, limit)
    if bound > MAX_POLICY_STATES:
        raise ValueError(f"{n} nodes with {'cutoff' if merge == 'max' else 'age_limit'}={limit} can reach up to "
                         f"{bound} states, more than MAX_POLICY_STATES = {MAX_POLICY_STATES}; use fewer nodes or a "
                         f"shorter cut-off")
    process = _Process(_Model(n, p_gen, p_swap, limit, merge))
    fixed = {name: process.rows_of(fixed_rule(name, n)) for name in SWAP_POLICIES}
    times = {name: float(process.evaluate(rows)[0]) for name, rows in fixed.items()}
    key_rates: dict = {}
    if objective == "time":
        rows, V = process.solve(fixed["swap_asap"])
        mean_time, key_rate = float(V[0]), None
    else:
        ages = np.arange(1 if limit is None else limit + 1, dtype=float)
        reward = process.reward(bb84_key_fraction(idle(np.broadcast_to(chain, (ages.size, 4)), rates_of_memory, ages)))
        for name, rows in fixed.items():
            key_rates[name] = float(process.evaluate(rows, cost=reward)[0]) / times[name]
        rows, key_rate, mean_time = _best_key_rate(process, reward, fixed["swap_asap"])
    policy = {s: tuple(sorted(process.actions[r])) for s, r in zip(process.states, rows) if swappable(s)}
    return SwapPolicyResult(mean_time, policy, n, p_gen, p_swap, cutoff, len(process.states), times,
                            min_fidelity, limit if merge == "sum" else None, objective, key_rate, key_rates)
