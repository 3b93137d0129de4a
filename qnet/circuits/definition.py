"""The distillation circuit :class:`Circuit`, and the library of named circuits (:data:`CIRCUITS`, :func:`circuit`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from .. import _validation as _v
from .._kernels import kernel_rows
from ..noise import OperationNoise
from ..results import Heralded
from ._dm import _dm_step, pauli_map
from ._frame import _bds_run, _noise_arrays, _step_map, circuit_noise, component_map, noise_scalars
from ._steps import _check_step, _pairs_of, _step_arity
from ..limits import MAX_DM_ENTRIES
from .._bell import bds_to_dm
from .._records import content_hash

__all__ = ["Circuit", "CIRCUITS", "DISTILL_CIRCUITS", "WIDE_CIRCUITS", "circuit"]


@dataclass(frozen=True, init=False)
class Circuit:
    """A distillation circuit of ``k >= 2`` Bell pairs, kept pair first (see the module docstring).

    Parameters
    ----------
    ops : sequence of tuples
        The operations in order: ``("local", pair, name)`` (a name of :data:`LOCAL_CLIFFORDS`), ``("twirl", pair)``,
        ``("gate", name, first, second)`` (a name of :data:`GATES`; ``first`` is the control), ``("measure", pair,
        basis)`` (a basis of :data:`MEASUREMENT_BASES`). Pairs are numbered from 0; pair 0 is kept and every other
        pair is measured once, after its last gate.
    name : str
        How results and errors name the circuit.

    Attributes
    ----------
    name : str
    steps : tuple of tuples
        The validated operations of each step (one step unless built by :meth:`sequence`).
    arity : int
        Number of input pairs, ``1 + Σ (k_i − 1)`` over the steps.

    Examples
    --------
    >>> import qnet
    >>> c = qnet.Circuit([("gate", "CNOT", 0, 1), ("measure", 1, "Z")], name="cnot")
    >>> out, p = c.apply([0.9, 0.1, 0, 0], [0.8, 0, 0.2, 0])     # the same as qnet.purify(..., "cnot")
    >>> out.round(4), round(float(p), 4)
    (array([0.9, 0.1, 0. , 0. ]), 0.8)
    >>> qnet.Circuit([("gate", "CNOT", 0, 1)])
    Traceback (most recent call last):
    ...
    ValueError: every pair but the kept pair 0 must be measured; pairs [1] are not
    """

    name: str
    steps: tuple[tuple[tuple, ...], ...]
    arity: int

    def __init__(self, ops: Sequence[tuple], *, name: str = "custom") -> None:
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {type(name).__name__} {name!r}")
        self._set(name, (_check_step(ops),))

    def _set(self, name: str, steps: tuple[tuple[tuple, ...], ...]) -> None:
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "steps", steps)
        object.__setattr__(self, "arity", 1 + sum(_step_arity(s) - 1 for s in steps))

    @classmethod
    def sequence(cls, circuits: Sequence["Circuit"], *, name: str) -> "Circuit":
        """The circuits run one after the other on the kept pair, each with fresh pairs of its own.

        Examples
        --------
        >>> import qnet
        >>> twice = qnet.Circuit.sequence([qnet.circuit("dejmps")] * 2, name="dejmps_pumping")
        >>> twice.arity
        3
        """
        if isinstance(circuits, Circuit) or not isinstance(circuits, Sequence) or not circuits:
            raise ValueError(f"circuits must be a non-empty sequence of qnet.Circuit, got {circuits!r}")
        for i, c in enumerate(circuits):
            if not isinstance(c, Circuit):
                raise TypeError(f"circuits[{i}] must be a qnet.Circuit, got {type(c).__name__} {c!r}")
        if not isinstance(name, str):
            raise TypeError(f"name must be a str, got {type(name).__name__} {name!r}")
        new = cls.__new__(cls)
        new._set(name, tuple(s for c in circuits for s in c.steps))
        return new

    def __repr__(self) -> str:
        return f"Circuit({self.name!r}, arity={self.arity}, steps={len(self.steps)})"

    @property
    def identity(self) -> str:
        """Hash of the circuit's operations (16 hex digits; the name does not count): equal circuits share it, and
        sweeps over circuits resume by it.

        Examples
        --------
        >>> import qnet
        >>> mine = qnet.Circuit(qnet.circuit("dejmps").steps[0], name="mine")
        >>> mine.identity == qnet.circuit("dejmps").identity != qnet.circuit("cnot").identity
        True
        """
        return content_hash("circuit", [[list(op) for op in ops] for ops in self.steps])

    def to_dict(self) -> dict:
        """JSON form: the name and each step's operations."""
        return {"name": self.name, "steps": [[list(op) for op in ops] for ops in self.steps]}

    def transfer(self, noise: OperationNoise | None = None, noise_b: OperationNoise | None = None) -> np.ndarray:
        """The exact Bell-diagonal map of a one-step circuit: ``T[s, c_0, ..., c_{k-1}]``, the unnormalised output
        slot ``s`` for inputs in Bell states ``c_j``; multilinear, so ``out = Σ T[s, c] Π_j λ_j[c_j]`` and the
        success probability is the sum over ``s``.

        Examples
        --------
        >>> import qnet
        >>> T = qnet.circuit("cnot").transfer()
        >>> T.shape, float(T.sum(axis=0)[0, 0])      # two Φ+ pairs always pass
        ((4, 4, 4), 1.0)
        """
        if len(self.steps) != 1:
            raise ValueError(f"{self.name} has {len(self.steps)} steps; transfer() maps one step (see .steps)")
        F, e = circuit_noise(noise, noise_b)
        k = self.arity
        return np.array(_step_map(self.steps[0], k, F, e).T.reshape((4,) * (k + 1)))

    def components(self, noise: OperationNoise | None = None, noise_b: OperationNoise | None = None) -> np.ndarray:
        """The same map on Walsh–Hadamard components ``λ̂ = wht(λ)``: ``W[t, c_0, ..., c_{k-1}]`` with
        ``p ô[t] = Σ W[t, c] Π_j λ̂_j[c_j]`` (component 0 of the output is the success probability). Each output
        component is a sum of ``2^m`` products for ``m`` checks; every other entry is exactly 0. The repeater-chain
        engines distil with it.

        Examples
        --------
        >>> import qnet
        >>> W = qnet.circuit("double_selection").components()
        >>> W.shape, int((W != 0).sum())      # 4 output components x 2^2 products
        ((4, 4, 4, 4), 16)
        """
        if len(self.steps) != 1:
            raise ValueError(f"{self.name} has {len(self.steps)} steps; components() maps one step (see .steps)")
        return np.array(component_map(self.steps[0], self.arity, *circuit_noise(noise, noise_b)))

    def pauli_map(self, noise: OperationNoise | None = None, noise_b: OperationNoise | None = None) -> np.ndarray:
        """The map on general two-qubit states, in Pauli coefficients ``r[4 P + Q] = Tr(ρ P ⊗ Q)`` (``P, Q`` in
        ``I, X, Y, Z``, qubit A first): ``D[o, i_0, ..., i_{k-1}]`` with ``p r_out[o] = Σ D[o, i] Π_j r_j[i_j]``
        (``r_out[0] = 1``, so ``D[0]`` gives the success probability), with node A's and node B's own noise: each
        input Pauli string carried through the operations' Pauli-transfer matrices (equal to the explicit
        density-matrix circuit of :meth:`apply` to 1e-15 in the tests). The network simulator's density-matrix mode
        distils with it.

        Examples
        --------
        >>> import qnet
        >>> D = qnet.circuit("dejmps").pauli_map()
        >>> D.shape, int((D != 0).sum())       # Clifford gates: each input Pauli pair has one image
        ((16, 16, 16), 32)
        """
        if len(self.steps) != 1:
            raise ValueError(f"{self.name} has {len(self.steps)} steps; pauli_map() maps one step (see .steps)")
        return np.array(pauli_map(self.steps[0], self.arity, *noise_scalars(noise, noise_b)))

    def apply(self, *pairs: Any, noise: OperationNoise | None = None, noise_b: OperationNoise | None = None,
              form: str = "auto") -> Heralded:
        """Run the circuit on ``arity`` pairs, kept pair first.

        Parameters
        ----------
        *pairs : array_like or qutip.Qobj
            Bell-diagonal states ``(..., 4)`` or density matrices ``(..., 4, 4)``; batch axes broadcast. If any is a
            density matrix, all are read as density matrices and the explicit circuit is run.
        noise, noise_b : OperationNoise, optional
            Node A's operation noise (both nodes' unless ``noise_b`` is given); arrays broadcast with the batch.
        form : {"auto", "bds", "dm"}
            How to read the inputs (see :func:`qnet.to_bds`).

        Returns
        -------
        Heralded
            The kept pair conditioned on every check passing, and the probability that they all pass.

        Raises
        ------
        ValueError
            Wrong number of pairs, invalid states or noise, or a success probability of 0.
        """
        out, p = self.outcome(*pairs, noise=noise, noise_b=noise_b, form=form)
        zero = p <= 0.0
        if zero.any():
            where = f" at batch index {tuple(int(i) for i in np.argwhere(zero)[0])}" if p.ndim else ""
            raise ValueError(f"{self.name} fails with certainty (success probability 0){where}; no output state exists")
        return Heralded(out, p)

    def outcome(self, *pairs: Any, noise: OperationNoise | None = None, noise_b: OperationNoise | None = None,
                form: str = "auto") -> Heralded:
        """:meth:`apply` without refusing certain failure: rows whose checks never all pass get a zero state and
        ``p_success = 0`` (for engines that weigh outcomes by their probability).

        Examples
        --------
        >>> import qnet
        >>> out, p = qnet.circuit("cnot").outcome([0, 0, 1, 0], [1, 0, 0, 0])   # X on the kept pair: detected
        >>> out.tolist(), float(p)
        ([0.0, 0.0, 0.0, 0.0], 0.0)
        """
        return Heralded(*self._run(*self._read(pairs, noise, noise_b, form)))

    def acceptance(self, *pairs: Any, noise: OperationNoise | None = None, noise_b: OperationNoise | None = None,
                   form: str = "auto") -> np.ndarray:
        """The probability that every check passes, shape ``batch`` (0 allowed; see :meth:`apply`).

        Examples
        --------
        >>> import qnet
        >>> float(qnet.circuit("cnot").acceptance([0, 0, 1, 0], [1, 0, 0, 0]))   # X on the kept pair: detected
        0.0
        """
        return self.outcome(*pairs, noise=noise, noise_b=noise_b, form=form).p_success

    def _read(self, pairs: tuple, noise: Any, noise_b: Any, form: str) -> tuple:
        if len(pairs) != self.arity:
            raise ValueError(f"{self.name} takes {self.arity} pairs (kept pair first), got {len(pairs)}")
        # large float64 Bell-diagonal arrays are checked by the compiled kernel while it reads them (one pass)
        deferred = all(_v.bds_deferrable(x, form) for x in pairs)
        read = [("bds", x) if deferred else _v.state(x, f"pairs[{i}]", form) for i, x in enumerate(pairs)]
        kind = "dm" if any(k == "dm" for k, _ in read) else "bds"
        states = [bds_to_dm(x) if kind == "dm" and k == "bds" else x for k, x in read]
        noise4 = _noise_arrays(noise, noise_b)
        core = 1 if kind == "bds" else 2
        arrays = {f"pairs[{i}]": x for i, x in enumerate(states)}
        arrays.update(zip(("gate_fidelity", "measurement_error", "gate_fidelity_b", "measurement_error_b"), noise4))
        batch = _v.broadcast(arrays, core={f"pairs[{i}]": core for i in range(len(states))})
        n = int(np.prod(batch))
        if kind == "dm":
            big = max(_step_arity(s) for s in self.steps)
            if n * 16**big > MAX_DM_ENTRIES:
                raise ValueError(f"{self.name} on {n} density matrices holds {n * 16**big:.3g} complex entries at "
                                 f"once, above MAX_DM_ENTRIES = {MAX_DM_ENTRIES}; use Bell-diagonal inputs or fewer")
        return kind, states, batch, noise4, deferred

    def raw_pairs(self, *pairs: Any, noise: OperationNoise | None = None, noise_b: OperationNoise | None = None,
                  form: str = "auto", restarts: bool = True) -> np.ndarray:
        """Expected raw pairs consumed per output pair, shape ``batch`` (``inf`` where the circuit never succeeds).

        Without restarts every attempt consumes all ``arity`` pairs: ``arity / p_success``. With ``restarts`` (the
        way Nickerson et al. run Expedient and Stringent) an attempt stops at the first step that fails, and a
        step's *preparation* (its operations before the first gate on the kept pair, when they purify one auxiliary
        pair) is repeated with fresh pairs until it passes, without losing the kept pair; a failure after that
        starts the whole circuit again. The output state is the same either way (every check passes); a failed
        attempt is charged all the pairs of the part that failed.

        Examples
        --------
        >>> import qnet
        >>> c = qnet.circuit("stringent")
        >>> pairs = [qnet.werner(0.9)] * c.arity
        >>> round(float(c.raw_pairs(*pairs, restarts=False)), 1), round(float(c.raw_pairs(*pairs)), 1)
        (50.7, 22.7)
        """
        kind, states, batch, noise4, deferred = self._read(pairs, noise, noise_b, form)
        if not isinstance(restarts, (bool, np.bool_)):
            raise TypeError(f"restarts must be True or False, got {type(restarts).__name__} {restarts!r}")
        with np.errstate(divide="ignore", invalid="ignore"):
            if not restarts:
                return np.where(p := _execute(self.steps, kind, states, batch, noise4, deferred)[1], self.arity / p,
                                np.inf)
            kept, cost, reach, used = states[0], 1.0, 1.0, 1
            for ops in self.steps:
                k = _step_arity(ops)
                fresh = states[used:used + k - 1]
                used += k - 1
                kept, p_step = _execute((ops,), kind, [kept] + fresh, batch, noise4, deferred)
                prep = _preparation(ops)
                p_prep, a = 1.0, 0
                if prep is not None:
                    prep_ops, inputs = prep
                    p_prep = _execute((prep_ops,), kind, [fresh[j - 1] for j in inputs], batch, noise4, deferred)[1]
                    a = len(inputs)
                cost = cost + reach * (a / p_prep + (k - 1 - a))
                reach = reach * np.where(p_step > 0, p_step / p_prep, 0.0)
            return np.where(reach > 0, cost / reach, np.inf)

    def _run(self, kind: str, states: list, batch: tuple, noise4: tuple,
             deferred: bool) -> tuple[np.ndarray, np.ndarray]:
        return _execute(self.steps, kind, states, batch, noise4, deferred)


def _execute(steps: tuple, kind: str, states: list, batch: tuple, noise4: tuple,
             deferred: bool) -> tuple[np.ndarray, np.ndarray]:
    """Run ``steps`` on inputs read by :meth:`Circuit._read`: the normalised output and the success probability."""
    core = (4,) if kind == "bds" else (4, 4)
    dtype = np.float64 if kind == "bds" else np.complex128
    rows = [kernel_rows(x, batch, core, dtype=dtype) for x in states]
    n = int(np.prod(batch))
    if kind == "bds":
        kept, p, ok = _bds_run(steps, tuple(rows), noise4, batch, check=deferred)
        if not ok:  # a deferred check failed: the validator raises its message
            for i, x in enumerate(states):
                _v.state(x, f"pairs[{i}]", "bds")
        return kept.reshape(batch + core), p.reshape(batch)
    fa, qa, fb, qb = (kernel_rows(x, batch) for x in noise4)
    kept, p, used = rows[0], np.ones(n), 1
    for ops in steps:
        k = _step_arity(ops)
        fresh = rows[used:used + k - 1]
        used += k - 1
        raw = _dm_step([np.asarray(kept)] + [np.asarray(x) for x in fresh], ops, fa, qa, fb, qb)
        p_step = np.einsum("nii->n", raw).real
        kept = raw / np.where(p_step > 0, p_step, 1.0)[:, None, None]
        kept[p_step <= 0] = 0.0
        p = p * p_step
    return kept.reshape(batch + core), p.reshape(batch)


def _preparation(ops: tuple) -> tuple[tuple, list[int]] | None:
    """A step's preparation: its operations before the first one on the kept pair, when they measure pairs and
    leave one auxiliary pair, renumbered as a circuit keeping that pair; and the step's pairs it takes, survivor
    first. None when there is no such part."""
    first = next(i for i, op in enumerate(ops) if 0 in _pairs_of(op))
    prep = ops[:first]
    measured = sorted(op[1] for op in prep if op[0] == "measure")
    touched = {p for op in prep for p in _pairs_of(op)}
    survivors = sorted(touched - set(measured))
    if not measured or len(survivors) != 1:
        return None
    inputs = survivors + measured
    index = {pair: i for i, pair in enumerate(inputs)}
    renumbered = tuple(op[:2] + tuple(index[p] for p in op[2:]) if op[0] == "gate" else (op[0], index[op[1]]) + op[2:]
                       for op in prep)
    return renumbered, inputs


# ---------------------------------------------------------------- the library
_LOCAL_FOR = {"z": None, "y": "rx", "x": "h"}  # the pre-rotation that leaves this error undetected by a Z check


def _recurrence(kept: str, sacrificed: str, twirl: bool = False) -> list[tuple]:
    """The two-pair CNOT recurrence leaving ``kept``/``sacrificed`` errors undetected (``qnet.purify``'s variants)."""
    ops: list[tuple] = [("twirl", 0), ("twirl", 1)] if twirl else []
    ops += [("local", j, _LOCAL_FOR[a]) for j, a in ((0, kept), (1, sacrificed)) if _LOCAL_FOR[a]]
    return ops + [("gate", "CNOT", 0, 1), ("measure", 1, "Z")]


def _stringent_head(gate: str) -> Circuit:
    """Nickerson et al.'s head: the kept pair checked through a pair that a third pair checks first."""
    return Circuit([("gate", gate, 0, 1), ("gate", "CZ", 1, 2), ("measure", 1, "X"), ("measure", 2, "X")],
                   name=f"stringent_head_{gate}")


def _stringent_body(gate: str, expedient: bool) -> Circuit:
    """Nickerson et al.'s body: an auxiliary pair purified twice (three times for Stringent) around its use."""
    ops = [("gate", "XCZ", 1, 2), ("measure", 2, "X"), ("gate", "CZ", 1, 3), ("measure", 3, "X"),
           ("gate", gate, 0, 1)]
    if not expedient:
        ops += [("gate", "CZ", 1, 4), ("measure", 4, "X")]
    return Circuit(ops + [("measure", 1, "X")], name=f"{'expedient' if expedient else 'stringent'}_body_{gate}")


def _library() -> dict[str, Circuit]:
    from_purify = {"cnot": ("z", "z"), "dejmps": ("y", "y"), "hadamard": ("x", "x")}
    from_purify.update({f"mixed_{a}{b}": (a, b) for a in "zxy" for b in "zxy" if a != b})
    lib = {name: Circuit(_recurrence(*ab), name=name) for name, ab in from_purify.items()}
    lib["bbpssw"] = Circuit(_recurrence("z", "z", twirl=True), name="bbpssw")
    # Fujii and Yamamoto's double selection as QuantumSavory.jl's Purify3to1(:X, :Z)
    lib["double_selection"] = Circuit([("gate", "CNOT", 1, 0), ("gate", "XCZ", 2, 1), ("measure", 1, "X"),
                                       ("measure", 2, "Z")], name="double_selection")
    head_z, head_x = _stringent_head("CZ"), _stringent_head("XCZ")
    lib["expedient"] = Circuit.sequence([head_z, head_x, _stringent_body("CZ", True), _stringent_body("CZ", True)],
                                        name="expedient")
    lib["stringent"] = Circuit.sequence([head_z, head_x, _stringent_body("CZ", False), _stringent_body("XCZ", False)],
                                        name="stringent")
    return lib


#: Every named circuit: the two-pair variants of :data:`qnet.PROTOCOLS` (same names and outputs as
#: :func:`qnet.purify`), ``"double_selection"`` (3 pairs), ``"expedient"`` (11) and ``"stringent"`` (13).
CIRCUITS: dict[str, Circuit] = _library()
#: The named circuits of one step: what a schedule, a chain, a pumping or recurrence round and a timeline can run as
#: one distillation.
DISTILL_CIRCUITS: tuple[str, ...] = tuple(name for name, c in CIRCUITS.items() if len(c.steps) == 1)
#: The distillation circuits of more than two pairs: what ``protocol=`` of chains, networks, pumping and recurrence
#: rounds accepts beyond the two-pair variants.
WIDE_CIRCUITS: tuple[str, ...] = tuple(name for name in DISTILL_CIRCUITS if CIRCUITS[name].arity > 2)


def circuit(name: str) -> Circuit:
    """The named distillation circuit of :data:`CIRCUITS`.

    Examples
    --------
    >>> import qnet
    >>> [qnet.circuit(n).arity for n in ("dejmps", "double_selection", "expedient", "stringent")]
    [2, 3, 11, 13]
    """
    return CIRCUITS[_v.option(name, "name", CIRCUITS)]
